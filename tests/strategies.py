"""Bounded hypothesis strategies: layer constructor arguments and input shapes for every family.

A :class:`Case` holds a layer's constructor arguments, by torch's names, and the shapes of its
forward inputs in torch's order, so the same case builds a paramcalc spec and the real torch.nn
module. Two kinds of strategy per family:

- ``valid_cases(name)``: arguments torch accepts and inputs it runs on (every dependent field
  drawn to fit: groups dividing the channels, inputs large enough for the kernel, ...);
- ``loose_cases(name)``: mostly the same, but each argument and each input dimension sometimes
  strays out of bounds (stride 0, negative padding, a wrong channel count or rank, a kernel larger
  than the padded input, ...), for testing that paramcalc rejects exactly what torch rejects.

Sizes are small so the reference simulation and a real forward pass stay fast. Arguments are
always ints where torch wants ints: paramcalc deliberately rejects booleans and floats there,
which torch sometimes lets through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from paramcalc.specs import TORCH_LAYERS

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Case:
    """One layer and the inputs it is run on."""

    type: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    shapes: tuple[Shape, ...] = ()

    def layer(self) -> dict[str, Any]:
        """The layer as a ``parse_layer`` mapping."""
        return {"type": self.type, **self.kwargs}


class _Draw:
    """Helpers that draw a value in bounds, or (in loose mode, now and then) out of bounds."""

    def __init__(self, draw: Any, loose: bool) -> None:
        self.draw = draw
        self.loose = loose

    def stray(self) -> bool:
        """In loose mode, True about one time in eight."""
        return self.loose and self.draw(st.integers(0, 7)) == 0

    def int(self, lo: int, hi: int, bad: tuple[int, ...] = ()) -> int:
        """An int in [lo, hi], or (loose) one of the ``bad`` values."""
        if bad and self.stray():
            return self.draw(st.sampled_from(bad))
        return self.draw(st.integers(lo, hi))

    def bool(self) -> bool:
        return self.draw(st.booleans())

    def pick(self, values: Any) -> Any:
        return self.draw(st.sampled_from(values))

    def tuple_or_int(self, values: tuple[int, ...]) -> int | tuple[int, ...]:
        """``values`` as a tuple, or as a single int when all are equal (and a coin says so)."""
        if len(set(values)) == 1 and self.bool():
            return values[0]
        return tuple(values)

    def batch(self, core: Shape, *, unbatched: bool = True, zero: bool = True) -> Shape:
        """``core`` with a leading batch dimension (1..3, sometimes 0), or without one."""
        if unbatched and self.draw(st.integers(0, 3)) == 0:
            return core
        n = self.draw(st.integers(0 if zero else 1, 3)) if self.draw(st.integers(0, 5)) == 0 else self.draw(
            st.integers(1, 3)
        )
        return (n, *core)

    def spoil(self, shape: Shape) -> Shape:
        """(loose) Now and then change one dimension, or drop or add one."""
        if not self.stray():
            return shape
        how = self.pick(("dim", "drop", "add"))
        if how == "drop" and shape:
            return shape[1:]
        if how == "add":
            return (self.draw(st.integers(1, 3)), *shape)
        if not shape:
            return shape
        i = self.draw(st.integers(0, len(shape) - 1))
        return (*shape[:i], self.draw(st.integers(0, 6)), *shape[i + 1:])


ND = {"1d": 1, "2d": 2, "3d": 3}


def _nd(name: str) -> int:
    return ND[name[-2:]]


# -- Linear ----------------------------------------------------------------------------------


@st.composite
def linear(draw: Any, loose: bool = False) -> Case:
    d = _Draw(draw, loose)
    in_f, out_f = d.int(0, 8), d.int(0, 8)
    kwargs = {"in_features": in_f, "out_features": out_f, "bias": d.bool()}
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    return Case("Linear", kwargs, (d.spoil((*lead, in_f)),))


@st.composite
def bilinear(draw: Any, loose: bool = False) -> Case:
    """Bilinear: two inputs with the same leading dimensions."""
    d = _Draw(draw, loose)
    i1, i2, out_f = d.int(1, 5, bad=(0,)), d.int(1, 5, bad=(0,)), d.int(0, 5)
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    first, second = (*lead, i1), (*lead, i2)
    if d.bool():
        first = d.spoil(first)
    else:
        second = d.spoil(second)
    return Case("Bilinear", {"in1_features": i1, "in2_features": i2, "out_features": out_f, "bias": d.bool()},
                (first, second))


# -- Convolutions ----------------------------------------------------------------------------


@st.composite
def conv(draw: Any, name: str = "Conv2d", loose: bool = False) -> Case:
    """Conv1d/2d/3d: groups divide both channel counts; the input fits the kernel."""
    d = _Draw(draw, loose)
    nd = _nd(name)
    groups = d.int(1, 3, bad=(0, -1))
    g = max(groups, 1)
    in_c = g * d.int(1, 2)
    out_c = g * d.int(1, 2, bad=(0,))
    if d.stray():
        in_c += 1  # groups no longer divides in_channels (unless groups is 1)
    k = tuple(d.int(1, 3 if nd == 3 else 4, bad=(0,)) for _ in range(nd))
    s = tuple(d.int(1, 3, bad=(0, -1)) for _ in range(nd))
    dil = tuple(d.int(1, 2 if nd == 3 else 3, bad=(0,)) for _ in range(nd))
    mode = d.pick(("zeros", "zeros", "reflect", "replicate", "circular"))
    same = d.draw(st.integers(0, 4)) == 0
    if same and (all(x == 1 for x in s) or loose):
        padding: Any = "same"
        pads = tuple((dd * (kk - 1) - dd * (kk - 1) // 2) for kk, dd in zip(k, dil))  # the larger side
    elif d.draw(st.integers(0, 6)) == 0:
        padding = "valid"
        pads = (0,) * nd
    else:
        pads = tuple(d.int(0, 2, bad=(-1,)) for _ in range(nd))
        padding = d.tuple_or_int(pads)
    spatial = []
    for kk, pp, dd in zip(k, pads, dil):
        need = max(1, dd * (max(kk, 1) - 1) + 1 - 2 * max(pp, 0), max(pp, 0) + 1)
        spatial.append(d.int(need, need + 5 - nd, bad=(0, 1, max(need - 1, 0))))
    kwargs = {
        "in_channels": in_c,
        "out_channels": out_c,
        "kernel_size": d.tuple_or_int(k),
        "stride": d.tuple_or_int(s),
        "padding": padding,
        "dilation": d.tuple_or_int(dil),
        "groups": groups,
        "bias": d.bool(),
        "padding_mode": mode,
    }
    shape = d.batch((in_c, *spatial), zero=True)
    return Case(name, kwargs, (d.spoil(shape),))


@st.composite
def conv_transpose(draw: Any, name: str = "ConvTranspose2d", loose: bool = False) -> Case:
    """ConvTranspose1d/2d/3d: output_padding below stride or dilation; output length >= 1."""
    d = _Draw(draw, loose)
    nd = _nd(name)
    groups = d.int(1, 3, bad=(0,))
    g = max(groups, 1)
    in_c = g * d.int(1, 2, bad=(0,))
    out_c = g * d.int(1, 2, bad=(0,))
    k = tuple(d.int(1, 3 if nd == 3 else 4, bad=(0,)) for _ in range(nd))
    s = tuple(d.int(1, 3, bad=(0,)) for _ in range(nd))
    dil = tuple(d.int(1, 3, bad=(0,)) for _ in range(nd))
    op = tuple(
        d.int(0, max(ss, dd) - 1, bad=(max(ss, dd), -1)) if max(ss, dd) > 1 else d.int(0, 0, bad=(1,))
        for ss, dd in zip(s, dil)
    )
    spatial = tuple(d.int(1, 5 - nd, bad=(0,)) for _ in range(nd))
    pads = []
    for n, kk, ss, dd, oo in zip(spatial, k, s, dil, op):
        full = (max(n, 1) - 1) * max(ss, 1) + max(dd, 1) * (max(kk, 1) - 1) + max(oo, 0)  # output - 1 + 2p
        pads.append(d.int(0, min(2, full // 2), bad=(-1, full // 2 + 1)))
    kwargs = {
        "in_channels": in_c,
        "out_channels": out_c,
        "kernel_size": d.tuple_or_int(k),
        "stride": d.tuple_or_int(s),
        "padding": d.tuple_or_int(tuple(pads)),
        "output_padding": d.tuple_or_int(op),
        "groups": groups,
        "bias": d.bool(),
        "dilation": d.tuple_or_int(dil),
    }
    # An empty batch only in valid cases: torch skips every argument check for an empty input
    # to a transposed convolution (it runs dilation 0 then), while paramcalc refuses such a spec.
    shape = d.spoil(d.batch((in_c, *spatial), zero=not loose))
    if loose and len(shape) == nd + 2 and shape[0] == 0:
        shape = (1, *shape[1:])
    return Case(name, kwargs, (shape,))


# -- Pooling ---------------------------------------------------------------------------------


@st.composite
def pool(draw: Any, name: str = "MaxPool2d", loose: bool = False) -> Case:
    """MaxPool/AvgPool: padding at most half the kernel; the window fits the padded input."""
    d = _Draw(draw, loose)
    nd = _nd(name)
    is_max = name.startswith("Max")
    k = tuple(d.int(1, 4, bad=(0,)) for _ in range(nd))
    stride = None if d.draw(st.integers(0, 3)) == 0 else tuple(d.int(1, 3, bad=(0,)) for _ in range(nd))
    dil = tuple(d.int(1, 3, bad=(0,)) for _ in range(nd)) if is_max else (1,) * nd
    pads = tuple(d.int(0, max(kk, 0) // 2, bad=(-1, max(kk, 0) // 2 + 1)) for kk in k)
    ceil_mode = d.bool()
    spatial = []
    for kk, pp, dd in zip(k, pads, dil):
        need = max(1, dd * (max(kk, 1) - 1) + 1 - 2 * max(pp, 0))
        if name == "AvgPool3d":  # torch's avg_pool3d wants the kernel inside the unpadded input
            need = max(need, kk)
        spatial.append(d.int(need, need + 5 - nd, bad=(0, max(need - 1, 0))))
    kwargs: dict[str, Any] = {
        "kernel_size": d.tuple_or_int(k),
        "stride": None if stride is None else d.tuple_or_int(stride),
        "padding": d.tuple_or_int(pads),
        "ceil_mode": ceil_mode,
    }
    if is_max:
        kwargs["dilation"] = d.tuple_or_int(dil)
        kwargs["return_indices"] = d.bool()
    else:
        kwargs["count_include_pad"] = d.bool()
        if nd > 1 and d.bool():
            kwargs["divisor_override"] = d.pick((1, 2, 5, -3))
    channels = d.int(1, 3, bad=(0,))
    shape = d.batch((channels, *spatial))
    return Case(name, kwargs, (d.spoil(shape),))


@st.composite
def adaptive_pool(draw: Any, name: str = "AdaptiveAvgPool2d", loose: bool = False) -> Case:
    """AdaptiveAvgPool: output_size an int or a tuple whose entries may be None (keep the input's)."""
    d = _Draw(draw, loose)
    nd = _nd(name)
    sizes = tuple(
        d.int(0, 5, bad=(-1,)) if nd == 1 or d.draw(st.integers(0, 3)) else None for _ in range(nd)
    )
    output_size: Any = d.tuple_or_int(sizes) if None not in sizes else sizes
    if nd == 1 and isinstance(output_size, tuple) and d.bool():
        output_size = output_size[0]
    channels = d.int(1, 3, bad=(0,))
    spatial = tuple(d.int(1, 6, bad=(0,)) for _ in range(nd))
    shape = d.batch((channels, *spatial))
    kwargs: dict[str, Any] = {"output_size": output_size}
    if "Max" in name:
        kwargs["return_indices"] = d.bool()
    return Case(name, kwargs, (d.spoil(shape),))


# -- Normalisation ---------------------------------------------------------------------------


@st.composite
def batchnorm(draw: Any, name: str = "BatchNorm2d", loose: bool = False) -> Case:
    """BatchNorm: 2D/3D input for 1d, 4D for 2d, 5D for 3d; more than one value per channel."""
    d = _Draw(draw, loose)
    nd = _nd(name)
    affine, track = d.bool(), d.bool()
    c = d.int(1, 6, bad=(0,))
    kwargs: dict[str, Any] = {
        "num_features": c,
        "eps": d.pick((1e-5, 1e-3, 0.1)),
        "momentum": d.pick((0.1, 0.01, None, 1.0)),
        "affine": affine,
        "track_running_stats": track,
        "bias": d.bool(),  # keyword-only in torch; with affine=False it changes nothing
    }
    rank = d.pick((2, 3)) if nd == 1 else nd + 2
    n = d.int(2, 3, bad=(0, 1))
    spatial = tuple(d.int(1, 3, bad=(0,)) for _ in range(rank - 2))
    return Case(name, kwargs, (d.spoil((n, c, *spatial)),))


@st.composite
def instancenorm(draw: Any, name: str = "InstanceNorm2d", loose: bool = False) -> Case:
    """InstanceNorm: (N, C, *) or unbatched (C, *) with nd spatial dimensions; more than one position."""
    d = _Draw(draw, loose)
    nd = _nd(name)
    affine = d.bool()
    c = d.int(1, 6, bad=(0,))
    kwargs: dict[str, Any] = {
        "num_features": c,
        "eps": d.pick((1e-5, 1e-3, 0.0)),
        "momentum": d.pick((0.1, 0.01, None, 1.0)),
        "affine": affine,
        "track_running_stats": d.bool(),
        "bias": d.bool(),  # keyword-only in torch; with affine=False it changes nothing
    }
    spatial = (d.int(2, 4, bad=(0, 1)), *(d.int(1, 3, bad=(0,)) for _ in range(nd - 1)))
    core = (d.int(1, 6), *spatial) if not affine and d.stray() else (c, *spatial)  # loose: other channels
    return Case(name, kwargs, (d.spoil(d.batch(core, zero=not affine or loose)),))


@st.composite
def local_response_norm(draw: Any, loose: bool = False) -> Case:
    """LocalResponseNorm: size >= 1; an (N, C, *) input of 3 or more dimensions."""
    d = _Draw(draw, loose)
    kwargs = {"size": d.int(1, 5, bad=(0, -1)), "alpha": d.pick((1e-4, 1e-3)), "beta": d.pick((0.75, 0.5)),
              "k": d.pick((1.0, 2.0))}
    shape = tuple(d.int(1, 4) for _ in range(d.int(3, 5)))
    return Case("LocalResponseNorm", kwargs, (d.spoil(shape),))


@st.composite
def layernorm(draw: Any, loose: bool = False) -> Case:
    """LayerNorm: normalized_shape an int or a tuple; the input ends with it."""
    d = _Draw(draw, loose)
    dims = tuple(d.int(1, 4, bad=(0,)) for _ in range(d.int(1, 3)))
    normalized_shape: Any = dims[0] if len(dims) == 1 and d.bool() else dims
    kwargs = {
        "normalized_shape": normalized_shape,
        "eps": d.pick((1e-5, 1e-6, 0.0)),
        "elementwise_affine": d.bool(),
        "bias": d.bool(),
    }
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    return Case("LayerNorm", kwargs, (d.spoil((*lead, *dims)),))


@st.composite
def groupnorm(draw: Any, loose: bool = False) -> Case:
    """GroupNorm: num_groups dividing num_channels; an (N, C, *) input with C = num_channels."""
    d = _Draw(draw, loose)
    g = d.int(1, 3, bad=(0, -1))
    c = d.int(0, 7) if d.stray() else g * d.int(0, 3)  # loose: now and then not a multiple of g
    kwargs: dict[str, Any] = {
        "num_groups": g,
        "num_channels": c,
        "eps": d.pick((1e-5, 1e-3, 0.0)),
        "affine": d.bool(),
        "bias": d.bool(),  # keyword-only in torch; with affine=False it changes nothing
    }
    n = d.int(2, 3, bad=(0, 1))
    spatial = tuple(d.int(1, 3, bad=(0,)) for _ in range(d.int(0, 2)))
    return Case("GroupNorm", kwargs, (d.spoil((n, c, *spatial)),))


# -- Embedding -------------------------------------------------------------------------------


@st.composite
def embedding(draw: Any, loose: bool = False) -> Case:
    """Embedding: padding_idx within [-num_embeddings, num_embeddings); any index shape."""
    d = _Draw(draw, loose)
    num = d.int(1, 20, bad=(0,))
    kwargs: dict[str, Any] = {"num_embeddings": num, "embedding_dim": d.int(0, 8)}
    if num > 0 and d.bool():
        kwargs["padding_idx"] = d.int(-num, num - 1, bad=(num, -num - 1))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    return Case("Embedding", kwargs, (shape,))


@st.composite
def embedding_bag(draw: Any, loose: bool = False) -> Case:
    """EmbeddingBag: a 2-D input (B, N) alone, or a 1-D input with 1-D offsets (and per_sample_weights
    of the input's shape with mode sum); max mode without scale_grad_by_freq or sparse."""
    d = _Draw(draw, loose)
    num = d.int(1, 20)
    mode = d.pick(("sum", "mean", "max"))
    kwargs: dict[str, Any] = {"num_embeddings": num, "embedding_dim": d.int(1, 6), "mode": mode,
                              "max_norm": d.pick((None, 1.0)), "norm_type": d.pick((2.0, 1.0)),
                              "include_last_offset": d.bool()}
    if mode != "max" or d.stray():
        kwargs["scale_grad_by_freq"], kwargs["sparse"] = d.bool(), d.bool()
    if d.bool():
        kwargs["padding_idx"] = d.int(-num, num - 1, bad=(num, -num - 1))
    if d.bool():
        shapes: tuple[Shape, ...] = ((d.int(0, 3), d.int(1, 4, bad=(0,))),)
        if d.stray():
            shapes += ((d.int(0, 3),),)  # offsets with a 2-D input
        return Case("EmbeddingBag", kwargs, (d.spoil(shapes[0]), *shapes[1:]))
    n = d.int(0, 6)
    first = 1 if kwargs["include_last_offset"] else 0
    shapes = ((n,), (d.int(first, 3, bad=(0,)),))
    if mode == "sum" and d.bool() or d.stray():
        shapes += ((n,) if not d.stray() else (n + 1,),)
    if d.stray():
        shapes = shapes[:1]  # a 1-D input without offsets
    shapes = (d.spoil(shapes[0]), *shapes[1:])
    if len(shapes) > 1 and len(shapes[0]) == 1 and shapes[1] == (first,):  # indices in no bag crash torch
        shapes = ((0,), shapes[1], *(((0,),) if len(shapes) > 2 else ()))  # (paramcalc refuses them)
    return Case("EmbeddingBag", kwargs, shapes)


# -- Upsampling ------------------------------------------------------------------------------

UPSAMPLE_MODES = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "area": (3, 4, 5), "linear": (3,),
                  "bilinear": (4,), "bicubic": (4,), "trilinear": (5,)}


