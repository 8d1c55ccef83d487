"""Plain-PyTorch builders of famous architectures, used to cross-check paramcalc.

Every builder returns an ordinary ``torch.nn.Module`` built from ``torch.nn``
pieces only, written from the architectures' published definitions (no
torchvision / Hugging Face import).  For each one the docstring states the
published parameter count and where it comes from; ``count_params`` of the
returned module equals that figure exactly (tied weights counted once, the way
``Module.parameters()`` de-duplicates them).

Big models (GPT-2 large/XL, BERT-large, LLaMA-2-7B, GPT-3) are built on the
``meta`` device by default, so they cost no memory and no init time; meta
modules still accept meta tensors, so even their forward pass can be run for
shape checking.  Small models default to the CPU and run a real forward pass.

Only non-trainable state that the reference implementations keep as *buffers*
is reproduced as buffers: BatchNorm running statistics (ResNets).  Attention
masks, position ids and sinusoidal/rotary tables are computed in ``forward``
instead, so those models have no buffers at all.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "count_params",
    "count_buffers",
    "lenet5",
    "alexnet",
    "vgg11",
    "vgg16",
    "resnet18",
    "resnet50",
    "transformer_base_core",
    "transformer_base",
    "bert_base",
    "bert_large",
    "bert",
    "gpt2",
    "GPT2_SIZES",
    "vit_b16",
    "llama",
    "llama2_7b",
    "gpt3",
    "GPT3Row",
    "GPT3_TABLE",
]

DeviceLike = "str | torch.device"


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def count_params(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter *elements*; shared (tied) tensors are counted once."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def count_buffers(module: nn.Module) -> tuple[int, int]:
    """``(number of buffer tensors, number of buffer elements)``.

    For BatchNorm2d(C) the buffers are running_mean (C), running_var (C) and
    num_batches_tracked (1 element, int64): 3 tensors, 2*C + 1 elements.
    """
    bufs = list(module.buffers())
    return len(bufs), sum(b.numel() for b in bufs)


def _build(device, ctor):
    """Run ``ctor()`` with ``device`` as the default device for new tensors."""
    with torch.device(device):
        return ctor()


# --------------------------------------------------------------------------- #
# LeNet-5
# --------------------------------------------------------------------------- #
def lenet5(device: DeviceLike = "cpu") -> nn.Module:
    """LeNet-5 for a 1x32x32 input, in its common modern (fully connected C3) form.

    conv(1->6, 5x5) tanh avgpool2 | conv(6->16, 5x5) tanh avgpool2 | flatten 400 |
    Linear 400->120 tanh | Linear 120->84 tanh | Linear 84->10.

    Parameters: **61,706** = 156 + 2,416 + 48,120 + 10,164 + 850.
    Source: LeCun et al., "Gradient-based learning applied to document
    recognition", Proc. IEEE 1998, with C3 fully connected to all 6 S2 maps
    instead of the paper's sparse connection table.  (The paper's own LeNet-5,
    with a trainable coefficient and bias per subsampling map, the sparse C3
    table (1,516 parameters) and an RBF output layer, is described as having
    about 60,000 trainable parameters; its per-layer figures in section II.B
    add up to 60,840 including the 840 RBF centres.)
    61,706 is the figure every modern re-implementation of this form reports.
    Buffers: none.
    """

    def ctor():
        return nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5),  # C1: 6*(25+1) = 156
            nn.Tanh(),
            nn.AvgPool2d(2),  # S2
            nn.Conv2d(6, 16, kernel_size=5),  # C3: 16*(6*25+1) = 2,416
            nn.Tanh(),
            nn.AvgPool2d(2),  # S4
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),  # C5: 48,120
            nn.Tanh(),
            nn.Linear(120, 84),  # F6: 10,164
            nn.Tanh(),
            nn.Linear(84, 10),  # output: 850
        )

    return _build(device, ctor)


# --------------------------------------------------------------------------- #
# AlexNet (torchvision's one-GPU variant)
# --------------------------------------------------------------------------- #
def alexnet(num_classes: int = 1000, device: DeviceLike = "cpu") -> nn.Module:
    """AlexNet in torchvision's layout (channels 64/192/384/256/256, the
    "One weird trick" single-column variant, Krizhevsky 2014), adaptive 6x6
    average pool, classifier Dropout/9216->4096/ReLU/Dropout/4096->4096/ReLU/4096->1000.

    Parameters: **61,100,840**.
    Source: torchvision model documentation, ``alexnet`` / ``AlexNet_Weights.IMAGENET1K_V1``
    ("num_params": 61100840).  (The original 2012 two-GPU AlexNet, with
    48/128/192/192/128 channels per GPU, is usually quoted as ~60M.)
    Buffers: none.
    """

    def ctor():
        features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        classifier = nn.Sequential(
            nn.Dropout(0.5),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )
        return nn.Sequential(
            features, nn.AdaptiveAvgPool2d((6, 6)), nn.Flatten(), classifier
        )

    return _build(device, ctor)


# --------------------------------------------------------------------------- #
# VGG
# --------------------------------------------------------------------------- #
_VGG_CFGS = {
    # Simonyan & Zisserman 2015, Table 1: "M" = 2x2 max-pool, stride 2
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],  # VGG-11
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
          512, 512, 512, "M", 512, 512, 512, "M"],  # VGG-16
}


def _vgg(cfg: str, num_classes: int, device) -> nn.Module:
    def ctor():
        layers: list[nn.Module] = []
        c_in = 3
        for v in _VGG_CFGS[cfg]:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(c_in, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                c_in = v
        classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(4096, num_classes),
        )
        return nn.Sequential(
            nn.Sequential(*layers), nn.AdaptiveAvgPool2d((7, 7)), nn.Flatten(), classifier
        )

    return _build(device, ctor)


def vgg11(num_classes: int = 1000, device: DeviceLike = "cpu") -> nn.Module:
    """VGG-11 (configuration A), no batch norm, adaptive 7x7 pool, 25088->4096->4096->1000.

    Parameters: **132,863,336**.
    Source: torchvision model documentation, ``vgg11`` / ``VGG11_Weights.IMAGENET1K_V1``
    ("num_params": 132863336); Simonyan & Zisserman 2015, Table 2, rounds it to 133M.
    Buffers: none.
    """
    return _vgg("A", num_classes, device)


def vgg16(num_classes: int = 1000, device: DeviceLike = "cpu") -> nn.Module:
    """VGG-16 (configuration D), no batch norm, adaptive 7x7 pool, 25088->4096->4096->1000.

    Parameters: **138,357,544**.
    Source: torchvision model documentation, ``vgg16`` / ``VGG16_Weights.IMAGENET1K_V1``
    ("num_params": 138357544); Simonyan & Zisserman 2015, Table 2, rounds it to 138M.
    Buffers: none.
    """
    return _vgg("D", num_classes, device)


# --------------------------------------------------------------------------- #
# ResNet (v1.5: stride on the 3x3 conv of the bottleneck)
# --------------------------------------------------------------------------- #
def _conv3x3(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=3, stride=stride, padding=1, bias=False)


def _conv1x1(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride, bias=False)


class _BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, c_in: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = _conv3x3(c_in, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or c_in != planes:
            self.downsample = nn.Sequential(_conv1x1(c_in, planes, stride), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class _Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, c_in: int, planes: int, stride: int = 1):
        super().__init__()
        c_out = planes * self.expansion
        self.conv1 = _conv1x1(c_in, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)  # v1.5: stride here, not on conv1
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, c_out)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(_conv1x1(c_in, c_out, stride), nn.BatchNorm2d(c_out))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block, layers: list[int], num_classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        c_in = 64
        stages = []
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(block(c_in, planes, stride))
                c_in = planes * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18(num_classes: int = 1000, device: DeviceLike = "cpu") -> nn.Module:
    """ResNet-18: BasicBlocks [2, 2, 2, 2], downsample = 1x1 conv (no bias) + BN.

    Parameters: **11,689,512**.
    Source: torchvision model documentation, ``resnet18`` / ``ResNet18_Weights.IMAGENET1K_V1``
    ("num_params": 11689512).  He et al. 2016 (Table 1) give only FLOPs (1.8e9).
    Buffers: 20 BatchNorm2d -> 60 buffer tensors, 9,620 elements
    (running_mean + running_var = 2 x 4,800 channels, plus 20 num_batches_tracked).
    """
    return _build(device, lambda: ResNet(_BasicBlock, [2, 2, 2, 2], num_classes))


def resnet50(num_classes: int = 1000, device: DeviceLike = "cpu") -> nn.Module:
    """ResNet-50 v1.5: Bottlenecks [3, 4, 6, 3] with the stride on the 3x3 conv,
    downsample = 1x1 conv (no bias) + BN.

    Parameters: **25,557,032**.
    Source: torchvision model documentation, ``resnet50`` / ``ResNet50_Weights.IMAGENET1K_V1``
    ("num_params": 25557032); commonly rounded to 25.6M.  (Where the stride sits
    does not change the count; v1 and v1.5 have identical parameter counts.)
    Buffers: 53 BatchNorm2d -> 159 buffer tensors, 53,173 elements
    (2 x 26,560 channels + 53 num_batches_tracked).
    """
    return _build(device, lambda: ResNet(_Bottleneck, [3, 4, 6, 3], num_classes))


# --------------------------------------------------------------------------- #
# Transformer (Vaswani et al. 2017), base
# --------------------------------------------------------------------------- #
def transformer_base_core(device: DeviceLike = "cpu") -> nn.Transformer:
    """``nn.Transformer(d_model=512, nhead=8, num_encoder_layers=6,
    num_decoder_layers=6, dim_feedforward=2048)`` -- the encoder/decoder stacks
    of Transformer-base without any embedding or output projection.

    Parameters: **44,140,544** =
      encoder 6 x 3,152,384 (self-attn 1,050,624 + FFN 2,099,712 + 2 LayerNorms 2,048)
      + encoder final LayerNorm 1,024
      + decoder 6 x 4,204,032 (self-attn + cross-attn 2 x 1,050,624 + FFN 2,099,712 + 3 LayerNorms 3,072)
      + decoder final LayerNorm 1,024.
    Source: this is torch's own module (no published figure; computed here and
    in paramcalc's formulas).  Note the two final LayerNorms (2,048 params) are
    a torch convention: the paper's post-LN layers end in a LayerNorm already.
    Buffers: none.
    """
    return _build(
        device,
        lambda: nn.Transformer(
            d_model=512,
            nhead=8,
            num_encoder_layers=6,
            num_decoder_layers=6,
            dim_feedforward=2048,
            batch_first=True,  # layout only; no effect on the count
        ),
    )


def _sinusoidal_positions(length: int, d_model: int, device, dtype) -> torch.Tensor:
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...) -- no parameters."""
    pos = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    inv = torch.exp(
        torch.arange(0, d_model, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / d_model)
    )
    pe = torch.zeros(length, d_model, device=device, dtype=torch.float32)
    pe[:, 0::2] = torch.sin(pos * inv)
    pe[:, 1::2] = torch.cos(pos * inv)
    return pe.to(dtype)


