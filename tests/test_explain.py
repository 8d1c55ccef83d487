"""The worked formulas: every step is sound arithmetic, and each explanation ends on the library's answer.

An explanation line reads ``label: expression = expression = number``. The checks below evaluate
every numeric step (thousands separators dropped, · and × as products, − as minus, // as floor
division, ⌈x⌉ as the ceiling) and require all steps of a line to be equal, so a worked formula can
never show arithmetic that does not add up; the last line must end on ``spec.count(...).total``
(or, for shapes, on each output's shape).
"""

from __future__ import annotations

import ast
import math
import operator
import re
from fractions import Fraction

import pytest
from hypothesis import given
from strategies import FAMILIES as CASE_FAMILIES
from strategies import valid_cases

from paramcalc import parse_layer
from paramcalc.cli.layer_types import examples
from paramcalc.cli.options import parse_shapes
from paramcalc.errors import SpecError
from paramcalc.specs import TORCH_LAYERS
from paramcalc.specs.base import LayerSpec
from paramcalc.specs.explaining import explain_params, explain_shape, last_number, tensor_sum
from paramcalc.specs.families import FAMILIES, FAMILY_OF, find_family


def is_core_torch(spec: LayerSpec) -> bool:
    """Whether the spec is a PyTorch layer whose family writes its own worked formula."""
    cls = type(spec)
    return cls.framework == "pytorch" and cls._worked_params is not LayerSpec._worked_params

# -- Reading the arithmetic back -----------------------------------------------------------------

_OPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
    ast.Div: lambda a, b: Fraction(a) / Fraction(b),
}


def _eval(node: ast.AST):
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_eval(e) for e in node.elts)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "ceil":
        return math.ceil(_eval(node.args[0]))
    raise ValueError(f"not arithmetic: {ast.dump(node)}")


def value(step: str):
    """The value of one numeric step, or None for a step written in symbols or words."""
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", step.strip())
    text = text.replace("·", "*").replace("×", "*").replace("−", "-").replace("⌈", "ceil(").replace("⌉", ")")
    if not text or re.search(r"[^\d\s()+\-*/,]", text.replace("ceil(", "(")):
        return None  # words, symbols or arrows: not a numeric step
    result = _eval(ast.parse(text, mode="eval"))
    return Fraction(result) if isinstance(result, int) else result


def steps(line: str) -> list:
    """The values of a line's numeric steps (after its label)."""
    _, _, chain = line.partition(": ")
    return [v for v in (value(s) for s in chain.split(" = ")) if v is not None]


def assert_sound(lines: list[str]) -> None:
    for line in lines:
        values = steps(line)
        assert all(v == values[0] for v in values), f"steps differ in {line!r}: {values}"


# -- The cases: every PyTorch example, plus variants that take other branches --------------------

VARIANTS = [
    ("LSTM(100, 128)", "32,50,100"),
    ("LSTM(100, 128, num_layers=3, bidirectional=True, proj_size=64)", "5,3,100"),
    ("LSTM(10, 20, bias=False, batch_first=True)", "4,7,10"),
    ("GRU(10, 20, bidirectional=True)", "5,10"),
    ("RNN(10, 20, num_layers=2, bidirectional=True)", "5,2,10"),
    ("RNN(10, 20, num_layers=4, nonlinearity='relu')", "5,2,10"),
    ("Conv2d(3, 96, 11, stride=4)", "1,3,224,224"),
    ("Conv2d(64, 128, 3, groups=4, padding='same', bias=False)", "64,56,56"),
    ("Conv1d(4, 8, 3, padding='valid', dilation=2)", "2,4,20"),
    ("ConvTranspose2d(16, 8, (3, 5), stride=(2, 1), groups=2, dilation=2)", "1,16,9,9"),
    ("MaxPool2d(3, 2, padding=1, ceil_mode=True)", "1,64,112,112"),
    ("AvgPool1d(4, 3, padding=2, ceil_mode=True)", "1,2,10"),
    ("MaxPool1d(2, dilation=3, return_indices=True)", "1,2,10"),
    ("AdaptiveAvgPool2d((7, None))", "1,512,13,13"),
    ("BatchNorm1d(8, affine=False, track_running_stats=False)", "2,8"),
    ("LayerNorm((10, 20))", "4,10,20"),
    ("LayerNorm(8, bias=False)", "2,8"),
    ("LayerNorm(8, elementwise_affine=False)", "2,8"),
    ("GroupNorm(2, 6, bias=False)", "4,6,5"),
    ("GroupNorm(3, 9, affine=False)", "2,9"),
    ("Linear(100, 10, bias=False)", "32,100"),
    ("Linear(None, 10)", "32,7,100"),
    ("Embedding(10, 3, padding_idx=0)", "5"),
    ("MultiheadAttention(512, 8, kdim=256, vdim=128, add_bias_kv=True, add_zero_attn=True)",
     "10,32,512;20,32,256;20,32,128"),
    ("MultiheadAttention(64, 4, bias=False, batch_first=True)", "2,5,64"),
    ("TransformerDecoderLayer(512, 8, bias=False)", "10,32,512"),
    ("TransformerEncoder(TransformerEncoderLayer(64, 4, dim_feedforward=128), num_layers=3, norm=LayerNorm(64))",
     "10,2,64"),
    ("Flatten(0, 2)", "2,3,4,5"),
]
CASES = [
    pytest.param(expr, shape, id=expr)
    for expr, shape in [*examples().values(), *VARIANTS]
    if is_core_torch(parse_layer(expr))
]


