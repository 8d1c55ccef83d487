"""Layer specs for the building blocks of modern architectures, and their independent reference.

RMSNorm (``torch.nn.RMSNorm``), ``Transformer`` and ``TransformerDecoder`` (``torch.nn``) are named and
parameterised like their torch classes. The others describe blocks that Hugging Face, torchvision and
timm build from ``torch.nn`` pieces, with the parameter names those libraries give them:

- ``SelfAttention``: separate q/k/v/o projections, optional biases, grouped-query heads (BERT, LLaMA);
- ``CausalSelfAttention``: GPT-2's fused ``c_attn`` projection and ``c_proj``;
- ``FeedForward`` (Linear, activation, Linear) and ``SwiGLU`` (gate, up and down projections);
- ``DecoderBlock``: a whole pre-norm decoder-only block in GPT-2 or LLaMA style;
- ``PatchEmbedding``: ViT's patch convolution, class token and learned position embeddings;
- ``SinusoidalPositionalEncoding`` and ``Select`` (``x[:, 0]``): no parameters.

The second half of this module is the reference for these specs: it lists the tensors the torch
modules create, by name and shape, and finds output shapes by walking the input, without importing
:mod:`paramcalc.formulas` (tests compare the two).
"""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs).

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc.errors import SpecError
from paramcalc.results import Tensor
from paramcalc.specs import (
    TORCH_LAYERS,
    LayerNorm,
    LayerSpec,
    NonNegInt,
    PosInt,
    Probability,
    StrictBool,
    TransformerDecoderLayer,
    _tuple_validator,
)

Shape = tuple[int, ...]
Eps = Annotated[float, Field(gt=0.0)]


def _normalized(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, list):
        return tuple(value)
    return value


# -- Normalisation ---------------------------------------------------------------------------


