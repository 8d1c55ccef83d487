"""Known values for the Keras layer types, each derived by hand in the table (Keras's own
documentation examples where it gives them), and the library API on layers with several inputs."""

from __future__ import annotations

import pytest

from paramcalc import parse_layer
from paramcalc.errors import ShapeMismatchError, SpecError

# -- Merge layers: (expression, input shapes, output shape, why) ----------------------------------

MERGE_SHAPES = [
    ("layers.Add()", [(None, 32), (None, 32)], (None, 32), "same shapes: unchanged"),
    ("layers.Add()", [(None, 16, 16, 64)], (None, 16, 16, 64), "one input: itself"),
    ("layers.Multiply()", [(None, 7, 7, 64), (None, 1, 1, 64)], (None, 7, 7, 64),
     "squeeze-and-excitation: the (1, 1, 64) scale stretches over 7×7"),
    ("layers.Multiply()", [(None, 7, 7, 64), (None, 64)], (None, 7, 7, 64), "shorter input aligned on the right"),
    ("layers.Add()", [(None, 3, 1), (2, 1, 4)], (2, 3, 4), "1 stretches both ways; the known batch 2 wins"),
    ("layers.Subtract()", [(None, None, 8), (None, 5, 8)], (None, None, 8), "None and 5 give None, as Keras does"),
    ("layers.Average()", [(4, 10), (4, 10), (4, 10)], (4, 10), "three inputs"),
    ("layers.Maximum()", [(None, 0), (None, 1)], (None, 0), "a size 1 stretches to 0"),
    ("layers.Minimum()", [(None, 5), (None, 5)], (None, 5), "same shapes"),
    # Keras docs: Concatenate(axis=1) of (2, 2, 5) and (2, 1, 5) is (2, 3, 5)
    ("layers.Concatenate(axis=1)", [(2, 2, 5), (2, 1, 5)], (2, 3, 5), "2 + 1 rows"),
    ("layers.Concatenate()", [(None, 28, 28, 64), (None, 28, 28, 32)], (None, 28, 28, 96), "U-Net skip: 64 + 32"),
    ("layers.Concatenate()", [(None, 56, 56, 64)] + [(None, 56, 56, 32)] * 6, (None, 56, 56, 256),
     "DenseNet block of 6 layers, growth 32: 64 + 6·32 = 256"),
    ("layers.Concatenate()", [(None, 3, 4), (2, None, 5)], (None, 3, 9), "the other sizes are the first input's"),
    ("layers.Concatenate(axis=1)", [(None, None, 4), (None, 3, 4)], (None, None, 4), "an unknown length stays unknown"),
    ("layers.Concatenate(axis=0)", [(2, 3), (5, 3)], (7, 3), "along the batch: 2 + 5"),
    # Keras docs: Dot(axes=(1, 2)) of (1, 5, 2) and (1, 2, 5) is (1, 2, 2)
    ("layers.Dot(axes=(1, 2))", [(1, 5, 2), (1, 2, 5)], (1, 2, 2), "x keeps 2, y keeps 2"),
    ("layers.Dot(axes=1)", [(None, 64), (None, 64)], (None, 1), "cosine-style score: (batch, 1)"),
    ("layers.Dot(axes=(2, 2))", [(None, 10, 64), (None, 12, 64)], (None, 10, 12), "attention scores Q·Kᵀ"),
    ("layers.Dot(axes=-1)", [(None, 3, 4), (None, 5, 6, 4)], (None, 3, 5, 6), "x (3) then y (5, 6)"),
    ("layers.Dot(axes=1)", [(None, 3), (None, 3, 4)], (None, 4), "x has nothing left, y keeps 4"),
]


@pytest.mark.parametrize("expr, shapes, expected, why", MERGE_SHAPES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MERGE_SHAPES)])
def test_merge_output_shapes(expr, shapes, expected, why):
    spec = parse_layer(expr)
    assert spec.output_shape(*shapes) == expected, why
    assert spec.output_shape(shapes) == expected  # one list of shapes, in call order
    count = spec.count("keras", input_shape=shapes)
    assert (count.total, count.trainable, count.non_trainable) == (0, 0, 0)  # merges have no weights
    assert spec.param_tensors("keras", input_shape=shapes) == []


