"""Cross-check: the Keras layer types added to the Keras 3 family against real Keras (torch backend).

For sampled configurations (a fixed seed, so every run checks the same cases): the total,
trainable and non-trainable counts, the weights' paths (without the layer's name) and shapes, the
output shapes (``compute_output_shape``, and a call on zeros for part of the sample), and the
inputs Keras refuses. Merge layers are called on lists of inputs.
"""

from __future__ import annotations

import random
import warnings
from math import prod

import pytest

from conftest import require

keras = require("keras")
np = require("numpy")

from paramcalc import keras_layers as K  # noqa: E402
from paramcalc import parse_layer  # noqa: E402
from paramcalc.errors import ShapeMismatchError, SpecError  # noqa: E402
from paramcalc.specs.keras.wrappers import default_name  # noqa: E402

pytestmark = pytest.mark.crosscheck

MERGES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"}


def _numel(w) -> int:
    return prod(tuple(w.shape))


def _as_shapes(result) -> list[tuple]:
    if isinstance(result, (tuple, list)) and result and isinstance(result[0], (tuple, list)):
        return [tuple(s) for s in result]
    return [tuple(result)]


def _concrete(shape: tuple) -> tuple:
    return tuple(2 if d is None else d for d in shape)


# -- Sampled configurations: (name, kwargs, input shapes, call on zeros?) -------------------------


def _merge_cases(r: random.Random) -> list:
    cases = []
    for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        for i in range(6):
            rank = r.randint(1, 4)
            base = [r.randint(2, 5) for _ in range(rank)]
            n = 2 if name == "Subtract" else r.randint(1, 4)
            shapes = []
            for _ in range(n):
                keep = r.randint(0, rank) if i % 2 else rank
                dims = [1 if r.random() < 0.2 else None if r.random() < 0.1 else d for d in base[rank - keep:]]
                shapes.append((r.choice([None, 2]), *dims))
            cases.append((name, {}, shapes, i % 3 == 0))
    for i in range(10):
        rank = r.randint(2, 5)
        axis = r.randint(-rank, rank - 1)
        base = [r.choice([None, 3])] + [r.randint(1, 5) for _ in range(rank - 1)]
        shapes = []
        for _ in range(r.randint(1, 4)):
            dims = list(base)
            dims[axis] = None if r.random() < 0.15 else r.randint(1, 6)
            shapes.append(tuple(dims))
        cases.append(("Concatenate", {"axis": axis}, shapes, i % 3 == 0))
    for i in range(10):
        rx, ry = r.randint(2, 3), r.randint(2, 3)
        x = [r.choice([None, 2])] + [r.randint(1, 5) for _ in range(rx - 1)]
        y = [x[0]] + [r.randint(1, 5) for _ in range(ry - 1)]
        ax, ay = r.randint(1, rx - 1), r.randint(1, ry - 1)
        y[ay] = x[ax]
        axes = ax if ax == ay and r.random() < 0.5 else (ax - rx if r.random() < 0.3 else ax, ay)
        cases.append(("Dot", {"axes": axes, "normalize": r.random() < 0.3}, [tuple(x), tuple(y)], i % 2 == 0))
    return cases


def _depthwise_cases(r: random.Random) -> list:
    cases = []
    for kind in ("Depthwise", "Separable"):
        for nd in (1, 2):
            for i in range(8):
                strides = tuple(r.randint(1, 3) for _ in range(nd)) if r.random() < 0.5 else 1
                kw = {"kernel_size": tuple(r.randint(1, 4) for _ in range(nd)), "strides": strides,
                      "padding": r.choice(["valid", "same"]), "depth_multiplier": r.randint(1, 3),
                      "use_bias": r.random() < 0.8}
                if strides == 1 and r.random() < 0.5:
                    kw["dilation_rate"] = tuple(r.randint(1, 2) for _ in range(nd))
                if kind == "Separable":
                    kw["filters"] = r.randint(1, 8)
                if nd == 2 and r.random() < 0.25:
                    kw["data_format"] = "channels_first"
                if i == 5:
                    kw["trainable"] = False
                spatial = [r.randint(8, 12) for _ in range(nd)]
                channels = r.randint(1, 6)
                first = kw.get("data_format") == "channels_first"
                shape = (r.choice([None, 2]), *((channels, *spatial) if first else (*spatial, channels)))
                cases.append((f"{kind}Conv{nd}D", kw, [shape], i % 3 == 0))
    return cases


