"""MACs and FLOPs per layer family: hand derivations written out, invariants, and the result API.

Every expected value is derived in the comment beside it from the layer's definition (what one
forward pass multiplies and adds), not from paramcalc's own formulas.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramcalc import SpecError, parse_layer
from paramcalc.analysis.compute import Compute, layer_compute, total
from paramcalc.formulas import compute as fc


def torch_layer(expr: str):
    """A PyTorch layer from its constructor expression (nn. tells LSTM, GRU, ... from Keras's)."""
    return parse_layer(f"nn.{expr}")


def run(expr: str, *shapes):
    return layer_compute(torch_layer(expr), *shapes)


def kinds(c: Compute) -> dict[str, int]:
    return {"mac": c.macs, **c.by_kind()}


# -- hand derivations, one family at a time --------------------------------------------------

HAND = [
    # LeCun et al. 1998, section II.B: "C3 has 1,516 trainable parameters and 151,600 connections": 10·10
    # positions · 60 table entries · 5·5 taps = 150,000 products, plus 16·10·10 = 1,600 biases.
    ("SparseConv2d(6, 16, 5)", [(1, 6, 14, 14)], {"mac": 150_000, "bias": 1_600}),
    # ... "S2 has 12 trainable parameters and 5,880 connections": 6·14·14 = 1,176 outputs, each summing 4 inputs
    # (3 adds), times its coefficient (1 product) plus its bias: 1,176·(4 + 1) = 5,880 connections.
    ("Subsampling2d(6)", [(1, 6, 28, 28)], {"mac": 1_176, "pool": 3 * 1_176, "bias": 1_176}),
    # RBF output: each of the 10 units sums 84 squared differences: 840 subtractions and 840 squares summed.
    ("RBFOutput(84, 10)", [(1, 84)], {"mac": 840, "elementwise": 840}),
    # Linear(100, 128) on (32, 50, 100): 32·50 = 1,600 rows, each a 100×128 matrix-vector product:
    # 1,600·100·128 = 20,480,000 MACs; one bias add per output: 1,600·128 = 204,800.
    ("Linear(100, 128)", [(32, 50, 100)], {"mac": 20_480_000, "bias": 204_800}),
    # no bias: nothing but the products
    ("Linear(100, 128, bias=False)", [(4, 100)], {"mac": 4 * 100 * 128}),
    # VGG's first conv: 224×224 output (padding 1), each output a 3·3·3 = 27-term dot product:
    # 64·224·224·27 = 86,704,128 MACs; 64·224·224 = 3,211,264 bias adds.
    ("Conv2d(3, 64, 3, padding=1)", [(1, 3, 224, 224)], {"mac": 86_704_128, "bias": 3_211_264}),
    # AlexNet conv1: out (224 + 4 − 10 − 1)//4 + 1 = 55; 64·55·55·(3·11·11) = 64·3,025·363 = 70,276,800.
    ("Conv2d(3, 64, 11, stride=4, padding=2)", [(1, 3, 224, 224)], {"mac": 70_276_800, "bias": 64 * 3025}),
    # MobileNet's first depthwise layer (Howard et al. 2017, Table 1, "Conv dw / s1" 112×112×32):
    # groups = 32, each output sees 1 channel through 3×3: 32·112·112·1·9 = 3,612,672.
    ("Conv2d(32, 32, 3, padding=1, groups=32, bias=False)", [(1, 32, 112, 112)], {"mac": 3_612_672}),
    # dilation 2, stride 2: out (20 − 2·2 − 1)//2 + 1 = 8; 2 sequences · 8 channels · 8 positions · 4·3 taps.
    ("Conv1d(4, 8, 3, stride=2, dilation=2)", [(2, 4, 20)], {"mac": 2 * 8 * 8 * 12, "bias": 2 * 8 * 8}),
    # groups 2 halve the inputs each output sees: 2·6·8·8·(4/2)·3 = 4,608... on a 10-length input
    # with padding 1: out 10; 1·6·10·2·3 = 360.
    ("Conv1d(4, 6, 3, padding=1, groups=2, bias=False)", [(1, 4, 10)], {"mac": 360}),
    # Conv3d, padding 1 keeps 8³ = 512 positions: 4 channels · 512 · 2·27 = 110,592.
    ("Conv3d(2, 4, 3, padding=1)", [(1, 2, 8, 8, 8)], {"mac": 110_592, "bias": 4 * 512}),
    # unbatched Conv2d: the same without N: 5 channels · 3·3 positions · 2·2·2 taps = 360.
    ("Conv2d(2, 5, 2, bias=False)", [(2, 4, 4)], {"mac": 5 * 9 * 8}),
    # DCGAN-style upsampling ConvTranspose2d(16, 8, 4, stride 2, padding 1): 8×8 → 16×16.
    # Scatter: each of the 16·8·8 = 1,024 input values meets 8 output channels × 16 taps = 131,072.
    # Check per output: each output position receives on average k²/s² = 4 taps per input channel:
    # 8·256 outputs · 16 channels · 4 = 131,072 (not 8·256·16·16 = 524,288, the per-output miscount).
    ("ConvTranspose2d(16, 8, 4, stride=2, padding=1)", [(1, 16, 8, 8)], {"mac": 131_072, "bias": 8 * 256}),
    # stride = kernel = 3, groups 2: windows never overlap; out (5 − 1)·3 + 2 + 1 = 15.
    # Each of the 4·15 = 60 outputs is a sum of C_in/groups = 3 products: 180 = 6·5 inputs · 2·3.
    ("ConvTranspose1d(6, 4, 3, stride=3, groups=2, bias=False)", [(1, 6, 5)], {"mac": 180}),
    # ConvTranspose3d(2, 3, 2, stride 2): 2·(2·2·2) inputs · 3 channels · 8 taps = 384; out 4³.
    ("ConvTranspose3d(2, 3, 2, stride=2)", [(1, 2, 2, 2, 2)], {"mac": 384, "bias": 3 * 64}),
    # MaxPool2d(2): 64·56·56 windows of 4 values, 3 comparisons each = 602,112.
    ("MaxPool2d(2)", [(1, 64, 112, 112)], {"pool": 602_112}),
    # MaxPool1d(3, stride 1) on length 5: 3 windows · 2 comparisons · 2 channels = 12.
    ("MaxPool1d(3, stride=1)", [(2, 5)], {"pool": 12}),
    # AvgPool2d(3, stride 2, padding 1) on 7×7: out (7 + 2 − 3)//2 + 1 = 4; 8·16 windows of 9:
    # 8 adds + 1 divide each = 1,152.
    ("AvgPool2d(3, stride=2, padding=1)", [(1, 8, 7, 7)], {"pool": 1_152}),
    # AvgPool1d(4) on length 10: out 2 (floored); 3 channels · 2 windows of 4 = 24.
    ("AvgPool1d(4)", [(1, 3, 10)], {"pool": 24}),
    # AvgPool3d(2) on 4³: 2³ windows of 8 values per channel: 3·8·8 = 192.
    ("AvgPool3d(2)", [(1, 3, 4, 4, 4)], {"pool": 192}),
    # ResNet's global average pool: 2·512 windows of 7·7 = 49 values: 48 adds + 1 divide = 50,176.
    ("AdaptiveAvgPool2d(1)", [(2, 512, 7, 7)], {"pool": 50_176}),
    # AdaptiveAvgPool1d(3) on length 7: windows [0, 3), [2, 5), [4, 7) overlap: 3 + 3 + 3 = 9 values.
    ("AdaptiveAvgPool1d(3)", [(1, 1, 7)], {"pool": 9}),
    # AdaptiveAvgPool3d((1, None, 2)) on 3×2×4: depth windows 3, height 1+1, width 2+2: 3·2·4 = 24 per channel.
    ("AdaptiveAvgPool3d((1, None, 2))", [(2, 3, 2, 4)], {"pool": 2 * 24}),
    # BatchNorm2d(64) in inference: (x − μ)·1/σ then ·γ + β: 4 operations on each of 64·56·56 values.
    ("BatchNorm2d(64)", [(1, 64, 56, 56)], {"norm": 4 * 200_704}),
    ("BatchNorm1d(10, affine=False)", [(4, 10)], {"norm": 2 * 40}),
    ("BatchNorm3d(2)", [(1, 2, 2, 2, 2)], {"norm": 4 * 16}),
    # bias=False: normalise (2) and ·γ (1), as Keras's BatchNormalization(center=False) below.
    ("BatchNorm1d(10, bias=False)", [(2, 10)], {"norm": 3 * 20}),
    # LayerNorm(768) on 197 tokens: mean (1) + variance (3) + normalise (2) + γ, β (2) = 8 per value.
    ("LayerNorm(768)", [(1, 197, 768)], {"norm": 8 * 151_296}),
    ("LayerNorm(8, bias=False)", [(2, 8)], {"norm": 7 * 16}),
    ("LayerNorm(8, elementwise_affine=False)", [(2, 8)], {"norm": 6 * 16}),
    # GroupNorm(32, 256) on 8·256·8·8 = 131,072 values: statistics (4) + normalise (2) + γ, β (2) per value.
    ("GroupNorm(32, 256)", [(8, 256, 8, 8)], {"norm": 8 * 131_072}),
    ("GroupNorm(2, 6, bias=False)", [(4, 6, 5)], {"norm": 7 * 120}),
    # InstanceNorm: GroupNorm with one group per channel: statistics (4) + normalise (2) per value,
    # + γ, β (2) when affine. (2, 6, 5, 5) = 300 values; (3, 4, 10) = 120; (1, 2, 3, 4, 5) = 120.
    ("InstanceNorm2d(6)", [(2, 6, 5, 5)], {"norm": 6 * 300}),
    ("InstanceNorm1d(4, affine=True)", [(3, 4, 10)], {"norm": 8 * 120}),
    ("InstanceNorm3d(2)", [(1, 2, 3, 4, 5)], {"norm": 6 * 120}),
    # LocalResponseNorm, from torch's definition b_c = a_c·(k + α/n·Σ a_{c'}²)^(−β) over a window of n = size
    # channels (zero-padded at the edges, so always n terms). Per value: square 1, window sum n − 1 adds,
    # ·α/n 1 (a constant), + k 1, ^(−β) 1, ·a_c 1 = n + 4. size 5 on 2·8·6·6 = 576 values: 1 + 4 + 1 + 1 + 1 + 1
    # = 9 per value = 5,184; size 2 on 1·3·4 = 12 values: 1 + 1 + 4 = 6 per value = 72; size 1 (no adds): 5.
    ("LocalResponseNorm(5)", [(2, 8, 6, 6)], {"norm": 9 * 576}),
    ("LocalResponseNorm(2, alpha=0.5, beta=1.0, k=0.0)", [(1, 3, 4)], {"norm": 72}),
    ("LocalResponseNorm(1)", [(2, 3, 2, 2)], {"norm": 5 * 24}),
    # Upsample: nearest copies values (nothing to count); interpolating modes weigh k neighbours per
    # output value, k products and k − 1 sums: linear k = 2 (3 per value), bilinear 2·2 (7, as Keras's
    # bilinear UpSampling2D below), bicubic 4·4 (31), trilinear 2·2·2 (15).
    ("Upsample(scale_factor=2)", [(2, 3, 4)], {"mac": 0, "elementwise": 0}),
    ("UpsamplingNearest2d(scale_factor=2)", [(1, 2, 3, 3)], {"mac": 0, "elementwise": 0}),
    ("Upsample(scale_factor=2, mode='linear')", [(1, 2, 4)], {"elementwise": 3 * 16}),  # 1·2·8 values
    ("Upsample(scale_factor=2, mode='bilinear')", [(1, 2, 2, 2)], {"elementwise": 7 * 32}),  # 1·2·4·4
    ("UpsamplingBilinear2d(size=(3, 5))", [(1, 2, 2, 2)], {"elementwise": 7 * 30}),  # 1·2·3·5
    ("Upsample(scale_factor=2, mode='bicubic')", [(1, 1, 2, 2)], {"elementwise": 31 * 16}),
    ("Upsample(scale_factor=2, mode='trilinear')", [(1, 1, 2, 2, 2)], {"elementwise": 15 * 64}),
    # area is adaptive average pooling: 7 → 3 reads windows [0, 3), [2, 5), [4, 7), 9 values (as below).
    ("Upsample(size=3, mode='area')", [(1, 1, 7)], {"pool": 9}),
    # EmbeddingBag: a bag of n vectors of d values takes (n − 1)·d adds (max: comparisons); mean one
    # divide per bag and value. 2 bags of 5, d = 8: (10 − 2)·8 = 64 adds, mean + 2·8 = 16 divides.
    ("EmbeddingBag(100, 8)", [(2, 5)], {"elementwise": 64 + 16}),
    ("EmbeddingBag(100, 8, mode='max')", [(2, 5)], {"pool": 64, "elementwise": 0}),
    # 7 indices in 3 bags: (7 − 3)·8 = 32 adds, and per_sample_weights 7·8 = 56 products.
    ("EmbeddingBag(100, 8, mode='sum')", [(7,), (3,), (7,)], {"elementwise": 32 + 56}),
    ("GroupNorm(2, 6, affine=False)", [(4, 6, 5)], {"norm": 6 * 120}),
    # Embedding: a lookup, no arithmetic at all.
    ("Embedding(30522, 768)", [(2, 128)], {"mac": 0}),
    # RNN(10, 20) on 5 steps × 3 sequences: each cell step a 20×(10 + 20) product = 600 MACs:
    # 15·600 = 9,000; biases b_ih + b_hh: 15·40 = 600; tanh on 15·20 = 300.
    ("RNN(10, 20)", [(5, 3, 10)], {"mac": 9_000, "bias": 600, "activation": 300}),
    # LSTM(100, 128, num_layers=2) on 50 steps × 32 sequences = 1,600 cell steps per layer:
    # layer 0: 4·128·(100 + 128) = 116,736; layer 1: 4·128·(128 + 128) = 131,072 per step;
    # 1,600·247,808 = 396,492,800 MACs. Biases 1,600·2 layers·2·512 = 3,276,800;
    # activations 3 σ + 2 tanh: 1,600·2·5·128 = 2,048,000; f⊙c, i⊙g, +, o⊙tanh(c): 1,600·2·4·128 = 1,638,400.
    (
        "LSTM(100, 128, num_layers=2)", [(50, 32, 100)],
        {"mac": 396_492_800, "bias": 3_276_800, "activation": 2_048_000, "elementwise": 1_638_400},
    ),
    # batch_first does not change the count; the (N, L, I) reading does.
    ("LSTM(100, 128, num_layers=2, batch_first=True)", [(32, 50, 100)], {"mac": 396_492_800}),
    # LSTM with projection P = 5: 7·3 = 21 steps · (4·20·(10 + 5) + 5·20) = 21·1,300 = 27,300.
    ("LSTM(10, 20, proj_size=5, bias=False)", [(7, 3, 10)], {"mac": 27_300, "activation": 21 * 100, "elementwise": 21 * 80}),
    # bidirectional GRU: 2 directions · 21 steps · 3·20·(10 + 20) = 75,600;
    # gates: 2 σ + 1 tanh = 3·20, products r⊙·, +, h − n, z⊙·, + = 5·20 per step.
    ("GRU(10, 20, bidirectional=True)", [(7, 3, 10)], {"mac": 75_600, "bias": 42 * 120, "activation": 42 * 60, "elementwise": 42 * 100}),
    # a 2-layer bidirectional GRU: layer 1 takes 2·20 = 40 inputs: 42·(3·20·30 + 3·20·60) = 226,800.
    ("GRU(10, 20, num_layers=2, bidirectional=True, bias=False)", [(7, 3, 10)], {"mac": 226_800, "activation": 2 * 42 * 60, "elementwise": 2 * 42 * 100}),
    # unbatched (L, I): N = 1.
    ("RNN(4, 6, nonlinearity='relu', bias=False)", [(9, 4)], {"mac": 9 * 6 * 10, "activation": 54}),
    # MultiheadAttention(768, 12) on 197 tokens (ViT-B/16's attention):
    # Q, K, V, output projections 4·197·768² = 464,781,312; QKᵀ 12 heads · 197·197·64 = 29,805,312;
    # softmax·V the same: 524,391,936 MACs. Biases (197·3 + 197)·768 = 605,184; scaling q 197·768;
    # softmax 3 · 12·197·197.
    (
        "MultiheadAttention(768, 12)", [(197, 1, 768)],
        {"mac": 524_391_936, "bias": 605_184, "elementwise": 151_296, "softmax": 3 * 465_708},
    ),
    # cross-attention with kdim 32, vdim 16, 10 queries over 6 keys, plus bias_k and a zero key: S' = 8.
    # Q 2·10·64·64 = 81,920; K 2·6·32·64 = 24,576; V 2·6·16·64 = 12,288; out 81,920;
    # QKᵀ and AV 2·10·8·64 = 10,240 each: 221,184 MACs.
    (
        "MultiheadAttention(64, 4, kdim=32, vdim=16, add_bias_kv=True, add_zero_attn=True, bias=False)",
        [(10, 2, 64), (6, 2, 32), (6, 2, 16)], {"mac": 221_184, "elementwise": 1_280, "softmax": 3 * 2 * 4 * 10 * 8},
    ),
    # Transformer base encoder layer (d 512, 8 heads, d_ff 2048) on 10 tokens × 2:
    # attention 4·20·512² + 2·20·10·512 = 20,971,520 + 204,800; FFN 2·20·512·2048 = 41,943,040.
    (
        "TransformerEncoderLayer(512, 8)", [(10, 2, 512)],
        {
            "mac": 63_119_360,
            "bias": 20 * 4 * 512 + 20 * (2048 + 512),  # in/out projections, linear1 + linear2
            "activation": 20 * 2048,  # ReLU on the d_ff hidden values
            "norm": 2 * 8 * 20 * 512,  # two LayerNorms, 8 operations per value
            "softmax": 3 * 2 * 8 * 10 * 10,
            "elementwise": 20 * 512 + 2 * 20 * 512,  # scaling q, two residual adds
        },
    ),
    # decoder layer (d 64, 4 heads, d_ff 256), 10 target tokens over 6 memory tokens, batch 2:
    # self-attention 4·20·64² + 2·20·10·64 = 327,680 + 25,600; cross-attention 2·20·64² + 2·12·64²
    # + 2·20·6·64 = 163,840 + 98,304 + 15,360; FFN 2·20·64·256 = 655,360: 1,286,144 MACs.
    ("TransformerDecoderLayer(64, 4, 256)", [(10, 2, 64), (6, 2, 64)], {"mac": 1_286_144, "norm": 3 * 8 * 1280}),
    # MaxPool3d(2, stride 1) on 3³: 2³ windows of 8 values per channel, 7 comparisons each: 2·8·7 = 112.
    ("MaxPool3d(2, stride=1)", [(2, 3, 3, 3)], {"pool": 112}),
    # -- blocks of modern architectures --
    # RMSNorm: mean square (square, add) + ·1/rms + ·γ = 4 operations per value.
    ("RMSNorm(64)", [(3, 64)], {"norm": 4 * 192}),
    # grouped-query attention, 8 query heads and 2 key/value heads of 8: K and V project to 16 only.
    # Q 2·10·64·64 = 81,920; K, V 2·10·64·16 = 20,480 each; QKᵀ, AV 2·10·10·(8·8) = 12,800 each;
    # output 81,920: 230,400.
    ("SelfAttention(64, 8, num_kv_heads=2, bias=False)", [(2, 10, 64)], {"mac": 230_400, "bias": 0}),
    # BERT-base attention on 128 tokens: 4·128·768² = 301,989,888 + 2·128²·768 = 25,165,824;
    # biases (3·128 + 128)·768 = 393,216.
    ("SelfAttention(768, 12)", [(1, 128, 768)], {"mac": 327_155_712, "bias": 393_216}),
    # GPT-2 small attention over a full 1,024-token context: c_attn 1024·768·2304 = 1,811,939,328,
    # c_proj 1024·768² = 603,979,776, QKᵀ and AV 2·1024²·768 = 1,610,612,736: 4,026,531,840.
    ("CausalSelfAttention(768, 12)", [(1, 1024, 768)], {"mac": 4_026_531_840, "bias": 1024 * 4 * 768}),
    # fc1 and fc2: 2·3·64·256 = 98,304; biases 3·(256 + 64); GELU on 3·256.
    ("FeedForward(64, 256)", [(3, 64)], {"mac": 98_304, "bias": 960, "activation": 768}),
    # LLaMA-2-7B's MLP on one token: gate, up, down 3·4096·11008 = 135,266,304; SiLU and ⊙ on 11,008.
    ("SwiGLU(4096, 11008)", [(1, 4096)], {"mac": 135_266_304, "activation": 11_008, "elementwise": 11_008}),
    # one LLaMA-2-7B layer on one token: projections 4·4096² = 67,108,864, MLP 135,266,304,
    # QKᵀ and AV over the one key 2·4096: 202,383,360. Rotary on q and k: 3·(32 + 32)·128 = 24,576,
    # plus scaling q 4096, SiLU ⊙ up 11,008, two residual adds 8,192.
    (
        "DecoderBlock(4096, 32, style='llama')", [(1, 1, 4096)],
        {"mac": 202_383_360, "bias": 0, "elementwise": 24_576 + 4_096 + 11_008 + 8_192},
    ),
    # one GPT-2 small block over 1,024 tokens: attention 4,026,531,840 + MLP 2·1024·768·3072
    # = 4,831,838,208: 8,858,370,048.
    ("DecoderBlock(768, 12)", [(1, 1024, 768)], {"mac": 8_858_370_048}),
    # ViT-B/16 patch embedding: 768 filters · 14·14 patches · 3·16·16 = 115,605,504; conv bias
    # 768·196 = 150,528; adding position embeddings to 197·768 = 151,296 values.
    (
        "PatchEmbedding(3, 768, 16, 224)", [(1, 3, 224, 224)],
        {"mac": 115_605_504, "bias": 150_528, "elementwise": 151_296},
    ),
    ("SinusoidalPositionalEncoding(512)", [(2, 10, 512)], {"elementwise": 10_240}),
    ("Select()", [(2, 197, 768)], {"mac": 0}),
    # two of the decoder layers above: 2·1,286,144.
    ("TransformerDecoder(TransformerDecoderLayer(64, 4, 256), 2)", [(10, 2, 64), (6, 2, 64)], {"mac": 2_572_288}),
    # nn.Transformer, 1 + 1 layers, d 64, d_ff 256, src 6 and tgt 10 tokens, batch 2:
    # encoder 4·12·64² + 2·12·6·64 + 2·12·64·256 = 196,608 + 9,216 + 393,216 = 599,040;
    # decoder (memory = the 6 encoded tokens) 1,286,144 as above: 1,885,184.
    (
        "Transformer(64, 4, 1, 1, 256)", [(6, 2, 64), (10, 2, 64)],
        {"mac": 1_885_184, "norm": 8 * 768 * 2 + 8 * 1280 * 3 + 8 * 768 + 8 * 1280},
    ),
    # Activations: one operation per value; softmax: exp, sum, divide.
    ("ReLU()", [(2, 3)], {"activation": 6}),
    ("GELU()", [(4,)], {"activation": 4}),
    ("Tanh()", [(2, 2)], {"activation": 4}),
    ("Sigmoid()", [(3,)], {"activation": 3}),
    ("Softmax(dim=-1)", [(2, 10)], {"softmax": 60}),
    ("Dropout(0.1)", [(2, 10)], {"mac": 0}),
    ("Flatten()", [(2, 3, 4)], {"mac": 0}),
    ("Identity()", [(2,)], {"mac": 0}),
    # The other activations: one operation per value, as ReLU; PReLU too (its slopes are weights,
    # the product a·x is counted with the activation). LogSoftmax: exp, sum, log-subtract.
    *((f"{name}()", [(2, 5)], {"activation": 10}) for name in (
        "ReLU6", "LeakyReLU", "ELU", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid", "PReLU")),
    ("LogSoftmax(dim=1)", [(2, 10)], {"softmax": 60}),
    # Dropouts, padding and Unflatten move or copy values: nothing to count.
    *((f"{name}()", [shape], {"mac": 0, "activation": 0}) for name, shape in (
        ("Dropout1d", (2, 3, 4)), ("Dropout2d", (2, 3, 4, 4)), ("Dropout3d", (2, 3, 4, 4, 4)),
        ("AlphaDropout", (2, 3)), ("FeatureAlphaDropout", (2, 3, 4, 4)))),
    *((f"{kind}{n}d(1)", [(2, 3, *(4,) * n)], {"mac": 0}) for kind in (
        "ZeroPad", "ReflectionPad", "ReplicationPad", "CircularPad") for n in (1, 2, 3)),
    *((f"ConstantPad{n}d(1, 0.5)", [(2, 3, *(4,) * n)], {"mac": 0}) for n in (1, 2, 3)),
    ("Unflatten(1, (2, 5))", [(3, 10)], {"mac": 0}),
    # One step of a cell, batch 2, I = 3, H = 4: W_ih·x 2·G·4·3 and W_hh·h 2·G·4·4 MACs, biases 2·2·G·4.
    ("RNNCell(3, 4)", [(2, 3)], {"mac": 2 * 4 * 3 + 2 * 4 * 4, "bias": 16}),
    ("LSTMCell(3, 4)", [(2, 3)], {"mac": 4 * (24 + 32), "bias": 64}),
    ("GRUCell(3, 4)", [(2, 3)], {"mac": 3 * (24 + 32), "bias": 48}),
    ("PixelShuffle(2)", [(1, 8, 3, 3)], {"mac": 0}),
    # Bilinear(3, 4, 5) on a batch of 2: 2·5·3·4 = 120 MACs, 2·5 = 10 bias adds.
    ("Bilinear(3, 4, 5)", [(2, 3), (2, 4)], {"mac": 120, "bias": 10}),
    ("PixelUnshuffle(2)", [(1, 2, 4, 4)], {"mac": 0}),
    # Adaptive max pooling of 4 to 2: two windows of 2, one comparison each, per channel (3) and
    # dimension: 1d 3·2 = 6; 2d windows of 2·2 = 4 values, 3 comparisons, 3·4·3 = 36.
    ("AdaptiveMaxPool1d(2)", [(1, 3, 4)], {"pool": 6}),
    ("AdaptiveMaxPool2d(2)", [(1, 3, 4, 4)], {"pool": 36}),
    ("AdaptiveMaxPool3d(1)", [(1, 3, 2, 2, 2)], {"pool": 21}),
]


@pytest.mark.parametrize("expr, shapes, expected", HAND, ids=[h[0] for h in HAND])
def test_hand_derivations(expr, shapes, expected):
    c = run(expr, *shapes)
    got = kinds(c)
    for kind, value in expected.items():
        assert got.get(kind, 0) == value, kind
    # FLOPs are always 2 × MACs plus the listed non-MAC items, nothing hidden
    assert c.flops == 2 * c.macs + sum(c.by_kind().values())
    assert c.flops == sum(op.flops for op in c.ops)


def test_every_torch_layer_has_a_compute():
    from paramcalc.specs import TORCH_LAYERS

    covered = {torch_layer(h[0]).name for h in HAND} | {"TransformerEncoder"}
    assert set(TORCH_LAYERS) <= covered


def test_vit_b16_from_layers_is_17_6_gmacs():
    # ViT-B/16 (Dosovitskiy et al. 2021), its layers one by one, 224×224 image, batch 1:
    # patch embedding Conv2d(3, 768, 16, stride 16): 768·14·14·3·256 = 115,605,504;
    # 12 pre-LN encoder layers on 197 tokens: projections 4·197·768² = 464,781,312,
    # attention products 2·197²·768 = 59,610,624, MLP 2·197·768·3072 = 929,562,624 → 1,453,954,560 each;
    # head Linear(768, 1000) on the class token: 768,000.
    # Total 115,605,504 + 12·1,453,954,560 + 768,000 = 17,563,828,224 ≈ 17.6 G, not 0.17 G.
    patch = run("Conv2d(3, 768, 16, stride=16)", (1, 3, 224, 224))
    layer = "TransformerEncoderLayer(768, 12, 3072, activation='gelu', batch_first=True, norm_first=True)"
    encoder = layer_compute(
        torch_layer(f"TransformerEncoder({layer}, 12, norm=LayerNorm(768))"), (1, 197, 768)
    )
    head = run("Linear(768, 1000)", (1, 768))
    macs = total([patch, encoder, head]).macs
    assert macs == 17_563_828_224
    # the attention products alone are 12·59,610,624 = 715,327,488 MACs
    products = sum(op.count for op in encoder.ops if "QKᵀ" in op.name or "·V" in op.name)
    assert products == 715_327_488


def test_transformer_encoder_is_layers_times_the_layer_plus_norm():
    layer = run("TransformerEncoderLayer(64, 4, 128)", (5, 2, 64))
    stack = run("TransformerEncoder(TransformerEncoderLayer(64, 4, 128), 3, norm=LayerNorm(64))", (5, 2, 64))
    assert stack.macs == 3 * layer.macs
    assert stack.flops == 3 * layer.flops + 8 * 5 * 2 * 64
    assert stack.ops[0].formula.startswith("layers·") and stack.ops[0].working.startswith("3·")


# -- invariants -------------------------------------------------------------------------------

sizes = st.integers(1, 12)


@given(i=sizes, h=sizes, t=sizes, n=st.integers(1, 4), layers=st.integers(1, 3), bi=st.booleans())
def test_lstm_is_4_and_gru_3_times_rnn(i, h, t, n, layers, bi):
    args = f"({i}, {h}, num_layers={layers}, bidirectional={bi})"
    rnn, lstm, gru = (run(f"{cell}{args}", (t, n, i)).macs for cell in ("RNN", "LSTM", "GRU"))
    assert lstm == 4 * rnn
    assert gru == 3 * rnn


@given(i=sizes, h=sizes, t=sizes, k=st.integers(1, 5), cell=st.sampled_from(["RNN", "LSTM", "GRU"]))
def test_recurrent_compute_grows_with_the_sequence(i, h, t, k, cell):
    one = run(f"{cell}({i}, {h})", (t, 2, i))
    longer = run(f"{cell}({i}, {h})", (k * t, 2, i))
    assert longer.macs == k * one.macs and longer.flops == k * one.flops


@given(i=sizes, h=sizes, t=sizes)
def test_one_layer_bidirectional_doubles(i, h, t):
    assert run(f"GRU({i}, {h}, bidirectional=True)", (t, 3, i)).flops == 2 * run(f"GRU({i}, {h})", (t, 3, i)).flops


@st.composite
def conv_cases(draw):
    nd = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    p = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    size = tuple(draw(st.integers(dd * (kk - 1) + 1, 9)) for kk, dd in zip(k, d))
    return nd, c_in, c_out, k, s, d, p, groups, size


@given(case=conv_cases(), n=st.integers(1, 3))
def test_conv_macs_are_outputs_times_weights_per_output(case, n):
    # each output element is one dot product with the C_in/groups·prod(k) weights of its filter
    nd, c_in, c_out, k, s, d, p, g, size = case
    spec = torch_layer(f"Conv{nd}d({c_in}, {c_out}, {k}, stride={s}, padding={p}, dilation={d}, groups={g})")
    out = spec.output_shape((n, c_in, *size))
    weights = spec.count().total - c_out  # without the bias
    c = layer_compute(spec, (n, c_in, *size))
    positions = 1
    for o in out:
        positions *= o
    assert c.macs == positions * weights // c_out
    assert c.by_kind()["bias"] == positions


@given(case=conv_cases(), n=st.integers(1, 3))
def test_transposed_conv_costs_the_conv_it_transposes(case, n):
    # ConvTranspose is the gradient of the Conv with the same arguments and swapped channels: taking
    # the conv's output size back to its input size, it multiplies the same pairs of values.
    nd, c_in, c_out, k, s, d, p, g, size = case
    conv = torch_layer(f"Conv{nd}d({c_in}, {c_out}, {k}, stride={s}, padding={p}, dilation={d}, groups={g})")
    out = conv.output_shape((n, c_in, *size))
    back = tuple((m + 2 * pp - dd * (kk - 1) - 1) % ss for m, kk, ss, pp, dd in zip(size, k, s, p, d))
    if any(op >= ss and op >= dd for op, ss, dd in zip(back, s, d)):
        return  # torch cannot express this output_padding
    tconv = torch_layer(
        f"ConvTranspose{nd}d({c_out}, {c_in}, {k}, stride={s}, padding={p}, output_padding={back}, "
        f"dilation={d}, groups={g})"
    )
    assert tconv.output_shape(out) == (n, c_in, *size)
    assert layer_compute(tconv, out).macs == layer_compute(conv, (n, c_in, *size)).macs


@given(groups=st.sampled_from([1, 2, 4, 8]), hw=st.integers(3, 9))
def test_groups_divide_conv_macs(groups, hw):
    dense = run("Conv2d(8, 8, 3)", (1, 8, hw, hw)).macs
    assert run(f"Conv2d(8, 8, 3, groups={groups})", (1, 8, hw, hw)).macs * groups == dense


@given(n=st.integers(1, 40), o=st.integers(1, 40))
def test_adaptive_windows_cover_the_input(n, o):
    # every input value is in at least one window, windows overlap by at most one value each side
    total_len = fc.adaptive_window_sum(in_size=n, out_size=o)
    assert total_len >= n or o < n and total_len >= n
    if n % o == 0:
        assert total_len == n
    assert total_len <= n + 2 * o
    # brute force: windows [floor(i·n/o), ceil((i+1)·n/o)) enumerated value by value
    brute = sum(1 for i in range(o) for j in range(n) if (i * n) // o <= j and j * o < (i + 1) * n)
    assert total_len == brute


@given(rows=st.integers(0, 50), i=st.integers(1, 50), o=st.integers(1, 50), bias=st.booleans())
def test_linear_bias_adds_exactly_out_features_per_row(rows, i, o, bias):
    c = run(f"Linear({i}, {o}, bias={bias})", (rows, i))
    assert c.macs == rows * i * o
    assert c.flops - 2 * c.macs == (rows * o if bias else 0)


# -- the result API --------------------------------------------------------------------------


def test_flops_working_lists_every_kind():
    c = run("Linear(100, 128)", (32, 50, 100))
    assert c.flops_working() == "2 × 20,480,000 MACs + 204,800 bias adds = 41,164,800"
    assert c.training_flops == 3 * 41_164_800


def test_as_dict_is_json_with_exact_ints():
    c = run("GRU(10, 20)", (7, 3, 10))
    data = json.loads(json.dumps(c.as_dict()))
    assert data["macs"] == 37_800 and data["flops"] == c.flops
    assert data["non_mac_flops"] == {"bias": 2_520, "activation": 1_260, "elementwise": 2_100}
    assert [op["name"] for op in data["ops"]][:2] == ["input-to-hidden W_ih·x", "hidden-to-hidden W_hh·h"]
    assert data["ops"][0]["working"] == "1·7·3·3·20·10" and data["ops"][0]["count"] == 12_600


def test_items_show_their_formula_and_working():
    c = run("Conv2d(8, 16, 3, stride=2, groups=2, dilation=2)", (2, 8, 20, 20))
    conv = c.ops[0]
    assert conv.formula == "N·C_out·H_out·W_out·(C_in/groups)·kH·kW"
    assert conv.working == "2·16·8·8·4·3·3" and conv.count == 2 * 16 * 8 * 8 * 4 * 9


def test_notes_say_what_is_not_counted():
    assert any("need_weights" in n for n in run("MultiheadAttention(8, 2)", (3, 1, 8)).notes)
    assert run("BatchNorm1d(4)", (2, 4)).notes == ("BatchNorm: inference mode (running statistics)",)


def test_zero_batch_counts_nothing():
    assert run("Linear(3, 4)", (0, 3)) == Compute()


def test_inferred_input_size():
    assert run("Linear(out_features=4)", (2, 3)).macs == 24


@pytest.mark.parametrize(
    "expr, shapes, message",
    [
        ("Linear(3, 4)", [], "an input shape is needed"),
        ("Linear(3, 4)", [(2, 5)], "in_features=3"),
        ("Conv2d(3, 4, 3)", [(1, 3, 2, 2)], "must be >= 1"),
        ("LSTM(3, 4)", [(2, 2, 2, 3)], "expected a 3D"),
    ],
)
def test_bad_shapes_are_spec_errors(expr, shapes, message):
    with pytest.raises(SpecError, match=message):
        run(expr, *shapes)


# -- Keras layers: the same rules, Keras layouts ---------------------------------------------

KERAS = [
    # LocallyConnected2D(64, 3) on 32x32x3 (the Keras 2 docs' example): the same products as Conv2D(64, 3),
    # 30·30 positions · 64 filters · 3·3·3 taps = 1,555,200, each with its own weights; 57,600 bias adds.
    ("LocallyConnected2D(64, 3)", [(1, 32, 32, 3)], {"mac": 1_555_200, "bias": 57_600}),
    # LocallyConnected1D(4, 3, use_bias=False) on 10 steps of 2 features: 8 positions · 4 filters · 3·2 taps.
    ("LocallyConnected1D(4, 3, use_bias=False)", [(1, 10, 2)], {"mac": 8 * 4 * 6}),
    # Dense(128, relu) on (None, 100): one sample: 100·128 MACs, 128 bias adds, 128 ReLUs.
    ("Dense(128, activation='relu')", [(None, 100)], {"mac": 12_800, "bias": 128, "activation": 128}),
    ("Dense(10, activation='softmax', use_bias=False)", [(4, 32)], {"mac": 4 * 32 * 10, "softmax": 3 * 40}),
    # channels_last Conv2D: the same 86,704,128 MACs as VGG's first Conv2d above
    ("Conv2D(64, 3, padding='same')", [(1, 224, 224, 3)], {"mac": 86_704_128, "bias": 3_211_264}),
    ("Conv2D(64, 3, padding='same', data_format='channels_first')", [(1, 3, 224, 224)], {"mac": 86_704_128}),
    # depthwise-style grouped Conv1D: 2 samples · 8 steps · 4 filters · (4/2)·3 taps = 384
    ("Conv1D(4, 3, groups=2, use_bias=False)", [(2, 10, 4)], {"mac": 384}),
    ("Conv3D(2, 2, use_bias=False)", [(1, 3, 3, 3, 1)], {"mac": 8 * 2 * 8}),
    # the DCGAN upsampling of the torch table: 16·8·8 inputs · 8 filters · 16 taps = 131,072
    ("Conv2DTranspose(8, 4, strides=2, padding='same')", [(1, 8, 8, 16)], {"mac": 131_072, "bias": 2_048}),
    ("Conv1DTranspose(3, 2, strides=2, use_bias=False)", [(1, 5, 4)], {"mac": 5 * 4 * 3 * 2}),
    ("MaxPooling2D()", [(1, 112, 112, 64)], {"pool": 602_112}),
    ("AveragePooling1D(3)", [(1, 9, 2)], {"pool": 3 * 2 * 3}),
    ("GlobalAveragePooling2D()", [(2, 7, 7, 512)], {"pool": 50_176}),
    # BatchNormalization: normalise (2) + gamma (1) + beta (1) per value
    ("BatchNormalization()", [(1, 56, 56, 64)], {"norm": 4 * 200_704}),
    ("BatchNormalization(center=False)", [(2, 10)], {"norm": 3 * 20}),
    ("LayerNormalization()", [(1, 197, 768)], {"norm": 8 * 151_296}),
    # GroupNormalization: statistics (4) and normalise (2) per value, as LayerNormalization, + gamma + beta
    ("GroupNormalization(8)", [(2, 7, 7, 32)], {"norm": 8 * 3_136}),
    ("GroupNormalization(-1, center=False)", [(1, 5, 4)], {"norm": 7 * 20}),
    ("Embedding(100, 8)", [(2, 5)], {"mac": 0}),
    # Keras LSTM(128) on 32 sequences of 50 steps: 1,600 steps · 4·128·(100 + 128) = 186,777,600;
    # one bias per gate: 1,600·512 = 819,200 adds (torch adds two)
    ("LSTM(128)", [(32, 50, 100)], {"mac": 186_777_600, "bias": 819_200, "activation": 1_600 * 640}),
    # GRU with reset_after (the default) keeps an input and a recurrent bias: 21·2·60 adds
    ("GRU(20)", [(3, 7, 10)], {"mac": 37_800, "bias": 2_520, "elementwise": 21 * 6 * 20}),
    ("GRU(20, reset_after=False)", [(3, 7, 10)], {"mac": 37_800, "bias": 1_260, "elementwise": 21 * 5 * 20}),
    ("SimpleRNN(6, use_bias=False)", [(1, 9, 4)], {"mac": 9 * 6 * 10, "activation": 54}),
    # Bidirectional doubles the layer; merge_mode='sum' adds the two (3, 20) outputs: 60 adds
    (
        "Bidirectional(layers.GRU(20, reset_after=False), merge_mode='sum')", [(3, 7, 10)],
        {"mac": 75_600, "elementwise": 2 * 21 * 5 * 20 + 60},
    ),
    # ViT-B/16's attention written the Keras way: 12 heads of key_dim 64 on 197 tokens of 768:
    # the same 524,391,936 MACs as MultiheadAttention(768, 12)
    ("MultiHeadAttention(12, 64)", [(1, 197, 768), (1, 197, 768)], {"mac": 524_391_936, "bias": 605_184}),
    # cross-attention, 2 heads of 8, value_dim 4, output_shape 6: query (1, 5, 16), value (1, 3, 12)
    # Q 5·16·16, K and V from the value: 3·12·16 and 3·12·8, QKᵀ 2·5·3·8, AV 2·5·3·4, output 5·8·6
    (
        "MultiHeadAttention(2, 8, value_dim=4, output_shape=6, use_bias=False)", [(1, 5, 16), (1, 3, 12)],
        {"mac": 5 * 16 * 16 + 3 * 12 * 16 + 3 * 12 * 8 + 2 * 5 * 3 * 8 + 2 * 5 * 3 * 4 + 5 * 8 * 6},
    ),
    # RMSNormalization: square, add, ·1/rms, ·γ per value
    ("RMSNormalization()", [(2, 5, 8)], {"norm": 4 * 80}),
    # the grouped-query attention of the torch table, the Keras way: 8 query heads, 2 key/value
    # heads of 8: Q 2·10·64·64, K and V 2·10·64·16, QKᵀ and AV 2·8·10·10·8, output 2·10·64·64
    (
        "GroupQueryAttention(8, 8, 2, use_bias=False)", [(2, 10, 64), (2, 10, 64)],
        {"mac": 230_400, "softmax": 3 * 2 * 8 * 100},
    ),
    ("Activation('softmax')", [(2, 10)], {"softmax": 60}),
    ("Activation('tanh')", [(2, 10)], {"activation": 20}),
    ("Flatten()", [(2, 3, 4)], {"mac": 0}),
    ("Dropout(0.5)", [(2, 3)], {"mac": 0}),
    # depthwise: one 3×3 window per output element and channel, 1·8·8·4·9 = 2,304; bias 1·8·8·4 = 256
    ("DepthwiseConv2D(3, padding='same')", [(1, 8, 8, 4)], {"mac": 2_304, "bias": 256}),
    # (10 − 2) = 8 steps, 2·8·3 outputs · 3 taps = 144; bias 2·8·3 = 48
    ("DepthwiseConv1D(3)", [(2, 10, 3)], {"mac": 144, "bias": 48}),
    # separable 4 → 8 on 6×6: depthwise 1·4·4·4·9 = 576, pointwise 1·4·4·4·8 = 512; bias 1·4·4·8 = 128
    ("SeparableConv2D(8, 3)", [(1, 6, 6, 4)], {"mac": 1_088, "bias": 128}),
    # M = 2 on 3 channels (6 between), 3 steps: depthwise 3·6·3 = 54, pointwise 3·6·2 = 36; bias 3·2 = 6
    ("SeparableConv1D(2, 3, depth_multiplier=2)", [(1, 5, 3)], {"mac": 90, "bias": 6}),
    ("ZeroPadding1D(2)", [(2, 5, 3)], {"mac": 0}), ("ZeroPadding2D(1)", [(2, 5, 5, 3)], {"mac": 0}),
    ("ZeroPadding3D(1)", [(1, 2, 2, 2, 3)], {"mac": 0}),
    ("Cropping1D(1)", [(2, 5, 3)], {"mac": 0}), ("Cropping2D(1)", [(2, 5, 5, 3)], {"mac": 0}),
    ("Cropping3D(1)", [(1, 3, 3, 3, 3)], {"mac": 0}),
    ("UpSampling1D(2)", [(2, 5, 3)], {"mac": 0}), ("UpSampling2D()", [(2, 5, 5, 3)], {"elementwise": 0}),
    ("UpSampling3D()", [(1, 2, 2, 2, 3)], {"mac": 0}),
    # bilinear: 4 weights and 3 adds per output value, 7·(1·4·4·2) = 224
    ("UpSampling2D(interpolation='bilinear')", [(1, 2, 2, 2)], {"elementwise": 224}),
    ("Reshape((4, 3))", [(2, 12)], {"mac": 0}), ("Permute((2, 1))", [(2, 3, 4)], {"mac": 0}),
    ("RepeatVector(3)", [(2, 4)], {"mac": 0}),
    # max over 3·3 per channel: 2·3·3·4 = 72 values, 2·4 maxima: 72 − 8 = 64 comparisons
    ("GlobalMaxPooling2D()", [(2, 3, 3, 4)], {"pool": 64}),
    ("GlobalMaxPooling1D()", [(2, 5, 3)], {"pool": 30 - 6}), ("GlobalMaxPooling3D()", [(1, 2, 2, 2, 3)], {"pool": 24 - 3}),
    ("ReLU(max_value=6.0)", [(2, 10)], {"activation": 20}), ("LeakyReLU()", [(2, 10)], {"activation": 20}),
    ("ELU()", [(2, 10)], {"activation": 20}), ("Softmax()", [(2, 10)], {"softmax": 60}),
    # PReLU: max, min, multiply, add per value, 4·24
    ("PReLU()", [(2, 3, 4)], {"activation": 96}),
    # subtract the mean, divide: 2 per value; unit norm: square, sum, divide: 3 per value; x·s + o: 2 per value
    ("Normalization()", [(2, 13)], {"norm": 52}), ("UnitNormalization()", [(2, 5)], {"norm": 30}),
    ("Rescaling(0.5)", [(2, 4)], {"elementwise": 16}),
    # merges: k − 1 operations per output element (Average: and one divide)
    ("Add()", [(4, 10), (4, 10), (4, 10)], {"elementwise": 80}), ("Subtract()", [(4, 10), (4, 10)], {"elementwise": 40}),
    ("Multiply()", [(2, 3), (2, 3)], {"elementwise": 6}), ("Average()", [(4, 10), (4, 10)], {"elementwise": 80}),
    ("Maximum()", [(2, 3), (2, 3)], {"elementwise": 6}), ("Minimum()", [(2, 3), (2, 3)], {"elementwise": 6}),
    ("Concatenate()", [(2, 3), (2, 4)], {"mac": 0}),
    # 2·10·12 dot products of length 64
    ("Dot(axes=(2, 2))", [(2, 10, 64), (2, 12, 64)], {"mac": 15_360}),
    # Dense(8) on each of 2·5 steps of 16 features: 10·16·8 = 1,280 MACs, 10·8 = 80 bias adds
    ("TimeDistributed(layers.Dense(8))", [(2, 5, 16)], {"mac": 1_280, "bias": 80}),
    # ConvLSTM1D(2, 3) on 4 steps of (5, 3): 3 positions; input 4·3·(4·2)·3·3 = 864, state 4·3·8·3·2 = 576;
    # 4·3·2 = 24 state values: 4 biases, 5 activations, 4 products and sums each
    ("ConvLSTM1D(2, 3)", [(1, 4, 5, 3)], {"mac": 1_440, "bias": 96, "activation": 120, "elementwise": 96}),
    # 1×1 kernel, 1 filter on 2 steps of 2×2×1: input and state 2·4·4 = 32 MACs each; 8 state values
    ("ConvLSTM2D(1, 1)", [(1, 2, 2, 2, 1)], {"mac": 64, "bias": 32, "activation": 40, "elementwise": 32}),
]


@pytest.mark.parametrize("expr, shapes, expected", KERAS, ids=[k[0] for k in KERAS])
def test_keras_hand_derivations(expr, shapes, expected):
    c = layer_compute(parse_layer(f"layers.{expr}"), *shapes)
    got = kinds(c)
    for kind, value in expected.items():
        assert got.get(kind, 0) == value, kind
    assert c.flops == 2 * c.macs + sum(c.by_kind().values())


def test_every_keras_layer_has_a_compute():
    from paramcalc.keras_layers import KERAS_LAYERS

    covered = {parse_layer(f"layers.{k[0]}").name for k in KERAS}
    assert set(KERAS_LAYERS) - {"GlobalAveragePooling1D", "GlobalAveragePooling3D", "MaxPooling1D",
                                "MaxPooling3D", "AveragePooling2D", "AveragePooling3D",
                                "Conv3DTranspose"} <= covered


def test_unknown_keras_batch_counts_one_sample_and_says_so():
    c = layer_compute(parse_layer("layers.Dense(4)"), (None, 3))
    assert c.macs == 12 and any("batch size is unknown" in n for n in c.notes)
    with pytest.raises(SpecError, match="every size but the batch"):
        layer_compute(parse_layer("layers.Dense(4)"), (None, None, 3))


@pytest.mark.parametrize(
    "keras_expr, keras_shape, torch_expr, torch_shape",
    [
        ("Dense(64)", (8, 100), "Linear(100, 64)", (8, 100)),
        ("Conv2D(16, 3, strides=2)", (2, 32, 32, 8), "Conv2d(8, 16, 3, stride=2)", (2, 8, 32, 32)),
        ("LSTM(32)", (4, 20, 16), "LSTM(16, 32, batch_first=True)", (4, 20, 16)),
        ("Bidirectional(layers.LSTM(32))", (4, 20, 16), "LSTM(16, 32, batch_first=True, bidirectional=True)", (4, 20, 16)),
    ],
)
def test_keras_and_torch_layers_multiply_the_same(keras_expr, keras_shape, torch_expr, torch_shape):
    keras_macs = layer_compute(parse_layer(f"layers.{keras_expr}"), keras_shape).macs
    assert keras_macs == run(torch_expr, torch_shape).macs


# -- whole models ------------------------------------------------------------------------------


def _summary(layers, input_shape, **extra):
    from paramcalc.models.format import summarize

    return summarize({"name": "m", "framework": "pytorch", "input_shape": list(input_shape), "layers": layers, **extra})


def test_model_rows_add_up_with_repeats_and_shortcut_adds():
    from paramcalc.analysis.compute import model_compute

    # 3 residual blocks of Conv2d(4, 4, 3, padding=1) + ReLU on (2, 4, 8, 8), evaluated once:
    # conv 2·4·8·8·4·9 = 18,432 MACs each; bias, ReLU and the shortcut add 512 each per block.
    s = _summary(
        [{"name": "res", "layers": ["Conv2d(4, 4, 3, padding=1)", "ReLU()"], "shortcut": "identity", "repeat": 3}],
        (2, 4, 8, 8),
    )
    mc = model_compute(s)
    assert mc.macs == 3 * 18_432
    assert mc.flops == 3 * (2 * 18_432 + 512 + 512 + 512)
    assert mc.rows["res"].flops == mc.flops
    assert mc.total.by_kind() == {"bias": 1_536, "activation": 1_536, "elementwise": 1_536}
    assert mc.tokens is None and mc.six_n_d is None


def test_model_with_token_inputs_has_6nd():
    from paramcalc.analysis.compute import model_compute

    # token + position embeddings (added: 2·16·32 adds), 3 GPT-2 blocks (d 32, 4 heads) and a tied head:
    # each block 4·32·32² + 2·2·16²·32 + 2·32·32·128 = 131,072 + 32,768 + 262,144 = 425,984 MACs;
    # head 32·32·100 = 102,400.
    s = _summary(
        [
            {"name": "emb", "parallel": [{"name": "tok", "layer": "Embedding(100, 32)"},
                                         {"name": "pos", "layer": "Embedding(16, 32)"}]},
            {"name": "blocks", "repeat": 3, "layers": ["DecoderBlock(32, 4)"]},
            {"name": "head", "layer": "Linear(32, 100, bias=False)", "tie": {"weight": "emb.tok.weight"}},
        ],
        (2, 16),
    )
    mc = model_compute(s)
    assert mc.macs == 3 * 425_984 + 102_400
    assert mc.rows["emb"].flops == 2 * 16 * 32  # adding the branches
    # N without the embedding tables (3,200 + 512), D = 2·16 = 32 tokens
    assert mc.tokens == 32 and mc.embedding_params == 3_712
    assert mc.six_n_d == 6 * (s.total - 3_712) * 32
    data = mc.as_dict()
    assert data["six_n_d"]["params"] == s.total - 3_712
    assert data["training_flops_estimate"]["flops"] == 3 * mc.flops


def test_model_compute_needs_the_input_shape():
    from paramcalc.analysis.compute import model_compute
    from paramcalc.models.format import summarize

    s = summarize({"name": "m", "layers": ["Linear(3, 4)"]})
    with pytest.raises(SpecError, match="input shape is unknown"):
        model_compute(s)


# -- presets -----------------------------------------------------------------------------------

#: torchvision's model documentation lists a "GFLOPS" figure per weight set (ResNet50_Weights,
#: ViT_B_16_Weights, ...) that counts multiply-adds of a 224×224 image, in units of 10⁹, to two
#: decimals. paramcalc's exact MACs round to the same figures.
TORCHVISION_GMACS = {
    "alexnet": ("0.71", 714_188_480),
    "vgg11": ("7.61", 7_609_090_048),
    "vgg16": ("15.47", 15_470_264_320),
    "resnet18": ("1.81", 1_814_073_344),
    "resnet50": ("4.09", 4_089_184_256),
    "vit-b16": ("17.56", 17_563_828_224),
}


@pytest.mark.parametrize("preset", list(TORCHVISION_GMACS))
def test_cnn_and_vit_presets_match_torchvision(preset):
    from paramcalc.analysis.compute import model_compute
    from paramcalc.models.presets import load_preset

    published, exact = TORCHVISION_GMACS[preset]
    macs = model_compute(load_preset(preset).summarize()).macs
    assert macs == exact
    assert f"{macs / 10**9:.2f}" == published


def test_every_preset_has_a_compute():
    from paramcalc.analysis.compute import model_compute
    from paramcalc.models.presets import load_preset, names

    for name in names():
        summary = load_preset(name).summarize()
        mc = model_compute(summary)
        assert mc.macs > 0 and mc.flops > 2 * mc.macs
        # the rows of the top level add up to the total
        assert sum(c.flops for path, c in mc.rows.items() if "." not in path and "[" not in path) == mc.flops


def test_gpt2_small_forward_per_token_and_6nd():
    from paramcalc.analysis.compute import model_compute
    from paramcalc.models.presets import load_preset

    # GPT-2 small on its full 1,024-token context: 145,824,153,600 MACs, about 142.4M per token:
    # 12 blocks · 12·768² = 84,934,656 (the non-embedding weights), the tied head 768·50,257
    # = 38,597,376, and attention over 1,024 keys 12 · 2·1024·768 = 18,874,368.
    mc = model_compute(load_preset("gpt2").summarize())
    assert mc.macs == 145_824_153_600 == 1024 * (84_934_656 + 38_597_376 + 18_874_368)
    assert mc.tokens == 1024
    # 6·N·D with N = 124,439,808 − 38,597,376 (wte) − 786,432 (wpe) = 85,056,000 parameters
    assert mc.six_n_d == 6 * 85_056_000 * 1024


def test_six_n_d_reproduces_gpt3_training_compute():
    # Brown et al. 2020, Table D.1: GPT-3 175B trained on 300 billion tokens took 3.14E+23 FLOPs,
    # computed there as 6 · N · D with N its 174.6 billion parameters
    from paramcalc.models.presets import load_preset

    n = load_preset("gpt3-175b").summarize().total
    assert round(n / 10**9, 1) == 174.6
    flops = fc.six_n_d(params=n, tokens=300 * 10**9)
    assert f"{flops:.2E}" == "3.14E+23"
