"""The Keras layers that slide or scatter a window, or act per spatial dimension, derived by
counting: depthwise and separable convolutions, transposed convolutions, ConvLSTM, global pooling,
ZeroPadding, Cropping and UpSampling. Read as data, as in :mod:`paramcalc.reference.keras_layers`."""

from __future__ import annotations

from typing import Any

from paramcalc.errors import SpecError
from paramcalc.results import Tensor

KShape = tuple[Any, ...]


def refuse(spec: Any, why: str) -> SpecError:
    """The refusal of a layer, named by its class."""
    return SpecError(f"{spec.type.removeprefix('keras.')}: {why}")


def layout(spec: Any, x: KShape, nd: int) -> tuple[list[Any], Any]:
    if len(x) != nd + 2:
        raise refuse(spec, f"a {nd + 2}-D input")
    first = getattr(spec, "data_format", "channels_last") == "channels_first"
    return (list(x[2:]), x[1]) if first else (list(x[1:-1]), x[-1])


def place(spec: Any, x: KShape, spatial: list[Any], channels: Any) -> KShape:
    if getattr(spec, "data_format", "channels_last") == "channels_first":
        return (x[0], channels, *spatial)
    return (x[0], *spatial, channels)


def positions(n: Any, k: int, s: int, d: int, padding: str) -> Any:
    """How many places the window takes: every start p·s whose reach stays inside ("valid"), or
    every start inside the input ("same")."""
    if n is None:
        return None
    reach = d * (k - 1)
    count, start = 0, 0
    while start < n and (padding == "same" or start + reach < n):
        count += 1
        start += s
    return count


def spatial_dims(spec: Any) -> int:
    """The spatial dimensions a type names: the digit before its "D" (Conv2DTranspose, ZeroPadding3D)."""
    return int(next(ch for ch in spec.type if ch.isdigit()))


def windows(spec: Any, x: KShape) -> tuple[list[Any], Any]:
    nd = spatial_dims(spec)
    spatial, channels = layout(spec, x, nd)
    if channels is None:
        raise refuse(spec, "unknown channels")
    out = [positions(n, k, s, d, spec.padding)
           for n, k, s, d in zip(spatial, spec.kernel_size, spec.strides, spec.dilation_rate)]
    if spec.padding == "valid" and 0 in out:
        raise refuse(spec, "the kernel does not fit")
    return out, channels


def depthwise_shapes(spec: Any, x: KShape) -> dict[str, KShape]:
    out, channels = windows(spec, x)
    width = getattr(spec, "filters", None) or channels * spec.depth_multiplier
    return {"output": place(spec, x, out, width)}


def depthwise_weights(spec: Any, x: KShape) -> list[Tensor]:
    _, channels = windows(spec, x)
    m = spec.depth_multiplier
    per_channel = (*spec.kernel_size, channels, m)
    if spec.type.startswith("keras.Depthwise"):
        weights = [Tensor("kernel", per_channel)]
        bias = channels * m
    else:
        weights = [Tensor("depthwise_kernel", per_channel),
                   Tensor("pointwise_kernel", (*[1] * spatial_dims(spec), channels * m, spec.filters))]
        bias = spec.filters
    return weights + ([Tensor("bias", (bias,))] if spec.use_bias else [])


def edges(spec: Any, x: KShape, grow: bool) -> dict[str, KShape]:
    nd = spatial_dims(spec)
    spatial, channels = layout(spec, x, nd)
    sides = spec.padding if grow else spec.cropping
    out = []
    for n, (before, after) in zip(spatial, sides):
        if n is None:
            out.append(None)
        elif grow:
            out.append(len(range(-before, n + after)))
        else:
            kept = len(range(before, n - after))
            if kept < 1:
                raise refuse(spec, "cropped away")
            out.append(kept)
    return {"output": place(spec, x, out, channels)}


def upsampling(spec: Any, x: KShape) -> dict[str, KShape]:
    spatial, channels = layout(spec, x, spatial_dims(spec))
    out = [None if n is None else len([i for i in range(n) for _ in range(f)]) for n, f in zip(spatial, spec.size)]
    return {"output": place(spec, x, out, channels)}


