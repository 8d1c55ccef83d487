"""One command per layer type, generated from its spec: ``paramcalc lstm --input-size 100 --hidden-size 128``.

Each field of a spec (``model_fields``: its annotation, default, whether it is required and its
description) becomes an option named after the constructor's argument: a ``--flag/--no-flag``
for a bool, a choice for a ``Literal`` of strings, and a text value read here for everything
else (ints, tuples such as ``3,3``, floats, ``none``, nested layers as expressions), so a bad
value is reported in paramcalc's words and names its option. The spec then validates the values
as the constructor would. A command is built only when a run asks for it.
"""

import functools
import inspect
import re
import types
import typing
from typing import Annotated, Any, Literal, Optional

import typer

from paramcalc.cli.layer import show_layer
from paramcalc.cli.layer_types import ARGUMENT_HELP, command_for, layer_commands
from paramcalc.cli.options import (
    AllConventions,
    AllTensors,
    Brief,
    ConventionOption,
    InputShape,
    Json,
    Working,
    choice,
)
from paramcalc.errors import ParamcalcError

# -- From a spec field to an option ------------------------------------------------------------


class FieldOption:
    """How one spec field becomes a command-line option: its kind, metavar and reader."""

    def __init__(self, field: str, annotation: Any, default: Any, required: bool, description: str | None,
                 alias: str | None = None):
        self.field = field
        #: The constructor's name for the argument (a field may be stored under another name).
        self.argument = alias or field
        self.flag = "--" + self.argument.replace("_", "-")
        self.default = default
        self.required = required
        self.description = description
        self.kind, self.metavar, self.choices = _classify(annotation)
        self.annotation = annotation

    def read(self, text: str) -> Any:
        """The value of the option's text, for the spec constructor (the spec validates it)."""
        return _read(self.annotation, text.strip(), self.flag)


def spec_options(cls: type) -> list[FieldOption]:
    """One option per constructor argument of a spec class, in the constructor's order."""
    options = []
    for field, info in cls.model_fields.items():  # type: ignore[attr-defined]
        if field == "type":
            continue
        options.append(FieldOption(
            field, info.annotation, info.default, info.is_required(), info.description, getattr(info, "alias", None)
        ))
    return options


