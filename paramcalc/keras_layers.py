"""The Keras 3 layer specs as ``paramcalc.keras_layers`` (they live in :mod:`paramcalc.specs.keras`).

``build`` here also reads a Bidirectional's inner layer written as a constructor expression
(``layers.Bidirectional(layer="layers.LSTM(64)")``), which needs the expression parser.
"""

from typing import Any

from paramcalc.specs.keras import *  # noqa: F401,F403 - the public names
from paramcalc.specs.keras import KERAS_LAYERS, KerasLayer, build_from_mapping, choose  # noqa: F401
from paramcalc.specs.keras import build as _build


def build(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> KerasLayer:
    """The Keras spec for ``layers.<name>(*args, **kwargs)`` (see :func:`paramcalc.specs.keras.build`)."""
    if name == "Bidirectional":
        if args and isinstance(args[0], str):
            args = (_parsed(args[0]), *args[1:])
        if isinstance(kwargs.get("layer"), str):
            kwargs = {**kwargs, "layer": _parsed(kwargs["layer"])}
    return _build(name, args, kwargs)


def _parsed(text: str) -> Any:
    from paramcalc.parse import parse_layer

    return parse_layer(text)
