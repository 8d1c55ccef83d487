"""What checking costs: deep stacks are checked by formula, and a sheet's work is bounded (MAX_SHEET_WORK)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from paramcalc import check, parse_layer
from paramcalc.checking.sheet import EXIT_BAD_INPUT, check_sheet, sheet_work
from paramcalc.cli import app
from paramcalc.errors import ParamcalcError
from paramcalc.limits import MAX_LAYERS, MAX_LISTED_LAYERS, MAX_SHEET_PROBLEMS, MAX_SHEET_WORK, MAX_STACKED_LAYERS


def decoder_layer_params(d: int, ff: int = 2048) -> int:
    """torch's TransformerDecoderLayer by hand: two attentions (in_proj 3d·d + 3d, out_proj d·d + d),
    linear1 (ff·d + ff), linear2 (d·ff + d), three LayerNorms (2d each)."""
    attention = 3 * d * d + 3 * d + d * d + d
    return 2 * attention + (ff * d + ff) + (d * ff + d) + 3 * 2 * d


def test_hand_derivation_matches_a_small_stack() -> None:
    spec = parse_layer("TransformerDecoder(TransformerDecoderLayer(64, 2), 3)")
    assert spec.count().total == 3 * decoder_layer_params(64) == 893_760
    assert sum(t.numel for t in spec.param_tensors()) == 893_760


@pytest.mark.parametrize("d", [2, 64, 512])
def test_deep_stack_answers_are_right(d: int) -> None:
    expr = f"TransformerDecoder(TransformerDecoderLayer({d}, 2), {MAX_STACKED_LAYERS})"
    expected = MAX_STACKED_LAYERS * decoder_layer_params(d)
    assert check(expr, params=expected).ok
    wrong = check(expr, params=expected + 1).answers[0]
    assert not wrong.correct and wrong.expected == expected
    text = wrong.derivation
    assert text.splitlines()[-2].endswith(f"{expected:,} by formula")
    assert f"more than {MAX_LISTED_LAYERS} layers are not listed" in text
    assert len(text.splitlines()) < 20  # not one line per tensor


def test_deep_stack_keras_and_textbook_counts() -> None:
    """Keras (one layer's parts × num_layers) and the textbook count agree with a small stack scaled up."""
    small = parse_layer("TransformerEncoder(TransformerEncoderLayer(8, 2), 2, norm=LayerNorm(8))")
    deep = parse_layer(f"TransformerEncoder(TransformerEncoderLayer(8, 2), {MAX_STACKED_LAYERS}, norm=LayerNorm(8))")
    for convention in ("keras", "textbook"):
        per_layer = (small.count(convention).total - (2 * 8 if convention == "keras" else 0)) // 2
        norm = 2 * 8 if convention == "keras" else 0
        assert deep.count(convention).total == MAX_STACKED_LAYERS * per_layer + norm
    both = parse_layer("Transformer(8, 2, 1000, 1000, 16)")
    assert both.count("keras").total == both.count().total  # the same weights, one bias per projection


def test_sheet_of_deep_stacks_is_quick_and_right() -> None:
    """200 problems, each a 1,000-layer stack of a different width (no two alike, so nothing is
    remembered between them): a few seconds at most (the whole thing took minutes before)."""
    problems = [
        {"id": f"p{i}", "layer": f"TransformerDecoder(TransformerDecoderLayer({2 * i}, 2), 1000)",
         "answers": {"params": 1000 * decoder_layer_params(2 * i) + (i % 2)}}
        for i in range(1, 201)
    ]
    report = check_sheet({"problems": problems})
    assert report.correct == 100 and report.total == 200
    document = report.as_dict()
    assert all(len(a["derivation"]) < 2000 for p in document["problems"] for a in p["answers"] if "derivation" in a)


def _model_problem(layers: int, i: int = 0) -> dict:
    return {"id": f"m{i}", "model": {"layers": [{"layer": "ReLU()", "repeat": layers}]},
            "input_shape": "1x4", "answers": {"params": 0}}


STACK = {"id": "s", "layer": f"LSTM(2, 2, num_layers={MAX_STACKED_LAYERS})", "answers": {"params": 7}}
PLAIN = {"layer": "Linear(2, 2)", "answers": {"params": 6}}


def sheet_costing(work: int) -> list[dict]:
    """Problems that cost ``work`` layer evaluations in all: a 1,000-layer stack (1: counted by formula),
    then models of shape-keeping layers (evaluated once, so the sheet is quick whatever it costs)."""
    problems = [STACK]
    rest = work - 1
    while rest > 0:
        n = min(rest, MAX_LAYERS)
        problems.append(_model_problem(n, len(problems)))
        rest -= n
    return problems


def test_what_a_problem_costs() -> None:
    """A layer problem costs 1, a stack too (its count comes by formula, whatever its num_layers); a model
    its layers once repeats are expanded (a layer repeated 1,000 times costs 1,000)."""
    transformer = {"layer": "Transformer(8, 2, 3, 4, 16)", "answers": {"params": 1}}
    assert sheet_work({"problems": [STACK, transformer, PLAIN]}) == 3
    inline = {"model": {"layers": ["Linear(2, 2)", {"layer": "ReLU()", "repeat": 1000}]}, "answers": {"params": 6}}
    assert sheet_work({"problems": [inline]}) == 1001
    stacks = [{"layer": f"TransformerDecoder(TransformerDecoderLayer({2 * i + 2}, 2), 1000)", "answers": {"params": 1}}
              for i in range(1000)]
    assert sheet_work({"problems": stacks}) == 1000 <= MAX_SHEET_WORK


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_sheet_work_bound_error(offset: int) -> None:
    """A sheet costing MAX_SHEET_WORK - 1 or MAX_SHEET_WORK layers is checked; one more is refused, naming the problem."""
    problems = sheet_costing(MAX_SHEET_WORK + offset)
    assert sheet_work({"problems": problems}) == MAX_SHEET_WORK + offset
    if offset <= 0:
        report = check_sheet({"problems": problems})
        assert report.total == len(problems) and report.correct == len(problems) - 1  # the stack's 7 is wrong
        return
    with pytest.raises(ParamcalcError) as info:
        check_sheet({"problems": problems})
    message = str(info.value)
    assert f"more than {MAX_SHEET_WORK:,} layers" in message
    assert f"Reached at problem {len(problems)} (m{len(problems) - 1}): {MAX_SHEET_WORK + 1:,} layers" in message


def test_sheet_work_bound_cli(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    problems = [{"model": {"layers": [{"layer": "ConvTranspose1d(1, 1, 2)", "repeat": 9000}]},
                 "input_shape": "1x1x4", "answers": {"params": 10}}] * (MAX_SHEET_WORK // 9000 + 1)
    path.write_text(yaml.safe_dump({"problems": problems}))
    for args in (["check-sheet", str(path)], ["check-sheet", "--json", str(path)]):
        result = CliRunner().invoke(app, args, env={"COLUMNS": "80", "NO_COLOR": "1"})
        assert result.exit_code == EXIT_BAD_INPUT
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and f"more than {MAX_SHEET_WORK:,} layers" in result.stderr


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offset=st.integers(min_value=-3, max_value=3), stacks=st.integers(min_value=0, max_value=3))
def test_fuzz_sheets_near_the_bounds(offset: int, stacks: int) -> None:
    """Sheets a few layers either side of MAX_SHEET_WORK, with the deepest stacks among them: a result,
    or one error naming the bound. Budget: about 10 s for the whole test, under 300 MB."""
    work = MAX_SHEET_WORK + offset
    problems = sheet_costing(work - stacks) + [STACK] * stacks
    assert sheet_work({"problems": problems}) == work
    if work > MAX_SHEET_WORK:
        with pytest.raises(ParamcalcError, match=f"more than {MAX_SHEET_WORK:,} layers"):
            check_sheet({"problems": problems})
    else:
        report = check_sheet({"problems": problems})
        assert report.correct == report.total - 1 - stacks
        json.dumps(report.as_dict())


def test_most_problems_within_the_work_bound() -> None:
    """MAX_SHEET_PROBLEMS one-layer problems fit the work bound (a layer problem counts 1). Budget: a few seconds."""
    assert MAX_SHEET_PROBLEMS <= MAX_SHEET_WORK
    problems = [{"layer": "Linear(2, 3)", "answers": {"params": 9}}] * MAX_SHEET_PROBLEMS
    report = check_sheet({"problems": problems})
    assert report.correct == MAX_SHEET_PROBLEMS


def test_a_sheet_of_a_thousand_deep_problems_within_2_gib_and_60_s(tmp_path: Path) -> None:
    """1,000 problems, each naming 1,000 layers: 960 decoder stacks and 40 models (40,960 of
    MAX_SHEET_WORK), among them models whose every layer changes the shape, with wrong counts and wrong
    shapes (the mistake search runs on every layer). Run in a child process capped at 2 GiB of address
    space and 60 s of processor time: a sheet within the bounds answers within them."""
    from limited import run

    problems: list[dict] = []
    for i in range(960):
        d = 2 * (i + 1)
        problems.append({"id": f"s{i}", "layer": f"TransformerDecoder(TransformerDecoderLayer({d}, 2), 1000)",
                         "answers": {"params": 1000 * decoder_layer_params(d) + i % 2}})
    for i in range(30):
        d = i + 2
        problems.append({"id": f"l{i}", "model": {"layers": [{"layer": f"Linear({d}, {d})", "repeat": 1000}]},
                         "input_shape": f"1x{d}", "answers": {"params": 1000 * (d * d + d) + i % 2, "shape": f"1x{d}"}})
    for i in range(5):  # each layer grows the length: ConvTranspose1d by k - 1 = 1, a padded 1-wide Conv1d by 2
        problems.append({"id": f"t{i}", "model": {"layers": [{"layer": "ConvTranspose1d(1, 1, 2)", "repeat": 1000}]},
                         "input_shape": "1x1x4", "answers": {"params": 3001, "shape": "1x1x1003"}})
        problems.append({"id": f"c{i}", "model": {"layers": [{"layer": "Conv1d(1, 1, 1, padding=1)", "repeat": 1000}]},
                         "input_shape": "1x1x4", "answers": {"params": 2001, "shape": "1x1x2003"}})
    assert len(problems) == 1000
    path = tmp_path / "deep.yaml"
    path.write_text(yaml.safe_dump({"problems": problems}))
    assert sheet_work(path) == 960 + 40 * 1000 <= MAX_SHEET_WORK
    done = run(["check-sheet", "--json", str(path)], memory=2 << 30, seconds=60)
    assert done.returncode == 1, done.stderr[-500:]  # some answers are wrong
    report = json.loads(done.stdout)
    assert report["total"] == 960 + 30 * 2 + 10 * 2 and report["errors"] == 0
    assert report["correct"] == 480 + 15 + 30
    expected = {p["id"]: p for p in report["problems"]}
    assert expected["t0"]["answers"][0]["expected"] == 3 * 1000  # weight 1·1·2 + bias 1, 1,000 times
    assert expected["t0"]["answers"][1]["expected"] == [1, 1, 1004]  # L + (k - 1) per layer
    assert expected["c0"]["answers"][0]["expected"] == 2 * 1000
    assert expected["c0"]["answers"][1]["expected"] == [1, 1, 2004]  # L + 2·padding - (k - 1) per layer
    assert any(d["mistake"] == "no_plus_one" for d in expected["c0"]["answers"][1]["diagnoses"])
    assert len(done.stdout) < 5_000_000


def test_a_sheet_of_a_thousand_thousand_layer_models_is_refused_within_its_caps(tmp_path: Path) -> None:
    """1,000 models of 1,000 layers each: a million layers to evaluate, past MAX_SHEET_WORK, so the
    sheet is refused in one line, before any is checked (child capped at 1 GiB and 60 s of processor time)."""
    from limited import run

    problems = [{"id": f"m{i}", "model": {"layers": [{"layer": "ConvTranspose1d(1, 1, 2)", "repeat": 1000}]},
                 "input_shape": "1x1x4", "answers": {"params": i}} for i in range(1000)]
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump({"problems": problems}))
    done = run(["check-sheet", str(path)])
    reached = MAX_SHEET_WORK // 1000 + 1
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode() == (
        f"error: sheet: more than {MAX_SHEET_WORK:,} layers to evaluate (paramcalc's bound on a sheet: a layer "
        f"problem counts 1, a model its layers once repeats are expanded; split it). Reached at problem "
        f"{reached} (m{reached - 1}): {reached * 1000:,} layers\n")


def test_a_deep_model_answer_is_short_and_names_a_mistake_once() -> None:
    """A run of 1,000 identical layers is one line of working; a mistake any of them could hold is one
    diagnosis naming the run. Conv1d(1, 1, 1, padding=1): weight 1·1·1 + bias 1 = 2 parameters, and
    the length grows by 2·padding - (k - 1) = 2 per layer: 4 + 2,000 = 2,004."""
    model = {"layers": [{"layer": "Conv1d(1, 1, 1, padding=1)", "repeat": 1000}]}
    params, shape = check(model, input_shape="1x1x4", params=2001, shape="1x1x2003").answers
    assert params.expected == 2000 and tuple(shape.expected) == (1, 1, 2004)
    assert params.derivation.splitlines() == ["0[0-999] (Conv1d) (1000 of them): 2,000", "total: 2,000"]
    assert shape.derivation == "0[0-999] (Conv1d ×1000): 1x1x4 -> 1x1x2004"
    texts = [d.text for d in shape.diagnoses]
    assert texts == [
        "any one of 1,000 layers (0[0], 0[1], ..., 0[999]): matches omitting the +1 in the output-size formula",
        "any one of 1,000 layers (0[0], 0[1], ..., 0[999]): matches padding only one side",
    ]


def test_the_mistake_search_stops_at_its_bound_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import paramcalc.checking.model as model_checking

    model = {"layers": [{"layer": "Conv1d(1, 1, 1, padding=1)", "repeat": 50}]}
    full = check(model, input_shape="1x1x4", shape="1x1x103")
    assert full.answers[0].diagnoses and not full.notes
    monkeypatch.setattr(model_checking, "MAX_SEARCH_STEPS", 10)
    stopped = check(model, input_shape="1x1x4", shape="1x1x103")
    assert not stopped.answers[0].correct and tuple(stopped.answers[0].expected) == (1, 1, 104)
    assert any("stopped after 10 layer applications" in n for n in stopped.notes)
