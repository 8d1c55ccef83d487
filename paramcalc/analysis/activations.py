"""Activation memory as autograd keeps it: the tensors each layer saves in the forward pass for its backward.

Every layer family has a rule (:data:`RULES`) naming what its backward reads, in elements, checked
against torch's ``saved_tensors_hooks`` on the CPU (tests/test_activations_torch.py). ``e`` is the
compute type's size (4 bytes in fp32, 2 in fp16/bf16), ``N`` a tensor's elements:

- Linear, Conv, ConvTranspose, AvgPool, GELU keep their input; ReLU, Tanh, Sigmoid and Softmax
  their output; MaxPool its input and int64 indices; Embedding its int64 indices (EmbeddingBag its
  bags' too); Flatten, Select, Identity, Dropout(p=0) and Upsample (but mode area) nothing.
- LayerNorm and GroupNorm keep the input and two fp32 statistics per normalised group (mean and
  1/std); BatchNorm the input and two fp32 vectors of its channels; RMSNorm the input, the
  normalised input and one statistic per row.
- Dropout keeps its mask: 1 byte per element on a GPU (torch's fused kernel keeps a bool mask),
  ``e`` bytes on the CPU (torch multiplies by a noise tensor of the input's type).
- Attention (``eager``: the scores are built, as Hugging Face's eager code and torch's math path
  do): the projections' input, Q, K and V, the softmax output ``b·a·s²``, and with dropout its mask
  and output (``b·a·s²`` each), and the output projection's input. ``flash``: no ``s²`` terms; the
  kernel keeps Q, K, V, its output and a fp32 log-sum-exp per row (``b·a·s``).
- torch's TransformerEncoderLayer, TransformerDecoderLayer, their stacks and nn.Transformer call
  their attention with need_weights=False: torch runs its fused kernel without dropout and the
  math path (scores kept, and the attention output before the projection) with it.
- Checkpointing (Korthikanti et al. 2022): ``selective`` recomputes the attention core (the ``s²``
  terms are not kept); ``full`` keeps only the input of each repeated block (transformer layer)
  and recomputes one block at a time in the backward pass (one block's activations on top).

Tensors shared by two layers (a ReLU's output that the next convolution keeps as its input) count
once. Recurrent layers follow torch's step-by-step kernel; its fused oneDNN LSTM kernel on the CPU
(and cuDNN's on a GPU) keeps a workspace of its own instead, 1.5 to 3 times larger for an LSTM.
Keras layers, which these rules do not cover, are estimated by their output.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from typing import Any, Callable, Literal

Attention = Literal["eager", "flash"]
Checkpointing = Literal["none", "selective", "full"]
Device = Literal["cpu", "cuda"]
ATTENTIONS = ("eager", "flash")
CHECKPOINTING = ("none", "selective", "full")
DEVICES = ("cpu", "cuda")
STAT_BYTES = 4  # normalisation statistics and the flash kernel's log-sum-exp are fp32
INDEX_BYTES = 8  # int64 indices (Embedding, MaxPool)


@dataclass(frozen=True, slots=True)
class Settings:
    """What changes the saved tensors: element size, device (dropout masks), attention kernel, dropout, recomputation."""

    dtype_bytes: int = 4
    device: str = "cpu"
    attention: str = "eager"
    dropout: bool = True
    checkpointing: str = "none"
    #: Megatron's tensor-parallel degree: attention and MLP internals are split this many ways
    tensor_parallel: int = 1

    @property
    def mask_bytes(self) -> int:
        """Bytes per dropout-mask element: 1 (bool) on a GPU, the compute type's size on the CPU."""
        return 1 if self.device == "cuda" else self.dtype_bytes

    def p(self, value: float) -> float:
        """A dropout probability as it applies here (0 with dropout off)."""
        return value if self.dropout else 0.0