def _layer(expr: str, shape: str):
    shapes = parse_shapes(shape)
    return parse_layer(expr), shapes, (shapes[0] if len(shapes) == 1 else shapes)


@pytest.mark.parametrize(("expr", "shape"), CASES)
def test_pytorch_explanation_is_sound_and_ends_on_the_count(expr: str, shape: str) -> None:
    spec, _, arg = _layer(expr, shape)
    lines = explain_params(spec, "pytorch", input_shape=arg)
    assert_sound(lines)
    assert last_number(lines[-1]) == spec.count(input_shape=arg).total
    # the family's own worked formula, not the sum of the tensors
    assert lines != tensor_sum(spec, input_shape=arg)


@pytest.mark.parametrize("convention", ["keras", "textbook"])
@pytest.mark.parametrize(("expr", "shape"), CASES)
def test_other_conventions_end_on_their_count(expr: str, shape: str, convention: str) -> None:
    spec, _, arg = _layer(expr, shape)
    try:
        total = spec.count(convention, input_shape=arg).total
    except SpecError:
        with pytest.raises(SpecError):
            explain_params(spec, convention, input_shape=arg)
        return
    lines = explain_params(spec, convention, input_shape=arg)
    assert_sound(lines)
    assert last_number(lines[-1]) == total


@pytest.mark.parametrize(("expr", "shape"), CASES)
def test_shape_explanation_is_sound_and_ends_on_each_output(expr: str, shape: str) -> None:
    spec, shapes, _ = _layer(expr, shape)
    lines = explain_shape(spec, *shapes)
    assert_sound(lines)
    outputs = spec.output_shapes(*shapes)
    for name, out in outputs.items():
        mine = [line for line in lines if line.startswith(f"{name}: ")]
        assert mine, f"no line for {name} in {lines}"
        assert steps(mine[-1])[-1] == out
    assert lines[-1].partition(": ")[0] == list(outputs)[-1]


@given(valid_cases("LSTM") | valid_cases("GRU") | valid_cases("RNN"))
def test_recurrent_explanations_hold_for_any_stack(case) -> None:
    spec = parse_layer(case.layer())
    for convention in ("pytorch", "textbook", "keras"):
        try:
            total = spec.count(convention, input_shape=case.shapes[0]).total
        except SpecError:  # no Keras equivalent (an LSTM projection)
            continue
        lines = explain_params(spec, convention, input_shape=case.shapes[0])
        assert_sound(lines)
        assert last_number(lines[-1]) == total


@pytest.mark.parametrize("name", sorted(CASE_FAMILIES))
def test_every_family_explains_any_valid_case(name: str) -> None:
    @given(valid_cases(name))
    def check(case) -> None:
        spec = parse_layer(case.layer())
        arg = case.shapes[0] if len(case.shapes) == 1 else list(case.shapes)
        lines = explain_params(spec, "pytorch", input_shape=arg)
        assert_sound(lines)
        assert last_number(lines[-1]) == spec.count(input_shape=arg).total
        shape_lines = explain_shape(spec, *case.shapes)
        assert_sound(shape_lines)
        for out_name, out in spec.output_shapes(*case.shapes).items():
            assert any(line.startswith(f"{out_name}: ") and steps(line)[-1] == out for line in shape_lines)

    check()


