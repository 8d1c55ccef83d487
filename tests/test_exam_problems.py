"""Published exam and course problems: every catalogue entry named for the wrong answer it produces, the
same under each convention where the mistake exists, and an answer right under one convention never
accepted under another.

Each case: the entry, its source, the layer (and input shape), and per convention the wrong answer as a
student would compute it, worked out by hand in the comment."""

from __future__ import annotations

import pytest

from paramcalc.checking import check
from paramcalc.checking.mistakes import MISTAKES

ALL = ("pytorch", "keras", "textbook")

# CS231n lecture 5 ("Convolutional Neural Networks"): input 32x32x3, 10 5x5 filters, stride 1, pad 2:
# "each filter has 5*5*3 + 1 = 76 params (+1 for bias) => 76*10 = 760" (the same under every convention).
CS231N_CONV = ("Conv2d(3, 10, 5, padding=2)", (1, 3, 32, 32))
# Chollet, Deep Learning with Python, 2.1: Dense(512) on 28·28 = 784 inputs: 784·512 + 512 = 401,920.
CHOLLET_DENSE = ("Linear(784, 512)", None)
# The course notes (RNN exercise, 529,441 in all): SimpleRNN(128) on 100 features, 100·128 + 128·128 + 128
# = 29,312 with one bias vector (Keras, textbook); torch's RNN has two: 29,440. LSTM = 4 ×, GRU = 3 ×.
COURSE_RNN = ("RNN(100, 128)", None)
COURSE_LSTM = ("LSTM(100, 128)", None)
COURSE_GRU = ("GRU(100, 128)", None)
# PyTorch documentation example of nn.LSTM stacking: LSTM(300, 512, num_layers=2) (3,768,320 parameters).
STACKED = ("LSTM(300, 512, num_layers=2)", None)
# Vaswani et al. 2017, base model: d_model = 512, h = 8 heads of d_k = 64.
VASWANI_MHA = ("MultiheadAttention(512, 8)", None)
VASWANI_ENCODER = ("TransformerEncoderLayer(512, 8, dim_feedforward=1024)", None)
# Krizhevsky et al. 2012, AlexNet conv2: 256 5x5 kernels, each reading the 48 maps on its GPU (groups=2).
ALEXNET_CONV2 = ("Conv2d(96, 256, 5, groups=2)", None)

# The Keras documentation's recurrent layers read (batch, timesteps, features); its GRU has reset_after=True
# (two bias vectors per gate) by default since Keras 2.3. The course GRU as a Keras layer: 100 features.
KERAS_GRU = ("layers.GRU(128)", (32, 50, 100))
# Keras guide-era example (Keras documentation, "Guide to the Sequential model"): LSTM(32) with
# input_shape=(10, 64), 10 timesteps of 64 features.
KERAS_LSTM_10_64 = ("layers.LSTM(32)", (1, 10, 64))
# ResNet-18's bn1 (He et al. 2016; torchvision): BatchNorm2d(64). PyTorch's documentation of BatchNorm2d:
# weight and bias (2·64 = 128 parameters), running_mean and running_var (2·64) and num_batches_tracked (1)
# are buffers. Keras's documentation of BatchNormalization: gamma, beta (trainable), moving_mean,
# moving_variance (non-trainable): 4·64 = 256 weights. The textbook counts gamma and beta: 128.
RESNET_BN1 = ("BatchNorm2d(64)", None)
# Keras's MultiHeadAttention as Vaswani et al.'s base model writes it (Keras documentation of
# MultiHeadAttention: num_heads, key_dim per head): 8 heads of key_dim 64 on d_model = 512 (query and value).
KERAS_MHA = ("layers.MultiHeadAttention(num_heads=8, key_dim=64)", ((1, 10, 512), (1, 10, 512)))

R_RNN = {"pytorch": 29_440, "keras": 29_312, "textbook": 29_312}  # right counts, for the derivations below

