"""The README's Python examples run, and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def split_expected(block: str) -> tuple[str, list[str]]:
    """Code lines, and the expected output written as ``# -> text`` comments after print calls."""
    code, expected = [], []
    for line in block.splitlines():
        m = re.match(r"\s*#\s?->\s?(.*)$", line)
        if m:
            expected.append(m.group(1).rstrip())
        else:
            code.append(line)
    return "\n".join(code), expected


def test_readme_has_python_examples() -> None:
    assert len(python_blocks()) >= 3


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, expected = split_expected(python_blocks()[index])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README block {index}", "exec"), {"__name__": "__readme__"})
    printed = [line.rstrip() for line in out.getvalue().splitlines()]
    assert printed == expected


SHELL_BLOCK = re.compile(r"```\n(\$ paramcalc .*?)```", re.S)
RUNNABLE = ("layer", "check", "preset", "memory", "formula", "window", "receptive-field", "solve")


def shell_examples() -> list[tuple[str, str]]:
    """(command line, printed text) for every ``$ paramcalc ...`` the README shows in full.

    Outputs shortened with ``[…]`` and commands that read files the README does not ship are left out.
    """
    examples = []
    for block in SHELL_BLOCK.findall(README.read_text(encoding="utf-8")):
        parts = re.split(r"^\$ (paramcalc .*)$", block, flags=re.M)
        for command, output in zip(parts[1::2], parts[2::2]):
            command = command.split("  #")[0].strip()
            if "[…" in output or (command.split()[1] not in RUNNABLE and " tests/data/" not in command):
                continue
            examples.append((command, output.strip("\n")))
    return examples


def test_readme_shows_real_commands() -> None:
    assert len(shell_examples()) >= 5


@pytest.mark.parametrize("command, expected", shell_examples(), ids=[c for c, _ in shell_examples()])
def test_readme_command_output(command: str, expected: str, monkeypatch, capsys) -> None:
    import shlex
    import sys

    from paramcalc.cli import main

    monkeypatch.setattr(sys, "argv", shlex.split(command))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    try:
        main()
    except SystemExit:
        pass
    captured = capsys.readouterr()
    printed = "\n".join(line.rstrip() for line in (captured.out + captured.err).strip("\n").splitlines())
    assert printed == "\n".join(line.rstrip() for line in expected.splitlines())
