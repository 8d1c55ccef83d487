"""Cross-check: the keras convention equals real Keras 3 (torch backend), layer by layer.

For sampled configurations of every Keras layer spec: total, trainable and non-trainable counts
(``count_params()`` and the weight lists), weight names (paths without the layer's name) and
shapes, and output shapes (``compute_output_shape``, and a call on zeros for part of the sample).
Then PyTorch specs counted with convention="keras" against the Keras layers that do the same job.
The sample is drawn once from a fixed seed, so every run checks the same cases.
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
from paramcalc import specs as S  # noqa: E402
from paramcalc.errors import SpecError  # noqa: E402

pytestmark = pytest.mark.crosscheck

rng = random.Random(20240917)


_MIDDLE_MAY_BE_UNKNOWN = ("Dense", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Flatten", "Dropout", "Activation")


def _declare(name: str, kwargs: dict, shape: tuple, r: random.Random) -> tuple:
    """The shape as given to paramcalc and to Keras: the batch, and sizes the weights do not need, maybe None."""
    dims = list(shape)
    if r.random() < 0.5:
        dims[0] = None
    if name in _MIDDLE_MAY_BE_UNKNOWN or name == "Embedding" or name.startswith(("Conv", "MaxP", "AverageP", "Global")):
        channels_first = kwargs.get("data_format") == "channels_first"
        if name == "Embedding":
            free = range(1, len(dims))
        elif channels_first:
            free = range(2, len(dims))
        else:
            free = range(1, len(dims) - 1)
        for i in free:
            if r.random() < 0.2:
                dims[i] = None
    return tuple(dims)


# -- Sampled Keras configurations: (name, kwargs, input shapes, call on zeros?) ----------------


def _conv_cases(n_per: int) -> list:
    cases = []
    for name, nd in (("Conv1D", 1), ("Conv2D", 2), ("Conv3D", 3)):
        for i in range(n_per):
            groups = rng.choice([1, 1, 2, 3])
            channels = groups * rng.randint(1, 4)
            filters = groups * rng.randint(1, 4)
            kernel = tuple(rng.randint(1, 4) for _ in range(nd)) if rng.random() < 0.5 else rng.randint(1, 4)
            strides = 1 if rng.random() < 0.4 else tuple(rng.randint(1, 3) for _ in range(nd))
            dilation = 1
            if strides == 1 and rng.random() < 0.5:
                dilation = tuple(rng.randint(1, 3) for _ in range(nd))
            paddings = ["valid", "same", "causal"] if nd == 1 else ["valid", "same"]
            kw = {"filters": filters, "kernel_size": kernel, "strides": strides, "padding": rng.choice(paddings),
                  "dilation_rate": dilation, "groups": groups, "use_bias": rng.random() < 0.8}
            if rng.random() < 0.2 and nd > 1:
                kw["data_format"] = "channels_first"
            spatial = tuple(rng.randint(9, 14) for _ in range(nd))
            shape = (2, channels, *spatial) if kw.get("data_format") == "channels_first" else (2, *spatial, channels)
            cases.append((name, kw, [shape], i % 4 == 0))
    return cases


def _conv_transpose_cases(n_per: int) -> list:
    cases = []
    for name, nd in (("Conv1DTranspose", 1), ("Conv2DTranspose", 2), ("Conv3DTranspose", 3)):
        for i in range(n_per):
            strides = tuple(rng.randint(1, 3) for _ in range(nd))
            dilation = 1 if max(strides) > 1 else tuple(rng.randint(1, 2) for _ in range(nd))
            kw = {"filters": rng.randint(1, 6), "kernel_size": tuple(rng.randint(1, 4) for _ in range(nd)),
                  "strides": strides, "padding": rng.choice(["valid", "same"]), "dilation_rate": dilation,
                  "use_bias": rng.random() < 0.8}
            if rng.random() < 0.4:
                kw["output_padding"] = tuple(rng.randint(0, s - 1) for s in strides)
            spatial = tuple(rng.randint(3, 7) for _ in range(nd))
            cases.append((name, kw, [(2, *spatial, rng.randint(1, 5))], i % 3 == 0))
    return cases


def _pool_cases(n_per: int) -> list:
    cases = []
    for kind in ("MaxPooling", "AveragePooling"):
        for nd in (1, 2, 3):
            for i in range(n_per):
                kw = {"pool_size": tuple(rng.randint(1, 3) for _ in range(nd)), "padding": rng.choice(["valid", "same"])}
                if rng.random() < 0.6:
                    kw["strides"] = tuple(rng.randint(1, 3) for _ in range(nd))
                if rng.random() < 0.25:
                    kw["data_format"] = "channels_first"
                spatial = tuple(rng.randint(4, 9) for _ in range(nd))
                shape = (2, 3, *spatial) if kw.get("data_format") == "channels_first" else (2, *spatial, 3)
                cases.append((f"{kind}{nd}D", kw, [shape], i == 0))
    return cases


def _recurrent_kwargs(name: str) -> dict:
    kw = {"units": rng.randint(1, 9), "use_bias": rng.random() < 0.8,
          "return_sequences": rng.random() < 0.5, "return_state": rng.random() < 0.3}
    if name == "GRU":
        kw["reset_after"] = rng.random() < 0.6
    return kw


def _groupnorm_cases(n: int) -> list:
    """GroupNormalization over any axis, groups dividing its size (-1: one group per channel); own seed."""
    r = random.Random(20250611)
    cases = []
    affine = [(True, True), (False, True), (True, False), (True, True), (False, False)]
    for i in range(n):
        rank = r.randint(2, 5)
        axis = r.randrange(1, rank) if i % 3 == 1 else -1
        groups = r.choice([1, 2, 3, 4, -1])
        dims = [2, *(r.randint(1, 5) for _ in range(rank - 1))]
        dims[axis] = r.randint(1, 8) if groups == -1 else groups * r.randint(1, 3)
        center, scale = affine[i % len(affine)]
        kw = {"groups": groups, "axis": axis, "center": center, "scale": scale}
        if i == 3:
            kw["trainable"] = False
        cases.append(("GroupNormalization", kw, [tuple(dims)], i % 2 == 0))
    return cases


def _cases() -> list:
    cases = []
    for i in range(10):
        rank = rng.randint(2, 4)
        shape = (2, *(rng.randint(1, 5) for _ in range(rank - 2)), rng.randint(1, 20))
        kw = {"units": rng.randint(1, 30), "use_bias": rng.random() < 0.8}
        if i == 3:
            kw["trainable"] = False
        cases.append(("Dense", kw, [shape], i % 3 == 0))
    cases += _conv_cases(20)
    cases += _conv_transpose_cases(10)
    cases += _pool_cases(3)
    for nd in (1, 2, 3):
        for keepdims in (False, True):
            fmt = rng.choice(["channels_last", "channels_first"])
            cases.append((f"GlobalAveragePooling{nd}D", {"keepdims": keepdims, "data_format": fmt},
                          [(2, *(rng.randint(2, 5) for _ in range(nd)), 4)], keepdims))
    for i in range(8):
        rank = rng.randint(2, 5)
        shape = (2, *(rng.randint(1, 6) for _ in range(rank - 1)))
        kw = {"axis": rng.randrange(-rank + 1, rank) or -1, "center": rng.random() < 0.7, "scale": rng.random() < 0.7}
        if i == 5:
            kw["trainable"] = False
        cases.append(("BatchNormalization", kw, [shape], i % 4 == 0))
    for i in range(8):
        rank = rng.randint(2, 4)
        shape = (2, *(rng.randint(1, 6) for _ in range(rank - 1)))
        axes = sorted(rng.sample(range(1, rank), rng.randint(1, rank - 1)))
        axis = axes[0] if len(axes) == 1 and rng.random() < 0.5 else axes
        # Keras's torch backend can only run LayerNormalization over trailing axes (it builds any)
        trailing = axes == list(range(rank - len(axes), rank))
        cases.append(("LayerNormalization", {"axis": axis, "center": rng.random() < 0.7, "scale": rng.random() < 0.7},
                      [shape], trailing and i % 2 == 0))
    for i in range(4):
        rank = rng.randint(2, 4)
        shape = (2, *(rng.randint(1, 6) for _ in range(rank - 1)))
        axes = list(range(rank - rng.randint(1, rank - 1), rank))
        cases.append(("RMSNormalization", {"axis": axes[0] if len(axes) == 1 else axes}, [shape], i % 2 == 0))
    for i in range(6):
        kv = rng.randint(1, 3)
        kw = {"head_dim": rng.randint(1, 6), "num_query_heads": kv * rng.randint(1, 3), "num_key_value_heads": kv,
              "use_bias": rng.random() < 0.7}
        q = (2, rng.randint(1, 6), rng.randint(1, 12))
        v = (2, rng.randint(1, 6), q[-1])
        k = (2, v[1], rng.randint(1, 12))
        cases.append(("GroupQueryAttention", kw, [q] if i % 3 == 0 else [q, v] if i % 3 == 1 else [q, v, k], i % 2 == 0))
    for i in range(4):
        shape = (2, *(rng.randint(1, 6) for _ in range(rng.randint(1, 2))))
        cases.append(("Embedding", {"input_dim": rng.randint(1, 500), "output_dim": rng.randint(1, 32)}, [shape], i == 0))
    for name in ("SimpleRNN", "LSTM", "GRU"):
        for i in range(10):
            cases.append((name, _recurrent_kwargs(name), [(2, rng.randint(1, 6), rng.randint(1, 12))], i % 3 == 0))
    for i in range(14):
        inner = rng.choice(["SimpleRNN", "LSTM", "GRU"])
        kw = {"layer": (inner, _recurrent_kwargs(inner)), "merge_mode": rng.choice(["concat", "sum", "mul", "ave", None])}
        cases.append(("Bidirectional", kw, [(2, rng.randint(1, 6), rng.randint(1, 12))], i % 3 == 0))
    for i in range(12):
        heads = rng.randint(1, 4)
        kw = {"num_heads": heads, "key_dim": rng.randint(1, 8), "use_bias": rng.random() < 0.8}
        if rng.random() < 0.4:
            kw["value_dim"] = rng.randint(1, 8)
        if rng.random() < 0.3:
            kw["output_shape"] = rng.choice([rng.randint(1, 9), (rng.randint(1, 4), rng.randint(1, 4))])
        q = (2, rng.randint(1, 6), rng.randint(1, 16))
        v = (2, rng.randint(1, 6), rng.randint(1, 16))
        k = (2, v[1], rng.randint(1, 16))
        shapes = [q] if i % 4 == 0 else [q, v] if i % 4 == 1 else [q, v, k]
        cases.append(("MultiHeadAttention", kw, shapes, i % 2 == 0))
    cases += [
        ("Flatten", {}, [(2, 3, 4, 5)], True),
        ("Flatten", {"data_format": "channels_first"}, [(2, 3, 4)], False),
        ("Flatten", {}, [(2,)], False),
        ("Dropout", {"rate": 0.3}, [(2, 7)], True),
        ("Dropout", {"rate": 0.0, "noise_shape": (None, 1)}, [(2, 7)], False),
        ("Activation", {"activation": "relu"}, [(2, 3, 4)], True),
        ("Activation", {"activation": "softmax"}, [(2, 5)], False),
    ]
    cases += _groupnorm_cases(12)
    declared = random.Random(7)
    return [
        (name, kw, shapes, shapes if call or name.endswith("Attention") else [_declare(name, kw, s, declared) for s in shapes], call)
        for name, kw, shapes, call in cases
    ]


CASES = _cases()
IDS = [f"{name}-{i:03d}" for i, (name, *_rest) in enumerate(CASES)]


def _real(name: str, kwargs: dict):
    kwargs = dict(kwargs)
    if name == "Bidirectional":
        inner_name, inner_kw = kwargs.pop("layer")
        inner = getattr(keras.layers, inner_name)(**inner_kw, name=K.KERAS_LAYERS[inner_name].layer_name)
        return keras.layers.Bidirectional(inner, **kwargs)
    return getattr(keras.layers, name)(**kwargs)


def _ours(name: str, kwargs: dict):
    kwargs = dict(kwargs)
    if name == "Bidirectional":
        inner_name, inner_kw = kwargs.pop("layer")
        kwargs["layer"] = K.build(inner_name, (), inner_kw)
    return K.build(name, (), kwargs)


def _as_shapes(result) -> list[tuple]:
    """Keras's compute_output_shape result as a list of tuples."""
    if isinstance(result, (tuple, list)) and result and isinstance(result[0], (tuple, list)):
        return [tuple(s) for s in result]
    return [tuple(result)]


