"""Memory of a checkpoint read from its header (safetensors, GGUF) or of a printout's count: the
weights, and for training their gradients and optimizer states; no activations (no input is known)."""

from __future__ import annotations

from typing import Any

from paramcalc.analysis.memory import Memory, estimate
from paramcalc.errors import ModelError


def stored_memory(summary: Any, *, dtype: str = "fp32", training: bool = False, optimizer: str = "adam",
                  momentum: bool = False) -> Memory:
    """The memory rules of :func:`paramcalc.analysis.memory.estimate` applied to a summary's totals.

    Raises:
        ModelError: the summary's total is a bound, not a count.
    """
    if not summary.exact:
        raise ModelError(f"{summary.name}: its total is a {summary.bound} bound, not a count; memory needs the count")
    notes = ["no activations: a checkpoint (or printout) says nothing of the input"]
    stored = (summary.source or {}).get("tensor_bytes")
    if stored is not None:
        notes.insert(0, f"the tensors take {stored:,} bytes as stored in the file")
    return estimate(params=summary.totals.total, trainable=summary.totals.trainable,
                    float_buffers=summary.totals.buffers, dtype=dtype, training=training, optimizer=optimizer,
                    momentum=momentum, notes=notes)
