"""The package's layout keeps its layers: no import cycle (imports inside functions count too), no
module over 500 lines, each layer importing only what lies below it, and the dependencies used
through their public API only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "paramcalc"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The paramcalc modules ``name`` imports anywhere in its source (the package itself excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else [])) \
                if node.level else (node.module or "")
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target not in (name, "paramcalc"):
                found.add(target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _third_party(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_import_cycle() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_500_lines(name: str) -> None:
    assert len(MODULES[name].read_text(encoding="utf-8").splitlines()) <= 500


def _below(name: str, allowed: tuple[str, ...]) -> list[str]:
    return [m for m in GRAPH[name] if not m.startswith(allowed)]


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("paramcalc.formulas")])
def test_formulas_import_nothing_of_paramcalc_but_its_errors(name: str) -> None:
    assert _below(name, ("paramcalc.errors", "paramcalc.formulas")) == []


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("paramcalc.reference")])
def test_the_reference_reads_specs_as_data(name: str) -> None:
    allowed = ("paramcalc.errors", "paramcalc.limits", "paramcalc.results", "paramcalc.reference")
    assert _below(name, allowed) == []


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("paramcalc.specs")])
def test_specs_import_only_lower_layers(name: str) -> None:
    allowed = ("paramcalc.errors", "paramcalc.limits", "paramcalc.results", "paramcalc.formulas",
               "paramcalc.reference", "paramcalc.specs")
    assert _below(name, allowed) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_command_line_imports_typer_and_only_it_and_render_import_rich(name: str) -> None:
    used = _third_party(MODULES[name])
    if not name.startswith("paramcalc.cli"):
        assert not used & {"typer", "click"}
        if not name.startswith("paramcalc.render"):
            assert "rich" not in used


PRIVATE = re.compile(r"\b(typer|click|pydantic|rich|yaml)\._[a-z]|\._runtime_param\b|sys\.modules\[[^\]]+\]\s*=|os\.environ\[")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_dependencies_are_used_through_their_public_api(name: str) -> None:
    code = [line for line in MODULES[name].read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    assert [line for line in code if PRIVATE.search(line)] == []


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("paramcalc.readers")])
def test_readers_sit_between_models_and_analysis(name: str) -> None:
    allowed = ("paramcalc.errors", "paramcalc.limits", "paramcalc.results", "paramcalc.forms", "paramcalc.formulas",
               "paramcalc.reference", "paramcalc.specs", "paramcalc.models", "paramcalc.readers")
    assert _below(name, allowed) == []


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("paramcalc.models")])
def test_models_import_no_reader_and_nothing_above(name: str) -> None:
    above = ("paramcalc.readers", "paramcalc.analysis", "paramcalc.checking", "paramcalc.render", "paramcalc.cli")
    assert [m for m in GRAPH[name] if m.startswith(above)] == []
