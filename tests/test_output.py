"""What people type and read: one set of options across commands, units in one scheme, any output
encoding, and mistakes told in paramcalc's words."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from paramcalc.cli import app
from paramcalc.cli import options as shared
from paramcalc.units import bytes_text, compute_text, count_text

ROOT = Path(__file__).resolve().parent.parent
SHEET = ROOT / "paramcalc" / "examples" / "course_sheet.yaml"
PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None,
         "TTY_INTERACTIVE": None, "TERM": "dumb"}


def run(*args: str, input: str | None = None, env: dict | None = None) -> tuple[int, str, str]:  # noqa: A002
    result = CliRunner().invoke(app, list(args), input=input, env={**PLAIN, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


# -- One set of options --------------------------------------------------------------------------

#: Each shared option: its names, and the help text it has wherever it appears.
SHARED = {
    "--input-shape": ({"-i", "--input-shape"}, shared.INPUT_SHAPE_HELP),
    "--convention": ({"-c", "--convention"}, shared.CONVENTION_HELP),
    "--depth": ({"-d", "--depth"}, shared.DEPTH_HELP),
    "--json": ({"--json"}, shared.JSON_HELP),
    "--brief": ({"-q", "--brief"}, shared.BRIEF_HELP),
    "--working": ({"--working"}, shared.WORKING_HELP),
    "--columns": ({"--columns"}, shared.COLUMNS_HELP),
    "--decimal-bytes": ({"--decimal-bytes"}, shared.DECIMAL_BYTES_HELP),
}

#: Which command declares which shared options (at least).
EXPECTED = {
    "layer": {"--input-shape", "--convention", "--json", "--brief", "--working"},
    "lstm": {"--input-shape", "--convention", "--json", "--brief", "--working"},
    "conv2d": {"--input-shape", "--convention", "--json", "--brief", "--working"},
    "dense": {"--input-shape", "--convention", "--json", "--brief", "--working"},
    "check": {"--input-shape", "--convention", "--json", "--brief", "--working"},
    "check-sheet": {"--json", "--brief"},
    "summary": {"--input-shape", "--convention", "--depth", "--json", "--brief", "--columns", "--decimal-bytes"},
    "preset": {"--input-shape", "--convention", "--depth", "--json", "--brief", "--columns", "--decimal-bytes"},
    "memory": {"--input-shape", "--json", "--brief", "--working", "--decimal-bytes"},
    "presets": {"--json"},
    "layers": {"--json"},
    "formula": {"--json"},
    "window": {"--json", "--brief"},
    "solve": {"--json", "--brief"},
    "receptive-field": {"--input-shape", "--json", "--brief"},
    "schema": set(),
}


def _commands() -> dict[str, typer.core.TyperCommand]:
    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="paramcalc")
    names = list(root.list_commands(ctx)) + ["lstm", "conv2d", "dense"]
    return {name: root.get_command(ctx, name) for name in names}


COMMANDS = _commands()


def test_every_command_is_walked() -> None:
    assert set(EXPECTED) <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_shared_options_have_one_name_and_one_meaning(name: str) -> None:
    command = COMMANDS[name]
    by_long = {}
    for param in command.params:
        if param.param_type_name == "option":
            for opt in param.opts:
                if opt.startswith("--"):
                    by_long[opt] = param
    for long_name in EXPECTED.get(name, set()):
        assert long_name in by_long, (name, long_name)
    for long_name, (names, help_text) in SHARED.items():
        param = by_long.get(long_name)
        if param is None:
            continue
        assert set(param.opts) | set(param.secondary_opts) >= names, (name, long_name)
        assert param.help == help_text, (name, long_name)
    # no short form means something else anywhere: -i, -c, -d, -q, -h are the shared ones
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt in ("-i", "-c", "-d", "-q"):
                assert {"-i": "--input-shape", "-c": "--convention", "-d": "--depth", "-q": "--brief"}[opt] in param.opts


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_and_dash_h(name: str) -> None:
    status, long_help, _ = run(name, "--help")
    status_h, short_help, _ = run(name, "-h")
    assert status == status_h == 0 and long_help == short_help
    assert "-h, --help" in long_help
    for long_name in EXPECTED.get(name, set()):
        assert long_name in long_help, (name, long_name)


def test_root_help_takes_dash_h() -> None:
    assert run("-h")[1] == run("--help")[1] and "-h, --help" in run("-h")[1]


def test_brief_prints_one_line() -> None:
    # LSTM(100, 128): torch's sum(p.numel()) = 117,760; output (32, 50, 128) for input (32, 50, 100)
    assert run("layer", "LSTM(100, 128)", "-q")[1] == "117760\n"
    assert run("layer", "LSTM(100, 128)", "-q", "-i", "32,50,100")[1] == "117760 (32, 50, 128)\n"
    assert run("lstm", "--input-size", "100", "--hidden-size", "128", "--brief")[1] == "117760\n"
    # ResNet-18: torchvision's num_params 11,689,512
    assert run("preset", "resnet18", "-q")[1] == "11689512\n"
    assert run("check", "Conv2d(3, 64, 3)", "--params", "1728", "-q")[1] == "0/1 correct\n"
    status, out, _ = run("memory", "gpt2", "--dtype", "fp16", "-q")
    # 124,439,808 parameters × 2 bytes + activations: the total of the full report, as one number
    assert status == 0 and out.strip().isdigit() and int(out) > 124_439_808 * 2
    # TensorFlow's "SAME": 13 wide, filter 6, stride 5: ceil(13/5) = 3 outputs
    assert run("window", "-n", "13", "-k", "6", "-s", "5", "--padding", "same", "-q")[1] == "3\n"
    # AlexNet's conv1: (227 - 11)/s + 1 = 55 only for s = 216/54 = 4
    assert run("solve", "stride", "-n", "227", "-k", "11", "--target", "55", "--brief")[1] == "4\n"
    # LeNet-5's features: fields 5, 5 + 1 = 6 (jump 2), 6 + 4*2 = 14, 14 + 1*2 = 16 (jump 4)
    assert run("receptive-field", "Conv2d(1, 6, 5)", "MaxPool2d(2)", "Conv2d(6, 16, 5)", "MaxPool2d(2)",
               "-q")[1] == "16\n"


def test_no_working_leaves_the_derivations_out() -> None:
    full = run("layer", "LSTM(100, 128)", "-i", "32,50,100")[1]
    short = run("layer", "LSTM(100, 128)", "-i", "32,50,100", "--no-working")[1]
    assert "Parameters, worked out" in full and "Parameters, worked out" not in short
    assert "117,760" in short
    checked = run("check", "Conv2d(3, 64, 3)", "--params", "1728", "--no-working")[1]
    assert "weight + bias" not in checked and "expected 1,792" in checked


def test_columns_in_the_spirit_of_torchinfo() -> None:
    out = run("preset", "lenet5", "--columns", "kernel_size,num_params,params_percent", "-d", "1")[1]
    header = next(line for line in out.splitlines() if line.startswith("Layer"))
    assert header.split() == ["Layer", "Type", "Kernel", "Params", "%", "of", "total"]
    # LeNet-5's first conv: 6 filters of 5×5 + 6 biases = 156 of 61,706 = 0.25…% → 0.3%
    assert any(line.split()[:5] == ["0", "Conv2d", "(5,", "5)", "156"] and line.endswith("0.3%")
               for line in out.splitlines())
    status, _, err = run("preset", "lenet5", "--columns", "kernal")
    assert status == 2 and err == ("error: --columns: unknown column 'kernal'; the columns are shape, params, "
                                   "percent, kernel, trainable, macs. Did you mean kernel?\n")


def test_decimal_bytes() -> None:
    # LLaMA-2-7B fp16 parameters: 6,738,415,616 × 2 = 13,476,831,232 bytes = 12.55 GiB = 13.48 GB
    binary = run("memory", "llama2-7b", "--dtype", "fp16", "--seq-len", "1")[1]
    decimal = run("memory", "llama2-7b", "--dtype", "fp16", "--seq-len", "1", "--decimal-bytes")[1]
    assert "12.55 GiB" in binary and "13.48 GB" in decimal and "GiB" not in decimal


def test_standard_input_wherever_a_file_is_read() -> None:
    model = (ROOT / "paramcalc" / "models" / "data" / "lenet5.yaml").read_text(encoding="utf-8")
    assert run("summary", "-", "-q", input=model)[1] == "61706\n"  # LeNet-5: 156 + 2,416 + 48,120 + 10,164 + 850
    assert run("check", "-", "--params", "61706", "-q", input=model)[1] == "1/1 correct\n"
    assert run("memory", "-", "-q", input=model)[0] == 0
    sheet = SHEET.read_text(encoding="utf-8")
    assert run("check-sheet", "-", "-q", input=sheet)[1] == run("check-sheet", str(SHEET), "-q")[1]


# -- Units ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "text"), [
    (950, "950"), (117_760, "117.8K"), (999_949, "999.9K"), (999_950, "1.0M"), (11_689_512, "11.7M"),
    (174_604_259_328, "174.6B"), (2**124 + 2**62, "2.1e37"),
])
def test_counts_use_k_m_b_t(n: int, text: str) -> None:
    assert count_text(n) == text


@pytest.mark.parametrize(("n", "text"), [
    (17_563_828_224, "17.56G"),  # ViT-B/16's MACs, torchvision's 17.56 G
    (2_204_993_285_259_264, "2.20P"),  # GPT-3's training step: no 2,204.99T
    (999_995, "1.00M"), (10**21, "1.00E+3".replace("E+3", "e+21")),
])
def test_flops_use_si_prefixes(n: int, text: str) -> None:
    assert compute_text(n) == text


@pytest.mark.parametrize(("n", "binary", "decimal"), [
    (512, "512 B", "512 B"), (1024, "1.00 KiB", "1.02 kB"), (13_476_831_232, "12.55 GiB", "13.48 GB"),
    (3 * 2**50, "3.00 PiB", "3.38 PB"), (3 * 2**60, "3.00 EiB", "3.46 EB"),
])
def test_bytes_binary_or_decimal(n: int, binary: str, decimal: str) -> None:
    assert bytes_text(n) == binary and bytes_text(n, decimal=True) == decimal


def test_one_unit_per_kind_on_screen() -> None:
    out = run("preset", "gpt3-175b", "-d", "1", env={"COLUMNS": "120"})[1]
    assert "2,204.99T" not in out and "≈ 2.20P" in out  # 3 × 734,997,761,753,088 FLOPs
    layer = run("layer", "LSTM(100, 128)", "-i", "32,50,100")[1]
    # MACs and FLOPs beside each other in the same units (186,777,600 MACs; 377,036,800 FLOPs)
    assert "186,777,600 · 186.78M · FLOPs 377,036,800 · 377.04M" in layer


# -- Any terminal, any pipe ---------------------------------------------------------------------


def _subprocess(args: list[str], **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "NO_COLOR": "1", **env}
    return subprocess.run([sys.executable, "-m", "paramcalc", *args], capture_output=True, env=full, timeout=120)


@pytest.mark.parametrize("encoding", ["cp1252", "ascii", "latin-1"])
def test_check_in_a_narrow_encoding(encoding: str) -> None:
    done = _subprocess(["check", "Conv2d(3, 64, 3)", "--params", "1728"], PYTHONIOENCODING=encoding)
    assert done.returncode == 1 and done.stderr == b""  # a wrong answer, reported: never a codec error
    text = done.stdout.decode(encoding)
    assert "x params        given 1,728   expected 1,792" in text and "0/1 correct" in text


def test_lang_c_gets_stand_ins() -> None:
    done = _subprocess(["check", "Conv2d(3, 64, 3)", "--params", "1792"], LANG="C", LC_ALL="C",
                       PYTHONIOENCODING="ascii")
    assert done.returncode == 0 and done.stdout.decode("ascii").splitlines()[2].startswith("ok params")


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["memory", "-h"], ["lstm", "--help"]])
def test_help_in_a_narrow_encoding(encoding: str, args: list[str]) -> None:
    done = _subprocess(args, PYTHONIOENCODING=encoding)
    assert done.returncode == 0 and done.stderr == b"" and b"Usage:" in done.stdout


@pytest.mark.parametrize("name", [None, *sorted(COMMANDS)])
def test_every_help_in_ascii(name: str | None) -> None:
    # every byte of every command's help is ASCII: what the encoding cannot show is its stand-in
    done = _subprocess([name, "--help"] if name else ["--help"], PYTHONIOENCODING="ascii")
    assert done.returncode == 0 and done.stderr == b"" and b"Usage:" in done.stdout
    assert done.stdout.isascii(), done.stdout
    text = done.stdout.decode("ascii")
    if name == "solve":  # W − F: the minus sign's stand-in is a hyphen
        assert "Solve (W - F + 2P)/S + 1 for padding" in text
    if name == "formula":  # an encoder layer's 12d² + 13d: the square's stand-in is ^2
        assert "(12d^2 + 13d)" in text


def test_error_lines_in_a_narrow_encoding() -> None:
    done = _subprocess(["preset", "gpt2", "-i", "1,2048"], PYTHONIOENCODING="ascii")
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode("ascii").startswith("error: embeddings.wpe: the position table has 1,024 rows")


def test_no_color_force_color_and_dumb_terminals() -> None:
    plain = run("preset", "lenet5")[1]
    assert "\x1b[" not in plain
    forced = run("preset", "lenet5", env={"NO_COLOR": None, "FORCE_COLOR": "1", "TERM": "xterm-256color"})[1]
    assert "\x1b[" in forced  # FORCE_COLOR styles even a pipe, as Rich documents
    assert "\x1b[" not in run("preset", "lenet5", env={"NO_COLOR": None, "TERM": "dumb"})[1]


# -- Clear words for every mistake ------------------------------------------------------------


def test_a_suggestion_is_listed_once() -> None:
    status, _, err = run("formula", "lstmm")
    assert status == 2 and err == "error: formula: unknown family or layer 'lstmm'. Did you mean lstm?\n"


def test_an_empty_model_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    for args in (["summary", str(empty)], ["memory", str(empty)], ["check", str(empty), "--params", "1"]):
        status, out, err = run(*args)
        assert (status, out) == (2, "")
        assert err == "error: model file empty.yaml: the file is empty (a model file is a mapping with 'layers')\n"
    status, _, err = run("check-sheet", str(empty))
    assert status == 2 and "sheet: empty.yaml: the file is empty" in err
    assert run("summary", "-", input="")[2] == ("error: standard input: the input is empty (a model is a mapping "
                                                "with 'layers')\n")


def test_a_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    model = tmp_path / "m.yaml"
    model.write_text("input_shape: [1, 2]\nlayer:\n  - Linear(2, 3)\n", encoding="utf-8")
    assert run("summary", str(model))[2] == "error: unknown key 'layer'; did you mean 'layers'?\n"
    sheet = tmp_path / "s.yaml"
    sheet.write_text("problem:\n  - {id: a, layer: 'Linear(2, 3)', answers: {params: 9}}\n", encoding="utf-8")
    assert run("check-sheet", str(sheet))[2] == "error: sheet: unknown key 'problem'; did you mean 'problems'?\n"


@pytest.mark.parametrize(("args", "message"), [
    (["conv2d", "--in-channels", "3", "--out-channels", "4", "--kernel-size", "3", "--padding-mode", "zero"],
     "error: --padding-mode: must be one of zeros, reflect, replicate, circular. Received: 'zero'. "
     "Did you mean zeros? (see 'paramcalc conv2d --help')\n"),
    (["memory", "gpt2", "--batch-size", "0"],
     "error: --batch-size: must be a whole number of at least 1. Received: 0 (see 'paramcalc memory --help')\n"),
    (["preset", "gpt2", "-d", "0"],
     "error: --depth: must be a whole number from 1 to 64. Received: 0 (see 'paramcalc preset --help')\n"),
])
def test_option_values_in_paramcalcs_words(args: list[str], message: str) -> None:
    status, out, err = run(*args)
    assert (status, out, err) == (2, "", message)
    assert "Value error" not in err and "Input should" not in err and "Invalid value" not in err


def test_a_long_model_is_checked_and_sized_without_summary_rows(tmp_path: Path) -> None:
    # 25,000 Linear(4, 4) layers: 25,000 × (16 + 4) = 500,000 parameters; more rows than a summary lists
    model = tmp_path / "long.yaml"
    model.write_text("input_shape: [1, 4]\nlayers:\n" + "  - Linear(4, 4)\n" * 25_000, encoding="utf-8")
    assert run("check", str(model), "--params", "500000", "-q")[1] == "1/1 correct\n"
    status, out, err = run("memory", str(model), "-q")
    assert (status, err) == (0, "") and int(out) >= 500_000 * 4  # fp32 weights at least
    status, _, err = run("summary", str(model))
    assert status == 2 and "the summary would list more than 20,000 rows" in err


def test_positions_beyond_the_table_are_refused() -> None:
    # GPT-2's wpe is Embedding(1024, 768): torch raises IndexError for position 1,024 and beyond
    status, out, err = run("preset", "gpt2", "-i", "1,2048")
    assert (status, out) == (2, "")
    assert err == ("error: embeddings.wpe: the position table has 1,024 rows, so the input can have at most 1,024 "
                   "positions; received 2,048 (the framework fails here: index out of range). Give at most 1,024 "
                   "tokens\n")
    assert run("memory", "gpt2", "--seq-len", "2048")[0] == 2
    assert run("preset", "gpt2", "-i", "1,1024", "-q")[1] == "124439808\n"


def test_repeat_counts_say_they_are_for_all_copies() -> None:
    out = " ".join(run("preset", "gpt2", "-d", "1", env={"COLUMNS": "120"})[1].split())
    # GPT-2 small: 12 blocks of 7,087,872 parameters = 85,054,464
    assert "h Block ×12 (1, 1024, 768) 85,054,464" in out
    assert "for all N copies together (h: 85,054,464 for 12 copies)" in out


def test_resnet_stages_are_named_alike() -> None:
    out = run("preset", "resnet18", "-d", "2", env={"COLUMNS": "120"})[1]
    stages = [line.split()[:2] for line in out.splitlines() if line.startswith("layer")]
    assert stages == [["layer1", "Block"], ["layer2", "Block"], ["layer3", "Block"], ["layer4", "Block"]]


def test_keras_summaries_do_not_speak_of_torch(tmp_path: Path) -> None:
    model = tmp_path / "k.yaml"
    model.write_text("framework: keras\ninput_shape: [1, 15, 15, 3]\nlayers:\n  - layers.Conv2D(8, 3, strides=2)\n",
                     encoding="utf-8")
    out = run("summary", str(model))[1]
    assert "torch" not in out


BASE_ARGV = {
    "layer": ["Linear(3, 4)"], "check": ["Linear(3, 4)", "--params", "16"], "check-sheet": [str(SHEET)],
    "summary": [str(ROOT / "paramcalc" / "models" / "data" / "lenet5.yaml")], "preset": ["lenet5"],
    "memory": ["lenet5"], "formula": ["lstm"], "lstm": ["--input-size", "3", "--hidden-size", "4"],
    "conv2d": ["--in-channels", "3", "--out-channels", "4", "--kernel-size", "3"], "dense": ["--units", "4"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_value_is_refused_in_paramcalcs_words(name: str) -> None:
    command = COMMANDS[name]
    base = [name, *BASE_ARGV.get(name, [])]
    for param in command.params:
        if param.param_type_name != "option" or param.is_flag or param.opts[0] in ("--output", "--export"):
            continue
        for value in ("-5", "zz"):
            status, out, err = run(*base, param.opts[0], value)
            assert status in (0, 1, 2), (name, param.opts[0], value, err)
            if status == 2:
                assert out == "" and err.startswith("error: ") and err.count("\n") == 1, (name, param.opts[0], err)
                for words in ("Input should", "Value error", "Invalid value", "is not one of", "not in the range"):
                    assert words not in err, (name, param.opts[0], value, err)


def test_brief_says_when_a_total_is_a_bound(tmp_path: Path) -> None:
    printed = tmp_path / "net.txt"
    # Linear(3, 4): 3·4 + 4 = 16 parameters; MyThing is not a torch.nn built-in, its own parameters unseen
    printed.write_text("Net(\n  (fc): Linear(in_features=3, out_features=4, bias=True)\n  (odd): MyThing()\n)\n",
                       encoding="utf-8")
    assert run("summary", str(printed), "--from-torch-print", "-q")[1] == "16 (lower bound)\n"
