"""Cross-check: small real Keras models built from the new layer types, counted layer by layer with
paramcalc (each layer's input shapes taken from paramcalc's own output shapes) and compared with
the real model: total, trainable and non-trainable counts, and every intermediate shape.

The graphs are written once as (name, paramcalc expression, Keras constructor, inputs), so the same
description builds both sides.
"""

from __future__ import annotations

from math import prod

import pytest

from conftest import require

keras = require("keras")

from paramcalc import parse_layer  # noqa: E402

pytestmark = pytest.mark.crosscheck


def _mobilenet_v2_block() -> tuple[tuple, list]:
    """MobileNetV2's stride-1 inverted residual (expand 6, 16 → 16 channels) and a stride-2 one with
    its ZeroPadding2D, on 32×32×16."""
    L = keras.layers
    return (None, 32, 32, 16), [
        ("expand", "layers.Conv2D(96, 1, use_bias=False)", lambda: L.Conv2D(96, 1, use_bias=False), ["input"]),
        ("expand_bn", "layers.BatchNormalization()", lambda: L.BatchNormalization(), ["expand"]),
        ("expand_relu", "layers.ReLU(6.0)", lambda: L.ReLU(6.0), ["expand_bn"]),
        ("depthwise", "layers.DepthwiseConv2D(3, padding='same', use_bias=False)",
         lambda: L.DepthwiseConv2D(3, padding="same", use_bias=False), ["expand_relu"]),
        ("depthwise_bn", "layers.BatchNormalization()", lambda: L.BatchNormalization(), ["depthwise"]),
        ("depthwise_relu", "layers.ReLU(6.0)", lambda: L.ReLU(6.0), ["depthwise_bn"]),
        ("project", "layers.Conv2D(16, 1, use_bias=False)", lambda: L.Conv2D(16, 1, use_bias=False), ["depthwise_relu"]),
        ("project_bn", "layers.BatchNormalization()", lambda: L.BatchNormalization(), ["project"]),
        ("add", "layers.Add()", lambda: L.Add(), ["input", "project_bn"]),
        ("expand2", "layers.Conv2D(96, 1, use_bias=False)", lambda: L.Conv2D(96, 1, use_bias=False), ["add"]),
        ("pad", "layers.ZeroPadding2D(((0, 1), (0, 1)))", lambda: L.ZeroPadding2D(((0, 1), (0, 1))), ["expand2"]),
        ("depthwise2", "layers.DepthwiseConv2D(3, strides=2, use_bias=False)",
         lambda: L.DepthwiseConv2D(3, strides=2, use_bias=False), ["pad"]),
        ("project2", "layers.Conv2D(24, 1)", lambda: L.Conv2D(24, 1), ["depthwise2"]),
    ]


def _unet_decoder() -> tuple[tuple, list]:
    """A U-Net decoder step: upsample the 28×28 bottom, crop the 64×64 skip to 56×56, concatenate,
    two valid 3×3 convolutions; the original U-Net's shapes, in fewer channels."""
    L = keras.layers
    return [(None, 64, 64, 16), (None, 28, 28, 32)], [
        ("up", "layers.UpSampling2D()", lambda: L.UpSampling2D(), ["input_1"]),
        ("up_conv", "layers.Conv2D(16, 2, padding='same')", lambda: L.Conv2D(16, 2, padding="same"), ["up"]),
        ("crop", "layers.Cropping2D(4)", lambda: L.Cropping2D(4), ["input_0"]),
        ("concat", "layers.Concatenate()", lambda: L.Concatenate(), ["crop", "up_conv"]),
        ("conv1", "layers.Conv2D(16, 3, activation='relu')", lambda: L.Conv2D(16, 3, activation="relu"), ["concat"]),
        ("conv2", "layers.Conv2D(16, 3, activation='relu')", lambda: L.Conv2D(16, 3, activation="relu"), ["conv1"]),
        ("head", "layers.Conv2D(2, 1)", lambda: L.Conv2D(2, 1), ["conv2"]),
    ]


def _xception_se_block() -> tuple[tuple, list]:
    """Xception's separable residual block with a squeeze-and-excitation gate (Multiply) and PReLU."""
    L = keras.layers
    return (None, 19, 19, 32), [
        ("sep1", "layers.SeparableConv2D(64, 3, padding='same', use_bias=False)",
         lambda: L.SeparableConv2D(64, 3, padding="same", use_bias=False), ["input"]),
        ("bn1", "layers.BatchNormalization()", lambda: L.BatchNormalization(), ["sep1"]),
        ("prelu", "layers.PReLU(shared_axes=[1, 2])", lambda: L.PReLU(shared_axes=[1, 2]), ["bn1"]),
        ("pool", "layers.MaxPooling2D(3, strides=2, padding='same')",
         lambda: L.MaxPooling2D(3, strides=2, padding="same"), ["prelu"]),
        ("shortcut", "layers.Conv2D(64, 1, strides=2, use_bias=False)",
         lambda: L.Conv2D(64, 1, strides=2, use_bias=False), ["input"]),
        ("add", "layers.Add()", lambda: L.Add(), ["pool", "shortcut"]),
        ("squeeze", "layers.GlobalAveragePooling2D()", lambda: L.GlobalAveragePooling2D(), ["add"]),
        ("reduce", "layers.Dense(16, activation='relu')", lambda: L.Dense(16, activation="relu"), ["squeeze"]),
        ("expand", "layers.Dense(64, activation='sigmoid')", lambda: L.Dense(64, activation="sigmoid"), ["reduce"]),
        ("scale", "layers.Reshape((1, 1, 64))", lambda: L.Reshape((1, 1, 64)), ["expand"]),
        ("excite", "layers.Multiply()", lambda: L.Multiply(), ["add", "scale"]),
        ("max", "layers.GlobalMaxPooling2D()", lambda: L.GlobalMaxPooling2D(), ["excite"]),
    ]