class TransformerSeq2Seq(nn.Module):
    """Shared source/target embedding, sinusoidal positions, nn.Transformer core,
    pre-softmax projection tied to the embedding."""

    def __init__(
        self,
        vocab_size: int = 37000,
        d_model: int = 512,
        nhead: int = 8,
        num_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        output_bias: bool = False,
    ):
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Embedding(vocab_size, d_model)  # shared by encoder and decoder input
        self.core = nn.Transformer(
            d_model=d_model,
            nhead=nhead,
            num_encoder_layers=num_layers,
            num_decoder_layers=num_layers,
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            batch_first=True,
        )
        self.dropout = nn.Dropout(dropout)
        self.generator = nn.Linear(d_model, vocab_size, bias=output_bias)
        self.generator.weight = self.embedding.weight  # tied: counted once by .parameters()

    def _embed(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens) * math.sqrt(self.d_model)
        pe = _sinusoidal_positions(tokens.shape[1], self.d_model, x.device, x.dtype)
        return self.dropout(x + pe)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        """src (B, S), tgt (B, T) token ids -> logits (B, T, vocab)."""
        t = tgt.shape[1]
        causal = torch.triu(
            torch.full((t, t), float("-inf"), device=tgt.device), diagonal=1
        )
        h = self.core(self._embed(src), self._embed(tgt), tgt_mask=causal)
        return self.generator(h)


