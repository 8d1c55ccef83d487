"""Cross-check against Hugging Face transformers' own model classes, built from a config on the
meta device (shapes only: no weights, no memory, nothing downloaded).

- the BERT, GPT-2, GPT-3, LLaMA and ViT presets: totals and the named parts of each against
  BertModel, GPT2LMHeadModel (tied head; GPT-3 is GPT-2's architecture at its own sizes),
  LlamaForCausalLM and ViTForImageClassification / ViTModel;
- the blocks whose tensors paramcalc names as Hugging Face does (DecoderBlock in GPT-2 and LLaMA
  style, CausalSelfAttention, SelfAttention, SwiGLU): every state_dict name, shape and position.

The CNN presets are checked against torch builds written in the suite (tests/torch_archs.py,
tests/test_crosscheck_presets.py): torchvision cannot be installed beside the pinned torch 2.13.
"""

from __future__ import annotations

from math import prod
from typing import Any

import pytest
from conftest import require

import paramcalc
from paramcalc import parse_layer
from paramcalc.models.presets import load_preset

torch = require("torch")
transformers = require("transformers")
from transformers.models.gpt2.modeling_gpt2 import GPT2Attention, GPT2Block  # noqa: E402
from transformers.models.llama.modeling_llama import LlamaAttention, LlamaDecoderLayer, LlamaMLP  # noqa: E402

pytestmark = [pytest.mark.crosscheck]


def on_meta(make: Any, *args: Any) -> Any:
    with torch.device("meta"):
        return make(*args)


def params(module: Any, *prefixes: str) -> int:
    """Parameters under the given module paths (a tied parameter counted once), or all of them."""
    seen = {}
    for name, p in module.named_parameters():
        if not prefixes or any(name == pre or name.startswith(pre + ".") for pre in prefixes):
            seen[id(p)] = p.numel()
    return sum(seen.values())


def state(module: Any) -> list[tuple[str, tuple[int, ...]]]:
    return [(name, tuple(t.shape)) for name, t in module.state_dict().items()]


def listed(expr: str) -> list[tuple[str, tuple[int, ...]]]:
    return [(t.name, t.shape) for t in parse_layer(expr).param_tensors()]


# -- presets ---------------------------------------------------------------------------------

BERT = {  # BertConfig: hidden_size, num_hidden_layers, num_attention_heads, intermediate_size (Devlin et al.)
    "bert-base": (768, 12, 12, 3072),
    "bert-large": (1024, 24, 16, 4096),
}


@pytest.mark.parametrize("name", list(BERT))
def test_bert_presets_equal_transformers_bert_model(name: str) -> None:
    d, layers, heads, ff = BERT[name]
    config = transformers.BertConfig(hidden_size=d, num_hidden_layers=layers, num_attention_heads=heads,
                                     intermediate_size=ff)
    model = on_meta(transformers.BertModel, config)  # with its pooler, as the preset
    s = paramcalc.summarize(load_preset(name))
    assert s.total == params(model)
    for part in ("embeddings", "encoder", "pooler"):
        assert s.row(part).count.total == params(model, part), part


GPT2 = {"gpt2": (768, 12, 12), "gpt2-medium": (1024, 24, 16), "gpt2-large": (1280, 36, 20), "gpt2-xl": (1600, 48, 25)}


@pytest.mark.parametrize("name", list(GPT2))
def test_gpt2_presets_equal_transformers_gpt2(name: str) -> None:
    d, layers, heads = GPT2[name]
    model = on_meta(transformers.GPT2LMHeadModel, transformers.GPT2Config(n_embd=d, n_layer=layers, n_head=heads))
    assert model.lm_head.weight is model.transformer.wte.weight  # tied: counted once
    s = paramcalc.summarize(load_preset(name))
    assert s.total == params(model)
    assert s.row("embeddings.wte").count.total == params(model, "transformer.wte")
    assert s.row("embeddings.wpe").count.total == params(model, "transformer.wpe")
    assert s.row("h").count.total == params(model, "transformer.h")
    assert s.row("ln_f").count.total == params(model, "transformer.ln_f")


