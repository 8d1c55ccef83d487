"""The items of a forward pass's compute that several layer families share: linear maps, norms,
attention, feed-forward blocks (each an itemised :class:`~paramcalc.results.Compute`)."""

from __future__ import annotations

from math import prod
from typing import Any

from paramcalc.formulas import compute as fc
from paramcalc.results import Compute, Op, OpKind

Shape = tuple[int, ...]


def dot(*values: int | str) -> str:
    return "·".join(str(v) for v in values)


def op(name: str, kind: OpKind, count: int, formula: str, working: str) -> Compute:
    """A one-item Compute; items that count nothing (no bias, empty batch) are kept out."""
    return Compute((Op(name, kind, count, formula, working),)) if count else Compute()


def batch(dims: Shape) -> tuple[str, str]:
    """Symbol and working for leading batch dimensions (empty when unbatched)."""
    if not dims:
        return "", ""
    return "N", dot(*dims) if len(dims) == 1 else f"({dot(*dims)})"


def join(*parts: str) -> str:
    return "·".join(p for p in parts if p)


SPATIAL = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


KERNEL = {1: ("k",), 2: ("kH", "kW"), 3: ("kD", "kH", "kW")}


def linear(rows_dims: Shape, n_in: int, n_out: int, bias: bool, name: str = "") -> Compute:
    rows = prod(rows_dims)
    sym = "rows" if rows_dims else ""
    work = dot(*rows_dims) if len(rows_dims) <= 1 else f"({dot(*rows_dims)})"
    label = f"{name} " if name else ""
    macs = fc.linear_macs(rows=rows, in_features=n_in, out_features=n_out)
    out = op(f"{label}x·Wᵀ", "mac", macs, join(sym, "in", "out"), join(work, str(n_in), str(n_out)))
    if bias:
        out += op(f"{label}bias", "bias", fc.bias_adds(outputs=rows * n_out), join(sym, "out"), join(work, str(n_out)))
    return out


def elements(x: Shape) -> tuple[int, str]:
    return prod(x), dot(*x) if x else "1"


def layernorm_ops(elements: int, work: str, affine: bool, bias: bool, name: str = "LayerNorm", times: int = 1) -> Compute:
    stats, normalise, aff = fc.layernorm_ops(elements=elements, elementwise_affine=affine, bias=bias)
    per = f"(4 + 2 + {aff // elements})" if aff and elements else "(4 + 2)"
    lead = f"{times}·" if times > 1 else ""
    return op(
        f"{name}: statistics, normalise" + (", affine" if aff else ""), "norm",
        times * (stats + normalise + aff), f"{lead}{per}·elements", f"{lead}{per}·{work}",
    )


