"""Keras convolutional LSTMs: ConvLSTM1D and ConvLSTM2D (an LSTM whose matrix products are convolutions)."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from math import prod
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas import keras as fk
from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import IntTuple, PosInt, StrictBool, _check_all, _tuple_validator
from paramcalc.specs.keras.base import (
    Activation_,
    DataFormat,
    KerasLayer,
    _data_format,
    _lower,
    check_rank,
    require_shapes,
    textbook,
    weight,
)
from paramcalc.specs.ops import dot, op
from paramcalc.specs.shapes import KShape, fmt_shape
from paramcalc.specs.working import Family

Shape = tuple[int, ...]

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
CONV_LSTM_FAMILY = Family(
    "conv_lstm", "Convolutional LSTM (ConvLSTM1D, ConvLSTM2D)", ("ConvLSTM1D", "ConvLSTM2D"),
    {
        "pytorch": "no torch.nn layer; as Keras counts it",
        "keras": "4F·k·C (kernel) + 4F·k·F (recurrent_kernel) + 4F (bias): 4F·(k·(C + F) + 1)",
        "textbook": "4 gates × (k·C·F + k·F·F + F)",
    },
    "each step is a convolution: valid (n − d·(k − 1) − 1) // s + 1, same ⌈n / s⌉; channels F; "
    "return_sequences keeps the time axis; return_state adds h and c, each shaped like one step's output",
    "k = prod(kernel_size), C = input channels, F = filters",
)


class _KerasConvLSTM(KerasLayer):
    """An LSTM over (batch, time, *spatial, channels) whose gates are convolutions."""

    family = CONV_LSTM_FAMILY
    nd: ClassVar[int] = 2
    positional: ClassVar[tuple[str, ...]] = (
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
        "recurrent_activation", "use_bias",
    )
    filters: PosInt
    kernel_size: IntTuple
    strides: IntTuple = Field(1, validate_default=True)
    padding: Literal["valid", "same"] = "valid"
    data_format: DataFormat = "channels_last"
    dilation_rate: IntTuple = Field(1, validate_default=True)
    activation: Activation_ = "tanh"
    recurrent_activation: Activation_ = "sigmoid"
    use_bias: StrictBool = True
    unit_forget_bias: StrictBool = True
    dropout: float = 0.0  # Keras clips the rates to [0, 1]
    recurrent_dropout: float = 0.0
    seed: Annotated[int, Field(strict=True)] | None = None
    return_sequences: StrictBool = False
    return_state: StrictBool = False
    go_backwards: StrictBool = False
    stateful: StrictBool = False

    _expand = _tuple_validator("kernel_size", "strides", "dilation_rate")
    _pad = field_validator("padding", mode="before")(classmethod(lambda cls, v: _lower(v)))
    _fmt = field_validator("data_format", mode="before")(classmethod(lambda cls, v: _data_format(v)))

    @model_validator(mode="after")
    def _check(self) -> "_KerasConvLSTM":
        _check_all(self, "kernel_size", self.kernel_size, 1, "must be >= 1 (it cannot contain 0)")
        _check_all(self, "strides", self.strides, 1, "must be >= 1")
        _check_all(self, "dilation_rate", self.dilation_rate, 1, "must be >= 1")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise self._fail("strides > 1 is not compatible with dilation_rate > 1",
                             strides=self.strides, dilation_rate=self.dilation_rate)
        return self

    def _parts(self, shapes: tuple[KShape, ...]) -> tuple[KShape, tuple[int, ...], int]:
        """(input, spatial sizes, channels) of (batch, time, *spatial, channels); all but batch and time known."""
        x = require_shapes(self, shapes)[0]
        spatial_names = ", ".join(DIM_NAMES[self.nd]) if self.nd > 1 else "steps"
        where = "(batch, time, channels, " + spatial_names + ")" if self.data_format == "channels_first" \
            else "(batch, time, " + spatial_names + ", channels)"
        check_rank(self, x, self.nd + 3, where)
        step = x[2:]
        spatial, channels = (step[1:], step[0]) if self.data_format == "channels_first" else (step[:-1], step[-1])
        if None in spatial:
            raise SpecError(f"{self.name}: the spatial sizes must be known (Keras builds the states from them). "
                            f"Received: input_shape={fmt_shape(x)}")
        if channels is None:
            raise SpecError(f"{self.name}: the number of input channels must be known to size the weights. "
                            f"Received: input_shape={fmt_shape(x)}")
        return x, spatial, channels  # type: ignore[return-value]

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        _, _, channels = self._parts(shapes)
        return self._as_set(Count(fk.conv_lstm_params(
            kernel_size=self.kernel_size, channels=channels, filters=self.filters, use_bias=self.use_bias,
        )))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        _, _, c = self._parts(shapes)
        f, k = self.filters, self.kernel_size
        out = [
            weight("conv_lstm_cell/kernel", (*k, c, 4 * f), "input convolutions of the 4 gates (i, f, c, o)"),
            weight("conv_lstm_cell/recurrent_kernel", (*k, f, 4 * f), "state convolutions of the 4 gates"),
        ]
        if self.use_bias:
            out.append(weight("conv_lstm_cell/bias", (4 * f,), "bias of the 4 gates"))
        return self._frozen(out)

    def _step_output(self, x: KShape, spatial: tuple[int, ...]) -> KShape:
        out = tuple(
            fk.conv_output_length(size=n, kernel_size=k, stride=s, padding=self.padding, dilation=d,
                                  layer=self.name, dim=dim)
            for n, k, s, d, dim in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, DIM_NAMES[self.nd])
        )
        if self.data_format == "channels_first":
            return (x[0], self.filters, *out)  # type: ignore[return-value]
        return (x[0], *out, self.filters)  # type: ignore[return-value]

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        x, spatial, _ = self._parts(shapes)
        step = self._step_output(x, spatial)
        result = {"output": (x[0], x[1], *step[1:]) if self.return_sequences else step}
        if self.return_state:
            result.update(state_h=step, state_c=step)
        return result

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(sum(t.numel for t in self._textbook_tensors(shapes)))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        _, _, c = self._parts(shapes)
        f, k = self.filters, self.kernel_size
        out = []
        for gate in ("i", "f", "c", "o"):
            out += [textbook(f"W_x{gate}", (*k, c, f), f"input filters of gate {gate}"),
                    textbook(f"W_h{gate}", (*k, f, f), f"state filters of gate {gate}")]
            if self.use_bias:
                out.append(textbook(f"b_{gate}", (f,), f"bias of gate {gate}"))
        return out

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x = shapes[0]
        n, t = x[0], x[1]
        _, spatial, c = self._parts(shapes)
        step = self._step_output(x, spatial)
        out_spatial = step[2:] if self.data_format == "channels_first" else step[1:-1]
        positions, k, f = prod(out_spatial), prod(self.kernel_size), self.filters
        items = op("input convolutions (4 gates)", "mac", n * t * positions * 4 * f * k * c, "N·T·positions·4F·k·C",
                   dot(n, t, positions, 4 * f, k, c))
        items += op("state convolutions (4 gates, padding 'same')", "mac", n * t * positions * 4 * f * k * f,
                    "N·T·positions·4F·k·F", dot(n, t, positions, 4 * f, k, f))
        values = n * t * positions * f
        if self.use_bias:
            items += op("gate biases", "bias", 4 * values, "4·N·T·positions·F", f"4·{values}")
        items += op("gate activations (3 σ, 2 tanh)", "activation", fc.activation_ops(elements=5 * values),
                    "5·N·T·positions·F", f"5·{values}")
        items += op("gate products and sums", "elementwise", 4 * values, "4·N·T·positions·F", f"4·{values}")
        return items


class ConvLSTM1D(_KerasConvLSTM):
    """``keras.layers.ConvLSTM1D`` over (batch, time, steps, channels)."""

    summary: ClassVar[str] = "Keras LSTM whose gates are 1-D convolutions, over (batch, time, steps, channels)"
    nd: ClassVar[int] = 1
    example_shape: ClassVar[str] = "(None, 10, 32, 3)"
    example = ("layers.ConvLSTM1D(16, 3)", "4,10,32,3")
    type: Literal["keras.ConvLSTM1D"] = "keras.ConvLSTM1D"


class ConvLSTM2D(_KerasConvLSTM):
    """``keras.layers.ConvLSTM2D`` over (batch, time, rows, cols, channels), as in precipitation nowcasting."""

    summary: ClassVar[str] = "Keras LSTM whose gates are 2-D convolutions, over (batch, time, H, W, channels)"
    nd: ClassVar[int] = 2
    example_shape: ClassVar[str] = "(None, 10, 64, 64, 1)"
    example = ("layers.ConvLSTM2D(32, 3, padding='same', return_sequences=True)", "4,10,64,64,1")
    type: Literal["keras.ConvLSTM2D"] = "keras.ConvLSTM2D"

