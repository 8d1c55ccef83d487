"""Bounded hypothesis strategies for Keras layers: arguments by Keras's names and input shapes,
batch first, with ``None`` for sizes not known yet.

Each strategy draws a :class:`KCase`; with ``loose=True`` an argument or a dimension now and then
strays out of what Keras accepts (a mismatched size, an axis out of range, a wrong rank), so the
tests see both sides refuse the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

KShape = tuple[Any, ...]

ELEMENTWISE = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")


@dataclass(frozen=True)
class KCase:
    """One Keras layer (class name and arguments) and the shapes of the inputs it is called on."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    shapes: tuple[KShape, ...] = ()


def _size(draw: Any, lo: int = 1, hi: int = 5, none: bool = True) -> Any:
    if none and draw(st.integers(0, 5)) == 0:
        return None
    return draw(st.integers(lo, hi))


def _stray(draw: Any, loose: bool) -> bool:
    return loose and draw(st.integers(0, 5)) == 0


@st.composite
def elementwise_cases(draw: Any, loose: bool = False) -> KCase:
    """Inputs that broadcast: one shape, each input keeping its last dimensions with some set to 1."""
    name = draw(st.sampled_from(ELEMENTWISE))
    rank = draw(st.integers(1, 4))
    base = [draw(st.integers(2, 5)) for _ in range(rank)]
    batch = draw(st.sampled_from([None, 2]))
    n = 2 if name == "Subtract" else draw(st.integers(1, 4))
    if _stray(draw, loose):
        n = draw(st.integers(1, 3))
    shapes = []
    for _ in range(n):
        keep = draw(st.integers(0, rank))
        dims = []
        for d in base[rank - keep:]:
            choice = draw(st.integers(0, 6))
            dims.append(1 if choice == 0 else None if choice == 1 else d)
            if _stray(draw, loose):
                dims[-1] = draw(st.integers(2, 6))
        b = batch if draw(st.booleans()) or batch is None else None
        if _stray(draw, loose):
            b = 3
        shapes.append((b, *dims))
    return KCase(name, {}, tuple(shapes))


@st.composite
def concatenate_cases(draw: Any, loose: bool = False) -> KCase:
    """Inputs of one rank that differ on the concatenation axis only."""
    rank = draw(st.integers(2, 4))
    axis = draw(st.integers(-rank, rank - 1))
    if _stray(draw, loose):
        axis = draw(st.sampled_from([rank, -rank - 1]))
    base = [draw(st.sampled_from([None, 2]))] + [draw(st.integers(1, 5)) for _ in range(rank - 1)]
    shapes = []
    for _ in range(draw(st.integers(1, 4))):
        dims = list(base)
        if -rank <= axis < rank:
            dims[axis] = _size(draw)
        for d in range(rank):
            if draw(st.integers(0, 7)) == 0:
                dims[d] = None
            if _stray(draw, loose):
                dims[d] = draw(st.integers(1, 6))
        if _stray(draw, loose):
            dims.append(2)
        shapes.append(tuple(dims))
    return KCase("Concatenate", {"axis": axis}, tuple(shapes))


@st.composite
def dot_cases(draw: Any, loose: bool = False) -> KCase:
    """Two inputs whose contracted axes match."""
    rx, ry = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    batch = draw(st.sampled_from([None, 2]))
    x = [batch] + [draw(st.integers(1, 5)) for _ in range(rx - 1)]
    y = [batch] + [draw(st.integers(1, 5)) for _ in range(ry - 1)]
    ax, ay = draw(st.integers(1, rx - 1)), draw(st.integers(1, ry - 1))
    if draw(st.booleans()):
        ax -= rx
    if draw(st.booleans()):
        ay -= ry
    y[ay] = x[ax]
    axes: Any = (ax, ay)
    if ax % rx == ay % ry and draw(st.booleans()):
        axes = ax % rx
    elif ax < 0 and ay < 0 and draw(st.booleans()):
        axes = -1
        x[-1] = y[-1]
    if _stray(draw, loose):
        axes = draw(st.sampled_from([0, (0, 1), rx, (1, -ry - 1)]))
    if _stray(draw, loose):
        y[-1] = draw(st.integers(1, 6))
    if _stray(draw, loose):
        x = x[:1]
    if _stray(draw, loose):
        y[0] = 3
    return KCase("Dot", {"axes": axes, "normalize": draw(st.booleans())}, (tuple(x), tuple(y)))


def _image(draw: Any, nd: int, channels: Any, channels_first: bool, lo: int = 1, hi: int = 9) -> KShape:
    spatial = [_size(draw, lo, hi) for _ in range(nd)]
    batch = draw(st.sampled_from([None, 2]))
    return (batch, channels, *spatial) if channels_first else (batch, *spatial, channels)


