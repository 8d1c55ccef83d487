"""``torch.nn.TransformerDecoder`` (a stack of decoder layers) and ``torch.nn.Transformer`` (both stacks)."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Any, ClassVar, Literal

from pydantic import field_validator, model_validator

import paramcalc.specs.ops as ops
from paramcalc.errors import SpecError
from paramcalc.formulas import blocks as fb
from paramcalc.formulas import textbook as tb
from paramcalc.formulas.transformer import transformer_output_shape
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.attention import TRANSFORMER_FAMILY, TransformerDecoderLayer
from paramcalc.specs.norm import LayerNorm
from paramcalc.specs.base import LayerSpec, NonNegInt, PosInt, Probability, StrictBool
from paramcalc.specs.blocks._common import Eps, Shape, prefixed_parts, prefixed_tensors, suffix
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class


def _stack_parts(layer: LayerSpec, num_layers: int, kind: str) -> list[Part]:
    """The Keras parts of ``num_layers`` copies of ``layer``, named transformer_<kind>, transformer_<kind>_1, ..."""
    parts = layer._keras_parts()
    out: list[Part] = []
    for i in range(num_layers):
        out += prefixed_parts(parts, f"transformer_{kind}{suffix(i)}/")
    return out


def _stack_shapes(spec: LayerSpec, shapes: tuple[Shape, ...], d_model: int, batch_first: bool,
                  names: tuple[str, str]) -> Shape:
    """Check a stack's two inputs (the same width, both batched or not, one batch size); the second."""
    x = shapes[0]
    first_name, second_name = names
    second = shapes[1] if len(shapes) > 1 else x
    transformer_output_shape(input_shape=x, d_model=d_model, layer=spec.name, what=first_name)
    transformer_output_shape(input_shape=second, d_model=d_model, layer=spec.name, what=second_name)
    if len(x) != len(second):
        raise SpecError(
            f"{spec.name}: {first_name} and {second_name} must both be batched or both unbatched. "
            f"Received: {first_name}_shape={x}, {second_name}_shape={second}"
        )
    if len(x) == 3 and x[0 if batch_first else 1] != second[0 if batch_first else 1]:
        raise SpecError(
            f"{spec.name}: the batch number of {first_name} and {second_name} must be equal. "
            f"Received: {first_name}_shape={x}, {second_name}_shape={second}"
        )
    return second


class TransformerDecoder(LayerSpec):
    """A stack of num_layers copies of a decoder layer, with an optional final LayerNorm.

    Inputs: tgt and memory, as ``torch.nn.TransformerDecoder``; output: tgt's shape.
    """

    inputs: ClassVar[tuple[str, ...]] = ("tgt", "memory")

    family = TRANSFORMER_FAMILY
    summary: ClassVar[str] = "a stack of decoder layers with an optional final norm"
    example = ("TransformerDecoder(TransformerDecoderLayer(512, 8), num_layers=6)", "20,32,512;10,32,512")
    type: Literal["TransformerDecoder"] = "TransformerDecoder"
    decoder_layer: TransformerDecoderLayer
    num_layers: PosInt  # torch builds 0 layers, but its forward then fails on every input
    norm: LayerNorm | None = None

    @model_validator(mode="after")
    def _check(self) -> "TransformerDecoder":
        if self.norm is not None and self.norm.normalized_shape not in (None, (self.decoder_layer.d_model,)):
            raise self._fail(
                "norm must normalize over d_model",
                d_model=self.decoder_layer.d_model, normalized_shape=self.norm.normalized_shape,
            )
        return self

    def _final_norm(self) -> LayerSpec:
        """The final LayerNorm with its size filled in (over d_model)."""
        return self.norm.resolve((self.decoder_layer.d_model,))

    def _pytorch_count(self) -> Count:
        stack = self.decoder_layer.count() * self.num_layers
        if self.norm is None:
            return stack
        return stack + self._final_norm().count()

    def _count(self, convention: str, input_shape: Any) -> Count:
        if convention != "keras":
            return super()._count(convention, input_shape)
        stack = self.decoder_layer.count("keras") * self.num_layers  # copies differ by name only
        return stack if self.norm is None else stack + self._final_norm().count("keras")

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        layer = self.decoder_layer
        _stack_shapes(self, shapes, layer.d_model, layer.batch_first, ("tgt", "memory"))
        return {"output": shapes[0]}

    def _keras_parts(self) -> list[Part]:
        parts = _stack_parts(self.decoder_layer, self.num_layers, "decoder")
        if self.norm is not None:
            parts += [Part("layer_normalization", p.spec, p.shapes) for p in self._final_norm()._keras_parts()]
        return parts

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        return Count(self.num_layers * self.decoder_layer.count("textbook").total)

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        layer = self.decoder_layer.param_tensors("textbook")
        out = []
        for i in range(self.num_layers):
            out += prefixed_tensors(layer, f"layer{i}.")
        return out

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x = shapes[0]
        memory = shapes[1] if len(shapes) > 1 else x
        stack = ops.transformer_layer(self.decoder_layer, x, memory).times(self.num_layers, "layers")
        if self.norm is not None:  # affine and bias do not depend on the norm's size
            n, work = ops.elements(x)
            stack += ops.layernorm_ops(n, work, self.norm.elementwise_affine, self.norm.bias, "final norm")
        return stack