@st.composite
def upsample(draw: Any, name: str = "Upsample", loose: bool = False) -> Case:
    """Upsample: size or scale_factor (one per spatial dimension, or one for all), a mode on the
    ranks it takes; UpsamplingNearest2d and UpsamplingBilinear2d fix the mode."""
    d = _Draw(draw, loose)
    mode = {"UpsamplingNearest2d": "nearest", "UpsamplingBilinear2d": "bilinear"}.get(name) or d.pick(tuple(UPSAMPLE_MODES))
    rank = d.pick(UPSAMPLE_MODES[mode])
    nd = rank - 2
    kwargs: dict[str, Any] = {}
    if name == "Upsample":
        kwargs["mode"] = mode
        if mode in ("linear", "bilinear", "bicubic", "trilinear") or d.stray():
            kwargs["align_corners"] = d.pick((None, True, False))
    low = 0 if mode == "area" else 1
    spatial = tuple(d.int(1, 5, bad=(0,)) for _ in range(nd))
    by_size = d.bool()
    if by_size or d.stray():
        sizes = tuple(d.int(low, 5, bad=(0, -1)) for _ in range(nd + (1 if d.stray() else 0)))
        kwargs["size"] = d.tuple_or_int(sizes) if len(sizes) else sizes
    if not by_size or d.stray():
        factors = (0.5, 1.0, 1.5, 2, 2.0, 3, 0.25, 0.7, 1 / 3)  # ⌊n·f⌋ >= 1 (area: >= 0) for the drawn n

        def fitting(lengths: tuple[int, ...]) -> Any:
            return d.pick(tuple(f for f in factors if all(int(max(n, 1) * f) >= low for n in lengths)))

        per_dim = tuple(fitting((n,)) if not d.stray() else d.pick((0.1, 0, -1.0, -0.1)) for n in spatial)
        kwargs["scale_factor"] = fitting(spatial) if d.bool() else per_dim
        if name == "Upsample" and d.bool():
            kwargs["recompute_scale_factor"] = d.pick((None, True, False))
    if name == "Upsample" and "size" in kwargs and d.stray():
        kwargs["recompute_scale_factor"] = True
    shape = (d.int(0, 2) if d.draw(st.integers(0, 4)) == 0 else d.int(1, 2), d.int(1, 3, bad=(0,)), *spatial)
    return Case(name, kwargs, (d.spoil(shape),))


