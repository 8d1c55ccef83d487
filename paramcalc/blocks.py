"""The independent reference for the building blocks (:mod:`paramcalc.specs.blocks`), and their old import path.

The specs themselves live in :mod:`paramcalc.specs.blocks`, one module per family; the names are
re-exported here for the modules that still import them from ``paramcalc.blocks``.

The reference lists the tensors the torch modules create, by name and shape, and finds output
shapes by walking the input, without importing :mod:`paramcalc.formulas` (tests compare the two).
"""

from typing import Any

from paramcalc.errors import SpecError
from paramcalc.results import Tensor
from paramcalc.specs import LayerSpec
from paramcalc.specs.blocks import (  # noqa: F401 - re-exported
    BLOCK_LAYERS,
    BLOCK_TYPES,
    CausalSelfAttention,
    DecoderBlock,
    FeedForward,
    PatchEmbedding,
    RMSNorm,
    Select,
    SelfAttention,
    SinusoidalPositionalEncoding,
    SwiGLU,
    Transformer,
    TransformerDecoder,
)

Shape = tuple[int, ...]


# ============================================================================================
# Reference: the tensors torch creates, by name and shape, and shapes found by walking the input.
# Nothing below imports paramcalc.formulas.
# ============================================================================================


def _t(name: str, shape: Shape, description: str, kind: str = "trainable") -> Tensor:
    return Tensor(name, tuple(shape), kind, description)  # type: ignore[arg-type]


def _proj(prefix: str, n_in: int, n_out: int, bias: bool, what: str) -> list[Tensor]:
    out = [_t(f"{prefix}.weight", (n_out, n_in), f"{what} weights")]
    if bias:
        out.append(_t(f"{prefix}.bias", (n_out,), f"{what} bias"))
    return out


def _norm(prefix: str, d: int, rms: bool) -> list[Tensor]:
    if rms:
        return [_t(f"{prefix}.weight", (d,), "RMSNorm scale")]
    return [_t(f"{prefix}.weight", (d,), "LayerNorm scale (gamma)"), _t(f"{prefix}.bias", (d,), "LayerNorm shift (beta)")]


def _attention(prefix: str, e: int, heads: int, kv_heads: int, head: int, bias: bool, out_bias: bool) -> list[Tensor]:
    return (
        _proj(f"{prefix}q_proj", e, heads * head, bias, "query projection")
        + _proj(f"{prefix}k_proj", e, kv_heads * head, bias, "key projection")
        + _proj(f"{prefix}v_proj", e, kv_heads * head, bias, "value projection")
        + _proj(f"{prefix}o_proj", heads * head, e, out_bias, "output projection")
    )


def _fused(prefix: str, e: int, bias: bool) -> list[Tensor]:
    return _proj(f"{prefix}c_attn", e, 3 * e, bias, "fused query, key and value projection") + _proj(
        f"{prefix}c_proj", e, e, bias, "output projection"
    )


def _swiglu(prefix: str, n_in: int, hidden: int, n_out: int, bias: bool) -> list[Tensor]:
    return (
        _proj(f"{prefix}gate_proj", n_in, hidden, bias, "gate projection (through SiLU)")
        + _proj(f"{prefix}up_proj", n_in, hidden, bias, "up projection")
        + _proj(f"{prefix}down_proj", hidden, n_out, bias, "down projection")
    )


def _in_proj(prefix: str, d: int, bias: bool, what: str) -> list[Tensor]:
    out = [_t(f"{prefix}in_proj_weight", (3 * d, d), f"{what}: query, key and value projections, stacked")]
    if bias:
        out.append(_t(f"{prefix}in_proj_bias", (3 * d,), f"{what}: query, key and value biases"))
    return out


