"""Normalisation (BatchNorm1d/2d/3d, LayerNorm, GroupNorm): specs and their arithmetic."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc import formulas as f
from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas import textbook as tb
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.torch_tensors as tt
import paramcalc.specs.ops as ops
from paramcalc.specs.base import LayerSpec, NonNegInt, PosInt, Shape, StrictBool
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import chain, Family, n, sum_line, times


def norm_tensors(shape: Shape, scale: bool, center: bool) -> list[Tensor]:
    """The textbook's γ (scale) and β (shift) of a normalisation over ``shape``."""
    out = []
    if scale:
        out.append(Tensor("gamma", tuple(shape), "trainable", "scale"))
    if center:
        out.append(Tensor("beta", tuple(shape), "trainable", "shift"))
    return out


def layernorm_lines(label: str, shape: Shape, affine: bool, bias: bool) -> list[str]:
    """The worked count of a LayerNorm over ``shape``: ``weight + bias: 2·512 = 1,024``."""
    total = f.layernorm_params(normalized_shape=shape, elementwise_affine=affine, bias=bias)
    if not affine:
        return [chain(f"{label} (none: elementwise_affine=False)", total)]
    d = prod(shape)
    d_expr = n(d) if len(shape) == 1 else f"({times(*shape)})"
    if not bias:
        return [chain(f"{label.split(' + ')[0]} (bias=False)", d_expr, total)]
    if len(shape) == 1:
        return [chain(label, f"2·{d_expr}", total)]
    return [chain(label, f"2·{d_expr}", f"2·{n(d)}", total)]


def group_stats_compute(label: str, x: Shape, affine: bool, bias: bool) -> Compute:
    """FLOPs of a norm whose statistics are taken per sample (GroupNorm, InstanceNorm: a group per channel):
    statistics, normalise, and the scale and shift with affine (:func:`paramcalc.formulas.compute.groupnorm_ops`)."""
    count, work = ops.elements(x)
    stats, normalise, scale_shift = fc.groupnorm_ops(elements=count, affine=affine, bias=bias)
    per = f"(4 + 2 + {scale_shift // count})" if scale_shift and count else "(4 + 2)"
    return ops.op(f"{label}: statistics, normalise" + (", affine" if scale_shift else ""), "norm",
                  stats + normalise + scale_shift, f"{per}·elements", f"{per}·{work}")


#: How each convention names a per-channel scale and shift: (both; the scale alone, bias=False; none,
#: affine=False).
AFFINE_WORDS = {
    "pytorch": ("weight γ + bias β", "weight γ only (bias=False)", "no weight or bias (affine=False)"),
    "keras": ("gamma + beta", "gamma only (center=False for bias=False)",
              "no gamma or beta (center=False, scale=False for affine=False)"),
    "textbook": ("γ + β", "γ only (bias=False)", "no γ or β (affine=False)"),
}


def affine_lines(convention: str, channels: int, affine: bool, bias: bool, total: int) -> list[str]:
    """The worked count of a per-channel scale and shift (BatchNorm, InstanceNorm, GroupNorm)."""
    words = AFFINE_WORDS[convention]
    if not affine:
        return [chain(words[2], total)]
    if not bias:
        return [chain(words[1], total)]
    return [chain(words[0], f"2·{n(channels)}", total)]


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
BATCHNORM_FAMILY = Family(
    "batchnorm", "Batch normalisation (BatchNorm1d/2d/3d, BatchNormalization)",
    ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "BatchNormalization"),
    {
        "pytorch": "2·C (weight γ, bias β if affine; C with bias=False); buffers apart: 2·C + 1 "
                   "(running_mean, running_var, num_batches_tracked)",
        "keras": "2·C trainable (gamma, beta; C with only one) + 2·C non-trainable "
                 "(moving_mean, moving_variance)",
        "textbook": "2·C (γ and β; C for γ alone)",
    },
    "output = input",
    "C = num_features (channels)",
)

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
GROUPNORM_FAMILY = Family(
    "groupnorm", "Group normalisation (GroupNorm, GroupNormalization)",
    ("GroupNorm", "GroupNormalization"),
    {
        "pytorch": "2·C (weight γ and bias β per channel if affine; C with bias=False); no buffers",
        "keras": "2·C (gamma if scale, beta if center)",
        "textbook": "2·C (γ and β)",
    },
    "output = input (N, C, *); num_groups must divide C",
    "C = num_channels, G = num_groups (statistics per sample and group)",
)


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
LAYERNORM_FAMILY = Family(
    "layernorm", "Layer normalisation (LayerNorm, LayerNormalization)",
    ("LayerNorm", "LayerNormalization"),
    {
        "pytorch": "2·d with d = prod(normalized_shape) (weight, bias); d without bias; "
                   "0 without elementwise_affine",
        "keras": "2·d (gamma, beta) over the normalised axes",
        "textbook": "2·d (γ and β)",
    },
    "output = input",
    "d = number of normalised values",
)


