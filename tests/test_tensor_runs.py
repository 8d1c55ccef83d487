"""Stacked layers in the layer report: runs of 3 or more layers with the same tensors are one row
per tensor (``weight_ih_l1-4  (80, 20)  ×4  6,400``), in the tensor table and in the worked sum of
tensors, so the text does not grow with the number of layers; ``--all-tensors`` lists every tensor
and ``--json`` always does. The collapsed rows multiply back to the count.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz_library import time_limit
from typer.testing import CliRunner

from paramcalc import parse_layer
from paramcalc.cli import app
from paramcalc.results import Tensor, TensorRow, collapse_tensors
from paramcalc.specs.explaining import tensor_sum

runner = CliRunner()
PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None,
         "TTY_INTERACTIVE": None, "TERM": "dumb"}
CONVENTIONS = ("pytorch", "keras", "textbook")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=PLAIN)
    return result.exit_code, result.stdout, result.stderr


def assert_rows_add_up(rows: tuple[TensorRow, ...], tensors: list[Tensor], total: int) -> None:
    """Rows × count per row sum to the count; the rows hold the same tensors (shape, kind) as listed."""
    assert sum(r.repeat for r in rows) == len(tensors)
    assert sum(r.total for r in rows if r.kind != "buffer") == total
    assert sum(r.total for r in rows) == sum(t.numel for t in tensors)
    held = Counter()
    for r in rows:
        held[(r.shape, r.kind)] += r.repeat
    assert held == Counter((t.shape, t.kind) for t in tensors)


# -- The golden output and the flag -----------------------------------------------------------


def test_a_stack_of_five_lstm_layers_is_collapsed(golden) -> None:
    # torch: nn.LSTM(10, 20, num_layers=5): 4·(20·10 + 20·20 + 2·20) + 4 × 4·(20·20 + 20·20 + 2·20) = 16,000
    status, out, err = run("layer", "LSTM(10, 20, num_layers=5)")
    assert (status, err) == (0, "")
    assert re.search(r"weight_ih_l0\s+\(80, 10\)\s+800", out)
    assert re.search(r"weight_ih_l1-4\s+\(80, 20\)\s+×4\s+6,400", out)
    assert re.search(r"bias_hh_l1-4\s+\(80,\)\s+×4\s+320", out)
    assert "weight_ih_l2" not in out and "layers 1-4" in out
    assert re.search(r"Total\s+16,000", out)
    assert all(len(line) <= 80 for line in out.splitlines())
    # the table's rows (each count is times × one tensor) add up to its total
    counts = re.findall(r"^\S+\s+\([\d, ]*\)\s+(?:×[\d,]+\s+)?([\d,]+)\s", out, re.MULTILINE)
    assert len(counts) == 8 and sum(int(c.replace(",", "")) for c in counts) == 16_000
    golden("cli_layer_lstm_stack.txt", out)


@pytest.mark.parametrize("argv", [
    ["layer", "LSTM(10, 20, num_layers=5)"],
    ["lstm", "--input-size", "10", "--hidden-size", "20", "--num-layers", "5"],
], ids=["layer", "lstm"])
def test_all_tensors_lists_every_tensor(argv: list[str]) -> None:
    status, out, _ = run(*argv, "--all-tensors")
    assert status == 0
    for i in range(5):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            assert re.search(rf"^{name}_l{i}\s", out, re.MULTILINE), (name, i)
    assert "×" not in out.split("Parameters, worked out")[0] and "Times" not in out
    assert re.search(r"Total\s+16,000", out)


def test_the_layer_command_and_the_generated_command_agree() -> None:
    spec = ["--input-size", "10", "--hidden-size", "20", "--num-layers", "5"]
    assert run("layer", "LSTM(10, 20, num_layers=5)")[1] == run("lstm", *spec)[1]


def test_json_keeps_every_tensor() -> None:
    spec = parse_layer("Transformer(8, 2, 4, 4, 16)")
    for flags in ([], ["--all-tensors"]):
        status, out, _ = run("layer", str(spec), "--json", *flags)
        assert status == 0
        doc = json.loads(out)
        assert doc["tensors"] == [t.as_dict() for t in spec.param_tensors()]
        assert sum(t["count"] for t in doc["tensors"]) == doc["params"]["total"] == spec.count().total


# -- What is collapsed, and what is not -------------------------------------------------------


@pytest.mark.parametrize("expr", [
    "LSTM(100, 128, num_layers=2)",            # two layers: a stack of 2 is shown in full
    "TransformerDecoderLayer(8, 2, 8)",       # norm1, norm2, norm3 are three norms, not three layers
    "TransformerEncoder(TransformerEncoderLayer(8, 2, 16), 2)",
    "MultiheadAttention(512, 8, kdim=256, vdim=128)",
    "Linear(3, 4)",
])
def test_no_run_of_three_layers_no_collapse(expr: str) -> None:
    spec = parse_layer(expr)
    for convention in CONVENTIONS:
        try:
            tensors = spec.param_tensors(convention)
        except ValueError:
            continue
        rows = collapse_tensors(tensors)
        assert [r.name for r in rows] == [t.name for t in tensors] and all(r.repeat == 1 for r in rows)


def test_a_transformer_shows_one_row_per_tensor_of_a_layer() -> None:
    spec = parse_layer("Transformer(8, 2, 1000, 1000, 16)")
    rows = collapse_tensors(spec.param_tensors())
    assert len(rows) == 12 + 2 + 18 + 2
    assert rows[0] == TensorRow("encoder.layers.0-999.self_attn.in_proj_weight", (24, 8), "trainable",
                                rows[0].description, 1000)
    assert rows[0].total == 192_000
    assert_rows_add_up(rows, spec.param_tensors(), spec.count().total)


def test_the_text_does_not_grow_with_the_number_of_layers() -> None:
    sizes = []
    for depth in (5, 50, 500):
        status, out, _ = run("layer", f"Transformer(8, 2, {depth}, {depth}, 16)")
        assert status == 0
        sizes.append((len(out.splitlines()), len(out)))
    # only the digits of the layer numbers (0-4, 0-49, 0-499) widen the columns
    assert max(lines for lines, _ in sizes) - min(lines for lines, _ in sizes) <= 10
    assert max(size for _, size in sizes) < 1.2 * min(size for _, size in sizes)


def test_the_worked_sum_of_tensors_is_grouped_the_same_way() -> None:
    short = tensor_sum(parse_layer("Transformer(8, 2, 5, 5, 16)"))
    long = tensor_sum(parse_layer("Transformer(8, 2, 500, 500, 16)"))
    assert len(short) == len(long) == 12 + 2 + 18 + 2 + 1
    assert "encoder.layers.0-499.linear1.weight (16, 8) × 500: 500·16·8 = 64,000" in long
    assert long[-1].endswith(f"= {parse_layer('Transformer(8, 2, 500, 500, 16)').count().total:,}")


def test_keras_names_and_textbook_names_are_collapsed() -> None:
    keras = collapse_tensors(parse_layer("LSTM(10, 20, num_layers=5)").param_tensors("keras"))
    assert [r.name for r in keras][3:] == [f"lstm_1-4/lstm_cell/{n}" for n in ("kernel", "recurrent_kernel", "bias")]
    textbook = collapse_tensors(parse_layer("GRU(10, 20, num_layers=4, bidirectional=True)").param_tensors("textbook"))
    assert textbook[18].name == "layer1-3.forward.W_xz" and textbook[18].repeat == 3
    assert textbook[18].description.endswith("layers 1-3 forward")


# -- Every family and convention: the rows multiply back (budget: 200 examples, 10 s each) --------

STACKS = st.one_of(
    st.builds(lambda kind, i, h, n, bi, bias: f"{kind}({i}, {h}, num_layers={n}, bidirectional={bi}, bias={bias})",
              st.sampled_from(["RNN", "LSTM", "GRU"]), st.integers(1, 6), st.integers(1, 6), st.integers(1, 12),
              st.booleans(), st.booleans()),
    st.builds(lambda i, h, p, n: f"LSTM({i}, {h}, num_layers={n}, proj_size={p})",
              st.integers(1, 6), st.integers(2, 6), st.integers(1, 1), st.integers(1, 12)),
    st.builds(lambda d, f, e, n: f"Transformer({2 * d}, 2, {e}, {n}, {f})",
              st.integers(1, 4), st.integers(1, 8), st.integers(1, 6), st.integers(1, 6)),
    st.builds(lambda d, f, n: f"TransformerDecoder(TransformerDecoderLayer({2 * d}, 2, {f}), {n})",
              st.integers(1, 4), st.integers(1, 8), st.integers(1, 8)),
)


@settings(max_examples=200)
@given(expr=STACKS, convention=st.sampled_from(CONVENTIONS))
def test_collapsed_rows_multiply_back_to_the_count(expr: str, convention: str) -> None:
    spec = parse_layer(expr)
    with time_limit(10):
        try:
            tensors = spec.param_tensors(convention)
            total = spec.count(convention).total
        except ValueError:  # a convention that cannot count this layer
            return
        rows = collapse_tensors(tensors)
        lines = tensor_sum(spec, convention)
    assert_rows_add_up(rows, tensors, total)
    assert all(r.repeat == 1 or r.repeat >= 3 for r in rows)
    assert lines[-1].endswith(f"{total:,}") or total == 0
