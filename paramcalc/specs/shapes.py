"""Input shapes as Keras layers and the conventions take them: one shape or a list of shapes, ``None`` for unknown sizes."""

from __future__ import annotations

from typing import Any

from paramcalc.errors import SpecError, short_repr
from paramcalc.limits import check_shape_bounds

#: A Keras-style shape: batch dimension first; a ``None`` is a size not known yet (usually the batch).
KShape = tuple[int | None, ...]


def check_shape(value: Any, what: str = "input_shape") -> KShape:
    """A shape: a tuple or list of non-negative ints or None."""
    if not isinstance(value, (tuple, list)):
        raise SpecError(f"{what} must be a tuple of non-negative ints (or None). Received: {what}={short_repr(value)}")
    for d in value:
        if d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 0):
            raise SpecError(
                f"{what} must be a tuple of non-negative ints (or None). Received: {what}={short_repr(tuple(value))}"
            )
    return check_shape_bounds(tuple(value), what)


def is_shape_list(value: Any) -> bool:
    """Whether ``value`` is a list of shapes (one per input) rather than one shape."""
    return isinstance(value, (tuple, list)) and bool(value) and all(isinstance(s, (tuple, list)) for s in value)


def as_shapes(value: Any) -> tuple[KShape, ...]:
    """One shape or a list of shapes, as a tuple of checked shapes (empty for None)."""
    if value is None:
        return ()
    if is_shape_list(value):
        return tuple(check_shape(s, f"input_shape[{i}]") for i, s in enumerate(value))
    return (check_shape(value),)


def fmt_shape(shape: KShape) -> str:
    """``(None, 50, 100)``."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
