"""Checkpoints read from their headers: safetensors files and sharded indexes written by the
safetensors library and by transformers' save_pretrained, and GGUF files written by the gguf library.
Counts are compared with the real model's sum(p.numel() for p in model.parameters()) and with what
the gguf library's own reader says of each tensor."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import require
from paramcalc.cli import app
from paramcalc.errors import ModelError
from paramcalc.readers import detect_format, summarize
from paramcalc.readers.gguf import GGML_TYPES

torch = require("torch")
transformers = require("transformers")
require("safetensors")
gguf = require("gguf")
np = require("numpy")

import safetensors.torch as safetensors_torch  # noqa: E402 - after the check that it is installed

runner = CliRunner()
PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=PLAIN)
    return result.exit_code, result.stdout, result.stderr


def tiny_gpt2() -> object:
    config = transformers.GPT2Config(n_layer=3, n_embd=32, n_head=4, vocab_size=101, n_positions=64)
    torch.manual_seed(0)
    return transformers.GPT2LMHeadModel(config)


def numel(model: object) -> int:
    return sum(p.numel() for p in model.parameters())


def test_a_transformers_checkpoint_counts_as_the_model(tmp_path: Path) -> None:
    model = tiny_gpt2()
    model.save_pretrained(tmp_path, safe_serialization=True)
    path = tmp_path / "model.safetensors"
    assert detect_format(path) == "safetensors"
    summary = summarize(path)
    # the tied lm_head is not stored: the file holds the parameters once, as parameters() yields them
    assert summary.total == numel(model) and summary.exact
    assert summary.source["format"] == "safetensors"
    assert summary.source["tensor_bytes"] == 4 * numel(model)
    # the three blocks hold the same tensors: one row for h.0-2
    assert any(r.name == "0-2" and r.repeat == 3 for r in summary.rows)


def test_a_sharded_checkpoint_reads_every_shard_header(tmp_path: Path) -> None:
    model = tiny_gpt2()
    model.save_pretrained(tmp_path, safe_serialization=True, max_shard_size="20KB")
    index = tmp_path / "model.safetensors.index.json"
    shards = sorted(tmp_path.glob("model-*.safetensors"))
    assert len(shards) > 1 and detect_format(index) == "safetensors-index"
    summary = summarize(index)
    assert summary.total == numel(model)
    assert summary.source["shards"] == [s.name for s in shards]
    shards[-1].unlink()
    with pytest.raises(ModelError, match="not beside the index"):
        summarize(index)


def test_buffers_are_counted_apart(tmp_path: Path) -> None:
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.Linear(8, 2))
    path = tmp_path / "m.safetensors"
    safetensors_torch.save_file(module.state_dict(), path)
    summary = summarize(path)
    assert summary.total == numel(module)
    assert summary.totals.buffers == sum(b.numel() for b in module.buffers())  # running_mean, running_var, count


def test_dtypes_are_totalled_with_their_bytes(tmp_path: Path) -> None:
    tensors = {"a": torch.zeros(3, 5, dtype=torch.bfloat16), "b": torch.zeros(7, dtype=torch.float32),
               "c": torch.zeros(2, 2, dtype=torch.int8)}
    path = tmp_path / "t.safetensors"
    safetensors_torch.save_file(tensors, path)
    by_dtype = summarize(path).source["by_dtype"]
    assert by_dtype == {"BF16": {"tensors": 1, "values": 15, "bytes": 30}, "F32": {"tensors": 1, "values": 7, "bytes": 28},
                        "I8": {"tensors": 1, "values": 4, "bytes": 4}}


def _raw_safetensors(path: Path, header: dict, data: bytes = b"", length: int | None = None) -> Path:
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


@pytest.mark.parametrize(
    ("header", "data", "length", "message"),
    [
        ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, 10**6, "past the end of the file"),
        ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4, None, "truncated"),
        ({"w": {"dtype": "F33", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, None, "unknown dtype 'F33'"),
        ({"w": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 8]}}, b"\0" * 8, None,
         "more than 9,223,372,036,854,775,807 values"),
        ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, None, "takes 12 bytes"),
        ({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8, None, "an integer from 0"),
        ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12, None, "gap or overlap"),
    ],
    ids=["length-past-end", "truncated-data", "unknown-dtype", "overflow", "lying-offsets", "negative", "gap"],
)
def test_a_lying_or_truncated_header_is_one_line(tmp_path: Path, header: dict, data: bytes, length: int | None,
                                                 message: str) -> None:
    path = _raw_safetensors(tmp_path / "bad.safetensors", header, data, length)
    with pytest.raises(ModelError, match=message):
        summarize(path, format="safetensors")
    status, out, err = cli("summary", str(path), "--format", "safetensors")
    assert (status, out) == (2, "") and err.startswith("error: ") and err.count("\n") == 1


def _gguf_file(path: Path) -> Path:
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(2)
    writer.add_name("tiny")
    writer.add_token_list(["a", "bb", "ccc"])
    writer.add_tensor("token_embd.weight", np.zeros((10, 64), dtype=np.float32))
    for i in range(2):
        writer.add_tensor(f"blk.{i}.attn_q.weight", np.zeros((64, 64), dtype=np.float16))
        writer.add_tensor(f"blk.{i}.ffn_up.weight",
                          gguf.quants.quantize(np.zeros((128, 64), dtype=np.float32), gguf.GGMLQuantizationType.Q8_0),
                          raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("output.weight", np.zeros((32, 144), dtype=np.uint8), raw_dtype=gguf.GGMLQuantizationType.Q4_K)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_gguf_file_matches_the_gguf_reader(tmp_path: Path) -> None:
    path = _gguf_file(tmp_path / "tiny.gguf")
    assert detect_format(path) == "gguf"
    summary = summarize(path)
    reader = gguf.GGUFReader(str(path))
    assert summary.total == sum(int(t.n_elements) for t in reader.tensors) == 640 + 2 * (4096 + 8192) + 8192
    by_type: dict[str, list[int]] = {}
    for t in reader.tensors:
        entry = by_type.setdefault(t.tensor_type.name, [0, 0])
        entry[0] += int(t.n_elements)
        entry[1] += int(t.n_bytes)
    assert {k: [v["values"], v["bytes"]] for k, v in summary.source["by_dtype"].items()} == by_type
    assert summary.name == "tiny" and summary.source["metadata"]["llama.block_count"] == 2


def test_ggml_type_sizes_are_the_gguf_librarys() -> None:
    sizes = gguf.constants.GGML_QUANT_SIZES
    for number, (name, block, nbytes) in GGML_TYPES.items():
        kind = gguf.GGMLQuantizationType(number)
        assert (kind.name, *sizes[kind]) == (name, block, nbytes)


def test_a_truncated_gguf_file_is_one_line(tmp_path: Path) -> None:
    path = _gguf_file(tmp_path / "tiny.gguf")
    raw = path.read_bytes()
    for cut in (6, 40, len(raw) - 100):
        bad = tmp_path / f"cut{cut}.gguf"
        bad.write_bytes(raw[:cut])
        status, out, err = cli("summary", str(bad))
        assert (status, out) == (2, "") and err.startswith("error: ") and err.count("\n") == 1, (cut, err)


def test_commands_read_checkpoints(tmp_path: Path) -> None:
    model = tiny_gpt2()
    model.save_pretrained(tmp_path, safe_serialization=True)
    path = str(tmp_path / "model.safetensors")
    status, out, _ = cli("summary", path, "--json")
    data = json.loads(out)
    assert status == 0 and data["totals"]["total"] == numel(model) and data["exact"] is True and data["bound"] is None
    status, out, _ = cli("check", path, "--params", str(numel(model)))
    assert status == 0
    status, out, _ = cli("check", path, "--params", str(numel(model) + 1))
    assert status == 1
    status, out, _ = cli("memory", path, "--dtype", "fp16", "--json")
    assert status == 0 and json.loads(out)["lines"][0]["bytes"] == 2 * numel(model)
