"""Keras merge layers: the shape rules of Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and Dot.

Shapes are Keras shapes, batch first; ``None`` is a size not known yet. A merge layer has no
weights, so these rules are all there is to it. A refusal names both inputs (by their position in
the call) and both shapes, in a :class:`~paramcalc.errors.ShapeMismatchError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from paramcalc.errors import ShapeMismatchError, SpecError

KShape = tuple[int | None, ...]


def _fmt(shape: KShape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _mismatch(layer: str, rule: str, shapes: Sequence[KShape], i: int, j: int) -> ShapeMismatchError:
    return ShapeMismatchError(
        f"{layer}: {rule}. Received: input {i} {_fmt(shapes[i])} and input {j} {_fmt(shapes[j])}",
        inputs=(i, j), shapes=(tuple(shapes[i]), tuple(shapes[j])),
    )


def _need_inputs(layer: str, shapes: Sequence[KShape], at_least: int = 1, exactly: int | None = None) -> None:
    if exactly is not None and len(shapes) != exactly:
        raise SpecError(f"{layer}: takes exactly {exactly} inputs. Received: {len(shapes)} input shapes")
    if len(shapes) < at_least:
        raise SpecError(f"{layer}: takes a list of at least {at_least} input shape. Received: {len(shapes)}")
    for i, shape in enumerate(shapes):
        if not shape:
            raise SpecError(f"{layer}: every input needs a batch dimension. Received: input {i} {_fmt(shape)}")


def same_batch(layer: str, shapes: Sequence[KShape]) -> int | None:
    """The batch size the inputs share: the known one, None when none is known.

    Formula: the first dimension of every input; known ones must be equal.
    """
    first = None
    for i, shape in enumerate(shapes):
        if shape[0] is None:
            continue
        if first is None:
            first = i
        elif shape[0] != shapes[first][0]:
            raise _mismatch(layer, "the inputs must have the same batch size", shapes, first, i)
    return None if first is None else shapes[first][0]


def elementwise_output_shape(*, shapes: Sequence[KShape], layer: str = "Add") -> KShape:
    """Output of an element-wise merge (Add, Subtract, Multiply, Average, Maximum, Minimum).

    The dimensions after the batch are broadcast, aligned on the right: sizes 1 stretch, equal
    sizes stay, a None gives None, any other pair is refused; the batch is the inputs' known one.
    Formula: out[d] = b[d] if a[d] = 1, a[d] if b[d] = 1 or a[d] = b[d].
    """
    _need_inputs(layer, shapes)
    batch = same_batch(layer, shapes)
    out = tuple(shapes[0][1:])
    for j in range(1, len(shapes)):
        rest = tuple(shapes[j][1:])
        longer, shorter = (out, rest) if len(out) >= len(rest) else (rest, out)
        lead = len(longer) - len(shorter)
        merged = list(longer[:lead])
        for k, (a, b) in enumerate(zip(longer[lead:], shorter)):
            if a is None or b is None:
                merged.append(None)
            elif a == 1:
                merged.append(b)
            elif b == 1 or a == b:
                merged.append(a)
            else:
                from_end = len(shorter) - k  # the axis, counted from the end
                mine, seen = rest[-from_end], out[-from_end]
                i = next(i for i in range(j) if len(shapes[i]) > from_end and shapes[i][-from_end] == seen)
                raise _mismatch(layer, f"the inputs must have broadcastable shapes ({seen} and {mine} on "
                                       f"axis {-from_end})", shapes, i, j)
        out = tuple(merged)
    return (batch, *out)


def concatenate_output_shape(*, shapes: Sequence[KShape], axis: int = -1, layer: str = "Concatenate") -> KShape:
    """Output of ``keras.layers.Concatenate(axis)``: the sizes on ``axis`` add up.

    Every input has the same rank and, except on ``axis``, the same known sizes; the other sizes
    are the first input's (as Keras gives them); a None on ``axis`` makes the sum None.
    Formula: out[axis] = Σ input[axis].
    """
    _need_inputs(layer, shapes)
    rank = len(shapes[0])
    for j, shape in enumerate(shapes):
        if len(shape) != rank:
            raise _mismatch(layer, "the inputs must have the same rank", shapes, 0, j)
    if not -rank <= axis < rank:
        raise SpecError(f"{layer}: axis {axis} is out of range for {rank}-D inputs. Received: axis={axis}, "
                        f"input 0 {_fmt(shapes[0])}")
    at = axis % rank
    for d in range(rank):
        if d == at:
            continue
        first = None
        for j, shape in enumerate(shapes):
            if shape[d] is None:
                continue
            if first is None:
                first = j
            elif shape[d] != shapes[first][d]:
                raise _mismatch(
                    layer, f"the inputs must match on every axis but the concatenation axis {axis} "
                           f"(axis {d}: {shapes[first][d]} and {shape[d]})",
                    shapes, first, j,
                )
    sizes = [shape[at] for shape in shapes]
    total = None if None in sizes else sum(sizes)  # type: ignore[arg-type]
    return tuple(total if d == at else size for d, size in enumerate(shapes[0]))


def dot_axes(*, axes: int | tuple[int, int], ranks: tuple[int, int]) -> tuple[int, int]:
    """The two contracted axes of ``keras.layers.Dot(axes)`` as non-negative indices.

    An int names the same axis of both inputs (counted from the end of each when negative).
    """
    pair = (axes, axes) if isinstance(axes, int) else axes
    return pair[0] % ranks[0], pair[1] % ranks[1]


def dot_output_shape(*, shapes: Sequence[KShape], axes: int | tuple[int, int], layer: str = "Dot") -> KShape:
    """Output of ``keras.layers.Dot(axes)`` on (x, y): a batched dot product over one axis of each.

    Both inputs are at least 2-D, the contracted axes have equal sizes and are not the batch.
    Formula: x's shape without its axis, then y's without the batch and its axis; (batch, 1) when
    nothing else is left.
    """
    _need_inputs(layer, shapes, exactly=2)
    x, y = shapes
    for i, shape in enumerate(shapes):
        if len(shape) < 2:
            raise SpecError(f"{layer}: every input must be at least 2-D (batch, features). "
                            f"Received: input {i} {_fmt(shape)}")
    pair = (axes, axes) if isinstance(axes, int) else axes
    for i, (a, shape) in enumerate(zip(pair, shapes)):
        if not -len(shape) <= a < len(shape):
            raise SpecError(f"{layer}: axes {axes} is out of range for input {i} {_fmt(shape)}")
    ax, ay = dot_axes(axes=axes, ranks=(len(x), len(y)))
    if ax == 0 or ay == 0:
        raise SpecError(f"{layer}: cannot take the dot product over the batch axis 0. Received: axes={axes}")
    if x[ax] != y[ay]:
        raise _mismatch(layer, f"the contracted axes must have the same size (axis {ax}: {x[ax]}, axis {ay}: {y[ay]})",
                        shapes, 0, 1)
    same_batch(layer, shapes)
    out = x[:ax] + x[ax + 1:] + y[1:ay] + y[ay + 1:]
    return out if len(out) > 1 else (*out, 1)
