"""Keras merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and Dot.

A merge layer is called on a list of inputs and has no weights. It takes the list of its input
shapes in call order (``output_shape(x, y)`` or ``output_shape([x, y])``; ``count(input_shape=[x, y])``).
"""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from math import prod
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, field_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import merge as fm
from paramcalc.results import Compute
from paramcalc.specs.base import StrictBool
from paramcalc.specs.keras.base import KerasLayer, require_shapes
from paramcalc.specs.ops import dot, elements, op
from paramcalc.specs.shapes import KShape, check_shape, is_shape_list
from paramcalc.specs.working import CONVENTIONS, Family

Shape = tuple[int, ...]
StrictInt = Annotated[int, Field(strict=True)]

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
MERGE_FAMILY = Family(
    "merge", "Keras merge layers (no weights)",
    ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"),
    {c: "0 (no weights; the layer combines its inputs)" for c in CONVENTIONS},
    "element-wise (Add, Subtract, Multiply, Average, Maximum, Minimum): the inputs broadcast, sizes 1 "
    "stretch; Concatenate(axis): sizes on axis add up, the others must match; Dot(axes): x without "
    "axes[0] then y without the batch and axes[1], (batch, 1) when nothing else is left",
    "inputs in call order, batch first; Subtract and Dot take exactly 2",
)


def merge_shapes(spec: KerasLayer, input_shapes: tuple[Any, ...]) -> tuple[KShape, ...]:
    """The shapes a merge's ``output_shapes(*shapes)`` got: one per argument, or one list of them."""
    if len(input_shapes) == 1 and input_shapes[0] is not None and is_shape_list(input_shapes[0]):
        input_shapes = tuple(input_shapes[0])
    shapes = tuple(check_shape(s, f"input_shape[{i}]") for i, s in enumerate(input_shapes) if s is not None)
    return require_shapes(spec, shapes)


class _KerasMerge(KerasLayer):
    """A layer called on a list of inputs, without weights."""

    family = MERGE_FAMILY
    inputs: ClassVar[tuple[str, ...]] = ("inputs",)
    needs_input_shape: ClassVar[bool] = False
    example_shape: ClassVar[str] = "[(None, 32), (None, 32)]"

    def output_shapes(self, *input_shapes: Any) -> dict[str, KShape]:
        """The output shape for the inputs' shapes, in call order (one per argument, or one list)."""
        return self._keras_output_shapes(merge_shapes(self, input_shapes))

    def shape_notes(self, *input_shapes: Any) -> list[str]:
        """Remarks on the shape rule: none for a merge (the shapes fit or the layer refuses them)."""
        self.output_shapes(*input_shapes)
        return []

    def compute(self, *input_shapes: Any) -> Compute:
        """Element-wise operations of one forward pass; an unknown (None) batch size is counted as 1."""
        shapes = merge_shapes(self, input_shapes)
        self._keras_output_shapes(shapes)  # the shapes fit before anything is counted
        batch = fm.same_batch(self.name, shapes)  # an unknown batch is the others' known one
        return super().compute(*((batch if s[0] is None else s[0], *s[1:]) for s in shapes))


class _Elementwise(_KerasMerge):
    """An element-wise merge: the inputs broadcast against each other."""

    #: What one step between two inputs does, for the compute listing.
    step: ClassVar[str] = "add"
    #: The least number of inputs and the exact number (None: any).
    exactly: ClassVar[int | None] = None

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        if self.exactly is not None and len(shapes) != self.exactly:
            raise SpecError(f"{self.name}: takes exactly {self.exactly} inputs. Received: {len(shapes)} input shapes")
        return {"output": fm.elementwise_output_shape(shapes=shapes, layer=self.name)}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        count, work = elements(outs["output"])
        k = len(shapes)
        items = op(f"{self.step} ({k} inputs: {k - 1} per output element)", "elementwise", (k - 1) * count,
                   "(inputs − 1)·elements", dot(k - 1, work))
        if self.name == "Average":
            items += op("divide by the number of inputs", "elementwise", count, "elements", work)
        return items


class Add(_Elementwise):
    """``keras.layers.Add``: the sum of its inputs."""

    summary: ClassVar[str] = "Keras merge: element-wise sum of a list of inputs (no weights)"
    example = ("layers.Add()", "8,32;8,32")
    type: Literal["keras.Add"] = "keras.Add"