CASES = [
    # -- biases: 760 right everywhere
    ("no_bias", CS231N_CONV, {c: 5 * 5 * 3 * 10 for c in ALL}),  # 750
    ("single_bias", CS231N_CONV, {c: 5 * 5 * 3 * 10 + 1 for c in ALL}),  # 751
    ("bias_per_input", CS231N_CONV, {c: 5 * 5 * 3 * 10 + 3 for c in ALL}),  # 753
    ("no_input_channels", CS231N_CONV, {c: (5 * 5 + 1) * 10 for c in ALL}),  # 260
    ("no_bias", CHOLLET_DENSE, {c: 784 * 512 for c in ALL}),
    ("single_bias", CHOLLET_DENSE, {c: 784 * 512 + 1 for c in ALL}),
    ("bias_per_input", CHOLLET_DENSE, {c: 784 * 512 + 784 for c in ALL}),
    ("no_bias", COURSE_RNN, {c: 100 * 128 + 128 * 128 for c in ALL}),  # 29,184
    ("no_bias", COURSE_LSTM, {c: 4 * (100 * 128 + 128 * 128) for c in ALL}),  # 116,736
    # -- gates: LSTM right 4·R (117,760 torch; 117,248 Keras and textbook), GRU 3·R (Keras's GRU keeps two
    # biases per gate with reset_after=True: 88,320 like torch)
    ("lstm_three_gates", COURSE_LSTM, {c: 3 * R_RNN[c] for c in ALL}),
    ("gates_forgotten", COURSE_LSTM, {c: R_RNN[c] for c in ALL}),
    ("gru_four_gates", COURSE_GRU, {"pytorch": 4 * 29_440, "keras": 4 * 29_440, "textbook": 4 * 29_312}),
    ("gates_forgotten", COURSE_GRU, {"pytorch": 29_440, "keras": 29_440, "textbook": 29_312}),
    # one bias per gate is a mistake only where a gate has two bias vectors: torch's RNN, LSTM and GRU
    # (bias_ih and bias_hh). Under Keras and the textbook one bias per gate is the right count of SimpleRNN and
    # LSTM; Keras's one layer with two, GRU with reset_after=True, counted with one is Keras 2's
    # reset_after=False GRU, named as keras2_gru below. So the entry exists under pytorch alone:
    # 4·(128·(100 + 128) + 128) = 117,248 instead of 117,760.
    ("one_bias_per_gate", COURSE_LSTM, {"pytorch": 4 * 29_312}),
    # -- other conventions' counts, each where it differs from the convention asked
    # Keras's LSTM: one bias per gate, 4·29,312 = 117,248 (torch 117,760; under the textbook it is right).
    ("keras_convention", COURSE_LSTM, {"pytorch": 4 * 29_312}),
    # Keras's GRU (reset_after=True): 3·(128·228 + 2·128) = 3·29,440 = 88,320; the textbook's 3·29,312 = 87,936
    # (under pytorch 88,320 is right: torch's GRU has two bias vectors per gate as well).
    ("keras_convention", COURSE_GRU, {"textbook": 3 * 29_440}),
    # Keras's BatchNormalization keeps the moving statistics as weights: 4·64 = 256 (torch and textbook 128).
    ("keras_convention", RESNET_BN1, {"pytorch": 4 * 64, "textbook": 4 * 64}),
    # the textbook's attention 4·d² = 4·512² = 1,048,576 (torch and Keras add 4·512 biases: 1,050,624).
    ("textbook_convention", VASWANI_MHA, {"pytorch": 4 * 512 * 512, "keras": 4 * 512 * 512}),
    # the textbook's BatchNorm is gamma and beta, 128; Keras counts 256.
    ("textbook_convention", RESNET_BN1, {"keras": 2 * 64}),
    # torch's LSTM, two bias vectors per gate: 4·(128·228 + 2·128) = 117,760 (Keras and textbook 117,248).
    ("pytorch_convention", COURSE_LSTM, {"keras": 4 * 29_440, "textbook": 4 * 29_440}),
    # Keras 2's GRU (reset_after=False): 3·(128·(100 + 128) + 128) = 87,936 instead of 88,320. It exists for a
    # Keras GRU under pytorch and keras; under the textbook 87,936 is the right count (one bias per gate).
    ("keras2_gru", KERAS_GRU, {"pytorch": 3 * 29_312, "keras": 3 * 29_312}),
    # -- BatchNorm's statistics: right 128 (pytorch, textbook). Counted as parameters: 128 + 2·64 = 256; with
    # num_batches_tracked too: 257. Under Keras the moving statistics are weights (256 is right) and there is
    # no num_batches_tracked, so neither entry exists there.
    ("batchnorm_running_stats", RESNET_BN1, {"pytorch": 2 * 64 + 2 * 64, "textbook": 2 * 64 + 2 * 64}),
    ("batchnorm_all_buffers", RESNET_BN1, {"pytorch": 2 * 64 + 2 * 64 + 1, "textbook": 2 * 64 + 2 * 64 + 1}),
    # -- Keras's (timesteps, features) read the other way: the layer sees 10 features instead of 64.
    # Keras, textbook: 4·(32·10 + 32·32 + 32) = 5,504 (right 4·(32·64 + 32·32 + 32) = 12,416);
    # pytorch (two bias vectors): 4·(32·10 + 32·32 + 2·32) = 5,632 (right 12,544).
    ("timesteps_features_swapped", KERAS_LSTM_10_64, {"pytorch": 4 * (32 * 10 + 32 * 32 + 2 * 32),
                                                      "keras": 4 * (32 * 10 + 32 * 32 + 32),
                                                      "textbook": 4 * (32 * 10 + 32 * 32 + 32)}),
    # -- stacks: the second layer reads 512 features, not 300; one direction counted once
    ("stacked_input_size", STACKED, {
        "pytorch": 2 * 4 * (512 * 300 + 512 * 512 + 2 * 512),
        "keras": 2 * 4 * (512 * 300 + 512 * 512 + 512),
        "textbook": 2 * 4 * (512 * 300 + 512 * 512 + 512)}),
    ("first_layer_only", STACKED, {
        "pytorch": 4 * (512 * 300 + 512 * 512 + 2 * 512),
        "keras": 4 * (512 * 300 + 512 * 512 + 512),
        "textbook": 4 * (512 * 300 + 512 * 512 + 512)}),
    ("bidirectional_once", ("LSTM(100, 128, bidirectional=True)", None), {c: 4 * R_RNN[c] for c in ALL}),
    # -- attention: 4·512² + 4·512 = 1,050,624 (torch, Keras), 4·512² (textbook)
    ("no_output_projection", VASWANI_MHA, {"pytorch": 3 * 512 * 512 + 3 * 512, "keras": 3 * 512 * 512 + 3 * 512,
                                           "textbook": 3 * 512 * 512}),
    # every head with its own d×d Q, K and V: h·(3·d² + 3·d) + d² + d = 8·787,968 + 262,656 = 6,566,400 under
    # torch and Keras (Keras's query/key/value kernels (512, 8, 64) become 8 times as large); the textbook's
    # 8·3·512² + 512² = 6,553,600.
    ("heads_full_qkv", VASWANI_MHA, {"pytorch": 8 * (3 * 512 * 512 + 3 * 512) + 512 * 512 + 512,
                                     "keras": 8 * (3 * 512 * 512 + 3 * 512) + 512 * 512 + 512,
                                     "textbook": 8 * 3 * 512 * 512 + 512 * 512}),
    ("heads_full_qkv", KERAS_MHA, {"pytorch": 8 * (3 * 512 * 512 + 3 * 512) + 512 * 512 + 512,
                                   "keras": 8 * (3 * 512 * 512 + 3 * 512) + 512 * 512 + 512,
                                   "textbook": 8 * 3 * 512 * 512 + 512 * 512}),
    # -- the encoder layer with d_ff = 1024: torch 4·512² + 4·512 + 2·512·1024 + 1024 + 512 + 4·512 = 2,102,784
    ("ffn_four_d", VASWANI_ENCODER, {"pytorch": 12 * 512 * 512 + 13 * 512, "keras": 12 * 512 * 512 + 13 * 512,
                                     "textbook": 12 * 512 * 512}),
    ("no_layernorm", VASWANI_ENCODER, {"pytorch": 2_102_784 - 4 * 512, "keras": 2_102_784 - 4 * 512}),
    # -- groups: 5·5·48·256 + 256 = 307,456; all 96 maps: 5·5·96·256 + 256 = 614,656
    ("groups_ignored", ALEXNET_CONV2, {c: 5 * 5 * 96 * 256 + 256 for c in ALL}),
]

