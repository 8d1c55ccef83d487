"""Invariants of the memory planner, over bounded random settings (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from paramcalc import parse_layer
from paramcalc.analysis.activations import Settings, layer_activations
from paramcalc.analysis.formats import FORMATS
from paramcalc.analysis.memory import Memory, MemoryLine, estimate, nbytes
from paramcalc.analysis.planning import largest
from paramcalc.analysis.sharding import Parallel, per_gpu

#: families whose saved tensors are all per example: they scale with the batch
PER_EXAMPLE = ["Linear(12, 7)", "Conv2d(3, 4, 3)", "LayerNorm(12)", "GELU()", "ReLU()", "Dropout(0.2)",
               "MaxPool2d(2)", "GroupNorm(2, 4)", "CausalSelfAttention(12, 3, dropout=0.1)",
               "SelfAttention(12, 4, num_kv_heads=2)", "FeedForward(12, 20, activation='gelu_new', dropout=0.1)",
               "SwiGLU(12, 20)", "DecoderBlock(12, 3)", "MultiheadAttention(12, 3, batch_first=True)"]


def _shape(layer: str, batch: int) -> tuple[int, ...]:
    if layer.startswith(("Conv2d", "MaxPool2d")):
        return (batch, 3, 8, 8)
    if layer.startswith("GroupNorm"):
        return (batch, 4, 5, 5)
    return (batch, 6, 12)


@settings(max_examples=60, deadline=None)
@given(layer=st.sampled_from(PER_EXAMPLE), batch=st.integers(1, 9), dtype_bytes=st.sampled_from([2, 4]),
       device=st.sampled_from(["cpu", "cuda"]), attention=st.sampled_from(["eager", "flash"]))
def test_activations_scale_with_the_batch(layer, batch, dtype_bytes, device, attention):
    s = Settings(dtype_bytes=dtype_bytes, device=device, attention=attention)
    spec = parse_layer(layer)
    assert layer_activations(spec, _shape(layer, batch), settings=s) == batch * layer_activations(
        spec, _shape(layer, 1), settings=s)


@settings(max_examples=60, deadline=None)
@given(layer=st.sampled_from(PER_EXAMPLE), batch=st.integers(1, 4))
def test_recomputation_and_flash_never_keep_more(layer, batch):
    spec, shape = parse_layer(layer), _shape(layer, batch)
    full = layer_activations(spec, shape, settings=Settings(2, "cuda"))
    assert layer_activations(spec, shape, settings=Settings(2, "cuda", checkpointing="selective")) <= full
    assert layer_activations(spec, shape, settings=Settings(2, "cuda", dropout=False)) <= full
    assert layer_activations(spec, shape, settings=Settings(2, "cuda", tensor_parallel=4)) <= full


@settings(max_examples=100, deadline=None)
@given(params=st.integers(1, 10**13), dp=st.integers(1, 512), dtype=st.sampled_from(["fp32", "fp16", "bf16"]))
def test_zero_stages_never_hold_more(params, dp, dtype):
    memory = estimate(params=params, dtype=dtype, training=True)
    totals = [per_gpu(memory, Parallel(gpus=dp, zero=z)).total_bytes for z in (0, 1, 2, 3)]
    assert totals == sorted(totals, reverse=True)
    # stage 3 shards every model state: N_d GPUs hold at least the whole, less than a byte per line more
    assert 0 <= dp * totals[3] - memory.total_bytes < dp * len(memory.lines)


@given(name=st.sampled_from([f for f in FORMATS if FORMATS[f].block]), blocks=st.integers(0, 10**9))
def test_gguf_whole_blocks_take_their_block_size(name, blocks):
    weights, size = FORMATS[name].block
    assert nbytes(blocks * weights, name) == blocks * size


@given(count=st.integers(0, 10**15), name=st.sampled_from(sorted(FORMATS)))
def test_bytes_are_bits_rounded_up(count, name):
    exact = Fraction(count) * FORMATS[name].bits / 8
    assert exact <= nbytes(count, name) < exact + 1


@settings(max_examples=100, deadline=None)
@given(fixed=st.integers(0, 10**6), per=st.integers(1, 10**4), usable=st.integers(0, 10**8))
def test_largest_finds_the_boundary(fixed, per, usable):
    def estimate_at(n: int) -> Memory:
        return Memory((MemoryLine("x", fixed + per * n, ""),))

    value, memory = largest(estimate_at, usable, "batch", limit=10**6)
    expected = min(max((usable - fixed) // per, 0), 10**6)
    assert value == expected
    assert (memory is None) == (expected == 0)