class Subtract(_Elementwise):
    """``keras.layers.Subtract``: the first input minus the second."""

    summary: ClassVar[str] = "Keras merge: x − y of exactly 2 inputs (no weights)"
    example = ("layers.Subtract()", "8,32;8,32")
    step: ClassVar[str] = "subtract"
    exactly: ClassVar[int | None] = 2
    type: Literal["keras.Subtract"] = "keras.Subtract"


class Multiply(_Elementwise):
    """``keras.layers.Multiply``: the element-wise product of its inputs."""

    summary: ClassVar[str] = "Keras merge: element-wise product of a list of inputs (no weights)"
    example = ("layers.Multiply()", "8,7,7,64;8,1,1,64")
    step: ClassVar[str] = "multiply"
    type: Literal["keras.Multiply"] = "keras.Multiply"


class Average(_Elementwise):
    """``keras.layers.Average``: the element-wise mean of its inputs."""

    summary: ClassVar[str] = "Keras merge: element-wise mean of a list of inputs (no weights)"
    example = ("layers.Average()", "8,32;8,32")
    type: Literal["keras.Average"] = "keras.Average"


class Maximum(_Elementwise):
    """``keras.layers.Maximum``: the element-wise maximum of its inputs."""

    summary: ClassVar[str] = "Keras merge: element-wise maximum of a list of inputs (no weights)"
    example = ("layers.Maximum()", "8,32;8,32")
    step: ClassVar[str] = "compare"
    type: Literal["keras.Maximum"] = "keras.Maximum"


class Minimum(_Elementwise):
    """``keras.layers.Minimum``: the element-wise minimum of its inputs."""

    summary: ClassVar[str] = "Keras merge: element-wise minimum of a list of inputs (no weights)"
    example = ("layers.Minimum()", "8,32;8,32")
    step: ClassVar[str] = "compare"
    type: Literal["keras.Minimum"] = "keras.Minimum"


class Concatenate(_KerasMerge):
    """``keras.layers.Concatenate``: the inputs joined along ``axis``."""

    summary: ClassVar[str] = "Keras merge: joins a list of inputs along axis (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("axis",)
    example = ("layers.Concatenate()", "8,28,28,64;8,28,28,32")
    type: Literal["keras.Concatenate"] = "keras.Concatenate"
    axis: StrictInt = -1

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        return {"output": fm.concatenate_output_shape(shapes=shapes, axis=self.axis, layer=self.name)}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute(notes=("Concatenate: copies its inputs, no arithmetic",))


def _axes(value: Any) -> Any:
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple) and len(value) != 2:
        raise ValueError(f"axes must be an int or a pair of ints. Received: axes={value!r}")
    return value


class Dot(_KerasMerge):
    """``keras.layers.Dot``: a dot product between two inputs over one axis of each, per sample."""

    summary: ClassVar[str] = "Keras merge: batched dot product of 2 inputs over axes (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("axes", "normalize")
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "axes")
    example_shape: ClassVar[str] = "[(None, 10, 64), (None, 64, 12)]"
    example = ("layers.Dot(axes=(2, 1))", "8,10,64;8,64,12")
    type: Literal["keras.Dot"] = "keras.Dot"
    axes: Union[StrictInt, tuple[StrictInt, StrictInt]]
    normalize: StrictBool = False

    _pair = field_validator("axes", mode="before")(classmethod(lambda cls, v: _axes(v)))

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        return {"output": fm.dot_output_shape(shapes=shapes, axes=self.axes, layer=self.name)}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x, y = shapes
        ax, _ = fm.dot_axes(axes=self.axes, ranks=(len(x), len(y)))
        out = prod(outs["output"])  # (batch, 1) of two 2-D inputs: one product per sample
        items = op("dot products (one per output element)", "mac", out * x[ax], "output elements·contracted size",
                   dot(out, x[ax]))
        if self.normalize:
            for name, shape in (("x", x), ("y", y)):
                count, work = elements(shape)
                items += op(f"L2-normalise {name} (square, sum, scale)", "elementwise", 3 * count, "3·elements",
                            dot(3, work))
        return items