def test_llama2_7b_preset_equals_transformers_llama() -> None:
    # Llama-2-7b-hf's config.json: 32 layers of 4096, 32 heads, SwiGLU 11008, 32,000 tokens, untied head
    config = transformers.LlamaConfig(
        vocab_size=32_000, hidden_size=4096, intermediate_size=11_008, num_hidden_layers=32, num_attention_heads=32,
        num_key_value_heads=32, max_position_embeddings=4096, rms_norm_eps=1e-5, tie_word_embeddings=False,
    )
    model = on_meta(transformers.LlamaForCausalLM, config)
    s = paramcalc.summarize(load_preset("llama2-7b"))
    assert s.total == params(model) == 6_738_415_616
    for ours, theirs in (("embed_tokens", "model.embed_tokens"), ("layers", "model.layers"), ("norm", "model.norm"),
                         ("lm_head", "lm_head")):
        assert s.row(ours).count.total == params(model, theirs), ours


GPT3 = {  # Brown et al. 2020, Table 2.1: n_layers, d_model, n_heads (the 2048-token context of section 2.1)
    "gpt3-small": (12, 768, 12), "gpt3-medium": (24, 1024, 16), "gpt3-large": (24, 1536, 16),
    "gpt3-xl": (24, 2048, 24), "gpt3-2.7b": (32, 2560, 32), "gpt3-6.7b": (32, 4096, 32),
    "gpt3-13b": (40, 5140, 40), "gpt3-175b": (96, 12288, 96),
}


@pytest.mark.parametrize("name", list(GPT3))
def test_gpt3_presets_equal_transformers_gpt2_at_gpt3_sizes(name: str) -> None:
    # Section 2.1: "the same model and architecture as GPT-2", with alternating dense and locally
    # banded sparse attention (no parameters of its own). The head count does not change a count, and
    # for XL (2048 / 24) and 13B (5140 / 40) the table's heads do not divide d_model, which GPT2Config
    # refuses: those two are built with 16 and 20 heads.
    layers, d, heads = GPT3[name]
    if d % heads:
        heads = {2048: 16, 5140: 20}[d]
    config = transformers.GPT2Config(n_embd=d, n_layer=layers, n_head=heads, n_positions=2048)
    model = on_meta(transformers.GPT2LMHeadModel, config)
    s = paramcalc.summarize(load_preset(name))
    assert s.total == params(model)
    assert s.row("h").count.total == params(model, "transformer.h")
    assert s.row("embeddings").count.total == params(model, "transformer.wte", "transformer.wpe")


def preset_tensors(name: str) -> list[tuple[int, ...]]:
    """The shapes of every tensor a preset lists, each repeated block as many times as it repeats."""
    out = []
    for row in paramcalc.summarize(load_preset(name)).rows:
        if row.leaf and row.layer:
            out += [t.shape for t in parse_layer(row.layer).param_tensors()] * row.repeat
    return out


def test_vit_b16_preset_equals_transformers_vit_with_a_classifier() -> None:
    # ViTConfig's defaults are ViT-B/16 at 224x224: 12 layers of 768, 12 heads, MLP 3072, patches of 16.
    config = transformers.ViTConfig(num_labels=1000)
    model = on_meta(transformers.ViTForImageClassification, config)  # no pooler; classifier on the class token
    s = paramcalc.summarize(load_preset("vit-b16"))
    assert s.total == params(model) == 86_567_656  # torchvision's vit_b_16 count, as the preset's reference
    assert s.row("embeddings").count.total == params(model, "vit.embeddings")
    # torchvision keeps the final LayerNorm inside its encoder (encoder.ln); transformers beside its
    # layers (vit.layernorm after vit.layers)
    assert s.row("encoder").count.total == params(model, "vit.layers", "vit.layernorm")
    assert s.row("encoder.layers").count.total == params(model, "vit.layers")
    assert s.row("encoder.ln").count.total == params(model, "vit.layernorm") == 2 * 768
    assert s.row("head").count.total == params(model, "classifier") == 768 * 1000 + 1000


