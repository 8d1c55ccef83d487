"""Recurrent layers (RNN, LSTM, GRU): specs and their arithmetic, stacked and bidirectional."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Any, ClassVar, Literal

from pydantic import model_validator

from paramcalc import formulas as f
from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas import textbook as tb
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.torch_tensors as tt
import paramcalc.specs.ops as ops
from paramcalc.specs.base import LayerSpec, NonNegInt, PosInt, Shape, StrictBool, StrictProbability
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import chain, Family, shape_str, stack_lines

#: Gate letters as the notes write them: LSTM input, forget, output gates and the cell candidate;
#: GRU update, reset gates and the candidate state; a simple RNN's single block.
GATE_LETTERS = {1: ("h",), 3: ("z", "r", "h"), 4: ("i", "f", "o", "c")}
GATE_WORDS = {
    "h": "hidden state", "z": "update gate", "r": "reset gate", "i": "input gate", "f": "forget gate",
    "o": "output gate", "c": "cell candidate",
}
#: The Keras layer of each torch cell.
_KERAS_CELLS = {"RNN": "keras.SimpleRNN", "LSTM": "keras.LSTM", "GRU": "keras.GRU"}


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
RNN_FAMILY = Family(
    "rnn", "Elman recurrent layer (RNN, SimpleRNN)", ("RNN", "SimpleRNN"),
    {
        "pytorch": "H·I + H·H + 2·H per layer and direction (bias_ih and bias_hh)",
        "keras": "H·I + H·H + H (one bias)",
        "textbook": "H·I + H·H + H",
    },
    "output (L, N, D·H); h_n (D·num_layers, N, H)",
    "H = hidden size (units), I = input size (D·H for stacked layers), D = 2 if bidirectional",
)

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
LSTM_FAMILY = Family(
    "lstm", "Long short-term memory (LSTM)", ("LSTM",),
    {
        "pytorch": "4·(H·I + H·H + 2·H) per layer and direction; with proj_size P: "
                   "4·(H·I + H·P + 2·H) + P·H",
        "keras": "4·(H·I + H·H + H) (one bias per gate)",
        "textbook": "4 × RNN = 4·(H·I + H·H + H)",
    },
    "output (L, N, D·H_out); h_n (D·num_layers, N, H_out); c_n (D·num_layers, N, H)",
    "H = hidden size (units), I = input size (D·H_out for stacked layers), "
    "D = 2 if bidirectional, H_out = proj_size or H",
)

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
GRU_FAMILY = Family(
    "gru", "Gated recurrent unit (GRU)", ("GRU",),
    {
        "pytorch": "3·(H·I + H·H + 2·H) per layer and direction",
        "keras": "3·(H·I + H·H + 2·H) with reset_after=True (the default); "
                 "3·(H·I + H·H + H) with reset_after=False",
        "textbook": "3 × RNN = 3·(H·I + H·H + H)",
    },
    "output (L, N, D·H); h_n (D·num_layers, N, H)",
    "H = hidden size (units), I = input size (D·H for stacked layers), D = 2 if bidirectional",
)


class _Recurrent(LayerSpec):
    infer_field: ClassVar[str | None] = "input_size"
    gates: ClassVar[int] = 1
    input_size: PosInt | None = None
    hidden_size: PosInt
    num_layers: PosInt = 1

    @property
    def proj(self) -> int:
        """The projection size (0 when there is none)."""
        return getattr(self, "proj_size", 0)


    @property
    def activations(self) -> str:
        """The gate activations, as the compute item names them."""
        return {"LSTM": "3 σ, 2 tanh", "GRU": "2 σ, 1 tanh"}.get(self.name, getattr(self, "nonlinearity", "tanh"))
    def _infer_value(self, shape: Shape) -> Any:
        if not shape:
            raise SpecError(f"{self.name}: cannot infer {self.infer_field} from a 0-dimensional input")
        return shape[-1]

    def _pytorch_tensors(self) -> list[Tensor]:
        """weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (and weight_hr_l{k}) per layer
        and direction ("_reverse"), gates stacked along the first axis."""
        rows, h, proj = self.gates * self.hidden_size, self.hidden_size, self.proj
        h_out = proj or h
        what = {"LSTM": " of the 4 gates (i, f, g, o)", "GRU": " of the 3 gates (r, z, n)"}.get(self.name, "")
        directions = ("", "_reverse") if self.bidirectional else ("",)
        out = []
        for layer in range(self.num_layers):
            n_in = self.input_size if layer == 0 else h_out * len(directions)
            for sfx in directions:
                where = f"layer {layer}" + (", reverse direction" if sfx else "")
                out.append(tt.weight(f"weight_ih_l{layer}{sfx}", (rows, n_in), f"input-to-hidden weights{what}, {where}"))
                out.append(tt.weight(f"weight_hh_l{layer}{sfx}", (rows, h_out), f"hidden-to-hidden weights{what}, {where}"))
                if self.bias:
                    out.append(tt.weight(f"bias_ih_l{layer}{sfx}", (rows,), f"input-to-hidden bias{what}, {where}"))
                    out.append(tt.weight(f"bias_hh_l{layer}{sfx}", (rows,), f"hidden-to-hidden bias{what}, {where}"))
                if proj:
                    out.append(tt.weight(f"weight_hr_l{layer}{sfx}", (proj, h), f"projection of the hidden state, {where}"))
        return out

    def _pytorch_count(self) -> Count:
        return Count(f.recurrent_params(
            gates=self.gates, input_size=self.input_size, hidden_size=self.hidden_size,
            num_layers=self.num_layers, bias=self.bias, bidirectional=self.bidirectional, proj_size=self.proj,
        ))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return f.recurrent_output_shapes(
            input_shape=shapes[0], input_size=self.input_size, hidden_size=self.hidden_size,
            num_layers=self.num_layers, bidirectional=self.bidirectional, batch_first=self.batch_first,
            proj_size=self.proj, cell=self.name,
        )

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self) -> list[Part]:
        if self.proj:
            raise SpecError(
                f"{self.name}: Keras has no LSTM with a projection (proj_size); no Keras equivalent. "
                f"Received: proj_size={self.proj}"
            )
        cls = layer_class(_KERAS_CELLS[self.name])
        extra = {"activation": "relu"} if getattr(self, "nonlinearity", "tanh") == "relu" else {}
        directions = 2 if self.bidirectional else 1
        parts = []
        for i in range(self.num_layers):
            n_in = self.input_size if i == 0 else directions * self.hidden_size
            layer = cls(units=self.hidden_size, use_bias=self.bias, return_sequences=i < self.num_layers - 1, **extra)
            suffix = "" if i == 0 else f"_{i}"
            inner = f"{cls.layer_name}{suffix}"
            shapes = ((None, None, n_in),)
            if self.bidirectional:
                name = "" if self.num_layers == 1 else f"bidirectional{suffix}"
                parts.append(Part(name, layer_class("keras.Bidirectional")(layer=layer), shapes, inner))
            else:
                parts.append(Part("" if self.num_layers == 1 else inner, layer, shapes))
        return parts

    def _textbook_count(self, shapes: Any) -> Count:
        return Count(tb.recurrent_params(
            gates=self.gates, input_size=self.input_size, hidden_size=self.hidden_size,
            num_layers=self.num_layers, bidirectional=self.bidirectional, bias=self.bias, proj_size=self.proj,
        ))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        directions = ("forward", "backward") if self.bidirectional else ("forward",)
        hidden, proj = self.hidden_size, self.proj
        h_out = proj or hidden
        plain = self.num_layers == 1 and not self.bidirectional
        out = []
        for layer in range(self.num_layers):
            n_in = self.input_size if layer == 0 else len(directions) * h_out
            for direction in directions:
                prefix = "" if plain else f"layer{layer}.{direction}."
                where = "" if plain else f", layer {layer} {direction}"
                for g in GATE_LETTERS[self.gates]:
                    word = GATE_WORDS[g]
                    out.append(Tensor(f"{prefix}W_x{g}", (hidden, n_in), "trainable",
                                      f"input weights of the {word}{where}"))
                    out.append(Tensor(f"{prefix}W_h{g}", (hidden, h_out), "trainable",
                                      f"recurrent weights of the {word}{where}"))
                    if self.bias:
                        out.append(Tensor(f"{prefix}b_{g}", (hidden,), "trainable", f"bias of the {word}{where}"))
                if proj:
                    out.append(Tensor(f"{prefix}W_hr", (proj, hidden), "trainable",
                                      f"projection of the hidden state{where}"))
        return out

    def _total(self, bias_vectors: int) -> int:
        """The stack's count with ``bias_vectors`` bias vectors per gate block (projection included)."""
        d, h, g = (2 if self.bidirectional else 1), self.hidden_size, self.gates
        proj = self.proj
        h_out = proj or h
        sizes = [self.input_size] + [d * h_out] * (self.num_layers - 1)
        return sum(d * (g * (h * i + h * h_out + bias_vectors * h) + proj * h) for i in sizes)

    def _worked_params(self, convention: str) -> list[str]:
        """PyTorch has two bias vectors per gate block; Keras one (two for a GRU with reset_after,
        its default), the course notes one."""
        if convention == "pytorch":
            bias, total = (2 if self.bias else 0), self._pytorch_count().total
        else:
            per_gate = 2 if convention == "keras" and self.gates == 3 else 1
            bias = per_gate if self.bias else 0
            total = self._total(bias)
        return stack_lines(
            gates=self.gates, hidden=self.hidden_size, input_size=self.input_size, num_layers=self.num_layers,
            directions=2 if self.bidirectional else 1, proj=self.proj, bias_vectors=bias, total=total,
        )

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        x = shapes[0]
        d = 2 if self.bidirectional else 1
        h_out = self.proj or self.hidden_size
        if len(x) == 2:
            layout = f"input (L, H_in) = {shape_str(x)}, unbatched"
            output_sym, state_sym = "(L, D·H_out)", "(D·num_layers, {h})"
            length, batch = x[0], None
        elif self.batch_first:
            layout = f"input (N, L, H_in) = {shape_str(x)} with batch_first=True"
            output_sym, state_sym = "(N, L, D·H_out)", "(D·num_layers, N, {h})"
            batch, length = x[0], x[1]
        else:
            layout = f"input (L, N, H_in) = {shape_str(x)} with batch_first=False"
            output_sym, state_sym = "(L, N, D·H_out)", "(D·num_layers, N, {h})"
            length, batch = x[0], x[1]
        if batch is None:
            lead = [str(length)]
        else:
            lead = [str(batch), str(length)] if self.batch_first else [str(length), str(batch)]
        lines = [layout]
        lines.append(chain("output", output_sym, f"({', '.join([*lead, f'{d}·{h_out}'])})",
                           shape_str(outputs["output"])))
        states = [f"{d}·{self.num_layers}"] + ([] if batch is None else [str(batch)])
        lines.append(chain("h_n", state_sym.format(h="H_out"), f"({', '.join([*states, str(h_out)])})",
                           shape_str(outputs["h_n"])))
        if "c_n" in outputs:
            lines.append(chain("c_n", state_sym.format(h="H"), f"({', '.join([*states, str(self.hidden_size)])})",
                               shape_str(outputs["c_n"])))
        return lines

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x = shapes[0]
        if len(x) == 3:
            (n, t) = (x[0], x[1]) if self.batch_first else (x[1], x[0])
        else:
            n, t = 1, x[0]
        g, h, p = self.gates, self.hidden_size, self.proj
        d = 2 if self.bidirectional else 1
        layers = self.num_layers
        h_out = p or h
        w_ih, w_hh, w_hr = fc.recurrent_macs(
            gates=g, input_size=self.input_size, hidden_size=h, steps=t, batch=n, num_layers=layers,
            bidirectional=self.bidirectional, proj_size=p,
        )
        bias, act, elem = fc.recurrent_ops(
            cell=self.name, hidden_size=h, steps=t, batch=n, num_layers=layers,
            bidirectional=self.bidirectional, bias=self.bias,
        )
        h_out_sym = "P" if p else "H"
        cells_sym, cells_work = "D·T·N", ops.dot(d, t, n)
        if layers > 1:
            in_sym = f"(I + (layers−1)·D·{h_out_sym})"
            in_work = f"({self.input_size} + {layers - 1}·{d}·{h_out})"
        else:
            in_sym, in_work = "I", str(self.input_size)
        items = ops.op(
            "input-to-hidden W_ih·x", "mac", w_ih, ops.dot(cells_sym, "G", "H", in_sym),
            ops.dot(cells_work, g, h, in_work),
        )
        items += ops.op(
            "hidden-to-hidden W_hh·h", "mac", w_hh,
            ops.dot(cells_sym, "layers", "G", "H", h_out_sym), ops.dot(cells_work, layers, g, h, h_out),
        )
        items += ops.op("projection W_hr", "mac", w_hr, ops.dot(cells_sym, "layers", "P", "H"),
                        ops.dot(cells_work, layers, p, h))
        items += ops.op(
            "gate biases b_ih + b_hh", "bias", bias, ops.dot(cells_sym, "layers", "2", "G", "H"),
            ops.dot(cells_work, layers, 2, g, h),
        )
        a, e = fc.CELL_ACTIVATIONS[self.name], fc.CELL_ELEMENTWISE[self.name]
        items += ops.op(
            f"gate activations ({self.activations})", "activation", act,
            ops.dot(cells_sym, "layers", a, "H"), ops.dot(cells_work, layers, a, h),
        )
        items += ops.op(
            "gate products and sums", "elementwise", elem, ops.dot(cells_sym, "layers", e, "H"),
            ops.dot(cells_work, layers, e, h),
        )
        return items

