"""Cross-check of the presets against the same architectures built in torch (tests/torch_archs.py):
totals, buffers, the counts of named parts, and the output shape of a forward pass (run on the meta
device, which computes shapes without memory or arithmetic). Also the ``print(model)`` text of
each torch build, read by paramcalc.models.torchprint."""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from conftest import require

import paramcalc
from paramcalc.models.presets import GPT3_FAMILY, load_preset
from paramcalc.models.torchprint import summarize_torch_print

torch = require("torch")
import torch_archs as A  # noqa: E402 - needs torch

pytestmark = [pytest.mark.crosscheck, pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")]


def count(module: Any, prefixes: tuple[str, ...] = ("",)) -> int:
    """Parameters under the given module paths (a parameter shared by two of them counted once)."""
    seen: dict[int, int] = {}
    for name, p in module.named_parameters():
        if any(name == pre or name.startswith(pre + ".") or pre == "" for pre in prefixes):
            seen[id(p)] = p.numel()
    return sum(seen.values())


#: preset → (torch builder, input maker, {our row path: torch module paths with the same parameters})
CASES: dict[str, tuple[Callable[[], Any], Callable[[tuple[int, ...]], Any], dict[str, tuple[str, ...]]]] = {
    "lenet5": (lambda: A.lenet5("meta"), None, {"0": ("0",), "3": ("3",), "7": ("7",), "9": ("9",), "11": ("11",)}),
    "alexnet": (lambda: A.alexnet(device="meta"), None, {"features": ("0",), "classifier": ("3",),
                                                         "features.3": ("0.3",), "classifier.1": ("3.1",)}),
    "vgg11": (lambda: A.vgg11(device="meta"), None, {"features": ("0",), "classifier": ("3",)}),
    "vgg16": (lambda: A.vgg16(device="meta"), None, {"features": ("0",), "classifier": ("3",),
                                                     "features.28": ("0.28",)}),
    "resnet18": (lambda: A.resnet18(device="meta"), None, {
        "conv1": ("conv1",), "bn1": ("bn1",), "layer1": ("layer1",), "layer2": ("layer2",), "layer3": ("layer3",),
        "layer4": ("layer4",), "fc": ("fc",), "layer2.0": ("layer2.0",), "layer2.0.downsample": ("layer2.0.downsample",),
        "layer1.0": ("layer1.0",), "layer1.0.conv1": ("layer1.0.conv1",), "layer1.1.conv1": ("layer1.1.conv1",),
        "layer4.1.conv2": ("layer4.1.conv2",)}),
    "resnet50": (lambda: A.resnet50(device="meta"), None, {
        "layer1": ("layer1",), "layer2": ("layer2",), "layer3": ("layer3",), "layer4": ("layer4",), "fc": ("fc",),
        "layer3.0": ("layer3.0",), "layer3.0.downsample": ("layer3.0.downsample",),
        "layer3.1": tuple(f"layer3.{i}" for i in range(1, 6)),
        "layer3.1[0-4].conv2": tuple(f"layer3.{i}.conv2" for i in range(1, 6))}),
    "vit-b16": (lambda: A.vit_b16(device="meta"), None, {
        "embeddings": ("conv_proj", "class_token", "pos_embedding"), "encoder.layers": ("layers",),
        "encoder.ln": ("ln",), "head": ("head",)}),
    # nn.Transformer's forward reads values (.item()), which the meta device cannot: built on the CPU
    "transformer-base": (lambda: A.transformer_base(device="cpu"), None, {
        "src_embed.embedding": ("embedding",), "encoder": ("core.encoder",), "decoder": ("core.decoder",)}),
    "bert-base": (lambda: A.bert_base(device="meta"), None, {
        "embeddings": ("word_embeddings", "position_embeddings", "token_type_embeddings", "embedding_norm"),
        "embeddings.sum.word_embeddings": ("word_embeddings",), "encoder": ("layers",), "pooler": ("pooler",),
        "encoder[0-11].attention": tuple(f"layers.{i}.{m}" for i in range(12)
                                         for m in ("attention", "attention_output", "attention_norm"))}),
    "bert-large": (lambda: A.bert_large(device="meta"), None, {"encoder": ("layers",), "pooler": ("pooler",)}),
    "gpt2": (lambda: A.gpt2("small", device="meta"), None, {
        "embeddings.wte": ("wte",), "embeddings.wpe": ("wpe",), "h": ("h",), "ln_f": ("ln_f",),
        "h[0-11].attention.attn": tuple(f"h.{i}.attn" for i in range(12))}),
    "gpt2-medium": (lambda: A.gpt2("medium", device="meta"), None, {"h": ("h",)}),
    "gpt2-large": (lambda: A.gpt2("large", device="meta"), None, {"h": ("h",)}),
    "gpt2-xl": (lambda: A.gpt2("xl", device="meta"), None, {"h": ("h",)}),
    "llama2-7b": (lambda: A.llama2_7b(device="meta"), None, {
        "embed_tokens": ("embed_tokens",), "layers": ("layers",), "norm": ("norm",), "lm_head": ("lm_head",),
        "layers[0-31].ffn.mlp": tuple(f"layers.{i}.mlp" for i in range(32))}),
}


def forward_shape(name: str, module: Any, summary: Any) -> tuple[int, ...]:
    shapes = list(summary.input_shapes.values())
    device = next(module.parameters()).device
    if summary.rows[0].type in ("Embedding", "Parallel") or name in ("transformer-base", "bert-base", "bert-large"):
        inputs = [torch.zeros(s, dtype=torch.long, device=device) for s in shapes]
    else:
        inputs = [torch.zeros(s, device=device) for s in shapes]
    with torch.no_grad():
        out = module(*inputs)
    if isinstance(out, tuple):  # BertModel-like: (sequence output, pooled output)
        out = out[1]
    return tuple(out.shape)


@pytest.mark.parametrize("name", list(CASES))
def test_presets_equal_their_torch_builds(name: str) -> None:
    build, _, parts = CASES[name]
    module = build()
    s = paramcalc.summarize(load_preset(name))
    assert s.total == A.count_params(module)
    assert s.totals.buffers == A.count_buffers(module)[1]
    for path, torch_paths in parts.items():
        assert s.row(path).count.total == count(module, torch_paths), path
    assert s.output_shape == forward_shape(name, module, s)


def test_the_transformer_core() -> None:
    core = A.transformer_base_core(device="meta")
    assert A.count_params(core) == 44_140_544
    assert paramcalc.parse_layer("Transformer(512, 8, 6, 6, 2048)").count().total == 44_140_544


@pytest.mark.parametrize("size", GPT3_FAMILY, ids=lambda g: g.preset)
def test_gpt3_presets_equal_torch_builds(size) -> None:
    row = next(r for r in A.GPT3_TABLE if r.name == size.title)
    assert (row.n_layers, row.d_model, row.n_params_published) == (size.n_layers, size.d_model, size.published)
    module = A.gpt3(size.n_layers, size.d_model, size.n_heads)
    s = paramcalc.summarize(load_preset(size.preset))
    assert s.total == A.count_params(module)


# -- print(model) text -----------------------------------------------------------------------

#: builder, and what print(model) cannot show: parameters a custom module holds itself, and a tied
#: matrix printed twice (the notes say so and give the corrected total).
PRINTED = {
    "lenet5": (lambda: A.lenet5(), 0, None),
    "alexnet": (lambda: A.alexnet(device="meta"), 0, None),
    "vgg16": (lambda: A.vgg16(device="meta"), 0, None),
    "resnet18": (lambda: A.resnet18(device="meta"), 0, None),
    "resnet50": (lambda: A.resnet50(device="meta"), 0, None),
    "bert-base": (lambda: A.bert_base(device="meta"), 0, None),
    "llama2-7b": (lambda: A.llama2_7b(device="meta"), 0, None),
    "transformer-core": (lambda: A.transformer_base_core(device="meta"), 0, None),
    # ViT: the class token (768) and position embeddings (197 · 768) belong to VisionTransformer itself
    "vit-b16": (lambda: A.vit_b16(device="meta"), -(768 + 197 * 768), None),
    # GPT-2: lm_head is wte, printed twice
    "gpt2": (lambda: A.gpt2("small", device="meta"), 50_257 * 768, 124_439_808),
    "transformer-base": (lambda: A.transformer_base(device="meta"), 37_000 * 512, 63_084_544),
}


@pytest.mark.parametrize("name", list(PRINTED))
def test_torch_print_of_each_build(name: str) -> None:
    build, gap, tied_total = PRINTED[name]
    module = build()
    s = summarize_torch_print(str(module))
    assert s.total == A.count_params(module) + gap
    assert s.totals.buffers == A.count_buffers(module)[1]
    if tied_total is not None:
        assert any(f"the true total is {tied_total:,}" in n for n in s.notes)
    if gap < 0:
        assert any("VisionTransformer" in n for n in s.incomplete)


def test_torch_print_of_torch_containers_is_complete() -> None:
    nn = torch.nn
    model = nn.Sequential(
        nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True), 2, norm=nn.LayerNorm(64)),
        nn.ModuleList([nn.Linear(64, 64) for _ in range(3)]),
        nn.MultiheadAttention(64, 4, bias=False),
        nn.GroupNorm(4, 64), nn.PReLU(8), nn.InstanceNorm1d(64, affine=True, track_running_stats=True),
        nn.LSTM(64, 32, num_layers=2, bidirectional=True), nn.ParameterList([nn.Parameter(torch.zeros(3, 5))]),
        nn.BatchNorm1d(16, bias=False), nn.RMSNorm(64), nn.Embedding(10, 4, padding_idx=0), nn.SiLU(),
    )
    s = summarize_torch_print(str(model))
    assert s.incomplete == ()
    assert (s.total, s.totals.buffers) == (A.count_params(model), A.count_buffers(model)[1])
    assert re.search(r"in_proj", " ".join(r.path for r in s.rows))


@pytest.mark.parametrize(("file", "build"), [
    ("resnet18_print.txt", lambda: A.resnet18(device="meta")),
    ("gpt2_print.txt", lambda: A.gpt2("small", device="meta")),
    ("vit_b16_print.txt", lambda: A.vit_b16(device="meta")),
])
def test_stored_printouts_are_what_torch_prints(file: str, build: Callable[[], Any]) -> None:
    from pathlib import Path

    assert (Path(__file__).parent / "data" / file).read_text(encoding="utf-8") == str(build()) + "\n"