def test_vit_b16_preset_against_transformers_vit_model_with_its_pooler() -> None:
    # ViTModel has no classifier but, by default, a pooler: Linear(768, 768) and tanh on the class token.
    # So ViTModel = preset - head + pooler = 86,567,656 - (768·1000 + 1000) + (768·768 + 768)
    #             = 86,567,656 - 769,000 + 590,592 = 86,389,248.
    with_pooler = on_meta(transformers.ViTModel, transformers.ViTConfig())
    without = on_meta(lambda: transformers.ViTModel(transformers.ViTConfig(), add_pooling_layer=False))
    s = paramcalc.summarize(load_preset("vit-b16"))
    head, pooler = 768 * 1000 + 1000, 768 * 768 + 768
    assert params(with_pooler) == s.total - head + pooler == 86_389_248
    assert params(without) == s.total - s.row("head").count.total == 85_798_656


def test_vit_b16_preset_lists_transformers_vit_tensors_with_packed_attention() -> None:
    # transformers' ViT attention has separate q_proj, k_proj and v_proj Linears (6 tensors a layer);
    # the preset's torch MultiheadAttention packs them into in_proj_weight (3·768, 768) and
    # in_proj_bias (3·768,): 2 tensors. So 200 tensors there are 200 - 12·(6 - 2) = 152 here, with the
    # same shapes once the three projections are stacked.
    model = on_meta(transformers.ViTForImageClassification, transformers.ViTConfig(num_labels=1000))
    named = dict(model.named_parameters())
    assert len(named) == 200
    theirs = []
    for name, p in named.items():
        if any(f".attention.{x}_proj." in name for x in "qkv"):
            if ".q_proj." in name:  # one stacked tensor for query, key and value
                theirs.append((3 * p.shape[0], *p.shape[1:]))
            continue
        theirs.append(tuple(p.shape))
    ours = preset_tensors("vit-b16")
    assert len(ours) == 152 == len(named) - 12 * (6 - 2)
    assert sorted(ours) == sorted(theirs)
    assert sum(prod(shape) for shape in ours) == sum(p.numel() for p in named.values())


# -- blocks, tensor by tensor ----------------------------------------------------------------


@pytest.mark.parametrize(("d", "heads", "ff"), [(16, 4, None), (768, 12, None), (24, 3, 40)])
def test_gpt2_decoder_block_is_transformers_gpt2_block(d: int, heads: int, ff: int | None) -> None:
    config = transformers.GPT2Config(n_embd=d, n_head=heads, n_inner=ff)
    expr = f"DecoderBlock({d}, {heads}" + (f", dim_feedforward={ff})" if ff else ")")
    assert listed(expr) == state(on_meta(GPT2Block, config))
    assert listed(f"CausalSelfAttention({d}, {heads})") == state(on_meta(GPT2Attention, config))


@pytest.mark.parametrize(("d", "heads", "kv", "bias"), [(16, 4, 2, False), (4096, 32, 32, False), (32, 8, 8, True)])
def test_llama_decoder_block_is_transformers_llama_decoder_layer(d: int, heads: int, kv: int, bias: bool) -> None:
    # intermediate_size left to paramcalc's LLaMA rule, given to transformers as the number Meta's rule gives
    hidden = parse_layer(f"DecoderBlock({d}, {heads}, style='llama')").dim_feedforward
    config = transformers.LlamaConfig(hidden_size=d, num_attention_heads=heads, num_key_value_heads=kv,
                                      intermediate_size=hidden, attention_bias=bias, mlp_bias=bias)
    block = f"DecoderBlock({d}, {heads}, style='llama', num_kv_heads={kv}, bias={bias})"
    assert listed(block) == state(on_meta(LlamaDecoderLayer, config, 0))
    attention = f"SelfAttention({d}, {heads}, num_kv_heads={kv}, bias={bias})"
    assert listed(attention) == state(on_meta(LlamaAttention, config, 0))
    assert listed(f"SwiGLU({d}, {hidden}, bias={bias})") == state(on_meta(LlamaMLP, config))


def test_llama_attention_with_its_own_head_size() -> None:
    config = transformers.LlamaConfig(hidden_size=24, num_attention_heads=4, num_key_value_heads=2, head_dim=8)
    assert listed("SelfAttention(24, 4, num_kv_heads=2, head_dim=8, bias=False)") == state(
        on_meta(LlamaAttention, config, 0))