def _reshaping_cases(r: random.Random) -> list:
    cases = []
    for nd in (1, 2, 3):
        for i in range(4):
            first = nd > 1 and r.random() < 0.3
            spatial = [r.randint(7, 10) for _ in range(nd)]
            channels = r.randint(1, 4)
            shape = (r.choice([None, 2]), *((channels, *spatial) if first else (*spatial, channels)))
            fmt = {"data_format": "channels_first"} if first else {}
            pairs = tuple((r.randint(0, 3), r.randint(0, 3)) for _ in range(nd))
            form = pairs[0] if nd == 1 else (r.randint(0, 3) if i == 0 else tuple(p[0] for p in pairs) if i == 1 else pairs)
            cases.append((f"ZeroPadding{nd}D", {"padding": form, **fmt}, [shape], i % 2 == 0))
            cases.append((f"Cropping{nd}D", {"cropping": form, **({} if nd == 1 else fmt)}, [shape], i % 2 == 1))
            size = r.randint(1, 3) if i == 0 else tuple(r.randint(1, 3) for _ in range(nd))
            extra = {"interpolation": "bilinear"} if nd == 2 and i == 3 else {}
            cases.append((f"UpSampling{nd}D", {"size": size if nd > 1 else r.randint(1, 3), **({} if nd == 1 else fmt), **extra},
                          [shape], i % 2 == 0))
    cases += [
        ("Reshape", {"target_shape": (28, 28, 1)}, [(None, 784)], True),
        ("Reshape", {"target_shape": (-1, 4)}, [(2, 6, 2)], True),
        ("Reshape", {"target_shape": (3, -1)}, [(None, None, 6)], False),
        ("Reshape", {"target_shape": (2, 2, 3)}, [(None, 3, 4)], True),
        ("Permute", {"dims": (2, 1)}, [(None, 10, 64)], True),
        ("Permute", {"dims": (3, 1, 2)}, [(2, 3, None, 5)], False),
        ("Permute", {"dims": (1,)}, [(2, 7)], True),
        ("RepeatVector", {"n": 10}, [(None, 32)], True),
        ("RepeatVector", {"n": 1}, [(4, None)], False),
    ]
    return cases


def _elementwise_layer_cases(r: random.Random) -> list:
    cases = []
    for kind in ("Max", "Average"):
        for nd in (1, 2, 3):
            for keepdims in (False, True):
                fmt = r.choice(["channels_last", "channels_first"])
                cases.append((f"Global{kind}Pooling{nd}D", {"keepdims": keepdims, "data_format": fmt},
                              [(r.choice([None, 2]), *(r.randint(2, 5) for _ in range(nd)), 4)], keepdims))
    cases += [
        ("ReLU", {}, [(None, 5)], True),
        ("ReLU", {"max_value": 6.0}, [(2, 3, 4)], True),
        ("ReLU", {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.5}, [(None, None, 4)], False),
        ("LeakyReLU", {}, [(2, 5)], True),
        ("LeakyReLU", {"negative_slope": 0.2}, [(None, 3, 4)], False),
        ("ELU", {"alpha": 0.5}, [(2, 7)], True),
        ("Softmax", {}, [(2, 10)], True),
        ("Softmax", {"axis": 1}, [(None, 3, 4)], False),
        ("Softmax", {"axis": [1, 2]}, [(2, 3, 4)], True),
        ("UnitNormalization", {}, [(2, 8)], True),
        ("UnitNormalization", {"axis": [1, 2]}, [(None, 3, 4)], False),
        ("Rescaling", {"scale": 1 / 255}, [(2, 8, 8, 3)], True),
        ("Rescaling", {"scale": 0.5, "offset": -1.0}, [(None, 4)], False),
        ("PReLU", {}, [(2, 3, 4)], True),
        ("PReLU", {"shared_axes": [1, 2]}, [(None, 5, 5, 8)], True),
        ("PReLU", {"shared_axes": 1}, [(None, None, 6)], False),
        ("PReLU", {"shared_axes": [0]}, [(2, 3, 4)], False),
        ("PReLU", {"shared_axes": [-1]}, [(2, 3, 4, 5)], False),
        ("PReLU", {"trainable": False}, [(None, 7)], False),
        ("Normalization", {}, [(None, 13)], True),
        ("Normalization", {"axis": None}, [(2, 5)], False),
        ("Normalization", {"axis": (1, 2)}, [(None, 3, 4, 5)], False),
        ("Normalization", {"axis": 1}, [(None, 6, None)], False),
        ("Normalization", {"mean": 0.5, "variance": 2.0}, [(2, 4)], True),
        ("Normalization", {"axis": -1, "mean": [1.0, 2.0, 3.0], "variance": [1.0, 1.0, 1.0]}, [(2, 3)], True),
        ("Normalization", {"invert": True}, [(None, 4)], False),
    ]
    return cases


