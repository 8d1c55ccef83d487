"""Encoders as transformers builds them: BERT, RoBERTa, DistilBERT (post-LN blocks with biases
everywhere) and ViT (pre-LN blocks over image patches)."""

from __future__ import annotations

from paramcalc.readers.hf.config import Built, Config, block, layer


def _post_ln_layers(dim: int, heads: int, ffn: int, eps: float, act: str) -> list:
    norm = f"LayerNorm({dim}, eps={eps})"
    return [
        block("attention", [layer("self", f"SelfAttention({dim}, {heads})")], shortcut="identity",
              after=[layer("LayerNorm", norm)]),
        block("ffn", [layer("intermediate", f"Linear({dim}, {ffn})"), layer("act", act),
                      layer("output", f"Linear({ffn}, {dim})")], shortcut="identity", after=[layer("LayerNorm", norm)]),
    ]


def _bert_like(cfg: Config, head: str, seq_len: int | None, *, roberta: bool) -> Built:
    vocab = cfg.int("vocab_size", 50265 if roberta else 30522)
    dim, n = cfg.int("hidden_size", 768), cfg.int("num_hidden_layers", 12)
    heads, ffn = cfg.int("num_attention_heads", 12), cfg.int("intermediate_size", 3072)
    positions = cfg.int("max_position_embeddings", 514 if roberta else 512)
    types = cfg.int("type_vocab_size", 1 if roberta else 2)
    eps = cfg.eps("layer_norm_eps", 1e-5 if roberta else 1e-12)
    pad = cfg.int("pad_token_id", 1 if roberta else 0, minimum=0)
    tie = cfg.bool("tie_word_embeddings", True)
    norm = f"LayerNorm({dim}, eps={eps})"
    word = f"Embedding({vocab}, {dim}, padding_idx={pad})" if pad < vocab else f"Embedding({vocab}, {dim})"
    position = f"Embedding({positions}, {dim}, padding_idx={pad})" if roberta and pad < positions else \
        f"Embedding({positions}, {dim})"
    length = seq_len or min(positions - (pad + 1 if roberta else 0), 512)
    built = Built(layers=[
        block("embeddings", [
            {"name": "sum", "parallel": [layer("word_embeddings", word), layer("position_embeddings", position),
                                         layer("token_type_embeddings", f"Embedding({types}, {dim})")]},
            layer("LayerNorm", norm),
        ]),
        block("encoder", _post_ln_layers(dim, heads, ffn, eps, "GELU()"), repeat=n),
    ], inputs={"input_ids": [1, length]})
    if head == "base":
        built.layers.append(block("pooler", [layer("first_token", "Select(dim=1, index=0)"),
                                             layer("dense", f"Linear({dim}, {dim})"), layer("activation", "Tanh()")]))
    elif head == "masked-lm":
        decoder = {"tie": "embeddings.sum.word_embeddings"} if tie else {}
        built.layers.append(block("lm_head" if roberta else "cls", [
            layer("dense", f"Linear({dim}, {dim})"), layer("act", "GELU()"), layer("layer_norm", norm),
            layer("decoder", f"Linear({dim}, {vocab})", **decoder),
        ]))
        if tie:
            built.tied.append("the MLM decoder's weight is word_embeddings.weight (its bias is its own)")
    else:
        labels = cfg.num_labels()
        if roberta:  # RobertaClassificationHead on the first token; no pooler
            built.layers.append(block("classifier", [
                layer("first_token", "Select(dim=1, index=0)"), layer("dense", f"Linear({dim}, {dim})"),
                layer("activation", "Tanh()"), layer("out_proj", f"Linear({dim}, {labels})")]))
        else:
            built.layers.append(block("pooler", [layer("first_token", "Select(dim=1, index=0)"),
                                                 layer("dense", f"Linear({dim}, {dim})"), layer("activation", "Tanh()")]))
            built.layers.append(layer("classifier", f"Linear({dim}, {labels})"))
    return built


def bert(cfg: Config, head: str, seq_len: int | None) -> Built:
    """BertModel (with pooler), BertForMaskedLM, BertForSequenceClassification."""
    return _bert_like(cfg, head, seq_len, roberta=False)


def roberta(cfg: Config, head: str, seq_len: int | None) -> Built:
    """RobertaModel (with pooler), RobertaForMaskedLM, RobertaForSequenceClassification."""
    return _bert_like(cfg, head, seq_len, roberta=True)


