"""Activation memory against torch: the bytes autograd really saves for the backward pass.

Ground truth: tests/saved_tensors.py (``torch.autograd.graph.saved_tensors_hooks``, each storage
counted once, parameters excluded), on the CPU in fp32 and in training mode; paramcalc runs with
``device="cpu"`` (dropout masks in the compute type, as torch's CPU kernel keeps them).

Tolerance: 5% (TOLERANCE), the bound the activation figure promises; most families agree to the
byte. Where they differ it is by small tensors: position ids (Hugging Face looks positions up with
a (1, s) tensor, paramcalc counts (b, s)), RoPE's cos/sin tables (s·head_dim each), the
attention masks Hugging Face builds. Recurrent layers are not checked: torch's CPU kernel keeps a
workspace whose layout is its own (paramcalc says so in its docs).
"""

from __future__ import annotations

import pytest
from conftest import require

from paramcalc import parse_layer
from paramcalc.analysis.activations import Settings, layer_activations

torch = require("torch")
transformers = require("transformers")
nn = torch.nn

from saved_tensors import saved_bytes  # noqa: E402

pytestmark = pytest.mark.crosscheck

TOLERANCE = 0.05
CPU = Settings(dtype_bytes=4, device="cpu")


def close(ours: int, theirs: int, tolerance: float = TOLERANCE) -> bool:
    return abs(ours - theirs) <= tolerance * theirs


def gpt2_config(**kw):
    base = dict(n_embd=32, n_head=4, n_layer=2, n_positions=64, vocab_size=97, attn_implementation="eager")
    return transformers.GPT2Config(**{**base, **kw})


def llama_config(**kw):
    base = dict(hidden_size=32, num_attention_heads=4, num_key_value_heads=2, intermediate_size=88,
                num_hidden_layers=2, vocab_size=97, attn_implementation="eager", max_position_embeddings=64)
    return transformers.LlamaConfig(**{**base, **kw})


class Llama(nn.Module):
    """A Hugging Face LLaMA module called with the rotary tables it needs."""

    def __init__(self, inner, config) -> None:
        super().__init__()
        self.inner = inner
        self.rotary = transformers.models.llama.modeling_llama.LlamaRotaryEmbedding(config)

    def forward(self, x):
        positions = torch.arange(x.shape[1]).unsqueeze(0)
        return self.inner(x, position_embeddings=self.rotary(x, positions), attention_mask=None)


class SelfAttend(nn.Module):
    """torch's MultiheadAttention with the one input as query, key and value."""

    def __init__(self, inner) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x, **kwargs):
        return self.inner(x, x, x, **kwargs)


def _x(*shape):
    return torch.randn(*shape, requires_grad=True)


