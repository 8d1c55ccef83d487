"""Shape mistakes: each recomputes a conv or pool layer's output size the wrong way a student would
(omitting the +1, padding one side, not flooring, ...), from the layer's sliding-window arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from paramcalc.checking.situation import (
    AVGPOOL,
    CONV,
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
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool
    is_pool: bool
    #: where the spatial dimensions sit in the output shape
    positions: tuple[int, ...]
    output: Shape = field(default=())


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
        if name not in (*KERAS_CONV, *KERAS_MAXPOOL, *KERAS_AVGPOOL) or spec.padding != "valid":
            return None
        last = spec.data_format == "channels_last"
        first_spatial = 1 if last else 2
        positions = tuple(range(first_spatial, first_spatial + nd))
        sizes = tuple(x[i] for i in positions)
        if any(n is None for n in sizes):
            return None
        is_pool = name not in KERAS_CONV
        kernel = spec.pool_size if is_pool else spec.kernel_size
        dilation = (1,) * nd if is_pool else spec.dilation_rate
        return Window(sizes, kernel, spec.strides, (0,) * nd, dilation, False, is_pool, positions, out)
    if isinstance(spec, CONV):
        if spec.padding == "same":
            return None
        padding = (0,) * nd if spec.padding == "valid" else spec.padding
        dilation, ceil_mode, is_pool = spec.dilation, False, False
    elif isinstance(spec, MAXPOOL):
        padding, dilation, ceil_mode, is_pool = spec.padding, spec.dilation, spec.ceil_mode, True
    elif isinstance(spec, AVGPOOL):
        padding, dilation, ceil_mode, is_pool = spec.padding, (1,) * nd, spec.ceil_mode, True
    else:
        return None
    positions = tuple(range(len(out) - nd, len(out)))
    return Window(
        tuple(x[len(x) - nd:]), spec.kernel_size, spec.stride, padding, dilation, ceil_mode, is_pool,
        positions, out,
    )


def _per_dim(
    rule: Callable[[int, int, int, int, int], int | Fraction | None], *, when: Callable[[Window], bool] | None = None
) -> Callable[[Situation], AnswerShape | None]:
    """A shape mistake from a per-dimension rule (n, k, s, p, d) -> wrong size."""

    def shape(s: Situation) -> AnswerShape | None:
        w = window(s)
        if w is None or (when is not None and not when(w)):
            return None
        out: list[Any] = list(w.output)
        for pos, n, k, st, p, d in zip(w.positions, w.sizes, w.kernel, w.stride, w.padding, w.dilation):
            size = rule(n, k, st, p, d)
            if size is None or size < 1:
                return None
            out[pos] = size
        wrong = tuple(out)
        return None if wrong == w.output else wrong

    return shape


def _numerator(n: int, k: int, p: int, d: int) -> int:
    return n + 2 * p - d * (k - 1) - 1


def _inexact(w: Window) -> bool:
    return any(
        _numerator(n, k, p, d) % st for n, k, st, p, d in zip(w.sizes, w.kernel, w.stride, w.padding, w.dilation)
    )


def _exact_fraction(n: int, k: int, s: int, p: int, d: int) -> Fraction:
    return Fraction(_numerator(n, k, p, d), s) + 1


def _ceil(n: int, k: int, s: int, p: int, d: int) -> int:
    return -(-_numerator(n, k, p, d) // s) + 1


def _floor(n: int, k: int, s: int, p: int, d: int) -> int:
    return _numerator(n, k, p, d) // s + 1


#: The shape mistakes, in the order they are tried.
SHAPE_MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "no_plus_one", "omitting the +1 in the output-size formula",
        "The output size is (n + 2·p − d·(k − 1) − 1)/s + 1 (with d = 1: (n + 2p − k)/s + 1): the +1 counts "
        "the first window position.",
        "Conv, MaxPool, AvgPool",
        shape=_per_dim(lambda n, k, s, p, d: _numerator(n, k, p, d) // s),
    ),
    Mistake(
        "one_side_padding", "padding only one side",
        "Padding p is added on both sides of each dimension: the padded size is n + 2·p, not n + p.",
        "Conv, MaxPool, AvgPool with padding",
        shape=_per_dim(lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1 if p else None),
    ),
    Mistake(
        "padding_ignored", "forgetting the padding",
        "The window slides over the padded input, n + 2·p long.",
        "Conv, MaxPool, AvgPool with padding",
        shape=_per_dim(lambda n, k, s, p, d: (n - d * (k - 1) - 1) // s + 1 if p else None),
    ),
    Mistake(
        "not_floored", "not flooring (n − k)/s",
        "When (n + 2·p − k)/s is not whole, the last partial window is dropped: torch floors the division "
        "(exam problems usually choose sizes that divide exactly).",
        "Conv, MaxPool, AvgPool",
        shape=_per_dim(_exact_fraction, when=lambda w: _inexact(w) and not w.ceil_mode),
    ),
    Mistake(
        "rounded_up", "rounding (n − k)/s up instead of down",
        "Without ceil_mode the division is floored, not rounded up: a window that would run past the input "
        "is dropped.",
        "Conv, MaxPool, AvgPool",
        shape=_per_dim(_ceil, when=lambda w: _inexact(w) and not w.ceil_mode),
    ),
    Mistake(
        "ceil_mode_ignored", "flooring although ceil_mode=True",
        "With ceil_mode=True pooling rounds the division up (keeping a last window that starts inside the "
        "input).",
        "MaxPool, AvgPool with ceil_mode",
        shape=_per_dim(_floor, when=lambda w: w.ceil_mode),
    ),
    Mistake(
        "dilation_ignored", "using (H + 2P − F)/S with dilation ignored",
        "A dilated kernel spans d·(k − 1) + 1 positions: the output size is (n + 2·p − d·(k − 1) − 1)/s + 1.",
        "Conv, MaxPool with dilation > 1",
        shape=_per_dim(lambda n, k, s, p, d: (n + 2 * p - k) // s + 1 if d > 1 else None),
    ),
    Mistake(
        "pool_stride_one", "using stride 1 for pooling",
        "torch's pooling layers default stride to kernel_size: MaxPool2d(2) halves the size.",
        "MaxPool, AvgPool",
        shape=_per_dim(
            lambda n, k, s, p, d: _numerator(n, k, p, d) + 1 if s > 1 else None,
            when=lambda w: w.is_pool and w.stride == w.kernel,
        ),
    ),
)
