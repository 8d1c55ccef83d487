"""What people see at any width and in any encoding: every preset and every command at 40, 60, 80,
120 and 200 columns never cuts a number, a shape, a name to type or a unit; golden outputs at 60
and 120 columns and under an ASCII-only encoding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paramcalc.cli import app
from paramcalc.models.presets import list_presets

ROOT = Path(__file__).resolve().parent.parent
SHEET = str(ROOT / "paramcalc" / "examples" / "course_sheet.yaml")
MODEL = str(ROOT / "paramcalc" / "models" / "data" / "vgg11.yaml")
PRINTED = str(ROOT / "tests" / "data" / "resnet18_print.txt")
PRESETS = [info.name for info in list_presets()]
PLAIN = {"LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None,
         "TERM": "dumb"}

#: One run of every command (a layer command, lstm, stands for the generated ones), by a readable id.
COMMANDS = {
    "layer_lstm": ["layer", "LSTM(100, 128, num_layers=2)", "-i", "32,50,100", "--all-conventions"],
    "layer_conv_stack": ["layer", "TransformerEncoder(TransformerEncoderLayer(512, 8), 6)", "-i", "10,32,512"],
    "lstm_command": ["lstm", "--input-size", "100", "--hidden-size", "128", "-i", "32,50,100"],
    "layers": ["layers"],
    "formula_lstm": ["formula", "lstm"],
    "check_conv_wrong": ["check", "Conv2d(3, 96, 11, stride=4)", "-i", "227x227x3", "--params", "34848",
                         "--shape", "54x54x96"],
    "check_sheet": ["check-sheet", SHEET],
    "presets": ["presets"],
    "summary_file": ["summary", MODEL, "-i", "2,3,224,224", "-d", "2"],
    "summary_torch_print": ["summary", PRINTED, "--from-torch-print", "-d", "2"],
    "memory_llama": ["memory", "llama2-7b", "--dtype", "fp16", "--seq-len", "4096"],
    "memory_gpt2_training": ["memory", "gpt2", "--training", "--dtype", "bf16", "-b", "8"],
    "preset_columns": ["preset", "resnet18", "-d", "2", "--columns", "shape,params,percent,kernel,trainable,macs"],
    "window_same": ["window", "-n", "13", "-k", "6", "-s", "5", "--padding", "same"],
    "receptive_field_lenet": ["receptive-field", "Conv2d(1, 6, 5)", "MaxPool2d(2)", "Conv2d(6, 16, 5)", "MaxPool2d(2)",
                              "-i", "1,1,32,32"],
    "solve_padding": ["solve", "padding", "-n", "32", "-k", "5", "-s", "1", "-t", "32"],
}


def shown(out: str) -> str:
    """The output with this machine's paths written as the file names."""
    for path in (SHEET, MODEL, PRINTED):
        out = out.replace(path, Path(path).name)
    return out


def run(args: list[str], width: int, charset: str = "utf-8") -> tuple[int, str, str]:
    result = CliRunner(charset=charset).invoke(app, args, env={**PLAIN, "COLUMNS": str(width)})
    return result.exit_code, result.stdout, result.stderr


def numbers(text: str) -> set[str]:
    """The whole numbers with thousands separators (``11,689,512``) in ``text``."""
    return set(re.findall(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])", text))


def shortened(out: str) -> bool:
    """Whether a cell was cut short with an ellipsis (a formula's own ``k_1·…·k_n`` is not)."""
    return re.search(r"…(\s|$)", out) is not None


def whole(out: str, value: str) -> bool:
    """``value`` appears in ``out`` unbroken (not split over lines, not cut)."""
    return value in out


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_at_every_width_keeps_every_value_whole(preset: str, width: int) -> None:
    from paramcalc.models.evaluate import evaluate
    from paramcalc.models.presets import load_preset
    from paramcalc.render.summary import shape_text

    status, out, err = run(["preset", preset], width)
    assert (status, err) == (0, "")
    assert not shortened(out)
    assert all(len(line) <= min(width, 120) for line in out.splitlines()), preset
    summary = evaluate(load_preset(preset))
    # every count, shape and total of the table is there whole (the model's own numbers, not re-derived)
    expected = {f"{summary.totals.total:,}", f"{summary.totals.trainable:,}"}
    for row in summary.visible_rows(3):
        if row.count.total:
            expected.add(f"{row.count.total:,}")
    assert {v for v in expected if not whole(out, v)} == set()
    shapes = {shape_text(row.output_shape) for row in summary.visible_rows(3) if row.output_shape is not None}
    assert {s for s in shapes if s not in out} == set()


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_presets_list_keeps_names_and_counts_whole(width: int) -> None:
    status, out, _ = run(["presets"], width)
    assert status == 0 and not shortened(out)
    for name in PRESETS:  # the names a user must type
        assert re.search(rf"(?m)^{re.escape(name)}\b", out), (name, width)
    assert "174,604,259,328" in out and "63,084,544" in out  # gpt3-175b and transformer-base


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_at_every_width(name: str, width: int) -> None:
    status, out, err = run(COMMANDS[name], width)
    assert status in (0, 1) and out and err == "", (name, err)
    assert not shortened(out)
    assert all(len(line) <= min(width, 120) for line in out.splitlines()), name
    wide = run(COMMANDS[name], 200)[1]
    # every exact number shown on the widest terminal is shown whole at this width too
    assert numbers(wide) - numbers(out) == set(), name


def test_gpt3_total_is_whole_at_any_width() -> None:
    # the published reproduction: Total params 174,604,259,… at every width
    for width in (40, 60, 80, 120, 200):
        out = run(["preset", "gpt3-175b", "--depth", "1"], width)[1]
        assert re.search(r"Total params\s+174,604,259,328", out), width


def test_resnet18_total_and_preset_name_at_60_columns() -> None:
    out = run(["preset", "resnet18", "--depth", "1"], 60)[1]
    assert re.search(r"Total params\s+11,689,512\s+\(11\.7M\)", out)
    assert "transformer-base" in run(["presets"], 60)[1]


# -- Golden outputs: every preset and every command at 60 and 120 columns, and in ASCII --------


@pytest.mark.parametrize("width", [60, 120])
@pytest.mark.parametrize("preset", PRESETS)
def test_preset_golden(preset: str, width: int, golden) -> None:
    status, out, _ = run(["preset", preset], width)
    assert status == 0
    golden(f"widths/preset_{preset}_{width}.txt", out)


@pytest.mark.parametrize("width", [60, 120])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_golden(name: str, width: int, golden) -> None:
    out = run(COMMANDS[name], width)[1]
    golden(f"widths/{name}_{width}.txt", shown(out))


ASCII_PRESETS = ["resnet18", "gpt2", "llama2-7b"]


@pytest.mark.parametrize("name", sorted(COMMANDS) + [f"preset_{p}" for p in ASCII_PRESETS])
def test_ascii_golden(name: str, golden) -> None:
    args = COMMANDS.get(name) or ["preset", name[len("preset_"):]]
    status, out, err = run(args, 80, charset="ascii")
    assert status in (0, 1) and err == ""
    assert out.isascii()  # stand-ins (ok, x, *, -), never a codec error or an empty output
    golden(f"ascii/{name}.txt", shown(out))