def _strip(annotation: Any) -> tuple[Any, bool]:
    """Drop Annotated metadata and Optional; say whether None is allowed."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            inner, more = _strip(args[0])
            return inner, optional or more
        return typing.Union[tuple(args)], optional  # type: ignore[return-value]
    return annotation, False


def _is_spec(annotation: Any) -> bool:
    from paramcalc import LayerSpec

    return isinstance(annotation, type) and issubclass(annotation, LayerSpec)


def _classify(annotation: Any) -> tuple[str, str, tuple[str, ...]]:
    """("flag" | "choice" | "value", metavar, choices)."""
    base, optional = _strip(annotation)
    if base is bool and not optional:
        return "flag", "", ()
    if typing.get_origin(base) is typing.Literal and not optional:
        choices = typing.get_args(base)
        if all(isinstance(c, str) for c in choices):
            return "choice", "", tuple(choices)
    return "value", _metavar(base, optional), ()


def _metavar(base: Any, optional: bool) -> str:
    origin = typing.get_origin(base)
    if base is int:
        mv = "INT"
    elif base is float:
        mv = "FLOAT"
    elif base is bool:
        mv = "BOOL"
    elif base is str:
        mv = "TEXT"
    elif origin is tuple:
        args = typing.get_args(base)
        inner, inner_optional = _strip(args[0]) if args else (int, False)
        item = "INT" if inner is int else "VALUE"
        if len(args) == 2 and args[1] is Ellipsis:
            mv = f"{item}[,{item}…]"
        else:
            mv = ",".join([item] * len(args))
        if inner_optional:
            mv += " (or none)"
    elif origin is typing.Literal:
        mv = "|".join(str(a) for a in typing.get_args(base))
    elif origin is typing.Union:
        mv = "|".join(_metavar(a, False) for a in typing.get_args(base))
    elif _is_spec(base):
        mv = "EXPR"
    else:
        mv = "VALUE"
    return f"{mv}|none" if optional else mv


# -- Reading an option's text ------------------------------------------------------------------

_INT = re.compile(r"[+-]?\d{1,30}")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?inf")


def _read(annotation: Any, text: str, flag: str) -> Any:
    """Read ``text`` as a value of ``annotation``; anything that does not fit is an error naming ``flag``."""
    base, optional = _strip(annotation)
    if optional and text.lower() == "none":
        return None
    return _read_base(base, text, flag)


def _read_base(base: Any, text: str, flag: str) -> Any:
    origin = typing.get_origin(base)
    if base is int:
        if not _INT.fullmatch(text):
            raise ParamcalcError(f"{flag}: must be an integer. Received: {text!r}")
        return int(text)
    if base is float:
        if not _FLOAT.fullmatch(text):
            raise ParamcalcError(f"{flag}: must be a number. Received: {text!r}")
        return float(text)
    if base is bool:
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ParamcalcError(f"{flag}: must be true or false. Received: {text!r}")
    if base is str:
        return text
    if origin is typing.Literal:
        choices = typing.get_args(base)
        for c in choices:
            if str(c) == text:
                return c
        raise ParamcalcError(f"{flag}: must be one of {', '.join(map(str, choices))}. Received: {text!r}")
    if origin is typing.Union:
        errors = []
        for option in typing.get_args(base):
            try:
                return _read_base(option, text, flag)
            except ParamcalcError as exc:
                errors.append(str(exc).removeprefix(f"{flag}: "))
        raise ParamcalcError(f"{flag}: {' or '.join(dict.fromkeys(e.split('. Received')[0] for e in errors))}. "
                             f"Received: {text!r}")
    if origin is tuple:
        return _read_tuple(base, text, flag)
    if _is_spec(base):
        from paramcalc import parse_layer

        spec = parse_layer(text)
        if not isinstance(spec, base):
            raise ParamcalcError(f"{flag}: must be a {base.__name__}. Received: {text!r}")
        return spec
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):  # e.g. {[]: 1}: unhashable key
        return text


def _read_tuple(base: Any, text: str, flag: str) -> Any:
    """``3`` → 3 (the spec expands it), ``3,3`` / ``3x3`` / ``(3, 3)`` → (3, 3); items may be none."""
    args = typing.get_args(base)
    item, item_optional = _strip(args[0]) if args else (int, False)
    body = text.strip().strip("()[]").strip()
    parts = [p for p in re.split(r"\s*[,x×]\s*|\s+", body) if p]
    if not parts:
        raise ParamcalcError(f"{flag}: empty; write an int or comma-separated ints such as 3,3")
    values: list[Any] = []
    for p in parts:
        if item_optional and p.lower() == "none":
            values.append(None)
        elif item is int and _INT.fullmatch(p):
            values.append(int(p))
        elif item is not int:
            values.append(_read_base(item, p, flag))
        else:
            allowed = "integers or none" if item_optional else "integers"
            raise ParamcalcError(f"{flag}: must be {allowed}, comma-separated. Received: {text!r}")
    single = len(values) == 1 and "," not in text and not text.strip().startswith("(")
    return values[0] if single and values[0] is not None else tuple(values)


# -- Help and examples -------------------------------------------------------------------------

#: Fields that the query's own options take the names of.
_RESERVED = {"input_shape", "convention", "all_conventions", "all_tensors", "json", "help", "brief", "working"}


def _option_help(cls: type, opt: FieldOption) -> str:
    parts = [opt.description or ARGUMENT_HELP.get(opt.argument, opt.argument.replace("_", " "))]
    if opt.field == getattr(cls, "infer_field", None):
        parts.append("(left out: read from --input-shape)")
    if opt.kind == "value" and not opt.required and opt.default is not None:
        shown = opt.default
        if isinstance(shown, tuple) and len(set(shown)) == 1:
            shown = shown[0]
        return f"{' '.join(parts)}  [default: {shown}]"
    if opt.kind == "value" and opt.required and opt.field != getattr(cls, "infer_field", None):
        return f"{' '.join(parts)}  [required]"
    return " ".join(parts)


def _example(command: str) -> tuple[str, str] | None:
    """The example call and input shape of the command's spec class, if it gives one."""
    entry = layer_commands().get(command)
    return entry[1].example if entry else None


def example_options(command: str) -> tuple[str, str] | None:
    """The layer command's options for its example, and the example's input shape."""
    from paramcalc import LayerSpec, parse_layer

    example = _example(command)
    if example is None:
        return None
    spec = parse_layer(example[0])
    kinds = {opt.field: opt.kind for opt in spec_options(type(spec))}
    words = []
    for field, info in type(spec).model_fields.items():
        value, default = getattr(spec, field), info.default
        if field in ("type", *_RESERVED) or value == default:
            continue
        if isinstance(value, tuple) and value and len(set(value)) == 1:
            if value[0] == default:
                continue
            value = value[0]
        flag = "--" + (getattr(info, "alias", None) or field).replace("_", "-")
        if isinstance(value, bool) and kinds.get(field) == "flag":
            words.append(flag if value else f"--no-{flag[2:]}")
        elif isinstance(value, bool):
            words.append(f"{flag} {str(value).lower()}")
        elif isinstance(value, LayerSpec):
            words.append(f"{flag} '{value}'")
        elif isinstance(value, tuple):
            words.append(f"{flag} {','.join('none' if v is None else str(v) for v in value)}")
        elif isinstance(value, str) and not re.fullmatch(r"[\w.-]+", value):
            words.append(f"{flag} '{value}'")
        else:
            words.append(f"{flag} {'none' if value is None else value}")
    return " ".join(words), example[1]


