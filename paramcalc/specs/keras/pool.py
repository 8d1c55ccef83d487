"""Keras pooling: MaxPooling1D–3D, AveragePooling1D–3D, GlobalAveragePooling1D–3D and GlobalMaxPooling1D–3D (no weights)."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from math import prod
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc.formulas import compute as fc
from paramcalc.formulas import keras as fk
from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.results import Compute
from paramcalc.specs.pool import ADAPTIVE_POOL_FAMILY, POOL_FAMILY
from paramcalc.specs.base import IntTuple, StrictBool, _as_tuple, _check_all, _tuple_validator
from paramcalc.specs.keras.base import (
    DataFormat,
    KerasLayer,
    _data_format,
    assemble,
    check_rank,
    layout,
    require_shapes,
    split,
    window_lines,
    window_notes,
)
from paramcalc.specs.ops import KERNEL, dot, elements, op
from paramcalc.specs.shapes import KShape

Shape = tuple[int, ...]


class _KerasPool(KerasLayer):

    family = POOL_FAMILY
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

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, self.nd + 2, layout(self))
        spatial, channels = split(self, x)
        out = tuple(
            fk.pool_output_length(size=n, pool_size=p, stride=s, padding=self.padding, layer=self.name, dim=dim)
            for n, p, s, dim in zip(spatial, self.pool_size, self.strides, DIM_NAMES[self.nd])
        )
        return {"output": assemble(self, x, out, channels)}

    def _keras_shape_notes(self, shapes: tuple[KShape, ...]) -> list[str]:
        shapes = require_shapes(self, shapes)
        self._keras_output_shapes(shapes)  # the same checks first
        return window_notes(self, shapes[0], self.pool_size, (1,) * self.nd)

    def _keras_worked_shape(self, x: KShape, out: KShape) -> list[str]:
        return window_lines(self, x, out, self.pool_size, (1,) * self.nd)

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        out = next(iter(outs.values()))
        window = fc.pool_window_elements(out_elements=prod(out), kernel_size=self.pool_size)
        _, work = elements(out)
        kernel_sym, kernel_work = dot(*KERNEL[self.nd]), dot(*self.pool_size)
        if "Max" in self.name:
            return op("max (K − 1 comparisons per window)", "pool",
                      fc.max_pool_compares(window_elements=window, out_elements=prod(out)),
                      f"out_elements·({kernel_sym} − 1)", f"{work}·({kernel_work} − 1)")
        return op("average (K − 1 adds and 1 divide per window)", "pool", fc.avg_pool_ops(window_elements=window),
                  f"out_elements·{kernel_sym}", f"{work}·{kernel_work}")


class _KerasMaxPool(_KerasPool):
    pool_size: IntTuple = Field(2, validate_default=True)


class MaxPooling1D(_KerasMaxPool):
    """``keras.layers.MaxPooling1D``."""

    summary: ClassVar[str] = "Keras 1-D max pooling over (batch, steps, channels) (no weights)"
    nd: ClassVar[int] = 1
    example = ("layers.MaxPooling1D(2)", "8,100,16")
    type: Literal["keras.MaxPooling1D"] = "keras.MaxPooling1D"


class MaxPooling2D(_KerasMaxPool):
    """``keras.layers.MaxPooling2D``."""

    summary: ClassVar[str] = "Keras 2-D max pooling over (batch, height, width, channels) (no weights)"
    nd: ClassVar[int] = 2
    example = ("layers.MaxPooling2D(2)", "8,28,28,32")
    type: Literal["keras.MaxPooling2D"] = "keras.MaxPooling2D"


class MaxPooling3D(_KerasMaxPool):
    """``keras.layers.MaxPooling3D``."""

    summary: ClassVar[str] = "Keras 3-D max pooling (no weights)"
    nd: ClassVar[int] = 3
    example = ("layers.MaxPooling3D(2)", "2,16,16,16,8")
    type: Literal["keras.MaxPooling3D"] = "keras.MaxPooling3D"


class AveragePooling1D(_KerasPool):
    """``keras.layers.AveragePooling1D``."""

    summary: ClassVar[str] = "Keras 1-D average pooling over (batch, steps, channels) (no weights)"
    nd: ClassVar[int] = 1
    example = ("layers.AveragePooling1D(2)", "8,100,16")
    type: Literal["keras.AveragePooling1D"] = "keras.AveragePooling1D"


class AveragePooling2D(_KerasPool):
    """``keras.layers.AveragePooling2D``."""

    summary: ClassVar[str] = "Keras 2-D average pooling over (batch, height, width, channels) (no weights)"
    nd: ClassVar[int] = 2
    example = ("layers.AveragePooling2D(2)", "8,28,28,32")
    type: Literal["keras.AveragePooling2D"] = "keras.AveragePooling2D"


class AveragePooling3D(_KerasPool):
    """``keras.layers.AveragePooling3D``."""

    summary: ClassVar[str] = "Keras 3-D average pooling (no weights)"
    nd: ClassVar[int] = 3
    example = ("layers.AveragePooling3D(2)", "2,16,16,16,8")
    type: Literal["keras.AveragePooling3D"] = "keras.AveragePooling3D"


class _KerasGlobalPool(KerasLayer):

    family = ADAPTIVE_POOL_FAMILY
    nd: ClassVar[int] = 2
    positional: ClassVar[tuple[str, ...]] = ("data_format", "keepdims")
    needs_input_shape: ClassVar[bool] = False
    data_format: DataFormat = "channels_last"
    keepdims: StrictBool = False

    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, self.nd + 2, layout(self))
        _, channels = split(self, x)
        if not self.keepdims:
            return {"output": (x[0], channels)}
        return {"output": assemble(self, x, (1,) * self.nd, channels)}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        return op("average (adds and one divide per output)", "pool", fc.avg_pool_ops(window_elements=count),
                  "N·C·spatial elements", work)


class GlobalAveragePooling1D(_KerasGlobalPool):
    """``keras.layers.GlobalAveragePooling1D``: the mean over the steps."""

    summary: ClassVar[str] = "Keras mean over the steps: (batch, steps, C) -> (batch, C)"
    nd: ClassVar[int] = 1
    example = ("layers.GlobalAveragePooling1D()", "8,100,16")
    type: Literal["keras.GlobalAveragePooling1D"] = "keras.GlobalAveragePooling1D"


class GlobalAveragePooling2D(_KerasGlobalPool):
    """``keras.layers.GlobalAveragePooling2D``: the mean over height and width."""

    summary: ClassVar[str] = "Keras mean over height and width: (batch, H, W, C) -> (batch, C)"
    nd: ClassVar[int] = 2
    example = ("layers.GlobalAveragePooling2D()", "8,7,7,512")
    type: Literal["keras.GlobalAveragePooling2D"] = "keras.GlobalAveragePooling2D"


class GlobalAveragePooling3D(_KerasGlobalPool):
    """``keras.layers.GlobalAveragePooling3D``: the mean over depth, height and width."""

    summary: ClassVar[str] = "Keras mean over depth, height and width -> (batch, C)"
    nd: ClassVar[int] = 3
    example = ("layers.GlobalAveragePooling3D()", "2,4,4,4,64")
    type: Literal["keras.GlobalAveragePooling3D"] = "keras.GlobalAveragePooling3D"


class _KerasGlobalMaxPool(_KerasGlobalPool):

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        out = prod(outs["output"])
        return op("maximum (a window of K values: K − 1 comparisons)", "pool",
                  fc.max_pool_compares(window_elements=count, out_elements=out), "N·C·spatial − N·C",
                  f"{work} − {out}")


class GlobalMaxPooling1D(_KerasGlobalMaxPool):
    """``keras.layers.GlobalMaxPooling1D``: the maximum over the steps."""

    summary: ClassVar[str] = "Keras maximum over the steps: (batch, steps, C) -> (batch, C)"
    nd: ClassVar[int] = 1
    example = ("layers.GlobalMaxPooling1D()", "8,100,16")
    type: Literal["keras.GlobalMaxPooling1D"] = "keras.GlobalMaxPooling1D"


class GlobalMaxPooling2D(_KerasGlobalMaxPool):
    """``keras.layers.GlobalMaxPooling2D``: the maximum over height and width."""

    summary: ClassVar[str] = "Keras maximum over height and width: (batch, H, W, C) -> (batch, C)"
    nd: ClassVar[int] = 2
    example = ("layers.GlobalMaxPooling2D()", "8,7,7,512")
    type: Literal["keras.GlobalMaxPooling2D"] = "keras.GlobalMaxPooling2D"


class GlobalMaxPooling3D(_KerasGlobalMaxPool):
    """``keras.layers.GlobalMaxPooling3D``: the maximum over depth, height and width."""

    summary: ClassVar[str] = "Keras maximum over depth, height and width -> (batch, C)"
    nd: ClassVar[int] = 3
    example = ("layers.GlobalMaxPooling3D()", "2,4,4,4,64")
    type: Literal["keras.GlobalMaxPooling3D"] = "keras.GlobalMaxPooling3D"
