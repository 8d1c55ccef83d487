"""Activations (ReLU, GELU, Tanh, Sigmoid, Softmax): specs without parameters and their compute."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.results import Compute
import paramcalc.specs.ops as ops
from paramcalc.specs.base import Shape, StrictBool, _ParameterFree


class _Activation(_ParameterFree):
    #: What the activation computes, as its compute item names it.
    what: ClassVar[str] = ""

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": shapes[0]}

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = ops.elements(shapes[0])
        return ops.op(f"{self.name} {self.what}", "activation", fc.activation_ops(elements=count), "elements", work)


class ReLU(_Activation):
    """max(0, x)."""

    summary: ClassVar[str] = "activation max(0, x) (no parameters)"
    what: ClassVar[str] = "max(0, x)"
    example = ("ReLU()", "32,100")
    type: Literal["ReLU"] = "ReLU"
    inplace: StrictBool = False


class GELU(_Activation):
    """Gaussian error linear unit."""

    summary: ClassVar[str] = "activation x·Φ(x) (no parameters)"
    what: ClassVar[str] = "x·Φ(x)"
    example = ("GELU()", "32,100")
    type: Literal["GELU"] = "GELU"
    approximate: Literal["none", "tanh"] = "none"


class Tanh(_Activation):
    """Hyperbolic tangent."""

    summary: ClassVar[str] = "activation tanh(x) (no parameters)"
    what: ClassVar[str] = "tanh(x)"
    example = ("Tanh()", "32,100")
    type: Literal["Tanh"] = "Tanh"


class Sigmoid(_Activation):
    """Logistic sigmoid."""

    summary: ClassVar[str] = "activation 1/(1+e^−x) (no parameters)"
    what: ClassVar[str] = "1/(1+e^−x)"
    example = ("Sigmoid()", "32,100")
    type: Literal["Sigmoid"] = "Sigmoid"


class Softmax(_ParameterFree):
    """Softmax along dim."""

    summary: ClassVar[str] = "softmax along dim (no parameters)"
    example = ("Softmax(dim=1)", "32,10")
    type: Literal["Softmax"] = "Softmax"
    dim: Annotated[int, Field(strict=True)] | None = None

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        rank = max(len(x), 1)
        if self.dim is not None and not -rank <= self.dim < rank:
            raise SpecError(
                f"Softmax: dim out of range (expected to be in [{-rank}, {rank - 1}]). "
                f"Received: dim={self.dim}, input_shape={x}"
            )
        return {"output": x}

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = ops.elements(shapes[0])
        return ops.op("softmax (exp, sum, divide)", "softmax", fc.softmax_ops(elements=count), "3·elements", f"3·{work}")
