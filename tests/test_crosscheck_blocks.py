"""Cross-check of the building blocks against torch: the same blocks built from torch.nn pieces, with
the parameter names Hugging Face, torchvision and timm give them, compared tensor by tensor
(state_dict names, shapes, order) and by a forward pass's output shape."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import require
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from paramcalc import parse_layer
import strategies as S

torch = require("torch")
nn = torch.nn
F = torch.nn.functional

pytestmark = [pytest.mark.crosscheck, pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")]

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


class Attention(nn.Module):
    """q/k/v/o projections (LLaMA and BERT naming), grouped-query heads, scaled dot-product attention."""

    def __init__(self, e: int, heads: int, kv: int, head: int, bias: bool, out_bias: bool) -> None:
        super().__init__()
        self.heads, self.kv, self.head = heads, kv, head
        self.q_proj = nn.Linear(e, heads * head, bias=bias)
        self.k_proj = nn.Linear(e, kv * head, bias=bias)
        self.v_proj = nn.Linear(e, kv * head, bias=bias)
        self.o_proj = nn.Linear(heads * head, e, bias=out_bias)

    def forward(self, x: Any) -> Any:
        *lead, t, _ = x.shape
        x = x.reshape(-1, t, x.shape[-1])
        b = x.shape[0]
        q = self.q_proj(x).view(b, t, self.heads, self.head).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv, self.head).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv, self.head).transpose(1, 2)
        rep = self.heads // self.kv
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(y).reshape(*lead, t, -1)


class Conv1D(nn.Module):
    """GPT-2's linear layer as Hugging Face keeps it: weight (in, out), y = x·W + b."""

    def __init__(self, n_in: int, n_out: int, bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None

    def forward(self, x: Any) -> Any:
        y = x @ self.weight
        return y if self.bias is None else y + self.bias


class Fused(nn.Module):
    """GPT-2's c_attn (q, k, v in one projection) and c_proj, as Conv1D layers."""

    def __init__(self, e: int, heads: int, bias: bool) -> None:
        super().__init__()
        self.heads = heads
        self.c_attn = Conv1D(e, 3 * e, bias=bias)
        self.c_proj = Conv1D(e, e, bias=bias)

    def forward(self, x: Any) -> Any:
        q, k, v = self.c_attn(x).chunk(3, dim=-1)
        split = lambda y: y.unflatten(-1, (self.heads, -1)).transpose(-3, -2)  # noqa: E731
        y = F.scaled_dot_product_attention(split(q), split(k), split(v), is_causal=True)
        return self.c_proj(y.transpose(-3, -2).flatten(-2))


class Mlp(nn.Module):
    def __init__(self, n_in: int, hidden: int, n_out: int, bias: bool, names: tuple[str, str] = ("fc1", "fc2"),
                 layer: Any = nn.Linear) -> None:
        super().__init__()
        self.names = names
        self.add_module(names[0], layer(n_in, hidden, bias=bias))
        self.add_module(names[1], layer(hidden, n_out, bias=bias))

    def forward(self, x: Any) -> Any:
        return getattr(self, self.names[1])(F.gelu(getattr(self, self.names[0])(x)))


class SwiGLU(nn.Module):
    def __init__(self, n_in: int, hidden: int, n_out: int, bias: bool) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(n_in, hidden, bias=bias)
        self.up_proj = nn.Linear(n_in, hidden, bias=bias)
        self.down_proj = nn.Linear(hidden, n_out, bias=bias)

    def forward(self, x: Any) -> Any:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Gpt2Block(nn.Module):
    def __init__(self, d: int, heads: int, ff: int, bias: bool) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = Fused(d, heads, bias)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = Mlp(d, ff, d, bias, ("c_fc", "c_proj"), Conv1D)

    def forward(self, x: Any) -> Any:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class LlamaBlock(nn.Module):
    def __init__(self, d: int, heads: int, kv: int, ff: int, bias: bool) -> None:
        super().__init__()  # registered in Hugging Face's order (LlamaDecoderLayer.__init__)
        self.self_attn = Attention(d, heads, kv, d // heads, bias, bias)
        self.mlp = SwiGLU(d, ff, d, bias)
        self.input_layernorm = nn.RMSNorm(d)
        self.post_attention_layernorm = nn.RMSNorm(d)

    def forward(self, x: Any) -> Any:
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class Patches(nn.Module):
    """torchvision's ViT embedding: conv_proj, class_token, pos_embedding."""

    def __init__(self, c: int, e: int, patch: tuple[int, int], image: tuple[int, int], cls: bool, pos: bool,
                 bias: bool) -> None:
        super().__init__()
        self.conv_proj = nn.Conv2d(c, e, kernel_size=patch, stride=patch, bias=bias)
        n = (image[0] // patch[0]) * (image[1] // patch[1]) + int(cls)
        self.class_token = nn.Parameter(torch.zeros(1, 1, e)) if cls else None
        self.pos_embedding = nn.Parameter(torch.zeros(1, n, e)) if pos else None

    def forward(self, x: Any) -> Any:
        unbatched = x.dim() == 3
        x = x.unsqueeze(0) if unbatched else x
        y = self.conv_proj(x).flatten(2).transpose(1, 2)
        if self.class_token is not None:
            y = torch.cat([self.class_token.expand(y.shape[0], -1, -1), y], dim=1)
        if self.pos_embedding is not None:
            y = y + self.pos_embedding
        return y[0] if unbatched else y


def build(spec: Any) -> Any:
    match spec.name:
        case "RMSNorm":
            return nn.RMSNorm(spec.normalized_shape, eps=spec.eps, elementwise_affine=spec.elementwise_affine)
        case "SelfAttention":
            return Attention(spec.embed_dim, spec.num_heads, spec.kv_heads, spec.head_size, spec.bias, spec.has_out_bias)
        case "CausalSelfAttention":
            return Fused(spec.embed_dim, spec.num_heads, spec.bias)
        case "FeedForward":
            return Mlp(spec.in_features, spec.hidden_features, spec.outputs, spec.bias)
        case "SwiGLU":
            return SwiGLU(spec.in_features, spec.hidden_features, spec.outputs, spec.bias)
        case "DecoderBlock" if spec.style == "gpt2":
            return Gpt2Block(spec.d_model, spec.nhead, spec.dim_feedforward, spec.bias)
        case "DecoderBlock":
            kv = spec.num_kv_heads or spec.nhead
            return LlamaBlock(spec.d_model, spec.nhead, kv, spec.dim_feedforward, spec.bias)
        case "PatchEmbedding":
            return Patches(spec.in_channels, spec.embed_dim, spec.patch_size, spec.image_size, spec.class_token,
                           spec.position_embedding, spec.bias)
        case "Transformer":
            return nn.Transformer(spec.d_model, spec.nhead, spec.num_encoder_layers, spec.num_decoder_layers,
                                  spec.dim_feedforward, bias=spec.bias, batch_first=True, dropout=0.0)
    raise AssertionError(spec.name)


def torch_tensors(module: Any) -> list[tuple[str, tuple[int, ...]]]:
    return [(name, tuple(t.shape)) for name, t in module.state_dict().items()]


def example_input(spec: Any) -> tuple[int, ...]:
    if spec.name == "PatchEmbedding":
        return (2, spec.in_channels, *spec.image_size)
    if spec.name == "RMSNorm":
        return (2, 3, *spec.normalized_shape)
    if spec.name in ("FeedForward", "SwiGLU"):
        return (2, 5, spec.in_features)
    width = spec.d_model if spec.name in ("Transformer", "DecoderBlock") else spec.embed_dim
    return (2, 5, width)


#: The blocks built here, drawn from the strategies the formulas-versus-reference tests use.
BUILT = ("RMSNorm", "SelfAttention", "CausalSelfAttention", "FeedForward", "SwiGLU", "DecoderBlock", "PatchEmbedding",
         "Transformer")


@SETTINGS
@given(st.one_of([S.valid_cases(name).map(lambda case: case.layer()) for name in BUILT]))
@example("SelfAttention(4096, 32, bias=False)")
@example("SelfAttention(64, 8, num_kv_heads=2, bias=False)")
@example("DecoderBlock(64, 4, style='llama', num_kv_heads=2)")
@example("PatchEmbedding(3, 16, 4, 16)")
def test_blocks_match_torch(layer: Any) -> None:
    spec = parse_layer(layer)
    big = spec.count().total > 5_000_000
    with torch.device("meta" if big else "cpu"):
        module = build(spec)
    ours = [(t.name, t.shape) for t in spec.param_tensors()]
    assert ours == torch_tensors(module)
    assert spec.count().total == sum(p.numel() for p in module.parameters())
    if big:
        return
    shape = example_input(spec)
    x = torch.zeros(shape)
    with torch.no_grad():
        out = module(x, x) if spec.name == "Transformer" else module(x)
    args = (shape, shape) if spec.name == "Transformer" else (shape,)
    assert spec.output_shape(*args) == tuple(out.shape)


def test_transformer_decoder_matches_torch() -> None:
    spec = parse_layer("TransformerDecoder(TransformerDecoderLayer(16, 2, 32, batch_first=True), 3, norm=LayerNorm(16))")
    module = nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 2, 32, batch_first=True), 3, norm=nn.LayerNorm(16))
    assert [(t.name, t.shape) for t in spec.param_tensors()] == torch_tensors(module)
    tgt, memory = torch.zeros(2, 7, 16), torch.zeros(2, 9, 16)
    assert spec.output_shape((2, 7, 16), (2, 9, 16)) == tuple(module(tgt, memory).shape)


def test_rmsnorm_tensors_are_torchs() -> None:
    spec = parse_layer("RMSNorm((4, 8))")
    assert [(t.name, t.shape) for t in spec.param_tensors()] == torch_tensors(nn.RMSNorm((4, 8)))
