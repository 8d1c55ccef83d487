"""The receptive field and jump per row of a summary (``summary``/``preset`` ``-r``, ``receptive_field=True``):
values worked by hand and published, equal to ``paramcalc receptive-field`` on the same file, golden tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import paramcalc
from paramcalc.cli import app
from paramcalc.errors import ModelError

runner = CliRunner()
DATA = Path(__file__).parent / "data"
ENV = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb"}


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


def fields(summary: paramcalc.Summary) -> dict[str, tuple[object, object]]:
    return {p: (r, j) for p, r, j in summary.fields or ()}


# VGG-16 (Simonyan & Zisserman 2015, Table 1, configuration D): 3×3 convolutions of stride 1 and 2×2 max
# pools of stride 2. By hand, r = r' + (k − 1)·j', j = j'·s from r = j = 1:
#   block 1: conv 3, conv 5, pool 6 (j 2); block 2: 5 + ... = 10, 14, pool 16 (j 4);
#   block 3: 24, 32, 40, pool 44 (j 8); block 4: 60, 76, 92, pool 100 (j 16);
#   block 5: 132, 164, 196, pool5 212 (j 32).
# 212 is the published figure for VGG-16 (Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional
# Neural Networks", Distill 2019, Table 1).
VGG16 = {"features.0": (3, 1), "features.2": (5, 1), "features.4": (6, 2), "features.9": (16, 4),
         "features.16": (44, 8), "features.23": (100, 16), "features.28": (196, 16), "features.30": (212, 32),
         "features": (212, 32)}

# AlexNet as torchvision builds it (Krizhevsky et al. 2012: conv1 11×11, stride 4; 3×3 overlapping pools of
# stride 2). By hand: conv1 11 (j 4); pool 11 + 2·4 = 19 (j 8); conv2 (5×5) 19 + 4·8 = 51; pool 51 + 2·8 = 67
# (j 16); conv3-5 (3×3) 99, 131, 163; pool5 163 + 2·16 = 195 (j 32): Distill 2019's Table 1 gives 195.
ALEXNET = {"features.0": (11, 4), "features.1": (11, 4), "features.2": (19, 8), "features.3": (51, 8),
           "features.5": (67, 16), "features.6": (99, 16), "features.10": (163, 16), "features.12": (195, 32)}


@pytest.mark.parametrize(("preset", "expected"), [("vgg16", VGG16), ("alexnet", ALEXNET)], ids=["vgg16", "alexnet"])
def test_preset_fields_by_hand_and_published(preset: str, expected: dict[str, tuple[int, int]]) -> None:
    got = fields(paramcalc.summarize(paramcalc.load_preset(preset), receptive_field=True))
    assert {p: got[p] for p in expected} == expected


def test_after_the_conv_stack_every_output_reads_the_whole_input() -> None:
    s = paramcalc.summarize(paramcalc.load_preset("vgg16"), receptive_field=True)
    # VGG's AdaptiveAvgPool2d((7, 7)) on a 7 × 7 map keeps every position: the field stays 212; the
    # Flatten mixes every position: from there the field is the whole input.
    assert s.field("avgpool") == (212, 32)
    assert s.field("flatten") == ("all", None) and s.field("classifier.6") == ("all", None)


def test_equal_to_the_receptive_field_command_on_the_same_file() -> None:
    # tests/data/cnn_stack.yaml: conv 3 (pad 1), relu, pool 2, conv 3, relu, pool 2. By hand: 3/1, 3/1, 4/2,
    # 4 + 2·2 = 8/2, 8/2, 8 + 1·2 = 10/4.
    path = str(DATA / "cnn_stack.yaml")
    s = paramcalc.summarize(path, receptive_field=True)
    assert fields(s) == {"0": (3, 1), "1": (3, 1), "2": (4, 2), "3": (8, 2), "4": (8, 2), "5": (10, 4)}
    status, out, err = cli("receptive-field", path, "--json")
    assert (status, err) == (0, "")
    alone = {row["layer"].split(" ")[0]: (row["receptive_field"], row["jump"]) for row in json.loads(out)["layers"]}
    assert alone == {p: f for p, f in fields(s).items() if p in alone} and len(alone) == 4


def test_a_residual_network_shows_its_stem_and_leaves_the_branches_blank() -> None:
    s = paramcalc.summarize(paramcalc.load_preset("resnet18"), receptive_field=True)
    # He et al. 2016, Table 1: conv1 7×7 stride 2 (7/2), BN and ReLU carry it, 3×3 max pool stride 2:
    # 7 + 2·2 = 11 (j 4). layer1.0 is the first residual block: its shortcut makes two paths.
    assert [s.field(p) for p in ("conv1", "bn1", "relu", "maxpool")] == [(7, 2), (7, 2), (7, 2), (11, 4)]
    assert s.field("layer1") == (None, None) and s.field("layer1.0.conv1") == (None, None)
    assert any("blank from layer1.0 on" in n for n in s.field_notes)


def test_a_model_file_whose_entry_reads_another_output_is_blank_from_there(tmp_path: Path) -> None:
    path = tmp_path / "skip.yaml"
    path.write_text("input_shape: [1, 3, 32, 32]\nlayers:\n  - {name: a, layer: 'Conv2d(3, 8, 3, padding=1)'}\n"
                    "  - {name: b, layer: 'Conv2d(8, 8, 3, padding=1)'}\n"
                    "  - {name: c, layer: 'Conv2d(8, 8, 3, padding=1)', input: a}\n", encoding="utf-8")
    s = paramcalc.summarize(str(path), receptive_field=True)
    # a: 3, b: 5; c reads a's output, not b's: the stack order no longer gives its field.
    assert fields(s) == {"a": (3, 1), "b": (5, 1), "c": (None, None)}


def test_a_keras_model_file(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("framework: keras\ninput_shape: [1, 32, 32, 3]\nlayers:\n"
                    "  - 'layers.Conv2D(8, 5, strides=2, padding=\"same\")'\n"
                    "  - layers.MaxPooling2D(2)\n"
                    "  - 'layers.Conv2D(8, 3, dilation_rate=2, padding=\"same\")'\n"
                    "  - layers.GlobalAveragePooling2D()\n", encoding="utf-8")
    s = paramcalc.summarize(str(path), receptive_field=True)
    # By hand: 5×5 stride 2: 5 (j 2); 2×2 pool stride 2: 5 + 1·2 = 7 (j 4); 3×3 dilation 2 spans
    # 2·(3 − 1) + 1 = 5: 7 + 4·4 = 23 (j 4); global pooling reads every position.
    assert fields(s) == {"0": (5, 2), "1": (7, 4), "2": (23, 4), "3": ("all", None)}


def test_json_rows_carry_the_fields() -> None:
    status, out, err = cli("summary", str(DATA / "cnn_stack.yaml"), "-r", "--json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert [(r["receptive_field"], r["jump"]) for r in data["rows"]] == [(3, 1), (3, 1), (4, 2), (8, 2), (8, 2),
                                                                         (10, 4)]
    assert data["receptive_field_notes"][0].startswith("RF, jump:")
    _, plain, _ = cli("summary", str(DATA / "cnn_stack.yaml"), "--json")
    assert "receptive_field" not in json.loads(plain)["rows"][0]


def test_a_summary_without_fields_says_so() -> None:
    with pytest.raises(ModelError, match="receptive_field=True"):
        paramcalc.summarize(str(DATA / "cnn_stack.yaml")).field("0")


def test_print_model_text_is_refused_in_one_line() -> None:
    status, out, err = cli("summary", str(DATA / "resnet18_print.txt"), "-r")
    assert status == 2 and out == ""
    assert "print(model) text" in err and len(err.strip().splitlines()) == 1


def test_golden_tables(golden) -> None:
    status, out, err = cli("summary", str(DATA / "cnn_stack.yaml"), "--receptive-field")
    assert (status, err) == (0, "")
    assert all(len(line) <= 80 for line in out.splitlines())
    golden("summary_cnn_stack_receptive_field.txt", out)
    status, out, err = cli("preset", "alexnet", "-r", "--depth", "2")
    assert (status, err) == (0, "")
    assert all(len(line) <= 80 for line in out.splitlines())
    golden("summary_alexnet_receptive_field.txt", out)
    status, out, err = cli("preset", "resnet18", "-r", "--depth", "1")
    assert (status, err) == (0, "")
    golden("summary_resnet18_receptive_field.txt", out)