class RNN(_Recurrent):
    """Elman RNN with tanh or ReLU: h_t = act(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh)."""

    family = RNN_FAMILY

    summary: ClassVar[str] = "Elman recurrent layer (tanh or relu)"
    gates: ClassVar[int] = 1
    example = ("RNN(64, 64)", "32,20,64")
    type: Literal["RNN"] = "RNN"
    nonlinearity: Literal["tanh", "relu"] = "tanh"
    bias: StrictBool = True
    batch_first: StrictBool = False
    dropout: StrictProbability = 0.0
    bidirectional: StrictBool = False


class LSTM(_Recurrent):
    """Long short-term memory with input, forget, cell and output gates; optional projection."""

    family = LSTM_FAMILY

    summary: ClassVar[str] = "long short-term memory, 4 gates (i, f, g, o), optional projection"
    gates: ClassVar[int] = 4
    example = ("LSTM(100, 128, num_layers=2)", "32,50,100")
    type: Literal["LSTM"] = "LSTM"
    bias: StrictBool = True
    batch_first: StrictBool = False
    dropout: StrictProbability = 0.0
    bidirectional: StrictBool = False
    proj_size: NonNegInt = 0

    @model_validator(mode="after")
    def _check(self) -> "LSTM":
        if self.proj_size >= self.hidden_size:
            raise self._fail(
                "proj_size has to be smaller than hidden_size", proj_size=self.proj_size, hidden_size=self.hidden_size
            )
        return self


class GRU(_Recurrent):
    """Gated recurrent unit with reset, update and new gates."""

    family = GRU_FAMILY

    summary: ClassVar[str] = "gated recurrent unit, 3 gates (r, z, n)"
    gates: ClassVar[int] = 3
    example = ("GRU(100, 128, bidirectional=True)", "32,50,100")
    type: Literal["GRU"] = "GRU"
    bias: StrictBool = True
    batch_first: StrictBool = False
    dropout: StrictProbability = 0.0
    bidirectional: StrictBool = False