# (paramcalc layer, torch module, input shape, forward keyword arguments)
FAMILIES = [
    ("Linear(16, 8)", lambda: nn.Linear(16, 8), (4, 10, 16), {}),
    ("Conv2d(6, 4, 3, padding=1)", lambda: nn.Conv2d(6, 4, 3, padding=1), (2, 6, 9, 9), {}),
    ("Conv1d(6, 4, 3)", lambda: nn.Conv1d(6, 4, 3), (2, 6, 20), {}),
    ("ConvTranspose2d(6, 4, 3, stride=2)", lambda: nn.ConvTranspose2d(6, 4, 3, stride=2), (2, 6, 9, 9), {}),
    ("MaxPool2d(2)", lambda: nn.MaxPool2d(2), (2, 6, 9, 9), {}),
    ("AvgPool2d(3, stride=2)", lambda: nn.AvgPool2d(3, stride=2), (2, 6, 9, 9), {}),
    ("AdaptiveAvgPool2d((1, 1))", lambda: nn.AdaptiveAvgPool2d((1, 1)), (2, 6, 9, 9), {}),
    ("AdaptiveAvgPool2d((3, 3))", lambda: nn.AdaptiveAvgPool2d((3, 3)), (2, 6, 9, 9), {}),
    ("BatchNorm2d(6)", lambda: nn.BatchNorm2d(6), (2, 6, 9, 9), {}),
    ("BatchNorm1d(16)", lambda: nn.BatchNorm1d(16), (8, 16), {}),
    ("LayerNorm(16)", lambda: nn.LayerNorm(16), (4, 10, 16), {}),
    ("GroupNorm(3, 6)", lambda: nn.GroupNorm(3, 6), (2, 6, 9, 9), {}),
    ("RMSNorm(16)", lambda: nn.RMSNorm(16), (4, 10, 16), {}),
    ("Dropout(0.1)", lambda: nn.Dropout(0.1), (4, 10, 16), {}),
    ("Dropout(0.0)", lambda: nn.Dropout(0.0), (4, 10, 16), {}),
    ("ReLU()", lambda: nn.ReLU(), (4, 10, 16), {}),
    ("GELU()", lambda: nn.GELU(), (4, 10, 16), {}),
    ("GELU(approximate='tanh')", lambda: nn.GELU(approximate="tanh"), (4, 10, 16), {}),
    ("Tanh()", lambda: nn.Tanh(), (4, 10, 16), {}),
    ("Sigmoid()", lambda: nn.Sigmoid(), (4, 10, 16), {}),
    ("Softmax(dim=-1)", lambda: nn.Softmax(dim=-1), (4, 10, 16), {}),
    ("Flatten()", lambda: nn.Flatten(), (2, 6, 9, 9), {}),
    ("MultiheadAttention(16, 4, batch_first=True)",
     lambda: SelfAttend(nn.MultiheadAttention(16, 4, batch_first=True)), (4, 10, 16), {}),
    ("MultiheadAttention(16, 4, dropout=0.1, batch_first=True)",
     lambda: SelfAttend(nn.MultiheadAttention(16, 4, dropout=0.1, batch_first=True)), (4, 10, 16), {}),
    ("MultiheadAttention(16, 4)", lambda: SelfAttend(nn.MultiheadAttention(16, 4)), (10, 4, 16), {}),
    ("TransformerEncoderLayer(16, 4, 32, batch_first=True)",
     lambda: nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), (4, 10, 16), {}),
    ("TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=True, activation='gelu')",
     lambda: nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=True, activation="gelu"),
     (4, 10, 16), {}),
    ("CausalSelfAttention(32, 4, dropout=0.1)",
     lambda: transformers.models.gpt2.modeling_gpt2.GPT2Attention(gpt2_config(attn_pdrop=0.1, resid_pdrop=0.1)),
     (2, 12, 32), {}),
    ("CausalSelfAttention(32, 4)",
     lambda: transformers.models.gpt2.modeling_gpt2.GPT2Attention(gpt2_config(attn_pdrop=0.0, resid_pdrop=0.0)),
     (2, 12, 32), {}),
    ("FeedForward(32, 128, activation='gelu_new', dropout=0.1)",
     lambda: transformers.models.gpt2.modeling_gpt2.GPT2MLP(128, gpt2_config(resid_pdrop=0.1)), (2, 12, 32), {}),
    ("FeedForward(32, 128, activation='relu')",
     lambda: transformers.models.gpt2.modeling_gpt2.GPT2MLP(128, gpt2_config(resid_pdrop=0.0, activation_function="relu")),
     (2, 12, 32), {}),
    ("SwiGLU(32, 88)", lambda: transformers.models.llama.modeling_llama.LlamaMLP(llama_config()), (2, 12, 32), {}),
    ("SelfAttention(32, 4, num_kv_heads=2, bias=False, causal=True)",
     lambda: Llama(transformers.models.llama.modeling_llama.LlamaAttention(llama_config(), 0), llama_config()),
     (2, 12, 32), {}),
    ("DecoderBlock(32, 4, style='llama', num_kv_heads=2, dim_feedforward=88)",
     lambda: Llama(transformers.models.llama.modeling_llama.LlamaDecoderLayer(llama_config(), 0), llama_config()),
     (2, 12, 32), {}),
    ("DecoderBlock(32, 4, dropout=0.1)",
     lambda: transformers.models.gpt2.modeling_gpt2.GPT2Block(
         gpt2_config(activation_function="gelu", attn_pdrop=0.1, resid_pdrop=0.1)), (2, 12, 32), {}),
]


