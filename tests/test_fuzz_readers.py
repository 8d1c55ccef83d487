"""Hostile checkpoints and configurations: every cut and every flipped byte of a valid safetensors,
GGUF and .keras file, and random JSON values in a config.json, give a summary or one ModelError,
never another exception, a hang, or a count that is not the file's."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require
from paramcalc.errors import ModelError
from paramcalc.readers import summarize

gguf = require("gguf")
np = require("numpy")


def _safetensors(path: Path) -> bytes:
    header = {"__metadata__": {"format": "pt"},
              "a.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
              "b.bias": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]}}
    raw = json.dumps(header).encode()
    data = struct.pack("<Q", len(raw)) + raw + bytes(32)
    path.write_bytes(data)
    return data


def _gguf(path: Path) -> bytes:
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_token_list(["a", "b"])
    writer.add_tensor("blk.0.w", np.zeros((4, 32), dtype=np.float16))
    writer.add_tensor("out", np.zeros((2, 34), dtype=np.uint8), raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("valid")
    return {"safetensors": _safetensors(folder / "v.safetensors"), "gguf": _gguf(folder / "v.gguf")}


def _read(path: Path, fmt: str) -> None:
    try:
        summary = summarize(path, format=fmt)
    except ModelError as exc:
        assert "\n" not in str(exc)
        return
    assert summary.total == summary.totals.total and summary.exact


@pytest.mark.parametrize("fmt", ["safetensors", "gguf"])
def test_every_cut_is_a_summary_or_one_error(tmp_path: Path, files: dict[str, bytes], fmt: str) -> None:
    data = files[fmt]
    path = tmp_path / f"cut.{fmt}"
    for cut in range(0, len(data), max(1, len(data) // 400)):
        path.write_bytes(data[:cut])
        if fmt == "gguf" and cut >= len(data) - 32:  # only the padding after the last tensor is cut: still whole
            _read(path, fmt)
            continue
        with pytest.raises(ModelError):
            summarize(path, format=fmt)


@settings(max_examples=100)
@given(fmt=st.sampled_from(["safetensors", "gguf"]), data=st.data())
def test_flipped_bytes_are_a_summary_or_one_error(tmp_path_factory: pytest.TempPathFactory, fmt: str,
                                                   data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("flip")
    valid = _safetensors(folder / "v") if fmt == "safetensors" else _gguf(folder / "v")
    raw = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    path = folder / f"f.{fmt}"
    path.write_bytes(bytes(raw))
    _read(path, fmt)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=8)
KEYS = ["hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
        "vocab_size", "head_dim", "tie_word_embeddings", "architectures", "rms_norm_eps", "num_local_experts"]


@settings(max_examples=150)
@given(model_type=st.sampled_from(["llama", "mixtral", "gpt2", "bert", "t5", "whisper", "vit", "nope", 3]),
       values=st.dictionaries(st.sampled_from(KEYS), JSON, max_size=4))
def test_random_config_values_are_a_summary_or_one_error(tmp_path_factory: pytest.TempPathFactory, model_type: object,
                                                         values: dict) -> None:
    small = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8,
             "vocab_size": 10, "d_model": 16, "num_layers": 1, "num_heads": 2, "d_ff": 8, "n_embd": 16, "n_layer": 1,
             "n_head": 2, "n_positions": 8, "max_position_embeddings": 8, "d_kv": 8, "encoder_layers": 1,
             "decoder_layers": 1, "max_source_positions": 4, "max_target_positions": 4, "num_mel_bins": 4,
             "image_size": 8, "patch_size": 4, "encoder_ffn_dim": 8, "decoder_ffn_dim": 8, "num_local_experts": 2,
             "num_experts_per_tok": 1}
    path = tmp_path_factory.mktemp("cfg") / "config.json"
    path.write_text(json.dumps({"model_type": model_type, **small, **values}, allow_nan=True))
    try:
        summary = summarize(path, input_shape=None)
    except ModelError as exc:
        assert "\n" not in str(exc)
        return
    assert summary.total > 0 and summary.exact


def test_a_keras_archive_that_is_not_a_zip_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "m.keras"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ModelError, match="not a readable .keras archive"):
        summarize(path)
