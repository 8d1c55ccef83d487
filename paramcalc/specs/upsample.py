"""Upsample and its deprecated aliases UpsamplingNearest2d and UpsamplingBilinear2d: specs without parameters."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import isfinite
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc.formulas.upsample import INTERPOLATING, MODE_RANKS, scaled_length, upsample_output_shape
from paramcalc.results import Compute
import paramcalc.specs.ops as ops
from paramcalc.specs.base import Shape, StrictBool, _ParameterFree
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import Family, NO_PARAMS

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
UPSAMPLE_FAMILY = Family(
    "upsample", "Upsampling (Upsample, UpsamplingNearest2d, UpsamplingBilinear2d)",
    ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"),
    {**NO_PARAMS, "keras": "0 (no weights): UpSampling1D/2D/3D(size) repeats (nearest) or interpolates "
                           "(UpSampling2D bilinear) by whole-number factors"},
    "(N, C, *in) → (N, C, *out): out = size, or ⌊in · scale_factor⌋ per spatial dimension",
    "linear takes (N, C, L), bilinear and bicubic (N, C, H, W), trilinear (N, C, D, H, W); nearest, "
    "nearest-exact and area any of them",
)

#: Operations per output value of the interpolating modes: 2ᵈ (bicubic 4²) weighted neighbours, k products and k − 1 sums.
_TAPS = {"linear": 2, "bilinear": 4, "bicubic": 16, "trilinear": 8}


def _sizes(value: Any, layer: str) -> Any:
    """size: an int, or a tuple of ints (a list is read as a tuple)."""
    if value is None:
        return None
    if isinstance(value, list):
        value = tuple(value)
    entries = value if isinstance(value, tuple) else (value,)
    if not entries or any(isinstance(v, bool) or not isinstance(v, int) for v in entries):
        raise ValueError(f"{layer}: size must be an int or a tuple of ints. Received: size={value!r}")
    return value


def _factors(value: Any, layer: str) -> Any:
    """scale_factor: a number, or a tuple of numbers, each kept as a float as torch keeps it;
    a scale_factor of 0 is None (torch's ``float(scale_factor) if scale_factor else None``)."""
    if value is None:
        return None
    if isinstance(value, list):
        value = tuple(value)
    entries = value if isinstance(value, tuple) else (value,)
    if not entries or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in entries):
        raise ValueError(f"{layer}: scale_factor must be a number or a tuple of numbers. Received: scale_factor={value!r}")
    if not all(isfinite(v) for v in entries):
        raise ValueError(f"{layer}: scale_factor must be finite (an output size must be an integer). "
                         f"Received: scale_factor={value!r}")
    if isinstance(value, tuple):
        return tuple(float(v) for v in value)
    return float(value) if value else None