def _numel(w) -> int:
    return prod(tuple(w.shape))


@pytest.mark.parametrize("name, kwargs, shapes, declared, call", CASES, ids=IDS)
def test_keras_layer_matches_real_keras(name, kwargs, shapes, declared, call):
    spec = _ours(name, kwargs)
    layer = _real(name, kwargs)
    # Keras's attention layers are always given a value; paramcalc takes one shape as self-attention
    attention = name.endswith("Attention")
    keras_shapes = declared * 2 if attention and len(declared) == 1 else declared
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.build(*keras_shapes) if attention else layer.build(keras_shapes[0])

    count = spec.count("keras", input_shape=declared if len(declared) > 1 else declared[0])
    trainable = sum(_numel(w) for w in layer.trainable_weights)
    non_trainable = sum(_numel(w) for w in layer.non_trainable_weights)
    assert (count.total, count.trainable, count.non_trainable) == (layer.count_params(), trainable, non_trainable)

    prefix = layer.name + "/"
    real_weights = sorted((w.path.removeprefix(prefix), tuple(w.shape), bool(w.trainable)) for w in layer.weights)
    ours = spec.param_tensors("keras", input_shape=declared if len(declared) > 1 else declared[0])
    assert sorted((t.name, t.shape, t.kind == "trainable") for t in ours) == real_weights
    assert sum(t.numel for t in ours) == count.total  # enumeration and formula agree

    outputs = spec.output_shapes(*declared)
    expected = _as_shapes(layer.compute_output_shape(*keras_shapes))
    ours_main = [s for k, s in outputs.items() if k != "attention_scores"]
    assert ours_main == expected

    if call:
        warnings.filterwarnings("ignore", message="You are using a softmax over axis")
        data = [np.zeros(s, dtype="int32" if name == "Embedding" else "float32") for s in keras_shapes]
        if attention:
            result = layer(*data, return_attention_scores=True)
            got = [tuple(t.shape) for t in result]
            want = [outputs["output"], outputs["attention_scores"]]
        else:
            result = layer(data[0])
            got = [tuple(t.shape) for t in (result if isinstance(result, (list, tuple)) else [result])]
            want = list(outputs.values())
        assert got == want


