"""LocalResponseNorm (normalisation across neighbouring channels, as in AlexNet): a spec without parameters."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import ClassVar, Literal

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.results import Compute
import paramcalc.specs.ops as ops
from pydantic import StrictInt

from paramcalc.specs.base import Shape, _ParameterFree


class LocalResponseNorm(_ParameterFree):
    """Divides each value by (k + α/size · the sum of squares over size neighbouring channels)^β."""

    summary: ClassVar[str] = "normalisation across size neighbouring channels of (N, C, *) (no parameters)"
    example = ("LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)", "8,96,55,55")
    type: Literal["LocalResponseNorm"] = "LocalResponseNorm"
    size: StrictInt  # torch refuses a size below 1 on any input with values (its pooling window)
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        if len(x) < 3:
            raise SpecError(
                f"{self.name}: expected 3D or higher input (N, C, *), got {len(x)}D. Received: input_shape={x}"
            )
        if self.size < 1 and prod(x) > 0:  # torch hands an input without values back as it is
            raise SpecError(f"{self.name}: size must be >= 1 for an input with values. Received: size={self.size}")
        return {"output": x}

    def _worked_shape(self, shapes: object, outputs: dict[str, Shape]) -> list[str]:
        return [f"each value divided by its window of {self.size} channels' squares",
                "output = input (the layer keeps the shape)"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = ops.elements(shapes[0])
        per = f"({self.size} + 4)"
        return ops.op("LocalResponseNorm: square, sum of size channels (size − 1 adds), ·α/size, + k, ^(−β), "
                      "·a_c", "norm", fc.local_response_norm_ops(elements=count, size=self.size), f"{per}·elements",
                      f"{per}·{work}")
