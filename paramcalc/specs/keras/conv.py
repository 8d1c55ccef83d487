"""Keras convolutions: Conv1D–Conv3D and Conv1DTranspose–Conv3DTranspose."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from math import prod
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas import keras as fk
from paramcalc.formulas import textbook as tb
from paramcalc.formulas.conv import DIM_NAMES, conv_params
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.conv import CONV_FAMILY, CONV_TRANSPOSE_FAMILY
from paramcalc.specs.base import IntTuple, LayerSpec, PosInt, StrictBool, _as_tuple, _check_all, _tuple_validator
from paramcalc.specs.keras.base import (
    Activation_,
    DataFormat,
    KerasLayer,
    _data_format,
    _lower,
    activation_ops,
    assemble,
    check_rank,
    known,
    layout,
    require_shapes,
    split,
    textbook,
    weight,
    window_lines,
    window_notes,
)
from paramcalc.specs.ops import KERNEL, SPATIAL, dot, join, op
from paramcalc.specs.registry import layer_class
from paramcalc.specs.shapes import KShape, fmt_shape

Shape = tuple[int, ...]


class _KerasConvBase(KerasLayer):
    nd: ClassVar[int] = 2
    #: Whether the layer is a transposed convolution (its kernel is (k..., filters, channels)).
    transposed: ClassVar[bool] = False
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

    @property
    def conv_groups(self) -> int:
        """The groups of the convolution (a transposed one has none: 1)."""
        return getattr(self, "groups", 1)

    def _channels(self, shapes: tuple[KShape, ...]) -> int:
        """The input channels (checked against groups)."""
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, self.nd + 2, layout(self))
        channels = known(self, x, self.channel_axis, "number of input channels")
        groups = self.conv_groups
        if channels % groups:
            raise SpecError(
                f"{self.name}: the input channels must be divisible by groups. "
                f"Received: groups={groups}, input_shape={fmt_shape(x)}"
            )
        return channels

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        return self._as_set(Count(conv_params(
            in_channels=self._channels(shapes), out_channels=self.filters, kernel_size=self.kernel_size,
            groups=self.conv_groups, bias=self.use_bias,
        )))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        channels = self._channels(shapes)
        if self.transposed:
            out = [weight("kernel", (*self.kernel_size, self.filters, channels),
                          "filters: kernel × filters × input channels")]
        else:
            out = [weight("kernel", (*self.kernel_size, channels // self.groups, self.filters),
                          "filters: kernel × input channels/groups × filters")]
        if self.use_bias:
            out.append(weight("bias", (self.filters,), "one bias per filter"))
        return self._frozen(out)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(tb.conv_params(
            kernel_size=self.kernel_size, in_channels=self._channels(shapes), out_channels=self.filters,
            groups=self.conv_groups, bias=self.use_bias,
        ))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        c_in, c_out, groups = self._channels(shapes), self.filters, self.conv_groups
        per = "K × C_in/groups" if groups > 1 else "K × C_in"
        out = [textbook("W", (*self.kernel_size, c_in // groups, c_out), f"filters: {per} weights each, C_out filters")]
        if self.use_bias:
            out.append(textbook("b", (c_out,), "one bias per filter"))
        return out

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x, out = shapes[0], next(iter(outs.values()))
        nd = self.nd
        n = x[0]
        in_spatial, c_in = split(self, x)
        out_spatial, _ = split(self, out)
        f = self.filters
        kernel_sym, kernel_work = dot(*KERNEL[nd]), dot(*self.kernel_size)
        if self.transposed:
            macs = fc.conv_transpose_macs(batch=n, in_channels=c_in, in_spatial=in_spatial, out_channels=f,
                                          kernel_size=self.kernel_size)
            items = op(
                "scatter (each input element through the kernel)", "mac", macs,
                join("N", dot(*(f"{s}_in" for s in SPATIAL[nd])), "C_in", "filters", kernel_sym),
                dot(n, dot(*in_spatial), c_in, f, kernel_work),
            )
        else:
            g = self.groups
            macs = fc.conv_macs(batch=n, out_channels=f, out_spatial=out_spatial, in_channels=c_in,
                                kernel_size=self.kernel_size, groups=g)
            items = op(
                "convolution (one dot product per output element)", "mac", macs,
                join("N", dot(*(f"{s}_out" for s in SPATIAL[nd])), "filters",
                     "(C_in/groups)" if g > 1 else "C_in", kernel_sym),
                dot(n, dot(*out_spatial), f, c_in // g, kernel_work),
            )
        if self.use_bias:
            items += op("bias", "bias", prod(out), join("N", dot(*(f"{s}_out" for s in SPATIAL[nd])), "filters"),
                        dot(n, dot(*out_spatial), f))
        return items + activation_ops(self.activation, out)


class _KerasConv(_KerasConvBase):

    family = CONV_FAMILY
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

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        self._channels(shapes)
        x = shapes[0]
        spatial, _ = split(self, x)
        out = tuple(
            fk.conv_output_length(size=n, kernel_size=k, stride=s, padding=self.padding, dilation=d,
                                  layer=self.name, dim=dim)
            for n, k, s, d, dim in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, DIM_NAMES[self.nd])
        )
        return {"output": assemble(self, x, out, self.filters)}

    def _keras_shape_notes(self, shapes: tuple[KShape, ...]) -> list[str]:
        shapes = require_shapes(self, shapes)
        self._keras_output_shapes(shapes)  # the same checks first
        return window_notes(self, shapes[0], self.kernel_size, self.dilation_rate)

    def _keras_worked_shape(self, x: KShape, out: KShape) -> list[str]:
        return window_lines(self, x, out, self.kernel_size, self.dilation_rate)

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        return layer_class(f"Conv{self.nd}d")(
            in_channels=self._channels(shapes), out_channels=self.filters, kernel_size=self.kernel_size,
            stride=self.strides, dilation=self.dilation_rate, groups=self.groups, bias=self.use_bias,
        )


class Conv1D(_KerasConv):
    """``keras.layers.Conv1D`` over (batch, steps, channels)."""

    summary: ClassVar[str] = "Keras 1-D convolution over (batch, steps, channels)"
    nd: ClassVar[int] = 1
    example_shape: ClassVar[str] = "(None, 100, 16)"
    example = ("layers.Conv1D(32, 3)", "8,100,16")
    type: Literal["keras.Conv1D"] = "keras.Conv1D"
    padding: Literal["valid", "same", "causal"] = "valid"


class Conv2D(_KerasConv):
    """``keras.layers.Conv2D`` over (batch, height, width, channels)."""

    summary: ClassVar[str] = "Keras 2-D convolution over (batch, height, width, channels)"
    nd: ClassVar[int] = 2
    example_shape: ClassVar[str] = "(None, 28, 28, 3)"
    example = ("layers.Conv2D(32, 3)", "8,28,28,1")
    type: Literal["keras.Conv2D"] = "keras.Conv2D"


class Conv3D(_KerasConv):
    """``keras.layers.Conv3D`` over (batch, depth, height, width, channels)."""

    summary: ClassVar[str] = "Keras 3-D convolution over (batch, depth, height, width, channels)"
    nd: ClassVar[int] = 3
    example_shape: ClassVar[str] = "(None, 16, 28, 28, 3)"
    example = ("layers.Conv3D(8, 3)", "2,16,16,16,1")
    type: Literal["keras.Conv3D"] = "keras.Conv3D"


class _KerasConvTranspose(_KerasConvBase):

    family = CONV_TRANSPOSE_FAMILY
    positional: ClassVar[tuple[str, ...]] = (
        "filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate",
        "activation", "use_bias",
    )
    transposed: ClassVar[bool] = True
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
            for op_, s in zip(self.output_padding, self.strides):
                if op_ >= s:
                    raise self._fail(
                        "output_padding must be strictly less than strides",
                        output_padding=self.output_padding, strides=self.strides,
                    )
        return self

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        self._channels(shapes)
        x = shapes[0]
        spatial, _ = split(self, x)
        pads = self.output_padding or (None,) * self.nd
        out = tuple(
            fk.conv_transpose_output_length(size=n, kernel_size=k, stride=s, padding=self.padding,
                                            output_padding=p, dilation=d)
            for n, k, s, p, d in zip(spatial, self.kernel_size, self.strides, pads, self.dilation_rate)
        )
        return {"output": assemble(self, x, out, self.filters)}

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        return layer_class(f"ConvTranspose{self.nd}d")(
            in_channels=self._channels(shapes), out_channels=self.filters, kernel_size=self.kernel_size,
            stride=self.strides, dilation=self.dilation_rate, bias=self.use_bias,
        )


class Conv1DTranspose(_KerasConvTranspose):
    """``keras.layers.Conv1DTranspose`` over (batch, steps, channels)."""

    summary: ClassVar[str] = "Keras 1-D transposed convolution over (batch, steps, channels)"
    nd: ClassVar[int] = 1
    example_shape: ClassVar[str] = "(None, 100, 16)"
    example = ("layers.Conv1DTranspose(16, 3, strides=2)", "8,50,32")
    type: Literal["keras.Conv1DTranspose"] = "keras.Conv1DTranspose"


class Conv2DTranspose(_KerasConvTranspose):
    """``keras.layers.Conv2DTranspose`` over (batch, height, width, channels)."""

    summary: ClassVar[str] = "Keras 2-D transposed convolution over (batch, height, width, channels)"
    nd: ClassVar[int] = 2
    example_shape: ClassVar[str] = "(None, 14, 14, 64)"
    example = ("layers.Conv2DTranspose(16, 3, strides=2, padding='same')", "8,14,14,32")
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
    example = ("layers.Conv3DTranspose(8, 3, strides=2)", "2,8,8,8,16")
    type: Literal["keras.Conv3DTranspose"] = "keras.Conv3DTranspose"
