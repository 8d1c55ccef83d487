"""Activations (ReLU and its variants, GELU, Tanh, Sigmoid, Softmax, LogSoftmax, PReLU): specs and their compute.

All but PReLU are without parameters; PReLU learns one slope, or one per channel."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas.activation import prelu_output_shape, prelu_params
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.ops as ops
from paramcalc.specs.base import LayerSpec, NonNegInt, Shape, StrictBool, _ParameterFree
from paramcalc.specs.parts import Part
from paramcalc.specs.working import chain, Family


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


class ReLU6(_Activation):
    """min(max(0, x), 6)."""

    summary: ClassVar[str] = "activation min(max(0, x), 6) (no parameters)"
    what: ClassVar[str] = "min(max(0, x), 6)"
    example = ("ReLU6()", "32,100")
    type: Literal["ReLU6"] = "ReLU6"
    inplace: StrictBool = False


class LeakyReLU(_Activation):
    """max(0, x) + negative_slope·min(0, x)."""

    summary: ClassVar[str] = "activation max(0, x) + negative_slope·min(0, x) (no parameters)"
    what: ClassVar[str] = "max(0, x) + a·min(0, x)"
    example = ("LeakyReLU(0.2)", "32,100")
    type: Literal["LeakyReLU"] = "LeakyReLU"
    negative_slope: float = 0.01
    inplace: StrictBool = False


class ELU(_Activation):
    """x for x > 0, alpha·(eˣ − 1) otherwise."""

    summary: ClassVar[str] = "activation x, or alpha·(eˣ − 1) below 0 (no parameters)"
    what: ClassVar[str] = "x or α·(eˣ − 1)"
    example = ("ELU()", "32,100")
    type: Literal["ELU"] = "ELU"
    alpha: float = 1.0
    inplace: StrictBool = False


class SELU(_Activation):
    """scale·ELU(x) with the fixed self-normalising alpha and scale."""

    summary: ClassVar[str] = "activation scale·ELU(x), fixed constants (no parameters)"
    what: ClassVar[str] = "λ·ELU(x)"
    example = ("SELU()", "32,100")
    type: Literal["SELU"] = "SELU"
    inplace: StrictBool = False


class SiLU(_Activation):
    """x·σ(x) (swish)."""

    summary: ClassVar[str] = "activation x·σ(x), swish (no parameters)"
    what: ClassVar[str] = "x·σ(x)"
    example = ("SiLU()", "32,100")
    type: Literal["SiLU"] = "SiLU"
    inplace: StrictBool = False


class Mish(_Activation):
    """x·tanh(softplus(x))."""

    summary: ClassVar[str] = "activation x·tanh(softplus(x)) (no parameters)"
    what: ClassVar[str] = "x·tanh(softplus(x))"
    example = ("Mish()", "32,100")
    type: Literal["Mish"] = "Mish"
    inplace: StrictBool = False


class Hardswish(_Activation):
    """x·ReLU6(x + 3)/6 (MobileNetV3)."""

    summary: ClassVar[str] = "activation x·ReLU6(x + 3)/6 (no parameters)"
    what: ClassVar[str] = "x·ReLU6(x + 3)/6"
    example = ("Hardswish()", "32,100")
    type: Literal["Hardswish"] = "Hardswish"
    inplace: StrictBool = False


class Hardsigmoid(_Activation):
    """ReLU6(x + 3)/6 (MobileNetV3)."""

    summary: ClassVar[str] = "activation ReLU6(x + 3)/6 (no parameters)"
    what: ClassVar[str] = "ReLU6(x + 3)/6"
    example = ("Hardsigmoid()", "32,100")
    type: Literal["Hardsigmoid"] = "Hardsigmoid"
    inplace: StrictBool = False


class _Softmax(_ParameterFree):
    """Softmax or its logarithm along dim."""

    what: ClassVar[str] = "softmax (exp, sum, divide)"
    dim: Annotated[int, Field(strict=True)] | None = None

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        rank = max(len(x), 1)
        if self.dim is not None and not -rank <= self.dim < rank:
            raise SpecError(
                f"{self.name}: dim out of range (expected to be in [{-rank}, {rank - 1}]). "
                f"Received: dim={self.dim}, input_shape={x}"
            )
        return {"output": x}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        if self.dim is None:
            return [f"{self.name}: dim=None makes torch pick the dimension itself (0 for a 0D, 1D or 3D input, "
                    f"else 1) and warn that the implicit choice is deprecated; give dim"]
        return []

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = ops.elements(shapes[0])
        return ops.op(self.what, "softmax", fc.softmax_ops(elements=count), "3·elements", f"3·{work}")


class Softmax(_Softmax):
    """Softmax along dim."""

    summary: ClassVar[str] = "softmax along dim (no parameters)"
    example = ("Softmax(dim=1)", "32,10")
    type: Literal["Softmax"] = "Softmax"


class LogSoftmax(_Softmax):
    """The logarithm of the softmax along dim."""

    summary: ClassVar[str] = "log of the softmax along dim (no parameters)"
    what: ClassVar[str] = "log-softmax (exp, sum, log-subtract)"
    example = ("LogSoftmax(dim=1)", "32,10")
    type: Literal["LogSoftmax"] = "LogSoftmax"


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
PRELU_FAMILY = Family(
    "prelu", "Parametric ReLU (PReLU)", ("PReLU",),
    {
        "pytorch": "num_parameters: 1 (one shared slope) or C (one slope per channel)",
        "keras": "one alpha per value of the axes not shared: C with shared_axes over the spatial axes",
        "textbook": "C (one slope a per channel), or 1",
    },
    "output = input; with num_parameters C > 1 the input's dimension 1 (the channels) must be C",
    "C = channels (dimension 1 of an (N, C, *) input)",
)


class PReLU(LayerSpec):
    """max(0, x) + a·min(0, x) with a learned slope a, shared or one per channel."""

    family = PRELU_FAMILY
    summary: ClassVar[str] = "activation max(0, x) + a·min(0, x), learned slope a (1 or one per channel)"
    example = ("PReLU(64)", "8,64,32,32")
    type: Literal["PReLU"] = "PReLU"
    num_parameters: NonNegInt = 1
    init: float = 0.25

    def _pytorch_count(self) -> Count:
        return Count(prelu_params(num_parameters=self.num_parameters))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": prelu_output_shape(input_shape=shapes[0], num_parameters=self.num_parameters)}

    def _keras_parts(self) -> list[Part]:
        c = self.num_parameters
        alpha = Tensor("alpha", (c,), "trainable",
                       "keras.layers.PReLU alpha, shared over every axis but the channels' ((1, …, 1, C) in Keras)")
        return [Part("p_re_lu", None, (), raw=(alpha,))]

    def _textbook_count(self, shapes: object) -> Count:
        return Count(self.num_parameters)

    def _textbook_tensors(self, shapes: object) -> list[Tensor]:
        return [Tensor("a", (self.num_parameters,), "trainable", "one learned slope per channel (or one shared)")]

    def _worked_params(self, convention: str) -> list[str]:
        return [chain("weight", f"num_parameters = {self.num_parameters}",
                      prelu_params(num_parameters=self.num_parameters))]

    def _worked_shape(self, shapes: object, outputs: dict[str, Shape]) -> list[str]:
        return ["output = input (the layer keeps the shape)"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = ops.elements(shapes[0])
        return ops.op("PReLU max(0, x) + a·min(0, x)", "activation", fc.activation_ops(elements=count), "elements", work)
