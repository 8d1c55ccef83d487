"""The bounds on input (paramcalc.limits): each is accepted at its value and refused just past it,
with a message that names it; and within them every count stays an exact int, however large.

The hand formulas are written next to each huge count: a Linear layer has in·out weights and out
biases; an LSTM layer 4·(h·i + h·h + 2·h) (PyTorch's two bias vectors); a convolution
out·(in/groups)·Πk weights and out biases; an embedding num·dim.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_library import time_limit

import paramcalc.limits as limits
from paramcalc import LSTM, Conv2d, Conv3d, Embedding, Flatten, Linear, parse_layer
from paramcalc.checking import check, parse_count
from paramcalc.analysis.compute import layer_compute
from paramcalc.errors import ModelError, ParamcalcError, SpecError
from paramcalc.formulas.compute import adaptive_window_sum
from paramcalc.keras_layers import Dense
from paramcalc.limits import (
    MAX_ANSWER_DIGITS,
    MAX_BLOCK_NESTING,
    MAX_DATA_DEPTH,
    MAX_DATA_NODES,
    MAX_EXPRESSION_LENGTH,
    MAX_FILE_BYTES,
    MAX_LAYERS,
    MAX_NESTING,
    MAX_RANK,
    MAX_ROWS,
    MAX_SHEET_PROBLEMS,
    MAX_SIZE,
    MAX_STACKED_LAYERS,
)
from paramcalc.models.evaluate import evaluate
from paramcalc.models.format import load_model, parse_model_text
from paramcalc.checking.sheet import check_sheet, load_sheet

BIG = 2**62


# -- The bounds are documented with their values -------------------------------------------------


def test_every_bound_is_in_the_table_with_its_value() -> None:
    table = dict(re.findall(r"^(MAX_[A-Z_]+) +(\S+(?: \S+)*?)  ", limits.__doc__ or "", re.M))
    constants = {k: v for k, v in vars(limits).items() if k.startswith("MAX_")}
    assert set(table) == set(constants)
    special = {"2**63 - 1": 2**63 - 1, "1 MiB": 2**20}
    for name, shown in table.items():
        assert special.get(shown, None) == constants[name] or int(shown.replace(",", "")) == constants[name], name


# -- Expressions ------------------------------------------------------------------------------------


def test_expression_length() -> None:
    head, tail = "Linear(3, 4", ")"
    at_bound = head + " " * (MAX_EXPRESSION_LENGTH - len(head) - len(tail)) + tail
    assert len(at_bound) == MAX_EXPRESSION_LENGTH
    assert parse_layer(at_bound) == Linear(3, 4)
    with pytest.raises(SpecError, match=f"longer than {MAX_EXPRESSION_LENGTH} characters"):
        parse_layer(head + " " + at_bound[len(head):])


def _nested(depth: int) -> str:
    value = "3"
    for _ in range(depth):
        value = f"({value},)"
    return f"Linear({value}, 4)"


def test_expression_nesting() -> None:
    # Tuples nested MAX_NESTING deep are read (and then refused by the layer, as any tuple would be).
    with pytest.raises(SpecError, match="Linear: in_features must be an integer"):
        parse_layer(_nested(MAX_NESTING))
    with pytest.raises(SpecError, match=f"nested more than {MAX_NESTING} levels deep"):
        parse_layer(_nested(MAX_NESTING + 1))


def test_integer_literals_too_long_to_read() -> None:
    with pytest.raises(SpecError, match=r"an integer is too long \(sizes are at most 2\*\*63 - 1\)"):
        parse_layer("Linear(" + "9" * 5000 + ", 4)")


# -- Sizes, shapes and stacks ---------------------------------------------------------------------


def test_sizes() -> None:
    # in·out + out = MAX_SIZE·1 + 1
    assert Linear(MAX_SIZE, 1).count().total == MAX_SIZE + 1
    for bad in (MAX_SIZE + 1, -(MAX_SIZE + 1), 10**40, 10**5000):
        with pytest.raises(SpecError, match=r"Linear: in_features must be at most 2\*\*63 - 1 = 9,223,372,036,854,775,807"):
            Linear(bad, 1)
    assert Flatten(start_dim=-MAX_SIZE).start_dim == -MAX_SIZE
    with pytest.raises(SpecError, match=r"Conv2d: kernel_size must be at most 2\*\*63 - 1"):
        Conv2d(3, 4, (3, MAX_SIZE + 1))
    with pytest.raises(SpecError, match=r"<an integer of more than 4,300 digits>"):
        Linear(3, -(10**5000))


def test_shape_dimensions() -> None:
    assert Linear(out_features=2).output_shape((1, MAX_SIZE)) == (1, 2)
    with pytest.raises(SpecError, match=r"every dimension must be at most 2\*\*63 - 1"):
        Linear(out_features=2).output_shape((1, MAX_SIZE + 1))
    with pytest.raises(SpecError, match=r"at most 2\*\*63 - 1"):
        Dense(2).count("keras", input_shape=(None, MAX_SIZE + 1))
    with pytest.raises(ModelError, match="input_shape"):
        load_model({"layers": ["Identity()"], "input_shape": [1, MAX_SIZE + 1]})


def test_shape_rank() -> None:
    assert Flatten().output_shape((1,) * MAX_RANK) == (1, 1)
    with pytest.raises(SpecError, match=f"at most {MAX_RANK} dimensions"):
        Flatten().output_shape((1,) * (MAX_RANK + 1))
    with pytest.raises(SpecError, match=f"at most {MAX_RANK} dimensions"):
        Dense(2).count("keras", input_shape=(None,) + (1,) * MAX_RANK)
    with pytest.raises(SpecError, match=f"normalized_shape must have at most {MAX_RANK} entries"):
        parse_layer({"type": "LayerNorm", "normalized_shape": [2] * (MAX_RANK + 1)})
    with pytest.raises(ModelError, match="input_shape"):
        load_model({"layers": ["Identity()"], "input_shape": [1] * (MAX_RANK + 1)})


def test_stacked_layers() -> None:
    # Each of the 1,000 LSTM layers: 4·(2·2 + 2·2 + 2·2) = 48 parameters.
    lstm = LSTM(2, 2, num_layers=MAX_STACKED_LAYERS)
    assert lstm.count().total == 48 * MAX_STACKED_LAYERS
    with time_limit():
        assert len(lstm.param_tensors()) == 4 * MAX_STACKED_LAYERS
    for text in (f"LSTM(2, 2, num_layers={MAX_STACKED_LAYERS + 1})",
                 f"TransformerEncoder(TransformerEncoderLayer(8, 2), num_layers={MAX_STACKED_LAYERS + 1})",
                 f"Transformer(num_encoder_layers={MAX_STACKED_LAYERS + 1})"):
        with pytest.raises(SpecError, match=f"must be at most {MAX_STACKED_LAYERS:,}"):
            parse_layer(text)


# -- Model files ----------------------------------------------------------------------------------


def _file(content: bytes, suffix: str = ".yaml") -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
    with handle:
        handle.write(content)
    return Path(handle.name)


def test_file_size() -> None:
    body = b"layers: ['Linear(2, 2)']\ninput_shape: [1, 2]\n"
    at_bound = body + b"#" * (MAX_FILE_BYTES - len(body) - 1) + b"\n"
    assert len(at_bound) == MAX_FILE_BYTES
    for content, ok in ((at_bound, True), (at_bound + b"\n", False)):
        path = _file(content)
        try:
            if ok:
                assert evaluate(load_model(path)).total == 6  # 2·2 + 2
            else:
                with pytest.raises(ModelError, match=f"larger than the {MAX_FILE_BYTES:,}-byte limit"):
                    load_model(path)
                with pytest.raises(ParamcalcError, match=f"larger than the {MAX_FILE_BYTES:,}-byte limit"):
                    check_sheet(path)
        finally:
            path.unlink()


def test_data_depth() -> None:
    def nested(depth: int) -> str:  # the mapping is level 1, its list level 2, ...
        return '{"layers": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"

    assert parse_model_text(nested(MAX_DATA_DEPTH)) == {"layers": json.loads("[" * 199 + "]" * 199)}
    with pytest.raises(ModelError, match=f"nested more than {MAX_DATA_DEPTH} levels deep"):
        parse_model_text(nested(MAX_DATA_DEPTH + 1))
    with pytest.raises(ModelError, match=f"nested more than {MAX_DATA_DEPTH} levels deep"):
        parse_model_text("layers: " + "[" * MAX_DATA_DEPTH + "]" * MAX_DATA_DEPTH)


def test_data_values() -> None:
    # The mapping, its list and the list's values: MAX_DATA_NODES values in all, then one more.
    at_bound = json.dumps({"layers": [0] * (MAX_DATA_NODES - 2)})
    assert len(parse_model_text(at_bound)["layers"]) == MAX_DATA_NODES - 2
    with pytest.raises(ModelError, match=f"more than {MAX_DATA_NODES:,} values"):
        parse_model_text(json.dumps({"layers": [0] * (MAX_DATA_NODES - 1)}))


def test_alias_expansion() -> None:
    # Ten aliases of a list of ten: 10 + 10·12 values (each alias counts its list and its ten values).
    text = "a: &a [" + ", ".join(["1"] * 10) + "]\nb: [" + ", ".join(["*a"] * 10) + "]\n"
    assert parse_model_text(text)["b"][9] == [1] * 10
    laughs = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
    )
    with time_limit():
        with pytest.raises(ModelError, match=f"more than {MAX_DATA_NODES:,} values once aliases are expanded"):
            parse_model_text(laughs)


def test_block_nesting() -> None:
    def nested(depth: int) -> dict:
        node: dict = {"layers": ["Identity()"]}
        for _ in range(depth - 1):
            node = {"layers": [node]}
        return {"layers": [node], "input_shape": [1, 2]}

    # The model's own list of entries is the first level: MAX_BLOCK_NESTING - 1 blocks fit inside it.
    assert evaluate(load_model(nested(MAX_BLOCK_NESTING - 1))).output_shape == (1, 2)
    with pytest.raises(ModelError, match=f"blocks are nested more than {MAX_BLOCK_NESTING} deep"):
        load_model(nested(MAX_BLOCK_NESTING))


def test_layers_after_repeats() -> None:
    # MAX_LAYERS copies of Linear(2**62, 2**62), each 2**124 + 2**62 parameters, counted exactly.
    model = load_model({"layers": [{"layer": f"Linear({BIG}, {BIG})", "repeat": MAX_LAYERS}], "input_shape": [1, BIG]})
    assert model.layer_count() == MAX_LAYERS
    with time_limit():
        assert evaluate(model).total == MAX_LAYERS * (BIG * BIG + BIG)
    with pytest.raises(ModelError, match=f"more than {MAX_LAYERS:,} layers after expanding repeats"):
        load_model({"layers": [{"layers": ["Identity()"], "repeat": 1000}, {"layer": "Identity()", "repeat": 99_001}]})


def test_summary_rows() -> None:
    assert len(evaluate(load_model({"layers": ["Identity()"] * MAX_ROWS, "input_shape": [1, 2]})).rows) == MAX_ROWS
    with pytest.raises(ModelError, match=f"more than {MAX_ROWS:,} rows"):
        evaluate(load_model({"layers": ["Identity()"] * (MAX_ROWS + 1), "input_shape": [1, 2]}))


# -- Sheets and answers -----------------------------------------------------------------------------

PROBLEM = {"layer": "Linear(2, 2)", "answers": {"params": 6}}


def test_sheet_problems() -> None:
    sheet, _ = load_sheet({"problems": [PROBLEM] * MAX_SHEET_PROBLEMS})
    assert len(sheet.problems) == MAX_SHEET_PROBLEMS
    with pytest.raises(ParamcalcError, match=f"more than {MAX_SHEET_PROBLEMS:,} problems"):
        load_sheet({"problems": [PROBLEM] * (MAX_SHEET_PROBLEMS + 1)})


def test_answer_digits() -> None:
    assert parse_count("9" * MAX_ANSWER_DIGITS) == 10**MAX_ANSWER_DIGITS - 1
    for given in ("9" * (MAX_ANSWER_DIGITS + 1), 10**MAX_ANSWER_DIGITS, 10**5000):
        with pytest.raises(ParamcalcError, match=f"at most {MAX_ANSWER_DIGITS:,} digits"):
            parse_count(given)
    with pytest.raises(ParamcalcError, match=f"at most {MAX_ANSWER_DIGITS:,} digits"):
        check("Linear(2, 2)", shape=[10**5000], input_shape=(1, 2))
    assert not check("Linear(2, 2)", params="9" * MAX_ANSWER_DIGITS).ok


# -- Huge counts are exact ---------------------------------------------------------------------------


def test_huge_counts_are_exact() -> None:
    # Linear: in·out + out.
    assert Linear(BIG, BIG).count().total == 2**124 + 2**62 > 10**37
    # LSTM, two layers of hidden size h over inputs of size i = h: layer 0 is 4·(h·i + h·h + 2h),
    # layer 1 takes layer 0's h outputs: 4·(h·h + h·h + 2h).
    h = 2**40
    assert LSTM(h, h, num_layers=2).count().total == 2 * 4 * (2 * h * h + 2 * h)
    # Conv3d with every size at the bound: out·in·k³ weights + out biases.
    assert Conv3d(MAX_SIZE, MAX_SIZE, MAX_SIZE).count().total == MAX_SIZE**5 + MAX_SIZE
    # Embedding: num·dim; Keras Dense over MAX_SIZE features: in·units + units.
    assert Embedding(MAX_SIZE, MAX_SIZE).count().total == MAX_SIZE**2
    assert Dense(MAX_SIZE).count("keras", input_shape=(None, MAX_SIZE)).total == MAX_SIZE**2 + MAX_SIZE
    # Under every convention, and in a checked answer.
    for convention in ("pytorch", "keras", "textbook"):
        assert Linear(BIG, BIG).count(convention).total == 2**124 + 2**62
    assert check(f"Linear({BIG}, {BIG})", params=f"{2**124 + 2**62:,}").ok


def test_huge_shapes_are_exact() -> None:
    # Conv2d: (n + 2p − d·(k−1) − 1) // s + 1 on each side.
    n = MAX_SIZE
    out = Conv2d(1, 1, 3, stride=2, padding=1).output_shape((1, 1, n, n))
    assert out == (1, 1, (n + 2 - 2 - 1) // 2 + 1, (n + 2 - 2 - 1) // 2 + 1)
    # Flatten multiplies: 16 dimensions of 2**62 become one of 2**(62·15) after the batch.
    assert Flatten().output_shape((1,) + (BIG,) * 15) == (1, BIG**15)
    # Multiply-accumulates of a Linear layer: batch rows · in · out.
    assert layer_compute(Linear(BIG, BIG), (BIG, BIG)).macs == BIG**3


@given(n=st.integers(0, 200), o=st.integers(0, 200))
def test_adaptive_window_sum_closed_form(n: int, o: int) -> None:
    # Brute force: window i spans [floor(i·n/o), ceil((i+1)·n/o)).
    brute = sum(-(-((i + 1) * n) // o) - (i * n) // o for i in range(o))
    assert adaptive_window_sum(in_size=n, out_size=o) == brute


def test_adaptive_pooling_to_a_huge_size_is_instant() -> None:
    with time_limit(2):
        assert adaptive_window_sum(in_size=MAX_SIZE, out_size=MAX_SIZE - 1) == 2 * MAX_SIZE - 2
        compute = layer_compute(parse_layer(f"AdaptiveAvgPool1d({MAX_SIZE})"), (1, 1, 3))
        assert compute.macs >= 0
