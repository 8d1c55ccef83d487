"""Layer specs for the building blocks of modern architectures, one module per family.

RMSNorm (``torch.nn.RMSNorm``), ``Transformer`` and ``TransformerDecoder`` (``torch.nn``) are named and
parameterised like their torch classes. The others describe blocks that Hugging Face, torchvision and
timm build from ``torch.nn`` pieces, with the parameter names those libraries give them:

- ``SelfAttention``: separate q/k/v/o projections, optional biases, grouped-query heads (BERT, LLaMA);
- ``CausalSelfAttention``: GPT-2's fused ``c_attn`` projection and ``c_proj``;
- ``FeedForward`` (Linear, activation, Linear) and ``SwiGLU`` (gate, up and down projections);
- ``DecoderBlock``: a whole pre-norm decoder-only block in GPT-2 or LLaMA style;
- ``PatchEmbedding``: ViT's patch convolution, class token and learned position embeddings;
- ``SinusoidalPositionalEncoding`` and ``Select`` (``x[:, 0]``): no parameters.

Each class holds its family's knowledge: counts under every convention, output shapes, its Keras
equivalent and its compute (the hooks listed in :class:`paramcalc.specs.base.LayerSpec`).
"""

from paramcalc.specs.base import LayerSpec
from paramcalc.specs.blocks.attention import CausalSelfAttention, SelfAttention
from paramcalc.specs.blocks.decoder import DecoderBlock
from paramcalc.specs.blocks.mlp import FeedForward, SwiGLU
from paramcalc.specs.blocks.norm import RMSNorm
from paramcalc.specs.blocks.transformer import Transformer, TransformerDecoder
from paramcalc.specs.blocks.vision import PatchEmbedding, Select, SinusoidalPositionalEncoding

__all__ = [
    "BLOCK_LAYERS", "BLOCK_TYPES", "CausalSelfAttention", "DecoderBlock", "FeedForward", "PatchEmbedding",
    "RMSNorm", "Select", "SelfAttention", "SinusoidalPositionalEncoding", "SwiGLU", "Transformer",
    "TransformerDecoder",
]

#: The block specs by name, in the order listings show them (paramcalc.specs adds them to TORCH_LAYERS).
BLOCK_LAYERS: dict[str, type[LayerSpec]] = {
    cls.__name__: cls
    for cls in (
        RMSNorm, SelfAttention, CausalSelfAttention, FeedForward, SwiGLU, DecoderBlock,
        PatchEmbedding, SinusoidalPositionalEncoding, Select, TransformerDecoder, Transformer,
    )
}
BLOCK_TYPES = tuple(BLOCK_LAYERS.values())
