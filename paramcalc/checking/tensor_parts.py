"""The tensors of a layer as the mistakes see them: biases and weights under every convention's names, and
their sizes summed (exactly, each scaled by a fraction when a mistake scales it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction

from paramcalc.checking.situation import Situation
from paramcalc.results import Count, Tensor


def leaf(name: str) -> str:
    return name.replace("/", ".").rsplit(".", 1)[-1]


def sum_tensors(tensors: Iterable[Tensor], scale: Callable[[Tensor], Fraction | int] | None = None) -> Count:
    """Sum tensor sizes by kind, each scaled (exactly) by ``scale``; a non-whole total is an ArithmeticError."""
    sums: dict[str, Fraction | int] = {"trainable": 0, "non_trainable": 0, "buffer": 0}
    for t in tensors:
        sums[t.kind] += t.numel * scale(t) if scale else t.numel
    if any(isinstance(v, Fraction) and v.denominator != 1 for v in sums.values()):
        raise ArithmeticError("not a whole count")
    return Count(int(sums["trainable"]), int(sums["non_trainable"]), int(sums["buffer"]))


def param_tensors(s: Situation) -> list[Tensor]:
    """The tensors that are parameters (buffers left out)."""
    return [t for t in s.tensors() if t.kind != "buffer"]


def without(s: Situation, drop: Callable[[Tensor], bool]) -> Count | None:
    """The count without the tensors ``drop`` picks; None when it picks none or all."""
    tensors = param_tensors(s)
    kept = [t for t in tensors if not drop(t)]
    if not tensors or len(kept) == len(tensors):
        return None
    return sum_tensors(kept)


def is_bias(t: Tensor) -> bool:
    """A bias under any convention: torch's ``bias``/``bias_ih_l0``, Keras's ``bias``, the textbook's ``b``/``b_i``."""
    name = leaf(t.name)
    return "bias" in name or name == "b" or name.startswith("b_")


def is_weight(t: Tensor) -> bool:
    """A weight or kernel under any convention's names."""
    name = leaf(t.name)
    return name in ("weight", "kernel", "W") or name.startswith(("weight_", "W_"))
