"""Bad input to the command line: every command with random and adversarial arguments.

Whatever the arguments, a run ends with status 0, 2 (bad input) or, for the checking commands
only, 1 (an answer is wrong); an error is one line on stderr starting with ``error:`` and nothing
on stdout (a broken model file never leaves a partial table that looks like a result); there is
never a traceback or an internal error (status 70), and nothing hangs (each run is under the time
guard of test_fuzz_library).
"""

from __future__ import annotations

import atexit
import json
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_library import FITTING, HOSTILE, examples, time_limit
from test_fuzz_models import HOSTILE_FILES, PRESET_TEXTS, TORCH_PRINT
from typer.testing import CliRunner

from paramcalc.cli import app
from paramcalc.cli.layer_commands import example_options, spec_options
from paramcalc.cli.layer_types import layer_commands

runner = CliRunner()
PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb",
         "PARAMCALC_DEBUG": None}
#: Commands that may say "an answer is wrong" with status 1.
CHECKING = ("check", "check-sheet")


# -- Files the commands are given --------------------------------------------------------------

FILES = Path(tempfile.mkdtemp(prefix="paramcalc-fuzz-cli-"))
atexit.register(shutil.rmtree, FILES, ignore_errors=True)


def _file(name: str, content: bytes) -> str:
    path = FILES / name
    path.write_bytes(content)
    return str(path)


GOOD_MODEL = _file("lenet5.yaml", PRESET_TEXTS["lenet5"].encode())
GOOD_SHEET = _file("sheet.yaml", b"""problems:
  - {id: a, layer: 'Conv2d(3, 64, 3)', answers: {params: 1792}}
  - {id: b, layer: 'Conv2d(3, 96, 11, stride=4)', input_shape: 227x227x3, answers: {shape: 55x55x96}}
  - {id: c, layer: 'Linear(3, 4)', answers: {params: 12}}
""")
BROKEN_SHEET = _file("broken_sheet.yaml", b"problems:\n  - {id: a, layer: 'Linear(', answers: {params: 1}}\n")
TORCH_PRINT_FILE = _file("resnet.txt", TORCH_PRINT.encode())
MODEL_FILES = [GOOD_MODEL, GOOD_SHEET, TORCH_PRINT_FILE, str(FILES), str(FILES / "missing.yaml"), "/dev/null", "-",
               "", " ", "nowhere.json", "model.yml", "a" * 300, "a" * 300 + ".yaml", "\x00.yaml", "~/x.json"]
HOSTILE_PATHS = {name: _file(f"hostile{i}{suffix or '.yaml'}", content)
                 for i, (name, (content, suffix, _)) in enumerate(sorted(HOSTILE_FILES.items()))}
MODEL_FILES += list(HOSTILE_PATHS.values())
SHEET_FILES = [GOOD_SHEET, BROKEN_SHEET, GOOD_MODEL, *MODEL_FILES[3:]]
SHEET_FILES += [_file(f"sheet{i}.yaml", content.replace(b"layers:", b"problems:"))
                for i, (content, _, _) in enumerate(HOSTILE_FILES.values()) if b"layers:" in content]


# -- What the arguments are drawn from ---------------------------------------------------------

JUNK = ["", " ", "-", "--", "-x", "--bogus", "none", "None", "true", "0", "-1", "1.5", "nan", "inf", "9" * 40,
        "9" * 5000, "3,3", "(3, 3)", "3x3", "x", "é", "😀", "\x1b[31m", "a\nb", "'", '"', ";", "$(touch x)",
        "%s%n", "{}", "[]", "NaN", "1e400", "-0", "+3", "0x10", "3" * 30]
SHAPES = ["32,100", "1,3,224,224", "227x227x3", "(1, 3, 32, 32)", "2,5,16;2,7,16", "1", "", "0", "0,0,0",
          "1," * 20 + "1", "9" * 30, "9" * 19, "-1,3", "1.5,2", "x", ";", "1;;2", "1 2 3", "[1,2]", "1×3×32×32"]
EXPRESSIONS = FITTING + HOSTILE[:40] + ["LSTM(100, 128, num_layers=2)", "layers.Dense(64)", "Linear(3, 4)"]
COMMON_OPTIONS: dict[str, list[str]] = {
    "--input-shape": SHAPES, "-i": SHAPES, "--convention": ["pytorch", "keras", "textbook", "tf", ""],
    "-c": ["keras", "PyTorch"],
}
FLAGS = ["--json", "--all-conventions", "--no-working", "--training", "--momentum", "--export",
         "--from-torch-print", "--help", "--version"]