@pytest.mark.parametrize("layer, build, shape, kwargs", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_family_saves_what_torch_saves(layer, build, shape, kwargs):
    torch.manual_seed(0)
    theirs = saved_bytes(build(), _x(*shape), **kwargs)
    ours = layer_activations(parse_layer(layer), shape, settings=CPU)
    assert close(ours, theirs), (ours, theirs)


def test_embedding_keeps_its_int64_indices():
    # Embedding's backward reads the indices only: 4·10 int64 = 320 bytes
    theirs = saved_bytes(nn.Embedding(50, 16), torch.randint(0, 50, (4, 10)))
    assert theirs == 320 == layer_activations(parse_layer("Embedding(50, 16)"), (4, 10), settings=CPU)


def test_flash_attention_keeps_no_scores():
    # MultiheadAttention with need_weights=False runs torch's fused kernel on the CPU (no dropout):
    # input, packed q/k/v, output and a fp32 log-sum-exp per row
    shape = (4, 10, 16)
    theirs = saved_bytes(SelfAttend(nn.MultiheadAttention(16, 4, batch_first=True)), _x(*shape), need_weights=False)
    flash = Settings(dtype_bytes=4, device="cpu", attention="flash")
    assert close(layer_activations(parse_layer("MultiheadAttention(16, 4, batch_first=True)"), shape,
                                   settings=flash), theirs)


# -- whole models --------------------------------------------------------------------------------


def kept(model, **kw) -> int:
    from paramcalc.analysis.memory import model_memory

    return model_memory(model, training=True, device="cpu", **kw).line("activations: kept for backward").bytes


def small_gpt2_file(d: int = 64, heads: int = 4, layers: int = 2, ctx: int = 128) -> str:
    from paramcalc.models.presets import GPTSize, gpt_text

    return gpt_text(GPTSize("gpt2-tiny", "tiny GPT-2", layers, d, heads, ctx, None, "tiny"))


def test_gpt2_small_as_transformers_builds_it():
    # the figure measured for GPT-2 small (GPT2LMHeadModel, fp32, training, batch 2, 256 tokens):
    # 797,550,592 bytes; paramcalc counts the (1, 256) position ids as (2, 256): 2,048 bytes more
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(attn_implementation="eager"))
    theirs = saved_bytes(model, torch.randint(0, 50257, (2, 256)))
    assert theirs == 797_550_592
    ours = kept("gpt2", batch_size=2, seq_len=256)
    assert close(ours, theirs) and ours - theirs == 2_048


@pytest.mark.parametrize("dropout", [0.1, 0.0])
def test_small_gpt2(dropout):
    import yaml

    torch.manual_seed(0)
    config = gpt2_config(n_embd=64, n_layer=2, n_positions=128, vocab_size=50257,
                         attn_pdrop=dropout, resid_pdrop=dropout, embd_pdrop=dropout)
    theirs = saved_bytes(transformers.GPT2LMHeadModel(config), torch.randint(0, 97, (3, 40)))
    model = yaml.safe_load(small_gpt2_file())
    del model["reference"]  # a made-up size: no published count
    ours = kept(model, batch_size=3, seq_len=40, dropout=dropout > 0)
    assert close(ours, theirs), (ours, theirs)


def _bert_file(d: int, heads: int, layers: int, ff: int, vocab: int, positions: int) -> dict:
    return {
        "name": "small BERT", "framework": "pytorch", "input_shape": [1, positions],
        "layers": [
            {"name": "embeddings", "layers": [
                {"name": "sum", "parallel": [
                    {"name": "word", "layer": f"Embedding({vocab}, {d})"},
                    {"name": "position", "layer": f"Embedding({positions}, {d})"},
                    {"name": "token_type", "layer": f"Embedding(2, {d})"}]},
                {"name": "LayerNorm", "layer": f"LayerNorm({d}, eps=1e-12)"},
                {"name": "dropout", "layer": "Dropout(0.1)"}]},
            {"name": "encoder", "repeat": layers, "layers": [
                {"name": "attention", "shortcut": "identity",
                 "layers": [{"name": "self", "layer": f"SelfAttention({d}, {heads}, dropout=0.1)"},
                            {"name": "dropout", "layer": "Dropout(0.1)"}],
                 "after": [{"name": "LayerNorm", "layer": f"LayerNorm({d}, eps=1e-12)"}]},
                {"name": "ffn", "shortcut": "identity",
                 "layers": [{"name": "intermediate", "layer": f"Linear({d}, {ff})"}, {"name": "gelu", "layer": "GELU()"},
                            {"name": "output", "layer": f"Linear({ff}, {d})"}, {"name": "dropout", "layer": "Dropout(0.1)"}],
                 "after": [{"name": "LayerNorm", "layer": f"LayerNorm({d}, eps=1e-12)"}]}]},
            {"name": "pooler", "layers": ["Select(dim=1, index=0)", f"Linear({d}, {d})", "Tanh()"]},
        ],
    }


