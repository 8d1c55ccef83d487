"""Attention and Transformer layers (MultiheadAttention, TransformerEncoderLayer, TransformerDecoderLayer,
TransformerEncoder): specs and their arithmetic."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Any, ClassVar, Literal

from pydantic import model_validator

from paramcalc import formulas as f
from paramcalc.errors import SpecError
from paramcalc.formulas import textbook as tb
from paramcalc.formulas.attention import mha_output_shapes
from paramcalc.formulas.transformer import transformer_output_shape
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.ops as ops
from paramcalc.specs.base import LayerSpec, NonNegInt, PosInt, Probability, Shape, StrictBool
from paramcalc.specs.norm import LayerNorm, layernorm_lines
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import chain, Family, n, shape_str, sum_line, times


def _t(name: str, shape: tuple[int, ...], description: str) -> Tensor:
    return Tensor(name, tuple(shape), "trainable", description)


def _attention_tensors(prefix: str, q: int, k: int, v: int, inner: int, out: int) -> list[Tensor]:
    """The textbook's W_Q: q → inner, W_K: k → inner, W_V: v → inner, W_O: inner → out."""
    return [
        _t(f"{prefix}W_Q", (q, inner), "query projection"),
        _t(f"{prefix}W_K", (k, inner), "key projection"),
        _t(f"{prefix}W_V", (v, inner), "value projection"),
        _t(f"{prefix}W_O", (inner, out), "output projection"),
    ]