COMMANDS: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    # command: (positional argument pool, {option: value pool})
    "layer": (EXPRESSIONS, COMMON_OPTIONS),
    "layers": ([], {}),
    "formula": (["lstm", "conv", "Conv2d", "attention", "no_params", "x", "", "dense", "keras-lstm"], {}),
    "check": (EXPRESSIONS + MODEL_FILES, {
        "--params": ["1792", "1,792", "0", "-3", "1.5", "9" * 2000, "x", ""], "--trainable": ["0", "12", "x"],
        "--non-trainable": ["0", "7"], "--shape": ["55x55x96", "96,55,55", "55", "54.25", "217/4", "1/0", "x", ""],
        **COMMON_OPTIONS,
    }),
    "check-sheet": (SHEET_FILES, {}),
    "summary": (MODEL_FILES, {**COMMON_OPTIONS, "--depth": ["0", "1", "3", "64", "65", "-1", "x"], "-d": ["2"]}),
    "presets": ([], {}),
    "preset": (["lenet5", "resnet18", "gpt2", "vgg16", "gpt3-175b", "llama2-7b", "x", "", "../etc/passwd"], {
        **COMMON_OPTIONS, "--depth": ["1", "2", "0"],
        "--output": [str(FILES / "out.yaml"), str(FILES / "no" / "dir" / "out.yaml"), str(FILES), GOOD_MODEL],
    }),
    "schema": ([], {}),
    "window": ([], {
        "-n": ["13", "0", "-1", "9" * 30, "x", ""], "-k": ["6", "1", "0", "14", "x"], "-s": ["5", "1", "0", "-2"],
        "--padding": ["same", "valid", "2", "-1", "1,2", "x"], "--dilation": ["1", "3", "0"],
        "--dilation-naming": ["torch", "gaps", "x"], "--index": ["0", "2", "-1", "0,1", "99", "x"],
        "--json": [], "-q": [],
    }),
    "receptive-field": (EXPRESSIONS + MODEL_FILES + ["Conv2d(1, 6, 5)", "MaxPool2d(2)", "LSTM(4, 8)"], {
        "--preset": ["vgg16", "resnet18", "gpt2", "x", ""], "-i": ["1,1,32,32", "1,3,224,224", "0", "x", ""],
        "--json": [], "-q": [],
    }),
    "solve": (["padding", "stride", "kernel", "input", "output", "dilation", "x", ""], {
        "-n": ["32", "227", "0", "-1", "9" * 30, "x"], "-k": ["5", "11", "0", "x"], "-s": ["1", "4", "0"],
        "-p": ["0", "2", "-1"], "--dilation": ["1", "2", "0"], "--dilation-naming": ["torch", "gaps", "x"],
        "-t": ["32", "55", "28", "0", "x"], "--from": ["0", "1", "-5"], "--to": ["20", "0", "9" * 12],
        "--floored": [], "--json": [], "-q": [],
    }),
    "memory": (MODEL_FILES[:6] + ["llama2-7b", "gpt2", "resnet18", "x"], {
        "--dtype": ["fp32", "fp16", "int4", "fp8", ""], "--batch-size": ["1", "8", "0", "-1", "9" * 30, "x"],
        "--seq-len": ["1", "2048", "0", "9" * 25], "--optimizer": ["sgd", "adam", "lion"], **COMMON_OPTIONS,
    }),
}
#: The generated layer commands: their options are the constructor's arguments.
LAYER_COMMANDS = sorted(layer_commands())
VALUES = ["3", "4", "8", "16", "0", "-1", "1,1", "3,3", "3x3", "(2, 2)", "none", "true", "false", "same", "valid",
          "relu", "gelu", "zeros", "channels_first", "0.5", "1.5", "'TransformerEncoderLayer(8, 2)'",
          "TransformerEncoderLayer(8, 2)", "LayerNorm(8)", "layers.LSTM(4)", "Linear(2, 2)", *JUNK[:20]]
