"""Parameter mistakes: each recomputes a layer's count the wrong way a student would (forgetting the
biases, counting 3 gates instead of 4, another convention's rules, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from paramcalc.checking.situation import (
    RECURRENT,
    TRANSFORMER,
    AnswerShape,
    Mistake,
    Situation,
    is_attention,
    is_batchnorm,
    is_cell,
    is_conv,
    is_dense,
    is_keras,
    is_recurrent,
    keras_name,
    replace,
)
from paramcalc.checking.sources import (
    BN_DOCS,
    COURSE,
    CS231N_PARAMS,
    D2L_GATES,
    KERAS_INPUT,
    KERAS_RNN,
    TORCH_RNN_DOCS,
    VASWANI,
)
from paramcalc.checking.tensor_parts import is_bias as _is_bias
from paramcalc.checking.tensor_parts import is_weight as _is_weight
from paramcalc.checking.tensor_parts import leaf as _leaf
from paramcalc.checking.tensor_parts import param_tensors as _params
from paramcalc.checking.tensor_parts import sum_tensors as _sum
from paramcalc.checking.tensor_parts import without as _without
from paramcalc.results import Count, Tensor
from paramcalc.specs import LayerSpec, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer


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
    if is_cell(spec, "GRU"):
        return "reset_after=True, two bias vectors per gate"
    if is_recurrent(spec):
        return "one bias vector per gate"
    if is_batchnorm(spec):
        return "moving mean and variance counted as non-trainable parameters"
    return ""


def _textbook_detail(s: Situation) -> str:
    spec = s.spec
    if is_recurrent(spec):
        return "one bias vector per gate"
    if is_attention(spec):
        return "4·d², no biases"
    if isinstance(spec, TRANSFORMER):
        return "4·d² + 2·d·d_ff, no biases or LayerNorm"
    return ""


def _pytorch_detail(s: Situation) -> str:
    spec = s.spec
    if is_recurrent(spec):
        return "two bias vectors per gate"
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
    """Where the input channels (per group) sit in a convolution's weight tensor, by the tensor's own layout
    (a torch layer counted under keras has Keras's kernel)."""
    leaf = _leaf(t.name)
    transposed = "Transpose" in type(s.spec).__name__
    if leaf == "W" and len(t.shape) >= 3:  # the textbook's filters: (*k, C_in/g, C_out)
        return len(t.shape) - 2
    if leaf == "kernel" and len(t.shape) >= 3:  # Keras: (*k, C_in/g, filters); transposed (*k, filters, C_in)
        return len(t.shape) - (1 if transposed else 2)
    if leaf == "weight" and len(t.shape) >= 3:  # torch: (C_out, C_in/g, *k); transposed (C_in, C_out/g, *k)
        return 0 if transposed else 1
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
    return _regated(s, 3) if is_cell(s.spec, "LSTM") else None


def _gru_four_gates(s: Situation) -> Count | None:
    return _regated(s, 4) if is_cell(s.spec, "GRU") else None


def _gates_forgotten(s: Situation) -> Count | None:
    return _regated(s, 1) if is_cell(s.spec, "LSTM") or is_cell(s.spec, "GRU") else None


def _one_bias_per_gate(s: Situation) -> Count | None:
    if not isinstance(s.spec, RECURRENT) or s.convention != "pytorch":
        return None
    return _without(s, lambda t: _leaf(t.name).startswith("bias_hh"))


def _one_direction(s: Situation) -> LayerSpec | None:
    if keras_name(s.spec) == "Bidirectional":
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
        expected = s.expected  # the textbook lists gamma and beta only: the statistics are the layer's buffers
        names = STAT_NAMES + (("num_batches_tracked",) if with_counter else ())
        stats = sum(t.numel for t in Situation(s.spec, "pytorch", s.input_shape).tensors()
                    if t.kind == "buffer" and _leaf(t.name) in names)
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


def _bias_per_input(s: Situation) -> Count | None:
    """Linear/Dense and forward convolutions with a bias per input (feature or channel) instead of per output."""
    spec = s.spec
    if not (is_dense(spec) or is_conv(spec, transposed=False)):
        return None
    tensors = _params(s)
    weights = [t for t in tensors if _is_weight(t)]
    biases = [t for t in tensors if _is_bias(t)]
    if len(weights) != 1 or len(biases) != 1:
        return None
    w, b = weights[0], biases[0]
    if is_dense(spec):
        inputs = w.numel // b.numel if b.numel else 0
    else:
        axis = _filter_depth_axis(s, w)
        inputs = None if axis is None else w.shape[axis] * getattr(spec, "groups", 1)
    if not inputs or inputs == b.numel:
        return None
    return _sum(tensors, lambda t: Fraction(inputs, t.numel) if t is b else 1)


QKV_LEAVES = ("in_proj_weight", "in_proj_bias", "q_proj_weight", "k_proj_weight", "v_proj_weight", "W_Q", "W_K", "W_V")


def _is_qkv(t: Tensor) -> bool:
    """A query, key or value projection's tensor: torch's and the textbook's by name, Keras's by its sublayer."""
    parts = t.name.replace("/", ".").split(".")
    return parts[-1] in QKV_LEAVES or (len(parts) > 1 and parts[-2] in ("query", "key", "value"))


def _heads(spec: LayerSpec) -> int:
    inner = getattr(spec, "encoder_layer", spec)
    return getattr(inner, "num_heads", None) or getattr(inner, "nhead", None) or 1


def _heads_full_qkv(s: Situation) -> Count | None:
    """Every head given its own d×d query, key and value projections (h times the Q/K/V weights)."""
    spec = s.spec
    if not (is_attention(spec) or isinstance(spec, TRANSFORMER)):
        return None
    heads = _heads(spec)
    tensors = _params(s)
    if heads < 2 or not any(_is_qkv(t) for t in tensors):
        return None
    return _sum(tensors, lambda t: heads if _is_qkv(t) else 1)


def _keras2_gru(s: Situation) -> Count | None:
    """A Keras GRU counted as Keras 2 did before reset_after=True became the default: one bias per gate."""
    if keras_name(s.spec) != "GRU" or not getattr(s.spec, "reset_after", False):
        return None
    old = s.replaced(reset_after=False)
    return None if old is None else s.count(old, convention="keras")


def _swapped_input(s: Situation) -> tuple | None:
    shape = s.input_shape
    if not is_keras(s.spec) or shape is None or not shape or isinstance(shape[0], tuple) or len(shape) != 3:
        return None
    if shape[1] is None or shape[2] is None or shape[1] == shape[2]:
        return None
    return (shape[0], shape[2], shape[1])


def _timesteps_features_swapped(s: Situation) -> Count | None:
    """Keras ``input_shape=(timesteps, features)`` read as (features, timesteps): the layer sees T features."""
    swapped = _swapped_input(s)
    if swapped is None:
        return None
    return Situation(s.spec, s.convention, swapped).expected


def _timesteps_features_swapped_shape(s: Situation) -> AnswerShape | None:
    swapped = _swapped_input(s)
    return None if swapped is None else Situation(s.spec, s.convention, swapped).output


#: The parameter mistakes, in the order they are tried.
PARAM_MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "keras_convention", "Keras's count",
        "Keras's SimpleRNN and LSTM have one bias vector per gate (torch has two: bias_ih and bias_hh), its GRU "
        "two with reset_after=True; its BatchNormalization counts the moving mean and variance as "
        "non-trainable parameters (torch keeps them as buffers).",
        "every layer", params=_other_convention("keras"), detail=_keras_detail, source=KERAS_RNN, lead="that is",
    ),
    Mistake(
        "textbook_convention", "the textbook's count",
        "The course formulas keep one bias vector per layer or gate (RNN H·(I+H)+H, LSTM 4×, GRU 3×); "
        "attention is 4·d² and an encoder layer 4·d² + 2·d·d_ff (12·d² when d_ff = 4·d), without biases or "
        "LayerNorm.",
        "every layer", params=_other_convention("textbook"), detail=_textbook_detail, source=COURSE, lead="that is",
    ),
    Mistake(
        "pytorch_convention", "PyTorch's count",
        "PyTorch's recurrent layers have two bias vectors per gate (bias_ih and bias_hh), and its BatchNorm "
        "keeps the running mean and variance as buffers, which are not parameters.",
        "every layer", params=_other_convention("pytorch"), detail=_pytorch_detail, source=TORCH_RNN_DOCS,
        lead="that is",
    ),
    Mistake(
        "keras2_gru", "Keras 2's GRU count (reset_after=False: one bias vector per gate)",
        "Keras's GRU has reset_after=True by default (since Keras 2.3): the reset gate is applied after the "
        "recurrent product, with separate input and recurrent biases, 3·(H·I + H·H + 2·H); 3·(H·I + H·H + H) "
        "is the count of the older reset_after=False GRU.",
        "GRU (keras)", params=_keras2_gru, source=KERAS_RNN, supersedes=("textbook_convention",),
    ),
    Mistake(
        "no_bias", "forgetting the biases",
        "Every output unit, channel or gate has a bias: a Linear layer is I·O + O, a convolution "
        "((K_h·K_w·C_in/groups) + 1)·C_out (the +1 is the bias of each filter), an RNN adds its bias vectors "
        "to every gate.",
        "Linear, Conv, recurrent, attention, Transformer", params=_no_bias, source=COURSE,
    ),
    Mistake(
        "single_bias", "adding a single bias instead of one per output",
        "A bias is a vector with one value per output unit or filter: + O for Linear and + C_out for a "
        "convolution, not + 1.",
        "Linear, Conv", params=_single_bias, source=CS231N_PARAMS,
    ),
    Mistake(
        "bias_per_input", "adding a bias per input instead of per output",
        "The bias belongs to the outputs: + O for Linear (one per output unit) and + C_out for a convolution "
        "(one per filter), not + I or + C_in.",
        "Linear, Conv", params=_bias_per_input, source=COURSE,
    ),
    Mistake(
        "no_input_channels", "forgetting the input channels",
        "A filter spans every input channel (of its group): each of the C_out filters has K_h·K_w·C_in/groups "
        "weights, not K_h·K_w.",
        "Conv", params=_no_input_channels, source=CS231N_PARAMS,
    ),
    Mistake(
        "groups_ignored", "using in_channels instead of in_channels/groups",
        "With groups = g each filter sees only C_in/g input channels, so the weights are "
        "K_h·K_w·(C_in/g)·C_out.",
        "Conv with groups > 1", params=_groups_ignored,
        source="PyTorch documentation of Conv2d: weight of shape (out_channels, in_channels/groups, kH, kW)",
    ),
    Mistake(
        "one_bias_per_gate", "counting one bias per gate (as Keras and the textbook do)",
        "torch.nn.RNN, LSTM and GRU have two bias vectors per gate, bias_ih and bias_hh, so each gate adds 2·H "
        "biases, not H.",
        "RNN, LSTM, GRU (pytorch)", params=_one_bias_per_gate, source=TORCH_RNN_DOCS,
    ),
    Mistake(
        "lstm_three_gates", "counting 3 gates instead of 4",
        "An LSTM has four gate blocks (input, forget, cell candidate, output), so it is 4 × the RNN count, "
        "not 3 × (that is a GRU).",
        "LSTM", params=_lstm_three_gates, source=D2L_GATES,
    ),
    Mistake(
        "gru_four_gates", "counting 4 gates instead of 3",
        "A GRU has three gate blocks (reset, update, new), so it is 3 × the RNN count, not 4 × (that is an "
        "LSTM).",
        "GRU", params=_gru_four_gates, source=D2L_GATES,
    ),
    Mistake(
        "gates_forgotten", "counting a single gate (a plain RNN)",
        "An LSTM repeats the RNN weights for 4 gates and a GRU for 3: multiply the RNN count by the gates.",
        "LSTM, GRU", params=_gates_forgotten, source=D2L_GATES,
    ),
    Mistake(
        "bidirectional_once", "a bidirectional layer counted once",
        "A bidirectional layer has a second, reverse-direction copy of every weight, and its output "
        "concatenates both directions (2·H features).",
        "bidirectional RNN, LSTM, GRU", params=_bidirectional_once, shape=_bidirectional_once_shape,
        source="PyTorch documentation of nn.LSTM: bidirectional=True adds the _reverse weights",
    ),
    Mistake(
        "stacked_input_size", "forgetting that stacked layers take hidden_size inputs",
        "Only the first layer of a stack reads input_size features; every later layer reads the previous "
        "layer's output, hidden_size (2·hidden_size when bidirectional) features.",
        "stacked RNN, LSTM, GRU", params=_stacked_input_size,
        source="PyTorch documentation of nn.LSTM: weight_ih_l[k] is (4·hidden_size, hidden_size) for k > 0",
    ),
    Mistake(
        "first_layer_only", "counting only the first layer of the stack",
        "num_layers stacks that many layers, each with its own weights.",
        "stacked RNN, LSTM, GRU, TransformerEncoder", params=_first_layer_only, source=TORCH_RNN_DOCS,
    ),
    Mistake(
        "timesteps_features_swapped", "reading input_shape=(timesteps, features) the other way round",
        "Keras's recurrent and Conv1D layers take (batch, timesteps, features): the weights depend on the "
        "features (the last axis), never on the number of timesteps.",
        "SimpleRNN, LSTM, GRU, Conv1D, Dense (keras)", params=_timesteps_features_swapped,
        shape=_timesteps_features_swapped_shape, source=KERAS_INPUT,
    ),
    Mistake(
        "no_output_projection", "forgetting the output projection of multi-head attention",
        "Multi-head attention has four projections: Q, K and V, and the output projection W_O (d·d weights "
        "plus d biases) applied to the concatenated heads.",
        "MultiheadAttention, Transformer layers", params=_no_output_projection, source=VASWANI,
    ),
    Mistake(
        "heads_full_qkv", "giving every head its own full-size Q, K and V projections",
        "The heads split d_model: each head projects to d/h dimensions, so Q, K and V together are 3·d·d "
        "weights for all heads (3·d² + 3·d with biases), not h·3·d².",
        "MultiheadAttention, MultiHeadAttention, Transformer layers", params=_heads_full_qkv, source=VASWANI,
    ),
    Mistake(
        "no_layernorm", "forgetting the LayerNorm parameters",
        "Each LayerNorm of a Transformer layer has a scale and a shift per feature: 2·d parameters.",
        "Transformer layers", params=_no_layernorm,
        source="PyTorch documentation of nn.TransformerEncoderLayer: norm1 and norm2",
    ),
    Mistake(
        "ffn_four_d", "assuming the feed-forward width is 4·d",
        "The 12·d² rule holds only when dim_feedforward = 4·d_model; the feed-forward block has "
        "2·d·d_ff weights for the d_ff actually given.",
        "Transformer layers", params=_ffn_four_d, source=COURSE,
    ),
    Mistake(
        "batchnorm_running_stats", "counting BatchNorm running statistics as parameters",
        "In PyTorch BatchNorm's running_mean and running_var are buffers, not parameters: only gamma and "
        "beta (2·C; gamma alone, C, with bias=False) are counted.",
        "BatchNorm (pytorch, textbook)", params=_running_stats(False), source=BN_DOCS,
    ),
    Mistake(
        "batchnorm_all_buffers", "counting every BatchNorm buffer as a parameter",
        "running_mean, running_var and num_batches_tracked (2·C + 1 values) are buffers, not parameters.",
        "BatchNorm (pytorch, textbook)", params=_running_stats(True), source=BN_DOCS,
    ),
    Mistake(
        "batchnorm_stats_trainable", "counting the moving statistics as trainable",
        "Keras's BatchNormalization has 4·C weights, but only gamma and beta are trainable; moving_mean and "
        "moving_variance are non-trainable.",
        "BatchNormalization (keras)", params=_stats_trainable, source=BN_DOCS,
    ),
)
