"""Keras 3 layers as specs: Keras class names, argument names, defaults and layouts.

A Keras layer does not state its input size; it takes it from the input shape it is built on
(batch dimension included, channels_last, recurrent inputs (batch, time, features)). The shape is
given with the query (``count(convention, input_shape=...)``, ``output_shape(...)``) or, as Keras
allows, in the layer's own ``input_shape`` argument (without the batch dimension).

Names shared with PyTorch (LSTM, GRU, Embedding, Flatten, Dropout) are told apart by their
arguments in :func:`choose`; a ``keras.`` prefix on the ``type`` tag keeps them apart in data.
"""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`):
# pydantic then need not evaluate them from strings (see paramcalc.specs).

import difflib
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import ConfigDict, Field, field_validator, model_serializer, model_validator

from paramcalc.errors import SpecError, short_repr
from paramcalc.specs import (
    TORCH_LAYERS,
    IntTuple,
    LayerSpec,
    NonNegInt,
    PosInt,
    Probability,
    StrictBool,
    _as_tuple,
    _check_all,
    _tuple_validator,
)

DataFormat = Literal["channels_last", "channels_first"]
Activation_ = Union[str, None]

#: Keras arguments that change neither a count nor a shape; they are accepted and dropped.
IGNORED_KERAS_ARGUMENTS = frozenset({
    "name", "dtype", "autocast", "activity_regularizer", "use_cudnn", "weights", "renorm_clipping",
})
IGNORED_KERAS_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def _input_shape(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, list):
        return tuple(value)
    return value


class KerasLayer(LayerSpec):
    """Base class of the Keras layer specs: positional arguments in Keras's order, sizes from the input."""

    framework: ClassVar[str] = "keras"
    #: Keras's positional argument order.
    positional: ClassVar[tuple[str, ...]] = ()
    #: Fields whose tuple values stay tuples when the spec is written back as an expression.
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape",)
    #: Whether counting the weights needs the input shape (it does whenever the input size sets them).
    needs_input_shape: ClassVar[bool] = True
    #: An input shape to show in messages, batch dimension first.
    example_shape: ClassVar[str] = "(None, 64)"

    input_shape: tuple[NonNegInt | None, ...] | None = None
    trainable: StrictBool = True

    _shape = field_validator("input_shape", mode="before")(classmethod(lambda cls, v: _input_shape(v)))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        if len(args) > len(self.positional):
            shown = ", ".join(self.positional) or "none"
            raise SpecError(
                f"{name}: takes at most {len(self.positional)} positional arguments ({shown}), got {len(args)}"
            )
        for field, value in zip(self.positional, args):
            if field in kwargs:
                raise SpecError(f"{name}: got multiple values for argument {field}")
            kwargs[field] = value
        super().__init__(**kwargs)

    @model_serializer(mode="wrap")
    def _ordered(self, handler: Any) -> Any:
        """Dump ``type`` first, then the layer's own arguments, then input_shape and trainable."""
        data = handler(self)
        if not isinstance(data, dict) or "type" not in data:
            return data
        common = {k: data.pop(k) for k in ("input_shape", "trainable") if k in data}
        return {"type": data.pop("type"), **data, **common}

    def spec_dict(self) -> dict[str, Any]:
        """The spec as plain data with Keras's argument names, ``type`` first."""
        return self.model_dump(mode="json", by_alias=True)

    def __str__(self) -> str:
        """The constructor expression with the arguments that differ from Keras's defaults."""
        parts = []
        fields = type(self).model_fields
        for key, value in self:
            info = fields[key]
            if key == "type" or value == info.default:
                continue
            default = info.default
            if isinstance(value, tuple) and isinstance(default, int) and set(value) == {default}:
                continue
            if isinstance(value, tuple) and len(set(value)) == 1 and key not in self.keep_tuples:
                value = value[0]
            parts.append(f"{info.alias or key}={value if isinstance(value, LayerSpec) else repr(value)}")
        return f"{self.type}({', '.join(parts)})"


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _data_format(value: Any) -> Any:
    return "channels_last" if value is None else value


# -- Core ------------------------------------------------------------------------------------


class Dense(KerasLayer):
    """``keras.layers.Dense``: kernel (input features, units) and a bias of units."""

    summary: ClassVar[str] = "Keras fully connected layer: kernel (features, units) + bias"
    positional: ClassVar[tuple[str, ...]] = ("units", "activation", "use_bias")
    example_shape: ClassVar[str] = "(None, 784)"
    type: Literal["keras.Dense"] = "keras.Dense"
    units: PosInt
    activation: Activation_ = None
    use_bias: StrictBool = True


class Embedding(KerasLayer):
    """``keras.layers.Embedding``: a table of input_dim vectors of size output_dim."""

    summary: ClassVar[str] = "Keras lookup table: input_dim vectors of size output_dim"
    positional: ClassVar[tuple[str, ...]] = ("input_dim", "output_dim")
    needs_input_shape: ClassVar[bool] = False
    example_shape: ClassVar[str] = "(None, 30)"
    type: Literal["keras.Embedding"] = "keras.Embedding"
    input_dim: NonNegInt
    output_dim: NonNegInt
    mask_zero: StrictBool = False


class Flatten(KerasLayer):
    """``keras.layers.Flatten``: all dimensions but the batch into one."""

    summary: ClassVar[str] = "Keras: flattens all but the batch dimension (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("data_format",)
    needs_input_shape: ClassVar[bool] = False
    type: Literal["keras.Flatten"] = "keras.Flatten"
    data_format: DataFormat = "channels_last"

    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))


class Dropout(KerasLayer):
    """``keras.layers.Dropout``: zeroes a fraction ``rate`` of the inputs while training."""

    summary: ClassVar[str] = "Keras: randomly zeroes a fraction rate while training (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("rate", "noise_shape", "seed")
    needs_input_shape: ClassVar[bool] = False
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "noise_shape")
    type: Literal["keras.Dropout"] = "keras.Dropout"
    rate: Probability
    noise_shape: tuple[NonNegInt | None, ...] | None = None
    seed: Annotated[int, Field(strict=True)] | None = None


class Activation(KerasLayer):
    """``keras.layers.Activation``: applies an activation function."""

    summary: ClassVar[str] = "Keras: applies an activation function (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("activation",)
    needs_input_shape: ClassVar[bool] = False
    type: Literal["keras.Activation"] = "keras.Activation"
    activation: Activation_


# -- Convolutions ----------------------------------------------------------------------------


class _KerasConvBase(KerasLayer):
    nd: ClassVar[int] = 2
    filters: PosInt
    kernel_size: IntTuple
    strides: IntTuple = Field(1, validate_default=True)
    padding: Literal["valid", "same"] = "valid"
    data_format: DataFormat = "channels_last"
    dilation_rate: IntTuple = Field(1, validate_default=True)

    _expand = _tuple_validator("kernel_size", "strides", "dilation_rate")
    _pad = field_validator("padding", mode="before")(classmethod(lambda cls, v: _lower(v)))
    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))

    def _check_common(self) -> None:
        _check_all(self, "kernel_size", self.kernel_size, 1, "must be >= 1 (it cannot contain 0)")
        _check_all(self, "strides", self.strides, 1, "must be >= 1")
        _check_all(self, "dilation_rate", self.dilation_rate, 1, "must be >= 1")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise self._fail(
                "strides > 1 is not supported together with dilation_rate > 1",
                strides=self.strides, dilation_rate=self.dilation_rate,
            )

    @property
    def channel_axis(self) -> int:
        """Axis of the channels in the input: -1 for channels_last, 1 for channels_first."""
        return -1 if self.data_format == "channels_last" else 1


class _KerasConv(_KerasConvBase):
    positional: ClassVar[tuple[str, ...]] = (
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
        "activation", "use_bias",
    )
    groups: PosInt = 1
    activation: Activation_ = None
    use_bias: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "_KerasConv":
        self._check_common()
        if self.filters % self.groups:
            raise self._fail("filters must be divisible by groups", filters=self.filters, groups=self.groups)
        return self


class Conv1D(_KerasConv):
    """``keras.layers.Conv1D`` over (batch, steps, channels)."""

    summary: ClassVar[str] = "Keras 1-D convolution over (batch, steps, channels)"
    nd: ClassVar[int] = 1
    example_shape: ClassVar[str] = "(None, 100, 16)"
    type: Literal["keras.Conv1D"] = "keras.Conv1D"
    padding: Literal["valid", "same", "causal"] = "valid"


class Conv2D(_KerasConv):
    """``keras.layers.Conv2D`` over (batch, height, width, channels)."""

    summary: ClassVar[str] = "Keras 2-D convolution over (batch, height, width, channels)"
    nd: ClassVar[int] = 2
    example_shape: ClassVar[str] = "(None, 28, 28, 3)"
    type: Literal["keras.Conv2D"] = "keras.Conv2D"


class Conv3D(_KerasConv):
    """``keras.layers.Conv3D`` over (batch, depth, height, width, channels)."""

    summary: ClassVar[str] = "Keras 3-D convolution over (batch, depth, height, width, channels)"
    nd: ClassVar[int] = 3
    example_shape: ClassVar[str] = "(None, 16, 28, 28, 3)"
    type: Literal["keras.Conv3D"] = "keras.Conv3D"


class _KerasConvTranspose(_KerasConvBase):
    positional: ClassVar[tuple[str, ...]] = (
        "filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate",
        "activation", "use_bias",
    )
    output_padding: IntTuple | None = None
    activation: Activation_ = None
    use_bias: StrictBool = True

    @field_validator("output_padding", mode="before")
    @classmethod
    def _expand_output_padding(cls, value: Any, info: Any) -> Any:
        return None if value is None else _as_tuple(value, cls.nd, "output_padding", cls.__name__)

    @model_validator(mode="after")
    def _check(self) -> "_KerasConvTranspose":
        self._check_common()
        if self.output_padding is not None:
            _check_all(self, "output_padding", self.output_padding, 0, "must be >= 0")
            for op, s in zip(self.output_padding, self.strides):
                if op >= s:
                    raise self._fail(
                        "output_padding must be strictly less than strides",
                        output_padding=self.output_padding, strides=self.strides,
                    )
        return self


class Conv1DTranspose(_KerasConvTranspose):
    """``keras.layers.Conv1DTranspose`` over (batch, steps, channels)."""

    summary: ClassVar[str] = "Keras 1-D transposed convolution over (batch, steps, channels)"
    nd: ClassVar[int] = 1
    example_shape: ClassVar[str] = "(None, 100, 16)"
    type: Literal["keras.Conv1DTranspose"] = "keras.Conv1DTranspose"


class Conv2DTranspose(_KerasConvTranspose):
    """``keras.layers.Conv2DTranspose`` over (batch, height, width, channels)."""

    summary: ClassVar[str] = "Keras 2-D transposed convolution over (batch, height, width, channels)"
    nd: ClassVar[int] = 2
    example_shape: ClassVar[str] = "(None, 14, 14, 64)"
    type: Literal["keras.Conv2DTranspose"] = "keras.Conv2DTranspose"


class Conv3DTranspose(_KerasConvTranspose):
    """``keras.layers.Conv3DTranspose`` over (batch, depth, height, width, channels)."""

    summary: ClassVar[str] = "Keras 3-D transposed convolution over (batch, depth, height, width, channels)"
    positional: ClassVar[tuple[str, ...]] = (
        "filters", "kernel_size", "strides", "padding", "data_format", "output_padding", "dilation_rate",
        "activation", "use_bias",
    )
    nd: ClassVar[int] = 3
    example_shape: ClassVar[str] = "(None, 8, 14, 14, 64)"
    type: Literal["keras.Conv3DTranspose"] = "keras.Conv3DTranspose"


# -- Pooling ---------------------------------------------------------------------------------


class _KerasPool(KerasLayer):
    nd: ClassVar[int] = 2
    positional: ClassVar[tuple[str, ...]] = ("pool_size", "strides", "padding", "data_format")
    needs_input_shape: ClassVar[bool] = False
    pool_size: IntTuple
    strides: IntTuple | None = None
    padding: Literal["valid", "same"] = "valid"
    data_format: DataFormat = "channels_last"

    _expand = _tuple_validator("pool_size")
    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))

    @field_validator("strides", mode="before")
    @classmethod
    def _expand_strides(cls, value: Any, info: Any) -> Any:
        return None if value is None else _as_tuple(value, cls.nd, "strides", cls.__name__)

    @model_validator(mode="after")
    def _check(self) -> "_KerasPool":
        if self.strides is None:  # Keras: strides default to pool_size
            object.__setattr__(self, "strides", self.pool_size)
        _check_all(self, "pool_size", self.pool_size, 1, "must be >= 1")
        _check_all(self, "strides", self.strides, 1, "must be >= 1")
        return self


class _KerasMaxPool(_KerasPool):
    pool_size: IntTuple = Field(2, validate_default=True)


class MaxPooling1D(_KerasMaxPool):
    """``keras.layers.MaxPooling1D``."""

    summary: ClassVar[str] = "Keras 1-D max pooling over (batch, steps, channels) (no weights)"
    nd: ClassVar[int] = 1
    type: Literal["keras.MaxPooling1D"] = "keras.MaxPooling1D"


class MaxPooling2D(_KerasMaxPool):
    """``keras.layers.MaxPooling2D``."""

    summary: ClassVar[str] = "Keras 2-D max pooling over (batch, height, width, channels) (no weights)"
    nd: ClassVar[int] = 2
    type: Literal["keras.MaxPooling2D"] = "keras.MaxPooling2D"


class MaxPooling3D(_KerasMaxPool):
    """``keras.layers.MaxPooling3D``."""

    summary: ClassVar[str] = "Keras 3-D max pooling (no weights)"
    nd: ClassVar[int] = 3
    type: Literal["keras.MaxPooling3D"] = "keras.MaxPooling3D"


class AveragePooling1D(_KerasPool):
    """``keras.layers.AveragePooling1D``."""

    summary: ClassVar[str] = "Keras 1-D average pooling over (batch, steps, channels) (no weights)"
    nd: ClassVar[int] = 1
    type: Literal["keras.AveragePooling1D"] = "keras.AveragePooling1D"


class AveragePooling2D(_KerasPool):
    """``keras.layers.AveragePooling2D``."""

    summary: ClassVar[str] = "Keras 2-D average pooling over (batch, height, width, channels) (no weights)"
    nd: ClassVar[int] = 2
    type: Literal["keras.AveragePooling2D"] = "keras.AveragePooling2D"


class AveragePooling3D(_KerasPool):
    """``keras.layers.AveragePooling3D``."""

    summary: ClassVar[str] = "Keras 3-D average pooling (no weights)"
    nd: ClassVar[int] = 3
    type: Literal["keras.AveragePooling3D"] = "keras.AveragePooling3D"


class _KerasGlobalPool(KerasLayer):
    nd: ClassVar[int] = 2
    positional: ClassVar[tuple[str, ...]] = ("data_format", "keepdims")
    needs_input_shape: ClassVar[bool] = False
    data_format: DataFormat = "channels_last"
    keepdims: StrictBool = False

    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))


class GlobalAveragePooling1D(_KerasGlobalPool):
    """``keras.layers.GlobalAveragePooling1D``: the mean over the steps."""

    summary: ClassVar[str] = "Keras mean over the steps: (batch, steps, C) -> (batch, C)"
    nd: ClassVar[int] = 1
    type: Literal["keras.GlobalAveragePooling1D"] = "keras.GlobalAveragePooling1D"


class GlobalAveragePooling2D(_KerasGlobalPool):
    """``keras.layers.GlobalAveragePooling2D``: the mean over height and width."""

    summary: ClassVar[str] = "Keras mean over height and width: (batch, H, W, C) -> (batch, C)"
    nd: ClassVar[int] = 2
    type: Literal["keras.GlobalAveragePooling2D"] = "keras.GlobalAveragePooling2D"


class GlobalAveragePooling3D(_KerasGlobalPool):
    """``keras.layers.GlobalAveragePooling3D``: the mean over depth, height and width."""

    summary: ClassVar[str] = "Keras mean over depth, height and width -> (batch, C)"
    nd: ClassVar[int] = 3
    type: Literal["keras.GlobalAveragePooling3D"] = "keras.GlobalAveragePooling3D"


# -- Normalisation ---------------------------------------------------------------------------


class BatchNormalization(KerasLayer):
    """``keras.layers.BatchNormalization``: gamma and beta trainable, moving mean and variance not."""

    summary: ClassVar[str] = "Keras batch norm: gamma, beta + non-trainable moving mean/variance"
    positional: ClassVar[tuple[str, ...]] = ("axis", "momentum", "epsilon", "center", "scale")
    example_shape: ClassVar[str] = "(None, 28, 28, 64)"
    type: Literal["keras.BatchNormalization"] = "keras.BatchNormalization"
    axis: Annotated[int, Field(strict=True)] = -1
    momentum: float = 0.99
    epsilon: Annotated[float, Field(gt=0.0)] = 1e-3
    center: StrictBool = True
    scale: StrictBool = True


class _KerasAxisNorm(KerasLayer):
    """A normalisation over ``axis`` (an int or a tuple of ints, declared by each subclass)."""

    _axis = field_validator("axis", mode="before", check_fields=False)(
        classmethod(lambda cls, v: tuple(v) if isinstance(v, list) else v)
    )

    @property
    def axes(self) -> tuple[int, ...]:
        """The normalised axes as a tuple."""
        return self.axis if isinstance(self.axis, tuple) else (self.axis,)

    @model_validator(mode="after")
    def _check(self) -> "_KerasAxisNorm":
        if not self.axes:
            raise self._fail("axis must name at least one axis", axis=self.axis)
        return self


class LayerNormalization(_KerasAxisNorm):
    """``keras.layers.LayerNormalization`` over ``axis`` (an int or a tuple of ints)."""

    summary: ClassVar[str] = "Keras layer norm over axis: gamma and beta"
    positional: ClassVar[tuple[str, ...]] = ("axis", "epsilon", "center", "scale")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "axis")
    example_shape: ClassVar[str] = "(None, 50, 512)"
    type: Literal["keras.LayerNormalization"] = "keras.LayerNormalization"
    axis: Annotated[int, Field(strict=True)] | tuple[Annotated[int, Field(strict=True)], ...] = -1
    epsilon: Annotated[float, Field(gt=0.0)] = 1e-3
    center: StrictBool = True
    scale: StrictBool = True


class RMSNormalization(_KerasAxisNorm):
    """``keras.layers.RMSNormalization`` over ``axis``: a scale per normalised feature, no shift."""

    summary: ClassVar[str] = "Keras RMS norm over axis: a scale, no shift"
    positional: ClassVar[tuple[str, ...]] = ("axis", "epsilon")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "axis")
    example_shape: ClassVar[str] = "(None, 50, 4096)"
    type: Literal["keras.RMSNormalization"] = "keras.RMSNormalization"
    axis: Annotated[int, Field(strict=True)] | tuple[Annotated[int, Field(strict=True)], ...] = -1
    epsilon: Annotated[float, Field(gt=0.0)] = 1e-6
    center: ClassVar[bool] = False
    scale: ClassVar[bool] = True


# -- Recurrent -------------------------------------------------------------------------------


class _KerasRecurrent(KerasLayer):
    gates: ClassVar[int] = 1
    cell_name: ClassVar[str] = "simple_rnn_cell"
    layer_name: ClassVar[str] = "simple_rnn"
    positional: ClassVar[tuple[str, ...]] = ("units", "activation", "recurrent_activation", "use_bias")
    example_shape: ClassVar[str] = "(None, 50, 100)"
    units: PosInt
    activation: Activation_ = "tanh"
    use_bias: StrictBool = True
    dropout: Probability = 0.0
    recurrent_dropout: Probability = 0.0
    return_sequences: StrictBool = False
    return_state: StrictBool = False
    go_backwards: StrictBool = False
    stateful: StrictBool = False
    unroll: StrictBool = False
    seed: Annotated[int, Field(strict=True)] | None = None


class SimpleRNN(_KerasRecurrent):
    """``keras.layers.SimpleRNN``: kernel, recurrent_kernel and one bias."""

    summary: ClassVar[str] = "Keras Elman RNN: kernel, recurrent_kernel, one bias"
    positional: ClassVar[tuple[str, ...]] = ("units", "activation", "use_bias")
    type: Literal["keras.SimpleRNN"] = "keras.SimpleRNN"


class LSTM(_KerasRecurrent):
    """``keras.layers.LSTM``: 4 gates (i, f, c, o) in one kernel, one recurrent_kernel, one bias."""

    summary: ClassVar[str] = "Keras LSTM: 4 gates, one bias vector per gate"
    gates: ClassVar[int] = 4
    cell_name: ClassVar[str] = "lstm_cell"
    layer_name: ClassVar[str] = "lstm"
    type: Literal["keras.LSTM"] = "keras.LSTM"
    recurrent_activation: Activation_ = "sigmoid"
    unit_forget_bias: StrictBool = True


class GRU(_KerasRecurrent):
    """``keras.layers.GRU``: 3 gates (z, r, h); reset_after=True keeps an input and a recurrent bias."""

    summary: ClassVar[str] = "Keras GRU: 3 gates; reset_after=True has 2 bias rows"
    gates: ClassVar[int] = 3
    cell_name: ClassVar[str] = "gru_cell"
    layer_name: ClassVar[str] = "gru"
    type: Literal["keras.GRU"] = "keras.GRU"
    recurrent_activation: Activation_ = "sigmoid"
    reset_after: StrictBool = True


KerasRecurrent = Annotated[Union[SimpleRNN, LSTM, GRU], Field(discriminator="type")]


class Bidirectional(KerasLayer):
    """``keras.layers.Bidirectional``: a forward and a backward copy of a recurrent layer."""

    summary: ClassVar[str] = "Keras wrapper: forward and backward copies of an RNN layer"
    positional: ClassVar[tuple[str, ...]] = ("layer", "merge_mode")
    example_shape: ClassVar[str] = "(None, 50, 100)"
    type: Literal["keras.Bidirectional"] = "keras.Bidirectional"
    layer: KerasRecurrent
    merge_mode: Literal["concat", "sum", "mul", "ave"] | None = "concat"

    @field_validator("layer", mode="before")
    @classmethod
    def _layer(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = build_from_mapping(value)
        elif isinstance(value, str):
            from paramcalc.parse import parse_layer

            value = parse_layer(value)
        if isinstance(value, LayerSpec) and not isinstance(value, (SimpleRNN, LSTM, GRU)):
            raise ValueError(
                f"Bidirectional: layer must be a Keras SimpleRNN, LSTM or GRU (write layers.LSTM(64)). "
                f"Received: layer={value}"
            )
        return value


# -- Attention -------------------------------------------------------------------------------


class MultiHeadAttention(KerasLayer):
    """``keras.layers.MultiHeadAttention``: per-head query/key/value projections and an output projection.

    Called on a query, a value and an optional key (the value by default); their feature sizes set
    the projection kernels, so counting takes the list of their shapes in that order.
    """

    inputs: ClassVar[tuple[str, ...]] = ("query", "value", "key")

    summary: ClassVar[str] = "Keras multi-head attention: key_dim/value_dim per head"
    positional: ClassVar[tuple[str, ...]] = ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "output_shape_")
    example_shape: ClassVar[str] = "[(None, 50, 512), (None, 60, 512)]"
    type: Literal["keras.MultiHeadAttention"] = "keras.MultiHeadAttention"
    model_config = ConfigDict(populate_by_name=True)

    num_heads: PosInt
    key_dim: PosInt
    value_dim: PosInt | None = None
    dropout: Probability = 0.0
    use_bias: StrictBool = True
    #: Keras's ``output_shape`` argument (the attribute name would hide :meth:`LayerSpec.output_shape`).
    output_shape_: tuple[PosInt, ...] | None = Field(None, alias="output_shape")

    @field_validator("output_shape_", mode="before")
    @classmethod
    def _output_shape(cls, value: Any) -> Any:
        if value == 0 or value == () or value == []:
            return None  # Keras treats a falsy output_shape as "the query's size"
        return _input_shape(value)

    @property
    def output_dims(self) -> tuple[int, ...] | None:
        """Keras's ``output_shape`` argument: the output projection's shape, or None for the query's size."""
        return self.output_shape_

    @property
    def values_dim(self) -> int:
        """The per-head value size: value_dim, or key_dim when it is not given."""
        return self.value_dim or self.key_dim


class GroupQueryAttention(KerasLayer):
    """``keras.layers.GroupQueryAttention``: num_query_heads query heads sharing num_key_value_heads key/value heads.

    Called on a query, a value and an optional key (the value by default), like MultiHeadAttention;
    the output keeps the query's shape, and the query and value must have the same feature size.
    """

    inputs: ClassVar[tuple[str, ...]] = ("query", "value", "key")

    summary: ClassVar[str] = "Keras grouped-query attention: fewer key/value heads than query heads"
    positional: ClassVar[tuple[str, ...]] = ("head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias")
    example_shape: ClassVar[str] = "(None, 50, 4096)"
    type: Literal["keras.GroupQueryAttention"] = "keras.GroupQueryAttention"
    head_dim: PosInt
    num_query_heads: PosInt
    num_key_value_heads: PosInt
    dropout: Probability = 0.0
    use_bias: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "GroupQueryAttention":
        if self.num_query_heads % self.num_key_value_heads:
            raise self._fail(
                "num_query_heads must be divisible by num_key_value_heads",
                num_query_heads=self.num_query_heads, num_key_value_heads=self.num_key_value_heads,
            )
        return self


#: Every Keras layer spec by its Keras class name.
KERAS_LAYERS: dict[str, type[KerasLayer]] = {
    cls.__name__: cls
    for cls in (
        Dense,
        Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
        MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D,
        GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
        BatchNormalization, LayerNormalization, RMSNormalization,
        Embedding,
        SimpleRNN, LSTM, GRU, Bidirectional,
        MultiHeadAttention, GroupQueryAttention,
        Flatten, Dropout, Activation,
    )
}


# -- Building from names and arguments -------------------------------------------------------


def _clean(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Drop the arguments that change nothing here; turn Keras's legacy ``input_dim`` into ``input_shape``."""
    out = {}
    for key, value in kwargs.items():
        if key in IGNORED_KERAS_ARGUMENTS or key.endswith(IGNORED_KERAS_SUFFIXES):
            continue
        if name == "Embedding" and key == "input_length":  # deprecated in Keras 3, ignored there too
            continue
        if key == "input_dim" and name != "Embedding":
            if "input_shape" in kwargs:
                raise SpecError(f"{name}: give input_dim or input_shape, not both")
            key, value = "input_shape", (value,)
        out[key] = value
    return out


def build(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> "KerasLayer":
    """The Keras spec for ``layers.<name>(*args, **kwargs)``.

    Raises:
        SpecError: unknown Keras layer or bad argument.
    """
    cls = KERAS_LAYERS.get(name)
    if cls is None:
        close = difflib.get_close_matches(name, list(KERAS_LAYERS), n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(close)}?" if close else " Run `paramcalc layers` to list them."
        raise SpecError(f"unknown Keras layer {name!r}.{hint}")
    return cls(*args, **_clean(name, dict(kwargs)))


def build_from_mapping(data: dict[str, Any]) -> "KerasLayer":
    """A Keras spec from ``{"type": "LSTM", "units": 64}`` (``keras.``/``layers.`` prefixes allowed)."""
    data = dict(data)
    name = data.pop("type", None)
    if not isinstance(name, str):
        raise SpecError(f"a layer mapping needs a 'type' naming the layer. Received: {data!r}"[:300])
    return build(name.rpartition(".")[2], (), data)


#: Argument names that tell the frameworks apart, per shared layer name: (PyTorch hint, Keras hint).
_HINTS = {
    "LSTM": ("hidden_size=", "units="),
    "GRU": ("hidden_size=", "units="),
    "Embedding": ("num_embeddings=", "input_dim="),
    "Dropout": ("p=", "rate="),
    "Flatten": ("start_dim=", "data_format="),
}


def _torch_fields(name: str) -> set[str]:
    from paramcalc.parse import IGNORED_TORCH_ARGUMENTS

    return set(TORCH_LAYERS[name].model_fields) - {"type"} | set(IGNORED_TORCH_ARGUMENTS)


def _keras_only(name: str, key: str, torch_fields: set[str]) -> bool:
    if key in torch_fields:
        return False
    if key in KERAS_LAYERS[name].model_fields or key in IGNORED_KERAS_ARGUMENTS:
        return True
    return key.endswith(IGNORED_KERAS_SUFFIXES) or key in ("input_dim", "input_length")


def _call_text(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [short_repr(a) for a in args] + [f"{k}={short_repr(v)}" for k, v in kwargs.items()]
    text = f"{name}({', '.join(parts)})"
    return text if len(text) <= 80 else text[:77] + "..."


def _same_answer(torch_spec: LayerSpec, keras_spec: LayerSpec) -> bool:
    """Whether the PyTorch and the Keras reading of one call give the same parameter count."""
    try:
        return torch_spec.count() == keras_spec.count("keras")
    except SpecError:  # a count that needs an input shape: the readings cannot be compared
        return False


def choose(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> LayerSpec:
    """The PyTorch or the Keras spec for a layer name both frameworks use, told apart by the arguments.

    Keras-only argument names (``units``, ``input_dim``, ``rate``, ``return_sequences``, ...) choose
    Keras, PyTorch-only ones (``hidden_size``, ``num_embeddings``, ``p``, ...) choose PyTorch; otherwise
    the call goes to the one framework whose signature it fits. A call that fits both and counts the
    same either way (``Embedding(1000, 64)``, ``Flatten()``, ``Dropout(0.5)``) is read as PyTorch's.

    Raises:
        SpecError: the call fits both with different counts (say which to use: ``nn.LSTM(...)`` or
            ``layers.LSTM(...)``), fits
            neither, or mixes both frameworks' arguments.
    """
    from paramcalc.parse import _build_torch

    torch_fields = _torch_fields(name)
    keras_fields = set(KERAS_LAYERS[name].model_fields) - {"type"}
    keras_side = sorted(k for k in kwargs if _keras_only(name, k, torch_fields))
    torch_side = sorted(k for k in kwargs if k in torch_fields and k not in keras_fields)
    call = _call_text(name, args, kwargs)
    if keras_side and torch_side:
        raise SpecError(
            f"{call}: mixes PyTorch arguments ({', '.join(torch_side)}) and Keras arguments "
            f"({', '.join(keras_side)}); write nn.{name}(...) or layers.{name}(...)"
        )
    if keras_side:
        return build(name, args, kwargs)
    if torch_side:
        return _build_torch(name, args, kwargs)
    errors: dict[str, str] = {}
    fits: list[LayerSpec] = []
    for framework, make in (("PyTorch", _build_torch), ("Keras", build)):
        try:
            fits.append(make(name, args, dict(kwargs)))
        except SpecError as exc:
            errors[framework] = str(exc)
    torch_hint, keras_hint = _HINTS.get(name, ("", ""))
    if len(fits) == 2 and _same_answer(*fits):
        return fits[0]  # both readings count the same (Embedding(1000, 64), Flatten()): PyTorch's is the default
    if len(fits) == 2:
        raise SpecError(
            f"{call} fits both torch.nn.{name} and keras.layers.{name}; write nn.{name}(...) for PyTorch or "
            f"layers.{name}(...) for Keras (or name the arguments: {torch_hint} for PyTorch, {keras_hint} for Keras)"
        )
    if not fits:
        raise SpecError(
            f"{call} fits neither torch.nn.{name} ({errors['PyTorch']}) nor keras.layers.{name} ({errors['Keras']})"
        )
    return fits[0]
