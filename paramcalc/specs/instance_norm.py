"""Instance normalisation (InstanceNorm1d/2d/3d): specs and their arithmetic."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import Any, ClassVar, Literal

from paramcalc import formulas as f
from paramcalc.errors import SpecError
from paramcalc.results import Compute, Count
from paramcalc.specs.base import Shape, StrictBool
from paramcalc.specs.norm import _RunningStatsNorm, group_stats_compute
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import Family

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
INSTANCENORM_FAMILY = Family(
    "instancenorm", "Instance normalisation (InstanceNorm1d/2d/3d)",
    ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"),
    {
        "pytorch": "0 by default; 2·C with affine=True (weight γ, bias β; C with bias=False); buffers apart: "
                   "2·C + 1 with track_running_stats=True (running_mean, running_var, num_batches_tracked)",
        "keras": "2·C (gamma, beta of GroupNormalization(groups=-1)) with affine, else 0; "
                 "no Keras layer keeps running statistics of an instance norm",
        "textbook": "2·C (γ and β) with affine, else 0",
    },
    "output = input ((N, C, *) or unbatched (C, *))",
    "C = num_features (channels; statistics per sample and channel)",
)


class _InstanceNorm(_RunningStatsNorm):

    family = INSTANCENORM_FAMILY
    nd: ClassVar[int] = 2
    functional: ClassVar[str] = "instance_norm"
    affine: StrictBool = False
    track_running_stats: StrictBool = False

    def _check_rank(self, shape: Shape) -> None:
        if len(shape) not in (self.nd + 1, self.nd + 2):
            raise SpecError(
                f"{self.name}: expected {self.nd + 1}D (unbatched) or {self.nd + 2}D input, got {len(shape)}D. "
                f"Received: input_shape={shape}"
            )

    def _channel_dim(self, shape: Shape) -> int:
        return 0 if len(shape) == self.nd + 1 else 1

    def _infer_value(self, shape: Shape) -> Any:
        self._check_rank(shape)
        return shape[self._channel_dim(shape)]

    def _pytorch_count(self) -> Count:
        return Count(
            f.instancenorm_params(num_features=self.num_features, affine=self.affine, bias=self.bias),
            buffers=f.instancenorm_buffers(num_features=self.num_features,
                                           track_running_stats=self.track_running_stats),
        )

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        self._check_rank(x)
        batch = (1, *x) if len(x) == self.nd + 1 else x  # torch adds the batch of an unbatched input
        c = batch[1]
        if self.affine and c != self.num_features:
            raise SpecError(
                f"{self.name}: expected input with num_features={self.num_features} channels, got {c}. "
                f"Received: input_shape={x}"
            )
        if self.affine and batch[0] == 0:  # torch repeats the weight over the batch and fails on an empty one
            raise SpecError(f"{self.name}: expected a non-empty batch when affine=True. Received: input_shape={x}")
        # the running statistics, one per channel, must match the channels, even for an empty batch
        if self.track_running_stats and c != self.num_features:
            raise SpecError(
                f"{self.name}: expected input with num_features={self.num_features} channels (the running "
                f"statistics are per channel), got {c}. Received: input_shape={x}"
            )
        if not self.track_running_stats and prod(batch[2:]) == 1:
            raise SpecError(
                f"{self.name}: expected more than 1 spatial element (each sample and channel is normalised "
                f"over its own positions). Received: input_shape={x}"
            )
        return {"output": x}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        batch = (1, *x) if len(x) == self.nd + 1 else x
        if self.track_running_stats and prod(batch[2:]) == 1:
            return [f"{self.name}: one spatial element per channel: torch refuses this input in training mode "
                    "(\"Expected more than 1 spatial element when training\"); in eval mode it normalises with the "
                    "running statistics"]
        return []

    def _keras_parts(self) -> list[Part]:
        if self.track_running_stats:
            raise SpecError(
                f"{self.name}: no Keras layer keeps running statistics of an instance norm "
                "(GroupNormalization(groups=-1) normalises each sample on its own). Received: track_running_stats=True"
            )
        layer = layer_class("keras.GroupNormalization")(
            groups=-1, axis=-1, epsilon=self.eps, center=self.affine and self.bias, scale=self.affine
        )
        return [Part("", layer, ((None, self.num_features),))]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return ["each sample and channel normalised over its own positions",
                "output = input (the layer keeps the shape)"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return group_stats_compute("InstanceNorm", shapes[0], self.affine, self.bias)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation over (N, C, L) or unbatched (C, L)."""

    summary: ClassVar[str] = "instance normalisation over (N, C, L) or (C, L)"
    nd: ClassVar[int] = 1
    example = ("InstanceNorm1d(100)", "20,100,40")
    type: Literal["InstanceNorm1d"] = "InstanceNorm1d"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation over (N, C, H, W) or unbatched (C, H, W)."""

    summary: ClassVar[str] = "instance normalisation over (N, C, H, W) or (C, H, W)"
    nd: ClassVar[int] = 2
    example = ("InstanceNorm2d(100)", "20,100,35,45")
    type: Literal["InstanceNorm2d"] = "InstanceNorm2d"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation over (N, C, D, H, W) or unbatched (C, D, H, W)."""

    summary: ClassVar[str] = "instance normalisation over (N, C, D, H, W) or (C, D, H, W)"
    nd: ClassVar[int] = 3
    example = ("InstanceNorm3d(100)", "20,100,35,45,10")
    type: Literal["InstanceNorm3d"] = "InstanceNorm3d"
