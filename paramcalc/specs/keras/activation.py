"""Keras activation layers: ReLU, LeakyReLU, ELU, Softmax (no weights) and PReLU (a learned alpha)."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, field_validator, model_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas import keras as fk
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.activation import PRELU_FAMILY
from paramcalc.specs.base import NO_PARAMS_FAMILY, LayerSpec
from paramcalc.specs.keras.base import (
    KerasLayer, list_as_tuple, require_shapes, shape_kept_along_axes, textbook, weight,
)
from paramcalc.specs.ops import elements, op
from paramcalc.specs.registry import layer_class
from paramcalc.specs.shapes import KShape, fmt_shape

Shape = tuple[int, ...]
StrictInt = Annotated[int, Field(strict=True)]
Number = Union[StrictInt, float]

class _KerasActivation(KerasLayer):
    """An element-wise activation without weights: the output has the input's shape."""

    family = NO_PARAMS_FAMILY
    needs_input_shape: ClassVar[bool] = False
    example_shape: ClassVar[str] = "(None, 128)"
    #: How the compute listing names the operation.
    what: ClassVar[str] = "activation"

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        return {"output": require_shapes(self, shapes)[0]}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        return op(f"{self.what} (one per element)", "activation", fc.activation_ops(elements=count), "elements", work)


class ReLU(_KerasActivation):
    """``keras.layers.ReLU``: max(x, 0), with an optional cap (max_value), leak (negative_slope) and threshold."""

    summary: ClassVar[str] = "Keras ReLU with max_value, negative_slope and threshold (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("max_value", "negative_slope", "threshold")
    example = ("layers.ReLU(max_value=6.0)", "8,112,112,32")
    type: Literal["keras.ReLU"] = "keras.ReLU"
    what: ClassVar[str] = "ReLU"
    max_value: Number | None = None
    negative_slope: Number = 0.0
    threshold: Number = 0.0

    @model_validator(mode="after")
    def _check(self) -> "ReLU":
        if self.max_value is not None and self.max_value < 0:
            raise self._fail("max_value cannot be negative", max_value=self.max_value)
        if self.negative_slope < 0:
            raise self._fail("negative_slope cannot be negative", negative_slope=self.negative_slope)
        if self.threshold < 0:
            raise self._fail("threshold cannot be negative", threshold=self.threshold)
        return self


class LeakyReLU(_KerasActivation):
    """``keras.layers.LeakyReLU``: x for x > 0, negative_slope·x otherwise (Keras's default slope is 0.3)."""

    summary: ClassVar[str] = "Keras leaky ReLU, negative_slope 0.3 by default (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("negative_slope",)
    example = ("layers.LeakyReLU(0.2)", "8,100")
    type: Literal["keras.LeakyReLU"] = "keras.LeakyReLU"
    what: ClassVar[str] = "leaky ReLU"
    negative_slope: Number = 0.3

    @model_validator(mode="after")
    def _check(self) -> "LeakyReLU":
        if self.negative_slope < 0:
            raise self._fail("negative_slope cannot be negative", negative_slope=self.negative_slope)
        return self


class ELU(_KerasActivation):
    """``keras.layers.ELU``: x for x > 0, alpha·(exp(x) − 1) otherwise."""

    summary: ClassVar[str] = "Keras exponential linear unit (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("alpha",)
    example = ("layers.ELU(alpha=0.5)", "8,100")
    type: Literal["keras.ELU"] = "keras.ELU"
    what: ClassVar[str] = "ELU"
    alpha: Number = 1.0


class Softmax(_KerasActivation):
    """``keras.layers.Softmax``: exp(x) / Σ exp(x) along ``axis`` (one axis or several)."""

    summary: ClassVar[str] = "Keras softmax along axis (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("axis",)
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "axis")
    example = ("layers.Softmax()", "8,10")
    type: Literal["keras.Softmax"] = "keras.Softmax"
    axis: Union[StrictInt, tuple[StrictInt, ...]] = -1

    _axis = field_validator("axis", mode="before")(classmethod(lambda cls, v: list_as_tuple(v)))

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        return shape_kept_along_axes(self, shapes)

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        return op("softmax (exp, sum, divide)", "softmax", fc.softmax_ops(elements=count), "3·elements", f"3·{work}")


class PReLU(KerasLayer):
    """``keras.layers.PReLU``: max(x, 0) + alpha·min(x, 0) with a learned alpha per value, or shared over axes."""

    family = PRELU_FAMILY
    summary: ClassVar[str] = "Keras parametric ReLU: a learned slope alpha per value (shared_axes share it)"
    positional: ClassVar[tuple[str, ...]] = ("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "shared_axes")
    example_shape: ClassVar[str] = "(None, 28, 28, 64)"
    example = ("layers.PReLU(shared_axes=[1, 2])", "8,28,28,64")
    type: Literal["keras.PReLU"] = "keras.PReLU"
    shared_axes: tuple[StrictInt, ...] | None = None

    @field_validator("shared_axes", mode="before")
    @classmethod
    def _shared(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return (value,)
        return list_as_tuple(value)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) > 4:
            raise SpecError(f"PReLU: takes at most 4 positional arguments ({', '.join(self.positional)}), got {len(args)}")
        if len(args) == 4:
            if "shared_axes" in kwargs:
                raise SpecError("PReLU: got multiple values for argument shared_axes")
            kwargs["shared_axes"] = args[3]
        # alpha's initializer, regularizer and constraint change nothing counted here
        super().__init__(**{k: v for k, v in kwargs.items() if not k.startswith("alpha_")})

    def _alpha_shape(self, shapes: tuple[KShape, ...]) -> tuple[int, ...]:
        """alpha's shape: the input's without the batch, 1 on each shared axis; every other size known."""
        x = require_shapes(self, shapes)[0]
        if len(x) < 2:
            raise SpecError(f"{self.name}: expected an input with a batch dimension and at least one more. "
                            f"Received: input_shape={fmt_shape(x)}")
        shape = list(x[1:])
        for i in self.shared_axes or ():
            if not -len(shape) <= i - 1 < len(shape):
                raise SpecError(f"{self.name}: shared_axes {i} is out of range for a {len(x)}-D input. "
                                f"Received: shared_axes={self.shared_axes}, input_shape={fmt_shape(x)}")
            shape[i - 1] = 1
        if None in shape:
            raise SpecError(f"{self.name}: alpha needs every axis it is not shared over to be known; share the "
                            f"unknown ones (shared_axes). Received: input_shape={fmt_shape(x)}, "
                            f"shared_axes={self.shared_axes}")
        return tuple(shape)  # type: ignore[arg-type]

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        return self._as_set(Count(fk.prelu_params(alpha_shape=self._alpha_shape(shapes))))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        return self._frozen([weight("alpha", self._alpha_shape(shapes), "one learned negative slope per value")])

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        self._alpha_shape(shapes)
        return {"output": shapes[0]}

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        alpha = self._alpha_shape(shapes)
        big = [d for d in alpha if d != 1]
        if len(big) > 1:
            raise self._no_torch("torch.nn.PReLU learns 1 slope or one per channel", alpha_shape=alpha)
        try:
            return layer_class("PReLU")(num_parameters=big[0] if big else 1)
        except KeyError:
            raise self._no_torch("torch.nn.PReLU is not among the PyTorch layers here", alpha_shape=alpha) from None

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(fk.prelu_params(alpha_shape=self._alpha_shape(shapes)))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        return [textbook("a", self._alpha_shape(shapes), "learned negative slopes")]

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        return op("PReLU (max, min, multiply, add per element)", "activation", 4 * count, "4·elements", f"4·{work}")
