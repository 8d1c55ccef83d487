"""Keras recurrent layers: SimpleRNN, LSTM, GRU and the Bidirectional wrapper."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`).

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, field_validator

from paramcalc.formulas import compute as fc
from paramcalc.formulas import keras as fk
from paramcalc.formulas import textbook as tb
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.recurrent import GRU_FAMILY, LSTM_FAMILY, RNN_FAMILY
from paramcalc.specs.base import LayerSpec, PosInt, Probability, StrictBool
from paramcalc.specs.keras.base import Activation_, KerasLayer, check_rank, known, require_shapes, textbook, weight
from paramcalc.specs.keras.calls import build_from_mapping
from paramcalc.specs.ops import dot, elements, op
from paramcalc.specs.registry import layer_class
from paramcalc.specs.shapes import KShape
from paramcalc.specs.working import chain, n, times

Shape = tuple[int, ...]
GATE_NAMES = {"SimpleRNN": "", "LSTM": " of the 4 gates (i, f, c, o)", "GRU": " of the 3 gates (z, r, h)"}
#: Gate letters as the course notes write them: LSTM input, forget, output gates and the cell
#: candidate; GRU update, reset gates and the candidate state; a simple RNN's single block.
GATE_LETTERS = {1: ("h",), 3: ("z", "r", "h"), 4: ("i", "f", "o", "c")}
GATE_WORDS = {
    "h": "hidden state", "z": "update gate", "r": "reset gate", "i": "input gate", "f": "forget gate",
    "o": "output gate", "c": "cell candidate",
}


class _KerasRecurrent(KerasLayer):
    gates: ClassVar[int] = 1
    cell_name: ClassVar[str] = "simple_rnn_cell"
    layer_name: ClassVar[str] = "simple_rnn"
    positional: ClassVar[tuple[str, ...]] = ("units", "activation", "recurrent_activation", "use_bias")
    example_shape: ClassVar[str] = "(None, 50, 100)"
    units: PosInt
    activation: Activation_ = "tanh"
    use_bias: StrictBool = True
    dropout: Probability = 0.0
    recurrent_dropout: Probability = 0.0
    return_sequences: StrictBool = False
    return_state: StrictBool = False
    go_backwards: StrictBool = False
    stateful: StrictBool = False
    unroll: StrictBool = False
    seed: Annotated[int, Field(strict=True)] | None = None

    # -- the cell, shared with Bidirectional ------------------------------------------------------
    def _cell_count(self, input_dim: int) -> int:
        return fk.simple_rnn_params(input_dim=input_dim, units=self.units, use_bias=self.use_bias)

    def _cell_tensors(self, input_dim: int, prefix: str) -> list[Tensor]:
        units, gates = self.units, self.gates
        of = GATE_NAMES[self.name]
        cell = f"{prefix}{self.cell_name}/"
        out = [
            weight(f"{cell}kernel", (input_dim, gates * units), f"input weights{of}"),
            weight(f"{cell}recurrent_kernel", (units, gates * units), f"recurrent weights{of}"),
        ]
        if self.use_bias:
            if getattr(self, "reset_after", False):
                out.append(weight(f"{cell}bias", (2, gates * units), f"input and recurrent biases{of} (reset_after=True)"))
            else:
                out.append(weight(f"{cell}bias", (gates * units,), f"one bias per unit{of}"))
        return out

    def _cell_shapes(self, x: KShape, width: int, prefix: str = "") -> dict[str, KShape]:
        """The output of one recurrent layer; ``width`` is the output's feature size."""
        batch, steps = x[0], x[1]
        return {f"{prefix}output": (batch, steps, width) if self.return_sequences else (batch, width)}

    def _states(self, x: KShape, prefix: str = "") -> dict[str, KShape]:
        names = ("state_h", "state_c") if self.gates == 4 else ("state_h",)
        return {f"{prefix}{name}": (x[0], self.units) for name in names}

    def _torch_cell(self, input_dim: int, bidirectional: bool) -> LayerSpec:
        common = {"input_size": input_dim, "hidden_size": self.units, "bias": self.use_bias,
                  "batch_first": True, "bidirectional": bidirectional}
        if self.gates == 1:
            if self.activation not in ("tanh", "relu"):
                raise self._no_torch("torch.nn.RNN offers tanh or relu", activation=self.activation)
            return layer_class("RNN")(nonlinearity=self.activation, **common)
        if self.activation != "tanh" or self.recurrent_activation != "sigmoid":
            raise self._no_torch(
                f"torch.nn.{self.name} uses tanh and sigmoid",
                activation=self.activation, recurrent_activation=self.recurrent_activation,
            )
        if self.gates == 3 and not self.reset_after:
            raise self._no_torch(
                "torch.nn.GRU applies the reset gate after the recurrent product, as reset_after=True does",
                reset_after=False,
            )
        return layer_class(self.name)(**common)

    def _cell_compute(self, x: Shape, directions: int = 1) -> Compute:
        n_, t, features = x[0], x[1], x[2]
        h, g, cell = self.units, self.gates, self.name
        reset_after = getattr(self, "reset_after", True)
        w_ih, w_hh, _ = fc.recurrent_macs(gates=g, input_size=features, hidden_size=h, steps=t, batch=n_)
        bias, act, elem = fc.keras_recurrent_ops(cell=cell, hidden_size=h, steps=t, batch=n_, bias=self.use_bias,
                                                 reset_after=reset_after)
        d_sym, d_work = ("D·", f"{directions}·") if directions > 1 else ("", "")
        vectors = 2 if cell == "GRU" and reset_after else 1
        items = op("input-to-hidden (kernel)", "mac", directions * w_ih, f"{d_sym}T·N·G·H·F",
                   f"{d_work}{dot(t, n_, g, h, features)}")
        items += op("hidden-to-hidden (recurrent_kernel)", "mac", directions * w_hh, f"{d_sym}T·N·G·H·H",
                    f"{d_work}{dot(t, n_, g, h, h)}")
        items += op("gate biases", "bias", directions * bias, f"{d_sym}T·N·{vectors}·G·H",
                    f"{d_work}{dot(t, n_, vectors, g, h)}")
        a = act // (t * n_ * h) if t * n_ * h else 0
        e = elem // (t * n_ * h) if t * n_ * h else 0
        items += op("gate activations", "activation", directions * act, f"{d_sym}T·N·{a}·H",
                    f"{d_work}{dot(t, n_, a, h)}")
        items += op("gate products and sums", "elementwise", directions * elem, f"{d_sym}T·N·{e}·H",
                    f"{d_work}{dot(t, n_, e, h)}")
        return items

    # -- the Keras hooks ----------------------------------------------------------------------------
    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        return self._as_set(Count(self._cell_count(rnn_input(self, shapes))))

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        return self._frozen(self._cell_tensors(rnn_input(self, shapes), ""))

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        rnn_input(self, shapes)
        x = shapes[0]
        out = self._cell_shapes(x, self.units)
        return {**out, **self._states(x)} if self.return_state else out

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        return self._torch_cell(rnn_input(self, shapes), False)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        return Count(tb.recurrent_params(
            gates=self.gates, input_size=rnn_input(self, shapes), hidden_size=self.units, bias=self.use_bias
        ))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        return textbook_tensors(self.gates, rnn_input(self, shapes), self.units, False, self.use_bias)

    def _keras_worked_params(self, convention: str, input_shape: Any) -> list[str] | None:
        return worked_lines(self, self, convention, input_shape)

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return self._cell_compute(shapes[0])