KERAS = [
    pytest.param(expr, shape, id=expr) for expr, shape in [
        ("layers.Dense(64)", "32,100"),
        ("layers.Conv2D(32, 3)", "8,28,28,3"),
        ("layers.Conv2D(32, 3, strides=2, padding='same')", "8,28,27,3"),
        ("layers.Conv1D(8, 5, padding='causal', dilation_rate=2)", "8,100,3"),
        ("layers.Conv2DTranspose(16, 3, strides=2, padding='same')", "8,14,14,32"),
        ("layers.MaxPooling2D(2)", "8,27,28,3"),
        ("layers.AveragePooling1D(3, strides=2, data_format='channels_first')", "8,4,100"),
        ("layers.GlobalAveragePooling2D()", "8,7,7,64"),
        ("layers.BatchNormalization()", "8,28,28,32"),
        ("layers.LayerNormalization()", "8,10,64"),
        ("layers.Embedding(5000, 100)", "32,50"),
        ("layers.SimpleRNN(128)", "32,50,100"),
        ("layers.LSTM(64, use_bias=False)", "32,50,100"),
        ("layers.GRU(64)", "32,50,100"),
        ("layers.GRU(64, reset_after=False)", "32,50,100"),
        ("layers.Bidirectional(layers.LSTM(64))", "32,50,100"),
        ("layers.MultiHeadAttention(num_heads=8, key_dim=64)", "32,10,512;32,20,512"),
        ("layers.Flatten()", "8,7,7,64"),
    ]
]


@pytest.mark.parametrize("convention", ["keras", "pytorch", "textbook"])
@pytest.mark.parametrize(("expr", "shape"), KERAS)
def test_keras_layers_explain_soundly(expr: str, shape: str, convention: str) -> None:
    spec, shapes, arg = _layer(expr, shape)
    try:
        total = spec.count(convention, input_shape=arg).total
    except SpecError:  # e.g. a GRU with reset_after=False has no PyTorch equivalent
        return
    lines = explain_params(spec, convention, input_shape=arg)
    assert_sound(lines)
    assert last_number(lines[-1]) == total
    shape_lines = explain_shape(spec, *shapes)
    assert_sound(shape_lines)
    for name, out in spec.output_shapes(*shapes).items():
        assert any(line.startswith(f"{name}: ") and steps(line)[-1] == out for line in shape_lines)


def test_keras_course_example() -> None:
    # notes 002: SimpleRNN(128) on 100 features = 100×128 + 128×128 + 128 = 29,312 (one bias, as Keras counts)
    spec = parse_layer("layers.SimpleRNN(128)")
    assert explain_params(spec, "keras", input_shape=(32, 50, 100))[-1] == (
        "weights + biases: 128·100 + 128·128 + 128 = 29,312"
    )
    # Keras 'same' padding with a stride: ⌈27 / 2⌉ = 14
    assert "width (padding='same'): ⌈27 / 2⌉ = 14" in explain_shape(
        parse_layer("layers.Conv2D(32, 3, strides=2, padding='same')"), (8, 28, 27, 3)
    )


# -- Known worked formulas, by hand ---------------------------------------------------------------


def test_lstm_worked_formula() -> None:
    # 4 gates × (W_ih 128×100 + W_hh 128×128 + two biases of 128) = 4 × 29,440 = 117,760 (torch's count)
    lines = explain_params(parse_layer("LSTM(100, 128)"))
    assert lines[-1] == "weights + biases: 4 × (128·100 + 128·128 + 2·128) = 4 × 29,440 = 117,760"


def test_stacked_lstm_shows_each_layer() -> None:
    # layer 1 takes the 128 hidden features of layer 0 as its input: 4·(128·128 + 128·128 + 256) = 132,096
    lines = explain_params(parse_layer("LSTM(100, 128, num_layers=2)"))
    assert lines[1:] == [
        "layer 0: 4 × (128·100 + 128·128 + 2·128) = 4 × 29,440 = 117,760",
        "layer 1: 4 × (128·128 + 128·128 + 2·128) = 4 × 33,024 = 132,096",
        "total: 117,760 + 132,096 = 249,856",
    ]


def test_bidirectional_layers_double_and_later_layers_take_both_directions() -> None:
    # RNN(10, 20, bidirectional=True, num_layers=2): layer 1 reads 2·20 = 40 features
    lines = explain_params(parse_layer("RNN(10, 20, num_layers=2, bidirectional=True)"))
    assert lines[1] == "layer 0: 2 × (20·10 + 20·20 + 2·20) = 2 × 640 = 1,280"
    assert lines[2] == "layer 1: 2 × (20·40 + 20·20 + 2·20) = 2 × 1,240 = 2,480"


