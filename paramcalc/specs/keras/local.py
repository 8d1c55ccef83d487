"""Keras 2's locally connected layers, LocallyConnected1D and LocallyConnected2D: a convolution whose
weights are not shared, one filter bank per output position (Keras 3 removed them; course notes still
contrast them with convolution). Counted as Keras 2's ``count_params()`` gave them."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from math import prod
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import keras as fk
from paramcalc.formulas.classic import locally_connected_params
from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import IntTuple, LayerSpec, PosInt, StrictBool, _check_all, _tuple_validator
from paramcalc.specs.keras.base import (
    Activation_,
    DataFormat,
    KerasLayer,
    _data_format,
    _lower,
    activation_ops,
    assemble,
    check_rank,
    known,
    layout,
    require_shapes,
    split,
    textbook,
    weight,
)
from paramcalc.specs.ops import dot, op
from paramcalc.specs.shapes import KShape, keras_inputs
from paramcalc.specs.working import Family, chain, n, times

Shape = tuple[int, ...]

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
LOCAL_FAMILY = Family(
    "locally_connected", "Locally connected (Keras 2's LocallyConnected1D/2D: unshared weights)",
    ("LocallyConnected1D", "LocallyConnected2D"),
    {
        "pytorch": "no torch.nn layer (build it with unfold: one weight per output position)",
        "keras": "P·(K·C_in·F) + P·F with implementation 1 or 3; implementation 2 holds a dense masked kernel "
                 "N_in·C_in·P·F + P·F",
        "textbook": "P·(K·C_in·F + F): a convolution's count for every output position",
    },
    "as Conv with padding 'valid': out = (n − k) // s + 1 per spatial dimension, F channels",
    "P = output positions, K = kernel size (product), C_in = input channels, F = filters, N_in = input positions",
)


class _LocallyConnected(KerasLayer):
    nd: ClassVar[int] = 2
    family = LOCAL_FAMILY
    positional: ClassVar[tuple[str, ...]] = (
        "filters", "kernel_size", "strides", "padding", "data_format", "activation", "use_bias",
    )
    filters: PosInt
    kernel_size: IntTuple
    strides: IntTuple = Field(1, validate_default=True)
    padding: Literal["valid"] = "valid"
    data_format: DataFormat = "channels_last"
    activation: Activation_ = None
    use_bias: StrictBool = True
    implementation: Literal[1, 2, 3] = 1

    _expand = _tuple_validator("kernel_size", "strides")
    _pad = field_validator("padding", mode="before")(classmethod(lambda cls, v: _lower(v)))
    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))

    @model_validator(mode="after")
    def _check(self) -> "_LocallyConnected":
        _check_all(self, "kernel_size", self.kernel_size, 1, "must be >= 1")
        _check_all(self, "strides", self.strides, 1, "must be >= 1")
        return self

    def _sizes(self, shapes: tuple[KShape, ...]) -> tuple[tuple[int, ...], int, tuple[int, ...]]:
        """(input spatial sizes, input channels, output spatial sizes); every size must be known."""
        x = require_shapes(self, shapes)[0]
        check_rank(self, x, self.nd + 2, layout(self))
        axis = -1 if self.data_format == "channels_last" else 1
        channels = known(self, x, axis, "number of input channels")
        first = 1 if self.data_format == "channels_last" else 2
        sizes = tuple(known(self, x, first + i, f"input {DIM_NAMES[self.nd][i]}") for i in range(self.nd))
        out = tuple(
            fk.conv_output_length(size=s, kernel_size=k, stride=st, padding="valid", dilation=1, layer=self.name, dim=d)
            for s, k, st, d in zip(sizes, self.kernel_size, self.strides, DIM_NAMES[self.nd])
        )
        return sizes, channels, out

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        sizes, c_in, out = self._sizes(shapes)
        if self.implementation == 2:
            total = prod(sizes) * c_in * prod(out) * self.filters + (prod(out) * self.filters if self.use_bias else 0)
            return self._as_set(Count(total))
        return self._as_set(Count(locally_connected_params(
            output_positions=out, kernel_size=self.kernel_size, in_channels=c_in, filters=self.filters,
            bias=self.use_bias)))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        sizes, c_in, out = self._sizes(shapes)
        k, f = prod(self.kernel_size), self.filters
        last = self.data_format == "channels_last"
        if self.implementation == 1:
            kernel = weight("kernel", (prod(out), k * c_in, f), "one filter bank per output position: "
                                                                  "positions × (kernel·input channels) × filters")
        elif self.implementation == 2:
            shape = (*sizes, c_in, *out, f) if last else (c_in, *sizes, f, *out)
            kernel = weight("kernel", shape, "dense kernel from every input position to every output position "
                                             "(masked to the windows)")
        else:
            kernel = weight("kernel", (prod(out) * k * c_in * f,), "the window weights only, as a flat vector")
        tensors = [kernel]
        if self.use_bias:
            tensors.append(weight("bias", (*out, f) if last else (f, *out), "one bias per output position and filter"))
        return self._frozen(tensors)

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        _, _, out = self._sizes(shapes)
        return {"output": assemble(self, shapes[0], out, self.filters)}

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec | None:
        raise SpecError(f"{self.name}: no torch.nn layer is locally connected (build it with unfold and one weight "
                        f"per output position); counted under keras or textbook")

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        _, c_in, out = self._sizes(shapes)
        return Count(locally_connected_params(output_positions=out, kernel_size=self.kernel_size, in_channels=c_in,
                                              filters=self.filters, bias=self.use_bias))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        _, c_in, out = self._sizes(shapes)
        tensors = [textbook("W", (*out, *self.kernel_size, c_in, self.filters),
                            "a filter bank per output position: K × C_in × F each")]
        if self.use_bias:
            tensors.append(textbook("b", (*out, self.filters), "a bias per output position and filter"))
        return tensors

    def _keras_worked_params(self, convention: str, input_shape: Any) -> list[str] | None:
        if self.implementation == 2 and convention == "keras":
            return None
        _, c_in, out = self._sizes(keras_inputs(self, input_shape))
        p, k, f = prod(out), prod(self.kernel_size), self.filters
        total = locally_connected_params(output_positions=out, kernel_size=self.kernel_size, in_channels=c_in,
                                         filters=f, bias=self.use_bias)
        where = f"{times(*out)} = {n(p)}" if len(out) > 1 else n(p)
        lines = [f"output positions P = {where} (no weight is shared between them)"]
        if self.use_bias:
            lines.append(chain("P·(K·C_in·F) + P·F", f"{n(p)}·({times(k, c_in, f)}) + {n(p)}·{f}",
                               f"{n(p * k * c_in * f)} + {n(p * f)}", total))
        else:
            lines.append(chain("P·(K·C_in·F)", f"{n(p)}·({times(k, c_in, f)})", total))
        return lines

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x, out = shapes[0], next(iter(outs.values()))
        _, c_in = split(self, x)
        out_spatial, _ = split(self, out)
        cells = x[0] * prod(out_spatial) * self.filters
        k = prod(self.kernel_size)
        items = op("unshared windows (one dot product per output element)", "mac", cells * k * c_in,
                   "N·positions·filters·K·C_in", dot(x[0], prod(out_spatial), self.filters, k, c_in))
        if self.use_bias:
            items += op("bias", "bias", cells, "N·positions·filters", dot(x[0], prod(out_spatial), self.filters))
        return items + activation_ops(self.activation, out)


class LocallyConnected1D(_LocallyConnected):
    """``keras.layers.LocallyConnected1D`` (Keras 2): Conv1D without weight sharing."""

    nd: ClassVar[int] = 1
    summary: ClassVar[str] = "Keras 2 locally connected 1D layer: Conv1D with unshared weights"
    example_shape: ClassVar[str] = "(None, 10, 32)"
    example = ("layers.LocallyConnected1D(64, 3)", "1,10,32")
    type: Literal["keras.LocallyConnected1D"] = "keras.LocallyConnected1D"


class LocallyConnected2D(_LocallyConnected):
    """``keras.layers.LocallyConnected2D`` (Keras 2): Conv2D without weight sharing."""

    nd: ClassVar[int] = 2
    summary: ClassVar[str] = "Keras 2 locally connected 2D layer: Conv2D with unshared weights"
    example_shape: ClassVar[str] = "(None, 32, 32, 3)"
    example = ("layers.LocallyConnected2D(64, 3)", "1,32,32,3")
    type: Literal["keras.LocallyConnected2D"] = "keras.LocallyConnected2D"
