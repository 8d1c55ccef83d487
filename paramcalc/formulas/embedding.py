"""Embedding tables."""

from __future__ import annotations

from math import prod

from paramcalc.errors import SpecError


def embedding_params(*, num_embeddings: int, embedding_dim: int) -> int:
    """Parameters of an embedding table.

    Formula: num_embeddings · embedding_dim (padding_idx does not change the count).
    """
    return num_embeddings * embedding_dim


def embedding_output_shape(
    *, input_shape: tuple[int, ...], embedding_dim: int, num_embeddings: int | None = None
) -> tuple[int, ...]:
    """Output shape of an embedding lookup.

    Formula: (*) → (*, embedding_dim): one vector per index.

    An empty table (num_embeddings = 0) can only look up an empty input: any index is out of range.
    """
    if num_embeddings == 0 and prod(input_shape) > 0:
        raise SpecError(
            f"Embedding: an empty table (num_embeddings=0) has no index to look up. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    return (*input_shape, embedding_dim)


def embedding_bag_output_shape(
    *, input_shape: tuple[int, ...], offsets_shape: tuple[int, ...] | None, embedding_dim: int,
    include_last_offset: bool = False, weights_shape: tuple[int, ...] | None = None, mode: str = "mean",
) -> tuple[int, ...]:
    """Output shape of ``nn.EmbeddingBag``: one reduced vector per bag.

    Formula: a 2-D input (B, N) is B bags of N indices → (B, embedding_dim) (N >= 1; no offsets);
    a 1-D input (N,) with 1-D offsets (B,) is B bags → (B, embedding_dim), or (B − 1, embedding_dim)
    with include_last_offset (the last offset closes the last bag; B >= 1). per_sample_weights, only
    with mode 'sum', have the input's shape. Indices in no bag are refused: torch 2.13 reads past
    its bags then (a segmentation fault in mode 'max' or with a padding_idx).
    """
    x = tuple(input_shape)
    if weights_shape is not None:
        if mode != "sum":
            raise SpecError(f"EmbeddingBag: per_sample_weights are only supported with mode='sum'. Received: mode={mode!r}")
        if tuple(weights_shape) != x:
            raise SpecError(
                "EmbeddingBag: per_sample_weights must have the input's shape. "
                f"Received: input_shape={x}, per_sample_weights shape={tuple(weights_shape)}"
            )
    if len(x) == 2:
        if offsets_shape is not None:
            raise SpecError(
                "EmbeddingBag: a 2-D input is a batch of bags of one length; offsets must not be given. "
                f"Received: input_shape={x}, offsets shape={tuple(offsets_shape)}"
            )
        if x[1] == 0:  # torch steps through the flattened input by the bag length
            raise SpecError(f"EmbeddingBag: the bags of a 2-D input must hold at least one index. Received: input_shape={x}")
        return (x[0], embedding_dim)
    if len(x) != 1:
        raise SpecError(f"EmbeddingBag: the input must be 1-D (with offsets) or 2-D (B, N). Received: input_shape={x}")
    if offsets_shape is None or len(offsets_shape) != 1:
        got = "none" if offsets_shape is None else f"shape {tuple(offsets_shape)}"
        raise SpecError(f"EmbeddingBag: a 1-D input needs 1-D offsets (where each bag starts). Received: offsets {got}")
    bags = offsets_shape[0] - (1 if include_last_offset else 0)
    if bags < 0:
        raise SpecError("EmbeddingBag: include_last_offset needs at least one offset. Received: offsets shape=(0,)")
    if bags == 0 and x[0] > 0:
        raise SpecError(
            "EmbeddingBag: indices in no bag (torch 2.13 reads past its bags then, and crashes in mode 'max' or "
            f"with a padding_idx); give at least one bag. Received: input_shape={x}, offsets shape={tuple(offsets_shape)}"
        )
    return (bags, embedding_dim)