@st.composite
def depthwise_cases(draw: Any, loose: bool = False) -> KCase:
    """DepthwiseConv1D/2D and SeparableConv1D/2D over small inputs (kernels that may not fit, in loose mode)."""
    kind = draw(st.sampled_from(["Depthwise", "Separable"]))
    nd = draw(st.integers(1, 2))
    kwargs: dict[str, Any] = {
        "kernel_size": tuple(draw(st.integers(1, 4)) for _ in range(nd)),
        "strides": tuple(draw(st.integers(1, 3)) for _ in range(nd)),
        "padding": draw(st.sampled_from(["valid", "same"])),
        "dilation_rate": tuple(draw(st.integers(1, 2)) for _ in range(nd)),
        "depth_multiplier": draw(st.integers(1, 3)),
        "use_bias": draw(st.booleans()),
    }
    if kind == "Separable":
        kwargs["filters"] = draw(st.integers(1, 6))
    first = nd == 2 and draw(st.integers(0, 4)) == 0
    if first:
        kwargs["data_format"] = "channels_first"
    if draw(st.integers(0, 9)) == 0:
        kwargs["trainable"] = False
    channels = draw(st.integers(1, 5))
    if _stray(draw, loose):
        channels = None
    shape = _image(draw, nd, channels, first, lo=1 if loose else 4)
    if _stray(draw, loose):
        shape = shape[:-1]
    return KCase(f"{kind}Conv{nd}D", kwargs, (shape,))