# -- Shapes Keras rejects are rejected here too ------------------------------------------------

REJECTED = [
    ("Conv2D", {"filters": 4, "kernel_size": 5}, (None, 3, 3, 2)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "dilation_rate": 3}, (None, 6, 2)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}, (None, 8, 8, 3)),
    ("MaxPooling2D", {"pool_size": 4}, (None, 3, 9, 1)),
    ("AveragePooling1D", {"pool_size": 5, "strides": 2}, (None, 4, 2)),
    ("GroupNormalization", {"groups": 3}, (None, 10, 8)),
    ("GroupNormalization", {"groups": 16}, (None, 10, 8)),
    ("GroupNormalization", {"groups": 4}, (None, 10, None)),
]


@pytest.mark.parametrize("name, kwargs, shape", REJECTED, ids=[f"{r[0]}-{i}" for i, r in enumerate(REJECTED)])
def test_shapes_keras_rejects(name, kwargs, shape):
    layer = getattr(keras.layers, name)(**kwargs)
    with pytest.raises(ValueError):
        layer.build(shape)
        layer.compute_output_shape(shape)
    with pytest.raises(SpecError):
        spec = K.build(name, (), kwargs)
        spec.count("keras", input_shape=shape)
        spec.output_shape(shape)


# -- Keras GroupNormalization counted as torch.nn.GroupNorm ---------------------------------------

