"""Keras layer specs: names, arguments, defaults, validation, telling Keras from PyTorch, shape rules.

Expected defaults and rules are Keras 3's own (keras.layers signatures and argument checks);
tests/test_crosscheck_keras.py runs the same layers in real Keras.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import paramcalc
from paramcalc import keras_layers as K
from paramcalc import parse_layer
from paramcalc.errors import SpecError
from paramcalc.formulas import keras as fk
from paramcalc.specs import LSTM as TorchLSTM
from paramcalc.specs import LayerSpec

# -- Which framework a call means ------------------------------------------------------------

CHOICES = [
    # (expression, expected type tag)
    ("Dense(64)", "keras.Dense"),
    ("layers.Dense(64)", "keras.Dense"),
    ("keras.layers.Dense(64, activation='relu')", "keras.Dense"),
    ("tf.keras.layers.Conv2D(32, 3)", "keras.Conv2D"),
    ("keras.LSTM(units=8)", "keras.LSTM"),
    ("LSTM(128)", "keras.LSTM"),  # one positional: only Keras's LSTM(units) fits
    ("LSTM(100, 128)", "LSTM"),  # two ints: only torch's LSTM(input_size, hidden_size) fits
    ("LSTM(64, return_sequences=True)", "keras.LSTM"),
    ("LSTM(100, 128, num_layers=2)", "LSTM"),
    ("nn.LSTM(100, 128)", "LSTM"),
    ("torch.nn.GRU(10, 20)", "GRU"),
    ("layers.GRU(32)", "keras.GRU"),
    ("GRU(units=32, reset_after=False)", "keras.GRU"),
    ("Embedding(input_dim=5000, output_dim=100)", "keras.Embedding"),
    ("Embedding(num_embeddings=1000, embedding_dim=64)", "Embedding"),
    ("Embedding(5000, 100, input_length=30)", "keras.Embedding"),
    ("nn.Embedding(1000, 64)", "Embedding"),
    ("layers.Embedding(1000, 64)", "keras.Embedding"),
    ("Dropout(rate=0.2)", "keras.Dropout"),
    ("Dropout(p=0.2)", "Dropout"),
    ("Flatten(start_dim=2)", "Flatten"),
    ("Flatten(data_format='channels_last')", "keras.Flatten"),
    ("layers.Flatten()", "keras.Flatten"),
    ("SimpleRNN(128)", "keras.SimpleRNN"),
    ("Bidirectional(LSTM(64))", "keras.Bidirectional"),
    ("MultiHeadAttention(num_heads=8, key_dim=64)", "keras.MultiHeadAttention"),
    ("MultiheadAttention(512, 8)", "MultiheadAttention"),
]


@pytest.mark.parametrize("expr, tag", CHOICES, ids=[c[0] for c in CHOICES])
def test_framework_is_told_apart(expr, tag):
    assert parse_layer(expr).type == tag


@pytest.mark.parametrize("expr, keras_expr", [
    ("Embedding(1000, 64)", "layers.Embedding(1000, 64)"),
    ("Flatten()", "layers.Flatten()"),
    ("Dropout(0.5)", "layers.Dropout(0.5)"),
])
def test_call_fitting_both_with_the_same_count_reads_as_pytorch(expr, keras_expr):
    # Both readings count the same (Embedding: 1000·64 = 64,000 either way; Flatten, Dropout: 0),
    # so the unqualified call takes PyTorch's reading, the default one.
    spec = parse_layer(expr)
    assert spec.framework == "pytorch"
    assert spec.count().total == parse_layer(keras_expr).count("keras").total


def test_mixed_and_unfitting_calls():
    with pytest.raises(SpecError, match=r"mixes PyTorch arguments \(hidden_size\) and Keras arguments \(units\)"):
        parse_layer("LSTM(units=3, hidden_size=4)")
    with pytest.raises(SpecError, match="fits neither torch.nn.GRU .* nor keras.layers.GRU"):
        parse_layer("GRU('x')")  # a string where both signatures want an int
    # GRU(0) fits torch's signature and breaks its rule (input_size >= 1): torch's error alone
    with pytest.raises(SpecError, match=r"^GRU: input_size must be >= 1. Received: input_size=0$"):
        parse_layer("GRU(0)")
    with pytest.raises(SpecError, match="unknown Keras layer 'Dens'. Did you mean Dense"):
        parse_layer("layers.Dens(3)")


def test_mappings():
    assert parse_layer({"type": "Dense", "units": 64}) == K.Dense(64)
    assert parse_layer({"type": "keras.LSTM", "units": 5}) == K.LSTM(5)
    assert parse_layer({"type": "layers.GRU", "units": 5}) == K.GRU(5)
    bi = parse_layer({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 5}, "merge_mode": "sum"})
    assert bi == K.Bidirectional(K.LSTM(5), "sum")
    assert parse_layer({"type": "LSTM", "input_size": 10, "hidden_size": 5}).framework == "pytorch"


# -- Arguments, defaults and Keras's own checks ----------------------------------------------


def test_keras_defaults_and_positional_order():
    conv = parse_layer("Conv2D(32, 3)")
    assert (conv.kernel_size, conv.strides, conv.padding, conv.data_format, conv.dilation_rate, conv.groups) == (
        (3, 3), (1, 1), "valid", "channels_last", (1, 1), 1)
    assert parse_layer("Conv2D(32, 3, 2, 'SAME')").strides == (2, 2)
    assert parse_layer("Conv2D(32, 3, 2, 'same')").padding == "same"  # Keras lower-cases padding
    pool = parse_layer("MaxPooling2D()")
    assert pool.pool_size == (2, 2) and pool.strides == (2, 2)  # strides default to pool_size
    assert parse_layer("AveragePooling1D(3, 1)").strides == (1,)
    bn = parse_layer("BatchNormalization()")
    assert (bn.axis, bn.momentum, bn.epsilon, bn.center, bn.scale) == (-1, 0.99, 1e-3, True, True)
    ln = parse_layer("LayerNormalization(axis=[1, 2])")
    assert ln.axes == (1, 2) and ln.epsilon == 1e-3
    gru = parse_layer("GRU(16)")
    assert (gru.activation, gru.recurrent_activation, gru.reset_after, gru.use_bias) == ("tanh", "sigmoid", True, True)
    # Conv3DTranspose takes data_format before output_padding, unlike Conv2DTranspose
    assert parse_layer("Conv3DTranspose(4, 3, 2, 'same', 'channels_first', 1)").output_padding == (1, 1, 1)
    assert parse_layer("Conv2DTranspose(4, 3, 2, 'same', 1)").output_padding == (1, 1)
    mha = parse_layer("MultiHeadAttention(8, 64, None, 0.1, False, 256)")
    assert (mha.num_heads, mha.key_dim, mha.values_dim, mha.use_bias, mha.output_dims) == (8, 64, 64, False, (256,))


BAD = [
    ("Dense(0)", "Dense: units must be >= 1"),
    ("Conv2D(32, 3, strides=2, dilation_rate=2)", "strides > 1 is not supported together with dilation_rate > 1"),
    ("Conv2D(30, 3, groups=4)", "filters must be divisible by groups"),
    ("Conv2D(3, 0)", "kernel_size must be >= 1"),
    ("Conv2D(3, 3, padding='causal')", "padding must be 'valid' or 'same'"),
    ("Conv2DTranspose(3, 3, strides=2, output_padding=2)", "output_padding must be strictly less than strides"),
    ("MaxPooling2D(2, strides=0)", "strides must be >= 1"),
    ("Dropout(rate=1.5)", "rate must be <= 1"),
    ("MultiHeadAttention(0, 8)", "num_heads must be >= 1"),
    ("GroupQueryAttention(8, 6, 4)", "num_query_heads must be divisible by num_key_value_heads"),
    ("GroupNormalization(0)", "groups must be a positive integer (or -1 for instance normalization)"),
    ("GroupNormalization(-2)", "groups must be a positive integer"),
    ("GroupNormalization(4, axis=1.5)", "axis must be an integer"),
    ("Bidirectional(Dense(3))", "layer must be a Keras SimpleRNN, LSTM or GRU"),
    ("Bidirectional(nn.LSTM(3, 4))", "layer must be a Keras SimpleRNN, LSTM or GRU"),
    ("Dense(3, 'relu', True, 4)", "Dense: takes at most 3 positional arguments"),
    ("Dense(3, units=4)", "got multiple values for argument units"),
    ("Dense(3, input_dim=4, input_shape=(4,))", "give input_dim or input_shape, not both"),
    ("Dense(3, lora_rank=4)", "unknown argument lora_rank"),
]


@pytest.mark.parametrize("expr, message", BAD, ids=[b[0] for b in BAD])
def test_keras_argument_checks(expr, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_layer(expr)


def test_arguments_that_change_nothing_are_dropped():
    spec = parse_layer(
        "Dense(64, activation='relu', kernel_initializer='he_normal', kernel_regularizer=None, name='fc1', dtype='float32')"
    )
    assert spec == K.Dense(64, "relu")
    assert parse_layer("Dense(64, input_dim=784)").input_shape == (784,)  # Keras's legacy input_dim
    # Keras 3 ignores Embedding's input_length; paramcalc reads it as the sequence length (Keras 2's meaning)
    assert parse_layer("Embedding(5000, 100, input_length=30)") == K.Embedding(5000, 100, input_shape=(30,))


SPECS = [
    "Dense(64, use_bias=False, input_shape=(784,))",
    "Conv1D(16, 5, padding='causal', dilation_rate=2)",
    "Conv2D(32, (3, 5), strides=(2, 1), padding='same', data_format='channels_first', groups=2)",
    "Conv3DTranspose(8, 3, strides=2, output_padding=1)",
    "MaxPooling3D((2, 2, 1), padding='same')",
    "AveragePooling2D(3, strides=2)",
    "GlobalAveragePooling2D(keepdims=True)",
    "BatchNormalization(axis=1, center=False)",
    "LayerNormalization(axis=(-2, -1), scale=False)",
    "layers.Embedding(1000, 64, mask_zero=True)",
    "SimpleRNN(32, activation='relu', return_sequences=True)",
    "LSTM(128, return_state=True, dropout=0.2, recurrent_dropout=0.1)",
    "GRU(64, reset_after=False, go_backwards=True)",
    "Bidirectional(GRU(16, return_sequences=True), merge_mode=None)",
    "MultiHeadAttention(4, 16, value_dim=8, output_shape=(2, 3), use_bias=False)",
    "layers.Flatten()", "layers.Dropout(0.25, noise_shape=(None, 1))", "Activation('softmax')",
    "Dense(10, trainable=False)",
    "RMSNormalization(axis=(1, 2), epsilon=1e-5)", "GroupQueryAttention(64, 32, 8, use_bias=False)",
    "GroupNormalization(8, axis=1, epsilon=1e-5, center=False)", "GroupNormalization(-1)",
]


@pytest.mark.parametrize("expr", SPECS)
def test_round_trips_through_text_and_data(expr):
    spec = parse_layer(expr)
    assert parse_layer(str(spec)) == spec
    data = spec.spec_dict()
    assert list(data)[0] == "type" and list(data)[-2:] == ["input_shape", "trainable"]
    assert parse_layer(json.loads(json.dumps(data))) == spec
    assert hash(spec) == hash(parse_layer(str(spec)))  # frozen


def test_specs_are_frozen_layer_specs():
    spec = K.Dense(3)
    assert isinstance(spec, LayerSpec) and spec.framework == "keras"
    with pytest.raises(Exception):
        spec.units = 4  # type: ignore[misc]
    assert set(K.KERAS_LAYERS) >= {
        "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "BatchNormalization",
        "LayerNormalization", "Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "MultiHeadAttention",
        "Flatten", "Dropout", "Activation", "RMSNormalization", "GroupQueryAttention", "GroupNormalization",
    }
    assert all(cls.summary for cls in K.KERAS_LAYERS.values())
    assert paramcalc.Dense is K.Dense and paramcalc.SimpleRNN is K.SimpleRNN
    assert paramcalc.GroupNormalization is K.GroupNormalization
    assert paramcalc.LSTM is TorchLSTM  # the shared names stay PyTorch's at the top level


def test_known_names_list_keras_after_torch():
    from paramcalc.specs.parse import known_names

    names = known_names()
    assert names.index("Linear") < names.index("Dense") and names.count("LSTM") == 1


# -- Output shapes (Keras layouts, None kept) --------------------------------------------------


SHAPES = [
    # (expression, input shapes, expected outputs) -- hand-derived from Keras's rules
    ("Dense(10)", [(None, 784)], {"output": (None, 10)}),
    ("Dense(4)", [(2, 7, 3)], {"output": (2, 7, 4)}),
    ("Conv2D(32, 3)", [(None, 28, 28, 1)], {"output": (None, 26, 26, 32)}),  # (28 - 3)//1 + 1
    ("Conv2D(8, 3, strides=2, padding='same')", [(None, 7, 7, 3)], {"output": (None, 4, 4, 8)}),  # ceil(7/2)
    ("Conv2D(8, 3, data_format='channels_first')", [(1, 3, 10, None)], {"output": (1, 8, 8, None)}),
    ("Conv1D(4, 3, padding='causal', dilation_rate=2)", [(None, 10, 2)], {"output": (None, 10, 4)}),
    ("Conv2DTranspose(8, 3, strides=2, padding='same')", [(None, 9, 9, 4)], {"output": (None, 18, 18, 8)}),
    ("Conv2DTranspose(8, 3, strides=2)", [(None, 9, 9, 4)], {"output": (None, 19, 19, 8)}),  # 8*2 + max(3, 2)
    ("Conv1DTranspose(2, 4, strides=3, output_padding=1)", [(None, 5, 1)], {"output": (None, 17, 2)}),  # 4*3+4+1
    ("MaxPooling2D()", [(None, 28, 28, 32)], {"output": (None, 14, 14, 32)}),
    ("MaxPooling2D(3, 2, 'same')", [(None, 7, 7, 1)], {"output": (None, 4, 4, 1)}),
    ("AveragePooling1D(3, 2)", [(None, 8, 5)], {"output": (None, 3, 5)}),  # (8 - 3)//2 + 1
    ("GlobalAveragePooling2D()", [(None, 7, 7, 512)], {"output": (None, 512)}),
    ("GlobalAveragePooling1D(keepdims=True)", [(None, 9, 16)], {"output": (None, 1, 16)}),
    ("layers.Embedding(5000, 100)", [(None, 30)], {"output": (None, 30, 100)}),
    ("layers.Flatten()", [(None, 7, 7, 64)], {"output": (None, 3136)}),
    ("layers.Flatten()", [(None, None, 3)], {"output": (None, None)}),
    ("SimpleRNN(128)", [(None, 30, 100)], {"output": (None, 128)}),
    ("LSTM(16, return_sequences=True, return_state=True)", [(None, 5, 3)],
     {"output": (None, 5, 16), "state_h": (None, 16), "state_c": (None, 16)}),
    ("GRU(8, return_state=True)", [(4, 5, 3)], {"output": (4, 8), "state_h": (4, 8)}),
    ("Bidirectional(LSTM(16, return_sequences=True))", [(None, 5, 3)], {"output": (None, 5, 32)}),
    ("Bidirectional(GRU(16), merge_mode='sum')", [(None, 5, 3)], {"output": (None, 16)}),
    ("Bidirectional(LSTM(4, return_state=True), merge_mode=None)", [(2, 5, 3)], {
        "forward_output": (2, 4), "backward_output": (2, 4), "forward_state_h": (2, 4), "forward_state_c": (2, 4),
        "backward_state_h": (2, 4), "backward_state_c": (2, 4)}),
    ("MultiHeadAttention(8, 64)", [(None, 50, 512)], {"output": (None, 50, 512), "attention_scores": (None, 8, 50, 50)}),
    ("MultiHeadAttention(2, 3, output_shape=(4, 5))", [(2, 7, 6), (2, 9, 4)],
     {"output": (2, 7, 4, 5), "attention_scores": (2, 2, 7, 9)}),
    ("BatchNormalization()", [(None, 4, 4, 3)], {"output": (None, 4, 4, 3)}),
    ("RMSNormalization()", [(None, 4, 8)], {"output": (None, 4, 8)}),
    ("GroupNormalization(4)", [(None, 7, 7, 32)], {"output": (None, 7, 7, 32)}),
    ("GroupNormalization(-1, axis=1)", [(2, 6, None)], {"output": (2, 6, None)}),
    ("GroupQueryAttention(8, 4, 2)", [(None, 5, 32), (None, 7, 32), (None, 7, 12)],
     {"output": (None, 5, 32), "attention_scores": (None, 4, 5, 7)}),
    ("Activation('relu')", [(3,)], {"output": (3,)}),
]


@pytest.mark.parametrize("expr, shapes, expected", SHAPES, ids=[f"{s[0]}@{s[1]}" for s in SHAPES])
def test_output_shapes(expr, shapes, expected):
    spec = parse_layer(expr)
    assert spec.output_shapes(*shapes) == expected
    assert spec.output_shape(*shapes) == next(iter(expected.values()))


def test_shape_from_the_layers_own_input_shape():
    spec = parse_layer("Dense(64, input_shape=(784,))")
    assert spec.output_shape() == (None, 64)
    assert spec.count("keras").total == 784 * 64 + 64


SHAPE_ERRORS = [
    ("Conv2D(4, 5)", (None, 3, 3, 2), "output height (3 - 1*(5-1) - 1)//1 + 1 = -1 must be >= 1"),
    ("Conv2D(4, 3)", (None, 8, 8), "expected a 4-D input (batch, height, width, channels)"),
    ("Dense(4)", (784,), "expected at least 2-D input (batch, ..., features)"),
    ("Dense(4)", (None, None), "number of input features (axis -1) must be known"),
    ("LSTM(4)", (None, 3), "expected a 3-D input (batch, time, features)"),
    ("MaxPooling2D(4)", (None, 3, 9, 1), "output height (3 - 4)//4 + 1 = 0 must be >= 1"),
    ("Conv2D(4, 3, groups=2)", (None, 8, 8, 3), "input channels must be divisible by groups"),
    ("BatchNormalization(axis=3)", (None, 4, 3), "axis 3 is out of range for a 3-D input"),
    ("MultiHeadAttention(2, 4)", [(None, 5, 8), (None, 6, 8), (None, 7, 8)],
     "all dimensions of value and key except the last must be equal"),
    ("GroupQueryAttention(8, 4, 2)", [(None, 5, 32), (None, 7, 16)], "the query and the value must have the same feature size"),
    # GroupNormalization: Keras checks the channels against groups when it builds the layer
    ("GroupNormalization(3)", (None, 10, 8),
     "GroupNormalization: the channels (axis -1) must be divisible by groups. Received: groups=3, input_shape=(None, 10, 8)"),
    ("GroupNormalization(16)", (None, 10, 8), "groups cannot be more than the channels (axis -1)"),
    ("GroupNormalization(4)", (None, 10, None), "number of channels (axis -1) must be known"),
    ("GroupNormalization(4, axis=3)", (None, 10, 8), "axis 3 is out of range for a 3-D input"),
    ("GroupNormalization(4)", (8,), "expected at least 2-D input (batch, ..., channels)"),
]


@pytest.mark.parametrize("expr, shape, message", SHAPE_ERRORS, ids=[e[0] for e in SHAPE_ERRORS])
def test_shape_errors(expr, shape, message):
    spec = parse_layer(expr)
    with pytest.raises(SpecError) as info:
        if isinstance(shape, list):
            spec.output_shape(*shape)
        else:
            spec.output_shape(shape)
    assert message in str(info.value)


def test_shape_notes():
    assert parse_layer("Conv2D(4, 3, strides=2)").shape_notes((None, 8, 9, 1)) == [
        "Conv2D: output height (8 - 1*(3-1) - 1)/2 + 1 is not a whole number; floored to 3",
    ]
    assert parse_layer("MaxPooling1D(2, padding='same')").shape_notes((None, 7, 1)) == [
        "MaxPooling1D: output length with padding='same' is ceil(7/2) = 4",
    ]
    assert parse_layer("Dense(3)").shape_notes((None, 4)) == []


# -- Keras's length rules, against counting window positions -----------------------------------


def _windows(n: int, k: int, s: int, d: int) -> int:
    """Start positions 0, s, 2s, ... whose dilated window fits inside the input."""
    return sum(1 for start in range(0, n, s) if start + d * (k - 1) < n)


@given(n=st.integers(1, 60), k=st.integers(1, 7), s=st.integers(1, 5), d=st.integers(1, 3))
@example(n=7, k=3, s=2, d=1)
def test_valid_and_same_lengths(n, k, s, d):
    if s > 1:
        d = 1  # Keras refuses strides > 1 with dilation_rate > 1
    valid = _windows(n, k, s, d)
    if valid:
        assert fk.conv_output_length(size=n, kernel_size=k, stride=s, padding="valid", dilation=d) == valid
    else:
        with pytest.raises(SpecError):
            fk.conv_output_length(size=n, kernel_size=k, stride=s, padding="valid", dilation=d)
    # "same" pads so that every stride position within the input gets a window
    assert fk.conv_output_length(size=n, kernel_size=k, stride=s, padding="same", dilation=d) == len(range(0, n, s))
    if n >= k:
        assert fk.pool_output_length(size=n, pool_size=k, stride=s) == _windows(n, k, s, 1)


@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5), padding=st.sampled_from(["valid", "same"]))
def test_transposed_length_inverts_the_convolution(n, k, s, padding):
    """Without output_padding Keras sizes a transposed convolution so the convolution maps it back to n."""
    up = fk.conv_transpose_output_length(size=n, kernel_size=k, stride=s, padding=padding)
    assert fk.conv_output_length(size=up, kernel_size=k, stride=s, padding=padding) == n


def test_none_sizes_pass_through():
    assert fk.conv_output_length(size=None, kernel_size=3) is None
    assert fk.conv_transpose_output_length(size=None, kernel_size=3) is None
    assert fk.pool_output_length(size=None, pool_size=2, stride=2) is None


@pytest.mark.parametrize("name", ["LayerNormalization", "RMSNormalization"])
@pytest.mark.parametrize("axis", [{1, 2}, frozenset({1}), {"a": 1}, {1: 2}, [[1]], (1, 1.5), float("nan"), "1"])
def test_a_bad_norm_axis_is_a_spec_error(name, axis):
    # Keras takes an int or a list/tuple of ints; a set or a mapping is refused, as Keras refuses it
    from paramcalc.specs.registry import layer_class

    with pytest.raises(SpecError, match="axis"):
        layer_class(f"keras.{name}")(axis=axis)


AXES_CASES = [(-1, (None, 3, 4)), ((1, -3), (None, 3, 4)), ((1, 3), (None, 3, 4)), (2, (None, 3)), (-4, (2, 3, 4))]


@pytest.mark.crosscheck
@pytest.mark.parametrize("name", ["Softmax", "UnitNormalization"])
@pytest.mark.parametrize("axis, shape", AXES_CASES, ids=[f"{a}-{len(s)}d" for a, s in AXES_CASES])
def test_softmax_and_unit_normalization_keep_the_shape_along_valid_axes(name, axis, shape):
    """Both layers work along one axis or several and keep the input's shape; an axis outside the input is
    refused. Decided by Keras 3 itself: the layer built and called on ones (Softmax accepts a bad axis at
    build time and fails only when called)."""
    from conftest import require

    keras = require("keras")
    np = require("numpy")
    layer = getattr(keras.layers, name)(axis=list(axis) if isinstance(axis, tuple) else axis)
    concrete = tuple(2 if d is None else d for d in shape)
    try:
        layer.build(shape)
        keras_shape = tuple(layer(np.ones(concrete, "float32")).shape)
    except (ValueError, IndexError):
        keras_shape = None
    spec = parse_layer({"type": f"keras.{name}", "axis": axis})
    if keras_shape is None:
        with pytest.raises(SpecError, match="out of range"):
            spec.output_shapes(shape)
    else:
        assert keras_shape == concrete
        assert spec.output_shapes(shape) == {"output": shape}