@dataclass(frozen=True, slots=True)
class Saved:
    """What one layer keeps: its input, its output (as whole tensors) and bytes of tensors made inside it.

    ``passthrough``: the output is the input itself (a view or an in-place op).
    """

    input: bool = False
    output: bool = False
    inner: int = 0
    passthrough: bool = False
    #: bytes of ``inner`` that selective recomputation drops (the attention core's s² terms)
    recomputable: int = 0
    #: bytes of ``inner`` that tensor parallelism splits (attention and MLP internals, recomputable included)
    split: int = 0

    def kept(self, s: Settings) -> int:
        """Bytes of ``inner`` one GPU keeps under the settings (selective recomputation, tensor parallelism)."""
        inner, split = self.inner, self.split
        if s.checkpointing == "selective":
            inner, split = inner - self.recomputable, split - self.recomputable
        if s.tensor_parallel > 1:
            inner = inner - split + -(-split // s.tensor_parallel)
        return inner


def elements(shape: Any) -> int:
    """Elements of a shape (0 for none)."""
    return prod(shape) if shape else 0


_n = elements


def _dropout(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    if s.p(spec.p) == 0:
        return Saved(passthrough=True)
    return Saved(inner=_n(out) * s.mask_bytes)


def _norm_rows(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    rows = _n(x) // max(_n(spec.normalized_shape), 1)
    return Saved(input=True, inner=2 * rows * STAT_BYTES)


def _rms(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    rows = _n(x) // max(_n(spec.normalized_shape), 1)
    return Saved(input=True, inner=_n(x) * s.dtype_bytes + rows * s.dtype_bytes)


def _batchnorm(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    channels = x[1] if len(x) > 1 else x[0]
    return Saved(input=True, inner=2 * channels * STAT_BYTES)


def _groupnorm(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    batch = x[0] if len(x) > 1 else 1
    return Saved(input=True, inner=2 * batch * spec.num_groups * STAT_BYTES)


def _instancenorm(spec: Any, x: Any, out: Any, s: Settings) -> Saved:  # one batch norm over N·C rows, weight
    rows = x[0] if len(x) == spec.nd + 1 else x[0] * x[1]
    repeated = (1 if spec.affine else 0) + (2 if spec.track_running_stats else 0)  # and statistics repeated N times
    return Saved(input=True, inner=2 * rows * STAT_BYTES + repeated * rows * s.dtype_bytes)


def _channel_dropout(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # Dropout1d/2d/3d and FeatureAlphaDropout multiply by a noise tensor of one value per example
    # and channel, in the compute type on every device (no fused kernel)
    if s.p(spec.p) == 0:
        return Saved(passthrough=True)
    # torch reads a 3-D input to Dropout2d as (N, C, L), with a warning
    batched = spec.name == "FeatureAlphaDropout" or len(x) > {"Dropout1d": 2, "Dropout2d": 2, "Dropout3d": 4}[spec.name]
    channels = x[0] * x[1] if batched else x[0]
    return Saved(inner=channels * s.dtype_bytes)


def _alpha_dropout(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # a noise tensor like the input, in the compute type (no fused kernel)
    return Saved(passthrough=True) if s.p(spec.p) == 0 else Saved(inner=_n(x) * s.dtype_bytes)


def _adaptive(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # an output of one element per channel is a mean: its backward needs only the input's shape
    if all(size in (1, None) for size in spec.output_size) and all(o == 1 for o in out[-len(spec.output_size):]):
        return Saved()
    return Saved(input=True)


def _embedding_bag(spec: Any, x: Any, out: Any, s: Settings, rest: tuple[Any, ...] = ()) -> Saved:
    # int64: indices, offsets twice, one per bag (max: per value), offset2bag (but a plain sum); weights in e bytes
    n, offsets, per_bag = _n(x), rest[0][0] if rest else out[0], out[0] * (out[1] if spec.mode == "max" else 1)
    ints = n + 2 * offsets + per_bag + (0 if spec.mode == "sum" and spec.padding_idx is None else n + 1)
    return Saved(inner=ints * INDEX_BYTES + (n * s.dtype_bytes if len(rest) > 1 else 0))


def attention_core(*, batch: int, heads: int, q_len: int, kv_len: int, head_dim: int, kv_heads: int,
                   p: float, s: Settings) -> tuple[int, int]:
    """(bytes, of which s²-terms) of what the attention core keeps, projections excluded.

    eager: Q (b·a·s·d), K and V (as many heads as Q: grouped heads are repeated), softmax output
    b·a·s·s', and with dropout its mask and output; flash: Q, K, V, output and a fp32 log-sum-exp
    per row.
    """
    e = s.dtype_bytes
    q = batch * heads * q_len * head_dim
    kv = batch * heads * kv_len * head_dim
    scores = batch * heads * q_len * kv_len
    if s.attention == "flash":
        kv = batch * kv_heads * kv_len * head_dim
        return (q + 2 * kv + q) * e + batch * heads * q_len * STAT_BYTES, 0
    square = scores * e + (scores * (s.mask_bytes + e) if p > 0 else 0)
    return (q + 2 * kv) * e + square, square


def _seq(x: Any, batch_first: bool = True) -> tuple[int, int]:
    """(batch, length) of a sequence input (N, L, E), (L, N, E) or (L, E)."""
    if len(x) == 2:
        return 1, x[0]
    return (x[0], x[1]) if batch_first else (x[1], x[0])


def _self_attention(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    b, length = _seq(x)
    core, square = attention_core(batch=b, heads=spec.num_heads, q_len=length, kv_len=length,
                                  head_dim=spec.head_size, kv_heads=spec.kv_heads, p=s.p(spec.dropout), s=s)
    context = b * length * spec.num_heads * spec.head_size * s.dtype_bytes  # the output projection's input
    return Saved(input=True, inner=core + context, recomputable=square, split=core + context)


def _causal_self_attention(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # Hugging Face's GPT2Attention: dropout on the probabilities and on the output (resid_dropout)
    b, length = _seq(x)
    heads = spec.num_heads
    p = s.p(spec.dropout)
    core, square = attention_core(batch=b, heads=heads, q_len=length, kv_len=length,
                                  head_dim=spec.embed_dim // heads, kv_heads=heads, p=p, s=s)
    context = _n(x) * s.dtype_bytes
    resid = _n(out) * s.mask_bytes if p > 0 else 0
    return Saved(input=True, inner=core + context + resid, recomputable=square, split=core + context)


def _mha(spec: Any, x: Any, out: Any, s: Settings, key: Any = None) -> Saved:
    # torch.nn.MultiheadAttention: packed in_proj output (q, k, v), the scaled q, the weights, out_proj's input
    b, length = _seq(x, spec.batch_first)
    src = length if key is None else _seq(key, spec.batch_first)[1]
    e = s.dtype_bytes
    d = spec.embed_dim
    heads = spec.num_heads
    q = b * length * d
    kv = b * src * d
    if s.attention == "flash":
        inner = (q + 2 * kv + q) * e + b * heads * length * STAT_BYTES
        return Saved(input=True, inner=inner, split=inner)
    scores = b * heads * length * src
    square = scores * e + (scores * (s.mask_bytes + e) if s.p(spec.dropout) > 0 else 0)
    scaled = q if key is None else 0  # self-attention scales a copy of q out of the packed q, k, v
    inner = (q + scaled + 2 * kv + q) * e + square
    return Saved(input=True, inner=inner, recomputable=square, split=inner)


def _feed_forward(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    hidden = _n(x) // spec.in_features * spec.hidden_features * s.dtype_bytes
    kept = {"gelu": 2, "gelu_tanh": 2, "silu": 2, "relu": 1, "tanh": 1, "gelu_new": 5}[spec.activation]
    drop = _n(out) * s.mask_bytes if s.p(spec.dropout) > 0 else 0
    return Saved(input=True, inner=kept * hidden + drop, split=kept * hidden)


def _swiglu(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    hidden = _n(x) // spec.in_features * spec.hidden_features * s.dtype_bytes
    # gate output (SiLU's input), SiLU's output and up's output (the product's operands), the product
    return Saved(input=True, inner=4 * hidden, split=4 * hidden)


def _decoder_block(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    from paramcalc.specs.parse import parse_layer

    d, e = spec.d_model, s.dtype_bytes
    n = _n(x)
    rows = n // d
    ff = spec.dim_feedforward or 4 * d
    if spec.style == "gpt2":
        attn = _causal_self_attention(parse_layer(f"CausalSelfAttention({d}, {spec.nhead}, dropout={spec.dropout})"),
                                      x, out, s)
        norms = 4 * rows * STAT_BYTES + n * e  # ln_1's statistics (its input is the block's), ln_2's input and statistics
        hidden = 2 * rows * ff * e
        mlp = n * e + hidden + (n * s.mask_bytes if s.p(spec.dropout) > 0 else 0)
    else:
        kv = spec.num_kv_heads or spec.nhead
        attn = _self_attention(parse_layer(
            f"SelfAttention({d}, {spec.nhead}, num_kv_heads={kv}, bias=False, causal=True)"), x, out, s)
        norms = (n * e + rows * e) + (2 * n * e + rows * e)  # RMSNorm 1 (input is the block's), RMSNorm 2
        hidden = 4 * rows * ff * e
        mlp = n * e + hidden
    # the attention's input is the first norm's output; its own rule counts it as its input
    return Saved(input=True, inner=norms + n * e + attn.inner + mlp, recomputable=attn.recomputable,
                 split=attn.split + hidden)


def _torch_attention(spec: Any, x: Any, out: Any, s: Settings, p: float, key: Any = None) -> int:
    """What a torch transformer layer's attention keeps (it calls MultiheadAttention with
    need_weights=False): the fused kernel without dropout, the math path with it, which also keeps
    the attention output before the output projection."""
    mha = spec_attention(spec)
    if p == 0 or s.attention == "flash":
        return _mha(mha, x, out, replace(s, attention="flash"), key).inner
    return _mha(mha, x, out, s, key).inner + _n(key or x) * s.dtype_bytes


def _feed_forward_block(spec: Any, n: int, s: Settings, p: float) -> int:
    """linear1's input, the activation's kept tensor, dropout's mask and linear2's input, dropout2's mask."""
    e, hidden = s.dtype_bytes, n // spec.d_model * spec.dim_feedforward
    if p > 0:  # ReLU's output or GELU's input, the mask, the dropped tensor linear2 keeps
        inner = hidden * (2 * e + s.mask_bytes) + n * s.mask_bytes
    else:  # ReLU's output is linear2's input; GELU keeps its input, linear2 its output
        inner = hidden * e * (1 if spec.activation == "relu" else 2)
    return n * e + inner


def _layer_norms(spec: Any, n: int, count: int) -> int:
    return count * 2 * (n // spec.d_model) * STAT_BYTES


def _encoder_layer(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # post-LN: the sums after each residual add are the LayerNorms' inputs; pre-LN: the layer input
    # and the sum after attention are, and the attention keeps the first LayerNorm's output
    e, n, p = s.dtype_bytes, _n(x), s.p(spec.dropout)
    attn = _torch_attention(spec, x, out, s, p)
    mask = n * s.mask_bytes if p > 0 else 0
    sums = 2 * n * e if not spec.norm_first else n * e + n * e
    inner = attn + mask + _feed_forward_block(spec, n, s, p) + sums + _layer_norms(spec, n, 2)
    return Saved(input=True, inner=inner, split=0)


def _decoder_layer(spec: Any, x: Any, out: Any, s: Settings, memory: Any = None) -> Saved:
    # self-attention, cross-attention over the memory (its keys and values: the memory, kept once),
    # feed-forward; three LayerNorms and three residual adds, post-LN or pre-LN
    e, n, p = s.dtype_bytes, _n(x), s.p(spec.dropout)
    memory = memory or x
    self_attn = _torch_attention(spec, x, out, s, p)
    cross = _torch_attention(spec, x, out, s, p, key=memory) + _n(memory) * e
    masks = 3 * n * s.mask_bytes if p > 0 else 0
    sums = 4 * n * e  # the three LayerNorms' inputs but the layer's own, and the cross-attention's query
    inner = self_attn + cross + masks - (n * s.mask_bytes if p > 0 else 0) + _feed_forward_block(spec, n, s, p)
    inner += sums + _layer_norms(spec, n, 3)
    return Saved(input=True, inner=inner)


def spec_attention(spec: Any) -> Any:
    """The MultiheadAttention inside a torch transformer layer."""
    from paramcalc.specs.parse import parse_layer

    return parse_layer(f"MultiheadAttention({spec.d_model}, {spec.nhead}, dropout={spec.dropout}, "
                       f"batch_first={spec.batch_first})")


def _encoder(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    one = _encoder_layer(spec.encoder_layer, x, out, s)
    n, e = _n(x), s.dtype_bytes
    # each later layer's input is the one before's output (a LayerNorm's output in post-LN: new)
    inner = spec.num_layers * one.inner + (spec.num_layers - 1) * n * e
    if spec.norm is not None:
        inner += n * e + 2 * (n // spec.encoder_layer.d_model) * STAT_BYTES
    return Saved(input=True, inner=inner)


def _decoder(spec: Any, x: Any, out: Any, s: Settings, memory: Any = None) -> Saved:
    one = _decoder_layer(spec.decoder_layer, x, out, s, memory)
    n, e = _n(x), s.dtype_bytes
    inner = spec.num_layers * one.inner + (spec.num_layers - 1) * n * e  # each layer keeps its own view of the memory
    if spec.norm is not None:
        inner += n * e + 2 * (n // spec.decoder_layer.d_model) * STAT_BYTES
    return Saved(input=True, inner=inner)


def _transformer(spec: Any, x: Any, out: Any, s: Settings, tgt: Any = None) -> Saved:
    from paramcalc.specs.parse import parse_layer

    tgt = tgt or x
    layer = (f"d_model={spec.d_model}, nhead={spec.nhead}, dim_feedforward={spec.dim_feedforward}, "
             f"dropout={spec.dropout}, activation={spec.activation!r}, batch_first={spec.batch_first}, "
             f"norm_first={spec.norm_first}")
    encoder = parse_layer(f"TransformerEncoder(TransformerEncoderLayer({layer}), {spec.num_encoder_layers}, "
                          f"norm=LayerNorm({spec.d_model}))")
    decoder = parse_layer(f"TransformerDecoder(TransformerDecoderLayer({layer}), {spec.num_decoder_layers}, "
                          f"norm=LayerNorm({spec.d_model}))")
    enc = _encoder(encoder, x, x, s)
    dec = _decoder(decoder, tgt, out, s, memory=x)
    # the encoder's output (its final norm's) is the decoder's memory; the target is the decoder's input
    return Saved(input=True, inner=enc.inner + _n(tgt) * s.dtype_bytes + dec.inner)


def _recurrent(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # torch's step-by-step kernel: per layer its input (T·B·I, the first layer's is the layer input),
    # and per direction 7·T·B·H for GRU and LSTM (gate activations and states of every step) or
    # (T + 1)·B·H for RNN (h_0 and every h_t); later layers take the D·H_out outputs of the one before
    steps = x[1] if spec.batch_first and len(x) == 3 else x[0]
    steps_batch = _n(x) // x[-1]
    batch = steps_batch // steps
    h = spec.hidden_size
    directions = 2 if spec.bidirectional else 1
    per_direction = 7 * steps_batch * h if spec.name in ("LSTM", "GRU") else (steps_batch + batch) * h
    between = (spec.num_layers - 1) * steps_batch * directions * (spec.proj or h)
    # batch-first and bidirectional: the reverse direction runs on a (T, B, I) copy of the input
    transposed = _n(x) if spec.batch_first and spec.bidirectional and len(x) == 3 else 0
    return Saved(input=True, inner=(spec.num_layers * directions * per_direction + between + transposed) * s.dtype_bytes)


def _cell(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # measured: the input; RNNCell the zero h and h'; GRUCell 7·N·H, LSTMCell 6·N·H (states and gates)
    h = _n(out)
    if spec.name == "RNNCell":
        return Saved(input=True, output=True, inner=h * s.dtype_bytes)
    return Saved(input=True, inner=(7 if spec.name == "GRUCell" else 6) * h * s.dtype_bytes)


def _bilinear(spec: Any, x: Any, out: Any, s: Settings, second: Any = None) -> Saved:
    """Both inputs: the second here, the first as the layer's input."""
    return Saved(input=True, inner=_n(second if second is not None else x) * s.dtype_bytes)


def _positional(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # x + pe keeps nothing (an addition's backward needs no tensor); its dropout keeps a mask
    return Saved(inner=_n(out) * s.mask_bytes) if s.p(spec.dropout) > 0 else Saved()


def _patches(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(input=True)


def _keeps_input(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    if getattr(spec, "inplace", False):  # the output overwrites the input: one tensor, kept once
        return Saved(output=True, passthrough=True)
    return Saved(input=True)


def _keeps_output(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(output=True, passthrough=bool(getattr(spec, "inplace", False)))


def _view(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(passthrough=True)


def _nothing(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved()


Rule = Callable[[Any, Any, Any, Settings], Saved]

#: Each PyTorch layer type → what it keeps for its backward.
RULES: dict[str, Rule] = {
    **dict.fromkeys(("Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
                     "ConvTranspose3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "GELU"), _keeps_input),
    **dict.fromkeys(("MaxPool1d", "MaxPool2d", "MaxPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
                     "AdaptiveMaxPool3d"), lambda spec, x, out, s: Saved(input=True, inner=_n(out) * INDEX_BYTES)),
    **dict.fromkeys(("RNNCell", "GRUCell", "LSTMCell"), _cell), "Bilinear": _bilinear,
    "PixelShuffle": _nothing, "PixelUnshuffle": _nothing,
    "LocalResponseNorm": lambda spec, x, out, s: Saved(  # x², the squares padded by size − 1 channels, x / denominator
        input=True, inner=(2 * _n(x) + _n(x) // max(x[1], 1) * (x[1] + spec.size - 1)) * s.dtype_bytes),
    **dict.fromkeys(("Subsampling2d", "SparseConv2d", "RBFOutput"), _keeps_input),  # LeNet-5's: not measured
    **dict.fromkeys(("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"), _adaptive),
    **dict.fromkeys(("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"), _batchnorm),
    "LayerNorm": _norm_rows, "GroupNorm": _groupnorm,
    **dict.fromkeys(("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"), _instancenorm),
    "RMSNorm": _rms,
    "Embedding": lambda spec, x, out, s: Saved(inner=_n(x) * INDEX_BYTES), "EmbeddingBag": _embedding_bag,
    **dict.fromkeys(("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"), lambda spec, x, out, s: Saved(
        input=getattr(spec, "mode", "") == "area" and any(o != 1 for o in out[2:]))),  # only area (a pooling) reads x
    **dict.fromkeys(("RNN", "LSTM", "GRU"), _recurrent),
    "MultiheadAttention": _mha,
    "TransformerEncoderLayer": _encoder_layer,
    "TransformerEncoder": _encoder,
    "TransformerDecoderLayer": _decoder_layer,
    "TransformerDecoder": _decoder,
    "Transformer": _transformer,
    **dict.fromkeys(("Flatten", "Identity", "Select"), _view),
    "Dropout": _dropout,
    **dict.fromkeys(("ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax"), _keeps_output),
    **dict.fromkeys(("ReLU6", "LeakyReLU", "ELU", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid", "PReLU",
                     "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
                     "ReplicationPad2d", "ReplicationPad3d"), _keeps_input),
    **dict.fromkeys(("ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
                     "CircularPad1d", "CircularPad2d", "CircularPad3d"), _nothing),
    "Unflatten": _view,
    **dict.fromkeys(("Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"), _channel_dropout),
    "AlphaDropout": _alpha_dropout,
    "SelfAttention": _self_attention, "CausalSelfAttention": _causal_self_attention,
    "FeedForward": _feed_forward,
    "SwiGLU": _swiglu,
    "DecoderBlock": _decoder_block,
    "PatchEmbedding": _patches,
    "SinusoidalPositionalEncoding": _positional,
}


def layer_saved(spec: Any, input_shapes: tuple[Any, ...], output_shape: Any, s: Settings) -> tuple[Saved, bool]:
    """What a layer keeps on these shapes, and whether a rule covers its type (else: its output)."""
    rule = None if spec.type.startswith("keras.") else RULES.get(spec.name)  # the rules read torch's arguments
    x = tuple(input_shapes[0]) if input_shapes and input_shapes[0] is not None else ()
    out = tuple(output_shape) if output_shape is not None else ()
    if rule is None:
        return Saved(output=True), False  # what it returns, as far as is known
    second = tuple(input_shapes[1]) if len(input_shapes) > 1 and input_shapes[1] is not None else None
    if second is not None and spec.name == "MultiheadAttention":
        return _mha(spec, x, out, s, key=second), True
    if second is not None and spec.name in ("TransformerDecoderLayer", "TransformerDecoder"):
        return RULES[spec.name](spec, x, out, s, second), True  # type: ignore[call-arg]
    if spec.name in ("Bilinear", "EmbeddingBag"):
        return (_bilinear(spec, x, out, s, second) if spec.name == "Bilinear" else _embedding_bag(
            spec, x, out, s, tuple(tuple(t) for t in input_shapes[1:]))), True
    if second is not None and spec.name == "Transformer":
        return _transformer(spec, x, out, s, tgt=second), True
    return rule(spec, x, out, s), True


def layer_activations(spec: Any, *input_shapes: Any, settings: Settings = Settings()) -> int:
    """Bytes one layer keeps for its backward pass on inputs of these shapes (batch included),
    its input and output counted when it keeps them."""
    from paramcalc.specs.shapes import as_shape

    shapes = tuple(as_shape(x) for x in input_shapes)
    spec = spec.resolve(shapes[0])
    out = next(iter(spec.output_shapes(*shapes).values()))
    saved, _ = layer_saved(spec, shapes, out, settings)
    inner = saved.kept(settings)
    e = settings.dtype_bytes
    return inner + (_n(shapes[0]) * e if saved.input else 0) + (_n(out) * e if saved.output else 0)
