"""paramcalc.checking: right and wrong answers, conventions, layouts, inexact divisions, the working.

Expected values are hand derivations written next to each case (and the course notes' worked examples:
../shared/seeds/004 and 002).
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

import paramcalc
from paramcalc.checking import (
    CheckResult,
    Layouts,
    check,
    format_shape,
    parse_answer_shape,
    parse_count,
    parse_input_shape,
)
from paramcalc.errors import ParamcalcError, SpecError

# -- Reading answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [(1792, 1792), ("1792", 1792), ("1,792", 1792), ("529_441", 529_441), ("529 441", 529_441), (" 65 ", 65)],
)
def test_parse_count(text: object, value: int) -> None:
    assert parse_count(text) == value


@pytest.mark.parametrize("bad", ["1.5", "-3", -3, True, "12,34", "", "1e3", 2.0])
def test_parse_count_rejects(bad: object) -> None:
    with pytest.raises(ParamcalcError, match="params"):
        parse_count(bad)


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("55x55x96", (55, 55, 96)),
        ("(96, 55, 55)", (96, 55, 55)),
        ("1×96×55×55", (1, 96, 55, 55)),
        ("55", (55,)),
        (55, (55,)),
        ([27, 27, 96], (27, 27, 96)),
        ("54.25", (Fraction(217, 4),)),
        ("217/4x217/4", (Fraction(217, 4), Fraction(217, 4))),
        ("54.0", (54,)),
    ],
)
def test_parse_answer_shape(text: object, shape: tuple) -> None:
    assert parse_answer_shape(text) == shape


@pytest.mark.parametrize("bad", ["", "55xax96", "-1x3", True, None, "1e3"])
def test_parse_answer_shape_rejects(bad: object) -> None:
    with pytest.raises(ParamcalcError, match="shape"):
        parse_answer_shape(bad)


def test_parse_input_shape() -> None:
    assert parse_input_shape("227x227x3") == (227, 227, 3)
    assert parse_input_shape([1, 3, 227, 227]) == (1, 3, 227, 227)
    assert parse_input_shape("5,2,16;7,2,16") == ((5, 2, 16), (7, 2, 16))
    assert parse_input_shape([[5, 2, 16], [7, 2, 16]]) == ((5, 2, 16), (7, 2, 16))
    assert parse_input_shape(None) is None
    with pytest.raises(ParamcalcError, match="input_shape"):
        parse_input_shape("54.5x3")


def test_format_shape() -> None:
    assert format_shape((55, 55, 96)) == "55x55x96"
    assert format_shape((Fraction(217, 4), 96)) == "54.25x96"
    assert format_shape((Fraction(1, 3),)) == "1/3"


# -- Parameter answers -------------------------------------------------------------------------


def test_conv_right_answer() -> None:
    # Course notes: Conv params ((K_w·K_h·C_in) + 1)·C_out = (3·3·3 + 1)·64 = 1,792.
    result = check("Conv2d(3, 64, 3)", params="1,792")
    assert result.ok
    [answer] = result.answers
    assert (answer.quantity, answer.given, answer.expected, answer.mark) == ("params", 1792, 1792, "✓")
    assert answer.convention == "pytorch"
    assert "3·3·3·64 + 64" in answer.derivation and "1,792" in answer.derivation


def test_conv_wrong_answer_has_expected_and_diagnosis() -> None:
    result = check("Conv2d(3, 64, 3)", params=1728)
    assert not result.ok
    [answer] = result.answers
    assert (answer.expected, answer.mark) == (1792, "✗")
    assert answer.diagnosis_text() == "matches forgetting the biases"


def test_wrong_answer_without_any_explanation() -> None:
    # 1,793 is one too many; nothing in the catalogue gives it.
    [answer] = check("Conv2d(3, 64, 3)", params=1793).answers
    assert not answer.correct and answer.diagnoses == ()
    assert answer.diagnosis_text() == "no catalogued mistake gives this"


@pytest.mark.parametrize(
    ("layer", "params"),
    [
        # Course notes (002): PyTorch Embedding(1000, 64), RNN(64, 64), Linear(64, 1).
        ("nn.Embedding(1000, 64)", 64_000),  # 1000·64
        ("RNN(64, 64)", 8_320),  # 64·(64 + 64) + 2·64
        ("Linear(64, 1)", 65),  # 64·1 + 1
        # LSTM(300, 512, num_layers=2) = 4·512·(300+512+2) + 4·512·(512+512+2) = 3,768,320.
        ("LSTM(300, 512, num_layers=2)", 3_768_320),
    ],
)
def test_course_values_are_right(layer: str, params: int) -> None:
    assert check(layer, params=params).ok


def test_trainable_and_non_trainable_answers() -> None:
    # PyTorch BatchNorm2d(64): gamma and beta are trainable (128); nothing is non-trainable.
    result = check("BatchNorm2d(64)", trainable=128, non_trainable=0, convention="pytorch")
    assert result.ok
    assert [a.quantity for a in result.answers] == ["trainable", "non_trainable"]


def test_inferred_input_size_from_the_input_shape() -> None:
    # Linear(out_features=10) on (32, 784): 784·10 + 10 = 7,850.
    result = check({"type": "Linear", "out_features": 10}, params=7850, input_shape=(32, 784))
    assert result.ok
    assert result.target == "Linear(in_features=784, out_features=10)"


def test_expression_is_parsed_once() -> None:
    from paramcalc.checking import load_layer

    assert load_layer("Linear(64, 1)") is load_layer("  Linear(64, 1)  ")


# -- Shape answers -----------------------------------------------------------------------------


def test_alexnet_output_size_channels_last() -> None:
    # AlexNet conv1: (227 − 11)/4 + 1 = 55; exams write 55x55x96 for a 227x227x3 image.
    result = check("Conv2d(3, 96, 11, stride=4)", shape="55x55x96", input_shape="227x227x3")
    assert result.ok
    [answer] = result.answers
    assert answer.layout == "channels-last (H, W, C)"
    assert answer.expected == (96, 55, 55)
    assert answer.expected_text() == "55x55x96"
    assert result.input_shape == (3, 227, 227)
    assert result.notes == ("input 227x227x3 read as channels-last; torch layout is 3x227x227",)
    assert "(227 + 2·0 − 1·(11 − 1) − 1) // 4 + 1" in answer.derivation


@pytest.mark.parametrize(
    ("given", "layout"),
    [
        ("96x55x55", "torch layout (C, H, W)"),
        ("1x96x55x55", "torch layout (N, C, H, W)"),
        ("1x55x55x96", "channels-last (N, H, W, C)"),
        ("55x55", "spatial size (H, W)"),
        ("55", "spatial size (one side)"),
    ],
)
def test_shape_layouts(given: str, layout: str) -> None:
    [answer] = check("Conv2d(3, 96, 11, stride=4)", shape=given, input_shape=(1, 3, 227, 227)).answers
    assert answer.correct and answer.layout == layout


def test_wrong_shape_is_shown_in_the_answers_layout() -> None:
    [answer] = check("Conv2d(3, 96, 11, stride=4)", shape="54x54x96", input_shape="227x227x3").answers
    assert not answer.correct
    assert answer.expected_text() == "55x55x96"
    assert [d.key for d in answer.diagnoses] == ["no_plus_one"]
    assert answer.diagnoses[0].layout == "channels-last (H, W, C)"


def test_pool_input_written_channels_last() -> None:
    # MaxPool2d(3, 2) on 55x55x96: (55 − 3)/2 + 1 = 27, channels unchanged.
    result = check("MaxPool2d(3, 2)", shape="27x27x96", input_shape="55x55x96")
    assert result.ok
    assert "read as channels-last" in result.notes[0]


def test_recurrent_output_with_and_without_batch() -> None:
    # LSTM(100, 128) over (L=50, N=32, 100): output (50, 32, 128).
    assert check("LSTM(100, 128)", shape="50x32x128", input_shape=(50, 32, 100)).ok
    [answer] = check("LSTM(100, 128)", shape="50x128", input_shape=(50, 32, 100)).answers
    assert answer.correct and answer.layout == "without the batch dimension"


def test_several_inputs() -> None:
    # MultiheadAttention(16, 2), query (5, 2, 16), key/value (7, 2, 16): attn_output (5, 2, 16).
    assert check("MultiheadAttention(16, 2)", shape="5x2x16", input_shape="5,2,16;7,2,16").ok


def test_inexact_division_is_said_plainly_and_floored() -> None:
    # (224 − 11)/4 + 1 = 54.25: torch floors to 54; the problem probably meant 227.
    result = check("Conv2d(3, 96, 11, stride=4)", shape="54x54x96", input_shape="224x224x3")
    assert result.ok
    assert any("54.25 is not a whole number; floored to 54" in n for n in result.notes)
    assert any("exam problems usually choose sizes that divide exactly" in n for n in result.notes)


def test_layouts_forms() -> None:
    forms = dict(Layouts(2, 0).forms((1, 96, 55, 55)))
    assert forms["channels-last (H, W, C)"] == (55, 55, 96)
    assert forms["torch layout (N, C, H, W)"] == (1, 96, 55, 55)


# -- Errors ------------------------------------------------------------------------------------


def test_nothing_to_check() -> None:
    with pytest.raises(ParamcalcError, match="nothing to check"):
        check("Linear(64, 1)")


def test_shape_needs_an_input_shape() -> None:
    with pytest.raises(ParamcalcError, match="input shape is needed"):
        check("Linear(64, 1)", shape="1")


def test_bad_convention() -> None:
    with pytest.raises(SpecError, match="convention must be one of"):
        check("Linear(64, 1)", params=65, convention="caffe")


def test_bad_layer_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="groups must divide in_channels"):
        check("Conv2d(3, 64, 3, groups=2)", params=1)


def test_missing_input_size() -> None:
    with pytest.raises(SpecError, match="in_features is not set"):
        check({"type": "Linear", "out_features": 10}, params=1)


# -- Reports -----------------------------------------------------------------------------------


def test_as_dict_is_json() -> None:
    result = check("Conv2d(3, 96, 11, stride=4)", params=34_848, shape="54.25", input_shape=(1, 3, 224, 224))
    data = json.loads(json.dumps(result.as_dict()))
    assert data["ok"] is False and data["total"] == 2
    params, shape = data["answers"]
    assert params["expected"] == 34_944  # 11·11·3·96 + 96
    assert params["diagnoses"][0]["mistake"] == "no_bias"
    assert shape["given"] == ["54.25"] and shape["expected"] == [1, 96, 54, 54]
    assert shape["diagnoses"][0]["mistake"] == "not_floored"
    assert "derivation" in params


def test_check_is_exported() -> None:
    assert paramcalc.check is check
    assert isinstance(paramcalc.check("Linear(64, 1)", params=65), CheckResult)


# -- Whole models ------------------------------------------------------------------------------

KERAS_RNN = {
    "name": "Keras SimpleRNN classifier",
    "framework": "keras",
    "input_shape": [32, 30],
    "layers": [
        {"layer": "Embedding(5000, 100)", "name": "embedding"},
        {"layer": "SimpleRNN(128)", "name": "simple_rnn"},
        {"layer": "Dense(1)", "name": "dense"},
    ],
}
TORCH_RNN = {
    "name": "PyTorch RNN classifier",
    "input_shape": [32, 30],
    "layers": [
        {"layer": "nn.Embedding(1000, 64)", "name": "embedding"},
        {"layer": "RNN(64, 64, batch_first=True)", "name": "rnn"},
        {"layer": "Linear(64, 1)", "name": "fc"},
    ],
}


def test_keras_course_model() -> None:
    # Course notes (002): 5000·100 + (100·128 + 128·128 + 128) + (128 + 1) = 529,441.
    result = check(KERAS_RNN, params=529_441)
    assert result.ok and result.kind == "model" and result.convention == "keras"
    assert result.target == "Keras SimpleRNN classifier"
    assert result.answers[0].derivation.splitlines()[-1] == "total: 500,000 + 29,312 + 129 = 529,441"


def test_torch_course_model() -> None:
    # Course notes (004): 1000·64 + (64·64 + 64·64 + 2·64) + (64 + 1) = 64,000 + 8,320 + 65 = 72,385.
    result = check(TORCH_RNN, params=72_385, convention="pytorch")
    assert result.ok and result.convention == "pytorch"


def test_model_wrong_answer_names_the_layer() -> None:
    # 529,441 − 128: the SimpleRNN's bias forgotten.
    [answer] = check(KERAS_RNN, params=529_313).answers
    assert not answer.correct
    assert [(d.key, d.where) for d in answer.diagnoses] == [("no_bias", "simple_rnn")]
    assert answer.diagnosis_text() == "simple_rnn: matches forgetting the biases"


def test_model_mistake_in_every_layer() -> None:
    # 72,385 − 128 (the RNN's two bias vectors) − 1 (the Linear bias) = 72,256.
    [answer] = check(TORCH_RNN, params=72_256, convention="pytorch").answers
    assert ("no_bias", "every layer") in [(d.key, d.where) for d in answer.diagnoses]


def test_model_other_convention_says_which_layer_differs() -> None:
    # Under PyTorch the RNN has 2·64 biases; one bias vector gives 72,385 − 64 = 72,321.
    [answer] = check(TORCH_RNN, params=72_321, convention="pytorch").answers
    names = [d.name for d in answer.diagnoses if d.key == "keras_convention"]
    assert names == ["Keras's count (rnn: one bias vector per gate)"]
    # Without a chosen convention the model is judged under its own (pytorch): still wrong, same diagnosis.
    [judged] = check(TORCH_RNN, params=72_321).answers
    assert not judged.correct and judged.convention == "pytorch"
    assert "keras_convention" in [d.key for d in judged.diagnoses]


def test_model_file(tmp_path) -> None:
    import yaml

    path = tmp_path / "rnn.yaml"
    path.write_text(yaml.safe_dump(KERAS_RNN), encoding="utf-8")
    assert check(str(path), params="529,441").ok
    assert check(path, trainable=529_441, non_trainable=0).ok


def test_model_shape_mistake_carried_through() -> None:
    # Conv2d(3, 8, 5) on 32x32: 28; MaxPool2d(2): 14. Without the +1 in either layer the answer is 13.
    model = {"input_shape": [1, 3, 32, 32], "layers": [
        {"layer": "Conv2d(3, 8, 5)", "name": "conv"}, {"layer": "MaxPool2d(2)", "name": "pool"}]}
    assert check(model, shape="14x14x8").ok
    [answer] = check(model, shape="13x13x8").answers
    assert not answer.correct and answer.expected_text() == "14x14x8"
    assert {(d.key, d.where) for d in answer.diagnoses} >= {("no_plus_one", "conv"), ("no_plus_one", "pool")}


def test_model_errors() -> None:
    with pytest.raises(ParamcalcError, match="nothing to check"):
        check(KERAS_RNN)
    with pytest.raises(ParamcalcError):
        check("no_such_model.yaml", params=1)
