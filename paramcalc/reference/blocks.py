"""The building blocks read as data: the tensors the torch modules of Hugging Face, torchvision and
torch.nn create for them (names and shapes), and output shapes found by walking the input.

Sizes a block derives from its arguments (LLaMA's SwiGLU hidden size, a head's size, whether the
projections have biases) are derived here from the arguments the user gave (reference.arguments
reads no value a spec filled in), the way the modelling code does.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable

from paramcalc.errors import SpecError
from paramcalc.reference.tensors import Shape, layernorm, linear, tensor
from paramcalc.results import Tensor

#: Blocks that create no tensor (SinusoidalPositionalEncoding keeps a table only with max_len).
NO_PARAMETERS = frozenset({"Select"})


def llama_hidden(d_model: int, multiple_of: int = 256, ffn_dim_multiplier: float | None = None) -> int:
    """LLaMA's SwiGLU hidden size, as Meta's ``FeedForward`` (and Hugging Face's conversion) computes it.

    hidden = 4·d; hidden = int(2·hidden / 3); optionally int(ffn_dim_multiplier · hidden); then
    rounded up to a multiple of multiple_of. Done here on exact integers and fractions.
    """
    hidden = 4 * d_model
    hidden = 2 * hidden // 3
    if ffn_dim_multiplier is not None:
        hidden = int(Fraction(ffn_dim_multiplier) * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def _rms(prefix: str, d: int) -> list[Tensor]:
    return [tensor(f"{prefix}weight", (d,), "RMSNorm scale")]


def _attention(prefix: str, e: int, heads: int, kv_heads: int, head: int, bias: bool, out_bias: bool) -> list[Tensor]:
    return (
        linear(f"{prefix}q_proj.", e, heads * head, bias, "query projection")
        + linear(f"{prefix}k_proj.", e, kv_heads * head, bias, "key projection")
        + linear(f"{prefix}v_proj.", e, kv_heads * head, bias, "value projection")
        + linear(f"{prefix}o_proj.", heads * head, e, out_bias, "output projection")
    )


def _conv1d(prefix: str, n_in: int, n_out: int, bias: bool) -> list[Tensor]:
    """transformers' Conv1D keeps its weight as (in, out): x @ weight + bias."""
    out = [tensor(f"{prefix}weight", (n_in, n_out), "Conv1D weights")]
    return out + ([tensor(f"{prefix}bias", (n_out,), "Conv1D bias")] if bias else [])


def _fused(prefix: str, e: int, bias: bool) -> list[Tensor]:
    return _conv1d(f"{prefix}c_attn.", e, 3 * e, bias) + _conv1d(f"{prefix}c_proj.", e, e, bias)


def _swiglu(prefix: str, n_in: int, hidden: int, n_out: int, bias: bool) -> list[Tensor]:
    return (
        linear(f"{prefix}gate_proj.", n_in, hidden, bias, "gate projection (through SiLU)")
        + linear(f"{prefix}up_proj.", n_in, hidden, bias, "up projection")
        + linear(f"{prefix}down_proj.", hidden, n_out, bias, "down projection")
    )


def _in_proj(prefix: str, d: int, bias: bool, what: str) -> list[Tensor]:
    out = [tensor(f"{prefix}in_proj_weight", (3 * d, d), f"{what}: query, key and value projections, stacked")]
    if bias:
        out.append(tensor(f"{prefix}in_proj_bias", (3 * d,), f"{what}: query, key and value biases"))
    return out


def _layers_of(layer: Any, prefix: str, decoder: bool) -> list[Tensor]:
    """torch.nn.TransformerEncoderLayer / DecoderLayer tensors, named by the attention they serve."""
    d, ff, b = layer.d_model, layer.dim_feedforward, layer.bias
    out = _in_proj(f"{prefix}self_attn.", d, b, "self-attention")
    out += linear(f"{prefix}self_attn.out_proj.", d, d, b, "self-attention output projection")
    if decoder:
        out += _in_proj(f"{prefix}multihead_attn.", d, b, "cross-attention")
        out += linear(f"{prefix}multihead_attn.out_proj.", d, d, b, "cross-attention output projection")
    out += linear(f"{prefix}linear1.", d, ff, b, "feed-forward expansion")
    out += linear(f"{prefix}linear2.", ff, d, b, "feed-forward contraction")
    for i in range(1, (3 if decoder else 2) + 1):
        out += layernorm(f"{prefix}norm{i}.", (d,), True, b)
    return out


def _heads(spec: Any) -> tuple[int, int]:
    """(key/value heads, size of one head) of a SelfAttention."""
    kv = spec.num_heads if spec.num_kv_heads is None else spec.num_kv_heads
    head = spec.embed_dim // spec.num_heads if spec.head_dim is None else spec.head_dim
    return kv, head


def _outputs(spec: Any) -> int:
    """Output features of FeedForward / SwiGLU: in_features unless out_features is given."""
    return spec.in_features if spec.out_features is None else spec.out_features


def _self_attention(spec: Any) -> list[Tensor]:
    kv, head = _heads(spec)
    out_bias = spec.bias if spec.out_bias is None else spec.out_bias
    return _attention("", spec.embed_dim, spec.num_heads, kv, head, spec.bias, out_bias)


def _feed_forward(spec: Any) -> list[Tensor]:
    return linear("fc1.", spec.in_features, spec.hidden_features, spec.bias, "feed-forward expansion") + linear(
        "fc2.", spec.hidden_features, _outputs(spec), spec.bias, "feed-forward contraction"
    )


def _decoder_block(spec: Any) -> list[Tensor]:
    """GPT-2's block (ln_1, attn, ln_2, mlp) or LLaMA's (input_layernorm, self_attn, post_attention_layernorm, mlp)."""
    d, style = spec.d_model, spec.style
    bias = style == "gpt2" if spec.bias is None else spec.bias  # GPT-2's Conv1D layers have biases, LLaMA's none
    ff = spec.dim_feedforward
    if ff is None:
        ff = 4 * d if style == "gpt2" else llama_hidden(d)  # GPT-2's n_inner defaults to 4 · n_embd
    if style == "gpt2":  # GPT2Block: ln_1, attn, ln_2, mlp
        return (
            layernorm("ln_1.", (d,), True, True) + _fused("attn.", d, bias) + layernorm("ln_2.", (d,), True, True)
            + _conv1d("mlp.c_fc.", d, ff, bias) + _conv1d("mlp.c_proj.", ff, d, bias)
        )
    kv = spec.nhead if spec.num_kv_heads is None else spec.num_kv_heads
    return (  # LlamaDecoderLayer: self_attn, mlp, input_layernorm, post_attention_layernorm
        _attention("self_attn.", d, spec.nhead, kv, d // spec.nhead, bias, bias)
        + _swiglu("mlp.", d, ff, d, bias)
        + _rms("input_layernorm.", d)
        + _rms("post_attention_layernorm.", d)
    )


def _patches(image_size: Shape, patch_size: Shape) -> int:
    """Count the patches by stepping a patch-sized window across each side of the image."""
    patches = 1
    for size, p in zip(image_size, patch_size):
        patches *= len(range(0, size - p + 1, p))
    return patches


def _patch_embedding(spec: Any) -> list[Tensor]:
    # A module's own parameters come before its children's in torch's state_dict.
    e = spec.embed_dim
    out = []
    if spec.class_token:
        out.append(tensor("class_token", (1, 1, e), "learned class token"))
    if spec.position_embedding:
        tokens = _patches(spec.image_size, spec.patch_size) + int(spec.class_token)
        out.append(tensor("pos_embedding", (1, tokens, e), "learned position embeddings, one per token"))
    out.append(tensor("conv_proj.weight", (e, spec.in_channels, *spec.patch_size), "patch projection filters"))
    if spec.bias:
        out.append(tensor("conv_proj.bias", (e,), "patch projection bias"))
    return out


def _sinusoidal(spec: Any) -> list[Tensor]:
    if spec.max_len is None:
        return []
    return [tensor("pe", (spec.max_len, spec.d_model), "sinusoidal table (buffer)", "buffer")]


def _decoder_stack(spec: Any) -> list[Tensor]:
    layer = spec.decoder_layer
    out = []
    for i in range(spec.num_layers):
        out += _layers_of(layer, f"layers.{i}.", decoder=True)
    if spec.norm is not None:
        out += layernorm("norm.", (layer.d_model,), spec.norm.elementwise_affine, spec.norm.bias)
    return out


def _transformer(spec: Any) -> list[Tensor]:
    out = []
    for i in range(spec.num_encoder_layers):
        out += _layers_of(spec, f"encoder.layers.{i}.", decoder=False)
    out += layernorm("encoder.norm.", (spec.d_model,), True, spec.bias)
    for i in range(spec.num_decoder_layers):
        out += _layers_of(spec, f"decoder.layers.{i}.", decoder=True)
    out += layernorm("decoder.norm.", (spec.d_model,), True, spec.bias)
    return out


#: The tensors of each block with parameters or buffers, by type tag.
TENSORS: dict[str, Callable[[Any], list[Tensor]]] = {
    "RMSNorm": lambda s: [tensor("weight", s.normalized_shape, "RMSNorm scale (no shift)")] if s.elementwise_affine else [],
    "SelfAttention": _self_attention,
    "CausalSelfAttention": lambda s: _fused("", s.embed_dim, s.bias),
    "FeedForward": _feed_forward,
    "SwiGLU": lambda s: _swiglu("", s.in_features, s.hidden_features, _outputs(s), s.bias),
    "DecoderBlock": _decoder_block,
    "PatchEmbedding": _patch_embedding,
    "SinusoidalPositionalEncoding": _sinusoidal,
    "TransformerDecoder": _decoder_stack,
    "Transformer": _transformer,
}


# -- Shapes ----------------------------------------------------------------------------------


def _check_sequence(tag: str, x: Shape, width: int, what: str = "input") -> None:
    if len(x) not in (2, 3) or x[-1] != width:
        raise SpecError(f"{tag}: bad {what}")


def _rms_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    k = len(spec.normalized_shape)
    if len(x) < k or x[len(x) - k:] != tuple(spec.normalized_shape):
        raise SpecError("RMSNorm: bad input")
    return {"output": x}


def _self_attention_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    _check_sequence(spec.type, x, spec.embed_dim)
    # scores (L, L) per head, weights @ V → (L, heads·head), then o_proj back to E
    values = (*x[:-1], spec.num_heads * _heads(spec)[1])
    return {"output": (*values[:-1], spec.embed_dim)}


def _causal_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    _check_sequence(spec.type, x, spec.embed_dim)
    qkv = (*x[:-1], 3 * spec.embed_dim)
    return {"output": (*qkv[:-1], qkv[-1] // 3)}


def _mlp_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    if not x or x[-1] != spec.in_features:
        raise SpecError(f"{spec.type}: bad input")
    hidden = (*x[:-1], spec.hidden_features)
    return {"output": (*hidden[:-1], _outputs(spec))}


def _decoder_block_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    _check_sequence(spec.type, x, spec.d_model)
    return {"output": x}


def _patch_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    if len(x) not in (3, 4) or x[-3] != spec.in_channels or x[-2:] != tuple(spec.image_size):
        raise SpecError(f"{spec.type}: bad input")
    tokens = _patches(x[-2:], spec.patch_size) + (1 if spec.class_token else 0)
    return {"output": (*x[:-3], tokens, spec.embed_dim)}


def _sinusoidal_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    _check_sequence(spec.type, x, spec.d_model)
    if spec.max_len is not None and x[-2] > spec.max_len:
        raise SpecError(f"{spec.type}: sequence longer than max_len")
    return {"output": x}


def _select_shape(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    dims = list(x)
    if not dims or not -len(dims) <= spec.dim < len(dims):
        raise SpecError("Select: dim out of range")
    if not -dims[spec.dim] <= spec.index < dims[spec.dim]:
        raise SpecError("Select: index out of range")
    del dims[spec.dim]
    return {"output": tuple(dims)}


def _stack_shape(spec: Any, x: Shape, *rest: Shape) -> dict[str, Shape]:
    """TransformerDecoder (tgt, memory) gives tgt's shape; Transformer (src, tgt) gives tgt's."""
    tag = spec.type
    d = spec.decoder_layer.d_model if tag == "TransformerDecoder" else spec.d_model
    other = tuple(rest[0]) if rest else x
    for s in (x, other):
        _check_sequence(tag, s, d)
    if len(x) != len(other):
        raise SpecError(f"{tag}: rank mismatch")
    if len(x) == 3:
        layer = spec.decoder_layer if tag == "TransformerDecoder" else spec
        batch_axis = 0 if layer.batch_first else 1
        # nn.Transformer compares the batches itself; a decoder stack only meets the memory in its
        # cross-attention, which takes any batch when the memory holds no position at all
        memory_positions = 1 if tag == "Transformer" else other[1 - batch_axis]
        if x[batch_axis] != other[batch_axis] and memory_positions:
            raise SpecError(f"{tag}: batch mismatch")
    return {"output": other if tag == "Transformer" else x}


#: Output shapes of the blocks, by type tag.
SHAPES: dict[str, Callable[..., dict[str, Shape]]] = {
    "RMSNorm": _rms_shape,
    "SelfAttention": _self_attention_shape,
    "CausalSelfAttention": _causal_shape,
    "FeedForward": _mlp_shape,
    "SwiGLU": _mlp_shape,
    "DecoderBlock": _decoder_block_shape,
    "PatchEmbedding": _patch_shape,
    "SinusoidalPositionalEncoding": _sinusoidal_shape,
    "Select": _select_shape,
    "TransformerDecoder": _stack_shape,
    "Transformer": _stack_shape,
}
