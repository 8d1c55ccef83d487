"""torch.nn layers read as data: the tensors each creates (state_dict names and shapes) and its
output shapes, found by following the input through the layer."""

from __future__ import annotations

from typing import Any, Callable

from paramcalc.errors import SpecError
from paramcalc.reference.tensors import Shape, layernorm, linear, mha, tensor, transformer_layer
from paramcalc.reference.windows import dims_of
from paramcalc.results import Tensor

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
GATE_NAMES = {"RNN": "", "LSTM": "the 4 gates (i, f, g, o)", "GRU": "the 3 gates (r, z, n)"}

#: torch.nn layers that create no tensor.
NO_PARAMETERS = frozenset({
    *(f"{kind}{n}d" for kind in ("MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool") for n in (1, 2, 3)),
    "Flatten",
})


# -- Tensors ---------------------------------------------------------------------------------


def _conv(spec: Any) -> list[Tensor]:
    w = (spec.out_channels, spec.in_channels // spec.groups, *spec.kernel_size)
    out = [tensor("weight", w, "filters: out_channels × in_channels/groups × kernel")]
    if spec.bias:
        out.append(tensor("bias", (spec.out_channels,), "one bias per output channel"))
    return out


def _conv_transpose(spec: Any) -> list[Tensor]:
    w = (spec.in_channels, spec.out_channels // spec.groups, *spec.kernel_size)
    out = [tensor("weight", w, "filters: in_channels × out_channels/groups × kernel")]
    if spec.bias:
        out.append(tensor("bias", (spec.out_channels,), "one bias per output channel"))
    return out


def _batch_norm(spec: Any) -> list[Tensor]:
    c = spec.num_features
    out = []
    if spec.affine:
        out.append(tensor("weight", (c,), "scale (gamma) per channel"))
        if getattr(spec, "bias", True):
            out.append(tensor("bias", (c,), "shift (beta) per channel"))
    if spec.track_running_stats:
        out += [
            tensor("running_mean", (c,), "running mean per channel (buffer)", "buffer"),
            tensor("running_var", (c,), "running variance per channel (buffer)", "buffer"),
            tensor("num_batches_tracked", (), "batches seen (buffer)", "buffer"),
        ]
    return out


def _group_norm(spec: Any) -> list[Tensor]:
    """``nn.GroupNorm(num_groups, num_channels, eps, affine, *, bias)``: a scale and a shift per
    channel when affine, no buffers (the statistics are taken per sample and group)."""
    c = spec.num_channels  # reference.arguments refused num_groups not dividing it
    if not spec.affine:
        return []
    out = [tensor("weight", (c,), "scale (gamma) per channel")]
    if getattr(spec, "bias", True):
        out.append(tensor("bias", (c,), "shift (beta) per channel"))
    return out


def _recurrent(spec: Any) -> list[Tensor]:
    kind = spec.type
    gates = GATES[kind]
    h = spec.hidden_size
    proj = getattr(spec, "proj_size", 0)
    h_out = proj if proj else h
    directions = ["", "_reverse"] if spec.bidirectional else [""]
    what = GATE_NAMES[kind]
    of = f" of {what}" if what else ""
    out = []
    for layer in range(spec.num_layers):
        n_in = spec.input_size if layer == 0 else h_out * len(directions)
        for sfx in directions:
            where = f"layer {layer}" + (", reverse direction" if sfx else "")
            out.append(tensor(f"weight_ih_l{layer}{sfx}", (gates * h, n_in), f"input-to-hidden weights{of}, {where}"))
            out.append(tensor(f"weight_hh_l{layer}{sfx}", (gates * h, h_out), f"hidden-to-hidden weights{of}, {where}"))
            if spec.bias:
                out.append(tensor(f"bias_ih_l{layer}{sfx}", (gates * h,), f"input-to-hidden bias{of}, {where}"))
                out.append(tensor(f"bias_hh_l{layer}{sfx}", (gates * h,), f"hidden-to-hidden bias{of}, {where}"))
            if proj:
                out.append(tensor(f"weight_hr_l{layer}{sfx}", (proj, h), f"projection of the hidden state, {where}"))
    return out


def _encoder(spec: Any) -> list[Tensor]:
    layer = spec.encoder_layer
    out = []
    for i in range(spec.num_layers):
        out += transformer_layer(f"layers.{i}.", layer, decoder=False)
    norm = spec.norm
    if norm is not None:
        shape = norm.normalized_shape or (layer.d_model,)
        out += layernorm("norm.", shape, norm.elementwise_affine, norm.bias, "final LayerNorm")
    return out


def _cell(spec: Any) -> list[Tensor]:
    """``nn.RNNCell`` / ``GRUCell`` / ``LSTMCell``: one layer's tensors without the ``_l0`` suffix."""
    kind = spec.type.removesuffix("Cell")
    gates, h = GATES[kind], spec.hidden_size
    what = GATE_NAMES[kind]
    of = f" of {what}" if what else ""
    out = [tensor("weight_ih", (gates * h, spec.input_size), f"input-to-hidden weights{of}"),
           tensor("weight_hh", (gates * h, h), f"hidden-to-hidden weights{of}")]
    if spec.bias:
        out += [tensor("bias_ih", (gates * h,), f"input-to-hidden bias{of}"),
                tensor("bias_hh", (gates * h,), f"hidden-to-hidden bias{of}")]
    return out


#: The tensors of each torch.nn layer with parameters or buffers, by type tag.
TENSORS: dict[str, Callable[[Any], list[Tensor]]] = {
    "Linear": lambda s: linear("", s.in_features, s.out_features, s.bias, "connection"),
    "Bilinear": lambda s: [tensor("weight", (s.out_features, s.in1_features, s.in2_features),
                                  "one in1 × in2 matrix per output feature")]
    + ([tensor("bias", (s.out_features,), "bias")] if s.bias else []),
    **{f"Conv{n}d": _conv for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": _conv_transpose for n in (1, 2, 3)},
    **{f"BatchNorm{n}d": _batch_norm for n in (1, 2, 3)},
    **{f"InstanceNorm{n}d": _batch_norm for n in (1, 2, 3)},
    "GroupNorm": _group_norm,
    "LayerNorm": lambda s: layernorm("", s.normalized_shape, s.elementwise_affine, s.bias),
    "Embedding": lambda s: [tensor("weight", (s.num_embeddings, s.embedding_dim), "one vector per token")],
    "EmbeddingBag": lambda s: [tensor("weight", (s.num_embeddings, s.embedding_dim), "one vector per token")],
    **{kind: _recurrent for kind in GATES},
    **{f"{kind}Cell": _cell for kind in GATES},
    "MultiheadAttention": lambda s: mha("", s.embed_dim, s.kdim, s.vdim, s.bias, s.add_bias_kv),
    "TransformerEncoderLayer": lambda s: transformer_layer("", s, decoder=False),
    "TransformerDecoderLayer": lambda s: transformer_layer("", s, decoder=True),
    "TransformerEncoder": _encoder,
}


# -- Shapes ----------------------------------------------------------------------------------


def _linear_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    if not x or x[-1] != spec.in_features:
        raise SpecError("Linear: feature mismatch")
    return {"output": x[:-1] + (spec.out_features,)}


def _bilinear_shape(spec: Any, x: Shape, *rest: Shape) -> dict[str, Shape]:
    """Both inputs run through together: same rank, same batch dimensions, their own feature sizes."""
    y = tuple(rest[0]) if rest else x
    if len(x) == 0 or len(x) != len(y):
        raise SpecError("Bilinear: ranks differ")
    for i, (a, b) in enumerate(zip(x[:-1], y[:-1])):
        if a != b:
            raise SpecError(f"Bilinear: batch dimension {i} differs")
    if (x[-1], y[-1]) != (spec.in1_features, spec.in2_features):
        raise SpecError("Bilinear: feature mismatch")
    return {"output": x[:-1] + (spec.out_features,)}


def _embedding_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    elements = 1
    for n in x:
        elements *= n
    if spec.num_embeddings == 0 and elements:
        raise SpecError("Embedding: index out of range of an empty table")
    return {"output": x + (spec.embedding_dim,)}


def _embedding_bag_shape(spec: Any, x: Shape, *rest: Shape) -> dict[str, Shape]:
    """The bags listed: a 2-D input's rows, or the stretches between a 1-D input's offsets."""
    offsets = rest[0] if rest else None
    if len(rest) > 1:  # per_sample_weights: one weight per index, summed bags only
        if spec.mode != "sum" or tuple(rest[1]) != tuple(x):
            raise SpecError("EmbeddingBag: per_sample_weights need mode sum and the input's shape")
    if len(x) == 2 and offsets is None:
        if x[1] == 0:
            raise SpecError("EmbeddingBag: bags of no index in a 2-D input")
        bags = [row for row in range(x[0])]
    elif len(x) == 1 and offsets is not None and len(offsets) == 1:
        starts = list(range(offsets[0]))
        if spec.include_last_offset:
            if not starts:
                raise SpecError("EmbeddingBag: include_last_offset without offsets")
            starts = starts[:-1]  # the last offset closes the last bag
        bags = starts
        if not bags and x[0]:  # torch's kernel reads past the bags (and crashes for max or a padding_idx)
            raise SpecError("EmbeddingBag: indices that no bag holds")
    else:
        raise SpecError("EmbeddingBag: a 2-D input alone, or a 1-D input with 1-D offsets")
    return {"output": (len(bags), spec.embedding_dim)}


def _batch_norm_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    tag = spec.type
    if len(x) not in {1: (2, 3), 2: (4,), 3: (5,)}[dims_of(tag)]:
        raise SpecError(f"{tag}: bad input")
    has_per_channel_tensors = bool(_batch_norm(spec))
    if has_per_channel_tensors and 0 not in x and x[1] != spec.num_features:
        raise SpecError(f"{tag}: bad channel count")
    values_per_channel = x[0]
    for n in x[2:]:
        values_per_channel *= n
    if not spec.track_running_stats and values_per_channel == 1:
        raise SpecError(f"{tag}: batch statistics of a single value")
    return {"output": x}


def _instance_norm_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    """(N, C, *) or unbatched (C, *) in, the same out: each sample's channel is normalised over its
    positions, so there must be more than one unless running statistics stand in (eval mode)."""
    tag = spec.type
    spatial_dims = dims_of(tag)
    if len(x) == spatial_dims + 1:
        x_batched = (1, *x)
    elif len(x) == spatial_dims + 2:
        x_batched = x
    else:
        raise SpecError(f"{tag}: bad input")
    channels = x_batched[1]
    if (spec.affine or spec.track_running_stats) and channels != spec.num_features:
        raise SpecError(f"{tag}: bad channel count")
    if spec.affine and x_batched[0] == 0:  # the weight, repeated once per sample, is then empty
        raise SpecError(f"{tag}: a scale and shift over an empty batch")
    positions = 1
    for size in x_batched[2:]:
        positions *= size
    if not spec.track_running_stats and positions == 1:
        raise SpecError(f"{tag}: statistics of a single position")
    return {"output": x}


def _group_norm_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    """(N, C, *) in, the same out: C splits into num_groups groups; with a scale and shift per
    channel (affine), C must be num_channels (torch checks the weight's size only then)."""
    if len(x) < 2:
        raise SpecError(f"GroupNorm: input must have at least 2 dimensions (N, C, *). Received: input_shape={x}")
    channels = x[1]
    # torch first counts the values each group holds over the whole batch, as batch norm counts a
    # channel's: N · C / num_groups (floored) · the spatial size, and refuses a single one.
    values = x[0] * channels // spec.num_groups
    for n in x[2:]:
        values *= n
    if values == 1:
        raise SpecError(
            f"GroupNorm: a group must hold more than one value over the batch. "
            f"Received: input_shape={x}, num_groups={spec.num_groups}"
        )
    if channels % spec.num_groups:
        raise SpecError(
            f"GroupNorm: the input's channels must be divisible by num_groups. "
            f"Received: channels={channels}, num_groups={spec.num_groups}"
        )
    if spec.affine and channels != spec.num_channels:
        raise SpecError(
            f"GroupNorm: the input's channels must equal num_channels. "
            f"Received: channels={channels}, num_channels={spec.num_channels}"
        )
    return {"output": x}


def _layer_norm_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    k = len(spec.normalized_shape)
    if len(x) < k or tuple(x[-k:]) != tuple(spec.normalized_shape):
        raise SpecError("LayerNorm: bad input")
    return {"output": x}


def _recurrent_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    tag = spec.type
    if len(x) not in (2, 3) or x[-1] != spec.input_size:
        raise SpecError(f"{tag}: bad input")
    if x[1 if spec.batch_first and len(x) == 3 else 0] == 0:
        raise SpecError(f"{tag}: empty sequence")
    d = 2 if spec.bidirectional else 1
    h_out = getattr(spec, "proj_size", 0) or spec.hidden_size
    # Simulate the stack: each layer's output feeds the next one.
    seq = list(x)
    for _ in range(spec.num_layers):
        seq[-1] = d * h_out
    states = d * spec.num_layers
    batch_dims: tuple[int, ...] = () if len(x) == 2 else (x[0] if spec.batch_first else x[1],)
    result = {"output": tuple(seq), "h_n": (states, *batch_dims, h_out)}
    if tag == "LSTM":
        result["c_n"] = (states, *batch_dims, spec.hidden_size)
    return result


def _cell_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    """One step: (N, I) or (I,) in; the new hidden state (and cell state) out, named as torch's docs do."""
    if len(x) not in (1, 2) or x[-1] != spec.input_size:
        raise SpecError(f"{spec.type}: bad input")
    state = x[:-1] + (spec.hidden_size,)
    return {"h_1": state, "c_1": state} if spec.type == "LSTMCell" else {"h'": state}


def _attention_shape(spec: Any, x: Shape, *rest: Shape) -> dict[str, Shape]:
    tag = spec.type
    q = x
    k = tuple(rest[0]) if rest else q
    v = tuple(rest[1]) if len(rest) > 1 else k
    kdim = spec.kdim if spec.kdim is not None else spec.embed_dim
    vdim = spec.vdim if spec.vdim is not None else spec.embed_dim
    if len(q) not in (2, 3) or len(k) != len(q) or len(v) != len(q):
        raise SpecError(f"{tag}: bad ranks")
    if q[-1] != spec.embed_dim or k[-1] != kdim or v[-1] != vdim:
        raise SpecError(f"{tag}: bad feature sizes")
    if len(q) == 3:
        seq_axis, batch_axis = (1, 0) if spec.batch_first else (0, 1)
        if k[batch_axis] != v[batch_axis]:
            raise SpecError(f"{tag}: key/value batch mismatch")
        # The keys are viewed as (length, query batch · heads, head_dim): that fits a
        # different batch only when there are no keys at all (bias_k adds one per batch entry).
        keys_in_view = k[seq_axis] * k[batch_axis] + (q[batch_axis] if spec.add_bias_kv else 0)
        needed = (k[seq_axis] + (1 if spec.add_bias_kv else 0)) * q[batch_axis]
        if keys_in_view != needed or (spec.add_bias_kv and q[batch_axis] != k[batch_axis]):
            raise SpecError(f"{tag}: batch mismatch")
    else:
        seq_axis = 0
    if k[seq_axis] != v[seq_axis]:
        raise SpecError(f"{tag}: key/value length mismatch")
    keys = k[seq_axis] + (1 if spec.add_bias_kv else 0) + (1 if spec.add_zero_attn else 0)
    if len(q) == 2:
        return {"attn_output": q, "attn_output_weights": (q[0], keys)}
    return {"attn_output": q, "attn_output_weights": (q[batch_axis], q[seq_axis], keys)}


def _transformer_shape(spec: Any, x: Shape, *rest: Shape) -> dict[str, Shape]:
    tag = spec.type
    encoder = tag == "TransformerEncoder"
    layer = spec.encoder_layer if encoder else spec
    d = layer.d_model
    inputs = [x] + ([tuple(rest[0]) if rest else x] if tag == "TransformerDecoderLayer" else [])
    for s in inputs:
        if len(s) not in (2, 3) or s[-1] != d or len(s) != len(x):
            raise SpecError(f"{tag}: bad input")
    if len(inputs) == 2 and len(x) == 3:
        axis = 0 if layer.batch_first else 1
        memory_length = inputs[1][1 - axis]
        if inputs[0][axis] * memory_length != inputs[1][axis] * memory_length:
            raise SpecError(f"{tag}: batch mismatch")
    if encoder and spec.norm is not None and spec.norm.normalized_shape:
        trailing = tuple(spec.norm.normalized_shape)
        if tuple(x[len(x) - len(trailing):]) != trailing or len(x) < len(trailing):
            raise SpecError(f"{tag}: the final norm does not fit the output")
    return {"output": x}


def _flatten_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
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


#: Output shapes of the torch.nn layers other than the windowed ones (reference.windows), the element-wise
#: ones (reference.elementwise) and the reshaping ones (reference.reshaping), by type tag.
SHAPES: dict[str, Callable[..., dict[str, Shape]]] = {
    "Linear": _linear_shape,
    "Bilinear": _bilinear_shape,
    "Embedding": _embedding_shape,
    "EmbeddingBag": _embedding_bag_shape,
    **{f"BatchNorm{n}d": _batch_norm_shape for n in (1, 2, 3)},
    **{f"InstanceNorm{n}d": _instance_norm_shape for n in (1, 2, 3)},
    "GroupNorm": _group_norm_shape,
    "LayerNorm": _layer_norm_shape,
    **{kind: _recurrent_shape for kind in GATES},
    **{f"{kind}Cell": _cell_shape for kind in GATES},
    "MultiheadAttention": _attention_shape,
    **{kind: _transformer_shape for kind in ("TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder")},
    "Flatten": _flatten_shape,
}
