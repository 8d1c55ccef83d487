"""Keras reshaping layers (no weights): ZeroPadding1D–3D, Cropping1D–3D, UpSampling1D–3D, Reshape,
Permute and RepeatVector. (Flatten is with the core layers.)"""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from paramcalc.formulas import keras_reshaping as fr
from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.results import Compute
from paramcalc.specs.base import PosInt
from paramcalc.specs.keras.base import DataFormat, KerasLayer, _data_format, check_rank, layout, require_shapes, split
from paramcalc.specs.ops import elements, op
from paramcalc.specs.shapes import KShape
from paramcalc.specs.working import NO_PARAMS, Family

Shape = tuple[int, ...]
StrictInt = Annotated[int, Field(strict=True)]
Pair = tuple[StrictInt, StrictInt]

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
RESHAPING_FAMILY = Family(
    "reshaping", "Keras reshaping layers (no weights)",
    ("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
     "UpSampling1D", "UpSampling2D", "UpSampling3D", "Reshape", "Permute", "RepeatVector"),
    NO_PARAMS,
    "ZeroPadding: n + before + after; Cropping: n − before − after (>= 1); UpSampling: n·size; "
    "Reshape: (batch, *target_shape), one −1 taking the rest; Permute(dims): the axes in that order; "
    "RepeatVector(n): (batch, F) → (batch, n, F)",
    "per spatial dimension; the batch and the channels pass through",
)


def _pairs(value: Any, nd: int, name: str, layer: str) -> Any:
    """Keras's forms of a padding or cropping as one (before, after) pair per spatial dimension.

    1-D: an int or a pair; 2-D and 3-D: an int, or one entry per dimension, each an int or a pair.
    """
    def pair(v: Any, what: str) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            return (v, v)
        if isinstance(v, (tuple, list)) and len(v) == 2:
            return tuple(v)
        raise ValueError(f"{what} must be an int or a pair of ints (before, after). Received: {v!r}")

    if nd == 1:
        if isinstance(value, (tuple, list)) and len(value) == 1:  # the form the spec writes back: ((a, b),)
            value = value[0]
        return (pair(value, name),)
    if isinstance(value, int) and not isinstance(value, bool):
        return ((value, value),) * nd
    if isinstance(value, (tuple, list)) and len(value) == nd:
        return tuple(pair(v, f"each entry of {name}") for v in value)
    raise ValueError(f"{name} must be an int or a tuple of {nd} entries (each an int or a pair). Received: {value!r}")


class _KerasReshaping(KerasLayer):
    """A layer that moves values around: no weights, no arithmetic."""

    family = RESHAPING_FAMILY
    needs_input_shape: ClassVar[bool] = False

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute(notes=(f"{self.name}: moves or copies values, no arithmetic",))


class _Spatial(_KerasReshaping):
    """A layer acting on each spatial dimension of a (batch, spatial..., channels) input."""

    nd: ClassVar[int] = 2

    def _spatial(self, shapes: tuple[KShape, ...]) -> tuple[KShape, tuple[int | None, ...], int | None]:
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, self.nd + 2, layout(self))
        spatial, channels = split(self, x)
        return x, spatial, channels

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        x, spatial, channels = self._spatial(shapes)
        out = tuple(self._length(n, i) for i, n in enumerate(spatial))
        if getattr(self, "data_format", "channels_last") == "channels_last":
            return {"output": (x[0], *out, channels)}
        return {"output": (x[0], channels, *out)}

    def _length(self, size: int | None, i: int) -> int | None:  # pragma: no cover - every subclass has one
        raise NotImplementedError


class _ZeroPadding(_Spatial):
    positional: ClassVar[tuple[str, ...]] = ("padding", "data_format")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "padding")
    padding: tuple[Pair, ...] = Field(1, validate_default=True)
    data_format: DataFormat = "channels_last"

    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))

    @field_validator("padding", mode="before")
    @classmethod
    def _padding(cls, value: Any) -> Any:
        return _pairs(value, cls.nd, "padding", cls.__name__)

    @field_validator("padding")
    @classmethod
    def _non_negative(cls, value: Any) -> Any:
        if any(v < 0 for p in value for v in p):
            raise ValueError(f"padding must be >= 0 (Keras refuses a negative padding). Received: {value!r}")
        return value

    def _length(self, size: int | None, i: int) -> int | None:
        before, after = self.padding[i]
        return fr.padded_length(size=size, before=before, after=after)

    def _keras_worked_shape(self, x: KShape, out: KShape) -> list[str]:
        spatial, _ = split(self, x)
        got, _ = split(self, out)
        return [f"{dim}: {n} + {b} + {a} = {g}" for dim, n, (b, a), g in zip(DIM_NAMES[self.nd], spatial, self.padding, got)]


class ZeroPadding1D(_ZeroPadding):
    """``keras.layers.ZeroPadding1D``: zeros added before and after the steps."""

    summary: ClassVar[str] = "Keras: zeros added before and after the steps (no weights)"
    nd: ClassVar[int] = 1
    example_shape: ClassVar[str] = "(None, 100, 16)"
    example = ("layers.ZeroPadding1D(2)", "8,100,16")
    type: Literal["keras.ZeroPadding1D"] = "keras.ZeroPadding1D"


