"""What several block families share: argument types, Keras parts and textbook tensors."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Annotated, Any

from pydantic import Field

from paramcalc.errors import SpecError
from paramcalc.formulas import textbook as tb
from paramcalc.results import Tensor
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class

Shape = tuple[int, ...]
Eps = Annotated[float, Field(gt=0.0)]


def normalized(value: Any) -> Any:
    """An int as a one-entry tuple, a list as a tuple (a normalized_shape)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, list):
        return tuple(value)
    return value


def last_dim(spec: Any, shape: Shape) -> int:
    """The input's last dimension, the size a block infers (its infer_field)."""
    if not shape:
        raise SpecError(f"{spec.name}: cannot infer {spec.infer_field} from a 0-dimensional input")
    return shape[-1]


def product(dims: tuple[int, ...]) -> int:
    out = 1
    for d in dims:
        out *= d
    return out


# -- Keras parts (named as keras_hub names its sublayers) -------------------------------------


def mha_part(name: str, d: int, heads: int, bias: bool) -> Part:
    """keras.layers.MultiHeadAttention over (query, value, key) of width d."""
    shapes = ((None, None, d), (None, None, d), (None, None, d))
    layer = layer_class("keras.MultiHeadAttention")(num_heads=heads, key_dim=d // heads, use_bias=bias)
    return Part(name, layer, shapes)


def attention_part(name: str, d: int, heads: int, kv_heads: int, head: int, bias: bool) -> Part:
    """MultiHeadAttention, or GroupQueryAttention when key/value heads are shared."""
    seq = ((None, None, d),)
    if kv_heads == heads:
        return Part(name, layer_class("keras.MultiHeadAttention")(num_heads=heads, key_dim=head, use_bias=bias), seq)
    layer = layer_class("keras.GroupQueryAttention")(
        head_dim=head, num_query_heads=heads, num_key_value_heads=kv_heads, use_bias=bias
    )
    return Part(name, layer, seq)


def mlp_parts(prefix: str, n_in: int, hidden: int, n_out: int, bias: bool, *, gated: bool) -> list[Part]:
    """Dense layers as keras_hub names them (its Llama decoder adds feedforward_gate_dense)."""
    dense = layer_class("keras.Dense")
    parts = []
    if gated:
        parts.append(Part(f"{prefix}feedforward_gate_dense", dense(units=hidden, use_bias=bias), ((None, n_in),)))
    parts += [
        Part(f"{prefix}feedforward_intermediate_dense", dense(units=hidden, use_bias=bias), ((None, n_in),)),
        Part(f"{prefix}feedforward_output_dense", dense(units=n_out, use_bias=bias), ((None, hidden),)),
    ]
    return parts


def suffix(i: int) -> str:
    """Keras's default-name suffix of the i-th layer of a kind: "", "_1", "_2", ..."""
    return "" if i == 0 else f"_{i}"


def prefixed_parts(parts: list[Part], prefix: str) -> list[Part]:
    """Parts with ``prefix`` put before their names."""
    return [Part(f"{prefix}{p.name}", p.spec, p.shapes, p.inner_name, p.raw) for p in parts]


# -- Textbook counts and tensors (the matrices as lectures name them) ------------------------


def gqa_count(d: int, heads: int, kv_heads: int, head: int) -> int:
    return tb.attention_projection_params(
        num_heads=heads, num_kv_heads=kv_heads, key_dim=head, value_dim=head, query_features=d, key_features=d,
        value_features=d, output_features=d,
    )


def t(name: str, shape: tuple[int, ...], description: str) -> Tensor:
    return Tensor(name, tuple(shape), "trainable", description)


def dense(prefix: str, n_in: int, n_out: int, bias: bool, what: str, index: str = "") -> list[Tensor]:
    out = [t(f"{prefix}W{index}", (n_in, n_out), f"{what} weights: {n_in} × {n_out}")]
    if bias:
        out.append(t(f"{prefix}b{index}", (n_out,), f"{what} bias"))
    return out


def conv(kernel: tuple[int, ...], c_in: int, c_out: int, groups: int, bias: bool) -> list[Tensor]:
    per = "K × C_in/groups" if groups > 1 else "K × C_in"
    out = [t("W", (*kernel, c_in // groups, c_out), f"filters: {per} weights each, C_out filters")]
    if bias:
        out.append(t("b", (c_out,), "one bias per filter"))
    return out


def attention(
    prefix: str, q: int, k: int, v: int, qk: int, vv: int, out: tuple[int, ...], kk: int | None = None,
    kv: int | None = None,
) -> list[Tensor]:
    """W_Q: q → qk, W_K: k → kk, W_V: v → kv, W_O: vv → out (kk = qk and kv = vv unless key/value heads are shared)."""
    return [
        t(f"{prefix}W_Q", (q, qk), "query projection"),
        t(f"{prefix}W_K", (k, qk if kk is None else kk), "key projection"),
        t(f"{prefix}W_V", (v, vv if kv is None else kv), "value projection"),
        t(f"{prefix}W_O", (vv, *out), "output projection"),
    ]


def gqa_tensors(prefix: str, d: int, heads: int, kv_heads: int, head: int) -> list[Tensor]:
    return attention(prefix, d, d, d, heads * head, heads * head, (d,), kv_heads * head, kv_heads * head)


def swiglu_tensors(prefix: str, n_in: int, hidden: int, n_out: int) -> list[Tensor]:
    return [
        t(f"{prefix}W", (n_in, hidden), "gate projection (through Swish)"),
        t(f"{prefix}V", (n_in, hidden), "up projection"),
        t(f"{prefix}W_2", (hidden, n_out), "down projection"),
    ]


def prefixed_tensors(tensors: list[Tensor], prefix: str) -> list[Tensor]:
    """Tensors with ``prefix`` put before their names."""
    return [Tensor(f"{prefix}{x.name}", x.shape, x.kind, x.description) for x in tensors]
