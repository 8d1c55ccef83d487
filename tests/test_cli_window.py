"""``paramcalc window``, ``receptive-field`` and ``solve``: outputs (golden files), JSON, bad input; and
``paramcalc check`` judging under one convention with the shared short options."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from paramcalc.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def flat(text: str) -> str:
    return " ".join(text.split())


def test_window_same_padding(golden) -> None:
    # TensorFlow's "SAME" example: 13 wide, filter 6, stride 5: 3 outputs, padding 1 left and 2 right.
    status, out, err = run("window", "-n", "13", "-k", "6", "-s", "5", "--padding", "same")
    assert status == 0 and err == ""
    assert "padding 1 left, 2 right" in out
    golden("cli_window_same.txt", out)


def test_window_valid_json() -> None:
    status, out, _ = run("window", "-n", "13", "-k", "6", "-s", "5", "--padding", "valid", "--json")
    doc = json.loads(out)
    assert status == 0 and doc["output"] == 2 and doc["uncovered"] == [[11, 12]]


def test_window_gaps_naming() -> None:
    # CS231n's "dilation 1" is torch's dilation 2: taps 0, 2, 4.
    status, out, _ = run("window", "-n", "7", "-k", "3", "--dilation", "1", "--dilation-naming", "gaps")
    assert status == 0
    assert "torch's and Keras's dilation 2" in flat(out) and "0, 2, 4" in out


def test_receptive_field_lenet(golden) -> None:
    status, out, _ = run("receptive-field", "Conv2d(1, 6, 5)", "MaxPool2d(2)", "Conv2d(6, 16, 5)", "MaxPool2d(2)",
                         "-i", "1,1,32,32")
    assert status == 0
    golden("cli_receptive_field_lenet.txt", out)


def test_solve_padding_and_input(golden) -> None:
    status, out, _ = run("solve", "input", "-k", "3", "-s", "2", "--to", "12")
    assert status == 0
    golden("cli_solve_input.txt", out)
    status, out, _ = run("solve", "padding", "-n", "32", "-k", "5", "--json")
    assert json.loads(out)["solutions"] == [
        {"value": 2, "output": "32", "working": "(32 + 2·2 − 1·(5 − 1) − 1)/1 + 1 = 32"}]


def test_bad_input_is_one_line() -> None:
    for args, words in (
        (("solve", "foo"), "'foo' is not one of"),
        (("solve", "padding", "-k", "3"), "give the size"),
        (("window", "-n", "3", "-k", "5"), "larger than the padded input"),
        (("window", "-n", "8", "-k", "3", "--padding", "half"), "--padding"),
        (("receptive-field",), "give the layers"),
    ):
        status, out, err = run(*args)
        assert status == 2 and out == "" and err.count("\n") == 1 and words in err, (args, err)


def test_check_keras_lstm_with_pytorch_count() -> None:
    # Keras LSTM(128) on 100 features: 4·(128·100 + 128·128 + 128) = 117,248; 117,760 is PyTorch's count.
    status, out, _ = run("check", "layers.LSTM(128)", "-i", "32,50,100", "--params", "117760")
    assert status == 1
    assert "that is PyTorch's count: two bias vectors per gate" in out
    status, out, _ = run("check", "layers.LSTM(128)", "-i", "32,50,100", "--params", "117760", "-c", "pytorch")
    assert status == 0


def test_check_shape_as_keras_prints_it() -> None:
    # Keras Conv2D(96, 11, strides=4) on 227x227x3: model.summary() prints (None, 55, 55, 96).
    status, _, _ = run("check", "layers.Conv2D(96, 11, strides=4)", "-i", "None,227,227,3",
                       "--shape", "(None, 55, 55, 96)")
    assert status == 0


def test_brief_answers_on_one_line() -> None:
    # 10 wide, filter 3, stride 2: floor((10 - 3)/2) + 1 = 4
    assert run("window", "-n", "10", "-k", "3", "-s", "2", "-q") == (0, "4\n", "")
    # (32 - 5 + 2p)/1 + 1 = 32 keeps the size at p = 2; (32 - k)/1 + 1 = 28 at k = 5
    assert run("solve", "padding", "-n", "32", "-k", "5", "-q") == (0, "2\n", "")
    assert run("solve", "kernel", "-n", "32", "--target", "28", "-q") == (0, "5\n", "")
    # (10 - 3)/s + 1 = 7 needs s = 7/6: no whole stride
    assert run("solve", "stride", "-n", "10", "-k", "3", "--target", "7", "-q") == (0, "none\n", "")
    # strides dividing (10 - 4) = 6 exactly: 1, 2, 3, 6
    status, out, _ = run("solve", "stride", "-n", "10", "-k", "4", "-q")
    assert status == 0 and out == "1,2,3,6\n"
    # a global pool ends the field: 5 from the convolution, then the whole input
    assert run("receptive-field", "Conv2d(1, 6, 5)", "AdaptiveAvgPool2d(1)", "-q") == (
        0, "5 (whole input from AdaptiveAvgPool2d(1))\n", "")
    # --json wins over --brief, as elsewhere
    status, out, _ = run("window", "-n", "10", "-k", "3", "-s", "2", "-q", "--json")
    assert json.loads(out)["output"] == 4


PLAIN_STACK = """input_shape: [1, 1, 32, 32]
layers:
  - Conv2d(1, 4, 3)
  - ReLU()
  - MaxPool2d(2)
  - Conv2d(4, 4, 3, dilation=2)
  - Conv2d(4, 4, 3, stride=2)
