"""Instance normalisation (InstanceNorm1d/2d/3d): specs and their arithmetic."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from paramcalc import formulas as f
from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas import textbook as tb
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.torch_tensors as tt
import paramcalc.specs.ops as ops
from paramcalc.specs.base import LayerSpec, NonNegInt, Shape, StrictBool
from paramcalc.specs.norm import norm_tensors
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import chain, Family, n

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


class _InstanceNorm(LayerSpec):

    family = INSTANCENORM_FAMILY
    nd: ClassVar[int] = 2
    infer_field: ClassVar[str | None] = "num_features"
    num_features: NonNegInt | None = None
    eps: float = 1e-5  # torch's instance_norm takes any eps, 0 included
    momentum: float | None = 0.1  # torch takes any value (or None: a cumulative average)
    affine: StrictBool = False
    track_running_stats: StrictBool = False
    bias: Annotated[StrictBool, Field(description="learn the shift (beta) when affine; keyword-only in torch")] = True
    keyword_only: ClassVar[tuple[str, ...]] = ("bias",)

    @model_validator(mode="after")
    def _check(self) -> "_InstanceNorm":
        if self.num_features == 0 and self.affine:
            raise self._fail(
                "num_features must be >= 1 when affine=True (torch's instance_norm fails on every input)",
                num_features=0, affine=True,
            )
        return self

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

    def _textbook_count(self, shapes: Any) -> Count:
        return Count(tb.batchnorm_params(channels=self.num_features, scale=self.affine,
                                         center=self.affine and self.bias))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        return norm_tensors((self.num_features,), self.affine, self.affine and self.bias)

    def _worked_params(self, convention: str) -> list[str]:
        c = self.num_features
        lines = []
        if convention == "pytorch" and self.track_running_stats:
            buffers = f.instancenorm_buffers(num_features=c, track_running_stats=True)
            lines.append(chain(
                "buffers, not parameters (running_mean, running_var, num_batches_tracked)",
                f"{n(c)} + {n(c)} + 1", buffers,
            ))
        params = f.instancenorm_params(num_features=c, affine=self.affine, bias=self.bias)
        words = {
            "pytorch": ("weight γ + bias β", "weight γ only (bias=False)", "no weight or bias (affine=False)"),
            "keras": ("gamma + beta", "gamma only (center=False for bias=False)",
                      "no gamma or beta (center=False, scale=False for affine=False)"),
            "textbook": ("γ + β", "γ only (bias=False)", "no γ or β (affine=False)"),
        }[convention]
        if not self.affine:
            return [*lines, chain(words[2], params)]
        if not self.bias:
            return [*lines, chain(words[1], params)]
        return [*lines, chain(words[0], f"2·{n(c)}", params)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return ["each sample and channel normalised over its own positions",
                "output = input (the layer keeps the shape)"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = ops.elements(shapes[0])
        stats, normalise, affine = fc.groupnorm_ops(elements=count, affine=self.affine, bias=self.bias)
        per = f"(4 + 2 + {affine // count})" if affine and count else "(4 + 2)"
        return ops.op(
            "InstanceNorm: statistics, normalise" + (", affine" if affine else ""), "norm",
            stats + normalise + affine, f"{per}·elements", f"{per}·{work}",
        )


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
