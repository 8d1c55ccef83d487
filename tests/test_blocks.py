"""The building blocks of modern architectures: known counts (each on the formulas and on the
reference), invariants between blocks, inferred sizes, shapes and errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramcalc import SpecError, parse_layer, reference
from paramcalc.specs.blocks import BLOCK_LAYERS
from paramcalc.formulas import blocks as fb
from paramcalc.specs import TORCH_LAYERS

# -- Known values ----------------------------------------------------------------------------

KNOWN = [
    # LLaMA-2-7B, per layer (Touvron et al. 2023; HF LlamaForCausalLM): 4 · 4096² attention
    pytest.param("SelfAttention(4096, 32, bias=False)", 67_108_864, id="llama2-7b-attention"),
    # 3 · 4096 · 11008 = 135,266,304 (gate, up, down; no biases)
    pytest.param("SwiGLU(4096, 11008)", 135_266_304, id="llama2-7b-swiglu"),
    pytest.param("RMSNorm(4096)", 4_096, id="llama2-7b-rmsnorm"),
    # 67,108,864 + 135,266,304 + 2 · 4096 = 202,383,360 (tests/torch_archs.py, llama2_7b docstring)
    pytest.param("DecoderBlock(4096, 32, style='llama')", 202_383_360, id="llama2-7b-block"),
    # BERT-base self-attention with its output dense: 4 · 768² + 4 · 768
    pytest.param("SelfAttention(768, 12)", 2_362_368, id="bert-base-attention"),
    # GPT-2 small attention: c_attn 768·2304 + 2304, c_proj 768·768 + 768
    pytest.param("CausalSelfAttention(768, 12)", 2_362_368, id="gpt2-attention"),
    # GPT-2 small block: 12·768² + 13·768 = 7,087,872 (tests/torch_archs.py, gpt2 docstring)
    pytest.param("DecoderBlock(768, 12)", 7_087_872, id="gpt2-small-block"),
    # GPT-2 XL block: 12·1600² + 13·1600
    pytest.param("DecoderBlock(1600, 25)", 30_740_800, id="gpt2-xl-block"),
    # ViT-B/16 MLP: 768·3072 + 3072 + 3072·768 + 768
    pytest.param("FeedForward(768, 3072)", 4_722_432, id="vit-b16-mlp"),
    # ViT-B/16 embeddings: conv 768·3·16·16 + 768, class token 768, positions 197·768
    pytest.param("PatchEmbedding(3, 768, 16, 224)", 742_656, id="vit-b16-patch-embedding"),
    # torch.nn.Transformer() defaults = base model stacks (tests/torch_archs.py, transformer_base_core)
    pytest.param("Transformer()", 44_140_544, id="transformer-base-core"),
    # its decoder: 6 · 4,204,032 + final LayerNorm 1,024
    pytest.param("TransformerDecoder(TransformerDecoderLayer(512, 8), 6, norm=LayerNorm(512))", 25_225_216,
                 id="transformer-base-decoder"),
    # LLaMA-2-70B attention with 8 key/value heads: q, o 8192² each; k, v 8192 · 1024 each
    pytest.param("SelfAttention(8192, 64, num_kv_heads=8, bias=False)", 150_994_944, id="llama2-70b-gqa"),
    pytest.param("SinusoidalPositionalEncoding(512)", 0, id="sinusoidal-no-parameters"),
    pytest.param("Select(1, 0)", 0, id="select-no-parameters"),
]


@pytest.mark.parametrize(("expr", "expected"), KNOWN)
def test_known_counts(expr: str, expected: int) -> None:
    spec = parse_layer(expr)
    assert spec.count().total == expected
    assert reference.count(spec).total == expected


def test_sinusoidal_table_is_a_buffer_when_kept() -> None:
    # The PyTorch tutorial's PositionalEncoding registers pe (max_len × d_model) as a buffer.
    count = parse_layer("SinusoidalPositionalEncoding(512, max_len=5000)").count()
    assert (count.total, count.buffers) == (0, 2_560_000)


def test_llama_hidden_size() -> None:
    # LLaMA: hidden = 256 · ceil(int(2 · 4 · d / 3) / 256); Llama-2-7B config: intermediate_size 11008
    assert fb.llama_hidden_size(d_model=4096) == 11_008
    assert fb.llama_hidden_size(d_model=5120) == 13_824  # Llama-2-13B config
    assert parse_layer("DecoderBlock(4096, 32, style='llama')").dim_feedforward == 11_008
    assert parse_layer("DecoderBlock(768, 12)").dim_feedforward == 3072


def test_every_block_is_registered() -> None:
    for name, cls in BLOCK_LAYERS.items():
        assert TORCH_LAYERS[name] is cls
        assert cls.summary


# The formulas against the reference, and the product's tensor listing against the reference's,
# are compared for every block over generated cases in tests/test_formulas_vs_reference.py; the
# listings against Hugging Face and torchvision modules in tests/test_crosscheck_blocks.py.

dims = st.integers(1, 64)


# -- Invariants ------------------------------------------------------------------------------


@given(st.integers(1, 8), st.integers(1, 32), st.booleans())
def test_three_attentions_agree(heads: int, head_dim: int, bias: bool) -> None:
    """Separate q/k/v projections, GPT-2's fused one and torch's MultiheadAttention hold as many
    parameters: 4·E² + 4·E with biases, 4·E² without."""
    e = heads * head_dim
    counts = {
        parse_layer(f"SelfAttention({e}, {heads}, bias={bias})").count().total,
        parse_layer(f"CausalSelfAttention({e}, {heads}, bias={bias})").count().total,
        parse_layer(f"MultiheadAttention({e}, {heads}, bias={bias})").count().total,
    }
    assert counts == {4 * e * e + (4 * e if bias else 0)}


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 16))
def test_grouped_query_attention_saves_key_and_value_heads(kv: int, groups: int, head_dim: int) -> None:
    heads = kv * groups
    e = heads * head_dim
    full = parse_layer(f"SelfAttention({e}, {heads}, bias=False)").count().total
    grouped = parse_layer(f"SelfAttention({e}, {heads}, num_kv_heads={kv}, bias=False)").count().total
    assert full - grouped == 2 * e * (heads - kv) * head_dim


@given(dims, dims)
def test_swiglu_has_three_projections_and_a_plain_mlp_two(d: int, hidden: int) -> None:
    linear = parse_layer(f"Linear({d}, {hidden}, bias=False)").count().total
    assert parse_layer(f"SwiGLU({d}, {hidden})").count().total == 3 * linear
    assert parse_layer(f"FeedForward({d}, {hidden}, bias=False)").count().total == 2 * linear


@given(st.lists(st.integers(1, 16), min_size=1, max_size=3))
def test_rmsnorm_is_a_layernorm_without_shift(shape: list[int]) -> None:
    t = tuple(shape)
    assert parse_layer(f"RMSNorm({t})").count() == parse_layer(f"LayerNorm({t}, bias=False)").count()


@given(st.integers(1, 6), st.integers(1, 16))
def test_gpt2_block_is_12_d_squared_plus_13_d(heads: int, head_dim: int) -> None:
    d = heads * head_dim
    assert parse_layer(f"DecoderBlock({d}, {heads})").count().total == 12 * d * d + 13 * d


@given(st.integers(1, 4), st.integers(1, 16), st.integers(1, 3), st.integers(1, 3))
def test_transformer_is_its_two_stacks(heads: int, head_dim: int, n_enc: int, n_dec: int) -> None:
    d = heads * head_dim
    enc = parse_layer(f"TransformerEncoder(TransformerEncoderLayer({d}, {heads}, 32), {n_enc}, norm=LayerNorm({d}))")
    dec = parse_layer(f"TransformerDecoder(TransformerDecoderLayer({d}, {heads}, 32), {n_dec}, norm=LayerNorm({d}))")
    whole = parse_layer(f"Transformer({d}, {heads}, {n_enc}, {n_dec}, 32)")
    assert whole.count() == enc.count() + dec.count()


# -- Inferred sizes, parsing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "shape", "field", "value"),
    [
        ("RMSNorm()", (2, 7, 64), "normalized_shape", (64,)),
        ("SelfAttention(num_heads=4)", (2, 7, 64), "embed_dim", 64),
        ("CausalSelfAttention(num_heads=4)", (7, 64), "embed_dim", 64),
        ("SwiGLU(hidden_features=128)", (2, 7, 64), "in_features", 64),
        ("FeedForward(hidden_features=128)", (64,), "in_features", 64),
        ("PatchEmbedding(embed_dim=8, patch_size=4, image_size=16)", (1, 3, 16, 16), "in_channels", 3),
        ("SinusoidalPositionalEncoding()", (2, 7, 64), "d_model", 64),
    ],
)
def test_inferred_sizes(expr: str, shape: tuple[int, ...], field: str, value: object) -> None:
    spec = parse_layer(expr)
    assert not spec.is_resolved()
    assert getattr(spec.resolve(shape), field) == value
    assert spec.count(input_shape=shape) == spec.resolve(shape).count()


def test_dict_and_expression_give_the_same_spec() -> None:
    assert parse_layer({"type": "SwiGLU", "in_features": 64, "hidden_features": 128}) == parse_layer("SwiGLU(64, 128)")
    nested = {"type": "TransformerDecoder", "num_layers": 2,
              "decoder_layer": {"type": "TransformerDecoderLayer", "d_model": 16, "nhead": 2}}
    assert parse_layer(nested) == parse_layer("TransformerDecoder(TransformerDecoderLayer(16, 2), 2)")


@pytest.mark.parametrize("expr", ["SelfAttention(64, 4, num_kv_heads=2, bias=False)", "PatchEmbedding(3, 8, 4, (16, 8))",
                                  "DecoderBlock(64, 4, style='llama')", "RMSNorm((4, 8), eps=1e-06)"])
def test_expression_round_trip(expr: str) -> None:
    spec = parse_layer(expr)
    assert parse_layer(str(spec)) == spec


# -- Shapes and errors -----------------------------------------------------------------------


def test_patch_embedding_shape() -> None:
    # ViT-B/16: 14 × 14 patches + class token = 197 tokens of 768
    assert parse_layer("PatchEmbedding(3, 768, 16, 224)").output_shape((8, 3, 224, 224)) == (8, 197, 768)
    assert parse_layer("PatchEmbedding(3, 768, 16, 224, class_token=False)").output_shape((3, 224, 224)) == (196, 768)


def test_select_drops_the_dimension() -> None:
    assert parse_layer("Select(1, 0)").output_shape((2, 197, 768)) == (2, 768)
    assert parse_layer("Select(-1, -1)").output_shape((2, 5)) == (2,)


def test_transformer_output_is_the_target_shape() -> None:
    spec = parse_layer("Transformer(16, 2, 1, 1, 32, batch_first=True)")
    assert spec.output_shape((4, 10, 16), (4, 7, 16)) == (4, 7, 16)
    decoder = parse_layer("TransformerDecoder(TransformerDecoderLayer(16, 2, batch_first=True), 2)")
    assert decoder.output_shape((4, 7, 16), (4, 10, 16)) == (4, 7, 16)


@pytest.mark.parametrize(
    ("expr", "shapes", "message"),
    [
        ("SelfAttention(768, 5)", None,
         "SelfAttention: embed_dim must be divisible by num_heads (or give head_dim). Received: embed_dim=768, num_heads=5"),
        ("SelfAttention(64, 8, num_kv_heads=3)", None,
         "SelfAttention: num_heads must be a multiple of num_kv_heads. Received: num_heads=8, num_kv_heads=3"),
        ("CausalSelfAttention(2048, 24)", None,
         "CausalSelfAttention: embed_dim must be divisible by num_heads. Received: embed_dim=2048, num_heads=24"),
        ("DecoderBlock(64, 4, num_kv_heads=2)", None,
         "DecoderBlock: num_kv_heads needs style='llama' (GPT-2 fuses q, k and v). Received: num_kv_heads=2"),
        ("PatchEmbedding(3, 768, 16, 230)", None,
         "PatchEmbedding: patch_size must divide image_size. Received: image_size=(230, 230), patch_size=(16, 16)"),
        ("PatchEmbedding(3, 768, 16, 224)", ((1, 3, 256, 256),),
         "PatchEmbedding: expected images of size image_size=(224, 224), got (256, 256). "
         "Received: input_shape=(1, 3, 256, 256)"),
        ("SelfAttention(64, 4)", ((2, 7, 32),),
         "SelfAttention: expected input with last dimension embed_dim=64, got 32. Received: input_shape=(2, 7, 32)"),
        ("RMSNorm(64)", ((2, 7, 32),), "RMSNorm: expected input with shape [*, 64]. Received: input_shape=(2, 7, 32)"),
        ("Select(1, 5)", ((2, 3),), "Select: index out of range for dimension 1 of size 3. Received: index=5, input_shape=(2, 3)"),
        ("SinusoidalPositionalEncoding(8, max_len=4)", ((1, 5, 8),),
         "SinusoidalPositionalEncoding: sequence length 5 exceeds max_len=4. Received: input_shape=(1, 5, 8)"),
    ],
)
def test_errors(expr: str, shapes: tuple[tuple[int, ...], ...] | None, message: str) -> None:
    with pytest.raises(SpecError) as exc:
        spec = parse_layer(expr)
        spec.output_shapes(*shapes)
    assert str(exc.value) == message