def transformer_base(
    vocab_size: int = 37000, output_bias: bool = False, device: DeviceLike = "cpu"
) -> nn.Module:
    """Transformer base (Vaswani et al. 2017, "Attention Is All You Need", Table 3
    row "base": N=6, d_model=512, d_ff=2048, h=8) for WMT'14 En-De, whose
    byte-pair encoding has "a shared source-target vocabulary of about 37000
    tokens" (section 5.1).  Section 3.4: "we share the same weight matrix
    between the two embedding layers and the pre-softmax linear transformation".

    Layout: one ``Embedding(37000, 512)`` used for source and target input,
    sinusoidal positions (computed, no parameters), the ``nn.Transformer`` core
    of ``transformer_base_core``, and a ``Linear(512, 37000)`` whose weight *is*
    the embedding matrix.

    Output bias: **none by default**.  The paper shares "the same weight
    matrix" and mentions no softmax bias, and the reference implementations
    (tensor2tensor's shared-embedding symbol modality, fairseq's
    ``share_all_embeddings``) project with the embedding matrix alone.  Pass
    ``output_bias=True`` for a variant with a 37,000-element bias.

    Parameters: **63,084,544** = 44,140,544 (core) + 18,944,000 (37000 x 512,
    counted once); 63,121,544 with ``output_bias=True``.
    Published: Table 3 lists "params x10^6" = **65** for base (213 for big);
    no exact figure was published.  The ~2M gap comes from details the paper
    leaves open (the exact BPE vocabulary size, which is only "about 37000",
    biases, final LayerNorms).  Untied embeddings would give 82.0M (tied
    encoder/decoder embeddings, separate softmax) or 101.0M (three matrices),
    far from 65M, which confirms the tying.
    Buffers: none.
    """
    return _build(
        device, lambda: TransformerSeq2Seq(vocab_size=vocab_size, output_bias=output_bias)
    )