class SimpleRNN(_KerasRecurrent):
    """``keras.layers.SimpleRNN``: kernel, recurrent_kernel and one bias."""

    family = RNN_FAMILY

    summary: ClassVar[str] = "Keras Elman RNN: kernel, recurrent_kernel, one bias"
    positional: ClassVar[tuple[str, ...]] = ("units", "activation", "use_bias")
    example = ("layers.SimpleRNN(128)", "32,50,100")
    type: Literal["keras.SimpleRNN"] = "keras.SimpleRNN"


class LSTM(_KerasRecurrent):
    """``keras.layers.LSTM``: 4 gates (i, f, c, o) in one kernel, one recurrent_kernel, one bias."""

    family = LSTM_FAMILY

    summary: ClassVar[str] = "Keras LSTM: 4 gates, one bias vector per gate"
    gates: ClassVar[int] = 4
    cell_name: ClassVar[str] = "lstm_cell"
    layer_name: ClassVar[str] = "lstm"
    example = ("layers.LSTM(128)", "32,50,100")
    type: Literal["keras.LSTM"] = "keras.LSTM"
    recurrent_activation: Activation_ = "sigmoid"
    unit_forget_bias: StrictBool = True

    def _cell_count(self, input_dim: int) -> int:
        return fk.lstm_params(input_dim=input_dim, units=self.units, use_bias=self.use_bias)


