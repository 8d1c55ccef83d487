"""The same short options on every command: each --convention is also -c, each --input-shape also -i, and no
command gives one short option two meanings. Every command is walked, the generated per-type ones included."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from paramcalc.cli import app
from paramcalc.cli.layer_types import layer_commands

ROOT = typer.main.get_command(app)
CONTEXT = typer.Context(ROOT, info_name="paramcalc")
NAMES = list(dict.fromkeys([*ROOT.list_commands(CONTEXT), *layer_commands()]))
#: The short form each shared long option must have wherever a command declares it.
SHORT = {"--convention": "-c", "--input-shape": "-i", "--depth": "-d", "--brief": "-q"}


def _options(name: str) -> list[tuple[list[str], list[str]]]:
    """Each option of a command: its long names and its short ones."""
    command = ROOT.get_command(CONTEXT, name)
    out = []
    for param in command.params:
        if param.param_type_name == "option":
            names = [*param.opts, *param.secondary_opts]
            out.append(([n for n in names if n.startswith("--")], [n for n in names if not n.startswith("--")]))
    return out


def test_every_command_is_walked() -> None:
    # the named commands and one generated command per layer type (Conv2d, LSTM, Keras's Dense, ...)
    assert {"check", "check-sheet", "memory", "receptive-field", "window", "solve", "summary", "preset", "layer",
            "conv2d", "lstm", "dense"} <= set(NAMES)
    assert len(NAMES) > 100


@pytest.mark.parametrize("name", NAMES)
def test_shared_long_options_have_their_short_form(name: str) -> None:
    for longs, shorts in _options(name):
        for long_name in longs:
            if long_name in SHORT:
                assert SHORT[long_name] in shorts, (name, long_name, shorts)


@pytest.mark.parametrize("name", NAMES)
def test_no_short_option_clashes(name: str) -> None:
    shorts = [s for _, ss in _options(name) for s in ss]
    assert len(shorts) == len(set(shorts)), (name, sorted(shorts))
    meaning = {short: long for long, short in SHORT.items()}
    for longs, ss in _options(name):
        for s in ss:
            if s in meaning:  # -c, -i, -d, -q mean one thing everywhere
                assert meaning[s] in longs, (name, s, longs)


@pytest.mark.parametrize("name", ["check", "check-sheet", "summary", "preset", "layer", "conv2d", "lstm", "dense"])
def test_commands_that_count_take_a_convention(name: str) -> None:
    assert any("--convention" in longs for longs, _ in _options(name))


def test_check_sheet_judges_every_problem_under_the_convention_given(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.yaml"
    # LSTM(100, 128) with one bias vector per gate, as Keras and the textbooks count it (Goodfellow et al.,
    # Deep Learning, 10.10.1): 4·(128·(100 + 128) + 128) = 117,248; PyTorch's two bias vectors make 117,760.
    sheet.write_text("title: t\nconvention: pytorch\nproblems:\n"
                     "  - {layer: 'LSTM(100, 128)', convention: pytorch, answers: {params: 117248}}\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["check-sheet", str(sheet), "-q"]).stdout == "0/1 correct\n"
    for convention in ("keras", "textbook"):
        result = runner.invoke(app, ["check-sheet", str(sheet), "-q", "-c", convention])
        assert (result.exit_code, result.stdout) == (0, "1/1 correct\n"), convention
    result = runner.invoke(app, ["check-sheet", str(sheet), "-q", "--convention", "pytorch"])
    assert (result.exit_code, result.stdout) == (1, "0/1 correct\n")