SHAPE_CASES = [
    # CS231n: (32 − 5 + 2·2)/1 + 1 = 32; without the +1 31; one side padded (32 − 5 + 2) + 1 = 30; none 28.
    ("no_plus_one", CS231N_CONV, "31x31x10"),
    ("one_side_padding", CS231N_CONV, "30x30x10"),
    ("padding_ignored", CS231N_CONV, "28x28x10"),
    # CS231n: W = 10, F = 3, S = 2 → (10 − 3)/2 + 1 = 4.5; torch floors to 4; rounded up 5.
    ("rounded_up", ("Conv2d(3, 8, 3, stride=2)", (1, 3, 10, 10)), "5x5x8"),
    # Dive into Deep Learning 7.3: 8x8, kernel 3, padding 1, stride 2 → 4; stride first (8 − 3)//2 + 2 + 1 = 5.
    ("stride_before_padding", ("Conv2d(1, 1, 3, padding=1, stride=2)", (1, 1, 8, 8)), "5x5x1"),
    # Dumoulin & Visin 2016, fig. 2.x: 7x7, 3x3 kernel dilated by 2 → 3; dilation ignored: 5.
    ("dilation_ignored", ("Conv2d(1, 1, 3, dilation=2)", (1, 1, 7, 7)), "5x5x1"),
    # Dumoulin & Visin 2016, 4.x: a 2x2 input through a 3x3 transposed conv, stride 1: 4x4; forward: (2 − 3)/1 + 1 < 1
    # gives nothing, so stride 2, kernel 2: (2 − 1)·2 + 2 = 4; forward (2 − 2)/2 + 1 = 1.
    ("transposed_as_forward", ("ConvTranspose2d(1, 1, 2, stride=2)", (1, 1, 2, 2)), "1x1x1"),
    # VGG's 2x2 pooling halves 224 → 112; at stride 1: 223.
    ("pool_stride_one", ("MaxPool2d(2)", (1, 64, 224, 224)), "223x223x64"),
    # GoogLeNet's 3x3 stride-2 max pooling with ceil_mode (torchvision): 112 → ceil(109/2) + 1 = 56; floored 55.
    ("ceil_mode_ignored", ("MaxPool2d(3, 2, ceil_mode=True)", (1, 64, 112, 112)), "55x55x64"),
    # CS231n: (227 − 11)/4 + 1 = 55 exactly; AlexNet on 224 (the paper's figure): 213/4 + 1 = 54.25.
    ("not_floored", ("Conv2d(3, 96, 11, stride=4)", (1, 3, 224, 224)), "54.25"),
    # TensorFlow's documentation of "SAME" and "VALID" padding (tf.nn convolution): input width 13, filter 6,
    # stride 5. "SAME": ceil(13/5) = 3 outputs (pad 1 left, 2 right); read as "valid": (13 − 6)//5 + 1 = 2.
    ("same_as_valid", ("layers.Conv1D(4, 6, strides=5, padding='same')", (1, 13, 1)), "2x4"),
    # "VALID": ceil((13 − 6 + 1)/5) = 2; read as "same": ceil(13/5) = 3.
    ("valid_as_same", ("layers.Conv1D(4, 6, strides=5)", (1, 13, 1)), "3x4"),
    # CS231n's conv written with torch's padding="same" (stride 1): 32 kept; read as "valid": 32 − 5 + 1 = 28.
    ("same_as_valid", ("Conv2d(3, 10, 5, padding='same')", (1, 3, 32, 32)), "28x28x10"),
]


