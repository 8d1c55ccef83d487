"""What autograd keeps for the backward pass, measured: torch's saved_tensors_hooks, each storage once.

Parameters and buffers are left out (they are the weights, not activations); a tensor saved by
several operations, or several views of one tensor, count once, by their storage's size.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.autograd.graph import saved_tensors_hooks


def saved_bytes(module: Any, *inputs: Any, **kwargs: Any) -> int:
    """Bytes of the distinct storages autograd saves while ``module(*inputs, **kwargs)`` runs in training mode."""
    module.train()
    weights = {t.untyped_storage().data_ptr() for t in [*module.parameters(), *module.buffers()]}
    seen: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            seen.setdefault(storage.data_ptr(), storage.nbytes())
        return tensor

    with saved_tensors_hooks(pack, lambda tensor: tensor):
        module(*inputs, **kwargs)
    return sum(seen.values())
