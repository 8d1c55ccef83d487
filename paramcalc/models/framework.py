"""Which framework a model file is written for, when it does not say: read from its layer names.

A name only PyTorch has (``Conv2d``, ``BatchNorm1d``, ``nn.LSTM``) makes a PyTorch model; a name only
Keras has (``Dense``, ``Conv2D``, ``layers.LSTM``) a Keras one; names both use (``LSTM``,
``Embedding``, ``ReLU``) decide nothing. A file with unqualified names of both, and no
``framework:`` key, is refused: which one ``ReLU(6.0)`` or ``LSTM(32)`` means depends on it.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from paramcalc.errors import ModelError
from paramcalc.models.nodes import shown as _shown

_CALL = re.compile(r"^\s*((?:[A-Za-z_][A-Za-z0-9_]*\.)*)([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(|$)")
_TORCH_QUALIFIERS = ("nn.", "torch.nn.")
_KERAS_QUALIFIERS = ("layers.", "keras.layers.", "tf.keras.layers.", "keras.", "tf.keras.")
#: The keys of an entry that hold further entries (a block's layers, shortcut and after; branches).
_NESTED = ("layers", "parallel", "shortcut", "after")


def _names(nodes: Any, where: str) -> Iterator[tuple[str, str, str]]:
    """(path, qualifier, name) of every layer written in ``nodes``, outermost call only."""
    if not isinstance(nodes, list):
        return
    for i, node in enumerate(nodes):
        label = node.get("name") if isinstance(node, dict) and isinstance(node.get("name"), str) else str(i)
        path = f"{where}.{label}" if where else label
        if isinstance(node, str):
            m = _CALL.match(node)
            if m:
                yield path, m.group(1), m.group(2)
        elif isinstance(node, dict):
            if isinstance(node.get("type"), str):
                qualifier, _, name = node["type"].rpartition(".")
                yield path, qualifier + "." if qualifier else "", name
            if "layer" in node:
                yield from _names([node["layer"]], where if isinstance(node["layer"], str) else path)
            for key in _NESTED:
                yield from _names(node.get(key), path)


def detect(data: dict[str, Any]) -> str | None:
    """``"pytorch"`` or ``"keras"`` when the model's layer names say it, else None.

    Raises:
        ModelError: names of both frameworks written without nn. or layers.
    """
    from paramcalc.specs.registry import names

    torch_names = set(names("pytorch"))
    keras_names: set[str] | None = None
    #: the first layer seen of each framework, by name alone and by qualified name
    plain: dict[str, tuple[str, str]] = {}
    qualified: dict[str, tuple[str, str]] = {}
    for path, qualifier, name in _names(data.get("layers"), ""):
        if qualifier in _TORCH_QUALIFIERS:
            qualified.setdefault("pytorch", (path, name))
        elif qualifier in _KERAS_QUALIFIERS:
            qualified.setdefault("keras", (path, name))
        elif not qualifier:
            if keras_names is None:
                keras_names = set(names("keras"))
            in_torch, in_keras = name in torch_names, name in keras_names
            if in_torch != in_keras:  # a name both frameworks use (or neither) decides nothing
                plain.setdefault("pytorch" if in_torch else "keras", (path, name))
    if len(plain) == 2:
        (tp, tn), (kp, kn) = plain["pytorch"], plain["keras"]
        raise ModelError(
            f"framework: the model mixes PyTorch and Keras layers ({tn} at {_shown(tp)} is PyTorch's, {kn} at "
            f"{_shown(kp)} is Keras's); set framework: pytorch or framework: keras, and write the other "
            f"framework's layers with nn. or layers. if you mean them"
        )
    # Qualified names say which framework each layer is; they decide the file's only when all agree.
    found = plain or qualified
    return next(iter(found)) if len(found) == 1 else None
