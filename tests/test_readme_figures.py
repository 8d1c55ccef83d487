"""The figures the README states outside its runnable examples: the preset table, the limits table,
ViT-B/16's MACs, and what its sentences say the suite checks. Each would fail if the README or the
code changed without the other. (The speed table and the readers' timings are measurements by
benchmarks/bench.py and benchmarks/readers.py, dated in the README, not claims a test can hold.)"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import paramcalc
from paramcalc import limits
from paramcalc.models.presets import load_preset
from paramcalc.models.presets import names as preset_names

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PROSE = " ".join(README.split())  # the text with its line breaks as spaces


def numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*\d|\d", text)]


def table_rows(heading: str) -> list[list[str]]:
    """The rows of the first Markdown table whose header starts with ``heading``."""
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


# -- the preset table ------------------------------------------------------------------------

PRESET_ROWS = table_rows("| preset | parameters |")


def _expand(names: str) -> list[str]:
    """``vgg11 / vgg16`` → both; ``gpt2 / -medium`` → gpt2, gpt2-medium; ``gpt3-small … gpt3-175b`` → the ends."""
    parts = [p.strip() for p in re.split(r" / | … ", names)]
    return [parts[0]] + [parts[0].split("-")[0] + p if p.startswith("-") else p for p in parts[1:]]


@pytest.mark.parametrize("row", PRESET_ROWS, ids=[r[0] for r in PRESET_ROWS])
def test_the_preset_table_gives_each_presets_count(row: list[str]) -> None:
    names, stated = _expand(row[0]), numbers(row[1])
    assert len(names) == len(stated)
    for name, params in zip(names, stated):
        assert paramcalc.summarize(load_preset(name)).total == params, name
    buffers = re.search(r"buffers ([\d,]+) / ([\d,]+)", row[2])
    if buffers:
        for name, value in zip(names, buffers.groups()):
            assert paramcalc.summarize(load_preset(name)).totals.buffers == int(value.replace(",", "")), name


def test_the_preset_table_lists_every_preset() -> None:
    listed = {n for row in PRESET_ROWS for n in _expand(row[0])}
    gpt3 = [n for n in preset_names() if n.startswith("gpt3-")]
    assert listed | set(gpt3) == set(preset_names())


def test_the_transformer_core_figure() -> None:
    row = next(r for r in PRESET_ROWS if r[0] == "transformer-base")
    assert "44,140,544" in row[2]
    assert paramcalc.parse_layer("Transformer(512, 8, 6, 6, 2048)").count().total == 44_140_544


# -- the limits table ------------------------------------------------------------------------


@pytest.mark.parametrize("row", table_rows("| bound | value |"), ids=lambda r: r[0])
def test_the_limits_table_gives_each_bound(row: list[str]) -> None:
    name, stated = row[0].strip("`"), row[1]
    value = getattr(limits, name)
    if stated == "2**63 − 1":
        assert value == 2**63 - 1
    elif stated.endswith("MiB"):
        assert value == int(stated.split()[0]) * 2**20
    else:
        assert value == int(stated.replace(",", ""))


def test_the_limits_table_lists_every_bound() -> None:
    stated = {row[0].strip("`") for row in table_rows("| bound | value |")}
    assert stated == {name for name in dir(limits) if name.startswith("MAX_")}


# -- figures in the prose --------------------------------------------------------------------


def test_vit_b16_macs() -> None:
    from paramcalc.analysis.compute import model_compute
    from paramcalc.models.evaluate import evaluate

    assert "ViT-B/16 comes to 17,563,828,224 MACs" in PROSE
    assert model_compute(evaluate(load_preset("vit-b16"))).macs == 17_563_828_224


def test_the_presets_flops_claim_covers_every_preset_it_names() -> None:
    """"2 × MACs equals it exactly for ... every CNN, ViT, BERT, GPT-2 and LLaMA preset (tested)":
    the FLOPs cross-check runs each of those presets."""
    import test_crosscheck_flops as flops  # needs torch: skipped without it, failed in CI

    assert "every CNN, ViT, BERT, GPT-2 and LLaMA preset (tested; `lenet5-1998`'s layers are the paper's" in PROSE
    named = {n for n in preset_names() if not n.startswith(("gpt3-", "transformer-")) and n != "lenet5-1998"}
    assert set(flops.PRESET_BUILDERS) == named


def test_the_parts_compared_per_preset() -> None:
    """"the total, the buffers, N to M named parts each": what test_crosscheck_presets compares."""
    import test_crosscheck_presets as presets  # needs torch: skipped without it, failed in CI

    stated = re.search(r"the buffers, (\d+) to (\d+) named parts each", PROSE)
    assert stated is not None
    sizes = [len(parts) for _, _, parts in presets.CASES.values()]
    assert (min(sizes), max(sizes)) == (int(stated[1]), int(stated[2]))
    hf = {"bert-base", "bert-large", "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "llama2-7b"}
    assert set(presets.CASES) - hf == {"lenet5", "alexnet", "vgg11", "vgg16", "resnet18", "resnet50", "vit-b16",
                                       "transformer-base"}



def test_the_presets_compared_with_transformers() -> None:
    """"The BERT, GPT-2, GPT-3, LLaMA and ViT presets are compared with Hugging Face transformers'
    own ...": every preset of those families is one test_crosscheck_transformers builds."""
    import test_crosscheck_transformers as hf  # needs torch and transformers: failed in CI without them

    stated = re.search(r"The ([\w\-, ]+) presets are compared with Hugging Face transformers' own", PROSE)
    assert stated is not None and stated[1] == "BERT, GPT-2, GPT-3, LLaMA and ViT"
    prefixes = ("bert-", "gpt2", "gpt3-", "llama", "vit-")
    named = {n for n in preset_names() if n.startswith(prefixes)}
    built = set(hf.BERT) | set(hf.GPT2) | set(hf.GPT3) | {"llama2-7b", "vit-b16"}
    assert built == named
    for test in ("test_llama2_7b_preset_equals_transformers_llama", "test_vit_b16_preset_equals_transformers_vit_with_a_classifier",
                 "test_vit_b16_preset_against_transformers_vit_model_with_its_pooler",
                 "test_vit_b16_preset_lists_transformers_vit_tensors_with_packed_attention"):
        assert callable(getattr(hf, test)), test


