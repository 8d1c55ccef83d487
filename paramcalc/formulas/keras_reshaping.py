"""Keras reshaping layers without weights: ZeroPadding, Cropping, UpSampling, Reshape, Permute, RepeatVector.

Keras shapes, batch first; a ``None`` size stays ``None``.
"""

from __future__ import annotations

from math import prod

from paramcalc.errors import SpecError

KShape = tuple[int | None, ...]


def _fmt(shape: KShape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def padded_length(*, size: int | None, before: int, after: int) -> int | None:
    """Length of one dimension of ``ZeroPadding1D``/``2D``/``3D``.

    Formula: n + before + after.
    """
    return None if size is None else size + before + after


def cropped_length(*, size: int | None, before: int, after: int, layer: str = "Cropping", dim: str = "length") -> int | None:
    """Length of one dimension of ``Cropping1D``/``2D``/``3D``; at least 1 must be left.

    Formula: n − before − after, which must be >= 1.
    """
    if size is None:
        return None
    out = size - before - after
    if out < 1:
        raise SpecError(
            f"{layer}: the cropping must leave at least 1 of the {dim} ({size} - {before} - {after} = {out}). "
            f"Received: cropping=({before}, {after}), {dim}={size}"
        )
    return out


def upsampled_length(*, size: int | None, factor: int) -> int | None:
    """Length of one dimension of ``UpSampling1D``/``2D``/``3D``: each value repeated ``factor`` times.

    Formula: n·factor.
    """
    return None if size is None else size * factor


def reshape_output_shape(*, input_shape: KShape, target_shape: tuple[int, ...], layer: str = "Reshape") -> KShape:
    """Output of ``keras.layers.Reshape(target_shape)``: the batch, then ``target_shape``.

    One entry may be −1: it takes what is left, (product of the input's sizes) / (product of the
    others), which must divide evenly. With a None among the input's sizes the −1 stays None.
    Formula: prod(input[1:]) = prod(target_shape).
    """
    rest = input_shape[1:]
    if None in rest:
        return (input_shape[0], *(None if d == -1 else d for d in target_shape))
    size = prod(rest)  # type: ignore[arg-type]
    known = prod(d for d in target_shape if d != -1)
    if -1 not in target_shape:
        if known != size:
            raise SpecError(
                f"{layer}: the total size must stay the same ({size} values in, {known} out). "
                f"Received: input_shape={_fmt(input_shape)}, target_shape={target_shape}"
            )
        return (input_shape[0], *target_shape)
    if known == 0 or size % known:
        raise SpecError(
            f"{layer}: the {size} values of the input do not divide into the target's other sizes ({known}). "
            f"Received: input_shape={_fmt(input_shape)}, target_shape={target_shape}"
        )
    return (input_shape[0], *(size // known if d == -1 else d for d in target_shape))


def permute_output_shape(*, input_shape: KShape, dims: tuple[int, ...], layer: str = "Permute") -> KShape:
    """Output of ``keras.layers.Permute(dims)``: the batch, then the input's axes in the order ``dims`` (from 1).

    Formula: out[i] = input[dims[i − 1]].
    """
    if len(input_shape) != len(dims) + 1:
        raise SpecError(
            f"{layer}: dims {dims} permutes {len(dims)} axes, so the input must be {len(dims) + 1}-D. "
            f"Received: input_shape={_fmt(input_shape)}"
        )
    return (input_shape[0], *(input_shape[d] for d in dims))


def repeat_vector_output_shape(*, input_shape: KShape, n: int, layer: str = "RepeatVector") -> KShape:
    """Output of ``keras.layers.RepeatVector(n)`` on (batch, features): (batch, n, features)."""
    if len(input_shape) != 2:
        raise SpecError(f"{layer}: expected a 2-D input (batch, features). Received: input_shape={_fmt(input_shape)}")
    return (input_shape[0], n, input_shape[1])
