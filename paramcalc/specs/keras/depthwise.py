"""Keras depthwise and separable convolutions: DepthwiseConv1D/2D and SeparableConv1D/2D."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from math import prod
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc.formulas import compute as fc
from paramcalc.formulas import keras as fk
from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import IntTuple, LayerSpec, PosInt, StrictBool, _check_all, _tuple_validator
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
    window_notes,
)
from paramcalc.specs.ops import KERNEL, SPATIAL, dot, join, op
from paramcalc.specs.registry import layer_class
from paramcalc.specs.shapes import KShape
from paramcalc.specs.working import Family, chain

Shape = tuple[int, ...]

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
DEPTHWISE_FAMILY = Family(
    "depthwise", "Depthwise and separable convolution (DepthwiseConv1D/2D, SeparableConv1D/2D)",
    ("DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"),
    {
        "pytorch": "depthwise: Conv(C, C·M, k, groups=C) = k·C·M + C·M; separable: that without its bias, "
                   "then Conv(C·M, F, 1) = C·M·F + F",
        "keras": "depthwise: k·C·M + C·M (kernel, bias); separable: k·C·M + C·M·F + F "
                 "(depthwise_kernel, pointwise_kernel, bias)",
        "textbook": "depthwise: (k + 1)·C·M; separable: k·C·M + (C·M + 1)·F",
    },
    "as a convolution: valid (n − d·(k − 1) − 1) // s + 1, same ⌈n / s⌉; channels C·M (depthwise) or F "
    "(separable)",
    "k = prod(kernel_size), C = input channels, M = depth_multiplier, F = filters",
)


class _KerasDepthwiseBase(KerasLayer):
    """A depthwise convolution (one filter per input channel and multiplier), maybe followed by a pointwise one."""

    family = DEPTHWISE_FAMILY
    nd: ClassVar[int] = 2
    kernel_size: IntTuple
    strides: IntTuple = Field(1, validate_default=True)
    padding: Literal["valid", "same"] = "valid"
    depth_multiplier: PosInt = 1
    data_format: DataFormat = "channels_last"
    dilation_rate: IntTuple = Field(1, validate_default=True)
    activation: Activation_ = None
    use_bias: StrictBool = True

    _expand = _tuple_validator("kernel_size", "strides", "dilation_rate")
    _pad = field_validator("padding", mode="before")(classmethod(lambda cls, v: _lower(v)))
    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))

    @model_validator(mode="after")
    def _check(self) -> "_KerasDepthwiseBase":
        _check_all(self, "kernel_size", self.kernel_size, 1, "must be >= 1 (it cannot contain 0)")
        _check_all(self, "strides", self.strides, 1, "must be >= 1")
        _check_all(self, "dilation_rate", self.dilation_rate, 1, "must be >= 1")
        return self

    @property
    def out_channels(self) -> int | None:
        """The output channels: filters (separable), else None (C·M, known from the input)."""
        return getattr(self, "filters", None)

    def _channels(self, shapes: tuple[KShape, ...]) -> int:
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, self.nd + 2, layout(self))
        return known(self, x, -1 if self.data_format == "channels_last" else 1, "number of input channels")

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        channels = self._channels(shapes)
        x = shapes[0]
        spatial, _ = split(self, x)
        out = tuple(
            fk.conv_output_length(size=n, kernel_size=k, stride=s, padding=self.padding, dilation=d,
                                  layer=self.name, dim=dim)
            for n, k, s, d, dim in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, DIM_NAMES[self.nd])
        )
        filters = self.out_channels
        return {"output": assemble(self, x, out, channels * self.depth_multiplier if filters is None else filters)}

    def _keras_shape_notes(self, shapes: tuple[KShape, ...]) -> list[str]:
        shapes = require_shapes(self, shapes)
        self._keras_output_shapes(shapes)
        return window_notes(self, shapes[0], self.kernel_size, self.dilation_rate)

    def _keras_worked_shape(self, x: KShape, out: KShape) -> list[str]:
        spatial, channels = split(self, x)
        out_spatial, _ = split(self, out)
        lines = []
        for name, n, k, s, d, got in zip(DIM_NAMES[self.nd], spatial, self.kernel_size, self.strides,
                                         self.dilation_rate, out_spatial):
            if self.padding == "same" or n is None:
                lines.append(chain(f"{name} (padding={self.padding!r})", f"⌈{n} / {s}⌉", str(got)))
            else:
                lines.append(chain(name, f"({n} − {d}·({k} − 1) − 1) // {s} + 1", str(got)))
        m = self.depth_multiplier
        if self.out_channels is None:
            return [*lines, f"channels: input channels × depth_multiplier = {channels}·{m} = {channels * m}"]
        return [*lines, f"channels: filters = {self.out_channels}"]

    def _depthwise_compute(self, shapes: tuple[Shape, ...], mid: int, out_spatial: tuple[int, ...]) -> Compute:
        n, k = shapes[0][0], self.kernel_size
        spatial_sym = dot(*(f"{s}_out" for s in SPATIAL[self.nd]))
        return op(
            "depthwise convolution (one window per output element)", "mac",
            fc.conv_macs(batch=n, out_channels=mid, out_spatial=out_spatial, in_channels=mid, kernel_size=k, groups=mid),
            join("N", spatial_sym, "C·M", dot(*KERNEL[self.nd])), dot(n, dot(*out_spatial), mid, dot(*k)),
        )


class _KerasDepthwise(_KerasDepthwiseBase):
    positional: ClassVar[tuple[str, ...]] = (
        "kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate", "activation",
        "use_bias",
    )

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        return self._as_set(Count(fk.depthwise_conv_params(
            kernel_size=self.kernel_size, channels=self._channels(shapes), depth_multiplier=self.depth_multiplier,
            use_bias=self.use_bias,
        )))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        c, m = self._channels(shapes), self.depth_multiplier
        out = [weight("kernel", (*self.kernel_size, c, m), "one filter per input channel and multiplier")]
        if self.use_bias:
            out.append(weight("bias", (c * m,), "one bias per output channel (C·M)"))
        return self._frozen(out)

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        c = self._channels(shapes)
        return layer_class(f"Conv{self.nd}d")(
            in_channels=c, out_channels=c * self.depth_multiplier, kernel_size=self.kernel_size, stride=self.strides,
            dilation=self.dilation_rate, groups=c, bias=self.use_bias,
        )

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(sum(t.numel for t in self._textbook_tensors(shapes)))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        c, m = self._channels(shapes), self.depth_multiplier
        out = [textbook("W", (*self.kernel_size, c, m), "one K-window filter per channel and multiplier")]
        if self.use_bias:
            out.append(textbook("b", (c * m,), "one bias per output channel"))
        return out

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        out = outs["output"]
        out_spatial, mid = split(self, out)
        items = self._depthwise_compute(shapes, mid, out_spatial)
        if self.use_bias:
            items += op("bias", "bias", prod(out), "N·spatial·C·M", dot(out[0], dot(*out_spatial), mid))
        return items + activation_ops(self.activation, out)


class DepthwiseConv1D(_KerasDepthwise):
    """``keras.layers.DepthwiseConv1D`` over (batch, steps, channels)."""

    summary: ClassVar[str] = "Keras 1-D depthwise convolution: one filter per channel (× depth_multiplier)"
    nd: ClassVar[int] = 1
    example_shape: ClassVar[str] = "(None, 100, 16)"
    example = ("layers.DepthwiseConv1D(3)", "8,100,16")
    type: Literal["keras.DepthwiseConv1D"] = "keras.DepthwiseConv1D"


class DepthwiseConv2D(_KerasDepthwise):
    """``keras.layers.DepthwiseConv2D`` over (batch, height, width, channels), as in MobileNet."""

    summary: ClassVar[str] = "Keras 2-D depthwise convolution: one filter per channel (× depth_multiplier)"
    nd: ClassVar[int] = 2
    example_shape: ClassVar[str] = "(None, 112, 112, 32)"
    example = ("layers.DepthwiseConv2D(3, padding='same')", "8,112,112,32")
    type: Literal["keras.DepthwiseConv2D"] = "keras.DepthwiseConv2D"


class _KerasSeparable(_KerasDepthwiseBase):
    positional: ClassVar[tuple[str, ...]] = (
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier",
        "activation", "use_bias",
    )
    filters: PosInt

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        return self._as_set(Count(fk.separable_conv_params(
            kernel_size=self.kernel_size, channels=self._channels(shapes), filters=self.filters,
            depth_multiplier=self.depth_multiplier, use_bias=self.use_bias,
        )))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        c, m, f = self._channels(shapes), self.depth_multiplier, self.filters
        out = [
            weight("depthwise_kernel", (*self.kernel_size, c, m), "one filter per input channel and multiplier"),
            weight("pointwise_kernel", (*(1,) * self.nd, c * m, f), "1×1 convolution: C·M channels × filters"),
        ]
        if self.use_bias:
            out.append(weight("bias", (f,), "one bias per filter"))
        return self._frozen(out)

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec | None:
        raise self._no_torch("torch.nn has no separable convolution: count a grouped Conv without bias, then a 1×1 Conv",
                             filters=self.filters)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(sum(t.numel for t in self._textbook_tensors(shapes)))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        c, m, f = self._channels(shapes), self.depth_multiplier, self.filters
        out = [textbook("W_depthwise", (*self.kernel_size, c, m), "one K-window filter per channel and multiplier"),
               textbook("W_pointwise", (c * m, f), "1×1 filters: C·M inputs each, F filters")]
        if self.use_bias:
            out.append(textbook("b", (f,), "one bias per filter"))
        return out

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        out = outs["output"]
        out_spatial, f = split(self, out)
        n = out[0]
        _, c = split(self, shapes[0])
        mid = c * self.depth_multiplier
        items = self._depthwise_compute(shapes, mid, out_spatial)
        items += op("pointwise 1×1 convolution", "mac", n * prod(out_spatial) * mid * f, "N·spatial·C·M·F",
                    dot(n, dot(*out_spatial), mid, f))
        if self.use_bias:
            items += op("bias", "bias", prod(out), "N·spatial·F", dot(n, dot(*out_spatial), f))
        return items + activation_ops(self.activation, out)


class SeparableConv1D(_KerasSeparable):
    """``keras.layers.SeparableConv1D`` over (batch, steps, channels)."""

    summary: ClassVar[str] = "Keras 1-D separable convolution: depthwise, then a 1×1 pointwise convolution"
    nd: ClassVar[int] = 1
    example_shape: ClassVar[str] = "(None, 100, 16)"
    example = ("layers.SeparableConv1D(32, 3)", "8,100,16")
    type: Literal["keras.SeparableConv1D"] = "keras.SeparableConv1D"


class SeparableConv2D(_KerasSeparable):
    """``keras.layers.SeparableConv2D`` over (batch, height, width, channels), as in Xception."""

    summary: ClassVar[str] = "Keras 2-D separable convolution: depthwise, then a 1×1 pointwise convolution"
    nd: ClassVar[int] = 2
    example_shape: ClassVar[str] = "(None, 147, 147, 64)"
    example = ("layers.SeparableConv2D(128, 3, padding='same')", "8,147,147,64")
    type: Literal["keras.SeparableConv2D"] = "keras.SeparableConv2D"