def test_vit_model_with_its_pooler_figure() -> None:
    # "ViTModel's pooler in place of the head (86,389,248)": the preset's total without its
    # Linear(768, 1000) head (768·1000 + 1000) and with the pooler's Linear(768, 768) (768·768 + 768)
    stated = re.search(r"`ViTModel`'s pooler in place of the head \(([\d,]+)\)", PROSE)
    assert stated is not None
    total = paramcalc.summarize(load_preset("vit-b16")).total
    assert int(stated[1].replace(",", "")) == total - (768 * 1000 + 1000) + (768 * 768 + 768) == 86_389_248


def test_the_widths_every_preset_and_command_is_checked_at() -> None:
    """"The test suite checks every preset and command (but `schema`, which prints JSON) at 40, 60,
    80, 120 and 200 columns": test_widths runs each of them at each of those widths."""
    import typer

    import test_widths
    from paramcalc.cli import app

    stated = re.search(r"checks every preset and command \(but `schema`, which prints JSON\) at ([\d, and]+) columns",
                       PROSE)
    assert stated is not None
    widths = [n for n in numbers(stated[1])]
    for test in (test_widths.test_every_preset_at_every_width_keeps_every_value_whole,
                 test_widths.test_every_command_at_every_width):
        marks = {m.args[0]: list(m.args[1]) for m in test.pytestmark if m.name == "parametrize"}
        assert marks["width"] == widths
    assert set(test_widths.PRESETS) == set(preset_names())
    commands = set(typer.main.get_command(app).commands)
    run = {args[0] for args in test_widths.COMMANDS.values()}
    assert commands - run == {"schema"}