GROUPNORM_AS_TORCH = [
    ("GroupNormalization(8)", (None, 32, 32, 64)), ("GroupNormalization(-1, epsilon=1e-5)", (2, 7, 12)),
    ("GroupNormalization(2, axis=1)", (None, 6, 5)), ("GroupNormalization(4, center=False, scale=False)", (None, 8)),
]


@pytest.mark.skipif("GroupNorm" not in S.TORCH_LAYERS, reason="torch.nn.GroupNorm has no spec here yet")
@pytest.mark.parametrize("expr, shape", GROUPNORM_AS_TORCH, ids=[g[0] for g in GROUPNORM_AS_TORCH])
def test_groupnormalization_counts_as_torch_groupnorm(expr, shape):
    torch = require("torch")
    spec = parse_layer(expr)
    channels = shape[spec.axis]
    groups = channels if spec.groups == -1 else spec.groups
    module = torch.nn.GroupNorm(groups, channels, eps=spec.epsilon, affine=spec.scale)
    count = spec.count("pytorch", input_shape=shape)
    assert (count.total, count.buffers) == (sum(p.numel() for p in module.parameters()), 0)
    ours = [(t.name, t.shape) for t in spec.param_tensors("pytorch", input_shape=shape)]
    assert ours == [(name, tuple(p.shape)) for name, p in module.named_parameters()]


