"""The catalogue of common mistakes: each entry recomputes a layer the wrong way a student would.

An entry is data: a short ``name`` that reads after "matches" ("forgetting the biases"), an
``explanation`` of what the right computation does instead, and how the mistake changes the
computation: a function from a :class:`Situation` (the layer, the convention, the input shape) to the
wrong parameter count it produces, and/or one to the wrong output shape. A function returns ``None``
when the mistake cannot happen for that layer (no bias to forget, no padding to put on one side).

:func:`diagnose` runs the catalogue and keeps the entries that reproduce a given answer exactly.
To add a mistake, append a :class:`Mistake` to :data:`CATALOGUE` (or pass your own catalogue).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

from paramcalc.errors import ParamcalcError
from paramcalc.results import Count, Tensor
from paramcalc.specs import (
    GRU,
    LSTM,
    RNN,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    LayerSpec,
    Linear,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MultiheadAttention,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

Shape = tuple[int, ...]
#: A shape an answer or a mistake may give: dimensions can be fractions ("54.25") when a division was not floored.
AnswerShape = tuple[int | Fraction, ...]
Quantity = Literal["params", "trainable", "non_trainable", "shape"]

CONVENTIONS = ("pytorch", "keras", "textbook")


# -- What a mistake function sees ------------------------------------------------------------


@lru_cache(maxsize=8192)
def count_or_none(spec: LayerSpec, convention: str, input_shape: Any) -> Count | None:
    """``spec.count(convention, input_shape=...)``, remembered; None when the convention cannot count it."""
    try:
        return spec.count(convention, input_shape=input_shape)
    except (ParamcalcError, NotImplementedError, ImportError):
        return None


@lru_cache(maxsize=4096)
def _tensors(spec: LayerSpec, convention: str, input_shape: Any) -> tuple[Tensor, ...]:
    try:
        return tuple(spec.param_tensors(convention, input_shape=input_shape))
    except (ParamcalcError, NotImplementedError, ImportError):
        return ()


@lru_cache(maxsize=4096)
def _outputs(spec: LayerSpec, input_shape: Any) -> dict[str, Shape] | None:
    if input_shape is None:
        return None
    shapes = input_shape if _is_shape_list(input_shape) else (input_shape,)
    try:
        return spec.output_shapes(*shapes)
    except ParamcalcError:
        return None


def _is_shape_list(value: Any) -> bool:
    return bool(value) and isinstance(value[0], (tuple, list))


def freeze_shape(value: Any) -> Any:
    """A hashable input shape: nested lists become tuples (one shape, or one per input)."""
    if value is None:
        return None
    if _is_shape_list(value):
        return tuple(tuple(s) for s in value)
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Situation:
    """One layer as a problem states it: the (resolved) spec, the convention, the input shape."""

    spec: LayerSpec
    convention: str = "pytorch"
    input_shape: Any = None

    def count(self, spec: LayerSpec | None = None, convention: str | None = None) -> Count | None:
        """The count of ``spec`` (default: this one) under ``convention`` (default: this one); None if it fails."""
        return count_or_none(self.spec if spec is None else spec, convention or self.convention, self.input_shape)

    @property
    def expected(self) -> Count | None:
        """The right count under this situation's convention."""
        return self.count()

    def tensors(self) -> tuple[Tensor, ...]:
        """The tensors this convention creates for the spec."""
        return _tensors(self.spec, self.convention, self.input_shape)

    def outputs(self, spec: LayerSpec | None = None) -> dict[str, Shape] | None:
        """Every named output of ``spec`` (default: this one) for the input shape; None without one."""
        return _outputs(self.spec if spec is None else spec, self.input_shape)

    @property
    def output(self) -> Shape | None:
        """The main output's shape."""
        outs = self.outputs()
        return None if outs is None else next(iter(outs.values()))

    def replaced(self, **changes: Any) -> LayerSpec | None:
        """The spec with some arguments changed (None when the spec lacks them or rejects the change)."""
        return replace(self.spec, **changes)


