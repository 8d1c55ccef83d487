"""Encoder-decoder models as transformers builds them: T5 (RMS-style norms, no biases, relative
position buckets in the first block of each stack) and Whisper (a convolutional front end over the
log-mel spectrogram, learned positions, attention whose key projection has no bias)."""

from __future__ import annotations

from typing import Any

from paramcalc.readers.hf.config import Built, Config, block, layer

CROSS_NOTE = ("cross-attention is shown on the decoder's path: its projections are counted exactly; its compute "
              "takes the decoder's length for the encoder's")


def _t5_block(dim: int, heads: int, d_kv: int, ff: list[Any], norm: str, cross: bool) -> list[Any]:
    attention = f"SelfAttention({dim}, {heads}, head_dim={d_kv}, bias=False)"
    parts = [block("self_attention", [layer("layer_norm", norm), layer("SelfAttention", attention)], shortcut="identity")]
    if cross:
        parts.append(block("cross_attention", [layer("layer_norm", norm), layer("EncDecAttention", attention)],
                           shortcut="identity"))
    parts.append(block("feed_forward", [layer("layer_norm", norm), *ff], shortcut="identity"))
    return parts


def t5(cfg: Config, head: str, seq_len: int | None) -> Built:
    """T5Model, T5ForConditionalGeneration (lm_head tied to ``shared`` unless told) and T5EncoderModel."""
    vocab, dim, d_kv = cfg.int("vocab_size", 32128), cfg.int("d_model", 512), cfg.int("d_kv", 64)
    d_ff, n = cfg.int("d_ff", 2048), cfg.int("num_layers", 6)
    n_dec = cfg.optional_int("num_decoder_layers") or n
    heads, buckets = cfg.int("num_heads", 8), cfg.int("relative_attention_num_buckets", 32)
    eps, proj = cfg.eps("layer_norm_epsilon", 1e-6), cfg.str("feed_forward_proj", "relu")
    tie = cfg.bool("tie_word_embeddings", True)
    norm = f"RMSNorm({dim}, eps={eps})"  # T5LayerNorm: a scale, no shift, no mean subtracted
    if proj.startswith("gated-"):
        ff = [layer("DenseReluDense", f"SwiGLU({dim}, {d_ff}, bias=False)")]  # wi_0, wi_1, wo
    else:
        ff = [layer("wi", f"Linear({dim}, {d_ff}, bias=False)"), layer("act", "ReLU()" if proj == "relu" else "GELU()"),
              layer("wo", f"Linear({d_ff}, {dim}, bias=False)")]
    length = seq_len or 512
    built = Built(layers=[], inputs={"input_ids": [1, length]})
    encoder = [
        layer("relative_attention_bias", f"Embedding({buckets}, {heads})", input="input_ids"),
        block("block_0", _t5_block(dim, heads, d_kv, ff, norm, False), input="shared"),
    ]
    if n > 1:
        encoder.append(block("block", _t5_block(dim, heads, d_kv, ff, norm, False), repeat=n - 1))
    encoder.append(layer("final_layer_norm", norm))
    built.layers = [layer("shared", f"Embedding({vocab}, {dim})"), block("encoder", encoder)]
    built.notes.append("relative_attention_bias: one table of position buckets × heads in the first block of each "
                       "stack, shared by the blocks after it; shown as a row of its own")
    if head == "encoder":
        return built
    built.inputs["decoder_input_ids"] = [1, length]
    decoder = [
        layer("relative_attention_bias", f"Embedding({buckets}, {heads})", input="decoder_input_ids"),
        {"name": "embed_tokens", "shared": "shared", "input": "decoder_input_ids"},
        block("block_0", _t5_block(dim, heads, d_kv, ff, norm, True)),
    ]
    if n_dec > 1:
        decoder.append(block("block", _t5_block(dim, heads, d_kv, ff, norm, True), repeat=n_dec - 1))
    decoder.append(layer("final_layer_norm", norm))
    built.layers.append(block("decoder", decoder))
    built.tied.append("the encoder's and decoder's embed_tokens are shared.weight")
    built.notes.append(CROSS_NOTE)
    if head == "conditional-generation":
        built.layers.append(layer("lm_head", f"Linear({dim}, {vocab}, bias=False)", **({"tie": "shared"} if tie else {})))
        if tie:
            built.tied.append("lm_head.weight is shared.weight (tie_word_embeddings)")
    return built


