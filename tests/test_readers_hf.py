"""Hugging Face config.json: paramcalc builds the model transformers builds. Each case builds the real
class from the same config on torch's meta device (no memory, no weights) and compares
sum(p.numel() for p in model.parameters()) with paramcalc's total."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import require
from paramcalc.cli import app
from paramcalc.errors import ModelError
from paramcalc.readers import detect_format, summarize
from paramcalc.readers.hf import FAMILIES

torch = require("torch")
transformers = require("transformers")

runner = CliRunner()
PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}

#: Small configs of every family (sizes chosen so that each option matters: GQA, head_dim, experts).
CONFIGS = {
    "llama": lambda: transformers.LlamaConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                              num_key_value_heads=2, intermediate_size=96, vocab_size=100),
    "mistral": lambda: transformers.MistralConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                                  num_key_value_heads=2, intermediate_size=96, vocab_size=100),
    "qwen2": lambda: transformers.Qwen2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                              num_key_value_heads=2, intermediate_size=64, vocab_size=100),
    "gemma": lambda: transformers.GemmaConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                              num_key_value_heads=2, head_dim=16, intermediate_size=64, vocab_size=100),
    "mixtral": lambda: transformers.MixtralConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                                  num_key_value_heads=2, intermediate_size=64, vocab_size=100,
                                                  num_local_experts=4, num_experts_per_tok=2),
    "gpt2": lambda: transformers.GPT2Config(n_layer=2, n_embd=32, n_head=4, vocab_size=100, n_positions=64),
    "gpt_neox": lambda: transformers.GPTNeoXConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                                   intermediate_size=64, vocab_size=100),
    "bert": lambda: transformers.BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                            intermediate_size=64, vocab_size=100),
    "roberta": lambda: transformers.RobertaConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                                  intermediate_size=64, vocab_size=100, num_labels=5),
    "distilbert": lambda: transformers.DistilBertConfig(dim=32, n_layers=2, n_heads=4, hidden_dim=64, vocab_size=100),
    "vit": lambda: transformers.ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                          intermediate_size=64, image_size=32, patch_size=8, num_labels=10),
}

CASES = [(family, cls) for family in CONFIGS for cls in FAMILIES[family][1]]


def meta_count(config: object, cls: str) -> int:
    with torch.device("meta"):
        model = getattr(transformers, cls)(config)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("family", "cls"), CASES, ids=[c for _, c in CASES])
def test_every_class_counts_as_transformers_builds_it(tmp_path: Path, family: str, cls: str) -> None:
    config = CONFIGS[family]()
    config.architectures = [cls]
    config.save_pretrained(tmp_path)
    path = tmp_path / "config.json"
    assert detect_format(path) == "hf-config"
    summary = summarize(path)
    assert summary.total == meta_count(config, cls)
    assert summary.name == cls and summary.exact and summary.source["architecture"] == cls


def test_every_family_is_covered() -> None:
    assert set(CONFIGS) == set(FAMILIES)


def test_mixtral_active_parameters_per_token(tmp_path: Path) -> None:
    config = CONFIGS["mixtral"]()
    config.save_pretrained(tmp_path)
    summary = summarize(tmp_path / "config.json", architecture="MixtralForCausalLM")
    # each of 2 layers has 4 experts of 3·32·64 = 6,144 parameters; 2 of the 4 serve a token
    assert summary.source["active_params_per_token"] == summary.total - 2 * 2 * 6144


def test_tied_embeddings_are_said(tmp_path: Path) -> None:
    config = CONFIGS["gpt2"]()
    config.save_pretrained(tmp_path)
    summary = summarize(tmp_path / "config.json", architecture="GPT2LMHeadModel")
    assert summary.source["tied"] and any("Tied weights" in f for f in summary.facts)
    assert summary.row("lm_head").count.total == 0  # tied: counted once, at wte


def test_the_base_model_when_no_architecture_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
                                "num_attention_heads": 4, "intermediate_size": 96, "vocab_size": 100}))
    summary = summarize(path)
    assert summary.name == "LlamaModel"
    assert summary.total == meta_count(transformers.LlamaConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                                                intermediate_size=96, vocab_size=100), "LlamaModel")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"model_type": "bloom"}, "model_type 'bloom' is not one paramcalc builds; it knows bert, distilbert"),
        ({"model_type": "llama", "hidden_size": -4}, "hidden_size must be an integer from 1"),
        ({"model_type": "llama", "hidden_size": True}, "hidden_size must be an integer"),
        ({"model_type": "llama", "architectures": ["LlamaForTokenClassification"]}, "choose one of LlamaModel"),
    ],
)
def test_bad_configs_are_one_line(tmp_path: Path, config: dict, message: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    with pytest.raises(ModelError, match=message):
        summarize(path)
    result = runner.invoke(app, ["summary", str(path)], env=PLAIN)
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1


def test_commands_read_a_config(tmp_path: Path) -> None:
    config = CONFIGS["llama"]()
    config.architectures = ["LlamaForCausalLM"]
    config.save_pretrained(tmp_path)
    path = str(tmp_path / "config.json")
    total = meta_count(config, "LlamaForCausalLM")
    result = runner.invoke(app, ["summary", path, "--input-shape", "1,16", "--json"], env=PLAIN)
    data = json.loads(result.stdout)
    assert data["totals"]["total"] == total and data["output_shape"] == [1, 16, 100]
    assert runner.invoke(app, ["check", path, "--params", str(total)], env=PLAIN).exit_code == 0
    memory = runner.invoke(app, ["memory", path, "--dtype", "bf16", "--seq-len", "32", "--json"], env=PLAIN)
    assert memory.exit_code == 0 and json.loads(memory.stdout)["lines"][0]["bytes"] == 2 * total
    piped = runner.invoke(app, ["summary", "-", "--json"], input=Path(path).read_text(), env=PLAIN)
    assert json.loads(piped.stdout)["totals"]["total"] == total
