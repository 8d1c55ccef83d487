"""Memory by data type: bytes per value, weights, buffers, training states, activations, KV cache."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramcalc import SpecError, parse_layer
from paramcalc.analysis.memory import KVCache, estimate, format_bytes, kv_cache_bytes, layer_memory, nbytes

LLAMA2_7B = 6_738_415_616  # parameters of meta-llama/Llama-2-7b-hf (tests/test_torch_archs.py)


@pytest.mark.parametrize(
    "count, dtype, expected",
    [
        (10, "fp32", 40),
        (10, "fp16", 20),
        (10, "bf16", 20),
        (10, "int8", 10),
        (10, "int4", 5),
        (3, "int4", 2),  # half a byte per value, rounded up to a whole byte
        (1, "int4", 1),
        (0, "int4", 0),
    ],
)
def test_bytes_per_dtype(count, dtype, expected):
    assert nbytes(count, dtype) == expected


@given(n=st.integers(0, 10**12))
def test_int4_is_half_of_int8_rounded_up(n):
    assert nbytes(n, "int4") == (nbytes(n, "int8") + 1) // 2
    assert nbytes(n, "fp32") == 2 * nbytes(n, "fp16") == 4 * nbytes(n, "int8")


def test_llama2_7b_weights_in_fp16():
    # 2 bytes × 6,738,415,616 parameters = 13,476,831,232 bytes = 12.55 GiB
    m = estimate(params=LLAMA2_7B, dtype="fp16")
    assert m.line("parameters").bytes == 13_476_831_232 == m.total_bytes
    assert m.line("parameters").human == "12.55 GiB"
    assert m.line("parameters").formula == "6,738,415,616 parameters × 2 bytes (fp16)"


@pytest.mark.parametrize(
    "dtype, expected",
    [("fp32", 26_953_662_464), ("bf16", 13_476_831_232), ("int8", 6_738_415_616), ("int4", 3_369_207_808)],
)
def test_llama2_7b_weights_by_dtype(dtype, expected):
    assert estimate(params=LLAMA2_7B, dtype=dtype).total_bytes == expected


def test_llama2_7b_kv_cache_per_token():
    # keys and values of 32 layers × 4,096 values each, 2 bytes: 2·32·4096·2 = 524,288 bytes per token
    assert kv_cache_bytes(layers=32, kv_dim=4096, batch=1, seq_len=1, dtype="fp16") == 524_288
    # a full 4,096-token context: exactly 2 GiB per sequence
    full = kv_cache_bytes(layers=32, kv_dim=4096, batch=1, seq_len=4096, dtype="fp16")
    assert full == 2 * 1024**3 and format_bytes(full) == "2.00 GiB"
    m = estimate(params=LLAMA2_7B, dtype="fp16", kv_cache=KVCache(32, 4096, 8, 4096))
    assert m.line("KV cache").bytes == 16 * 1024**3
    assert m.line("KV cache").formula == "2 × 32 layers × 4,096 d_kv × 8 batch × 4,096 tokens × 2 bytes (fp16)"


def test_grouped_query_kv_cache():
    # LLaMA-2-70B: 80 layers, 8 key/value heads of 128 (d_kv = 1,024): 2·80·1024·2 = 327,680 bytes/token
    assert kv_cache_bytes(layers=80, kv_dim=1024, batch=1, seq_len=1, dtype="fp16") == 327_680


def test_mixed_precision_adam_is_16_bytes_per_parameter():
    # ZeRO (Rajbhandari et al. 2020, section 3.1): mixed-precision Adam keeps fp16 parameters and
    # gradients (2 + 2 bytes) and fp32 master weights, momentum and variance (4 + 4 + 4): 16 bytes.
    m = estimate(params=1_000, dtype="fp16", training=True, optimizer="adam")
    assert [line.bytes for line in m.lines] == [2_000, 2_000, 8_000, 4_000]
    assert m.total_bytes == 16 * 1_000


def test_fp32_adam_is_16_bytes_per_parameter_without_master_weights():
    # fp32: weights 4, gradients 4, two moments 8; the weights are their own master copy
    m = estimate(params=1_000, dtype="fp32", training=True, optimizer="adamw")
    assert m.total_bytes == 16_000
    assert m.line("optimizer: AdamW moments (m, v)").bytes == 8_000


@pytest.mark.parametrize("momentum, expected", [(False, 8_000), (True, 12_000)])
def test_sgd(momentum, expected):
    # fp32 weights and gradients (4 + 4 bytes), plus a fp32 momentum buffer (4) when used
    assert estimate(params=1_000, training=True, optimizer="sgd", momentum=momentum).total_bytes == expected


def test_frozen_parameters_have_no_gradients_or_states():
    m = estimate(params=1_000, trainable=100, dtype="fp32", training=True)
    assert m.line("parameters").bytes == 4_000
    assert m.line("gradients").bytes == 400
    assert m.line("optimizer: Adam moments (m, v)").bytes == 800


def test_integer_types_cannot_train():
    with pytest.raises(SpecError, match="floating-point dtype"):
        estimate(params=10, dtype="int8", training=True)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"dtype": "fp8"}, "dtype must be one of"), ({"optimizer": "lion"}, "optimizer must be one of")],
)
def test_bad_choices(kwargs, message):
    with pytest.raises(SpecError, match=message):
        estimate(params=10, **kwargs)


def test_batchnorm_buffers_keep_int64_counter():
    # BatchNorm2d(64): weight, bias (64 each); running_mean, running_var (64 each, in the dtype);
    # num_batches_tracked, one int64. In fp16: 128·2 = 256 weights, 128·2 + 8 = 264 buffers.
    m = layer_memory(parse_layer("BatchNorm2d(64)"), (8, 64, 56, 56), dtype="fp16")
    assert m.line("parameters").bytes == 256
    assert m.line("buffers").bytes == 264
    # int8 quantises the weights only; the running statistics stay in fp16
    int8 = layer_memory(parse_layer("BatchNorm2d(64)"), (8, 64, 56, 56), dtype="int8")
    assert int8.line("parameters").bytes == 128 and int8.line("buffers").bytes == 264


def test_activations_of_one_layer():
    # LSTM(100, 128) on 50 steps × 32: input 160,000 + output 204,800 + h_n, c_n 4,096 each = 372,992
    spec = parse_layer("nn.LSTM(100, 128)")
    inference = layer_memory(spec, (50, 32, 100), dtype="fp32")
    assert inference.line("activations: largest layer input + output").bytes == 4 * 372_992
    training = layer_memory(spec, (50, 32, 100), dtype="bf16", training=True)
    assert training.line("activations: every layer output").bytes == 2 * 372_992
    assert training.line("gradients").bytes == 2 * 117_760  # the layer's 117,760 parameters


def test_lines_add_up_and_json_has_exact_bytes():
    m = estimate(params=LLAMA2_7B, dtype="bf16", training=True, activations=10**9)
    assert m.total_bytes == sum(line.bytes for line in m.lines)
    data = json.loads(json.dumps(m.as_dict()))
    assert data["total_bytes"] == m.total_bytes
    assert data["lines"][0] == {
        "name": "parameters", "bytes": 13_476_831_232, "human": "12.55 GiB",
        "formula": "6,738,415,616 parameters × 2 bytes (bf16)",
    }
    assert data["optimizer"] == "adam" and data["training"] is True


@pytest.mark.parametrize(
    "n, text",
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.00 KiB"), (1536, "1.50 KiB"), (1024**2, "1.00 MiB"),
     (13_476_831_232, "12.55 GiB"), (3 * 1024**4, "3.00 TiB")],
)
def test_binary_units(n, text):
    assert format_bytes(n) == text


# -- whole models ------------------------------------------------------------------------------

LLAMA_FILE = {
    "name": "LLaMA-2-7B as layers", "framework": "pytorch", "input_shape": [1, 16],
    "layers": [
        {"name": "embed_tokens", "layer": "Embedding(32000, 4096)"},
        {"name": "layers", "repeat": 32, "layers": ["DecoderBlock(4096, 32, style='llama')"]},
        {"name": "norm", "layer": "RMSNorm(4096)"},
        {"name": "lm_head", "layer": "Linear(4096, 32000, bias=False)"},
    ],
}


def test_llama2_7b_model_weights_and_kv_cache():
    from paramcalc.analysis.memory import model_memory

    m = model_memory(LLAMA_FILE, dtype="fp16", seq_len=4096)
    assert m.line("parameters").bytes == 13_476_831_232
    # 2 · 32 layers · 4,096 · 2 bytes = 524,288 bytes per token; 4,096 tokens: 2 GiB
    assert m.line("KV cache").bytes == 524_288 * 4096
    assert "524,288 bytes per token" in m.notes[0]
    # the largest layer input + output: lm_head reads 4,096·4,096 and writes 4,096·32,000 values
    assert m.line("activations: largest layer input + output").bytes == 2 * (4096 * 4096 + 4096 * 32000)
    assert m.seq_len == 4096 and m.batch_size == 1


def test_model_training_memory_has_no_kv_cache():
    from paramcalc.analysis.memory import model_memory

    m = model_memory(LLAMA_FILE, dtype="bf16", training=True, batch_size=2, seq_len=8)
    names = [line.name for line in m.lines]
    assert "KV cache" not in names and "gradients" in names
    # what autograd keeps, bf16 (2 bytes), N = 2·8·4096 = 65,536 values, 16 rows, S = 2·32·8·8 scores:
    # per block: RMSNorm input, normalised input, 1/rms per row; attention input, q, k, v, scores,
    # context; RMSNorm again; SwiGLU input and four 2·8·11,008 tensors:
    block = 2 * (10 * 65_536 + 2 * 16 + 4_096 + 4 * 16 * 11_008)
    assert block == 2_728_000
    # + the token ids (int64) + 32 blocks + the final RMSNorm (input, normalised, 1/rms) + lm_head's input
    expected = 16 * 8 + 32 * block + 2 * (2 * 65_536 + 16) + 2 * 65_536
    assert m.line("activations: kept for backward").bytes == expected == 87_689_376


def test_model_buffers_split_float_and_int():
    from paramcalc.analysis.memory import model_memory

    # two BatchNorm2d(8): 2·16 running statistics in fp16 + 2 num_batches_tracked int64
    m = model_memory({"name": "bn", "framework": "pytorch", "input_shape": [1, 8, 4, 4],
                      "layers": [{"name": "b", "layers": ["BatchNorm2d(8)"], "repeat": 2}]}, dtype="fp16")
    assert m.line("buffers").bytes == 32 * 2 + 2 * 8


def test_seq_len_needs_a_sequence_input():
    from paramcalc.analysis.memory import model_memory

    with pytest.raises(SpecError, match="seq-len needs a sequence input"):
        model_memory({"name": "c", "input_shape": [1, 3, 8, 8], "layers": ["Conv2d(3, 4, 3)"]}, seq_len=4)
    with pytest.raises(SpecError, match="batch_size must be a positive integer"):
        model_memory(LLAMA_FILE, batch_size=0)


def test_llama2_7b_preset():
    from paramcalc.analysis.memory import model_memory
    from paramcalc.models.presets import load_preset

    model = load_preset("llama2-7b")
    m = model_memory(model, dtype="fp16")
    assert m.line("parameters").bytes == 13_476_831_232  # weights only: 2 × 6,738,415,616
    # the preset's context is 4,096 tokens: 524,288 bytes per token → 2 GiB for one sequence
    assert m.line("KV cache").bytes == 524_288 * 4096 == 2 * 1024**3
    one = model_memory(model, dtype="fp16", seq_len=1)
    assert one.line("KV cache").bytes == 524_288
    # int4 weights (half a byte each); the KV cache and activations stay fp16
    int4 = model_memory(model, dtype="int4", seq_len=1)
    assert int4.line("parameters").bytes == 3_369_207_808
    assert int4.line("KV cache").bytes == 524_288


def test_gpt2_kv_cache():
    from paramcalc.analysis.memory import model_memory
    from paramcalc.models.presets import load_preset

    # GPT-2 small: 12 layers × 768 keys and 768 values per token, fp16: 2·12·768·2 = 36,864 bytes/token
    m = model_memory(load_preset("gpt2"), dtype="fp16", batch_size=4, seq_len=1024)
    assert m.line("KV cache").bytes == 36_864 * 4 * 1024


def test_encoders_have_no_kv_cache():
    from paramcalc.analysis.memory import model_memory
    from paramcalc.models.presets import load_preset

    names = [line.name for line in model_memory(load_preset("bert-base"), dtype="fp16").lines]
    assert "KV cache" not in names


def test_top_level_api_takes_preset_names():
    import paramcalc

    assert paramcalc.model_memory("llama2-7b", dtype="fp16", seq_len=1).line("KV cache").bytes == 524_288
    assert paramcalc.model_compute("vit-b16").macs == 17_563_828_224
    c = paramcalc.layer_compute(paramcalc.parse_layer("nn.Linear(100, 128)"), (32, 50, 100))
    assert isinstance(c, paramcalc.Compute) and c.flops == 41_164_800
    assert {"Compute", "Memory", "layer_compute", "model_compute", "layer_memory", "model_memory"} <= set(
        paramcalc.__all__
    )


def test_huge_sizes_stay_exact():
    # far beyond any float: the text is built from integers
    n = 10**400
    assert format_bytes(n) == "1.00e+400 B"  # beyond EiB: scientific, from the digits
    m = estimate(params=n, dtype="int4")
    assert m.total_bytes == n // 2 and m.as_dict()["total_bytes"] == n // 2
