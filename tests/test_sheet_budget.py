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
from paramcalc.checking.sheet import EXIT_BAD_INPUT, check_sheet
from paramcalc.cli import app
from paramcalc.errors import ParamcalcError
from paramcalc.limits import MAX_LISTED_LAYERS, MAX_SHEET_PROBLEMS, MAX_SHEET_WORK, MAX_STACKED_LAYERS


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


def test_sheet_work_bound_error() -> None:
    per_model = MAX_SHEET_WORK // 4
    sheet = {"problems": [_model_problem(per_model, i) for i in range(5)]}
    with pytest.raises(ParamcalcError) as info:
        check_sheet(sheet)
    message = str(info.value)
    assert f"more than {MAX_SHEET_WORK:,} layers" in message
    assert f"Reached at problem 5 (m4): {5 * per_model:,} layers" in message
    assert check_sheet({"problems": sheet["problems"][:4]}).ok  # exactly at the bound: checked


def test_sheet_work_bound_cli(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    problems = [{"model": {"layers": [{"layer": "ConvTranspose1d(1, 1, 2)", "repeat": 9000}]},
                 "input_shape": "1x1x4", "answers": {"params": 10}} for _ in range(40)]
    path.write_text(yaml.safe_dump({"problems": problems}))
    for args in (["check-sheet", str(path)], ["check-sheet", "--json", str(path)]):
        result = CliRunner().invoke(app, args, env={"COLUMNS": "80", "NO_COLOR": "1"})
        assert result.exit_code == EXIT_BAD_INPUT
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and f"more than {MAX_SHEET_WORK:,} layers" in result.stderr


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    models=st.integers(min_value=1, max_value=3),
    layers=st.integers(min_value=MAX_SHEET_WORK // 3 - 5, max_value=MAX_SHEET_WORK // 3 + 5),
    extra=st.integers(min_value=0, max_value=3),
)
def test_fuzz_sheets_near_the_bounds(models: int, layers: int, extra: int) -> None:
    """Sheets at and just past MAX_SHEET_WORK (shape-keeping layers: evaluated once, shared rows), the
    deepest stacks, and MAX_SHEET_PROBLEMS problems: a result or one error naming the bound.
    Budget: about 10 s for the whole test, under 300 MB."""
    problems = [_model_problem(layers, i) for i in range(models)]
    problems += [{"layer": f"LSTM(2, 2, num_layers={MAX_STACKED_LAYERS})", "answers": {"params": 7}}] * extra
    work = models * layers + extra
    if work > MAX_SHEET_WORK:
        with pytest.raises(ParamcalcError, match=f"more than {MAX_SHEET_WORK:,} layers"):
            check_sheet({"problems": problems})
    else:
        report = check_sheet({"problems": problems})
        assert report.correct == models and report.total == models + extra
        json.dumps(report.as_dict())


def test_most_problems_within_the_work_bound() -> None:
    """MAX_SHEET_PROBLEMS one-layer problems fit the work bound (a layer problem counts 1). Budget: a few seconds."""
    assert MAX_SHEET_PROBLEMS <= MAX_SHEET_WORK
    problems = [{"layer": "Linear(2, 3)", "answers": {"params": 9}}] * MAX_SHEET_PROBLEMS
    report = check_sheet({"problems": problems})
    assert report.correct == MAX_SHEET_PROBLEMS
