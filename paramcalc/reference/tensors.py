"""Named tensors as torch.nn creates them: one tensor, a Linear's, a LayerNorm's, an attention's."""

from __future__ import annotations

from typing import Any

from paramcalc.results import Tensor

Shape = tuple[int, ...]


def tensor(name: str, shape: Shape, description: str, kind: str = "trainable") -> Tensor:
    """One weight (or buffer, with ``kind="buffer"``) by its state_dict name."""
    return Tensor(name, tuple(shape), kind, description)  # type: ignore[arg-type]


def linear(prefix: str, n_in: int, n_out: int, bias: bool, what: str) -> list[Tensor]:
    """``nn.Linear(n_in, n_out)``: weight (n_out, n_in), then bias (n_out,)."""
    out = [tensor(f"{prefix}weight", (n_out, n_in), f"{what} weights")]
    if bias:
        out.append(tensor(f"{prefix}bias", (n_out,), f"{what} bias"))
    return out


def layernorm(prefix: str, shape: Shape, affine: bool, bias: bool, what: str = "LayerNorm") -> list[Tensor]:
    """``nn.LayerNorm(shape)``: a scale and a shift of the normalized shape, when affine."""
    if not affine:
        return []
    out = [tensor(f"{prefix}weight", shape, f"{what} scale (gamma)")]
    if bias:
        out.append(tensor(f"{prefix}bias", shape, f"{what} shift (beta)"))
    return out


def mha(prefix: str, e: int, kdim: int | None, vdim: int | None, bias: bool, add_bias_kv: bool) -> list[Tensor]:
    """``nn.MultiheadAttention``: one stacked in_proj_weight when k and v have E features, else three."""
    kdim = e if kdim is None else kdim
    vdim = e if vdim is None else vdim
    out = []
    if kdim == e and vdim == e:
        out.append(tensor(f"{prefix}in_proj_weight", (3 * e, e), "query, key and value projections, stacked"))
    else:
        out += [
            tensor(f"{prefix}q_proj_weight", (e, e), "query projection"),
            tensor(f"{prefix}k_proj_weight", (e, kdim), "key projection"),
            tensor(f"{prefix}v_proj_weight", (e, vdim), "value projection"),
        ]
    if bias:
        out.append(tensor(f"{prefix}in_proj_bias", (3 * e,), "query, key and value biases"))
    if add_bias_kv:
        out += [tensor(f"{prefix}bias_k", (1, 1, e), "learned key appended to the sequence"),
                tensor(f"{prefix}bias_v", (1, 1, e), "learned value appended to the sequence")]
    out.append(tensor(f"{prefix}out_proj.weight", (e, e), "output projection weights"))
    if bias:
        out.append(tensor(f"{prefix}out_proj.bias", (e,), "output projection bias"))
    return out


def transformer_layer(prefix: str, layer: Any, decoder: bool) -> list[Tensor]:
    """``nn.TransformerEncoderLayer`` (or DecoderLayer): attention(s), two linears, 2 (or 3) LayerNorms.

    Reads d_model, dim_feedforward and bias from ``layer``.
    """
    d, ff, b = layer.d_model, layer.dim_feedforward, layer.bias
    out = mha(f"{prefix}self_attn.", d, None, None, b, False)
    if decoder:
        out += mha(f"{prefix}multihead_attn.", d, None, None, b, False)
    out += linear(f"{prefix}linear1.", d, ff, b, "feed-forward expansion")
    out += linear(f"{prefix}linear2.", ff, d, b, "feed-forward contraction")
    for i in range(1, (3 if decoder else 2) + 1):
        out += layernorm(f"{prefix}norm{i}.", (d,), True, b)
    return out
