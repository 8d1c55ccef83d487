"""The ``paramcalc`` entry point: a plain layer query is answered without loading Typer.

``paramcalc layer EXPR [--input-shape S] [--convention C] [--all-conventions] [--json]`` is the
query people type most, and Typer with its parser costs about as much to load as the query costs
to answer. Such a call runs :func:`paramcalc.clicore.query_layer` under the same error boundary as
the Typer command ``layer``, so it prints the same bytes and exits with the same status; every
other call (help, other commands, anything unusual in the arguments) goes to the Typer app in
:mod:`paramcalc.cli`, which also reports what is wrong with it.
"""

from __future__ import annotations

import os
import sys

from paramcalc.clicore import Convention

#: The ``layer`` command's options that take a value, and its flags: option → parameter.
_LAYER_OPTIONS = {
    "--input-shape": "input_shape", "-i": "input_shape", "--convention": "convention", "-c": "convention",
}
_LAYER_FLAGS = {"--all-conventions": "all_conventions", "--json": "as_json"}


def plain_layer_query(argv: list[str]) -> dict[str, object] | None:
    """The arguments of a plain ``paramcalc layer EXPR [options]`` call, or None for anything else.

    Whatever this does not recognise (help, an unknown or repeated option, a missing value, an
    ``--option=value`` form, a bad convention) goes to the Typer app, which reports it.
    """
    if len(argv) < 2 or argv[0] != "layer":
        return None
    values: dict[str, object] = {}
    rest = iter(argv[1:])
    for token in rest:
        if token in _LAYER_OPTIONS:
            key, value = _LAYER_OPTIONS[token], next(rest, None)
            if key in values or value is None or value.startswith("-") and key != "input_shape":
                return None
            values[key] = value
        elif token in _LAYER_FLAGS:
            if _LAYER_FLAGS[token] in values:
                return None
            values[_LAYER_FLAGS[token]] = True
        elif token.startswith("-") or "expr" in values:
            return None
        else:
            values["expr"] = token
    if "expr" not in values or values.get("convention", "pytorch") not in {c.value for c in Convention}:
        return None
    return values


def _skip_plugin_loader() -> None:
    """Spare the import of importlib.metadata (about 18 ms) that pydantic's plugin loader makes.

    With plugins disabled its ``get_plugins()`` returns nothing, but the loader module imports
    importlib.metadata when it is first imported. Until then, a stand-in answers ``get_plugins()``
    while they stay disabled and hands everything else to the real loader.
    """
    import types

    name = "pydantic.plugin._loader"
    if name in sys.modules:
        return

    def real() -> types.ModuleType:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        import importlib

        return importlib.import_module(name)

    def get_plugins() -> object:
        if os.getenv("PYDANTIC_DISABLE_PLUGINS") in ("__all__", "1", "true"):
            return ()
        return real().get_plugins()

    stand_in = types.ModuleType(name)
    stand_in.get_plugins = get_plugins  # type: ignore[attr-defined]

    def delegate(attr: str) -> object:
        if attr.startswith("__"):  # the import system asks for __path__ and the like
            raise AttributeError(attr)
        return getattr(real(), attr)

    stand_in.__getattr__ = delegate  # type: ignore[method-assign]
    sys.modules[name] = stand_in


def run_layer_query(query: dict[str, object]) -> None:
    """Answer a plain layer query as the Typer app would: same output, same exit status."""
    from paramcalc.clicore import boundary, internal_error, query_layer

    try:
        boundary(query_layer)(**query)
    except KeyboardInterrupt:  # as Typer: no message, status 130
        raise SystemExit(130) from None
    except BrokenPipeError:  # as click: the reader went away; nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is left to flush goes nowhere
        raise SystemExit(1) from None
    except Exception as exc:  # a bug, not bad input
        internal_error(exc)


def main() -> None:
    """Entry point of the ``paramcalc`` console script and ``python -m paramcalc``."""
    # paramcalc uses no pydantic plugins: skip the search of installed entry points (about 10 ms a run)
    if os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__") == "__all__":
        _skip_plugin_loader()
    query = plain_layer_query(sys.argv[1:])
    if query is not None:
        run_layer_query(query)
        return
    from paramcalc.cli import app

    app(prog_name="paramcalc")
