"""Keras normalisation: BatchNormalization, LayerNormalization, RMSNormalization and GroupNormalization."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc.errors import SpecError, short_repr
from paramcalc.formulas import keras as fk
from paramcalc.formulas import textbook as tb
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.norm import BATCHNORM_FAMILY, GROUPNORM_FAMILY, LAYERNORM_FAMILY
from paramcalc.specs.base import LayerSpec, StrictBool
from paramcalc.specs.keras.base import KerasLayer, check_axis, check_rank, known, require_shapes, textbook, weight
from paramcalc.specs.ops import elements, op
from paramcalc.specs.registry import layer_class
from paramcalc.specs.shapes import KShape, fmt_shape
from paramcalc.specs.working import chain, n

Shape = tuple[int, ...]
Axis = Annotated[int, Field(strict=True)]


def norm_tensors(shape: tuple[int, ...], scale: bool, center: bool) -> list[Tensor]:
    """The course's gamma (scale) and beta (shift)."""
    out = []
    if scale:
        out.append(textbook("gamma", shape, "scale"))
    if center:
        out.append(textbook("beta", shape, "shift"))
    return out


def _axis_value(value: Any) -> Any:
    """An int, or a list or tuple of ints as a tuple; anything else (a set, a mapping) is refused, as Keras does."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, (int, tuple)):
        return value
    raise ValueError(f"axis must be an int or a tuple of ints. Received: {short_repr(value)}")


class _KerasNorm(KerasLayer):
    """A normalisation with gamma and beta over the sizes of its normalised axes."""

    @property
    def axes(self) -> tuple[int, ...]:
        """The normalised axes as a tuple."""
        axis = getattr(self, "axis")
        return axis if isinstance(axis, tuple) else (axis,)

    def _norm_shape(self, shapes: tuple[KShape, ...]) -> tuple[int, ...]:
        """The shape of gamma and beta: the sizes of the normalised axes."""
        x = require_shapes(self, shapes)[0]
        resolved = sorted(check_axis(self, x, a) for a in self.axes)
        if len(set(resolved)) != len(resolved):
            raise SpecError(f"{self.name}: axis names the same axis twice. Received: axis={self.axis}")
        return tuple(known(self, x, a, "normalised axis") for a in resolved)

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        self._norm_shape(shapes)
        return {"output": shapes[0]}

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        return norm_tensors(self._norm_shape(shapes), self.scale, self.center)

    def _gamma_beta(self, shape: tuple[int, ...], per: str) -> list[Tensor]:
        """gamma (if scale) and beta (if center), one value per ``per``."""
        out = []
        if self.scale:
            out.append(weight("gamma", shape, f"scale per {per}"))
        if self.center:
            out.append(weight("beta", shape, f"shift per {per}"))
        return out

    def _trailing_norm_shape(self, shapes: tuple[KShape, ...], torch_name: str) -> tuple[int, ...]:
        """The normalised shape; ``axis`` must name trailing dimensions, the only ones a torch norm normalises."""
        normalized = self._norm_shape(shapes)
        rank = len(shapes[0])
        axes = sorted(a % rank for a in self.axes)
        if axes != list(range(rank - len(axes), rank)):
            raise self._no_torch(f"{torch_name} normalises the trailing dimensions", axis=self.axis, input_shape=shapes[0])
        return normalized


class BatchNormalization(_KerasNorm):
    """``keras.layers.BatchNormalization``: gamma and beta trainable, moving mean and variance not."""

    family = BATCHNORM_FAMILY

    summary: ClassVar[str] = "Keras batch norm: gamma, beta + non-trainable moving mean/variance"
    positional: ClassVar[tuple[str, ...]] = ("axis", "momentum", "epsilon", "center", "scale")
    example_shape: ClassVar[str] = "(None, 28, 28, 64)"
    example = ("layers.BatchNormalization()", "8,28,28,32")
    type: Literal["keras.BatchNormalization"] = "keras.BatchNormalization"
    axis: Axis = -1
    momentum: float = 0.99
    epsilon: Annotated[float, Field(gt=0.0)] = 1e-3
    center: StrictBool = True
    scale: StrictBool = True

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        (channels,) = self._norm_shape(shapes)
        return self._as_set(Count(*fk.batchnorm_params(channels=channels, center=self.center, scale=self.scale)))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        shape = self._norm_shape(shapes)
        out = self._gamma_beta(shape, "channel")
        out += [
            weight("moving_mean", shape, "moving mean per channel (non-trainable)", False),
            weight("moving_variance", shape, "moving variance per channel (non-trainable)", False),
        ]
        return self._frozen(out)

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        (channels,) = self._norm_shape(shapes)
        if self.center and not self.scale:
            raise self._no_torch("torch.nn.BatchNorm has no bias without a weight", center=True, scale=False)
        rank = len(shapes[0])
        tag = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}.get(rank)
        if tag is None:
            raise self._no_torch("torch.nn.BatchNorm takes 2-D to 5-D inputs", input_shape=shapes[0])
        # center=False, scale=True is torch's bias=False (weight only); neither is affine=False
        return layer_class(tag)(num_features=channels, affine=self.scale, bias=self.center or not self.scale,
                                eps=self.epsilon)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        (channels,) = self._norm_shape(shapes)
        return Count(tb.batchnorm_params(channels=channels, scale=self.scale, center=self.center))

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        per = 2 + int(self.scale) + int(self.center)
        return Compute(
            op("normalise (x − μ)/σ" + (", scale and shift" if per > 2 else ""), "norm", per * count,
               f"{per}·elements", f"{per}·({work})").ops,
            ("BatchNormalization: inference mode (moving statistics)",),
        )


class _KerasAxisNorm(_KerasNorm):
    """A normalisation over ``axis`` (an int or a tuple of ints, declared by each subclass)."""

    _axis = field_validator("axis", mode="before", check_fields=False)(classmethod(lambda cls, v: _axis_value(v)))

    @model_validator(mode="after")
    def _check(self) -> "_KerasAxisNorm":
        if not self.axes:
            raise self._fail("axis must name at least one axis", axis=self.axis)
        return self


class LayerNormalization(_KerasAxisNorm):
    """``keras.layers.LayerNormalization`` over ``axis`` (an int or a tuple of ints)."""

    family = LAYERNORM_FAMILY

    summary: ClassVar[str] = "Keras layer norm over axis: gamma and beta"
    positional: ClassVar[tuple[str, ...]] = ("axis", "epsilon", "center", "scale")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "axis")
    example_shape: ClassVar[str] = "(None, 50, 512)"
    example = ("layers.LayerNormalization()", "8,10,64")
    type: Literal["keras.LayerNormalization"] = "keras.LayerNormalization"
    axis: Axis | tuple[Axis, ...] = -1
    epsilon: Annotated[float, Field(gt=0.0)] = 1e-3
    center: StrictBool = True
    scale: StrictBool = True

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        normalized = self._norm_shape(shapes)
        return self._as_set(Count(fk.layernorm_params(normalized_shape=normalized, center=self.center, scale=self.scale)))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        shape = self._norm_shape(shapes)
        out = self._gamma_beta(shape, "normalised feature")
        return self._frozen(out)

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        normalized = self._trailing_norm_shape(shapes, "torch.nn.LayerNorm")
        if self.center and not self.scale:
            raise self._no_torch("torch.nn.LayerNorm has no bias without a weight", center=True, scale=False)
        return layer_class("LayerNorm")(normalized_shape=normalized, eps=self.epsilon, elementwise_affine=self.scale,
                                        bias=self.center)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        normalized = self._norm_shape(shapes)
        return Count(tb.layernorm_params(normalized_shape=normalized, scale=self.scale, center=self.center))

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        per = 6 + int(self.scale) + int(self.center)
        return op("LayerNormalization: statistics, normalise" + (", affine" if per > 6 else ""), "norm",
                  per * count, f"{per}·elements", f"{per}·({work})")


class RMSNormalization(_KerasAxisNorm):
    """``keras.layers.RMSNormalization`` over ``axis``: a scale per normalised feature, no shift."""

    summary: ClassVar[str] = "Keras RMS norm over axis: a scale, no shift"
    positional: ClassVar[tuple[str, ...]] = ("axis", "epsilon")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "axis")
    example_shape: ClassVar[str] = "(None, 50, 4096)"
    example = ("layers.RMSNormalization()", "8,10,64")
    type: Literal["keras.RMSNormalization"] = "keras.RMSNormalization"
    axis: Axis | tuple[Axis, ...] = -1
    epsilon: Annotated[float, Field(gt=0.0)] = 1e-6
    center: ClassVar[bool] = False
    scale: ClassVar[bool] = True

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        return self._as_set(Count(fk.rmsnorm_params(normalized_shape=self._norm_shape(shapes))))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        return self._frozen([weight("scale", self._norm_shape(shapes), "scale per normalised feature (no shift)")])

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        normalized = self._trailing_norm_shape(shapes, "torch.nn.RMSNorm")
        return layer_class("RMSNorm")(normalized_shape=normalized, eps=self.epsilon)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(tb.rmsnorm_params(normalized_shape=self._norm_shape(shapes)))

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        return op("RMSNormalization: mean square, normalise, scale", "norm", 4 * count,
                  "(2 + 1 + 1)·elements", f"(2 + 1 + 1)·({work})")


class GroupNormalization(_KerasNorm):
    """``keras.layers.GroupNormalization``: statistics over groups of channels, gamma and beta per channel.

    ``groups=-1`` makes one group per channel (instance normalisation). The channels (the size of
    ``axis``) must be divisible by ``groups``, as Keras checks when it builds the layer.
    """

    family = GROUPNORM_FAMILY

    summary: ClassVar[str] = "Keras group norm: statistics per group of channels, gamma and beta per channel"
    positional: ClassVar[tuple[str, ...]] = ("groups", "axis", "epsilon", "center", "scale")
    example_shape: ClassVar[str] = "(None, 32, 32, 64)"
    example = ("layers.GroupNormalization(8)", "8,32,32,64")
    type: Literal["keras.GroupNormalization"] = "keras.GroupNormalization"
    groups: Annotated[int, Field(strict=True)] = 32
    axis: Axis = -1
    epsilon: Annotated[float, Field(gt=0.0)] = 1e-3
    center: StrictBool = True
    scale: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "GroupNormalization":
        if self.groups <= 0 and self.groups != -1:
            raise self._fail("groups must be a positive integer (or -1 for instance normalization)", groups=self.groups)
        return self

    def _channels(self, shapes: tuple[KShape, ...]) -> tuple[int, int]:
        """(channels, groups): the size of ``axis`` and the groups it is split into (checked)."""
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, 2, "(batch, ..., channels)", at_least=True)
        check_axis(self, x, self.axis)
        channels = known(self, x, self.axis, "number of channels")
        groups = channels if self.groups == -1 else self.groups
        if channels < groups:
            raise SpecError(
                f"{self.name}: groups cannot be more than the channels (axis {self.axis}). "
                f"Received: groups={groups}, input_shape={fmt_shape(x)}"
            )
        if channels % groups:
            raise SpecError(
                f"{self.name}: the channels (axis {self.axis}) must be divisible by groups. "
                f"Received: groups={groups}, input_shape={fmt_shape(x)}"
            )
        return channels, groups

    def _norm_shape(self, shapes: tuple[KShape, ...]) -> tuple[int, ...]:
        return (self._channels(shapes)[0],)

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        (channels,) = self._norm_shape(shapes)
        return self._as_set(Count(fk.groupnorm_params(channels=channels, center=self.center, scale=self.scale)))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        shape = self._norm_shape(shapes)
        out = self._gamma_beta(shape, "channel")
        return self._frozen(out)

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        channels, groups = self._channels(shapes)
        if self.center != self.scale:
            raise self._no_torch("torch.nn.GroupNorm has a weight and a bias together (affine) or neither",
                                 center=self.center, scale=self.scale)
        return layer_class("GroupNorm")(num_groups=groups, num_channels=channels, eps=self.epsilon, affine=self.scale)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        (channels,) = self._norm_shape(shapes)  # a scale and a shift per channel, as Batch Norm's rule counts
        return Count(tb.batchnorm_params(channels=channels, scale=self.scale, center=self.center))

    def _keras_worked_params(self, convention: str, input_shape: Any) -> list[str] | None:
        if not (self.scale or self.center):
            return [chain("no parameters (center=False, scale=False)", 0)]
        tensors = self.param_tensors("keras", input_shape=input_shape)  # type: ignore[arg-type]
        channels = tensors[0].shape[0]
        if convention == "pytorch":
            names = "weight + bias"
        else:
            names = " + ".join(name for name, on in (("gamma", self.scale), ("beta", self.center)) if on)
        k = int(self.scale) + int(self.center)
        groups = "one group per channel" if self.groups == -1 else f"{self.groups} groups"
        label = f"{names} (one per channel, C = {n(channels)}; the {groups} add none)"
        return [chain(label, f"{k}·{n(channels)}" if k > 1 else n(channels), k * channels)]

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(shapes[0])
        per = 6 + int(self.scale) + int(self.center)
        return op("GroupNormalization: statistics per group, normalise" + (", affine" if per > 6 else ""), "norm",
                  per * count, f"{per}·elements", f"{per}·({work})")
