"""The Keras 3 layers, derived another way: weights as Keras's ``build`` creates them, shapes by
walking the input.

A spec is read as data (its ``type`` tag, ``"keras.Add"``, and its attributes). The weights are
listed by their paths without the layer's name, with their shapes and whether they train; the
output shapes are found by following what the layer does to each axis of the input (a merge
lines its inputs up axis by axis, a padding adds to each side, an upsampling repeats). Nothing
here imports the formulas or the specs.
"""

from __future__ import annotations

from typing import Any, Callable

from paramcalc.errors import SpecError
from paramcalc.reference.keras_windows import (
    DEPTHWISE,
    GLOBAL,
    TRANSPOSED,
    conv_lstm_shapes,
    conv_lstm_weights,
    depthwise_shapes,
    depthwise_weights,
    edges,
    global_pool,
    transpose_shapes,
    transpose_weights,
    refuse,
    upsampling,
)
from paramcalc.results import Tensor

KShape = tuple[Any, ...]

__all__ = ["output_shapes", "param_tensors", "count_params"]


# -- Merges -------------------------------------------------------------------------------------


def _batch(spec: Any, shapes: list[KShape]) -> Any:
    known = {s[0] for s in shapes if s[0] is not None}
    if len(known) > 1:
        raise refuse(spec, "different batch sizes")
    return known.pop() if known else None


def _elementwise(spec: Any, *shapes: KShape) -> dict[str, KShape]:
    shapes_ = [tuple(s) for s in shapes]
    if not shapes_ or any(len(s) == 0 for s in shapes_):
        raise refuse(spec, "needs inputs with a batch dimension")
    if spec.type == "keras.Subtract" and len(shapes_) != 2:
        raise refuse(spec, "exactly 2 inputs")
    batch = _batch(spec, shapes_)
    width = max(len(s) - 1 for s in shapes_)
    out = []
    for back in range(width, 0, -1):  # the axis `back` places from the end, in every input that has it
        sizes = [s[-back] for s in shapes_ if len(s) - 1 >= back]
        if None in sizes:
            out.append(None)
            continue
        big = {d for d in sizes if d != 1}
        if len(big) > 1:
            raise refuse(spec, f"sizes {sorted(big)} do not broadcast")
        out.append(big.pop() if big else 1)
    return {"output": (batch, *out)}


def _concatenate(spec: Any, *shapes: KShape) -> dict[str, KShape]:
    shapes_ = [tuple(s) for s in shapes]
    if not shapes_ or len({len(s) for s in shapes_}) != 1 or not shapes_[0]:
        raise refuse(spec, "inputs of one rank with a batch dimension")
    rank = len(shapes_[0])
    if spec.axis >= rank or spec.axis < -rank:
        raise refuse(spec, "axis out of range")
    at = spec.axis + rank if spec.axis < 0 else spec.axis
    out = list(shapes_[0])
    for d in range(rank):
        column = [s[d] for s in shapes_]
        if d == at:
            out[d] = None if None in column else sum(column)
        elif len({c for c in column if c is not None}) > 1:
            raise refuse(spec, f"sizes {column} on axis {d}")
    return {"output": tuple(out)}


def _dot(spec: Any, *shapes: KShape) -> dict[str, KShape]:
    if len(shapes) != 2:
        raise refuse(spec, "exactly 2 inputs")
    x, y = (tuple(s) for s in shapes)
    if len(x) < 2 or len(y) < 2:
        raise refuse(spec, "inputs of at least 2 dimensions")
    pair = spec.axes if isinstance(spec.axes, tuple) else (spec.axes, spec.axes)
    picked = []
    for a, s in zip(pair, (x, y)):
        if a >= len(s) or a < -len(s):
            raise refuse(spec, "axes out of range")
        picked.append(a + len(s) if a < 0 else a)
    if 0 in picked:
        raise refuse(spec, "the batch axis")
    if x[picked[0]] != y[picked[1]]:
        raise refuse(spec, "contracted sizes differ")
    _batch(spec, [x, y])
    kept = [d for i, d in enumerate(x) if i != picked[0]] + [d for i, d in enumerate(y) if i not in (0, picked[1])]
    if len(kept) == 1:
        kept.append(1)
    return {"output": tuple(kept)}


# -- Reshaping ------------------------------------------------------------------------------------


def _reshape(spec: Any, x: KShape) -> dict[str, KShape]:
    if not x:
        raise refuse(spec, "no batch dimension")
    target = list(spec.target_shape)
    if None in x[1:]:
        return {"output": (x[0], *(None if d == -1 else d for d in target))}
    values = 1
    for d in x[1:]:
        values *= d
    fixed = 1
    for d in target:
        fixed *= 1 if d == -1 else d
    if -1 in target:
        if fixed == 0 or values % fixed:
            raise refuse(spec, "sizes do not divide")
        target[target.index(-1)] = values // fixed
    elif fixed != values:
        raise refuse(spec, "sizes differ")
    return {"output": (x[0], *target)}