# -- Recurrent -------------------------------------------------------------------------------


@st.composite
def recurrent(draw: Any, name: str = "LSTM", loose: bool = False) -> Case:
    """RNN/LSTM/GRU: stacked, bidirectional, batch_first; LSTM proj_size below hidden_size."""
    d = _Draw(draw, loose)
    in_size = d.int(1, 8, bad=(0,))
    hidden = d.int(1, 8, bad=(0,))
    kwargs: dict[str, Any] = {
        "input_size": in_size,
        "hidden_size": hidden,
        "num_layers": d.int(1, 3, bad=(0,)),
        "bias": d.bool(),
        "batch_first": d.bool(),
        "dropout": d.pick((0.0, 0.0, 0.5)),
        "bidirectional": d.bool(),
    }
    if name == "RNN":
        kwargs["nonlinearity"] = d.pick(("tanh", "relu"))
    if name == "LSTM" and d.bool():
        kwargs["proj_size"] = d.int(0, max(hidden, 1) - 1, bad=(hidden, hidden + 1, -1))
    length = d.int(1, 4, bad=(0,))
    if d.draw(st.integers(0, 3)) == 0:
        shape: Shape = (length, in_size)
    else:
        n = d.pick((1, 2, 3, 0))
        shape = (n, length, in_size) if kwargs["batch_first"] else (length, n, in_size)
    return Case(name, kwargs, (d.spoil(shape),))


@st.composite
def cell(draw: Any, name: str = "LSTMCell", loose: bool = False) -> Case:
    """RNNCell/LSTMCell/GRUCell: an (N, I) or (I,) input."""
    d = _Draw(draw, loose)
    in_size = d.int(1, 8, bad=(0,))
    kwargs: dict[str, Any] = {"input_size": in_size, "hidden_size": d.int(1, 8, bad=(0,)), "bias": d.bool()}
    if name == "RNNCell":
        kwargs["nonlinearity"] = d.pick(("tanh", "relu"))
    shape: Shape = (in_size,) if d.bool() else (d.int(0, 3), in_size)
    return Case(name, kwargs, (d.spoil(shape),))


