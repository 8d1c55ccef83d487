"""Keras input scaling: Normalization (a non-trainable mean, variance and count), UnitNormalization and
Rescaling (no weights)."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, field_validator, model_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import keras as fk
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import StrictBool
from paramcalc.specs.keras.base import KerasLayer, list_as_tuple, require_shapes, shape_kept_along_axes, weight
from paramcalc.specs.ops import elements, op
from paramcalc.specs.shapes import KShape, fmt_shape
from paramcalc.specs.working import Family

Shape = tuple[int, ...]
StrictInt = Annotated[int, Field(strict=True)]

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
SCALING_FAMILY = Family(
    "scaling", "Keras input scaling (Normalization, UnitNormalization, Rescaling)",
    ("Normalization", "UnitNormalization", "Rescaling"),
    {
        "pytorch": "0 (no torch.nn layer; the scaling is part of the input pipeline)",
        "keras": "Normalization: 2·d + 1, all non-trainable (mean and variance over the kept axes, d values "
                 "each, and a scalar count), 0 when mean and variance are given; UnitNormalization, Rescaling: 0",
        "textbook": "0 (nothing is learned by gradient descent)",
    },
    "output = input",
    "d = product of the sizes on Normalization's axis (the axes kept, one statistic per position)",
)


def _nested_shape(value: Any, what: str) -> tuple[int, ...]:
    """The shape of a number or a nested list of numbers, as numpy would give it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ()
    if isinstance(value, (list, tuple)):
        inner = [_nested_shape(v, what) for v in value]
        if inner and any(s != inner[0] for s in inner):
            raise ValueError(f"{what} must be a number or a nested list of one shape. Received: {value!r}")
        return (len(value), *(inner[0] if inner else ()))
    raise ValueError(f"{what} must be a number or a list of numbers. Received: {value!r}")


def _frozen_value(value: Any) -> Any:
    return tuple(_frozen_value(v) for v in value) if isinstance(value, (list, tuple)) else value


class Normalization(KerasLayer):
    """``keras.layers.Normalization``: (x − mean) / sqrt(variance) per position of the kept axes.

    Before ``adapt()`` (no mean and variance given) Keras creates three non-trainable weights:
    ``mean`` and ``variance`` shaped like the kept axes and a scalar ``count``.
    """

    family = SCALING_FAMILY
    summary: ClassVar[str] = "Keras feature normalisation: non-trainable mean, variance and count"
    positional: ClassVar[tuple[str, ...]] = ("axis", "mean", "variance", "invert")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "axis")
    example_shape: ClassVar[str] = "(None, 13)"
    example = ("layers.Normalization()", "32,13")
    type: Literal["keras.Normalization"] = "keras.Normalization"
    axis: Union[StrictInt, tuple[StrictInt, ...], None] = -1
    mean: Any = None
    variance: Any = None
    invert: StrictBool = False

    _axis = field_validator("axis", mode="before")(classmethod(lambda cls, v: list_as_tuple(v)))

    @field_validator("mean", "variance", mode="before")
    @classmethod
    def _statistic(cls, value: Any, info: Any) -> Any:
        if value is None:
            return None
        _nested_shape(value, info.field_name)
        return _frozen_value(value)

    @model_validator(mode="after")
    def _check(self) -> "Normalization":
        if (self.mean is None) != (self.variance is None):
            raise self._fail("give both mean and variance, or neither", mean=self.mean, variance=self.variance)
        if self.mean is not None:
            m, v = _nested_shape(self.mean, "mean"), _nested_shape(self.variance, "variance")
            if m != v:
                raise self._fail("mean and variance must have the same shape", mean_shape=m, variance_shape=v)
            if len(m) > len(self.axes):
                raise self._fail("the rank of mean must not exceed the number of axes", mean_shape=m, axis=self.axis)
        return self

    @property
    def axes(self) -> tuple[int, ...]:
        """The kept axes as given (None: none, one mean and variance for everything)."""
        if self.axis is None:
            return ()
        return self.axis if isinstance(self.axis, tuple) else (self.axis,)

    def _kept_shape(self, shapes: tuple[KShape, ...]) -> tuple[int, ...]:
        """The sizes of the kept axes, in axis order: the shape of mean and variance."""
        x = require_shapes(self, shapes)[0]
        rank = len(x)
        for a in self.axes:
            if not -rank <= a < rank:
                raise SpecError(f"{self.name}: every axis must be in [-{rank}, {rank}) for a {rank}-D input. "
                                f"Received: axis={self.axis}, input_shape={fmt_shape(x)}")
        kept = sorted(a % rank for a in self.axes)
        if len(set(kept)) != len(kept):
            raise SpecError(f"{self.name}: axis names the same axis twice. Received: axis={self.axis}")
        for a in kept:
            if x[a] is None:
                raise SpecError(f"{self.name}: every kept axis must have a known size. "
                                f"Received: axis={self.axis}, input_shape={fmt_shape(x)} (axis {a} is None)")
        return tuple(x[a] for a in kept)  # type: ignore[misc]

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(0, fk.normalization_params(kept_shape=self._kept_shape(shapes), adapted=self.mean is None))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        kept = self._kept_shape(shapes)
        if self.mean is not None:
            return []
        return [
            weight("mean", kept, "mean per kept position, set by adapt() (non-trainable)", False),
            weight("variance", kept, "variance per kept position, set by adapt() (non-trainable)", False),
            weight("count", (), "number of samples adapt() has seen (non-trainable)", False),
        ]

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        self._kept_shape(shapes)
        return {"output": shapes[0]}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        return op("subtract the mean, divide by the deviation", "norm", 2 * count, "2·elements", f"2·{work}")


