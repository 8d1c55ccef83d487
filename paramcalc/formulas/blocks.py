"""Building blocks of modern networks: RMSNorm, gated and plain feed-forwards, attention with separate
or fused projections, decoder-only blocks, patch embeddings, and torch's full Transformer."""

from __future__ import annotations

from math import prod

from paramcalc.errors import SpecError
from paramcalc.formulas.linear import linear_params
from paramcalc.formulas.norm import layernorm_params
from paramcalc.formulas.transformer import (
    transformer_decoder_layer_params,
    transformer_encoder_layer_params,
)


def rmsnorm_params(*, normalized_shape: tuple[int, ...], elementwise_affine: bool = True) -> int:
    """Parameters of ``torch.nn.RMSNorm``: a scale per normalised element, no shift.

    Formula: prod(normalized_shape) when elementwise_affine, else 0.
    """
    return prod(normalized_shape) if elementwise_affine else 0


def attention_params(
    *,
    embed_dim: int,
    num_heads: int,
    num_kv_heads: int | None = None,
    head_dim: int | None = None,
    bias: bool = True,
    out_bias: bool | None = None,
) -> int:
    """Parameters of attention with separate query, key, value and output projections.

    With E = embed_dim, H = num_heads, K = num_kv_heads (default H, fewer for grouped-query
    attention) and d = head_dim (default E / H):
    Formula: E·H·d (query) + 2·E·K·d (key, value) + H·d·E (output)
    + (H·d + 2·K·d if bias) + (E if out_bias, which defaults to bias).
    With K = H and d = E / H: 4·E² + 4·E with biases (BERT), 4·E² without (LLaMA).
    """
    kv_heads = num_heads if num_kv_heads is None else num_kv_heads
    d = embed_dim // num_heads if head_dim is None else head_dim
    out_bias = bias if out_bias is None else out_bias
    q, kv = num_heads * d, kv_heads * d
    weights = embed_dim * q + 2 * embed_dim * kv + q * embed_dim
    return weights + (q + 2 * kv if bias else 0) + (embed_dim if out_bias else 0)


def fused_attention_params(*, embed_dim: int, bias: bool = True) -> int:
    """Parameters of GPT-2 style attention: one fused projection to Q, K and V, and an output projection.

    Formula: E·3E + 3E (c_attn) + E·E + E (c_proj) = 4·E² + 4·E with biases, 4·E² without.
    """
    return linear_params(in_features=embed_dim, out_features=3 * embed_dim, bias=bias) + linear_params(
        in_features=embed_dim, out_features=embed_dim, bias=bias
    )


def mlp_params(*, in_features: int, hidden_features: int, out_features: int | None = None, bias: bool = True) -> int:
    """Parameters of a two-layer feed-forward: Linear(in, hidden), activation, Linear(hidden, out).

    Formula: in·hidden + hidden·out + (hidden + out if bias); out defaults to in.
    """
    out = in_features if out_features is None else out_features
    return linear_params(in_features=in_features, out_features=hidden_features, bias=bias) + linear_params(
        in_features=hidden_features, out_features=out, bias=bias
    )


def swiglu_params(
    *, in_features: int, hidden_features: int, out_features: int | None = None, bias: bool = False
) -> int:
    """Parameters of a gated SwiGLU feed-forward: down(silu(gate(x)) · up(x)).

    Formula: 2·in·hidden (gate and up projections) + hidden·out (down projection)
    + (2·hidden + out if bias); out defaults to in. LLaMA-2-7B: 3 · 4096 · 11008 = 135,266,304.
    """
    out = in_features if out_features is None else out_features
    return (
        2 * linear_params(in_features=in_features, out_features=hidden_features, bias=bias)
        + linear_params(in_features=hidden_features, out_features=out, bias=bias)
    )