@st.composite
def reshaping_cases(draw: Any, loose: bool = False) -> KCase:
    """ZeroPadding, Cropping, UpSampling (1-D to 3-D), Reshape, Permute and RepeatVector."""
    kind = draw(st.sampled_from(["ZeroPadding", "Cropping", "UpSampling", "Reshape", "Permute", "RepeatVector"]))
    if kind in ("ZeroPadding", "Cropping", "UpSampling"):
        nd = draw(st.integers(1, 3))
        first = not (nd == 1 and kind != "ZeroPadding") and draw(st.integers(0, 3)) == 0
        kwargs: dict[str, Any] = {"data_format": "channels_first"} if first else {}
        if kind == "UpSampling":
            kwargs["size"] = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        else:
            pairs = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(nd))
            kwargs["padding" if kind == "ZeroPadding" else "cropping"] = pairs[0] if nd == 1 else pairs
        shape = _image(draw, nd, draw(st.integers(1, 4)), first, lo=1 if loose or kind != "Cropping" else 7)
        if _stray(draw, loose):
            shape = (*shape, 2)
        return KCase(f"{kind}{nd}D", kwargs, (shape,))
    batch = draw(st.sampled_from([None, 2]))
    if kind == "RepeatVector":
        shape = (batch, _size(draw))
        if _stray(draw, loose):
            shape = (*shape, 3)
        return KCase(kind, {"n": draw(st.integers(1, 5))}, (shape,))
    rest = [_size(draw) for _ in range(draw(st.integers(1, 3)))]
    if kind == "Permute":
        dims = draw(st.permutations(range(1, len(rest) + 1)))
        if _stray(draw, loose):
            dims = [*dims, len(dims) + 1]
        return KCase(kind, {"dims": tuple(dims)}, ((batch, *rest),))
    known = [d or 2 for d in rest]
    total = 1
    for d in known:
        total *= d
    target = [total] if draw(st.booleans()) else [1, total]
    if total % 2 == 0 and draw(st.booleans()):
        target = [2, total // 2]
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    if _stray(draw, loose):
        target[0] += 1
    return KCase(kind, {"target_shape": tuple(target)}, ((batch, *rest),))


@st.composite
def elementwise_layer_cases(draw: Any, loose: bool = False) -> KCase:
    """Activations, PReLU, the scaling layers and global pooling on small inputs."""
    kind = draw(st.sampled_from(["ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU", "Normalization",
                                 "UnitNormalization", "Rescaling", "GlobalMaxPooling", "GlobalAveragePooling"]))
    batch = draw(st.sampled_from([None, 2]))
    if kind.startswith("Global"):
        nd = draw(st.integers(1, 3))
        first = draw(st.integers(0, 3)) == 0
        kwargs: dict[str, Any] = {"keepdims": draw(st.booleans())}
        if first:
            kwargs["data_format"] = "channels_first"
        shape = _image(draw, nd, draw(st.integers(1, 4)), first)
        if _stray(draw, loose):
            shape = shape[:-1]
        return KCase(f"{kind}{nd}D", kwargs, (shape,))
    rank = draw(st.integers(1, 4))
    shape = (batch, *(_size(draw) for _ in range(rank)))
    axes = st.integers(-(rank + 1), rank) if not loose else st.integers(-(rank + 3), rank + 2)
    if kind == "ReLU":
        kwargs = {"max_value": draw(st.sampled_from([None, 6.0, 1])), "negative_slope": draw(st.sampled_from([0.0, 0.1])),
                  "threshold": draw(st.sampled_from([0.0, 0.5]))}
    elif kind == "LeakyReLU":
        kwargs = {"negative_slope": draw(st.sampled_from([0.3, 0.01, 1]))}
    elif kind == "ELU":
        kwargs = {"alpha": draw(st.sampled_from([1.0, 0.5]))}
    elif kind in ("Softmax", "UnitNormalization"):
        kwargs = {"axis": draw(st.one_of(axes, st.lists(axes, min_size=1, max_size=2).map(tuple)))}
    elif kind == "PReLU":
        shared = draw(st.lists(st.integers(-rank + 1 if not loose else -rank - 1, rank + (1 if loose else 0)),
                               max_size=rank, unique=True))
        kwargs = {"shared_axes": tuple(shared)} if shared else {}
        if not loose:  # alpha needs the sizes it does not share
            shape = (batch, *(2 if d is None else d for d in shape[1:]))
    elif kind == "Normalization":
        axis = draw(st.one_of(st.none(), axes, st.lists(axes, min_size=1, max_size=2, unique=True).map(tuple)))
        kwargs = {"axis": axis}
        if draw(st.integers(0, 4)) == 0:
            kwargs.update(mean=0.5, variance=2.0)
        if not loose:
            shape = (batch, *(2 if d is None else d for d in shape[1:]))
    else:
        c = shape[-1] or 3
        kwargs = {"scale": draw(st.sampled_from([0.5, 2, (1.0,) * c])), "offset": draw(st.sampled_from([0.0, -1]))}
        if _stray(draw, loose):
            kwargs["scale"] = (1.0,) * (c + 1)
    return KCase(kind, kwargs, (shape,))


@st.composite
def conv_lstm_cases(draw: Any, loose: bool = False) -> KCase:
    """ConvLSTM1D/2D over (batch, time, *spatial, channels)."""
    nd = draw(st.integers(1, 2))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    kwargs: dict[str, Any] = {
        "filters": draw(st.integers(1, 4)), "kernel_size": tuple(draw(st.integers(1, 3)) for _ in range(nd)),
        "strides": strides, "padding": draw(st.sampled_from(["valid", "same"])),
        "use_bias": draw(st.booleans()), "return_sequences": draw(st.booleans()), "return_state": draw(st.booleans()),
    }
    if max(strides) == 1:
        kwargs["dilation_rate"] = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    first = draw(st.integers(0, 3)) == 0
    if first:
        kwargs["data_format"] = "channels_first"
    step = _image(draw, nd, draw(st.integers(1, 3)), first, lo=1 if loose else 5)
    if not loose:
        step = tuple(d if d is not None or i == 0 else 4 for i, d in enumerate(step))
    return KCase(f"ConvLSTM{nd}D", kwargs, ((step[0], _size(draw), *step[1:]),))


@st.composite
def time_distributed_cases(draw: Any, loose: bool = False) -> KCase:
    """TimeDistributed around a layer the reference knows, on (batch, time, *rest)."""
    inner = draw(st.one_of(depthwise_cases(loose), reshaping_cases(loose), elementwise_layer_cases(loose),
                           st.builds(lambda u, b, f: KCase("Dense", {"units": u, "use_bias": b}, ((None, f),)),
                                     st.integers(1, 5), st.booleans(), st.integers(1, 5))))
    (shape,) = inner.shapes
    layer = {"type": inner.name, **inner.kwargs}
    return KCase("TimeDistributed", {"layer": layer}, ((shape[0], _size(draw), *shape[1:]),))


@st.composite
def transpose_and_group_norm_cases(draw: Any, loose: bool = False) -> KCase:
    """Conv1DTranspose–Conv3DTranspose, GroupNormalization and Flatten."""
    kind = draw(st.sampled_from(["Transpose", "GroupNormalization", "Flatten"]))
    batch = draw(st.sampled_from([None, 2]))
    if kind == "Flatten":
        return KCase("Flatten", {}, ((batch, *(_size(draw) for _ in range(draw(st.integers(0, 3))))),))
    if kind == "GroupNormalization":
        rank = draw(st.integers(2, 4))
        axis = draw(st.integers(-rank, rank - 1)) if loose else draw(st.sampled_from([-1, 1]))
        groups = draw(st.sampled_from([1, 2, 3, -1]))
        shape = [batch, *(_size(draw) for _ in range(rank - 1))]
        if not loose:
            shape[axis] = (groups if groups > 0 else 1) * draw(st.integers(1, 3))
        kwargs = {"groups": groups, "axis": axis, "center": draw(st.booleans()), "scale": draw(st.booleans())}
        return KCase(kind, kwargs, (tuple(shape),))
    nd = draw(st.integers(1, 3))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    kwargs: dict[str, Any] = {"filters": draw(st.integers(1, 4)), "kernel_size": tuple(draw(st.integers(1, 4)) for _ in range(nd)),
                              "strides": strides, "padding": draw(st.sampled_from(["valid", "same"])),
                              "use_bias": draw(st.booleans())}
    if max(strides) == 1:
        kwargs["dilation_rate"] = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    if draw(st.booleans()):
        kwargs["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in strides)
    first = nd > 1 and draw(st.integers(0, 3)) == 0
    if first:
        kwargs["data_format"] = "channels_first"
    channels = None if _stray(draw, loose) else draw(st.integers(1, 4))
    return KCase(f"Conv{nd}DTranspose", kwargs, (_image(draw, nd, channels, first),))


def merge_cases(loose: bool = False) -> st.SearchStrategy[KCase]:
    """Any merge layer's case."""
    return st.one_of(elementwise_cases(loose), concatenate_cases(loose), dot_cases(loose))
