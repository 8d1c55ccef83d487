"""``paramcalc.entry.main`` answers a plain ``paramcalc layer`` query without Typer: same output, same exit.

Every comparison runs the entry point (fast path or not) and the Typer app itself (``CliRunner``
on ``paramcalc.cli.app``) on the same arguments and asks for the same stdout, stderr and status.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from paramcalc import cli, entry

QUERIES = [
    ["layer", "LSTM(100, 128, num_layers=2)", "--input-shape", "32,50,100"],
    ["layer", "LSTM(100, 128)", "-i", "32x50x100", "--all-conventions"],
    ["layer", "Conv2d(3, 96, 11, stride=4)", "-i", "1,3,224,224", "--json"],
    ["layer", "layers.Dense(64)", "--input-shape", "32,100", "-c", "keras"],
    ["layer", "BatchNorm2d(64)", "--convention", "textbook", "--json"],
    ["layer", "Conv2d(64, 128, 3, groups=3)"],  # bad input: one line on stderr, exit 2
    ["layer", "Lstm(100, 128)"],
    ["layer", "Linear(10, 5)", "-i", "3,7"],
    ["layer", "Linear(10, 5)", "-i", "-3,10"],  # a value may start with '-' (click takes it as the value)
]
NOT_PLAIN = [
    ["layer", "--help"],
    ["layer", "Linear(3, 4)", "--json", "--json"],
    ["layer", "Linear(3, 4)", "--input-shape=2,3"],
    ["layer", "Linear(3, 4)", "-c", "nonsense"],
    ["layer", "Linear(3, 4)", "extra"],
    ["layer"],
    ["lstm", "--input-size", "3", "--hidden-size", "4"],
    ["layer", "Linear(3, 4)", "-i"],
    ["layer", "Linear(3, 4)", "-c", "--json"],
    ["layer", "--", "Linear(3, 4)"],
]
ENV = {"NO_COLOR": "1", "COLUMNS": "80", "FORCE_COLOR": None, "PARAMCALC_DEBUG": None}


def run_entry(argv: list[str]) -> tuple[int, str, str]:
    """``paramcalc ARGV`` through the entry point, in this process."""
    out, err = io.StringIO(), io.StringIO()
    env = {k: v for k, v in ENV.items() if v is not None}
    with mock.patch.object(sys, "argv", ["paramcalc", *argv]), mock.patch.dict(os.environ, env), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        for name in (k for k, v in ENV.items() if v is None):
            os.environ.pop(name, None)
        try:
            entry.main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
    return code, out.getvalue(), err.getvalue()


def run_typer(argv: list[str]) -> tuple[int, str, str]:
    """``paramcalc ARGV`` through the Typer app, whatever the entry point would do."""
    result = CliRunner().invoke(cli.app, argv, env=ENV)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("argv", QUERIES, ids=[" ".join(q[1:3]) for q in QUERIES])
def test_plain_query_is_recognised(argv: list[str]) -> None:
    assert entry.plain_layer_query(argv) is not None


@pytest.mark.parametrize("argv", NOT_PLAIN, ids=[" ".join(q) for q in NOT_PLAIN])
def test_anything_else_goes_to_typer(argv: list[str]) -> None:
    assert entry.plain_layer_query(argv) is None


@pytest.mark.parametrize("argv", QUERIES + NOT_PLAIN, ids=[" ".join(q) for q in QUERIES + NOT_PLAIN])
def test_entry_prints_what_typer_prints(argv: list[str]) -> None:
    code, out, err = run_entry(argv)
    assert (code, out, err) == run_typer(argv)
    if code and argv in QUERIES:
        assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1


# -- Any query, good or bad --------------------------------------------------------------------

EXPRESSIONS = [
    "LSTM(100, 128, num_layers=2)", "Linear(10, 5)", "nn.Conv2d(3, 8, 3, padding=1)", "layers.Dense(4)",
    "Linear(in_features=3, out_features=4, bias=False)", "MultiheadAttention(16, 4)", "GRU(8, 8, bidirectional=True)",
    "BatchNorm1d(8)", "Conv2d(64, 128, 3, groups=3)", "Lstm(100, 128)", "Linear(-1, 3)", "Linear(True, 3)",
    "Linear(", "", " ", "__import__('os')", "(lambda: 1)()", "Linear(3, 4).weight", "[" * 200,
    "Linear(" + "9" * 40 + ", 1)", "layers.Conv2D(8, 3)", "ReLU()", "\x1b[31mred", "Linear(3,\n4)",
]
SHAPES = ["32,50,100", "3,10", "1x3x8x8", "(2, 8)", "2,5,16;2,7,16", "", " ", ";", "3x", "a,b", "-1,3", "2,,3",
          "None,10", "9" * 40, "--json", "-i", "2;3"]
OPTIONS = ["-i", "--input-shape", "-c", "--convention", "--all-conventions", "--json", "--help", "--", "-x",
           "--input-shape=3,10", "--jso"]
CONVENTIONS = ["pytorch", "keras", "textbook", "Keras", "bogus", ""]


@st.composite
def layer_argv(draw: st.DrawFn) -> list[str]:
    """``layer`` and a few tokens: expressions, options, their values, stray words."""
    tokens = draw(st.lists(st.one_of(
        st.sampled_from(EXPRESSIONS),
        st.sampled_from(OPTIONS),
        st.tuples(st.sampled_from(["-i", "--input-shape"]), st.sampled_from(SHAPES)).map(list),
        st.tuples(st.sampled_from(["-c", "--convention"]), st.sampled_from(CONVENTIONS)).map(list),
        st.text(max_size=8),
    ), max_size=6))
    argv = ["layer"]
    for token in tokens:
        argv.extend(token if isinstance(token, list) else [token])
    return argv


@st.composite
def plain_layer_argv(draw: st.DrawFn) -> list[str]:
    """``layer EXPR`` with some of its options in any order, their values good or bad."""
    parts = [[draw(st.sampled_from(EXPRESSIONS) | st.text(max_size=12))]]
    if draw(st.booleans()):
        parts.append([draw(st.sampled_from(["-i", "--input-shape"])), draw(st.sampled_from(SHAPES))])
    if draw(st.booleans()):
        parts.append([draw(st.sampled_from(["-c", "--convention"])), draw(st.sampled_from(CONVENTIONS))])
    parts.extend([flag] for flag in ("--all-conventions", "--json") if draw(st.booleans()))
    return ["layer", *(token for part in draw(st.permutations(parts)) for token in part)]


@given(argv=plain_layer_argv() | layer_argv())
@example(argv=["layer", "Linear(10, 5)", "-i", "3,10", "-c", "keras", "--all-conventions", "--json"])
@example(argv=["layer", "Linear(10, 5)", "--json", "-i", "3,10"])
@example(argv=["layer", "Linear(10, 5)", "-i", "--json"])
@example(argv=["layer", "Linear(", "-c", "textbook"])
def test_any_layer_query_prints_what_typer_prints(argv: list[str]) -> None:
    code, out, err = run_entry(argv)
    assert (code, out, err) == run_typer(argv)
    assert code in (0, 2)
    if code:
        assert out == "" and err.startswith("error: ") and err.count("\n") == 1


def test_a_plain_query_loads_neither_typer_nor_click() -> None:
    """What the fast path is for: the query runs (as the console script would) without Typer."""
    script = (
        "import sys\n"
        "from paramcalc import entry\n"
        "sys.argv = ['paramcalc', 'layer', 'LSTM(100, 128, num_layers=2)', '-i', '32,50,100']\n"
        "entry.main()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click')))\n"
    )
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    # 4 gates x ((100 + 128) * 128 + 2 * 128) + 4 x ((128 + 128) * 128 + 2 * 128) = 117,760 + 132,096
    assert "249,856" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1] == "[]"