class ZeroPadding2D(_ZeroPadding):
    """``keras.layers.ZeroPadding2D``: zero rows and columns around an image."""

    summary: ClassVar[str] = "Keras: zero rows and columns around an image (no weights)"
    nd: ClassVar[int] = 2
    example_shape: ClassVar[str] = "(None, 224, 224, 3)"
    example = ("layers.ZeroPadding2D(((0, 1), (0, 1)))", "8,224,224,3")
    type: Literal["keras.ZeroPadding2D"] = "keras.ZeroPadding2D"


class ZeroPadding3D(_ZeroPadding):
    """``keras.layers.ZeroPadding3D``: zeros around a volume."""

    summary: ClassVar[str] = "Keras: zeros around a volume (no weights)"
    nd: ClassVar[int] = 3
    example_shape: ClassVar[str] = "(None, 16, 28, 28, 3)"
    example = ("layers.ZeroPadding3D(2)", "2,16,28,28,3")
    type: Literal["keras.ZeroPadding3D"] = "keras.ZeroPadding3D"


class _Cropping(_Spatial):
    positional: ClassVar[tuple[str, ...]] = ("cropping", "data_format")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "cropping")
    cropping: tuple[Pair, ...] = Field(0, validate_default=True)

    @field_validator("cropping", mode="before")
    @classmethod
    def _cropping(cls, value: Any) -> Any:
        return _pairs(value, cls.nd, "cropping", cls.__name__)

    @field_validator("cropping")
    @classmethod
    def _non_negative(cls, value: Any) -> Any:
        if any(v < 0 for p in value for v in p):
            raise ValueError(f"cropping cannot be negative. Received: {value!r}")
        return value

    def _length(self, size: int | None, i: int) -> int | None:
        before, after = self.cropping[i]
        return fr.cropped_length(size=size, before=before, after=after, layer=self.name, dim=DIM_NAMES[self.nd][i])

    def _keras_worked_shape(self, x: KShape, out: KShape) -> list[str]:
        spatial, _ = split(self, x)
        got, _ = split(self, out)
        return [f"{dim}: {n} − {b} − {a} = {g}" for dim, n, (b, a), g in zip(DIM_NAMES[self.nd], spatial, self.cropping, got)]


class Cropping1D(_Cropping):
    """``keras.layers.Cropping1D``: steps cut from the start and the end."""

    summary: ClassVar[str] = "Keras: steps cut from the start and the end (no weights)"
    nd: ClassVar[int] = 1
    positional: ClassVar[tuple[str, ...]] = ("cropping",)
    example_shape: ClassVar[str] = "(None, 100, 16)"
    example = ("layers.Cropping1D((2, 3))", "8,100,16")
    type: Literal["keras.Cropping1D"] = "keras.Cropping1D"
    cropping: tuple[Pair, ...] = Field(1, validate_default=True)


class Cropping2D(_Cropping):
    """``keras.layers.Cropping2D``: rows and columns cut from the edges, as in U-Net's skip connections."""

    summary: ClassVar[str] = "Keras: rows and columns cut from the edges (no weights)"
    nd: ClassVar[int] = 2
    example_shape: ClassVar[str] = "(None, 64, 64, 64)"
    example = ("layers.Cropping2D(4)", "8,64,64,64")
    type: Literal["keras.Cropping2D"] = "keras.Cropping2D"
    data_format: DataFormat = "channels_last"

    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))


class Cropping3D(_Cropping):
    """``keras.layers.Cropping3D``: a volume cut at its edges."""

    summary: ClassVar[str] = "Keras: a volume cut at its edges (no weights)"
    nd: ClassVar[int] = 3
    example_shape: ClassVar[str] = "(None, 16, 28, 28, 3)"
    example = ("layers.Cropping3D(1)", "2,16,28,28,3")
    type: Literal["keras.Cropping3D"] = "keras.Cropping3D"
    cropping: tuple[Pair, ...] = Field(1, validate_default=True)
    data_format: DataFormat = "channels_last"

    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))