def _permute(spec: Any, x: KShape) -> dict[str, KShape]:
    if len(x) != len(spec.dims) + 1:
        raise refuse(spec, "rank")
    by_new_place = sorted(zip(range(len(spec.dims)), spec.dims))
    return {"output": (x[0], *(x[old] for _, old in by_new_place))}


def _repeat(spec: Any, x: KShape) -> dict[str, KShape]:
    if len(x) != 2:
        raise refuse(spec, "a 2-D input")
    return {"output": (x[0], spec.n, x[1])}


_RESHAPING = {
    **{f"keras.ZeroPadding{n}D": (lambda spec, x: edges(spec, x, True)) for n in (1, 2, 3)},
    **{f"keras.Cropping{n}D": (lambda spec, x: edges(spec, x, False)) for n in (1, 2, 3)},
    **{f"keras.UpSampling{n}D": upsampling for n in (1, 2, 3)},
    "keras.Reshape": _reshape, "keras.Permute": _permute, "keras.RepeatVector": _repeat,
}


# -- Global pooling, activations, scaling ---------------------------------------------------------


def _in_range(spec: Any, x: KShape, axes: Any) -> None:
    for a in axes if isinstance(axes, tuple) else (axes,):
        if a not in range(-len(x), len(x)):
            raise refuse(spec, "axis out of range")


def _same_shape(spec: Any, x: KShape) -> dict[str, KShape]:
    if not x:
        raise refuse(spec, "no input")
    if spec.type in ("keras.Softmax", "keras.UnitNormalization"):
        _in_range(spec, x, spec.axis)
    if spec.type == "keras.Rescaling":
        for value in (spec.scale, spec.offset):
            if isinstance(value, tuple) and len(value) != 1 and x[-1] is not None and x[-1] != len(value):
                raise refuse(spec, "scale or offset does not match the last axis")
    if spec.type == "keras.PReLU":
        _alpha(spec, x)
    if spec.type == "keras.Normalization":
        _kept(spec, x)
    return {"output": tuple(x)}


def _alpha(spec: Any, x: KShape) -> tuple[int, ...]:
    """PReLU's alpha: one slope per position of every axis but the batch; a shared axis holds one."""
    if len(x) < 2:
        raise refuse(spec, "needs 2 dimensions")
    per_axis = {axis: x[axis] for axis in range(1, len(x))}
    for i in spec.shared_axes or ():
        position = i - 1 if i >= 1 else i - 1 + (len(x) - 1)  # Keras indexes alpha's shape with i - 1
        if position not in range(len(x) - 1):
            raise refuse(spec, "shared axis out of range")
        per_axis[position + 1] = 1
    if None in per_axis.values():
        raise refuse(spec, "an unknown size in alpha")
    return tuple(per_axis[axis] for axis in sorted(per_axis))


def _prelu_weights(spec: Any, x: KShape) -> list[Tensor]:
    return [Tensor("alpha", _alpha(spec, x))]


def _kept(spec: Any, x: KShape) -> tuple[int, ...]:
    """Normalization's statistics shape: the sizes of the axes it keeps, in order."""
    axes = () if spec.axis is None else spec.axis if isinstance(spec.axis, tuple) else (spec.axis,)
    _in_range(spec, x, axes)
    keep = [a + len(x) if a < 0 else a for a in axes]
    if len(set(keep)) < len(keep):
        raise refuse(spec, "an axis twice")
    sizes = tuple(x[a] for a in sorted(keep))
    if None in sizes:
        raise refuse(spec, "an unknown kept size")
    return sizes


def _normalization_weights(spec: Any, x: KShape) -> list[Tensor]:
    kept = _kept(spec, x)
    if spec.mean is not None:
        return []
    return [Tensor(name, shape, "non_trainable") for name, shape in (("mean", kept), ("variance", kept), ("count", ()))]


_PLAIN = ("ReLU", "LeakyReLU", "ELU", "Softmax", "UnitNormalization", "Rescaling")


# -- Dense, ConvLSTM, TimeDistributed ---------------------------------------------------------------


def _dense_shapes(spec: Any, x: KShape) -> dict[str, KShape]:
    if len(x) < 2 or x[-1] is None:
        raise refuse(spec, "known features")
    return {"output": (*x[:-1], spec.units)}


def _dense_weights(spec: Any, x: KShape) -> list[Tensor]:
    _dense_shapes(spec, x)
    return [Tensor("kernel", (x[-1], spec.units))] + ([Tensor("bias", (spec.units,))] if spec.use_bias else [])


def _snake(name: str) -> str:
    """Keras's default layer name: a word break before a capital that starts a lowercase run, or
    that follows a lowercase letter."""
    out = []
    for i, ch in enumerate(name):
        before = name[i - 1] if i else ""
        after = name[i + 1] if i + 1 < len(name) else ""
        if ch.isupper() and i and (before.islower() or after.islower()):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _inner(spec: Any, x: KShape) -> KShape:
    if len(x) < 3:
        raise refuse(spec, "at least 3 dimensions")
    return (x[0], *x[2:])


