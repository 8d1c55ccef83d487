"""What the commands share: option types and help texts, readers of values Typer hands over as text,
and input shapes.

A value that Typer cannot convert is reported by Typer as a usage error; the readers here
(:func:`choice`, :func:`int_range`) give those errors Click's wording ("'x' is not one of ...",
"0 is not in the range x>=1."). Shapes are read by paramcalc itself, so their errors name the
option and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from paramcalc.errors import ParamcalcError

Shape = tuple[int, ...]


# -- Readers for Typer's ``parser=`` -----------------------------------------------------------


def choice(choices: Iterable[Any], *, case_sensitive: bool = True) -> Callable[[Any], Any]:
    """A reader for an option with fixed choices (an Enum's members or strings).

    A value that is not a choice is a usage error worded as Click words it.
    """
    members = list(choices)

    def text_of(member: Any) -> str:
        text = str(member.value if isinstance(member, Enum) else member)
        return text if case_sensitive else text.casefold()

    by_text = {text_of(member): member for member in members}

    def read(value: Any) -> Any:
        if not isinstance(value, str):  # a default given as a member
            return value
        found = by_text.get(value if case_sensitive else value.casefold())
        if found is None:
            shown = ", ".join(repr(str(m.value if isinstance(m, Enum) else m)) for m in members)
            raise typer.BadParameter(f"{value!r} is not one of {shown}.")
        return found

    return read


def int_range(min: int | None = None, max: int | None = None) -> Callable[[Any], int]:  # noqa: A002 - Typer's names
    """A reader for an integer option within bounds (give Typer the same ``min`` and ``max`` for the help)."""
    bounds = f"{min}<=x<={max}" if min is not None and max is not None else (
        f"x>={min}" if min is not None else f"x<={max}"
    )

    def read(value: Any) -> int:
        if isinstance(value, int):
            return value
        try:
            number = int(value)
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a valid integer.") from None
        if (min is not None and number < min) or (max is not None and number > max):
            raise typer.BadParameter(f"{number} is not in the range {bounds}.")
        return number

    return read


# -- The options of a layer query --------------------------------------------------------------


class Convention(str, Enum):
    """Whose counting rules to follow."""

    pytorch = "pytorch"
    keras = "keras"
    textbook = "textbook"


INPUT_SHAPE_HELP = (
    "Input shape with the batch dimension, as 32,50,100 or 32x50x100; several inputs "
    "(query;key;value, tgt;memory) separated by ';'."
)
CONVENTION_HELP = "Count as pytorch, keras or textbook. Default: keras for Keras layers, else pytorch."
ALL_CONVENTIONS_HELP = "Also show the count under every convention, side by side, with the reason for each difference."
ALL_TENSORS_HELP = ("List every tensor, not one row per tensor for a run of 3 or more stacked layers with the same "
                    "tensors (--json always lists every tensor).")
JSON_HELP = "Print one JSON document (the schema is in the README) and nothing else."

InputShape = Annotated[Optional[str], typer.Option("--input-shape", "-i", help=INPUT_SHAPE_HELP, metavar="SHAPE")]
ConventionOption = Annotated[Optional[Convention], typer.Option(
    "--convention", "-c", help=CONVENTION_HELP, parser=choice(Convention))]
AllConventions = Annotated[bool, typer.Option("--all-conventions", help=ALL_CONVENTIONS_HELP)]
AllTensors = Annotated[bool, typer.Option("--all-tensors", help=ALL_TENSORS_HELP)]
Json = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


# -- Input shapes ------------------------------------------------------------------------------

_SHAPE_SPLIT = re.compile(r"\s*[,x×*]\s*|\s+")


def parse_shape(text: str | None, option: str = "--input-shape") -> Shape | None:
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


def parse_shapes(text: str | None, option: str = "--input-shape") -> list[Shape]:
    """Several shapes separated by ``;`` (e.g. query;key;value): ``2,5,16;2,7,16``."""
    if text is None:
        return []
    if not text.strip(" ;"):
        raise ParamcalcError(f"{option}: empty shape; write it like 32,50,100 or 32x50x100")
    return [parse_shape(part, option) for part in text.split(";") if part.strip()]  # type: ignore[misc]


def shape_argument(text: str | None, option: str = "--input-shape") -> Shape | list[Shape] | None:
    """An ``--input-shape`` as the library takes it: None, one shape, or a list of several."""
    shapes = parse_shapes(text, option)
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else shapes