def _video_model() -> tuple[tuple, list]:
    """A ConvLSTM over 8 frames, a per-frame head through TimeDistributed, and a sequence classifier."""
    L = keras.layers
    return (None, 8, 16, 16, 1), [
        ("norm", "layers.Rescaling(0.00392156862745098)", lambda: L.Rescaling(1 / 255), ["input"]),
        ("convlstm", "layers.ConvLSTM2D(8, 3, padding='same', return_sequences=True)",
         lambda: L.ConvLSTM2D(8, 3, padding="same", return_sequences=True), ["norm"]),
        ("frames", "layers.TimeDistributed(layers.GlobalMaxPooling2D())",
         lambda: L.TimeDistributed(L.GlobalMaxPooling2D()), ["convlstm"]),
        ("per_frame", "layers.TimeDistributed(layers.Dense(4))", lambda: L.TimeDistributed(L.Dense(4)), ["frames"]),
        ("permute", "layers.Permute((2, 1))", lambda: L.Permute((2, 1)), ["per_frame"]),
        ("flat", "layers.Flatten()", lambda: L.Flatten(), ["permute"]),
        ("repeat", "layers.RepeatVector(3)", lambda: L.RepeatVector(3), ["flat"]),
        ("lstm", "layers.LSTM(6)", lambda: L.LSTM(6), ["repeat"]),
        ("norm_out", "layers.UnitNormalization()", lambda: L.UnitNormalization(), ["lstm"]),
        ("scores", "layers.Dot(axes=1)", lambda: L.Dot(axes=1), ["norm_out", "lstm"]),
        ("out", "layers.Softmax()", lambda: L.Softmax(), ["scores"]),
    ]


GRAPHS = {
    "mobilenet_v2_block": _mobilenet_v2_block, "unet_decoder": _unet_decoder, "xception_se_block": _xception_se_block,
    "video_model": _video_model,
}


def _inputs(shapes) -> dict:
    if isinstance(shapes, list):
        return {f"input_{i}": s for i, s in enumerate(shapes)}
    return {"input": shapes}


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_small_model_matches_keras(graph):
    input_shapes, nodes = GRAPHS[graph]()
    given = _inputs(input_shapes)
    tensors = {name: keras.Input(shape[1:], name=name) for name, shape in given.items()}
    shapes = dict(given)
    trainable = non_trainable = 0
    for name, expr, make, inputs in nodes:
        spec = parse_layer(expr)
        ins = [shapes[i] for i in inputs]
        arg = ins if len(ins) > 1 else ins[0]
        count = spec.count("keras", input_shape=arg)
        trainable += count.trainable
        non_trainable += count.non_trainable
        shapes[name] = spec.output_shape(*ins)
        layer = make()
        tensors[name] = layer([tensors[i] for i in inputs] if len(inputs) > 1 else tensors[inputs[0]])
        assert tuple(tensors[name].shape) == shapes[name], name
    model = keras.Model([tensors[n] for n in given], tensors[nodes[-1][0]])
    real_trainable = sum(prod(w.shape) for w in model.trainable_weights)
    real_non_trainable = sum(prod(w.shape) for w in model.non_trainable_weights)
    assert (trainable + non_trainable, trainable, non_trainable) == (model.count_params(), real_trainable,
                                                                      real_non_trainable)


def test_known_totals():
    """The blocks' totals, by hand. MobileNetV2 block: expand 16·96 = 1,536, BN 4·96 = 384, depthwise
    9·96 = 864, BN 384, project 96·16 = 1,536, BN 4·16 = 64; stride-2 part: expand 1,536, depthwise
    864, project 96·24 + 24 = 2,328; total 9,496 (trainable 9,496 − 2·(96 + 96 + 16) = 9,080).
    U-Net decoder: up_conv 2·2·32·16 + 16 = 2,064, conv1 9·32·16 + 16 = 4,624, conv2 9·16·16 + 16 =
    2,320, head 16·2 + 2 = 34; total 9,042."""
    total = 0
    for expr, shape in [
        ("layers.Conv2D(96, 1, use_bias=False)", (None, 32, 32, 16)), ("layers.BatchNormalization()", (None, 32, 32, 96)),
        ("layers.DepthwiseConv2D(3, padding='same', use_bias=False)", (None, 32, 32, 96)),
        ("layers.BatchNormalization()", (None, 32, 32, 96)), ("layers.Conv2D(16, 1, use_bias=False)", (None, 32, 32, 96)),
        ("layers.BatchNormalization()", (None, 32, 32, 16)), ("layers.Conv2D(96, 1, use_bias=False)", (None, 32, 32, 16)),
        ("layers.DepthwiseConv2D(3, strides=2, use_bias=False)", (None, 33, 33, 96)),
        ("layers.Conv2D(24, 1)", (None, 16, 16, 96)),
    ]:
        total += parse_layer(expr).count("keras", input_shape=shape).total
    assert total == 9_496
