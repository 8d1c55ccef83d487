"""Multi-head attention (torch.nn.MultiheadAttention)."""

from __future__ import annotations

from paramcalc.errors import SpecError


def mha_params(
    *,
    embed_dim: int,
    kdim: int | None = None,
    vdim: int | None = None,
    bias: bool = True,
    add_bias_kv: bool = False,
) -> int:
    """Parameters of ``torch.nn.MultiheadAttention`` (the head count does not change them).

    With E = embed_dim and key/value sizes kdim, vdim (default E):
    Formula: E·(E + kdim + vdim) (Q, K, V projections) + E·E (output projection)
    + 4·E (in_proj and out_proj biases, if bias) + 2·E (bias_k and bias_v, if add_bias_kv).
    With kdim = vdim = E and biases this is 4·E² + 4·E.
    """
    kdim = embed_dim if kdim is None else kdim
    vdim = embed_dim if vdim is None else vdim
    weights = embed_dim * (embed_dim + kdim + vdim) + embed_dim * embed_dim
    return weights + (4 * embed_dim if bias else 0) + (2 * embed_dim if add_bias_kv else 0)


def mha_output_shapes(
    *,
    query_shape: tuple[int, ...],
    key_shape: tuple[int, ...],
    value_shape: tuple[int, ...],
    embed_dim: int,
    kdim: int | None = None,
    vdim: int | None = None,
    batch_first: bool = False,
    add_bias_kv: bool = False,
    add_zero_attn: bool = False,
    layer: str = "MultiheadAttention",
) -> dict[str, tuple[int, ...]]:
    """Shapes of ``attn_output`` (L, N, E) and the head-averaged ``attn_output_weights`` (N, L, S).

    Formula: attn_output (L, N, E); attn_output_weights (N, L, S + add_bias_kv + add_zero_attn),
    with L the query length and S the key length. With batch_first the query and output are
    (N, L, E). Unbatched inputs are (L, E) and give weights (L, S + ...).
    """
    kdim = embed_dim if kdim is None else kdim
    vdim = embed_dim if vdim is None else vdim
    rank = len(query_shape)
    if rank not in (2, 3):
        raise SpecError(f"{layer}: query should be unbatched 2D or batched 3D. Received: query_shape={query_shape}")
    for name, shape in (("key", key_shape), ("value", value_shape)):
        if len(shape) != rank:
            raise SpecError(
                f"{layer}: for {rank}D query, {name} should be {rank}D. Received: {name}_shape={shape}"
            )
    for name, shape, size in (("query", query_shape, embed_dim), ("key", key_shape, kdim), ("value", value_shape, vdim)):
        if shape[-1] != size:
            expected = "embed_dim" if name == "query" else ("kdim" if name == "key" else "vdim")
            raise SpecError(
                f"{layer}: {name} must have last dimension {expected}={size}, got {shape[-1]}. "
                f"Received: {name}_shape={shape}"
            )
    if rank == 3:
        seq_axis, batch_axis = (1, 0) if batch_first else (0, 1)
        # torch reshapes the projected keys to the query's batch: only an empty key sequence
        # (without add_bias_kv, which appends one key per query batch entry) gets through unequal.
        key_batch_differs = query_shape[batch_axis] != key_shape[batch_axis] and (
            key_shape[seq_axis] > 0 or add_bias_kv
        )
        if key_batch_differs or key_shape[batch_axis] != value_shape[batch_axis]:
            raise SpecError(
                f"{layer}: query, key and value must have the same batch size. "
                f"Received: query_shape={query_shape}, key_shape={key_shape}, value_shape={value_shape}"
            )
    else:
        seq_axis, batch_axis = 0, None
    if key_shape[seq_axis] != value_shape[seq_axis]:
        raise SpecError(
            f"{layer}: key and value must have the same sequence length. "
            f"Received: key_shape={key_shape}, value_shape={value_shape}"
        )
    target = query_shape[seq_axis]
    source = key_shape[seq_axis] + int(add_bias_kv) + int(add_zero_attn)
    if rank == 2:
        return {"attn_output": (target, embed_dim), "attn_output_weights": (target, source)}
    n = query_shape[batch_axis]
    output = (n, target, embed_dim) if batch_first else (target, n, embed_dim)
    return {"attn_output": output, "attn_output_weights": (n, target, source)}
