"""Keras TimeDistributed: one layer applied to every time step, its weights shared over the steps."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

import re
from typing import Any, ClassVar, Literal

from pydantic import field_validator

from paramcalc.errors import SpecError
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import LayerSpec
from paramcalc.specs.keras.base import KerasLayer, check_rank, require_shapes
from paramcalc.specs.keras.calls import build_from_mapping
from paramcalc.specs.shapes import KShape
from paramcalc.specs.working import Family

Shape = tuple[int, ...]

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
TIME_DISTRIBUTED_FAMILY = Family(
    "time_distributed", "Keras TimeDistributed wrapper", ("TimeDistributed",),
    {c: "the wrapped layer's count, once: one set of weights serves every time step"
     for c in ("pytorch", "keras", "textbook")},
    "(batch, time, *rest) → the wrapped layer on (batch, *rest), time put back: (batch, time, *out[1:])",
    "the wrapped layer sees each time step as a sample",
)


def default_name(class_name: str) -> str:
    """The name Keras gives a layer of this class: its class name in snake case (Conv2D → conv2d,
    BatchNormalization → batch_normalization, SimpleRNN → simple_rnn, PReLU → p_re_lu)."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=.)(?=[A-Z][a-z])", "_", class_name)
    return words.lower()


class TimeDistributed(KerasLayer):
    """``keras.layers.TimeDistributed``: the wrapped layer on each step of (batch, time, ...)."""

    family = TIME_DISTRIBUTED_FAMILY
    summary: ClassVar[str] = "Keras wrapper: one layer applied to every time step (weights shared)"
    positional: ClassVar[tuple[str, ...]] = ("layer",)
    example_shape: ClassVar[str] = "(None, 10, 128)"
    example = ("layers.TimeDistributed(layers.Dense(8))", "32,10,16")
    type: Literal["keras.TimeDistributed"] = "keras.TimeDistributed"
    layer: KerasLayer

    @field_validator("layer", mode="before")
    @classmethod
    def _layer(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = build_from_mapping(value)
        if isinstance(value, LayerSpec) and not isinstance(value, KerasLayer):
            raise ValueError(f"TimeDistributed: layer must be a Keras layer (write layers.Dense(8)). Received: layer={value}")
        if isinstance(value, KerasLayer) and len(type(value).inputs) > 1:
            raise ValueError(f"TimeDistributed: layer must take one input. Received: layer={value}")
        return value

    @property
    def inner_name(self) -> str:
        """The wrapped layer's name, which prefixes its weights' paths."""
        return default_name(self.layer.name)

    def _step_shape(self, shapes: tuple[KShape, ...]) -> KShape:
        """What the wrapped layer sees: (batch, *rest) of a (batch, time, *rest) input."""
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, 3, "(batch, time, ...)", at_least=True)
        return (x[0], *x[2:])

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        return self._as_set(self.layer.count("keras", input_shape=self._step_shape(shapes)))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        prefix = f"{inner_name or self.inner_name}/"
        inner = self.layer.param_tensors("keras", input_shape=self._step_shape(shapes))
        return self._frozen([Tensor(prefix + t.name, t.shape, t.kind, t.description) for t in inner])

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        steps = shapes[0][1] if shapes and len(shapes[0]) > 1 else None
        outputs = self.layer.output_shapes(self._step_shape(shapes))
        if len(outputs) != 1:
            raise SpecError(f"{self.name}: the wrapped layer must give one output. Received: {self.layer} gives "
                            f"{', '.join(outputs)}")
        (out,) = outputs.values()
        return {"output": (out[0], steps, *out[1:])}

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec | None:
        return self.layer._torch_equivalent((self._step_shape(shapes),))

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return self.layer.count("textbook", input_shape=self._step_shape(shapes))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        return self.layer.param_tensors("textbook", input_shape=self._step_shape(shapes))

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x = shapes[0]
        inner = self.layer.compute((x[0] * x[1], *x[2:]))  # every step of every sample, as one batch
        return Compute(inner.ops, (*inner.notes, f"{self.name}: the wrapped layer on {x[0]}·{x[1]} steps"))