MERGE_ERRORS = [
    ("layers.Add()", [(None, 3), (None, 4)],
     "Add: the inputs must have broadcastable shapes (3 and 4 on axis -1). Received: input 0 (None, 3) and input 1 (None, 4)"),
    ("layers.Add()", [(2, 3), (3, 3)],
     "Add: the inputs must have the same batch size. Received: input 0 (2, 3) and input 1 (3, 3)"),
    ("layers.Subtract()", [(None, 3)] * 3, "Subtract: takes exactly 2 inputs. Received: 3 input shapes"),
    ("layers.Concatenate()", [(None, 3), (None, 3, 4)],
     "Concatenate: the inputs must have the same rank. Received: input 0 (None, 3) and input 1 (None, 3, 4)"),
    ("layers.Concatenate()", [(None, 28, 28, 64), (None, 27, 27, 32)],
     "Concatenate: the inputs must match on every axis but the concatenation axis -1 (axis 1: 28 and 27). "
     "Received: input 0 (None, 28, 28, 64) and input 1 (None, 27, 27, 32)"),
    ("layers.Concatenate(axis=3)", [(None, 3, 4), (None, 3, 4)], "Concatenate: axis 3 is out of range for 3-D inputs"),
    ("layers.Dot(axes=1)", [(None, 3), (None, 4)],
     "Dot: the contracted axes must have the same size (axis 1: 3, axis 1: 4). Received: input 0 (None, 3) and input 1 (None, 4)"),
    ("layers.Dot(axes=0)", [(None, 3), (None, 3)], "Dot: cannot take the dot product over the batch axis 0"),
    ("layers.Dot(axes=1)", [(None,), (None, 3)], "Dot: every input must be at least 2-D"),
    ("layers.Dot(axes=1)", [(None, 3)], "Dot: takes exactly 2 inputs. Received: 1 input shapes"),
    ("layers.Add()", [], "Add: the input shape is missing"),
]


@pytest.mark.parametrize("expr, shapes, message", MERGE_ERRORS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MERGE_ERRORS)])
def test_merge_refusals_name_the_rule_and_both_shapes(expr, shapes, message):
    with pytest.raises(SpecError) as info:
        parse_layer(expr).output_shape(*shapes)
    assert str(info.value).startswith(message)


def test_shape_mismatch_carries_the_inputs_for_callers_that_know_their_names():
    with pytest.raises(ShapeMismatchError) as info:
        parse_layer("layers.Multiply()").output_shape((None, 8, 8, 64), (None, 1, 1, 64), (None, 1, 1, 32))
    # the 64 of input 0 (not input 1's stretched 1) meets input 2's 32
    assert info.value.inputs == (0, 2)
    assert info.value.shapes == ((None, 8, 8, 64), (None, 1, 1, 32))


def test_merge_arguments():
    assert parse_layer("layers.Concatenate(1)").axis == 1
    assert parse_layer("layers.Dot([1, 2])").axes == (1, 2)
    assert parse_layer("layers.Dot(1, normalize=True)").normalize is True
    with pytest.raises(SpecError, match="axes"):
        parse_layer("layers.Dot((1, 2, 3))")
    with pytest.raises(SpecError):
        parse_layer("layers.Dot()")  # Keras: axes is required
    with pytest.raises(SpecError):
        parse_layer("layers.Add(1)")


def test_merge_compute():
    # Add of 3 inputs of (4, 10): 2 adds per output element, 2·40 = 80
    assert parse_layer("layers.Add()").compute((4, 10), (4, 10), (4, 10)).flops == 80
    # Average of 2: 1 add + 1 divide per element, 2·40 = 80
    assert parse_layer("layers.Average()").compute((4, 10), (4, 10)).flops == 80
    # Dot(axes=(2, 2)) of (2, 10, 64) and (2, 12, 64): 2·10·12 outputs × 64 MACs = 15,360 MACs
    assert parse_layer("layers.Dot(axes=(2, 2))").compute((2, 10, 64), (2, 12, 64)).macs == 15_360
    # an unknown batch is the other input's: Subtract of (None, 3) and (2, 3) = 6 subtractions
    assert parse_layer("layers.Subtract()").compute((None, 3), (2, 3)).flops == 6


# -- Depthwise and separable convolutions: counts derived by hand ---------------------------------