@st.composite
def pixel_shuffle(draw: Any, name: str = "PixelShuffle", loose: bool = False) -> Case:
    """PixelShuffle: channels a multiple of r²; PixelUnshuffle: height and width multiples of r."""
    d = _Draw(draw, loose)
    r = d.int(1, 3, bad=(0,))
    rr = max(r, 1)
    lead = tuple(d.int(0 if loose else 1, 2) for _ in range(d.int(0, 2)))
    if name == "PixelShuffle":
        core: Shape = (d.int(0, 2) * rr * rr + (1 if d.stray() else 0), d.int(0, 3), d.int(0, 3))
        kwargs = {"upscale_factor": r}
    else:
        core = (d.int(0, 3), d.int(0, 2) * rr + (1 if d.stray() else 0), d.int(1, 2) * rr)
        kwargs = {"downscale_factor": r}
    return Case(name, kwargs, (d.spoil((*lead, *core)),))


# -- Attention and Transformers --------------------------------------------------------------


@st.composite
def multihead_attention(draw: Any, loose: bool = False) -> Case:
    """MultiheadAttention: embed_dim a multiple of num_heads; query, key and value shapes."""
    d = _Draw(draw, loose)
    heads = d.int(1, 3, bad=(0,))
    embed = max(heads, 1) * d.int(1, 3)
    if d.stray():
        embed += 1
    kdim = d.pick((None, None, embed, 1, 2, 5))
    vdim = d.pick((None, None, embed, 1, 3, 4))
    kwargs: dict[str, Any] = {
        "embed_dim": embed,
        "num_heads": heads,
        "dropout": d.pick((0.0, 0.1)),
        "bias": d.bool(),
        "add_bias_kv": d.bool(),
        "add_zero_attn": d.bool(),
        "kdim": kdim,
        "vdim": vdim,
        "batch_first": d.bool(),
    }
    k_size = embed if kdim is None else kdim
    v_size = embed if vdim is None else vdim
    target, source = d.int(0, 4), d.int(0, 4)
    if d.draw(st.integers(0, 3)) == 0:
        shapes: tuple[Shape, ...] = ((target, embed), (source, k_size), (source, v_size))
    else:
        n = d.pick((1, 2, 3, 0))
        if kwargs["batch_first"]:
            shapes = ((n, target, embed), (n, source, k_size), (n, source, v_size))
        else:
            shapes = ((target, n, embed), (source, n, k_size), (source, n, v_size))
    i = d.draw(st.integers(0, 2))
    shapes = (*shapes[:i], d.spoil(shapes[i]), *shapes[i + 1:])
    return Case("MultiheadAttention", kwargs, shapes)


def _transformer_kwargs(d: _Draw) -> dict[str, Any]:
    nhead = d.int(1, 3, bad=(0,))
    d_model = max(nhead, 1) * d.int(1, 3)
    if d.stray():
        d_model += 1
    return {
        "d_model": d_model,
        "nhead": nhead,
        "dim_feedforward": d.int(0, 8),
        "dropout": d.pick((0.0, 0.1)),
        "activation": d.pick(("relu", "gelu")),
        "layer_norm_eps": d.pick((1e-5, 1e-6)),
        "batch_first": d.bool(),
        "norm_first": d.bool(),
        "bias": d.bool(),
    }


def _sequence(d: _Draw, batch_first: bool, width: int, n: int | None) -> Shape:
    length = d.int(0, 4)
    if n is None:
        return (length, width)
    return (n, length, width) if batch_first else (length, n, width)


@st.composite
def transformer_encoder_layer(draw: Any, loose: bool = False) -> Case:
    d = _Draw(draw, loose)
    kwargs = _transformer_kwargs(d)
    n = None if d.draw(st.integers(0, 3)) == 0 else d.pick((1, 2, 3, 0))
    shape = _sequence(d, kwargs["batch_first"], kwargs["d_model"], n)
    return Case("TransformerEncoderLayer", kwargs, (d.spoil(shape),))


@st.composite
def transformer_decoder_layer(draw: Any, loose: bool = False) -> Case:
    d = _Draw(draw, loose)
    kwargs = _transformer_kwargs(d)
    n = None if d.draw(st.integers(0, 3)) == 0 else d.pick((1, 2, 3, 0))
    tgt = _sequence(d, kwargs["batch_first"], kwargs["d_model"], n)
    memory = _sequence(d, kwargs["batch_first"], kwargs["d_model"], n)
    if d.bool():
        tgt = d.spoil(tgt)
    else:
        memory = d.spoil(memory)
    return Case("TransformerDecoderLayer", kwargs, (tgt, memory))


@st.composite
def transformer_encoder(draw: Any, loose: bool = False) -> Case:
    """A stack of encoder layers, with or without a final LayerNorm."""
    d = _Draw(draw, loose)
    layer = {"type": "TransformerEncoderLayer", **_transformer_kwargs(d)}
    d_model = layer["d_model"]
    norm = None
    if d.bool():
        shape = (d_model,) if not d.stray() else d.pick(((d_model + 1,), (2, d_model)))
        norm = {
            "type": "LayerNorm",
            "normalized_shape": shape[0] if len(shape) == 1 and d.bool() else shape,
            "elementwise_affine": d.bool(),
            "bias": d.bool(),
        }
    kwargs = {"encoder_layer": layer, "num_layers": d.int(1, 3, bad=(0,)), "norm": norm}
    n = None if d.draw(st.integers(0, 3)) == 0 else d.pick((1, 2, 3, 0))
    shape = _sequence(d, layer["batch_first"], d_model, n)
    return Case("TransformerEncoder", kwargs, (d.spoil(shape),))


# -- Layers without parameters ---------------------------------------------------------------


@st.composite
def any_shape(draw: Any, max_rank: int = 4) -> Shape:
    return tuple(draw(st.lists(st.integers(0, 4), max_size=max_rank)))


@st.composite
def flatten(draw: Any, loose: bool = False) -> Case:
    shape = draw(any_shape())
    rank = max(len(shape), 1)
    lo, hi = (-rank - 1, rank) if loose else (-rank, rank - 1)
    start, end = draw(st.integers(lo, hi)), draw(st.integers(lo, hi))
    if not loose and (start % rank) > (end % rank):
        start, end = end, start
    return Case("Flatten", {"start_dim": start, "end_dim": end}, (shape,))


@st.composite
def softmax(draw: Any, loose: bool = False) -> Case:
    shape = draw(any_shape())
    rank = max(len(shape), 1)
    dim = draw(st.none() | (st.integers(-rank - 1, rank) if loose else st.integers(-rank, rank - 1)))
    return Case("Softmax", {"dim": dim}, (shape,))


#: Activations that take only ``inplace`` (and the ones with a float argument too).
ACTIVATIONS = ("ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid")


@st.composite
def elementwise(draw: Any, name: str = "ReLU", loose: bool = False) -> Case:
    """Dropout, Identity, the activations: the output has the input's shape."""
    kwargs: dict[str, Any] = {}
    if name == "Dropout":
        kwargs = {"p": draw(st.sampled_from((0.0, 0.1, 0.5, 1.0))), "inplace": draw(st.booleans())}
    elif name in ACTIVATIONS:
        kwargs = {"inplace": draw(st.booleans())}
        if name == "LeakyReLU":
            kwargs["negative_slope"] = draw(st.sampled_from((0.01, 0.2, -1.0, 0.0)))
        elif name == "ELU":
            kwargs["alpha"] = draw(st.sampled_from((1.0, 0.5, 2.0)))
    elif name == "GELU":
        kwargs = {"approximate": draw(st.sampled_from(("none", "tanh")))}
    return Case(name, kwargs, (draw(any_shape()),))


# -- Building blocks -------------------------------------------------------------------------


