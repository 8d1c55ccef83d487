"""Layer specs for the building blocks of modern architectures.

RMSNorm (``torch.nn.RMSNorm``), ``Transformer`` and ``TransformerDecoder`` (``torch.nn``) are named and
parameterised like their torch classes. The others describe blocks that Hugging Face, torchvision and
timm build from ``torch.nn`` pieces, with the parameter names those libraries give them:

- ``SelfAttention``: separate q/k/v/o projections, optional biases, grouped-query heads (BERT, LLaMA);
- ``CausalSelfAttention``: GPT-2's fused ``c_attn`` projection and ``c_proj``;
- ``FeedForward`` (Linear, activation, Linear) and ``SwiGLU`` (gate, up and down projections);
- ``DecoderBlock``: a whole pre-norm decoder-only block in GPT-2 or LLaMA style;
- ``PatchEmbedding``: ViT's patch convolution, class token and learned position embeddings;
- ``SinusoidalPositionalEncoding`` and ``Select`` (``x[:, 0]``): no parameters.

Their independent reference is in :mod:`paramcalc.reference.blocks`.
"""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs).

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

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
