"""PixelShuffle and PixelUnshuffle (sub-pixel convolution, ESPCN): specs without parameters."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import ClassVar, Literal

from paramcalc.formulas.pixel_shuffle import pixel_shuffle_output_shape, pixel_unshuffle_output_shape
from paramcalc.results import Compute
from paramcalc.specs.base import PosInt, Shape, _ParameterFree


class PixelShuffle(_ParameterFree):
    """Rearranges (*, C·r², H, W) into (*, C, H·r, W·r)."""

    summary: ClassVar[str] = "rearranges (*, C·r², H, W) into (*, C, H·r, W·r) (no parameters)"
    example = ("PixelShuffle(3)", "1,9,32,32")
    type: Literal["PixelShuffle"] = "PixelShuffle"
    upscale_factor: PosInt

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": pixel_shuffle_output_shape(input_shape=shapes[0], upscale_factor=self.upscale_factor)}

    def _worked_shape(self, shapes: object, outputs: dict[str, Shape]) -> list[str]:
        r = self.upscale_factor
        return [f"channels ÷ r² = ÷ {r * r}; height and width × r = × {r}"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute()


class PixelUnshuffle(_ParameterFree):
    """Rearranges (*, C, H·r, W·r) into (*, C·r², H, W)."""

    summary: ClassVar[str] = "rearranges (*, C, H·r, W·r) into (*, C·r², H, W) (no parameters)"
    example = ("PixelUnshuffle(2)", "1,3,64,64")
    type: Literal["PixelUnshuffle"] = "PixelUnshuffle"
    downscale_factor: PosInt

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": pixel_unshuffle_output_shape(input_shape=shapes[0], downscale_factor=self.downscale_factor)}

    def _worked_shape(self, shapes: object, outputs: dict[str, Shape]) -> list[str]:
        r = self.downscale_factor
        return [f"channels × r² = × {r * r}; height and width ÷ r = ÷ {r}"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute()
