"""Padding layers (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad 1d/2d/3d): specs
without parameters and their shape arithmetic."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.formulas.padding import pad_output_shape, pad_pairs
from paramcalc.results import Compute
from paramcalc.specs.base import IntTuple, Shape, _ParameterFree
from paramcalc.specs.working import chain, Family, NO_PARAMS

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
PADDING_FAMILY = Family(
    "padding", "Padding (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad)",
    tuple(f"{kind}{n}d" for kind in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")
          for n in (1, 2, 3)),
    NO_PARAMS,
    "out = n + before + after per padded dimension (padding = (left, right, top, bottom, front, back), "
    "last dimension first; a negative padding crops)",
    "n = input size; reflect pads less than n on each side, circular at most n",
)


class _Pad(_ParameterFree):
    family = PADDING_FAMILY
    nd: ClassVar[int] = 1
    #: How the values are made: constant, reflect, replicate or circular.
    mode: ClassVar[str] = "constant"
    padding: Annotated[IntTuple, Field(description="values added before and after each padded dimension "
                                                   "(left, right, top, bottom, front, back); negative crops")]

    @field_validator("padding", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        n = 2 * cls.nd
        what = f"an int or a tuple of {n} ints (left, right{', top, bottom' if cls.nd > 1 else ''}{', front, back' if cls.nd > 2 else ''})"
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError(f"{cls.__name__}: padding must be {what}. Received: padding={value!r}")
        if isinstance(value, int):
            return (value,) * n
        if isinstance(value, (list, tuple)):
            if len(value) != n or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
                raise ValueError(f"{cls.__name__}: padding must be {what}. Received: padding={tuple(value)!r}")
            return tuple(value)
        return value

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": pad_output_shape(input_shape=shapes[0], padding=self.padding, mode=self.mode, layer=self.name)}

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        x = shapes[0]
        lines = []
        names = DIM_NAMES[self.nd]
        for i, (before, after) in enumerate(pad_pairs(self.padding)):
            n = x[len(x) - 1 - i]
            sign = lambda v: f"+ {v}" if v >= 0 else f"− {-v}"  # noqa: E731
            lines.append(chain(names[self.nd - 1 - i], f"{n} {sign(before)} {sign(after)}", str(n + before + after)))
        return [*reversed(lines), "other dimensions: kept"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute(notes=(f"{self.name}: copies values, no arithmetic",))


class ZeroPad1d(_Pad):
    """Pads the last dimension with zeros."""

    summary: ClassVar[str] = "pads the last dimension with zeros (no parameters)"
    nd: ClassVar[int] = 1
    example = ("ZeroPad1d(2)", "1,3,10")
    type: Literal["ZeroPad1d"] = "ZeroPad1d"


class ZeroPad2d(_Pad):
    """Pads the last 2 dimensions with zeros."""

    summary: ClassVar[str] = "pads the last 2 dimensions with zeros (no parameters)"
    nd: ClassVar[int] = 2
    example = ("ZeroPad2d((1, 1, 2, 0))", "1,3,10,10")
    type: Literal["ZeroPad2d"] = "ZeroPad2d"


class ZeroPad3d(_Pad):
    """Pads the last 3 dimensions with zeros."""

    summary: ClassVar[str] = "pads the last 3 dimensions with zeros (no parameters)"
    nd: ClassVar[int] = 3
    example = ("ZeroPad3d(1)", "1,3,8,10,10")
    type: Literal["ZeroPad3d"] = "ZeroPad3d"


class ConstantPad1d(_Pad):
    """Pads the last dimension with a constant value."""

    summary: ClassVar[str] = "pads the last dimension with a constant (no parameters)"
    nd: ClassVar[int] = 1
    example = ("ConstantPad1d(2, 3.5)", "1,3,10")
    type: Literal["ConstantPad1d"] = "ConstantPad1d"
    value: Annotated[float, Field(description="the value padded in")]


class ConstantPad2d(_Pad):
    """Pads the last 2 dimensions with a constant value."""

    summary: ClassVar[str] = "pads the last 2 dimensions with a constant (no parameters)"
    nd: ClassVar[int] = 2
    example = ("ConstantPad2d(1, 3.5)", "1,3,10,10")
    type: Literal["ConstantPad2d"] = "ConstantPad2d"
    value: Annotated[float, Field(description="the value padded in")]


class ConstantPad3d(_Pad):
    """Pads the last 3 dimensions with a constant value."""

    summary: ClassVar[str] = "pads the last 3 dimensions with a constant (no parameters)"
    nd: ClassVar[int] = 3
    example = ("ConstantPad3d(1, 3.5)", "1,3,8,10,10")
    type: Literal["ConstantPad3d"] = "ConstantPad3d"
    value: Annotated[float, Field(description="the value padded in")]


class ReflectionPad1d(_Pad):
    """Pads the last dimension with its reflection (the edge value is not repeated)."""

    summary: ClassVar[str] = "pads (N, C, L) with the reflection of the input (no parameters)"
    nd: ClassVar[int] = 1
    mode: ClassVar[str] = "reflect"
    example = ("ReflectionPad1d(2)", "1,3,10")
    type: Literal["ReflectionPad1d"] = "ReflectionPad1d"


class ReflectionPad2d(_Pad):
    """Pads the last 2 dimensions with their reflection (CycleGAN, pix2pix)."""

    summary: ClassVar[str] = "pads (N, C, H, W) with the reflection of the input (no parameters)"
    nd: ClassVar[int] = 2
    mode: ClassVar[str] = "reflect"
    example = ("ReflectionPad2d(3)", "1,3,256,256")
    type: Literal["ReflectionPad2d"] = "ReflectionPad2d"


class ReflectionPad3d(_Pad):
    """Pads the last 3 dimensions with their reflection."""

    summary: ClassVar[str] = "pads (N, C, D, H, W) with the reflection of the input (no parameters)"
    nd: ClassVar[int] = 3
    mode: ClassVar[str] = "reflect"
    example = ("ReflectionPad3d(1)", "1,3,8,10,10")
    type: Literal["ReflectionPad3d"] = "ReflectionPad3d"


class ReplicationPad1d(_Pad):
    """Pads the last dimension by repeating its edge value."""

    summary: ClassVar[str] = "pads (N, C, L) by repeating the edge values (no parameters)"
    nd: ClassVar[int] = 1
    mode: ClassVar[str] = "replicate"
    example = ("ReplicationPad1d(2)", "1,3,10")
    type: Literal["ReplicationPad1d"] = "ReplicationPad1d"


class ReplicationPad2d(_Pad):
    """Pads the last 2 dimensions by repeating their edge values."""

    summary: ClassVar[str] = "pads (N, C, H, W) by repeating the edge values (no parameters)"
    nd: ClassVar[int] = 2
    mode: ClassVar[str] = "replicate"
    example = ("ReplicationPad2d(1)", "1,3,10,10")
    type: Literal["ReplicationPad2d"] = "ReplicationPad2d"


class ReplicationPad3d(_Pad):
    """Pads the last 3 dimensions by repeating their edge values."""

    summary: ClassVar[str] = "pads (N, C, D, H, W) by repeating the edge values (no parameters)"
    nd: ClassVar[int] = 3
    mode: ClassVar[str] = "replicate"
    example = ("ReplicationPad3d(1)", "1,3,8,10,10")
    type: Literal["ReplicationPad3d"] = "ReplicationPad3d"


class CircularPad1d(_Pad):
    """Pads the last dimension with values from its other end (wrapping around)."""

    summary: ClassVar[str] = "pads (N, C, L) circularly, wrapping around (no parameters)"
    nd: ClassVar[int] = 1
    mode: ClassVar[str] = "circular"
    example = ("CircularPad1d(2)", "1,3,10")
    type: Literal["CircularPad1d"] = "CircularPad1d"


class CircularPad2d(_Pad):
    """Pads the last 2 dimensions circularly."""

    summary: ClassVar[str] = "pads (N, C, H, W) circularly, wrapping around (no parameters)"
    nd: ClassVar[int] = 2
    mode: ClassVar[str] = "circular"
    example = ("CircularPad2d(1)", "1,3,10,10")
    type: Literal["CircularPad2d"] = "CircularPad2d"


class CircularPad3d(_Pad):
    """Pads the last 3 dimensions circularly."""

    summary: ClassVar[str] = "pads (N, C, D, H, W) circularly, wrapping around (no parameters)"
    nd: ClassVar[int] = 3
    mode: ClassVar[str] = "circular"
    example = ("CircularPad3d(1)", "1,3,8,10,10")
    type: Literal["CircularPad3d"] = "CircularPad3d"