# -- PyTorch specs counted as their Keras equivalents ------------------------------------------


def _keras_recurrent_stack(cls: str, hidden: int, num_layers: int, bidirectional: bool, bias: bool, extra: dict):
    blocks = []
    for i in range(num_layers):
        suffix = "" if i == 0 else f"_{i}"
        inner = getattr(keras.layers, cls)(
            hidden, use_bias=bias, return_sequences=i < num_layers - 1, name=f"{K.KERAS_LAYERS[cls].layer_name}{suffix}",
            **extra,
        )
        blocks.append(keras.layers.Bidirectional(inner, name=f"bidirectional{suffix}") if bidirectional else inner)
    return blocks


TORCH_CASES = [
    "Linear(20, 7)", "Linear(5, 3, bias=False)",
    "Conv1d(4, 6, 3, groups=2)", "Conv2d(3, 8, (3, 5), stride=2, padding=1)", "Conv3d(2, 4, 2, bias=False)",
    "ConvTranspose2d(4, 6, 3, stride=2)", "ConvTranspose1d(3, 5, 4, bias=False)",
    "BatchNorm1d(7)", "BatchNorm2d(16, affine=False)", "BatchNorm3d(5)", "BatchNorm2d(16, bias=False)",
    "BatchNorm1d(6, affine=False, bias=False)",
    "LayerNorm(12)", "LayerNorm((3, 4))", "LayerNorm(8, bias=False)", "LayerNorm(8, elementwise_affine=False)",
    "nn.Embedding(100, 16)",
    "RNN(10, 20)", "RNN(10, 20, nonlinearity='relu', num_layers=3)", "RNN(6, 5, bias=False, bidirectional=True)",
    "LSTM(100, 128)", "LSTM(100, 128, num_layers=2, bidirectional=True)", "LSTM(8, 4, num_layers=3)",
    "GRU(12, 6)", "GRU(12, 6, num_layers=2, bidirectional=True, bias=False)",
    "MultiheadAttention(16, 4)", "MultiheadAttention(12, 3, kdim=5, vdim=7, bias=False)",
    "TransformerEncoderLayer(32, 4, dim_feedforward=64)", "TransformerEncoderLayer(16, 2, 32, bias=False)",
    "TransformerDecoderLayer(24, 3, dim_feedforward=48)", "TransformerDecoderLayer(8, 2, 16, bias=False)",
    "TransformerEncoder(TransformerEncoderLayer(16, 4, 32), num_layers=2, norm=LayerNorm(16))",
    "TransformerEncoder(TransformerEncoderLayer(8, 2, 16, bias=False), num_layers=3)",
    "TransformerEncoder(TransformerEncoderLayer(8, 2, 16), num_layers=1, norm=LayerNorm(8, bias=False))",
    "RMSNorm(16)", "RMSNorm((3, 4), eps=1e-5)",
    "SelfAttention(16, 4)", "SelfAttention(24, 6, num_kv_heads=2, bias=False)", "SelfAttention(12, 2, head_dim=5)",
    "CausalSelfAttention(16, 4)", "FeedForward(8, 32)", "FeedForward(8, 32, out_features=5, bias=False)",
    "SwiGLU(8, 24)", "DecoderBlock(16, 4)", "DecoderBlock(16, 4, style='llama', num_kv_heads=2)",
    "PatchEmbedding(3, 16, 4, 16)", "PatchEmbedding(1, 8, (2, 4), (6, 8), class_token=False)",
    "TransformerDecoder(TransformerDecoderLayer(16, 2, 8), 2, norm=LayerNorm(16))",
    "Transformer(d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=8)",
]


