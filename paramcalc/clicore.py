"""What every command shares, without Typer: reading shapes, printing, the one place errors are
shown, and the layer query.

The ``paramcalc`` entry point (:mod:`paramcalc.entry`) answers a plain ``paramcalc layer`` query
with this module alone; the Typer app (:mod:`paramcalc.cli`) uses the same pieces, so both print
the same bytes. Nothing here imports Typer, Rich, the renderer or the library at module level.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from enum import Enum
from typing import Any, NoReturn, TypeVar

from paramcalc.errors import ParamcalcError

F = TypeVar("F", bound=Callable[..., Any])

#: Exit statuses: 0 all good, 1 a checked answer is wrong, 2 bad input (like click's usage errors).
EXIT_WRONG = 1
EXIT_BAD_INPUT = 2
#: A bug in paramcalc (EX_SOFTWARE); PARAMCALC_DEBUG=1 shows the traceback.
EXIT_INTERNAL = 70
#: Widest output, in columns.
MAX_WIDTH = 80

_SHAPE_SPLIT = re.compile(r"\s*[,x×*]\s*|\s+")


# -- Reading input ----------------------------------------------------------------------------


def parse_shape(text: str | None, option: str = "--input-shape") -> tuple[int, ...] | None:
    """Read ``32,50,100``, ``32x50x100`` or ``(32, 50, 100)`` as a tuple of ints; None stays None."""
    if text is None:
        return None
    body = text.strip().strip("()[]").strip()
    if not body:
        raise ParamcalcError(f"{option}: empty shape; write it like 32,50,100 or 32x50x100")
    if body.endswith(",") and "," not in body[:-1]:  # a one-dimensional Python tuple: (100,)
        body = body[:-1].strip()
    parts = _SHAPE_SPLIT.split(body)
    if "" in parts:
        raise ParamcalcError(
            f"{option}: a dimension is missing (two separators in a row, or one at an end). Received: {text!r}"
        )
    dims: list[int | None] = []
    for p in parts:
        if p in ("None", "?"):  # an unknown size: Keras layers accept it (the batch, mostly)
            dims.append(None)
        elif re.fullmatch(r"\d{1,30}", p):
            dims.append(int(p))
        else:
            raise ParamcalcError(
                f"{option}: every dimension must be a non-negative integer (or None for a Keras layer's "
                f"unknown size). Received: {text!r}"
            )
    return tuple(dims)  # type: ignore[arg-type]


def parse_shapes(text: str | None, option: str = "--input-shape") -> list[tuple[int, ...]]:
    """Several shapes separated by ``;`` (e.g. query;key;value): ``2,5,16;2,7,16``."""
    if text is None:
        return []
    if not text.strip(" ;"):
        raise ParamcalcError(f"{option}: empty shape; write it like 32,50,100 or 32x50x100")
    return [parse_shape(part, option) for part in text.split(";") if part.strip()]  # type: ignore[misc]


# -- Printing and errors ----------------------------------------------------------------------


def one_line(message: object) -> str:
    """The message on one line, its control characters shown escaped (never sent to the terminal)."""
    text = " ".join(str(message).split())
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def fail(message: str, status: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one line on stderr and exit with ``status``."""
    sys.stderr.write(f"error: {one_line(message)}\n")
    raise SystemExit(status)


def boundary(func: F) -> F:
    """Turn library errors into one line on stderr and exit status 2: the only place errors are shown."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ParamcalcError as exc:
            fail(str(exc))
        except RecursionError:
            fail("input nested too deeply")
        except MemoryError:
            fail("input too large")
        except ValueError as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def internal_error(exc: Exception) -> NoReturn:
    """A bug, not bad input: one line and exit status 70; the traceback only with PARAMCALC_DEBUG=1."""
    if os.environ.get("PARAMCALC_DEBUG"):
        raise exc
    sys.stderr.write(
        f"error: internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
        "set PARAMCALC_DEBUG=1 to see the traceback\n"
    )
    raise SystemExit(EXIT_INTERNAL)


def make_console(stderr: bool = False) -> Any:
    """A Rich console made per command (so NO_COLOR, FORCE_COLOR and tests behave), 80 columns at most.

    Rich writes plain text (no colour codes) when the output is not a terminal, and honours
    ``NO_COLOR``.
    """
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if console.width > MAX_WIDTH:
        console.width = MAX_WIDTH
    return console


def print_rich(*renderables: Any) -> None:
    """Print Rich renderables: styled on a terminal; plain text, lines right-stripped, otherwise."""
    from rich.console import Group

    console = make_console()
    if console.is_terminal:
        console.print(Group(*renderables))
        return
    with console.capture() as capture:
        console.print(Group(*renderables))
    text = "\n".join(line.rstrip() for line in capture.get().splitlines())
    sys.stdout.write(text + "\n")


_INT_LIST = re.compile(r"\[\s*-?\d+(?:,\s*-?\d+)*\s*\]")


def print_json(data: Any) -> None:
    """Print one JSON document and nothing else (ints stay exact; lists of ints such as shapes on one line)."""
    import json

    text = json.dumps(data, indent=2, ensure_ascii=False)
    text = _INT_LIST.sub(lambda m: "[" + ", ".join(re.findall(r"-?\d+", m.group(0))) + "]", text)
    sys.stdout.write(text + "\n")


# -- The layer query every layer command runs --------------------------------------------------


class Convention(str, Enum):
    """Whose counting rules to follow."""

    pytorch = "pytorch"
    keras = "keras"
    textbook = "textbook"


def show_layer(
    spec: Any,
    input_shape: str | None = None,
    convention: Convention | str | None = None,
    all_conventions: bool = False,
    as_json: bool = False,
) -> None:
    """Count, explain and print one layer: the body of ``paramcalc layer`` and every layer command."""
    from paramcalc.render.layer import collect, default_convention

    shapes = parse_shapes(input_shape)
    chosen = Convention(convention).value if convention is not None else default_convention(spec)
    report = collect(spec, chosen, shapes, all_conventions=all_conventions)
    if as_json:
        print_json(report.as_dict())
    else:
        print_rich(report)


def query_layer(
    expr: str,
    input_shape: str | None = None,
    convention: Convention | str | None = None,
    all_conventions: bool = False,
    as_json: bool = False,
) -> None:
    """``paramcalc layer EXPR [options]``: read the expression, then count, explain and print it."""
    from paramcalc.parse import parse_layer

    show_layer(parse_layer(expr), input_shape, convention, all_conventions, as_json)