def _sizes(value: Any, nd: int, layer: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * nd
    if isinstance(value, list):
        return tuple(value)
    return value


class _UpSampling(_Spatial):
    positional: ClassVar[tuple[str, ...]] = ("size", "data_format")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape",)
    size: tuple[PosInt, ...] = Field(2, validate_default=True)

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return _sizes(value, cls.nd, cls.__name__)

    @field_validator("size")
    @classmethod
    def _rank(cls, value: Any) -> Any:
        if len(value) != cls.nd:
            raise ValueError(f"size must be an int or a tuple of {cls.nd} ints. Received: {value!r}")
        return value

    def _length(self, size: int | None, i: int) -> int | None:
        return fr.upsampled_length(size=size, factor=self.size[i])

    def _keras_worked_shape(self, x: KShape, out: KShape) -> list[str]:
        spatial, _ = split(self, x)
        got, _ = split(self, out)
        return [f"{dim}: {n}·{f} = {g}" for dim, n, f, g in zip(DIM_NAMES[self.nd], spatial, self.size, got)]

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        if getattr(self, "interpolation", "nearest") == "nearest":
            return Compute(notes=(f"{self.name}: nearest neighbour, copies values, no arithmetic",))
        count, work = elements(outs["output"])  # bilinear: 4 weights per output value, 3 adds
        return op(f"{self.interpolation} interpolation", "elementwise", 7 * count, "7·output elements", f"7·{work}")


class UpSampling1D(_UpSampling):
    """``keras.layers.UpSampling1D``: each step repeated ``size`` times."""

    summary: ClassVar[str] = "Keras: each step repeated size times (no weights)"
    nd: ClassVar[int] = 1
    positional: ClassVar[tuple[str, ...]] = ("size",)
    example_shape: ClassVar[str] = "(None, 50, 16)"
    example = ("layers.UpSampling1D(3)", "8,50,16")
    type: Literal["keras.UpSampling1D"] = "keras.UpSampling1D"


class UpSampling2D(_UpSampling):
    """``keras.layers.UpSampling2D``: rows and columns repeated (nearest) or interpolated."""

    summary: ClassVar[str] = "Keras: rows and columns repeated size times, or interpolated (no weights)"
    nd: ClassVar[int] = 2
    positional: ClassVar[tuple[str, ...]] = ("size", "data_format", "interpolation")
    example_shape: ClassVar[str] = "(None, 28, 28, 64)"
    example = ("layers.UpSampling2D()", "8,28,28,64")
    type: Literal["keras.UpSampling2D"] = "keras.UpSampling2D"
    interpolation: Literal["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"] = "nearest"
    data_format: DataFormat = "channels_last"

    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))

    _interp = field_validator("interpolation", mode="before")(
        classmethod(lambda cls, v: v.lower() if isinstance(v, str) else v))


class UpSampling3D(_UpSampling):
    """``keras.layers.UpSampling3D``: a volume's three dimensions repeated."""

    summary: ClassVar[str] = "Keras: depth, rows and columns repeated size times (no weights)"
    nd: ClassVar[int] = 3
    example_shape: ClassVar[str] = "(None, 8, 14, 14, 32)"
    example = ("layers.UpSampling3D()", "2,8,14,14,32")
    type: Literal["keras.UpSampling3D"] = "keras.UpSampling3D"
    data_format: DataFormat = "channels_last"

    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))


class Reshape(_KerasReshaping):
    """``keras.layers.Reshape``: the values laid out as ``target_shape`` (without the batch)."""

    summary: ClassVar[str] = "Keras: the values of each sample as target_shape, one -1 for the rest (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("target_shape",)
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "target_shape")
    example_shape: ClassVar[str] = "(None, 784)"
    example = ("layers.Reshape((28, 28, 1))", "8,784")
    type: Literal["keras.Reshape"] = "keras.Reshape"
    target_shape: tuple[StrictInt, ...]

    @field_validator("target_shape", mode="before")
    @classmethod
    def _target(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @field_validator("target_shape")
    @classmethod
    def _one_unknown(cls, value: Any) -> Any:
        if any(d < -1 for d in value) or list(value).count(-1) > 1:
            raise ValueError(
                f"target_shape takes non-negative sizes and at most one -1 (the size left). Received: {value!r}"
            )
        return value

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, 1, "(batch, ...)", at_least=True)
        return {"output": fr.reshape_output_shape(input_shape=x, target_shape=self.target_shape, layer=self.name)}


class Permute(_KerasReshaping):
    """``keras.layers.Permute``: the non-batch axes reordered (``dims`` counts from 1)."""

    summary: ClassVar[str] = "Keras: the non-batch axes in the order dims, counted from 1 (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("dims",)
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "dims")
    example_shape: ClassVar[str] = "(None, 10, 64)"
    example = ("layers.Permute((2, 1))", "8,10,64")
    type: Literal["keras.Permute"] = "keras.Permute"
    dims: tuple[StrictInt, ...]

    @field_validator("dims", mode="before")
    @classmethod
    def _dims(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @field_validator("dims")
    @classmethod
    def _permutation(cls, value: Any) -> Any:
        if sorted(value) != list(range(1, len(value) + 1)):
            raise ValueError(f"dims must be a permutation of 1..{len(value)} (the batch axis 0 stays). Received: {value!r}")
        return value

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        x = require_shapes(self, shapes)[0]
        return {"output": fr.permute_output_shape(input_shape=x, dims=self.dims, layer=self.name)}


class RepeatVector(_KerasReshaping):
    """``keras.layers.RepeatVector``: a (batch, features) input repeated n times."""

    summary: ClassVar[str] = "Keras: (batch, features) repeated n times -> (batch, n, features) (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("n",)
    example_shape: ClassVar[str] = "(None, 32)"
    example = ("layers.RepeatVector(10)", "8,32")
    type: Literal["keras.RepeatVector"] = "keras.RepeatVector"
    n: PosInt

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        x = require_shapes(self, shapes)[0]
        return {"output": fr.repeat_vector_output_shape(input_shape=x, n=self.n, layer=self.name)}