# --------------------------------------------------------------------------- #
# BERT (Hugging Face BertModel layout, with pooler)
# --------------------------------------------------------------------------- #
class _BertSelfAttention(nn.Module):
    def __init__(self, d: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)

    def forward(self, x, attn_mask=None):
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        return y.transpose(1, 2).reshape(b, t, d)


class _BertLayer(nn.Module):
    def __init__(self, d: int, n_heads: int, d_ff: int, eps: float = 1e-12, dropout: float = 0.1):
        super().__init__()
        self.attention = _BertSelfAttention(d, n_heads)
        self.attention_output = nn.Linear(d, d)
        self.attention_norm = nn.LayerNorm(d, eps=eps)
        self.intermediate = nn.Linear(d, d_ff)
        self.output = nn.Linear(d_ff, d)
        self.output_norm = nn.LayerNorm(d, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, attn_mask=None):
        a = self.attention_output(self.attention(x, attn_mask))
        x = self.attention_norm(x + self.dropout(a))  # post-LN
        h = self.output(F.gelu(self.intermediate(x)))
        return self.output_norm(x + self.dropout(h))


class Bert(nn.Module):
    def __init__(
        self,
        d: int,
        n_layers: int,
        n_heads: int,
        d_ff: int | None = None,
        vocab_size: int = 30522,
        max_position: int = 512,
        type_vocab_size: int = 2,
        dropout: float = 0.1,
    ):
        super().__init__()
        d_ff = 4 * d if d_ff is None else d_ff
        self.word_embeddings = nn.Embedding(vocab_size, d)
        self.position_embeddings = nn.Embedding(max_position, d)
        self.token_type_embeddings = nn.Embedding(type_vocab_size, d)
        self.embedding_norm = nn.LayerNorm(d, eps=1e-12)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(_BertLayer(d, n_heads, d_ff, dropout=dropout) for _ in range(n_layers))
        self.pooler = nn.Linear(d, d)

    def forward(self, input_ids, token_type_ids=None):
        """input_ids (B, T) -> (sequence output (B, T, d), pooled output (B, d))."""
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device).unsqueeze(0)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = (
            self.word_embeddings(input_ids)
            + self.position_embeddings(pos)
            + self.token_type_embeddings(token_type_ids)
        )
        x = self.dropout(self.embedding_norm(x))
        for layer in self.layers:
            x = layer(x)
        return x, torch.tanh(self.pooler(x[:, 0]))


