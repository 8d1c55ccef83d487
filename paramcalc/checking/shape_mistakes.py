"""Shape mistakes: each recomputes a conv or pool layer's output size the wrong way a student would
(omitting the +1, padding one side, not flooring, "same" read as "valid", ...).

A sliding-window mistake is a change to one knob of the output-size rule (:class:`Rule`): how many
sides are padded, whether the +1 is there, how the division is rounded, whether dilation and the
stride are used, whether padding is added before or after the stride divides. Two mistakes that turn
different knobs combine into one rule, which is how :func:`shape_pairs` finds an answer that two
mistakes at once explain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from typing import Any, Literal

from paramcalc.checking.sources import CS231N, D2L, DUMOULIN, TF_PADDING, TORCH_DOCS
from paramcalc.checking.situation import (
    AVGPOOL,
    CONV,
    CONV_ANY,
    KERAS_AVGPOOL,
    KERAS_CONV,
    KERAS_MAXPOOL,
    MAXPOOL,
    AnswerShape,
    Mistake,
    Shape,
    Situation,
    is_keras,
    is_shape_list,
)


@dataclass(frozen=True, slots=True)
class Window:
    """One sliding-window layer's arithmetic, per spatial dimension."""

    sizes: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    #: padding on each side (for "same": the total padding // 2; see ``pad_total``)
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool
    is_pool: bool
    #: where the spatial dimensions sit in the output shape
    positions: tuple[int, ...]
    output: Shape = field(default=())
    #: the padding mode as written: "same", "valid", or "explicit" (an int per side)
    mode: str = "explicit"
    #: padding added in all, left + right, per dimension
    pad_total: tuple[int, ...] = ()


def _same_total(n: int, k: int, s: int, d: int) -> int:
    """TensorFlow's "same" padding in all: max((ceil(n/s) − 1)·s + d·(k − 1) + 1 − n, 0)."""
    return max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)


