"""The layer commands: ``paramcalc layer``, one command per layer type, ``layers`` and ``formula``.

Outputs are compared with golden files in tests/golden/ (rewritten only with ``pytest
--update-golden``); numbers come from torch's own counts, written next to each test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from math import prod

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from paramcalc import parse_layer
from paramcalc.cli import app
from paramcalc.cli.layer_commands import example_options
from paramcalc.cli.layer_types import command_for, examples, layer_commands
from paramcalc.cli.options import parse_shape, parse_shapes
from paramcalc.errors import ParamcalcError
from paramcalc.specs.explaining import last_number
from paramcalc.specs.families import FAMILIES

runner = CliRunner()
#: A plain, 80-column, colourless environment (whatever the machine running the tests has set).
PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None,
         "TTY_INTERACTIVE": None, "TERM": "dumb"}


def run(*args: str, env: dict | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={**PLAIN, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def flat(text: str) -> str:
    """The text with every run of whitespace (line wrapping included) made one space."""
    return " ".join(text.split())


def fits(text: str, width: int = 80) -> bool:
    return all(len(line) <= width for line in text.splitlines())


# -- Golden outputs ---------------------------------------------------------------------------


def test_lstm_query(golden) -> None:
    # torch: sum(p.numel()) of nn.LSTM(100, 128, num_layers=2) is 249,856
    status, out, err = run("layer", "LSTM(100, 128, num_layers=2)", "--input-shape", "32,50,100")
    assert (status, err) == (0, "")
    assert "249,856 · 249.9K" in out
    assert "trainable 249,856 · non-trainable 0 · buffers 0" in out
    assert "layer 0: 4 × (128·100 + 128·128 + 2·128) = 4 × 29,440 = 117,760" in out
    assert "layer 1: 4 × (128·128 + 128·128 + 2·128) = 4 × 33,024 = 132,096" in out
    assert "total: 117,760 + 132,096 = 249,856" in out
    assert "output (32, 50, 128)" in out and "h_n (2, 50, 128)" in out and "c_n (2, 50, 128)" in out
    assert "weight_ih_l0   (512, 100)    51,200" in out
    assert fits(out) and "\x1b[" not in out
    golden("cli_layer_lstm.txt", out)


def test_conv_command_warns_about_a_floored_division(golden) -> None:
    # AlexNet conv1 in torch: 11·11·3·96 + 96 = 34,944; (224 − 11)/4 + 1 = 54.25, floored to 54
    status, out, _ = run("conv2d", "--in-channels", "3", "--out-channels", "96", "--kernel-size", "11",
                         "--stride", "4", "--input-shape", "1x3x224x224")
    assert status == 0
    assert "34,944 · 34.9K" in out
    assert "height: (224 + 2·0 − 1·(11 − 1) − 1) // 4 + 1 = 213 // 4 + 1 = 54" in out
    assert "warning: Conv2d: output height" in out and "54.25 is not a whole number; floored to 54" in flat(out)
    assert fits(out)
    golden("cli_conv2d_alexnet.txt", out)


def test_batchnorm_buffers(golden) -> None:
    # torch: BatchNorm2d(64) has 128 parameters (weight, bias) and 129 buffer values
    status, out, _ = run("layer", "BatchNorm2d(64)", "-i", "8,64,32,32")
    assert status == 0
    assert "trainable 128 · non-trainable 0 · buffers 129" in out
    assert "running_mean" in out and "buffer" in out
    golden("cli_layer_batchnorm.txt", out)


def test_batchnorm_without_bias() -> None:
    # torch 2.13: BatchNorm2d(64, bias=False) has 64 parameters (weight only) and 129 buffer values
    status, out, _ = run("batchnorm2d", "--num-features", "64", "--no-bias", "--json")
    assert status == 0
    doc = json.loads(out)
    assert doc["params"] == {"total": 64, "trainable": 64, "non_trainable": 0, "buffers": 129}
    assert doc["expression"] == "BatchNorm2d(num_features=64, bias=False)"
    status, _, err = run("layer", "BatchNorm2d(64, 1e-05, 0.1, True, True, False)")
    assert status == 2 and "bias only by name" in err


def test_attention_with_three_inputs(golden) -> None:
    # torch: MultiheadAttention(512, 8, kdim=256, vdim=128): 512·(512+256+128) + 512·512 + 4·512 = 722,944
    status, out, _ = run("layer", "MultiheadAttention(512, 8, kdim=256, vdim=128)",
                         "--input-shape", "10,32,512;20,32,256;20,32,128")
    assert status == 0
    assert "722,944 · 722.9K" in out
    assert "attn_output (10, 32, 512)" in out and "attn_output_weights (32, 10, 20)" in out
    golden("cli_layer_mha.txt", out)


def test_all_conventions(golden) -> None:
    # LSTM(100, 128): torch 117,760 (two biases per gate); Keras and the notes 117,248 (one)
    status, out, _ = run("layer", "LSTM(100, 128)", "--input-shape", "32,50,100", "--all-conventions")
    assert status == 0
    assert re.search(r"pytorch\s+117,760", out)
    assert re.search(r"keras\s+117,248", out) and re.search(r"textbook\s+117,248", out)
    assert "one bias vector per gate" in flat(out)
    assert fits(out)
    golden("cli_layer_lstm_all_conventions.txt", out)


def test_keras_layer(golden) -> None:
    # notes 002: Keras SimpleRNN(128) on 100 features: 100·128 + 128·128 + 128 = 29,312
    status, out, _ = run("layer", "layers.SimpleRNN(128)", "--input-shape", "32,50,100")
    assert status == 0
    assert "29,312 · 29.3K" in out and "keras: Keras 3 count_params()" in out
    assert "weights + biases: 128·100 + 128·128 + 128 = 29,312" in out
    golden("cli_layer_keras_simplernn.txt", out)


def test_formula_command(golden) -> None:
    status, out, _ = run("formula", "lstm")
    assert status == 0
    assert "4·(H·I + H·H + 2·H)" in out and "4·(H·I + H·H + H)" in out
    golden("cli_formula_lstm.txt", out)


# -- JSON -------------------------------------------------------------------------------------

SCHEMA = {"layer", "expression", "convention", "params", "input_shapes", "output_shapes", "tensors", "formula",
          "shape_formula", "notes", "conventions", "compute"}


@pytest.mark.parametrize(("expr", "shape"), [
    ("LSTM(100, 128, num_layers=2)", "32,50,100"),
    ("BatchNorm2d(64)", "8,64,32,32"),
    ("Linear(None, 10)", "4,100"),
    ("layers.BatchNormalization()", "8,28,28,32"),
])
def test_json_document(expr: str, shape: str) -> None:
    status, out, err = run("layer", expr, "--input-shape", shape, "--json")
    assert (status, err) == (0, "")
    doc = json.loads(out)  # one document and nothing else
    assert set(doc) == SCHEMA
    spec = parse_layer(expr)
    shapes = parse_shapes(shape)
    convention = doc["convention"]
    count = spec.count(convention, input_shape=shapes[0])
    assert doc["params"] == count.as_dict()
    params = doc["params"]
    assert params["total"] == params["trainable"] + params["non_trainable"]
    assert sum(t["count"] for t in doc["tensors"] if t["kind"] != "buffer") == params["total"]
    assert sum(t["count"] for t in doc["tensors"] if t["kind"] == "buffer") == params["buffers"]
    for t in doc["tensors"]:
        assert set(t) == {"name", "shape", "count", "kind", "description"}
        assert t["count"] == prod(t["shape"]) and t["kind"] in ("trainable", "non_trainable", "buffer")
    assert doc["output_shapes"] == {k: list(v) for k, v in spec.output_shapes(*shapes).items()}
    assert last_number(doc["formula"].splitlines()[-1]) == params["total"]
    assert doc["shape_formula"][-1].endswith(str(tuple(doc["output_shapes"][list(doc["output_shapes"])[-1]])))
    assert doc["layer"]["type"] == spec.spec_dict()["type"]
    assert doc["conventions"] is None


def test_json_infers_the_input_size_and_compares_conventions() -> None:
    status, out, _ = run("layer", "Linear(None, 10)", "-i", "4,100", "--json", "--all-conventions")
    doc = json.loads(out)
    assert doc["layer"]["in_features"] == 100
    assert "in_features = 100, read from the input shape" in doc["notes"]
    rows = {row["convention"]: row for row in doc["conventions"]}
    assert set(rows) == {"pytorch", "keras", "textbook"}
    assert rows["pytorch"]["params"]["total"] == 1010  # torch: 100·10 + 10


def test_json_without_input_shape() -> None:
    status, out, _ = run("layer", "Conv2d(3, 64, 3)", "--json")
    doc = json.loads(out)
    assert doc["params"]["total"] == 1792  # torch: 3·3·3·64 + 64
    assert doc["output_shapes"] == {} and doc["shape_formula"] == []


def test_json_error_prints_nothing_on_stdout() -> None:
    status, out, err = run("layer", "Conv2d(64, 128, 3, groups=3)", "--json")
    assert status == 2 and out == ""
    assert err == "error: Conv2d: groups must divide in_channels. Received: in_channels=64, groups=3\n"


# -- Both ways: the generated command and the expression agree ---------------------------------


@pytest.mark.parametrize("command", sorted(examples()))
def test_every_example_runs_both_ways(command: str) -> None:
    if command not in layer_commands():
        pytest.skip(f"no {command} command here")
    expr, shape = examples()[command]
    options, _ = example_options(command)
    by_command = run(command, *shlex.split(options), "--input-shape", shape, "--json")
    by_expression = run("layer", expr, "--input-shape", shape, "--json")
    assert by_command[0] == 0, by_command[2]
    assert by_expression[0] == 0, by_expression[2]
    assert json.loads(by_command[1]) == json.loads(by_expression[1])
    assert command_for(parse_layer(expr).name) is not None


def test_every_layer_command_has_an_example() -> None:
    missing = sorted(set(layer_commands()) - set(examples()))
    assert not missing, f"give the spec classes of {missing} an example (the class attribute example)"
    # Each class's own example, not one inherited from a class it extends.
    wrong = sorted(key for key, (_, cls) in layer_commands().items() if type(parse_layer(cls.example[0])) is not cls)
    assert not wrong, f"the examples of {wrong} build another layer type"


@pytest.mark.parametrize("command", sorted(layer_commands()))
def test_every_layer_command_documents_its_options(command: str) -> None:
    status, out, _ = run(command, "--help", env={"COLUMNS": "120"})
    assert status == 0
    name, cls = layer_commands()[command]
    for field, info in cls.model_fields.items():
        if field not in ("type", "input_shape"):
            assert "--" + (info.alias or field).replace("_", "-") in out, field
    assert "--input-shape" in out and "--convention" in out and "--json" in out
    assert "Examples" in out


def test_lstm_command_options() -> None:
    # torch: nn.LSTM(100, 128, num_layers=2, bidirectional=True) has 2·117,760 + 2·(4·(128·256 + 128·128 + 256)) = 630,784
    status, out, _ = run("lstm", "--input-size", "100", "--hidden-size", "128", "--num-layers", "2",
                         "--bidirectional", "--json")
    assert status == 0
    assert json.loads(out)["params"]["total"] == 630_784


def test_tuple_and_choice_options() -> None:
    # torch: Conv2d(4, 8, (3, 5), padding_mode='reflect') = 3·5·4·8 + 8 = 488
    status, out, _ = run("conv2d", "--in-channels", "4", "--out-channels", "8", "--kernel-size", "3,5",
                         "--padding", "1,2", "--padding-mode", "reflect", "-i", "1,4,9,9", "--json")
    doc = json.loads(out)
    assert status == 0 and doc["params"]["total"] == 488
    assert doc["layer"]["kernel_size"] == [3, 5] and doc["layer"]["padding_mode"] == "reflect"
    assert doc["output_shapes"]["output"] == [1, 8, 9, 9]
    status, out, _ = run("adaptiveavgpool2d", "--output-size", "7,none", "-i", "1,3,13,11", "--json")
    assert json.loads(out)["output_shapes"]["output"] == [1, 3, 7, 11]
    status, out, _ = run("transformerencoder", "--encoder-layer", "TransformerEncoderLayer(64, 4, 128)",
                         "--num-layers", "2", "--json")
    # torch: one layer 4·64² + 4·64 + 2·64·128 + 128 + 64 + 4·64 = 33,472; two layers 66,944
    assert json.loads(out)["params"]["total"] == 66_944


def test_layer_command_names_ignore_case() -> None:
    assert run("LSTM", "--input-size", "10", "--hidden-size", "20", "--json")[0] == 0


# -- Listing -----------------------------------------------------------------------------------


def test_layers_lists_both_frameworks() -> None:
    status, out, _ = run("layers")
    assert status == 0 and fits(out)
    assert "LSTM" in out and "long short-term memory" in out
    listing = json.loads(run("layers", "--json")[1])
    names = {(row["framework"], row["name"]) for row in listing}
    assert ("pytorch", "Conv2d") in names
    for row in listing:
        assert set(row) == {"name", "framework", "command", "summary"} and row["summary"]
        assert command_for(row["name"]) is not None


def test_formula_json_and_unknown_family() -> None:
    doc = json.loads(run("formula", "Conv2d", "--json")[1])
    assert doc["family"] == "conv" and set(doc["params"]) == {"pytorch", "keras", "textbook"}
    status, out, err = run("formula", "lstn")
    assert status == 2 and "Did you mean lstm" in err


# -- Errors: one line on stderr, status 2 -----------------------------------------------------

ERRORS = [
    (["layer", "Conv2d(64, 128, 3, groups=3)"],
     "error: Conv2d: groups must divide in_channels. Received: in_channels=64, groups=3"),
    (["layer", "LSTN(100, 128)"], "error: unknown layer type 'LSTN'. Did you mean LSTM?"),
    (["layer", "LSTM(100, 128"], "error: expression: invalid syntax at column 5: '(' was never closed"),
    (["layer", "LSTM(100, hidden_size=x)"], "error: expression: only literal arguments are allowed"),
    (["layer", "LSTM(100, 128)", "--input-shape", "32,50,abc"],
     "error: --input-shape: every dimension must be a non-negative integer (or None for a Keras layer's unknown size). Received: '32,50,abc'"),
    (["layer", "Linear(100, 10)", "-i", "32,99"],
     "error: Linear: expected input with last dimension in_features=100, got 99."),
    (["layer", "Linear(None, 10)"], "error: Linear: in_features is not set"),
    (["lstm", "--input-size", "100"], "error: LSTM: missing required option --hidden-size"),
    (["lstm", "--hidden-size", "abc"], "error: --hidden-size: must be an integer. Received: 'abc'"),
    (["conv2d", "--out-channels", "8", "--kernel-size", "3,3,3", "-i", "1,3,8,8"],
     "error: Conv2d: kernel_size must be an int or a tuple of 2 ints."),
    (["lstn"], "error: no command 'lstn'. Did you mean lstm?"),
]


@pytest.mark.parametrize(("args", "message"), ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_bad_input_is_one_line_and_status_2(args: list[str], message: str) -> None:
    status, out, err = run(*args)
    assert status == 2
    assert out == ""
    assert err.startswith(message), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_keras_layer_without_input_shape_says_what_is_missing() -> None:
    status, _, err = run("layer", "layers.Dense(64)")
    assert status == 2 and err.count("\n") == 1 and "input" in err


# -- Output: plain when piped, colour on a terminal unless NO_COLOR -----------------------------


def test_colour_on_a_terminal_and_none_with_no_color() -> None:
    coloured = run("layer", "Linear(100, 10)", env={"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm-256color"})[1]
    assert "\x1b[" in coloured
    plain = run("layer", "Linear(100, 10)", env={"FORCE_COLOR": "1", "NO_COLOR": "1", "TERM": "xterm-256color"})[1]
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", plain)  # no foreground colour


def test_wide_terminals_get_at_most_120_columns() -> None:
    out = run("layer", "TransformerEncoderLayer(512, 8)", "-i", "10,32,512", env={"COLUMNS": "200"})[1]
    assert fits(out, 120) and not fits(out, 80)  # the terminal's width is used, up to 120


# -- Entry points, help, version, completion ----------------------------------------------------


def test_python_dash_m() -> None:
    result = subprocess.run([sys.executable, "-m", "paramcalc", "layer", "Linear(100, 10)", "--json"],
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0 and json.loads(result.stdout)["params"]["total"] == 1010
    bad = subprocess.run([sys.executable, "-m", "paramcalc", "layer", "Conv2d(64, 128, 3, groups=3)"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: Conv2d: groups must divide in_channels")
    assert "Traceback" not in bad.stderr


def test_version_and_help() -> None:
    status, out, _ = run("--version")
    assert status == 0 and out.startswith("paramcalc ")
    for args in (["--help"], ["layer", "--help"], ["layers", "--help"], ["formula", "--help"]):
        status, out, _ = run(*args)
        assert status == 0 and "Examples" in out, args
    assert "--install-completion" in run("--help")[1]


def _epilog_examples(args: list[str]) -> list[list[str]]:
    out = run(*args, "--help", env={"COLUMNS": "400"})[1]
    return [shlex.split(line.strip())[1:] for line in out.splitlines() if line.strip().startswith("paramcalc ")]


@pytest.mark.parametrize("args", [[], ["layer"], ["layers"], ["formula"], ["lstm"], ["keras-conv2d"]], ids=str)
def test_every_help_example_runs(args: list[str]) -> None:
    examples = _epilog_examples(args)
    assert examples
    for example in examples:
        status, out, err = run(*example)
        assert status == 0, (example, err)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_formula_of_every_family(family: str) -> None:
    status, out, _ = run("formula", family)
    assert status == 0 and fits(out)
    for convention in ("pytorch", "keras", "textbook"):
        assert convention in out


def test_shell_completion_offers_layer_commands() -> None:
    result = runner.invoke(app, [], prog_name="paramcalc",
                           env={**PLAIN, "_PARAMCALC_COMPLETE": "complete_bash", "COMP_WORDS": "paramcalc ls",
                                "COMP_CWORD": "1"})
    assert "lstm" in result.stdout.split()


# -- Shapes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["32,50,100", "32x50x100", "(32, 50, 100)", " 32 × 50 × 100 ", "[32,50,100]"])
def test_shape_forms(text: str) -> None:
    assert parse_shape(text) == (32, 50, 100)


def test_several_shapes_and_bad_ones() -> None:
    assert parse_shapes("2,5,16;2,7,16") == [(2, 5, 16), (2, 7, 16)]
    with pytest.raises(ParamcalcError, match="--input-shape: empty shape"):
        parse_shape("()")
    with pytest.raises(ParamcalcError, match="--input-shape: every dimension"):
        parse_shape("32,-1")


@pytest.mark.parametrize("n, text", [
    (128, "128"),
    (117_760, "117.8K"),          # the headline of LSTM(100, 128)
    (3_145_728, "3.1M"),
    (999_949_999_999_999, "999.9T"),
    (10**15, "1.0e15"),           # from a thousand trillion on, scientific
    (2**124 + 2**62, "2.1e37"),   # Linear(2**62, 2**62): 21,267,647,932,558,653,971,072,598,982,912,901,120
    (99_960_000_000_000_000, "1.0e17"),  # rounding carries into the next power of ten
])
def test_short_form_of_counts(n: int, text: str) -> None:
    from paramcalc.render.layer import short

    assert short(n) == text


@pytest.mark.parametrize("shape", ["", " ", ";", " ; "])
def test_empty_input_shape_is_an_error(shape: str) -> None:
    result = CliRunner().invoke(app, ["layer", "Linear(3, 4)", "--input-shape", shape])
    assert result.exit_code == 2
    assert result.stderr == "error: --input-shape: empty shape; write it like 32,50,100 or 32x50x100\n"


@pytest.mark.parametrize("shape", ["32,,100", ",100", "32x50x100x", "32,50,,"])
def test_a_missing_dimension_is_an_error_not_dropped(shape: str) -> None:
    # "32,,100" must not quietly become (32, 100): that changes the question.
    result = CliRunner().invoke(app, ["layer", "LSTM(100, 128)", "--input-shape", shape])
    assert result.exit_code == 2
    assert "a dimension is missing" in result.stderr


def test_one_dimensional_tuple_and_keras_unknown_batch() -> None:
    ok = CliRunner().invoke(app, ["layer", "Linear(100, 10)", "--input-shape", "(100,)", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["output_shapes"] == {"output": [10]}
    # Keras LSTM(128) on (None, 50, 100): 4·(128·100 + 128·128 + 128) = 117,248; the batch stays unknown.
    keras = CliRunner().invoke(app, ["layer", "layers.LSTM(128)", "--input-shape", "None,50,100", "--json"])
    data = json.loads(keras.stdout)
    assert data["params"]["total"] == 117_248 and data["output_shapes"] == {"output": [None, 128]}


@pytest.mark.parametrize("expr, shapes, message", [
    ("Linear(100, 10)", "32,100;5,5", "Linear: takes 1 input shape (input). Received: 2 input shapes"),
    ("MultiheadAttention(8, 2)", "3,2,8;4,2,8;4,2,8;1",
     "MultiheadAttention: takes 3 input shapes (query, key, value). Received: 4 input shapes"),
    ("layers.Dense(4)", "2,3;2,3", "Dense: takes 1 input shape (input). Received: 2 input shapes"),
])
def test_more_input_shapes_than_the_layer_takes(expr: str, shapes: str, message: str) -> None:
    result = CliRunner().invoke(app, ["layer", expr, "--input-shape", shapes])
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n"


# -- Any layer query, good or bad: a result, or one error line and status 2 -------------------

QUERIES = [
    ["layer", "LSTM(100, 128, num_layers=2)", "--input-shape", "32,50,100"],
    ["layer", "LSTM(100, 128)", "-i", "32x50x100", "--all-conventions"],
    ["layer", "Conv2d(3, 96, 11, stride=4)", "-i", "1,3,224,224", "--json"],
    ["layer", "layers.Dense(64)", "--input-shape", "32,100", "-c", "keras"],
    ["layer", "BatchNorm2d(64)", "--convention", "textbook", "--json"],
    ["layer", "Linear(3, 4)", "--input-shape=2,3"],
    ["layer", "--", "Linear(3, 4)"],
    ["layer", "Linear(3, 4)", "--json", "--json"],  # a flag given twice is still that flag
    ["lstm", "--input-size", "3", "--hidden-size", "4"],
]
BAD_QUERIES = [
    ["layer", "Conv2d(64, 128, 3, groups=3)"],
    ["layer", "Lstm(100, 128)"],
    ["layer", "Linear(10, 5)", "-i", "3,7"],
    ["layer", "Linear(10, 5)", "-i", "-3,10"],  # a value may start with '-': it is the option's value
    ["layer", "Linear(3, 4)", "-c", "nonsense"],
    ["layer", "Linear(3, 4)", "extra"],
    ["layer", "Linear(3, 4)", "-i"],
    ["layer", "Linear(3, 4)", "-c", "--json"],
]


@pytest.mark.parametrize("argv", QUERIES, ids=" ".join)
def test_layer_queries(argv: list[str]) -> None:
    status, out, err = run(*argv)
    assert (status, err) == (0, "") and out
    if "--json" in argv:
        json.loads(out)


@pytest.mark.parametrize("argv", BAD_QUERIES, ids=" ".join)
def test_bad_layer_queries(argv: list[str]) -> None:
    status, out, err = run(*argv)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1


def test_a_missing_argument() -> None:
    status, out, err = run("layer")
    assert (status, out) == (2, "") and err.startswith("error: ") and "EXPR" in err and err.count("\n") == 1
    for command in ("check", "check-sheet", "summary", "preset", "memory", "lstm"):
        status, out, err = run(command)  # every command: one line on stderr, nothing on stdout
        assert (status, out) == (2, "") and err.startswith("error: ") and err.count("\n") == 1, command
    status, out, err = run()
    assert (status, out) == (2, "") and err.startswith("error: ") and "--help" in err


EXPRESSIONS = [
    "LSTM(100, 128, num_layers=2)", "Linear(10, 5)", "nn.Conv2d(3, 8, 3, padding=1)", "layers.Dense(4)",
    "Linear(in_features=3, out_features=4, bias=False)", "MultiheadAttention(16, 4)", "GRU(8, 8, bidirectional=True)",
    "BatchNorm1d(8)", "Conv2d(64, 128, 3, groups=3)", "Lstm(100, 128)", "Linear(-1, 3)", "Linear(True, 3)",
    "Linear(", "", " ", "__import__('os')", "(lambda: 1)()", "Linear(3, 4).weight", "[" * 200,
    "Linear(" + "9" * 40 + ", 1)", "layers.Conv2D(8, 3)", "ReLU()", "\x1b[31mred", "Linear(3,\n4)",
]
SHAPES = ["32,50,100", "3,10", "1x3x8x8", "(2, 8)", "2,5,16;2,7,16", "", " ", ";", "3x", "a,b", "-1,3", "2,,3",
          "None,10", "9" * 40, "--json", "-i", "2;3"]
OPTIONS = ["-i", "--input-shape", "-c", "--convention", "--all-conventions", "--json", "--help", "--", "-x",
           "--input-shape=3,10", "--jso"]
CONVENTIONS = ["pytorch", "keras", "textbook", "Keras", "bogus", ""]


@st.composite
def layer_argv(draw: st.DrawFn) -> list[str]:
    """``layer`` and a few tokens: expressions, options, their values, stray words."""
    tokens = draw(st.lists(st.one_of(
        st.sampled_from(EXPRESSIONS),
        st.sampled_from(OPTIONS),
        st.tuples(st.sampled_from(["-i", "--input-shape"]), st.sampled_from(SHAPES)).map(list),
        st.tuples(st.sampled_from(["-c", "--convention"]), st.sampled_from(CONVENTIONS)).map(list),
        st.text(max_size=8),
    ), max_size=6))
    argv = ["layer"]
    for token in tokens:
        argv.extend(token if isinstance(token, list) else [token])
    return argv


@st.composite
def plain_layer_argv(draw: st.DrawFn) -> list[str]:
    """``layer EXPR`` with some of its options in any order, their values good or bad."""
    parts = [[draw(st.sampled_from(EXPRESSIONS) | st.text(max_size=12))]]
    if draw(st.booleans()):
        parts.append([draw(st.sampled_from(["-i", "--input-shape"])), draw(st.sampled_from(SHAPES))])
    if draw(st.booleans()):
        parts.append([draw(st.sampled_from(["-c", "--convention"])), draw(st.sampled_from(CONVENTIONS))])
    parts.extend([flag] for flag in ("--all-conventions", "--json") if draw(st.booleans()))
    return ["layer", *(token for part in draw(st.permutations(parts)) for token in part)]


@given(argv=plain_layer_argv() | layer_argv())
@example(argv=["layer", "Linear(10, 5)", "-i", "3,10", "-c", "keras", "--all-conventions", "--json"])
@example(argv=["layer", "Linear(10, 5)", "--json", "-i", "3,10"])
@example(argv=["layer", "Linear(10, 5)", "-i", "--json"])
@example(argv=["layer", "Linear(", "-c", "textbook"])
def test_any_layer_query(argv: list[str]) -> None:
    status, out, err = run(*argv)
    assert status in (0, 2), (argv, err)
    if err:
        assert status == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1, (argv, out, err)
    else:
        assert status == 0 and out, argv


# -- Typer's own checks: one line in paramcalc's words, naming the option ----------------------

USAGE_ERRORS = [
    (["preset", "lenet5", "--depth", "x"], "--depth:"),
    (["preset", "lenet5", "--depth", "0"], "--depth:"),
    (["summary", "model.yaml", "-d", "65"], "--depth:"),
    (["memory", "gpt2", "--batch-size", "0"], "--batch-size:"),
    (["memory", "gpt2", "--seq-len", "x"], "--seq-len:"),
    (["memory", "gpt2", "--dtype", "fp8"], "--dtype:"),
    (["memory", "gpt2", "--training", "--optimizer", "lion"], "--optimizer:"),
    (["layer", "Linear(3, 4)", "-c", "caffe"], "--convention:"),
    (["check", "Linear(3, 4)", "--params", "16", "--convention", "caffe"], "--convention:"),
    (["conv2d", "--in-channels", "3", "--out-channels", "8", "--kernel-size", "3", "--padding-mode", "zz"],
     "--padding-mode:"),
    (["lstm", "--input-size", "3", "--hidden-size", "4", "--frobnicate"], "--frobnicate"),
    (["layer", "LSTM(100, 128)", "--convention", "caffe"], "--convention:"),
    (["layer", "LSTM(100, 128)", "--frobnicate"], "--frobnicate"),
]


@pytest.mark.parametrize(("args", "option"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_name_the_option(args: list[str], option: str) -> None:
    status, out, err = run(*args)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and option in err
    assert "Input should" not in err and "Value error" not in err  # no validation library's wording
    assert "Invalid value" not in err and "is not one of" not in err and "not in the range" not in err  # nor Click's


def test_choices_and_ranges_are_read() -> None:
    status, out, _ = run("conv2d", "--in-channels", "3", "--out-channels", "8", "--kernel-size", "3",
                         "--padding-mode", "REFLECT", "--json")
    assert status == 0 and json.loads(out)["layer"]["padding_mode"] == "reflect"  # layer choices: any case
    status, out, _ = run("preset", "lenet5", "--depth", "64", "--convention", "keras", "--json")
    assert status == 0 and json.loads(out)["convention"] == "keras"


@pytest.mark.parametrize("args", [[], ["layer"], ["check"], ["summary"], ["preset"], ["memory"], ["lstm"],
                                  ["conv2d"], ["keras-lstm"]], ids=str)
def test_help_shows_flags_as_flags(args: list[str]) -> None:
    status, out, _ = run(*args, "--help")
    assert status == 0 and out.startswith("Usage: paramcalc")
    assert "<bool>" not in out and "--help" in out and ("--json" in out or not args)


def test_an_invalid_built_in_layer_in_a_torch_print_is_an_error(tmp_path) -> None:
    from typer.testing import CliRunner

    from paramcalc.cli import app

    path = tmp_path / "model.txt"
    path.write_text("Linear(in_features=999999999999999999999999999999, out_features=2, bias=True)\n")
    result = CliRunner().invoke(app, ["summary", str(path), "--from-torch-print"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: torch print: line 1: ") and result.stderr.count("\n") == 1