def bert(d: int, n_layers: int, n_heads: int, device: DeviceLike = "cpu", **kw) -> nn.Module:
    """Generic BERT encoder (HF BertModel layout, with pooler)."""
    return _build(device, lambda: Bert(d, n_layers, n_heads, **kw))


def bert_base(device: DeviceLike = "cpu") -> nn.Module:
    """BERT-base (L=12, H=768, A=12, intermediate 3072), vocab 30522, 512 positions,
    2 token types, with pooler.

    Parameters: **109,482,240** =
      embeddings 23,837,184 (30522x768 + 512x768 + 2x768 + LayerNorm 1,536)
      + 12 x 7,087,872 per layer + pooler 590,592.
    Source: exact count of Hugging Face ``BertModel`` for ``bert-base-uncased``
    (``sum(p.numel() for p in model.parameters())``); Devlin et al. 2019
    (section 3) round it to 110M.
    Buffers: none here (HF keeps non-persistent ``position_ids`` and
    ``token_type_ids`` buffers of 512 elements each; we compute them on the fly).
    """
    return bert(768, 12, 12, device=device)


def bert_large(device: DeviceLike = "meta") -> nn.Module:
    """BERT-large (L=24, H=1024, A=16, intermediate 4096), vocab 30522, 512 positions,
    2 token types, with pooler.

    Parameters: **335,141,888** =
      embeddings 31,782,912 + 24 x 12,596,224 per layer + pooler 1,049,600.
    Source: exact count of Hugging Face ``BertModel`` for ``bert-large-uncased``;
    Devlin et al. 2019 (section 3) round it to 340M.
    Built on the meta device by default.  Buffers: none (see ``bert_base``).
    """
    return bert(1024, 24, 16, device=device)


# --------------------------------------------------------------------------- #
# GPT-2 / GPT-3 (pre-LN decoder, learned positions, tied lm_head)
# --------------------------------------------------------------------------- #
class _CausalSelfAttention(nn.Module):
    def __init__(self, d: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.c_attn = nn.Linear(d, 3 * d)  # HF's Conv1D(3d, d): same 3d^2 + 3d parameters
        self.c_proj = nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        if d % self.n_heads:
            raise ValueError(f"d_model={d} is not divisible by n_heads={self.n_heads}")
        q, k, v = self.c_attn(x).split(d, dim=2)
        split = lambda y: y.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2)  # noqa: E731
        y = F.scaled_dot_product_attention(split(q), split(k), split(v), is_causal=True)
        return self.c_proj(y.transpose(1, 2).reshape(b, t, d))


