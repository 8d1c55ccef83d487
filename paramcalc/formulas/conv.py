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
    """Whether the output length is an exact division (no floor needed).

    Formula: (size + 2·padding − dilation·(kernel_size − 1) − 1) mod stride == 0.
    """
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) % stride == 0


def padded_size(
    *, size: int, left: int, right: int, padding_mode: str, layer: str = "Conv", dim: str = "length"
) -> int:
    """Length of one input dimension after torch pads it in a non-zeros padding_mode (F.pad).

    Formula: size + left + right (a negative padding crops). Torch's limits: "reflect" needs
    left, right < size and a result >= 1; "replicate" needs size >= 1 and a result >= 1;
    "circular" needs left, right <= size (it wraps around at most once) and a result >= 0.
    """
    out = size + left + right
    if padding_mode == "reflect" and max(left, right) >= size:
        raise SpecError(
            f"{layer}: padding_mode='reflect' needs padding smaller than the input {dim}: "
            f"{max(left, right)} >= {size}"
        )
    if padding_mode == "replicate" and size < 1:
        raise SpecError(f"{layer}: padding_mode='replicate' needs a non-empty input, got {dim} 0")
    if padding_mode == "circular" and max(left, right) > size:
        raise SpecError(
            f"{layer}: padding_mode='circular' needs padding at most the input {dim} (it wraps around "
            f"at most once): {max(left, right)} > {size}"
        )
    if out < (0 if padding_mode == "circular" else 1):
        raise SpecError(f"{layer}: padded {dim} {size} + {left} + {right} = {out} is too small")
    return out


def conv_output_shape(
    *,
    input_shape: tuple[int, ...],
    in_channels: int,
    out_channels: int,
    kernel_size: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...] | str,
    dilation: tuple[int, ...],
    padding_mode: str = "zeros",
    layer: str = "Conv",
) -> tuple[int, ...]:
    """Output shape (N, C_out, *spatial) or unbatched (C_out, *spatial) of a convolution.

    Formula: (N, in_channels, *size) → (N, out_channels, *out), each out by :func:`conv_output_size`.
    padding="same" keeps the input size (torch pads dilation·(kernel_size − 1) in all, the odd one
    on the right) and padding="valid" means no padding. With another padding_mode than "zeros",
    torch first pads the input (:func:`padded_size`: a negative padding crops) and then convolves
    it unpadded. Torch runs an empty input (a spatial size of 0) only when the batch size is 0.
    """
    nd = len(kernel_size)
    batch, (channels, *spatial) = split_batch(layer, input_shape, nd + 1)
    if channels != in_channels:
        raise SpecError(
            f"{layer}: expected input with in_channels={in_channels} channels, got {channels}. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    names = DIM_NAMES[nd]
    if padding == "same":
        pads = [same_padding(kernel_size=k, dilation=d) for k, d in zip(kernel_size, dilation)]
    else:
        pads = [(p, p) for p in ((0,) * nd if padding == "valid" else padding)]
    try:
        if padding_mode != "zeros":  # F.pad first, then a convolution without padding
            spatial = [
                padded_size(size=n, left=left, right=right, padding_mode=padding_mode, layer=layer, dim=name)
                for n, (left, right), name in zip(spatial, pads, names)
            ]
            pads = [(0, 0)] * nd
        for n, name in zip(spatial, names):
            if n < 1 and batch != (0,):
                raise SpecError(f"{layer}: input {name} is 0; torch runs an empty input only with batch size 0")
        out = tuple(
            conv_output_size(size=n, kernel_size=k, stride=s, padding=left, dilation=d, layer=layer, dim=name)
            if left == right
            else conv_output_size(size=n + left + right, kernel_size=k, stride=s, dilation=d, layer=layer, dim=name)
            for n, k, s, (left, right), d, name in zip(spatial, kernel_size, stride, pads, dilation, names)
        )
    except SpecError as exc:
        raise SpecError(f"{exc}. Received: input_shape={tuple(input_shape)}") from None
    return (*batch, out_channels, *out)


def conv_transpose_output_size(
    *,
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
    minimum: int = 1,
    layer: str = "ConvTranspose",
    dim: str = "length",
) -> int:
    """Output length of a transposed convolution along one dimension.

    Formula: (size − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1,
    which must be >= minimum (1; torch allows 0 for an input whose batch size is 0).
    """
    out = (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if out < minimum:
        raise SpecError(
            f"{layer}: output {dim} ({size}-1)*{stride} - 2*{padding} + {dilation}*({kernel_size}-1)"
            f" + {output_padding} + 1 = {out} must be >= {minimum}"
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
    """Output shape (N, C_out, *spatial) or unbatched (C_out, *spatial) of a transposed convolution.

    Formula: (N, in_channels, *size) → (N, out_channels, *out), each out by
    :func:`conv_transpose_output_size`. Torch requires every input size >= 1 unless the batch size
    is 0, in which case an output size of 0 is allowed.
    """
    nd = len(kernel_size)
    batch, (channels, *spatial) = split_batch(layer, input_shape, nd + 1)
    if channels != in_channels:
        raise SpecError(
            f"{layer}: expected input with in_channels={in_channels} channels, got {channels}. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    empty_batch = batch == (0,)
    for n, name in zip(spatial, DIM_NAMES[nd]):
        if n < 1 and not empty_batch:
            raise SpecError(
                f"{layer}: input {name} is 0; torch runs an empty input only when the batch size is 0. "
                f"Received: input_shape={tuple(input_shape)}"
            )
    try:
        out = tuple(
            conv_transpose_output_size(
                size=n, kernel_size=k, stride=s, padding=p, output_padding=op, dilation=d,
                minimum=0 if empty_batch else 1, layer=layer, dim=name,
            )
            for n, k, s, p, op, d, name in zip(
                spatial, kernel_size, stride, padding, output_padding, dilation, DIM_NAMES[nd]
            )
        )
    except SpecError as exc:
        raise SpecError(f"{exc}. Received: input_shape={tuple(input_shape)}") from None
    return (*batch, out_channels, *out)