def _cases() -> list:
    out = []
    for key, (layer, shape), answers in CASES:
        for convention, value in answers.items():
            out.append(pytest.param(key, layer, shape, convention, value, id=f"{key}-{layer}-{convention}"))
    return out


@pytest.mark.parametrize(("key", "layer", "shape", "convention", "value"), _cases())
def test_named_under_each_convention(key: str, layer: str, shape, convention: str, value: int) -> None:
    [answer] = check(layer, params=value, input_shape=shape, convention=convention).answers
    assert not answer.correct
    keys = [d.key for d in answer.diagnoses]
    assert key in keys, f"{key} not in {keys}"
    entry = next(d for d in answer.diagnoses if d.key == key)
    assert entry.source == MISTAKES[key].source and entry.source


@pytest.mark.parametrize(("key", "problem", "given"), SHAPE_CASES, ids=[f"{c[0]}-{c[1][0]}" for c in SHAPE_CASES])
@pytest.mark.parametrize("convention", ALL)
def test_shape_mistakes_under_each_convention(key: str, problem: tuple, given: str, convention: str) -> None:
    layer, shape = problem
    [answer] = check(layer, shape=given, input_shape=shape, convention=convention).answers
    if key == "not_floored" and convention == "textbook":
        assert answer.correct and "textbook's exact answer" in answer.remark  # the textbook keeps 54.25
        return
    assert not answer.correct
    assert key in [d.key for d in answer.diagnoses]


