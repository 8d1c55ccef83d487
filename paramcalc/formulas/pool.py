"""Pooling: max and average pooling with torch's ceil_mode rule, and adaptive pooling."""

from __future__ import annotations

from paramcalc.errors import SpecError
from paramcalc.formulas._shape import split_batch
from paramcalc.formulas.conv import DIM_NAMES


def pool_output_size(
    *,
    size: int,
    kernel_size: int,
    stride: int,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    layer: str = "Pool",
    dim: str = "length",
) -> int:
    """Output length of max or average pooling along one dimension.

    Formula: out = (size + 2·padding − dilation·(kernel_size − 1) − 1) / stride + 1, floored, or
    rounded up with ceil_mode; with ceil_mode the last window must start inside the input or the
    left padding, so out is reduced by one when (out − 1)·stride >= size + padding. out must be >= 1.
    """
    num = size + 2 * padding - dilation * (kernel_size - 1) - 1
    out = (-(-num // stride) if ceil_mode else num // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        rounding = "ceil" if ceil_mode else "floor"
        raise SpecError(
            f"{layer}: output {dim} {rounding}(({size} + 2*{padding} - {dilation}*({kernel_size}-1) - 1)"
            f"/{stride}) + 1 = {out} must be >= 1 (the window is larger than the padded input)"
        )
    return out


def pool_output_shape(
    *,
    input_shape: tuple[int, ...],
    kernel_size: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    ceil_mode: bool = False,
    kernel_within_input: bool = False,
    layer: str = "Pool",
) -> tuple[int, ...]:
    """Output shape of pooling: (N, C, *spatial) or (C, *spatial); channels pass through.

    Formula: (N, C, *size) → (N, C, *out), each out by :func:`pool_output_size`.

    Every dimension but the batch must be >= 1 (torch's rule for max and average pooling);
    with kernel_within_input (torch's AvgPool3d) each input size must also be >= its kernel size,
    padding aside.
    """
    nd = len(kernel_size)
    batch, (channels, *spatial) = split_batch(layer, input_shape, nd + 1)
    for n, name in zip((channels, *spatial), ("channels", *DIM_NAMES[nd])):
        if n < 1:
            raise SpecError(
                f"{layer}: every dimension but the batch must be >= 1, got {name} 0. "
                f"Received: input_shape={tuple(input_shape)}"
            )
    if kernel_within_input:
        for n, k, name in zip(spatial, kernel_size, DIM_NAMES[nd]):
            if n < k:
                raise SpecError(
                    f"{layer}: input {name} {n} is smaller than kernel_size {k} (torch checks this before "
                    f"padding). Received: input_shape={tuple(input_shape)}"
                )
    try:
        out = tuple(
            pool_output_size(
                size=n, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode, layer=layer, dim=name
            )
            for n, k, s, p, d, name in zip(spatial, kernel_size, stride, padding, dilation, DIM_NAMES[nd])
        )
    except SpecError as exc:
        raise SpecError(f"{exc}. Received: input_shape={tuple(input_shape)}") from None
    return (*batch, channels, *out)


def adaptive_pool_output_shape(
    *, input_shape: tuple[int, ...], output_size: tuple[int | None, ...], layer: str = "AdaptiveAvgPool"
) -> tuple[int, ...]:
    """Output shape of adaptive pooling: the spatial sizes become output_size (None keeps the input's).

    Formula: (N, C, *size) → (N, C, *output_size), a None entry keeping its size.

    The spatial sizes must be >= 1; in 3-D, a batched input's channels too (torch's rules). When
    every output size is 1, torch takes the mean over the last dimensions and checks nothing else
    (2-D and 3-D then take any input with at least that many dimensions).
    """
    nd = len(output_size)
    if nd > 1 and len(input_shape) >= nd:
        trailing = input_shape[len(input_shape) - nd:]
        if all((n if o is None else o) == 1 for n, o in zip(trailing, output_size)):
            return (*input_shape[: len(input_shape) - nd], *(1,) * nd)
    batch, (channels, *spatial) = split_batch(layer, input_shape, nd + 1)
    if nd == 1 and output_size[0] == 1:
        return (*batch, channels, 1)
    if nd == 3 and batch and channels < 1:
        raise SpecError(f"{layer}: input channels must be >= 1. Received: input_shape={tuple(input_shape)}")
    for n, name in zip(spatial, DIM_NAMES[nd]):
        if n < 1:
            raise SpecError(f"{layer}: input {name} must be >= 1. Received: input_shape={tuple(input_shape)}")
    out = tuple(n if o is None else o for n, o in zip(spatial, output_size))
    return (*batch, channels, *out)


def adaptive_max_pool_output_shape(
    *, input_shape: tuple[int, ...], output_size: tuple[int | None, ...], layer: str = "AdaptiveMaxPool"
) -> tuple[int, ...]:
    """Output shape of adaptive max pooling: the spatial sizes become output_size (None keeps the input's).

    Formula: (N, C, *size) → (N, C, *output_size). Every dimension but the first (the batch, or an unbatched input's channels) must be >= 1,
    whatever the output size (no shortcut as average pooling has for 1 × … × 1).
    """
    nd = len(output_size)
    batch, core = split_batch(layer, input_shape, nd + 1)
    if any(n < 1 for n in input_shape[1:]):  # torch checks every dimension but the first, batched or not
        raise SpecError(
            f"{layer}: every dimension but the first must be >= 1. Received: input_shape={tuple(input_shape)}"
        )
    channels, *spatial = core
    return (*batch, channels, *(n if o is None else o for n, o in zip(spatial, output_size)))
