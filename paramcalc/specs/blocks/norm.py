"""RMSNorm (``torch.nn.RMSNorm``): a scale per normalised feature and no shift, as LLaMA uses it."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Any, ClassVar, Literal

from pydantic import field_validator, model_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import blocks as fb
from paramcalc.formulas import textbook as tb
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.ops as ops
from paramcalc.specs.base import LayerSpec, NonNegInt, StrictBool
from paramcalc.specs.blocks._common import Eps, Shape, normalized, t
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import Family

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
RMSNORM_FAMILY = Family(
    "rmsnorm", "RMS normalisation (RMSNorm, RMSNormalization)", ("RMSNorm", "RMSNormalization"),
    {
        "pytorch": "prod(normalized_shape) (one scale per normalised value, no shift; 0 without elementwise_affine)",
        "keras": "prod of the normalised axes' sizes (scale only)",
        "textbook": "d (one scale per feature)",
    },
    "output = input",
    "d = the normalised size (normalized_shape, the last dimension for LLaMA)",
)


class RMSNorm(LayerSpec):
    """Root-mean-square normalisation over the trailing normalized_shape (``torch.nn.RMSNorm``)."""

    family = RMSNORM_FAMILY
    summary: ClassVar[str] = "RMS normalisation: a scale per feature, no shift (LLaMA)"
    infer_field: ClassVar[str | None] = "normalized_shape"
    example = ("RMSNorm(4096)", "1,16,4096")
    type: Literal["RMSNorm"] = "RMSNorm"
    normalized_shape: tuple[NonNegInt, ...] | None = None
    eps: Eps | None = None
    elementwise_affine: StrictBool = True

    @field_validator("normalized_shape", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        return normalized(value)

    @model_validator(mode="after")
    def _check(self) -> "RMSNorm":
        if self.normalized_shape is not None and len(self.normalized_shape) == 0:
            raise self._fail("normalized_shape must have at least one dimension", normalized_shape=())
        return self

    def _infer_value(self, shape: Shape) -> Shape:
        if not shape:
            raise SpecError(f"{self.name}: cannot infer normalized_shape from a 0-dimensional input")
        return (shape[-1],)

    def _pytorch_count(self) -> Count:
        return Count(fb.rmsnorm_params(normalized_shape=self.normalized_shape, elementwise_affine=self.elementwise_affine))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        n = len(self.normalized_shape)
        if len(x) < n or x[len(x) - n:] != self.normalized_shape:
            raise SpecError(
                f"RMSNorm: expected input with shape [*, {', '.join(map(str, self.normalized_shape))}]. "
                f"Received: input_shape={x}"
            )
        return {"output": x}

    def _keras_parts(self) -> list[Part]:
        if not self.elementwise_affine:
            raise SpecError(
                "RMSNorm: Keras RMSNormalization always has a scale; no Keras equivalent. "
                "Received: elementwise_affine=False"
            )
        n = len(self.normalized_shape)
        axis = -1 if n == 1 else tuple(range(-n, 0))
        layer = layer_class("keras.RMSNormalization")(axis=axis, **({} if self.eps is None else {"epsilon": self.eps}))
        return [Part("", layer, ((None, *self.normalized_shape),))]

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        return Count(tb.rmsnorm_params(normalized_shape=self.normalized_shape) if self.elementwise_affine else 0)

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        return [t("gamma", self.normalized_shape, "scale")] if self.elementwise_affine else []

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        n, work = ops.elements(shapes[0])
        return ops.rmsnorm_ops(n, work, self.elementwise_affine)
