"""tools/mutate.py: its faults still apply to the source, and it lists and selects them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "mutate.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=60)


def test_every_fault_still_applies() -> None:
    done = _run("--check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith(" mutants apply\n")


def test_faults_cover_formulas_rules_and_the_reference() -> None:
    listing = _run("--list").stdout.splitlines()
    paths = {line.split()[1] for line in listing}
    assert any(p.startswith("paramcalc/formulas/") for p in paths)
    assert any(p.startswith("paramcalc/reference/") for p in paths)
    assert any(p.startswith("paramcalc/specs/") for p in paths)


def test_only_selects_and_refuses_unknown_ids() -> None:
    assert [line.split()[0] for line in _run("--list", "--only", "conv-groups").stdout.splitlines()] == ["conv-groups"]
    done = _run("--only", "no-such-mutant")
    assert done.returncode == 2 and "unknown mutant ids: no-such-mutant" in done.stderr


def _tool_module(monkeypatch):
    """tools/mutate.py imported as a module (a script beside the package, so found on the path)."""
    monkeypatch.syspath_prepend(str(TOOL.parent))
    import mutate

    return mutate


def test_every_formula_and_reference_module_carries_a_fault() -> None:
    """At least one fault in each module of the formulas and of the reference (their packages'
    __init__ only re-export), and some in the Keras specs' rules and the model files' rules."""
    listing = _run("--list").stdout.splitlines()
    paths = {line.split()[1] for line in listing}
    for package in ("formulas", "reference"):
        modules = {f"paramcalc/{package}/{p.name}" for p in (ROOT / "paramcalc" / package).glob("*.py")
                   if p.name != "__init__.py"}
        assert modules - paths == set(), f"modules without a fault: {sorted(modules - paths)}"
    assert sum(p.startswith("paramcalc/specs/keras/") for p in paths) >= 4
    assert {"paramcalc/models/merges.py", "paramcalc/models/validation.py"} <= paths


def test_a_killed_fault_scores_and_exits_0(monkeypatch, capsys) -> None:
    tool = _tool_module(monkeypatch)
    assert tool.main(["--only", "linear-bias"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "score: 1/1 killed"


def test_a_surviving_fault_is_named_and_exits_1(monkeypatch, capsys) -> None:
    """A fault the chosen test cannot notice (a word of a docstring, a test of the README's limits
    table): the run names it and exits 1."""
    tool = _tool_module(monkeypatch)
    harmless = tool.m("docstring-word", "paramcalc/limits.py", "Bounds on what paramcalc reads", "Bounds  on what paramcalc reads",
                      "tests/test_readme_figures.py::test_the_limits_table_lists_every_bound", why="a space")
    monkeypatch.setattr(tool, "MUTANTS", [harmless])
    assert tool.main([]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == ["score: 0/1 killed", "survivor: docstring-word (paramcalc/limits.py): a space"]