class RMSNorm(LayerSpec):
    """Root-mean-square normalisation over the trailing normalized_shape (``torch.nn.RMSNorm``)."""

    summary: ClassVar[str] = "RMS normalisation: a scale per feature, no shift (LLaMA)"
    infer_field: ClassVar[str | None] = "normalized_shape"
    type: Literal["RMSNorm"] = "RMSNorm"
    normalized_shape: tuple[NonNegInt, ...] | None = None
    eps: Eps | None = None
    elementwise_affine: StrictBool = True

    @field_validator("normalized_shape", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        return _normalized(value)

    @model_validator(mode="after")
    def _check(self) -> "RMSNorm":
        if self.normalized_shape is not None and len(self.normalized_shape) == 0:
            raise self._fail("normalized_shape must have at least one dimension", normalized_shape=())
        return self


# -- Attention -------------------------------------------------------------------------------


class SelfAttention(LayerSpec):
    """Multi-head self-attention with separate query, key, value and output projections.

    BERT's attention (with biases) and LLaMA's (``bias=False``); ``num_kv_heads`` below
    ``num_heads`` gives grouped-query attention, ``head_dim`` overrides embed_dim / num_heads.
    Input and output: (N, L, E) or (L, E).
    """

    summary: ClassVar[str] = "self-attention with separate q/k/v/o projections (BERT, LLaMA)"
    infer_field: ClassVar[str | None] = "embed_dim"
    type: Literal["SelfAttention"] = "SelfAttention"
    embed_dim: PosInt | None = None
    num_heads: PosInt
    num_kv_heads: PosInt | None = None
    head_dim: PosInt | None = None
    bias: StrictBool = True
    out_bias: StrictBool | None = None
    causal: StrictBool = False
    dropout: Probability = 0.0

    @model_validator(mode="after")
    def _check(self) -> "SelfAttention":
        if self.head_dim is None and self.embed_dim is not None and self.embed_dim % self.num_heads:
            raise self._fail(
                "embed_dim must be divisible by num_heads (or give head_dim)",
                embed_dim=self.embed_dim, num_heads=self.num_heads,
            )
        if self.num_kv_heads is not None and self.num_heads % self.num_kv_heads:
            raise self._fail(
                "num_heads must be a multiple of num_kv_heads", num_heads=self.num_heads, num_kv_heads=self.num_kv_heads
            )
        return self

    @property
    def kv_heads(self) -> int:
        """Key/value heads (num_heads unless grouped-query)."""
        return self.num_heads if self.num_kv_heads is None else self.num_kv_heads

    @property
    def head_size(self) -> int:
        """Size of one head: head_dim, or embed_dim / num_heads."""
        return self.embed_dim // self.num_heads if self.head_dim is None else self.head_dim

    @property
    def has_out_bias(self) -> bool:
        """Whether the output projection has a bias (out_bias, defaulting to bias)."""
        return self.bias if self.out_bias is None else self.out_bias


class CausalSelfAttention(LayerSpec):
    """GPT-2 attention: one fused projection to Q, K and V (``c_attn``), causal mask, output ``c_proj``."""

    summary: ClassVar[str] = "GPT-2 causal self-attention: fused c_attn (q, k, v) and c_proj"
    infer_field: ClassVar[str | None] = "embed_dim"
    type: Literal["CausalSelfAttention"] = "CausalSelfAttention"
    embed_dim: PosInt | None = None
    num_heads: PosInt
    bias: StrictBool = True
    dropout: Probability = 0.0

    @model_validator(mode="after")
    def _check(self) -> "CausalSelfAttention":
        if self.embed_dim is not None and self.embed_dim % self.num_heads:
            raise self._fail(
                "embed_dim must be divisible by num_heads", embed_dim=self.embed_dim, num_heads=self.num_heads
            )
        return self


# -- Feed-forward ----------------------------------------------------------------------------


class FeedForward(LayerSpec):
    """Two-layer feed-forward: Linear(in, hidden), activation, Linear(hidden, out)."""

    summary: ClassVar[str] = "feed-forward: Linear, activation, Linear (fc1, fc2)"
    infer_field: ClassVar[str | None] = "in_features"
    type: Literal["FeedForward"] = "FeedForward"
    in_features: PosInt | None = None
    hidden_features: PosInt
    out_features: PosInt | None = None
    bias: StrictBool = True
    activation: Literal["gelu", "gelu_tanh", "relu", "silu", "tanh"] = "gelu"
    dropout: Probability = 0.0

    @property
    def outputs(self) -> int:
        """Output features (in_features unless out_features is given)."""
        return self.in_features if self.out_features is None else self.out_features


class SwiGLU(LayerSpec):
    """Gated feed-forward: down_proj(silu(gate_proj(x)) · up_proj(x)) (LLaMA, PaLM)."""

    summary: ClassVar[str] = "gated SwiGLU feed-forward: gate, up and down projections"
    infer_field: ClassVar[str | None] = "in_features"
    type: Literal["SwiGLU"] = "SwiGLU"
    in_features: PosInt | None = None
    hidden_features: PosInt
    out_features: PosInt | None = None
    bias: StrictBool = False

    @property
    def outputs(self) -> int:
        """Output features (in_features unless out_features is given)."""
        return self.in_features if self.out_features is None else self.out_features


# -- Whole blocks ----------------------------------------------------------------------------


class DecoderBlock(LayerSpec):
    """A pre-norm decoder-only block: x + attn(norm(x)), then x + mlp(norm(x)).

    style="gpt2": LayerNorm, fused causal attention with biases, MLP d → 4d → d with GELU.
    style="llama": RMSNorm, causal attention with separate projections and no biases, SwiGLU with
    hidden size m·ceil(floor(8d/3)/m), m = 256 (11,008 for d = 4096).
    """

    summary: ClassVar[str] = "pre-norm decoder-only block, GPT-2 or LLaMA style"
    type: Literal["DecoderBlock"] = "DecoderBlock"
    d_model: PosInt
    nhead: PosInt
    dim_feedforward: PosInt | None = None
    style: Literal["gpt2", "llama"] = "gpt2"
    num_kv_heads: PosInt | None = None
    bias: StrictBool | None = None
    norm_eps: Eps = 1e-5
    dropout: Probability = 0.0

    @model_validator(mode="after")
    def _check(self) -> "DecoderBlock":
        if self.d_model % self.nhead:
            raise self._fail("d_model must be divisible by nhead", d_model=self.d_model, nhead=self.nhead)
        if self.style == "gpt2" and self.num_kv_heads not in (None, self.nhead):
            raise self._fail(
                "num_kv_heads needs style='llama' (GPT-2 fuses q, k and v)", num_kv_heads=self.num_kv_heads
            )
        if self.num_kv_heads is not None and self.nhead % self.num_kv_heads:
            raise self._fail("nhead must be a multiple of num_kv_heads", nhead=self.nhead, num_kv_heads=self.num_kv_heads)
        if self.dim_feedforward is None:
            from paramcalc.formulas.blocks import llama_hidden_size

            ff = 4 * self.d_model if self.style == "gpt2" else llama_hidden_size(d_model=self.d_model)
            object.__setattr__(self, "dim_feedforward", ff)
        if self.bias is None:
            object.__setattr__(self, "bias", self.style == "gpt2")
        return self


class PatchEmbedding(LayerSpec):
    """ViT patch embedding: Conv2d(C, E, patch, stride=patch), a class token, learned positions.

    Input (N, C, H, W) with (H, W) = image_size; output (N, patches + 1, E).
    """

    summary: ClassVar[str] = "ViT patch embedding: patch conv, class token, position embeddings"
    infer_field: ClassVar[str | None] = "in_channels"
    nd: ClassVar[int] = 2
    type: Literal["PatchEmbedding"] = "PatchEmbedding"
    in_channels: PosInt | None = None
    embed_dim: PosInt
    patch_size: tuple[PosInt, ...]
    image_size: tuple[PosInt, ...]
    class_token: StrictBool = True
    position_embedding: StrictBool = True
    bias: StrictBool = True

    _expand = _tuple_validator("patch_size", "image_size")

    @model_validator(mode="after")
    def _check(self) -> "PatchEmbedding":
        for i, p in zip(self.image_size, self.patch_size):
            if i % p:
                raise self._fail(
                    "patch_size must divide image_size", image_size=self.image_size, patch_size=self.patch_size
                )
        return self


class SinusoidalPositionalEncoding(LayerSpec):
    """Adds fixed sinusoidal position encodings (Vaswani et al. 2017): no parameters.

    Computed on the fly it has no buffer either; with max_len the table is kept as a buffer of
    max_len × d_model values, as the PyTorch tutorial's PositionalEncoding does.
    Input and output: (N, L, d_model) or (L, d_model).
    """

    summary: ClassVar[str] = "adds fixed sin/cos position encodings (no parameters)"
    infer_field: ClassVar[str | None] = "d_model"
    type: Literal["SinusoidalPositionalEncoding"] = "SinusoidalPositionalEncoding"
    d_model: PosInt | None = None
    max_len: PosInt | None = None
    dropout: Probability = 0.0


class Select(LayerSpec):
    """Takes one index along a dimension, dropping it: x.select(dim, index), e.g. x[:, 0]."""

    summary: ClassVar[str] = "x.select(dim, index), e.g. the class token x[:, 0] (no parameters)"
    type: Literal["Select"] = "Select"
    dim: Annotated[int, Field(strict=True)] = 1
    index: Annotated[int, Field(strict=True)] = 0


# -- torch.nn containers ---------------------------------------------------------------------


class TransformerDecoder(LayerSpec):
    """A stack of num_layers copies of a decoder layer, with an optional final LayerNorm.

    Inputs: tgt and memory, as ``torch.nn.TransformerDecoder``; output: tgt's shape.
    """

    inputs: ClassVar[tuple[str, ...]] = ("tgt", "memory")

    summary: ClassVar[str] = "a stack of decoder layers with an optional final norm"
    type: Literal["TransformerDecoder"] = "TransformerDecoder"
    decoder_layer: TransformerDecoderLayer
    num_layers: PosInt  # torch builds 0 layers, but its forward then fails on every input
    norm: LayerNorm | None = None

    @field_validator("decoder_layer", "norm", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, (dict, str)):
            from paramcalc.parse import parse_layer

            return parse_layer(value)
        return value

    @model_validator(mode="after")
    def _check(self) -> "TransformerDecoder":
        if self.norm is not None and self.norm.normalized_shape not in (None, (self.decoder_layer.d_model,)):
            raise self._fail(
                "norm must normalize over d_model",
                d_model=self.decoder_layer.d_model, normalized_shape=self.norm.normalized_shape,
            )
        return self


class Transformer(LayerSpec):
    """``torch.nn.Transformer``: encoder and decoder stacks, each with a final LayerNorm.

    Inputs: src and tgt; output: tgt's shape. No embeddings and no output projection.
    """

    inputs: ClassVar[tuple[str, ...]] = ("src", "tgt")

    summary: ClassVar[str] = "encoder-decoder Transformer (stacks and final norms, no embeddings)"
    type: Literal["Transformer"] = "Transformer"
    d_model: PosInt = 512
    nhead: PosInt = 8
    num_encoder_layers: PosInt = 6  # as for TransformerDecoder: 0 layers fail on every input
    num_decoder_layers: PosInt = 6
    dim_feedforward: NonNegInt = 2048
    dropout: Probability = 0.1
    activation: Literal["relu", "gelu"] = "relu"
    layer_norm_eps: Eps = 1e-5
    batch_first: StrictBool = False
    norm_first: StrictBool = False
    bias: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "Transformer":
        if self.d_model % self.nhead:
            raise self._fail("d_model must be divisible by nhead", d_model=self.d_model, nhead=self.nhead)
        return self


#: The specs of this module by name, registered in :data:`paramcalc.specs.TORCH_LAYERS`.
BLOCK_LAYERS: dict[str, type[LayerSpec]] = {
    cls.__name__: cls
    for cls in (
        RMSNorm, SelfAttention, CausalSelfAttention, FeedForward, SwiGLU, DecoderBlock,
        PatchEmbedding, SinusoidalPositionalEncoding, Select, TransformerDecoder, Transformer,
    )
}
BLOCK_TYPES = tuple(BLOCK_LAYERS.values())
TORCH_LAYERS.update(BLOCK_LAYERS)


# ============================================================================================
# Reference: the tensors torch creates, by name and shape, and shapes found by walking the input.
# Nothing below imports paramcalc.formulas.
# ============================================================================================


def _t(name: str, shape: Shape, description: str, kind: str = "trainable") -> Tensor:
    return Tensor(name, tuple(shape), kind, description)  # type: ignore[arg-type]


def _proj(prefix: str, n_in: int, n_out: int, bias: bool, what: str) -> list[Tensor]:
    out = [_t(f"{prefix}.weight", (n_out, n_in), f"{what} weights")]
    if bias:
        out.append(_t(f"{prefix}.bias", (n_out,), f"{what} bias"))
    return out


def _norm(prefix: str, d: int, rms: bool) -> list[Tensor]:
    if rms:
        return [_t(f"{prefix}.weight", (d,), "RMSNorm scale")]
    return [_t(f"{prefix}.weight", (d,), "LayerNorm scale (gamma)"), _t(f"{prefix}.bias", (d,), "LayerNorm shift (beta)")]


def _attention(prefix: str, e: int, heads: int, kv_heads: int, head: int, bias: bool, out_bias: bool) -> list[Tensor]:
    return (
        _proj(f"{prefix}q_proj", e, heads * head, bias, "query projection")
        + _proj(f"{prefix}k_proj", e, kv_heads * head, bias, "key projection")
        + _proj(f"{prefix}v_proj", e, kv_heads * head, bias, "value projection")
        + _proj(f"{prefix}o_proj", heads * head, e, out_bias, "output projection")
    )


def _fused(prefix: str, e: int, bias: bool) -> list[Tensor]:
    return _proj(f"{prefix}c_attn", e, 3 * e, bias, "fused query, key and value projection") + _proj(
        f"{prefix}c_proj", e, e, bias, "output projection"
    )


def _swiglu(prefix: str, n_in: int, hidden: int, n_out: int, bias: bool) -> list[Tensor]:
    return (
        _proj(f"{prefix}gate_proj", n_in, hidden, bias, "gate projection (through SiLU)")
        + _proj(f"{prefix}up_proj", n_in, hidden, bias, "up projection")
        + _proj(f"{prefix}down_proj", hidden, n_out, bias, "down projection")
    )


def _in_proj(prefix: str, d: int, bias: bool, what: str) -> list[Tensor]:
    out = [_t(f"{prefix}in_proj_weight", (3 * d, d), f"{what}: query, key and value projections, stacked")]
    if bias:
        out.append(_t(f"{prefix}in_proj_bias", (3 * d,), f"{what}: query, key and value biases"))
    return out


def _layers_of(spec: Any, prefix: str, decoder: bool) -> list[Tensor]:
    """torch.nn.TransformerEncoderLayer / DecoderLayer tensors, listed again here (no formulas)."""
    d, ff, b = spec.d_model, spec.dim_feedforward, spec.bias
    out = _in_proj(f"{prefix}self_attn.", d, b, "self-attention")
    out += _proj(f"{prefix}self_attn.out_proj", d, d, b, "self-attention output projection")
    norms = 2
    if decoder:
        out += _in_proj(f"{prefix}multihead_attn.", d, b, "cross-attention")
        out += _proj(f"{prefix}multihead_attn.out_proj", d, d, b, "cross-attention output projection")
        norms = 3
    out += _proj(f"{prefix}linear1", d, ff, b, "feed-forward expansion")
    out += _proj(f"{prefix}linear2", ff, d, b, "feed-forward contraction")
    for i in range(1, norms + 1):
        out += _final_norm(f"{prefix}norm{i}.", d, True, b)
    return out


def _final_norm(prefix: str, d: int, affine: bool, bias: bool) -> list[Tensor]:
    if not affine:
        return []
    out = [_t(f"{prefix}weight", (d,), "LayerNorm scale (gamma)")]
    if bias:
        out.append(_t(f"{prefix}bias", (d,), "LayerNorm shift (beta)"))
    return out


def reference_tensors(spec: LayerSpec) -> list[Tensor]:
    """The parameters and buffers torch creates for a (resolved) block spec, in state_dict order."""
    match spec:
        case RMSNorm():
            if not spec.elementwise_affine:
                return []
            return [_t("weight", spec.normalized_shape, "RMSNorm scale (no shift)")]
        case SelfAttention():
            return _attention("", spec.embed_dim, spec.num_heads, spec.kv_heads, spec.head_size, spec.bias,
                              spec.has_out_bias)
        case CausalSelfAttention():
            return _fused("", spec.embed_dim, spec.bias)
        case FeedForward():
            return _proj("fc1", spec.in_features, spec.hidden_features, spec.bias, "feed-forward expansion") + _proj(
                "fc2", spec.hidden_features, spec.outputs, spec.bias, "feed-forward contraction"
            )
        case SwiGLU():
            return _swiglu("", spec.in_features, spec.hidden_features, spec.outputs, spec.bias)
        case DecoderBlock():
            d, ff, b = spec.d_model, spec.dim_feedforward, spec.bias
            if spec.style == "gpt2":
                return (
                    _norm("ln_1", d, rms=False) + _fused("attn.", d, b) + _norm("ln_2", d, rms=False)
                    + _proj("mlp.c_fc", d, ff, b, "MLP expansion") + _proj("mlp.c_proj", ff, d, b, "MLP contraction")
                )
            kv = spec.nhead if spec.num_kv_heads is None else spec.num_kv_heads
            return (
                _norm("input_layernorm", d, rms=True)
                + _attention("self_attn.", d, spec.nhead, kv, d // spec.nhead, b, b)
                + _norm("post_attention_layernorm", d, rms=True)
                + _swiglu("mlp.", d, ff, d, b)
            )
        case PatchEmbedding():
            # A module's own parameters come before its children's in torch's state_dict.
            e = spec.embed_dim
            out = []
            # Count the patches by stepping a patch-sized window across each side of the image.
            patches = 1
            for size, p in zip(spec.image_size, spec.patch_size):
                patches *= len(range(0, size - p + 1, p))
            if spec.class_token:
                out.append(_t("class_token", (1, 1, e), "learned class token"))
            if spec.position_embedding:
                out.append(_t("pos_embedding", (1, patches + int(spec.class_token), e),
                              "learned position embeddings, one per token"))
            out.append(_t("conv_proj.weight", (e, spec.in_channels, *spec.patch_size), "patch projection filters"))
            if spec.bias:
                out.append(_t("conv_proj.bias", (e,), "patch projection bias"))
            return out
        case SinusoidalPositionalEncoding():
            if spec.max_len is None:
                return []
            return [_t("pe", (spec.max_len, spec.d_model), "sinusoidal table (buffer)", "buffer")]
        case Select():
            return []
        case TransformerDecoder():
            out = []
            for i in range(spec.num_layers):
                out += _layers_of(spec.decoder_layer, f"layers.{i}.", decoder=True)
            if spec.norm is not None:
                out += _final_norm("norm.", spec.decoder_layer.d_model, spec.norm.elementwise_affine, spec.norm.bias)
            return out
        case Transformer():
            out = []
            for i in range(spec.num_encoder_layers):
                out += _layers_of(spec, f"encoder.layers.{i}.", decoder=False)
            out += _final_norm("encoder.norm.", spec.d_model, True, spec.bias)
            for i in range(spec.num_decoder_layers):
                out += _layers_of(spec, f"decoder.layers.{i}.", decoder=True)
            out += _final_norm("decoder.norm.", spec.d_model, True, spec.bias)
            return out
    raise SpecError(f"{spec.name}: not a block spec")  # pragma: no cover


def _check_sequence(name: str, x: Shape, width: int, what: str = "input") -> None:
    if len(x) not in (2, 3) or x[-1] != width:
        raise SpecError(f"{name}: bad {what}")


def reference_output_shapes(spec: LayerSpec, *shapes: Shape) -> dict[str, Shape]:
    """Output shapes of a block spec, found by following the input through the block's pieces."""
    x = tuple(shapes[0])
    name = spec.name
    match spec:
        case RMSNorm():
            k = len(spec.normalized_shape)
            if len(x) < k or x[len(x) - k:] != spec.normalized_shape:
                raise SpecError("RMSNorm: bad input")
            return {"output": x}
        case SelfAttention():
            _check_sequence(name, x, spec.embed_dim)
            # scores (L, L) per head, weights @ V → (L, heads·head), then o_proj back to E
            values = (*x[:-1], spec.num_heads * spec.head_size)
            return {"output": (*values[:-1], spec.embed_dim)}
        case CausalSelfAttention():
            _check_sequence(name, x, spec.embed_dim)
            qkv = (*x[:-1], 3 * spec.embed_dim)
            return {"output": (*qkv[:-1], qkv[-1] // 3)}
        case FeedForward() | SwiGLU():
            if not x or x[-1] != spec.in_features:
                raise SpecError(f"{name}: bad input")
            hidden = (*x[:-1], spec.hidden_features)
            return {"output": (*hidden[:-1], spec.outputs)}
        case DecoderBlock():
            _check_sequence(name, x, spec.d_model)
            return {"output": x}
        case PatchEmbedding():
            if len(x) not in (3, 4) or x[-3] != spec.in_channels or x[-2:] != spec.image_size:
                raise SpecError(f"{name}: bad input")
            grid = [len(range(0, n - p + 1, p)) for n, p in zip(x[-2:], spec.patch_size)]
            tokens = grid[0] * grid[1] + (1 if spec.class_token else 0)
            return {"output": (*x[:-3], tokens, spec.embed_dim)}
        case SinusoidalPositionalEncoding():
            _check_sequence(name, x, spec.d_model)
            if spec.max_len is not None and x[-2] > spec.max_len:
                raise SpecError(f"{name}: sequence longer than max_len")
            return {"output": x}
        case Select():
            dims = list(x)
            if not dims or not -len(dims) <= spec.dim < len(dims):
                raise SpecError("Select: dim out of range")
            if not -dims[spec.dim] <= spec.index < dims[spec.dim]:
                raise SpecError("Select: index out of range")
            del dims[spec.dim]
            return {"output": tuple(dims)}
        case TransformerDecoder() | Transformer():
            d = spec.decoder_layer.d_model if isinstance(spec, TransformerDecoder) else spec.d_model
            other = tuple(shapes[1]) if len(shapes) > 1 else x
            first, second = (x, other)
            for s in (first, second):
                _check_sequence(name, s, d)
            if len(first) != len(second):
                raise SpecError(f"{name}: rank mismatch")
            if isinstance(spec, Transformer):
                return {"output": second}
            return {"output": first}
    raise SpecError(f"{name}: the reference does not simulate this layer")  # pragma: no cover
