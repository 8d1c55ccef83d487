"""Self-attention blocks: separate q/k/v/o projections (BERT, LLaMA) and GPT-2's fused ``c_attn``."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Any, ClassVar, Literal

from pydantic import model_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import blocks as fb
from paramcalc.formulas import textbook as tb
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.ops as ops
from paramcalc.specs.base import LayerSpec, PosInt, Probability, StrictBool
from paramcalc.specs.blocks._common import Shape, attention, attention_part, gqa_count, gqa_tensors, last_dim, mha_part
from paramcalc.specs.parts import Part
from paramcalc.specs.working import Family


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
SELF_ATTENTION_FAMILY = Family(
    "self_attention", "Self-attention blocks (SelfAttention, CausalSelfAttention, GroupQueryAttention)",
    ("SelfAttention", "CausalSelfAttention", "GroupQueryAttention"),
    {
        "pytorch": "E·H·d (q) + 2·E·K·d (k, v) + H·d·E (o) + biases (H·d + 2·K·d + E); 4·E² + 4·E when K = H and "
                   "d = E/H; GPT-2's fused c_attn + c_proj: E·3E + 3E + E·E + E",
        "keras": "query d_m·h·k, key and value d_m·kv·k each, output h·k·d_m, biases if use_bias",
        "textbook": "4·d² (Q, K, V and output projections, no biases)",
    },
    "output = input (N, L, E)",
    "E = embed_dim (d_m), H = num_heads (h), K = num_kv_heads (kv), d = head_dim (k)",
)

class _SequenceBlock(LayerSpec):
    """A block over (N, L, E) or (L, E) inputs that keeps their shape, E = embed_dim."""

    def _infer_value(self, shape: Shape) -> int:
        return last_dim(self, shape)

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": fb.sequence_output_shape(input_shape=shapes[0], embed_dim=self.embed_dim, layer=self.name)}


class SelfAttention(_SequenceBlock):
    """Multi-head self-attention with separate query, key, value and output projections.

    BERT's attention (with biases) and LLaMA's (``bias=False``); ``num_kv_heads`` below
    ``num_heads`` gives grouped-query attention, ``head_dim`` overrides embed_dim / num_heads.
    Input and output: (N, L, E) or (L, E).
    """

    family = SELF_ATTENTION_FAMILY
    summary: ClassVar[str] = "self-attention with separate q/k/v/o projections (BERT, LLaMA)"
    infer_field: ClassVar[str | None] = "embed_dim"
    example = ("SelfAttention(4096, 32)", "1,16,4096")
    type: Literal["SelfAttention"] = "SelfAttention"
    embed_dim: PosInt | None = None
    num_heads: PosInt
    num_kv_heads: PosInt | None = None
    head_dim: PosInt | None = None
    bias: StrictBool = True
    out_bias: StrictBool | None = None
    causal: StrictBool = False
    dropout: Probability = 0.0

    @model_validator(mode="after")
    def _check(self) -> "SelfAttention":
        if self.head_dim is None and self.embed_dim is not None and self.embed_dim % self.num_heads:
            raise self._fail(
                "embed_dim must be divisible by num_heads (or give head_dim)",
                embed_dim=self.embed_dim, num_heads=self.num_heads,
            )
        if self.num_kv_heads is not None and self.num_heads % self.num_kv_heads:
            raise self._fail(
                "num_heads must be a multiple of num_kv_heads", num_heads=self.num_heads, num_kv_heads=self.num_kv_heads
            )
        return self

    @property
    def kv_heads(self) -> int:
        """Key/value heads (num_heads unless grouped-query)."""
        return self.num_heads if self.num_kv_heads is None else self.num_kv_heads

    @property
    def head_size(self) -> int:
        """Size of one head: head_dim, or embed_dim / num_heads."""
        return self.embed_dim // self.num_heads if self.head_dim is None else self.head_dim

    @property
    def has_out_bias(self) -> bool:
        """Whether the output projection has a bias (out_bias, defaulting to bias)."""
        return self.bias if self.out_bias is None else self.out_bias

    def _pytorch_count(self) -> Count:
        return Count(fb.attention_params(
            embed_dim=self.embed_dim, num_heads=self.num_heads, num_kv_heads=self.num_kv_heads,
            head_dim=self.head_dim, bias=self.bias, out_bias=self.out_bias,
        ))

    def _keras_parts(self) -> list[Part]:
        if self.has_out_bias != self.bias:
            raise SpecError(
                f"SelfAttention: Keras attention layers have one use_bias for every projection; no Keras "
                f"equivalent. Received: bias={self.bias}, out_bias={self.out_bias}"
            )
        return [attention_part("", self.embed_dim, self.num_heads, self.kv_heads, self.head_size, self.bias)]

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        return Count(gqa_count(self.embed_dim, self.num_heads, self.kv_heads, self.head_size))

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        return gqa_tensors("", self.embed_dim, self.num_heads, self.kv_heads, self.head_size)

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        n, length, batched = ops.sequence(shapes[0])
        items = ops.attention(
            n=n, target=length, source=length, embed_dim=self.embed_dim, num_heads=self.num_heads,
            bias=self.bias, out_bias=self.has_out_bias, batched=batched, kv_heads=self.num_kv_heads,
            head_dim=self.head_dim,
        )
        return Compute(items.ops, (ops.CAUSAL_NOTE,)) if self.causal else items


class CausalSelfAttention(_SequenceBlock):
    """GPT-2 attention: one fused projection to Q, K and V (``c_attn``), causal mask, output ``c_proj``."""

    family = SELF_ATTENTION_FAMILY
    summary: ClassVar[str] = "GPT-2 causal self-attention: fused c_attn (q, k, v) and c_proj"
    infer_field: ClassVar[str | None] = "embed_dim"
    example = ("CausalSelfAttention(768, 12)", "1,16,768")
    type: Literal["CausalSelfAttention"] = "CausalSelfAttention"
    embed_dim: PosInt | None = None
    num_heads: PosInt
    bias: StrictBool = True
    dropout: Probability = 0.0

    @model_validator(mode="after")
    def _check(self) -> "CausalSelfAttention":
        if self.embed_dim is not None and self.embed_dim % self.num_heads:
            raise self._fail(
                "embed_dim must be divisible by num_heads", embed_dim=self.embed_dim, num_heads=self.num_heads
            )
        return self

    def _pytorch_count(self) -> Count:
        return Count(fb.fused_attention_params(embed_dim=self.embed_dim, bias=self.bias))

    def _keras_parts(self) -> list[Part]:
        return [mha_part("", self.embed_dim, self.num_heads, self.bias)]

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        return Count(tb.mha_params(embed_dim=self.embed_dim))

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        e = self.embed_dim
        return attention("", e, e, e, e, e, (e,))

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        n, length, batched = ops.sequence(shapes[0])
        items = ops.attention(n=n, target=length, source=length, embed_dim=self.embed_dim,
                              num_heads=self.num_heads, bias=self.bias, batched=batched, fused=True)
        return Compute(items.ops, (ops.CAUSAL_NOTE,))
