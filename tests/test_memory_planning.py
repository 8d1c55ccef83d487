"""Training at scale and "does it fit": ZeRO, tensor/pipeline parallel, GPUs, overhead, --max, formats."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from paramcalc import SpecError
from paramcalc.analysis.formats import FORMATS
from paramcalc.analysis.gpus import GIB, MIB, find_gpu, parse_overhead, parse_size
from paramcalc.analysis.memory import estimate, model_memory
from paramcalc.analysis.planning import plan_memory as plan
from paramcalc.analysis.sharding import Parallel, per_gpu
from paramcalc.cli.app import app

# -- ZeRO: Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion Parameter
# Models", Figure 1 and Table 1: Ψ = 7.5B parameters, N_d = 64 GPUs, mixed-precision Adam (K = 12):
# baseline (2 + 2 + 12)·Ψ = 120 GB; P_os 2Ψ + 2Ψ + 12Ψ/64 = 31.4 GB; P_os+g 2Ψ + 14Ψ/64 = 16.6 GB;
# P_os+g+p 16Ψ/64 = 1.9 GB (GB = 10⁹ bytes).

PSI = 7_500_000_000
MIXED_ADAM = estimate(params=PSI, dtype="fp16", training=True, optimizer="adam")


@pytest.mark.parametrize("stage, exact", [
    (0, 120_000_000_000),
    (1, 31_406_250_000),  # 30e9 + 90e9 / 64: the paper's 31.4 GB
    (2, 16_640_625_000),  # 15e9 + 105e9 / 64: 16.6 GB
    (3, 1_875_000_000),   # 120e9 / 64: 1.9 GB
])
def test_zero_paper_figure_1(stage, exact):
    assert per_gpu(MIXED_ADAM, Parallel(gpus=64, zero=stage)).total_bytes == exact


#: Table 1 of the paper, the 7.5B model: GB per device by data-parallel degree for P_os, P_os+g, P_os+g+p
TABLE_1 = {1: ("120", "120", "120"), 4: ("52.5", "41.3", "30"), 16: ("35.6", "21.6", "7.5"),
           64: ("31.4", "16.6", "1.88"), 256: ("30.4", "15.4", "0.47"), 1024: ("30.1", "15.1", "0.12")}


@pytest.mark.parametrize("gpus", sorted(TABLE_1))
def test_zero_paper_table_1(gpus):
    for stage, printed in zip((1, 2, 3), TABLE_1[gpus]):
        ours = per_gpu(MIXED_ADAM, Parallel(gpus=gpus, zero=stage)).total_bytes / 1e9
        decimals = len(printed.partition(".")[2])
        assert abs(ours - float(printed)) <= 0.5 * 10**-decimals, (gpus, stage, ours, printed)


def test_tensor_and_pipeline_parallel_divide_model_states():
    memory = per_gpu(MIXED_ADAM, Parallel(gpus=16, tensor=4, pipeline=2))  # N_d = 2, no ZeRO
    assert memory.total_bytes == 120_000_000_000 // 8
    assert "÷ 8 (t=4, p=2)" in memory.line("parameters").formula


def test_korthikanti_tensor_parallel_activations():
    # Korthikanti et al. 2022, equation 2: sbh(10 + 24/t + 5as/(ht)) bytes per layer in 16-bit
    from paramcalc import parse_layer
    from paramcalc.analysis.activations import Settings, layer_activations

    s, b, h, a, t = 1024, 4, 768, 12, 4
    kept = layer_activations(parse_layer(f"DecoderBlock({h}, {a}, dropout=0.1)"), (b, s, h),
                             settings=Settings(dtype_bytes=2, device="cuda", tensor_parallel=t))
    stats = 16 * b * s  # two LayerNorms' fp32 mean and 1/std per row
    assert kept == s * b * h * 10 + s * b * h * 24 // t + 5 * a * s * s * b // t + stats


@pytest.mark.parametrize("kwargs, message", [
    ({"gpus": 6, "tensor": 4}, "multiple of tensor_parallel"),
    ({"zero": 4}, "zero must be 0, 1, 2 or 3"),
    ({"gpus": 0}, "gpus must be a positive integer"),
])
def test_bad_parallel_settings(kwargs, message):
    with pytest.raises(SpecError, match=message):
        Parallel(**kwargs)


def test_zero_needs_training():
    with pytest.raises(SpecError, match="needs training"):
        per_gpu(estimate(params=10), Parallel(gpus=2, zero=1))


# -- GPUs, sizes, overhead ---------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("24GiB", 24 * GIB), ("80GB", 80 * 10**9), ("512MiB", 512 * MIB), ("1.5TB", 1_500_000_000_000), ("1024", 1024),
])
def test_sizes(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "GiB", "1.5B", "24 parsecs", "-3GB"])
def test_bad_sizes(text):
    with pytest.raises(SpecError, match="size"):
        parse_size(text)


@pytest.mark.parametrize("name, mib", [
    # totals nvidia-smi reports (MiB), as listed in modal-labs/modal-client#2797
    ("A100-80GB", 81_920), ("a100_40gb", 40_960), ("H100-80GB", 81_559), ("L4", 23_034), ("t4", 15_360),
])
def test_gpu_table(name, mib):
    assert find_gpu(name).bytes == mib * MIB


def test_unknown_gpu_lists_the_table():
    with pytest.raises(SpecError, match="A100-80GB"):
        find_gpu("B300")


def test_overhead():
    assert parse_overhead("1GiB+5%").of(100 * GIB) == GIB + 5 * GIB
    assert parse_overhead("0").of(80 * GIB) == 0
    assert parse_overhead("10%").of(10) == 1  # rounded up
    with pytest.raises(SpecError, match="percentage from 0 to 100"):
        parse_overhead("120%")


def test_fit_and_spare():
    # GPT-2 small inference in fp16 on a T4: 15,360 MiB less 1 GiB and 5% (768 MiB)
    result = plan("gpt2", dtype="fp16", gpu="T4")
    assert result.fit.overhead == GIB + 768 * MIB
    assert result.fit.spare == 15_360 * MIB - GIB - 768 * MIB - result.memory.total_bytes
    assert result.fit.fits and "fits on T4" in result.fit.sentence()


def test_max_batch_is_the_largest_that_fits():
    result = plan("gpt2", training=True, dtype="bf16", gpu="24GiB", maximise="batch", seq_len=1024)
    batch = result.solved[1]
    assert batch > 1 and result.fit.fits
    usable = 24 * GIB - result.fit.overhead
    one_more = plan("gpt2", training=True, dtype="bf16", batch_size=batch + 1, seq_len=1024, device="cuda")
    assert one_more.memory.total_bytes > usable >= result.memory.total_bytes


def test_max_seq_len_for_inference_counts_the_kv_cache():
    result = plan("llama2-7b", dtype="fp16", gpu="A100-80GB", maximise="seq-len")
    length = result.solved[1]
    longer = plan("llama2-7b", dtype="fp16", seq_len=length + 1).memory.total_bytes
    assert longer > result.fit.usable >= result.memory.total_bytes


def test_llama2_7b_training_on_one_a100_answers():
    # 16 bytes per parameter of mixed-precision Adam alone exceed 80 GB: nothing fits, said plainly
    result = CliRunner().invoke(app, ["memory", "llama2-7b", "--training", "--gpu", "A100-80GB", "--max", "batch"])
    assert result.exit_code == 0
    assert "no batch fits" in result.stdout and "does not fit on A100-80GB" in result.stdout
    sharded = plan("llama2-7b", training=True, dtype="bf16", gpu="A100-80GB", gpus=8, zero=3, maximise="batch",
                   attention="flash", checkpointing="full")
    assert sharded.solved[1] >= 1 and sharded.fit.fits


def test_concurrent_sequences_for_inference():
    result = plan("llama2-7b", dtype="fp16", gpu="A100-80GB", seq_len=4096)
    per_sequence = 524_288 * 4096  # the KV cache of one 4,096-token sequence
    other = result.memory.total_bytes - per_sequence
    assert result.fit.sequences == (result.fit.usable - other) // per_sequence


def test_sliding_window_caps_the_kv_cache():
    full = model_memory("llama2-7b", dtype="fp16", seq_len=8192)
    window = model_memory("llama2-7b", dtype="fp16", seq_len=8192, sliding_window=4096)
    assert window.line("KV cache").bytes == 524_288 * 4096 == full.line("KV cache").bytes // 2


def test_memory_json_has_the_fit():
    result = CliRunner().invoke(app, ["memory", "gpt2", "--gpu", "L4", "--json"])
    data = json.loads(result.stdout)
    assert data["fit"]["gpu"] == "L4" and data["fit"]["fits"] is True
    assert data["fit"]["spare_bytes"] == data["fit"]["usable_bytes"] - data["total_bytes"]


@pytest.mark.parametrize("args, option", [
    (["--max", "batch"], "needs a GPU"),
    (["--gpu", "Z80"], "gpu must be a size"),
    (["--gpus", "3", "--tensor-parallel", "2"], "multiple of tensor_parallel"),
    (["--zero", "2"], "needs training"),
    (["--overhead", "lots", "--gpu", "T4"], "overhead"),
    (["--qlora"], "add --lora"),
])
def test_planning_errors_are_one_line(args, option):
    result = CliRunner().invoke(app, ["memory", "gpt2", *args])
    assert result.exit_code == 2 and option in result.stderr and result.stderr.count("\n") == 1


# -- storage formats ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, bits", [
    ("fp32", 32), ("bf16", 16), ("fp8-e4m3", 8), ("int8", 8), ("int4", 4),
    ("int4-g128", Fraction(33, 8)),  # 4 + 16/128
    ("nf4", Fraction(4) + Fraction(8, 64) + Fraction(32, 64 * 256)),  # QLoRA paper, section 3: 4.127 bits
])
def test_format_bits(name, bits):
    assert FORMATS[name].bits == bits


def test_gguf_block_sizes_match_the_gguf_library():
    from conftest import require

    gguf = require("gguf")
    for fmt in FORMATS.values():
        if fmt.block is None:
            continue
        block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType[fmt.name.upper()]]
        assert fmt.block == (block, size), fmt.name
        assert fmt.bits == Fraction(8 * size, block)


def test_q4_0_llama2_7b():
    # 6,738,415,616 weights / 32 per block × 18 bytes = 3,790,358,784 bytes
    memory = model_memory("llama2-7b", dtype="q4_0", seq_len=1)
    assert memory.line("parameters").bytes == 6_738_415_616 // 32 * 18 == 3_790_358_784


@pytest.mark.parametrize("given, name", [("Q4_0", "q4_0"), ("q4_0", "q4_0"), ("Q4_k_M", "q4_k_m")])
def test_dtype_names_are_case_insensitive(given, name):
    # GGUF and llama.cpp write the block types in capitals (Q4_0, Q4_K_M); the result names them as FORMATS does.
    # Q4_0: 6,738,415,616 weights / 32 per block × 18 bytes = 3,790,358,784 bytes (gguf's GGML_QUANT_SIZES)
    memory = model_memory("llama2-7b", dtype=given, seq_len=1)
    assert memory.dtype == name
    assert memory.line("parameters").formula.endswith(f"({name})")
    if name == "q4_0":
        assert memory.line("parameters").bytes == 3_790_358_784


def test_upper_case_dtypes_through_estimate_and_plan():
    # 2 bytes × 6,738,415,616 LLaMA-2-7B parameters (tests/test_torch_archs.py) = 13,476,831,232 bytes
    memory = estimate(params=6_738_415_616, dtype="BF16")
    assert memory.dtype == "bf16" and memory.total_bytes == 13_476_831_232
    assert memory.line("parameters").formula == "6,738,415,616 parameters × 2 bytes (bf16)"
    # training keeps the mixed-precision rules: 2 + 2 + 12 bytes per parameter (ZeRO, K = 12, above)
    trained = estimate(params=PSI, dtype="FP16", training=True, optimizer="adam")
    assert trained.total_bytes == MIXED_ADAM.total_bytes == 16 * PSI
    assert plan("gpt2", dtype="BF16", gpu="A100-80GB").memory.dtype == "bf16"
    with pytest.raises(SpecError, match="dtype must be one of .* Received: dtype='Q4_K_X'"):
        estimate(params=1, dtype="Q4_K_X")


def test_upper_case_dtype_on_the_command_line():
    result = CliRunner().invoke(app, ["memory", "llama2-7b", "--dtype", "Q8_0", "--seq-len", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["dtype"] == "q8_0"
    lines = {line["name"]: line for line in document["lines"]}
    # Q8_0: 34 bytes per block of 32 weights (gguf's GGML_QUANT_SIZES): 6,738,415,616 / 32 × 34
    assert lines["parameters"]["bytes"] == 6_738_415_616 // 32 * 34 == 7_159_566_592
    table = CliRunner().invoke(app, ["memory", "llama2-7b", "--dtype", "BF16", "--seq-len", "1"],
                               env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert table.exit_code == 0 and "inference in bf16" in table.stdout and "BF16" not in table.stdout
    wrong = CliRunner().invoke(app, ["memory", "llama2-7b", "--dtype", "Q4_K_MM"])
    assert wrong.exit_code == 2 and "Received: 'Q4_K_MM'. Did you mean q4_k_m?" in wrong.stderr


def test_max_seq_len_stops_where_the_model_does():
    # GPT-2's learned positions cover 1,024 tokens: longer inputs are refused, however much memory is left
    result = plan("gpt2", dtype="fp16", gpu="A100-80GB", maximise="seq-len")
    assert result.solved == ("seq-len", 1024) and result.fit.spare > 0
    assert any("seq-len 1,025 is refused by the model (embeddings.wpe)" in note for note in result.memory.notes)


def test_lora_from_the_command_line():
    result = CliRunner().invoke(app, ["memory", "llama2-7b", "--training", "--dtype", "bf16", "--lora", "8",
                                      "--seq-len", "512", "--json"])
    assert result.exit_code == 0
    lines = {line["name"]: line for line in json.loads(result.stdout)["lines"]}
    # 32 layers × (q_proj + v_proj) × 8·(4,096 + 4,096): peft's count (tests/test_adapters_peft.py)
    assert lines["parameters: LoRA adapters"]["bytes"] == 2 * 4_194_304
    assert lines["optimizer: Adam moments (m, v)"]["bytes"] == 8 * 4_194_304
    assert "gradients" in lines and lines["gradients"]["bytes"] == 2 * 4_194_304


@pytest.mark.parametrize("args, message", [
    (["--lora", "8"], "needs training"),
    (["--training", "--lora", "8", "--lora-targets", "query"], "no linear layer matches"),
    (["--training", "--lora", "0"], "--lora:"),
])
def test_lora_errors_are_one_line(args, message):
    result = CliRunner().invoke(app, ["memory", "llama2-7b", *args])
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1
