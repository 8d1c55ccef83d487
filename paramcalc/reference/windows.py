"""Output lengths of windowed layers found by counting window positions and scattering inputs.

Convolutions and pooling: how many windows fit on the (padded) input, stepping by the stride.
Transposed convolutions: how far the input positions reach when scattered through the kernel.
Adaptive pooling: the asked size. The loops make this meant for test-sized inputs.
"""

from __future__ import annotations

from typing import Any

from paramcalc.errors import SpecError

Shape = tuple[int, ...]


def dims_of(tag: str) -> int:
    """Spatial dimensions in a tag such as ``Conv2d`` or ``MaxPool3d``."""
    return int(tag[-2])


def window_count(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Count the window positions over the padded input (length n + 2p), stepping by s.

    A window spans d·(k − 1) + 1 elements. It counts when it ends inside the padded input; in
    ceil_mode a last window may stick out past the end by less than a stride, if it starts inside
    the input or the left padding.
    """
    span = d * (k - 1) + 1
    padded = n + 2 * p
    count = 0
    start = 0
    while True:
        overhang = start + span - padded
        if overhang <= 0:
            count += 1
        elif ceil_mode and overhang < s and start < n + p:
            count += 1
            break
        else:
            break
        start += s
    return count


def scatter_length(n: int, k: int, s: int, p: int, op: int, d: int) -> int:
    """Length of a transposed convolution's output by scattering every input position.

    Input position i writes to i·s + j·d for each kernel tap j; the full output is cropped by p
    on both sides and extended by output_padding on one.
    """
    if n:
        touched = max(i * s + j * d for i in range(n) for j in range(k)) + 1
    else:  # nothing to scatter; torch extends the span backwards by one stride
        touched = (k - 1) * d + 1 - s
    return touched - 2 * p + op


def pads(spec: Any, nd: int) -> list[tuple[int, int]]:
    """(left, right) padding per spatial dimension, as torch applies it."""
    padding = getattr(spec, "padding", 0)
    if padding == "same":  # torch splits d·(k − 1), the extra one on the right
        return [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(spec.kernel_size, spec.dilation)]
    if padding == "valid":
        return [(0, 0)] * nd
    return [(p, p) for p in padding]


def pad_line(mode: str, n: int, left: int, right: int) -> int | None:
    """Pad a line of n cells as torch's F.pad does in this mode, and return its new length.

    A negative padding removes cells. None when F.pad refuses: reflect mirrors without repeating
    the edge cell (so it needs more cells than it mirrors), replicate repeats the edge cell (so it
    needs one), circular copies from the other end at most once.
    """
    cells = list(range(n))
    if mode == "reflect" and (left >= n or right >= n):
        return None
    if mode == "replicate" and n == 0:
        return None
    if mode == "circular" and (left > n or right > n):
        return None
    if max(-left, 0) + max(-right, 0) > n:
        return None  # crops more cells than there are
    line = [None] * max(left, 0) + cells[max(-left, 0): n - max(-right, 0)] + [None] * max(right, 0)
    return len(line) if len(line) >= (0 if mode == "circular" else 1) else None


def split(tag: str, x: Shape, core: int) -> tuple[Shape, Shape]:
    """(batch, rest) of an input of rank core (unbatched) or core + 1 (batched)."""
    if len(x) == core:
        return (), x
    if len(x) == core + 1:
        return x[:1], x[1:]
    raise SpecError(f"{tag}: input of rank {len(x)} is not {core}D or {core + 1}D")


def sliding(spec: Any, *shapes: Shape) -> dict[str, Shape]:
    """Convolutions and pooling: count the windows along each spatial dimension."""
    tag = spec.type
    nd = dims_of(tag)
    x = tuple(shapes[0])
    batch, (c, *spatial) = split(tag, x, nd + 1)
    is_conv = tag.startswith("Conv")
    if is_conv and c != spec.in_channels:
        raise SpecError(f"{tag}: channel mismatch")
    dil = getattr(spec, "dilation", None) or (1,) * nd
    stride = spec.stride or spec.kernel_size  # pooling: the stride defaults to the kernel size
    padded_by = pads(spec, nd)
    mode = getattr(spec, "padding_mode", "zeros")
    if is_conv and mode != "zeros":  # torch pads first, then convolves unpadded
        padded = [pad_line(mode, n, left, right) for n, (left, right) in zip(spatial, padded_by)]
        if None in padded:
            raise SpecError(f"{tag}: padding_mode {mode} cannot pad this input")
        spatial, padded_by = padded, [(0, 0)] * nd
    if is_conv:
        for n in spatial:
            if n == 0 and batch != (0,):
                raise SpecError(f"{tag}: empty input with a non-empty batch")
    elif 0 in (c, *spatial):
        raise SpecError(f"{tag}: pooling needs every dimension but the batch to be non-empty")
    if tag == "AvgPool3d" and any(n < k for n, k in zip(spatial, spec.kernel_size)):
        raise SpecError(f"{tag}: input smaller than the kernel")
    ceil_mode = getattr(spec, "ceil_mode", False)
    out = []
    for n, k, s, (left, right), d in zip(spatial, spec.kernel_size, stride, padded_by, dil):
        if left != right:  # "same" with an even span: count the windows on the padded line
            span, padded_length = d * (k - 1) + 1, left + n + right
            length = sum(1 for start in range(0, padded_length, s) if start + span <= padded_length)
        else:
            length = window_count(n, k, s, left, d, ceil_mode)
        if length < 1:
            raise SpecError(f"{tag}: no window fits")
        out.append(length)
    channels = spec.out_channels if is_conv else c
    result = (*batch, channels, *out)
    if getattr(spec, "return_indices", False):
        return {"output": result, "indices": result}
    return {"output": result}


def scattered(spec: Any, *shapes: Shape) -> dict[str, Shape]:
    """Transposed convolutions: scatter each spatial dimension's input positions through the kernel."""
    tag = spec.type
    nd = dims_of(tag)
    batch, (c, *spatial) = split(tag, tuple(shapes[0]), nd + 1)
    if c != spec.in_channels:
        raise SpecError(f"{tag}: channel mismatch")
    out = []
    for n, k, s, p, op, d in zip(spatial, spec.kernel_size, spec.stride, spec.padding, spec.output_padding, spec.dilation):
        if n == 0 and batch != (0,):
            raise SpecError(f"{tag}: empty input with a non-empty batch")
        length = scatter_length(n, k, s, p, op, d)
        if length < (0 if batch == (0,) else 1):  # torch lets an empty batch give an empty output
            raise SpecError(f"{tag}: output too small")
        out.append(length)
    return {"output": (*batch, spec.out_channels, *out)}


def adaptive(spec: Any, *shapes: Shape) -> dict[str, Shape]:
    """Adaptive average pooling: the asked size (None keeps the input's) per spatial dimension."""
    tag = spec.type
    nd = dims_of(tag)
    x = tuple(shapes[0])
    # A 1 × ... × 1 output is torch's plain mean over the trailing dims, which checks
    # nothing more (AdaptiveAvgPool1d still wants a 2D or 3D input).
    kept = x[-nd:] if len(x) >= nd else ()
    wanted = [n if o is None else o for n, o in zip(kept, spec.output_size)]
    if kept and set(wanted) == {1} and (nd > 1 or len(x) in (2, 3)):
        return {"output": x[: len(x) - nd] + (1,) * nd}
    batch, (c, *spatial) = split(tag, x, nd + 1)
    if any(n < 1 for n in spatial) or (nd == 3 and batch and c < 1):
        raise SpecError(f"{tag}: empty input")
    return {"output": (*batch, c, *(n if o is None else o for n, o in zip(spatial, spec.output_size)))}


def adaptive_max(spec: Any, *shapes: Shape) -> dict[str, Shape]:
    """Adaptive max pooling: torch wants every dimension but the first non-empty (batched or not)."""
    tag = spec.type
    nd = dims_of(tag)
    batch, core = split(tag, tuple(shapes[0]), nd + 1)
    if 0 in tuple(shapes[0])[1:]:
        raise SpecError(f"{tag}: empty input")
    c, *spatial = core
    out = (*batch, c, *(n if o is None else o for n, o in zip(spatial, spec.output_size)))
    return {"output": out, "indices": out} if spec.return_indices else {"output": out}


#: Output shapes by type tag.
SHAPES = {
    **{f"{kind}{n}d": sliding for kind in ("Conv", "MaxPool", "AvgPool") for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": scattered for n in (1, 2, 3)},
    **{f"AdaptiveAvgPool{n}d": adaptive for n in (1, 2, 3)},
    **{f"AdaptiveMaxPool{n}d": adaptive_max for n in (1, 2, 3)},
}


# -- Convolution arithmetic by walking the windows ---------------------------------------------


def windows_read(n: int, k: int, s: int, left: int, right: int, d: int) -> list[list[int]]:
    """Every window over a line of n cells padded by ``left`` and ``right``, as the input positions it
    touches (padding cells numbered below 0 and from n on), found by sliding a window step by step."""
    cells = list(range(-left, n + right))
    out = []
    start = 0
    while start + d * (k - 1) < len(cells):
        out.append([cells[start + j * d] for j in range(k)])
        start += s
    return out


def tf_same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's "same" padding found by search: the least total padding whose windows number
    ⌈n/s⌉ (found by counting the strides that start inside the input), split with the extra cell on the
    right."""
    wanted = len(range(0, n, s))
    total = 0
    while len(windows_read(n, k, s, total // 2, total - total // 2, d)) < wanted:
        total += 1
    return total // 2, total - total // 2


def unread(n: int, k: int, s: int, p: int, d: int) -> list[int]:
    """The input positions (0 … n − 1) that no window reads."""
    seen = {x for w in windows_read(n, k, s, p, p, d) for x in w}
    return [x for x in range(n) if x not in seen]


def field_of_stack(layers: list[tuple[int, int, int, int]]) -> tuple[int, int]:
    """Receptive field and jump of the last layer's outputs 0 and 1, found by tracing them back through
    every layer's windows on a line long enough for both (padding cells count, as the field is a span)."""
    def back(positions: set[int]) -> set[int]:
        for k, s, p, d in reversed(layers):
            positions = {o * s - p + j * d for o in positions for j in range(k)}
        return positions

    first, second = back({0}), back({1})
    return max(first) - min(first) + 1, min(second) - min(first)
