"""Model files as graphs: outputs joined by name (merge entries), parallel branches concatenated,
shortcuts concatenated or multiplied, multi-input layers counted on all their inputs, and the
framework a file is written for read from its layer names.

Expected values are worked out by hand in each test; the torch builds of whole networks with these
joins are in tests/test_crosscheck_zoo.py, the Keras ones at the end of this file.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import require

import paramcalc
from paramcalc.errors import ModelError
from paramcalc.analysis.compute import model_compute


def run(data: dict) -> paramcalc.Summary:
    return paramcalc.summarize({"framework": "pytorch", **data})


def test_merge_entry_concatenates_named_outputs_along_channels() -> None:
    s = run({"input_shape": [2, 3, 8, 8], "layers": [
        {"name": "a", "layer": "Conv2d(3, 4, 1)"},
        {"name": "b", "layer": "Conv2d(3, 6, 3, padding=1)", "input": "input"},
        {"name": "cat", "merge": "concat", "input": ["a", "b"]},
        "Conv2d(out_channels=5, kernel_size=1)",
    ]})
    # 4 + 6 = 10 channels; the last conv infers in_channels = 10: 10·5 + 5
    assert s.row("cat").output_shape == (2, 10, 8, 8)
    assert s.row("cat").type == "Concatenate" and s.row("cat").count.total == 0
    assert s.row("3").count.total == 55
    assert s.total == (3 * 4 + 4) + (3 * 6 * 9 + 6) + 55


def test_concat_axis_may_be_given_and_negative() -> None:
    s = run({"input_shape": [1, 5, 16], "layers": [
        {"name": "p", "layer": "Linear(16, 8)"},
        {"name": "q", "layer": "Linear(16, 24)", "input": "input"},
        {"name": "joined", "merge": "concat", "input": ["p", "q"], "axis": -1},
    ]})
    assert s.output_shape == (1, 5, 32)


@pytest.mark.parametrize(("kind", "type_name"), [
    ("add", "Add"), ("subtract", "Subtract"), ("multiply", "Multiply"), ("average", "Average"),
    ("maximum", "Maximum"), ("minimum", "Minimum"),
])
def test_element_wise_merges_broadcast(kind: str, type_name: str) -> None:
    s = run({"input_shape": [2, 8, 4, 4], "layers": [
        {"name": "gate", "layer": "AdaptiveAvgPool2d(1)"},
        {"name": "joined", "merge": kind, "input": ["input", "gate"]},
    ]})
    row = s.row("joined")
    assert (row.type, row.output_shape) == (type_name, (2, 8, 4, 4))
    # one element-wise operation per output element for the second input: 2·8·4·4
    ops = {op.name: op.count for op in model_compute(s).total.ops}
    assert ops[next(n for n in ops if n.startswith("joined"))] == 256


def test_concat_is_free_and_multiply_counts_its_products() -> None:
    s = run({"input_shape": [1, 4, 3, 3], "layers": [
        {"name": "se", "shortcut": "identity", "merge": "multiply",
         "layers": ["AdaptiveAvgPool2d(1)", "Conv2d(4, 4, 1)", "Sigmoid()"]},
        {"name": "dense", "shortcut": "identity", "merge": "concat", "layers": ["Conv2d(4, 2, 1)"]},
    ]})
    assert s.row("dense").output_shape == (1, 6, 3, 3)
    items = {op.name: op.count for op in model_compute(s).total.ops}
    assert items["se multiply of the shortcut"] == 36  # 1·4·3·3 products
    assert not any(name.startswith("dense ") for name in items)


def test_parallel_branches_concatenated_in_order() -> None:
    s = run({"input_shape": [1, 8, 10, 10], "layers": [{"name": "mixed", "merge": "concat", "parallel": [
        {"name": "one", "layer": "Conv2d(8, 2, 1)"},
        {"name": "three", "layer": "Conv2d(8, 3, 3, padding=1)"},
        {"name": "pool", "layer": "MaxPool2d(3, stride=1, padding=1)"},
    ]}]})
    assert s.output_shape == (1, 2 + 3 + 8, 10, 10)
    assert "concatenated along axis 1" in s.row("mixed").note


def test_keras_files_concatenate_channels_last() -> None:
    s = paramcalc.summarize({"input_shape": [1, 8, 8, 3], "layers": [
        {"name": "a", "layer": "Conv2D(4, 3, padding='same')"},
        {"name": "b", "layer": "Conv2D(6, 1)", "input": "input"},
        {"name": "cat", "merge": "concat", "input": ["a", "b"]},
    ]})
    assert s.convention == "keras" and s.output_shape == (1, 8, 8, 10)


@pytest.mark.parametrize(("data", "message"), [
    ({"input_shape": [1, 3, 8, 8], "layers": [
        {"name": "small", "layer": "MaxPool2d(2)"},
        {"name": "cat", "merge": "concat", "input": ["input", "small"]}]},
     "cat: cannot concatenate input (1, 3, 8, 8) and small (1, 3, 4, 4) along axis 1: axis 2 is 8 in one and 4 "
     "in the other (every other axis must match)"),
    ({"input_shape": [1, 4], "layers": [
        {"name": "a", "layer": "Linear(4, 3)"},
        {"name": "sum", "merge": "add", "input": ["input", "a"]}]},
     "sum: cannot add input (1, 4) and a (1, 3): axis -1 is 4 in one and 3 in the other (sizes must match, or one "
     "be 1)"),
    ({"input_shape": [1, 4], "layers": [
        {"name": "a", "layer": "Flatten(0)"},
        {"name": "cat", "merge": "concat", "input": ["input", "a"]}]},
     "cat: cannot concatenate input (1, 4) and a (4,): they differ in rank"),
    ({"input_shape": [1, 4], "layers": [{"name": "cat", "merge": "concat", "input": ["input", "input"], "axis": 2}]},
     "cat: concat axis 2 is out of range for outputs of rank 2, such as input (1, 4)"),
    ({"input_shape": [1, 4], "layers": [{"merge": "add", "input": ["input"]}]},
     "layer 0: a merge entry names the outputs it joins: input: [a, b] (two or more)"),
    ({"input_shape": [1, 4], "layers": [{"merge": "subtract", "input": ["input", "input", "input"]}]},
     "layer 0: merge: subtract takes exactly two inputs. Received: 3"),
    ({"input_shape": [1, 4], "layers": [{"merge": "add", "input": ["input", "input"], "axis": 1}]},
     "layer 0: 'axis' is for merge: concat; merge: add joins element by element"),
    ({"input_shape": [1, 4], "layers": [{"layers": ["Linear(4, 4)"], "merge": "concat"}]},
     "layer 0: 'merge' and 'axis' need a 'shortcut': they say how it joins the main path"),
    ({"input_shape": [1, 4], "layers": [{"merge": "stack", "input": ["input", "input"]}]},
     "layer 0.merge: must be 'add', 'subtract', 'multiply', 'average', 'maximum', 'minimum' or 'concat'. "
     "Received: 'stack'"),
])
def test_merge_errors_name_both_entries_and_shapes(data: dict, message: str) -> None:
    with pytest.raises(ModelError) as exc:
        run(data)
    assert str(exc.value) == message


def test_shortcut_concat_names_the_shortcut_and_main_path() -> None:
    with pytest.raises(ModelError) as exc:
        run({"input_shape": [1, 3, 8, 8], "layers": [
            {"name": "blk", "shortcut": "identity", "merge": "concat", "layers": ["Conv2d(3, 2, 3)"]}]})
    assert str(exc.value) == (
        "blk: cannot concatenate the shortcut (1, 3, 8, 8) and the main path (1, 2, 6, 6) along axis 1: axis 2 is 8 "
        "in one and 6 in the other (every other axis must match)"
    )


# -- which framework a file is written for -----------------------------------------------------


def test_a_file_of_keras_layers_is_counted_as_keras() -> None:
    data = {"input_shape": [1, 10, 8], "layers": ["LSTM(16)", "Dense(3)"]}
    s = paramcalc.summarize(data)
    # Keras: LSTM 4·(16·(8 + 16) + 16) = 1,600 (one bias per gate), Dense 16·3 + 3 = 51
    assert (s.convention, s.total) == ("keras", 1_651)
    assert s.row("0").layer["type"] == "keras.LSTM"


def test_a_file_of_torch_layers_stays_pytorch() -> None:
    s = paramcalc.summarize({"input_shape": [1, 10, 8], "layers": ["LSTM(8, 16, batch_first=True)", "Linear(16, 3)"]})
    # torch: 4·(16·8 + 16·16 + 2·16) = 1,664 (two biases per gate), Linear 51
    assert (s.convention, s.total) == ("pytorch", 1_715)


def test_mixed_names_without_a_framework_are_refused() -> None:
    with pytest.raises(ModelError) as exc:
        paramcalc.summarize({"input_shape": [1, 10], "layers": ["Linear(10, 5)", "Dense(3)"]})
    assert str(exc.value) == (
        "framework: the model mixes PyTorch and Keras layers (Linear at layer 0 is PyTorch's, Dense at layer 1 is "
        "Keras's); set framework: pytorch or framework: keras, and write the other framework's layers with nn. or "
        "layers. if you mean them"
    )
    # qualified names say which framework each layer is: accepted
    s = paramcalc.summarize({"input_shape": [1, 10], "layers": ["nn.Linear(10, 5)", "layers.Dense(3)"]})
    assert s.total == 55 + 18


def test_cli_and_library_agree_on_a_keras_file(tmp_path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("input_shape: [1, 10, 8]\nlayers: ['LSTM(16)', 'Dense(3)']\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "paramcalc", "summary", str(path), "--json"],
                         capture_output=True, text=True, check=True).stdout
    document = json.loads(out)
    assert document["convention"] == "keras"
    assert document["totals"]["total"] == paramcalc.summarize(str(path)).total == 1_651


# -- against Keras itself ------------------------------------------------------------------------


@pytest.mark.crosscheck
def test_keras_cross_attention_and_merges_equal_keras() -> None:
    keras = require("keras")
    q, v = keras.Input((8, 16)), keras.Input((4, 32))
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)(q, v)
    joined = keras.layers.Concatenate()([q, attended])
    out = keras.layers.Dense(10)(joined)
    model = keras.Model([q, v], out)
    s = paramcalc.summarize({
        "inputs": {"query": [1, 8, 16], "value": [1, 4, 32]},
        "layers": [
            {"name": "attn", "layer": "MultiHeadAttention(num_heads=2, key_dim=16)", "input": ["query", "value"]},
            {"name": "cat", "merge": "concat", "input": ["query", "attn"]},
            "Dense(10)",
        ],
    })
    assert s.convention == "keras"
    assert s.total == model.count_params()  # value projection reads 32 features, not the query's 16
    assert s.output_shape[1:] == tuple(model.output.shape[1:])


# -- Keras shapes: None for a size not known yet -------------------------------------------------


def test_none_batch_and_sequence_length_propagate_as_keras_shows_them() -> None:
    s = paramcalc.summarize({"input_shape": [None, None, 8], "layers": [
        "LSTM(16, return_sequences=True)", {"name": "gru", "layer": "GRU(8)"}, "Dense(3)"]})
    # Keras: LSTM 4·(16·(8 + 16) + 16) = 1,600; GRU (reset_after) 3·(8·(16 + 8) + 2·8) = 624; Dense 8·3 + 3
    assert [r.output_shape for r in s.rows] == [(None, None, 16), (None, 8), (None, 3)]
    assert s.total == 1_600 + 624 + 27


def test_merges_keep_unknown_sizes() -> None:
    s = paramcalc.summarize({"inputs": {"text": [None, None, 16], "image": [None, 8]}, "layers": [
        {"name": "enc", "layer": "LSTM(8)", "input": "text"},
        {"name": "both", "merge": "concat", "input": ["enc", "image"]},
        {"name": "seqs", "merge": "concat", "input": ["text", "text"], "axis": 1},
        {"name": "sum", "merge": "add", "input": ["text", "text"]},
    ]})
    shapes = {r.path: r.output_shape for r in s.rows}
    assert shapes["both"] == (None, 16) and shapes["seqs"] == (None, None, 16) and shapes["sum"] == (None, None, 16)


def test_a_torch_layer_refuses_an_unknown_size() -> None:
    with pytest.raises(ModelError) as exc:
        run({"input_shape": [None, 10], "layers": ["Linear(10, 5)"]})
    assert str(exc.value) == (
        "layer 0 (Linear): a PyTorch layer needs every size; its input (None, 10) has one not known yet (None, "
        "which only Keras layers accept)"
    )


def test_memory_counts_an_unknown_batch_as_one_sample() -> None:
    from paramcalc.analysis.memory import model_memory

    data = {"input_shape": [None, 4], "layers": ["Dense(3)"]}
    one = model_memory(data)
    eight = model_memory(data, batch_size=8)
    assert one.batch_size == 1 and eight.batch_size == 8
    with pytest.raises(paramcalc.SpecError, match="has a size not known yet"):
        model_memory({"input_shape": [None, None, 4], "layers": ["LSTM(3)"]})


@pytest.mark.crosscheck
def test_keras_functional_graph_with_none_batch_equals_keras() -> None:
    keras = require("keras")
    x = keras.Input((32, 32, 3))
    a = keras.layers.Conv2D(8, 3, padding="same")(x)
    b = keras.layers.Conv2D(8, 1)(x)
    cat = keras.layers.Concatenate()([a, b])
    total = keras.layers.Add()([a, b])
    out = keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(total))
    model = keras.Model(x, [cat, out])
    s = paramcalc.summarize({"input_shape": [None, 32, 32, 3], "layers": [
        {"name": "a", "layer": "Conv2D(8, 3, padding='same')"},
        {"name": "b", "layer": "Conv2D(8, 1)", "input": "input"},
        {"name": "cat", "merge": "concat", "input": ["a", "b"]},
        {"name": "sum", "merge": "add", "input": ["a", "b"]},
        "GlobalAveragePooling2D()",
        "Dense(10)",
    ]})
    assert s.total == model.count_params()
    assert s.row("cat").output_shape == tuple(cat.shape) and s.output_shape == tuple(out.shape)
