"""The tensors torch.nn modules create, by their state_dict names: what each family's
``_pytorch_tensors()`` lists (a Linear's weight and bias, a LayerNorm's, an attention's, ...).

Names and order follow torch's ``state_dict()``: a module's own parameters, then its buffers, then
its children's under ``child.``. The independent reference (:mod:`paramcalc.reference`) lists the
same tensors its own way; the tests compare the two and both with real torch modules.
"""

from __future__ import annotations

from paramcalc.results import Tensor

Shape = tuple[int, ...]


def weight(name: str, shape: Shape, description: str) -> Tensor:
    """One trainable parameter."""
    return Tensor(name, tuple(shape), "trainable", description)


def buffer(name: str, shape: Shape, description: str) -> Tensor:
    """One buffer (state that is saved but not trained, such as running statistics)."""
    return Tensor(name, tuple(shape), "buffer", description)


def linear(prefix: str, n_in: int, n_out: int, bias: bool, what: str) -> list[Tensor]:
    """``nn.Linear(n_in, n_out, bias)``: weight (n_out, n_in), then bias (n_out,)."""
    out = [weight(f"{prefix}weight", (n_out, n_in), f"{what} weights")]
    if bias:
        out.append(weight(f"{prefix}bias", (n_out,), f"{what} bias"))
    return out


def layer_norm(prefix: str, shape: Shape, affine: bool, bias: bool, what: str = "LayerNorm") -> list[Tensor]:
    """``nn.LayerNorm(shape, elementwise_affine, bias=...)``: a scale and a shift of the shape, when affine."""
    if not affine:
        return []
    out = [weight(f"{prefix}weight", shape, f"{what} scale (gamma)")]
    if bias:
        out.append(weight(f"{prefix}bias", shape, f"{what} shift (beta)"))
    return out


def scale_and_shift(c: int, affine: bool, bias: bool) -> list[Tensor]:
    """BatchNorm's and GroupNorm's per-channel scale (gamma) and shift (beta), when affine."""
    if not affine:
        return []
    out = [weight("weight", (c,), "scale (gamma) per channel")]
    if bias:
        out.append(weight("bias", (c,), "shift (beta) per channel"))
    return out


def multihead(prefix: str, e: int, kdim: int, vdim: int, bias: bool, add_bias_kv: bool) -> list[Tensor]:
    """``nn.MultiheadAttention``: one stacked in_proj_weight when keys and values have E features,
    else q/k/v_proj_weight; in_proj_bias; bias_k and bias_v; then the out_proj Linear."""
    if kdim == e and vdim == e:
        out = [weight(f"{prefix}in_proj_weight", (3 * e, e), "query, key and value projections, stacked")]
    else:
        out = [
            weight(f"{prefix}q_proj_weight", (e, e), "query projection"),
            weight(f"{prefix}k_proj_weight", (e, kdim), "key projection"),
            weight(f"{prefix}v_proj_weight", (e, vdim), "value projection"),
        ]
    if bias:
        out.append(weight(f"{prefix}in_proj_bias", (3 * e,), "query, key and value biases"))
    if add_bias_kv:
        out += [weight(f"{prefix}bias_k", (1, 1, e), "learned key appended to the sequence"),
                weight(f"{prefix}bias_v", (1, 1, e), "learned value appended to the sequence")]
    return out + linear(f"{prefix}out_proj.", e, e, bias, "output projection")


def transformer_layer(prefix: str, d: int, ff: int, bias: bool, decoder: bool) -> list[Tensor]:
    """``nn.TransformerEncoderLayer`` / ``DecoderLayer``: self-attention (and cross-attention),
    linear1, linear2, then norm1, norm2 (and norm3)."""
    out = multihead(f"{prefix}self_attn.", d, d, d, bias, False)
    if decoder:
        out += multihead(f"{prefix}multihead_attn.", d, d, d, bias, False)
    out += linear(f"{prefix}linear1.", d, ff, bias, "feed-forward expansion")
    out += linear(f"{prefix}linear2.", ff, d, bias, "feed-forward contraction")
    for i in range(1, (3 if decoder else 2) + 1):
        out += layer_norm(f"{prefix}norm{i}.", (d,), True, bias)
    return out


def projections(prefix: str, e: int, heads: int, kv_heads: int, head: int, bias: bool, out_bias: bool) -> list[Tensor]:
    """Hugging Face's separate q_proj, k_proj, v_proj and o_proj Linears (LLaMA's attention)."""
    return (
        linear(f"{prefix}q_proj.", e, heads * head, bias, "query projection")
        + linear(f"{prefix}k_proj.", e, kv_heads * head, bias, "key projection")
        + linear(f"{prefix}v_proj.", e, kv_heads * head, bias, "value projection")
        + linear(f"{prefix}o_proj.", heads * head, e, out_bias, "output projection")
    )


def conv1d(prefix: str, n_in: int, n_out: int, bias: bool, what: str) -> list[Tensor]:
    """Hugging Face's ``Conv1D(n_out, n_in)`` (GPT-2's linear layer): weight (n_in, n_out), then bias."""
    out = [weight(f"{prefix}weight", (n_in, n_out), f"{what} weights")]
    if bias:
        out.append(weight(f"{prefix}bias", (n_out,), f"{what} bias"))
    return out


def fused(prefix: str, e: int, bias: bool) -> list[Tensor]:
    """GPT-2's attention: c_attn (query, key and value in one) and c_proj, Conv1D layers."""
    return conv1d(f"{prefix}c_attn.", e, 3 * e, bias, "fused query, key and value projection") + conv1d(
        f"{prefix}c_proj.", e, e, bias, "output projection"
    )


def gated(prefix: str, n_in: int, hidden: int, n_out: int, bias: bool) -> list[Tensor]:
    """LLaMA's SwiGLU MLP: gate_proj, up_proj, down_proj."""
    return (
        linear(f"{prefix}gate_proj.", n_in, hidden, bias, "gate projection (through SiLU)")
        + linear(f"{prefix}up_proj.", n_in, hidden, bias, "up projection")
        + linear(f"{prefix}down_proj.", hidden, n_out, bias, "down projection")
    )


def in_proj(prefix: str, d: int, bias: bool, what: str) -> list[Tensor]:
    """A stacked in-projection described by the attention it serves (a decoder stack's listing)."""
    out = [weight(f"{prefix}in_proj_weight", (3 * d, d), f"{what}: query, key and value projections, stacked")]
    if bias:
        out.append(weight(f"{prefix}in_proj_bias", (3 * d,), f"{what}: query, key and value biases"))
    return out