#: Values a user can type that read as structured literals (mappings, sets, nested lists, an unhashable key),
#: numbers beyond every bound, not-a-number, and digits and letters from other scripts.
STRUCTURED = ["{[]: 1}", "{1: 2}", "{1, 2}", "{{}}", "[[]]", "[1, [2]]", "{'a': [1]}", "[{}]", "((1,),)", "set()",
              "{}", "[]", "()", "(None,)", "9" * 25, "-" + "9" * 25, "9" * 4400, "2**64", str(2**63), str(2**62),
              "nan", "NaN", "-inf", "inf", "1e309", "0j", "1+2j", "b'x'", "...", "-True", "1_000", "0b11", "0x1f",
              "ñ", "𝟙", "٣", "１", "３,３", "\u202e", "\x00", "'", '""']
VALUES += STRUCTURED


def _layer_options(command: str) -> dict[str, list[str]]:
    _, cls = layer_commands()[command]
    options = {opt.flag: VALUES for opt in spec_options(cls)}
    options.update({f"--no-{opt.flag[2:]}": [] for opt in spec_options(cls) if opt.kind == "flag"})
    return {**options, **COMMON_OPTIONS}


@st.composite
def command_lines(draw: Any, commands: list[str]) -> list[str]:
    """A command and arguments: its own options with plausible or hostile values, junk, repeats, gaps."""
    command = draw(st.sampled_from(commands))
    if command in COMMANDS:
        positional, options = COMMANDS[command]
    else:
        positional, options = [], _layer_options(command)
    words = [command]
    example = example_options(command) if command in LAYER_COMMANDS else None
    if example is not None and draw(st.booleans()):  # the example's options and input shape, then changes
        words += shlex.split(example[0]) + ["--input-shape", example[1]]
    if positional and draw(st.integers(0, 9)):
        words.append(draw(st.sampled_from(positional)))
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 9))
        if kind < 6 and options:
            option = draw(st.sampled_from(sorted(options)))
            words.append(option)
            pool = options[option]
            if pool and draw(st.integers(0, 9)):  # now and then the value is left out
                words.append(draw(st.sampled_from(pool + JUNK)))
        elif kind < 8:
            words.append(draw(st.sampled_from(FLAGS)))
        else:
            words.append(draw(st.sampled_from(JUNK + positional[:5])))
    return words


# -- The contract of every run -----------------------------------------------------------------