def test_every_entry_cites_a_source() -> None:
    assert all(m.source for m in MISTAKES.values())


def test_convention_counts_are_never_accepted_elsewhere() -> None:
    # Course notes: Keras's SimpleRNN(128) on 100 features is 29,312; torch's RNN(100, 128) 29,440.
    for layer, shape, own, other, other_value in (
        ("layers.SimpleRNN(128)", (1, 30, 100), "keras", "pytorch", 29_440),
        ("layers.LSTM(128)", (32, 50, 100), "keras", "pytorch", 117_760),
        ("LSTM(100, 128)", None, "pytorch", "keras", 117_248),
        ("BatchNorm2d(64)", None, "pytorch", "keras", 256),
    ):
        [answer] = check(layer, params=other_value, input_shape=shape).answers
        assert not answer.correct and answer.convention == own
        assert f"{other}_convention" in [d.key for d in answer.diagnoses]
        assert check(layer, params=other_value, input_shape=shape, convention=other).ok


def test_keras_lstm_named_as_pytorch_count() -> None:
    [answer] = check("layers.LSTM(128)", params=117_760, input_shape=(32, 50, 100)).answers
    assert answer.diagnosis_text() == "that is PyTorch's count: two bias vectors per gate"


def test_keras2_gru_not_called_textbook() -> None:
    # Keras GRU(128) on 100 features: 88,320 (reset_after=True); 87,936 is Keras 2's reset_after=False count,
    # which is also the textbook's: named as Keras 2's GRU only.
    [answer] = check("layers.GRU(128)", params=87_936, input_shape=(32, 50, 100)).answers
    assert [d.key for d in answer.diagnoses] == ["keras2_gru"]


def test_pairs() -> None:
    # CS231n conv, both the bias and the input channels forgotten: 5·5·10 = 250.
    [answer] = check("Conv2d(3, 10, 5, padding=2)", params=250).answers
    assert [d.key for d in answer.diagnoses] == ["no_bias+no_input_channels"]
    assert answer.diagnoses[0].text.startswith("matches two mistakes at once: forgetting the biases, and")
    # LSTM(100, 128) with three gates and no biases: 3·(100·128 + 128·128) = 87,552.
    [answer] = check("LSTM(100, 128)", params=87_552).answers
    assert "no_bias+lstm_three_gates" in [d.key for d in answer.diagnoses]
    # AlexNet conv1 on 227: no +1 and no flooring... (227 − 11)/4 = 54 exactly; one side padded and no +1 on
    # CS231n's conv: (32 + 2 − 5) = 29.
    [answer] = check("Conv2d(3, 10, 5, padding=2)", shape="29x29x10", input_shape=(1, 3, 32, 32)).answers
    assert [d.key for d in answer.diagnoses] == ["no_plus_one+one_side_padding"]