def _time_distributed_shapes(spec: Any, x: KShape) -> dict[str, KShape]:
    outs = output_shapes(spec.layer, _inner(spec, x))
    if len(outs) != 1:
        raise refuse(spec, "one output")
    (out,) = outs.values()
    return {"output": (out[0], x[1], *out[1:])}


def _time_distributed_weights(spec: Any, x: KShape) -> list[Tensor]:
    prefix = _snake(spec.layer.type.removeprefix("keras.")) + "/"
    return [Tensor(prefix + t.name, t.shape, t.kind) for t in param_tensors(spec.layer, _inner(spec, x))]


# -- Transposed convolutions, GroupNormalization, Flatten ------------------------------------------


def _group_channels(spec: Any, x: KShape) -> int:
    if spec.axis not in range(-len(x), len(x)):
        raise refuse(spec, "axis out of range")
    channels = x[spec.axis]
    if channels is None:
        raise refuse(spec, "unknown channels")
    groups = channels if spec.groups == -1 else spec.groups
    if not 0 < groups <= channels or channels % groups:
        raise refuse(spec, "groups do not split the channels")
    return channels


def _group_norm_shapes(spec: Any, x: KShape) -> dict[str, KShape]:
    _group_channels(spec, x)
    return {"output": tuple(x)}


def _group_norm_weights(spec: Any, x: KShape) -> list[Tensor]:
    c = _group_channels(spec, x)
    return [Tensor(name, (c,)) for name, on in (("gamma", spec.scale), ("beta", spec.center)) if on]


def _flatten(spec: Any, x: KShape) -> dict[str, KShape]:
    if not x:
        raise refuse(spec, "no batch dimension")
    values: Any = 1
    for d in x[1:]:
        values = None if d is None or values is None else values * d
    return {"output": (x[0], values)}


_MERGES = {f"keras.{n}": _elementwise for n in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")}
_MERGES["keras.Concatenate"] = _concatenate
_MERGES["keras.Dot"] = _dot

#: Output shapes by type tag.
SHAPES: dict[str, Callable[..., dict[str, KShape]]] = {
    **_MERGES, **_RESHAPING, **dict.fromkeys(DEPTHWISE, depthwise_shapes), **dict.fromkeys(GLOBAL, global_pool),
    **{f"keras.{n}": _same_shape for n in (*_PLAIN, "PReLU", "Normalization")},
    "keras.Dense": _dense_shapes, "keras.ConvLSTM1D": conv_lstm_shapes, "keras.ConvLSTM2D": conv_lstm_shapes,
    "keras.TimeDistributed": _time_distributed_shapes, **dict.fromkeys(TRANSPOSED, transpose_shapes),
    "keras.GroupNormalization": _group_norm_shapes, "keras.Flatten": _flatten,
}
#: Weights by type tag (layers without weights are absent from it and from nothing else).
TENSORS: dict[str, Callable[..., list[Tensor]]] = {
    **dict.fromkeys(DEPTHWISE, depthwise_weights), "keras.PReLU": _prelu_weights,
    "keras.Normalization": _normalization_weights, "keras.Dense": _dense_weights,
    "keras.ConvLSTM1D": conv_lstm_weights, "keras.ConvLSTM2D": conv_lstm_weights,
    "keras.TimeDistributed": _time_distributed_weights, **dict.fromkeys(TRANSPOSED, transpose_weights),
    "keras.GroupNormalization": _group_norm_weights,
}
#: The layers that create no weights.
NO_WEIGHTS = frozenset(_MERGES) | frozenset(_RESHAPING) | frozenset(GLOBAL) | {f"keras.{n}" for n in _PLAIN} | {
    "keras.Flatten"}


def param_tensors(spec: Any, *shapes: KShape) -> list[Tensor]:
    """The weights Keras creates for ``spec`` built on ``shapes``: paths without the layer's name."""
    if spec.type in NO_WEIGHTS:
        return []
    make = TENSORS.get(spec.type)
    if make is None:
        raise SpecError(f"{spec.type}: the Keras reference does not know this layer")
    tensors = make(spec, *shapes)
    if not getattr(spec, "trainable", True):
        tensors = [Tensor(t.name, t.shape, "non_trainable", t.description) for t in tensors]
    return tensors


def count_params(spec: Any, *shapes: KShape) -> tuple[int, int]:
    """(trainable, non-trainable): the sizes of the listed weights, summed by kind."""
    tensors = param_tensors(spec, *shapes)
    trainable = sum(t.numel for t in tensors if t.kind == "trainable")
    return trainable, sum(t.numel for t in tensors) - trainable


def output_shapes(spec: Any, *shapes: KShape) -> dict[str, KShape]:
    """The output shapes of ``spec`` called on inputs of ``shapes`` (batch first, None for unknown)."""
    simulate = SHAPES.get(spec.type)
    if simulate is None:
        raise SpecError(f"{spec.type}: the Keras reference does not know this layer")
    return simulate(spec, *shapes)