def _layers_of(spec: Any, prefix: str, decoder: bool) -> list[Tensor]:
    """torch.nn.TransformerEncoderLayer / DecoderLayer tensors, listed again here (no formulas)."""
    d, ff, b = spec.d_model, spec.dim_feedforward, spec.bias
    out = _in_proj(f"{prefix}self_attn.", d, b, "self-attention")
    out += _proj(f"{prefix}self_attn.out_proj", d, d, b, "self-attention output projection")
    norms = 2
    if decoder:
        out += _in_proj(f"{prefix}multihead_attn.", d, b, "cross-attention")
        out += _proj(f"{prefix}multihead_attn.out_proj", d, d, b, "cross-attention output projection")
        norms = 3
    out += _proj(f"{prefix}linear1", d, ff, b, "feed-forward expansion")
    out += _proj(f"{prefix}linear2", ff, d, b, "feed-forward contraction")
    for i in range(1, norms + 1):
        out += _final_norm(f"{prefix}norm{i}.", d, True, b)
    return out


def _final_norm(prefix: str, d: int, affine: bool, bias: bool) -> list[Tensor]:
    if not affine:
        return []
    out = [_t(f"{prefix}weight", (d,), "LayerNorm scale (gamma)")]
    if bias:
        out.append(_t(f"{prefix}bias", (d,), "LayerNorm shift (beta)"))
    return out