def _tokens(d: _Draw, width: int, batch_first: bool = True) -> Shape:
    """(L, width) or (N, L, width) (or (L, N, width) when not batch_first)."""
    length = d.int(1, 4, bad=(0,))
    if d.draw(st.integers(0, 3)) == 0:
        return (length, width)
    n = d.pick((1, 2, 3))
    return (n, length, width) if batch_first else (length, n, width)


@st.composite
def rmsnorm(draw: Any, loose: bool = False) -> Case:
    d = _Draw(draw, loose)
    dims = tuple(d.int(1, 4, bad=(0,)) for _ in range(d.int(1, 3)))
    kwargs: dict[str, Any] = {
        "normalized_shape": dims[0] if len(dims) == 1 and d.bool() else dims,
        "eps": d.pick((None, 1e-6, 1e-5)),  # (paramcalc refuses eps <= 0, which torch takes)
        "elementwise_affine": d.bool(),
    }
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    return Case("RMSNorm", kwargs, (d.spoil((*lead, *dims)),))


@st.composite
def self_attention(draw: Any, loose: bool = False) -> Case:
    """SelfAttention: heads a multiple of the key/value heads; embed_dim = heads · head size unless
    head_dim is given."""
    d = _Draw(draw, loose)
    kv = d.int(1, 3, bad=(0,))
    heads = max(kv, 1) * d.int(1, 2)
    if d.stray():
        heads += 1  # no longer a multiple of num_kv_heads (unless it is 1)
    head_dim = None if d.bool() else d.int(1, 4, bad=(0,))
    embed = d.int(1, 8) if head_dim is not None else max(heads, 1) * d.int(1, 3)
    if head_dim is None and d.stray():
        embed += 1
    kwargs = {
        "embed_dim": embed, "num_heads": heads, "num_kv_heads": d.pick((None, kv)), "head_dim": head_dim,
        "bias": d.bool(), "out_bias": d.pick((None, True, False)), "causal": d.bool(), "dropout": d.pick((0.0, 0.1)),
    }
    return Case("SelfAttention", kwargs, (d.spoil(_tokens(d, embed)),))


@st.composite
def causal_self_attention(draw: Any, loose: bool = False) -> Case:
    d = _Draw(draw, loose)
    heads = d.int(1, 3, bad=(0,))
    embed = max(heads, 1) * d.int(1, 3)
    if d.stray():
        embed += 1
    kwargs = {"embed_dim": embed, "num_heads": heads, "bias": d.bool(), "dropout": d.pick((0.0, 0.1))}
    return Case("CausalSelfAttention", kwargs, (d.spoil(_tokens(d, embed)),))


@st.composite
def mlp(draw: Any, name: str = "FeedForward", loose: bool = False) -> Case:
    """FeedForward / SwiGLU: in_features → hidden_features → out_features (in_features by default)."""
    d = _Draw(draw, loose)
    n_in = d.int(1, 8, bad=(0,))
    kwargs: dict[str, Any] = {
        "in_features": n_in, "hidden_features": d.int(1, 8, bad=(0,)),
        "out_features": None if d.bool() else d.int(1, 8, bad=(0,)), "bias": d.bool(),
    }
    if name == "FeedForward":
        kwargs["activation"] = d.pick(("gelu", "gelu_tanh", "gelu_new", "relu", "silu", "tanh"))
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    return Case(name, kwargs, (d.spoil((*lead, n_in)),))


@st.composite
def decoder_block(draw: Any, loose: bool = False) -> Case:
    """DecoderBlock: GPT-2 or LLaMA style; nhead a multiple of num_kv_heads (LLaMA only)."""
    d = _Draw(draw, loose)
    style = d.pick(("gpt2", "llama"))
    kv = d.int(1, 2, bad=(0,))
    nhead = max(kv, 1) * d.int(1, 2)
    if d.stray():
        nhead += 1
    d_model = nhead * d.int(1, 3)
    if d.stray():
        d_model += 1
    kwargs: dict[str, Any] = {
        "d_model": d_model, "nhead": nhead, "style": style, "bias": d.pick((None, True, False)),
        "dim_feedforward": None if d.bool() else d.int(1, 8, bad=(0,)),
    }
    if style == "llama" or d.stray():
        kwargs["num_kv_heads"] = d.pick((None, kv))
    return Case("DecoderBlock", kwargs, (d.spoil(_tokens(d, d_model)),))


@st.composite
def patch_embedding(draw: Any, loose: bool = False) -> Case:
    """PatchEmbedding: patch_size divides image_size; the input is the image."""
    d = _Draw(draw, loose)
    patch = (d.int(1, 3, bad=(0,)), d.int(1, 3, bad=(0,)))
    image = tuple(max(p, 1) * d.int(1, 3) + (1 if d.stray() else 0) for p in patch)
    c = d.int(1, 3, bad=(0,))
    kwargs = {
        "in_channels": c, "embed_dim": d.int(1, 8), "patch_size": d.tuple_or_int(patch),
        "image_size": d.tuple_or_int(image), "class_token": d.bool(), "position_embedding": d.bool(), "bias": d.bool(),
    }
    return Case("PatchEmbedding", kwargs, (d.spoil(d.batch((c, *image), zero=False)),))


@st.composite
def sinusoidal(draw: Any, loose: bool = False) -> Case:
    """SinusoidalPositionalEncoding: a table of max_len positions (loose: sometimes too short)."""
    d = _Draw(draw, loose)
    width = d.int(1, 8, bad=(0,))
    x = _tokens(d, width)
    length = x[-2]
    max_len = None if d.bool() else d.int(max(length, 1), length + 3, bad=(0, max(length - 1, 0)))
    kwargs = {"d_model": width, "max_len": max_len, "dropout": d.pick((0.0, 0.1))}
    return Case("SinusoidalPositionalEncoding", kwargs, (d.spoil(x),))


@st.composite
def select(draw: Any, loose: bool = False) -> Case:
    """Select: an index within the chosen dimension (loose: now and then just outside either)."""
    shape = draw(any_shape()) if loose else tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    rank = len(shape)
    dim = draw(st.integers(-rank - 1, rank) if loose else st.integers(-rank, rank - 1))
    size = shape[dim] if -rank <= dim < rank else 1
    index = draw(st.integers(-size - 1, size) if loose else st.integers(-size, size - 1))
    return Case("Select", {"dim": dim, "index": index}, (shape,))


@st.composite
def transformer_decoder(draw: Any, loose: bool = False) -> Case:
    """A stack of decoder layers (tgt, memory), with or without a final LayerNorm."""
    d = _Draw(draw, loose)
    layer = {"type": "TransformerDecoderLayer", **_transformer_kwargs(d)}
    width = layer["d_model"]
    norm = None
    if d.bool():
        shape = (width,) if not d.stray() else d.pick(((width + 1,), (2, width)))
        norm = {"type": "LayerNorm", "elementwise_affine": d.bool(), "bias": d.bool()}
        if d.bool() or d.loose:
            norm["normalized_shape"] = shape[0] if len(shape) == 1 and d.bool() else shape
    kwargs = {"decoder_layer": layer, "num_layers": d.int(1, 2, bad=(0,)), "norm": norm}
    n = None if d.draw(st.integers(0, 3)) == 0 else d.pick((1, 2, 3, 0))
    tgt, memory = _sequence(d, layer["batch_first"], width, n), _sequence(d, layer["batch_first"], width, n)
    return Case("TransformerDecoder", kwargs, (d.spoil(tgt), memory))


@st.composite
def transformer(draw: Any, loose: bool = False) -> Case:
    """torch.nn.Transformer (src, tgt): small stacks."""
    d = _Draw(draw, loose)
    kwargs = {**_transformer_kwargs(d), "num_encoder_layers": d.int(1, 2, bad=(0,)),
              "num_decoder_layers": d.int(1, 2, bad=(0,))}
    n = None if d.draw(st.integers(0, 3)) == 0 else d.pick((1, 2, 3))
    src = _sequence(d, kwargs["batch_first"], kwargs["d_model"], n)
    tgt = _sequence(d, kwargs["batch_first"], kwargs["d_model"], n)
    return Case("Transformer", kwargs, (src, d.spoil(tgt)))