def _real_equivalent(spec) -> tuple[int, int, list[tuple[str, tuple]] | None]:
    """(trainable, non-trainable, weight paths or None) of Keras layers built by hand for a torch spec."""
    L = keras.layers
    name = spec.type

    def built(layer, *shapes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer.build(*shapes)
        return layer

    def summed(layers):
        tr = sum(_numel(w) for lay in layers for w in lay.trainable_weights)
        ntr = sum(_numel(w) for lay in layers for w in lay.non_trainable_weights)
        return tr, ntr

    def weights(layer, prefix=""):
        return [(prefix + w.path.removeprefix(layer.name + "/"), tuple(w.shape)) for w in layer.weights]

    if name == "Linear":
        layer = built(L.Dense(spec.out_features, use_bias=spec.bias), (None, spec.in_features))
    elif name.startswith("ConvTranspose"):
        cls = getattr(L, f"Conv{spec.nd}DTranspose")
        layer = built(cls(spec.out_channels, spec.kernel_size, use_bias=spec.bias), (None, *[9] * spec.nd, spec.in_channels))
    elif name.startswith("Conv"):
        cls = getattr(L, f"Conv{spec.nd}D")
        layer = built(cls(spec.out_channels, spec.kernel_size, groups=spec.groups, use_bias=spec.bias),
                      (None, *[9] * spec.nd, spec.in_channels))
    elif name.startswith("BatchNorm"):
        layer = built(L.BatchNormalization(center=spec.affine and spec.bias, scale=spec.affine), (None, spec.num_features))
    elif name == "LayerNorm":
        n = len(spec.normalized_shape)
        affine = spec.elementwise_affine
        layer = built(L.LayerNormalization(axis=list(range(-n, 0)), scale=affine, center=affine and spec.bias),
                      (None, *spec.normalized_shape))
    elif name == "Embedding":
        layer = built(L.Embedding(spec.num_embeddings, spec.embedding_dim), (None, 3))
    elif name in ("RNN", "LSTM", "GRU"):
        cls = {"RNN": "SimpleRNN", "LSTM": "LSTM", "GRU": "GRU"}[name]
        extra = {"activation": "relu"} if name == "RNN" and spec.nonlinearity == "relu" else {}
        blocks = _keras_recurrent_stack(cls, spec.hidden_size, spec.num_layers, spec.bidirectional, spec.bias, extra)
        model = keras.Sequential([keras.Input((None, spec.input_size)), *blocks])
        paths = [(w.path.removeprefix(model.name + "/"), tuple(w.shape)) for w in model.weights]
        if spec.num_layers == 1:
            paths = [(p.split("/", 1)[1], s) for p, s in paths]
        return (*summed([model]), paths)
    elif name == "MultiheadAttention":
        e, h = spec.embed_dim, spec.num_heads
        layer = built(L.MultiHeadAttention(h, e // h, use_bias=spec.bias),
                      (None, 4, e), (None, 5, spec.vdim or e), (None, 5, spec.kdim or e))
    elif name in _BLOCK_BUILDERS:
        parts = _BLOCK_BUILDERS[name](spec, built)
        if len(parts) == 1:
            return (*summed(parts), weights(parts[0]))
        return (*summed(parts), None)
    else:  # torch's transformer layers as keras_hub's TransformerEncoder / Decoder name their sublayers
        stack = name == "TransformerEncoder"
        layer_spec = spec.encoder_layer if stack else spec
        copies = spec.num_layers if stack else 1
        parts, paths = [], []
        for i in range(copies):
            prefix = f"transformer_encoder{'' if i == 0 else f'_{i}'}/" if stack else ""
            for part in _keras_transformer_layer(layer_spec, built):
                parts.append(part)
                paths += weights(part, f"{prefix}{part.name}/")
        if stack and spec.norm is not None:
            norm = spec.norm
            affine = norm.elementwise_affine
            final = built(L.LayerNormalization(center=affine and norm.bias, scale=affine, name="layer_normalization"),
                          (None, 4, layer_spec.d_model))
            parts.append(final)
            paths += weights(final, "layer_normalization/")
        return (*summed(parts), paths)
    return (*summed([layer]), weights(layer))


def _keras_transformer_layer(layer, built):
    """The sublayers of keras_hub's TransformerEncoder (or TransformerDecoder) for a torch layer,
    built under the names keras_hub gives them (its transformer_encoder.py / transformer_decoder.py)."""
    L = keras.layers
    d, h, ff, b = layer.d_model, layer.nhead, layer.dim_feedforward, layer.bias

    def attention(name):
        return built(L.MultiHeadAttention(h, d // h, use_bias=b, name=name), (None, 4, d), (None, 4, d))

    def norm(name):
        return built(L.LayerNormalization(center=b, name=name), (None, 4, d))

    dense = [built(L.Dense(ff, use_bias=b, name="feedforward_intermediate_dense"), (None, 4, d)),
             built(L.Dense(d, use_bias=b, name="feedforward_output_dense"), (None, 4, ff))]
    if "Decoder" in layer.type:
        return [attention("self_attention"), norm("self_attention_layer_norm"), attention("cross_attention"),
                norm("cross_attention_layer_norm"), *dense, norm("feedforward_layer_norm")]
    return [attention("self_attention_layer"), norm("self_attention_layer_norm"), norm("feedforward_layer_norm"), *dense]


def _attention(h, kv, head, d, bias, built):
    L = keras.layers
    if kv == h:
        return built(L.MultiHeadAttention(h, head, use_bias=bias), (None, 4, d), (None, 4, d))
    return built(L.GroupQueryAttention(head, h, kv, use_bias=bias), (None, 4, d), (None, 4, d))


def _mlp(n_in, hidden, n_out, bias, gated, built):
    L = keras.layers
    parts = [built(L.Dense(hidden, use_bias=bias), (None, n_in)), built(L.Dense(n_out, use_bias=bias), (None, hidden))]
    return parts + ([built(L.Dense(hidden, use_bias=bias), (None, n_in))] if gated else [])


def _decoder_layers(layer, n, built):
    L = keras.layers
    d, h, ff, b = layer.d_model, layer.nhead, layer.dim_feedforward, layer.bias
    out = []
    for _ in range(n):
        out += [_attention(h, h, d // h, d, b, built) for _ in range(2)]
        out += [built(L.LayerNormalization(center=b), (None, d)) for _ in range(3)]
        out += _mlp(d, ff, d, b, False, built)
    return out


def _encoder_layers(layer, n, built):
    L = keras.layers
    d, h, ff, b = layer.d_model, layer.nhead, layer.dim_feedforward, layer.bias
    out = []
    for _ in range(n):
        out += [_attention(h, h, d // h, d, b, built)]
        out += [built(L.LayerNormalization(center=b), (None, d)) for _ in range(2)]
        out += _mlp(d, ff, d, b, False, built)
    return out


def _patches(spec, built):
    L = keras.layers

    class ClassToken(L.Layer):  # keras_hub's ViT adds its class token with add_weight
        def build(self, shape):
            self.class_token = self.add_weight(shape=(1, 1, spec.embed_dim), name="class_token")

    e = spec.embed_dim
    tokens = prod(n // p for n, p in zip(spec.image_size, spec.patch_size)) + int(spec.class_token)
    parts = [built(L.Conv2D(e, spec.patch_size, strides=spec.patch_size, use_bias=spec.bias),
                   (None, *spec.image_size, spec.in_channels))]
    if spec.class_token:
        parts.append(built(ClassToken(), (None, e)))
    if spec.position_embedding:
        parts.append(built(L.Embedding(tokens, e), (None, tokens)))
    return parts


_BLOCK_BUILDERS = {
    "RMSNorm": lambda s, built: [built(keras.layers.RMSNormalization(axis=list(range(-len(s.normalized_shape), 0))),
                                       (None, *s.normalized_shape))],
    "SelfAttention": lambda s, built: [_attention(s.num_heads, s.kv_heads, s.head_size, s.embed_dim, s.bias, built)],
    "CausalSelfAttention": lambda s, built: [_attention(s.num_heads, s.num_heads, s.embed_dim // s.num_heads,
                                                        s.embed_dim, s.bias, built)],
    "FeedForward": lambda s, built: _mlp(s.in_features, s.hidden_features, s.outputs, s.bias, False, built),
    "SwiGLU": lambda s, built: _mlp(s.in_features, s.hidden_features, s.outputs, s.bias, True, built),
    "DecoderBlock": lambda s, built: (
        [built(keras.layers.LayerNormalization() if s.style == "gpt2" else keras.layers.RMSNormalization(),
               (None, s.d_model)) for _ in range(2)]
        + [_attention(s.nhead, s.num_kv_heads or s.nhead, s.d_model // s.nhead, s.d_model, s.bias, built)]
        + _mlp(s.d_model, s.dim_feedforward, s.d_model, s.bias, s.style == "llama", built)
    ),
    "PatchEmbedding": _patches,
    "TransformerDecoder": lambda s, built: (
        _decoder_layers(s.decoder_layer, s.num_layers, built)
        + [built(keras.layers.LayerNormalization(center=s.norm.bias), (None, s.decoder_layer.d_model))]
    ),
    "Transformer": lambda s, built: (
        _encoder_layers(S.TransformerEncoderLayer(s.d_model, s.nhead, s.dim_feedforward, bias=s.bias), s.num_encoder_layers, built)
        + _decoder_layers(S.TransformerDecoderLayer(s.d_model, s.nhead, s.dim_feedforward, bias=s.bias), s.num_decoder_layers, built)
        + [built(keras.layers.LayerNormalization(center=s.bias), (None, s.d_model)) for _ in range(2)]
    ),
}


@pytest.mark.parametrize("expr", TORCH_CASES)
def test_torch_spec_in_keras_convention_matches_keras(expr):
    spec = parse_layer(expr)
    trainable, non_trainable, paths = _real_equivalent(spec)
    count = spec.count("keras")
    assert (count.trainable, count.non_trainable) == (trainable, non_trainable)
    if paths is not None:
        assert sorted((t.name, t.shape) for t in spec.param_tensors("keras")) == sorted(paths)


@pytest.mark.parametrize(("center", "scale"), [(True, True), (False, True), (False, False)])
def test_keras_batchnorm_in_pytorch_convention_matches_torch(center, scale):
    """Keras BatchNormalization(center, scale) counted as torch.nn.BatchNorm2d(C, affine=scale,
    bias=center): real torch's parameters are real Keras's trainable weights (gamma is weight, beta
    is bias), and paramcalc's pytorch count and tensors are torch's."""
    torch = require("torch")
    c, shape = 6, (None, 5, 5, 6)
    layer = keras.layers.BatchNormalization(center=center, scale=scale)
    layer.build(shape)
    module = torch.nn.BatchNorm2d(c, affine=scale, bias=center)
    params = sum(p.numel() for p in module.parameters())
    assert params == sum(_numel(w) for w in layer.trainable_weights)
    spec = parse_layer(f"layers.BatchNormalization(center={center}, scale={scale})")
    count = spec.count("pytorch", input_shape=shape)
    assert (count.trainable, count.buffers) == (params, sum(b.numel() for b in module.buffers()))
    assert [(t.name, t.shape) for t in spec.param_tensors("pytorch", input_shape=shape)] == [
        (name, tuple(value.shape)) for name, value in module.state_dict().items()
    ]


def test_course_example_embedding_simple_rnn_dense():
    """Notes 002: Keras Embedding(5000, 100) -> SimpleRNN(128) -> Dense(1) has 529,441 parameters."""
    model = keras.Sequential([
        keras.Input((30,)), keras.layers.Embedding(5000, 100), keras.layers.SimpleRNN(128), keras.layers.Dense(1),
    ])
    ours = (
        parse_layer("layers.Embedding(5000, 100)").count("keras").total
        + parse_layer("SimpleRNN(128)").count("keras", input_shape=(None, 30, 100)).total
        + parse_layer("Dense(1)").count("keras", input_shape=(None, 128)).total
    )
    assert ours == model.count_params() == 529_441