DEPTHWISE = [f"keras.{kind}Conv{n}D" for kind in ("Depthwise", "Separable") for n in (1, 2)]


def global_pool(spec: Any, x: KShape) -> dict[str, KShape]:
    nd = spatial_dims(spec)
    spatial, channels = layout(spec, x, nd)
    if spec.keepdims:
        return {"output": place(spec, x, [1 for _ in spatial], channels)}
    return {"output": (x[0], channels)}


GLOBAL = [f"keras.Global{kind}Pooling{n}D" for kind in ("Max", "Average") for n in (1, 2, 3)]


def conv_lstm_step(spec: Any, x: KShape) -> tuple[KShape, Any]:
    """One step's output (batch, *spatial, F) of a ConvLSTM, and its input channels."""
    nd = spatial_dims(spec)
    if len(x) != nd + 3:
        raise refuse(spec, "rank")
    step = (x[0], *x[2:])
    spatial, channels = layout(spec, step, nd)
    if None in spatial or channels is None:
        raise refuse(spec, "unknown sizes")
    out = [positions(n, k, s, d, spec.padding)
           for n, k, s, d in zip(spatial, spec.kernel_size, spec.strides, spec.dilation_rate)]
    if spec.padding == "valid" and 0 in out:
        raise refuse(spec, "the kernel does not fit")
    return place(spec, step, out, spec.filters), channels


def conv_lstm_shapes(spec: Any, x: KShape) -> dict[str, KShape]:
    step, _ = conv_lstm_step(spec, x)
    out = {"output": (x[0], x[1], *step[1:]) if spec.return_sequences else step}
    if spec.return_state:
        out["state_h"] = out["state_c"] = step
    return out


def conv_lstm_weights(spec: Any, x: KShape) -> list[Tensor]:
    _, channels = conv_lstm_step(spec, x)
    gates = 4 * spec.filters
    out = [Tensor("conv_lstm_cell/kernel", (*spec.kernel_size, channels, gates)),
           Tensor("conv_lstm_cell/recurrent_kernel", (*spec.kernel_size, spec.filters, gates))]
    return out + ([Tensor("conv_lstm_cell/bias", (gates,))] if spec.use_bias else [])


def scatter_length(n: Any, k: int, s: int, d: int, padding: str, extra: Any) -> Any:
    """A transposed convolution's output length: the span every input position reaches through the
    kernel, then Keras's cropping ("same" crops the kernel's half on each side) and output padding."""
    if n is None:
        return None
    reached = {i * s + j * d for i in range(n) for j in range(k)}
    span = max(reached) + 1 if reached else 0
    kernel = d * (k - 1) + 1
    if padding == "valid":
        return span + (max(kernel, s) - kernel if extra is None else extra)
    if extra is None:
        return n * s
    return span - 2 * (kernel // 2) + extra


def transpose_shapes(spec: Any, x: KShape) -> dict[str, KShape]:
    nd = spatial_dims(spec)
    spatial, channels = layout(spec, x, nd)
    if channels is None:
        raise refuse(spec, "unknown channels")
    extras = spec.output_padding or (None,) * nd
    out = [scatter_length(n, k, s, d, spec.padding, e)
           for n, k, s, d, e in zip(spatial, spec.kernel_size, spec.strides, spec.dilation_rate, extras)]
    return {"output": place(spec, x, out, spec.filters)}


def transpose_weights(spec: Any, x: KShape) -> list[Tensor]:
    _, channels = layout(spec, x, spatial_dims(spec))
    if channels is None:
        raise refuse(spec, "unknown channels")
    bias = [Tensor("bias", (spec.filters,))] if spec.use_bias else []
    return [Tensor("kernel", (*spec.kernel_size, spec.filters, channels))] + bias


TRANSPOSED = [f"keras.Conv{n}DTranspose" for n in (1, 2, 3)]