class _ChannelScaleShift:
    """The textbook's γ and β per channel of BatchNorm, InstanceNorm and GroupNorm: C each with affine, γ
    alone with bias=False (as the notes' rule counts one of them). For specs with ``affine``, ``bias``
    and a ``_channels()`` method; put before LayerSpec among the bases."""

    def _textbook_count(self, shapes: Any) -> Count:
        return Count(tb.batchnorm_params(channels=self._channels(), scale=self.affine,
                                         center=self.affine and self.bias))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        return norm_tensors((self._channels(),), self.affine, self.affine and self.bias)


class _RunningStatsNorm(_ChannelScaleShift, LayerSpec):
    """What BatchNorm and InstanceNorm share: torch's ``_NormBase`` arguments (num_features, eps, momentum,
    affine, track_running_stats, bias), a scale and shift per channel when affine, and the running
    statistics as buffers when tracked. Each family states its defaults, its eps rule and its shapes."""

    infer_field: ClassVar[str | None] = "num_features"
    #: torch's functional form, named when no input could work
    functional: ClassVar[str]
    num_features: NonNegInt | None = None
    eps: float = 1e-5  # torch's instance_norm takes any eps, 0 included (BatchNorm narrows it)
    momentum: float | None = 0.1  # torch takes any value (or None: a cumulative average)
    affine: StrictBool = True
    track_running_stats: StrictBool = True
    bias: Annotated[StrictBool, Field(description="learn the shift (beta) when affine; keyword-only in torch")] = True
    keyword_only: ClassVar[tuple[str, ...]] = ("bias",)

    @model_validator(mode="after")
    def _check(self) -> "_RunningStatsNorm":
        if self.num_features == 0 and self.affine:
            raise self._fail(
                f"num_features must be >= 1 when affine=True (torch's {self.functional} fails on every input)",
                num_features=0, affine=True,
            )
        return self

    def _pytorch_tensors(self) -> list[Tensor]:
        c = self.num_features
        out = tt.scale_and_shift(c, self.affine, self.bias)
        if self.track_running_stats:
            out += [
                tt.buffer("running_mean", (c,), "running mean per channel (buffer)"),
                tt.buffer("running_var", (c,), "running variance per channel (buffer)"),
                tt.buffer("num_batches_tracked", (), "batches seen (buffer)"),
            ]
        return out

    def _channels(self) -> int:
        return self.num_features

    def _worked_params(self, convention: str) -> list[str]:
        c = self.num_features
        count = self._textbook_count(()) if convention == "textbook" else self._pytorch_count()
        lines = []
        if convention == "pytorch" and self.track_running_stats:
            lines.append(chain(
                "buffers, not parameters (running_mean, running_var, num_batches_tracked)",
                f"{n(c)} + {n(c)} + 1", count.buffers,
            ))
        return [*lines, *affine_lines(convention, c, self.affine, self.bias, count.trainable)]