"""


def test_receptive_field_of_a_model_file(tmp_path) -> None:
    # By hand, r_l = r_{l-1} + d(k-1) j_{l-1}, j_l = j_{l-1} s from r_0 = j_0 = 1:
    # conv k3: r 1+2·1 = 3, j 1; pool k2 s2: r 3+1·1 = 4, j 2; conv k3 d2: r 4+2·2·2 = 12, j 2;
    # conv k3 s2: r 12+2·2 = 16, j 4. ReLU has no window and is left out.
    # Sizes 32 -> 30 -> 15 -> 15-4 = 11 -> (11-3)/2+1 = 5, times 4 channels.
    path = tmp_path / "stack.yaml"
    path.write_text(PLAIN_STACK, encoding="utf-8")
    status, out, err = run("receptive-field", str(path), "--json")
    assert status == 0 and err == ""
    rows = json.loads(out)["layers"]
    assert [(r["layer"], r["receptive_field"], r["jump"]) for r in rows] == [
        ("0 (Conv2d)", 3, 1), ("2 (MaxPool2d)", 4, 2), ("3 (Conv2d)", 12, 2), ("4 (Conv2d)", 16, 4)]
    assert [r["output_neurons"] for r in rows] == [30 * 30 * 4, 15 * 15 * 4, 11 * 11 * 4, 5 * 5 * 4]


def test_receptive_field_refuses_a_branching_model_file(tmp_path) -> None:
    path = tmp_path / "residual.yaml"
    path.write_text("input_shape: [1, 4, 8, 8]\nlayers:\n  - Conv2d(4, 4, 3, padding=1)\n"
                    "  - name: res\n    layers:\n      - Conv2d(4, 4, 3, padding=1)\n    shortcut: identity\n",
                    encoding="utf-8")
    status, out, err = run("receptive-field", str(path))
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "not a plain stack" in err and "res" in err


def test_check_reads_dilation_as_gaps() -> None:
    # CS231n's dilation 1 (one gap) is torch's dilation=2: effective kernel 2·(3 − 1) + 1 = 5,
    # so a 7x7 input gives 7 − 5 + 1 = 3. Read in torch's naming, the same expression gives 7 − 3 + 1 = 5.
    args = ("check", "Conv2d(1, 1, 3, dilation=1)", "-i", "1,1,7,7", "--shape", "3")
    status, out, _ = run(*args, "--dilation-naming", "gaps")
    assert status == 0
    assert "dilation 1 (gaps) = torch dilation=2: effective kernel 2·(3 − 1) + 1 = 5" in out
    assert "1/1 correct" in out
    status, out, _ = run(*args)
    assert status == 1 and "(gaps)" not in out
    status, out, _ = run(*args, "--dilation-naming", "gaps", "--json")
    assert status == 0 and json.loads(out)["dilation_naming"].startswith("dilation 1 (gaps) = torch dilation=2")
    # Zero gaps is a plain filter: torch's dilation=1, output 5.
    status, out, _ = run("check", "Conv2d(1, 1, 3, dilation=0)", "-i", "1,1,7,7", "--shape", "5",
                         "--dilation-naming", "gaps")
    assert status == 0 and "dilation 0 (gaps) = torch dilation=1" in out


def test_check_gaps_naming_bad_input_is_one_line(tmp_path) -> None:
    model = tmp_path / "stack.yaml"
    model.write_text(PLAIN_STACK, encoding="utf-8")
    for args, words in (
        (("check", "Linear(3, 4)", "--params", "16", "--dilation-naming", "gaps"), "Linear has no dilation"),
        (("check", "Conv2d(1, 1, 3, dilation=-1)", "--params", "10", "--dilation-naming", "gaps"), ">= 0"),
        (("check", str(model), "--params", "10", "--dilation-naming", "gaps"), "not a model"),
    ):
        status, out, err = run(*args)
        assert status == 2 and out == "" and err.count("\n") == 1 and words in err, (args, err)


@pytest.mark.crosscheck
def test_check_reads_a_keras_dilation_rate_as_gaps() -> None:
    from conftest import require

    keras = require("keras")
    # A Keras Conv2D problem (Keras docs: dilation_rate, "the dilation rate to use for dilated convolution"),
    # 3×3 filter, "valid", on a 32×32×3 image, asked with CS231n's naming: dilation 1 is one gap between taps,
    # Keras's dilation_rate=2, effective kernel 2·(3 − 1) + 1 = 5: 32 − 5 + 1 = 28. Keras itself builds it so.
    built = keras.layers.Conv2D(8, 3, dilation_rate=2).compute_output_shape((1, 32, 32, 3))
    assert tuple(built) == (1, 28, 28, 8)
    args = ("check", "layers.Conv2D(8, 3, dilation_rate=1)", "-i", "1,32,32,3", "--shape", "28x28x8")
    status, out, _ = run(*args, "--dilation-naming", "gaps")
    assert status == 0 and "1/1 correct" in out
    assert "dilation_rate 1 (gaps) = Keras dilation_rate=2: effective kernel 2·(3 − 1) + 1 = 5" in flat(out)
    # read as Keras reads it, dilation_rate=1 is a plain 3×3 filter: 32 − 3 + 1 = 30, and 28 is wrong
    status, out, _ = run(*args)
    assert status == 1 and "30x30x8" in out and "(gaps)" not in out
    # a Keras layer without dilation_rate= is a plain filter under either naming
    status, out, _ = run("check", "layers.Conv2D(8, 3)", "-i", "1,32,32,3", "--shape", "30x30x8",
                         "--dilation-naming", "gaps")
    assert status == 0 and "0 gaps = dilation 1" in out
