"""Convolution arithmetic beyond the output size: the effective kernel of a dilated filter, the input
positions a window reads, TensorFlow's "same" padding, what "valid" leaves uncovered, the receptive
field of a stack, and the inverse questions (which padding, input, stride or kernel gives a size).
"""

from __future__ import annotations

from fractions import Fraction

from paramcalc.errors import SpecError


def _positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise SpecError(f"{name} must be >= 1. Received: {name}={value}")


def effective_kernel(*, kernel_size: int, dilation: int = 1) -> int:
    """The span of a dilated filter: the input positions from its first tap to its last.

    Formula: d·(k − 1) + 1.
    """
    _positive(kernel_size=kernel_size, dilation=dilation)
    return dilation * (kernel_size - 1) + 1


def exact_output_size(*, size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> Fraction:
    """The output size before flooring, as the textbook writes it (a fraction when the setting is "invalid").

    Formula: (n + 2·p − d·(k − 1) − 1)/s + 1.
    """
    _positive(stride=stride)
    return Fraction(size + 2 * padding - effective_kernel(kernel_size=kernel_size, dilation=dilation), stride) + 1


def positions_read(
    *, index: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> tuple[int, ...]:
    """The input positions output ``index`` reads (0-based, in the unpadded input; below 0 or past the end
    are padding).

    Formula: index·s − p + j·d for j = 0 … k − 1.
    """
    _positive(kernel_size=kernel_size, stride=stride, dilation=dilation)
    start = index * stride - padding
    return tuple(start + j * dilation for j in range(kernel_size))


def tf_same_padding(*, size: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> tuple[int, int, int]:
    """TensorFlow/Keras "same" padding: the total, then the left and right parts (the extra one on the
    right/bottom).

    Formula: out = ⌈n/s⌉; total = max((out − 1)·s + d·(k − 1) + 1 − n, 0); left = ⌊total/2⌋;
    right = total − left.
    """
    _positive(size=size, stride=stride)
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel(kernel_size=kernel_size, dilation=dilation) - size, 0)
    return total, total // 2, total - total // 2


def valid_uncovered(
    *, size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> tuple[tuple[int, int], ...]:
    """The input positions no window reads, as (first, last) runs (0-based, in the unpadded input).

    With dilation 1, window i reads i·s − p … i·s − p + k − 1: the gaps between windows when s > k, and
    the tail past the last window, n + p − ((out − 1)·s + k) positions. With dilation > 1 a position x is
    read when x + p = i·s + j·d for a window i < out and a tap j < k.
    """
    _positive(size=size, kernel_size=kernel_size, stride=stride, dilation=dilation)
    span = effective_kernel(kernel_size=kernel_size, dilation=dilation)
    out = (size + 2 * padding - span) // stride + 1
    if out < 1:
        raise SpecError(
            f"the window is larger than the padded input: span {span} > {size} + 2·{padding}. "
            f"Received: size={size}, kernel_size={kernel_size}, dilation={dilation}, padding={padding}"
        )
    runs: list[tuple[int, int]] = []

    def add(first: int, last: int) -> None:
        first, last = max(first, 0), min(last, size - 1)
        if first > last:
            return
        if runs and runs[-1][1] + 1 >= first:
            runs[-1] = (runs[-1][0], max(runs[-1][1], last))
        else:
            runs.append((first, last))

    if dilation == 1:
        if stride > kernel_size:
            for i in range(out - 1):
                add(i * stride - padding + kernel_size, (i + 1) * stride - padding - 1)
    else:
        if size * kernel_size > 10**7:
            raise SpecError(
                f"size·kernel_size must be at most 10,000,000 to list the uncovered positions of a dilated "
                f"filter. Received: size={size}, kernel_size={kernel_size}"
            )
        taps = {j * dilation for j in range(kernel_size)}
        for x in range(size + padding):
            offset = x + padding
            if x >= 0 and not any((offset - t) % stride == 0 and 0 <= (offset - t) // stride < out for t in taps):
                add(x, x)
    add((out - 1) * stride - padding + span, size - 1)
    return tuple(runs)


def jump_and_field(
    layers: list[tuple[int, int, int, int]],
) -> list[tuple[int, int, Fraction]]:
    """The receptive field of each layer of a stack, on the stack's input.

    Args:
        layers: (kernel_size, stride, padding, dilation) of each layer, first to last.

    Returns:
        For each layer: (receptive field r, jump j, centre of the first output's field). With
        r_0 = 1, j_0 = 1, c_0 = 0 (input positions from 0): r_l = r_{l−1} + (d·(k − 1))·j_{l−1}; j_l = j_{l−1}·s;
        c_l = c_{l−1} + (d·(k − 1)/2 − p)·j_{l−1}.
    """
    r, j, c = 1, 1, Fraction(0)
    out = []
    for k, s, p, d in layers:
        _positive(kernel_size=k, stride=s, dilation=d)
        span = effective_kernel(kernel_size=k, dilation=d)
        r += (span - 1) * j
        c += (Fraction(span - 1, 2) - p) * j
        j *= s
        out.append((r, j, c))
    return out


def cs231n_dilation(*, gaps: int) -> int:
    """torch's dilation for a filter with ``gaps`` holes between taps (CS231n's "dilation"): gaps + 1.

    CS231n calls a plain filter "dilation 0" and w[0]·x[0] + w[1]·x[2] + w[2]·x[4] "dilation 1"; torch and
    Keras call them dilation 1 and 2.
    """
    if gaps < 0:
        raise SpecError(f"dilation (gaps between taps) must be >= 0. Received: dilation={gaps}")
    return gaps + 1
