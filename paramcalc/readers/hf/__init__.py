"""Hugging Face ``config.json``: the model transformers builds from it, as a paramcalc model.

The ``model_type`` names the family; the class is ``architectures[0]``, or one chosen, or the base
model. Each family's module builds the layers as transformers does (the same tensors, so the same
``sum(p.numel() for p in model.parameters())``, tied embeddings once), from the config's values and,
where a key is absent, the defaults of transformers' configuration class.

- :mod:`~paramcalc.readers.hf.decoders`: LLaMA, Mistral, Qwen2, Gemma, Mixtral, GPT-2, GPT-NeoX;
- :mod:`~paramcalc.readers.hf.encoders`: BERT, RoBERTa, DistilBERT, ViT.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from paramcalc.errors import ModelError, short_repr
from paramcalc.readers.hf.config import Built, Config

#: model_type → (the class prefix, {class name: head}); the first class is the base model.
FAMILIES: dict[str, tuple[str, dict[str, str]]] = {
    "bert": ("Bert", {"BertModel": "base", "BertForMaskedLM": "masked-lm",
                      "BertForSequenceClassification": "classification"}),
    "roberta": ("Roberta", {"RobertaModel": "base", "RobertaForMaskedLM": "masked-lm",
                            "RobertaForSequenceClassification": "classification"}),
    "distilbert": ("DistilBert", {"DistilBertModel": "base", "DistilBertForMaskedLM": "masked-lm",
                                  "DistilBertForSequenceClassification": "classification"}),
    "gpt2": ("GPT2", {"GPT2Model": "base", "GPT2LMHeadModel": "causal-lm"}),
    "gpt_neox": ("GPTNeoX", {"GPTNeoXModel": "base", "GPTNeoXForCausalLM": "causal-lm"}),
    "llama": ("Llama", {"LlamaModel": "base", "LlamaForCausalLM": "causal-lm"}),
    "mistral": ("Mistral", {"MistralModel": "base", "MistralForCausalLM": "causal-lm"}),
    "qwen2": ("Qwen2", {"Qwen2Model": "base", "Qwen2ForCausalLM": "causal-lm"}),
    "gemma": ("Gemma", {"GemmaModel": "base", "GemmaForCausalLM": "causal-lm"}),
    "mixtral": ("Mixtral", {"MixtralModel": "base", "MixtralForCausalLM": "causal-lm"}),
    "vit": ("ViT", {"ViTModel": "base", "ViTForImageClassification": "classification"}),
}


def _builder(model_type: str) -> Any:
    from paramcalc.readers.hf import decoders, encoders

    if model_type in decoders.LLAMA_DEFAULTS:
        return lambda cfg, head, seq: decoders.llama_like(model_type, cfg, head, seq)
    return {"gpt2": decoders.gpt2, "gpt_neox": decoders.gpt_neox, "bert": encoders.bert, "roberta": encoders.roberta,
            "distilbert": encoders.distilbert, "vit": encoders.vit}[model_type]


def _data(source: Any) -> tuple[dict[str, Any], str]:
    if isinstance(source, dict):
        return source, "config.json"
    from paramcalc.readers.text import read_json_file

    data = read_json_file(source)
    if not isinstance(data, dict):
        raise ModelError(f"{Path(source).name}: a config.json holds a JSON object")
    return data, Path(source).name


def _class(data: dict[str, Any], architecture: str | None) -> tuple[str, str, str]:
    """(model_type, class name, head) for the config and the chosen class."""
    model_type = data.get("model_type")
    if model_type not in FAMILIES:
        known = ", ".join(sorted(FAMILIES))
        raise ModelError(f"config.json: model_type {short_repr(model_type)} is not one paramcalc builds; it knows {known}")
    classes = FAMILIES[model_type][1]
    if architecture is None:
        listed = data.get("architectures")
        if isinstance(listed, list) and listed and isinstance(listed[0], str):
            architecture = listed[0]
            if architecture not in classes:
                raise ModelError(f"config.json: architectures names {short_repr(architecture)}, which paramcalc does "
                                 f"not build; choose one of {', '.join(classes)} (--architecture)")
        else:
            architecture = next(iter(classes))
    if architecture not in classes:
        raise ModelError(f"architecture {short_repr(architecture)} is not a {model_type} class paramcalc builds; "
                         f"choose one of {', '.join(classes)}")
    return model_type, architecture, classes[architecture]


def _build(source: Any, architecture: str | None, seq_len: int | None) -> tuple[dict[str, Any], Built, str]:
    data, where = _data(source)
    model_type, cls, head = _class(data, architecture)
    cfg = Config(data)
    built = _builder(model_type)(cfg, head, seq_len)
    notes = list(built.notes)
    if cfg.defaults_used:
        notes.append(f"not in {where}, so transformers' defaults for {model_type}: {', '.join(cfg.defaults_used)}")
    model = {
        "name": cls, "framework": "pytorch",
        "description": f"{cls} as transformers builds it from {where}",
        "inputs": built.inputs, "layers": built.layers,
    }
    return model, replace(built, notes=notes), cls


def load_hf_config(source: Any, *, architecture: str | None = None) -> Any:
    """The :class:`~paramcalc.models.format.Model` transformers would build from a config (a path or its dict).

    Raises:
        ModelError: a ``model_type`` or class paramcalc does not build (the message names those it
            does), or a value transformers would refuse.
    """
    from paramcalc.models.format import load_model

    model, _, _ = _build(source, architecture, None)
    return load_model(model)


def summarize_hf_config(source: Any, *, architecture: str | None = None, input_shape: Any = None,
                        convention: str | None = None) -> Any:
    """The summary of the model a config builds, with its tied weights and (for a mixture of experts)
    the parameters active per token.

    Raises:
        ModelError: see :func:`load_hf_config`; a shape that does not fit.
    """
    from paramcalc.models.evaluate import evaluate
    from paramcalc.models.format import load_model

    model, built, cls = _build(source, architecture, None)
    summary = evaluate(load_model(model), input_shape=input_shape, convention=convention or "pytorch")
    facts = list(built.facts)
    notes = [*summary.notes, *built.notes]
    if built.tied:
        facts.append("Tied weights, counted once: " + "; ".join(built.tied))
    source_data: dict[str, Any] = {"format": "hf-config", "architecture": cls, "tied": built.tied, **built.source}
    if built.inactive:
        active = summary.total - built.inactive
        facts.append(f"Active parameters per token: {active:,} of {summary.total:,}")
        source_data["active_params_per_token"] = active
    return replace(summary, facts=tuple(facts), notes=tuple(notes), source=source_data)
