"""What users see for the Keras layer types: the layer report of a merge, of a separable
convolution, of Keras 2 code without --input-shape, and their formula families (golden files)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from paramcalc.cli import app

runner = CliRunner()
PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=PLAIN)
    return result.exit_code, result.stdout, result.stderr


def test_concatenate_report(golden) -> None:
    # U-Net skip: 64 + 32 channels, no weights
    status, out, err = run("layer", "layers.Concatenate()", "-i", "None,28,28,64;None,28,28,32")
    assert (status, err) == (0, "")
    assert "output (None, 28, 28, 96)" in out and "Parameters  0" in out
    golden("cli_layer_keras_concatenate.txt", out)


def test_merge_of_shapes_that_do_not_fit_is_one_line_naming_both() -> None:
    status, out, err = run("layer", "layers.Add()", "-i", "None,8,8,16;None,8,8,32")
    assert status == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: Add: the inputs must have broadcastable shapes (16 and 32 on axis -1). "
        "Received: input 0 (None, 8, 8, 16) and input 1 (None, 8, 8, 32)"
    ]


def test_separable_conv_report(golden) -> None:
    # Xception: 3·3·64 + 64·128 + 128 = 8,896
    status, out, err = run("layer", "layers.SeparableConv2D(128, 3, padding='same')", "-i", "None,147,147,64")
    assert (status, err) == (0, "")
    assert "8,896" in out and "pointwise_kernel" in out
    golden("cli_layer_keras_separable.txt", out)


def test_keras2_code_without_input_shape(golden) -> None:
    # Keras 2's LSTM(32, input_dim=3): 4·(32·3 + 32·32 + 32) = 4,608 on 3 features per step
    status, out, err = run("layer", "LSTM(32, input_dim=3)")
    assert (status, err) == (0, "")
    assert "4,608" in out and "Keras 3 dropped" in " ".join(out.split())
    assert "output (None, 32)" in out
    golden("cli_layer_keras2_lstm.txt", out)
    doc = json.loads(run("layer", "LSTM(32, input_dim=3)", "--json")[1])
    assert doc["params"]["total"] == 4_608 and doc["input_shapes"] == [[None, None, 3]]
    assert any("Keras 3 dropped" in n for n in doc["notes"])


def test_formula_families(golden) -> None:
    outs = []
    for name in ("concatenate", "depthwiseconv2d", "upsampling2d", "normalization", "convlstm2d", "timedistributed"):
        status, out, err = run("formula", name)
        assert (status, err) == (0, ""), name
        outs.append(out)
    golden("cli_formula_keras_families.txt", "\n".join(outs))
