"""The independent reference: derives counts and shapes another way than the formulas.

Parameters come from enumerating the tensors torch creates, with their state_dict names and
shapes, and summing their sizes; output lengths come from simulating the layer (counting window
positions, scattering a transposed convolution), not from the closed forms. This module never
imports :mod:`paramcalc.formulas`; tests compare the two over the whole valid argument space.
The simulations loop over positions, so they are meant for test-sized inputs.
"""

from __future__ import annotations

from typing import Any

from paramcalc.errors import SpecError
from paramcalc.results import Count, Tensor
from paramcalc.specs import (
    GRU,
    LSTM,
    RNN,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Dropout,
    Embedding,
    Flatten,
    GELU,
    Identity,
    LayerNorm,
    LayerSpec,
    Linear,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MultiheadAttention,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

Shape = tuple[int, ...]
GATE_NAMES = {"RNN": "", "LSTM": "the 4 gates (i, f, g, o)", "GRU": "the 3 gates (r, z, n)"}


def _t(name: str, shape: Shape, description: str, kind: str = "trainable") -> Tensor:
    return Tensor(name, tuple(shape), kind, description)  # type: ignore[arg-type]


def _linear(prefix: str, n_in: int, n_out: int, bias: bool, what: str) -> list[Tensor]:
    out = [_t(f"{prefix}weight", (n_out, n_in), f"{what} weights")]
    if bias:
        out.append(_t(f"{prefix}bias", (n_out,), f"{what} bias"))
    return out


def _layernorm(prefix: str, shape: Shape, affine: bool, bias: bool, what: str = "LayerNorm") -> list[Tensor]:
    if not affine:
        return []
    out = [_t(f"{prefix}weight", shape, f"{what} scale (gamma)")]
    if bias:
        out.append(_t(f"{prefix}bias", shape, f"{what} shift (beta)"))
    return out


def _mha(prefix: str, e: int, kdim: int | None, vdim: int | None, bias: bool, add_bias_kv: bool) -> list[Tensor]:
    kdim = e if kdim is None else kdim
    vdim = e if vdim is None else vdim
    out = []
    if kdim == e and vdim == e:
        out.append(_t(f"{prefix}in_proj_weight", (3 * e, e), "query, key and value projections, stacked"))
    else:
        out += [
            _t(f"{prefix}q_proj_weight", (e, e), "query projection"),
            _t(f"{prefix}k_proj_weight", (e, kdim), "key projection"),
            _t(f"{prefix}v_proj_weight", (e, vdim), "value projection"),
        ]
    if bias:
        out.append(_t(f"{prefix}in_proj_bias", (3 * e,), "query, key and value biases"))
    if add_bias_kv:
        out += [_t(f"{prefix}bias_k", (1, 1, e), "learned key appended to the sequence"),
                _t(f"{prefix}bias_v", (1, 1, e), "learned value appended to the sequence")]
    out.append(_t(f"{prefix}out_proj.weight", (e, e), "output projection weights"))
    if bias:
        out.append(_t(f"{prefix}out_proj.bias", (e,), "output projection bias"))
    return out


def _transformer_layer(prefix: str, spec: TransformerEncoderLayer | TransformerDecoderLayer) -> list[Tensor]:
    d, ff, b = spec.d_model, spec.dim_feedforward, spec.bias
    out = _mha(f"{prefix}self_attn.", d, None, None, b, False)
    norms = 2
    if isinstance(spec, TransformerDecoderLayer):
        out += _mha(f"{prefix}multihead_attn.", d, None, None, b, False)
        norms = 3
    out += _linear(f"{prefix}linear1.", d, ff, b, "feed-forward expansion")
    out += _linear(f"{prefix}linear2.", ff, d, b, "feed-forward contraction")
    for i in range(1, norms + 1):
        out += _layernorm(f"{prefix}norm{i}.", (d,), True, b)
    return out


def _recurrent(spec: RNN | LSTM | GRU) -> list[Tensor]:
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[spec.name]
    h = spec.hidden_size
    proj = getattr(spec, "proj_size", 0)
    h_out = proj if proj else h
    directions = ["", "_reverse"] if spec.bidirectional else [""]
    what = GATE_NAMES[spec.name]
    of = f" of {what}" if what else ""
    out = []
    for layer in range(spec.num_layers):
        n_in = spec.input_size if layer == 0 else h_out * len(directions)
        for sfx in directions:
            where = f"layer {layer}" + (", reverse direction" if sfx else "")
            out.append(_t(f"weight_ih_l{layer}{sfx}", (gates * h, n_in), f"input-to-hidden weights{of}, {where}"))
            out.append(_t(f"weight_hh_l{layer}{sfx}", (gates * h, h_out), f"hidden-to-hidden weights{of}, {where}"))
            if spec.bias:
                out.append(_t(f"bias_ih_l{layer}{sfx}", (gates * h,), f"input-to-hidden bias{of}, {where}"))
                out.append(_t(f"bias_hh_l{layer}{sfx}", (gates * h,), f"hidden-to-hidden bias{of}, {where}"))
            if proj:
                out.append(_t(f"weight_hr_l{layer}{sfx}", (proj, h), f"projection of the hidden state, {where}"))
    return out


def param_tensors(spec: LayerSpec) -> list[Tensor]:
    """The parameters and buffers torch creates for ``spec`` (resolved), in state_dict order."""
    match spec:
        case Linear():
            return _linear("", spec.in_features, spec.out_features, spec.bias, "connection")
        case Conv1d() | Conv2d() | Conv3d():
            w = (spec.out_channels, spec.in_channels // spec.groups, *spec.kernel_size)
            out = [_t("weight", w, "filters: out_channels × in_channels/groups × kernel")]
            if spec.bias:
                out.append(_t("bias", (spec.out_channels,), "one bias per output channel"))
            return out
        case ConvTranspose1d() | ConvTranspose2d() | ConvTranspose3d():
            w = (spec.in_channels, spec.out_channels // spec.groups, *spec.kernel_size)
            out = [_t("weight", w, "filters: in_channels × out_channels/groups × kernel")]
            if spec.bias:
                out.append(_t("bias", (spec.out_channels,), "one bias per output channel"))
            return out
        case BatchNorm1d() | BatchNorm2d() | BatchNorm3d():
            c = spec.num_features
            out = []
            if spec.affine:
                out.append(_t("weight", (c,), "scale (gamma) per channel"))
                if spec.bias:
                    out.append(_t("bias", (c,), "shift (beta) per channel"))
            if spec.track_running_stats:
                out += [
                    _t("running_mean", (c,), "running mean per channel (buffer)", "buffer"),
                    _t("running_var", (c,), "running variance per channel (buffer)", "buffer"),
                    _t("num_batches_tracked", (), "batches seen (buffer)", "buffer"),
                ]
            return out
        case LayerNorm():
            return _layernorm("", spec.normalized_shape, spec.elementwise_affine, spec.bias)
        case Embedding():
            return [_t("weight", (spec.num_embeddings, spec.embedding_dim), "one vector per token")]
        case RNN() | LSTM() | GRU():
            return _recurrent(spec)
        case MultiheadAttention():
            return _mha("", spec.embed_dim, spec.kdim, spec.vdim, spec.bias, spec.add_bias_kv)
        case TransformerEncoderLayer() | TransformerDecoderLayer():
            return _transformer_layer("", spec)
        case TransformerEncoder():
            out = []
            for i in range(spec.num_layers):
                out += _transformer_layer(f"layers.{i}.", spec.encoder_layer)
            if spec.norm is not None:
                shape = spec.norm.normalized_shape or (spec.encoder_layer.d_model,)
                out += _layernorm("norm.", shape, spec.norm.elementwise_affine, spec.norm.bias, "final LayerNorm")
            return out
        case _:
            from paramcalc import blocks

            if isinstance(spec, blocks.BLOCK_TYPES):
                return blocks.reference_tensors(spec)
            return []


def count(spec: LayerSpec) -> Count:
    """Sum the sizes of the enumerated tensors."""
    return Count.of_tensors(param_tensors(spec))


# -- Shapes by simulation --------------------------------------------------------------------


def _window_count(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
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


def _scatter_length(n: int, k: int, s: int, p: int, op: int, d: int) -> int:
    """Length of a transposed convolution's output by scattering every input position.

    Input position i writes to i·s + j·d for each kernel tap j; the full output is cropped by p
    on both sides and extended by output_padding on one.
    """
    if n:
        touched = max(i * s + j * d for i in range(n) for j in range(k)) + 1
    else:  # nothing to scatter; torch extends the span backwards by one stride
        touched = (k - 1) * d + 1 - s
    return touched - 2 * p + op


def _pads(spec: Any) -> list[tuple[int, int]]:
    """(left, right) padding per spatial dimension, as torch applies it."""
    if getattr(spec, "padding", None) == "same":  # torch splits d·(k − 1), the extra one on the right
        return [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(spec.kernel_size, spec.dilation)]
    if getattr(spec, "padding", None) == "valid":
        return [(0, 0)] * spec.nd
    return [(p, p) for p in spec.padding]


def _pad_line(mode: str, n: int, left: int, right: int) -> int | None:
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


def _split(spec_name: str, x: Shape, core: int) -> tuple[Shape, Shape]:
    if len(x) == core:
        return (), x
    if len(x) == core + 1:
        return x[:1], x[1:]
    raise SpecError(f"{spec_name}: input of rank {len(x)} is not {core}D or {core + 1}D")


def output_shapes(spec: LayerSpec, *shapes: Shape) -> dict[str, Shape]:
    """Output shapes found by simulating the layer over the input shape(s)."""
    x = tuple(shapes[0])
    name = spec.name
    match spec:
        case Conv1d() | Conv2d() | Conv3d() | MaxPool1d() | MaxPool2d() | MaxPool3d() | AvgPool1d() | AvgPool2d() | AvgPool3d():
            batch, (c, *spatial) = _split(name, x, spec.nd + 1)
            is_conv = isinstance(spec, (Conv1d, Conv2d, Conv3d))
            if is_conv and c != spec.in_channels:
                raise SpecError(f"{name}: channel mismatch")
            dil = getattr(spec, "dilation", (1,) * spec.nd)
            stride = spec.stride
            pads = _pads(spec)
            if is_conv and spec.padding_mode != "zeros":  # torch pads first, then convolves unpadded
                padded = [_pad_line(spec.padding_mode, n, left, right) for n, (left, right) in zip(spatial, pads)]
                if None in padded:
                    raise SpecError(f"{name}: padding_mode {spec.padding_mode} cannot pad this input")
                spatial, pads = padded, [(0, 0)] * spec.nd
            if is_conv:
                for n in spatial:
                    if n == 0 and batch != (0,):
                        raise SpecError(f"{name}: empty input with a non-empty batch")
            elif 0 in (c, *spatial):
                raise SpecError(f"{name}: pooling needs every dimension but the batch to be non-empty")
            if isinstance(spec, AvgPool3d) and any(n < k for n, k in zip(spatial, spec.kernel_size)):
                raise SpecError(f"{name}: input smaller than the kernel")
            ceil_mode = getattr(spec, "ceil_mode", False)
            out = []
            for n, k, s, (left, right), d in zip(spatial, spec.kernel_size, stride, pads, dil):
                if left != right:  # "same" with an even span: count the windows on the padded line
                    span, padded = d * (k - 1) + 1, left + n + right
                    length = sum(1 for start in range(0, padded, s) if start + span <= padded)
                else:
                    length = _window_count(n, k, s, left, d, ceil_mode)
                if length < 1:
                    raise SpecError(f"{name}: no window fits")
                out.append(length)
            channels = spec.out_channels if is_conv else c
            result = (*batch, channels, *out)
            if getattr(spec, "return_indices", False):
                return {"output": result, "indices": result}
            return {"output": result}
        case ConvTranspose1d() | ConvTranspose2d() | ConvTranspose3d():
            batch, (c, *spatial) = _split(name, x, spec.nd + 1)
            if c != spec.in_channels:
                raise SpecError(f"{name}: channel mismatch")
            out = []
            for n, k, s, p, op, d in zip(spatial, spec.kernel_size, spec.stride, spec.padding, spec.output_padding, spec.dilation):
                if n == 0 and batch != (0,):
                    raise SpecError(f"{name}: empty input with a non-empty batch")
                length = _scatter_length(n, k, s, p, op, d)
                if length < (0 if batch == (0,) else 1):  # torch lets an empty batch give an empty output
                    raise SpecError(f"{name}: output too small")
                out.append(length)
            return {"output": (*batch, spec.out_channels, *out)}
        case AdaptiveAvgPool1d() | AdaptiveAvgPool2d() | AdaptiveAvgPool3d():
            # A 1 × ... × 1 output is torch's plain mean over the trailing dims, which checks
            # nothing more (AdaptiveAvgPool1d still wants a 2D or 3D input).
            kept = x[-spec.nd:] if len(x) >= spec.nd else ()
            wanted = [n if o is None else o for n, o in zip(kept, spec.output_size)]
            if kept and set(wanted) == {1} and (spec.nd > 1 or len(x) in (2, 3)):
                return {"output": x[: len(x) - spec.nd] + (1,) * spec.nd}
            batch, (c, *spatial) = _split(name, x, spec.nd + 1)
            if any(n < 1 for n in spatial) or (spec.nd == 3 and batch and c < 1):
                raise SpecError(f"{name}: empty input")
            return {"output": (*batch, c, *(n if o is None else o for n, o in zip(spatial, spec.output_size)))}
        case Linear():
            if not x or x[-1] != spec.in_features:
                raise SpecError("Linear: feature mismatch")
            return {"output": x[:-1] + (spec.out_features,)}
        case Embedding():
            elements = 1
            for n in x:
                elements *= n
            if spec.num_embeddings == 0 and elements:
                raise SpecError("Embedding: index out of range of an empty table")
            return {"output": x + (spec.embedding_dim,)}
        case BatchNorm1d() | BatchNorm2d() | BatchNorm3d():
            if len(x) not in {1: (2, 3), 2: (4,), 3: (5,)}[spec.nd]:
                raise SpecError(f"{name}: bad input")
            has_per_channel_tensors = bool(param_tensors(spec))
            if has_per_channel_tensors and 0 not in x and x[1] != spec.num_features:
                raise SpecError(f"{name}: bad channel count")
            values_per_channel = x[0]
            for n in x[2:]:
                values_per_channel *= n
            if not spec.track_running_stats and values_per_channel == 1:
                raise SpecError(f"{name}: batch statistics of a single value")
            return {"output": x}
        case LayerNorm():
            k = len(spec.normalized_shape)
            if len(x) < k or tuple(x[-k:]) != spec.normalized_shape:
                raise SpecError("LayerNorm: bad input")
            return {"output": x}
        case RNN() | LSTM() | GRU():
            if len(x) not in (2, 3) or x[-1] != spec.input_size:
                raise SpecError(f"{name}: bad input")
            if x[1 if spec.batch_first and len(x) == 3 else 0] == 0:
                raise SpecError(f"{name}: empty sequence")
            d = 2 if spec.bidirectional else 1
            h_out = getattr(spec, "proj_size", 0) or spec.hidden_size
            # Simulate the stack: each layer's output feeds the next one.
            seq = list(x)
            for _ in range(spec.num_layers):
                seq[-1] = d * h_out
            states = d * spec.num_layers
            if len(x) == 2:
                batch_dims: tuple[int, ...] = ()
            else:
                batch_dims = (x[0] if spec.batch_first else x[1],)
            result = {"output": tuple(seq), "h_n": (states, *batch_dims, h_out)}
            if isinstance(spec, LSTM):
                result["c_n"] = (states, *batch_dims, spec.hidden_size)
            return result
        case MultiheadAttention():
            q = x
            k = tuple(shapes[1]) if len(shapes) > 1 else q
            v = tuple(shapes[2]) if len(shapes) > 2 else k
            kdim = spec.kdim if spec.kdim is not None else spec.embed_dim
            vdim = spec.vdim if spec.vdim is not None else spec.embed_dim
            if len(q) not in (2, 3) or len(k) != len(q) or len(v) != len(q):
                raise SpecError(f"{name}: bad ranks")
            if q[-1] != spec.embed_dim or k[-1] != kdim or v[-1] != vdim:
                raise SpecError(f"{name}: bad feature sizes")
            if len(q) == 3:
                seq_axis, batch_axis = (1, 0) if spec.batch_first else (0, 1)
                if k[batch_axis] != v[batch_axis]:
                    raise SpecError(f"{name}: key/value batch mismatch")
                # The keys are viewed as (length, query batch · heads, head_dim): that fits a
                # different batch only when there are no keys at all (bias_k adds one per batch entry).
                keys_in_view = k[seq_axis] * k[batch_axis] + (q[batch_axis] if spec.add_bias_kv else 0)
                needed = (k[seq_axis] + (1 if spec.add_bias_kv else 0)) * q[batch_axis]
                if keys_in_view != needed or (spec.add_bias_kv and q[batch_axis] != k[batch_axis]):
                    raise SpecError(f"{name}: batch mismatch")
            else:
                seq_axis = 0
            if k[seq_axis] != v[seq_axis]:
                raise SpecError(f"{name}: key/value length mismatch")
            keys = k[seq_axis] + (1 if spec.add_bias_kv else 0) + (1 if spec.add_zero_attn else 0)
            if len(q) == 2:
                return {"attn_output": q, "attn_output_weights": (q[0], keys)}
            n = q[batch_axis]
            return {"attn_output": q, "attn_output_weights": (n, q[seq_axis], keys)}
        case TransformerEncoderLayer() | TransformerEncoder() | TransformerDecoderLayer():
            d = spec.encoder_layer.d_model if isinstance(spec, TransformerEncoder) else spec.d_model
            inputs = [x] + ([tuple(shapes[1]) if len(shapes) > 1 else x] if isinstance(spec, TransformerDecoderLayer) else [])
            for s in inputs:
                if len(s) not in (2, 3) or s[-1] != d or len(s) != len(x):
                    raise SpecError(f"{name}: bad input")
            if len(inputs) == 2 and len(x) == 3:
                axis = 0 if spec.batch_first else 1
                memory_length = inputs[1][1 - axis]
                if inputs[0][axis] * memory_length != inputs[1][axis] * memory_length:
                    raise SpecError(f"{name}: batch mismatch")
            if isinstance(spec, TransformerEncoder) and spec.norm is not None and spec.norm.normalized_shape:
                trailing = spec.norm.normalized_shape
                if tuple(x[len(x) - len(trailing):]) != trailing or len(x) < len(trailing):
                    raise SpecError(f"{name}: the final norm does not fit the output")
            return {"output": x}
        case Flatten():
            dims = list(x) if x else [1]
            rank = len(dims)
            start, end = spec.start_dim, spec.end_dim
            if not (-rank <= start < rank and -rank <= end < rank):
                raise SpecError("Flatten: dim out of range")
            start, end = start % rank, end % rank
            if start > end:
                raise SpecError("Flatten: start after end")
            merged = 1
            for i in range(start, end + 1):
                merged *= dims[i]
            return {"output": tuple(dims[:start] + [merged] + dims[end + 1:])}
        case Softmax():
            rank = max(len(x), 1)
            if spec.dim is not None and not -rank <= spec.dim < rank:
                raise SpecError("Softmax: dim out of range")
            return {"output": x}
        case Dropout() | Identity() | ReLU() | GELU() | Tanh() | Sigmoid():
            return {"output": x}
        case _:
            from paramcalc import blocks

            if isinstance(spec, blocks.BLOCK_TYPES):
                return blocks.reference_output_shapes(spec, *shapes)
            raise SpecError(f"{name}: the reference does not simulate this layer")
