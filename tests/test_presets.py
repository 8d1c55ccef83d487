"""The presets: each famous architecture equals its published count exactly (GPT-3 within its
paper's rounding), and the files can be listed, found by loose names, and exported."""

from __future__ import annotations

from pathlib import Path

import pytest

import paramcalc
from paramcalc import ModelError
from paramcalc.models.presets import (
    GPT2_FAMILY,
    GPT3_FAMILY,
    PRESET_DIR,
    export_preset,
    gpt_text,
    list_presets,
    load_preset,
    names,
    preset_path,
)

#: (preset, parameters, buffers, where the count comes from)
EXACT = [
    ("lenet5", 61_706, 0, "LeNet-5 with a fully connected C3 (LeCun et al. 1998): 156 + 2,416 + 48,120 + 10,164 + 850"),
    ("alexnet", 61_100_840, 0, "torchvision AlexNet_Weights.IMAGENET1K_V1, num_params"),
    ("vgg11", 132_863_336, 0, "torchvision VGG11_Weights.IMAGENET1K_V1, num_params"),
    ("vgg16", 138_357_544, 0, "torchvision VGG16_Weights.IMAGENET1K_V1, num_params"),
    # buffers: 20 BatchNorm2d, running mean and variance over 4,800 channels + 20 num_batches_tracked
    ("resnet18", 11_689_512, 9_620, "torchvision ResNet18_Weights.IMAGENET1K_V1, num_params"),
    # buffers: 53 BatchNorm2d over 26,560 channels: 2 · 26,560 + 53
    ("resnet50", 25_557_032, 53_173, "torchvision ResNet50_Weights.IMAGENET1K_V1, num_params"),
    # buffers: 57 BatchNorm2d over 7,280 channels: 2 · 7,280 + 57 (torch agrees: tests/test_crosscheck_zoo.py)
    ("googlenet", 6_624_904, 14_617, "torchvision GoogLeNet_Weights.IMAGENET1K_V1, num_params"),
    # buffers: 121 BatchNorm2d over 41,824 channels: 2 · 41,824 + 121
    ("densenet121", 7_978_856, 83_769, "torchvision DenseNet121_Weights.IMAGENET1K_V1, num_params"),
    # buffers: 46 BatchNorm2d over 12,200 channels: 2 · 12,200 + 46
    ("mobilenet-v3-large", 5_483_032, 24_446, "torchvision MobileNet_V3_Large_Weights.IMAGENET1K_V1, num_params"),
    ("vit-b16", 86_567_656, 0, "torchvision ViT_B_16_Weights.IMAGENET1K_V1, num_params"),
    # torch.nn.Transformer(512, 8, 6, 6, 2048) = 44,140,544 + 37000 × 512 shared and tied; Vaswani et al.
    # 2017, Table 3, print 65M (the vocabulary is "about 37000", so no exact figure was published)
    ("transformer-base", 63_084_544, 0, "nn.Transformer core + one shared 37000×512 embedding"),
    ("bert-base", 109_482_240, 0, "Hugging Face BertModel, bert-base-uncased (Devlin et al. 2019: 110M)"),
    ("bert-large", 335_141_888, 0, "Hugging Face BertModel, bert-large-uncased (Devlin et al. 2019: 340M)"),
    ("gpt2", 124_439_808, 0, "Hugging Face gpt2 checkpoint, tied lm_head (Radford et al. 2019: 117M)"),
    ("gpt2-medium", 354_823_168, 0, "Hugging Face gpt2-medium checkpoint (paper: 345M)"),
    ("gpt2-large", 774_030_080, 0, "Hugging Face gpt2-large checkpoint (paper: 762M)"),
    ("gpt2-xl", 1_557_611_200, 0, "Hugging Face gpt2-xl checkpoint (paper: 1542M)"),
    ("llama2-7b", 6_738_415_616, 0, "meta-llama/Llama-2-7b-hf checkpoint (Touvron et al. 2023: 7B)"),
]


@pytest.mark.parametrize(("name", "params", "buffers", "source"), EXACT, ids=[e[0] for e in EXACT])
def test_presets_equal_their_published_counts(name: str, params: int, buffers: int, source: str) -> None:
    s = paramcalc.summarize(load_preset(name))
    assert (s.total, s.totals.buffers, s.totals.non_trainable) == (params, buffers, 0)
    assert s.reference is not None and s.reference["params"] == params and s.matches_reference()


