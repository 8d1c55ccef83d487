"""Keras attention: MultiHeadAttention and GroupQueryAttention."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from math import prod
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas import keras as fk
from paramcalc.formulas import textbook as tb
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.attention import ATTENTION_FAMILY
from paramcalc.specs.base import LayerSpec, PosInt, Probability, StrictBool
from paramcalc.specs.keras.base import KerasLayer, _input_shape, known, require_shapes, textbook, weight
from paramcalc.specs.ops import dot, op
from paramcalc.specs.registry import layer_class
from paramcalc.specs.shapes import KShape, fmt_shape

Shape = tuple[int, ...]


def attention_inputs(spec: KerasLayer, shapes: tuple[KShape, ...]) -> tuple[KShape, KShape, KShape]:
    """(query, value, key) shapes: the value defaults to the query, the key to the value."""
    shapes = require_shapes(spec, shapes)
    if len(shapes) > 3:
        raise SpecError(
            f"{spec.name}: takes at most 3 inputs (query, value, key). Received: {len(shapes)} input shapes"
        )
    query = shapes[0]
    value = shapes[1] if len(shapes) > 1 else query
    key = shapes[2] if len(shapes) > 2 else value
    for name, shape in (("query", query), ("value", value), ("key", key)):
        if len(shape) < 3:
            raise SpecError(
                f"{spec.name}: the {name} must be at least 3-D (batch, ..., features). "
                f"Received: {name}_shape={fmt_shape(shape)}"
            )
        known(spec, shape, -1, f"{name}'s feature size")
    if value[1:-1] != key[1:-1]:
        raise SpecError(
            f"{spec.name}: all dimensions of value and key except the last must be equal. "
            f"Received: value_shape={fmt_shape(value)}, key_shape={fmt_shape(key)}"
        )
    return query, value, key


def textbook_tensors(
    q: int, k: int, v: int, qk: int, vv: int, out: tuple[int, ...], kk: int | None = None, kv: int | None = None,
) -> list[Tensor]:
    """W_Q: q → qk, W_K: k → kk, W_V: v → kv, W_O: vv → out (kk = qk and kv = vv unless key/value heads are shared)."""
    return [
        textbook("W_Q", (q, qk), "query projection"),
        textbook("W_K", (k, qk if kk is None else kk), "key projection"),
        textbook("W_V", (v, vv if kv is None else kv), "value projection"),
        textbook("W_O", (vv, *out), "output projection"),
    ]


def _sizes(shapes: tuple[Shape, ...]) -> tuple[int, int, int, int, int, int]:
    """(N, T, S, d_q, d_v, d_k) of an attention call on (query, value, key); value defaults to query, key to value."""
    query = shapes[0]
    value = shapes[1] if len(shapes) > 1 else query
    key = shapes[2] if len(shapes) > 2 else value
    return query[0], prod(query[1:-1]), prod(key[1:-1]), query[-1], value[-1], key[-1]


class MultiHeadAttention(KerasLayer):
    """``keras.layers.MultiHeadAttention``: per-head query/key/value projections and an output projection.

    Called on a query, a value and an optional key (the value by default); their feature sizes set
    the projection kernels, so counting takes the list of their shapes in that order.
    """

    family = ATTENTION_FAMILY

    inputs: ClassVar[tuple[str, ...]] = ("query", "value", "key")

    summary: ClassVar[str] = "Keras multi-head attention: key_dim/value_dim per head"
    positional: ClassVar[tuple[str, ...]] = ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "output_shape_")
    example_shape: ClassVar[str] = "[(None, 50, 512), (None, 60, 512)]"
    example = ("layers.MultiHeadAttention(num_heads=8, key_dim=64)", "32,10,512;32,20,512")
    type: Literal["keras.MultiHeadAttention"] = "keras.MultiHeadAttention"
    model_config = ConfigDict(populate_by_name=True)

    num_heads: PosInt
    key_dim: PosInt
    value_dim: PosInt | None = None
    dropout: Probability = 0.0
    use_bias: StrictBool = True
    #: Keras's ``output_shape`` argument (the attribute name would hide :meth:`LayerSpec.output_shape`).
    output_shape_: tuple[PosInt, ...] | None = Field(None, alias="output_shape")

    @field_validator("output_shape_", mode="before")
    @classmethod
    def _output_shape(cls, value: Any) -> Any:
        if value == 0 or value == () or value == []:
            return None  # Keras treats a falsy output_shape as "the query's size"
        return _input_shape(value)

    @property
    def output_dims(self) -> tuple[int, ...] | None:
        """Keras's ``output_shape`` argument: the output projection's shape, or None for the query's size."""
        return self.output_shape_

    @property
    def values_dim(self) -> int:
        """The per-head value size: value_dim, or key_dim when it is not given."""
        return self.value_dim or self.key_dim

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        query, value, key = attention_inputs(self, shapes)
        return self._as_set(Count(fk.mha_params(
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
            query_features=query[-1], key_features=key[-1], value_features=value[-1],
            output_shape=self.output_dims, use_bias=self.use_bias,
        )))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        query, value, key = attention_inputs(self, shapes)
        h, k, v = self.num_heads, self.key_dim, self.values_dim
        output = self.output_dims or (query[-1],)
        out = [weight("query/kernel", (query[-1], h, k), "query projection: features × heads × key_dim")]
        if self.use_bias:
            out.append(weight("query/bias", (h, k), "query bias per head"))
        out.append(weight("key/kernel", (key[-1], h, k), "key projection: features × heads × key_dim"))
        if self.use_bias:
            out.append(weight("key/bias", (h, k), "key bias per head"))
        out.append(weight("value/kernel", (value[-1], h, v), "value projection: features × heads × value_dim"))
        if self.use_bias:
            out.append(weight("value/bias", (h, v), "value bias per head"))
        out.append(weight("attention_output/kernel", (h, v, *output), "output projection: heads × value_dim × output"))
        if self.use_bias:
            out.append(weight("attention_output/bias", tuple(output), "output bias"))
        return self._frozen(out)

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        query, value, key = attention_inputs(self, shapes)
        output = self.output_dims or (query[-1],)
        scores = (query[0], self.num_heads, *query[1:-1], *key[1:-1])
        return {"output": (*query[:-1], *output), "attention_scores": scores}

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        query, value, key = attention_inputs(self, shapes)
        e = query[-1]
        if self.num_heads * self.key_dim != e or self.num_heads * self.values_dim != e:
            raise self._no_torch(
                "torch.nn.MultiheadAttention projects to num_heads × head size = the query's features",
                num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim, query_features=e,
            )
        if self.output_dims not in (None, (e,)):
            raise self._no_torch("torch.nn.MultiheadAttention's output has the query's features",
                                 output_shape=self.output_dims, query_features=e)
        return layer_class("MultiheadAttention")(
            embed_dim=e, num_heads=self.num_heads, dropout=self.dropout, bias=self.use_bias,
            kdim=key[-1], vdim=value[-1], batch_first=True,
        )

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        query, value, key = attention_inputs(self, shapes)
        output = self.output_dims
        return Count(tb.attention_projection_params(
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.values_dim,
            query_features=query[-1], key_features=key[-1], value_features=value[-1],
            output_features=query[-1] if not output else prod(output),
        ))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        query, value, key = attention_inputs(self, shapes)
        h = self.num_heads
        output = self.output_dims or (query[-1],)
        return textbook_tensors(query[-1], key[-1], value[-1], h * self.key_dim, h * self.values_dim, output)

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        """Called on (query, value, key): H heads of key_dim and value_dim."""
        n, t, s, dq, dv, dk = _sizes(shapes)
        h, kd, vd = self.num_heads, self.key_dim, self.values_dim
        out = prod(self.output_dims) if self.output_dims else dq
        items = op("query projection", "mac", n * t * dq * h * kd, "N·T·d_q·H·key_dim", dot(n, t, dq, h, kd))
        items += op("key projection", "mac", n * s * dk * h * kd, "N·S·d_k·H·key_dim", dot(n, s, dk, h, kd))
        items += op("value projection", "mac", n * s * dv * h * vd, "N·S·d_v·H·value_dim", dot(n, s, dv, h, vd))
        items += op("QKᵀ scores", "mac", n * h * t * s * kd, "N·H·T·S·key_dim", dot(n, h, t, s, kd))
        items += op("softmax(QKᵀ)·V", "mac", n * h * t * s * vd, "N·H·T·S·value_dim", dot(n, h, t, s, vd))
        items += op("output projection", "mac", n * t * h * vd * out, "N·T·H·value_dim·d_out", dot(n, t, h, vd, out))
        if self.use_bias:
            items += op(
                "projection biases", "bias", n * (t * h * kd + s * h * kd + s * h * vd + t * out),
                "N·(T·H·key_dim + S·H·key_dim + S·H·value_dim + T·d_out)",
                f"{n}·({t}·{h}·{kd} + {s}·{h}·{kd} + {s}·{h}·{vd} + {t}·{out})",
            )
        items += op("scaling the query by 1/√key_dim", "elementwise", n * t * h * kd, "N·T·H·key_dim", dot(n, t, h, kd))
        items += op("softmax over the keys", "softmax", fc.softmax_ops(elements=n * h * t * s), "3·N·H·T·S",
                    dot(3, n, h, t, s))
        return items