class _GPTBlock(nn.Module):
    def __init__(self, d: int, n_heads: int, eps: float = 1e-5):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.attn = _CausalSelfAttention(d, n_heads)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(d, 4 * d))
        self.mlp.add_module("act", nn.GELU(approximate="tanh"))
        self.mlp.add_module("c_proj", nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """GPT-2 style decoder-only LM: wte + wpe, pre-LN blocks, ln_f, lm_head tied to wte."""

    def __init__(self, n_layers: int, d_model: int, n_heads: int, n_ctx: int = 1024, vocab: int = 50257):
        super().__init__()
        self.wte = nn.Embedding(vocab, d_model)
        self.wpe = nn.Embedding(n_ctx, d_model)
        self.h = nn.ModuleList(_GPTBlock(d_model, n_heads) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied: no extra parameters

    def forward(self, input_ids):
        """input_ids (B, T) -> logits (B, T, vocab)."""
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.wte(input_ids) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


#: name -> (n_layers, d_model, n_heads), Radford et al. 2019 / HF configs
GPT2_SIZES = {
    "small": (12, 768, 12),
    "medium": (24, 1024, 16),
    "large": (36, 1280, 20),
    "xl": (48, 1600, 25),
}


def gpt2(size: str = "small", device: DeviceLike | None = None) -> nn.Module:
    """GPT-2 (vocab 50257, context 1024), sizes "small", "medium", "large", "xl".

    Per block: ln_1, c_attn d->3d (bias), c_proj d->d (bias), ln_2, c_fc d->4d,
    c_proj 4d->d = 12 d^2 + 13 d; plus wte (50257 d) + wpe (1024 d) + ln_f (2 d);
    lm_head is tied to wte.

    Parameters (exact counts of Hugging Face ``GPT2LMHeadModel`` /
    ``GPT2Model`` checkpoints gpt2, gpt2-medium, gpt2-large, gpt2-xl):
      small  **124,439,808**   (Radford et al. 2019, Table 2: "117M")
      medium **354,823,168**   (paper: "345M")
      large  **774,030,080**   (paper: "762M")
      xl     **1,557,611,200** (paper: "1542M")
    The paper's Table 2 figures were computed differently (OpenAI later said
    the small/medium ones were mis-counted); the exact figures above are what
    the released checkpoints contain.
    ``device`` defaults to "cpu" for small/medium and "meta" for large/xl.
    Buffers: none here (older HF versions keep a causal-mask buffer ``attn.bias``
    per block; we use ``is_causal``).
    """
    n_layers, d_model, n_heads = GPT2_SIZES[size]
    if device is None:
        device = "meta" if size in ("large", "xl") else "cpu"
    return _build(device, lambda: GPT(n_layers, d_model, n_heads, n_ctx=1024, vocab=50257))


class GPT3Row(NamedTuple):
    name: str
    n_params_published: str  # as printed in the paper
    n_params_approx: float  # the printed figure as a number
    n_layers: int
    d_model: int
    n_heads: int
    d_head: int


#: Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1
#: (all models: context n_ctx = 2048 tokens, GPT-2 BPE vocabulary of 50257).
GPT3_TABLE: list[GPT3Row] = [
    GPT3Row("GPT-3 Small", "125M", 125e6, 12, 768, 12, 64),
    GPT3Row("GPT-3 Medium", "350M", 350e6, 24, 1024, 16, 64),
    GPT3Row("GPT-3 Large", "760M", 760e6, 24, 1536, 16, 96),
    # XL as printed: 24 heads x d_head 128 = 3072 != d_model 2048 (inconsistent
    # in the paper itself; the head split does not change the parameter count,
    # but a forward pass needs d_model divisible by n_heads, e.g. 16 x 128).
    GPT3Row("GPT-3 XL", "1.3B", 1.3e9, 24, 2048, 24, 128),
    GPT3Row("GPT-3 2.7B", "2.7B", 2.7e9, 32, 2560, 32, 80),
    GPT3Row("GPT-3 6.7B", "6.7B", 6.7e9, 32, 4096, 32, 128),
    # d_model 5140 is printed in the paper; 5140 / 40 heads = 128.5, so it is
    # widely taken to be a typo for 5120 (= 40 x 128).  The table keeps the
    # printed value; gpt3() builds either (forward needs d_model % n_heads == 0).
    GPT3Row("GPT-3 13B", "13.0B", 13.0e9, 40, 5140, 40, 128),
    GPT3Row("GPT-3 175B", "175.0B", 175.0e9, 96, 12288, 96, 128),
]


def gpt3(
    n_layers: int,
    d_model: int,
    n_heads: int,
    n_ctx: int = 2048,
    vocab: int = 50257,
    device: DeviceLike = "meta",
) -> nn.Module:
    """GPT-3 style model: the GPT-2 block structure (Brown et al. 2020, section 2.1:
    "the same model and architecture as GPT-2"), learned positions for n_ctx=2048,
    tied lm_head.  The alternating dense/locally banded sparse attention has no
    parameters and is not modelled.

    Parameters: 12 L d^2 + 13 L d + (vocab + n_ctx) d + 2 d.  See ``GPT3_TABLE``
    for the published (rounded) figures from Table 2.1; the computed counts
    agree with them to within 2% (worst: 2.7B at -1.8%, Medium at +1.7%).
    Built on the meta device by default.
    Buffers: none.
    """
    return _build(device, lambda: GPT(n_layers, d_model, n_heads, n_ctx=n_ctx, vocab=vocab))


# --------------------------------------------------------------------------- #
# ViT-B/16 (torchvision layout)
# --------------------------------------------------------------------------- #
class _ViTBlock(nn.Module):
    def __init__(self, d: int, n_heads: int, d_mlp: int, dropout: float = 0.0):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(d, n_heads, dropout=dropout, batch_first=True)
        self.ln_2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = nn.Sequential(
            nn.Linear(d, d_mlp), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_mlp, d), nn.Dropout(dropout)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + self.dropout(y)
        return x + self.mlp(self.ln_2(x))


class VisionTransformer(nn.Module):
    def __init__(
        self,
        image_size: int = 224,
        patch_size: int = 16,
        d: int = 768,
        n_layers: int = 12,
        n_heads: int = 12,
        d_mlp: int = 3072,
        num_classes: int = 1000,
    ):
        super().__init__()
        self.patch_size = patch_size
        n_patches = (image_size // patch_size) ** 2
        self.conv_proj = nn.Conv2d(3, d, kernel_size=patch_size, stride=patch_size)
        self.class_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embedding = nn.Parameter(torch.empty(1, n_patches + 1, d).normal_(std=0.02))
        self.layers = nn.Sequential(*(_ViTBlock(d, n_heads, d_mlp) for _ in range(n_layers)))
        self.ln = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, num_classes)

    def forward(self, images):
        """images (B, 3, 224, 224) -> logits (B, num_classes)."""
        x = self.conv_proj(images).flatten(2).transpose(1, 2)  # (B, 196, d)
        cls = self.class_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embedding
        x = self.ln(self.layers(x))
        return self.head(x[:, 0])


def vit_b16(num_classes: int = 1000, device: DeviceLike = "cpu") -> nn.Module:
    """ViT-B/16 (Dosovitskiy et al. 2021) in torchvision's ``vit_b_16`` layout:
    conv_proj Conv2d(3, 768, 16, stride 16), class token (1,1,768), position
    embedding (1,197,768), 12 pre-LN encoder blocks (LayerNorm,
    MultiheadAttention(768, 12), LayerNorm, MLP 768->3072->768), final LayerNorm,
    head Linear(768, 1000).

    Parameters: **86,567,656**.
    Source: torchvision model documentation, ``vit_b_16`` /
    ``ViT_B_16_Weights.IMAGENET1K_V1`` ("num_params": 86567656); the ViT paper
    (Table 1) rounds ViT-Base to 86M.
    Buffers: none.
    """
    return _build(device, lambda: VisionTransformer(num_classes=num_classes))


# --------------------------------------------------------------------------- #
# LLaMA (RMSNorm, RoPE, SwiGLU, no biases, untied lm_head)
# --------------------------------------------------------------------------- #
def _rope(x: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding on (B, H, T, Dh), rotate-half convention; no parameters."""
    t, dh = x.shape[-2], x.shape[-1]
    inv = 1.0 / base ** (torch.arange(0, dh, 2, device=x.device, dtype=torch.float32) / dh)
    ang = torch.outer(torch.arange(t, device=x.device, dtype=torch.float32), inv)  # (T, Dh/2)
    cos = torch.cat([ang.cos(), ang.cos()], dim=-1).to(x.dtype)
    sin = torch.cat([ang.sin(), ang.sin()], dim=-1).to(x.dtype)
    x1, x2 = x[..., : dh // 2], x[..., dh // 2 :]
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


class _LlamaAttention(nn.Module):
    def __init__(self, d: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)

    def forward(self, x):
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        y = F.scaled_dot_product_attention(_rope(q), _rope(k), v, is_causal=True)
        return self.o_proj(y.transpose(1, 2).reshape(b, t, d))


class _SwiGLU(nn.Module):
    def __init__(self, d: int, hidden: int):
        super().__init__()
        self.gate_proj = nn.Linear(d, hidden, bias=False)
        self.up_proj = nn.Linear(d, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class _LlamaBlock(nn.Module):
    def __init__(self, d: int, n_heads: int, hidden: int, eps: float):
        super().__init__()
        self.input_layernorm = nn.RMSNorm(d, eps=eps)  # weight only
        self.self_attn = _LlamaAttention(d, n_heads)
        self.post_attention_layernorm = nn.RMSNorm(d, eps=eps)
        self.mlp = _SwiGLU(d, hidden)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, vocab: int, d: int, n_layers: int, n_heads: int, hidden: int, eps: float = 1e-5):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(_LlamaBlock(d, n_heads, hidden, eps) for _ in range(n_layers))
        self.norm = nn.RMSNorm(d, eps=eps)
        self.lm_head = nn.Linear(d, vocab, bias=False)  # untied

    def forward(self, input_ids):
        """input_ids (B, T) -> logits (B, T, vocab)."""
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.norm(x))


def llama(
    vocab: int, d: int, n_layers: int, n_heads: int, hidden: int, device: DeviceLike = "cpu"
) -> nn.Module:
    """Generic LLaMA-style model (use small sizes for a real CPU forward pass)."""
    return _build(device, lambda: Llama(vocab, d, n_layers, n_heads, hidden))


def llama2_7b(device: DeviceLike = "meta") -> nn.Module:
    """LLaMA-2-7B: vocab 32000, d 4096, 32 layers, 32 heads, q/k/v/o without bias,
    SwiGLU MLP (gate, up, down, hidden 11008, no bias), RMSNorm (weight only)
    before attention and MLP, final RMSNorm, untied lm_head 4096 x 32000.

    Parameters: **6,738,415,616** =
      embed 131,072,000 + 32 x 202,383,360 per layer
      (attention 4 x 4096^2 = 67,108,864; MLP 3 x 4096 x 11008 = 135,266,304;
      2 RMSNorms 8,192) + final norm 4,096 + lm_head 131,072,000.
    Source: exact count of the released ``meta-llama/Llama-2-7b-hf`` checkpoint
    (Hugging Face ``LlamaForCausalLM``); Touvron et al. 2023 (Llama 2 paper)
    call it 7B.
    Built on the meta device by default.  Buffers: none here (HF keeps a
    non-persistent ``inv_freq`` buffer of 64 elements for RoPE).
    """
    return llama(32000, 4096, 32, 32, 11008, device=device)