def _conv_lstm_cases(r: random.Random) -> list:
    cases = []
    for nd in (1, 2):
        for i in range(8):
            strides = tuple(r.randint(1, 2) for _ in range(nd)) if i % 2 else 1
            kw = {"filters": r.randint(1, 5), "kernel_size": tuple(r.randint(1, 3) for _ in range(nd)),
                  "strides": strides, "padding": r.choice(["valid", "same"]), "use_bias": r.random() < 0.8,
                  "return_sequences": r.random() < 0.5, "return_state": r.random() < 0.4}
            if strides == 1 and r.random() < 0.5:
                kw["dilation_rate"] = tuple(r.randint(1, 2) for _ in range(nd))
            if r.random() < 0.25:
                kw["data_format"] = "channels_first"
            if i == 3:
                kw["trainable"] = False
            spatial = [r.randint(5, 8) for _ in range(nd)]
            channels = r.randint(1, 3)
            step = (channels, *spatial) if kw.get("data_format") == "channels_first" else (*spatial, channels)
            cases.append((f"ConvLSTM{nd}D", kw, [(r.choice([None, 2]), r.choice([None, 3]), *step)], i % 3 == 0))
    return cases


def _time_distributed_cases(r: random.Random) -> list:
    inner = [
        (("Dense", {"units": 8}), (None, 10, 16)), (("Dense", {"units": 3, "use_bias": False}), (2, 4, 5, 6)),
        (("Conv2D", {"filters": 4, "kernel_size": 3}), (None, 5, 8, 8, 3)),
        (("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}), (2, 3, 6, 6, 4)),
        (("BatchNormalization", {}), (None, 5, 3)),
        (("LSTM", {"units": 4}), (2, 5, 6, 3)),
        (("Flatten", {}), (None, 4, 3, 3, 2)),
        (("PReLU", {}), (2, 3, 4)),
        (("Normalization", {}), (None, 3, 7)),
        (("MaxPooling2D", {"pool_size": 2}), (None, 4, 8, 8, 3)),
        (("Dense", {"units": 2, "trainable": False}), (None, 3, 4)),
    ]
    return [("TimeDistributed", {"layer": layer}, [shape], i % 2 == 0) for i, (layer, shape) in enumerate(inner)]


def _cases() -> list:
    r = random.Random(20261205)
    return (_merge_cases(r) + _depthwise_cases(r) + _reshaping_cases(r) + _elementwise_layer_cases(r)
            + _conv_lstm_cases(r) + _time_distributed_cases(r))


def _real(name: str, kwargs: dict):
    """The Keras layer; a wrapped layer is named as Keras names it by default (paramcalc's paths assume it)."""
    kwargs = dict(kwargs)
    if name == "TimeDistributed":
        inner_name, inner_kw = kwargs.pop("layer")
        inner = getattr(keras.layers, inner_name)(**inner_kw, name=default_name(inner_name))
        return keras.layers.TimeDistributed(inner, **kwargs)
    return getattr(keras.layers, name)(**kwargs)


def _ours(name: str, kwargs: dict):
    kwargs = dict(kwargs)
    if name == "TimeDistributed":
        inner_name, inner_kw = kwargs.pop("layer")
        kwargs["layer"] = K.build(inner_name, (), dict(inner_kw))
    return K.build(name, (), kwargs)


CASES = _cases()
IDS = [f"{name}-{i:03d}" for i, (name, *_rest) in enumerate(CASES)]


def _build(layer, shapes: list, multi: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.build(shapes if multi else shapes[0])


@pytest.mark.parametrize("name, kwargs, shapes, call", CASES, ids=IDS)
def test_layer_matches_real_keras(name, kwargs, shapes, call):
    multi = name in MERGES
    spec = _ours(name, kwargs)
    layer = _real(name, kwargs)
    _build(layer, shapes, multi)
    arg = shapes if multi else shapes[0]

    count = spec.count("keras", input_shape=arg)
    trainable = sum(_numel(w) for w in layer.trainable_weights)
    non_trainable = sum(_numel(w) for w in layer.non_trainable_weights)
    assert (count.total, count.trainable, count.non_trainable) == (layer.count_params(), trainable, non_trainable)

    prefix = layer.name + "/"
    trains = {id(w) for w in layer.trainable_weights}  # a frozen layer's weights may keep trainable=True
    real = sorted((w.path.removeprefix(prefix), tuple(w.shape), id(w) in trains) for w in layer.weights)
    ours = spec.param_tensors("keras", input_shape=arg)
    assert sorted((t.name, t.shape, t.kind == "trainable") for t in ours) == real

    outputs = spec.output_shapes(*shapes)
    assert list(outputs.values()) == _as_shapes(layer.compute_output_shape(shapes if multi else shapes[0]))

    if call and all(None not in s[1:] for s in shapes):
        data = [np.zeros(_concrete(s), dtype="float32") for s in shapes]
        result = layer(data if multi else data[0])
        got = [tuple(t.shape) for t in (result if isinstance(result, (list, tuple)) else [result])]
        assert got == [_concrete(s) for s in spec.output_shapes(*[_concrete(s) for s in shapes]).values()]


# -- Inputs Keras refuses are refused here too --------------------------------------------------

REJECTED = [
    ("Add", {}, [(None, 3), (None, 4)]),
    ("Add", {}, [(2, 3), (3, 3)]),
    ("Multiply", {}, [(None, 4, 3), (None, 4)]),
    ("Subtract", {}, [(None, 3), (None, 3), (None, 3)]),
    ("Concatenate", {}, [(None, 3), (None, 3, 4)]),
    ("Concatenate", {}, [(None, 3, 4), (None, 5, 4)]),
    ("Concatenate", {"axis": 1}, [(2, 3, 4), (3, 5, 4)]),
    ("Dot", {"axes": 1}, [(None, 3), (None, 4)]),
    ("Dot", {"axes": (1, 2)}, [(None, 3, 4), (None, 5, 6)]),
    ("Dot", {"axes": 1}, [(None, None), (None, 3)]),
    ("DepthwiseConv2D", {"kernel_size": 5}, [(None, 4, 9, 3)]),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "dilation_rate": 3}, [(None, 6, 2)]),
    ("Cropping2D", {"cropping": ((2, 2), (0, 0))}, [(None, 4, 9, 3)]),
    ("Cropping1D", {"cropping": (3, 3)}, [(None, 6, 2)]),
    ("Cropping3D", {"cropping": 1}, [(None, 2, 9, 9, 3)]),
    ("Reshape", {"target_shape": (5,)}, [(None, 6)]),
    ("Reshape", {"target_shape": (-1, 4)}, [(None, 6)]),
    ("Normalization", {"axis": 2}, [(None, 3)]),
    ("Normalization", {"axis": 1}, [(None, None, 3)]),
    ("UnitNormalization", {"axis": 2}, [(None, 3)]),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 3}, [(None, 4, None, 8, 3)]),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 3}, [(None, 4, 8, None)]),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 5}, [(None, 4, 3, 2)]),
    ("LayerNormalization", {"axis": 3}, [(None, 4, 5)]),
    ("LayerNormalization", {"axis": [-1, -4]}, [(None, 4, 5)]),
]


