"""``main()`` answers a plain ``paramcalc layer`` query without Typer's parser: same output, same exit."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from paramcalc import cli

QUERIES = [
    ["layer", "LSTM(100, 128, num_layers=2)", "--input-shape", "32,50,100"],
    ["layer", "LSTM(100, 128)", "-i", "32x50x100", "--all-conventions"],
    ["layer", "Conv2d(3, 96, 11, stride=4)", "-i", "1,3,224,224", "--json"],
    ["layer", "layers.Dense(64)", "--input-shape", "32,100", "-c", "keras"],
    ["layer", "BatchNorm2d(64)", "--convention", "textbook", "--json"],
    ["layer", "Conv2d(64, 128, 3, groups=3)"],  # bad input: one line on stderr, exit 2
    ["layer", "Lstm(100, 128)"],
    ["layer", "Linear(10, 5)", "-i", "3,7"],
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
]


def run_main(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["paramcalc", *argv])
    monkeypatch.setenv("NO_COLOR", "1")
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv", QUERIES, ids=[" ".join(q[1:3]) for q in QUERIES])
def test_plain_query_is_recognised(argv: list[str]) -> None:
    assert cli._plain_layer_query(argv) is not None


@pytest.mark.parametrize("argv", NOT_PLAIN, ids=[" ".join(q) for q in NOT_PLAIN])
def test_anything_else_goes_to_typer(argv: list[str]) -> None:
    assert cli._plain_layer_query(argv) is None


@pytest.mark.parametrize("argv", QUERIES, ids=[" ".join(q[1:3]) for q in QUERIES])
def test_fast_path_prints_what_typer_prints(argv, monkeypatch, capsys) -> None:
    code, out, err = run_main(argv, monkeypatch, capsys)
    typer_result = CliRunner().invoke(cli.app, argv, env={"NO_COLOR": "1"})
    assert code == typer_result.exit_code
    assert out == typer_result.stdout
    assert err == typer_result.stderr
    if code:
        assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1
