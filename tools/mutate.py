"""Mutation testing: deliberate faults, each applied alone to a scratch copy of the package, with
the tests that should notice it run against that copy. A mutant is killed when those tests fail.

    python tools/mutate.py            # every mutant; prints the score and any survivor, exits 1 if one survives
    python tools/mutate.py --list     # the mutants, one a line
    python tools/mutate.py --only conv-groups,pool-ceil
    python tools/mutate.py --check    # every fault still applies to the source (runs nothing)

The faults sit in the formulas, the validation rules of the specs, the independent reference and
the product's own tensor listing. Each is an exact piece of source and its replacement; a fault
whose source no longer matches stops the run (tests/test_mutate_tool.py runs --check), so the
list follows the code. The tests run with CI=true (a missing framework fails) and derandomized
hypothesis, so a run is repeatable.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The property test of formulas against the reference, for a few layer types (-k expression).
PROPERTY = "tests/test_formulas_vs_reference.py"


@dataclass(frozen=True)
class Mutant:
    """One fault: in ``path``, ``old`` (found exactly once) becomes ``new``; ``tests`` should fail."""

    id: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    why: str


def m(id: str, path: str, old: str, new: str, *tests: str, why: str) -> Mutant:
    return Mutant(id, path, old, new, tests, why)


MUTANTS = [
    # -- formulas ---------------------------------------------------------------------------
    m("linear-bias", "paramcalc/formulas/linear.py", "return in_features * out_features + (out_features if bias else 0)",
      "return in_features * out_features + (in_features if bias else 0)",
      PROPERTY, "-k", "Linear", why="a Linear's bias sized by its inputs"),
    m("conv-groups", "paramcalc/formulas/conv.py", "* (in_channels // groups) *", "* in_channels *",
      PROPERTY, "-k", "Conv2d", why="grouped convolutions counted as dense"),
    m("conv-stride", "paramcalc/formulas/conv.py", "dilation * (kernel_size - 1) - 1) // stride + 1",
      "dilation * (kernel_size - 1)) // stride + 1", PROPERTY, "-k", "Conv1d", why="an off-by-one output length"),
    m("conv-same", "paramcalc/formulas/conv.py", "return total // 2, total - total // 2",
      "return total - total // 2, total - total // 2", PROPERTY, "-k", "Conv1d",
      why="'same' padding split evenly, the odd cell twice"),
    m("pool-ceil", "paramcalc/formulas/pool.py", "if ceil_mode and (out - 1) * stride >= size + padding:",
      "if ceil_mode and (out - 1) * stride > size + padding:", PROPERTY, "-k", "MaxPool1d or AvgPool1d",
      why="ceil_mode's last window allowed to start in the right padding"),
    m("recurrent-bias", "paramcalc/formulas/recurrent.py",
      "per_cell = gates * hidden_size * h_out + (2 * gates * hidden_size if bias else 0)",
      "per_cell = gates * hidden_size * h_out + (gates * hidden_size if bias else 0)", PROPERTY, "-k", "LSTM or GRU or RNN",
      why="one bias per gate (Keras's rule) under torch"),
    m("cell-bias", "paramcalc/formulas/recurrent.py",
      "hidden_size * hidden_size) + (2 * gates * hidden_size if bias else 0)",
      "hidden_size * hidden_size) + (gates * hidden_size if bias else 0)", PROPERTY, "-k", "Cell",
      why="a cell's two biases counted once"),
    m("recurrent-later-layers", "paramcalc/formulas/recurrent.py", "later = gates * hidden_size * directions * h_out",
      "later = gates * hidden_size * h_out", PROPERTY, "-k", "LSTM or GRU",
      why="a deeper bidirectional layer's input taken as one direction"),
    m("mha-bias", "paramcalc/formulas/attention.py", "(4 * embed_dim if bias else 0)", "(3 * embed_dim if bias else 0)",
      PROPERTY, "-k", "MultiheadAttention", why="the output projection's bias left out"),
    m("batchnorm-buffers", "paramcalc/formulas/norm.py",
      "    Formula: 2 · C + 1 when track_running_stats, else 0.\n    \"\"\"\n    return 2 * num_features + 1 if track_running_stats else 0",
      "    Formula: 2 · C + 1 when track_running_stats, else 0.\n    \"\"\"\n    return 2 * num_features if track_running_stats else 0", PROPERTY, "-k", "BatchNorm2d",
      why="num_batches_tracked forgotten"),
    m("groupnorm-bias", "paramcalc/formulas/norm.py", "return 2 * num_channels if bias else num_channels",
      "return 2 * num_channels", PROPERTY, "-k", "GroupNorm", why="GroupNorm's bias=False ignored"),
    m("embedding", "paramcalc/formulas/embedding.py", "return num_embeddings * embedding_dim",
      "return (num_embeddings + 1) * embedding_dim", PROPERTY, "-k", "Embedding", why="a padding row added"),
    m("llama-hidden", "paramcalc/formulas/blocks.py", "multiple_of: int = 256", "multiple_of: int = 64",
      PROPERTY, "-k", "DecoderBlock", why="LLaMA's hidden size rounded to 64"),
    m("gqa-kv", "paramcalc/formulas/blocks.py", "weights = embed_dim * q + 2 * embed_dim * kv + q * embed_dim",
      "weights = embed_dim * q + 2 * embed_dim * q + q * embed_dim", PROPERTY, "-k", "SelfAttention",
      why="grouped-query attention's key/value heads counted as full"),
    m("patch-class-token", "paramcalc/formulas/blocks.py", "conv + (embed_dim if class_token else 0)",
      "conv + (embed_dim if position_embedding else 0)", PROPERTY, "-k", "PatchEmbedding",
      why="the class token tied to the position embedding"),
    m("adaptive-none", "paramcalc/formulas/pool.py", "out = tuple(n if o is None else o for n, o in zip(spatial, output_size))",
      "out = tuple(1 if o is None else o for n, o in zip(spatial, output_size))", PROPERTY, "-k", "AdaptiveAvgPool2d",
      why="a None output size taken as 1"),
    m("bilinear-bias", "paramcalc/formulas/linear.py",
      "return out_features * in1_features * in2_features + (out_features if bias else 0)",
      "return out_features * in1_features * in2_features + (in1_features if bias else 0)", PROPERTY, "-k", "Bilinear",
      why="a Bilinear's bias sized by its first input"),
    m("sparse-conv-bias", "paramcalc/formulas/classic.py",
      "return prod(kernel_size) * sum(len(maps) for maps in table) + (len(table) if bias else 0)",
      "return prod(kernel_size) * sum(len(maps) for maps in table) + (sum(len(maps) for maps in table) if bias else 0)",
      PROPERTY, "-k", "SparseConv2d", why="LeNet-5's C3 with a bias per connection"),
    m("pixel-shuffle", "paramcalc/formulas/pixel_shuffle.py", "return (*lead, c // (r * r), h * r, w * r)",
      "return (*lead, c // r, h * r, w * r)", PROPERTY, "-k", "PixelShuffle", why="channels divided by r, not r²"),
    m("window-effective-kernel", "paramcalc/formulas/window.py", "return dilation * (kernel_size - 1) + 1",
      "return dilation * kernel_size", "tests/test_window.py", why="a dilated filter's span without the −1"),
    m("window-same-split", "paramcalc/formulas/window.py", "return total, total // 2, total - total // 2",
      "return total, total - total // 2, total // 2", "tests/test_window.py",
      why="TensorFlow's extra padding cell put on the left"),
    m("receptive-jump", "paramcalc/formulas/window.py", "        r += (span - 1) * j\n", "        r += span - 1\n",
      "tests/test_window.py", why="the receptive field grown without the jump"),
    m("compute-linear", "paramcalc/formulas/compute.py", "    return rows * in_features * out_features\n",
      "    return rows * (in_features + 1) * out_features\n", "tests/test_compute.py", "tests/test_crosscheck_flops.py",
      why="a Linear's bias counted as a multiply-accumulate"),
    m("compute-conv-groups", "paramcalc/formulas/compute.py",
      "return batch * out_channels * prod(out_spatial) * (in_channels // groups) * prod(kernel_size)",
      "return batch * out_channels * prod(out_spatial) * in_channels * prod(kernel_size)",
      "tests/test_compute.py", "tests/test_crosscheck_flops.py", why="a grouped convolution's MACs counted as dense"),
    m("keras-rnn-bias", "paramcalc/formulas/keras.py",
      "(bias_rows * gates * units if use_bias else 0)", "(2 * gates * units if use_bias else 0)",
      "tests/test_crosscheck_keras.py", "-k", "LSTM or GRU or RNN",
      why="Keras recurrent layers given torch's two biases"),
    m("textbook-conv", "paramcalc/formulas/textbook.py",
      "return (prod(kernel_size) * (in_channels // groups) + (1 if bias else 0)) * out_channels",
      "return (prod(kernel_size) * in_channels + (1 if bias else 0)) * out_channels",
      "tests/test_conventions.py", why="the textbook count of a grouped convolution taken as dense"),
    m("inverse-exact", "paramcalc/formulas/inverse.py", "return Fraction(n + 2 * p - d * (k - 1) - 1, s) + 1",
      "return Fraction(n + 2 * p - d * (k - 1), s) + 1", "tests/test_window.py",
      why="the solver's output size without the −1"),
    # -- validation rules of the specs ------------------------------------------------------
    m("rule-groups-divide-in", "paramcalc/specs/conv.py",
      "if self.in_channels is not None and self.in_channels % self.groups:", "if False:",
      PROPERTY, "-k", "Conv2d or invalid", why="groups need not divide in_channels"),
    m("rule-same-strided", "paramcalc/specs/conv.py", "if self.padding == \"same\" and any(s != 1 for s in self.stride):",
      "if False:", PROPERTY, "-k", "Conv1d or invalid", why="padding='same' with a stride"),
    m("rule-output-padding", "paramcalc/specs/conv.py", "if op >= s and op >= d:", "if op > s and op > d:",
      PROPERTY, "-k", "ConvTranspose1d or invalid", why="output_padding equal to the stride"),
    m("rule-pool-padding", "paramcalc/specs/pool.py", "if p > k // 2:", "if p > k:", PROPERTY, "-k", "MaxPool2d or invalid",
      why="pooling padding up to the whole kernel"),
    m("rule-proj-size", "paramcalc/specs/recurrent.py", "if self.proj_size >= self.hidden_size:",
      "if self.proj_size > self.hidden_size:", PROPERTY, "-k", "LSTM or invalid", why="proj_size equal to hidden_size"),
    m("rule-mha-heads", "paramcalc/specs/attention.py",
      "raise self._fail(\"embed_dim must be divisible by num_heads\"", "pass  # (\"embed_dim must be divisible by num_heads\"",
      PROPERTY, "-k", "MultiheadAttention or invalid", why="embed_dim not divisible by num_heads"),
    m("rule-padding-idx", "paramcalc/specs/linear.py",
      "if self.padding_idx is not None and not -self.num_embeddings <= self.padding_idx < self.num_embeddings:",
      "if self.padding_idx is not None and not -self.num_embeddings <= self.padding_idx <= self.num_embeddings:",
      PROPERTY, "-k", "Embedding or invalid", why="padding_idx one past the table"),
    m("rule-kv-heads", "paramcalc/specs/blocks/decoder.py",
      "if self.num_kv_heads is not None and self.nhead % self.num_kv_heads:", "if False:",
      PROPERTY, "-k", "DecoderBlock or invalid", why="nhead not a multiple of num_kv_heads"),
    m("rule-patch-divides", "paramcalc/specs/blocks/vision.py", "            if i % p:\n", "            if False:\n",
      PROPERTY, "-k", "PatchEmbedding or invalid", why="a patch size not dividing the image"),
    # -- the independent reference ----------------------------------------------------------
    m("ref-windows-ceil", "paramcalc/reference/windows.py", "elif ceil_mode and overhang < s and start < n + p:",
      "elif ceil_mode and overhang < s:", PROPERTY, "-k", "MaxPool1d or AvgPool1d",
      why="the reference's ceil_mode window may start in the right padding"),
    m("ref-scatter", "paramcalc/reference/windows.py", "return touched - 2 * p + op", "return touched - p + op",
      PROPERTY, "-k", "ConvTranspose1d", why="a transposed convolution cropped on one side"),
    m("ref-recurrent-input", "paramcalc/reference/torch_nn.py",
      "n_in = spec.input_size if layer == 0 else h_out * len(directions)", "n_in = spec.input_size",
      PROPERTY, "-k", "LSTM or GRU or RNN", why="every layer reads the input size"),
    m("ref-llama-rule", "paramcalc/reference/blocks.py", "return multiple_of * ((hidden + multiple_of - 1) // multiple_of)",
      "return multiple_of * (hidden // multiple_of)", PROPERTY, "-k", "DecoderBlock",
      why="the reference rounds LLaMA's hidden size down"),
    m("ref-rule-groups", "paramcalc/reference/refusals.py", "        if getattr(a, name) % a.groups:\n",
      "        if False:\n", PROPERTY, "-k", "Conv2d or invalid", why="the reference lets groups not divide the channels"),
    m("ref-pool-stride-default", "paramcalc/reference/windows.py", "stride = spec.stride or spec.kernel_size",
      "stride = spec.stride or (1,) * nd", PROPERTY, "-k", "MaxPool2d", why="pooling's stride defaults to 1"),
    m("ref-default-bias", "paramcalc/reference/arguments.py",
      "\"Linear\": {\"in_features\": (REQUIRED, SIZE), \"out_features\": (REQUIRED, SIZE), \"bias\": (True, FLAG)},",
      "\"Linear\": {\"in_features\": (REQUIRED, SIZE), \"out_features\": (REQUIRED, SIZE), \"bias\": (False, FLAG)},",
      PROPERTY, "-k", "Linear", why="the reference's own default for bias"),
    # -- the product's tensor listing ------------------------------------------------------
    m("tensors-q-proj", "paramcalc/specs/torch_tensors.py", "linear(f\"{prefix}q_proj.\"", "linear(f\"{prefix}query_proj.\"",
      PROPERTY, "-k", "SelfAttention", why="a Hugging Face attention's query projection renamed"),
    m("tensors-rnn-order", "paramcalc/specs/recurrent.py",
      "out.append(tt.weight(f\"bias_ih_l{layer}{sfx}\"", "out.insert(0, tt.weight(f\"bias_ih_l{layer}{sfx}\"",
      PROPERTY, "-k", "GRU", why="state_dict order broken"),
]


def apply(root: Path, mutant: Mutant) -> None:
    """Put the fault into the copy at ``root``."""
    path = root / mutant.path
    text = path.read_text(encoding="utf-8")
    if text.count(mutant.old) != 1:
        raise SystemExit(f"{mutant.id}: the source to change occurs {text.count(mutant.old)} times in {mutant.path}, not once")
    path.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")


def scratch_copy(into: Path) -> Path:
    root = into / "tree"
    for part in ("paramcalc", "tests"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, root / name)
    return root


def run(mutant: Mutant, workdir: Path) -> tuple[bool, float]:
    """(killed, seconds): apply the fault to a fresh copy and run its tests there. Killed means a
    test failed (pytest's exit status 1); any other failure of the run stops the tool."""
    root = scratch_copy(workdir)
    try:
        apply(root, mutant)
        env = {**os.environ, "PYTHONPATH": str(root), "CI": "true", "KERAS_BACKEND": "torch"}
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *mutant.tests],
            cwd=root, env=env, capture_output=True, text=True,
        )
        if done.returncode not in (0, 1):  # not a test failure: a broken copy, a usage error, no test run
            raise SystemExit(f"{mutant.id}: pytest exited {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.returncode == 1, time.monotonic() - start
    finally:
        shutil.rmtree(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--only", help="comma-separated mutant ids to run")
    parser.add_argument("--check", action="store_true", help="check that every fault still applies, run nothing")
    args = parser.parse_args(argv)
    chosen = MUTANTS
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {x.id for x in MUTANTS}
        if unknown:
            parser.error(f"unknown mutant ids: {', '.join(sorted(unknown))}")
        chosen = [x for x in MUTANTS if x.id in wanted]
    if args.check:
        stale = [f"{x.id}: the source to change occurs {n} times in {x.path}, not once" for x in chosen
                 if (n := (ROOT / x.path).read_text(encoding="utf-8").count(x.old)) != 1]
        print("\n".join(stale) if stale else f"{len(chosen)} mutants apply")
        return 1 if stale else 0
    if args.list:
        for x in chosen:
            print(f"{x.id:26} {x.path:38} {x.why}")
        return 0
    survivors = []
    with tempfile.TemporaryDirectory(prefix="paramcalc-mutants-") as tmp:
        for x in chosen:
            killed, seconds = run(x, Path(tmp))
            print(f"{'killed ' if killed else 'SURVIVED'} {x.id:26} {seconds:6.1f}s  {x.why}", flush=True)
            if not killed:
                survivors.append(x)
    print(f"score: {len(chosen) - len(survivors)}/{len(chosen)} killed")
    for x in survivors:
        print(f"survivor: {x.id} ({x.path}): {x.why}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
