"""Mutation testing: deliberate faults, each applied alone to a scratch copy of the package, with
the tests that should notice it run against that copy. A mutant is killed when those tests fail.

    python tools/mutate.py            # every mutant; prints the score and any survivor, exits 1 if one survives
    python tools/mutate.py --list     # the mutants, one a line
    python tools/mutate.py --only conv-groups,pool-ceil
    python tools/mutate.py --check    # every fault still applies to the source (runs nothing)

The faults sit in the formulas (at least one in every module; tests/test_mutate_tool.py checks
it), the validation rules of the specs (PyTorch and Keras), the rules of model files (merges, the
wording of their mistakes), the independent reference (every module) and the product's own tensor
listing. Each is an exact piece of source and its replacement; a fault
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
#: The torch layers against torch itself: sampled configurations and named edge cases.
TORCH = "tests/test_crosscheck_torch.py"
#: The Keras layers: the property test against the Keras reference, the known values, the cross-check with Keras.
KERAS = ("tests/test_keras_vs_reference.py", "tests/test_keras_known_values.py", "tests/test_keras_layers.py",
         "tests/test_crosscheck_keras_layers.py", "tests/test_crosscheck_keras.py")
#: Model files: their shape rules (merges, residual adds) and how their mistakes are reported.
MODEL = ("tests/test_model.py", "tests/test_model_graph.py")


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
    m("shape-extra-batch", "paramcalc/formulas/_shape.py",
      "    if len(shape) == core_rank + 1:\n        return (shape[0],), tuple(shape[1:])",
      "    if len(shape) >= core_rank + 1:\n        return tuple(shape[:-core_rank]), tuple(shape[-core_rank:])",
      PROPERTY, "-k", "Conv2d or MaxPool1d", why="any number of batch dimensions taken, as a Linear takes them"),
    m("prelu-channels-last", "paramcalc/formulas/activation.py", "channels = x[1] if len(x) >= 2 else 1",
      "channels = x[-1]", PROPERTY, "-k", "PReLU", why="PReLU's slopes read along the last dimension"),
    m("closed-lstm-bias", "paramcalc/formulas/closed_forms.py", "biases = 2 if convention == \"pytorch\" else 1",
      "biases = 1", "tests/test_closed_forms.py", why="the closed form of a torch LSTM with one bias per gate"),
    m("closed-decoder-norms", "paramcalc/formulas/closed_forms.py", "*_norms(convention, 3)]", "*_norms(convention, 2)]",
      "tests/test_closed_forms.py", why="a decoder layer's third LayerNorm forgotten"),
    m("closed-keras-bn", "paramcalc/formulas/closed_forms.py",
      "moving mean and variance (4·o, 2·o non-trainable)\", 4 * o))",
      "moving mean and variance (4·o, 2·o non-trainable)\", 2 * o))", "tests/test_closed_forms.py",
      why="Keras's BatchNormalization without its moving statistics"),
    m("polynomial-powers", "paramcalc/formulas/polynomial.py", "powers[s] = powers.get(s, 0) + p", "powers[s] = p",
      "tests/test_closed_forms.py", why="d·d taken as d: powers not added"),
    m("polynomial-subtract", "paramcalc/formulas/polynomial.py", "return self + -Polynomial.of(other)",
      "return self + Polynomial.of(other)", "tests/test_closed_forms.py", why="a difference of polynomials added"),
    m("keras-crop-empty", "paramcalc/formulas/keras_reshaping.py", "    if out < 1:\n", "    if out < 0:\n",
      *KERAS, why="Keras's cropping allowed to leave nothing"),
    m("keras-reshape-divides", "paramcalc/formulas/keras_reshaping.py", "if known == 0 or size % known:",
      "if known == 0:", *KERAS, why="Reshape's -1 taken by floor division when it does not divide"),
    m("keras-repeat-order", "paramcalc/formulas/keras_reshaping.py", "return (input_shape[0], n, input_shape[1])",
      "return (input_shape[0], input_shape[1], n)", *KERAS, why="RepeatVector's repeats put last"),
    m("merge-broadcast", "paramcalc/formulas/merge.py", "            elif b == 1 or a == b:\n",
      "            elif True:\n", *KERAS, why="an element-wise merge of incompatible shapes accepted"),
    m("merge-concat-axes", "paramcalc/formulas/merge.py", "            elif shape[d] != shapes[first][d]:\n",
      "            elif False:\n", *KERAS, why="a concatenation of inputs that differ off its axis accepted"),
    m("merge-dot-scalar", "paramcalc/formulas/merge.py", "return out if len(out) > 1 else (*out, 1)",
      "return out", *KERAS, why="Dot of two vectors gives (batch,), not (batch, 1)"),
    m("pad-reflect-edge", "paramcalc/formulas/padding.py",
      "if mode == \"reflect\" and (before >= size or after >= size):",
      "if mode == \"reflect\" and (before > size or after > size):", PROPERTY, "-k", "ReflectionPad",
      why="reflect padding as wide as the input (the edge value repeated)"),
    m("pad-pairs-order", "paramcalc/formulas/padding.py",
      "return [(padding[i], padding[i + 1]) for i in range(0, len(padding), 2)]",
      "return [(padding[i], padding[i + 1]) for i in reversed(range(0, len(padding), 2))]",
      PROPERTY, "-k", "ZeroPad2d or ConstantPad3d or ReplicationPad2d", why="the first padding pair put on the first dimension"),
    m("pad-circular-once", "paramcalc/formulas/padding.py", "        if before > size or after > size:\n",
      "        if before > 2 * size or after > 2 * size:\n", PROPERTY, "-k", "CircularPad",
      why="circular padding allowed to wrap twice"),
    m("unflatten-dim-range", "paramcalc/formulas/reshape.py", "if not -rank <= dim < rank:",
      "if not -rank <= dim <= rank:", PROPERTY, "-k", "Unflatten", why="Unflatten's dim one past the last"),
    m("unflatten-divides", "paramcalc/formulas/reshape.py", "if known == 0 or n % known:", "if known == 0:",
      PROPERTY, TORCH, "-k", "Unflatten", why="Unflatten's -1 taken by floor division when it does not divide"),
    m("transformer-decoder-norms", "paramcalc/formulas/transformer.py", "+ 3 * layernorm_params(",
      "+ 2 * layernorm_params(", PROPERTY, "-k", "TransformerDecoderLayer", why="a decoder layer's norm3 forgotten"),
    m("transformer-ffn-bias", "paramcalc/formulas/transformer.py",
      "in_features=dim_feedforward, out_features=d_model, bias=bias", "in_features=dim_feedforward, out_features=d_model, bias=False",
      PROPERTY, "-k", "TransformerEncoderLayer", why="linear2's bias forgotten"),
    m("transformer-width-check", "paramcalc/formulas/transformer.py", "    if input_shape[-1] != d_model:\n",
      "    if input_shape[0] != d_model and False:\n", PROPERTY, TORCH, "-k", "TransformerEncoderLayer or wrong-width",
      why="an input of another width than d_model accepted"),
    m("mha-kdim", "paramcalc/formulas/attention.py", "weights = embed_dim * (embed_dim + kdim + vdim) + embed_dim * embed_dim",
      "weights = embed_dim * (embed_dim + kdim + kdim) + embed_dim * embed_dim", PROPERTY, "-k", "MultiheadAttention",
      why="the value projection sized by kdim"),
    m("mha-extra-keys", "paramcalc/formulas/attention.py", "source = key_shape[seq_axis] + int(add_bias_kv) + int(add_zero_attn)",
      "source = key_shape[seq_axis] + int(add_bias_kv)", PROPERTY, "-k", "MultiheadAttention",
      why="add_zero_attn's extra key left out of the weights' shape"),
    m("embedding-empty-table", "paramcalc/formulas/embedding.py", "if num_embeddings == 0 and prod(input_shape) > 0:",
      "if False:", PROPERTY, "-k", "Embedding", why="a lookup in an empty table accepted"),
    m("keras-gru-reset-after", "paramcalc/formulas/keras.py", "bias_rows=2 if reset_after else 1)", "bias_rows=1)",
      *KERAS, why="Keras's GRU with reset_after=True given one bias row"),
    m("keras-separable-bias", "paramcalc/formulas/keras.py",
      "return prod(kernel_size) * channels * depth_multiplier + channels * depth_multiplier * filters + (\n        filters if use_bias else 0)",
      "return prod(kernel_size) * channels * depth_multiplier + channels * depth_multiplier * filters + (\n        channels * depth_multiplier if use_bias else 0)",
      *KERAS, why="a separable convolution's bias sized by the depthwise output"),
    m("keras-transpose-same", "paramcalc/formulas/keras.py", "    return (size - 1) * stride + effective % 2 + output_padding",
      "    return (size - 1) * stride + effective // 2 + output_padding", *KERAS,
      why="a 'same' transposed convolution with output_padding cropped by half the kernel"),
    m("keras-pool-valid", "paramcalc/formulas/keras.py", "        out = (size - pool_size) // stride + 1",
      "        out = (size - pool_size + 1) // stride + 1", *KERAS, why="an off-by-one 'valid' pooling length"),
    m("compute-adaptive-overlap", "paramcalc/formulas/compute.py", "return in_size + out_size - gcd(in_size, out_size)",
      "return in_size", "tests/test_compute.py", "tests/test_crosscheck_flops.py",
      why="adaptive pooling's overlapping windows counted once"),
    m("compute-attention-extra-keys", "paramcalc/formulas/compute.py", "    keys = source + extra_keys\n",
      "    keys = source\n", "tests/test_compute.py", "tests/test_crosscheck_flops.py",
      why="attention's products without add_bias_kv's and add_zero_attn's keys"),
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
    m("rule-keras-strides-dilation", "paramcalc/specs/keras/conv.py",
      "        if max(self.strides) > 1 and max(self.dilation_rate) > 1:\n", "        if False:\n", *KERAS,
      why="a Keras convolution with both strides and dilation"),
    m("rule-keras-filters-groups", "paramcalc/specs/keras/conv.py", "        if self.filters % self.groups:\n",
      "        if False:\n", *KERAS, why="Keras filters not divisible by groups"),
    m("rule-keras-output-padding", "paramcalc/specs/keras/conv.py", "                if op_ >= s:\n",
      "                if op_ > s:\n", *KERAS, why="a Keras output_padding equal to the stride"),
    m("rule-keras-gqa-heads", "paramcalc/specs/keras/attention.py",
      "        if self.num_query_heads % self.num_key_value_heads:\n", "        if False:\n", *KERAS,
      why="query heads not a multiple of the key/value heads"),
    m("rule-keras-channels-groups", "paramcalc/specs/keras/conv.py", "        if channels % groups:\n",
      "        if False:\n", *KERAS, why="input channels not divisible by a Keras convolution's groups"),
m("rule-keras-group-norm-divides", "paramcalc/specs/keras/norm.py", "        if channels % groups:\n",
      "        if False:\n", *KERAS, why="GroupNormalization's channels not divisible by groups"),
    m("rule-keras-norm-axis-twice", "paramcalc/specs/keras/norm.py", "        if len(set(resolved)) != len(resolved):\n",
      "        if False:\n", *KERAS, why="a normalization over the same axis named twice"),
    m("rule-keras-negative-padding", "paramcalc/specs/keras/reshaping.py",
      "        if any(v < 0 for p in value for v in p):\n            raise ValueError(f\"padding must be >= 0",
      "        if False:\n            raise ValueError(f\"padding must be >= 0", *KERAS,
      why="ZeroPadding with a negative padding"),
    m("rule-keras-permute-dims", "paramcalc/specs/keras/reshaping.py",
      "if sorted(value) != list(range(1, len(value) + 1)):", "if len(set(value)) != len(value):", *KERAS,
      why="Permute's dims counted from 0, the batch axis moved"),
    m("rule-keras-bidirectional-backwards", "paramcalc/specs/keras/recurrent.py",
      "if isinstance(value, (SimpleRNN, LSTM, GRU)) and value.go_backwards:", "if False:", *KERAS,
      why="Bidirectional around a layer that already runs backwards"),
    m("model-merge-broadcast", "paramcalc/models/merges.py", "                if a != b and 1 not in (a, b):\n",
      "                if a != b and 1 not in (a, b) and False:\n", *MODEL,
      why="a merge entry of incompatible shapes accepted"),
    m("model-concat-axis", "paramcalc/models/evaluate.py", "return self.channel_axis if axis is None else axis",
      "return -1 if axis is None else axis", *MODEL, why="a torch file's concat entry joining on the last axis by default"),
    m("model-concat-others", "paramcalc/models/merges.py",
      "            if i != position and a != b and a is not None and b is not None:\n", "            if False:\n",
      *MODEL, why="a concatenation of outputs that differ off its axis accepted"),
    m("model-residual-broadcast", "paramcalc/models/merges.py", "        if len(dims) > 1:\n", "        if len(dims) > 2:\n",
      *MODEL, why="a residual add of three different sizes accepted"),
    m("validation-unknown-first", "paramcalc/models/validation.py",
      "return dict(min(unknown, key=lambda e: len(e[\"loc\"])) if unknown else errors[0])", "return dict(errors[0])",
      "tests/test_output.py::test_a_misspelt_key_gets_a_suggestion", *MODEL, "tests/test_sheet.py",
      why="a misspelt key reported as the key it leaves missing"),
    m("validation-rule-text", "paramcalc/models/validation.py",
      "\"too_short\": lambda ctx: f\"must have at least {_entries(ctx.get('min_length'))}\",",
      "\"too_short\": lambda ctx: f\"must have at most {_entries(ctx.get('min_length'))}\",",
      *MODEL, "tests/test_sheet.py", why="a list too short reported as too long"),
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
    m("ref-subsampling-stride", "paramcalc/reference/classic.py",
      "_windows(spec, x, spec.channels, spec.kernel_size, spec.kernel_size)", "_windows(spec, x, spec.channels, spec.kernel_size, (1, 1))",
      PROPERTY, "-k", "Subsampling2d", why="the reference slides LeNet's subsampling by one"),
    m("ref-sparse-bias", "paramcalc/reference/classic.py", "        if spec.bias:\n", "        if True:\n",
      PROPERTY, "-k", "SparseConv2d", why="the reference's sparse convolution always has biases"),
    m("ref-prelu-channels", "paramcalc/reference/elementwise.py", "channels = 1 if len(x) == 1 else x[1]",
      "channels = x[-1]", PROPERTY, "-k", "PReLU", why="the reference reads PReLU's channels last"),
    m("ref-dropout1d-rank", "paramcalc/reference/elementwise.py",
      "if spec.type == \"Dropout1d\" and len(x) not in (2, 3):", "if False:", PROPERTY, "-k", "Dropout1d",
      why="the reference's Dropout1d takes any rank"),
    m("ref-decoder-norms", "paramcalc/reference/tensors.py", "for i in range(1, (3 if decoder else 2) + 1):",
      "for i in range(1, 3):", PROPERTY, "-k", "TransformerDecoderLayer", why="the reference's decoder layer without norm3"),
    m("ref-mha-packed", "paramcalc/reference/tensors.py", "if kdim == e and vdim == e:", "if kdim == e:",
      PROPERTY, "-k", "MultiheadAttention", why="the reference packs q, k, v when only kdim is E"),
    m("ref-reflect-edge", "paramcalc/reference/reshaping.py", "if mode == \"reflect\" and (before >= n or after >= n):",
      "if mode == \"reflect\" and (before > n or after > n):", PROPERTY, "-k", "ReflectionPad",
      why="the reference's reflect padding repeats the edge"),
    m("ref-unflatten-sizes", "paramcalc/reference/reshaping.py", "    elif product(sizes) != n:\n", "    elif False:\n",
      PROPERTY, "-k", "Unflatten", why="the reference's Unflatten takes sizes of any product"),
    m("ref-pixel-unshuffle", "paramcalc/reference/reshaping.py", "(*lead, c * r * r, heights[0], widths[0])",
      "(*lead, c * r, heights[0], widths[0])", PROPERTY, "-k", "PixelUnshuffle",
      why="the reference's PixelUnshuffle multiplies channels by r, not r²"),
    m("ref-keras-concat", "paramcalc/reference/keras_layers.py", "out[d] = None if None in column else sum(column)",
      "out[d] = None if None in column else max(column)", *KERAS, why="the Keras reference's concatenation keeps the widest"),
    m("ref-keras-broadcast", "paramcalc/reference/keras_layers.py", "        if len(big) > 1:\n", "        if len(big) > 2:\n",
      *KERAS, why="the Keras reference broadcasts three different sizes"),
    m("ref-keras-snake", "paramcalc/reference/keras_layers.py",
      "if ch.isupper() and i and (before.islower() or after.islower()):", "if ch.isupper() and i and before.islower():",
      *KERAS, why="the Keras reference names Conv2DTranspose conv2dtranspose"),
    m("ref-keras-dense-bias", "paramcalc/reference/keras_layers.py",
      "([Tensor(\"bias\", (spec.units,))] if spec.use_bias else [])", "[Tensor(\"bias\", (spec.units,))]",
      *KERAS, why="the Keras reference's Dense always has a bias"),
    m("ref-keras-positions", "paramcalc/reference/keras_windows.py", "start + reach < n):", "start + reach <= n):",
      *KERAS, why="the Keras reference lets a 'valid' window reach one past the end"),
    m("ref-keras-scatter-same", "paramcalc/reference/keras_windows.py", "return span - 2 * (kernel // 2) + extra",
      "return span - kernel // 2 + extra", *KERAS, why="the Keras reference crops a 'same' transposed convolution on one side"),
    m("ref-keras-crop", "paramcalc/reference/keras_windows.py", "            if kept < 1:\n", "            if kept < 0:\n",
      *KERAS, why="the Keras reference crops to nothing"),
    m("ref-keras-separable-bias", "paramcalc/reference/keras_windows.py", "        bias = spec.filters\n",
      "        bias = channels * m\n", *KERAS, why="the Keras reference sizes a separable bias by the depthwise output"),
    m("ref-default-ff", "paramcalc/reference/arguments.py", "\"nhead\": (REQUIRED, POS), \"dim_feedforward\": (2048, SIZE)",
      "\"nhead\": (REQUIRED, POS), \"dim_feedforward\": (1024, SIZE)",
      PROPERTY, "-k", "TransformerEncoderLayer", why="the reference's default feed-forward width"),
    m("ref-default-instance-affine", "paramcalc/reference/arguments.py",
      "\"affine\": (False, FLAG), \"track_running_stats\": (False, FLAG)", "\"affine\": (True, FLAG), \"track_running_stats\": (False, FLAG)",
      PROPERTY, "-k", "InstanceNorm2d", why="the reference's InstanceNorm affine by default"),
    m("ref-default-pool-padding-kind", "paramcalc/reference/arguments.py",
      "\"kernel_size\": (REQUIRED, ints(1)), \"stride\": (None, optional(ints(1))), \"padding\": (0, ints(0)),",
      "\"kernel_size\": (REQUIRED, ints(1)), \"stride\": (None, optional(ints(1))), \"padding\": (0, ints()),",
      PROPERTY, "-k", "MaxPool2d or AvgPool1d or invalid", why="the reference takes a negative pooling padding"),
    m("ref-rule-pool-half", "paramcalc/reference/refusals.py", "if any(2 * p > k for p, k in zip(a.padding, a.kernel_size)):",
      "if any(p > k for p, k in zip(a.padding, a.kernel_size)):", PROPERTY, "-k", "MaxPool2d or invalid",
      why="the reference allows a pooling padding up to the kernel"),
    m("ref-rule-padding-idx", "paramcalc/reference/refusals.py",
      "if a.padding_idx is not None and not -a.num_embeddings <= a.padding_idx < a.num_embeddings:",
      "if a.padding_idx is not None and not -a.num_embeddings <= a.padding_idx <= a.num_embeddings:",
      PROPERTY, "-k", "Embedding or invalid", why="the reference's padding_idx one past the table"),
    m("ref-rule-group-norm", "paramcalc/reference/refusals.py", "    if a.num_channels % a.num_groups:\n",
      "    if False:\n", PROPERTY, "-k", "GroupNorm or invalid", why="the reference's groups need not divide the channels"),
    m("ref-rule-gpt2-kv", "paramcalc/reference/refusals.py",
      "if a.style == \"gpt2\" and a.num_kv_heads != a.nhead:", "if False:", PROPERTY, "-k", "DecoderBlock or invalid",
      why="the reference's GPT-2 block with fewer key/value heads"),
    m("upsample-round", "paramcalc/formulas/upsample.py", "return int(length * scale_factor)",
      "return round(length * scale_factor)", PROPERTY, "-k", "Upsample",
      why="an upsampled length rounded, not truncated as torch does"),
    m("embedding-bag-last-offset", "paramcalc/formulas/embedding.py",
      "bags = offsets_shape[0] - (1 if include_last_offset else 0)", "bags = offsets_shape[0]",
      PROPERTY, "-k", "EmbeddingBag", why="an EmbeddingBag's include_last_offset ignored"),
    m("rule-upsample-size", "paramcalc/specs/upsample.py", "elif min(entries) <= 0:", "elif min(entries) < 0:",
      TORCH, "-k", "invalid", why="an Upsample size of 0 accepted"),
    m("ref-rule-align-corners", "paramcalc/reference/refusals.py",
      'if getattr(a, "align_corners", None) is not None and mode not in _INTERPOLATING:', "if False:",
      PROPERTY, "-k", "Upsample", why="the reference's align_corners allowed with nearest"),
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
