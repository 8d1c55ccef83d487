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
