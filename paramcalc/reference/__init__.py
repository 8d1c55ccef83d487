"""The independent reference: derives counts and shapes another way than the formulas.

A layer is read as data (:mod:`~paramcalc.reference.arguments`): a mapping such as
``{"type": "LSTM", "input_size": 10, "hidden_size": 20}``, or a spec's type tag and the arguments
it was given, with torch's defaults and refusals known here. Parameters come from listing the tensors torch creates, with their state_dict
names and shapes, and summing their sizes; output lengths come from simulating the layer (counting
window positions, scattering a transposed convolution), not from the closed forms. This package
imports neither :mod:`paramcalc.formulas` nor :mod:`paramcalc.specs`, directly or through any
module; the tests compare the two over every generated case, valid or not. The simulations loop over positions, so they are meant for
test-sized inputs.

- :mod:`~paramcalc.reference.arguments`: torch's signatures, defaults and refusals;
- :mod:`~paramcalc.reference.tensors`: named tensors (a Linear's, a LayerNorm's, an attention's);
- :mod:`~paramcalc.reference.torch_nn`: the torch.nn layers;
- :mod:`~paramcalc.reference.windows`: convolutions and pooling, by counting windows;
- :mod:`~paramcalc.reference.elementwise`: activations and dropouts;
- :mod:`~paramcalc.reference.reshaping`: padding (cell by cell), Unflatten, pixel shuffles and Upsample;
- :mod:`~paramcalc.reference.blocks`: the building blocks (SelfAttention, DecoderBlock, ...);
- :mod:`~paramcalc.reference.classic`: LeNet-5's own layers (trainable subsampling, sparse C3, RBF output).
- :mod:`~paramcalc.reference.keras_layers`: Keras 3 layers, their weights as ``build`` creates them
  (:mod:`~paramcalc.reference.keras_windows`: the ones that slide, scatter or pad a window).
"""

from __future__ import annotations

from typing import Any

from paramcalc.reference import arguments, blocks, classic, elementwise, reshaping, torch_nn, windows
from paramcalc.reference.tensors import Shape
from paramcalc.results import Count, Tensor

__all__ = ["count", "output_shapes", "param_tensors"]

_TENSORS = {**torch_nn.TENSORS, **elementwise.TENSORS, **blocks.TENSORS, **classic.TENSORS}
_NO_PARAMETERS = torch_nn.NO_PARAMETERS | elementwise.NO_PARAMETERS | reshaping.NO_PARAMETERS | blocks.NO_PARAMETERS
_SHAPES = {**windows.SHAPES, **torch_nn.SHAPES, **elementwise.SHAPES, **reshaping.SHAPES, **blocks.SHAPES,
           **classic.SHAPES}


def param_tensors(layer: Any) -> list[Tensor]:
    """The parameters and buffers torch creates for ``layer`` (a mapping or a resolved spec), in
    state_dict order.

    Raises:
        SpecError: the reference does not know the layer's type, or refuses its arguments.
    """
    args = arguments.read(layer)
    if args.type in _NO_PARAMETERS:
        return []
    make = _TENSORS.get(args.type)
    if make is None:
        raise arguments.unknown(args.type)
    return make(args)


def count(layer: Any) -> Count:
    """Sum the sizes of the listed tensors, by kind."""
    return Count.of_tensors(param_tensors(layer))


def output_shapes(layer: Any, *shapes: Shape) -> dict[str, Shape]:
    """Output shapes found by simulating the layer over the input shape(s).

    Raises:
        SpecError: the layer refuses its arguments or the input, or the reference does not know its type.
    """
    args = arguments.read(layer)
    simulate = _SHAPES.get(args.type)
    if simulate is None:
        raise arguments.unknown(args.type)
    return simulate(args, *(tuple(s) for s in shapes))