def test_keras_and_textbook_lstm_have_one_bias_per_gate() -> None:
    # course notes (004): LSTM = 4 × (H·I + H·H + H) = 4 × 29,312 = 117,248
    spec = parse_layer("LSTM(100, 128)")
    for convention in ("keras", "textbook"):
        assert explain_params(spec, convention)[-1].endswith("4 × (128·100 + 128·128 + 128) = 4 × 29,312 = 117,248")


def test_conv_shape_per_dimension() -> None:
    lines = explain_shape(parse_layer("Conv2d(3, 64, 3, padding=1)"), (1, 3, 224, 224))
    assert "height: (224 + 2·1 − 1·(3 − 1) − 1) // 1 + 1 = 224" in lines
    assert lines[-1] == "output: (1, 64, 224, 224)"


def test_floored_division_is_shown_and_warned() -> None:
    # AlexNet's first convolution: (224 − 11)/4 + 1 = 54.25, floored to 54
    spec = parse_layer("Conv2d(3, 96, 11, stride=4)")
    assert "height: (224 + 2·0 − 1·(11 − 1) − 1) // 4 + 1 = 213 // 4 + 1 = 54" in explain_shape(spec, (1, 3, 224, 224))
    assert any("54.25" in note and "floored" in note for note in spec.shape_notes((1, 3, 224, 224)))


def test_ceil_mode_drops_a_window_starting_in_the_padding() -> None:
    # AvgPool1d(4, 3, padding=2, ceil_mode=True) on 10: ⌈10/3⌉ + 1 = 5, but the 5th window would start
    # at 12 ≥ 10 + 2, so torch keeps 4
    line = explain_shape(parse_layer("AvgPool1d(4, 3, padding=2, ceil_mode=True)"), (1, 2, 10))[1]
    assert line.endswith("⌈10 / 3⌉ + 1 − 1 = 4")


def test_batchnorm_shows_buffers_apart() -> None:
    lines = explain_params(parse_layer("BatchNorm2d(64)"))
    assert lines[1] == "buffers, not parameters (running_mean, running_var, num_batches_tracked): 64 + 64 + 1 = 129"
    assert lines[-1] == "weight γ + bias β: 2·64 = 128"


def test_batchnorm_without_bias_in_every_convention() -> None:
    # torch 2.13: BatchNorm2d(64, bias=False) learns weight (64) only; Keras's equivalent is
    # BatchNormalization(center=False): gamma 64 trainable, moving statistics 128 non-trainable
    spec = parse_layer("BatchNorm2d(64, bias=False)")
    assert explain_params(spec)[-1] == "weight γ only (bias=False): 64"
    assert explain_params(spec, "keras")[-1] == "total: 64 + 128 = 192"
    assert explain_params(spec, "textbook")[-1] == "γ only (bias=False): 64"


def test_transformer_encoder_layer_by_parts() -> None:
    # torch: 1,050,624 (self_attn) + 2,099,712 (linear1, linear2) + 2,048 (norm1, norm2) = 3,152,384
    lines = explain_params(parse_layer("TransformerEncoderLayer(512, 8)"))
    assert lines[-1] == "total: 1,050,624 + 2,099,712 + 2,048 = 3,152,384"
    # notes 004: 4·d² + 8·d² = 12·512² = 3,145,728
    textbook = explain_params(parse_layer("TransformerEncoderLayer(512, 8)"), "textbook")
    assert textbook[-1] == "total: 1,048,576 + 2,097,152 = 3,145,728"


def test_tensor_sum_is_the_fallback_for_layers_without_a_worked_formula() -> None:
    spec = parse_layer("RMSNorm(64)")
    lines = explain_params(spec, input_shape=(2, 64))
    assert not is_core_torch(spec)
    assert last_number(lines[-1]) == spec.count(input_shape=(2, 64)).total
    assert_sound(lines)


# -- The general formulas ------------------------------------------------------------------------


def test_every_core_layer_has_a_family() -> None:
    core = [name for name, cls in TORCH_LAYERS.items() if is_core_torch(object.__new__(cls))]
    assert core and all(name in FAMILY_OF for name in core)
    for fam in FAMILIES.values():
        assert set(fam.params) == {"pytorch", "keras", "textbook"}


@pytest.mark.parametrize(("name", "family"), [("lstm", "lstm"), ("Conv2D", "conv"), ("conv-transpose", "conv_transpose"),
                                              ("MultiHeadAttention", "attention"), ("dense", "linear")])
def test_find_family(name: str, family: str) -> None:
    assert find_family(name).name == family


def test_unknown_family_names_the_closest() -> None:
    with pytest.raises(SpecError, match="Did you mean lstm"):
        find_family("lstn")
