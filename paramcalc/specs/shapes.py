"""Input shapes as specs take them: torch shapes (non-negative ints, batch included) and Keras
shapes (batch first, ``None`` for a size not known yet), one shape or a list of shapes."""

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


#: A torch shape: every size known.
Shape = tuple[int, ...]

#: What the compute of a Keras layer says when its batch size is unknown.
UNKNOWN_BATCH_NOTE = "the batch size is unknown (None): counted for one sample"


def as_shape(value: Any, what: str = "input_shape") -> Shape:
    """Check a shape: a sequence of non-negative ints (booleans are not ints here)."""
    if not isinstance(value, (tuple, list)):
        raise SpecError(f"{what} must be a tuple of non-negative ints. Received: {what}={short_repr(value)}")
    for d in value:
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            raise SpecError(f"{what} must be a tuple of non-negative ints. Received: {what}={short_repr(tuple(value))}")
    return check_shape_bounds(tuple(value), what)


def first_shape(input_shape: Any) -> Shape | None:
    """The first input's shape, from one shape or a list of shapes (one per input)."""
    if input_shape is None:
        return None
    if isinstance(input_shape, (tuple, list)) and input_shape and isinstance(input_shape[0], (tuple, list)):
        return as_shape(input_shape[0])
    return as_shape(input_shape)


def keras_inputs(spec: Any, input_shape: Any) -> tuple[KShape, ...]:
    """A Keras spec's input shapes: the ones given, else the layer's own ``input_shape`` argument."""
    shapes = as_shapes(input_shape)
    if not shapes and getattr(spec, "input_shape", None) is not None:
        shapes = ((None, *spec.input_shape),)
    return shapes


def call_inputs(spec: Any, shapes: tuple[Any, ...]) -> tuple[KShape, ...]:
    """The input shapes of a Keras spec's ``output_shapes(*shapes)``: one list of shapes is
    unpacked; none means the spec's own."""
    if len(shapes) == 1 and shapes[0] is not None and is_shape_list(shapes[0]):
        shapes = tuple(shapes[0])
    if len(shapes) > len(spec.inputs):
        raise SpecError(
            f"{spec.name}: takes {len(spec.inputs)} input shape{'s' if len(spec.inputs) > 1 else ''} "
            f"({', '.join(spec.inputs)}). Received: {len(shapes)} input shapes"
        )
    return keras_inputs(spec, list(shapes) if shapes else None)


def concrete_shapes(spec: Any, shapes: tuple[Any, ...]) -> tuple[tuple[Shape, ...], tuple[str, ...]]:
    """Keras shapes with an unknown (None) batch counted as 1; any other unknown size is an error."""
    out, notes = [], ()
    for i, shape in enumerate(shapes):
        shape = check_shape(shape, "input_shape" if i == 0 else f"input_shape[{i}]")
        if shape and shape[0] is None:
            shape = (1, *shape[1:])
            notes = (UNKNOWN_BATCH_NOTE,)
        if any(d is None for d in shape):
            raise SpecError(
                f"{spec.name}: counting MACs needs every size but the batch. Received: input_shape={tuple(shape)}"
            )
        out.append(shape)
    return tuple(out), notes
