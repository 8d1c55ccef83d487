"""Activation memory: known values from Korthikanti et al. 2022 and the figure measured for GPT-2 small.

Korthikanti et al., "Reducing Activation Recomputation in Large Transformer Models" (2022),
section 4.1: a transformer layer keeps ``s·b·h·(34 + 5·a·s/h)`` bytes in 16-bit with 1-byte dropout
masks; section 5: selective recomputation leaves ``34·s·b·h``, full recomputation ``2·s·b·h`` per
layer. paramcalc also counts LayerNorm's two fp32 statistics per row (``b·s`` rows, two LayerNorms:
``16·b·s`` bytes), which the paper leaves out.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from paramcalc import parse_layer
from paramcalc.analysis.activations import Settings, layer_activations
from paramcalc.analysis.memory import model_memory
from paramcalc.cli.app import app

S, B, H, A = 1024, 8, 768, 12  # GPT-2 small at batch 8 and 1,024 tokens
SBH = S * B * H
STATS = 2 * 2 * B * S * 4
GPU_BF16 = Settings(dtype_bytes=2, device="cuda")
BLOCK = parse_layer(f"DecoderBlock({H}, {A}, dropout=0.1)")  # GPT-2 block with torch's GELU


def test_a_transformer_layer_keeps_34_sbh_plus_5_as2b():
    expected = SBH * 34 + 5 * A * S * S * B
    assert layer_activations(BLOCK, (B, S, H), settings=GPU_BF16) == expected + STATS


def test_selective_recomputation_keeps_34_sbh():
    selective = Settings(dtype_bytes=2, device="cuda", checkpointing="selective")
    assert layer_activations(BLOCK, (B, S, H), settings=selective) == SBH * 34 + STATS


def test_flash_attention_keeps_no_s2_terms():
    # no scores, probabilities or their dropout; the kernel also keeps its output (2·sbh: the output
    # projection keeps its own copy, heads merged) and a fp32 log-sum-exp per row and head (4·a·b·s)
    flash = Settings(dtype_bytes=2, device="cuda", attention="flash")
    assert layer_activations(BLOCK, (B, S, H), settings=flash) == SBH * 34 + 2 * SBH + 4 * A * B * S + STATS


def test_dropout_off_keeps_no_masks():
    # 1-byte masks: sbh (attention output) + a·s²·b (probabilities) + sbh (MLP output); their
    # dropped outputs (2 bytes per probability) are not kept either
    off = Settings(dtype_bytes=2, device="cuda", dropout=False)
    on = layer_activations(BLOCK, (B, S, H), settings=GPU_BF16)
    assert on - layer_activations(BLOCK, (B, S, H), settings=off) == 2 * SBH + 3 * A * S * S * B


def test_full_recomputation_keeps_each_layer_input():
    full = model_memory("gpt2", training=True, dtype="bf16", batch_size=B, device="cuda", checkpointing="full")
    line = full.line("activations: kept for backward")
    # 12 layers × 2·sbh (their inputs, 2 bytes per value), named in the formula
    assert "12 checkpointed block inputs 150,994,944" in line.formula and 12 * 2 * SBH == 150_994_944
    none = model_memory("gpt2", training=True, dtype="bf16", batch_size=B, device="cuda")
    assert line.bytes < none.line("activations: kept for backward").bytes / 5


def test_gpt2_small_figure_from_the_command_line():
    # measured with torch: GPT2LMHeadModel (fp32, training) at batch 2 and 256 tokens saves
    # 797,550,592 bytes for backward (tests/test_activations_torch.py measures it again)
    result = CliRunner().invoke(app, ["memory", "gpt2", "--training", "-b", "2", "--seq-len", "256", "--json"])
    assert result.exit_code == 0
    lines = {line["name"]: line["bytes"] for line in json.loads(result.stdout)["lines"]}
    assert abs(lines["activations: kept for backward"] - 797_550_592) <= 0.05 * 797_550_592


@pytest.mark.parametrize("option", ["--attention", "--checkpointing", "--device"])
def test_bad_choices_name_the_option(option):
    result = CliRunner().invoke(app, ["memory", "gpt2", "--training", option, "sometimes"])
    assert result.exit_code == 2 and option in result.stderr