def _keras_attention(name: str, d: int, heads: int, bias: bool, kdim: int | None = None, vdim: int | None = None) -> Part:
    shapes = ((None, None, d), (None, None, d if vdim is None else vdim), (None, None, d if kdim is None else kdim))
    layer = layer_class("keras.MultiHeadAttention")(num_heads=heads, key_dim=d // heads, use_bias=bias)
    return Part(name, layer, shapes)


def _textbook_attention(label: str, e: int, kdim: int | None, vdim: int | None) -> str:
    kdim = e if kdim is None else kdim
    vdim = e if vdim is None else vdim
    if kdim == vdim == e:
        return chain(label, f"4·{times(e, e)}", 4 * e * e)
    qkv = e * (e + kdim + vdim)
    return chain(label, f"{n(e)}·({n(e)} + {n(kdim)} + {n(vdim)}) + {times(e, e)}", f"{n(qkv)} + {n(e * e)}",
                 qkv + e * e)


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
ATTENTION_FAMILY = Family(
    "attention", "Multi-head attention (MultiheadAttention, MultiHeadAttention)",
    ("MultiheadAttention", "MultiHeadAttention"),
    {
        "pytorch": "E·(E + kdim + vdim) + E·E + 4·E (biases) + 2·E (add_bias_kv); "
                   "4·E² + 4·E when kdim = vdim = E",
        "keras": "query d_q·h·k + h·k, key d_k·h·k + h·k, value d_v·h·v + h·v, "
                 "output h·v·d_o + d_o (biases if use_bias)",
        "textbook": "4·d² (Q, K, V and output projections, no biases)",
    },
    "attn_output (L, N, E); attn_output_weights (N, L, S)",
    "E = d = embed_dim, h = num_heads, k = key_dim, v = value_dim, L = target length, "
    "S = source length",
)

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
TRANSFORMER_FAMILY = Family(
    "transformer", "Transformer layers (TransformerEncoderLayer, DecoderLayer, Encoder, Decoder, Transformer)",
    ("TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder", "Transformer"),
    {
        "pytorch": "encoder layer: (4·d² + 4·d) + (2·d·d_ff + d_ff + d) + 2·2·d; decoder layer: "
                   "2·(4·d² + 4·d) + (2·d·d_ff + d_ff + d) + 3·2·d; encoder, decoder: N × layer + final norm; "
                   "Transformer: both stacks + 2 final norms (2·d each)",
        "keras": "no Transformer layer in Keras; built from MultiHeadAttention, Dense and "
                 "LayerNormalization it has PyTorch's weights",
        "textbook": "encoder layer: 4·d² + 2·d·d_ff (= 12·d² when d_ff = 4·d); decoder layer: "
                    "8·d² + 2·d·d_ff; no biases, no LayerNorm; a stack: N × layer",
    },
    "output = input (S, N, d)",
    "d = d_model, d_ff = dim_feedforward",
)


class MultiheadAttention(LayerSpec):
    """Multi-head attention: Q, K, V projections, scaled dot-product attention per head, output projection."""

    family = ATTENTION_FAMILY

    summary: ClassVar[str] = "multi-head attention with Q/K/V and output projections"
    inputs: ClassVar[tuple[str, ...]] = ("query", "key", "value")
    infer_field: ClassVar[str | None] = "embed_dim"
    example = ("MultiheadAttention(512, 8)", "10,32,512")
    type: Literal["MultiheadAttention"] = "MultiheadAttention"
    embed_dim: PosInt | None = None
    num_heads: PosInt
    dropout: Probability = 0.0
    bias: StrictBool = True
    add_bias_kv: StrictBool = False
    add_zero_attn: StrictBool = False
    kdim: NonNegInt | None = None
    vdim: NonNegInt | None = None
    batch_first: StrictBool = False

    @model_validator(mode="after")
    def _check(self) -> "MultiheadAttention":
        if self.embed_dim is not None and self.embed_dim % self.num_heads:
            raise self._fail("embed_dim must be divisible by num_heads", embed_dim=self.embed_dim, num_heads=self.num_heads)
        return self

    def _infer_value(self, shape: Shape) -> Any:
        if not shape:
            raise SpecError(f"{self.name}: cannot infer {self.infer_field} from a 0-dimensional input")
        return shape[-1]

    def _pytorch_count(self) -> Count:
        return Count(f.mha_params(
            embed_dim=self.embed_dim, kdim=self.kdim, vdim=self.vdim, bias=self.bias, add_bias_kv=self.add_bias_kv,
        ))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        query = shapes[0]
        key = shapes[1] if len(shapes) > 1 else query
        value = shapes[2] if len(shapes) > 2 else key
        return mha_output_shapes(
            query_shape=query, key_shape=key, value_shape=value, embed_dim=self.embed_dim,
            kdim=self.kdim, vdim=self.vdim, batch_first=self.batch_first,
            add_bias_kv=self.add_bias_kv, add_zero_attn=self.add_zero_attn,
        )

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self) -> list[Part]:
        if self.add_bias_kv:
            raise SpecError(
                "MultiheadAttention: Keras MultiHeadAttention has no bias_k/bias_v (add_bias_kv); "
                "no Keras equivalent. Received: add_bias_kv=True"
            )
        return [_keras_attention("", self.embed_dim, self.num_heads, self.bias, self.kdim, self.vdim)]

    def _textbook_count(self, shapes: Any) -> Count:
        return Count(tb.mha_params(embed_dim=self.embed_dim, kdim=self.kdim, vdim=self.vdim))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        e = self.embed_dim
        # kdim=0 is a size (torch's too), not "left out": only None means "the same as embed_dim"
        return _attention_tensors("", e, e if self.kdim is None else self.kdim, e if self.vdim is None else self.vdim,
                                  e, e)

    def _worked_params(self, convention: str) -> list[str]:
        e = self.embed_dim
        if convention == "textbook":
            return [_textbook_attention("Q, K, V and output projections", e, self.kdim, self.vdim)]
        kdim = e if self.kdim is None else self.kdim
        vdim = e if self.vdim is None else self.vdim
        qkv = e * (e + kdim + vdim)
        lines = [chain("Q, K, V projections", f"{n(e)}·({n(e)} + {n(kdim)} + {n(vdim)})", qkv)]
        lines.append(chain("output projection", times(e, e), e * e))
        parts = [qkv, e * e]
        if self.bias:
            lines.append(chain("biases (in_proj_bias, out_proj.bias)", f"3·{n(e)} + {n(e)}", 4 * e))
            parts.append(4 * e)
        if self.add_bias_kv:
            lines.append(chain("bias_k + bias_v", f"2·{n(e)}", 2 * e))
            parts.append(2 * e)
        total = f.mha_params(embed_dim=e, kdim=kdim, vdim=vdim, bias=self.bias, add_bias_kv=self.add_bias_kv)
        return [*lines, sum_line("total", parts, total)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        q = shapes[0]
        k = shapes[1] if len(shapes) > 1 else q
        extra = int(self.add_bias_kv) + int(self.add_zero_attn)
        if len(q) == 2:
            seq_axis = 0
            out_sym, w_sym = "(L, E)", "(L, S)"
        elif self.batch_first:
            seq_axis = 1
            out_sym, w_sym = "(N, L, E)", "(N, L, S)"
        else:
            seq_axis = 0
            out_sym, w_sym = "(L, N, E)", "(N, L, S)"
        source = k[seq_axis]
        lines = [f"target length L = {q[seq_axis]} (query), source length S = {source} (key)"]
        lines.append(chain("attn_output", out_sym, shape_str(outputs["attn_output"])))
        weights = outputs["attn_output_weights"]
        if extra:
            lead = ", ".join(str(v) for v in weights[:-1])
            w_expr = f"({lead}, {source} + {extra})"
            lines.append(chain("attn_output_weights", w_sym.replace("S", "S + 1" if extra == 1 else "S + 2"),
                               w_expr, shape_str(weights)))
        else:
            lines.append(chain("attn_output_weights", w_sym, shape_str(weights)))
        return lines

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        q = shapes[0]
        k = shapes[1] if len(shapes) > 1 else q
        if len(q) == 3:
            seq, batch = (1, 0) if self.batch_first else (0, 1)
            count, target, source = q[batch], q[seq], k[seq]
        else:
            count, target, source = 1, q[0], k[0]
        items = ops.attention(
            n=count, target=target, source=source, embed_dim=self.embed_dim, num_heads=self.num_heads,
            kdim=self.kdim, vdim=self.vdim, bias=self.bias,
            extra_keys=int(self.add_bias_kv) + int(self.add_zero_attn), batched=len(q) == 3,
        )
        return Compute(items.ops, (ops.ATTENTION_NOTE,))

class _TransformerLayer(LayerSpec):

    family = TRANSFORMER_FAMILY
    d_model: PosInt
    nhead: PosInt
    dim_feedforward: NonNegInt = 2048
    dropout: Probability = 0.1
    activation: Literal["relu", "gelu"] = "relu"
    layer_norm_eps: float = 1e-5
    batch_first: StrictBool = False
    norm_first: StrictBool = False
    bias: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "_TransformerLayer":
        if self.d_model % self.nhead:
            raise self._fail("d_model must be divisible by nhead", d_model=self.d_model, nhead=self.nhead)
        return self

    #: Whether the layer also attends over a memory (a decoder layer).
    decoder: ClassVar[bool] = False

    def _pytorch_count(self) -> Count:
        params = f.transformer_decoder_layer_params if self.decoder else f.transformer_encoder_layer_params
        return Count(params(d_model=self.d_model, dim_feedforward=self.dim_feedforward, bias=self.bias))

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self, prefix: str = "") -> list[Part]:
        """The Keras layers keras_hub's TransformerEncoder/TransformerDecoder are made of, by their names."""
        d, ff, b = self.d_model, self.dim_feedforward, self.bias
        seq = ((None, None, d),)
        norm = layer_class("keras.LayerNormalization")(epsilon=self.layer_norm_eps, center=b)
        dense = layer_class("keras.Dense")
        dense_in = Part(f"{prefix}feedforward_intermediate_dense", dense(units=ff, use_bias=b), seq)
        dense_out = Part(f"{prefix}feedforward_output_dense", dense(units=d, use_bias=b), ((None, None, ff),))
        ff_norm = Part(f"{prefix}feedforward_layer_norm", norm, seq)
        if not self.decoder:
            return [
                _keras_attention(f"{prefix}self_attention_layer", d, self.nhead, b),
                Part(f"{prefix}self_attention_layer_norm", norm, seq),
                ff_norm, dense_in, dense_out,
            ]
        return [
            _keras_attention(f"{prefix}self_attention", d, self.nhead, b),
            Part(f"{prefix}self_attention_layer_norm", norm, seq),
            _keras_attention(f"{prefix}cross_attention", d, self.nhead, b),
            Part(f"{prefix}cross_attention_layer_norm", norm, seq),
            dense_in, dense_out, ff_norm,
        ]

    def _textbook_count(self, shapes: Any) -> Count:
        params = tb.transformer_decoder_layer_params if self.decoder else tb.transformer_encoder_layer_params
        return Count(params(d_model=self.d_model, dim_feedforward=self.dim_feedforward))

    def _textbook_tensors(self, shapes: Any, prefix: str = "") -> list[Tensor]:
        d, ff = self.d_model, self.dim_feedforward
        if not self.decoder:
            out = _attention_tensors(f"{prefix}attention.", d, d, d, d, d)
        else:
            out = _attention_tensors(f"{prefix}self_attention.", d, d, d, d, d)
            out += _attention_tensors(f"{prefix}cross_attention.", d, d, d, d, d)
        out.append(_t(f"{prefix}ffn.W_1", (d, ff), f"feed-forward expansion weights: {d} × {ff}"))
        out.append(_t(f"{prefix}ffn.W_2", (ff, d), f"feed-forward contraction weights: {ff} × {d}"))
        return out

    def _worked_params(self, convention: str) -> list[str]:
        d, ff, bias = self.d_model, self.dim_feedforward, self.bias
        if convention == "textbook":
            blocks = ["self-attention"] + (["cross-attention"] if self.decoder else [])
            lines = [_textbook_attention(block, d, None, None) for block in blocks]
            lines.append(chain("feed-forward", f"2·{times(d, ff)}", 2 * d * ff))
            parts = [4 * d * d] * len(blocks) + [2 * d * ff]
            return [*lines, sum_line("total", parts, sum(parts))]
        attention = f.mha_params(embed_dim=d, bias=bias)
        feed = f.feed_forward_params(d_model=d, dim_feedforward=ff, bias=bias)
        norm = f.layernorm_params(normalized_shape=(d,), bias=bias)
        att_expr = f"4·{times(d, d)} + 4·{n(d)}" if bias else f"4·{times(d, d)}"
        lines = [chain("self-attention", att_expr, attention)]
        if self.decoder:
            lines.append(chain("cross-attention", att_expr, attention))
        ff_expr = f"{times(d, ff)} + {n(ff)} + {times(ff, d)} + {n(d)}" if bias else f"{times(d, ff)} + {times(ff, d)}"
        lines.append(chain("feed-forward", ff_expr, feed))
        norms = 3 if self.decoder else 2
        norm_expr = f"{norms} × 2·{n(d)}" if bias else f"{norms} × {n(d)}"
        lines.append(chain(f"{norms} LayerNorms", norm_expr, norms * norm))
        parts = [attention] * (2 if self.decoder else 1) + [feed, norms * norm]
        return [*lines, sum_line("total", parts, self._pytorch_count().total)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return ["output = input (the layer keeps the shape)"]

class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward block, each with a residual connection and LayerNorm."""

    summary: ClassVar[str] = "self-attention + feed-forward, residuals and 2 LayerNorms"
    example = ("TransformerEncoderLayer(512, 8)", "10,32,512")
    type: Literal["TransformerEncoderLayer"] = "TransformerEncoderLayer"

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": transformer_output_shape(input_shape=shapes[0], d_model=self.d_model, layer=self.name)}

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return ops.transformer_layer(self, shapes[0], None)

class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, cross-attention over memory, and a feed-forward block, with 3 LayerNorms."""

    summary: ClassVar[str] = "self-attention + cross-attention + feed-forward, 3 LayerNorms"
    inputs: ClassVar[tuple[str, ...]] = ("tgt", "memory")
    example = ("TransformerDecoderLayer(512, 8)", "20,32,512;10,32,512")
    type: Literal["TransformerDecoderLayer"] = "TransformerDecoderLayer"
    decoder: ClassVar[bool] = True

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        memory = shapes[1] if len(shapes) > 1 else x
        out = transformer_output_shape(input_shape=x, d_model=self.d_model, layer=self.name, what="tgt")
        transformer_output_shape(input_shape=memory, d_model=self.d_model, layer=self.name, what="memory")
        if len(memory) != len(x):
            raise SpecError(
                f"{self.name}: tgt and memory must both be batched or both unbatched. "
                f"Received: tgt_shape={x}, memory_shape={memory}"
            )
        if len(x) == 3:
            axis = 0 if self.batch_first else 1
            if x[axis] != memory[axis] and memory[1 - axis] > 0:  # an empty memory is never reshaped
                raise SpecError(
                    f"{self.name}: the batch number of tgt and memory must be equal. "
                    f"Received: tgt_shape={x}, memory_shape={memory}"
                )
        return {"output": out}

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x = shapes[0]
        return ops.transformer_layer(self, x, shapes[1] if len(shapes) > 1 else x)


class TransformerEncoder(LayerSpec):
    """A stack of num_layers copies of an encoder layer, with an optional final LayerNorm."""

    family = TRANSFORMER_FAMILY

    summary: ClassVar[str] = "a stack of encoder layers with an optional final norm"
    example = ("TransformerEncoder(TransformerEncoderLayer(512, 8), num_layers=6)", "10,32,512")
    type: Literal["TransformerEncoder"] = "TransformerEncoder"
    encoder_layer: TransformerEncoderLayer
    num_layers: PosInt  # torch builds 0 layers, but its forward then fails on every input
    norm: LayerNorm | None = None
    enable_nested_tensor: StrictBool = True
    mask_check: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "TransformerEncoder":
        shape = None if self.norm is None else self.norm.normalized_shape
        if shape is not None and shape[-1] != self.encoder_layer.d_model:
            raise self._fail(
                "norm must normalize over d_model (its normalized_shape must end with d_model)",
                d_model=self.encoder_layer.d_model, normalized_shape=self.norm.normalized_shape,
            )
        return self

    def _final_norm(self) -> LayerNorm | None:
        """The final norm with its size filled in (d_model)."""
        return None if self.norm is None else self.norm.resolve((self.encoder_layer.d_model,))

    def _pytorch_count(self) -> Count:
        stack = self.encoder_layer._pytorch_count() * self.num_layers
        norm = self._final_norm()
        return stack if norm is None else stack + norm._pytorch_count()

    def _count(self, convention: str, input_shape: Any) -> Count:
        if convention != "keras":
            return super()._count(convention, input_shape)
        norm = self._final_norm()  # keras: one layer's parts × num_layers (its copies differ by name only)
        stack = self.encoder_layer.count("keras") * self.num_layers
        return stack if norm is None else stack + norm.count("keras")

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        out = transformer_output_shape(input_shape=shapes[0], d_model=self.encoder_layer.d_model, layer=self.name)
        if self.norm is not None and self.norm.normalized_shape is not None:
            self.norm._output_shapes((out,))  # a final norm over more than d_model checks the trailing dims
        return {"output": out}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self) -> list[Part]:
        """keras_hub's stack: transformer_encoder, transformer_encoder_1, ..., then the final norm."""
        parts: list[Part] = []
        for i in range(self.num_layers):
            parts += self.encoder_layer._keras_parts(f"transformer_encoder{'' if i == 0 else f'_{i}'}/")
        norm = self._final_norm()
        if norm is not None:
            parts += [Part("layer_normalization", p.spec, p.shapes) for p in norm._keras_parts()]
        return parts

    def _textbook_count(self, shapes: Any) -> Count:
        return Count(self.num_layers * self.encoder_layer._textbook_count(shapes).total)

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        out = []
        for i in range(self.num_layers):
            out += self.encoder_layer._textbook_tensors(shapes, f"layer{i}.")
        return out

    def _worked_params(self, convention: str) -> list[str]:
        layer = self.encoder_layer
        if convention == "textbook":
            lines = layer._worked_params("textbook")
            per_layer = layer._textbook_count(()).total
            return [*(f"each layer, {line}" for line in lines),
                    chain(f"{self.num_layers} layers (no final norm in the notes)",
                          f"{self.num_layers} × {n(per_layer)}", self.num_layers * per_layer)]
        per_layer = layer._pytorch_count().total
        lines = [f"each layer, {line}" for line in layer._worked_params("pytorch")]
        stack = per_layer * self.num_layers
        lines.append(chain(f"{self.num_layers} layers", f"{self.num_layers} × {n(per_layer)}", stack))
        norm = self._final_norm()
        if norm is None:
            return lines
        norm_lines = layernorm_lines("final norm", norm.normalized_shape, norm.elementwise_affine, norm.bias)
        norm_total = norm._pytorch_count().total
        return [*lines, *norm_lines, sum_line("total", [stack, norm_total], self._pytorch_count().total)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return ["output = input (the layer keeps the shape)"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x = shapes[0]
        stack = ops.transformer_layer(self.encoder_layer, x, None).times(self.num_layers, "layers")
        norm = self._final_norm()
        if norm is not None:
            count, work = ops.elements(x)
            stack += ops.layernorm_ops(count, work, norm.elementwise_affine, norm.bias, "final norm")
        return stack
