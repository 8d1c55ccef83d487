"""Counting conventions side by side: the same layer counted as PyTorch, Keras 3 or the course textbook counts it.

- ``"pytorch"``: ``sum(p.numel() for p in module.parameters())`` of the equivalent torch.nn module,
  buffers apart (a Keras spec is counted as the torch module it stands for);
- ``"keras"``: Keras 3's ``count_params()`` for the equivalent Keras layer(s), split into trainable
  and non-trainable weights;
- ``"textbook"``: the course formulas, one bias per layer or gate, no buffers.

Each layer family knows its own count under every convention (:mod:`paramcalc.specs`); this package
puts them side by side and says why they differ.
"""

from __future__ import annotations

from typing import Any

from paramcalc.conventions.compare import Comparison, ConventionRow, compare
from paramcalc.results import Count, Tensor
from paramcalc.specs.base import LayerSpec
from paramcalc.specs.working import CONVENTIONS

__all__ = ["CONVENTIONS", "Comparison", "ConventionRow", "compare", "count", "param_tensors"]


def count(spec: LayerSpec, convention: str = "pytorch", input_shape: Any = None) -> Count:
    """``spec.count(convention, input_shape=input_shape)``: PyTorch specs state their sizes; Keras
    specs take them from the input shape (batch first), or a list of shapes for several inputs.

    Raises:
        SpecError: unknown convention, a missing or unfitting input shape, or no equivalent layer in
            that framework.
    """
    return spec.count(convention, input_shape=input_shape)  # type: ignore[arg-type]


def param_tensors(spec: LayerSpec, convention: str = "pytorch", input_shape: Any = None) -> list[Tensor]:
    """The weights ``spec`` has under ``convention``, named as that framework (or the textbook) names them.

    Keras names are weight paths without the layer's own name (``kernel``, ``lstm_cell/bias``,
    ``query/kernel``, ``forward_lstm/lstm_cell/kernel``); PyTorch names are state_dict keys.
    """
    return spec.param_tensors(convention, input_shape=input_shape)  # type: ignore[arg-type]
