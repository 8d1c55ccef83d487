"""Every layer class by its ``type`` tag, loaded on first use.

A family module that needs a class of another framework (the Keras layers a PyTorch layer is
counted as, or the torch.nn module a Keras layer stands for) looks it up here by tag instead of
importing the other family: families never import each other, and a query loads only the
families it uses.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Where the classes of each framework are listed (a module with a tag → class mapping).
_TABLES = {"keras": ("paramcalc.specs.keras", "KERAS_LAYERS"), "pytorch": ("paramcalc.specs", "TORCH_LAYERS")}


def layers(framework: str) -> dict[str, Any]:
    """Every layer class of ``framework`` ("pytorch" or "keras") by class name."""
    module, table = _TABLES[framework]
    return getattr(import_module(module), table)


def layer_class(tag: str) -> Any:
    """The class of a ``type`` tag: ``"LSTM"`` is torch.nn's, ``"keras.LSTM"`` Keras's."""
    if tag.startswith("keras."):
        return layers("keras")[tag.removeprefix("keras.")]
    return layers("pytorch")[tag]