class Transformer(LayerSpec):
    """``torch.nn.Transformer``: encoder and decoder stacks, each with a final LayerNorm.

    Inputs: src and tgt; output: tgt's shape. No embeddings and no output projection.
    """

    inputs: ClassVar[tuple[str, ...]] = ("src", "tgt")

    family = TRANSFORMER_FAMILY
    summary: ClassVar[str] = "encoder-decoder Transformer (stacks and final norms, no embeddings)"
    example = ("Transformer()", "10,32,512;20,32,512")
    type: Literal["Transformer"] = "Transformer"
    d_model: PosInt = 512
    nhead: PosInt = 8
    num_encoder_layers: PosInt = 6  # as for TransformerDecoder: 0 layers fail on every input
    num_decoder_layers: PosInt = 6
    dim_feedforward: NonNegInt = 2048
    dropout: Probability = 0.1
    activation: Literal["relu", "gelu"] = "relu"
    layer_norm_eps: Eps = 1e-5
    batch_first: StrictBool = False
    norm_first: StrictBool = False
    bias: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "Transformer":
        if self.d_model % self.nhead:
            raise self._fail("d_model must be divisible by nhead", d_model=self.d_model, nhead=self.nhead)
        return self

    def _pytorch_count(self) -> Count:
        return Count(fb.transformer_params(
            d_model=self.d_model, num_encoder_layers=self.num_encoder_layers,
            num_decoder_layers=self.num_decoder_layers, dim_feedforward=self.dim_feedforward, bias=self.bias,
        ))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": _stack_shapes(self, shapes, self.d_model, self.batch_first, ("src", "tgt"))}

    def _keras_parts(self) -> list[Part]:
        common = {"d_model": self.d_model, "nhead": self.nhead, "dim_feedforward": self.dim_feedforward,
                  "layer_norm_eps": self.layer_norm_eps, "bias": self.bias}
        norm = layer_class("LayerNorm")(self.d_model, eps=self.layer_norm_eps, bias=self.bias)._keras_parts()[0].spec
        seq = ((None, None, self.d_model),)
        parts = _stack_parts(layer_class("TransformerEncoderLayer")(**common), self.num_encoder_layers, "encoder")
        parts.append(Part("layer_normalization", norm, seq))
        parts += _stack_parts(layer_class("TransformerDecoderLayer")(**common), self.num_decoder_layers, "decoder")
        parts.append(Part("layer_normalization_1", norm, seq))
        return parts

    def _count(self, convention: str, input_shape: Any) -> Count:
        if convention != "keras":
            return super()._count(convention, input_shape)
        common = {"d_model": self.d_model, "nhead": self.nhead, "dim_feedforward": self.dim_feedforward,
                  "layer_norm_eps": self.layer_norm_eps, "bias": self.bias}
        norm = layer_class("LayerNorm")(self.d_model, eps=self.layer_norm_eps, bias=self.bias).count("keras")
        enc = layer_class("TransformerEncoderLayer")(**common).count("keras") * self.num_encoder_layers
        dec = layer_class("TransformerDecoderLayer")(**common).count("keras") * self.num_decoder_layers
        return enc + norm + dec + norm  # as _keras_parts, whose copies differ by name only

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        d, ff = self.d_model, self.dim_feedforward
        return Count(self.num_encoder_layers * tb.transformer_encoder_layer_params(d_model=d, dim_feedforward=ff)
                     + self.num_decoder_layers * tb.transformer_decoder_layer_params(d_model=d, dim_feedforward=ff))

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        common = {"d_model": self.d_model, "nhead": self.nhead, "dim_feedforward": self.dim_feedforward}
        out = []
        for kind, count in (("encoder", self.num_encoder_layers), ("decoder", self.num_decoder_layers)):
            layer = layer_class(f"Transformer{kind.title()}Layer")(**common).param_tensors("textbook")
            for i in range(count):
                out += prefixed_tensors(layer, f"{kind}.layer{i}.")
        return out

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        src, tgt = shapes[0], shapes[1] if len(shapes) > 1 else shapes[0]
        enc = ops.transformer_layer(self, src, None).times(self.num_encoder_layers, "encoder_layers")
        n, work = ops.elements(src)
        enc += ops.layernorm_ops(n, work, True, self.bias, "encoder norm")
        dec = ops.transformer_layer(self, tgt, src).times(self.num_decoder_layers, "decoder_layers")
        n, work = ops.elements(tgt)
        dec += ops.layernorm_ops(n, work, True, self.bias, "decoder norm")
        return enc.prefixed("encoder") + dec.prefixed("decoder")