@st.composite
def log_softmax(draw: Any, loose: bool = False) -> Case:
    case = draw(softmax(loose))
    return Case("LogSoftmax", case.kwargs, case.shapes)


@st.composite
def prelu(draw: Any, loose: bool = False) -> Case:
    """PReLU: one slope over any input, or one per channel (dimension 1) of an (N, C, *) input."""
    d = _Draw(draw, loose)
    channels = d.int(1, 5)
    shared = d.bool()
    kwargs = {"num_parameters": 1 if shared else d.int(channels, channels, bad=(0, channels + 1)),
              "init": d.pick((0.25, 0.0, -0.5))}
    if shared:
        shape = draw(any_shape())
    else:
        rank = d.int(2, 4, bad=(0, 1))
        shape = (d.int(0, 3), channels, *(d.int(0, 3) for _ in range(max(rank - 2, 0))))[:rank]
        if rank == 1 and channels == 1:
            shape = (d.int(0, 3),)
    return Case("PReLU", kwargs, (d.spoil(shape),))


#: The rank each channel-wise dropout is meant for (the others run on any rank).
DROPOUT_RANKS = {"Dropout1d": (2, 3), "Dropout2d": (4, 3), "Dropout3d": (5, 4), "FeatureAlphaDropout": (2, 3, 4, 5)}


@st.composite
def dropout(draw: Any, name: str = "Dropout2d", loose: bool = False) -> Case:
    """The Dropout variants: a probability and a shape of the rank they are meant for."""
    d = _Draw(draw, loose)
    kwargs = {"p": d.pick((0.0, 0.2, 0.5, 1.0)), "inplace": d.bool()}
    if loose or name == "AlphaDropout":
        shape = draw(any_shape(max_rank=6))
    else:
        shape = tuple(d.int(0, 3) for _ in range(d.pick(DROPOUT_RANKS[name])))
    return Case(name, kwargs, (shape,))


PAD_KINDS = ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")


@st.composite
def padding(draw: Any, name: str = "ZeroPad2d", loose: bool = False) -> Case:
    """The padding layers: (before, after) per padded dimension, an input each side fits.

    Valid: reflect pads less than the size, circular at most the size, negative paddings crop
    at most what there is. Loose: any small padding on any small input.
    """
    d = _Draw(draw, loose)
    nd = _nd(name)
    kind = name[:-2]
    spatial = []
    pads: list[int] = []
    for _ in range(nd):
        n = d.int(1, 5, bad=(0,))
        if loose:
            before, after = d.int(-1, 3, bad=(-3, 5)), d.int(-1, 3, bad=(-3, 5))
        elif kind == "ReflectionPad":
            before, after = d.int(-1, n - 1), d.int(-1, n - 1)
        elif kind == "CircularPad":
            before, after = d.int(-1, n), d.int(-1, n)
        else:
            before, after = d.int(-1, 3), d.int(-1, 3)
        if not loose and n + min(before, 0) + min(after, 0) < (0 if kind in ("ZeroPad", "ConstantPad", "CircularPad") else 1):
            before, after = max(before, 0), max(after, 0)
        if not loose and kind in ("ReflectionPad", "ReplicationPad") and n + before + after < 1:
            before, after = max(before, 0), max(after, 0)
        spatial.insert(0, n)
        pads += [before, after]
    padding_arg: Any = pads[0] if len(set(pads)) == 1 and d.bool() else tuple(pads)
    kwargs: dict[str, Any] = {"padding": padding_arg}
    if kind == "ConstantPad":
        kwargs["value"] = d.pick((0.0, 1.5, -2.0))
    if kind in ("ZeroPad", "ConstantPad"):
        lead = tuple(d.int(0, 3) for _ in range(d.int(0, 2)))
    elif kind == "CircularPad" or not loose:
        lead = (d.int(1, 3),) if d.bool() else (d.int(0, 3), d.int(1, 3))
    else:  # torch returns negative sizes for a reflect or replicate crop of an empty batch (a test says so)
        lead = (d.int(1, 3),) if d.bool() else (d.int(1, 3), d.int(1, 3))
    if not loose and kind == "CircularPad":
        # torch makes the pads by copies inside the output, which refuse a cropped other side
        # too short to read from: keep each dimension's two sides of one sign.
        pads = [max(p, 0) if min(pads[i - i % 2: i - i % 2 + 2]) < 0 < max(pads[i - i % 2: i - i % 2 + 2]) else p
                for i, p in enumerate(pads)]
        kwargs["padding"] = pads[0] if isinstance(padding_arg, int) else tuple(pads)
    return Case(name, kwargs, (d.spoil((*lead, *spatial)),))


@st.composite
def unflatten(draw: Any, loose: bool = False) -> Case:
    """Unflatten: sizes multiplying to the dimension, one of them sometimes -1."""
    d = _Draw(draw, loose)
    sizes = [d.int(0 if loose else 1, 4) for _ in range(d.int(1, 3))]
    n = 1
    for v in sizes:
        n *= v
    rank = d.int(1, 4)
    axis = d.int(0, rank - 1)
    shape = [d.int(0, 3) for _ in range(rank)]
    shape[axis] = n if not d.stray() else n + 1
    if d.bool():
        sizes[d.int(0, len(sizes) - 1)] = -1
    dim = axis - rank if d.bool() else axis
    if d.stray():
        dim = rank
    return Case("Unflatten", {"dim": dim, "unflattened_size": tuple(sizes)}, (d.spoil(tuple(shape)),))


# -- Every family ----------------------------------------------------------------------------


@st.composite
def subsampling(draw: Any, loose: bool = False) -> Case:
    """Subsampling2d (LeNet-5's S2, S4): (N, C, H, W) or (C, H, W), windows that fit."""
    d = _Draw(draw, loose)
    c, k = d.int(1, 4, bad=(0,)), d.int(1, 3, bad=(0,))
    core = (c, d.int(max(k, 1), 7), d.int(max(k, 1), 7))
    return Case("Subsampling2d", {"channels": c, "kernel_size": k}, (d.spoil(d.batch(core, zero=False)),))


@st.composite
def sparse_conv(draw: Any, loose: bool = False) -> Case:
    """SparseConv2d: LeNet-5's C3 table, or a small table of distinct input maps per output map."""
    d = _Draw(draw, loose)
    k = d.int(1, 3, bad=(0,))
    if d.bool():
        c, kwargs = 6, {"in_channels": 6, "out_channels": 16, "table": "lenet5"}
    else:
        c = d.int(1, 4)
        table = [sorted(draw(st.sets(st.integers(0, c - 1), min_size=1, max_size=c))) for _ in range(d.int(1, 4))]
        if d.stray():
            table[0] = d.pick(([], [0, 0], [c]))
        kwargs = {"in_channels": c, "out_channels": d.int(len(table), len(table), bad=(len(table) + 1,)), "table": table}
    kwargs |= {"kernel_size": k, "bias": d.bool()}
    core = (c, d.int(max(k, 1), 7), d.int(max(k, 1), 7))
    return Case("SparseConv2d", kwargs, (d.spoil(d.batch(core, zero=False)),))


@st.composite
def rbf_output(draw: Any, loose: bool = False) -> Case:
    """RBFOutput (LeNet-5's output units): (*, I) → (*, O)."""
    d = _Draw(draw, loose)
    i = d.int(1, 8, bad=(0,))
    kwargs = {"in_features": i, "out_features": d.int(1, 8, bad=(0,)), "trainable": d.bool()}
    lead = tuple(d.int(1, 3) for _ in range(d.int(0, 2)))
    return Case("RBFOutput", kwargs, (d.spoil((*lead, i)),))