def test_small_bert():
    torch.manual_seed(0)
    config = transformers.BertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
                                     vocab_size=97, max_position_embeddings=64, attn_implementation="eager")
    theirs = saved_bytes(transformers.BertModel(config), torch.randint(0, 97, (3, 40)))
    ours = kept(_bert_file(64, 4, 2, 256, 97, 64), batch_size=3, seq_len=40)
    assert close(ours, theirs), (ours, theirs)


def test_small_llama():
    torch.manual_seed(0)
    config = llama_config(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, intermediate_size=176)
    theirs = saved_bytes(transformers.LlamaForCausalLM(config), torch.randint(0, 97, (3, 40)))
    model = {"name": "small LLaMA", "framework": "pytorch", "input_shape": [1, 40], "layers": [
        {"name": "embed_tokens", "layer": "Embedding(97, 64)"},
        {"name": "layers", "repeat": 2, "layers": [
            {"name": "attention", "shortcut": "identity", "layers": [
                "RMSNorm(64)", "SelfAttention(64, 4, num_kv_heads=2, bias=False, causal=True)"]},
            {"name": "ffn", "shortcut": "identity", "layers": ["RMSNorm(64)", "SwiGLU(64, 176)"]}]},
        {"name": "norm", "layer": "RMSNorm(64)"},
        {"name": "lm_head", "layer": "Linear(64, 97, bias=False)"}]}
    ours = kept(model, batch_size=3)
    assert close(ours, theirs), (ours, theirs)


def test_small_vit_with_the_fused_attention_kernel():
    import torch_archs as A

    # torchvision's ViT calls MultiheadAttention with need_weights=False and no dropout: torch runs
    # its fused (flash) kernel on the CPU, which keeps no s² scores
    torch.manual_seed(0)
    vit = A.VisionTransformer(image_size=32, patch_size=8, d=64, n_layers=2, n_heads=4, d_mlp=256, num_classes=10)
    theirs = saved_bytes(vit, torch.randn(3, 3, 32, 32))
    model = {"name": "small ViT", "framework": "pytorch", "input_shape": [3, 3, 32, 32], "layers": [
        {"name": "embeddings", "layer": "PatchEmbedding(3, 64, patch_size=8, image_size=32)"},
        {"name": "layers", "repeat": 2, "layers": [
            {"name": "attention", "shortcut": "identity", "layers": [
                "LayerNorm(64, eps=1e-6)", "MultiheadAttention(64, 4, batch_first=True)", "Dropout(0.0)"]},
            {"name": "ffn", "shortcut": "identity", "layers": [
                "LayerNorm(64, eps=1e-6)", "Linear(64, 256)", "GELU()", "Dropout(0.0)", "Linear(256, 64)", "Dropout(0.0)"]}]},
        {"name": "ln", "layer": "LayerNorm(64, eps=1e-6)"},
        {"name": "class_token", "layer": "Select(dim=1, index=0)"},
        {"name": "head", "layer": "Linear(64, 10)"}]}
    ours = kept(model, attention="flash")
    assert close(ours, theirs), (ours, theirs)


@pytest.mark.parametrize("preset, build, shape", [
    ("lenet5", "lenet5", (8, 1, 32, 32)),
    ("resnet18", "resnet18", (2, 3, 64, 64)),
    ("vgg11", "vgg11", (1, 3, 64, 64)),
])
def test_cnn_presets(preset, build, shape):
    import torch_archs as A

    torch.manual_seed(0)
    theirs = saved_bytes(getattr(A, build)(device="cpu"), torch.randn(*shape))
    ours = kept(preset, input_shape=shape)
    assert close(ours, theirs), (ours, theirs)
