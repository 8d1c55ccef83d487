"""A flatten size computed from the wrong spatial size: in a stack of layers, the fully connected layer
after a Flatten counted with the size a shape mistake (or a left-out pooling layer) gives, carried from
the layer where it happens to the Flatten."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import prod
from typing import Any

from paramcalc.checking.situation import (
    AVGPOOL,
    KERAS_AVGPOOL,
    KERAS_MAXPOOL,
    MAXPOOL,
    Mistake,
    Quantity,
    Situation,
    count_value,
    is_dense,
    keras_name,
    replace,
)
from paramcalc.checking.sources import CS231N_FLATTEN
from paramcalc.errors import ParamcalcError
from paramcalc.specs import Flatten, LayerSpec


@dataclass(frozen=True, slots=True)
class StackLayer:
    """One layer of a plain stack, as the model check sees it."""

    path: str
    spec: LayerSpec
    input_shape: Any
    output_shape: Any
    repeat: int


def _model_only(s: Situation) -> None:
    """Found in a whole model only (the Flatten and the layers before it are needed)."""
    return None


FLATTEN_WRONG_SIZE = Mistake(
    "flatten_wrong_size", "a flatten size computed from the wrong spatial size",
    "The layer after Flatten reads C·H·W features of the last feature map: its size follows from every layer "
    "before it, each output size computed right (the +1, the padding, the floor, every pooling layer).",
    "Linear/Dense after Flatten (in a model)", params=_model_only, source=CS231N_FLATTEN,
)


def _is_flatten(spec: LayerSpec) -> bool:
    return isinstance(spec, Flatten) or keras_name(spec) == "Flatten"


def _is_pool(spec: LayerSpec) -> bool:
    return isinstance(spec, (*MAXPOOL, *AVGPOOL)) or keras_name(spec) in (*KERAS_MAXPOOL, *KERAS_AVGPOOL)


def _carry(layers: list[StackLayer], shape: Any) -> Any:
    for layer in layers:
        if any(isinstance(d, Fraction) for d in shape):
            raise ParamcalcError("not a whole size")
        shape = layer.spec.output_shape(tuple(shape))
    return shape


def _wrong_sizes(layers: list[StackLayer], f: int, catalogue: tuple[Mistake, ...], convention: str) -> list[tuple[str, int]]:
    """(why, flattened size) for each shape mistake before the Flatten at index f, and each pooling layer left out."""
    found: list[tuple[str, int]] = []
    for i in range(f):
        layer = layers[i]
        situation = Situation(layer.spec, convention, layer.input_shape)
        for m in catalogue:
            wrong = m.wrong_shape(situation)
            if wrong is None or wrong == layer.output_shape:
                continue
            try:
                out = _carry(layers[i + 1: f + 1], wrong)
            except ParamcalcError:
                continue
            found.append((f"{layer.path}: {m.name}", prod(out[1:])))
        if _is_pool(layer.spec):
            try:
                out = _carry(layers[i + 1: f + 1], layer.input_shape)
            except ParamcalcError:
                continue
            found.append((f"{layer.path}, a pooling layer, left out", prod(out[1:])))
    return found


def flatten_diagnoses(
    layers: list[StackLayer], quantity: Quantity, given: int, expected: int, convention: str,
    catalogue: tuple[Mistake, ...],
) -> list[tuple[Mistake, str, str, int]]:
    """(entry, title, layer path, value) for every wrong flatten size that reproduces ``given`` exactly."""
    if FLATTEN_WRONG_SIZE not in catalogue:
        return []
    found = []
    for f, layer in enumerate(layers):
        if not _is_flatten(layer.spec) or f + 1 >= len(layers) or layer.output_shape is None:
            continue
        dense = layers[f + 1]
        if not is_dense(dense.spec):
            continue
        right = Situation(dense.spec, convention, dense.input_shape).expected
        if right is None:
            continue
        right_flat = prod(layer.output_shape[1:])
        for why, flat in _wrong_sizes(layers, f, catalogue, convention):
            if flat == right_flat or flat < 1:
                continue
            if keras_name(dense.spec) == "Dense":
                wrong = Situation(dense.spec, convention, (dense.input_shape[0], flat)).expected
            else:
                spec = replace(dense.spec, in_features=flat)
                wrong = None if spec is None else Situation(spec, convention, None).expected
            if wrong is None:
                continue
            delta = (count_value(wrong, quantity) - count_value(right, quantity)) * dense.repeat
            if expected + delta == given:
                title = f"{FLATTEN_WRONG_SIZE.name} ({flat:,} instead of {right_flat:,}; {why})"
                found.append((FLATTEN_WRONG_SIZE, title, dense.path, given))
    return found