class GRU(_KerasRecurrent):
    """``keras.layers.GRU``: 3 gates (z, r, h); reset_after=True keeps an input and a recurrent bias."""

    family = GRU_FAMILY

    summary: ClassVar[str] = "Keras GRU: 3 gates; reset_after=True has 2 bias rows"
    gates: ClassVar[int] = 3
    cell_name: ClassVar[str] = "gru_cell"
    layer_name: ClassVar[str] = "gru"
    example = ("layers.GRU(128)", "32,50,100")
    type: Literal["keras.GRU"] = "keras.GRU"
    recurrent_activation: Activation_ = "sigmoid"
    reset_after: StrictBool = True

    def _cell_count(self, input_dim: int) -> int:
        return fk.gru_params(input_dim=input_dim, units=self.units, use_bias=self.use_bias, reset_after=self.reset_after)


KerasRecurrent = Annotated[Union[SimpleRNN, LSTM, GRU], Field(discriminator="type")]


class Bidirectional(KerasLayer):
    """``keras.layers.Bidirectional``: a forward and a backward copy of a recurrent layer."""

    family = RNN_FAMILY

    summary: ClassVar[str] = "Keras wrapper: forward and backward copies of an RNN layer"
    positional: ClassVar[tuple[str, ...]] = ("layer", "merge_mode")
    example_shape: ClassVar[str] = "(None, 50, 100)"
    example = ("layers.Bidirectional(layers.LSTM(64))", "32,50,100")
    type: Literal["keras.Bidirectional"] = "keras.Bidirectional"
    layer: KerasRecurrent
    merge_mode: Literal["concat", "sum", "mul", "ave"] | None = "concat"

    @field_validator("layer", mode="before")
    @classmethod
    def _layer(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = build_from_mapping(value)
        if isinstance(value, LayerSpec) and not isinstance(value, (SimpleRNN, LSTM, GRU)):
            raise ValueError(
                f"Bidirectional: layer must be a Keras SimpleRNN, LSTM or GRU (write layers.LSTM(64)). "
                f"Received: layer={value}"
            )
        if isinstance(value, (SimpleRNN, LSTM, GRU)) and value.go_backwards:
            raise ValueError(
                "Bidirectional: the layer must run forwards (go_backwards=False); Keras makes the backward "
                "copy itself, and refuses two layers with the same go_backwards. Received: go_backwards=True"
            )
        return value

    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        result = Count(2 * self.layer._cell_count(rnn_input(self, shapes)))
        if not self.layer.trainable:
            result = Count(0, result.total)
        return self._as_set(result)

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        features = rnn_input(self, shapes)
        name = inner_name or self.layer.layer_name
        out = []
        for direction in ("forward", "backward"):
            for t in self.layer._cell_tensors(features, f"{direction}_{name}/"):
                kind = t.kind if self.layer.trainable else "non_trainable"
                out.append(Tensor(t.name, t.shape, kind, f"{t.description}, {direction} layer"))
        return self._frozen(out)

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        rnn_input(self, shapes)
        x, layer = shapes[0], self.layer
        if self.merge_mode is None:
            out = {**layer._cell_shapes(x, layer.units, "forward_"), **layer._cell_shapes(x, layer.units, "backward_")}
        else:
            width = 2 * layer.units if self.merge_mode == "concat" else layer.units
            out = layer._cell_shapes(x, width)
        if layer.return_state:
            out = {**out, **layer._states(x, "forward_"), **layer._states(x, "backward_")}
        return out

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec:
        return self.layer._torch_cell(rnn_input(self, shapes), True)

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        layer = self.layer
        return Count(tb.recurrent_params(
            gates=layer.gates, input_size=rnn_input(self, shapes), hidden_size=layer.units,
            bidirectional=True, bias=layer.use_bias,
        ))

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        layer = self.layer
        return textbook_tensors(layer.gates, rnn_input(self, shapes), layer.units, True, layer.use_bias)

    def _keras_worked_params(self, convention: str, input_shape: Any) -> list[str] | None:
        return worked_lines(self, self.layer, convention, input_shape)

    def _keras_compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        items = self.layer._cell_compute(shapes[0], directions=2)
        if self.merge_mode in ("sum", "mul", "ave"):
            count, work = elements(next(iter(outs.values())))
            per = 2 if self.merge_mode == "ave" else 1
            items += op(f"merging the directions ({self.merge_mode})", "elementwise", per * count,
                        f"{per}·elements", f"{per}·({work})")
        return items


def rnn_input(spec: KerasLayer, shapes: tuple[KShape, ...]) -> int:
    """The features per step a recurrent layer reads, from (batch, time, features)."""
    x = require_shapes(spec, shapes)[0]
    check_rank(spec, x, 3, "(batch, time, features)")
    return known(spec, x, -1, "number of input features")


def textbook_tensors(gates: int, input_size: int, hidden: int, bidirectional: bool, bias: bool) -> list[Tensor]:
    """The course's W_x*, W_h* and b_* per gate (per direction when bidirectional)."""
    directions = ("forward", "backward") if bidirectional else ("forward",)
    out = []
    for direction in directions:
        prefix = "" if not bidirectional else f"layer0.{direction}."
        where = "" if not bidirectional else f", layer 0 {direction}"
        for g in GATE_LETTERS[gates]:
            word = GATE_WORDS[g]
            out.append(textbook(f"{prefix}W_x{g}", (hidden, input_size), f"input weights of the {word}{where}"))
            out.append(textbook(f"{prefix}W_h{g}", (hidden, hidden), f"recurrent weights of the {word}{where}"))
            if bias:
                out.append(textbook(f"{prefix}b_{g}", (hidden,), f"bias of the {word}{where}"))
    return out


def worked_lines(spec: KerasLayer, cell: _KerasRecurrent, convention: str, input_shape: Any) -> list[str] | None:
    """G × (H·I + H·H + b·H), doubled for Bidirectional; b bias vectors per gate block.

    PyTorch has two bias vectors per gate block (bias_ih, bias_hh), Keras and the course notes one
    (a Keras GRU with reset_after=True has two).
    """
    kernels = [t for t in spec.param_tensors("keras", input_shape=input_shape)  # type: ignore[arg-type]
               if t.name.endswith("kernel") and not t.name.endswith("recurrent_kernel")]
    if not kernels:
        return None
    if not cell.use_bias:
        bias_vectors = 0
    elif convention == "pytorch":
        bias_vectors = 2
    elif convention == "keras" and getattr(cell, "reset_after", False):
        bias_vectors = 2
    else:
        bias_vectors = 1
    total = spec.count(convention, input_shape=input_shape).total  # type: ignore[arg-type]
    h, i, gates = cell.units, kernels[0].shape[0], cell.gates
    terms = [times(h, i), times(h, h)]
    if bias_vectors:
        terms.append(n(h) if bias_vectors == 1 else f"{bias_vectors}·{n(h)}")
    expr, value = " + ".join(terms), n(h * i + h * h + bias_vectors * h)
    if gates > 1:
        expr, value = f"{gates} × ({expr})", f"{gates} × {value}"
    if cell is not spec:
        expr = f"2 × ({expr})" if gates == 1 else f"2 × {expr}"
        value = f"2 × {value}"
    return [chain("weights + biases" if bias_vectors else "weights", expr, value, total)]
