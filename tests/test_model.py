"""Model files: the format (expressions, mappings, blocks, repeat, residuals, parallel branches,
shared and tied weights, several inputs), shape propagation and inferred sizes, errors naming the
layer by its path, and the bounds on what a file may hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paramcalc import ModelError
from paramcalc.models.evaluate import evaluate
from paramcalc.models.format import (
    MAX_DATA_NODES,
    MAX_FILE_BYTES,
    MAX_LAYERS,
    MAX_NESTING,
    BlockNode,
    Model,
    load_model,
    parse_model_text,
)
from paramcalc.models.schema import model_json_schema


def run(data: dict, **kw):
    return evaluate(load_model(data), **kw)


def leaves(summary) -> dict[str, int]:
    return {r.path: r.count.total for r in summary.rows if r.leaf}


# -- Layers as expressions or mappings, inferred sizes ---------------------------------------

LENET = {
    "framework": "pytorch",
    "input_shape": [1, 1, 32, 32],
    "layers": [
        "Conv2d(1, 6, 5)", "Tanh()", "AvgPool2d(2)",
        {"type": "Conv2d", "out_channels": 16, "kernel_size": 5},  # in_channels inferred: 6
        "Tanh()", "AvgPool2d(2)", "Flatten()",
        {"name": "fc", "layers": ["Linear(out_features=120)", "Tanh()", "Linear(out_features=84)", "Tanh()"]},
        {"name": "out", "layer": {"type": "Linear", "in_features": 84, "out_features": 10}},
    ],
}


def test_expressions_mappings_and_inferred_sizes() -> None:
    s = run(LENET)
    # LeNet-5 (LeCun et al. 1998, fully connected C3): 156 + 2,416 + 48,120 + 10,164 + 850
    assert s.total == 61_706
    assert leaves(s) == {"0": 156, "1": 0, "2": 0, "3": 2_416, "4": 0, "5": 0, "6": 0,
                         "fc.0": 48_120, "fc.1": 0, "fc.2": 10_164, "fc.3": 0, "out": 850}
    assert s.row("3").inferred == {"in_channels": 6}
    assert s.row("3").layer["in_channels"] == 6
    assert s.row("fc.0").inferred == {"in_features": 400}
    assert s.row("6").output_shape == (1, 400)
    assert s.output_shape == (1, 10)


def test_a_dict_and_its_yaml_file_give_the_same_summary(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "lenet.yaml"
    path.write_text(yaml.safe_dump(LENET), encoding="utf-8")
    json_path = tmp_path / "lenet.json"
    json_path.write_text(json.dumps(LENET), encoding="utf-8")
    assert run(LENET) == evaluate(load_model(path)) == evaluate(load_model(str(json_path)))


def test_load_model_accepts_a_model_and_refuses_other_things() -> None:
    model = load_model(LENET)
    assert load_model(model) is model
    assert model.layer_count() == 12  # leaves: 7 + 4 in fc + out
    with pytest.raises(ModelError, match="a model is a Model, a dict or a file path. Received: int"):
        load_model(3)  # type: ignore[arg-type]


def test_counts_without_an_input_shape_when_every_size_is_given() -> None:
    s = run({"framework": "pytorch", "layers": ["Linear(10, 20)", "ReLU()", "Linear(20, 5)"]})
    assert s.total == 10 * 20 + 20 + 20 * 5 + 5
    assert s.output_shape is None and s.input_shapes == {"input": None}
    with pytest.raises(ModelError) as exc:
        run({"layers": ["Linear(out_features=3)"]})
    assert str(exc.value) == (
        "layer 0: Linear.in_features is not set and the input shape is unknown; give in_features, or an input shape"
    )


def test_input_shape_override() -> None:
    s = run(LENET, input_shape=(8, 1, 32, 32))
    assert s.output_shape == (8, 10) and s.input_shapes == {"input": (8, 1, 32, 32)}
    with pytest.raises(ModelError, match=r"input_shape: the model has no input 'src' \(inputs: input\)"):
        run(LENET, input_shape={"src": (1, 2)})


# -- Blocks, repeats, residuals --------------------------------------------------------------


def test_named_blocks_nest_and_show_their_depth() -> None:
    s = run({"input_shape": [2, 8], "layers": [
        {"name": "encoder", "layers": [{"name": "stage", "layers": [{"name": "fc", "layer": "Linear(8, 8)"}]}]}]})
    assert [(r.path, r.depth, r.type, r.leaf) for r in s.rows] == [
        ("encoder", 1, "Block", False), ("encoder.stage", 2, "Block", False), ("encoder.stage.fc", 3, "Linear", True)]
    assert {r.count.total for r in s.rows} == {72}


def test_a_repeat_that_keeps_its_shape_is_evaluated_once() -> None:
    # 32 LLaMA-style layers of width 64: one evaluation stands for all 32 (rows say ×32).
    s = run({"input_shape": [1, 16, 64], "layers": [{"name": "layers", "repeat": 32, "layers": [
        {"name": "attn", "layers": ["RMSNorm(64)", "SelfAttention(64, 4, bias=False)"], "shortcut": "identity"},
        {"name": "mlp", "layers": ["RMSNorm(64)", "SwiGLU(64, 172)"], "shortcut": "identity"}]}]})
    per_layer = 64 + 4 * 64 * 64 + 64 + 3 * 64 * 172
    assert s.total == 32 * per_layer
    assert [(r.path, r.repeat) for r in s.rows] == [
        ("layers", 32), ("layers[0-31].attn", 32), ("layers[0-31].attn.0", 32), ("layers[0-31].attn.1", 32),
        ("layers[0-31].mlp", 32), ("layers[0-31].mlp.0", 32), ("layers[0-31].mlp.1", 32)]
    assert s.row("layers[0-31].attn.1").count.total == 32 * 4 * 64 * 64


def test_a_repeat_that_changes_the_shape_is_applied_step_by_step() -> None:
    # Linear(out_features=4) infers 16, then 4: the first repeat differs, the last two are the same.
    s = run({"input_shape": [2, 16], "layers": [{"name": "down", "repeat": 3, "layers": ["Linear(out_features=4)"]}]})
    assert s.total == (16 * 4 + 4) + 2 * (4 * 4 + 4)
    assert [(r.path, r.repeat, r.count.total) for r in s.rows] == [
        ("down", 3, 108), ("down[0]", 1, 68), ("down[0].0", 1, 68), ("down[1-2]", 2, 40), ("down[1-2].0", 2, 40)]


def test_a_repeated_layer_takes_one_row() -> None:
    s = run({"input_shape": [1, 10, 32], "layers": [
        {"name": "layers", "layer": "TransformerEncoderLayer(32, 4, 64, batch_first=True)", "repeat": 6}]})
    (row,) = s.rows
    assert (row.path, row.repeat, row.leaf) == ("layers[0-5]", 6, True)
    # torch.nn.TransformerEncoderLayer(32, 4, 64): 4·32² + 4·32 + 2·32·64 + 64 + 32 + 4·32 = 8,544
    assert row.count.total == 6 * 8_544


def test_shared_weights_across_repeats_count_once() -> None:
    # ALBERT-style: one layer's weights used by every repeat
    s = run({"input_shape": [2, 8], "layers": [{"name": "shared", "repeat": 12, "share_weights": True,
                                                   "layers": ["Linear(8, 8)"]}]})
    assert s.total == 72
    assert s.row("shared").note == "weights shared by all repeats"
    with pytest.raises(ModelError, match=r"grow\[0\]: share_weights needs an entry that keeps its input's shape"):
        run({"input_shape": [2, 8], "layers": [{"name": "grow", "repeat": 2, "share_weights": True,
                                                 "layers": ["Linear(out_features=4)"]}]})


RESIDUAL = {
    "framework": "pytorch",
    "input_shape": [1, 64, 56, 56],
    "layers": [{
        "name": "block",
        "layers": [
            {"name": "conv1", "layer": "Conv2d(64, 128, 3, stride=2, padding=1, bias=False)"},
            {"name": "bn1", "layer": "BatchNorm2d(128)"},
            {"name": "relu", "layer": "ReLU()"},
            {"name": "conv2", "layer": "Conv2d(128, 128, 3, padding=1, bias=False)"},
            {"name": "bn2", "layer": "BatchNorm2d(128)"},
        ],
        "shortcut": [{"name": "downsample", "layers": ["Conv2d(64, 128, 1, stride=2, bias=False)", "BatchNorm2d(128)"]}],
        "after": ["ReLU()"],
    }],
}


def test_a_residual_block_adds_its_shortcut() -> None:
    s = run(RESIDUAL)
    # torchvision ResNet-18 layer2[0]: 73,728 + 256 + 147,456 + 256 + downsample 8,192 + 256 = 230,144
    assert s.total == 230_144
    assert s.totals.buffers == 3 * (2 * 128 + 1)
    assert s.row("block").type == "Residual" and s.output_shape == (1, 128, 28, 28)
    assert s.row("block.downsample").count.total == 8_448
    assert s.row("block.6").type == "ReLU"  # the entry after the add continues the numbering


def test_a_shortcut_that_does_not_fit_names_the_block() -> None:
    bad = json.loads(json.dumps(RESIDUAL))
    bad["layers"][0]["shortcut"] = "identity"
    with pytest.raises(ModelError) as exc:
        run(bad)
    assert str(exc.value) == "block: the shortcut: cannot add outputs of shapes (1, 128, 28, 28), (1, 64, 56, 56)"


# -- Parallel branches, shared layers, tied weights, several inputs --------------------------

GPT = {
    "framework": "pytorch",
    "input_shape": [1, 32],
    "layers": [
        {"name": "embeddings", "parallel": [
            {"name": "wte", "layer": "Embedding(100, 16)"}, {"name": "wpe", "layer": "Embedding(32, 16)"}]},
        {"name": "h", "repeat": 2, "layers": ["DecoderBlock(16, 2)"]},
        {"name": "ln_f", "layer": "LayerNorm(16)"},
        {"name": "lm_head", "layer": "Linear(16, 100, bias=False)", "tie": "embeddings.wte"},
    ],
}


def test_parallel_embeddings_add_and_a_tied_head_counts_once() -> None:
    s = run(GPT)
    # 100·16 + 32·16 + 2·(12·16² + 13·16) + 2·16; the head's 1,600 weights are wte's
    assert s.total == 1_600 + 512 + 2 * (12 * 256 + 208) + 32
    assert s.row("embeddings").type == "Parallel" and s.row("embeddings").output_shape == (1, 32, 16)
    head = s.row("lm_head")
    assert head.count.total == 0 and head.note == "weight tied to embeddings.wte.weight"
    assert "lm_head.weight is tied to embeddings.wte.weight: 1,600 parameters counted once" in s.notes
    assert s.output_shape == (1, 32, 100)


def test_a_tie_by_tensor_name() -> None:
    data = json.loads(json.dumps(GPT))
    data["layers"][-1]["tie"] = {"weight": "wte.weight"}  # "wte" alone is not in scope outside the branches
    with pytest.raises(ModelError, match="lm_head: tie target 'wte.weight' is not a tensor of an earlier layer"):
        run(data)
    data["layers"][-1]["tie"] = {"weight": "embeddings.wte.weight"}
    assert run(data).total == run(GPT).total


@pytest.mark.parametrize(
    ("tie", "message"),
    [
        ({"bias": "embeddings.wte.weight"}, "lm_head: tie: Linear has no tensor 'bias' (it has weight)"),
        ({"weight": "embeddings.wpe.weight"},
         "lm_head: tie: weight (100, 16) and embeddings.wpe.weight (32, 16) must have the same shape"),
        ("ln_f", "lm_head: tie: weight (100, 16) and ln_f.weight (16,) must have the same shape"),
        ("h", "lm_head: tie target 'h.weight' is not a tensor of an earlier layer (write layer.tensor)"),
    ],
)
def test_tie_errors(tie: object, message: str) -> None:
    data = json.loads(json.dumps(GPT))
    data["layers"][-1]["tie"] = tie
    with pytest.raises(ModelError) as exc:
        run(data)
    assert str(exc.value) == message


SEQ2SEQ = {
    "framework": "pytorch",
    "inputs": {"src": [2, 10], "tgt": [2, 7]},
    "layers": [
        {"name": "src_embed", "layer": "Embedding(50, 16)", "input": "src"},
        {"name": "encoder", "layer": "TransformerEncoderLayer(16, 2, 32, batch_first=True)", "repeat": 2},
        {"name": "tgt_embed", "shared": "src_embed", "input": "tgt"},
        {"name": "decoder", "layer": "TransformerDecoderLayer(16, 2, 32, batch_first=True)", "repeat": 3,
         "input": ["tgt_embed", "encoder"]},
        {"name": "generator", "layer": "Linear(16, 50, bias=False)", "tie": "src_embed"},
    ],
}


def test_several_inputs_a_shared_embedding_and_a_decoder_with_memory() -> None:
    s = run(SEQ2SEQ)
    enc = 4 * 16 * 16 + 4 * 16 + 2 * 16 * 32 + 32 + 16 + 4 * 16
    dec = 2 * (4 * 16 * 16 + 4 * 16) + 2 * 16 * 32 + 32 + 16 + 6 * 16
    assert s.total == 50 * 16 + 2 * enc + 3 * dec
    assert s.row("tgt_embed").count.total == 0 and s.row("tgt_embed").note == "shares src_embed"
    assert s.row("tgt_embed").output_shape == (2, 7, 16)
    decoder = s.row("decoder[0-2]")
    assert decoder.input_shapes == ((2, 7, 16), (2, 10, 16)) and decoder.output_shape == (2, 7, 16)
    assert s.output_shape == (2, 7, 50)
    assert run(SEQ2SEQ, input_shape=[(1, 5), (1, 3)]).output_shape == (1, 3, 50)
    assert run(SEQ2SEQ, input_shape={"tgt": (2, 4)}).output_shape == (2, 4, 50)


def test_a_frozen_entry_counts_as_non_trainable() -> None:
    data = json.loads(json.dumps(LENET))
    data["layers"][0] = {"layer": "Conv2d(1, 6, 5)", "trainable": False}
    s = run(data)
    assert (s.totals.trainable, s.totals.non_trainable, s.total) == (61_706 - 156, 156, 61_706)
    assert s.row("0").trainable == "no" and s.row("out").trainable == "yes"


# -- Errors name the layer by its path -------------------------------------------------------


def test_a_feature_mismatch_names_the_layer_and_both_shapes() -> None:
    data = {"input_shape": [1, 10, 256], "layers": [{"name": "encoder", "layers": [
        {"name": "layers", "repeat": 6, "layers": [{"name": "linear1", "layer": "Linear(512, 2048)"}]}]}]}
    with pytest.raises(ModelError) as exc:
        run(data)
    assert str(exc.value) == (
        "encoder.layers[0].linear1 (Linear): expects input (*, 512) (in_features=512), receives (1, 10, 256)"
    )


def test_an_error_in_a_later_repeat_names_that_repeat() -> None:
    # 3×3 convolutions with stride 2: 16 → 7 → 3 → 1, then the kernel no longer fits.
    data = {"framework": "pytorch", "input_shape": [1, 4, 16, 16], "layers": [{"name": "encoder", "layers": [
        {"name": "layers", "repeat": 6, "layers": [{"name": "conv", "layer": "Conv2d(4, 4, 3, stride=2)"}]}]}]}
    with pytest.raises(ModelError) as exc:
        run(data)
    assert str(exc.value).startswith(
        "encoder.layers[3].conv: Conv2d: output height (1 + 2*0 - 1*(3-1) - 1)//2 + 1 = 0 must be >= 1"
    )


def test_a_channel_mismatch() -> None:
    with pytest.raises(ModelError) as exc:
        run({"framework": "pytorch", "input_shape": [1, 3, 32, 32], "layers": ["Conv2d(4, 8, 3)"]})
    assert str(exc.value) == "layer 0 (Conv2d): expects input (N, 4, *, *) (in_channels=4), receives (1, 3, 32, 32)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"layers": [{"foo": 1}]}, "layer 0: an entry must be a layer expression, a mapping with 'type', or a "
                                    "mapping with exactly one of 'layer', 'shared', 'layers', 'parallel' or 'merge'"),
        ({"layers": [{"name": "b", "layers": ["Linear(2, 2)"], "parallel": []}]}, "b: an entry must be a layer "
         "expression, a mapping with 'type', or a mapping with exactly one of 'layer', 'shared', 'layers', 'parallel' or 'merge'"),
        ({"layers": [{"name": "q", "layers": []}]}, "q.layers: must have at least 1 entry. Received: []"),
        ({"layers": ["Linear(2, 2)"], "extra": 1}, "extra: unknown key 'extra'"),
        ({"layers": [{"name": "b", "repeat": 0, "layers": ["Linear(2, 2)"]}]},
         "b.repeat: must be >= 1. Received: 0"),
        ({"layers": [{"name": "fc", "layer": "Lnear(3, 4)"}]}, "fc: unknown layer type 'Lnear'. Did you mean Linear?"),
        ({"layers": [{"name": "s", "layers": [{"name": "c", "layer": "Conv2d(3, 8, 3, groups=2)"}]}]},
         "s.c: Conv2d: groups must divide in_channels. Received: in_channels=3, groups=2"),
        ({"layers": ["Linear(2, 2)", "Linear(2, 2)", {"name": "1", "layer": "ReLU()"}]},
         "two entries are named '1' in the model; names must be unique"),
        ({"layers": [{"layers": ["Linear(2, 2)"], "after": ["ReLU()"]}]},
         "layer 0: 'after' needs a 'shortcut': it runs after the shortcut is added"),
        ({"input_shape": [1, 2], "inputs": {"a": [1, 2]}, "layers": ["Linear(2, 2)"]},
         "give input_shape or inputs, not both"),
        ({"input_shape": [1, 2], "layers": [{"input": "zzz", "layer": "Linear(2, 2)"}]},
         "layer 0: input 'zzz' is not an input or an earlier layer or block (refer to one by name, or by path such "
         "as encoder.layers[0].linear1)"),
        ({"input_shape": [1, 2], "layers": [{"name": "a", "layers": ["Linear(2, 2)"]}, {"shared": "a"}]},
         "layer 1: shared layer 'a' must be a layer, not a block or an input"),
    ],
)
def test_errors_name_the_entry(data: dict, message: str) -> None:
    with pytest.raises(ModelError) as exc:
        run(data)
    assert str(exc.value) == message


# -- Bounds ----------------------------------------------------------------------------------


def test_a_file_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ModelError, match=f"larger than the {MAX_FILE_BYTES:,}-byte limit"):
        load_model(path)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x00\x01binary", "binary data, not a YAML or JSON text file"),
        (b"layers: [\xff]", "not UTF-8 text (byte 9)"),
        (b"layers: [Linear(2, 2)\n", "invalid YAML at line 2, column 1"),
        (b"- just\n- a list\n", "model file bad.yaml: must hold a mapping with 'layers'. Received: a list"),
        (b"{\"layers\": [}", "invalid YAML"),
    ],
)
def test_broken_files(tmp_path: Path, raw: bytes, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(raw)
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        load_model(path)


def test_missing_file() -> None:
    with pytest.raises(ModelError, match="model file not found: nowhere.yaml"):
        load_model("nowhere.yaml")


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    # Each level doubles: 2^40 values once expanded; the event walk stops at the bound.
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 41)]
    with pytest.raises(ModelError, match=f"more than {MAX_DATA_NODES:,} values once aliases are expanded"):
        parse_model_text("\n".join(lines))


def test_modest_aliases_are_fine() -> None:
    text = "\n".join([
        "framework: pytorch",
        "input_shape: [1, 8]",
        "layers:",
        "  - &fc {type: Linear, in_features: 8, out_features: 8}",
        "  - *fc",
    ])
    assert evaluate(load_model(parse_model_text(text))).total == 2 * 72


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(ModelError, match=r"alias \*a refers to an anchor that encloses it"):
        parse_model_text("layers: &a [*a]")


DEEP_YAML = ["[" * 100_000 + "]" * 100_000, "- " * 100_000 + "x", "{a: " * 50_000 + "1" + "}" * 50_000]


@pytest.mark.parametrize("text", DEEP_YAML)
def test_deep_nesting_is_refused_without_recursing(text: str, tmp_path: Path) -> None:
    # paramcalc's bound (MAX_DATA_DEPTH) or the YAML parser's own nesting limit, whichever is met first:
    # either way a ModelError of one line that names the file, never a RecursionError.
    with pytest.raises(ModelError) as info:
        parse_model_text(text)
    assert str(info.value).startswith("model file: ") and "\n" not in str(info.value)
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert str(info.value).startswith("model file deep.yaml: ") and "\n" not in str(info.value)


def test_nesting_past_the_bound_is_refused_in_paramcalc_words() -> None:
    # Just past MAX_DATA_DEPTH (far below any parser's own limit) the bound speaks.
    with pytest.raises(ModelError, match="model file: nested more than 200 levels deep"):
        parse_model_text("layers: " + "[" * 201 + "]" * 201)


def test_deep_json_is_refused() -> None:
    with pytest.raises(ModelError, match="nested more than 200 levels deep"):
        parse_model_text("[" * 100_000 + "]" * 100_000, json_first=True)


def test_blocks_nested_too_deep_are_refused() -> None:
    node: dict = {"layers": ["Linear(2, 2)"]}
    for _ in range(MAX_NESTING + 1):
        node = {"layers": [node]}
    with pytest.raises(ModelError, match=f"blocks are nested more than {MAX_NESTING} deep"):
        load_model(node)


def test_too_many_layers_after_repeats_are_refused_without_expanding_them() -> None:
    data = {"layers": [{"repeat": 1000, "layers": [{"repeat": 1000, "layers": ["Linear(2, 2)"]}]}]}
    with pytest.raises(ModelError, match=f"more than {MAX_LAYERS:,} layers after expanding repeats"):
        load_model(data)


# -- The schema ------------------------------------------------------------------------------


def test_the_schema_describes_the_format() -> None:
    schema = model_json_schema()
    assert schema["title"] == "paramcalc model file"
    assert set(schema["properties"]) >= {"name", "input_shape", "inputs", "layers", "framework", "reference"}
    layer = schema["$defs"]["Layer"]
    assert layer["anyOf"][0]["type"] == "string"
    assert "Conv2d" in layer["anyOf"][1]["discriminator"]["mapping"]
    assert "SwiGLU" in schema["$defs"] and "BlockNode" in schema["$defs"]


def test_model_files_validate_against_the_schema() -> None:
    import jsonschema  # a test requirement (pyproject: the test extra)

    validator = jsonschema.Draft202012Validator(model_json_schema())
    assert not list(validator.iter_errors(LENET))
    assert not list(validator.iter_errors(SEQ2SEQ))
    assert not list(validator.iter_errors(RESIDUAL))
    assert list(validator.iter_errors({"layers": [{"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "bogus": 1}]}))
    assert list(validator.iter_errors({"layers": [{"layers": ["ReLU()"], "repaet": 2}]}))


def test_the_presets_validate_against_the_schema() -> None:
    import jsonschema
    import yaml

    from paramcalc.models.presets import PRESET_DIR

    validator = jsonschema.Draft202012Validator(model_json_schema())
    for path in sorted(PRESET_DIR.glob("*.yaml")):
        assert not list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))), path.name


def test_pydantic_objects_build_a_model() -> None:
    model = Model(input_shape=[2, 8], layers=[BlockNode(name="b", layers=["Linear(8, 4)"])])
    assert evaluate(model).total == 36


def test_a_keras_model_file() -> None:
    # Course notes (seeds/002): Embedding(5000, 100) → SimpleRNN(128) → Dense(1) has 529,441 parameters,
    # 500,000 + (100·128 + 128·128 + 128) + (128 + 1), as Keras's model.summary() reports.
    s = run({"framework": "keras", "input_shape": [32, 50],
             "layers": ["Embedding(5000, 100)", "SimpleRNN(128)", "Dense(1, activation='sigmoid')"]},
            convention="keras")
    assert s.total == 529_441
    assert [r.count.total for r in s.rows] == [500_000, 29_312, 129]
    assert s.output_shape == (32, 1)


# -- Repeats against their written-out copies ------------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

layer_choices = st.sampled_from([
    "Linear(out_features=8)", "Linear(out_features=4)", "ReLU()", "LayerNorm()", "RMSNorm()",
    "SwiGLU(hidden_features=6)", "FeedForward(hidden_features=5, out_features=8)",
])


@given(st.lists(layer_choices, min_size=1, max_size=4), st.integers(1, 6), st.booleans(), st.integers(2, 9))
def test_a_repeat_equals_its_copies(body: list[str], n: int, residual: bool, width: int) -> None:
    """Evaluating a repeated block once for identical repeats must give what n written-out copies give."""
    block: dict = {"layers": body}
    if residual:
        block["shortcut"] = "identity"
    try:
        written = run({"input_shape": [2, width], "layers": [dict(block, name=f"b{i}") for i in range(n)]})
    except ModelError as exc:
        with pytest.raises(ModelError) as again:
            run({"input_shape": [2, width], "layers": [dict(block, name="b", repeat=n)]})
        assert str(again.value).split(":", 1)[1] == str(exc).split(":", 1)[1]
        return
    repeated = run({"input_shape": [2, width], "layers": [dict(block, name="b", repeat=n)]})
    assert (repeated.totals, repeated.output_shape) == (written.totals, written.output_shape)
    assert sum(r.count.total for r in repeated.rows if r.leaf) == repeated.total


def test_repeats_that_never_settle_are_bounded() -> None:
    from paramcalc.models.format import MAX_ROWS

    # Each padded convolution grows the image by 2: no two repeats are alike, one row each.
    data = {"framework": "pytorch", "input_shape": [1, 1, 4, 4],
            "layers": [{"name": "grow", "repeat": MAX_ROWS, "layers": ["Conv2d(1, 1, 3, padding=2)"]}]}
    with pytest.raises(ModelError, match=f"the summary would list more than {MAX_ROWS:,} rows"):
        run(data)


def test_keras_name_in_a_pytorch_model_says_which_is_meant() -> None:
    from paramcalc import SpecError, summarize

    # Conv2D(3, 16, 3) is a valid Keras call (16×16 kernels, stride 3): in a PyTorch model it is a misspelt Conv2d.
    data = {"framework": "pytorch", "input_shape": [1, 3, 32, 32], "layers": ["Conv2D(3, 16, 3)"]}
    with pytest.raises(SpecError, match=r"Conv2D is the Keras layer, but the model says framework: pytorch; "
                                        r"PyTorch's is Conv2d \(write layers.Conv2D\(...\) to use the Keras layer here\)"):
        summarize(load_model(data))
    mixed = {"framework": "pytorch", "input_shape": [1, 28, 28, 3], "layers": ["layers.Conv2D(16, 3)"]}
    assert summarize(load_model(mixed)).totals.total == 3 * 3 * 3 * 16 + 16  # 448, the Keras layer as asked
