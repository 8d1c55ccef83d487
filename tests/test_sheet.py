"""Problem sheets: reading, checking many problems, the report rows, the summary and the JSON.

The shipped course sheet (paramcalc/examples/course_sheet.yaml) is checked against the values worked
in the course notes (../shared/seeds/002 and 004).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from paramcalc.errors import ParamcalcError
from paramcalc.checking.sheet import EXIT_BAD_INPUT, EXIT_OK, EXIT_WRONG, check_sheet, load_sheet
from paramcalc.render.check import render_sheet_text, report_rows

COURSE_SHEET = resources.files("paramcalc") / "examples" / "course_sheet.yaml"

SMALL = {
    "title": "Week 3",
    "problems": [
        # (3·3·3 + 1)·64 = 1,792
        {"id": "conv", "layer": "Conv2d(3, 64, 3)", "answers": {"params": 1792}},
        # forgot the bias: 3·3·3·64 = 1,728
        {"id": "conv-wrong", "layer": "Conv2d(3, 64, 3)", "answers": {"params": "1,728"}},
        # (227 − 11)/4 + 1 = 55; 11·11·3·96 + 96 = 34,944
        {"id": "alexnet", "layer": "Conv2d(3, 96, 11, stride=4)", "input_shape": "227x227x3",
         "answers": {"params": 34944, "shape": "55x55x96"}},
    ],
}


def test_small_sheet_report() -> None:
    report = check_sheet(SMALL)
    assert (report.correct, report.total, report.errors) == (3, 4, 0)
    assert report.summary == "3/4 correct"
    assert report.exit_status == EXIT_WRONG
    rows = [(r.problem, r.given, r.expected, r.mark, r.diagnosis) for r in report_rows(report)]
    assert rows[0] == ("conv", "1,792", "1,792", "✓", "")
    assert rows[1] == ("conv-wrong", "1,728", "1,792", "✗", "matches forgetting the biases")
    assert rows[2][:4] == ("alexnet params", "34,944", "34,944", "✓")
    assert rows[3] == ("alexnet shape", "55x55x96", "55x55x96", "✓", "channels-last (H, W, C)")


def test_all_right_exit_status() -> None:
    report = check_sheet({"problems": SMALL["problems"][:1]})
    assert report.ok and report.exit_status == EXIT_OK and report.summary == "1/1 correct"


def test_bad_problem_is_reported_not_raised() -> None:
    sheet = {"problems": [*SMALL["problems"], {"id": "bad", "layer": "Conv2d(3, 64, 3, groups=2)",
                                               "answers": {"params": 1}}]}
    report = check_sheet(sheet)
    assert report.errors == 1 and report.exit_status == EXIT_BAD_INPUT
    assert report.summary == "3/4 correct, 1 problem with errors"
    last = report_rows(report)[-1]
    assert (last.problem, last.given, last.expected, last.mark) == ("bad", "--", "--", "!")
    assert last.details == ("error: Conv2d: groups must divide in_channels. Received: in_channels=3, groups=2",)


def test_default_ids_and_sheet_convention() -> None:
    # The sheet's convention applies to every problem: Keras's LSTM has one bias per gate,
    # 4·(128·(100 + 128) + 128) = 117,248.
    sheet = {"convention": "pytorch", "problems": [{"layer": "LSTM(100, 128)", "answers": {"params": 117_248}}]}
    report = check_sheet(sheet)
    assert report.problems[0].id == "1"
    assert not report.ok


def test_json_report() -> None:
    data = json.loads(json.dumps(check_sheet(SMALL).as_dict()))
    assert data["summary"] == "3/4 correct" and data["correct"] == 3 and data["total"] == 4
    wrong = data["problems"][1]
    assert wrong["ok"] is False
    [answer] = wrong["answers"]
    assert answer["diagnoses"][0]["mistake"] == "no_bias"
    assert "derivation" in answer  # the working is included for wrong answers
    assert "derivation" not in data["problems"][0]["answers"][0]


def test_plain_text_report() -> None:
    text = render_sheet_text(check_sheet(SMALL))
    assert text.splitlines()[-1] == "3/4 correct"
    assert "conv-wrong" in text and "matches forgetting the biases" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"problems": []}, r"problems: must have at least 1 entry. Received: \[\]"),
        ({"problems": [{"layer": "Linear(1, 1)"}]}, "problem 1: missing required key 'answers'"),
        ({"problems": [{"layer": "Linear(1, 1)", "answers": {}}]}, "give at least one answer"),
        ({"problems": [{"answers": {"params": 1}}]}, "give exactly one of layer or model"),
        ({"problems": [{"layer": "Linear(1, 1)", "answers": {"params": 2}, "hint": 1}]}, "problem 1: unknown key 'hint'"),
        ({"problems": [{"layer": "Linear(1, 1)", "convention": "caffe", "answers": {"params": 2}}]},
         "problem 1.convention: must be 'pytorch', 'keras' or 'textbook'. Received: 'caffe'"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_sheet_format_errors(data: object, message: str) -> None:
    with pytest.raises(ParamcalcError, match=message):
        load_sheet(data)  # type: ignore[arg-type]


def test_sheet_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ParamcalcError, match="cannot read"):
        check_sheet(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("problems: [\n", encoding="utf-8")
    with pytest.raises(ParamcalcError, match="not valid YAML"):
        check_sheet(bad)


def test_identical_problems_are_checked_once() -> None:
    problem = {"layer": "Conv2d(3, 64, 3)", "answers": {"params": 1728}}
    report = check_sheet({"problems": [problem] * 50})
    assert report.correct == 0 and report.total == 50
    first = report.problems[0].result
    assert all(p.result is first for p in report.problems)


# The course sheet: the notes' answers are right; each deliberately wrong answer gets its diagnosis.
COURSE_WRONG = {
    "conv-params-no-bias": ("no_bias", None),  # 3·3·3·64 = 1,728
    "conv-params-flat": ("no_input_channels", None),  # (3·3 + 1)·64 = 640
    "alexnet-conv1-no-plus-one": ("no_plus_one", None),  # 216/4 = 54
    "alexnet-conv1-224": ("rounded_up", None),  # ceil(213/4) + 1 = 55
    "batchnorm-running-stats": ("batchnorm_running_stats", None),  # 4·64 = 256
    "rnn-model-one-bias": ("keras_convention", None),  # 72,385 − 64
    "keras-rnn-model-no-bias": ("no_bias", "simple_rnn"),  # 529,441 − 128
    "keras-simplernn-two-biases": ("pytorch_convention", None),  # 29,312 + 128
    "lstm-three-gates": ("lstm_three_gates", None),  # 3·29,312 = 87,936
    "bilstm-once": ("bidirectional_once", None),  # 117,760 of 235,520
    "mha-no-output": ("no_output_projection", None),  # 3·512²
}


def test_course_sheet() -> None:
    report = check_sheet(Path(str(COURSE_SHEET)))
    assert report.errors == 0
    for problem in report.problems:
        assert problem.result is not None
        wrong = COURSE_WRONG.get(problem.id)
        if wrong is None:
            assert problem.ok, problem.id
            continue
        [answer] = problem.result.answers
        assert not answer.correct, problem.id
        assert wrong in [(d.key, d.where) for d in answer.diagnoses], problem.id
    assert report.summary == f"{report.total - len(COURSE_WRONG)}/{report.total} correct"


def test_course_sheet_values() -> None:
    by_id = {p.id: p.result for p in check_sheet(Path(str(COURSE_SHEET))).problems}
    # The values the notes work out, to the unit.
    assert by_id["keras-rnn-model"].answers[0].expected == 529_441
    assert by_id["rnn-model"].answers[0].expected == 72_385  # 64,000 + 8,320 + 65
    assert by_id["encoder-layer-textbook"].answers[0].expected == 12 * 512**2
    assert by_id["conv-params"].answers[0].expected == 1_792
    assert by_id["alexnet-conv1"].answers[1].expected == (96, 55, 55)


def test_check_sheet_at_the_top_level() -> None:
    """``paramcalc.check_sheet`` is loaded on first use, like ``paramcalc.check``, and draws itself with Rich."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, io, rich.console, paramcalc\n"
        "assert 'paramcalc.checking.sheet' not in sys.modules\n"
        "assert 'check_sheet' in paramcalc.__all__ and 'check_sheet' in dir(paramcalc)\n"
        "from paramcalc.checking.sheet import check_sheet\n"
        "assert paramcalc.check_sheet is check_sheet\n"
        "report = paramcalc.check_sheet({'problems': [\n"
        "    {'layer': 'Conv2d(3, 64, 3)', 'answers': {'params': 1792}},\n"  # (3·3·3 + 1)·64
        "    {'layer': 'LSTM(100, 128)', 'answers': {'params': 88320}}]})\n"  # 4·(128·100 + 128·128 + 2·128) = 117,760
        "console = rich.console.Console(file=io.StringIO(), width=80)\n"
        "console.print(report)\n"
        "print(report.summary, '|', console.file.getvalue().splitlines()[-1])\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(root)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1/2 correct | 1/2 correct\n"
