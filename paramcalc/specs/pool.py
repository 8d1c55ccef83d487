"""Pooling (MaxPool, AvgPool, AdaptiveAvgPool in 1, 2 and 3 dimensions): specs without parameters, their shapes and compute."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc import formulas as f
from paramcalc.formulas import compute as fc
from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.results import Compute
import paramcalc.specs.ops as ops
from paramcalc.specs.base import (
    IntTuple,
    NonNegInt,
    Shape,
    StrictBool,
    _as_tuple,
    _check_all,
    _ParameterFree,
    _tuple_validator,
)
from paramcalc.specs.working import Family, NO_PARAMS, window_lines, window_notes


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
POOL_FAMILY = Family(
    "pool", "Max and average pooling",
    ("MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
     "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
     "AveragePooling3D"),
    NO_PARAMS,
    "out = (n + 2·p − d·(k − 1) − 1) // s + 1, or ⌈(n + 2·p − d·(k − 1) − 1) / s⌉ + 1 with "
    "ceil_mode (a last window starting in the right padding is dropped); channels pass through",
    "k = kernel size, n = input size, p = padding, d = dilation, s = stride (default k)",
)

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
ADAPTIVE_POOL_FAMILY = Family(
    "adaptive_pool", "Adaptive and global pooling",
    ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
     "AdaptiveMaxPool3d", "GlobalAveragePooling1D",
     "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
     "GlobalMaxPooling3D"),
    NO_PARAMS,
    "spatial sizes become output_size (None keeps the input size); channels pass through",
)


class _Pool(_ParameterFree):

    family = POOL_FAMILY
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

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return window_lines(self, shapes[0], outputs[next(iter(outputs))], conv=False)

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        out = outs["output"]
        nd = self.nd
        lead = out[: len(out) - nd]  # batch and channels
        n_sym = "N·C" if len(lead) == 2 else "C"
        lead_work = ops.dot(*lead)
        out_sym = ops.dot(*(f"{s}_out" for s in ops.SPATIAL[nd]))
        out_spatial = out[len(out) - nd:]
        out_elements = prod(out)
        window = fc.pool_window_elements(out_elements=out_elements, kernel_size=self.kernel_size)
        kernel_sym = ops.dot(*ops.KERNEL[nd])
        kernel_work = ops.dot(*self.kernel_size)
        if isinstance(self, _MaxPool):
            return ops.op(
                "max (K − 1 comparisons per window)", "pool",
                fc.max_pool_compares(window_elements=window, out_elements=out_elements),
                ops.join(n_sym, out_sym, f"({kernel_sym} − 1)"),
                ops.join(lead_work, ops.dot(*out_spatial), f"({kernel_work} − 1)"),
            )
        return ops.op(
            "average (K − 1 adds and 1 divide per window)", "pool", fc.avg_pool_ops(window_elements=window),
            ops.join(n_sym, out_sym, kernel_sym), ops.join(lead_work, ops.dot(*out_spatial), kernel_work),
        )

class _MaxPool(_Pool):
    dilation: IntTuple = Field(1, validate_default=True)
    return_indices: StrictBool = False
    ceil_mode: StrictBool = False

    _expand_dilation = _tuple_validator("dilation")

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        out = f.pool_output_shape(
            input_shape=shapes[0], kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
            dilation=self.dilation, ceil_mode=self.ceil_mode, layer=self.name,
        )
        return {"output": out, "indices": out} if self.return_indices else {"output": out}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return window_notes(self, x, out, self.padding, self.dilation, self.ceil_mode)

class MaxPool1d(_MaxPool):
    """1-D max pooling."""

    summary: ClassVar[str] = "1-D max pooling (no parameters)"
    nd: ClassVar[int] = 1
    example = ("MaxPool1d(3, stride=2)", "20,16,50")
    type: Literal["MaxPool1d"] = "MaxPool1d"


class MaxPool2d(_MaxPool):
    """2-D max pooling."""

    summary: ClassVar[str] = "2-D max pooling (no parameters)"
    nd: ClassVar[int] = 2
    example = ("MaxPool2d(3, stride=2, ceil_mode=True)", "1,64,112,112")
    type: Literal["MaxPool2d"] = "MaxPool2d"


class MaxPool3d(_MaxPool):
    """3-D max pooling."""

    summary: ClassVar[str] = "3-D max pooling (no parameters)"
    nd: ClassVar[int] = 3
    example = ("MaxPool3d(3, stride=2)", "20,16,50,44,31")
    type: Literal["MaxPool3d"] = "MaxPool3d"


class _AvgPool(_Pool):
    ceil_mode: StrictBool = False
    count_include_pad: StrictBool = True

    #: torch's 3-D average pooling also wants the kernel within the unpadded input.
    kernel_within_input: ClassVar[bool] = False

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": f.pool_output_shape(
            input_shape=shapes[0], kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
            dilation=(1,) * self.nd, ceil_mode=self.ceil_mode,
            kernel_within_input=self.kernel_within_input, layer=self.name,
        )}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return window_notes(self, x, out, self.padding, (1,) * self.nd, self.ceil_mode)

class AvgPool1d(_AvgPool):
    """1-D average pooling."""

    summary: ClassVar[str] = "1-D average pooling (no parameters)"
    nd: ClassVar[int] = 1
    example = ("AvgPool1d(3, stride=2)", "20,16,50")
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
    example = ("AvgPool2d(2)", "1,64,32,32")
    type: Literal["AvgPool2d"] = "AvgPool2d"


class AvgPool3d(_AvgPoolDivisor):
    """3-D average pooling."""

    summary: ClassVar[str] = "3-D average pooling (no parameters)"
    nd: ClassVar[int] = 3
    kernel_within_input: ClassVar[bool] = True
    example = ("AvgPool3d(3, stride=2)", "20,16,50,44,31")
    type: Literal["AvgPool3d"] = "AvgPool3d"


class _AdaptiveAvgPool(_ParameterFree):

    family = ADAPTIVE_POOL_FAMILY
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

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": f.adaptive_pool_output_shape(
            input_shape=shapes[0], output_size=self.output_size, layer=self.name)}

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        x = shapes[0]
        out = outputs[next(iter(outputs))]
        spatial = x[len(x) - self.nd:]
        lines = []
        for name, size, o, got in zip(DIM_NAMES[self.nd], spatial, self.output_size, out[len(out) - self.nd:]):
            lines.append(f"{name}: {got} (" + ("None keeps the input size" if o is None else "output_size") + ")")
        return lines

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x, out = shapes[0], outs["output"]
        nd = self.nd
        lead = out[: len(out) - nd]  # batch and channels
        n_sym = "N·C" if len(lead) == 2 else "C"
        out_spatial = out[len(out) - nd:]
        in_spatial = x[len(x) - nd:]
        sums = [fc.adaptive_window_sum(in_size=size, out_size=o) for size, o in zip(in_spatial, out_spatial)]
        window = fc.adaptive_pool_window_elements(channels=prod(lead), in_spatial=in_spatial, out_spatial=out_spatial)
        return ops.op(
            "average (window adds and one divide per output)", "pool", fc.avg_pool_ops(window_elements=window),
            ops.join(n_sym, ops.dot(*(f"Σ{s}_window" for s in ops.SPATIAL[nd]))),
            ops.join(ops.dot(*lead), ops.dot(*sums)),
        )

class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """1-D adaptive average pooling to a fixed output length."""

    summary: ClassVar[str] = "1-D adaptive average pooling to a fixed length"
    nd: ClassVar[int] = 1
    example = ("AdaptiveAvgPool1d(5)", "1,64,8")
    type: Literal["AdaptiveAvgPool1d"] = "AdaptiveAvgPool1d"
    output_size: tuple[NonNegInt]


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """2-D adaptive average pooling to a fixed output size (None keeps the input size)."""

    summary: ClassVar[str] = "2-D adaptive average pooling to a fixed size"
    nd: ClassVar[int] = 2
    example = ("AdaptiveAvgPool2d((7, 7))", "1,512,13,13")
    type: Literal["AdaptiveAvgPool2d"] = "AdaptiveAvgPool2d"


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    """3-D adaptive average pooling to a fixed output size (None keeps the input size)."""

    summary: ClassVar[str] = "3-D adaptive average pooling to a fixed size"
    nd: ClassVar[int] = 3
    example = ("AdaptiveAvgPool3d((5, 7, 9))", "1,64,8,9,10")
    type: Literal["AdaptiveAvgPool3d"] = "AdaptiveAvgPool3d"


class _AdaptiveMaxPool(_AdaptiveAvgPool):
    """Adaptive max pooling: the windows of adaptive average pooling, their maximum."""

    return_indices: StrictBool = False

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        out = f.adaptive_max_pool_output_shape(input_shape=shapes[0], output_size=self.output_size, layer=self.name)
        return {"output": out, "indices": out} if self.return_indices else {"output": out}

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x, out = shapes[0], outs["output"]
        nd = self.nd
        lead = out[: len(out) - nd]
        in_spatial, out_spatial = x[len(x) - nd:], out[len(out) - nd:]
        window = fc.adaptive_pool_window_elements(channels=prod(lead), in_spatial=in_spatial, out_spatial=out_spatial)
        compares = fc.max_pool_compares(window_elements=window, out_elements=prod(out))
        return ops.op("maximum (K − 1 comparisons per window of K)", "pool", compares,
                      "Σ_windows (K − 1)", f"{window:,} − {prod(out):,}")


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """1-D adaptive max pooling to a fixed output length."""

    summary: ClassVar[str] = "1-D adaptive max pooling to a fixed length"
    nd: ClassVar[int] = 1
    example = ("AdaptiveMaxPool1d(5)", "1,64,8")
    type: Literal["AdaptiveMaxPool1d"] = "AdaptiveMaxPool1d"
    output_size: tuple[NonNegInt]


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """2-D adaptive max pooling to a fixed output size (None keeps the input size)."""

    summary: ClassVar[str] = "2-D adaptive max pooling to a fixed size"
    nd: ClassVar[int] = 2
    example = ("AdaptiveMaxPool2d((7, 7))", "1,512,13,13")
    type: Literal["AdaptiveMaxPool2d"] = "AdaptiveMaxPool2d"


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """3-D adaptive max pooling to a fixed output size (None keeps the input size)."""

    summary: ClassVar[str] = "3-D adaptive max pooling to a fixed size"
    nd: ClassVar[int] = 3
    example = ("AdaptiveMaxPool3d((5, 7, 9))", "1,64,8,9,10")
    type: Literal["AdaptiveMaxPool3d"] = "AdaptiveMaxPool3d"
