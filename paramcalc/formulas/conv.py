"""Convolutions (Conv1d/2d/3d) and transposed convolutions, parameters and output sizes."""

from __future__ import annotations

from math import prod

from paramcalc.errors import SpecError
from paramcalc.formulas._shape import split_batch

DIM_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def conv_params(
    *,
    in_channels: int,
    out_channels: int,
    kernel_size: tuple[int, ...],
    groups: int = 1,
    bias: bool = True,
) -> int:
    """Parameters of a convolution or a transposed convolution.

    Formula: (prod(kernel_size) · in_channels / groups) · out_channels + (out_channels if bias).
    The transposed weight is laid out (in, out/groups, *k) but holds the same number of values.
    """
    return prod(kernel_size) * (in_channels // groups) * out_channels + (out_channels if bias else 0)


def same_padding(*, kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """Left and right padding torch uses for padding="same" (stride 1).

    Formula: total = dilation · (kernel_size − 1); left = total // 2; right = total − left.
    """
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def conv_output_size(
    *,
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    layer: str = "Conv",
    dim: str = "length",
) -> int:
    """Output length of a convolution along one dimension.

    Formula: (size + 2·padding − dilation·(kernel_size − 1) − 1) // stride + 1, which must be >= 1.
    """
    out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    if out < 1:
        raise SpecError(
            f"{layer}: output {dim} ({size} + 2*{padding} - {dilation}*({kernel_size}-1) - 1)"
            f"//{stride} + 1 = {out} must be >= 1 (the kernel is larger than the padded input)"
        )
    return out


def is_exact_division(
    *, size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> bool:
    """Whether (size + 2·padding − dilation·(kernel_size − 1) − 1) divides evenly by stride."""
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) % stride == 0


def conv_output_shape(
    *,
    input_shape: tuple[int, ...],
    in_channels: int,
    out_channels: int,
    kernel_size: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...] | str,
    dilation: tuple[int, ...],
    layer: str = "Conv",
) -> tuple[int, ...]:
    """Output shape (N, C_out, *spatial) or unbatched (C_out, *spatial) of a convolution.

    Each spatial size follows :func:`conv_output_size`; padding="same" keeps the input size and
    padding="valid" means no padding.
    """
    nd = len(kernel_size)
    batch, (channels, *spatial) = split_batch(layer, input_shape, nd + 1)
    if channels != in_channels:
        raise SpecError(
            f"{layer}: expected input with in_channels={in_channels} channels, got {channels}. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    if padding == "same":
        out = []
        for n, k, d, name in zip(spatial, kernel_size, dilation, DIM_NAMES[nd]):
            left, right = same_padding(kernel_size=k, dilation=d)
            if n + left + right - d * (k - 1) < 1:
                raise SpecError(f"{layer}: output {name} must be >= 1. Received: input_shape={input_shape}")
            out.append(n)
        return (*batch, out_channels, *out)
    pads = (0,) * nd if padding == "valid" else padding
    out = tuple(
        conv_output_size(size=n, kernel_size=k, stride=s, padding=p, dilation=d, layer=layer, dim=name)
        for n, k, s, p, d, name in zip(spatial, kernel_size, stride, pads, dilation, DIM_NAMES[nd])
    )
    return (*batch, out_channels, *out)


def conv_transpose_output_size(
    *,
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
    layer: str = "ConvTranspose",
    dim: str = "length",
) -> int:
    """Output length of a transposed convolution along one dimension.

    Formula: (size − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1,
    which must be >= 1.
    """
    out = (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if out < 1:
        raise SpecError(
            f"{layer}: output {dim} ({size}-1)*{stride} - 2*{padding} + {dilation}*({kernel_size}-1)"
            f" + {output_padding} + 1 = {out} must be >= 1"
        )
    return out


def conv_transpose_output_shape(
    *,
    input_shape: tuple[int, ...],
    in_channels: int,
    out_channels: int,
    kernel_size: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    output_padding: tuple[int, ...],
    dilation: tuple[int, ...],
    layer: str = "ConvTranspose",
) -> tuple[int, ...]:
    """Output shape (N, C_out, *spatial) or unbatched (C_out, *spatial) of a transposed convolution."""
    nd = len(kernel_size)
    batch, (channels, *spatial) = split_batch(layer, input_shape, nd + 1)
    if channels != in_channels:
        raise SpecError(
            f"{layer}: expected input with in_channels={in_channels} channels, got {channels}. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    out = tuple(
        conv_transpose_output_size(
            size=n, kernel_size=k, stride=s, padding=p, output_padding=op, dilation=d, layer=layer, dim=name
        )
        for n, k, s, p, op, d, name in zip(
            spatial, kernel_size, stride, padding, output_padding, dilation, DIM_NAMES[nd]
        )
    )
    return (*batch, out_channels, *out)
