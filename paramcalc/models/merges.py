"""Joining outputs: the shape rules of a residual add, a parallel entry's branches and a merge entry.

Element-wise joins (add, subtract, multiply, average, maximum, minimum) broadcast as torch and Keras's
merge layers do: sizes must match, or one be 1. ``concat`` joins along one axis; every other axis must
match. A shape that cannot be joined is a :class:`~paramcalc.errors.ModelError` naming both entries
and both shapes.
"""

from __future__ import annotations

from paramcalc.errors import ModelError

Shape = tuple[int, ...]


def broadcast(shapes: list[Shape | None], what: str) -> Shape | None:
    """The shape of outputs added together (a residual shortcut, parallel branches), broadcast as torch does."""
    if any(s is None for s in shapes):
        return None
    rank = max(len(s) for s in shapes)  # type: ignore[arg-type]
    out = []
    for i in range(rank):
        dims = {s[i - rank + len(s)] for s in shapes if i - rank + len(s) >= 0} - {1}  # type: ignore[arg-type]
        if len(dims) > 1:
            raise ModelError(f"{what}: cannot add outputs of shapes {', '.join(str(s) for s in shapes)}")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


_VERB = {"add": "add", "subtract": "subtract", "multiply": "multiply", "average": "average",
         "maximum": "take the maximum of", "minimum": "take the minimum of", "concat": "concatenate"}


def merge_shapes(kind: str, named: list[tuple[str, Shape | None]], axis: int, where: str) -> Shape | None:
    """The shape of outputs joined by ``kind``: element by element with broadcasting (as torch and
    Keras's merge layers do), or concatenated along ``axis`` (the caller's: the framework's channel
    axis unless the file gives one).

    Raises:
        ModelError: the shapes cannot be joined; the message names both entries and both shapes.
    """
    if any(shape is None for _, shape in named):
        return None
    first_name, first = named[0]
    assert first is not None
    if kind != "concat":
        rank = max(len(shape) for _, shape in named)  # type: ignore[arg-type]
        out = [1] * (rank - len(first)) + list(first)
        for name, shape in named[1:]:
            padded = [1] * (rank - len(shape)) + list(shape)  # type: ignore[arg-type]
            for i, (a, b) in enumerate(zip(out, padded)):
                if a is None or b is None:  # a size not known yet (Keras's None) stays unknown
                    out[i] = None
                    continue
                if a != b and 1 not in (a, b):
                    raise ModelError(
                        f"{where}: cannot {_VERB[kind]} {first_name} {first} and {name} {shape}: "
                        f"axis {i - rank} is {a} in one and {b} in the other (sizes must match, or one be 1)"
                    )
                out[i] = b if a == 1 else a
        return tuple(out)
    rank = len(first)
    position = axis
    if not -rank <= position < rank:
        raise ModelError(
            f"{where}: concat axis {position} is out of range for outputs of rank {rank}, such as {first_name} {first}"
        )
    position %= rank
    total: int | None = 0
    for name, shape in named:
        assert shape is not None
        if len(shape) != rank:
            raise ModelError(f"{where}: cannot concatenate {first_name} {first} and {name} {shape}: they differ in rank")
        for i, (a, b) in enumerate(zip(first, shape)):
            if i != position and a != b and a is not None and b is not None:
                raise ModelError(
                    f"{where}: cannot concatenate {first_name} {first} and {name} {shape} along axis {position}: "
                    f"axis {i} is {a} in one and {b} in the other (every other axis must match)"
                )
        total = None if total is None or shape[position] is None else total + shape[position]
    return tuple(total if i == position else d for i, d in enumerate(first))
