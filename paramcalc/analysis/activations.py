"""Activation memory as autograd keeps it: the tensors each layer saves in the forward pass for its backward.

Every layer family has a rule (:data:`RULES`) naming what its backward reads, in elements, checked
against torch's ``saved_tensors_hooks`` on the CPU (tests/test_activations_torch.py). ``e`` is the
compute type's size (4 bytes in fp32, 2 in fp16/bf16), ``N`` a tensor's elements:

- Linear, Conv, ConvTranspose, AvgPool, GELU keep their input; ReLU, Tanh, Sigmoid and Softmax
  their output; MaxPool its input and int64 indices; Embedding its int64 indices; Flatten, Select,
  Identity and Dropout(p=0) nothing (views).
- LayerNorm and GroupNorm keep the input and two fp32 statistics per normalised group (mean and
  1/std); BatchNorm the input and two fp32 vectors of its channels; RMSNorm the input, the
  normalised input and one statistic per row.
- Dropout keeps its mask: 1 byte per element on a GPU (torch's fused kernel keeps a bool mask),
  ``e`` bytes on the CPU (torch multiplies by a noise tensor of the input's type).
- Attention (``eager``: the scores are built, as Hugging Face's eager code and torch's math path
  do): the projections' input, Q, K and V, the softmax output ``b·a·s²``, and with dropout its mask
  and output (``b·a·s²`` each), and the output projection's input. ``flash``: no ``s²`` terms; the
  kernel keeps Q, K, V, its output and a fp32 log-sum-exp per row (``b·a·s``).
- Checkpointing (Korthikanti et al. 2022): ``selective`` recomputes the attention core (the ``s²``
  terms are not kept); ``full`` keeps only the input of each repeated block (transformer layer)
  and recomputes one block at a time in the backward pass (one block's activations on top).

Tensors shared by two layers (a ReLU's output that the next convolution keeps as its input) count
once. Recurrent layers are estimated as a textbook cell keeps them (torch's CPU kernel keeps a
workspace of its own layout), and Keras layers, which these rules do not cover, by their output.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def _n(shape: Any) -> int:
    return prod(shape) if shape else 0


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


def _maxpool(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(input=True, inner=_n(out) * INDEX_BYTES)


def _adaptive(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # an output of one element per channel is a mean: its backward needs only the input's shape
    if all(size in (1, None) for size in spec.output_size) and all(o == 1 for o in out[-len(spec.output_size):]):
        return Saved()
    return Saved(input=True)


def _embedding(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(inner=_n(x) * INDEX_BYTES)


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
    inner = (2 * q + 2 * kv + q) * e + square
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


def _encoder_layer(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    e, n = s.dtype_bytes, _n(x)
    rows = n // spec.d_model
    p = s.p(spec.dropout)
    attn = _mha(spec_attention(spec), x, out, s)
    mask = n * s.mask_bytes if p > 0 else 0
    hidden = rows * spec.dim_feedforward
    ff = n * e + hidden * e * (1 if spec.activation == "relu" else 2)
    ff += (hidden * (s.mask_bytes + e) if p > 0 else 0) + mask
    norms = 2 * (n * e + 2 * rows * STAT_BYTES)
    inner = attn.inner + mask + ff + norms
    if not spec.norm_first:
        inner += n * e  # the attention's input is the block input (kept by it); post-LN keeps both sums
    return Saved(input=True, inner=inner, recomputable=attn.recomputable)


def spec_attention(spec: Any) -> Any:
    """The MultiheadAttention inside a torch transformer layer."""
    from paramcalc.specs.parse import parse_layer

    return parse_layer(f"MultiheadAttention({spec.d_model}, {spec.nhead}, dropout={spec.dropout}, "
                       f"batch_first={spec.batch_first})")


def _encoder(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    one = _encoder_layer(spec.encoder_layer, x, out, s)
    extra = 0
    if spec.norm is not None:
        extra = _n(x) * s.dtype_bytes + 2 * (_n(x) // spec.encoder_layer.d_model) * STAT_BYTES
    return Saved(input=True, inner=spec.num_layers * (one.inner + _n(x) * s.dtype_bytes) + extra,
                 recomputable=spec.num_layers * one.recomputable)


def _recurrent(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    # textbook cell per step: the step's input, h_{t-1} (and c_{t-1}), the gates after their nonlinearity
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[spec.name]
    steps_batch = _n(out) // out[-1] if out else 0
    directions = 2 if spec.bidirectional else 1
    h = spec.hidden_size
    per_layer = steps_batch * (h * (gates + 2 + (1 if spec.name == "LSTM" else 0))) * s.dtype_bytes
    return Saved(input=True, inner=spec.num_layers * directions * per_layer
                 + (spec.num_layers - 1) * steps_batch * directions * h * s.dtype_bytes)


def _patches(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(input=True)


def _keeps_input(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(input=True)


def _keeps_output(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(output=True, passthrough=bool(getattr(spec, "inplace", False)))


def _view(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(passthrough=True)


def _nothing(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved()


def _fallback(spec: Any, x: Any, out: Any, s: Settings) -> Saved:
    return Saved(output=True)


Rule = Callable[[Any, Any, Any, Settings], Saved]

#: Each PyTorch layer type → what it keeps for its backward.
RULES: dict[str, Rule] = {
    **dict.fromkeys(("Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
                     "ConvTranspose3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "GELU"), _keeps_input),
    **dict.fromkeys(("MaxPool1d", "MaxPool2d", "MaxPool3d"), _maxpool),
    **dict.fromkeys(("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"), _adaptive),
    **dict.fromkeys(("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"), _batchnorm),
    "LayerNorm": _norm_rows,
    "GroupNorm": _groupnorm,
    "RMSNorm": _rms,
    "Embedding": _embedding,
    **dict.fromkeys(("RNN", "LSTM", "GRU"), _recurrent),
    "MultiheadAttention": _mha,
    "TransformerEncoderLayer": _encoder_layer,
    "TransformerEncoder": _encoder,
    **dict.fromkeys(("Flatten", "Identity", "Select"), _view),
    "Dropout": _dropout,
    **dict.fromkeys(("ReLU", "Tanh", "Sigmoid", "Softmax"), _keeps_output),
    "SelfAttention": _self_attention,
    "CausalSelfAttention": _causal_self_attention,
    "FeedForward": _feed_forward,
    "SwiGLU": _swiglu,
    "DecoderBlock": _decoder_block,
    "PatchEmbedding": _patches,
    "SinusoidalPositionalEncoding": _nothing,
}


def layer_saved(spec: Any, input_shapes: tuple[Any, ...], output_shape: Any, s: Settings) -> tuple[Saved, bool]:
    """What a layer keeps on these shapes, and whether a rule covers its type (else: its output)."""
    rule = RULES.get(spec.name)
    x = tuple(input_shapes[0]) if input_shapes and input_shapes[0] is not None else ()
    out = tuple(output_shape) if output_shape is not None else ()
    if rule is None:
        return _fallback(spec, x, out, s), False
    if spec.name == "MultiheadAttention" and len(input_shapes) > 1 and input_shapes[1] is not None:
        return _mha(spec, x, out, s, key=tuple(input_shapes[1])), True
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
