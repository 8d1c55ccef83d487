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
