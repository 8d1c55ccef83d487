"""Reading a 7B model's config.json or safetensors index against building the model with transformers.

Run: ``python benchmarks/readers.py [--runs 5]``. Four commands, each started as a fresh process
``--runs`` times in rounds, median wall time reported:

- ``paramcalc summary config.json --json`` (Llama-2-7B's config) and ``paramcalc summary
  model.safetensors.index.json --json`` (two shards whose headers are those of a 7B checkpoint; the
  data is a sparse file, so the disk holds only the headers);
- what one does without paramcalc: ``import torch, transformers``, build ``LlamaForCausalLM`` from
  the config on the meta device and sum ``p.numel()`` (no weights are allocated), and the same
  with safetensors' own header reader over the shards.

All four must print 6,738,415,616 parameters; the ratios are printed. Nothing here is a test: the
figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent
LLAMA2_7B = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008,
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32, "vocab_size": 32000,
    "max_position_embeddings": 4096, "rms_norm_eps": 1e-05, "tie_word_embeddings": False, "torch_dtype": "float16",
}
EXPECTED = 6_738_415_616

META_BUILD = """
import json, sys, torch, transformers
config = transformers.AutoConfig.from_pretrained(sys.argv[1])
with torch.device("meta"):
    model = transformers.AutoModelForCausalLM.from_config(config)
print(sum(p.numel() for p in model.parameters()))
"""

SAFE_OPEN = """
import json, sys, pathlib
from safetensors import safe_open
index = pathlib.Path(sys.argv[1])
total = 0
for shard in sorted(set(json.loads(index.read_text())["weight_map"].values())):
    with safe_open(str(index.parent / shard), "pt") as f:
        for name in f.keys():
            n = 1
            for d in f.get_slice(name).get_shape():
                n *= d
            total += n
print(total)
"""


def llama_tensors() -> list[tuple[str, list[int]]]:
    """Every tensor name and shape of Llama-2-7B's checkpoint."""
    d, ff, vocab = 4096, 11008, 32000
    out = [("model.embed_tokens.weight", [vocab, d])]
    for i in range(32):
        p = f"model.layers.{i}"
        out += [(f"{p}.self_attn.{x}_proj.weight", [d, d]) for x in "qkvo"]
        out += [(f"{p}.mlp.gate_proj.weight", [ff, d]), (f"{p}.mlp.up_proj.weight", [ff, d]),
                (f"{p}.mlp.down_proj.weight", [d, ff]), (f"{p}.input_layernorm.weight", [d]),
                (f"{p}.post_attention_layernorm.weight", [d])]
    return out + [("model.norm.weight", [d]), ("lm_head.weight", [vocab, d])]


def write_checkpoint(folder: Path) -> Path:
    """A sharded fp16 checkpoint of Llama-2-7B's shapes: real headers, sparse (unwritten) data."""
    tensors = llama_tensors()
    shards = [tensors[: len(tensors) // 2], tensors[len(tensors) // 2:]]
    weight_map = {}
    for i, part in enumerate(shards, 1):
        name = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
        header, offset = {}, 0
        for tensor, shape in part:
            size = 2
            for dim in shape:
                size *= dim
            header[tensor] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + size]}
            offset += size
            weight_map[tensor] = name
        raw = json.dumps(header).encode()
        path = folder / name
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(raw)) + raw)
        os.truncate(path, 8 + len(raw) + offset)  # the data: a hole, never written
    index = folder / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": 2 * EXPECTED}, "weight_map": weight_map}))
    (folder / "config.json").write_text(json.dumps(LLAMA2_7B))
    return index


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        index = write_checkpoint(folder)
        config = folder / "config.json"
        cases = {
            "paramcalc summary config.json --json": [PY, "-m", "paramcalc", "summary", str(config), "--json"],
            "transformers: build on the meta device": [PY, "-c", META_BUILD, str(folder)],
            "paramcalc summary model.safetensors.index.json --json": [PY, "-m", "paramcalc", "summary", str(index),
                                                                      "--json"],
            "safetensors: safe_open each shard": [PY, "-c", SAFE_OPEN, str(index)],
        }
        times: dict[str, list[float]] = {label: [] for label in cases}
        for _ in range(runs):
            for label, cmd in cases.items():
                elapsed, out = run(cmd, env)
                total = json.loads(out)["totals"]["total"] if out.lstrip().startswith("{") else int(out.split()[-1])
                if total != EXPECTED:
                    raise SystemExit(f"{label}: {total:,} parameters, expected {EXPECTED:,}")
                times[label].append(elapsed)
    medians = {label: statistics.median(t) for label, t in times.items()}
    print(f"median of {runs} runs, each a fresh process; every one counts {EXPECTED:,} parameters")
    for label, seconds in medians.items():
        print(f"  {seconds * 1000:8.0f} ms  {label}")
    config_ratio = medians["transformers: build on the meta device"] / medians["paramcalc summary config.json --json"]
    index_ratio = medians["transformers: build on the meta device"] / medians[
        "paramcalc summary model.safetensors.index.json --json"]
    print(f"config.json: {config_ratio:.1f}× faster than building on the meta device")
    print(f"safetensors index: {index_ratio:.1f}× faster than building on the meta device")


if __name__ == "__main__":
    main()