@pytest.mark.parametrize("name, kwargs, shapes", REJECTED, ids=[f"{r[0]}-{i}" for i, r in enumerate(REJECTED)])
def test_inputs_keras_rejects(name, kwargs, shapes):
    layer = getattr(keras.layers, name)(**kwargs)
    multi = name in MERGES
    with pytest.raises((ValueError, IndexError)):  # LayerNormalization's build indexes the shape by axis
        layer.build(shapes if multi else shapes[0])
        layer.compute_output_shape(shapes if multi else shapes[0])
    spec = K.build(name, (), kwargs)
    with pytest.raises(SpecError):
        spec.output_shapes(*shapes)


def test_dot_over_the_batch_axis_is_refused_as_keras_refuses_the_call():
    layer = keras.layers.Dot(axes=0)
    with pytest.raises(ValueError, match="axis 0"):
        layer([np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")])
    with pytest.raises(SpecError, match="batch axis 0"):
        parse_layer("layers.Dot(0)").output_shape((None, 3), (None, 3))


def test_layer_normalization_over_an_axis_named_twice_is_refused_as_keras_refuses_the_call():
    # axes 1 and -2 of a 3-D input are one axis: Keras takes the arguments, and its call fails
    # ("dim 1 appears multiple times in the list of dims", on the torch backend)
    layer = keras.layers.LayerNormalization(axis=[1, -2])
    with pytest.raises(Exception, match="appears multiple times"):
        layer(np.zeros((2, 4, 5), "float32"))
    spec = K.build("LayerNormalization", (), {"axis": [1, -2]})
    for run in (lambda: spec.output_shapes((2, 4, 5)), lambda: spec.count("keras", input_shape=(2, 4, 5))):
        with pytest.raises(SpecError, match="same axis twice"):
            run()


def test_a_merge_refusal_names_both_inputs_and_shapes():
    with pytest.raises(ShapeMismatchError) as info:
        parse_layer("layers.Concatenate()").output_shape((None, 8, 8, 16), (None, 8, 8, 4), (None, 7, 8, 4))
    assert info.value.inputs == (0, 2) and info.value.shapes == ((None, 8, 8, 16), (None, 7, 8, 4))
    assert "input 0 (None, 8, 8, 16) and input 2 (None, 7, 8, 4)" in str(info.value)


# -- Arguments Keras refuses at construction are refused here too --------------------------------

ARGUMENTS_REFUSED = [
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 0}),
    ("DepthwiseConv1D", {"kernel_size": 0}),
    ("SeparableConv2D", {"filters": 0, "kernel_size": 3}),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "strides": 0}),
    ("ZeroPadding1D", {"padding": (1, 2, 3)}),
    ("ZeroPadding2D", {"padding": ((1, -1), (0, 0))}),
    ("ZeroPadding3D", {"padding": (1, 2)}),
    ("Cropping2D", {"cropping": -1}),
    ("Cropping1D", {"cropping": (1, -2)}),
    ("Cropping3D", {"cropping": ((1, 1), (1, 1))}),
    ("UpSampling1D", {"size": 0}),
    ("UpSampling2D", {"size": (2, 0)}),
    ("UpSampling3D", {"size": (2, 2)}),
    ("Reshape", {"target_shape": (-1, -1)}),
    ("Reshape", {"target_shape": (-2, 3)}),
    ("Permute", {"dims": (0, 1)}),
    ("Permute", {"dims": (1, 3)}),
    ("RepeatVector", {"n": 0}),
    ("Dot", {"axes": (1, 2, 3)}),
    ("ReLU", {"max_value": -1.0}),
    ("ReLU", {"negative_slope": -0.1}),
    ("ReLU", {"threshold": -1.0}),
    ("LeakyReLU", {"negative_slope": -0.5}),
    ("Normalization", {"mean": 0.5}),
    ("Normalization", {"mean": [1.0, 2.0], "variance": [1.0]}),
    ("Normalization", {"axis": -1, "mean": [[1.0]], "variance": [[1.0]]}),
    ("UnitNormalization", {"axis": "last"}),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}),
]


