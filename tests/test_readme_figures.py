"""The figures the README states outside its runnable examples: the preset table, the limits table,
ViT-B/16's MACs, and what its sentences say the suite checks. Each would fail if the README or the
code changed without the other. (The speed table is a measurement by benchmarks/bench.py, dated in
the README, not a claim a test can hold.)"""

from __future__ import annotations

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