def _families() -> dict[str, Any]:
    fams: dict[str, Any] = {"Linear": linear, "Bilinear": bilinear}
    for nd in ("1d", "2d", "3d"):
        fams[f"Conv{nd}"] = lambda loose=False, n=f"Conv{nd}": conv(n, loose)
        fams[f"ConvTranspose{nd}"] = lambda loose=False, n=f"ConvTranspose{nd}": conv_transpose(n, loose)
        fams[f"MaxPool{nd}"] = lambda loose=False, n=f"MaxPool{nd}": pool(n, loose)
        fams[f"AvgPool{nd}"] = lambda loose=False, n=f"AvgPool{nd}": pool(n, loose)
        fams[f"AdaptiveAvgPool{nd}"] = lambda loose=False, n=f"AdaptiveAvgPool{nd}": adaptive_pool(n, loose)
        fams[f"AdaptiveMaxPool{nd}"] = lambda loose=False, n=f"AdaptiveMaxPool{nd}": adaptive_pool(n, loose)
        fams[f"BatchNorm{nd}"] = lambda loose=False, n=f"BatchNorm{nd}": batchnorm(n, loose)
        fams[f"InstanceNorm{nd}"] = lambda loose=False, n=f"InstanceNorm{nd}": instancenorm(n, loose)
    fams["LayerNorm"] = layernorm
    fams["LocalResponseNorm"] = local_response_norm
    fams["GroupNorm"] = groupnorm
    fams["Embedding"] = embedding
    fams["EmbeddingBag"] = embedding_bag
    for name in ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"):
        fams[name] = lambda loose=False, n=name: upsample(n, loose)
    for name in ("RNN", "LSTM", "GRU"):
        fams[name] = lambda loose=False, n=name: recurrent(n, loose)
    fams["MultiheadAttention"] = multihead_attention
    fams["TransformerEncoderLayer"] = transformer_encoder_layer
    fams["TransformerEncoder"] = transformer_encoder
    fams["TransformerDecoderLayer"] = transformer_decoder_layer
    fams["Flatten"] = flatten
    fams["Softmax"] = softmax
    for name in ("Dropout", "Identity", "GELU", "Tanh", "Sigmoid", *ACTIVATIONS):
        fams[name] = lambda loose=False, n=name: elementwise(n, loose)
    fams["RMSNorm"] = rmsnorm
    fams["SelfAttention"] = self_attention
    fams["CausalSelfAttention"] = causal_self_attention
    for name in ("FeedForward", "SwiGLU"):
        fams[name] = lambda loose=False, n=name: mlp(n, loose)
    fams["DecoderBlock"] = decoder_block
    fams["PatchEmbedding"] = patch_embedding
    fams["SinusoidalPositionalEncoding"] = sinusoidal
    fams["Select"] = select
    fams["TransformerDecoder"] = transformer_decoder
    fams["Transformer"] = transformer
    fams["LogSoftmax"] = log_softmax
    fams["PReLU"] = prelu
    for name in ("Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"):
        fams[name] = lambda loose=False, n=name: dropout(n, loose)
    for kind in PAD_KINDS:
        for nd in ("1d", "2d", "3d"):
            fams[f"{kind}{nd}"] = lambda loose=False, n=f"{kind}{nd}": padding(n, loose)
    fams["Unflatten"] = unflatten
    for name in ("RNNCell", "LSTMCell", "GRUCell"):
        fams[name] = lambda loose=False, n=name: cell(n, loose)
    for name in ("PixelShuffle", "PixelUnshuffle"):
        fams[name] = lambda loose=False, n=name: pixel_shuffle(n, loose)
    fams["Subsampling2d"] = subsampling
    fams["SparseConv2d"] = sparse_conv
    fams["RBFOutput"] = rbf_output
    return fams


FAMILIES = _families()


def valid_cases(name: str) -> st.SearchStrategy[Case]:
    """Cases torch accepts and runs, for the layer type ``name``."""
    return FAMILIES[name](loose=False)


def loose_cases(name: str) -> st.SearchStrategy[Case]:
    """Cases that now and then stray out of bounds, for the layer type ``name``."""
    return FAMILIES[name](loose=True)


def any_valid_case() -> st.SearchStrategy[Case]:
    return st.one_of([valid_cases(n) for n in FAMILIES])


# -- Invalid arguments -----------------------------------------------------------------------

