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
