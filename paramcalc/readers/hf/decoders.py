"""Decoder-only language models as transformers builds them: LLaMA, Mistral, Qwen2, Gemma and
Mixtral (pre-norm RMSNorm blocks with separate q/k/v/o projections and a gated MLP), GPT-2 and GPT-NeoX."""

from __future__ import annotations

from paramcalc.readers.hf.config import Built, Config, block, layer

#: Each LLaMA-like family's defaults (transformers' configuration classes), where they differ.
LLAMA_DEFAULTS = {
    "llama": {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
              "num_attention_heads": 32, "rms_norm_eps": 1e-6, "tie_word_embeddings": False, "max_position_embeddings": 2048},
    "mistral": {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                "num_attention_heads": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-6,
                "tie_word_embeddings": False, "max_position_embeddings": 4096 * 32},
    "qwen2": {"vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 22016, "num_hidden_layers": 32,
              "num_attention_heads": 32, "num_key_value_heads": 32, "rms_norm_eps": 1e-6,
              "tie_word_embeddings": False, "max_position_embeddings": 32768},
    "gemma": {"vocab_size": 256000, "hidden_size": 3072, "intermediate_size": 24576, "num_hidden_layers": 28,
              "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 256, "rms_norm_eps": 1e-6,
              "tie_word_embeddings": True, "max_position_embeddings": 8192},
    "mixtral": {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                "num_attention_heads": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-5,
                "tie_word_embeddings": False, "max_position_embeddings": 4096 * 32},
}


