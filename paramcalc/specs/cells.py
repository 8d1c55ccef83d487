"""Recurrent cells (RNNCell, LSTMCell, GRUCell): one time step of an RNN, LSTM or GRU layer; specs
and their arithmetic."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from typing import Any, ClassVar, Literal

from paramcalc.formulas import compute as fc
from paramcalc.formulas.recurrent import cell_output_shape, cell_params
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.ops as ops
import paramcalc.specs.torch_tensors as tt
from paramcalc.specs.base import LayerSpec, NonNegInt, Shape, StrictBool
from paramcalc.specs.parts import Part
from paramcalc.specs.working import chain, Family, n

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
CELL_FAMILY = Family(
    "cell", "Recurrent cells (RNNCell, LSTMCell, GRUCell)", ("RNNCell", "LSTMCell", "GRUCell"),
    {
        "pytorch": "G·(H·I + H·H) + 2·G·H (bias_ih and bias_hh); G = 1 (RNNCell), 3 (GRUCell), 4 (LSTMCell)",
        "keras": "G·(I·H + H·H + H) (kernel, recurrent_kernel, one bias; GRUCell with reset_after: 2·G·H)",
        "textbook": "G·(H·(I + H) + H)",
    },
    "input (N, I) → h' (N, H); LSTMCell: h_1 (N, H) and c_1 (N, H)",
    "I = input_size, H = hidden_size, G = gates",
)


class _Cell(LayerSpec):
    family = CELL_FAMILY
    gates: ClassVar[int] = 1
    infer_field: ClassVar[str | None] = "input_size"
    #: The outputs, named as torch's documentation names them.
    outputs: ClassVar[tuple[str, ...]] = ("h'",)
    input_size: NonNegInt | None = None
    hidden_size: NonNegInt
    bias: StrictBool = True

    def _infer_value(self, shape: Shape) -> Any:
        return shape[-1] if shape else 0

    def _pytorch_count(self) -> Count:
        return Count(cell_params(gates=self.gates, input_size=self.input_size, hidden_size=self.hidden_size,
                                 bias=self.bias))

    def _pytorch_tensors(self) -> list[Tensor]:
        """weight_ih, weight_hh, bias_ih, bias_hh: one layer's tensors, gates stacked along the first axis."""
        rows, h = self.gates * self.hidden_size, self.hidden_size
        what = {4: " of the 4 gates (i, f, g, o)", 3: " of the 3 gates (r, z, n)"}.get(self.gates, "")
        out = [tt.weight("weight_ih", (rows, self.input_size), f"input-to-hidden weights{what}"),
               tt.weight("weight_hh", (rows, h), f"hidden-to-hidden weights{what}")]
        if self.bias:
            out += [tt.weight("bias_ih", (rows,), f"input-to-hidden bias{what}"),
                    tt.weight("bias_hh", (rows,), f"hidden-to-hidden bias{what}")]
        return out

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        out = cell_output_shape(input_shape=shapes[0], input_size=self.input_size, hidden_size=self.hidden_size,
                                layer=self.name)
        return {name: out for name in self.outputs}

    def _keras_parts(self) -> list[Part]:
        g, i, h = self.gates, self.input_size, self.hidden_size
        raw = [Tensor("kernel", (i, g * h), "trainable", "input weights of the gates"),
               Tensor("recurrent_kernel", (h, g * h), "trainable", "recurrent weights of the gates")]
        if self.bias:
            bias = (2, g * h) if self.gates == 3 else (g * h,)  # Keras's GRUCell: reset_after=True
            raw.append(Tensor("bias", bias, "trainable", "gate biases"))
        return [Part(self.name.lower().replace("cell", "_cell"), None, (), raw=tuple(raw))]

    def _textbook_count(self, shapes: Any) -> Count:
        g, i, h = self.gates, self.input_size, self.hidden_size
        return Count(g * (h * (i + h) + (h if self.bias else 0)))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        g, i, h = self.gates, self.input_size, self.hidden_size
        out = [Tensor("W", (g * h, i + h), "trainable", "weights of the gates on [x, h]")]
        if self.bias:
            out.append(Tensor("b", (g * h,), "trainable", "one bias per gate unit"))
        return out

    def _worked_params(self, convention: str) -> list[str] | None:
        if convention != "pytorch":
            return None
        g, i, h = self.gates, self.input_size, self.hidden_size
        total = self._pytorch_count().total
        biases = f" + 2·{g}·{n(h)}" if self.bias else ""
        return [chain("weights + biases", f"{g}·({n(h)}·{n(i)} + {n(h)}·{n(h)}){biases}", total)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return [f"last dimension: input_size {self.input_size} → hidden_size {self.hidden_size}"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x = shapes[0]
        rows = x[0] if len(x) == 2 else 1
        g, i, h = self.gates, self.input_size, self.hidden_size
        items = ops.op("input-to-hidden W_ih·x", "mac", rows * g * h * i, "N·G·H·I", f"{rows}·{g}·{h}·{i}")
        items += ops.op("hidden-to-hidden W_hh·h", "mac", rows * g * h * h, "N·G·H·H", f"{rows}·{g}·{h}·{h}")
        if self.bias:
            items += ops.op("gate biases b_ih + b_hh", "bias", fc.bias_adds(outputs=2 * rows * g * h),
                            "2·N·G·H", f"2·{rows}·{g}·{h}")
        return items


class RNNCell(_Cell):
    """One step of an Elman RNN: h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh)."""

    summary: ClassVar[str] = "one step of an Elman RNN (tanh or relu)"
    example = ("RNNCell(10, 20)", "3,10")
    type: Literal["RNNCell"] = "RNNCell"
    nonlinearity: Literal["tanh", "relu"] = "tanh"


class LSTMCell(_Cell):
    """One step of an LSTM: the 4 gates (i, f, g, o); returns h_1 and c_1."""

    summary: ClassVar[str] = "one step of an LSTM, 4 gates (i, f, g, o): h_1 and c_1"
    gates: ClassVar[int] = 4
    outputs: ClassVar[tuple[str, ...]] = ("h_1", "c_1")
    example = ("LSTMCell(10, 20)", "3,10")
    type: Literal["LSTMCell"] = "LSTMCell"


class GRUCell(_Cell):
    """One step of a GRU: the 3 gates (r, z, n)."""

    summary: ClassVar[str] = "one step of a GRU, 3 gates (r, z, n)"
    gates: ClassVar[int] = 3
    example = ("GRUCell(10, 20)", "3,10")
    type: Literal["GRUCell"] = "GRUCell"
