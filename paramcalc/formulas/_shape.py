"""Shared helpers for input-shape checks in the formulas (batched or unbatched inputs)."""

from __future__ import annotations

from paramcalc.errors import SpecError


def split_batch(
    layer: str, shape: tuple[int, ...], core_rank: int, *, what: str = "input"
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Split ``shape`` into (batch dims, core dims) for a layer that takes ``core_rank`` dims.

    Torch accepts a core-rank input (unbatched) or one more leading batch dimension.
    """
    if len(shape) == core_rank:
        return (), tuple(shape)
    if len(shape) == core_rank + 1:
        return (shape[0],), tuple(shape[1:])
    raise SpecError(
        f"{layer}: expected a {core_rank + 1}D (batched) or {core_rank}D (unbatched) {what}, "
        f"got {len(shape)}D. Received: {what}_shape={tuple(shape)}"
    )
