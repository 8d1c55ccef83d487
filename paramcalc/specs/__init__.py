"""Layer specifications: frozen pydantic models named and parameterised like their torch.nn classes.

A spec is data. It validates its arguments as torch does (whatever torch rejects at construction,
or for every input when it runs, is a :class:`SpecError` here) and knows the formulas of its family.
"""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`):
# pydantic then need not evaluate them from strings.

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc.errors import SpecError
from paramcalc.specs.base import (  # noqa: F401 - re-exported
    Shape,
    PosInt,
    NonNegInt,
    StrictBool,
    Probability,
    StrictProbability,
    IntTuple,
    Convention,
    LayerSpec,
    describe_problem,
    rule_text,
    STACK_FIELDS,
    _as_tuple,
    _tuple_validator,
    _check_all,
)


# -- Linear ----------------------------------------------------------------------------------


class Linear(LayerSpec):
    """A fully connected layer: y = x·Wᵀ + b."""

    summary: ClassVar[str] = "fully connected layer, y = xWᵀ + b"
    infer_field: ClassVar[str | None] = "in_features"
    type: Literal["Linear"] = "Linear"
    in_features: NonNegInt | None = None
    out_features: NonNegInt
    bias: StrictBool = True


# -- Convolutions ----------------------------------------------------------------------------


class _ConvBase(LayerSpec):
    nd: ClassVar[int] = 2
    infer_field: ClassVar[str | None] = "in_channels"
    # torch builds in_channels=0, but a transposed one then fails on every input and a plain one
    # returns 0 channels instead of out_channels (its empty-input shortcut): refused here.
    in_channels: PosInt | None = None
    out_channels: PosInt
    kernel_size: IntTuple

    _expand = _tuple_validator("kernel_size", expand_single=False)

    def _check_common(self) -> None:
        _check_all(self, "kernel_size", self.kernel_size, 1, "must be >= 1")
        _check_all(self, "stride", self.stride, 1, "must be >= 1 (non-positive stride is not supported)")
        _check_all(self, "dilation", self.dilation, 1, "must be >= 1")
        if self.groups < 1:
            raise self._fail("groups must be a positive integer", groups=self.groups)
        if self.in_channels is not None and self.in_channels % self.groups:
            raise self._fail("groups must divide in_channels", in_channels=self.in_channels, groups=self.groups)
        if self.out_channels % self.groups:
            raise self._fail("groups must divide out_channels", out_channels=self.out_channels, groups=self.groups)


class _Conv(_ConvBase):
    stride: IntTuple = Field(1, validate_default=True)
    padding: IntTuple | Literal["same", "valid"] = Field(0, validate_default=True)
    dilation: IntTuple = Field(1, validate_default=True)
    groups: Annotated[int, Field(strict=True)] = 1
    bias: StrictBool = True
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"] = "zeros"

    _expand_more = _tuple_validator("stride", "dilation")

    @field_validator("padding", mode="before")
    @classmethod
    def _expand_padding(cls, value: Any, info: Any) -> Any:
        if isinstance(value, str):
            if value not in ("same", "valid"):
                raise ValueError(
                    f"{cls.__name__}: padding must be 'same', 'valid', an int or a tuple of ints. "
                    f"Received: padding={value!r}"
                )
            return value
        return _as_tuple(value, cls.nd, "padding", cls.__name__)

    @model_validator(mode="before")
    @classmethod
    def _single_padding(cls, data: Any) -> Any:
        # torch pads a non-zeros padding_mode with F.pad, which takes a one-entry padding for the
        # last dimension only: a different layer than the one the entry stands for elsewhere.
        if isinstance(data, dict) and cls.nd > 1 and data.get("padding_mode", "zeros") != "zeros":
            padding = data.get("padding")
            if isinstance(padding, (list, tuple)) and len(padding) == 1:
                raise ValueError(
                    f"{cls.__name__}: padding must be an int or a tuple of {cls.nd} ints with "
                    f"padding_mode={data['padding_mode']!r}. Received: padding={tuple(padding)!r}"
                )
        return data

    @model_validator(mode="after")
    def _check(self) -> "_Conv":
        self._check_common()
        if isinstance(self.padding, str):
            if self.padding == "same" and any(s != 1 for s in self.stride):
                raise self._fail("padding='same' is not supported for strided convolutions", stride=self.stride)
        elif self.padding_mode == "zeros":  # other modes pad with F.pad, where a negative padding crops
            _check_all(self, "padding", self.padding, 0, "must be >= 0 (negative padding is not supported)")
        return self


class Conv1d(_Conv):
    """1-D convolution over (N, C, L)."""

    summary: ClassVar[str] = "1-D convolution over (N, C, L)"
    nd: ClassVar[int] = 1
    type: Literal["Conv1d"] = "Conv1d"


class Conv2d(_Conv):
    """2-D convolution over (N, C, H, W)."""

    summary: ClassVar[str] = "2-D convolution over (N, C, H, W)"
    nd: ClassVar[int] = 2
    type: Literal["Conv2d"] = "Conv2d"


class Conv3d(_Conv):
    """3-D convolution over (N, C, D, H, W)."""

    summary: ClassVar[str] = "3-D convolution over (N, C, D, H, W)"
    nd: ClassVar[int] = 3
    type: Literal["Conv3d"] = "Conv3d"


class _ConvTranspose(_ConvBase):
    stride: IntTuple = Field(1, validate_default=True)
    padding: IntTuple = Field(0, validate_default=True)
    output_padding: IntTuple = Field(0, validate_default=True)
    groups: Annotated[int, Field(strict=True)] = 1
    bias: StrictBool = True
    dilation: IntTuple = Field(1, validate_default=True)
    padding_mode: Literal["zeros"] = "zeros"

    _expand_more = _tuple_validator("stride", "padding", "output_padding", "dilation")

    @model_validator(mode="after")
    def _check(self) -> "_ConvTranspose":
        self._check_common()
        _check_all(self, "padding", self.padding, 0, "must be >= 0 (negative padding is not supported)")
        _check_all(self, "output_padding", self.output_padding, 0, "must be >= 0")
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= s and op >= d:
                raise self._fail(
                    "output_padding must be smaller than either stride or dilation",
                    output_padding=self.output_padding, stride=self.stride, dilation=self.dilation,
                )
        return self


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution (fractionally strided), over (N, C, L)."""

    summary: ClassVar[str] = "1-D transposed convolution over (N, C, L)"
    nd: ClassVar[int] = 1
    type: Literal["ConvTranspose1d"] = "ConvTranspose1d"


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution, over (N, C, H, W)."""

    summary: ClassVar[str] = "2-D transposed convolution over (N, C, H, W)"
    nd: ClassVar[int] = 2
    type: Literal["ConvTranspose2d"] = "ConvTranspose2d"


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution, over (N, C, D, H, W)."""

    summary: ClassVar[str] = "3-D transposed convolution over (N, C, D, H, W)"
    nd: ClassVar[int] = 3
    type: Literal["ConvTranspose3d"] = "ConvTranspose3d"


# -- Pooling ---------------------------------------------------------------------------------


class _Pool(LayerSpec):
    nd: ClassVar[int] = 2
    kernel_size: IntTuple
    stride: IntTuple | None = None
    padding: IntTuple = Field(0, validate_default=True)

    _expand = _tuple_validator("kernel_size", "padding")

    @field_validator("stride", mode="before")
    @classmethod
    def _expand_stride(cls, value: Any, info: Any) -> Any:
        return None if value is None else _as_tuple(value, cls.nd, "stride", cls.__name__)

    @model_validator(mode="after")
    def _default_stride(self) -> "_Pool":
        if self.stride is None:  # torch: stride defaults to kernel_size
            object.__setattr__(self, "stride", self.kernel_size)
        _check_all(self, "kernel_size", self.kernel_size, 1, "must be >= 1")
        _check_all(self, "stride", self.stride, 1, "must be >= 1 (stride should not be zero)")
        _check_all(self, "padding", self.padding, 0, "must be >= 0")
        dilation = getattr(self, "dilation", (1,) * self.nd)
        _check_all(self, "dilation", dilation, 1, "must be >= 1")
        for k, p in zip(self.kernel_size, self.padding):
            # torch checks p <= (dilation*(k-1)+1)//2 and p <= k//2; for dilation >= 1 the second decides.
            if p > k // 2:
                raise self._fail(
                    "padding should be at most half of kernel_size",
                    padding=self.padding, kernel_size=self.kernel_size,
                )
        return self


class _MaxPool(_Pool):
    dilation: IntTuple = Field(1, validate_default=True)
    return_indices: StrictBool = False
    ceil_mode: StrictBool = False

    _expand_dilation = _tuple_validator("dilation")


class MaxPool1d(_MaxPool):
    """1-D max pooling."""

    summary: ClassVar[str] = "1-D max pooling (no parameters)"
    nd: ClassVar[int] = 1
    type: Literal["MaxPool1d"] = "MaxPool1d"


class MaxPool2d(_MaxPool):
    """2-D max pooling."""

    summary: ClassVar[str] = "2-D max pooling (no parameters)"
    nd: ClassVar[int] = 2
    type: Literal["MaxPool2d"] = "MaxPool2d"


class MaxPool3d(_MaxPool):
    """3-D max pooling."""

    summary: ClassVar[str] = "3-D max pooling (no parameters)"
    nd: ClassVar[int] = 3
    type: Literal["MaxPool3d"] = "MaxPool3d"


class _AvgPool(_Pool):
    ceil_mode: StrictBool = False
    count_include_pad: StrictBool = True


class AvgPool1d(_AvgPool):
    """1-D average pooling."""

    summary: ClassVar[str] = "1-D average pooling (no parameters)"
    nd: ClassVar[int] = 1
    type: Literal["AvgPool1d"] = "AvgPool1d"


class _AvgPoolDivisor(_AvgPool):
    divisor_override: Annotated[int, Field(strict=True)] | None = None

    @model_validator(mode="after")
    def _check_divisor(self) -> "_AvgPoolDivisor":
        if self.divisor_override == 0:
            raise self._fail("divisor_override must not be zero", divisor_override=0)
        return self


class AvgPool2d(_AvgPoolDivisor):
    """2-D average pooling."""

    summary: ClassVar[str] = "2-D average pooling (no parameters)"
    nd: ClassVar[int] = 2
    type: Literal["AvgPool2d"] = "AvgPool2d"


class AvgPool3d(_AvgPoolDivisor):
    """3-D average pooling."""

    summary: ClassVar[str] = "3-D average pooling (no parameters)"
    nd: ClassVar[int] = 3
    type: Literal["AvgPool3d"] = "AvgPool3d"


class _AdaptiveAvgPool(LayerSpec):
    nd: ClassVar[int] = 2
    output_size: tuple[NonNegInt | None, ...]

    @field_validator("output_size", mode="before")
    @classmethod
    def _expand(cls, value: Any, info: Any) -> Any:
        if value is None:  # torch takes None entries in a tuple, not None for the whole size
            raise ValueError(
                f"{cls.__name__}: output_size must be an int or a tuple (whose entries may be None). "
                f"Received: output_size=None"
            )
        return _as_tuple(value, cls.nd, "output_size", cls.__name__, expand_single=False, allow_none=True)


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """1-D adaptive average pooling to a fixed output length."""

    summary: ClassVar[str] = "1-D adaptive average pooling to a fixed length"
    nd: ClassVar[int] = 1
    type: Literal["AdaptiveAvgPool1d"] = "AdaptiveAvgPool1d"
    output_size: tuple[NonNegInt]


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """2-D adaptive average pooling to a fixed output size (None keeps the input size)."""

    summary: ClassVar[str] = "2-D adaptive average pooling to a fixed size"
    nd: ClassVar[int] = 2
    type: Literal["AdaptiveAvgPool2d"] = "AdaptiveAvgPool2d"


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    """3-D adaptive average pooling to a fixed output size (None keeps the input size)."""

    summary: ClassVar[str] = "3-D adaptive average pooling to a fixed size"
    nd: ClassVar[int] = 3
    type: Literal["AdaptiveAvgPool3d"] = "AdaptiveAvgPool3d"


# -- Normalisation ---------------------------------------------------------------------------


class _BatchNorm(LayerSpec):
    nd: ClassVar[int] = 2
    infer_field: ClassVar[str | None] = "num_features"
    num_features: NonNegInt | None = None
    eps: Annotated[float, Field(gt=0.0)] = 1e-5  # torch's batch_norm refuses eps <= 0 in training
    momentum: float | None = 0.1  # torch takes any value (or None: a cumulative average)
    affine: StrictBool = True
    track_running_stats: StrictBool = True
    bias: Annotated[StrictBool, Field(description="learn the shift (beta) when affine; keyword-only in torch")] = True
    keyword_only: ClassVar[tuple[str, ...]] = ("bias",)

    @model_validator(mode="after")
    def _check(self) -> "_BatchNorm":
        if self.num_features == 0 and self.affine:
            raise self._fail(
                "num_features must be >= 1 when affine=True (torch's batch_norm fails on every input)",
                num_features=0, affine=True,
            )
        return self


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L)."""

    summary: ClassVar[str] = "batch normalisation over (N, C) or (N, C, L)"
    nd: ClassVar[int] = 1
    type: Literal["BatchNorm1d"] = "BatchNorm1d"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W)."""

    summary: ClassVar[str] = "batch normalisation over (N, C, H, W)"
    nd: ClassVar[int] = 2
    type: Literal["BatchNorm2d"] = "BatchNorm2d"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W)."""

    summary: ClassVar[str] = "batch normalisation over (N, C, D, H, W)"
    nd: ClassVar[int] = 3
    type: Literal["BatchNorm3d"] = "BatchNorm3d"


class LayerNorm(LayerSpec):
    """Layer normalisation over the last dimensions (normalized_shape)."""

    summary: ClassVar[str] = "layer normalisation over the trailing normalized_shape"
    infer_field: ClassVar[str | None] = "normalized_shape"
    type: Literal["LayerNorm"] = "LayerNorm"
    normalized_shape: tuple[NonNegInt, ...] | None = None
    eps: float = 1e-5  # torch's layer_norm takes any eps, 0 included
    elementwise_affine: StrictBool = True
    bias: StrictBool = True

    @field_validator("normalized_shape", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return (value,)
        if isinstance(value, list):
            return tuple(value)
        return value

    @model_validator(mode="after")
    def _check(self) -> "LayerNorm":
        if self.normalized_shape is not None and len(self.normalized_shape) == 0:
            raise self._fail("normalized_shape must have at least one dimension", normalized_shape=())
        return self


# -- Embedding -------------------------------------------------------------------------------


class Embedding(LayerSpec):
    """A lookup table of num_embeddings vectors of size embedding_dim."""

    summary: ClassVar[str] = "lookup table: num_embeddings vectors of size embedding_dim"
    type: Literal["Embedding"] = "Embedding"
    num_embeddings: NonNegInt
    embedding_dim: NonNegInt
    padding_idx: Annotated[int, Field(strict=True)] | None = None
    max_norm: float | None = None
    norm_type: float = 2.0
    scale_grad_by_freq: StrictBool = False
    sparse: StrictBool = False

    @model_validator(mode="after")
    def _check(self) -> "Embedding":
        if self.padding_idx is not None and not -self.num_embeddings <= self.padding_idx < self.num_embeddings:
            raise self._fail(
                "padding_idx must be within num_embeddings (-num_embeddings <= padding_idx < num_embeddings)",
                num_embeddings=self.num_embeddings, padding_idx=self.padding_idx,
            )
        return self


# -- Recurrent -------------------------------------------------------------------------------


class _Recurrent(LayerSpec):
    infer_field: ClassVar[str | None] = "input_size"
    gates: ClassVar[int] = 1
    input_size: PosInt | None = None
    hidden_size: PosInt
    num_layers: PosInt = 1

    @property
    def proj(self) -> int:
        """The projection size (0 when there is none)."""
        return getattr(self, "proj_size", 0)


class RNN(_Recurrent):
    """Elman RNN with tanh or ReLU: h_t = act(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh)."""

    summary: ClassVar[str] = "Elman recurrent layer (tanh or relu)"
    gates: ClassVar[int] = 1
    type: Literal["RNN"] = "RNN"
    nonlinearity: Literal["tanh", "relu"] = "tanh"
    bias: StrictBool = True
    batch_first: StrictBool = False
    dropout: StrictProbability = 0.0
    bidirectional: StrictBool = False


class LSTM(_Recurrent):
    """Long short-term memory with input, forget, cell and output gates; optional projection."""

    summary: ClassVar[str] = "long short-term memory, 4 gates (i, f, g, o), optional projection"
    gates: ClassVar[int] = 4
    type: Literal["LSTM"] = "LSTM"
    bias: StrictBool = True
    batch_first: StrictBool = False
    dropout: StrictProbability = 0.0
    bidirectional: StrictBool = False
    proj_size: NonNegInt = 0

    @model_validator(mode="after")
    def _check(self) -> "LSTM":
        if self.proj_size >= self.hidden_size:
            raise self._fail(
                "proj_size has to be smaller than hidden_size", proj_size=self.proj_size, hidden_size=self.hidden_size
            )
        return self


class GRU(_Recurrent):
    """Gated recurrent unit with reset, update and new gates."""

    summary: ClassVar[str] = "gated recurrent unit, 3 gates (r, z, n)"
    gates: ClassVar[int] = 3
    type: Literal["GRU"] = "GRU"
    bias: StrictBool = True
    batch_first: StrictBool = False
    dropout: StrictProbability = 0.0
    bidirectional: StrictBool = False


# -- Attention and Transformers --------------------------------------------------------------


class MultiheadAttention(LayerSpec):
    """Multi-head attention: Q, K, V projections, scaled dot-product attention per head, output projection."""

    summary: ClassVar[str] = "multi-head attention with Q/K/V and output projections"
    inputs: ClassVar[tuple[str, ...]] = ("query", "key", "value")
    infer_field: ClassVar[str | None] = "embed_dim"
    type: Literal["MultiheadAttention"] = "MultiheadAttention"
    embed_dim: PosInt | None = None
    num_heads: PosInt
    dropout: Probability = 0.0
    bias: StrictBool = True
    add_bias_kv: StrictBool = False
    add_zero_attn: StrictBool = False
    kdim: NonNegInt | None = None
    vdim: NonNegInt | None = None
    batch_first: StrictBool = False

    @model_validator(mode="after")
    def _check(self) -> "MultiheadAttention":
        if self.embed_dim is not None and self.embed_dim % self.num_heads:
            raise self._fail("embed_dim must be divisible by num_heads", embed_dim=self.embed_dim, num_heads=self.num_heads)
        return self


class _TransformerLayer(LayerSpec):
    d_model: PosInt
    nhead: PosInt
    dim_feedforward: NonNegInt = 2048
    dropout: Probability = 0.1
    activation: Literal["relu", "gelu"] = "relu"
    layer_norm_eps: float = 1e-5
    batch_first: StrictBool = False
    norm_first: StrictBool = False
    bias: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "_TransformerLayer":
        if self.d_model % self.nhead:
            raise self._fail("d_model must be divisible by nhead", d_model=self.d_model, nhead=self.nhead)
        return self


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward block, each with a residual connection and LayerNorm."""

    summary: ClassVar[str] = "self-attention + feed-forward, residuals and 2 LayerNorms"
    type: Literal["TransformerEncoderLayer"] = "TransformerEncoderLayer"


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, cross-attention over memory, and a feed-forward block, with 3 LayerNorms."""

    summary: ClassVar[str] = "self-attention + cross-attention + feed-forward, 3 LayerNorms"
    inputs: ClassVar[tuple[str, ...]] = ("tgt", "memory")
    type: Literal["TransformerDecoderLayer"] = "TransformerDecoderLayer"


class TransformerEncoder(LayerSpec):
    """A stack of num_layers copies of an encoder layer, with an optional final LayerNorm."""

    summary: ClassVar[str] = "a stack of encoder layers with an optional final norm"
    type: Literal["TransformerEncoder"] = "TransformerEncoder"
    encoder_layer: TransformerEncoderLayer
    num_layers: PosInt  # torch builds 0 layers, but its forward then fails on every input
    norm: LayerNorm | None = None
    enable_nested_tensor: StrictBool = True
    mask_check: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "TransformerEncoder":
        shape = None if self.norm is None else self.norm.normalized_shape
        if shape is not None and shape[-1] != self.encoder_layer.d_model:
            raise self._fail(
                "norm must normalize over d_model (its normalized_shape must end with d_model)",
                d_model=self.encoder_layer.d_model, normalized_shape=self.norm.normalized_shape,
            )
        return self


# -- Layers without parameters ---------------------------------------------------------------


class Flatten(LayerSpec):
    """Flattens dimensions start_dim..end_dim into one."""

    summary: ClassVar[str] = "flattens dims start_dim..end_dim into one (no parameters)"
    type: Literal["Flatten"] = "Flatten"
    start_dim: Annotated[int, Field(strict=True)] = 1
    end_dim: Annotated[int, Field(strict=True)] = -1


class Dropout(LayerSpec):
    """Zeroes elements with probability p during training."""

    summary: ClassVar[str] = "randomly zeroes elements while training (no parameters)"
    type: Literal["Dropout"] = "Dropout"
    p: Probability = 0.5
    inplace: StrictBool = False


class Identity(LayerSpec):
    """Passes its input through. Like torch.nn.Identity, it accepts and ignores any arguments."""

    summary: ClassVar[str] = "passes its input through (no parameters)"
    type: Literal["Identity"] = "Identity"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(**({"type": kwargs["type"]} if "type" in kwargs else {}))


class ReLU(LayerSpec):
    """max(0, x)."""

    summary: ClassVar[str] = "activation max(0, x) (no parameters)"
    type: Literal["ReLU"] = "ReLU"
    inplace: StrictBool = False


class GELU(LayerSpec):
    """Gaussian error linear unit."""

    summary: ClassVar[str] = "activation x·Φ(x) (no parameters)"
    type: Literal["GELU"] = "GELU"
    approximate: Literal["none", "tanh"] = "none"


class Tanh(LayerSpec):
    """Hyperbolic tangent."""

    summary: ClassVar[str] = "activation tanh(x) (no parameters)"
    type: Literal["Tanh"] = "Tanh"


class Sigmoid(LayerSpec):
    """Logistic sigmoid."""

    summary: ClassVar[str] = "activation 1/(1+e^−x) (no parameters)"
    type: Literal["Sigmoid"] = "Sigmoid"


class Softmax(LayerSpec):
    """Softmax along dim."""

    summary: ClassVar[str] = "softmax along dim (no parameters)"
    type: Literal["Softmax"] = "Softmax"
    dim: Annotated[int, Field(strict=True)] | None = None


#: Every PyTorch layer spec by its class name, in the order listings show them.
TORCH_LAYERS: dict[str, type[LayerSpec]] = {
    cls.__name__: cls
    for cls in (
        Linear,
        Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
        MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d,
        AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,
        BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm,
        Embedding,
        RNN, LSTM, GRU,
        MultiheadAttention, TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
        Flatten, Dropout, Identity, ReLU, GELU, Tanh, Sigmoid, Softmax,
    )
}

# The building blocks of modern architectures (RMSNorm, SwiGLU, attention variants, ...) live in
# paramcalc.blocks, which adds them to TORCH_LAYERS when it is imported.
import paramcalc.blocks  # noqa: E402,F401
