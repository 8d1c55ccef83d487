"""The three counting conventions: known values, invariants between them, and the comparison.

Sources: the course notes (shared seeds 002 and 004, cited per value), Keras 3's documented weight
layouts (checked against real Keras in tests/test_crosscheck_keras.py) and hand derivations
written beside each value.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramcalc import Comparison, compare, parse_layer
from paramcalc import keras_layers as K
from paramcalc.conventions import count, param_tensors
from paramcalc.errors import SpecError
from paramcalc.formulas import keras as fk
from paramcalc.formulas import textbook as tb
from paramcalc.results import Count
from paramcalc.specs import TORCH_LAYERS

# -- Course-notes examples ------------------------------------------------------------------


def test_notes_002_keras_embedding_simple_rnn_dense():
    """Notes 002, "Calculation of # Parameters in RNN": 500,000 + 29,312 + 129 = 529,441."""
    embedding = parse_layer("Embedding(input_dim=5000, output_dim=100)").count("keras")
    rnn = parse_layer("SimpleRNN(128)").count("keras", input_shape=(None, 30, 100))
    dense = parse_layer("Dense(1)").count("keras", input_shape=(None, 128))
    assert (embedding.total, rnn.total, dense.total) == (500_000, 29_312, 129)  # 100·128 + 128·128 + 128
    assert embedding.total + rnn.total + dense.total == 529_441


def test_notes_004_pytorch_embedding_rnn_linear():
    """Notes 004: Embedding 1000 × 64, RNN 64(64 + 64) + (64 × 2), Linear (64 × 1) + 1 = 72,385."""
    parts = [parse_layer(e).count() for e in ("nn.Embedding(1000, 64)", "RNN(64, 64)", "Linear(64, 1)")]
    assert [p.total for p in parts] == [64_000, 8_320, 65]
    assert sum(p.total for p in parts) == 72_385


def test_notes_004_textbook_transformer_encoder_layer():
    """Notes 004: attention 4d² + feed-forward 8d² = 12·d² for d = 512, d_ff = 2048."""
    spec = parse_layer("TransformerEncoderLayer(512, 8, dim_feedforward=2048)")
    assert spec.count("textbook") == Count(3_145_728) == Count(12 * 512**2)
    assert tb.transformer_encoder_layer_params(d_model=512, dim_feedforward=2048) == 12 * 512**2


def test_keras_lstm_against_pytorch():
    """Keras LSTM(128) on 100 features: 4·(128·100 + 128·128 + 128) = 117,248; torch adds 4·128 more."""
    keras = parse_layer("LSTM(128)").count("keras", input_shape=(None, 50, 100))
    torch = parse_layer("LSTM(100, 128)").count()
    assert (keras.total, torch.total) == (117_248, 117_760)


# -- Known values by convention ------------------------------------------------------------

KNOWN = [
    # (id, expression, convention, input shape, (trainable, non-trainable), derivation)
    ("textbook-rnn", "RNN(64, 64)", "textbook", None, (8_256, 0), "notes 004: 64·64 + 64·64 + 64"),
    ("textbook-lstm", "LSTM(100, 128)", "textbook", None, (117_248, 0), "4 × (128·100 + 128·128 + 128)"),
    ("textbook-gru", "GRU(100, 128)", "textbook", None, (87_936, 0), "3 × 29,312"),
    ("textbook-lstm-stack", "LSTM(100, 128, num_layers=2, bidirectional=True)", "textbook", None,
     (628_736, 0), "2 × 117,248 + 2 × 4·(128·256 + 128·128 + 128)"),
    ("textbook-linear", "Linear(64, 1)", "textbook", None, (65, 0), "notes 004: 64 × 1 + 1"),
    ("textbook-conv", "Conv2d(3, 64, 3)", "textbook", None, (1_792, 0), "notes 004: (3·3·3 + 1)·64"),
    ("textbook-conv-groups", "Conv2d(64, 64, 3, groups=64)", "textbook", None, (640, 0), "(3·3·64/64 + 1)·64"),
    ("textbook-batchnorm", "BatchNorm2d(64)", "textbook", None, (128, 0), "notes 004: 64 × 2"),
    ("textbook-batchnorm-no-bias", "BatchNorm2d(64, bias=False)", "textbook", None, (64, 0),
     "γ alone: the notes' rule counts 64 for one of γ, β"),
    ("textbook-layernorm", "LayerNorm(512)", "textbook", None, (1_024, 0), "2 · 512"),
    ("textbook-embedding", "nn.Embedding(1000, 64)", "textbook", None, (64_000, 0), "notes 004: 1000 × 64"),
    ("textbook-mha", "MultiheadAttention(512, 8)", "textbook", None, (1_048_576, 0), "notes 004: 4 · 512²"),
    ("textbook-decoder", "TransformerDecoderLayer(512, 8)", "textbook", None, (4_194_304, 0), "8·512² + 2·512·2048"),
    ("textbook-encoder-stack", "TransformerEncoder(TransformerEncoderLayer(512, 8), 6, norm=LayerNorm(512))",
     "textbook", None, (18_874_368, 0), "6 × 12·512², no LayerNorm"),
    ("textbook-maxpool", "MaxPool2d(2)", "textbook", None, (0, 0), "notes 004: pooling 0"),
    ("textbook-keras-gru", "GRU(128)", "textbook", (None, 50, 100), (87_936, 0), "one bias per gate"),
    ("textbook-keras-mha", "MultiHeadAttention(4, 8, value_dim=16, output_shape=10)", "textbook",
     [(None, 5, 32), (None, 6, 24)], (3_968, 0), "4·8·(32 + 24) + 4·16·(24 + 10), key = value"),
    ("keras-dense-mnist", "Dense(10)", "keras", (None, 784), (7_850, 0), "784·10 + 10"),
    ("keras-conv-mnist", "Conv2D(32, 3)", "keras", (None, 28, 28, 1), (320, 0), "3·3·1·32 + 32"),
    ("keras-batchnorm", "BatchNormalization()", "keras", (None, 28, 28, 64), (128, 128),
     "gamma, beta trainable; moving_mean, moving_variance non-trainable"),
    ("keras-batchnorm-no-center", "BatchNormalization(center=False)", "keras", (None, 10), (10, 20), "gamma only"),
    ("keras-gru", "GRU(128)", "keras", (None, 50, 100), (88_320, 0), "3·128·(100 + 128) + 2·3·128"),
    ("keras-gru-reset-before", "GRU(128, reset_after=False)", "keras", (None, 50, 100), (87_936, 0),
     "3·128·(100 + 128) + 3·128"),
    ("keras-bidirectional", "Bidirectional(LSTM(64))", "keras", (None, 10, 32), (49_664, 0), "2 × 4·64·(32 + 64 + 1)"),
    ("keras-mha", "MultiHeadAttention(8, 64)", "keras", (None, 50, 512), (1_050_624, 0), "4·512² + 3·512 + 512"),
    ("keras-mha-cross", "MultiHeadAttention(2, 3)", "keras", [(None, 7, 6), (None, 5, 4)], (144, 0),
     "query 6·6 + 6, key 4·6 + 6, value 4·6 + 6, output 6·6 + 6"),
    ("keras-frozen-dense", "Dense(10, trainable=False)", "keras", (None, 784), (0, 7_850), "trainable=False"),
    ("keras-torch-lstm-stack", "LSTM(100, 128, num_layers=2, bidirectional=True)", "keras", None, (628_736, 0),
     "stacked Bidirectional(LSTM(128)) layers on 100, then 256 features"),
    ("keras-torch-batchnorm", "BatchNorm2d(64)", "keras", None, (128, 128), "as Keras BatchNormalization"),
    ("keras-torch-batchnorm-no-bias", "BatchNorm2d(64, bias=False)", "keras", None, (64, 128),
     "as Keras BatchNormalization(center=False): gamma trainable, moving statistics not"),
    ("keras-torch-gru", "GRU(100, 128)", "keras", None, (88_320, 0), "reset_after=True: two bias rows, as torch"),
    ("textbook-groupnorm", "GroupNorm(32, 256)", "textbook", None, (512, 0), "γ and β per channel: 2 × 256"),
    ("textbook-groupnorm-no-bias", "GroupNorm(32, 256, bias=False)", "textbook", None, (256, 0), "γ only"),
    ("keras-torch-groupnorm", "GroupNorm(32, 256)", "keras", None, (512, 0),
     "as Keras GroupNormalization(groups=32): gamma and beta of 256, no moving statistics"),
    ("keras-torch-groupnorm-no-affine", "GroupNorm(32, 256, affine=False)", "keras", None, (0, 0),
     "as Keras GroupNormalization(center=False, scale=False)"),
    ("textbook-self-attention", "SelfAttention(768, 12)", "textbook", None, (2_359_296, 0), "4 · 768²"),
    ("textbook-gqa", "SelfAttention(4096, 32, num_kv_heads=8, bias=False)", "textbook", None, (41_943_040, 0),
     "4096·4096 (Q) + 2 · 4096·1024 (K, V) + 4096·4096 (O)"),
    ("textbook-swiglu", "SwiGLU(4096, 11008)", "textbook", None, (135_266_304, 0), "3 · 4096 · 11008"),
    ("textbook-llama-block", "DecoderBlock(4096, 32, style='llama')", "textbook", None, (202_375_168, 0),
     "4·4096² + 3·4096·11008, no RMSNorm"),
    ("textbook-gpt2-block", "DecoderBlock(768, 12)", "textbook", None, (7_077_888, 0), "12 · 768²"),
    ("textbook-transformer", "Transformer()", "textbook", None, (44_040_192, 0),
     "6 · (4·512² + 2·512·2048) + 6 · (8·512² + 2·512·2048)"),
    ("keras-gqa", "GroupQueryAttention(128, 32, 8)", "keras", (None, 50, 4096), (41_953_280, 0),
     "2·32·128·4096 + 2·8·128·4096 + biases 32·128 + 2·8·128 + 4096"),
    ("keras-rmsnorm", "RMSNormalization()", "keras", (None, 50, 4096), (4_096, 0), "one scale per feature"),
    ("keras-groupnorm", "GroupNormalization(8)", "keras", (None, 32, 32, 64), (128, 0),
     "keras.layers.GroupNormalization builds gamma (64,) and beta (64,); the 8 groups add none"),
    ("keras-groupnorm-instance", "GroupNormalization(-1, scale=False)", "keras", (None, 10, 16), (16, 0),
     "groups=-1: one group per channel; beta only"),
    ("keras-groupnorm-frozen", "GroupNormalization(4, trainable=False)", "keras", (None, 5, 8), (0, 16),
     "trainable=False"),
    ("textbook-keras-groupnorm", "GroupNormalization(4, axis=1)", "textbook", (None, 8, 5), (16, 0),
     "a scale and a shift per channel: 2·8"),
    ("keras-torch-llama-block", "DecoderBlock(4096, 32, style='llama')", "keras", None, (202_383_360, 0),
     "as keras_hub's Llama decoder: RMSNormalization, attention, three Dense layers"),
    ("pytorch-keras-batchnorm", "BatchNormalization()", "pytorch", (None, 28, 28, 64), (128, 0),
     "BatchNorm2d(64): weight and bias; running statistics are buffers"),
    ("pytorch-keras-batchnorm-no-center", "BatchNormalization(center=False)", "pytorch", (None, 28, 28, 64), (64, 0),
     "torch 2.13 BatchNorm2d(64, bias=False): weight only; running statistics are buffers"),
    ("pytorch-keras-bidirectional", "Bidirectional(LSTM(64))", "pytorch", (None, 10, 32), (50_176, 0),
     "2 × 4·(64·32 + 64·64 + 2·64)"),
]


@pytest.mark.parametrize("expr, convention, shape, expected, derivation", [k[1:] for k in KNOWN],
                         ids=[k[0] for k in KNOWN])
def test_known_values(expr, convention, shape, expected, derivation):
    result = parse_layer(expr).count(convention, input_shape=shape)
    assert (result.trainable, result.non_trainable) == expected, derivation


@pytest.mark.skipif("GroupNorm" not in TORCH_LAYERS, reason="torch.nn.GroupNorm has no spec here yet")
def test_pytorch_equivalent_of_a_keras_groupnorm():
    shape = (None, 32, 32, 64)
    spec = parse_layer("GroupNormalization(8, epsilon=1e-5)")
    assert spec.count("pytorch", input_shape=shape) == Count(128)  # GroupNorm(8, 64): weight and bias, no buffers
    assert _names("GroupNormalization(8)", "pytorch", shape) == [("weight", (64,)), ("bias", (64,))]
    torch_spec = spec._torch_equivalent((shape,))
    assert (torch_spec.type, torch_spec.num_groups, torch_spec.num_channels, torch_spec.eps, torch_spec.affine) == (
        "GroupNorm", 8, 64, 1e-5, True)
    assert parse_layer("GroupNormalization(-1)")._torch_equivalent((shape,)).num_groups == 64  # instance norm
    plain = parse_layer("GroupNormalization(8, center=False, scale=False)")
    assert plain.count("pytorch", input_shape=shape) == Count(0)  # affine=False


def test_worked_formula_of_a_keras_groupnorm():
    from paramcalc.specs.explaining import explain_params

    lines = explain_params(parse_layer("GroupNormalization(8)"), "keras", input_shape=(None, 32, 32, 64))
    assert lines[-1] == "gamma + beta (one per channel, C = 64; the 8 groups add none): 2·64 = 128"
    lines = explain_params(parse_layer("GroupNormalization(-1, center=False)"), "textbook", input_shape=(None, 5, 8))
    assert lines[-1] == "gamma (one per channel, C = 8; the one group per channel add none): 8"


def test_pytorch_buffers_of_a_keras_batchnorm():
    result = parse_layer("BatchNormalization()").count("pytorch", input_shape=(None, 28, 28, 64))
    assert result.buffers == 2 * 64 + 1  # running_mean, running_var, num_batches_tracked


# -- Invariants between conventions ----------------------------------------------------------

sizes = st.integers(1, 40)


@given(i=sizes, h=sizes, bias=st.booleans())
def test_keras_gate_multiples(i, h, bias):
    rnn = fk.simple_rnn_params(input_dim=i, units=h, use_bias=bias)
    assert fk.lstm_params(input_dim=i, units=h, use_bias=bias) == 4 * rnn
    assert fk.gru_params(input_dim=i, units=h, use_bias=bias, reset_after=False) == 3 * rnn
    assert fk.gru_params(input_dim=i, units=h, use_bias=bias, reset_after=True) == 3 * rnn + (3 * h if bias else 0)
    assert tb.lstm_params(input_size=i, hidden_size=h, bias=bias) == 4 * tb.rnn_params(input_size=i, hidden_size=h, bias=bias)
    assert tb.gru_params(input_size=i, hidden_size=h, bias=bias) == 3 * tb.rnn_params(input_size=i, hidden_size=h, bias=bias)


@given(cell=st.sampled_from(["RNN", "LSTM", "GRU"]), i=sizes, h=sizes, layers=st.integers(1, 3),
       bidirectional=st.booleans(), bias=st.booleans())
def test_recurrent_stacks_differ_by_one_bias_per_gate(cell, i, h, layers, bidirectional, bias):
    """PyTorch has bias_ih and bias_hh; Keras and the textbook one bias per gate (Keras's GRU: both)."""
    spec = parse_layer(f"{cell}({i}, {h}, num_layers={layers}, bidirectional={bidirectional}, bias={bias})")
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[cell]
    extra = gates * h * layers * (2 if bidirectional else 1) if bias else 0
    torch, keras, textbook = (spec.count(c).total for c in ("pytorch", "keras", "textbook"))
    assert torch - textbook == extra
    assert torch - keras == (0 if cell == "GRU" else extra)


@given(d=st.integers(1, 16).map(lambda n: 4 * n), ff=st.integers(1, 64))
def test_textbook_transformer_is_pytorch_without_biases_and_layernorm(d, ff):
    spec = parse_layer(f"TransformerEncoderLayer({d}, 4, dim_feedforward={ff}, bias=False)")
    # torch without bias keeps only the two LayerNorm weights (2·d) beyond the textbook count
    assert spec.count().total - spec.count("textbook").total == 2 * d
    assert spec.count("textbook").total == 4 * d * d + 2 * d * ff


@given(c=st.integers(1, 64), center=st.booleans(), scale=st.booleans(), rank=st.integers(2, 5))
def test_keras_batchnorm_split(c, center, scale, rank):
    spec = K.BatchNormalization(center=center, scale=scale)
    shape = (None,) * (rank - 1) + (c,)
    assert spec.count("keras", input_shape=shape) == Count(c * (center + scale), 2 * c)
    assert spec.count("textbook", input_shape=shape) == Count(c * (center + scale))


# -- Every convention's count equals the sum of its tensors -----------------------------------

TORCH_SPECS = [
    "Linear(20, 7)", "Linear(5, 3, bias=False)", "Conv1d(4, 6, 3, groups=2)", "Conv2d(3, 8, (3, 5), stride=2)",
    "Conv3d(2, 4, 2, bias=False)", "ConvTranspose2d(4, 6, 3, stride=2)", "ConvTranspose1d(3, 5, 4, bias=False)",
    "BatchNorm1d(7)", "BatchNorm2d(16, affine=False)", "BatchNorm3d(5, track_running_stats=False)",
    "BatchNorm2d(16, bias=False)", "LayerNorm(12)", "LayerNorm((3, 4))", "LayerNorm(8, bias=False)", "LayerNorm(8, elementwise_affine=False)",
    "GroupNorm(4, 16)", "GroupNorm(2, 6, bias=False)", "GroupNorm(3, 9, affine=False)",
    "nn.Embedding(100, 16)", "RNN(10, 20)", "RNN(10, 20, nonlinearity='relu', num_layers=3)",
    "RNN(6, 5, bias=False, bidirectional=True)", "LSTM(100, 128)", "LSTM(100, 128, num_layers=2, bidirectional=True)",
    "GRU(12, 6, num_layers=2, bidirectional=True)", "MultiheadAttention(16, 4)",
    "MultiheadAttention(12, 3, kdim=5, vdim=7, bias=False)", "TransformerEncoderLayer(32, 4, dim_feedforward=64)",
    "TransformerDecoderLayer(24, 3, dim_feedforward=48)",
    "TransformerEncoder(TransformerEncoderLayer(16, 4, 32), num_layers=2, norm=LayerNorm(16))",
    "MaxPool2d(2)", "AdaptiveAvgPool2d(1)", "nn.Flatten()", "nn.Dropout(0.1)", "ReLU()", "Softmax(dim=-1)",
    "RMSNorm(16)", "RMSNorm(8, elementwise_affine=False)", "SelfAttention(24, 6, num_kv_heads=2, bias=False)",
    "SelfAttention(16, 4, out_bias=False)", "CausalSelfAttention(16, 4)", "FeedForward(8, 32, out_features=5)",
    "SwiGLU(8, 24)", "DecoderBlock(16, 4)", "DecoderBlock(16, 4, style='llama', num_kv_heads=2)",
    "PatchEmbedding(3, 16, 4, 16)", "TransformerDecoder(TransformerDecoderLayer(16, 2, 8), 2)",
    "Transformer(d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=8)",
    "Select()", "SinusoidalPositionalEncoding(16, max_len=10)",
]
KERAS_SPECS = [
    ("Dense(7)", (None, 20)), ("Conv2D(8, 3, groups=2)", (None, 9, 9, 4)),
    ("Conv3DTranspose(4, 2, use_bias=False)", (None, 3, 3, 3, 5)), ("BatchNormalization(axis=1)", (None, 6, 4)),
    ("LayerNormalization(axis=(2, 3))", (None, 3, 4, 5)), ("layers.Embedding(50, 4)", None),
    ("SimpleRNN(5, activation='relu')", (None, 7, 3)), ("LSTM(5)", (None, 7, 3)), ("GRU(5)", (None, 7, 3)),
    ("Bidirectional(GRU(5))", (None, 7, 3)), ("MultiHeadAttention(2, 3)", (None, 4, 6)),
    ("MultiHeadAttention(2, 4, output_shape=(2, 3))", [(None, 4, 8), (None, 5, 6)]),
    ("MaxPooling2D()", None), ("GlobalAveragePooling1D()", None), ("layers.Flatten()", None),
    ("layers.Dropout(0.2)", None), ("Activation('relu')", None), ("Dense(3, trainable=False)", (None, 4)),
    ("RMSNormalization()", (None, 5, 8)), ("GroupQueryAttention(4, 6, 2)", (None, 5, 24)),
    ("GroupQueryAttention(4, 6, 3, use_bias=False)", [(None, 5, 24), (None, 7, 16)]),
    ("GroupNormalization(4)", (None, 6, 8)), ("GroupNormalization(-1, axis=1, scale=False)", (None, 6, 8)),
]
ALL = [(e, None) for e in TORCH_SPECS] + KERAS_SPECS


@pytest.mark.parametrize("convention", ["pytorch", "keras", "textbook"])
@pytest.mark.parametrize("expr, shape", ALL, ids=[a[0] for a in ALL])
def test_count_is_the_sum_of_the_tensors(expr, shape, convention):
    spec = parse_layer(expr)
    if convention == "pytorch" and spec.name == "GroupNormalization" and "GroupNorm" not in TORCH_LAYERS:
        pytest.skip("torch.nn.GroupNorm has no spec here yet")
    try:
        total = spec.count(convention, input_shape=shape)
    except SpecError:  # no equivalent in that framework: the tensors cannot be listed either
        with pytest.raises(SpecError):
            spec.param_tensors(convention, input_shape=shape)
        return
    tensors = spec.param_tensors(convention, input_shape=shape)
    assert Count.of_tensors(tensors) == total
    assert len({t.name for t in tensors}) == len(tensors)
    if convention != "pytorch":
        assert total.buffers == 0


# -- Names as each framework (or lecture) gives them -------------------------------------------


def _names(expr, convention, shape=None):
    return [(t.name, t.shape) for t in parse_layer(expr).param_tensors(convention, input_shape=shape)]


def test_keras_names():
    assert _names("Linear(784, 10)", "keras") == [("kernel", (784, 10)), ("bias", (10,))]
    assert _names("Conv2d(3, 64, 3)", "keras") == [("kernel", (3, 3, 3, 64)), ("bias", (64,))]
    assert _names("LSTM(100, 128)", "keras") == [
        ("lstm_cell/kernel", (100, 512)), ("lstm_cell/recurrent_kernel", (128, 512)), ("lstm_cell/bias", (512,))]
    assert _names("GRU(8)", "keras", (None, 5, 3))[-1] == ("gru_cell/bias", (2, 24))
    assert _names("BatchNorm2d(4)", "keras") == [
        ("gamma", (4,)), ("beta", (4,)), ("moving_mean", (4,)), ("moving_variance", (4,))]
    assert [n for n, _ in _names("Bidirectional(SimpleRNN(4))", "keras", (None, 5, 3))][:3] == [
        "forward_simple_rnn/simple_rnn_cell/kernel", "forward_simple_rnn/simple_rnn_cell/recurrent_kernel",
        "forward_simple_rnn/simple_rnn_cell/bias"]
    assert _names("MultiheadAttention(8, 2)", "keras") == [
        ("query/kernel", (8, 2, 4)), ("query/bias", (2, 4)), ("key/kernel", (8, 2, 4)), ("key/bias", (2, 4)),
        ("value/kernel", (8, 2, 4)), ("value/bias", (2, 4)), ("attention_output/kernel", (2, 4, 8)),
        ("attention_output/bias", (8,))]
    encoder = [n for n, _ in _names("TransformerEncoderLayer(8, 2, 16)", "keras")]
    assert encoder[0] == "self_attention_layer/query/kernel" and encoder[-1] == "feedforward_output_dense/bias"
    assert _names("GroupNorm(2, 4)", "keras") == [("gamma", (4,)), ("beta", (4,))]
    kinds = [t.kind for t in parse_layer("BatchNorm1d(3)").param_tensors("keras")]
    assert kinds == ["trainable", "trainable", "non_trainable", "non_trainable"]


def test_pytorch_names_of_keras_specs():
    assert _names("LSTM(128)", "pytorch", (None, 50, 100)) == [
        ("weight_ih_l0", (512, 100)), ("weight_hh_l0", (512, 128)), ("bias_ih_l0", (512,)), ("bias_hh_l0", (512,))]
    assert _names("Dense(10)", "pytorch", (None, 784)) == [("weight", (10, 784)), ("bias", (10,))]


def test_textbook_names():
    assert _names("LSTM(3, 2)", "textbook")[:3] == [("W_xi", (2, 3)), ("W_hi", (2, 2)), ("b_i", (2,))]
    assert [n for n, _ in _names("GRU(3, 2)", "textbook")][::3] == ["W_xz", "W_xr", "W_xh"]
    assert _names("RNN(3, 2, num_layers=2)", "textbook")[3] == ("layer1.forward.W_xh", (2, 2))
    assert [n for n, _ in _names("MultiheadAttention(8, 2)", "textbook")] == ["W_Q", "W_K", "W_V", "W_O"]
    assert [n for n, _ in _names("TransformerEncoderLayer(8, 2, 16)", "textbook")][-2:] == ["ffn.W_1", "ffn.W_2"]


# -- What cannot be counted, and why --------------------------------------------------------

ERRORS = [
    ("Dense(64)", "keras", None, "the input shape is missing; a Keras layer takes its input size from it. "
     "Give the input shape, batch dimension first, shaped like (None, 784) (--input-shape None,784 in the terminal)"),
    ("LSTM(100, 128, proj_size=64)", "keras", None, "Keras has no LSTM with a projection"),
    ("ConvTranspose2d(4, 8, 3, groups=2)", "keras", None, "Keras transposed convolutions have no groups"),
    ("MultiheadAttention(8, 2, add_bias_kv=True)", "keras", None, "no bias_k/bias_v"),
    ("GRU(8, reset_after=False)", "pytorch", (None, 5, 3), "no PyTorch equivalent (torch.nn.GRU applies the reset gate"),
    ("BatchNormalization(scale=False)", "pytorch", (None, 4), "torch.nn.BatchNorm has no bias without a weight"),
    ("LayerNormalization(axis=1)", "pytorch", (None, 4, 5), "torch.nn.LayerNorm normalises the trailing dimensions"),
    ("SimpleRNN(4, activation='sigmoid')", "pytorch", (None, 5, 3), "torch.nn.RNN offers tanh or relu"),
    ("MultiHeadAttention(8, 32)", "pytorch", (None, 10, 512), "num_heads × head size = the query's features"),
    ("LSTM(100, 128)", "tensorflow", None, "convention must be one of pytorch, keras, textbook"),
    ("GroupNormalization(4, center=False)", "pytorch", (None, 8),
     "no PyTorch equivalent (torch.nn.GroupNorm has a weight and a bias together (affine) or neither)"),
    ("GroupNormalization(3)", "keras", (None, 8), "the channels (axis -1) must be divisible by groups"),
    ("Linear(out_features=4)", "keras", None, "in_features is not set"),
]


@pytest.mark.parametrize("expr, convention, shape, message", ERRORS, ids=[f"{e[0]}-{e[1]}" for e in ERRORS])
def test_not_countable(expr, convention, shape, message):
    spec = parse_layer(expr)
    with pytest.raises(SpecError) as info:
        spec.count(convention, input_shape=shape)
    assert message in str(info.value)
    with pytest.raises(SpecError):
        spec.param_tensors(convention, input_shape=shape)


def test_textbook_lstm_projection_extends_the_rule():
    spec = parse_layer("LSTM(10, 8, proj_size=4)")
    # one bias per gate: 4·(8·(10 + 4) + 8) + 4·8 (the projection weight)
    assert spec.count("textbook").total == 4 * (8 * 14 + 8) + 32 == spec.count().total - 32


def test_module_functions_count_under_each_convention():
    # LSTM(100, 128): Keras and the textbook have one bias per gate, 4·(128·(100 + 128) + 128) =
    # 117,248; torch two, 4·(128·(100 + 128) + 2·128) = 117,760 (the framework counts in
    # tests/test_crosscheck_torch.py and tests/test_crosscheck_keras.py)
    spec = parse_layer("LSTM(100, 128)")
    assert count(spec, "keras") == Count(117_248)
    assert count(spec, "pytorch") == Count(117_760)
    assert count(spec, "textbook") == Count(117_248)
    assert [(t.name, t.shape) for t in param_tensors(spec, "textbook")][:3] == [
        ("W_xi", (128, 100)), ("W_hi", (128, 128)), ("b_i", (128,))]
    assert [(t.name, t.shape) for t in param_tensors(spec, "pytorch")][:2] == [
        ("weight_ih_l0", (512, 100)), ("weight_hh_l0", (512, 128))]


# -- compare ------------------------------------------------------------------------------------


def test_compare_lstm():
    result = compare("LSTM(100, 128)")
    assert isinstance(result, Comparison)
    assert [r.convention for r in result.rows] == ["pytorch", "keras", "textbook"]
    assert [r.count.total for r in result.rows] == [117_760, 117_248, 117_248]
    assert result.reasons == [
        "keras: one bias vector per gate (PyTorch has bias_ih and bias_hh): −512",
        "textbook: 4 × (H·(I+H) + H), one bias vector per gate (PyTorch has bias_ih and bias_hh): −512",
    ]
    assert result.row("keras").difference == -512


def test_compare_batchnorm_and_equal_rows():
    result = compare("BatchNorm2d(64)")
    assert result.row("keras").count == Count(128, 128)
    assert result.row("keras").reason == (
        "BatchNormalization counts moving_mean and moving_variance as non-trainable parameters; "
        "PyTorch keeps them as buffers: +128"
    )
    assert result.row("textbook").reason is None and result.row("textbook").difference == 0
    assert compare("Linear(3, 4)").reasons == []
    assert compare("GRU(100, 128)").row("keras").reason is None  # reset_after=True: two biases, as torch


def test_compare_keras_layers_and_errors():
    result = compare("MultiHeadAttention(8, 32)", input_shape=(None, 10, 512))
    assert result.row("pytorch").count is None and "no PyTorch equivalent" in result.row("pytorch").error
    # query, key, value: 512·(8·32) + 8·32 each; output: 8·32·512 + 512
    assert result.row("keras").count.total == 3 * (512 * 256 + 256) + 256 * 512 + 512 == 525_568
    assert result.reasons == []  # nothing to compare with
    frozen = compare("Dense(10, trainable=False)", input_shape=(None, 784))
    assert frozen.row("keras").reason == "trainable=False: Keras counts every weight as non-trainable"
    missing = compare("Dense(10)")
    assert all(r.count is None for r in missing.rows)
    textbook = compare("TransformerEncoderLayer(512, 8)").row("textbook")
    assert textbook.reason == "4·d² attention + 2·d·d_ff feed-forward per layer, no biases and no LayerNorm: −6,656"


def test_compare_as_dict_is_json():
    data = compare("layers.BatchNormalization()", input_shape=(None, 28, 28, 64)).as_dict()
    text = json.dumps(data)
    assert json.loads(text)["conventions"][1] == {
        "convention": "keras", "params": {"total": 256, "trainable": 128, "non_trainable": 128, "buffers": 0},
        "error": None, "difference": 128,
        "reason": "BatchNormalization counts moving_mean and moving_variance as non-trainable parameters; "
                  "PyTorch keeps them as buffers: +128",
    }
    assert data["layer"]["type"] == "keras.BatchNormalization" and data["input_shape"] == [None, 28, 28, 64]
    assert "keras" in str(compare("LSTM(100, 128)"))


def test_comparison_is_immutable():
    result = compare("LSTM(100, 128)")
    with pytest.raises(AttributeError):
        result.rows = ()  # type: ignore[misc]
