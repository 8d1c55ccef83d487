"""The Dropout variants (Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout): specs without parameters.

Plain ``Dropout`` lives with Linear (paramcalc.specs.linear). A channel-wise variant zeroes whole
channels: Dropout1d refuses any input but (C, L) and (N, C, L); the others refuse an input without
channels (0D, or 1D for Dropout2d) only in training mode with 0 < p < 1, and run it in eval mode, so
paramcalc gives its shape and warns.
"""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import ClassVar, Literal

from paramcalc.errors import SpecError
from paramcalc.results import Compute
from paramcalc.specs.base import Probability, Shape, StrictBool, _ParameterFree


class _Dropout(_ParameterFree):
    p: Probability = 0.5
    inplace: StrictBool = False

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        self._check_rank(x)
        return {"output": x}

    def _check_rank(self, x: Shape) -> None:
        return None

    def _training_only(self, x: Shape, least: int) -> list[str]:
        """The warning for an input torch refuses in training mode only (fewer than ``least``
        dimensions, some values, 0 < p < 1)."""
        if len(x) < least and prod(x) > 0 and 0.0 < self.p < 1.0:
            return [f"{self.name}: torch refuses a {len(x)}D input in training mode (feature dropout needs "
                    f"2 dimensions, channels included) and passes it through in eval mode"]
        return []

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute(notes=(f"{self.name}: identity at inference",))


class Dropout1d(_Dropout):
    """Zeroes whole channels of an (N, C, L) or (C, L) input with probability p."""

    summary: ClassVar[str] = "zeroes whole channels of (N, C, L) while training (no parameters)"
    example = ("nn.Dropout1d(0.2)", "32,16,100")
    type: Literal["Dropout1d"] = "Dropout1d"

    def _check_rank(self, x: Shape) -> None:
        if len(x) not in (2, 3):
            raise SpecError(f"Dropout1d: expected a 3D (batched) or 2D (unbatched) input, got {len(x)}D. "
                            f"Received: input_shape={x}")


class Dropout2d(_Dropout):
    """Zeroes whole channels of an (N, C, H, W) or (C, H, W) input with probability p."""

    summary: ClassVar[str] = "zeroes whole channels of (N, C, H, W) while training (no parameters)"
    example = ("nn.Dropout2d(0.2)", "8,64,32,32")
    type: Literal["Dropout2d"] = "Dropout2d"

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        training = self._training_only(x, 2)
        if training:
            return training
        if len(x) == 3:
            return ["Dropout2d: torch reads a 3D input as (N, C, L) and drops 1D channels (Dropout1d's "
                    "behaviour), with a warning; give (N, C, H, W)"]
        if len(x) != 4:
            return [f"Dropout2d: torch warns that a {len(x)}D input is deprecated (it expects (N, C, H, W))"]
        return []


class Dropout3d(_Dropout):
    """Zeroes whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability p."""

    summary: ClassVar[str] = "zeroes whole channels of (N, C, D, H, W) while training (no parameters)"
    example = ("nn.Dropout3d(0.2)", "4,16,8,32,32")
    type: Literal["Dropout3d"] = "Dropout3d"

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        training = self._training_only(x, 1)  # torch adds a batch dimension to a 0D-4D input
        if training:
            return training
        if len(x) not in (4, 5):
            return [f"Dropout3d: torch warns that a {len(x)}D input is deprecated (it expects (N, C, D, H, W))"]
        return []


class AlphaDropout(_Dropout):
    """Dropout that keeps the mean and variance of SELU activations."""

    summary: ClassVar[str] = "dropout keeping SELU's mean and variance (no parameters)"
    example = ("nn.AlphaDropout(0.1)", "32,100")
    type: Literal["AlphaDropout"] = "AlphaDropout"


class FeatureAlphaDropout(_Dropout):
    """AlphaDropout of whole channels."""

    summary: ClassVar[str] = "alpha dropout of whole channels (no parameters)"
    example = ("nn.FeatureAlphaDropout(0.1)", "8,64,32,32")
    type: Literal["FeatureAlphaDropout"] = "FeatureAlphaDropout"

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return self._training_only(x, 2)
