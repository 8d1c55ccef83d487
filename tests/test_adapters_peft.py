"""LoRA adapters counted as the peft library counts them: the same small models built with
transformers, wrapped by peft, and ``get_nb_trainable_parameters()`` compared with paramcalc."""

from __future__ import annotations

import pytest
import yaml
from conftest import require

from paramcalc import SpecError
from paramcalc.analysis.adapters import LoRA, adapt
from paramcalc.models.presets import load_model_or_preset

torch = require("torch")
transformers = require("transformers")
peft = require("peft")

pytestmark = pytest.mark.crosscheck

LLAMA = {"name": "small LLaMA", "framework": "pytorch", "input_shape": [1, 16], "layers": [
    {"name": "embed_tokens", "layer": "Embedding(97, 64)"},
    {"name": "layers", "repeat": 2, "layers": [
        {"name": "attention", "shortcut": "identity", "layers": [
            "RMSNorm(64)", {"name": "self_attn", "layer": "SelfAttention(64, 4, num_kv_heads=2, bias=False, causal=True)"}]},
        {"name": "ffn", "shortcut": "identity", "layers": ["RMSNorm(64)", {"name": "mlp", "layer": "SwiGLU(64, 176)"}]}]},
    {"name": "norm", "layer": "RMSNorm(64)"},
    {"name": "lm_head", "layer": "Linear(64, 97, bias=False)"}]}


def hf_llama():
    config = transformers.LlamaConfig(hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                                      intermediate_size=176, num_hidden_layers=2, vocab_size=97)
    return transformers.LlamaForCausalLM(config)


def hf_gpt2():
    return transformers.GPT2LMHeadModel(transformers.GPT2Config(n_embd=64, n_head=4, n_layer=2, n_positions=128))


def gpt2_file():
    from paramcalc.models.presets import GPTSize, gpt_text

    data = yaml.safe_load(gpt_text(GPTSize("gpt2-tiny", "tiny GPT-2", 2, 64, 4, 128, None, "tiny")))
    del data["reference"]
    return data


def peft_count(model, rank, targets):
    config = peft.LoraConfig(r=rank, lora_alpha=2 * rank, target_modules=targets)
    trainable, _ = peft.get_peft_model(model, config).get_nb_trainable_parameters()
    return trainable


def ours(model, rank, targets):
    loaded = load_model_or_preset(model)
    return adapt(loaded.summarize(), LoRA(rank, 2 * rank, tuple([targets] if isinstance(targets, str) else targets)))


@pytest.mark.parametrize("rank, targets", [
    (8, ["q_proj", "v_proj"]),
    (4, ["q_proj", "k_proj", "v_proj", "o_proj"]),
    (16, ["gate_proj", "down_proj"]),
    (8, "all-linear"),
])
def test_llama_lora_counts_equal_peft(rank, targets):
    torch.manual_seed(0)
    assert ours(LLAMA, rank, targets).trainable == peft_count(hf_llama(), rank, targets)


@pytest.mark.parametrize("rank, targets", [(8, ["c_attn"]), (4, ["c_attn", "c_proj"]), (8, "all-linear")])
def test_gpt2_lora_counts_equal_peft(rank, targets):
    torch.manual_seed(0)
    assert ours(gpt2_file(), rank, targets).trainable == peft_count(hf_gpt2(), rank, targets)


def test_llama2_7b_q_v_rank_8():
    # hand count: 32 layers × (q_proj 8·(4096 + 4096) + v_proj 8·(4096 + 4096)) = 4,194,304, the
    # figure peft prints for meta-llama/Llama-2-7b-hf with r=8 on q_proj and v_proj
    assert ours("llama2-7b", 8, ["q_proj", "v_proj"]).trainable == 32 * 2 * 8 * 8192 == 4_194_304


def test_qlora_stores_the_linear_weights_in_nf4():
    from paramcalc.analysis.planning import plan_memory as plan

    result = plan("llama2-7b", training=True, dtype="bf16", batch_size=1, seq_len=512,
                  lora=LoRA(8, 16, ("q_proj", "v_proj"), qlora=True))
    base = result.memory.line("parameters: base model (frozen, QLoRA)")
    # linear weights 32 × 202,375,168 = 6,476,005,376 in nf4 (4.127 bits: ceil(n·4.127…/8) bytes);
    # embeddings, norms and lm_head (262,410,240) in bf16
    linear = 6_476_005_376
    nf4 = -(-linear * (4 * 64 * 256 + 8 * 256 + 32) // (8 * 64 * 256))
    assert base.bytes == nf4 + 2 * 262_410_240
    assert result.memory.line("gradients").bytes == 2 * 4_194_304


def test_no_target_matches():
    with pytest.raises(SpecError, match="no linear layer matches"):
        ours(LLAMA, 8, ["query"])