class _BatchNorm(_RunningStatsNorm):

    family = BATCHNORM_FAMILY
    nd: ClassVar[int] = 2
    functional: ClassVar[str] = "batch_norm"
    eps: Annotated[float, Field(gt=0.0)] = 1e-5  # torch's batch_norm refuses eps <= 0 in training

    def _check_rank(self, shape: Shape) -> None:
        ranks = {1: (2, 3), 2: (4,), 3: (5,)}[self.nd]
        if len(shape) not in ranks:
            wanted = " or ".join(f"{r}D" for r in ranks)
            raise SpecError(f"{self.name}: expected {wanted} input, got {len(shape)}D. Received: input_shape={shape}")

    def _infer_value(self, shape: Shape) -> Any:
        self._check_rank(shape)
        return shape[1]

    def _pytorch_count(self) -> Count:
        return Count(
            f.batchnorm_params(num_features=self.num_features, affine=self.affine, bias=self.bias),
            buffers=f.batchnorm_buffers(num_features=self.num_features, track_running_stats=self.track_running_stats),
        )

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        self._check_rank(x)
        # torch checks the channels against its weights or running statistics (if it has any),
        # and only for an input with elements.
        if (self.affine or self.track_running_stats) and prod(x) > 0 and x[1] != self.num_features:
            raise SpecError(
                f"{self.name}: expected input with num_features={self.num_features} channels, got {x[1]}. "
                f"Received: input_shape={x}"
            )
        if not self.track_running_stats and x[0] * prod(x[2:]) == 1:
            raise SpecError(
                f"{self.name}: expected more than 1 value per channel (without running statistics torch "
                f"always normalises with the batch's own). Received: input_shape={x}"
            )
        return {"output": x}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        if self.track_running_stats and x[0] * prod(x[2:]) == 1:
            values = "N" if len(x) == 2 else "N·" + {1: "L", 2: "H·W", 3: "D·H·W"}[self.nd]
            return [f"{self.name}: one value per channel ({values} = 1): torch refuses this input in training mode (\"Expected more than 1 value per channel "
                    f"when training\"); in eval mode it normalises with the running statistics"]
        return []

    def _keras_parts(self) -> list[Part]:
        layer = layer_class("keras.BatchNormalization")(
            center=self.affine and self.bias, scale=self.affine, epsilon=self.eps
        )
        return [Part("", layer, ((None, self.num_features),))]

    def _worked_params(self, convention: str) -> list[str]:
        c = self.num_features
        if convention == "keras":  # Keras counts the moving statistics as non-trainable parameters
            moving = chain("moving_mean + moving_variance (non-trainable)", f"2·{n(c)}", 2 * c)
            if not self.affine:
                return [moving]
            if not self.bias:  # Keras's BatchNormalization(center=False)
                return [chain("gamma (trainable; center=False for bias=False)", c), moving,
                        sum_line("total", [c, 2 * c], 3 * c)]
            return [chain("gamma + beta (trainable)", f"2·{n(c)}", 2 * c), moving,
                    sum_line("total", [2 * c, 2 * c], 4 * c)]
        return super()._worked_params(convention)

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return ["output = input (the layer keeps the shape)"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = ops.elements(shapes[0])
        normalise, affine = fc.batchnorm_ops(elements=count, affine=self.affine, bias=self.bias)
        if not affine:  # affine=False, or no elements
            per, what = "2", ""
        elif self.bias:
            per, what = "(2 + 2)", ", scale and shift ·γ + β"
        else:
            per, what = "(2 + 1)", ", scale ·γ (bias=False)"
        items = ops.op("normalise (x − μ)/σ" + what, "norm", normalise + affine, f"{per}·elements", f"{per}·{work}")
        return Compute(items.ops, ("BatchNorm: inference mode (running statistics)",))

class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L)."""

    summary: ClassVar[str] = "batch normalisation over (N, C) or (N, C, L)"
    nd: ClassVar[int] = 1
    example = ("BatchNorm1d(100)", "20,100")
    type: Literal["BatchNorm1d"] = "BatchNorm1d"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W)."""

    summary: ClassVar[str] = "batch normalisation over (N, C, H, W)"
    nd: ClassVar[int] = 2
    example = ("BatchNorm2d(64)", "8,64,32,32")
    type: Literal["BatchNorm2d"] = "BatchNorm2d"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W)."""

    summary: ClassVar[str] = "batch normalisation over (N, C, D, H, W)"
    nd: ClassVar[int] = 3
    example = ("BatchNorm3d(100)", "20,100,35,45,10")
    type: Literal["BatchNorm3d"] = "BatchNorm3d"


class LayerNorm(LayerSpec):
    """Layer normalisation over the last dimensions (normalized_shape)."""

    family = LAYERNORM_FAMILY

    summary: ClassVar[str] = "layer normalisation over the trailing normalized_shape"
    infer_field: ClassVar[str | None] = "normalized_shape"
    example = ("LayerNorm(512)", "32,10,512")
    type: Literal["LayerNorm"] = "LayerNorm"
    normalized_shape: tuple[NonNegInt, ...] | None = None
    eps: float = 1e-5  # torch's layer_norm takes any eps, 0 included
    elementwise_affine: StrictBool = True
    bias: StrictBool = True

    @field_validator("normalized_shape", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return (value,)
        if isinstance(value, list):
            return tuple(value)
        return value

    @model_validator(mode="after")
    def _check(self) -> "LayerNorm":
        if self.normalized_shape is not None and len(self.normalized_shape) == 0:
            raise self._fail("normalized_shape must have at least one dimension", normalized_shape=())
        return self

    def _infer_value(self, shape: Shape) -> Any:
        if not shape:
            raise SpecError(f"{self.name}: cannot infer normalized_shape from a 0-dimensional input")
        return (shape[-1],)

    def _pytorch_tensors(self) -> list[Tensor]:
        return tt.layer_norm("", self.normalized_shape, self.elementwise_affine, self.bias)

    def _pytorch_count(self) -> Count:
        return Count(f.layernorm_params(
            normalized_shape=self.normalized_shape, elementwise_affine=self.elementwise_affine, bias=self.bias
        ))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        d = len(self.normalized_shape)
        if x[len(x) - d:] != self.normalized_shape or len(x) < d:
            raise SpecError(
                f"LayerNorm: expected input with shape [*, {', '.join(map(str, self.normalized_shape))}]. "
                f"Received: input_shape={x}"
            )
        return {"output": x}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self) -> list[Part]:
        d = len(self.normalized_shape)
        axis = -1 if d == 1 else tuple(range(-d, 0))
        affine = self.elementwise_affine
        layer = layer_class("keras.LayerNormalization")(
            axis=axis, epsilon=self.eps, scale=affine, center=affine and self.bias
        )
        return [Part("", layer, ((None, *self.normalized_shape),))]

    def _textbook_count(self, shapes: Any) -> Count:
        affine = self.elementwise_affine
        return Count(tb.layernorm_params(normalized_shape=self.normalized_shape, scale=affine,
                                         center=affine and self.bias))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        affine = self.elementwise_affine
        return norm_tensors(self.normalized_shape, affine, affine and self.bias)

    def _worked_params(self, convention: str) -> list[str]:
        label = "γ + β" if convention == "textbook" else "weight + bias"
        return layernorm_lines(label, self.normalized_shape, self.elementwise_affine, self.bias)

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return ["output = input (the layer keeps the shape)"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = ops.elements(shapes[0])
        return ops.layernorm_ops(count, work, self.elementwise_affine, self.bias)


class GroupNorm(_ChannelScaleShift, LayerSpec):
    """Group normalisation over (N, C, *): num_groups groups of channels, each normalised on its own.

    Each group is normalised over its channels and every position of a sample; with affine, a scale
    (weight) and a shift (bias) per channel follow.
    """

    family = GROUPNORM_FAMILY

    summary: ClassVar[str] = "group normalisation over (N, C, *), num_groups groups of channels"
    infer_field: ClassVar[str | None] = "num_channels"
    example = ("GroupNorm(32, 256)", "8,256,32,32")
    type: Literal["GroupNorm"] = "GroupNorm"
    num_groups: PosInt  # torch refuses 0 when built and a negative number on every input
    num_channels: NonNegInt | None = None
    eps: float = 1e-5  # torch's group_norm takes any eps, 0 included
    affine: StrictBool = True
    bias: Annotated[StrictBool, Field(description="learn the shift (beta) when affine; keyword-only in torch")] = True
    keyword_only: ClassVar[tuple[str, ...]] = ("bias",)

    @model_validator(mode="after")
    def _check(self) -> "GroupNorm":
        if self.num_channels is not None and self.num_channels % self.num_groups:
            raise self._fail(
                "num_channels must be divisible by num_groups",
                num_channels=self.num_channels, num_groups=self.num_groups,
            )
        return self

    def _check_rank(self, shape: Shape) -> None:
        if len(shape) < 2:
            raise SpecError(
                f"{self.name}: expected at least 2D input (N, C, *), got {len(shape)}D. Received: input_shape={shape}"
            )

    def _infer_value(self, shape: Shape) -> Any:
        self._check_rank(shape)
        return shape[1]

    def _pytorch_tensors(self) -> list[Tensor]:
        return tt.scale_and_shift(self.num_channels, self.affine, self.bias)

    def _pytorch_count(self) -> Count:
        return Count(f.groupnorm_params(
            num_groups=self.num_groups, num_channels=self.num_channels, affine=self.affine, bias=self.bias
        ))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        g = self.num_groups
        self._check_rank(x)
        # torch's checks, in its order: values per group (F.group_norm), then the channels
        if x[0] * x[1] // g * prod(x[2:]) == 1:
            raise SpecError(
                f"{self.name}: expected more than 1 value per group (torch checks that "
                f"N·C/num_groups·prod(spatial) > 1). Received: input_shape={x}, num_groups={g}"
            )
        if x[1] % g:
            raise SpecError(
                f"{self.name}: expected input channels divisible by num_groups={g}, got {x[1]}. "
                f"Received: input_shape={x}"
            )
        if self.affine and x[1] != self.num_channels:  # without affine torch has no weight to check against
            raise SpecError(
                f"{self.name}: expected input with num_channels={self.num_channels} channels, got {x[1]}. "
                f"Received: input_shape={x}"
            )
        return {"output": x}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self) -> list[Part]:
        layer = layer_class("keras.GroupNormalization")(
            groups=self.num_groups, axis=-1, epsilon=self.eps, center=self.affine and self.bias, scale=self.affine
        )
        return [Part("", layer, ((None, self.num_channels),))]

    def _channels(self) -> int:
        return self.num_channels

    def _worked_params(self, convention: str) -> list[str]:
        c = self.num_channels
        total = f.groupnorm_params(num_groups=self.num_groups, num_channels=c, affine=self.affine, bias=self.bias)
        return affine_lines(convention, c, self.affine, self.bias, total)

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        x = shapes[0]
        g = self.num_groups
        return [f"channels: {x[1]} in {g} groups of {x[1] // g}, each normalised over its channels and positions",
                "output = input (the layer keeps the shape)"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return group_stats_compute("GroupNorm", shapes[0], self.affine, self.bias)