class UnitNormalization(KerasLayer):
    """``keras.layers.UnitNormalization``: each vector along ``axis`` scaled to L2 norm 1."""

    family = SCALING_FAMILY
    summary: ClassVar[str] = "Keras: scales each vector along axis to unit L2 norm (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("axis",)
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "axis")
    needs_input_shape: ClassVar[bool] = False
    example_shape: ClassVar[str] = "(None, 128)"
    example = ("layers.UnitNormalization()", "32,128")
    type: Literal["keras.UnitNormalization"] = "keras.UnitNormalization"
    axis: Union[StrictInt, tuple[StrictInt, ...]] = -1

    _axis = field_validator("axis", mode="before")(classmethod(lambda cls, v: list_as_tuple(v)))

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        return shape_kept_along_axes(self, shapes)

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        return op("square, sum, divide by the norm", "norm", 3 * count, "3·elements", f"3·{work}")


Scale = Union[StrictInt, float, tuple[Union[StrictInt, float], ...]]


class Rescaling(KerasLayer):
    """``keras.layers.Rescaling``: x·scale + offset (``Rescaling(1/255)`` for pixel values)."""

    family = SCALING_FAMILY
    summary: ClassVar[str] = "Keras: x·scale + offset, such as 1/255 for pixels (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("scale", "offset")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "scale", "offset")
    needs_input_shape: ClassVar[bool] = False
    example_shape: ClassVar[str] = "(None, 224, 224, 3)"
    example = ("layers.Rescaling(0.5, offset=-1.0)", "8,224,224,3")
    type: Literal["keras.Rescaling"] = "keras.Rescaling"
    scale: Scale
    offset: Scale = 0.0

    _lists = field_validator("scale", "offset", mode="before")(classmethod(lambda cls, v: list_as_tuple(v)))

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        x = require_shapes(self, shapes)[0]
        for name in ("scale", "offset"):
            value = getattr(self, name)
            if isinstance(value, tuple) and len(value) != 1 and (not x or x[-1] not in (None, len(value))):
                raise SpecError(f"{self.name}: a {name} of {len(value)} values must match the last axis. "
                                f"Received: {name} of {len(value)} values, input_shape={fmt_shape(x)}")
        return {"output": x}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        return op("multiply and add", "elementwise", 2 * count, "2·elements", f"2·{work}")