def attention(
    *,
    n: int,
    target: int,
    source: int,
    embed_dim: int,
    num_heads: int,
    kdim: int | None = None,
    vdim: int | None = None,
    bias: bool = True,
    out_bias: bool | None = None,
    extra_keys: int = 0,
    batched: bool = True,
    kv_heads: int | None = None,
    head_dim: int | None = None,
    fused: bool = False,
) -> Compute:
    """Attention's items: projections, both products, biases, scaling and softmax.

    Standard multi-head attention has inner width E on every side; with ``head_dim`` or
    ``kv_heads`` given the queries are H·d wide and the keys and values K·d (grouped-query).
    ``fused`` names the Q, K, V projections as one (GPT-2's c_attn).
    """
    e = embed_dim
    kdim = e if kdim is None else kdim
    vdim = e if vdim is None else vdim
    out_bias = bias if out_bias is None else out_bias
    plain = head_dim is None and kv_heads is None
    d = e // num_heads if head_dim is None else head_dim
    k_heads = num_heads if kv_heads is None else kv_heads
    qw, kvw = num_heads * d, k_heads * d
    m = fc.attention_macs(
        batch=n, target=target, source=source, embed_dim=e, kdim=kdim, vdim=vdim, extra_keys=extra_keys,
        q_width=qw, kv_width=kvw,
    )
    keys = source + extra_keys
    ns, nw = ("N", str(n)) if batched else ("", "")
    s_sym = "S'" if extra_keys else "S"
    q_sym, q_work = ("E", str(e)) if plain else ("H·d", dot(num_heads, d))
    kv_sym, kv_work = ("E", str(e)) if plain else ("K·d", dot(k_heads, d))
    if fused:
        items = op(
            "c_attn: fused Q, K, V projection", "mac", m.q_proj + m.k_proj + m.v_proj,
            join(ns, "L", "E", "3E"), join(nw, dot(target, e, f"3·{e}")),
        )
    else:
        items = op("Q projection", "mac", m.q_proj, join(ns, "L", "E", q_sym), join(nw, dot(target, e, q_work)))
        items += op(
            "K projection", "mac", m.k_proj, join(ns, "S", "kdim" if kdim != e else "E", kv_sym),
            join(nw, dot(source, kdim, kv_work)),
        )
        items += op(
            "V projection", "mac", m.v_proj, join(ns, "S", "vdim" if vdim != e else "E", kv_sym),
            join(nw, dot(source, vdim, kv_work)),
        )
    items += op("QKᵀ scores", "mac", m.scores, join(ns, "L", s_sym, q_sym), join(nw, dot(target, keys, q_work)))
    items += op("softmax(QKᵀ)·V", "mac", m.context, join(ns, "L", s_sym, q_sym), join(nw, dot(target, keys, q_work)))
    items += op(
        "c_proj: output projection" if fused else "output projection", "mac", m.out_proj,
        join(ns, "L", q_sym, "E"), join(nw, dot(target, q_work, e)),
    )
    if plain and bias and out_bias:
        items += op(
            "projection biases", "bias", n * (2 * target + 2 * source) * e,
            join(ns, "(2·L + 2·S)", "E"), join(nw, f"(2·{target} + 2·{source})", str(e)),
        )
    elif bias or out_bias:
        parts = [(f"L·{q_sym}", f"{target}·{q_work}", target * qw), (f"2·S·{kv_sym}", f"2·{source}·{kv_work}", 2 * source * kvw)]
        parts = parts if bias else []
        if out_bias:
            parts.append(("L·E", f"{target}·{e}", target * e))
        items += op(
            "projection biases", "bias", n * sum(p[2] for p in parts),
            join(ns, f"({' + '.join(p[0] for p in parts)})"), join(nw, f"({' + '.join(p[1] for p in parts)})"),
        )
    items += op(
        "scaling Q by 1/√d", "elementwise", n * target * qw, join(ns, "L", q_sym), join(nw, dot(target, q_work))
    )
    items += op(
        "softmax over the keys", "softmax", fc.softmax_ops(elements=n * num_heads * target * keys),
        join("3", ns, "H", "L", s_sym), join("3", nw, dot(num_heads, target, keys)),
    )
    return items


ATTENTION_NOTE = (
    "attention: the head-averaged weights returned with need_weights=True and any mask are not counted"
)


def seq_batch(spec: Any, x: Shape) -> tuple[int, int, bool]:
    """(N, L, batched) of a transformer input (L, N, E), (N, L, E) or (L, E)."""
    if len(x) == 3:
        return (x[0], x[1], True) if spec.batch_first else (x[1], x[0], True)
    return 1, x[0], False


def feed_forward(n: int, length: int, batched: bool, d: int, f: int, bias: bool, activation: str) -> Compute:
    ns, nw = ("N", str(n)) if batched else ("", "")
    items = op("linear1 x·W₁ᵀ", "mac", n * length * d * f, join(ns, "L", "E", "F"), join(nw, dot(length, d, f)))
    items += op("linear2 x·W₂ᵀ", "mac", n * length * f * d, join(ns, "L", "F", "E"), join(nw, dot(length, f, d)))
    if bias:
        items += op("linear1, linear2 biases", "bias", n * length * (f + d), join(ns, "L", "(F + E)"), join(nw, str(length), f"({f} + {d})"))
    items += op(
        f"activation ({activation})", "activation", fc.activation_ops(elements=n * length * f),
        join(ns, "L", "F"), join(nw, dot(length, f)),
    )
    return items


