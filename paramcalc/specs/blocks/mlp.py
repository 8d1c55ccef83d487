"""Feed-forward blocks: Linear, activation, Linear (``fc1``, ``fc2``) and the gated SwiGLU (LLaMA, PaLM)."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Any, ClassVar, Literal

from paramcalc.formulas import blocks as fb
from paramcalc.formulas import textbook as tb
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.ops as ops
from paramcalc.specs.base import LayerSpec, PosInt, Probability, StrictBool
from paramcalc.specs.blocks._common import Shape, dense, last_dim, mlp_parts, swiglu_tensors
from paramcalc.specs.parts import Part
from paramcalc.specs.working import Family


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
FEED_FORWARD_FAMILY = Family(
    "feed_forward", "Feed-forward blocks (FeedForward, SwiGLU)", ("FeedForward", "SwiGLU"),
    {
        "pytorch": "FeedForward: I·F + F + F·O + O (biases if bias); SwiGLU: 2·I·F + F·O (gate, up, down; "
                   "+ 2·F + O with bias)",
        "keras": "the same kernels and biases as Dense layers",
        "textbook": "2·d·d_ff (no biases); SwiGLU 3·d·d_ff",
    },
    "(*, I) → (*, O)",
    "I = in_features (d), F = hidden_features (d_ff), O = out_features (default I)",
)

class _FeaturesBlock(LayerSpec):
    """A block from in_features to outputs along the last dimension."""

    @property
    def outputs(self) -> int:
        """Output features (in_features unless out_features is given)."""
        return self.in_features if self.out_features is None else self.out_features

    def _infer_value(self, shape: Shape) -> int:
        return last_dim(self, shape)

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": fb.features_output_shape(
            input_shape=shapes[0], in_features=self.in_features, out_features=self.outputs, layer=self.name)}


class FeedForward(_FeaturesBlock):
    """Two-layer feed-forward: Linear(in, hidden), activation, Linear(hidden, out)."""

    family = FEED_FORWARD_FAMILY
    summary: ClassVar[str] = "feed-forward: Linear, activation, Linear (fc1, fc2)"
    infer_field: ClassVar[str | None] = "in_features"
    example = ("FeedForward(768, 3072)", "1,16,768")
    type: Literal["FeedForward"] = "FeedForward"
    in_features: PosInt | None = None
    hidden_features: PosInt
    out_features: PosInt | None = None
    bias: StrictBool = True
    #: gelu_new: GELU's tanh form as Hugging Face's NewGELUActivation computes it (GPT-2), op by op
    activation: Literal["gelu", "gelu_tanh", "gelu_new", "relu", "silu", "tanh"] = "gelu"
    dropout: Probability = 0.0

    def _pytorch_count(self) -> Count:
        return Count(fb.mlp_params(
            in_features=self.in_features, hidden_features=self.hidden_features,
            out_features=self.out_features, bias=self.bias,
        ))

    def _keras_parts(self) -> list[Part]:
        return mlp_parts("", self.in_features, self.hidden_features, self.outputs, self.bias, gated=False)

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        return Count(tb.feed_forward_params(
            d_model=self.in_features, dim_feedforward=self.hidden_features, out_features=self.outputs))

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        return (dense("", self.in_features, self.hidden_features, False, "feed-forward expansion", "_1")
                + dense("", self.hidden_features, self.outputs, False, "feed-forward contraction", "_2"))

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return ops.mlp(shapes[0], self.in_features, self.hidden_features, self.outputs, self.bias, self.activation)


class SwiGLU(_FeaturesBlock):
    """Gated feed-forward: down_proj(silu(gate_proj(x)) · up_proj(x)) (LLaMA, PaLM)."""

    family = FEED_FORWARD_FAMILY
    summary: ClassVar[str] = "gated SwiGLU feed-forward: gate, up and down projections"
    infer_field: ClassVar[str | None] = "in_features"
    example = ("SwiGLU(4096, 11008)", "1,16,4096")
    type: Literal["SwiGLU"] = "SwiGLU"
    in_features: PosInt | None = None
    hidden_features: PosInt
    out_features: PosInt | None = None
    bias: StrictBool = False

    def _pytorch_count(self) -> Count:
        return Count(fb.swiglu_params(
            in_features=self.in_features, hidden_features=self.hidden_features,
            out_features=self.out_features, bias=self.bias,
        ))

    def _keras_parts(self) -> list[Part]:
        return mlp_parts("", self.in_features, self.hidden_features, self.outputs, self.bias, gated=True)

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        return Count(tb.swiglu_params(
            d_model=self.in_features, dim_feedforward=self.hidden_features, out_features=self.outputs))

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        return swiglu_tensors("", self.in_features, self.hidden_features, self.outputs)

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return ops.swiglu(shapes[0], self.in_features, self.hidden_features, self.outputs, self.bias)