class _Upsampling(_ParameterFree):
    """What Upsample and its aliases share: size or scale_factor, a mode, the shape rules of F.interpolate."""

    family = UPSAMPLE_FAMILY
    size: Annotated[int | tuple[int, ...] | None, Field(description="output spatial size (one, or one per dimension)")] = None
    scale_factor: Annotated[float | tuple[float, ...] | None, Field(
        description="multiplier of each spatial size, output ⌊in·s⌋ (one, or one per dimension)")] = None

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return _sizes(value, cls.__name__)

    @field_validator("scale_factor", mode="before")
    @classmethod
    def _scale(cls, value: Any) -> Any:
        return _factors(value, cls.__name__)

    @property
    def interpolation(self) -> str:
        return getattr(self, "mode", "nearest")

    @model_validator(mode="after")
    def _check(self) -> "_Upsampling":
        mode = self.interpolation
        if (self.size is None) == (self.scale_factor is None):
            rule = "only one of size or scale_factor may be given" if self.size is not None else (
                "give size or scale_factor (a scale_factor of 0 counts as not given)")
            raise self._fail(rule, size=self.size, scale_factor=self.scale_factor)
        if getattr(self, "align_corners", None) is not None and mode not in INTERPOLATING:
            raise self._fail(f"align_corners can only be set with the interpolating modes ({', '.join(INTERPOLATING)})",
                             mode=mode, align_corners=self.align_corners)
        if getattr(self, "recompute_scale_factor", None) and self.size is not None:
            raise self._fail("recompute_scale_factor is not meaningful with an explicit size",
                             size=self.size, recompute_scale_factor=True)
        given = self.size if self.size is not None else self.scale_factor
        name = "size" if self.size is not None else "scale_factor"
        dims = [r - 2 for r in MODE_RANKS[mode]]
        if isinstance(given, tuple) and len(given) not in dims:
            raise self._fail(f"{name} must give one value per spatial dimension ({' or '.join(map(str, dims))} "
                             f"for mode {mode!r})", **{name: given})
        entries = given if isinstance(given, tuple) else (given,)
        if mode == "area":  # its adaptive pooling takes an empty output but no negative one
            if self.size is not None and min(entries) < 0:
                raise self._fail("size must be >= 0 (mode 'area')", size=self.size)
        elif min(entries) <= 0:  # every output size must be >= 1, whatever the input
            raise self._fail(f"{name} must be > 0 (every output size must be >= 1)", **{name: given})
        return self

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": upsample_output_shape(input_shape=shapes[0], size=self.size, scale_factor=self.scale_factor,
                                                mode=self.interpolation, layer=self.name)}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        if self.size is not None:
            return []
        factors = self.scale_factor if isinstance(self.scale_factor, tuple) else (self.scale_factor,) * (len(x) - 2)
        floored = [(n, s, o) for n, s, o in zip(x[2:], factors, out[2:]) if o != n * s]
        return [f"{n}·{s:g} = {n * s:g}, floored to {o}" for n, s, o in floored]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        x, out = shapes[0], outputs["output"]
        names = ops.SPATIAL.get(len(x) - 2, tuple(f"d{i}" for i in range(len(x) - 2)))
        if self.size is not None:
            return [f"{d}: size {o}" for d, o in zip(names, out[2:])] + ["batch and channels kept"]
        factors = self.scale_factor if isinstance(self.scale_factor, tuple) else (self.scale_factor,) * len(names)
        return [f"{d}: ⌊{n}·{s:g}⌋ = {scaled_length(length=n, scale_factor=s)}"
                for d, n, s in zip(names, x[2:], factors)] + ["batch and channels kept"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x, out = shapes[0], outs["output"]
        mode = self.interpolation
        if mode == "area":  # F.interpolate runs adaptive average pooling to the output size
            pool = layer_class(f"AdaptiveAvgPool{len(x) - 2}d")(output_size=out[2:])
            return pool._compute(shapes, outs)
        if mode not in _TAPS:
            return Compute(notes=(f"{self.name}: {mode}, copies values, no arithmetic",))
        k = _TAPS[mode]
        count, work = ops.elements(out)
        return ops.op(f"{mode} interpolation: {k} weighted neighbours per output value", "elementwise",
                      (2 * k - 1) * count, f"({k} + {k - 1})·output elements", f"{2 * k - 1}·{work}")


class Upsample(_Upsampling):
    """F.interpolate as a layer: to a size, or by a scale factor, in one of seven modes."""

    summary: ClassVar[str] = "upsampling (F.interpolate) to size or by scale_factor (no parameters)"
    example = ("Upsample(scale_factor=2, mode='bilinear', align_corners=False)", "8,64,28,28")
    type: Literal["Upsample"] = "Upsample"
    mode: Annotated[Literal["nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact"],
                    Field(description="the interpolation (linear 3-D, bilinear and bicubic 4-D, trilinear 5-D input)")
                    ] = "nearest"
    align_corners: Annotated[StrictBool | None, Field(
        description="align the corner pixels (interpolating modes only)")] = None
    recompute_scale_factor: Annotated[StrictBool | None, Field(
        description="interpolate with the scale of the floored output size (with scale_factor only)")] = None


class UpsamplingNearest2d(_Upsampling):
    """Deprecated alias of Upsample(mode='nearest')."""

    summary: ClassVar[str] = "nearest upsampling, a deprecated alias of Upsample (no parameters)"
    example = ("UpsamplingNearest2d(scale_factor=2)", "8,64,28,28")
    type: Literal["UpsamplingNearest2d"] = "UpsamplingNearest2d"


class UpsamplingBilinear2d(_Upsampling):
    """Deprecated alias of Upsample(mode='bilinear', align_corners=True): (N, C, H, W) inputs only."""

    summary: ClassVar[str] = "bilinear upsampling, corners aligned, a deprecated alias of Upsample (no parameters)"
    example = ("UpsamplingBilinear2d(scale_factor=2)", "8,64,28,28")
    type: Literal["UpsamplingBilinear2d"] = "UpsamplingBilinear2d"

    @property
    def interpolation(self) -> str:
        return "bilinear"
