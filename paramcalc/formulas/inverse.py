"""The inverse questions of the output-size formula (n + 2·p − d·(k − 1) − 1)/s + 1: which padding,
input size, stride or kernel gives a size, every solution in a range, exact or floored.
"""

from __future__ import annotations

from fractions import Fraction

from paramcalc.errors import SpecError

#: The most candidates one question may try (a range wider than this is refused).
MAX_CANDIDATES = 100_000


def _exact(n: int, k: int, s: int, p: int, d: int) -> Fraction:
    return Fraction(n + 2 * p - d * (k - 1) - 1, s) + 1


def _range(name: str, lo: int, hi: int, least: int) -> range:
    if lo < least:
        raise SpecError(f"{name}: the range must start at {least} or more. Received: {lo}")
    if hi < lo:
        raise SpecError(f"{name}: the range is empty. Received: {lo}..{hi}")
    if hi - lo + 1 > MAX_CANDIDATES:
        raise SpecError(f"{name}: at most {MAX_CANDIDATES:,} candidates. Received: {lo}..{hi}")
    return range(lo, hi + 1)


def _keep(exact: Fraction, target: int | None, floored: bool) -> bool:
    if exact < 1:
        return False
    if target is None:
        return exact.denominator == 1
    if exact.denominator == 1:
        return exact == target
    return floored and int(exact) == target


def solve_padding(
    *, size: int, kernel_size: int, stride: int = 1, dilation: int = 1, target: int | None = None,
    lo: int = 0, hi: int = 10, floored: bool = False,
) -> list[tuple[int, Fraction]]:
    """Paddings p in lo … hi whose output is ``target`` (default: ``size``, the size kept).

    Formula: (n + 2·p − d·(k − 1) − 1)/s + 1 = target; exact ones only unless ``floored``.
    Returns (p, exact output) pairs.
    """
    goal = size if target is None else target
    return [(p, e) for p in _range("padding", lo, hi, 0)
            if _keep(e := _exact(size, kernel_size, stride, p, dilation), goal, floored)]


def solve_input(
    *, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, target: int | None = None,
    lo: int = 1, hi: int = 64, floored: bool = False,
) -> list[tuple[int, Fraction]]:
    """Input sizes n in lo … hi for which (n − d·(k − 1) − 1 + 2·p)/s + 1 is whole (and ``target``, if given).

    Returns (n, exact output) pairs.
    """
    return [(n, e) for n in _range("input", lo, hi, 1)
            if _keep(e := _exact(n, kernel_size, stride, padding, dilation), target, floored)]


def solve_stride(
    *, size: int, kernel_size: int, padding: int = 0, dilation: int = 1, target: int | None = None,
    lo: int = 1, hi: int = 10, floored: bool = False,
) -> list[tuple[int, Fraction]]:
    """Strides s in lo … hi giving ``target`` (or, without one, every s that divides exactly).

    Returns (s, exact output) pairs.
    """
    return [(s, e) for s in _range("stride", lo, hi, 1)
            if _keep(e := _exact(size, kernel_size, s, padding, dilation), target, floored)]


def solve_kernel(
    *, size: int, stride: int = 1, padding: int = 0, dilation: int = 1, target: int | None = None,
    lo: int = 1, hi: int = 11, floored: bool = False,
) -> list[tuple[int, Fraction]]:
    """Kernel sizes k in lo … hi giving ``target`` (or, without one, every k that divides exactly).

    Returns (k, exact output) pairs.
    """
    return [(k, e) for k in _range("kernel", lo, hi, 1)
            if _keep(e := _exact(size, k, stride, padding, dilation), target, floored)]