def test_keras_timesteps_features() -> None:
    # Keras docs era example: LSTM(32) with input_shape=(10, 64) (10 timesteps of 64 features):
    # 4·(32·64 + 32·32 + 32) = 12,416; read as 64 timesteps of 10 features: 4·(32·10 + 32·32 + 32) = 5,504.
    for convention in ("keras", "textbook"):
        [answer] = check("layers.LSTM(32)", params=5_504,
                         input_shape=(1, 10, 64), convention=convention).answers
        assert "timesteps_features_swapped" in [d.key for d in answer.diagnoses]


def test_batchnorm_stats_trainable_under_keras() -> None:
    # Keras's documentation of BatchNormalization: gamma and beta trainable (2·64 = 128), moving_mean and
    # moving_variance non-trainable. "Trainable: 256" counts all 4·64 weights as trainable. Under pytorch and
    # the textbook the statistics are no parameters at all (not trainable, not non-trainable): counting them is
    # batchnorm_running_stats, tested above; so this entry exists under keras alone.
    for layer, shape in (("layers.BatchNormalization()", (1, 32, 32, 64)), RESNET_BN1):
        [answer] = check(layer, trainable=4 * 64, input_shape=shape, convention="keras").answers
        assert not answer.correct and answer.expected == 2 * 64
        assert "batchnorm_stats_trainable" in [d.key for d in answer.diagnoses]


# Chollet, Deep Learning with Python (2017), 5.1, "Instantiating a small convnet" on MNIST: 93,322 parameters
# in all (the same count under every convention: no recurrent, normalisation or attention layer).
MNIST_CONVNET = {
    "name": "MNIST convnet", "framework": "keras", "input_shape": [1, 28, 28, 1],
    "layers": ["Conv2D(32, 3, activation='relu')", "MaxPooling2D(2)", "Conv2D(64, 3, activation='relu')",
               "MaxPooling2D(2)", "Conv2D(64, 3, activation='relu')", "Flatten()",
               "Dense(64, activation='relu')", "Dense(10, activation='softmax')"],
}
# The same network written in PyTorch (channels first); Linear's in_features inferred from the Flatten.
MNIST_CONVNET_TORCH = {
    "name": "MNIST convnet (torch)", "input_shape": [1, 1, 28, 28],
    "layers": ["Conv2d(1, 32, 3)", "ReLU()", "MaxPool2d(2)", "Conv2d(32, 64, 3)", "ReLU()", "MaxPool2d(2)",
               "Conv2d(64, 64, 3)", "ReLU()", "Flatten()", "Linear(out_features=64)", "ReLU()", "Linear(64, 10)"],
}


@pytest.mark.parametrize("model", [MNIST_CONVNET, MNIST_CONVNET_TORCH], ids=["keras", "torch"])
@pytest.mark.parametrize("convention", ALL)
def test_flatten_size_under_each_convention(model: dict, convention: str) -> None:
    # 28 → 26 → 13 → 11 → 5 → 3: the Flatten gives 3·3·64 = 576 and Dense(64) 576·64 + 64 = 36,928. The last
    # conv's +1 forgotten: 5 − 3 = 2, so 2·2·64 = 256 features and 256·64 + 64 = 16,448:
    # 93,322 − (36,928 − 16,448) = 72,842.
    [answer] = check(model, params=72_842, convention=convention).answers
    assert not answer.correct and answer.expected == 93_322
    assert "flatten_wrong_size" in [d.key for d in answer.diagnoses]


#: Catalogue entries whose published problem is a named test here rather than a row of CASES/SHAPE_CASES.
NAMED_TESTS = {
    "batchnorm_stats_trainable": test_batchnorm_stats_trainable_under_keras,
    "flatten_wrong_size": test_flatten_size_under_each_convention,
}


def test_every_catalogue_entry_has_a_published_problem() -> None:
    # a new entry without a case here fails: add a row to CASES or SHAPE_CASES, or a named test
    covered = {key for key, _, _ in CASES} | {key for key, _, _ in SHAPE_CASES} | set(NAMED_TESTS)
    assert sorted(set(MISTAKES) - covered) == []
    assert set(NAMED_TESTS) <= set(MISTAKES) and all(callable(t) for t in NAMED_TESTS.values())