def replace(spec: LayerSpec, **changes: Any) -> LayerSpec | None:
    """``spec`` rebuilt with ``changes`` (validated), or None when a field is missing or the result is invalid."""
    fields = type(spec).model_fields
    if any(k not in fields for k in changes):
        return None
    values = {k: v for k, v in spec if k != "type"}
    if all(values.get(k) == v for k, v in changes.items()):
        return None
    values.update(changes)
    try:
        return _rebuild(type(spec), tuple(sorted(values.items(), key=lambda kv: kv[0])))
    except (ParamcalcError, TypeError):
        return None


@lru_cache(maxsize=4096)
def _rebuild(cls: type[LayerSpec], items: tuple[tuple[str, Any], ...]) -> LayerSpec:
    return cls(**dict(items))


# -- The catalogue's data type ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mistake:
    """One common mistake: what it is called, what is right instead, and how it changes the computation.

    Attributes:
        key: a stable identifier (``"no_bias"``).
        name: what the answer matches, read after "matches": ``"forgetting the biases"``.
        explanation: what the right computation does that the mistake does not.
        applies_to: the layers it concerns, for listings.
        params: spec (in a :class:`Situation`) -> the wrong :class:`Count` it produces, or None.
        shape: spec (in a :class:`Situation`) -> the wrong output shape it produces, or None.
        detail: optional spec -> a few words added in brackets after the name.
    """

    key: str
    name: str
    explanation: str
    applies_to: str
    params: Callable[[Situation], Count | None] | None = None
    shape: Callable[[Situation], AnswerShape | None] | None = None
    detail: Callable[[Situation], str] | None = None

    def wrong_count(self, situation: Situation) -> Count | None:
        """The count this mistake produces, or None when it does not apply."""
        if self.params is None:
            return None
        try:
            return self.params(situation)
        except (ParamcalcError, ArithmeticError):
            return None

    def wrong_shape(self, situation: Situation) -> AnswerShape | None:
        """The output shape this mistake produces, or None when it does not apply."""
        if self.shape is None or situation.input_shape is None:
            return None
        try:
            return self.shape(situation)
        except (ParamcalcError, ArithmeticError):
            return None

    def title(self, situation: Situation) -> str:
        """The name with its detail for this layer: ``the keras convention (one bias per gate)``."""
        extra = self.detail(situation) if self.detail else ""
        return f"{self.name} ({extra})" if extra else self.name


# -- Layer families, for torch and Keras specs alike -----------------------------------------