class GroupQueryAttention(KerasLayer):
    """``keras.layers.GroupQueryAttention``: num_query_heads query heads sharing num_key_value_heads key/value heads.

    Called on a query, a value and an optional key (the value by default), like MultiHeadAttention;
    the output keeps the query's shape, and the query and value must have the same feature size.
    """

    inputs: ClassVar[tuple[str, ...]] = ("query", "value", "key")

    summary: ClassVar[str] = "Keras grouped-query attention: fewer key/value heads than query heads"
    positional: ClassVar[tuple[str, ...]] = ("head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias")
    example_shape: ClassVar[str] = "(None, 50, 4096)"
    example = (
        "layers.GroupQueryAttention(head_dim=64, num_query_heads=8, num_key_value_heads=2)", "2,10,512;2,20,512"
    )
    type: Literal["keras.GroupQueryAttention"] = "keras.GroupQueryAttention"
    head_dim: PosInt
    num_query_heads: PosInt
    num_key_value_heads: PosInt
    dropout: Probability = 0.0
    use_bias: StrictBool = True

    @model_validator(mode="after")
    def _check(self) -> "GroupQueryAttention":
        if self.num_query_heads % self.num_key_value_heads:
            raise self._fail(
                "num_query_heads must be divisible by num_key_value_heads",
                num_query_heads=self.num_query_heads, num_key_value_heads=self.num_key_value_heads,
            )
        return self

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        query, value, key = attention_inputs(self, shapes)
        return self._as_set(Count(fk.gqa_params(
            head_dim=self.head_dim, num_query_heads=self.num_query_heads,
            num_key_value_heads=self.num_key_value_heads, query_features=query[-1], key_features=key[-1],
            value_features=value[-1], use_bias=self.use_bias,
        )))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        query, value, key = attention_inputs(self, shapes)
        h, g, k = self.num_query_heads, self.num_key_value_heads, self.head_dim
        out = []
        for name, features, heads, what in (("query", query[-1], h, "query heads"),
                                            ("key", key[-1], g, "key/value heads"),
                                            ("value", value[-1], g, "key/value heads")):
            out.append(weight(f"{name}/kernel", (features, heads, k), f"{name} projection: features × {what} × head_dim"))
            if self.use_bias:
                out.append(weight(f"{name}/bias", (heads, k), f"{name} bias per head"))
        out.append(weight("attention_output/kernel", (h, k, query[-1]),
                          "output projection: query heads × head_dim × features"))
        if self.use_bias:
            out.append(weight("attention_output/bias", (query[-1],), "output bias"))
        return self._frozen(out)

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        query, value, key = attention_inputs(self, shapes)
        if query[-1] != value[-1]:
            raise SpecError(
                f"{self.name}: the query and the value must have the same feature size. "
                f"Received: query_shape={fmt_shape(query)}, value_shape={fmt_shape(value)}"
            )
        return {"output": query, "attention_scores": (query[0], self.num_query_heads, *query[1:-1], *key[1:-1])}

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        query, value, key = attention_inputs(self, shapes)
        if not query[-1] == key[-1] == value[-1]:
            raise self._no_torch("the PyTorch block attends within one sequence of one feature size",
                                 query_features=query[-1], key_features=key[-1], value_features=value[-1])
        return layer_class("SelfAttention")(
            embed_dim=query[-1], num_heads=self.num_query_heads, num_kv_heads=self.num_key_value_heads,
            head_dim=self.head_dim, bias=self.use_bias, dropout=self.dropout,
        )

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        query, value, key = attention_inputs(self, shapes)
        return Count(tb.attention_projection_params(
            num_heads=self.num_query_heads, num_kv_heads=self.num_key_value_heads, key_dim=self.head_dim,
            value_dim=self.head_dim, query_features=query[-1], key_features=key[-1],
            value_features=value[-1], output_features=query[-1],
        ))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        query, value, key = attention_inputs(self, shapes)
        h, g, k = self.num_query_heads, self.num_key_value_heads, self.head_dim
        return textbook_tensors(query[-1], key[-1], value[-1], h * k, h * k, (query[-1],), g * k, g * k)

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        """Called on (query, value, key): Hq query heads share Hkv key/value heads of head_dim."""
        n, t, s, dq, dv, dk = _sizes(shapes)
        hq, hkv, hd = self.num_query_heads, self.num_key_value_heads, self.head_dim
        items = op("query projection", "mac", n * t * dq * hq * hd, "N·T·d_q·Hq·head_dim", dot(n, t, dq, hq, hd))
        items += op("key projection", "mac", n * s * dk * hkv * hd, "N·S·d_k·Hkv·head_dim", dot(n, s, dk, hkv, hd))
        items += op("value projection", "mac", n * s * dv * hkv * hd, "N·S·d_v·Hkv·head_dim", dot(n, s, dv, hkv, hd))
        items += op("QKᵀ scores", "mac", n * hq * t * s * hd, "N·Hq·T·S·head_dim", dot(n, hq, t, s, hd))
        items += op("softmax(QKᵀ)·V", "mac", n * hq * t * s * hd, "N·Hq·T·S·head_dim", dot(n, hq, t, s, hd))
        items += op("output projection", "mac", n * t * hq * hd * dq, "N·T·Hq·head_dim·d_q", dot(n, t, hq, hd, dq))
        if self.use_bias:
            items += op(
                "projection biases", "bias", n * (t * hq * hd + 2 * s * hkv * hd + t * dq),
                "N·(T·Hq·head_dim + 2·S·Hkv·head_dim + T·d_q)", f"{n}·({t}·{hq}·{hd} + 2·{s}·{hkv}·{hd} + {t}·{dq})",
            )
        items += op("scaling the query by 1/√head_dim", "elementwise", n * t * hq * hd, "N·T·Hq·head_dim",
                    dot(n, t, hq, hd))
        items += op("softmax over the keys", "softmax", fc.softmax_ops(elements=n * hq * t * s), "3·N·Hq·T·S",
                    dot(3, n, hq, t, s))
        return items