def window(s: Situation) -> Window | None:
    """The sliding-window arithmetic of a conv or pool layer (torch or Keras) for this input, or None."""
    spec: Any = s.spec
    out = s.output
    if out is None:
        return None
    nd = getattr(type(spec), "nd", 0)
    x = s.input_shape[0] if is_shape_list(s.input_shape) else s.input_shape
    if is_keras(spec):
        name = type(spec).__name__
        if name not in (*KERAS_CONV, *KERAS_MAXPOOL, *KERAS_AVGPOOL) or spec.padding not in ("valid", "same"):
            return None
        last = spec.data_format == "channels_last"
        first_spatial = 1 if last else 2
        positions = tuple(range(first_spatial, first_spatial + nd))
        sizes = tuple(x[i] for i in positions)
        if any(n is None for n in sizes):
            return None
        is_pool = name not in KERAS_CONV
        kernel = spec.pool_size if is_pool else spec.kernel_size
        strides = spec.strides if spec.strides is not None else kernel
        dilation = (1,) * nd if is_pool else spec.dilation_rate
        if spec.padding == "same":
            totals = tuple(_same_total(n, k, st, d) for n, k, st, d in zip(sizes, kernel, strides, dilation))
        else:
            totals = (0,) * nd
        return Window(sizes, kernel, strides, tuple(t // 2 for t in totals), dilation, False, is_pool, positions,
                      out, spec.padding, totals)
    mode = "explicit"
    if isinstance(spec, CONV):
        dilation, ceil_mode, is_pool = spec.dilation, False, False
        if spec.padding == "same":
            totals = tuple(d * (k - 1) for k, d in zip(spec.kernel_size, dilation))
            padding, mode = tuple(t // 2 for t in totals), "same"
        else:
            mode = "valid" if spec.padding == "valid" else "explicit"
            padding = (0,) * nd if spec.padding == "valid" else spec.padding
    elif isinstance(spec, MAXPOOL):
        padding, dilation, ceil_mode, is_pool = spec.padding, spec.dilation, spec.ceil_mode, True
    elif isinstance(spec, AVGPOOL):
        padding, dilation, ceil_mode, is_pool = spec.padding, (1,) * nd, spec.ceil_mode, True
    else:
        return None
    positions = tuple(range(len(out) - nd, len(out)))
    totals = tuple(2 * p for p in padding) if mode != "same" else totals
    return Window(
        tuple(x[len(x) - nd:]), spec.kernel_size, spec.stride, padding, dilation, ceil_mode, is_pool,
        positions, out, mode, totals,
    )


# -- The output-size rule and its knobs ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """How an output size is computed; the right rule has every knob at its default.

    ``pad_sides`` 2 pads both sides (the total padding), 1 one side, 0 none; ``rounding`` None is the
    layer's own (floor, or ceil with ceil_mode); ``pad_after_stride`` adds the padding after dividing
    by the stride; ``as_mode`` reads "same" as "valid" or the other way.
    """

    pad_sides: int = 2
    plus_one: bool = True
    rounding: Literal["floor", "ceil", "exact"] | None = None
    use_dilation: bool = True
    stride_one: bool = False
    pad_after_stride: bool = False
    as_mode: Literal["same", "valid"] | None = None

    def size(self, w: Window, i: int) -> int | Fraction | None:
        """The output size of dimension ``i`` under this rule (None when it is not a size)."""
        n, k, s, d = w.sizes[i], w.kernel[i], w.stride[i], w.dilation[i]
        total = w.pad_total[i]
        if self.as_mode == "same":
            return -(-n // s)
        if self.as_mode == "valid":
            total = 0
        if self.stride_one:
            s = 1
        span = (d if self.use_dilation else 1) * (k - 1) + 1
        pad = {2: total, 1: total // 2, 0: 0}[self.pad_sides]
        num = n - span if self.pad_after_stride else n + pad - span
        rounding = self.rounding or ("ceil" if w.ceil_mode else "floor")
        q: int | Fraction = Fraction(num, s) if rounding == "exact" else (
            -(-num // s) if rounding == "ceil" else num // s)
        if isinstance(q, Fraction) and q.denominator == 1:
            q = int(q)
        out = q + (1 if self.plus_one else 0) + (total if self.pad_after_stride else 0)
        return out if out >= 1 else None

    def shape(self, w: Window) -> AnswerShape | None:
        """The whole output shape under this rule, or None when a size is not one."""
        out: list[Any] = list(w.output)
        for i, pos in enumerate(w.positions):
            size = self.size(w, i)
            if size is None:
                return None
            out[pos] = size
        return tuple(out)


def _inexact(w: Window) -> bool:
    return any(
        (n + t - d * (k - 1) - 1) % st for n, k, st, t, d in zip(w.sizes, w.kernel, w.stride, w.pad_total, w.dilation)
    )


@dataclass(frozen=True, slots=True)
class Knob:
    """A shape mistake as a change to the rule, and when it can happen."""

    changes: dict[str, Any]
    when: Callable[[Window], bool]


#: Each window mistake's knob.
KNOBS: dict[str, Knob] = {
    "no_plus_one": Knob({"plus_one": False}, lambda w: True),
    "one_side_padding": Knob({"pad_sides": 1}, lambda w: w.mode == "explicit" and any(w.padding)),
    "padding_ignored": Knob({"pad_sides": 0}, lambda w: w.mode == "explicit" and any(w.padding)),
    "not_floored": Knob({"rounding": "exact"}, lambda w: _inexact(w) and not w.ceil_mode),
    "rounded_up": Knob({"rounding": "ceil"}, lambda w: _inexact(w) and not w.ceil_mode),
    "ceil_mode_ignored": Knob({"rounding": "floor"}, lambda w: w.ceil_mode),
    "dilation_ignored": Knob({"use_dilation": False}, lambda w: max(w.dilation) > 1),
    "pool_stride_one": Knob({"stride_one": True},
                            lambda w: w.is_pool and w.stride == w.kernel and max(w.stride) > 1),
    "stride_before_padding": Knob({"pad_after_stride": True},
                                  lambda w: any(w.pad_total) and max(w.stride) > 1 and w.mode == "explicit"),
    "same_as_valid": Knob({"as_mode": "valid"}, lambda w: w.mode == "same" and any(w.pad_total)),
    "valid_as_same": Knob({"as_mode": "same"}, lambda w: w.mode != "same" and not any(w.pad_total)),
}


def knob_shape(key: str) -> Callable[[Situation], AnswerShape | None]:
    """The shape mistake that turns one knob."""
    knob = KNOBS[key]

    def shape(s: Situation) -> AnswerShape | None:
        w = window(s)
        if w is None or not knob.when(w):
            return None
        wrong = Rule(**knob.changes).shape(w)
        return None if wrong == w.output else wrong

    return shape


def shape_pairs(s: Situation, keys: tuple[str, ...]) -> list[tuple[str, str, AnswerShape]]:
    """Every pair of window mistakes (among ``keys``) on different knobs, with the shape the two give
    together, when it differs from the right shape and from what either gives alone."""
    w = window(s)
    if w is None:
        return []
    usable = [k for k in keys if k in KNOBS and KNOBS[k].when(w)]
    alone = {k: Rule(**KNOBS[k].changes).shape(w) for k in usable}
    found = []
    for a, b in combinations(usable, 2):
        ca, cb = KNOBS[a].changes, KNOBS[b].changes
        if set(ca) & set(cb) or "as_mode" in ca or "as_mode" in cb:
            continue
        both = Rule(**{**ca, **cb}).shape(w)
        if both is None or both == w.output or both in (alone[a], alone[b]):
            continue
        found.append((a, b, both))
    return found


# -- Mistakes that are not one knob ----------------------------------------------------------


def _transposed_as_forward(s: Situation) -> AnswerShape | None:
    """A transposed convolution's output computed with the forward formula (n + 2p − d·(k − 1) − 1)/s + 1."""
    spec: Any = s.spec
    x = s.input_shape
    out = s.output
    if out is None or is_shape_list(x):
        return None
    nd = getattr(type(spec), "nd", 0)
    if is_keras(spec):
        if "Transpose" not in type(spec).__name__:
            return None
        last = spec.data_format == "channels_last"
        positions = tuple(range(1, 1 + nd)) if last else tuple(range(2, 2 + nd))
        kernel, stride, dilation = spec.kernel_size, spec.strides, spec.dilation_rate
        sizes = tuple(x[i] for i in positions)
        if any(n is None for n in sizes):
            return None
        totals = tuple(_same_total(n, k, st, d) if spec.padding == "same" else 0
                       for n, k, st, d in zip(sizes, kernel, stride, dilation))
    elif isinstance(spec, CONV_ANY) and not isinstance(spec, CONV):
        positions = tuple(range(len(out) - nd, len(out)))
        kernel, stride, dilation = spec.kernel_size, spec.stride, spec.dilation
        sizes = tuple(x[len(x) - nd:])
        totals = tuple(2 * p for p in spec.padding)
    else:
        return None
    wrong: list[Any] = list(out)
    for pos, n, k, st, t, d in zip(positions, sizes, kernel, stride, totals, dilation):
        size = (n + t - d * (k - 1) - 1) // st + 1
        if size < 1:
            return None
        wrong[pos] = size
    return tuple(wrong)


def _mistake(key: str, name: str, explanation: str, applies_to: str, source: str) -> Mistake:
    return Mistake(key, name, explanation, applies_to, shape=knob_shape(key), source=source)


#: The shape mistakes, in the order they are tried.
SHAPE_MISTAKES: tuple[Mistake, ...] = (
    _mistake(
        "no_plus_one", "omitting the +1 in the output-size formula",
        "The output size is (n + 2·p − d·(k − 1) − 1)/s + 1 (with d = 1: (n + 2p − k)/s + 1): the +1 counts "
        "the first window position.",
        "Conv, MaxPool, AvgPool", CS231N,
    ),
    _mistake(
        "one_side_padding", "padding only one side",
        "Padding p is added on both sides of each dimension: the padded size is n + 2·p, not n + p.",
        "Conv, MaxPool, AvgPool with padding", D2L,
    ),
    _mistake(
        "padding_ignored", "forgetting the padding",
        "The window slides over the padded input, n + 2·p long.",
        "Conv, MaxPool, AvgPool with padding", CS231N,
    ),
    _mistake(
        "not_floored", "not flooring (n − k)/s",
        "When (n + 2·p − k)/s is not whole, the last partial window is dropped: torch floors the division "
        "(exam problems usually choose sizes that divide exactly).",
        "Conv, MaxPool, AvgPool", TORCH_DOCS,
    ),
    _mistake(
        "rounded_up", "rounding (n − k)/s up instead of down",
        "Without ceil_mode the division is floored, not rounded up: a window that would run past the input "
        "is dropped.",
        "Conv, MaxPool, AvgPool", TORCH_DOCS,
    ),
    _mistake(
        "ceil_mode_ignored", "flooring although ceil_mode=True",
        "With ceil_mode=True pooling rounds the division up (keeping a last window that starts inside the "
        "input).",
        "MaxPool, AvgPool with ceil_mode", TORCH_DOCS,
    ),
    _mistake(
        "dilation_ignored", "using (H + 2P − F)/S with dilation ignored",
        "A dilated kernel spans d·(k − 1) + 1 positions: the output size is (n + 2·p − d·(k − 1) − 1)/s + 1.",
        "Conv, MaxPool with dilation > 1", DUMOULIN,
    ),
    _mistake(
        "pool_stride_one", "using stride 1 for pooling",
        "torch's pooling layers default stride to kernel_size: MaxPool2d(2) halves the size.",
        "MaxPool, AvgPool", TORCH_DOCS,
    ),
    _mistake(
        "stride_before_padding", "applying the stride before the padding",
        "The padding is added to the input before the window slides: (n + 2·p − k)/s + 1, not "
        "(n − k)/s + 2·p + 1.",
        "Conv, MaxPool, AvgPool with padding and stride > 1", CS231N,
    ),
    _mistake(
        "same_as_valid", "reading \"same\" padding as \"valid\"",
        "\"same\" pads the input so that the output is ⌈n/s⌉ long (the input's size at stride 1); \"valid\" "
        "adds no padding.",
        "Conv, pooling with padding='same'", TF_PADDING,
    ),
    _mistake(
        "valid_as_same", "reading \"valid\" (no) padding as \"same\"",
        "\"valid\" adds no padding: the output is (n − d·(k − 1) − 1)/s + 1 long, smaller than the input; only "
        "\"same\" keeps ⌈n/s⌉.",
        "Conv, pooling without padding", TF_PADDING,
    ),
    Mistake(
        "transposed_as_forward", "computing a transposed convolution as a forward one",
        "A transposed convolution scatters each input position through the kernel: (n − 1)·s − 2·p + "
        "d·(k − 1) + output_padding + 1, the inverse of the forward (n + 2·p − d·(k − 1) − 1)/s + 1.",
        "ConvTranspose, Conv2DTranspose", shape=_transposed_as_forward, source=DUMOULIN,
    ),
)