def run(words: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    with time_limit():
        result = runner.invoke(app, words, env=PLAIN, input=stdin)
    status, out, err = result.exit_code, result.stdout, result.stderr
    shown = f"paramcalc {' '.join(words)!r}: status {status}\nstdout: {out[:500]!r}\nstderr: {err[:500]!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in out + err and "internal error" not in err, shown
    allowed = (0, 1, 2) if words and words[0] in CHECKING else (0, 2)
    assert status in allowed, shown
    if err:  # an error: one line, and no output that could pass for a result
        assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, shown
        assert err[:-1].isprintable(), shown  # no escape sequence from the input reaches the terminal
        assert status == 2, shown
        # a sheet whose problems have errors is reported (each error on its row) and summed up on
        # stderr; any other error leaves no output that could pass for a result
        sheet_report = "check-sheet" in words and "could not be checked (see the report)" in err
        assert out == "" or (sheet_report and ("with errors" in out or '"errors"' in out)), shown
    elif status == 2:  # help for a command given no arguments, or a sheet whose problems have errors
        assert "Usage:" in out or ("check-sheet" in words and ("with errors" in out or '"errors"' in out)), shown
    if "--json" in words and out.lstrip().startswith(("{", "[")):
        json.loads(out)  # one JSON document and nothing else
    return status, out, err


@examples(250)
@given(words=command_lines(sorted(COMMANDS)))
def test_every_command_with_random_arguments(words: list[str]) -> None:
    run(words)


@examples(150)
@given(words=command_lines(LAYER_COMMANDS))
def test_layer_commands_with_random_arguments(words: list[str]) -> None:
    run(words)


@st.composite
def one_structured_value(draw: Any) -> list[str]:
    """A layer command with its example's options, one of which is given a structured or hostile value."""
    command = draw(st.sampled_from(LAYER_COMMANDS))
    example = example_options(command)
    words = [command, *(shlex.split(example[0]) + ["--input-shape", example[1]] if example else [])]
    values = [opt.flag for opt in spec_options(layer_commands()[command][1]) if opt.kind == "value"]
    if values:
        words += [draw(st.sampled_from(values)), draw(st.sampled_from(STRUCTURED))]
    return words


@examples(150)
@given(words=one_structured_value())
def test_layer_command_options_with_structured_values(words: list[str]) -> None:
    run(words)


@pytest.mark.parametrize("command", ["layernormalization", "rmsnormalization", "groupnormalization",
                                     "batchnormalization"])
@pytest.mark.parametrize("value", ["{[]: 1}", "{1: 2}", "{1, 2}", "[[1]]", "nan", "9" * 40])
def test_a_bad_keras_norm_axis_is_one_error_line(command: str, value: str) -> None:
    status, out, err = run([command, "--axis", value, "--input-shape", "2,4"])
    assert status == 2 and out == "" and "axis" in err


@examples(100)
@given(words=st.lists(st.sampled_from(JUNK + sorted(COMMANDS) + FLAGS + LAYER_COMMANDS), max_size=6))
def test_junk_command_lines(words: list[str]) -> None:
    run(words)


@examples(60)
@given(text=st.one_of(st.sampled_from([PRESET_TEXTS["lenet5"], PRESET_TEXTS["gpt2"][:500], TORCH_PRINT, "", "\x00"]),
                      st.text(max_size=200)),
       torch_print=st.booleans())
def test_summary_of_standard_input(text: str, torch_print: bool) -> None:
    run(["summary", "-", *(["--from-torch-print"] if torch_print else [])], stdin=text)


@pytest.mark.parametrize("name", sorted(set(HOSTILE_FILES) - {"long line"}))  # 80,000 layers: slow to read 4 times
def test_broken_model_files_leave_no_partial_output(name: str) -> None:
    path = HOSTILE_PATHS[name]
    for words in (["summary", path], ["summary", path, "--json"], ["check", path, "--params", "1"],
                  ["memory", path]):
        status, out, err = run(words)
        if HOSTILE_FILES[name][2] is not None:  # the file is refused: an error line and nothing else
            assert status == 2 and out == "" and err.startswith("error: "), (words, out, err)


def test_huge_numbers_stay_exact_in_the_cli() -> None:
    # Linear(2**62, 2**62): 2**62 · 2**62 weights + 2**62 biases = 2**124 + 2**62, printed exactly.
    expected = 2**124 + 2**62
    status, out, _ = run(["layer", f"Linear({2**62}, {2**62})", "--json"])
    assert status == 0 and str(expected) in out
    status, out, _ = run(["layer", f"Linear({2**62}, {2**62})"])
    assert status == 0 and f"{expected:,}" in out
    status, out, err = run(["layer", f"Linear({2**63}, 1)"])
    assert status == 2 and "2**63 - 1" in err


@pytest.mark.parametrize("words", [
    ["layer", "LSTM(3, 4)", "-i", "2,5,3"], ["layers"], ["formula", "lstm"], ["check", "Linear(3, 4)", "--params", "16"],
    ["check", "Linear(3, 4)", "--params", "15"], ["check-sheet", GOOD_SHEET], ["summary", GOOD_MODEL], ["presets"],
    ["preset", "lenet5"], ["memory", "gpt2"], ["dense", "--units", "3", "-i", "2,4"],
], ids=lambda w: w[0])
def test_json_is_one_document(words: list[str]) -> None:
    status, out, _ = run([*words, "--json"])
    assert status in (0, 1) and isinstance(json.loads(out), (dict, list))


# -- Hostile environment values (budget: 30 examples, each under the time guard) ------------------

ENV_VALUES = st.one_of(st.sampled_from(["", "0", "-1", "99999999999999999999", "²", "abc", "1e9", " 80", "\x1b[31m"]),
                       st.text(max_size=12).filter(lambda t: "\x00" not in t))


@given(columns=ENV_VALUES, lines=ENV_VALUES, term=ENV_VALUES, no_color=ENV_VALUES,
       argv=st.sampled_from([["layer", "Linear(2, 3)"], ["presets"], ["--help"], ["layers"], ["formula", "lstm"]]))
def test_hostile_environment_values(columns: str, lines: str, term: str, no_color: str, argv: list[str]) -> None:
    env = {**PLAIN, "COLUMNS": columns, "LINES": lines, "TERM": term, "NO_COLOR": no_color}
    with time_limit(30):
        result = runner.invoke(app, argv, env=env)
    assert result.exit_code == 0 and result.stderr == "" and result.stdout, argv
