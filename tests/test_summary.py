"""Summaries: rows that add up to the totals, the rendered table (golden files), the JSON form, and
the ``summary``, ``preset``, ``presets`` and ``schema`` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import paramcalc
from paramcalc.cli import app
from paramcalc.models.presets import PRESET_DIR, load_preset, names
from paramcalc.models.summary import Summary
from paramcalc.render.summary import binary_size, percent_gap, render, short_count
from paramcalc.results import Count

runner = CliRunner()
PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None,
         "TTY_INTERACTIVE": None, "TERM": "dumb"}

#: A hand-written model using most of the format: inferred sizes, a residual block, a repeat,
#: parallel embeddings are elsewhere; a frozen layer, a tied head.
CUSTOM = """\
name: tiny-classifier
framework: pytorch
input_shape: [8, 3, 32, 32]
layers:
  - {name: stem, layer: "Conv2d(3, 16, kernel_size=3, padding=1, bias=False)", trainable: false}
  - {name: bn, layer: BatchNorm2d()}
  - ReLU()
  - name: blocks
    repeat: 2
    layers:
      - {name: conv1, layer: "Conv2d(16, 16, 3, padding=1)"}
      - {name: relu, layer: ReLU()}
      - {name: conv2, layer: "Conv2d(16, 16, 3, padding=1)"}
    shortcut: identity
  - MaxPool2d(2)
  - Flatten()
  - {name: head, layer: "Linear(out_features=10)"}