DEPTHWISE_COUNTS = [
    # MobileNet's 3×3 depthwise on 32 channels: 3·3·32 + 32 = 320
    ("layers.DepthwiseConv2D(3, padding='same')", (None, 112, 112, 32), 320, (None, 112, 112, 32)),
    # depth_multiplier 2 on 8 channels, stride 2: 3·3·8·2 + 16 = 160; (15 − 3) // 2 + 1 = 7
    ("layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2)", (None, 15, 15, 8), 160, (None, 7, 7, 16)),
    ("layers.DepthwiseConv2D(3, use_bias=False)", (None, 8, 8, 4), 36, (None, 6, 6, 4)),
    # 1-D: 5·16·1 + 16 = 96; 100 − 4 = 96 steps
    ("layers.DepthwiseConv1D(5)", (None, 100, 16), 96, (None, 96, 16)),
    # Xception's separable 3×3, 64 → 128: 3·3·64 + 64·128 + 128 = 576 + 8,192 + 128 = 8,896
    ("layers.SeparableConv2D(128, 3, padding='same')", (None, 147, 147, 64), 8_896, (None, 147, 147, 128)),
    # Xception exit flow, 1024 → 1536 without bias: 9·1024 + 1024·1536 = 9,216 + 1,572,864 = 1,582,080
    ("layers.SeparableConv2D(1536, 3, padding='same', use_bias=False)", (None, 10, 10, 1024), 1_582_080,
     (None, 10, 10, 1536)),
    # 1-D, depth_multiplier 2: 3·16·2 + 32·32 + 32 = 96 + 1,024 + 32 = 1,152
    ("layers.SeparableConv1D(32, 3, depth_multiplier=2)", (8, 100, 16), 1_152, (8, 98, 32)),
    # channels_first: C = 3 on axis 1; 3·3·3 + 3·4 + 4 = 27 + 12 + 4 = 43
    ("layers.SeparableConv2D(4, 3, data_format='channels_first')", (None, 3, 10, 10), 43, (None, 4, 8, 8)),
]


@pytest.mark.parametrize("expr, shape, params, out", DEPTHWISE_COUNTS, ids=[d[0] for d in DEPTHWISE_COUNTS])
def test_depthwise_and_separable_counts(expr, shape, params, out):
    spec = parse_layer(expr)
    count = spec.count("keras", input_shape=shape)
    assert (count.total, count.trainable, count.non_trainable) == (params, params, 0)
    assert spec.output_shape(shape) == out


def test_frozen_separable_is_all_non_trainable():
    count = parse_layer("layers.SeparableConv2D(128, 3, trainable=False)").count("keras", input_shape=(None, 9, 9, 64))
    assert (count.trainable, count.non_trainable) == (0, 8_896)


def test_depthwise_counts_as_a_grouped_torch_conv():
    # torch: Conv2d(32, 64, 3, groups=32) = 3·3·1·64 + 64 = 640 = Keras DepthwiseConv2D(3, depth_multiplier=2) on 32
    spec = parse_layer("layers.DepthwiseConv2D(3, depth_multiplier=2)")
    assert spec.count("pytorch", input_shape=(None, 9, 9, 32)).total == 640 == spec.count("keras", input_shape=(None, 9, 9, 32)).total


# -- Reshaping layers: shapes worked by hand --------------------------------------------------------

RESHAPING_SHAPES = [
    ("layers.ZeroPadding2D(((0, 1), (0, 1)))", (None, 224, 224, 3), (None, 225, 225, 3), "MobileNetV2 stem: +1 bottom, +1 right"),
    ("layers.ZeroPadding2D(3)", (None, 224, 224, 3), (None, 230, 230, 3), "ResNet stem: 224 + 3 + 3"),
    ("layers.ZeroPadding2D((1, 2))", (None, 5, 5, 1), (None, 7, 9, 1), "(1, 2): 1 above and below, 2 left and right"),
    ("layers.ZeroPadding1D((1, 2))", (None, 10, 3), (None, 13, 3), "1 before, 2 after"),
    ("layers.ZeroPadding3D(1, data_format='channels_first')", (None, 2, 4, 4, 4), (None, 2, 6, 6, 6), "channels on axis 1"),
    ("layers.Cropping2D(((1, 2), (3, 4)))", (None, 20, 20, 3), (None, 17, 13, 3), "20 − 3 rows, 20 − 7 columns"),
    ("layers.Cropping2D(4)", (None, 64, 64, 64), (None, 56, 56, 64), "U-Net skip crop: 64 − 8"),
    ("layers.Cropping1D()", (None, 10, 3), (None, 8, 3), "default (1, 1)"),
    ("layers.Cropping3D(((1, 0), (0, 2), (3, 3)))", (None, 5, 5, 9, 1), (None, 4, 3, 3, 1), "per axis"),
    ("layers.UpSampling2D()", (None, 14, 14, 8), (None, 28, 28, 8), "default size 2"),
    ("layers.UpSampling1D(3)", (None, 5, 2), (None, 15, 2), "each step three times"),
    ("layers.UpSampling3D((1, 2, 3), data_format='channels_first')", (None, 4, 2, 3, 5), (None, 4, 2, 6, 15), "per axis"),
    ("layers.UpSampling2D(interpolation='bilinear')", (None, None, 7, 3), (None, None, 14, 3), "None stays None"),
    ("layers.Reshape((28, 28, 1))", (None, 784), (None, 28, 28, 1), "784 = 28·28·1"),
    ("layers.Reshape((-1, 4))", (None, 6, 2), (None, 3, 4), "12 values / 4 = 3"),
    ("layers.Reshape((-1, 4))", (None, None, 2), (None, None, 4), "an unknown size leaves the −1 unknown"),
    ("layers.Permute((2, 1))", (None, 10, 64), (None, 64, 10), "axes 1 and 2 swapped"),
    ("layers.Permute((3, 1, 2))", (2, 3, None, 5), (2, 5, 3, None), "axis 3 first"),
    ("layers.RepeatVector(10)", (None, 32), (None, 10, 32), "32 features, 10 times"),
]


