"""Counting conventions: the same layer counted as PyTorch, Keras 3 or the course textbook counts it.

- ``"pytorch"``: ``sum(p.numel() for p in module.parameters())`` of the equivalent torch.nn module,
  buffers apart (a Keras spec is counted as its torch equivalent: :mod:`.pytorch`);
- ``"keras"``: Keras 3's ``count_params()`` for the equivalent Keras layer(s), split into trainable
  and non-trainable weights (:mod:`.keras`);
- ``"textbook"``: the course formulas, one bias per layer or gate, no buffers (:mod:`.textbook`).

PyTorch specs state their sizes; Keras specs take them from the input shape (batch first, Keras
layouts), given as one shape or, for layers with several inputs, a list of shapes in call order.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from paramcalc.conventions.compare import Comparison, ConventionRow, compare
from paramcalc.conventions.shapes import KShape, as_shapes, is_shape_list
from paramcalc.errors import SpecError
from paramcalc.results import Count, Tensor
from paramcalc.specs import LayerSpec

CONVENTIONS = ("pytorch", "keras", "textbook")

__all__ = [
    "CONVENTIONS", "Comparison", "ConventionRow", "compare", "count", "output_shapes", "param_tensors",
    "shape_notes",
]


def _check(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise SpecError(
            f"convention must be one of {', '.join(CONVENTIONS)}. Received: convention={convention!r}"
        )


def _keras_inputs(spec: LayerSpec, input_shape: Any) -> tuple[KShape, ...]:
    shapes = as_shapes(input_shape)
    if not shapes and getattr(spec, "input_shape", None) is not None:
        shapes = ((None, *spec.input_shape),)
    return shapes


def _module(convention: str) -> Any:
    """The module that counts Keras specs under ``convention``: :mod:`.keras`, :mod:`.pytorch` or :mod:`.textbook`."""
    return import_module(f"paramcalc.conventions.{convention}")


def _resolved(spec: LayerSpec, input_shape: Any) -> LayerSpec:
    from paramcalc.dispatch import resolve

    return resolve(spec, input_shape)


def count(spec: LayerSpec, convention: str = "pytorch", input_shape: Any = None) -> Count:
    """Count ``spec`` under ``convention``.

    Args:
        spec: a PyTorch or a Keras layer spec.
        convention: "pytorch", "keras" or "textbook".
        input_shape: the input shape (batch first), or a list of shapes for a layer with several
            inputs; Keras specs need it whenever the input size sets their weights.

    Raises:
        SpecError: unknown convention, a missing or unfitting input shape, or no equivalent layer in
            that framework.
    """
    _check(convention)
    if spec.framework == "keras":
        return _module(convention).count(spec, _keras_inputs(spec, input_shape))
    resolved = _resolved(spec, input_shape)
    if convention == "pytorch":
        from paramcalc.dispatch import pytorch_count

        return pytorch_count(resolved)
    if convention == "keras":
        from paramcalc.conventions import keras

        return keras.torch_count(resolved)
    from paramcalc.conventions import textbook

    return textbook.count(resolved, ())


def param_tensors(spec: LayerSpec, convention: str = "pytorch", input_shape: Any = None) -> list[Tensor]:
    """The weights ``spec`` has under ``convention``, named as that framework (or the textbook) names them.

    Keras names are weight paths without the layer's own name (``kernel``, ``lstm_cell/bias``,
    ``query/kernel``, ``forward_lstm/lstm_cell/kernel``); PyTorch names are state_dict keys.
    """
    _check(convention)
    if spec.framework == "keras":
        return _module(convention).tensors(spec, _keras_inputs(spec, input_shape))
    resolved = _resolved(spec, input_shape)
    if convention == "pytorch":
        from paramcalc import reference

        return reference.param_tensors(resolved)
    if convention == "keras":
        from paramcalc.conventions import keras

        return keras.torch_tensors(resolved)
    from paramcalc.conventions import textbook

    return textbook.tensors(resolved, ())


def output_shapes(spec: LayerSpec, shapes: Any) -> dict[str, KShape]:
    """Every named output of a Keras spec for its input shape(s) (``None`` sizes stay ``None``).

    ``shapes`` is the tuple of input shapes in call order (a single list of shapes is unpacked);
    when it is empty the layer's own ``input_shape`` argument is used.
    """
    from paramcalc.conventions import keras

    return keras.output_shapes(spec, _call_inputs(spec, shapes))


def shape_notes(spec: LayerSpec, shapes: Any) -> list[str]:
    """Remarks on a Keras spec's output-length arithmetic (floored "valid" divisions, ceil for "same")."""
    from paramcalc.conventions import keras

    return keras.shape_notes(spec, _call_inputs(spec, shapes))


def _call_inputs(spec: LayerSpec, shapes: Any) -> tuple[KShape, ...]:
    """The input shapes of ``output_shapes(*shapes)``: one list of shapes is unpacked; none means the spec's own."""
    if len(shapes) == 1 and shapes[0] is not None and is_shape_list(shapes[0]):
        shapes = tuple(shapes[0])
    if len(shapes) > len(spec.inputs):
        raise SpecError(
            f"{spec.name}: takes {len(spec.inputs)} input shape{'s' if len(spec.inputs) > 1 else ''} "
            f"({', '.join(spec.inputs)}). Received: {len(shapes)} input shapes"
        )
    return _keras_inputs(spec, list(shapes) if shapes else None)