def reference_tensors(spec: LayerSpec) -> list[Tensor]:
    """The parameters and buffers torch creates for a (resolved) block spec, in state_dict order."""
    match spec:
        case RMSNorm():
            if not spec.elementwise_affine:
                return []
            return [_t("weight", spec.normalized_shape, "RMSNorm scale (no shift)")]
        case SelfAttention():
            return _attention("", spec.embed_dim, spec.num_heads, spec.kv_heads, spec.head_size, spec.bias,
                              spec.has_out_bias)
        case CausalSelfAttention():
            return _fused("", spec.embed_dim, spec.bias)
        case FeedForward():
            return _proj("fc1", spec.in_features, spec.hidden_features, spec.bias, "feed-forward expansion") + _proj(
                "fc2", spec.hidden_features, spec.outputs, spec.bias, "feed-forward contraction"
            )
        case SwiGLU():
            return _swiglu("", spec.in_features, spec.hidden_features, spec.outputs, spec.bias)
        case DecoderBlock():
            d, ff, b = spec.d_model, spec.dim_feedforward, spec.bias
            if spec.style == "gpt2":
                return (
                    _norm("ln_1", d, rms=False) + _fused("attn.", d, b) + _norm("ln_2", d, rms=False)
                    + _proj("mlp.c_fc", d, ff, b, "MLP expansion") + _proj("mlp.c_proj", ff, d, b, "MLP contraction")
                )
            kv = spec.nhead if spec.num_kv_heads is None else spec.num_kv_heads
            return (
                _norm("input_layernorm", d, rms=True)
                + _attention("self_attn.", d, spec.nhead, kv, d // spec.nhead, b, b)
                + _norm("post_attention_layernorm", d, rms=True)
                + _swiglu("mlp.", d, ff, d, b)
            )
        case PatchEmbedding():
            # A module's own parameters come before its children's in torch's state_dict.
            e = spec.embed_dim
            out = []
            # Count the patches by stepping a patch-sized window across each side of the image.
            patches = 1
            for size, p in zip(spec.image_size, spec.patch_size):
                patches *= len(range(0, size - p + 1, p))
            if spec.class_token:
                out.append(_t("class_token", (1, 1, e), "learned class token"))
            if spec.position_embedding:
                out.append(_t("pos_embedding", (1, patches + int(spec.class_token), e),
                              "learned position embeddings, one per token"))
            out.append(_t("conv_proj.weight", (e, spec.in_channels, *spec.patch_size), "patch projection filters"))
            if spec.bias:
                out.append(_t("conv_proj.bias", (e,), "patch projection bias"))
            return out
        case SinusoidalPositionalEncoding():
            if spec.max_len is None:
                return []
            return [_t("pe", (spec.max_len, spec.d_model), "sinusoidal table (buffer)", "buffer")]
        case Select():
            return []
        case TransformerDecoder():
            out = []
            for i in range(spec.num_layers):
                out += _layers_of(spec.decoder_layer, f"layers.{i}.", decoder=True)
            if spec.norm is not None:
                out += _final_norm("norm.", spec.decoder_layer.d_model, spec.norm.elementwise_affine, spec.norm.bias)
            return out
        case Transformer():
            out = []
            for i in range(spec.num_encoder_layers):
                out += _layers_of(spec, f"encoder.layers.{i}.", decoder=False)
            out += _final_norm("encoder.norm.", spec.d_model, True, spec.bias)
            for i in range(spec.num_decoder_layers):
                out += _layers_of(spec, f"decoder.layers.{i}.", decoder=True)
            out += _final_norm("decoder.norm.", spec.d_model, True, spec.bias)
            return out
    raise SpecError(f"{spec.name}: not a block spec")  # pragma: no cover


def _check_sequence(name: str, x: Shape, width: int, what: str = "input") -> None:
    if len(x) not in (2, 3) or x[-1] != width:
        raise SpecError(f"{name}: bad {what}")


def reference_output_shapes(spec: LayerSpec, *shapes: Shape) -> dict[str, Shape]:
    """Output shapes of a block spec, found by following the input through the block's pieces."""
    x = tuple(shapes[0])
    name = spec.name
    match spec:
        case RMSNorm():
            k = len(spec.normalized_shape)
            if len(x) < k or x[len(x) - k:] != spec.normalized_shape:
                raise SpecError("RMSNorm: bad input")
            return {"output": x}
        case SelfAttention():
            _check_sequence(name, x, spec.embed_dim)
            # scores (L, L) per head, weights @ V → (L, heads·head), then o_proj back to E
            values = (*x[:-1], spec.num_heads * spec.head_size)
            return {"output": (*values[:-1], spec.embed_dim)}
        case CausalSelfAttention():
            _check_sequence(name, x, spec.embed_dim)
            qkv = (*x[:-1], 3 * spec.embed_dim)
            return {"output": (*qkv[:-1], qkv[-1] // 3)}
        case FeedForward() | SwiGLU():
            if not x or x[-1] != spec.in_features:
                raise SpecError(f"{name}: bad input")
            hidden = (*x[:-1], spec.hidden_features)
            return {"output": (*hidden[:-1], spec.outputs)}
        case DecoderBlock():
            _check_sequence(name, x, spec.d_model)
            return {"output": x}
        case PatchEmbedding():
            if len(x) not in (3, 4) or x[-3] != spec.in_channels or x[-2:] != spec.image_size:
                raise SpecError(f"{name}: bad input")
            grid = [len(range(0, n - p + 1, p)) for n, p in zip(x[-2:], spec.patch_size)]
            tokens = grid[0] * grid[1] + (1 if spec.class_token else 0)
            return {"output": (*x[:-3], tokens, spec.embed_dim)}
        case SinusoidalPositionalEncoding():
            _check_sequence(name, x, spec.d_model)
            if spec.max_len is not None and x[-2] > spec.max_len:
                raise SpecError(f"{name}: sequence longer than max_len")
            return {"output": x}
        case Select():
            dims = list(x)
            if not dims or not -len(dims) <= spec.dim < len(dims):
                raise SpecError("Select: dim out of range")
            if not -dims[spec.dim] <= spec.index < dims[spec.dim]:
                raise SpecError("Select: index out of range")
            del dims[spec.dim]
            return {"output": tuple(dims)}
        case TransformerDecoder() | Transformer():
            d = spec.decoder_layer.d_model if isinstance(spec, TransformerDecoder) else spec.d_model
            other = tuple(shapes[1]) if len(shapes) > 1 else x
            first, second = (x, other)
            for s in (first, second):
                _check_sequence(name, s, d)
            if len(first) != len(second):
                raise SpecError(f"{name}: rank mismatch")
            if isinstance(spec, Transformer):
                return {"output": second}
            return {"output": first}
    raise SpecError(f"{name}: the reference does not simulate this layer")  # pragma: no cover