@pytest.mark.parametrize("expr, shape, out, why", RESHAPING_SHAPES, ids=[f"{r[0]}-{i}" for i, r in enumerate(RESHAPING_SHAPES)])
def test_reshaping_shapes(expr, shape, out, why):
    spec = parse_layer(expr)
    assert spec.output_shape(shape) == out, why
    assert spec.count("keras", input_shape=shape).total == 0


RESHAPING_ERRORS = [
    ("layers.Cropping2D(((2, 2), (0, 0)))", (None, 4, 9, 3), "Cropping2D: the cropping must leave at least 1 of the height (4 - 2 - 2 = 0)"),
    ("layers.Reshape((5,))", (None, 6), "Reshape: the total size must stay the same (6 values in, 5 out)"),
    ("layers.Reshape((-1, 4))", (None, 6), "Reshape: the 6 values of the input do not divide into the target's other sizes (4)"),
    ("layers.Permute((2, 1))", (None, 3), "Permute: dims (2, 1) permutes 2 axes, so the input must be 3-D"),
    ("layers.RepeatVector(3)", (None, 3, 4), "RepeatVector: expected a 2-D input (batch, features)"),
    ("layers.UpSampling2D()", (None, 4, 3), "UpSampling2D: expected a 4-D input (batch, height, width, channels)"),
]


@pytest.mark.parametrize("expr, shape, message", RESHAPING_ERRORS, ids=[r[0] for r in RESHAPING_ERRORS])
def test_reshaping_refusals(expr, shape, message):
    with pytest.raises(SpecError) as info:
        parse_layer(expr).output_shape(shape)
    assert str(info.value).startswith(message)


def test_every_keras_layer_has_a_formula_entry():
    from paramcalc.specs.families import find_family
    from paramcalc.specs.registry import layers

    added = [
        "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "Conv1DTranspose", "Conv3DTranspose",
        "GroupNormalization", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
        "Reshape", "Permute", "RepeatVector", "Flatten", "UpSampling1D", "UpSampling2D", "UpSampling3D",
        "GlobalAveragePooling3D", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "ReLU", "LeakyReLU", "PReLU", "ELU",
        "Softmax", "Normalization", "UnitNormalization", "Rescaling", "TimeDistributed", "ConvLSTM1D", "ConvLSTM2D",
    ]
    known = layers("keras")
    for name in added:
        assert name in known, name
        assert name in find_family(name).layers, name


# -- Weights of the activation and scaling layers, worked by hand -----------------------------------

