"""Every catalogue entry, fed the wrong answer it produces, is named back by the diagnosis.

Each case gives a layer, the wrong answer a student would write, and the hand derivation of both
the right value and the wrong one (in the id and the comment). The diagnosis must name the entry,
and the answer must be marked wrong.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from paramcalc.checking import check
from paramcalc.checking.mistakes import CATALOGUE, MISTAKES, Diagnosis, Mistake, Situation, diagnose_count
from paramcalc.specs.parse import parse_layer
from paramcalc.results import Count

# Chollet, Deep Learning with Python (2017), listing 5.1–5.3: the MNIST convnet, 93,322 parameters;
# 28 → conv 26 → pool 13 → conv 11 → pool 5 → conv 3, flattened to 3·3·64 = 576 features.
MNIST_CONVNET = {
    "name": "MNIST convnet", "framework": "keras", "input_shape": [1, 28, 28, 1],
    "layers": [{"layer": "Conv2D(32, 3, activation='relu')"}, {"layer": "MaxPooling2D(2)"},
               {"layer": "Conv2D(64, 3, activation='relu')"}, {"layer": "MaxPooling2D(2)"},
               {"layer": "Conv2D(64, 3, activation='relu')"}, {"layer": "Flatten()"},
               {"layer": "Dense(64, activation='relu')"}, {"layer": "Dense(10, activation='softmax')"}],
}

# (entry key, layer, keyword answers for check(), quantity checked, hand derivation)
CASES = [
    # Keras counts one bias per gate: 4·(128·(100 + 128) + 128) = 117,248 (torch: 4·(29,184 + 256) = 117,760).
    ("keras_convention", "LSTM(100, 128)", dict(params=117_248, convention="pytorch"), "params",
     "4·(128·228 + 128) = 117,248"),
    # Keras BatchNormalization: moving mean and variance are 2·64 = 128 non-trainable parameters.
    ("keras_convention", "BatchNorm2d(64)", dict(non_trainable=128, convention="pytorch"), "non_trainable",
     "2·64 = 128"),
    # Textbook encoder layer with d = 512, d_ff = 2048: 4·512² + 2·512·2048 = 12·512² = 3,145,728.
    ("textbook_convention", "TransformerEncoderLayer(512, 8)", dict(params=3_145_728, convention="pytorch"),
     "params", "12·512² = 3,145,728"),
    # Checked under keras, the torch count with two biases per gate: 4·(128·228 + 2·128) = 117,760.
    ("pytorch_convention", "LSTM(100, 128)", dict(params=117_760, convention="keras"), "params",
     "4·(128·228 + 256) = 117,760"),
    # Conv2d(3, 64, 3) = (3·3·3 + 1)·64 = 1,792; without the +1: 3·3·3·64 = 1,728.
    ("no_bias", "Conv2d(3, 64, 3)", dict(params=1_728), "params", "3·3·3·64 = 1,728"),
    # Linear(64, 1) = 64 + 1 = 65; without the bias: 64.
    ("no_bias", "Linear(64, 1)", dict(params=64), "params", "64·1 = 64"),
    # RNN(64, 64) = 64·64 + 64·64 + 2·64 = 8,320; without the biases 8,192.
    ("no_bias", "RNN(64, 64)", dict(params=8_192), "params", "64·64 + 64·64 = 8,192"),
    # One bias in total: 1,728 + 1 = 1,729.
    ("single_bias", "Conv2d(3, 64, 3)", dict(params=1_729), "params", "3·3·3·64 + 1 = 1,729"),
    # A filter without its depth: 3·3·64 + 64 = 640.
    ("no_input_channels", "Conv2d(3, 64, 3)", dict(params=640), "params", "3·3·64 + 64 = 640"),
    # groups=4: 3·3·(64/4)·64 + 64 = 9,280; with all 64 inputs per filter: 3·3·64·64 + 64 = 36,928.
    ("groups_ignored", "Conv2d(64, 64, 3, groups=4)", dict(params=36_928), "params", "3·3·64·64 + 64 = 36,928"),
    # torch LSTM(100, 128) has 2 bias vectors per gate (117,760); one per gate: 117,248.
    ("one_bias_per_gate", "LSTM(100, 128)", dict(params=117_248, convention="pytorch"), "params",
     "4·(128·228 + 128) = 117,248"),
    # Three gates: 3·(128·100 + 128·128 + 2·128) = 3·29,440 = 88,320.
    ("lstm_three_gates", "LSTM(100, 128)", dict(params=88_320), "params", "3·29,440 = 88,320"),
    # GRU(100, 128) = 3·29,440 = 88,320; with four gates 4·29,440 = 117,760.
    ("gru_four_gates", "GRU(100, 128)", dict(params=117_760), "params", "4·29,440 = 117,760"),
    # One gate block only: 128·100 + 128·128 + 2·128 = 29,440.
    ("gates_forgotten", "LSTM(100, 128)", dict(params=29_440), "params", "29,440"),
    # Bidirectional: 2·117,760 = 235,520; counted once: 117,760.
    ("bidirectional_once", "LSTM(100, 128, bidirectional=True)", dict(params=117_760), "params", "117,760"),
    # Output of a bidirectional LSTM over (50, 32, 100) is (50, 32, 2·128); counted once: (50, 32, 128).
    ("bidirectional_once", "LSTM(100, 128, bidirectional=True)",
     dict(shape="50x32x128", input_shape=(50, 32, 100)), "shape", "(50, 32, 128)"),
    # Two layers: 117,760 + 4·(128·128 + 128·128 + 256) = 249,856; both reading 100 inputs: 2·117,760 = 235,520.
    ("stacked_input_size", "LSTM(100, 128, num_layers=2)", dict(params=235_520), "params", "2·117,760 = 235,520"),
    # Only the first of the two layers: 117,760.
    ("first_layer_only", "LSTM(100, 128, num_layers=2)", dict(params=117_760), "params", "117,760"),
    # MultiheadAttention(512): 4·512² + 4·512 = 1,050,624; without W_O and its bias: 3·512² + 3·512 = 787,968.
    ("no_output_projection", "MultiheadAttention(512, 8)", dict(params=787_968), "params",
     "3·512² + 3·512 = 787,968"),
    # TransformerEncoderLayer(512, 8) = 3,152,384 (torch); without its 2 LayerNorms (2·2·512): 3,150,336.
    ("no_layernorm", "TransformerEncoderLayer(512, 8)", dict(params=3_150_336), "params",
     "3,152,384 − 2,048 = 3,150,336"),
    # d_ff = 1024: 1,050,624 + 2·512·1024 + 1024 + 512 + 2,048 = 2,102,784; with d_ff = 4·512: 3,152,384.
    ("ffn_four_d", "TransformerEncoderLayer(512, 8, dim_feedforward=1024)", dict(params=3_152_384), "params",
     "3,152,384"),
    # BatchNorm2d(64): gamma and beta 2·64 = 128; with running mean and variance: 4·64 = 256.
    ("batchnorm_running_stats", "BatchNorm2d(64)", dict(params=256, convention="pytorch"), "params", "4·64 = 256"),
    # BatchNorm2d(64, bias=False) (torch 2.13): gamma only, 64; with running mean and variance: 3·64 = 192.
    ("batchnorm_running_stats", "BatchNorm2d(64, bias=False)", dict(params=192, convention="pytorch"), "params",
     "3·64 = 192"),
    # ... and num_batches_tracked: 4·64 + 1 = 257.
    ("batchnorm_all_buffers", "BatchNorm2d(64)", dict(params=257), "params", "4·64 + 1 = 257"),
    # Keras: 4·64 = 256 weights, 128 trainable; all four counted trainable: 256.
    ("batchnorm_stats_trainable", "BatchNorm2d(64)", dict(trainable=256, convention="keras"), "trainable",
     "4·64 = 256"),
    # AlexNet conv1: (227 − 11)/4 + 1 = 55; without the +1: 216/4 = 54.
    ("no_plus_one", "Conv2d(3, 96, 11, stride=4)", dict(shape="54x54x96", input_shape="227x227x3"), "shape",
     "216/4 = 54"),
    # 32x32, k=5, p=2: (32 + 4 − 5) + 1 = 32; padded on one side: (32 + 2 − 5) + 1 = 30.
    ("one_side_padding", "Conv2d(3, 8, 5, padding=2)", dict(shape="30x30x8", input_shape="32x32x3"), "shape",
     "(32 + 2 − 5) + 1 = 30"),
    # ... without padding: (32 − 5) + 1 = 28.
    ("padding_ignored", "Conv2d(3, 8, 5, padding=2)", dict(shape="28x28x8", input_shape="32x32x3"), "shape",
     "(32 − 5) + 1 = 28"),
    # 224 input: (224 − 11)/4 + 1 = 54.25, floored to 54.
    ("not_floored", "Conv2d(3, 96, 11, stride=4)", dict(shape="54.25", input_shape=(1, 3, 224, 224)), "shape",
     "213/4 + 1 = 54.25"),
    # ... rounded up: 55.
    ("rounded_up", "Conv2d(3, 96, 11, stride=4)", dict(shape="55x55x96", input_shape=(1, 3, 224, 224)), "shape",
     "ceil(213/4) + 1 = 55"),
    # ceil_mode: ceil((56 − 3)/2) + 1 = 28; floored: 27.
    ("ceil_mode_ignored", "MaxPool2d(3, 2, ceil_mode=True)", dict(shape="27", input_shape=(1, 96, 56, 56)),
     "shape", "floor(53/2) + 1 = 27"),
    # dilation 2: (32 − 2·(3 − 1) − 1) + 1 = 28; with dilation ignored (32 − 3) + 1 = 30.
    ("dilation_ignored", "Conv2d(3, 64, 3, dilation=2)", dict(shape="30x30x64", input_shape=(1, 3, 32, 32)),
     "shape", "(32 − 3) + 1 = 30"),
    # MaxPool2d(2) halves 32 to 16; with stride 1: (32 − 2) + 1 = 31.
    ("pool_stride_one", "MaxPool2d(2)", dict(shape="31x31x64", input_shape=(1, 64, 32, 32)), "shape",
     "(32 − 2) + 1 = 31"),
    # Keras GRU(128) on 100 features, reset_after=True: 3·(128·100 + 128·128 + 2·128) = 88,320; Keras 2's
    # reset_after=False: 3·(128·100 + 128·128 + 128) = 87,936.
    ("keras2_gru", "layers.GRU(128)", dict(params=87_936, input_shape=(32, 50, 100)), "params",
     "3·(12,800 + 16,384 + 128) = 87,936"),
    # Linear(64, 1) = 65; a bias per input: 64 + 64 = 128.
    ("bias_per_input", "Linear(64, 1)", dict(params=128), "params", "64·1 + 64 = 128"),
    # MultiheadAttention(512, 8) = 4·512² + 4·512 = 1,050,624; each head with full Q/K/V:
    # 8·(3·512² + 3·512) + 512² + 512 = 6,303,744 + 262,656 = 6,566,400.
    ("heads_full_qkv", "MultiheadAttention(512, 8)", dict(params=6_566_400), "params",
     "8·787,968 + 262,656 = 6,566,400"),
    # Keras LSTM(32) on (timesteps 10, features 64): 4·(32·64 + 32·32 + 32) = 12,416; read as 10 features:
    # 4·(32·10 + 32·32 + 32) = 5,504.
    ("timesteps_features_swapped", "layers.LSTM(32)", dict(params=5_504, input_shape=(1, 10, 64)), "params",
     "4·(320 + 1,024 + 32) = 5,504"),
    # 8x8, k=3, p=1, s=2: (8 + 2 − 3)//2 + 1 = 4; stride first: (8 − 3)//2 + 2·1 + 1 = 5.
    ("stride_before_padding", "Conv2d(1, 1, 3, padding=1, stride=2)", dict(shape="5x5x1", input_shape=(1, 1, 8, 8)),
     "shape", "5//2 + 2 + 1 = 5"),
    # Keras MaxPooling1D(6, 5, padding="same") on 13 steps: ceil(13/5) = 3; read as "valid": (13 − 6)//5 + 1 = 2.
    ("same_as_valid", "layers.MaxPooling1D(6, 5, padding='same')", dict(shape="2x4", input_shape=(1, 13, 4)),
     "shape", "7//5 + 1 = 2"),
    # ... with padding="valid": 2; read as "same": ceil(13/5) = 3.
    ("valid_as_same", "layers.MaxPooling1D(6, 5)", dict(shape="3x4", input_shape=(1, 13, 4)), "shape",
     "ceil(13/5) = 3"),
    # The last conv's +1 forgotten: 2·2·64 = 256 features, Dense(64) 256·64 + 64 = 16,448 instead of
    # 576·64 + 64 = 36,928: 93,322 − 20,480 = 72,842.
    ("flatten_wrong_size", MNIST_CONVNET, dict(params=72_842), "params", "93,322 − 20,480 = 72,842"),
    # ConvTranspose2d(1, 1, 2, stride=2) on 2x2: (2 − 1)·2 + 2 = 4; as a forward conv: (2 − 2)//2 + 1 = 1.
    ("transposed_as_forward", "ConvTranspose2d(1, 1, 2, stride=2)", dict(shape="1x1x1", input_shape=(1, 1, 2, 2)),
     "shape", "0//2 + 1 = 1"),
]


def _id(case: tuple) -> str:
    target = case[1]["name"] if isinstance(case[1], dict) else case[1]
    return f"{case[0]}-{target}-{case[3]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_entry_is_diagnosed(case: tuple) -> None:
    key, layer, answers, quantity, _derivation = case
    result = check(layer, **answers)
    [answer] = [a for a in result.answers if a.quantity == quantity]
    assert not answer.correct
    keys = [d.key for d in answer.diagnoses]
    assert key in keys, f"{key} not in {keys}"


def test_every_entry_has_a_case() -> None:
    assert {c[0] for c in CASES} == set(MISTAKES)


def test_catalogue_is_large_and_keys_unique() -> None:
    assert len(CATALOGUE) >= 12
    assert len({m.key for m in CATALOGUE}) == len(CATALOGUE)
    for m in CATALOGUE:
        assert m.name and m.explanation and m.applies_to
        assert m.params is not None or m.shape is not None


# The same entries on Keras layers (input shapes batch first, channels last).
KERAS_CASES = [
    # SimpleRNN(128) on 100 features: 100·128 + 128·128 + 128 = 29,312; without the bias 29,184.
    ("no_bias", "layers.SimpleRNN(128)", dict(params=29_184, input_shape=(32, 30, 100))),
    # ... with torch's two bias vectors: 29,440.
    ("pytorch_convention", "layers.SimpleRNN(128)", dict(params=29_440, input_shape=(32, 30, 100),
                                                         convention="keras")),
    # LSTM(128): 4·29,312 = 117,248; three gates 87,936.
    ("lstm_three_gates", "layers.LSTM(128)", dict(params=87_936, input_shape=(32, 30, 100))),
    # Bidirectional(LSTM(128)) = 2·117,248; counted once 117,248; its output 2·128 features.
    ("bidirectional_once", "layers.Bidirectional(layers.LSTM(128))", dict(params=117_248, input_shape=(32, 30, 100))),
    ("bidirectional_once", "layers.Bidirectional(layers.LSTM(128))", dict(shape="32x128", input_shape=(32, 30, 100))),
    # Dense(10) on 784: 7,850; one bias in total 7,841.
    ("single_bias", "layers.Dense(10)", dict(params=7_841, input_shape=(32, 784))),
    # Conv2D(64, 3) on 3 channels: (3·3·3 + 1)·64 = 1,792; flat filters 640.
    ("no_input_channels", "layers.Conv2D(64, 3)", dict(params=640, input_shape=(1, 32, 32, 3))),
    # Conv2D(64, 3, groups=4) on 64 channels: 3·3·16·64 + 64 = 9,280; ignoring groups 36,928.
    ("groups_ignored", "layers.Conv2D(64, 3, groups=4)", dict(params=36_928, input_shape=(1, 32, 32, 64))),
    # Conv2D(96, 11, strides=4) on 227x227x3: 55; without the +1: 54.
    ("no_plus_one", "layers.Conv2D(96, 11, strides=4)", dict(shape="54x54x96", input_shape=(1, 227, 227, 3))),
    # MaxPooling2D(2) on 32: 16; with stride 1: 31.
    ("pool_stride_one", "layers.MaxPooling2D(2)", dict(shape="31x31x64", input_shape=(1, 32, 32, 64))),
    # BatchNormalization over 64 channels: 128 trainable; all four vectors trainable: 256.
    ("batchnorm_stats_trainable", "layers.BatchNormalization()", dict(trainable=256, input_shape=(1, 8, 8, 64))),
    # MultiHeadAttention(8, 64) on 512 features: 4·(512·512 + 512) = 1,050,624; without the output 787,968.
    ("no_output_projection", "layers.MultiHeadAttention(8, 64)",
     dict(params=787_968, input_shape=[(1, 10, 512), (1, 10, 512)])),
]


@pytest.mark.parametrize("case", KERAS_CASES, ids=[f"{c[0]}-{c[1]}" for c in KERAS_CASES])
def test_keras_entry_is_diagnosed(case: tuple) -> None:
    key, layer, answers = case
    [answer] = check(layer, **answers).answers
    assert not answer.correct
    assert key in [d.key for d in answer.diagnoses]


def test_diagnosis_text_reads_after_matches() -> None:
    result = check("Conv2d(3, 64, 3)", params=1_728)
    [d] = result.answers[0].diagnoses
    assert d.text == "matches forgetting the biases"
    assert d.value == 1_728


def test_convention_entry_says_why() -> None:
    result = check("LSTM(100, 128)", params=117_248, convention="pytorch")
    names = [d.name for d in result.answers[0].diagnoses]
    assert "Keras's count: one bias vector per gate" in names
    texts = [d.text for d in result.answers[0].diagnoses]
    assert "that is Keras's count: one bias vector per gate" in texts


def test_not_floored_value_is_exact() -> None:
    # (224 − 11)/4 + 1 = 217/4 = 54.25 exactly, kept as a fraction.
    result = check("Conv2d(3, 96, 11, stride=4)", shape="54.25", input_shape=(1, 3, 224, 224))
    [d] = [d for d in result.answers[0].diagnoses if d.key == "not_floored"]
    assert d.value[-1] == Fraction(217, 4)


def test_mistakes_that_do_not_apply_give_nothing() -> None:
    # No bias to forget, no padding to halve, no groups: these entries stay silent.
    situation = Situation(parse_layer("Conv2d(3, 64, 3, bias=False)"), "pytorch", None)
    for key in ("no_bias", "single_bias", "groups_ignored", "batchnorm_running_stats", "lstm_three_gates"):
        assert MISTAKES[key].wrong_count(situation) is None


def test_right_value_is_never_a_diagnosis() -> None:
    # Linear(64, 64): a bias of 64 = one per output; nothing in the catalogue may "reproduce" 4,160.
    situation = Situation(parse_layer("Linear(64, 64)"), "pytorch", None)
    assert diagnose_count(situation, "params", 64 * 64 + 64) == []


def test_catalogue_can_be_extended() -> None:
    doubled = Mistake(
        "doubled", "counting every weight twice", "Each weight is counted once.", "every layer",
        params=lambda s: None if s.expected is None else Count(2 * s.expected.total),
    )
    result = check("Linear(64, 1)", params=130, catalogue=(*CATALOGUE, doubled))
    assert [d.key for d in result.answers[0].diagnoses] == ["doubled"]
    assert isinstance(result.answers[0].diagnoses[0], Diagnosis)


# -- Property: whatever a catalogue entry produces, the diagnosis names that entry ---------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def layers(draw: st.DrawFn) -> str:
    """Small layers of the families the catalogue knows (bounded sizes)."""
    kind = draw(st.sampled_from(["conv", "linear", "recurrent", "batchnorm", "mha", "encoder"]))
    if kind == "conv":
        groups = draw(st.sampled_from([1, 2, 4]))
        c_in = groups * draw(st.integers(1, 4))
        c_out = groups * draw(st.integers(1, 8))
        k = draw(st.integers(1, 5))
        bias = draw(st.booleans())
        return f"Conv2d({c_in}, {c_out}, {k}, groups={groups}, bias={bias})"
    if kind == "linear":
        return f"Linear({draw(st.integers(1, 64))}, {draw(st.integers(1, 64))}, bias={draw(st.booleans())})"
    if kind == "recurrent":
        cell = draw(st.sampled_from(["RNN", "LSTM", "GRU"]))
        return (
            f"{cell}({draw(st.integers(1, 48))}, {draw(st.integers(1, 48))}, num_layers={draw(st.integers(1, 3))}, "
            f"bias={draw(st.booleans())}, bidirectional={draw(st.booleans())})"
        )
    if kind == "batchnorm":
        return f"BatchNorm2d({draw(st.integers(1, 64))})"
    heads = draw(st.sampled_from([1, 2, 4]))
    d = heads * draw(st.integers(1, 16))
    if kind == "mha":
        return f"MultiheadAttention({d}, {heads}, bias={draw(st.booleans())})"
    return f"TransformerEncoderLayer({d}, {heads}, dim_feedforward={draw(st.integers(1, 128))})"


@given(layer=layers(), convention=st.sampled_from(["pytorch", "keras", "textbook"]))
@settings(max_examples=80)
def test_every_produced_count_is_diagnosed(layer: str, convention: str) -> None:
    spec = parse_layer(layer)
    situation = Situation(spec, convention, None)
    right = situation.expected
    for m in CATALOGUE:
        wrong = m.wrong_count(situation)
        if wrong is None or right is None or wrong.total == right.total:
            continue
        [answer] = check(spec, params=wrong.total, convention=convention).answers
        assert not answer.correct
        assert m.key in [d.key for d in answer.diagnoses], (layer, convention, m.key)


@st.composite
def windows(draw: st.DrawFn) -> tuple[str, tuple[int, ...]]:
    """A conv or pool layer with an input it fits (bounded sizes)."""
    n = draw(st.integers(4, 64))
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 4))
    d = draw(st.integers(1, 2))
    p = draw(st.integers(0, k // 2))
    if draw(st.booleans()):
        return f"Conv2d(3, 8, {k}, stride={s}, padding={p}, dilation={d})", (1, 3, n, n)
    pool = draw(st.sampled_from(["MaxPool2d", "AvgPool2d"]))
    ceil = draw(st.booleans())
    extra = f", dilation={d}" if pool == "MaxPool2d" else ""
    stride = "" if draw(st.booleans()) else f", stride={s}"
    return f"{pool}({k}{stride}, padding={p}{extra}, ceil_mode={ceil})", (1, 8, n, n)


@given(case=windows())
@settings(max_examples=80)
def test_every_produced_shape_is_diagnosed(case: tuple[str, tuple[int, ...]]) -> None:
    layer, x = case
    spec = parse_layer(layer)
    situation = Situation(spec, "pytorch", x)
    right = situation.output
    for m in CATALOGUE:
        wrong = m.wrong_shape(situation)
        if wrong is None or wrong == right:
            continue
        shape = "x".join(str(v) for v in wrong)
        [answer] = check(spec, shape=shape, input_shape=x).answers
        assert not answer.correct
        assert m.key in [d.key for d in answer.diagnoses], (layer, x, m.key)
