"""Keras core layers: Dense, Embedding, and the layers without weights (Flatten, Dropout, Activation)."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from math import prod
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas import textbook as tb
from paramcalc.formulas.embedding import embedding_params
from paramcalc.formulas.linear import linear_params
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import NO_PARAMS_FAMILY
from paramcalc.specs.linear import EMBEDDING_FAMILY, LINEAR_FAMILY
from paramcalc.specs.base import LayerSpec, NonNegInt, PosInt, Probability, StrictBool
from paramcalc.specs.keras.base import (
    Activation_,
    DataFormat,
    KerasLayer,
    _data_format,
    activation_ops,
    check_rank,
    known,
    require_shapes,
    textbook,
    weight,
)
from paramcalc.specs.ops import dot, op
from paramcalc.specs.registry import layer_class
from paramcalc.specs.shapes import KShape, fmt_shape

Shape = tuple[int, ...]


def dense_tensors(prefix: str, n_in: int, n_out: int, bias: bool, what: str, index: str = "") -> list[Tensor]:
    """The course's W (n_in × n_out) and b of a fully connected layer."""
    out = [textbook(f"{prefix}W{index}", (n_in, n_out), f"{what} weights: {n_in} × {n_out}")]
    if bias:
        out.append(textbook(f"{prefix}b{index}", (n_out,), f"{what} bias"))
    return out


class Dense(KerasLayer):
    """``keras.layers.Dense``: kernel (input features, units) and a bias of units."""

    family = LINEAR_FAMILY

    summary: ClassVar[str] = "Keras fully connected layer: kernel (features, units) + bias"
    positional: ClassVar[tuple[str, ...]] = ("units", "activation", "use_bias")
    example_shape: ClassVar[str] = "(None, 784)"
    example = ("layers.Dense(64)", "32,100")
    type: Literal["keras.Dense"] = "keras.Dense"
    units: PosInt
    activation: Activation_ = None
    use_bias: StrictBool = True

    def _features(self, shapes: tuple[KShape, ...]) -> int:
        """The features a Dense layer reads: the input's last dimension."""
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, 2, "(batch, ..., features)", at_least=True)
        return known(self, x, -1, "number of input features")

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        n_in = self._features(shapes)
        return self._as_set(Count(linear_params(in_features=n_in, out_features=self.units, bias=self.use_bias)))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        out = [weight("kernel", (self._features(shapes), self.units), "weights: input features × units")]
        if self.use_bias:
            out.append(weight("bias", (self.units,), "one bias per unit"))
        return self._frozen(out)

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        self._features(shapes)
        return {"output": (*shapes[0][:-1], self.units)}

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        return layer_class("Linear")(in_features=self._features(shapes), out_features=self.units, bias=self.use_bias)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(tb.linear_params(in_features=self._features(shapes), out_features=self.units, bias=self.use_bias))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        return dense_tensors("", self._features(shapes), self.units, self.use_bias, "connection")

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x = shapes[0]
        rows_dims = x[:-1]
        rows = prod(rows_dims)
        work = dot(*rows_dims) if len(rows_dims) == 1 else f"({dot(*rows_dims)})"
        items = op("x·kernel", "mac", fc.linear_macs(rows=rows, in_features=x[-1], out_features=self.units),
                   "rows·features·units", dot(work, x[-1], self.units))
        if self.use_bias:
            items += op("bias", "bias", rows * self.units, "rows·units", dot(work, self.units))
        return items + activation_ops(self.activation, next(iter(outs.values())))


class Embedding(KerasLayer):
    """``keras.layers.Embedding``: a table of input_dim vectors of size output_dim."""

    family = EMBEDDING_FAMILY

    summary: ClassVar[str] = "Keras lookup table: input_dim vectors of size output_dim"
    positional: ClassVar[tuple[str, ...]] = ("input_dim", "output_dim")
    needs_input_shape: ClassVar[bool] = False
    example_shape: ClassVar[str] = "(None, 30)"
    example = ("layers.Embedding(5000, 100)", "32,50")
    type: Literal["keras.Embedding"] = "keras.Embedding"
    input_dim: NonNegInt
    output_dim: NonNegInt
    mask_zero: StrictBool = False

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        return self._as_set(Count(embedding_params(num_embeddings=self.input_dim, embedding_dim=self.output_dim)))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        return self._frozen([weight("embeddings", (self.input_dim, self.output_dim), "one vector per token")])

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        return {"output": (*require_shapes(self, shapes)[0], self.output_dim)}

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        return layer_class("Embedding")(num_embeddings=self.input_dim, embedding_dim=self.output_dim)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(tb.embedding_params(vocab_size=self.input_dim, embedding_dim=self.output_dim))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        return [textbook("E", (self.input_dim, self.output_dim), "one vector per token: V × d")]

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute(notes=("Embedding: a table lookup, no arithmetic",))


class Flatten(KerasLayer):
    """``keras.layers.Flatten``: all dimensions but the batch into one."""

    family = NO_PARAMS_FAMILY

    summary: ClassVar[str] = "Keras: flattens all but the batch dimension (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("data_format",)
    needs_input_shape: ClassVar[bool] = False
    example = ("layers.Flatten()", "8,7,7,64")
    type: Literal["keras.Flatten"] = "keras.Flatten"
    data_format: DataFormat = "channels_last"

    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        x = require_shapes(self, shapes)[0]
        if not x:
            raise SpecError(f"Flatten: expected an input with a batch dimension. Received: input_shape={fmt_shape(x)}")
        rest = x[1:]
        merged = None if None in rest else prod(rest)
        return {"output": (x[0], merged)}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute()


class Dropout(KerasLayer):
    """``keras.layers.Dropout``: zeroes a fraction ``rate`` of the inputs while training."""

    family = NO_PARAMS_FAMILY

    summary: ClassVar[str] = "Keras: randomly zeroes a fraction rate while training (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("rate", "noise_shape", "seed")
    needs_input_shape: ClassVar[bool] = False
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape", "noise_shape")
    example = ("layers.Dropout(0.5)", "32,100")
    type: Literal["keras.Dropout"] = "keras.Dropout"
    rate: Probability
    noise_shape: tuple[NonNegInt | None, ...] | None = None
    seed: Annotated[int, Field(strict=True)] | None = None

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        return {"output": require_shapes(self, shapes)[0]}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute(notes=("Dropout: identity at inference",))


class Activation(KerasLayer):
    """``keras.layers.Activation``: applies an activation function."""

    family = NO_PARAMS_FAMILY

    summary: ClassVar[str] = "Keras: applies an activation function (no weights)"
    positional: ClassVar[tuple[str, ...]] = ("activation",)
    needs_input_shape: ClassVar[bool] = False
    example = ("layers.Activation('relu')", "32,100")
    type: Literal["keras.Activation"] = "keras.Activation"
    activation: Activation_

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        return {"output": require_shapes(self, shapes)[0]}

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return activation_ops(self.activation, next(iter(outs.values())), "activation")