def transformer_layer(spec: Any, x: Shape, memory: Shape | None) -> Compute:
    n, length, batched = seq_batch(spec, x)
    d, heads = spec.d_model, spec.nhead
    ns, nw = ("N", str(n)) if batched else ("", "")
    items = attention(
        n=n, target=length, source=length, embed_dim=d, num_heads=heads, kdim=None, vdim=None, bias=spec.bias,
        batched=batched,
    ).prefixed("self_attn")
    norms, residuals = 2, 2
    if memory is not None:
        _, source, _ = seq_batch(spec, memory)
        items += attention(
            n=n, target=length, source=source, embed_dim=d, num_heads=heads, kdim=None, vdim=None, bias=spec.bias,
            batched=batched,
        ).prefixed("multihead_attn")
        norms, residuals = 3, 3
    items += feed_forward(n, length, batched, d, spec.dim_feedforward, spec.bias, spec.activation)
    names = ", ".join(f"norm{i}" for i in range(1, norms + 1))
    items += layernorm_ops(n * length * d, join(nw, dot(length, d)), True, spec.bias, names, times=norms)
    items += op(
        "residual adds", "elementwise", residuals * n * length * d,
        join(str(residuals), ns, "L", "E"), join(str(residuals), nw, dot(length, d)),
    )
    return Compute(items.ops, (ATTENTION_NOTE,))


CAUSAL_NOTE = "causal attention: counted dense (kernels that skip the masked half do about half the products)"


def rmsnorm_ops(elements: int, work: str, affine: bool, name: str = "RMSNorm", times: int = 1) -> Compute:
    stats, normalise, aff = fc.rmsnorm_ops(elements=elements, elementwise_affine=affine)
    per = "(2 + 1 + 1)" if affine else "(2 + 1)"
    lead = f"{times}·" if times > 1 else ""
    return op(
        f"{name}: mean square, normalise" + (", scale" if affine else ""), "norm",
        times * (stats + normalise + aff), f"{lead}{per}·elements", f"{lead}{per}·{work}",
    )


def row_vectors(x: Shape) -> tuple[int, str, str]:
    """Vectors of the last dimension: their number, symbol and working."""
    dims = x[:-1]
    if not dims:
        return 1, "", ""
    return prod(dims), "rows", dot(*dims) if len(dims) == 1 else f"({dot(*dims)})"


def feature_items(
    rows: int, rs: str, rw: str, name: str, n_in: int, n_out: int, bias: bool, in_sym: str, out_sym: str
) -> Compute:
    items = op(f"{name} x·Wᵀ", "mac", fc.linear_macs(rows=rows, in_features=n_in, out_features=n_out),
                join(rs, in_sym, out_sym), join(rw, str(n_in), str(n_out)))
    if bias:
        items += op(f"{name} bias", "bias", rows * n_out, join(rs, out_sym), join(rw, str(n_out)))
    return items


def mlp(x: Shape, n_in: int, hidden: int, n_out: int, bias: bool, activation: str) -> Compute:
    rows, rs, rw = row_vectors(x)
    items = feature_items(rows, rs, rw, "fc1", n_in, hidden, bias, "in", "hidden")
    items += op(f"activation ({activation})", "activation", fc.activation_ops(elements=rows * hidden),
                 join(rs, "hidden"), join(rw, str(hidden)))
    return items + feature_items(rows, rs, rw, "fc2", hidden, n_out, bias, "hidden", "out")


def swiglu(x: Shape, n_in: int, hidden: int, n_out: int, bias: bool) -> Compute:
    rows, rs, rw = row_vectors(x)
    items = feature_items(rows, rs, rw, "gate_proj", n_in, hidden, bias, "in", "hidden")
    items += feature_items(rows, rs, rw, "up_proj", n_in, hidden, bias, "in", "hidden")
    items += op("SiLU on the gate", "activation", fc.activation_ops(elements=rows * hidden),
                 join(rs, "hidden"), join(rw, str(hidden)))
    items += op("silu(gate) ⊙ up", "elementwise", rows * hidden, join(rs, "hidden"), join(rw, str(hidden)))
    return items + feature_items(rows, rs, rw, "down_proj", hidden, n_out, bias, "hidden", "out")


def sequence(x: Shape) -> tuple[int, int, bool]:
    """(N, L, batched) of a batch-first sequence input (N, L, E) or (L, E)."""
    return (x[0], x[1], True) if len(x) == 3 else (1, x[0], False)
