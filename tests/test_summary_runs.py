"""A summary shows a run of identical consecutive layers as one row (``[0-39]  ConvTranspose1d ×40``),
unless ``--all-rows`` asks for every row: the text of a deep model stays short, and its numbers still
add up."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from paramcalc.cli import app
from paramcalc.models.evaluate import evaluate
from paramcalc.models.format import load_model
from paramcalc.models.summary import MIN_RUN, collapse_runs
from paramcalc.results import Count

PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb"}

#: Six Linear(4, 4) written out, two ReLUs (too few to collapse), then ConvTranspose1d(1, 1, 2)
#: forty times: each lengthens its input by k - 1 = 1, so each has its own row and shape.
RUNS = """\
name: runs
input_shape: [1, 1, 4]
layers:
  - Linear(4, 4)
  - Linear(4, 4)
  - Linear(4, 4)
  - Linear(4, 4)
  - Linear(4, 4)
  - Linear(4, 4)
  - ReLU()
  - ReLU()
  - {name: up, layer: "ConvTranspose1d(1, 1, 2)", repeat: 40}
"""


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=PLAIN)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def runs_file(tmp_path: Path) -> Path:
    path = tmp_path / "runs.yaml"
    path.write_text(RUNS)
    return path


def test_runs_golden(golden, runs_file: Path) -> None:
    code, out, err = cli("summary", str(runs_file))
    assert (code, err) == (0, "")
    golden("summary_runs.txt", out)
    # Linear(4, 4): 4·4 + 4 = 20 each, six of them; ConvTranspose1d(1, 1, 2): weight 1·1·2 + bias 1 = 3,
    # forty of them; MACs L_in·k each, L_in = 4 ... 43: 2·(4 + ... + 43) = 1,880.
    line = next(x for x in out.splitlines() if x.strip().startswith("0-5"))
    assert "Linear ×6" in line and line.split()[-3:] == ["120", "96", "yes"]  # MACs: 4·4 each
    line = next(x for x in out.splitlines() if x.strip().startswith("[0-39]"))
    assert "ConvTranspose1d ×40" in line and "(1, 1, 44)" in line and "120" in line and "1.88K" in line
    assert len(out.splitlines()) < 30


def test_all_rows_golden(golden, runs_file: Path) -> None:
    code, out, err = cli("summary", str(runs_file), "--all-rows")
    assert (code, err) == (0, "")
    golden("summary_runs_all_rows.txt", out)
    assert sum(1 for x in out.splitlines() if "ConvTranspose1d" in x) == 41  # the repeat's row and each copy's
    assert "[39]" in out and "(1, 1, 44)" in out


def test_collapsed_rows_add_up() -> None:
    summary = evaluate(load_model({"layers": ["Linear(4, 4)"] * 5 + ["ReLU()", "ReLU()"], "input_shape": [1, 4]}))
    rows = collapse_runs(summary.rows)
    assert [r.name for r in rows] == ["0-4", "5", "6"]
    assert rows[0].repeat == 5 and rows[0].count == Count(100)
    assert rows[0].members == tuple(str(i) for i in range(5))
    assert sum((r.count for r in rows if r.leaf), Count(0)) == summary.totals
    assert collapse_runs(summary.rows[:MIN_RUN - 1]) == summary.rows[:MIN_RUN - 1]  # a short run stays


def test_a_deep_model_prints_a_short_table(tmp_path: Path) -> None:
    """9,000 layers that each change the shape: a few lines unless every row is asked for."""
    path = tmp_path / "deep.yaml"
    path.write_text('input_shape: [1, 1, 4]\nlayers:\n  - {layer: "ConvTranspose1d(1, 1, 2)", repeat: 9000}\n')
    code, out, _ = cli("summary", str(path))
    assert code == 0 and len(out.splitlines()) < 20
    assert "[0-8999]" in out and "(1, 1, 9004)" in out and "27,000" in out  # 9,000 × 3
