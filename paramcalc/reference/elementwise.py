"""torch.nn layers that act on each value and keep the shape: the activations (PReLU's slopes
included) and the dropouts, read as data."""

from __future__ import annotations

from typing import Any, Callable

from paramcalc.errors import SpecError
from paramcalc.reference.tensors import Shape, tensor
from paramcalc.results import Tensor

#: Activations that take any input and return its shape.
ACTIVATIONS = ("ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "SiLU", "GELU", "Mish", "Hardswish", "Hardsigmoid",
               "Tanh", "Sigmoid")
#: Dropouts: plain ones zero values; the others zero whole channels and look at the rank.
DROPOUTS = ("Dropout", "AlphaDropout", "Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout")

#: Layers of this module that create no tensor.
NO_PARAMETERS = frozenset({*ACTIVATIONS, "Softmax", "LogSoftmax", *DROPOUTS, "Identity"})


def _values(x: Shape) -> int:
    count = 1
    for n in x:
        count *= n
    return count


def _same(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    return {"output": x}


def _softmax(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    # A 0D input is read as one dimension: dims 0 and -1 name it.
    dims = list(range(max(len(x), 1)))
    if spec.dim is not None and spec.dim not in dims and spec.dim + len(dims) not in dims:
        raise SpecError(f"{spec.type}: dim out of range")
    return {"output": x}


def _dropout(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    """Dropout1d wants (C, L) or (N, C, L) whatever the mode. The other channel-wise dropouts
    refuse an input without a channel dimension in training mode only (eval mode passes it
    through), so they take any input."""
    if spec.type == "Dropout1d" and len(x) not in (2, 3):
        raise SpecError("Dropout1d: wants 2D or 3D")
    return {"output": x}


def _prelu(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    """One slope broadcasts over anything; several go along dimension 1 (a 1D input is one channel)."""
    slopes = spec.num_parameters
    if slopes != 1:
        if len(x) == 0:
            raise SpecError("PReLU: 0D input with several slopes")
        channels = 1 if len(x) == 1 else x[1]
        if channels != slopes:
            raise SpecError("PReLU: one slope per channel")
    return {"output": x}


#: Tensors of the layers here with parameters.
TENSORS: dict[str, Callable[[Any], list[Tensor]]] = {
    "PReLU": lambda s: [tensor("weight", (s.num_parameters,), "learned negative slope(s): one, or one per channel")],
}

#: Output shapes, by type tag.
SHAPES: dict[str, Callable[..., dict[str, Shape]]] = {
    **{kind: _same for kind in (*ACTIVATIONS, "Dropout", "AlphaDropout", "Identity")},
    "Softmax": _softmax,
    "LogSoftmax": _softmax,
    **{kind: _dropout for kind in ("Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout")},
    "PReLU": _prelu,
}