"""


def cli(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=PLAIN, input=input)
    return result.exit_code, result.stdout, result.stderr


def check_adds_up(summary: Summary) -> None:
    """Every container is the sum of its children, the leaves are the totals, and so is every depth cut."""
    rows = summary.rows
    for i, row in enumerate(rows):
        if row.leaf:
            continue
        children = []
        for other in rows[i + 1:]:
            if other.depth <= row.depth:
                break
            if other.depth == row.depth + 1:
                children.append(other.count)
        assert sum(children, Count(0)) == row.count, row.path
    assert sum((r.count for r in rows if r.leaf), Count(0)) == summary.totals
    for depth in range(1, max(r.depth for r in rows) + 1):
        shown = [r for r in summary.visible_rows(depth) if r.leaf or r.depth == depth]
        assert sum((r.count for r in shown), Count(0)) == summary.totals
    t = summary.totals
    assert t.trainable + t.non_trainable == t.total == summary.total


@pytest.mark.parametrize("name", names())
def test_preset_rows_add_up(name: str) -> None:
    check_adds_up(paramcalc.summarize(load_preset(name)))


def test_custom_rows_add_up_and_frozen_parameters_are_non_trainable(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    s = paramcalc.summarize(str(path))
    check_adds_up(s)
    # stem 3·16·9 = 432 (frozen); bn 32 (+33 buffers); blocks 2 · 2 · (16·16·9 + 16) = 9,280; head 4096·10 + 10
    assert (s.totals.trainable, s.totals.non_trainable, s.totals.buffers) == (32 + 9_280 + 40_970, 432, 33)
    assert s.row("stem").trainable == "no" and s.row("bn").inferred == {"num_features": 16}


def test_memory_is_parameters_times_bytes() -> None:
    s = paramcalc.summarize(load_preset("resnet18"))
    # 11,689,512 parameters × 4, 2 and 1 bytes
    assert s.memory == {"fp32": 46_758_048, "fp16/bf16": 23_379_024, "int8": 11_689_512}
    assert binary_size(46_758_048) == "44.59 MiB"


@pytest.mark.parametrize(
    ("value", "text"), [(950, "950"), (61_706, "61.7K"), (11_689_512, "11.7M"), (6_738_415_616, "6.7B"),
                        (174_604_259_328, "174.6B")],
)
def test_short_counts(value: int, text: str) -> None:
    assert short_count(value) == text


def test_percent_gap() -> None:
    # GPT-3 Medium: 355,871,744 against Table 2.1's 350M
    assert percent_gap(355_871_744, 350_000_000) == "+1.7%"
    assert percent_gap(760_300_032, 760_000_000) == "+<0.1%"
    assert percent_gap(5, 5) == "0%"


# -- Golden outputs --------------------------------------------------------------------------


def test_summary_of_a_model_file(golden, tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    status, out, err = cli("summary", str(path))
    assert (status, err) == (0, "")
    assert "Total params              50,714  (50.7K)" in out
    assert "inferred from the input: bn.num_features = 16" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    golden("summary_custom.txt", out)


@pytest.mark.parametrize(("name", "depth"), [("lenet5", "3"), ("resnet18", "1"), ("gpt2", "2"), ("transformer-base", "2")])
def test_preset_tables(golden, name: str, depth: str) -> None:
    status, out, err = cli("preset", name, "--depth", depth)
    assert (status, err) == (0, "")
    assert all(len(line) <= 80 for line in out.splitlines())
    assert ": equal" in " ".join(out.split())
    golden(f"summary_{name}_depth{depth}.txt", out)


def test_rich_print_shows_what_the_cli_shows() -> None:
    s = paramcalc.summarize(load_preset("lenet5"))
    console = Console(width=80, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(s)
    _, out, _ = cli("preset", "lenet5")
    assert [line.rstrip() for line in console.export_text().splitlines()] == out.splitlines()


def test_rich_print_needs_no_renderer_import() -> None:
    # The public names load the renderer of what they return: a fresh process that imports only
    # paramcalc prints the table (and a check's report), not a repr.
    script = (
        "import rich, paramcalc\n"
        "rich.print(paramcalc.summarize(paramcalc.load_preset('lenet5')))\n"
        "rich.print(paramcalc.check('Conv2d(3, 64, 3)', params=1728))\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
           "NO_COLOR": "1", "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Total params              61,706" in done.stdout and "expected 1,792" in done.stdout


def test_json(golden) -> None:
    status, out, err = cli("preset", "lenet5", "--json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["totals"] == {"total": 61_706, "trainable": 61_706, "non_trainable": 0, "buffers": 0}
    assert data["reference"]["matches"] is True
    assert data["memory_bytes"] == {"fp32": 246_824, "fp16/bf16": 123_412, "int8": 61_706}
    assert sum(r["params"]["total"] for r in data["rows"] if r["leaf"]) == 61_706
    first = data["rows"][0]
    assert {k: first[k] for k in ("path", "name", "type", "depth", "output_shape", "params", "repeat", "leaf",
                                  "trainable", "inferred", "note")} == {
        "path": "0", "name": "0", "type": "Conv2d", "depth": 1, "output_shape": [1, 6, 28, 28],
        "params": {"total": 156, "trainable": 156, "non_trainable": 0, "buffers": 0}, "repeat": 1, "leaf": True,
        "trainable": "yes", "inferred": {}, "note": "",
    }
    assert data["rows"][0]["layer"]["type"] == "Conv2d" and data["rows"][0]["layer"]["kernel_size"] == [5, 5]
    golden("summary_lenet5.json", out)


def test_json_depth_limits_the_rows() -> None:
    _, out, _ = cli("preset", "resnet50", "--json", "--depth", "1")
    rows = json.loads(out)["rows"]
    assert {r["depth"] for r in rows} == {1}
    assert sum(r["params"]["total"] for r in rows) == 25_557_032  # torchvision ResNet50_Weights num_params
    _, out, _ = cli("preset", "resnet50", "--json")
    assert max(r["depth"] for r in json.loads(out)["rows"]) == 4  # layer1.1[0-1] → downsample → its conv


# -- Commands --------------------------------------------------------------------------------


def test_summary_reads_standard_input() -> None:
    status, out, _ = cli("summary", "-", "--json", input=CUSTOM)
    assert status == 0 and json.loads(out)["totals"]["total"] == 50_714


def test_summary_input_shape_and_convention_options(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    status, out, _ = cli("summary", str(path), "-i", "2,3,64,64", "--json")
    data = json.loads(out)
    assert status == 0 and data["inputs"] == {"input": [2, 3, 64, 64]}
    # the head infers 16·32·32 = 16,384 features from the larger input
    assert data["rows"][-1]["params"]["total"] == 16_384 * 10 + 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("summary", "missing.yaml"), "error: model file not found: missing.yaml\n"),
        (("preset", "resnet-19"), "error: unknown preset 'resnet-19'. Did you mean resnet18? Run `paramcalc presets` "
                                  "to list them.\n"),
        (("preset", "gpt2", "-o", "x.yaml"), "error: --output needs --export\n"),
        (("preset", "lenet5", "-i", "1,3,32,32"), "error: layer 0 (Conv2d): expects input (N, 1, *, *) (in_channels=1), "
                                                 "receives (1, 3, 32, 32)\n"),
        (("summary", "-", "--from-torch-print", "-i", "1,2"), "error: --from-torch-print counts PyTorch modules as "
                                                              "printed: no --input-shape, pytorch convention\n"),
    ],
)
def test_errors_are_one_line(args: tuple[str, ...], message: str) -> None:
    status, out, err = cli(*args, input="")
    assert (status, out, err) == (2, "", message)


def test_a_file_nested_too_deep_is_bad_input(tmp_path: Path) -> None:
    # Refused by paramcalc's bound or by the YAML parser's own limit, whichever is met first.
    path = tmp_path / "deep.yaml"
    path.write_text("layers: " + "[" * 5_000 + "]" * 5_000, encoding="utf-8")
    status, out, err = cli("summary", str(path))
    assert (status, out) == (2, "")
    assert err.startswith("error: model file deep.yaml: ") and err.count("\n") == 1


def test_a_shape_error_names_the_layer_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "input_shape: [1, 10, 256]\nlayers:\n  - name: encoder\n    layers:\n      - name: layers\n"
        "        repeat: 6\n        layers:\n          - {name: linear1, layer: 'Linear(512, 2048)'}\n",
        encoding="utf-8",
    )
    status, out, err = cli("summary", str(path))
    assert (status, out) == (2, "")
    assert err == "error: encoder.layers[0].linear1 (Linear): expects input (*, 512) (in_features=512), receives (1, 10, 256)\n"


def test_presets_listing(golden) -> None:
    status, out, err = cli("presets")
    assert (status, err) == (0, "")
    golden("presets.txt", out)
    status, out, _ = cli("presets", "--json")
    listing = {p["name"]: p for p in json.loads(out)}
    assert listing["vgg16"]["params"] == 138_357_544 and listing["vgg16"]["matches_reference"] is True
    assert listing["gpt3-175b"]["reference"]["approximate"] is True


def test_export(tmp_path: Path) -> None:
    status, out, _ = cli("preset", "vgg16", "--export")
    assert status == 0 and out == (PRESET_DIR / "vgg16.yaml").read_text(encoding="utf-8")
    target = tmp_path / "mine.yaml"
    status, out, _ = cli("preset", "vgg16", "--export", "-o", str(target))
    assert (status, out) == (0, f"wrote {target}\n")
    assert paramcalc.summarize(str(target)).total == 138_357_544
    status, _, err = cli("preset", "vgg16", "--export", "-o", str(target))
    assert (status, err) == (2, f"error: {target} exists; choose another path or remove it first\n")


def test_schema_command() -> None:
    status, out, _ = cli("schema")
    schema = json.loads(out)
    assert status == 0 and schema["title"] == "paramcalc model file" and "Layer" in schema["$defs"]


# -- Other conventions -----------------------------------------------------------------------


def test_keras_convention_counts_batchnorm_statistics_as_non_trainable() -> None:
    # Keras BatchNormalization keeps moving mean and variance as non-trainable weights: 2 · 4,800 channels
    s = paramcalc.summarize(load_preset("resnet18"), convention="keras")
    check_adds_up(s)
    assert (s.totals.trainable, s.totals.non_trainable, s.totals.buffers) == (11_689_512, 9_600, 0)
    assert s.row("bn1").trainable == "partial"
    assert s.matches_reference() is False


def test_ties_hold_under_every_convention() -> None:
    for convention in ("pytorch", "keras", "textbook"):
        s = paramcalc.summarize(load_preset("gpt2"), convention=convention)
        check_adds_up(s)
        assert s.row("lm_head").count.total == 0, convention


def test_reference_line_under_another_convention() -> None:
    from paramcalc.render.summary import reference_text

    s = paramcalc.summarize(load_preset("resnet18"), convention="keras")
    assert reference_text(s) == (
        "Reference: 11,689,512 (torchvision ResNet18_Weights.IMAGENET1K_V1 (num_params)), a PyTorch count; "
        "the keras convention counts 11,699,112 (+9,600)"
    )
