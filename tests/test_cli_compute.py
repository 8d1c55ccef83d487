"""``paramcalc memory``: outputs (golden files), JSON with exact bytes, exit statuses, errors.

Golden files live in tests/golden/ and are rewritten only with ``pytest --update-golden``.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from paramcalc.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_memory_llama2_7b_fp16(golden) -> None:
    # weights 2 × 6,738,415,616 = 13,476,831,232 bytes; KV cache 524,288 bytes per token × 4,096
    status, out, err = run("memory", "llama2-7b", "--dtype", "fp16")
    assert status == 0 and err == ""
    assert "13,476,831,232" in out and "12.55 GiB" in out and "2,147,483,648" in out
    golden("memory_llama2_7b_fp16.txt", out)


def test_memory_training_gpt2(golden) -> None:
    status, out, err = run("memory", "gpt2", "--training", "--dtype", "bf16", "--optimizer", "adamw", "-b", "8")
    assert status == 0 and err == ""
    assert "fp32 master weights" in out and "KV cache" not in out
    golden("memory_gpt2_training_bf16.txt", out)


def test_memory_json_has_exact_bytes() -> None:
    status, out, err = run("memory", "llama2-7b", "--dtype", "fp16", "--seq-len", "1", "--json")
    assert status == 0 and err == ""
    data = json.loads(out)
    lines = {line["name"]: line for line in data["lines"]}
    assert lines["parameters"]["bytes"] == 13_476_831_232
    assert lines["KV cache"]["bytes"] == 524_288
    assert data["total_bytes"] == sum(line["bytes"] for line in data["lines"])
    assert data["model"] == "LLaMA-2-7B" and data["seq_len"] == 1


def test_memory_of_a_model_file(tmp_path) -> None:
    path = tmp_path / "mlp.yaml"
    path.write_text("name: mlp\ninput_shape: [4, 100]\nlayers:\n  - Linear(100, 10)\n", encoding="utf-8")
    status, out, _ = run("memory", str(path), "--training", "--optimizer", "sgd", "--momentum", "--json")
    assert status == 0
    lines = {line["name"]: line["bytes"] for line in json.loads(out)["lines"]}
    # 1,010 parameters: weights, gradients and momentum 4 bytes each; the Linear keeps its 4·100
    # input values for the weight gradient (torch's addmm saves its input; tests/test_activations_torch.py)
    assert lines == {
        "parameters": 4_040, "gradients": 4_040, "optimizer: SGD momentum": 4_040,
        "activations: kept for backward": 4 * 400,
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (["memory", "llama2-7"], "unknown preset 'llama2-7'. Did you mean llama2-7b?"),
        (["memory", "resnet50", "--seq-len", "3"], "--seq-len needs a sequence input"),
        (["memory", "resnet50", "--training", "--dtype", "int8"], "training needs a floating-point dtype"),
        (["memory", "missing.yaml"], "missing.yaml"),
    ],
)
def test_memory_errors_are_one_line(args, message) -> None:
    status, out, err = run(*args)
    assert status == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_memory_bad_dtype_is_a_usage_error() -> None:
    status, _, _ = run("memory", "gpt2", "--dtype", "fp8")
    assert status == 2


def test_layer_query_shows_macs_and_json_has_compute() -> None:
    status, out, _ = run("layer", "LSTM(100, 128, num_layers=2)", "--input-shape", "50,32,100")
    assert status == 0
    assert "MACs        396,492,800" in out and "hidden-to-hidden W_hh·h" in out
    assert "training step ≈ 3 × forward FLOPs = 2,399,846,400" in out
    status, out, _ = run("layer", "LSTM(100, 128, num_layers=2)", "--input-shape", "50,32,100", "--json")
    compute = json.loads(out)["compute"]
    assert compute["macs"] == 396_492_800 and compute["flops"] == 799_948_800
    assert sum(op["flops"] for op in compute["ops"]) == compute["flops"]
    # without an input shape there is nothing to count
    status, out, _ = run("layer", "LSTM(100, 128)", "--json")
    assert json.loads(out)["compute"] is None


def test_summary_has_a_macs_column_and_totals() -> None:
    status, out, _ = run("preset", "vit-b16", "--depth", "1")
    assert status == 0
    assert "MACs" in out and "17.56G" in out and "17,563,828,224" in out and "3 × forward" in out
    status, out, _ = run("preset", "gpt2", "--json")
    data = json.loads(out)
    assert data["compute"]["macs"] == 145_824_153_600
    assert data["compute"]["six_n_d"]["tokens"] == 1024
    top = [r for r in data["rows"] if r["depth"] == 1]
    assert sum(r["flops"] for r in top) == data["compute"]["flops"]


def test_every_memory_help_example_runs() -> None:
    import shlex

    result = runner.invoke(app, ["memory", "--help"], env={"COLUMNS": "400", "NO_COLOR": "1"})
    examples = [shlex.split(line.strip())[1:] for line in result.stdout.splitlines()
                if line.strip().startswith("paramcalc ")]
    assert len(examples) >= 4
    for example in examples:
        status, _, err = run(*example)
        assert status == 0, (example, err)


def test_optimizer_without_training_is_an_error() -> None:
    from typer.testing import CliRunner

    from paramcalc.cli import app

    result = CliRunner().invoke(app, ["memory", "gpt2", "--optimizer", "adam"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --optimizer and --momentum describe training: add --training (inference keeps no optimizer state)\n"
    )