def test_bidirectional_refuses_a_backward_layer_as_keras_does():
    with pytest.raises(ValueError, match="go_backwards"):
        keras.layers.Bidirectional(keras.layers.LSTM(4, go_backwards=True))
    with pytest.raises(SpecError, match="go_backwards"):
        parse_layer("layers.Bidirectional(layers.LSTM(4, go_backwards=True))")
    assert parse_layer("layers.Bidirectional(layers.LSTM(4))").count("keras", input_shape=(None, 5, 3)).total == 2 * (
        4 * (4 * 3 + 4 * 4 + 4))  # two LSTMs of 4 units on 3 features: 2·4·(12 + 16 + 4) = 256


@pytest.mark.parametrize("name, kwargs", ARGUMENTS_REFUSED, ids=[f"{a[0]}-{i}" for i, a in enumerate(ARGUMENTS_REFUSED)])
def test_arguments_keras_refuses(name, kwargs):
    with pytest.raises((ValueError, TypeError)):
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(SpecError):
        K.build(name, (), dict(kwargs))


# -- Keras 2 code: input_dim, input_length and input_shape on a layer --------------------------------


def test_keras2_recurrent_input_dim_counts_as_keras_counts_the_shape_it_means():
    """Keras 2's LSTM(32, input_dim=3, input_length=10) is an LSTM on 10 steps of 3 features; Keras 3
    refuses input_length and would read input_dim=3 as a 1-D input, so the shape is built explicitly."""
    with pytest.raises((TypeError, ValueError)):
        keras.layers.LSTM(32, input_length=10)
    real = keras.Sequential([keras.Input((10, 3)), keras.layers.LSTM(32)])
    spec = parse_layer("LSTM(32, input_dim=3, input_length=10)")
    assert spec.input_shape == (10, 3) and spec.count("keras").total == real.count_params() == 4_608
    assert spec.output_shape() == tuple(real.layers[-1].output.shape) == (None, 32)
    assert "Keras 3 dropped" in spec.legacy_notes[0] and "keras.Input(shape=(10, 3))" in spec.legacy_notes[0]
    spec = parse_layer("layers.GRU(8, input_dim=5)")
    real = keras.Sequential([keras.Input((None, 5)), keras.layers.GRU(8)])
    assert spec.count("keras").total == real.count_params()