#: Constructor arguments that no input can make work, by layer: (layer, arguments, why).
INVALID_ARGUMENTS: list[tuple[str, dict[str, Any], str]] = [
    ("Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "stride": 0}, "stride 0"),
    ("Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": -1}, "negative padding"),
    ("Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 0}, "kernel_size 0"),
    ("Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "dilation": 0}, "dilation 0"),
    ("Conv2d", {"in_channels": 4, "out_channels": 8, "kernel_size": 3, "groups": 3}, "groups not dividing in"),
    ("Conv2d", {"in_channels": 6, "out_channels": 8, "kernel_size": 3, "groups": 3}, "groups not dividing out"),
    ("Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "groups": 0}, "groups 0"),
    ("Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": "same"},
     "padding='same' with stride 2"),
    ("Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": "full"}, "unknown padding"),
    ("Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": (3, 3, 3)}, "kernel_size of rank 3"),
    ("Conv1d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding_mode": "mirror"},
     "unknown padding_mode"),
    ("ConvTranspose2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "stride": 2,
                         "output_padding": 2}, "output_padding not below stride or dilation"),
    ("ConvTranspose1d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "output_padding": 1},
     "output_padding 1 with stride 1 and dilation 1"),
    ("ConvTranspose2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": "same"},
     "padding='same' on a transposed convolution"),
    ("ConvTranspose2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding_mode": "reflect"},
     "padding_mode other than zeros"),
    ("MaxPool2d", {"kernel_size": 3, "padding": 2}, "padding more than half the kernel"),
    ("MaxPool2d", {"kernel_size": 3, "padding": 2, "dilation": 2}, "padding more than half the kernel, dilated"),
    ("MaxPool1d", {"kernel_size": 2, "stride": 0}, "pool stride 0"),
    ("MaxPool1d", {"kernel_size": 0}, "pool kernel 0"),
    ("AvgPool2d", {"kernel_size": 2, "padding": 2}, "avg padding more than half the kernel"),
    ("AvgPool2d", {"kernel_size": 2, "divisor_override": 0}, "divisor_override 0"),
    ("AdaptiveAvgPool2d", {"output_size": -1}, "negative output_size"),
    ("AdaptiveAvgPool2d", {"output_size": None}, "output_size None (only entries may be None)"),
    ("InstanceNorm2d", {"num_features": 0, "affine": True}, "instance norm affine over 0 features"),
    ("LayerNorm", {"normalized_shape": ()}, "empty normalized_shape"),
    ("GroupNorm", {"num_groups": 4, "num_channels": 6}, "num_channels not divisible by num_groups"),
    ("GroupNorm", {"num_groups": 0, "num_channels": 6}, "num_groups 0"),
    ("GroupNorm", {"num_groups": -2, "num_channels": 6}, "negative num_groups"),
    ("Embedding", {"num_embeddings": 10, "embedding_dim": 3, "padding_idx": 10}, "padding_idx too large"),
    ("Embedding", {"num_embeddings": 10, "embedding_dim": 3, "padding_idx": -11}, "padding_idx too small"),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3, "padding_idx": 10}, "bag padding_idx too large"),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3, "mode": "median"}, "unknown bag mode"),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3, "mode": "max", "sparse": True}, "max mode, sparse"),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3, "mode": "max", "scale_grad_by_freq": True},
     "max mode, gradients scaled by frequency"),
    ("EmbeddingBag", {"num_embeddings": 0, "embedding_dim": 3}, "empty bag table"),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 0, "mode": "sum"}, "bag vectors of no value"),
    ("Upsample", {}, "neither size nor scale_factor"),
    ("Upsample", {"size": 4, "scale_factor": 2.0}, "both size and scale_factor"),
    ("Upsample", {"scale_factor": 0}, "scale_factor 0 (read as None)"),
    ("Upsample", {"scale_factor": 2.0, "align_corners": True}, "align_corners with nearest"),
    ("Upsample", {"size": 4, "recompute_scale_factor": True}, "recompute_scale_factor with a size"),
    ("Upsample", {"scale_factor": 2.0, "mode": "lanczos"}, "lanczos needs antialias"),
    ("Upsample", {"scale_factor": (2.0, 2.0), "mode": "linear"}, "two factors for linear"),
    ("Upsample", {"scale_factor": -1.0}, "negative scale_factor"),
    ("Upsample", {"size": 0, "mode": "bilinear"}, "output size 0"),
    ("Upsample", {"scale_factor": float("inf")}, "infinite scale_factor"),
    ("UpsamplingBilinear2d", {"size": (3,)}, "one size for bilinear"),
    ("RNN", {"input_size": 3, "hidden_size": 0}, "hidden_size 0"),
    ("RNN", {"input_size": 0, "hidden_size": 4}, "input_size 0"),
    ("RNN", {"input_size": 3, "hidden_size": 4, "num_layers": 0}, "num_layers 0"),
    ("RNN", {"input_size": 3, "hidden_size": 4, "nonlinearity": "sigmoid"}, "unknown nonlinearity"),
    ("GRU", {"input_size": 3, "hidden_size": 4, "dropout": 1.5}, "dropout above 1"),
    ("LSTM", {"input_size": 3, "hidden_size": 4, "proj_size": 4}, "proj_size equal to hidden_size"),
    ("LSTM", {"input_size": 3, "hidden_size": 4, "proj_size": 5}, "proj_size above hidden_size"),
    ("LSTM", {"input_size": 3, "hidden_size": 4, "proj_size": -1}, "negative proj_size"),
    ("MultiheadAttention", {"embed_dim": 10, "num_heads": 3}, "embed_dim not divisible by num_heads"),
    ("MultiheadAttention", {"embed_dim": 0, "num_heads": 1}, "embed_dim 0"),
    ("MultiheadAttention", {"embed_dim": 8, "num_heads": 0}, "num_heads 0"),
    ("TransformerEncoderLayer", {"d_model": 10, "nhead": 3}, "d_model not divisible by nhead"),
    ("TransformerEncoderLayer", {"d_model": 8, "nhead": 2, "activation": "tanh"}, "unknown activation"),
    ("TransformerDecoderLayer", {"d_model": 8, "nhead": 3}, "decoder d_model not divisible by nhead"),
    ("Dropout", {"p": 1.5}, "dropout probability above 1"),
    ("Dropout", {"p": -0.1}, "negative dropout probability"),
    ("GELU", {"approximate": "sigmoid"}, "unknown GELU approximation"),
    ("PReLU", {"num_parameters": -1}, "negative num_parameters"),
    ("Dropout2d", {"p": 1.5}, "channel dropout probability above 1"),
    ("AlphaDropout", {"p": -0.5}, "negative alpha dropout probability"),
    ("Unflatten", {"dim": 1, "unflattened_size": ()}, "empty unflattened_size"),
    ("Unflatten", {"dim": 1, "unflattened_size": (-1, -1)}, "two inferred sizes"),
    ("ZeroPad2d", {"padding": (1, 1, 1)}, "padding of 3 entries for 2 dimensions"),
    ("RNNCell", {"input_size": 3, "hidden_size": 4, "nonlinearity": "gelu"}, "unknown cell nonlinearity"),
    ("PixelShuffle", {"upscale_factor": 0}, "upscale_factor 0"),
    ("Bilinear", {"in1_features": 0, "in2_features": 3, "out_features": 2}, "in1_features 0"),
    ("Bilinear", {"in1_features": 3, "in2_features": 0, "out_features": 2}, "in2_features 0"),
    ("PixelUnshuffle", {"downscale_factor": 0}, "downscale_factor 0"),
]


# -- Keras layers ----------------------------------------------------------------------------
#: Keras cases are (expression, input shape with the batch dimension); sizes as small as above.


@st.composite
def keras_case(draw: Any, name: str) -> tuple[str, Shape]:
    """A Keras layer of type ``name`` as an expression, and an input shape it builds on."""
    i = st.integers
    b = draw(st.booleans())
    if name == "Dense":
        return f"Dense({draw(i(1, 16))}, use_bias={b})", (2, *draw(st.lists(i(1, 4), max_size=2)), draw(i(1, 16)))
    if name.startswith("Conv"):
        nd = int(name[4])
        k = draw(i(1, 3))
        groups = draw(i(1, 2)) if "Transpose" not in name else 1
        shape = (2, *(draw(i(k, 6)) for _ in range(nd)), groups * draw(i(1, 4)))
        return f"{name}({groups * draw(i(1, 4))}, {k}, use_bias={b}{f', groups={groups}' if groups > 1 else ''})", shape
    if "Pooling" in name:
        nd = int(name[-2])
        args = "" if name.startswith("Global") else "2"
        return f"{name}({args})", (2, *(draw(i(2, 6)) for _ in range(nd)), draw(i(1, 4)))
    if name in ("BatchNormalization", "LayerNormalization", "RMSNormalization", "GroupNormalization"):
        rank = draw(i(2, 4))
        shape = (2, *(draw(i(1, 6)) for _ in range(rank - 1)))
        axis = draw(i(1, rank - 1))
        if name == "GroupNormalization":
            groups = draw(st.sampled_from([g for g in range(1, shape[axis] + 1) if shape[axis] % g == 0] + [-1]))
            return f"GroupNormalization({groups}, axis={axis}, center={b}, scale={draw(st.booleans())})", shape
        if name == "RMSNormalization":
            return f"RMSNormalization(axis={axis})", shape
        flags = f"center={b}, scale={draw(st.booleans())}"
        if name == "LayerNormalization" and draw(st.booleans()):
            return f"LayerNormalization(axis={tuple(range(axis, rank))}, {flags})", shape
        return f"{name}(axis={axis}, {flags})", shape
    if name == "Embedding":
        return f"Embedding({draw(i(1, 50))}, {draw(i(1, 8))})", (2, draw(i(1, 6)))
    if name in ("SimpleRNN", "LSTM", "GRU", "Bidirectional"):
        cell = draw(st.sampled_from(["SimpleRNN", "LSTM", "GRU"])) if name == "Bidirectional" else name
        extra = f", reset_after={draw(st.booleans())}" if cell == "GRU" else ""
        layer = f"{cell}({draw(i(1, 8))}, use_bias={b}{extra})"
        return (f"Bidirectional({layer})" if name == "Bidirectional" else layer), (2, draw(i(1, 5)), draw(i(1, 8)))
    if name == "MultiHeadAttention":
        value = f", value_dim={draw(i(1, 6))}" if draw(st.booleans()) else ""
        return f"MultiHeadAttention({draw(i(1, 3))}, {draw(i(1, 6))}, use_bias={b}{value})", (2, draw(i(1, 4)), draw(i(1, 8)))
    if name == "GroupQueryAttention":
        kv = draw(i(1, 3))
        return (f"GroupQueryAttention({draw(i(1, 6))}, {kv * draw(i(1, 3))}, {kv}, use_bias={b})",
                (2, draw(i(1, 4)), draw(i(1, 8))))
    if name == "Flatten":
        return "Flatten()", (2, draw(i(1, 4)), draw(i(1, 4)))
    if name == "Dropout":
        return "Dropout(0.5)", (2, draw(i(1, 8)))
    return "Activation('relu')", (2, draw(i(1, 8)))


#: The Keras layer types with a strategy (every Keras layer paramcalc knows).
KERAS_FAMILIES = (
    "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "BatchNormalization",
    "LayerNormalization", "RMSNormalization", "GroupNormalization", "Embedding", "SimpleRNN", "LSTM", "GRU",
    "Bidirectional", "MultiHeadAttention", "GroupQueryAttention", "Flatten", "Dropout", "Activation",
)