def test_the_keras_applications_figures() -> None:
    """"Keras Applications' MobileNetV2, Xception and DenseNet121 in tests/data/keras_zoo/: their counts
    (...) ... equal what Keras builds (tested)": the model files give those counts here, and
    test_crosscheck_keras_zoo builds each with Keras and compares."""
    import test_crosscheck_keras_zoo as zoo  # needs keras: failed in CI without it

    stated = re.search(r"MobileNetV2, Xception and DenseNet121 in `tests/data/keras_zoo/`: their counts "
                       r"\(([\d,]+), ([\d,]+) and ([\d,]+)\)", PROSE)
    assert stated is not None and "equal what Keras builds (tested)" in PROSE
    files = ("mobilenet_v2.yaml", "xception.yaml", "densenet121.yaml")
    counts = [int(n.replace(",", "")) for n in stated.groups()]
    for file, count in zip(files, counts):
        assert paramcalc.summarize(zoo.ZOO / file).total == count, file
    cases = [m for m in zoo.test_keras_applications_equal_model_files.pytestmark if m.name == "parametrize"][0]
    assert [(f, n) for f, _, n in cases.args[1]] == list(zip(files, counts))


def test_the_zero_figures() -> None:
    """"7.5B parameters on 64 GPUs take 120 GB → 31.4 / 16.6 / 1.9 GB per GPU, tested": mixed-precision
    Adam (Rajbhandari et al. 2020, Figure 1), ZeRO stages 1, 2 and 3."""
    from paramcalc.analysis.memory import estimate
    from paramcalc.analysis.sharding import Parallel, per_gpu

    stated = re.search(r"7\.5B parameters on 64 GPUs take (\d+) GB → ([\d.]+) / ([\d.]+) / ([\d.]+) GB per GPU, tested",
                       PROSE)
    assert stated is not None
    mixed_adam = estimate(params=7_500_000_000, dtype="fp16", training=True, optimizer="adam")
    for stage, printed in enumerate(stated.groups()):
        ours = per_gpu(mixed_adam, Parallel(gpus=64, zero=stage)).total_bytes / 1e9
        assert f"{ours:.{len(printed.partition('.')[2])}f}" == printed, (stage, ours, printed)


def test_the_activation_memory_claim() -> None:
    """"checked in CI against torch's saved_tensors_hooks for every PyTorch family and for small GPT-2,
    BERT, LLaMA, ViT, CNN and encoder-decoder models (within 5%...)": test_activations_torch's tolerance
    and the layer types it builds with torch."""
    import test_activations_torch as act  # needs torch and transformers: failed in CI without them
    from paramcalc import parse_layer
    from paramcalc.specs.registry import names

    stated = re.search(r"saved_tensors_hooks` for every PyTorch family and for small GPT-2, BERT, LLaMA, ViT, CNN and "
                       r"encoder-decoder models \(within (\d+)%", PROSE)
    assert stated is not None and act.TOLERANCE == int(stated[1]) / 100
    built = {parse_layer(case[0]).type for case in (*act.FAMILIES, *act.RECURRENT, *act.TRANSFORMERS)}
    # Embedding and EmbeddingBag have tests of their own (int64 indices), PatchEmbedding is in the small ViT, and
    # LeNet-5 1998's own layers and Select are not torch.nn modules
    apart = {"Embedding", "EmbeddingBag", "PatchEmbedding", "RBFOutput", "SparseConv2d", "Subsampling2d", "Select"}
    assert set(names("pytorch")) - built == apart
    for test in ("test_embedding_keeps_its_int64_indices", "test_embedding_bag_saves_what_torch_saves",
                 "test_small_gpt2", "test_small_bert", "test_small_llama",
                 "test_small_vit_with_the_fused_attention_kernel", "test_cnn_presets", "test_transformer_base_preset"):
        assert callable(getattr(act, test)), test