def distilbert(cfg: Config, head: str, seq_len: int | None) -> Built:
    """DistilBertModel, DistilBertForMaskedLM, DistilBertForSequenceClassification (no token types, no pooler)."""
    vocab, dim = cfg.int("vocab_size", 30522), cfg.int("dim", 768)
    n, heads, ffn = cfg.int("n_layers", 6), cfg.int("n_heads", 12), cfg.int("hidden_dim", 3072)
    positions = cfg.int("max_position_embeddings", 512)
    pad = cfg.int("pad_token_id", 0, minimum=0)
    tie = cfg.bool("tie_word_embeddings", True)
    norm = f"LayerNorm({dim}, eps=1e-12)"
    word = f"Embedding({vocab}, {dim}, padding_idx={pad})" if pad < vocab else f"Embedding({vocab}, {dim})"
    built = Built(layers=[
        block("embeddings", [
            {"name": "sum", "parallel": [layer("word_embeddings", word),
                                         layer("position_embeddings", f"Embedding({positions}, {dim})")]},
            layer("LayerNorm", norm),
        ]),
        block("transformer", [
            block("attention", [layer("attention", f"SelfAttention({dim}, {heads})")], shortcut="identity",
                  after=[layer("sa_layer_norm", norm)]),
            block("ffn", [layer("lin1", f"Linear({dim}, {ffn})"), layer("act", "GELU()"),
                          layer("lin2", f"Linear({ffn}, {dim})")], shortcut="identity",
                  after=[layer("output_layer_norm", norm)]),
        ], repeat=n),
    ], inputs={"input_ids": [1, seq_len or positions]})
    if head == "masked-lm":
        built.layers += [layer("vocab_transform", f"Linear({dim}, {dim})"), layer("act", "GELU()"),
                         layer("vocab_layer_norm", norm),
                         layer("vocab_projector", f"Linear({dim}, {vocab})",
                               **({"tie": "embeddings.sum.word_embeddings"} if tie else {}))]
        if tie:
            built.tied.append("vocab_projector.weight is word_embeddings.weight (its bias is its own)")
    elif head == "classification":
        built.layers += [layer("first_token", "Select(dim=1, index=0)"), layer("pre_classifier", f"Linear({dim}, {dim})"),
                         layer("act", "ReLU()"), layer("classifier", f"Linear({dim}, {cfg.num_labels()})")]
    return built


def vit(cfg: Config, head: str, seq_len: int | None) -> Built:
    """ViTModel (with pooler) and ViTForImageClassification (a classifier on the class token, no pooler)."""
    dim, n = cfg.int("hidden_size", 768), cfg.int("num_hidden_layers", 12)
    heads, ffn = cfg.int("num_attention_heads", 12), cfg.int("intermediate_size", 3072)
    image, patch, channels = cfg.int("image_size", 224), cfg.int("patch_size", 16), cfg.int("num_channels", 3)
    eps, qkv_bias = cfg.eps("layer_norm_eps", 1e-12), cfg.bool("qkv_bias", True)
    norm = f"LayerNorm({dim}, eps={eps})"
    built = Built(layers=[
        layer("embeddings", f"PatchEmbedding({channels}, {dim}, patch_size={patch}, image_size={image})"),
        block("encoder", [
            block("attention", [layer("layernorm_before", norm),
                                layer("attention", f"SelfAttention({dim}, {heads}, bias={qkv_bias}, out_bias=True)")],
                  shortcut="identity"),
            block("mlp", [layer("layernorm_after", norm), layer("intermediate", f"Linear({dim}, {ffn})"),
                          layer("act", "GELU()"), layer("output", f"Linear({ffn}, {dim})")], shortcut="identity"),
        ], repeat=n),
        layer("layernorm", norm),
    ], inputs={"pixel_values": [1, channels, image, image]})
    if head == "base":
        built.layers.append(block("pooler", [layer("first_token", "Select(dim=1, index=0)"),
                                             layer("dense", f"Linear({dim}, {dim})"), layer("activation", "Tanh()")]))
    else:
        built.layers += [layer("first_token", "Select(dim=1, index=0)"),
                         layer("classifier", f"Linear({dim}, {cfg.num_labels()})")]
    return built