def _whisper_attention(name: str, dim: int) -> dict[str, Any]:
    return block(name, [layer("q_proj", f"Linear({dim}, {dim})"), layer("k_proj", f"Linear({dim}, {dim}, bias=False)"),
                        layer("v_proj", f"Linear({dim}, {dim})"), layer("out_proj", f"Linear({dim}, {dim})")])


def whisper(cfg: Config, head: str, seq_len: int | None) -> Built:
    """WhisperModel and WhisperForConditionalGeneration (proj_out tied to the decoder's embed_tokens)."""
    vocab, mels, dim = cfg.int("vocab_size", 51865), cfg.int("num_mel_bins", 80), cfg.int("d_model", 384)
    enc_n, dec_n = cfg.int("encoder_layers", 4), cfg.int("decoder_layers", 4)
    enc_ff, dec_ff = cfg.int("encoder_ffn_dim", 1536), cfg.int("decoder_ffn_dim", 1536)
    sources, targets = cfg.int("max_source_positions", 1500), cfg.int("max_target_positions", 448)
    pad = cfg.int("pad_token_id", 50256, minimum=0)
    tie = cfg.bool("tie_word_embeddings", True)
    norm = f"LayerNorm({dim})"
    embed = f"Embedding({vocab}, {dim}, padding_idx={pad})" if pad < vocab else f"Embedding({vocab}, {dim})"
    encoder_layer = [
        block("self_attention", [layer("self_attn_layer_norm", norm), _whisper_attention("self_attn", dim)],
              shortcut="identity"),
        block("mlp", [layer("final_layer_norm", norm), layer("fc1", f"Linear({dim}, {enc_ff})"), layer("act", "GELU()"),
                      layer("fc2", f"Linear({enc_ff}, {dim})")], shortcut="identity"),
    ]
    decoder_layer = [
        block("self_attention", [layer("self_attn_layer_norm", norm), _whisper_attention("self_attn", dim)],
              shortcut="identity"),
        block("cross_attention", [layer("encoder_attn_layer_norm", norm), _whisper_attention("encoder_attn", dim)],
              shortcut="identity"),
        block("mlp", [layer("final_layer_norm", norm), layer("fc1", f"Linear({dim}, {dec_ff})"), layer("act", "GELU()"),
                      layer("fc2", f"Linear({dec_ff}, {dim})")], shortcut="identity"),
    ]
    built = Built(
        layers=[
            block("encoder", [
                layer("conv1", f"Conv1d({mels}, {dim}, 3, padding=1)"), layer("act1", "GELU()"),
                layer("conv2", f"Conv1d({dim}, {dim}, 3, stride=2, padding=1)"), layer("act2", "GELU()"),
                layer("embed_positions", f"Embedding({sources}, {dim})", input="encoder_positions", trainable=False),
                block("layers", encoder_layer, repeat=enc_n),
                layer("layer_norm", norm),
            ]),
            block("decoder", [
                {"name": "embed", "input": "decoder_input_ids", "parallel": [
                    layer("embed_tokens", embed), layer("embed_positions", f"Embedding({targets}, {dim})")]},
                block("layers", decoder_layer, repeat=dec_n),
                layer("layer_norm", norm),
            ]),
        ],
        inputs={"input_features": [1, mels, 2 * sources], "encoder_positions": [1, sources],
                "decoder_input_ids": [1, seq_len or targets]},
    )
    built.notes += [
        "the encoder adds its positions to the convolutions' output (transposed to (batch, frames, d_model)); "
        "shown as the positions' path (encoder_positions), with the same shapes and counts",
        "the encoder's embed_positions is frozen (requires_grad False): counted, as non-trainable",
        "attention's q, k, v and out projections are shown in sequence (q, k and v read the same input); "
        "the attention product itself is not in the compute", CROSS_NOTE,
    ]
    if head == "conditional-generation":
        built.layers.append(layer("proj_out", f"Linear({dim}, {vocab}, bias=False)",
                                  **({"tie": "decoder.embed.embed_tokens"} if tie else {})))
        if tie:
            built.tied.append("proj_out.weight is the decoder's embed_tokens.weight (tie_word_embeddings)")
    return built