def llama_like(family: str, cfg: Config, head: str, seq_len: int | None) -> Built:
    """LlamaModel / LlamaForCausalLM and the families built the same way (``head``: "base" or "causal-lm")."""
    d = LLAMA_DEFAULTS[family]
    vocab, dim = cfg.int("vocab_size", d["vocab_size"]), cfg.int("hidden_size", d["hidden_size"])
    ffn, n = cfg.int("intermediate_size", d["intermediate_size"]), cfg.int("num_hidden_layers", d["num_hidden_layers"])
    heads = cfg.int("num_attention_heads", d["num_attention_heads"])
    kv = cfg.int("num_key_value_heads", d.get("num_key_value_heads", heads))
    head_dim = cfg.int("head_dim", d.get("head_dim", dim // heads))
    eps = cfg.eps("rms_norm_eps", d["rms_norm_eps"])
    tie = cfg.bool("tie_word_embeddings", d["tie_word_embeddings"])
    max_len = cfg.int("max_position_embeddings", d["max_position_embeddings"])
    if family == "qwen2":
        attention_bias, out_bias, mlp_bias = True, False, False
    elif family in ("llama",):
        attention_bias = cfg.bool("attention_bias", False)
        out_bias, mlp_bias = attention_bias, cfg.bool("mlp_bias", False)
    else:
        attention_bias = cfg.bool("attention_bias", False) if family == "gemma" else False
        out_bias, mlp_bias = attention_bias, False
    attention = (f"SelfAttention({dim}, {heads}, num_kv_heads={kv}, head_dim={head_dim}, bias={attention_bias}, "
                 f"out_bias={out_bias}, causal=True)")
    norm = f"RMSNorm({dim}, eps={eps})"
    built = Built(layers=[], inputs={"input_ids": [1, seq_len or min(max_len, 2048)]})
    if family == "mixtral":
        experts, active = cfg.int("num_local_experts", 8), cfg.int("num_experts_per_tok", 2)
        expert = 3 * dim * ffn
        mlp: list = [
            layer("gate", f"Linear({dim}, {experts}, bias=False)"),
            layer("experts", f"SwiGLU({dim}, {ffn}, bias=False)", repeat=experts, input="post_attention_layernorm"),
        ]
        built.inactive = n * (experts - active) * expert
        built.notes.append(
            f"mixture of experts: {experts} experts of {expert:,} parameters in each of the {n} layers; the router "
            f"sends each token to {active}, so {n * (experts - active) * expert:,} parameters are not used for a "
            f"token; the compute counts every expert on every token ({experts}/{active} of the true MLP work)")
    else:
        mlp = [layer("mlp", f"SwiGLU({dim}, {ffn}, bias={mlp_bias})")]
    built.layers = [
        layer("embed_tokens", f"Embedding({vocab}, {dim})"),
        block("layers", [
            block("attention", [layer("input_layernorm", norm), layer("self_attn", attention)], shortcut="identity"),
            block("ffn", [layer("post_attention_layernorm", norm), *mlp], shortcut="identity"),
        ], repeat=n),
        layer("norm", norm),
    ]
    if head == "causal-lm":
        built.layers.append(layer("lm_head", f"Linear({dim}, {vocab}, bias=False)", **({"tie": "embed_tokens"} if tie else {})))
        if tie:
            built.tied.append("lm_head.weight is embed_tokens.weight (tie_word_embeddings)")
    return built


def gpt2(cfg: Config, head: str, seq_len: int | None) -> Built:
    """GPT2Model / GPT2LMHeadModel: learned positions, pre-LN blocks with fused attention (Conv1D)."""
    vocab, positions = cfg.int("vocab_size", 50257), cfg.int("n_positions", 1024)
    dim, n, heads = cfg.int("n_embd", 768), cfg.int("n_layer", 12), cfg.int("n_head", 12)
    inner = cfg.optional_int("n_inner") or 4 * dim
    eps = cfg.eps("layer_norm_epsilon", 1e-5)
    tie = cfg.bool("tie_word_embeddings", True)
    norm = f"LayerNorm({dim}, eps={eps})"
    built = Built(layers=[
        block("embeddings", [{"name": "add", "parallel": [layer("wte", f"Embedding({vocab}, {dim})"),
                                                          layer("wpe", f"Embedding({positions}, {dim})")]}]),
        block("h", [
            block("attention", [layer("ln_1", norm), layer("attn", f"CausalSelfAttention({dim}, {heads})")],
                  shortcut="identity"),
            block("mlp", [layer("ln_2", norm), layer("c_fc", f"Linear({dim}, {inner})"),
                          layer("act", "GELU(approximate='tanh')"), layer("c_proj", f"Linear({inner}, {dim})")],
                  shortcut="identity"),
        ], repeat=n),
        layer("ln_f", norm),
    ], inputs={"input_ids": [1, seq_len or positions]})
    if head == "causal-lm":
        built.layers.append(layer("lm_head", f"Linear({dim}, {vocab}, bias=False)",
                                  **({"tie": "embeddings.add.wte"} if tie else {})))
        if tie:
            built.tied.append("lm_head.weight is wte.weight (tie_word_embeddings)")
    return built


def gpt_neox(cfg: Config, head: str, seq_len: int | None) -> Built:
    """GPTNeoXModel / GPTNeoXForCausalLM: fused query_key_value with biases, LayerNorms, GELU MLP."""
    vocab, dim = cfg.int("vocab_size", 50432), cfg.int("hidden_size", 6144)
    n, heads = cfg.int("num_hidden_layers", 44), cfg.int("num_attention_heads", 64)
    ffn, eps = cfg.int("intermediate_size", 24576), cfg.eps("layer_norm_eps", 1e-5)
    bias = cfg.bool("attention_bias", True)
    tie = cfg.bool("tie_word_embeddings", False)
    parallel = cfg.bool("use_parallel_residual", True)
    norm = f"LayerNorm({dim}, eps={eps})"
    built = Built(layers=[
        layer("embed_in", f"Embedding({vocab}, {dim})"),
        block("layers", [
            block("attention", [layer("input_layernorm", norm),
                                layer("attention", f"CausalSelfAttention({dim}, {heads}, bias={bias})")],
                  shortcut="identity"),
            block("mlp", [layer("post_attention_layernorm", norm), layer("dense_h_to_4h", f"Linear({dim}, {ffn})"),
                          layer("act", "GELU()"), layer("dense_4h_to_h", f"Linear({ffn}, {dim})")],
                  shortcut="identity"),
        ], repeat=n),
        layer("final_layer_norm", norm),
    ], inputs={"input_ids": [1, seq_len or cfg.int("max_position_embeddings", 2048)]})
    if parallel:
        built.notes.append("use_parallel_residual: attention and MLP both read the block's input (x + attn(ln1(x)) "
                           "+ mlp(ln2(x))); shown one after the other, with the same counts and shapes")
    if head == "causal-lm":
        built.layers.append(layer("embed_out", f"Linear({dim}, {vocab}, bias=False)",
                                  **({"tie": "embed_in"} if tie else {})))
        if tie:
            built.tied.append("embed_out.weight is embed_in.weight (tie_word_embeddings)")
    return built