def llama_hidden_size(*, d_model: int, multiple_of: int = 256) -> int:
    """The SwiGLU hidden size LLaMA derives from d_model: two thirds of 4·d, rounded up to multiple_of.

    Formula: m · ceil(floor(8·d / 3) / m). d = 4096, m = 256 gives 11,008.
    """
    hidden = 8 * d_model // 3
    return -(-hidden // multiple_of) * multiple_of


def decoder_block_params(
    *,
    d_model: int,
    num_heads: int,
    dim_feedforward: int,
    style: str = "gpt2",
    num_kv_heads: int | None = None,
    bias: bool = True,
) -> int:
    """Parameters of a pre-norm decoder-only block, x + attn(norm(x)) then x + mlp(norm(x)).

    Formula, "gpt2": 2 LayerNorms (2·2·d) + fused attention (4·d² + 4·d) + MLP (2·d·f + f + d);
    with f = 4·d that is 12·d² + 13·d.
    Formula, "llama": 2 RMSNorms (2·d) + attention without biases (4·d² with as many key/value
    heads as query heads) + SwiGLU (3·d·f).
    """
    if style == "gpt2":
        return (
            2 * layernorm_params(normalized_shape=(d_model,))
            + fused_attention_params(embed_dim=d_model, bias=bias)
            + mlp_params(in_features=d_model, hidden_features=dim_feedforward, bias=bias)
        )
    return (
        2 * rmsnorm_params(normalized_shape=(d_model,))
        + attention_params(embed_dim=d_model, num_heads=num_heads, num_kv_heads=num_kv_heads, bias=bias)
        + swiglu_params(in_features=d_model, hidden_features=dim_feedforward, bias=bias)
    )


def num_patches(*, image_size: tuple[int, ...], patch_size: tuple[int, ...]) -> int:
    """Number of non-overlapping patches: prod(image_size[i] // patch_size[i]) (each must divide)."""
    return prod(i // p for i, p in zip(image_size, patch_size))


def patch_embedding_params(
    *,
    in_channels: int,
    embed_dim: int,
    patch_size: tuple[int, ...],
    image_size: tuple[int, ...],
    class_token: bool = True,
    position_embedding: bool = True,
    bias: bool = True,
) -> int:
    """Parameters of a ViT patch embedding: a patch-sized, patch-strided convolution, a class token and
    learned position embeddings.

    With N = number of patches and c = 1 with a class token (else 0):
    Formula: E·C·prod(patch_size) + (E if bias) + c·E + (N + c)·E (if position_embedding).
    ViT-B/16 at 224×224: 590,592 + 768 + 151,296 = 742,656.
    """
    conv = embed_dim * in_channels * prod(patch_size) + (embed_dim if bias else 0)
    tokens = num_patches(image_size=image_size, patch_size=patch_size) + (1 if class_token else 0)
    return conv + (embed_dim if class_token else 0) + (tokens * embed_dim if position_embedding else 0)


def patch_embedding_output_shape(
    *,
    input_shape: tuple[int, ...],
    in_channels: int,
    embed_dim: int,
    patch_size: tuple[int, ...],
    image_size: tuple[int, ...],
    class_token: bool = True,
    layer: str = "PatchEmbedding",
) -> tuple[int, ...]:
    """(N, C, H, W) images → (N, patches + 1, E) tokens (without the 1 when there is no class token).

    The image must be exactly image_size (the position embeddings are sized for it).
    """
    if len(input_shape) not in (3, 4):
        raise SpecError(
            f"{layer}: expected a 4D (batched) or 3D (unbatched) image input, got {len(input_shape)}D. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    batch, (c, *spatial) = input_shape[:-3], input_shape[-3:]
    if c != in_channels:
        raise SpecError(
            f"{layer}: expected input with in_channels={in_channels} channels, got {c}. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    if tuple(spatial) != tuple(image_size):
        raise SpecError(
            f"{layer}: expected images of size image_size={tuple(image_size)}, got {tuple(spatial)}. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    tokens = num_patches(image_size=image_size, patch_size=patch_size) + (1 if class_token else 0)
    return (*batch, tokens, embed_dim)


def sequence_output_shape(
    *, input_shape: tuple[int, ...], embed_dim: int, layer: str, what: str = "input"
) -> tuple[int, ...]:
    """A sequence layer keeps its input's shape: (N, L, E) or (L, E), with last dimension embed_dim."""
    if len(input_shape) not in (2, 3):
        raise SpecError(
            f"{layer}: {what} should be unbatched 2D (L, E) or batched 3D (N, L, E). "
            f"Received: {what}_shape={tuple(input_shape)}"
        )
    if input_shape[-1] != embed_dim:
        raise SpecError(
            f"{layer}: expected {what} with last dimension embed_dim={embed_dim}, got {input_shape[-1]}. "
            f"Received: {what}_shape={tuple(input_shape)}"
        )
    return tuple(input_shape)


def features_output_shape(
    *, input_shape: tuple[int, ...], in_features: int, out_features: int, layer: str
) -> tuple[int, ...]:
    """A feature-wise layer maps (*, in_features) to (*, out_features)."""
    if not input_shape or input_shape[-1] != in_features:
        got = input_shape[-1] if input_shape else "a 0-dimensional input"
        raise SpecError(
            f"{layer}: expected input with last dimension in_features={in_features}, got {got}. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    return (*input_shape[:-1], out_features)


def select_output_shape(*, input_shape: tuple[int, ...], dim: int, index: int, layer: str = "Select") -> tuple[int, ...]:
    """x.select(dim, index): the input without dimension ``dim`` (index must be within its size)."""
    rank = len(input_shape)
    if rank == 0 or not -rank <= dim < rank:
        raise SpecError(
            f"{layer}: dim out of range (expected to be in [{-rank}, {rank - 1}]). "
            f"Received: dim={dim}, input_shape={tuple(input_shape)}"
        )
    size = input_shape[dim]
    if not -size <= index < size:
        raise SpecError(
            f"{layer}: index out of range for dimension {dim} of size {size}. "
            f"Received: index={index}, input_shape={tuple(input_shape)}"
        )
    d = dim % rank
    return (*input_shape[:d], *input_shape[d + 1:])


def transformer_params(
    *,
    d_model: int,
    num_encoder_layers: int,
    num_decoder_layers: int,
    dim_feedforward: int = 2048,
    bias: bool = True,
) -> int:
    """Parameters of ``torch.nn.Transformer``: both stacks and their final LayerNorms.

    Formula: n_enc · encoder layer + 2·d (encoder norm) + n_dec · decoder layer + 2·d (decoder norm);
    without bias the norms keep only their d weights. Base (512, 8, 6, 6, 2048): 44,140,544.
    """
    norm = layernorm_params(normalized_shape=(d_model,), bias=bias)
    return (
        num_encoder_layers
        * transformer_encoder_layer_params(d_model=d_model, dim_feedforward=dim_feedforward, bias=bias)
        + num_decoder_layers
        * transformer_decoder_layer_params(d_model=d_model, dim_feedforward=dim_feedforward, bias=bias)
        + 2 * norm
    )

