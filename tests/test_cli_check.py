"""``paramcalc check`` and ``paramcalc check-sheet``: outputs (golden files), JSON, exit statuses, errors.

Golden files live in tests/golden/ and are rewritten only with ``pytest --update-golden``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paramcalc.cli import app

runner = CliRunner()
COURSE_SHEET = str(resources.files("paramcalc") / "examples" / "course_sheet.yaml")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def flat(text: str) -> str:
    """The text with every run of whitespace (line wrapping included) made one space."""
    return " ".join(text.split())


# -- paramcalc check -------------------------------------------------------------------------


def test_check_wrong_conv_answer(golden) -> None:
    # (3·3·3 + 1)·64 = 1,792; 1,728 forgets the bias of each of the 64 filters.
    status, out, err = run("check", "Conv2d(3, 64, 3)", "--params", "1728")
    assert status == 1 and err == ""
    assert "✗ params" in out and "expected 1,792" in out and "matches forgetting the biases" in out
    golden("check_conv_wrong.txt", out)


def test_check_alexnet_shape(golden) -> None:
    # (227 − 11)/4 + 1 = 55, written channels-last as exams do.
    status, out, _ = run("check", "Conv2d(3, 96, 11, stride=4)", "--input-shape", "227x227x3", "--shape", "55x55x96")
    assert status == 0
    assert "✓ shape" in out and "channels-last (H, W, C)" in out
    golden("check_alexnet_shape.txt", out)


def test_check_inexact_division(golden) -> None:
    # (224 − 11)/4 + 1 = 54.25: said plainly, and torch's floored 54 is expected.
    status, out, _ = run("check", "Conv2d(3, 96, 11, stride=4)", "--input-shape", "1,3,224,224", "--shape", "54.25")
    assert status == 1
    assert "output height and width (224 + 2*0 - 1*(11-1) - 1)/4 + 1 = 54.25 is not a whole number; floored to 54" in flat(out)
    assert "exam problems usually choose sizes that divide exactly" in flat(out)
    assert "matches not flooring (n − k)/s" in out
    golden("check_inexact.txt", out)


def test_check_several_answers_and_no_working() -> None:
    # LSTM(100, 128): 4·(128·100 + 128·128 + 2·128) = 117,760; output (50, 32, 128).
    status, out, _ = run(
        "check", "LSTM(100, 128)", "--params", "117,760", "--shape", "50x32x128", "--input-shape", "50,32,100",
        "--no-working",
    )
    assert status == 0
    assert "2/2 correct" in out and "formula" not in out


def test_check_json() -> None:
    status, out, _ = run("check", "Conv2d(3, 64, 3)", "--params", "640", "--json")
    assert status == 1
    data = json.loads(out)
    assert data["ok"] is False and data["kind"] == "layer"
    [answer] = data["answers"]
    assert (answer["given"], answer["expected"]) == (640, 1792)
    assert answer["diagnoses"][0]["mistake"] == "no_input_channels"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "Conv2d(3, 64, 3, groups=2)", "--params", "1"),
         "error: Conv2d: groups must divide in_channels. Received: in_channels=3, groups=2"),
        (("check", "Conv2d(3, 64, 3)"), "error: nothing to check"),
        (("check", "Conv2d(3, 64, 3)", "--params", "1.5k"), "error: params: must be a whole number"),
        (("check", "Conv2d(3, 64, 3)", "--shape", "5x5"), "error: shape: an input shape is needed"),
        (("check", "Conv2d(3, 64, 3)", "--params", "1", "--input-shape", "3x3xa"), "error: --input-shape"),
        (("check", "missing_model.yaml", "--params", "1"), "error: model file not found: missing_model.yaml"),
        (("check", "Conv2d(3, 64, 3)", "--params", "1", "--convention", "caffe"), "caffe"),
    ],
)
def test_check_bad_input(args: tuple[str, ...], message: str) -> None:
    status, out, err = run(*args)
    assert status == 2 and out == ""
    assert message in err
    assert "Traceback" not in err


def test_check_model_file(tmp_path: Path, golden) -> None:
    # Course notes: Keras Embedding(5000, 100) → SimpleRNN(128) → Dense(1) has 529,441 parameters;
    # 529,313 leaves out the SimpleRNN's 128 biases.
    model = tmp_path / "rnn.yaml"
    model.write_text(
        "name: Keras SimpleRNN classifier\n"
        "framework: keras\n"
        "input_shape: [32, 30]\n"
        "layers:\n"
        "  - {layer: 'Embedding(5000, 100)', name: embedding}\n"
        "  - {layer: 'SimpleRNN(128)', name: simple_rnn}\n"
        "  - {layer: 'Dense(1)', name: dense}\n",
        encoding="utf-8",
    )
    status, out, _ = run("check", str(model), "--params", "529441")
    assert status == 0 and "✓ params" in out
    status, out, _ = run("check", str(model), "--params", "529,313")
    assert status == 1
    assert "simple_rnn: matches forgetting the biases" in out
    golden("check_model_wrong.txt", out)


# -- paramcalc check-sheet -------------------------------------------------------------------


def test_course_sheet(golden) -> None:
    status, out, _ = run("check-sheet", COURSE_SHEET)
    assert status == 1  # the sheet holds deliberately wrong answers
    golden("check_sheet_course.txt", out)


def test_course_sheet_json() -> None:
    status, out, _ = run("check-sheet", COURSE_SHEET, "--json")
    assert status == 1
    data = json.loads(out)
    assert data["summary"] == f"{data['correct']}/{data['total']} correct"
    assert data["errors"] == 0


def test_sheet_all_right(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("problems:\n  - {layer: 'Linear(64, 1)', answers: {params: 65}}\n", encoding="utf-8")
    status, out, _ = run("check-sheet", str(sheet))
    assert status == 0 and "1/1 correct" in out


def test_sheet_with_a_bad_problem(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(
        "problems:\n"
        "  - {layer: 'Linear(64, 1)', answers: {params: 65}}\n"
        "  - {layer: 'Lineer(64, 1)', answers: {params: 65}}\n",
        encoding="utf-8",
    )
    status, out, _ = run("check-sheet", str(sheet))
    assert status == 2
    assert "unknown layer type 'Lineer'" in out and "1/1 correct, 1 problem with errors" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("problems: [\n", "error: sheet: sheet.yaml is not valid YAML"),
        ("title: x\n", "error: sheet: missing required key 'problems'"),
        ("problems:\n  - {layer: 'Linear(1, 1)'}\n", "error: sheet: problem 1: missing required key 'answers'"),
    ],
)
def test_sheet_bad_file(tmp_path: Path, text: str, message: str) -> None:
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(text, encoding="utf-8")
    status, out, err = run("check-sheet", str(sheet))
    assert status == 2 and out == ""
    assert message in err


def test_sheet_missing_file() -> None:
    status, _, err = run("check-sheet", "no_such_sheet.yaml")
    assert status == 2 and "error: sheet: cannot read 'no_such_sheet.yaml'" in err


def test_sheet_with_unreadable_problems_says_so_on_stderr(tmp_path):
    # One good problem (Conv2d(3, 64, 3) = 3·3·3·64 + 64 = 1,792) and one torch refuses
    # (groups=2 does not divide in_channels=3): the report shows both, stderr has one line, exit 2.
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(
        'problems:\n  - layer: "Conv2d(3, 64, 3)"\n    answers: {params: 1792}\n'
        '  - layer: "Conv2d(3, 64, 3, groups=2)"\n    answers: {params: 1}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["check-sheet", str(sheet)], env={"NO_COLOR": "1"})
    assert result.exit_code == 2
    assert "1/1 correct, 1 problem with errors" in result.stdout
    assert result.stderr == f"error: 1 of 2 problems in {sheet} could not be checked (see the report)\n"