def layer_epilog(command: str, name: str) -> str:
    """Examples for a layer command: the options form and the expression form of the same query."""
    example = _example(command)
    options = example_options(command) if example else None
    lines = []
    if example and options:
        words, shape = options
        query = " ".join(f"paramcalc {command} {words}".split())
        lines.append(f"{query} --input-shape {shape}")
        lines.append(f"{query} --input-shape {shape} --all-conventions")
        lines.append(f"paramcalc layer \"{example[0]}\" --input-shape {shape} --json")
    else:
        lines.append(f"paramcalc layer \"{name}(...)\" --input-shape ...")
    lines.append(f"paramcalc formula {name}")
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


# -- The command -------------------------------------------------------------------------------


def _parameter(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def build_layer_command(command: str, name: str, cls: type) -> Any:
    """The command for one layer type: options from the spec's fields, then the query's own."""
    options = [opt for opt in spec_options(cls) if opt.argument not in _RESERVED]
    params = []
    for opt in options:
        help_text = _option_help(cls, opt)
        if opt.kind == "flag":
            annotation: Any = Annotated[bool, typer.Option(
                f"{opt.flag}/--no-{opt.flag[2:]}", help=help_text, show_default=True)]
            default: Any = bool(opt.default) if not opt.required else False
        elif opt.kind == "choice":
            annotation = Annotated[Optional[Literal[opt.choices]], typer.Option(  # type: ignore[valid-type]
                opt.flag, help=help_text, parser=choice(opt.choices, case_sensitive=False))]
            default = None if opt.required else opt.default
        else:
            annotation = Annotated[Optional[str], typer.Option(
                opt.flag, help=help_text, metavar=opt.metavar, show_default=False)]
            default = None
        params.append(_parameter(f"arg_{opt.field}", annotation, default))
    params += [
        _parameter("pc_input_shape", InputShape, None),
        _parameter("pc_convention", ConventionOption, None),
        _parameter("pc_all_conventions", AllConventions, False),
        _parameter("pc_all_tensors", AllTensors, False),
        _parameter("pc_json", Json, False),
        _parameter("pc_brief", Brief, False),
        _parameter("pc_working", Working, True),
    ]
    by_field = {opt.field: opt for opt in options}

    def run(**given: Any) -> None:
        values: dict[str, Any] = {}
        for key, value in given.items():
            if not key.startswith("arg_") or value is None:
                continue
            opt = by_field[key[4:]]
            values[opt.argument] = opt.read(value) if opt.kind == "value" else value
        missing = [o.flag for o in options if o.required and o.argument not in values]
        if missing:
            raise ParamcalcError(f"{name}: missing required option {', '.join(missing)} (see paramcalc {command} --help)")
        spec = cls(**values)
        show_layer(spec, given["pc_input_shape"], given["pc_convention"], given["pc_all_conventions"], given["pc_json"],
                   given["pc_all_tensors"], brief=given["pc_brief"], working=given["pc_working"])

    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    doc = (cls.__doc__ or name).strip().splitlines()[0].rstrip(".")
    summary = getattr(cls, "summary", "")
    more = f"\n\n{summary[0].upper()}{summary[1:]}." if summary and summary.rstrip(".") != doc else ""
    one = typer.Typer(add_completion=False, rich_markup_mode=None)
    one.command(
        name=command,
        help=f"{name}: {doc}.{more}\n\nOptions are the constructor's arguments, with its defaults.",
        short_help=summary or doc,
        epilog=layer_epilog(command, name),
    )(run)
    return typer.main.get_command(one)


def layer_command(name: str) -> Any:
    """The command of the layer type called ``name`` (its command, in any case, or its class name), or None."""
    key = command_for(name)
    return None if key is None else _built(key)


@functools.lru_cache(maxsize=None)
def _built(key: str) -> Any:
    name, cls = layer_commands()[key]
    return build_layer_command(key, name, cls)