WEIGHT_COUNTS = [
    # (expression, input shape, trainable, non-trainable, why)
    ("layers.PReLU()", (None, 3, 4), 12, 0, "alpha (3, 4): one slope per value"),
    ("layers.PReLU(shared_axes=[1, 2])", (None, 28, 28, 64), 64, 0, "alpha (1, 1, 64): one per channel"),
    ("layers.PReLU(shared_axes=1)", (None, None, 6), 6, 0, "the unknown axis is shared: alpha (1, 6)"),
    ("layers.Normalization()", (None, 13), 0, 27, "mean 13 + variance 13 + count 1"),
    ("layers.Normalization(axis=None)", (None, 13), 0, 3, "scalar mean, variance and count"),
    ("layers.Normalization(axis=(1, 2))", (None, 3, 4, 5), 0, 25, "(3, 4) twice + 1 = 12 + 12 + 1"),
    ("layers.Normalization(mean=0.5, variance=2.0)", (None, 13), 0, 0, "given statistics: no weights"),
    ("layers.ReLU(max_value=6.0)", (None, 13), 0, 0, "ReLU6: no weights"),
    ("layers.Rescaling(0.5, offset=-1.0)", (None, 224, 224, 3), 0, 0, "no weights"),
    # ConvLSTM2D(32, 3) on 1 channel: 4·32·9·(1 + 32) + 4·32 = 38,016 + 128 = 38,144
    ("layers.ConvLSTM2D(32, 3, padding='same')", (None, 10, 64, 64, 1), 38_144, 0, "4F·k·(C + F) + 4F"),
    # ConvLSTM1D(16, 3) on 3 channels: 4·16·3·(3 + 16) + 64 = 3,648 + 64 = 3,712
    ("layers.ConvLSTM1D(16, 3)", (None, 10, 32, 3), 3_712, 0, "4F·k·(C + F) + 4F"),
    # TimeDistributed(Dense(8)) on 16 features: 16·8 + 8 = 136, shared by the 10 steps
    ("layers.TimeDistributed(layers.Dense(8))", (None, 10, 16), 136, 0, "the Dense layer once"),
    # TimeDistributed(BatchNormalization()) on 3 features: gamma, beta 3 each; moving mean, variance 3 each
    ("layers.TimeDistributed(layers.BatchNormalization())", (None, 5, 3), 6, 6, "the wrapped layer's split"),
]


@pytest.mark.parametrize("expr, shape, trainable, non_trainable, why", WEIGHT_COUNTS, ids=[w[0] for w in WEIGHT_COUNTS])
def test_weight_counts(expr, shape, trainable, non_trainable, why):
    count = parse_layer(expr).count("keras", input_shape=shape)
    assert (count.trainable, count.non_trainable) == (trainable, non_trainable), why


OUTPUTS = [
    ("layers.ConvLSTM2D(32, 3, padding='same', return_sequences=True)", (None, 10, 64, 64, 1),
     {"output": (None, 10, 64, 64, 32)}),
    ("layers.ConvLSTM2D(8, 3)", (2, 10, 16, 16, 4), {"output": (2, 14, 14, 8)}),
    ("layers.ConvLSTM1D(16, 3, return_state=True)", (None, 10, 32, 3),
     {"output": (None, 30, 16), "state_h": (None, 30, 16), "state_c": (None, 30, 16)}),
    ("layers.ConvLSTM2D(4, 3, data_format='channels_first', return_sequences=True)", (None, 5, 2, 8, 8),
     {"output": (None, 5, 4, 6, 6)}),
    ("layers.TimeDistributed(layers.Conv2D(4, 3))", (None, 5, 8, 8, 3), {"output": (None, 5, 6, 6, 4)}),
    ("layers.TimeDistributed(layers.Flatten())", (None, 4, 3, 3, 2), {"output": (None, 4, 18)}),
    ("layers.GlobalMaxPooling2D()", (None, 7, 7, 512), {"output": (None, 512)}),
    ("layers.GlobalMaxPooling3D(keepdims=True)", (None, 2, 2, 2, 8), {"output": (None, 1, 1, 1, 8)}),
    ("layers.Softmax(axis=[1, 2])", (None, 3, 4), {"output": (None, 3, 4)}),
]


@pytest.mark.parametrize("expr, shape, expected", OUTPUTS, ids=[o[0] for o in OUTPUTS])
def test_output_shapes(expr, shape, expected):
    assert parse_layer(expr).output_shapes(shape) == expected


REFUSED = [
    ("layers.Bidirectional(layers.LSTM(4, go_backwards=True))", None, "go_backwards"),
    ("layers.LayerNormalization(axis=3)", (None, 4, 5), "axis 3 is out of range for a 3-D input"),
    ("layers.PReLU()", (None, None, 4), "alpha needs every axis it is not shared over to be known"),
    ("layers.Normalization(axis=1)", (None, None, 3), "every kept axis must have a known size"),
    ("layers.ConvLSTM2D(2, 3)", (None, 4, None, 8, 3), "the spatial sizes must be known"),
    ("layers.TimeDistributed(layers.Dense(8))", (None, 16), "expected at least 3-D input"),
    ("layers.TimeDistributed(layers.LSTM(4, return_state=True))", (None, 5, 6, 3), "must give one output"),
    ("layers.Softmax(axis=2)", (None, 3), "axis 2 is out of range"),
]


@pytest.mark.parametrize("expr, shape, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_refusals(expr, shape, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        spec = parse_layer(expr)
        spec.output_shape(shape)
