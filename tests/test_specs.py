"""Specs and parse_layer: dicts and expressions, torch's positional order, qualifiers, messages that
name the argument and the rule, hostile expressions that are never evaluated, and inferred sizes."""

from __future__ import annotations

import ast
import builtins
import inspect
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import strategies as S
from paramcalc import SpecError, formulas, parse_layer
from paramcalc.specs import TORCH_LAYERS, LayerSpec

FAMILIES = sorted(S.FAMILIES)


def expression(layer: dict[str, Any]) -> str:
    """A constructor expression for a layer mapping (nested layers as nested calls)."""
    args = []
    for key, value in layer.items():
        if key == "type":
            continue
        text = expression(value) if isinstance(value, dict) else repr(value)
        args.append(f"{key}={text}")
    return f"nn.{layer['type']}({', '.join(args)})"


# -- Dicts, expressions and positional arguments ---------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_dict_and_expression_give_the_same_spec(family: str, data: Any) -> None:
    case = data.draw(S.valid_cases(family), label="case")
    spec = parse_layer(case.layer())
    assert parse_layer(expression(case.layer())) == spec
    assert parse_layer(f"torch.{expression(case.layer())}") == spec
    assert parse_layer(spec.spec_dict()) == spec
    assert parse_layer(spec) is spec


