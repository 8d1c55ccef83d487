"""Every bound on model files and sheets, given through a file the way a user gives it, one below, at,
and one past its value: below and at it the file is read (and, where it is otherwise valid, answered),
one past it the refusal names the bound. Budget: about 20 s for the module, under 500 MB."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from paramcalc.checking.sheet import check_sheet, load_sheet
from paramcalc.errors import ParamcalcError
from paramcalc.limits import (
    MAX_ANSWER_DIGITS,
    MAX_BLOCK_NESTING,
    MAX_DATA_DEPTH,
    MAX_DATA_NODES,
    MAX_EXPRESSION_LENGTH,
    MAX_FILE_BYTES,
    MAX_LAYERS,
    MAX_RANK,
    MAX_SHEET_PROBLEMS,
    MAX_SIZE,
    MAX_STACKED_LAYERS,
)
from paramcalc.models.evaluate import evaluate
from paramcalc.models.format import load_model


def _padded(text: str, size: int) -> bytes:
    """``text`` then a YAML comment, ``size`` bytes in all."""
    body = text.encode()
    return body + b"#" * (size - len(body) - 1) + b"\n"


def _nested_list(levels: int) -> str:
    return "[" * levels + "]" * levels


def _blocks(levels: int) -> dict:
    """A model whose entries nest ``levels`` deep: its own list is the first level, a block adds one."""
    node: dict = {"layers": ["Identity()"]}
    for _ in range(levels - 2):
        node = {"layers": [node]}
    return {"layers": [node] if levels > 1 else ["Identity()"], "input_shape": [1, 2]}


@dataclass(frozen=True)
class Case:
    name: str
    bound: int
    #: words the refusal past the bound holds
    phrase: str
    #: (folder, n) -> the file to read, and whether it is valid once within the bound
    build: Callable[[Path, int], Path]
    #: reads the file: a model is summarised, a sheet checked
    kind: str
    valid: bool = True


def _write(folder: Path, name: str, content: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


CASES = [
    Case("model file bytes", MAX_FILE_BYTES, f"larger than the {MAX_FILE_BYTES:,}-byte limit",
         lambda d, n: _write(d, "m.yaml", _padded("layers: ['Linear(2, 2)']\ninput_shape: [1, 2]\n", n)), "model"),
    Case("sheet file bytes", MAX_FILE_BYTES, f"larger than the {MAX_FILE_BYTES:,}-byte limit",
         lambda d, n: _write(d, "s.yaml", _padded("problems:\n  - {layer: 'Linear(2, 2)', answers: {params: 6}}\n", n)),
         "sheet"),
    # The mapping is level 1, the list of layers level 2, and so on.
    Case("model data depth", MAX_DATA_DEPTH, f"nested more than {MAX_DATA_DEPTH} levels deep",
         lambda d, n: _write(d, "m.json", '{"layers": ' + _nested_list(n - 1) + "}"), "model", valid=False),
    Case("sheet data depth", MAX_DATA_DEPTH, f"nested more than {MAX_DATA_DEPTH} levels deep",
         lambda d, n: _write(d, "s.json", '{"problems": ' + _nested_list(n - 1) + "}"), "sheet", valid=False),
    # The mapping, its two lists, and n - 3 values in the second (a key the format does not know, so
    # that what follows the count is one quick error).
    Case("model data values", MAX_DATA_NODES, f"more than {MAX_DATA_NODES:,} values",
         lambda d, n: _write(d, "m.json", json.dumps({"layers": [], "x": [0] * (n - 3)})), "model", valid=False),
    # A sheet is read as YAML (JSON is YAML): a key's name is not a value there either.
    Case("sheet data values", MAX_DATA_NODES, f"more than {MAX_DATA_NODES:,} values",
         lambda d, n: _write(d, "s.json", json.dumps({"problems": [], "x": [0] * (n - 3)})), "sheet", valid=False),
    Case("block nesting", MAX_BLOCK_NESTING, f"blocks are nested more than {MAX_BLOCK_NESTING} deep",
         lambda d, n: _write(d, "m.json", json.dumps(_blocks(n))), "model"),
    Case("layers after repeats", MAX_LAYERS, f"more than {MAX_LAYERS:,} layers after expanding repeats",
         lambda d, n: _write(d, "m.yaml", f"input_shape: [1, 2]\nlayers:\n  - {{layer: Identity(), repeat: {n - 1}}}\n"
                                          "  - Identity()\n"), "model"),
    Case("sheet problems", MAX_SHEET_PROBLEMS, f"more than {MAX_SHEET_PROBLEMS:,} problems",
         lambda d, n: _write(d, "s.json", json.dumps({"problems": [{"layer": "Identity()", "answers": {"params": 0}}] * n})),
         "sheet problems"),
    Case("answer digits", MAX_ANSWER_DIGITS, f"at most {MAX_ANSWER_DIGITS:,} digits",
         lambda d, n: _write(d, "s.yaml", f"problems:\n  - {{layer: 'Linear(2, 2)', answers: {{params: '{'9' * n}'}}}}\n"),
         "sheet", valid=False),
    Case("stacked layers in a sheet", MAX_STACKED_LAYERS, f"must be at most {MAX_STACKED_LAYERS:,}",
         lambda d, n: _write(d, "s.yaml", f"problems:\n  - {{layer: 'LSTM(2, 2, num_layers={n})', answers: {{params: {48 * n}}}}}\n"),
         "sheet"),
    Case("stacked layers in a model", MAX_STACKED_LAYERS, f"must be at most {MAX_STACKED_LAYERS:,}",
         lambda d, n: _write(d, "m.yaml", f"layers: ['LSTM(2, 2, num_layers={n})']\n"), "model"),
    Case("a size in a model", MAX_SIZE, "must be at most 2**63 - 1",
         lambda d, n: _write(d, "m.yaml", f"layers: ['Linear({n}, 1)']\n"), "model"),
    Case("rank of a model's input", MAX_RANK, f"at most {MAX_RANK} entries",
         lambda d, n: _write(d, "m.yaml", f"input_shape: {[1] * n}\nlayers: ['Identity()']\n"), "model"),
    Case("rank of a sheet's input", MAX_RANK, f"at most {MAX_RANK} dimensions",
         lambda d, n: _write(d, "s.yaml", f"problems:\n  - {{layer: 'Identity()', input_shape: '{'x'.join(['1'] * n)}',"
                                          f" answers: {{shape: '{'x'.join(['1'] * n)}'}}}}\n"), "sheet"),
    Case("expression length in a model", MAX_EXPRESSION_LENGTH, f"longer than {MAX_EXPRESSION_LENGTH} characters",
         lambda d, n: _write(d, "m.yaml", f"layers: ['Linear(2,{' ' * (n - 11)}2)']\n"), "model"),
]


def _outcome(case: Case, path: Path) -> str | None:
    """None when the file is read and answered; else the error's message (a sheet's problem errors too)."""
    try:
        if case.kind == "model":
            evaluate(load_model(path))
        elif case.kind == "sheet problems":
            load_sheet(path)
        else:
            report = check_sheet(path)
            errors = [p.error for p in report.problems if p.error]
            return errors[0] if errors else None
    except ParamcalcError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("offset", [-1, 0, 1])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_bound_below_at_and_past(case: Case, offset: int, tmp_path: Path) -> None:
    message = _outcome(case, case.build(tmp_path, case.bound + offset))
    if offset <= 0:
        if case.valid:
            assert message is None, message
        else:
            assert message is None or case.phrase not in message, message
    else:
        assert message is not None and case.phrase in message, message
        assert "\n" not in message