def test_the_transformer_core_is_torchs_nn_transformer() -> None:
    s = paramcalc.summarize(load_preset("transformer-base"))
    # torch.nn.Transformer(512, 8, 6, 6, 2048): encoder 6 · 3,152,384 + 1,024, decoder 6 · 4,204,032 + 1,024
    assert s.row("encoder").count.total + s.row("decoder").count.total == 44_140_544
    assert s.row("src_embed.embedding").count.total == 18_944_000  # 37000 · 512, used three times


#: Brown et al. 2020, Table 2.1: n_layers, d_model, n_heads, parameters as printed (context 2048).
GPT3_TABLE = [
    ("gpt3-small", 12, 768, 12, 125_000_000),
    ("gpt3-medium", 24, 1024, 16, 350_000_000),
    ("gpt3-large", 24, 1536, 16, 760_000_000),
    ("gpt3-xl", 24, 2048, 24, 1_300_000_000),
    ("gpt3-2.7b", 32, 2560, 32, 2_700_000_000),
    ("gpt3-6.7b", 32, 4096, 32, 6_700_000_000),
    ("gpt3-13b", 40, 5140, 40, 13_000_000_000),
    ("gpt3-175b", 96, 12288, 96, 175_000_000_000),
]


@pytest.mark.parametrize(("name", "layers", "d", "heads", "published"), GPT3_TABLE, ids=[g[0] for g in GPT3_TABLE])
def test_gpt3_family_within_the_papers_rounding(name: str, layers: int, d: int, heads: int, published: int) -> None:
    s = paramcalc.summarize(load_preset(name))
    # GPT-2's layout (section 2.1): 12·L·d² + 13·L·d per stack, (50257 + 2048)·d embeddings, 2·d final norm
    assert s.total == 12 * layers * d * d + 13 * layers * d + (50_257 + 2_048) * d + 2 * d
    # The paper rounds to 2-4 significant figures (350M for 355.9M): within 2% of every printed figure
    assert abs(s.total - published) * 50 <= published
    assert s.reference == {"params": published, "approximate": True, "source": s.reference["source"]}
    size = next(g for g in GPT3_FAMILY if g.preset == name)
    assert (size.n_layers, size.d_model, size.n_ctx) == (layers, d, 2048)


def test_gpt3_175b() -> None:
    # 174,604,259,328 (Table 2.1 says 175.0B); in fp16 that is 349,208,518,656 bytes of weights
    s = paramcalc.summarize(load_preset("gpt3-175b"))
    assert s.total == 174_604_259_328 and s.memory["fp16/bf16"] == 349_208_518_656


@pytest.mark.parametrize("size", GPT2_FAMILY + GPT3_FAMILY, ids=lambda g: g.preset)
def test_the_gpt_files_are_what_the_tables_give(size) -> None:
    assert (PRESET_DIR / f"{size.preset}.yaml").read_text(encoding="utf-8") == gpt_text(size), (
        "regenerate with: python -m paramcalc.models.presets"
    )


def test_every_preset_is_listed_with_a_reference() -> None:
    infos = list_presets()
    assert [i.name for i in infos] == names()
    assert len(infos) == 27
    assert all(i.params and i.source and i.description for i in infos)


@pytest.mark.parametrize(
    ("given", "found"),
    [("ViT-B/16", "vit-b16"), ("GPT2_small", "gpt2"), ("LLaMA-2-7B", "llama2-7b"), ("resnet_50", "resnet50"),
     ("GPT-3 175B", "gpt3-175b"), ("transformer", "transformer-base")],
)
def test_loose_names(given: str, found: str) -> None:
    assert preset_path(given).stem == found


@pytest.mark.parametrize(
    ("given", "hint"),
    [("alexnett", "alexnet"), ("bert", "bert-base or bert-large"), ("gpt3-1", "gpt3-13b or gpt3-175b")],
)
def test_unknown_preset(given: str, hint: str) -> None:
    with pytest.raises(ModelError) as exc:
        preset_path(given)
    assert str(exc.value) == f"unknown preset {given!r}. Did you mean {hint}? Run `paramcalc presets` to list them."


def test_export(tmp_path: Path) -> None:
    path = export_preset("resnet18", tmp_path)
    assert path == tmp_path / "resnet18.yaml"
    assert paramcalc.summarize(str(path)).total == 11_689_512
    with pytest.raises(ModelError, match="exists; choose another path or remove it first"):
        export_preset("resnet18", path)
    assert export_preset("resnet18", path, overwrite=True) == path
