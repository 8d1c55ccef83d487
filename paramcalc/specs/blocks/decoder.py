"""DecoderBlock: a whole pre-norm decoder-only block in GPT-2 or LLaMA style."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Any, ClassVar, Literal

from pydantic import model_validator

import paramcalc.specs.ops as ops
from paramcalc.formulas import blocks as fb
from paramcalc.formulas import compute as fc
from paramcalc.formulas import textbook as tb
from paramcalc.formulas.transformer import transformer_output_shape
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import LayerSpec, PosInt, Probability, StrictBool
from paramcalc.specs.working import Family
from paramcalc.specs.blocks._common import (
    Eps,
    Shape,
    attention,
    attention_part,
    dense,
    gqa_count,
    gqa_tensors,
    mha_part,
    mlp_parts,
    swiglu_tensors,
)
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
DECODER_BLOCK_FAMILY = Family(
    "decoder_block", "Decoder-only blocks (DecoderBlock: GPT-2, LLaMA)", ("DecoderBlock",),
    {
        "pytorch": "gpt2: 2·2·d (LayerNorms) + 4·d² + 4·d (attention) + 2·d·f + f + d (MLP) = 12·d² + 13·d "
                   "when f = 4·d; llama: 2·d (RMSNorms) + 4·d² (attention) + 3·d·f (SwiGLU)",
        "keras": "the same weights as Keras layers (EinsumDense/Dense, LayerNormalization)",
        "textbook": "12·d² (attention 4·d², MLP 8·d²; no biases, no norms)",
    },
    "output = input (N, L, d)",
    "d = d_model, f = dim_feedforward",
)

class DecoderBlock(LayerSpec):
    """A pre-norm decoder-only block: x + attn(norm(x)), then x + mlp(norm(x)).

    style="gpt2": LayerNorm, fused causal attention with biases, MLP d → 4d → d with GELU.
    style="llama": RMSNorm, causal attention with separate projections and no biases, SwiGLU with
    hidden size m·ceil(floor(8d/3)/m), m = 256 (11,008 for d = 4096).
    """

    family = DECODER_BLOCK_FAMILY
    summary: ClassVar[str] = "pre-norm decoder-only block, GPT-2 or LLaMA style"
    example = ("DecoderBlock(768, 12)", "1,16,768")
    type: Literal["DecoderBlock"] = "DecoderBlock"
    d_model: PosInt
    nhead: PosInt
    dim_feedforward: PosInt | None = None
    style: Literal["gpt2", "llama"] = "gpt2"
    num_kv_heads: PosInt | None = None
    bias: StrictBool | None = None
    norm_eps: Eps = 1e-5
    dropout: Probability = 0.0

    @model_validator(mode="after")
    def _check(self) -> "DecoderBlock":
        if self.d_model % self.nhead:
            raise self._fail("d_model must be divisible by nhead", d_model=self.d_model, nhead=self.nhead)
        if self.style == "gpt2" and self.num_kv_heads not in (None, self.nhead):
            raise self._fail(
                "num_kv_heads needs style='llama' (GPT-2 fuses q, k and v)", num_kv_heads=self.num_kv_heads
            )
        if self.num_kv_heads is not None and self.nhead % self.num_kv_heads:
            raise self._fail("nhead must be a multiple of num_kv_heads", nhead=self.nhead, num_kv_heads=self.num_kv_heads)
        if self.dim_feedforward is None:
            ff = 4 * self.d_model if self.style == "gpt2" else fb.llama_hidden_size(d_model=self.d_model)
            object.__setattr__(self, "dim_feedforward", ff)
        if self.bias is None:
            object.__setattr__(self, "bias", self.style == "gpt2")
        return self

    @property
    def kv_heads(self) -> int:
        """Key/value heads (nhead unless grouped-query)."""
        return self.nhead if self.num_kv_heads is None else self.num_kv_heads

    def _pytorch_count(self) -> Count:
        return Count(fb.decoder_block_params(
            d_model=self.d_model, num_heads=self.nhead, dim_feedforward=self.dim_feedforward,
            style=self.style, num_kv_heads=self.num_kv_heads, bias=self.bias,
        ))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": transformer_output_shape(input_shape=shapes[0], d_model=self.d_model, layer=self.name)}

    def _keras_parts(self) -> list[Part]:
        d, ff, b = self.d_model, self.dim_feedforward, self.bias
        seq = ((None, None, d),)
        if self.style == "gpt2":  # keras_hub's GPT-2: a TransformerDecoder without cross-attention
            norm = layer_class("keras.LayerNormalization")(epsilon=self.norm_eps)
            return [
                Part("self_attention_layer_norm", norm, seq),
                mha_part("self_attention", d, self.nhead, b),
                Part("feedforward_layer_norm", norm, seq),
                *mlp_parts("", d, ff, d, b, gated=False),
            ]
        norm = layer_class("keras.RMSNormalization")(epsilon=self.norm_eps)
        return [  # keras_hub's Llama decoder layer
            Part("self_attention_layernorm", norm, seq),
            attention_part("self_attention", d, self.nhead, self.kv_heads, d // self.nhead, b),
            Part("feedforward_layernorm", norm, seq),
            *mlp_parts("", d, ff, d, b, gated=True),
        ]

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        d, ff = self.d_model, self.dim_feedforward
        if self.style == "gpt2":
            return Count(tb.transformer_encoder_layer_params(d_model=d, dim_feedforward=ff))
        return Count(gqa_count(d, self.nhead, self.kv_heads, d // self.nhead) + tb.swiglu_params(d_model=d, dim_feedforward=ff))

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        d, ff = self.d_model, self.dim_feedforward
        if self.style == "gpt2":  # as a Transformer encoder layer: attention and feed-forward, no biases
            return (attention("attention.", d, d, d, d, d, (d,))
                    + dense("ffn.", d, ff, False, "feed-forward expansion", "_1")
                    + dense("ffn.", ff, d, False, "feed-forward contraction", "_2"))
        return gqa_tensors("attention.", d, self.nhead, self.kv_heads, d // self.nhead) + swiglu_tensors("ffn.", d, ff, d)

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x = shapes[0]
        n, length, batched = ops.sequence(x)
        d, heads = self.d_model, self.nhead
        elements, work = ops.elements(x)
        ns, nw = ("N", str(n)) if batched else ("", "")
        if self.style == "gpt2":
            items = ops.layernorm_ops(elements, work, True, True, "ln_1, ln_2", times=2)
            items += ops.attention(n=n, target=length, source=length, embed_dim=d, num_heads=heads, bias=self.bias,
                                   batched=batched, fused=True).prefixed("attn")
            items += ops.mlp(x, d, self.dim_feedforward, d, self.bias, "gelu").prefixed("mlp")
        else:
            kv_heads = self.num_kv_heads or heads
            head = d // heads
            items = ops.rmsnorm_ops(elements, work, True, "input_layernorm, post_attention_layernorm", times=2)
            items += ops.attention(n=n, target=length, source=length, embed_dim=d, num_heads=heads, bias=self.bias,
                                   batched=batched, kv_heads=kv_heads, head_dim=head).prefixed("self_attn")
            items += ops.op(
                "self_attn rotary embedding of Q and K", "elementwise",
                fc.rotary_ops(rows=n * length, width=(heads + kv_heads) * head),
                ops.join("3", ns, "L", "(H + K)·d"), ops.join("3", nw, str(length), f"({heads} + {kv_heads})·{head}"),
            )
            items += ops.swiglu(x, d, self.dim_feedforward, d, self.bias).prefixed("mlp")
        items += ops.op("residual adds", "elementwise", 2 * elements, "2·elements", f"2·{work}")
        return Compute(items.ops, (ops.CAUSAL_NOTE,))
