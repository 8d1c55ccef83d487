"""Embedding tables."""

from __future__ import annotations


def embedding_params(*, num_embeddings: int, embedding_dim: int) -> int:
    """Parameters of an embedding table.

    Formula: num_embeddings · embedding_dim (padding_idx does not change the count).
    """
    return num_embeddings * embedding_dim


def embedding_output_shape(*, input_shape: tuple[int, ...], embedding_dim: int) -> tuple[int, ...]:
    """Output shape of an embedding lookup: (*) → (*, embedding_dim)."""
    return (*input_shape, embedding_dim)
