"""Recurrent layers: RNN, LSTM (with projections) and GRU, stacked and bidirectional."""

from __future__ import annotations

from paramcalc.errors import SpecError
from paramcalc.formulas._shape import split_batch

#: Gate blocks per cell: an RNN has one, a GRU three (r, z, n), an LSTM four (i, f, g, o).
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def recurrent_params(
    *,
    gates: int,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> int:
    """Parameters of a PyTorch recurrent stack with ``gates`` gate blocks per cell.

    With G gates, H hidden, P = proj_size, H_out = P or H, D = 2 if bidirectional else 1, layer l of
    the stack takes I_l = input_size for l = 0 and D·H_out after that; each layer and direction has
    G·H·I_l (weight_ih) + G·H·H_out (weight_hh) + 2·G·H (bias_ih and bias_hh, if bias)
    + P·H (weight_hr, if P > 0).
    Formula: D · Σ_l [G·H·(I_l + H_out) + 2·G·H·bias + P·H].
    """
    directions = 2 if bidirectional else 1
    h_out = proj_size or hidden_size
    per_cell = gates * hidden_size * h_out + (2 * gates * hidden_size if bias else 0) + proj_size * hidden_size
    first = gates * hidden_size * input_size
    later = gates * hidden_size * directions * h_out
    return directions * (num_layers * per_cell + first + (num_layers - 1) * later)


def rnn_params(
    *, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, bidirectional: bool = False
) -> int:
    """Parameters of ``torch.nn.RNN`` (Elman, tanh or relu).

    Formula (one layer, one direction): H·I + H·H + 2·H; stacked layers take D·H inputs.
    """
    return recurrent_params(
        gates=1, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, bias=bias,
        bidirectional=bidirectional,
    )


def lstm_params(
    *,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> int:
    """Parameters of ``torch.nn.LSTM``.

    Formula (one layer, one direction, no projection): 4·(H·I + H·H + 2·H); with proj_size P the
    recurrent weights are 4H×P and a P×H projection is added: 4·(H·I + H·P + 2·H) + P·H.
    """
    return recurrent_params(
        gates=4, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, bias=bias,
        bidirectional=bidirectional, proj_size=proj_size,
    )


def gru_params(
    *, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, bidirectional: bool = False
) -> int:
    """Parameters of ``torch.nn.GRU``.

    Formula (one layer, one direction): 3·(H·I + H·H + 2·H).
    """
    return recurrent_params(
        gates=3, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, bias=bias,
        bidirectional=bidirectional,
    )


def recurrent_output_shapes(
    *,
    input_shape: tuple[int, ...],
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    batch_first: bool = False,
    proj_size: int = 0,
    cell: str = "LSTM",
) -> dict[str, tuple[int, ...]]:
    """Shapes of ``output``, ``h_n`` (and ``c_n`` for an LSTM) for an input (L, N, I).

    Formula: output (L, N, D·H_out); h_n (D·num_layers, N, H_out); c_n (D·num_layers, N, H), with
    D = 2 if bidirectional else 1 and H_out = proj_size or hidden_size. With batch_first the input
    and output are (N, L, ·); unbatched inputs are (L, I) and the states lose their N.
    """
    batch, core = split_batch(cell, input_shape, 2)
    if batch and batch_first:
        n, length, features = input_shape
    elif batch:
        length, n, features = input_shape
    else:
        (length, features), n = core, None
    if features != input_size:
        raise SpecError(
            f"{cell}: input.size(-1) must be equal to input_size. Expected {input_size}, got {features}. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    if length < 1:
        raise SpecError(
            f"{cell}: expected sequence length to be larger than 0. Received: input_shape={tuple(input_shape)}"
        )
    directions = 2 if bidirectional else 1
    h_out = proj_size or hidden_size
    states = directions * num_layers
    if n is None:
        shapes = {"output": (length, directions * h_out), "h_n": (states, h_out)}
        if cell == "LSTM":
            shapes["c_n"] = (states, hidden_size)
        return shapes
    output = (n, length, directions * h_out) if batch_first else (length, n, directions * h_out)
    shapes = {"output": output, "h_n": (states, n, h_out)}
    if cell == "LSTM":
        shapes["c_n"] = (states, n, hidden_size)
    return shapes


def cell_params(*, gates: int, input_size: int, hidden_size: int, bias: bool = True) -> int:
    """Parameters of one recurrent cell (``nn.RNNCell``: 1 gate, ``nn.GRUCell``: 3, ``nn.LSTMCell``: 4).

    Formula: G·(H·I + H·H) + 2·G·H with bias (bias_ih and bias_hh); an RNN layer's first layer, one direction.
    """
    return gates * (hidden_size * input_size + hidden_size * hidden_size) + (2 * gates * hidden_size if bias else 0)


def cell_output_shape(*, input_shape: tuple[int, ...], input_size: int, hidden_size: int, layer: str) -> tuple[int, ...]:
    """Shape of a recurrent cell's new state for one step: (N, I) → (N, H), or (I,) → (H,).

    The state passed in, when given, has the output's shape.
    """
    x = tuple(input_shape)
    if len(x) not in (1, 2):
        raise SpecError(f"{layer}: expected a 1D (unbatched) or 2D (batched) input, got {len(x)}D. Received: input_shape={x}")
    if x[-1] != input_size:
        raise SpecError(
            f"{layer}: the input's last dimension must be input_size. Received: input_size={input_size}, input_shape={x}"
        )
    return (*x[:-1], hidden_size)