RECURRENT = (RNN, LSTM, GRU)
CONV = (Conv1d, Conv2d, Conv3d)
CONV_ANY = (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
BATCHNORM = (BatchNorm1d, BatchNorm2d, BatchNorm3d)
MAXPOOL = (MaxPool1d, MaxPool2d, MaxPool3d)
AVGPOOL = (AvgPool1d, AvgPool2d, AvgPool3d)
TRANSFORMER = (TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder)

KERAS_CONV = ("Conv1D", "Conv2D", "Conv3D")
KERAS_CONV_ANY = (*KERAS_CONV, "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
KERAS_MAXPOOL = ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D")
KERAS_AVGPOOL = ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D")


def is_keras(spec: LayerSpec) -> bool:
    """Whether a spec is a Keras layer (counted under the keras convention by default)."""
    return getattr(type(spec), "framework", "pytorch") == "keras"


def _keras_name(spec: LayerSpec) -> str | None:
    return type(spec).__name__ if is_keras(spec) else None


def is_recurrent(spec: LayerSpec) -> bool:
    """torch RNN/LSTM/GRU or Keras SimpleRNN/LSTM/GRU."""
    return isinstance(spec, RECURRENT) or _keras_name(spec) in ("SimpleRNN", "LSTM", "GRU")


def _is_cell(spec: LayerSpec, name: str) -> bool:
    return is_recurrent(spec) and type(spec).__name__ == name


def is_conv(spec: LayerSpec, *, transposed: bool = True) -> bool:
    """A convolution (torch or Keras), transposed ones included unless ``transposed=False``."""
    if is_keras(spec):
        return type(spec).__name__ in (KERAS_CONV_ANY if transposed else KERAS_CONV)
    return isinstance(spec, CONV_ANY if transposed else CONV)


def is_dense(spec: LayerSpec) -> bool:
    return isinstance(spec, Linear) or _keras_name(spec) == "Dense"


def is_batchnorm(spec: LayerSpec) -> bool:
    return isinstance(spec, BATCHNORM) or _keras_name(spec) == "BatchNormalization"


def is_attention(spec: LayerSpec) -> bool:
    return isinstance(spec, MultiheadAttention) or _keras_name(spec) == "MultiHeadAttention"


def _leaf(name: str) -> str:
    return name.replace("/", ".").rsplit(".", 1)[-1]


def _sum(tensors: Iterable[Tensor], scale: Callable[[Tensor], Fraction | int] | None = None) -> Count:
    """Sum tensor sizes by kind, each scaled (exactly) by ``scale``; a non-whole total is an ArithmeticError."""
    sums: dict[str, Fraction | int] = {"trainable": 0, "non_trainable": 0, "buffer": 0}
    for t in tensors:
        sums[t.kind] += t.numel * scale(t) if scale else t.numel
    if any(isinstance(v, Fraction) and v.denominator != 1 for v in sums.values()):
        raise ArithmeticError("not a whole count")
    return Count(int(sums["trainable"]), int(sums["non_trainable"]), int(sums["buffer"]))


def _params(s: Situation) -> list[Tensor]:
    return [t for t in s.tensors() if t.kind != "buffer"]


def _without(s: Situation, drop: Callable[[Tensor], bool]) -> Count | None:
    tensors = _params(s)
    kept = [t for t in tensors if not drop(t)]
    if not tensors or len(kept) == len(tensors):
        return None
    return _sum(kept)


def _is_bias(t: Tensor) -> bool:
    return "bias" in _leaf(t.name)


def _regated(s: Situation, gates: int) -> Count | None:
    """The count with every gate block scaled from the layer's gate count to ``gates``."""
    old = getattr(type(s.spec), "gates", 0)
    if not is_recurrent(s.spec) or not old or old == gates:
        return None
    return _sum(_params(s), lambda t: 1 if _leaf(t.name).startswith("weight_hr") else Fraction(gates, old))


# -- Parameter mistakes ----------------------------------------------------------------------


def _other_convention(convention: str) -> Callable[[Situation], Count | None]:
    def count(s: Situation) -> Count | None:
        if s.convention == convention:
            return None
        return s.count(convention=convention)

    return count


def _keras_detail(s: Situation) -> str:
    spec = s.spec
    if _is_cell(spec, "GRU"):
        return "reset_after: two biases per gate"
    if is_recurrent(spec):
        return "one bias per gate"
    if is_batchnorm(spec):
        return "moving mean and variance counted as non-trainable parameters"
    return ""


def _textbook_detail(s: Situation) -> str:
    spec = s.spec
    if is_recurrent(spec):
        return "one bias per gate"
    if is_attention(spec):
        return "4·d², no biases"
    if isinstance(spec, TRANSFORMER):
        return "4·d² + 2·d·d_ff, no biases or LayerNorm"
    return ""


def _pytorch_detail(s: Situation) -> str:
    spec = s.spec
    if is_recurrent(spec):
        return "two biases per gate"
    if is_batchnorm(spec):
        return "running statistics are buffers, not parameters"
    if is_attention(spec) or isinstance(spec, TRANSFORMER):
        return "with biases and LayerNorms"
    return ""


def _no_bias(s: Situation) -> Count | None:
    return _without(s, _is_bias)


def _single_bias(s: Situation) -> Count | None:
    if not (is_dense(s.spec) or is_conv(s.spec)):
        return None
    tensors = _params(s)
    if not any(_is_bias(t) for t in tensors):
        return None
    return _sum(tensors, lambda t: Fraction(1, t.numel) if _is_bias(t) and t.numel else 1)


def _filter_depth_axis(s: Situation, t: Tensor) -> int | None:
    """Where the input channels (per group) sit in a convolution's weight tensor."""
    leaf = _leaf(t.name)
    if is_keras(s.spec) and leaf == "kernel" and len(t.shape) >= 3:
        return len(t.shape) - (1 if "Transpose" in type(s.spec).__name__ else 2)
    if not is_keras(s.spec) and leaf == "weight" and len(t.shape) >= 3:
        return 0 if isinstance(s.spec, CONV_ANY) and not isinstance(s.spec, CONV) else 1
    return None


def _no_input_channels(s: Situation) -> Count | None:
    if not is_conv(s.spec, transposed=False):
        return None
    tensors = _params(s)
    found = False

    def scale(t: Tensor) -> Fraction | int:
        nonlocal found
        axis = _filter_depth_axis(s, t)
        if axis is None or t.shape[axis] in (0, 1):
            return 1
        found = True
        return Fraction(1, t.shape[axis])

    wrong = _sum(tensors, scale)
    return wrong if found else None


def _groups_ignored(s: Situation) -> Count | None:
    if not is_conv(s.spec) or getattr(s.spec, "groups", 1) == 1:
        return None
    whole = s.replaced(groups=1)
    return None if whole is None else s.count(whole)


def _lstm_three_gates(s: Situation) -> Count | None:
    return _regated(s, 3) if _is_cell(s.spec, "LSTM") else None


def _gru_four_gates(s: Situation) -> Count | None:
    return _regated(s, 4) if _is_cell(s.spec, "GRU") else None


def _gates_forgotten(s: Situation) -> Count | None:
    return _regated(s, 1) if _is_cell(s.spec, "LSTM") or _is_cell(s.spec, "GRU") else None


def _one_bias_per_gate(s: Situation) -> Count | None:
    if not isinstance(s.spec, RECURRENT) or s.convention != "pytorch":
        return None
    return _without(s, lambda t: _leaf(t.name).startswith("bias_hh"))


def _one_direction(s: Situation) -> LayerSpec | None:
    if _keras_name(s.spec) == "Bidirectional":
        return s.spec.layer  # type: ignore[attr-defined]
    if getattr(s.spec, "bidirectional", False):
        return s.replaced(bidirectional=False)
    return None


def _bidirectional_once(s: Situation) -> Count | None:
    one = _one_direction(s)
    return None if one is None else s.count(one)


def _bidirectional_once_shape(s: Situation) -> AnswerShape | None:
    one = _one_direction(s)
    outs = None if one is None else s.outputs(one)
    return None if outs is None else next(iter(outs.values()))


def _stacked_input_size(s: Situation) -> Count | None:
    spec = s.spec
    if not isinstance(spec, RECURRENT) or spec.num_layers < 2:
        return None
    first = s.replaced(num_layers=1)
    one = None if first is None else s.count(first)
    return None if one is None else one * spec.num_layers


def _first_layer_only(s: Situation) -> Count | None:
    spec = s.spec
    if not isinstance(spec, (*RECURRENT, TransformerEncoder)) or spec.num_layers < 2:
        return None
    first = s.replaced(num_layers=1)
    return None if first is None else s.count(first)


def _is_output_projection(t: Tensor) -> bool:
    name = t.name.lower()
    return "out_proj" in name or "attention_output" in name or _leaf(name) in ("w_o", "wo") or "output_dense" in name


def _no_output_projection(s: Situation) -> Count | None:
    if not (is_attention(s.spec) or isinstance(s.spec, TRANSFORMER)):
        return None
    return _without(s, _is_output_projection)


def _no_layernorm(s: Situation) -> Count | None:
    if not isinstance(s.spec, TRANSFORMER):
        return None
    return _without(s, lambda t: "norm" in t.name.lower())


def _ffn_four_d(s: Situation) -> Count | None:
    spec = s.spec
    if isinstance(spec, (TransformerEncoderLayer, TransformerDecoderLayer)):
        changed = s.replaced(dim_feedforward=4 * spec.d_model)
    elif isinstance(spec, TransformerEncoder):
        inner = replace(spec.encoder_layer, dim_feedforward=4 * spec.encoder_layer.d_model)
        changed = None if inner is None else s.replaced(encoder_layer=inner)
    else:
        return None
    return None if changed is None else s.count(changed)


STAT_NAMES = ("running_mean", "running_var", "moving_mean", "moving_variance")


def _running_stats(with_counter: bool) -> Callable[[Situation], Count | None]:
    def count(s: Situation) -> Count | None:
        if not is_batchnorm(s.spec) or s.convention == "keras":
            return None
        expected = s.expected
        names = STAT_NAMES + (("num_batches_tracked",) if with_counter else ())
        stats = sum(t.numel for t in s.tensors() if t.kind == "buffer" and _leaf(t.name) in names)
        if expected is None or not stats:
            return None
        return Count(expected.trainable, expected.non_trainable + stats)

    return count


def _stats_trainable(s: Situation) -> Count | None:
    """Keras: moving mean and variance counted as trainable (every weight trainable)."""
    if not is_batchnorm(s.spec) or s.convention != "keras":
        return None
    expected = s.expected
    if expected is None or not expected.non_trainable:
        return None
    return Count(expected.total)


# -- Shape mistakes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """One sliding-window layer's arithmetic, per spatial dimension."""

    sizes: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool
    is_pool: bool
    #: where the spatial dimensions sit in the output shape
    positions: tuple[int, ...]
    output: Shape = field(default=())


def window(s: Situation) -> Window | None:
    """The sliding-window arithmetic of a conv or pool layer (torch or Keras) for this input, or None."""
    spec: Any = s.spec
    out = s.output
    if out is None:
        return None
    nd = getattr(type(spec), "nd", 0)
    x = s.input_shape[0] if _is_shape_list(s.input_shape) else s.input_shape
    if is_keras(spec):
        name = type(spec).__name__
        if name not in (*KERAS_CONV, *KERAS_MAXPOOL, *KERAS_AVGPOOL) or spec.padding != "valid":
            return None
        last = spec.data_format == "channels_last"
        first_spatial = 1 if last else 2
        positions = tuple(range(first_spatial, first_spatial + nd))
        sizes = tuple(x[i] for i in positions)
        if any(n is None for n in sizes):
            return None
        is_pool = name not in KERAS_CONV
        kernel = spec.pool_size if is_pool else spec.kernel_size
        dilation = (1,) * nd if is_pool else spec.dilation_rate
        return Window(sizes, kernel, spec.strides, (0,) * nd, dilation, False, is_pool, positions, out)
    if isinstance(spec, CONV):
        if spec.padding == "same":
            return None
        padding = (0,) * nd if spec.padding == "valid" else spec.padding
        dilation, ceil_mode, is_pool = spec.dilation, False, False
    elif isinstance(spec, MAXPOOL):
        padding, dilation, ceil_mode, is_pool = spec.padding, spec.dilation, spec.ceil_mode, True
    elif isinstance(spec, AVGPOOL):
        padding, dilation, ceil_mode, is_pool = spec.padding, (1,) * nd, spec.ceil_mode, True
    else:
        return None
    positions = tuple(range(len(out) - nd, len(out)))
    return Window(
        tuple(x[len(x) - nd:]), spec.kernel_size, spec.stride, padding, dilation, ceil_mode, is_pool,
        positions, out,
    )


def _per_dim(
    rule: Callable[[int, int, int, int, int], int | Fraction | None], *, when: Callable[[Window], bool] | None = None
) -> Callable[[Situation], AnswerShape | None]:
    """A shape mistake from a per-dimension rule (n, k, s, p, d) -> wrong size."""

    def shape(s: Situation) -> AnswerShape | None:
        w = window(s)
        if w is None or (when is not None and not when(w)):
            return None
        out: list[Any] = list(w.output)
        for pos, n, k, st, p, d in zip(w.positions, w.sizes, w.kernel, w.stride, w.padding, w.dilation):
            size = rule(n, k, st, p, d)
            if size is None or size < 1:
                return None
            out[pos] = size
        wrong = tuple(out)
        return None if wrong == w.output else wrong

    return shape


def _numerator(n: int, k: int, p: int, d: int) -> int:
    return n + 2 * p - d * (k - 1) - 1


def _inexact(w: Window) -> bool:
    return any(
        _numerator(n, k, p, d) % st for n, k, st, p, d in zip(w.sizes, w.kernel, w.stride, w.padding, w.dilation)
    )


def _exact_fraction(n: int, k: int, s: int, p: int, d: int) -> Fraction:
    return Fraction(_numerator(n, k, p, d), s) + 1


def _ceil(n: int, k: int, s: int, p: int, d: int) -> int:
    return -(-_numerator(n, k, p, d) // s) + 1


def _floor(n: int, k: int, s: int, p: int, d: int) -> int:
    return _numerator(n, k, p, d) // s + 1


# -- The catalogue ---------------------------------------------------------------------------

CATALOGUE: tuple[Mistake, ...] = (
    Mistake(
        "keras_convention", "the keras convention",
        "Keras's SimpleRNN and LSTM have one bias vector per gate (torch has two: bias_ih and bias_hh); its "
        "BatchNormalization counts the moving mean and variance as non-trainable parameters (torch keeps them "
        "as buffers).",
        "every layer", params=_other_convention("keras"), detail=_keras_detail,
    ),
    Mistake(
        "textbook_convention", "the textbook convention",
        "The course formulas keep one bias vector per layer or gate (RNN H·(I+H)+H, LSTM 4×, GRU 3×); "
        "attention is 4·d² and an encoder layer 4·d² + 2·d·d_ff (12·d² when d_ff = 4·d), without biases or "
        "LayerNorm.",
        "every layer", params=_other_convention("textbook"), detail=_textbook_detail,
    ),
    Mistake(
        "pytorch_convention", "the pytorch convention",
        "PyTorch's recurrent layers have two bias vectors per gate (bias_ih and bias_hh), and its BatchNorm "
        "keeps the running mean and variance as buffers, which are not parameters.",
        "every layer", params=_other_convention("pytorch"), detail=_pytorch_detail,
    ),
    Mistake(
        "no_bias", "forgetting the biases",
        "Every output unit, channel or gate has a bias: a Linear layer is I·O + O, a convolution "
        "((K_h·K_w·C_in/groups) + 1)·C_out (the +1 is the bias of each filter), an RNN adds its bias vectors "
        "to every gate.",
        "Linear, Conv, recurrent, attention, Transformer", params=_no_bias,
    ),
    Mistake(
        "single_bias", "adding a single bias instead of one per output",
        "A bias is a vector with one value per output unit or filter: + O for Linear and + C_out for a "
        "convolution, not + 1.",
        "Linear, Conv", params=_single_bias,
    ),
    Mistake(
        "no_input_channels", "forgetting the input channels",
        "A filter spans every input channel (of its group): each of the C_out filters has K_h·K_w·C_in/groups "
        "weights, not K_h·K_w.",
        "Conv", params=_no_input_channels,
    ),
    Mistake(
        "groups_ignored", "using in_channels instead of in_channels/groups",
        "With groups = g each filter sees only C_in/g input channels, so the weights are "
        "K_h·K_w·(C_in/g)·C_out.",
        "Conv with groups > 1", params=_groups_ignored,
    ),
    Mistake(
        "one_bias_per_gate", "counting one bias per gate (as Keras and the textbook do)",
        "torch.nn.RNN, LSTM and GRU have two bias vectors per gate, bias_ih and bias_hh, so each gate adds 2·H "
        "biases, not H.",
        "RNN, LSTM, GRU (pytorch)", params=_one_bias_per_gate,
    ),
    Mistake(
        "lstm_three_gates", "counting 3 gates instead of 4",
        "An LSTM has four gate blocks (input, forget, cell candidate, output), so it is 4 × the RNN count, "
        "not 3 × (that is a GRU).",
        "LSTM", params=_lstm_three_gates,
    ),
    Mistake(
        "gru_four_gates", "counting 4 gates instead of 3",
        "A GRU has three gate blocks (reset, update, new), so it is 3 × the RNN count, not 4 × (that is an "
        "LSTM).",
        "GRU", params=_gru_four_gates,
    ),
    Mistake(
        "gates_forgotten", "counting a single gate (a plain RNN)",
        "An LSTM repeats the RNN weights for 4 gates and a GRU for 3: multiply the RNN count by the gates.",
        "LSTM, GRU", params=_gates_forgotten,
    ),
    Mistake(
        "bidirectional_once", "a bidirectional layer counted once",
        "A bidirectional layer has a second, reverse-direction copy of every weight, and its output "
        "concatenates both directions (2·H features).",
        "bidirectional RNN, LSTM, GRU", params=_bidirectional_once, shape=_bidirectional_once_shape,
    ),
    Mistake(
        "stacked_input_size", "forgetting that stacked layers take hidden_size inputs",
        "Only the first layer of a stack reads input_size features; every later layer reads the previous "
        "layer's output, hidden_size (2·hidden_size when bidirectional) features.",
        "stacked RNN, LSTM, GRU", params=_stacked_input_size,
    ),
    Mistake(
        "first_layer_only", "counting only the first layer of the stack",
        "num_layers stacks that many layers, each with its own weights.",
        "stacked RNN, LSTM, GRU, TransformerEncoder", params=_first_layer_only,
    ),
    Mistake(
        "no_output_projection", "forgetting the output projection of multi-head attention",
        "Multi-head attention has four projections: Q, K and V, and the output projection W_O (d·d weights "
        "plus d biases) applied to the concatenated heads.",
        "MultiheadAttention, Transformer layers", params=_no_output_projection,
    ),
    Mistake(
        "no_layernorm", "forgetting the LayerNorm parameters",
        "Each LayerNorm of a Transformer layer has a scale and a shift per feature: 2·d parameters.",
        "Transformer layers", params=_no_layernorm,
    ),
    Mistake(
        "ffn_four_d", "assuming the feed-forward width is 4·d",
        "The 12·d² rule holds only when dim_feedforward = 4·d_model; the feed-forward block has "
        "2·d·d_ff weights for the d_ff actually given.",
        "Transformer layers", params=_ffn_four_d,
    ),
    Mistake(
        "batchnorm_running_stats", "counting BatchNorm running statistics as parameters",
        "In PyTorch BatchNorm's running_mean and running_var are buffers, not parameters: only gamma and "
        "beta (2·C; gamma alone, C, with bias=False) are counted.",
        "BatchNorm (pytorch)", params=_running_stats(False),
    ),
    Mistake(
        "batchnorm_all_buffers", "counting every BatchNorm buffer as a parameter",
        "running_mean, running_var and num_batches_tracked (2·C + 1 values) are buffers, not parameters.",
        "BatchNorm (pytorch)", params=_running_stats(True),
    ),
    Mistake(
        "batchnorm_stats_trainable", "counting the moving statistics as trainable",
        "Keras's BatchNormalization has 4·C weights, but only gamma and beta are trainable; moving_mean and "
        "moving_variance are non-trainable.",
        "BatchNormalization (keras)", params=_stats_trainable,
    ),
    Mistake(
        "no_plus_one", "omitting the +1 in the output-size formula",
        "The output size is (n + 2·p − d·(k − 1) − 1)/s + 1 (with d = 1: (n + 2p − k)/s + 1): the +1 counts "
        "the first window position.",
        "Conv, MaxPool, AvgPool",
        shape=_per_dim(lambda n, k, s, p, d: _numerator(n, k, p, d) // s),
    ),
    Mistake(
        "one_side_padding", "padding only one side",
        "Padding p is added on both sides of each dimension: the padded size is n + 2·p, not n + p.",
        "Conv, MaxPool, AvgPool with padding",
        shape=_per_dim(lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1 if p else None),
    ),
    Mistake(
        "padding_ignored", "forgetting the padding",
        "The window slides over the padded input, n + 2·p long.",
        "Conv, MaxPool, AvgPool with padding",
        shape=_per_dim(lambda n, k, s, p, d: (n - d * (k - 1) - 1) // s + 1 if p else None),
    ),
    Mistake(
        "not_floored", "not flooring (n − k)/s",
        "When (n + 2·p − k)/s is not whole, the last partial window is dropped: torch floors the division "
        "(exam problems usually choose sizes that divide exactly).",
        "Conv, MaxPool, AvgPool",
        shape=_per_dim(_exact_fraction, when=lambda w: _inexact(w) and not w.ceil_mode),
    ),
    Mistake(
        "rounded_up", "rounding (n − k)/s up instead of down",
        "Without ceil_mode the division is floored, not rounded up: a window that would run past the input "
        "is dropped.",
        "Conv, MaxPool, AvgPool",
        shape=_per_dim(_ceil, when=lambda w: _inexact(w) and not w.ceil_mode),
    ),
    Mistake(
        "ceil_mode_ignored", "flooring although ceil_mode=True",
        "With ceil_mode=True pooling rounds the division up (keeping a last window that starts inside the "
        "input).",
        "MaxPool, AvgPool with ceil_mode",
        shape=_per_dim(_floor, when=lambda w: w.ceil_mode),
    ),
    Mistake(
        "dilation_ignored", "using (H + 2P − F)/S with dilation ignored",
        "A dilated kernel spans d·(k − 1) + 1 positions: the output size is (n + 2·p − d·(k − 1) − 1)/s + 1.",
        "Conv, MaxPool with dilation > 1",
        shape=_per_dim(lambda n, k, s, p, d: (n + 2 * p - k) // s + 1 if d > 1 else None),
    ),
    Mistake(
        "pool_stride_one", "using stride 1 for pooling",
        "torch's pooling layers default stride to kernel_size: MaxPool2d(2) halves the size.",
        "MaxPool, AvgPool",
        shape=_per_dim(
            lambda n, k, s, p, d: _numerator(n, k, p, d) + 1 if s > 1 else None,
            when=lambda w: w.is_pool and w.stride == w.kernel,
        ),
    ),
)

#: The catalogue by key.
MISTAKES: dict[str, Mistake] = {m.key: m for m in CATALOGUE}


# -- Diagnosis -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A catalogue entry that reproduces a given answer exactly.

    Attributes:
        key: the catalogue entry's key.
        name: what the answer matches, with its detail: ``the keras convention (one bias per gate)``.
        explanation: what the right computation does.
        value: the value the mistake produces (an int, or a shape).
        where: in a whole model, the layer whose mistake explains the difference (``"rnn"``), or
            ``"every layer"``; None for a single layer.
        layout: for shapes, how the given shape lines up with the mistaken one.
    """

    key: str
    name: str
    explanation: str
    value: Any
    where: str | None = None
    layout: str | None = None

    @property
    def text(self) -> str:
        """``matches forgetting the biases`` (prefixed with the layer in a model)."""
        head = f"{self.where}: " if self.where else ""
        return f"{head}matches {self.name}"

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, tuple):
            value = [_json_number(v) for v in value]
        return {
            "mistake": self.key, "matches": self.name, "text": self.text, "explanation": self.explanation,
            "value": value, "layer": self.where, "layout": self.layout,
        }


def _json_number(v: int | Fraction) -> int | str:
    if isinstance(v, Fraction):
        return int(v) if v.denominator == 1 else format_number(v)
    return v


def format_number(v: int | Fraction) -> str:
    """An int, or a fraction as a short decimal (54.25) or n/d when it does not terminate."""
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        d = v.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d == 1:
            return format(float(v), "g")
        return f"{v.numerator}/{v.denominator}"
    return str(v)


def count_value(count: Count, quantity: Quantity) -> int:
    """The part of a count an answer gives: ``params`` (total), ``trainable`` or ``non_trainable``."""
    return count.total if quantity == "params" else getattr(count, quantity)


def diagnose_count(
    situation: Situation, quantity: Quantity, given: int, *, catalogue: Iterable[Mistake] = CATALOGUE
) -> list[Diagnosis]:
    """The catalogue entries whose wrong count reproduces ``given`` exactly.

    Args:
        situation: the layer (resolved), the convention the answer was checked under, the input shape.
        quantity: ``"params"`` (the total), ``"trainable"`` or ``"non_trainable"``.
        given: the answer.
        catalogue: the mistakes to try (default: :data:`CATALOGUE`).

    Returns:
        One :class:`Diagnosis` per entry that gives exactly ``given`` (and differs from the right value).
    """
    expected = situation.expected
    right = None if expected is None else count_value(expected, quantity)
    found = []
    for m in catalogue:
        wrong = m.wrong_count(situation)
        if wrong is None:
            continue
        value = count_value(wrong, quantity)
        if value == given and value != right:
            found.append(Diagnosis(m.key, m.title(situation), m.explanation, value))
    return found


def diagnose_shape(
    situation: Situation,
    given: AnswerShape,
    match: Callable[[AnswerShape, Shape], str | None],
    *,
    catalogue: Iterable[Mistake] = CATALOGUE,
) -> list[Diagnosis]:
    """The catalogue entries whose wrong output shape lines up with ``given`` (``match`` gives the layout)."""
    right = situation.output
    found = []
    for m in catalogue:
        wrong = m.wrong_shape(situation)
        if wrong is None or wrong == right:
            continue
        layout = match(given, wrong)
        if layout is not None:
            found.append(Diagnosis(m.key, m.title(situation), m.explanation, wrong, layout=layout))
    return found
