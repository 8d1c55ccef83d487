"""The independent reference: derives counts and shapes another way than the formulas.

A spec is read as data: its ``type`` tag (``"LSTM"``, ``"Conv2d"``) and its attributes, nested
specs included. Parameters come from listing the tensors torch creates, with their state_dict
names and shapes, and summing their sizes; output lengths come from simulating the layer (counting
window positions, scattering a transposed convolution), not from the closed forms. This package
imports neither :mod:`paramcalc.formulas` nor :mod:`paramcalc.specs`; tests compare the two over
the whole valid argument space. The simulations loop over positions, so they are meant for
test-sized inputs.

- :mod:`~paramcalc.reference.tensors`: named tensors (a Linear's, a LayerNorm's, an attention's);
- :mod:`~paramcalc.reference.torch_nn`: the torch.nn layers;
- :mod:`~paramcalc.reference.windows`: convolutions and pooling, by counting windows;
- :mod:`~paramcalc.reference.elementwise`: activations and dropouts;
- :mod:`~paramcalc.reference.reshaping`: padding (cell by cell) and Unflatten;
- :mod:`~paramcalc.reference.blocks`: the building blocks (SelfAttention, DecoderBlock, ...);
- :mod:`~paramcalc.reference.classic`: LeNet-5's own layers (trainable subsampling, sparse C3, RBF output).
"""

from __future__ import annotations

from typing import Any

from paramcalc.errors import SpecError
from paramcalc.reference import blocks, classic, elementwise, reshaping, torch_nn, windows
from paramcalc.reference.tensors import Shape
from paramcalc.results import Count, Tensor

__all__ = ["count", "output_shapes", "param_tensors"]

_TENSORS = {**torch_nn.TENSORS, **elementwise.TENSORS, **blocks.TENSORS, **classic.TENSORS}
_NO_PARAMETERS = torch_nn.NO_PARAMETERS | elementwise.NO_PARAMETERS | reshaping.NO_PARAMETERS | blocks.NO_PARAMETERS
_SHAPES = {**windows.SHAPES, **torch_nn.SHAPES, **elementwise.SHAPES, **reshaping.SHAPES, **blocks.SHAPES,
           **classic.SHAPES}


def _unknown(tag: str) -> SpecError:
    if tag.startswith("keras."):
        return SpecError(f"{tag}: the reference lists torch.nn tensors; a Keras layer is read through its torch.nn equivalent")
    return SpecError(f"{tag}: the reference does not know this layer")


def param_tensors(spec: Any) -> list[Tensor]:
    """The parameters and buffers torch creates for ``spec`` (resolved), in state_dict order.

    Raises:
        SpecError: the reference does not know the spec's type.
    """
    tag = spec.type
    if tag in _NO_PARAMETERS:
        return []
    make = _TENSORS.get(tag)
    if make is None:
        raise _unknown(tag)
    return make(spec)


def count(spec: Any) -> Count:
    """Sum the sizes of the listed tensors, by kind."""
    return Count.of_tensors(param_tensors(spec))


def output_shapes(spec: Any, *shapes: Shape) -> dict[str, Shape]:
    """Output shapes found by simulating the layer over the input shape(s).

    Raises:
        SpecError: the layer refuses the input, or the reference does not know the spec's type.
    """
    tag = spec.type
    simulate = _SHAPES.get(tag)
    if simulate is None:
        raise _unknown(tag)
    return simulate(spec, *(tuple(s) for s in shapes))