def test_the_mutation_tool_claims() -> None:
    """"at least one in every module of the formulas and of the reference ... exits 1 if a fault goes
    unnoticed": test_mutate_tool holds both (and that every fault still applies to the source)."""
    import test_mutate_tool as tool

    assert ("at least one in every module of the formulas and of the reference, more in the specs' and model "
            "files' validation rules and the tensor listings") in PROSE
    assert "it prints the score and exits 1 if a fault goes unnoticed" in PROSE
    for test in ("test_every_formula_and_reference_module_carries_a_fault", "test_a_surviving_fault_is_named_and_exits_1",
                 "test_a_killed_fault_scores_and_exits_0", "test_every_fault_still_applies"):
        assert callable(getattr(tool, test)), test


def test_gpt3_presets_within_the_stated_share_of_the_papers_figures() -> None:
    """"Brown et al. 2020, Table 2.1: each within 2% of the paper's rounded figure": every gpt3 preset's
    total against the published count it carries (125M, 350M, ..., 175.0B)."""
    row = next(r for r in PRESET_ROWS if r[0].startswith("gpt3-"))
    stated = re.search(r"each within (\d+)% of the paper's rounded figure", row[2])
    assert stated is not None
    share = int(stated[1])
    gpt3 = [n for n in preset_names() if n.startswith("gpt3-")]
    assert len(gpt3) == 8  # Table 2.1's eight sizes
    for name in gpt3:
        s = paramcalc.summarize(load_preset(name))
        published = s.reference["params"]
        assert abs(s.total - published) * 100 <= share * published, name


def test_the_peft_claim() -> None:
    """"the adapter counts equal what `peft` reports (tested)": test_adapters_peft builds LLaMA and GPT-2
    in transformers, wraps them with peft and compares, for the targets the README names."""
    import test_adapters_peft as peft_tests  # needs torch, transformers and peft: failed in CI without them

    assert "`--lora RANK --lora-targets q_proj,v_proj|all-linear [--qlora]`" in PROSE
    assert "the adapter counts equal what `peft` reports (tested)" in PROSE
    for test in (peft_tests.test_llama_lora_counts_equal_peft, peft_tests.test_gpt2_lora_counts_equal_peft):
        cases = [m for m in test.pytestmark if m.name == "parametrize"][0].args[1]
        assert (8, "all-linear") in cases
    cases = [m for m in peft_tests.test_llama_lora_counts_equal_peft.pytestmark if m.name == "parametrize"][0].args[1]
    assert (8, ["q_proj", "v_proj"]) in cases


def test_every_command_is_fuzzed() -> None:
    """"The test suite fuzzes the library, model files, sheets and every command with hypothesis":
    test_fuzz_cli draws from every command of the app (the layer commands apart, in their own test)."""
    import typer

    import test_fuzz_cli as fuzz
    from paramcalc.cli import app

    assert "fuzzes the library, model files, sheets and every command with hypothesis" in PROSE
    commands = set(typer.main.get_command(app).commands)
    assert commands - set(fuzz.LAYER_COMMANDS) == set(fuzz.COMMANDS)


def test_gpt2_activation_figures() -> None:
    """"GPT-2 small (fp32, batch 2, 256 tokens) keeps 797,550,592 bytes in torch; `paramcalc memory gpt2
    --training -b 2 --seq-len 256` says 797,552,640": the command's figure here, torch's measured by
    test_activations_torch (saved_tensors_hooks on transformers' GPT2LMHeadModel)."""
    import json

    from typer.testing import CliRunner

    import test_activations_torch as act  # needs torch and transformers: failed in CI without them
    from paramcalc.cli import app

    stated = re.search(r"GPT-2 small \(fp32, batch 2, 256 tokens\) keeps ([\d,]+) bytes in torch; "
                       r"`paramcalc memory gpt2 --training -b 2 --seq-len 256` says ([\d,]+)\.", PROSE)
    assert stated is not None
    theirs, ours = (int(n.replace(",", "")) for n in stated.groups())
    result = CliRunner().invoke(app, ["memory", "gpt2", "--training", "-b", "2", "--seq-len", "256", "--json"])
    lines = {line["name"]: line["bytes"] for line in json.loads(result.stdout)["lines"]}
    assert lines["activations: kept for backward"] == ours
    assert f"assert theirs == {theirs:_}" in inspect.getsource(act.test_gpt2_small_as_transformers_builds_it)