#: torch.nn's positional order for each constructor (from its signature and documentation).
TORCH_ORDER: dict[str, list[str]] = {
    "Linear": ["in_features", "out_features", "bias"],
    **{f"Conv{n}d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                     "bias", "padding_mode"] for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
                              "groups", "bias", "dilation", "padding_mode"] for n in (1, 2, 3)},
    **{f"MaxPool{n}d": ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"]
       for n in (1, 2, 3)},
    "AvgPool1d": ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"],
    **{f"AvgPool{n}d": ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"]
       for n in (2, 3)},
    **{f"AdaptiveAvgPool{n}d": ["output_size"] for n in (1, 2, 3)},
    **{f"BatchNorm{n}d": ["num_features", "eps", "momentum", "affine", "track_running_stats"] for n in (1, 2, 3)},
    "LocalResponseNorm": ["size", "alpha", "beta", "k"],
    "Upsample": ["size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"],
    "UpsamplingNearest2d": ["size", "scale_factor"],
    "UpsamplingBilinear2d": ["size", "scale_factor"],
    # torch's _weight comes after sparse: include_last_offset and padding_idx are given by name
    "EmbeddingBag": ["num_embeddings", "embedding_dim", "max_norm", "norm_type", "scale_grad_by_freq", "mode", "sparse"],
    **{f"InstanceNorm{n}d": ["num_features", "eps", "momentum", "affine", "track_running_stats"] for n in (1, 2, 3)},
    "LayerNorm": ["normalized_shape", "eps", "elementwise_affine", "bias"],
    "GroupNorm": ["num_groups", "num_channels", "eps", "affine"],
    "Embedding": ["num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq",
                  "sparse"],
    "RNN": ["input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
            "bidirectional"],
    "LSTM": ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional",
             "proj_size"],
    "GRU": ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"],
    "MultiheadAttention": ["embed_dim", "num_heads", "dropout", "bias", "add_bias_kv", "add_zero_attn", "kdim",
                           "vdim", "batch_first"],
    **{f"Transformer{k}Layer": ["d_model", "nhead", "dim_feedforward", "dropout", "activation", "layer_norm_eps",
                                "batch_first", "norm_first", "bias"] for k in ("Encoder", "Decoder")},
    "TransformerEncoder": ["encoder_layer", "num_layers", "norm", "enable_nested_tensor", "mask_check"],
    "Flatten": ["start_dim", "end_dim"],
    "Dropout": ["p", "inplace"],
    "ReLU": ["inplace"],
    "GELU": ["approximate"],
    "Softmax": ["dim"],
    "Identity": [],
    "Tanh": [],
    "Sigmoid": [],
    "RMSNorm": ["normalized_shape", "eps", "elementwise_affine"],
    "TransformerDecoder": ["decoder_layer", "num_layers", "norm"],
    # nn.Transformer: custom_encoder and custom_decoder follow activation; paramcalc takes the rest by name
    "Transformer": ["d_model", "nhead", "num_encoder_layers", "num_decoder_layers", "dim_feedforward", "dropout",
                    "activation"],
    # the building blocks of Hugging Face and torchvision models, in the order paramcalc documents
    "SelfAttention": ["embed_dim", "num_heads", "num_kv_heads", "head_dim", "bias", "out_bias", "causal", "dropout"],
    "CausalSelfAttention": ["embed_dim", "num_heads", "bias", "dropout"],
    "FeedForward": ["in_features", "hidden_features", "out_features", "bias", "activation", "dropout"],
    "SwiGLU": ["in_features", "hidden_features", "out_features", "bias"],
    "DecoderBlock": ["d_model", "nhead", "dim_feedforward", "style", "num_kv_heads", "bias", "norm_eps", "dropout"],
    "PatchEmbedding": ["in_channels", "embed_dim", "patch_size", "image_size", "class_token", "position_embedding",
                       "bias"],
    "SinusoidalPositionalEncoding": ["d_model", "max_len", "dropout"],
    "Select": ["dim", "index"],
    **{name: ["inplace"] for name in ("ReLU6", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid")},
    "LeakyReLU": ["negative_slope", "inplace"],
    "ELU": ["alpha", "inplace"],
    "LogSoftmax": ["dim"],
    "PReLU": ["num_parameters", "init"],
    **{name: ["p", "inplace"] for name in ("Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")},
    **{f"{kind}{n}d": ["padding"] for kind in ("ZeroPad", "ReflectionPad", "ReplicationPad", "CircularPad") for n in (1, 2, 3)},
    **{f"ConstantPad{n}d": ["padding", "value"] for n in (1, 2, 3)},
    "Unflatten": ["dim", "unflattened_size"],
    "RNNCell": ["input_size", "hidden_size", "bias", "nonlinearity"],
    "LSTMCell": ["input_size", "hidden_size", "bias"],
    "GRUCell": ["input_size", "hidden_size", "bias"],
    "PixelShuffle": ["upscale_factor"],
    "PixelUnshuffle": ["downscale_factor"],
    "Bilinear": ["in1_features", "in2_features", "out_features", "bias"],
    **{f"AdaptiveMaxPool{n}d": ["output_size", "return_indices"] for n in (1, 2, 3)},
    # LeNet-5's own layers, in the order paramcalc documents
    "Subsampling2d": ["channels", "kernel_size"],
    "SparseConv2d": ["in_channels", "out_channels", "kernel_size", "table", "bias"],
    "RBFOutput": ["in_features", "out_features", "trainable"],
}


def test_every_torch_layer_has_its_positional_order_listed() -> None:
    assert sorted(TORCH_ORDER) == sorted(name for name in TORCH_LAYERS if name in S.FAMILIES)
    assert set(S.FAMILIES) <= set(TORCH_LAYERS)


@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_positional_arguments_follow_torch_order(family: str, data: Any) -> None:
    case = data.draw(S.valid_cases(family), label="case")
    order = TORCH_ORDER[family]
    keyword = parse_layer(case.layer())
    values = keyword.spec_dict()
    given_names = [n for n in order if n in case.kwargs]
    if not given_names:
        return
    # Give every argument up to the last one the case sets, in torch's order, positionally.
    upto = order[: max(order.index(n) for n in given_names) + 1]
    args = []
    for name in upto:
        value = case.kwargs.get(name, values[name])
        args.append(expression(value)[3:] if isinstance(value, dict) else repr(value))
    # Keyword-only arguments (BatchNorm's bias, after torch's ``*``) are given by name, and so are
    # those after the positional parameters paramcalc does not model (nn.Transformer's layer_norm_eps, ...).
    cls = TORCH_LAYERS[family]
    fields = [f for f in cls.model_fields if f != "type"]
    by_name_only = [*cls.keyword_only, *(fields[fields.index(cls.by_name_from):] if cls.by_name_from else [])]
    by_name = {n: case.kwargs[n] for n in by_name_only if n in case.kwargs}
    args += [f"{n}={v!r}" for n, v in by_name.items()]
    positional = parse_layer(f"nn.{family}({', '.join(args)})")
    assert positional == keyword
    assert TORCH_LAYERS[family](*[parse_layer(case.kwargs[n]) if isinstance(case.kwargs.get(n), dict)
                                  else case.kwargs.get(n, values[n]) for n in upto], **by_name) == keyword


def test_positional_examples() -> None:
    assert parse_layer("LSTM(100, 128, 2, True, True)") == parse_layer(
        {"type": "LSTM", "input_size": 100, "hidden_size": 128, "num_layers": 2, "bias": True, "batch_first": True}
    )
    assert parse_layer("nn.Conv2d(3, 64, 3, 2, 1)").stride == (2, 2)
    assert parse_layer("nn.MaxPool2d(3, 2, 1)").padding == (1, 1)
    assert parse_layer("nn.MultiheadAttention(512, 8, 0.1, False)").bias is False
    assert parse_layer("nn.RNN(10, 20, 2, 'relu')").nonlinearity == "relu"
    assert parse_layer("TransformerEncoder(TransformerEncoderLayer(512, 8), 6)").num_layers == 6


def test_too_many_positional_arguments() -> None:
    with pytest.raises(SpecError, match=r"Linear: takes at most 3 positional arguments"):
        parse_layer("nn.Linear(1, 2, True, 4)")
    with pytest.raises(SpecError, match="Linear: got multiple values for argument in_features"):
        parse_layer("nn.Linear(1, 2, in_features=3)")


@pytest.mark.parametrize("qualifier", ["", "nn.", "torch.nn."])
def test_qualified_names(qualifier: str) -> None:
    spec = parse_layer(f"{qualifier}LSTM(input_size=100, hidden_size=128, num_layers=2, bidirectional=True)")
    assert spec == parse_layer({"type": "LSTM", "input_size": 100, "hidden_size": 128, "num_layers": 2,
                                "bidirectional": True})
    assert parse_layer(f"{qualifier}Linear(64, 1)").count().total == 65
    assert parse_layer({"type": f"{qualifier}Linear" if qualifier else "Linear", "in_features": 64,
                        "out_features": 1}).count().total == 65


def test_unknown_qualifier_and_layer() -> None:
    with pytest.raises(SpecError, match="unknown qualifier"):
        parse_layer("os.path.Linear(3, 4)")
    with pytest.raises(SpecError, match="Did you mean .*LSTM"):
        parse_layer("nn.LTSM(3, 4)")


def test_torch_device_and_dtype_arguments_are_ignored() -> None:
    assert parse_layer("nn.Linear(3, 4, device='cuda', dtype='float16')") == parse_layer("nn.Linear(3, 4)")


def test_identity_accepts_any_arguments_like_torch() -> None:
    """torch.nn.Identity's own example: Identity(54, unused_argument1=0.1, unused_argument2=False)."""
    assert parse_layer("nn.Identity(54, unused_argument1=0.1, unused_argument2=False)") == parse_layer("nn.Identity()")


# -- Messages: the argument, the rule, the values --------------------------------------------

MESSAGES = [
    ("nn.MultiheadAttention(10, 3)",
     "MultiheadAttention: embed_dim must be divisible by num_heads. Received: embed_dim=10, num_heads=3"),
    ("nn.Conv2d(64, 128, 3, groups=3)", "Conv2d: groups must divide in_channels. Received: in_channels=64, groups=3"),
    ("nn.Conv2d(63, 128, 3, groups=3)",
     "Conv2d: groups must divide out_channels. Received: out_channels=128, groups=3"),
    ("nn.LSTM(input_size=100, hiden_size=128)",
     "LSTM: unknown argument hiden_size (did you mean hidden_size?). Received: hiden_size=128"),
    ("nn.Conv2d(3, 8, kernal_size=3)", "Conv2d: unknown argument kernal_size (did you mean kernel_size?)"),
    ("nn.Tanh(inplace=True)", "Tanh: unknown argument inplace (Tanh takes no arguments)"),
    ("nn.LSTM(10, 20, proj_size=20)",
     "LSTM: proj_size has to be smaller than hidden_size. Received: proj_size=20, hidden_size=20"),
    ("nn.Conv2d(3, 8, 3, stride=0)", "Conv2d: stride must be >= 1"),
    ("nn.Conv2d(3, 8, 3, padding=-1)", "Conv2d: padding must be >= 0"),
    ("nn.Conv2d(3, 8, 3, stride=2, padding='same')",
     "Conv2d: padding='same' is not supported for strided convolutions. Received: stride=(2, 2)"),
    ("nn.Conv2d(3, 8, 3, padding='full')", "Conv2d: padding must be 'same', 'valid', an int or a tuple of ints"),
    ("nn.Conv2d(3, 8, (3, 3, 3))", "Conv2d: kernel_size must be an int or a tuple of 2 ints. Received: kernel_size=(3, 3, 3)"),
    ("nn.Conv2d(3, 8, (True, 3))", "Conv2d: kernel_size must be an int or a tuple of 2 ints. Received: kernel_size=(True, 3)"),
    ("nn.Conv2d(3, 8, 3.0)", "Conv2d: kernel_size must be an int or a tuple of 2 ints. Received: kernel_size=3.0"),
    ("nn.ConvTranspose2d(3, 8, 3, stride=2, output_padding=2)",
     "ConvTranspose2d: output_padding must be smaller than either stride or dilation"),
    ("nn.MaxPool2d(3, padding=2)", "MaxPool2d: padding should be at most half of kernel_size. Received: padding=(2, 2)"),
    ("nn.Embedding(10, 3, padding_idx=10)", "Embedding: padding_idx must be within num_embeddings"),
    ("nn.Linear(3)", "Linear: missing required argument out_features"),
    ("nn.Linear(4.0, 2)", "Linear: in_features must be an integer. Received: in_features=4.0"),
    ("nn.LSTM(3, 4, num_layers=True)", "LSTM: num_layers must be an integer. Received: num_layers=True"),
    ("nn.GRU(3, 4, dropout=True)", "GRU: dropout must be a number. Received: dropout=True"),
    ("nn.Dropout(1.5)", "Dropout: p must be <= 1.0. Received: p=1.5"),
    ("nn.RNN(3, 4, nonlinearity='sigmoid')", "RNN: nonlinearity must be 'tanh' or 'relu'. Received: nonlinearity='sigmoid'"),
    ("nn.TransformerEncoderLayer(10, 3)", "TransformerEncoderLayer: d_model must be divisible by nhead. Received: d_model=10, nhead=3"),
    ("nn.AdaptiveAvgPool2d(None)", "AdaptiveAvgPool2d: output_size must be an int or a tuple"),
    ("nn.BatchNorm1d(0)", "BatchNorm1d: num_features must be >= 1 when affine=True"),
]


@pytest.mark.parametrize(("text", "message"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_messages_name_the_argument_and_the_rule(text: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_layer(text)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


SHAPE_MESSAGES = [
    ("nn.Conv2d(3, 8, 7)", [(1, 3, 5, 5)], "Conv2d: output height (5 + 2*0 - 1*(7-1) - 1)//1 + 1 = -1 must be >= 1"),
    ("nn.Conv2d(3, 8, 3)", [(1, 4, 8, 8)], "Conv2d: expected input with in_channels=3 channels, got 4"),
    ("nn.Conv2d(3, 8, 3)", [(2, 1, 3, 8, 8)], "Conv2d: expected a 4D (batched) or 3D (unbatched) input, got 5D"),
    ("nn.Linear(3, 8)", [(2, 4)], "Linear: expected input with last dimension in_features=3, got 4"),
    ("nn.LSTM(3, 8)", [(5, 2, 4)], "LSTM: input.size(-1) must be equal to input_size. Expected 3, got 4"),
    ("nn.LSTM(3, 8)", [(0, 2, 3)], "LSTM: expected sequence length to be larger than 0"),
    ("nn.MaxPool2d(3)", [(1, 1, 2, 5)], "MaxPool2d: output height floor((2 + 2*0 - 1*(3-1) - 1)/3) + 1 = 0 must be >= 1"),
    ("nn.BatchNorm2d(3)", [(3, 4, 4)], "BatchNorm2d: expected 4D input, got 3D"),
    ("nn.MultiheadAttention(8, 2)", [(3, 2, 8), (4, 2, 8), (5, 2, 8)],
     "MultiheadAttention: key and value must have the same sequence length"),
    ("nn.Conv1d(1, 1, 3, padding=2, padding_mode='reflect')", [(1, 1, 2)],
     "Conv1d: padding_mode='reflect' needs padding smaller than the input length: 2 >= 2"),
]


@pytest.mark.parametrize(("text", "shapes", "message"), SHAPE_MESSAGES, ids=[m[2].split(":")[0] + "-" + str(i) for i, m in enumerate(SHAPE_MESSAGES)])
def test_shape_messages_show_the_rule(text: str, shapes: list[Any], message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_layer(text).output_shapes(*shapes)
    assert str(info.value).startswith(message), str(info.value)
    assert "Received:" in str(info.value)


def test_spec_error_is_a_value_error() -> None:
    assert issubclass(SpecError, ValueError)


def test_specs_are_frozen() -> None:
    spec = parse_layer("nn.Linear(3, 4)")
    with pytest.raises(Exception):
        spec.out_features = 5  # type: ignore[misc]
    assert hash(spec) == hash(parse_layer("nn.Linear(3, 4)"))


# -- Hostile expressions: refused, never evaluated -------------------------------------------

HOSTILE = [
    "__import__('os').system('echo pwned')",
    "nn.Linear(__import__('os').getpid(), 3)",
    "nn.Linear(os.sep, 3)",
    "nn.Linear(x.y.z, 3)",
    "nn.Linear((lambda: 3)(), 4)",
    "nn.Linear(f'{3}', 4)",
    "nn.Linear(**{'in_features': 3, 'out_features': 4})",
    "nn.Linear(*[3, 4])",
    "nn.Linear(3 + 1, 4)",
    "nn.Linear([i for i in range(3)], 4)",
    "nn.Linear({'a': 1}, 4)",
    "nn.Linear(open('/etc/passwd'), 4)",
    "nn.Linear(pwned(), 4)",
    "pwned()",
    "nn.Linear(3, 4).__class__",
    "nn.Linear(3, 4)[0]",
    "nn.Linear(3, 4); pwned()",
    "import os",
    "nn.Linear(3, 4) if pwned() else None",
    "getattr(nn, 'Linear')(3, 4)",
    "nn.Linear(3, (4).__class__)",
    "nn.Linear(3, 4, bias=not False)",
    "nn.Linear(3, 4 if True else 5)",
    "nn.Linear(3, b'4')",
    "nn.Linear(3, 4j)",
    "nn.Linear(3, ...)",
    "(yield)",
    "nn.Linear(3, 4",
    "",
    "   ",
    "nn.Linear(" + "(" * 200 + "3" + ")" * 200 + ", 4)",
    "nn.Identity(" * 500 + ")" * 500,
    "[" * 10_000,
    "nn.Linear(" + "1" * 20_000 + ", 4)",
    "nn.Linear(" + "9" * 5_000 + ", 4)",
    "nn.Linear(3, 4)" + " " * 10_000 + "x",
]


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A builtin named ``pwned`` that records any call, and eval/exec that record theirs."""
    calls: list[str] = []
    monkeypatch.setattr(builtins, "pwned", lambda *a: calls.append("pwned"), raising=False)
    monkeypatch.setattr(builtins, "eval", lambda *a, **k: calls.append("eval"))
    monkeypatch.setattr(builtins, "exec", lambda *a, **k: calls.append("exec"))
    return calls


@pytest.mark.parametrize("text", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_expressions_are_refused_and_never_run(text: str, tripwire: list[str]) -> None:
    with pytest.raises(SpecError) as info:
        parse_layer(text)
    assert tripwire == []
    assert len(str(info.value)) < 400
    assert "\n" not in str(info.value)


def test_the_parser_has_no_eval() -> None:
    """parse.py reads the syntax tree with ast and never calls eval, exec or compile."""
    import paramcalc.specs.parse as parse_module

    tree = ast.parse(Path(parse_module.__file__).read_text(encoding="utf-8"))
    called = {
        node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}


@pytest.mark.parametrize("value", [None, 3, 3.5, ["nn.Linear(3, 4)"], b"nn.Linear(3, 4)", {"in_features": 3}])
def test_non_layers_are_refused(value: Any) -> None:
    with pytest.raises(SpecError):
        parse_layer(value)


# -- Inferred input sizes --------------------------------------------------------------------

INFERRED = [
    ("nn.Linear(out_features=10)", (4, 20), "in_features", 20, 210),
    ("nn.Conv2d(out_channels=16, kernel_size=3)", (1, 3, 32, 32), "in_channels", 3, 448),
    ("nn.ConvTranspose2d(out_channels=8, kernel_size=2, stride=2)", (16, 7, 7), "in_channels", 16, 520),
    ("nn.BatchNorm2d()", (8, 64, 7, 7), "num_features", 64, 128),
    ("nn.BatchNorm1d()", (8, 32), "num_features", 32, 64),
    ("nn.LayerNorm()", (2, 10, 512), "normalized_shape", (512,), 1024),
    ("nn.LSTM(hidden_size=128)", (35, 8, 100), "input_size", 100, 117_760),
    ("nn.GRU(hidden_size=20, batch_first=True)", (8, 35, 10), "input_size", 10, 1_920),
    ("nn.MultiheadAttention(num_heads=8)", (10, 2, 512), "embed_dim", 512, 1_050_624),
]


@pytest.mark.parametrize(("text", "shape", "field", "value", "total"), INFERRED, ids=[i[2] + "-" + i[0][3:12] for i in INFERRED])
def test_left_out_input_size_is_inferred(text: str, shape: tuple[int, ...], field: str, value: Any, total: int) -> None:
    spec = parse_layer(text)
    assert not spec.is_resolved()
    resolved = spec.resolve(shape)
    assert resolved.is_resolved()
    assert getattr(resolved, field) == value
    assert spec.count(input_shape=shape).total == total == resolved.count().total
    assert spec.output_shapes(shape) == resolved.output_shapes(shape)
    with pytest.raises(SpecError, match=f"{field} is not set; give {field}, or an input shape to infer it from"):
        spec.count()


def test_inference_refuses_a_shape_it_cannot_read() -> None:
    with pytest.raises(SpecError, match="cannot infer in_features from a 0-dimensional input"):
        parse_layer("nn.Linear(out_features=3)").resolve(())
    with pytest.raises(SpecError, match="BatchNorm2d: expected 4D input"):
        parse_layer("nn.BatchNorm2d()").resolve((8, 64))
    with pytest.raises(SpecError, match="input_shape must be a tuple of non-negative ints"):
        parse_layer("nn.Linear(3, 4)").output_shapes((2, -3))


# -- The formulas package --------------------------------------------------------------------


def test_formulas_import_on_their_own() -> None:
    from paramcalc.formulas import conv_output_size, lstm_params

    assert conv_output_size(size=227, kernel_size=11, stride=4) == 55
    assert lstm_params(input_size=300, hidden_size=512, num_layers=2) == 3_768_320


def _public_formulas() -> list[tuple[str, Any]]:
    return [(n, getattr(formulas, n)) for n in formulas.__all__ if inspect.isfunction(getattr(formulas, n))]


@pytest.mark.parametrize(("name", "function"), _public_formulas(), ids=[n for n, _ in _public_formulas()])
def test_every_public_formula_states_its_formula(name: str, function: Any) -> None:
    doc = inspect.getdoc(function) or ""
    assert "Formula" in doc, f"{name} has no 'Formula:' in its docstring"
    params = inspect.signature(function).parameters.values()
    assert all(p.kind is p.KEYWORD_ONLY for p in params), f"{name} should take keyword-only arguments"


@pytest.mark.parametrize("module", sorted(p.stem for p in Path(formulas.__file__).parent.glob("*.py")))
def test_formula_modules_never_see_pydantic_or_a_framework(module: str) -> None:
    tree = ast.parse((Path(formulas.__file__).parent / f"{module}.py").read_text(encoding="utf-8"))
    imported = [
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ]
    for name in imported:
        assert not name.startswith(("pydantic", "torch", "keras", "numpy", "tensorflow", "rich", "typer")), (
            f"{module} imports {name}"
        )
        if name.startswith("paramcalc"):  # the formulas import nothing of paramcalc but its errors
            assert name in ("paramcalc.errors", "paramcalc.formulas") or name.startswith("paramcalc.formulas."), (
                f"{module} imports {name}"
            )


@pytest.mark.parametrize("name", sorted(TORCH_LAYERS))
def test_every_spec_is_a_frozen_tagged_model(name: str) -> None:
    cls = TORCH_LAYERS[name]
    assert issubclass(cls, LayerSpec)
    assert cls.model_config.get("frozen") is True
    assert cls.model_config.get("extra") == "forbid"
    assert cls.model_fields["type"].default == name


def test_torch_reading_that_breaks_a_rule_reports_only_torch() -> None:
    # LSTM(100, 128, ...) fits torch's signature; dropout=1.5 breaks its rule (0 <= dropout <= 1).
    with pytest.raises(SpecError) as info:
        parse_layer("LSTM(100, 128, dropout=1.5)")
    assert str(info.value) == "LSTM: dropout must be <= 1.0. Received: dropout=1.5"


def test_a_call_that_does_not_fit_torch_is_read_as_keras() -> None:
    assert parse_layer("LSTM(128, 'tanh')").type == "keras.LSTM"
    assert parse_layer("LSTM(128)").type == "keras.LSTM"


RUNNING_STATS_NORMS = [f"{family}{n}d" for family in ("BatchNorm", "InstanceNorm") for n in (1, 2, 3)]


@pytest.mark.crosscheck
@pytest.mark.parametrize("name", RUNNING_STATS_NORMS)
def test_running_stats_norms_have_their_torch_defaults_and_eps_rule(name: str) -> None:
    """BatchNorm and InstanceNorm declare torch's _NormBase arguments once; each keeps its own torch class's
    defaults (torch 2.13's signatures), and its own eps rule: torch's batch_norm refuses eps = 0 in training,
    instance_norm takes it."""
    from conftest import require

    torch = require("torch")
    theirs = inspect.signature(getattr(torch.nn, name).__init__).parameters
    cls = TORCH_LAYERS[name]
    for field in ("eps", "momentum", "affine", "track_running_stats", "bias"):
        assert cls.model_fields[field].default == theirs[field].default, field
    shape = {1: (2, 3, 4), 2: (2, 3, 4, 4), 3: (2, 3, 2, 2, 2)}[int(name[-2])]
    layer = getattr(torch.nn, name)(3, eps=0.0, affine=True)
    try:
        layer.train()(torch.ones(shape))
        torch_takes_zero = True
    except (RuntimeError, ValueError):  # torch 2.13: "batch_norm eps must be positive during training"
        torch_takes_zero = False
    assert torch_takes_zero == name.startswith("InstanceNorm")
    if torch_takes_zero:
        assert parse_layer(f"{name}(3, eps=0.0, affine=True)").output_shape(shape) == shape
    else:
        with pytest.raises(SpecError, match="eps"):
            parse_layer(f"{name}(3, eps=0.0, affine=True)")