def test_keras2_input_dim_and_input_shape_on_other_layers_are_what_keras3_reads():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = keras.Sequential([keras.layers.Dense(64, input_dim=784)])
        conv = keras.Sequential([keras.layers.Conv2D(8, 3, input_shape=(28, 28, 1))])
    dense = parse_layer("Dense(64, input_dim=784)")
    assert dense.count("keras").total == real.count_params() == 50_240
    assert dense.output_shape() == tuple(real.layers[-1].output.shape)
    assert "Keras 3 still reads it" in dense.legacy_notes[0]
    spec = parse_layer("layers.Conv2D(8, 3, input_shape=(28, 28, 1))")
    assert spec.count("keras").total == conv.count_params() and spec.output_shape() == tuple(conv.layers[-1].output.shape)
    assert "Keras 3 accepts it with a warning" in spec.legacy_notes[0]
    assert parse_layer("layers.Conv2D(8, 3)").legacy_notes == ()


def test_keras2_embedding_input_length_is_the_sequence_length():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = keras.layers.Embedding(5000, 100, input_length=30)  # Keras 3: deprecated and ignored
    real = keras.Sequential([keras.Input((30,)), layer])
    spec = parse_layer("Embedding(5000, 100, input_length=30)")
    assert spec.count("keras").total == real.count_params() == 500_000
    assert spec.output_shape() == tuple(real.layers[-1].output.shape) == (None, 30, 100)
    assert "Keras 3 ignores (deprecated)" in spec.legacy_notes[0]
