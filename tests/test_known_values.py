"""Known values, each with where it comes from: published counts, documentation examples, the
course notes (/work/shared/seeds/), and hand derivations written out next to the value."""

from __future__ import annotations

from typing import Any

import pytest

from paramcalc import SpecError, parse_layer

NOTES = "course notes 004 (CNN/RNN parameter formulas and the worked Embedding-RNN-Linear model)"

# (id, layer, expected total parameters, source)
COUNTS: list[tuple[str, str, int, str]] = [
    ("lstm-300-512-2-layers", "LSTM(300, 512, num_layers=2)", 3_768_320,
     "issue 2; by hand: layer 0 4·(512·300 + 512·512 + 2·512) = 1,667,072, "
     "layer 1 4·(512·512 + 512·512 + 2·512) = 2,101,248"),
    ("transformer-encoder-layer-512-8", "TransformerEncoderLayer(512, 8)", 3_152_384,
     "issue 2; by hand: attention 4·512² + 4·512 = 1,050,624, feed-forward 2·512·2048 + 2048 + 512 "
     "= 2,099,712, two LayerNorms 2·2·512 = 2,048"),
    ("embedding-1000-64", "Embedding(num_embeddings=1000, embedding_dim=64)", 64_000, f"{NOTES}: 1000 × 64"),
    ("rnn-64-64", "RNN(64, 64)", 8_320, f"{NOTES}: 64(64+64) + (64 × 2), two bias vectors as PyTorch counts"),
    ("linear-64-1", "Linear(64, 1)", 65, f"{NOTES}: (64 × 1) + 1"),
    ("conv2d-3-64-3", "Conv2d(3, 64, 3)", 1_792, f"{NOTES}: ((3 × 3 × 3) + 1) × 64"),
    ("batchnorm-64", "BatchNorm2d(64)", 128, f"{NOTES}: C × 2"),
    ("lstm-is-4-rnn", "LSTM(64, 64)", 33_280, f"{NOTES}: LSTM = 4 × RNN = 4 × 8,320"),
    ("gru-is-3-rnn", "GRU(64, 64)", 24_960, f"{NOTES}: GRU = 3 × RNN = 3 × 8,320"),
    ("maxpool-has-none", "MaxPool2d(2)", 0, f"{NOTES}: pooling has no parameters"),
    ("notes-002-embedding", "Embedding(num_embeddings=5000, embedding_dim=100)", 500_000,
     "course notes 002 (RNN exercise): Embedding 5000 × 100"),
    ("notes-002-dense", "Linear(128, 1)", 129, "course notes 002 (RNN exercise): Dense(1) after 128 units, 128 + 1"),
    ("lenet5-c1", "Conv2d(1, 6, 5)", 156, "LeCun et al. 1998, layer C1: 156 trainable parameters"),
    ("lenet5-f6", "Linear(120, 84)", 10_164, "LeCun et al. 1998, layer F6: 10,164 trainable parameters"),
    ("alexnet-conv1-paper", "Conv2d(3, 96, 11, stride=4)", 34_944,
     "Krizhevsky et al. 2012 conv1 (96 kernels of 11×11×3): by hand 96·(11·11·3) + 96"),
    ("resnet50-conv1", "Conv2d(3, 64, 7, stride=2, padding=3, bias=False)", 9_408,
     "torchvision resnet50 conv1.weight (64, 3, 7, 7): 64·3·49"),
    ("vgg16-fc6", "Linear(25088, 4096)", 102_764_544,
     "torchvision vgg16 classifier[0] (4096 × 25088 weights + 4096 biases), part of its 138,357,544"),
    ("bert-base-layer", "TransformerEncoderLayer(768, 12, 3072)", 7_087_872,
     "HF bert-base-uncased, 109,482,240 in all, less embeddings 23,837,184 and pooler 590,592, over 12 layers"),
    ("mha-512-8", "MultiheadAttention(512, 8)", 1_050_624, "Vaswani et al. 2017 d_model 512: 4·512² + 4·512 by hand"),
    ("unet-up-conv", "ConvTranspose2d(1024, 512, 2, stride=2)", 2_097_664,
     "Ronneberger et al. 2015 2×2 up-convolution halving 1024 channels: 1024·512·4 + 512 by hand"),
    ("layernorm-docs-chw", "LayerNorm((5, 10, 10))", 1_000,
     "PyTorch docs, torch.nn.LayerNorm image example normalising [C, H, W] = [5, 10, 10]: 2·500"),
    ("groupnorm-32-256", "GroupNorm(32, 256)", 512,
     "torch 2.13, sum(p.numel() for p in nn.GroupNorm(32, 256).parameters()): weight and bias of 256 each"),
    ("groupnorm-resnet-gn", "GroupNorm(32, 2048)", 4_096,
     "Wu & He 2018 (32 groups) on a ResNet-50 stage-5 block's 2048 channels: 2·2048 by hand"),
    ("lstm-proj", "LSTM(10, 20, proj_size=5)", 1_460,
     "by hand: 4·20·10 + 4·20·5 + 2·4·20 + 5·20 = 800 + 400 + 160 + 100 (weight_hr is 5 × 20)"),
    ("gru-bidirectional-2-layers", "GRU(10, 20, num_layers=2, bidirectional=True)", 11_280,
     "by hand: layer 0 2·3·(20·10 + 20·20 + 40) = 3,840; layer 1 takes 40 inputs: 2·3·(20·40 + 20·20 + 40) = 7,440"),
]

@pytest.mark.parametrize(("layer", "expected", "source"), [c[1:] for c in COUNTS], ids=[c[0] for c in COUNTS])
def test_known_count(layer: str, expected: int, source: str) -> None:
    count = parse_layer(layer).count()
    assert count.total == expected, source
    assert isinstance(count.total, int)


def test_gpt2_small_from_its_layers() -> None:
    """HF gpt2 (small): 124,439,808 parameters = token embedding 50257 × 768 + position embedding
    1024 × 768 + 12 pre-norm blocks (each counted like a TransformerEncoderLayer(768, 12, 3072)) and
    the final LayerNorm (ln_f)."""
    parts = [
        parse_layer("nn.Embedding(50257, 768)"),
        parse_layer("nn.Embedding(1024, 768)"),
        parse_layer(
            "TransformerEncoder(TransformerEncoderLayer(768, 12, 3072, activation='gelu', norm_first=True), "
            "12, norm=LayerNorm(768))"
        ),
    ]
    assert sum(p.count().total for p in parts) == 124_439_808


# (id, layer, input shapes, expected outputs, source)
SHAPES: list[tuple[str, str, list[tuple[int, ...]], dict[str, tuple[int, ...]], str]] = [
    ("alexnet-conv1-227", "Conv2d(3, 96, 11, stride=4)", [(1, 3, 227, 227)], {"output": (1, 96, 55, 55)},
     "Stanford CS231n notes on AlexNet: (227 - 11)/4 + 1 = 55"),
    ("alexnet-pool1", "MaxPool2d(3, stride=2)", [(1, 96, 55, 55)], {"output": (1, 96, 27, 27)},
     "Krizhevsky et al. 2012 overlapping pooling: (55 - 3)/2 + 1 = 27"),
    ("resnet-stem", "Conv2d(3, 64, 7, stride=2, padding=3, bias=False)", [(1, 3, 224, 224)],
     {"output": (1, 64, 112, 112)}, "He et al. 2016 Table 1, conv1 output 112×112"),
    ("resnet-stem-pool", "MaxPool2d(3, stride=2, padding=1)", [(1, 64, 112, 112)], {"output": (1, 64, 56, 56)},
     "He et al. 2016 Table 1, conv2_x input 56×56"),
    ("torch-docs-linear", "Linear(20, 30)", [(128, 20)], {"output": (128, 30)}, "PyTorch docs, torch.nn.Linear example"),
    ("torch-docs-conv2d", "Conv2d(16, 33, 3, stride=2)", [(20, 16, 50, 100)], {"output": (20, 33, 24, 49)},
     "PyTorch docs, torch.nn.Conv2d example input; by hand (50-3)//2+1 = 24, (100-3)//2+1 = 49"),
    ("torch-docs-maxpool2d", "MaxPool2d(3, stride=2)", [(20, 16, 50, 32)], {"output": (20, 16, 24, 15)},
     "PyTorch docs, torch.nn.MaxPool2d example input; by hand (50-3)//2+1 = 24, (32-3)//2+1 = 15"),
    ("torch-docs-lstm", "LSTM(10, 20, 2)", [(5, 3, 10)], {"output": (5, 3, 20), "h_n": (2, 3, 20), "c_n": (2, 3, 20)},
     "PyTorch docs, torch.nn.LSTM example: input (5, 3, 10), h0 and c0 (2, 3, 20)"),
    ("torch-docs-gru", "GRU(10, 20, 2)", [(5, 3, 10)], {"output": (5, 3, 20), "h_n": (2, 3, 20)},
     "PyTorch docs, torch.nn.GRU example"),
    ("torch-docs-rnn", "RNN(10, 20, 2)", [(5, 3, 10)], {"output": (5, 3, 20), "h_n": (2, 3, 20)},
     "PyTorch docs, torch.nn.RNN example"),
    ("torch-docs-embedding", "nn.Embedding(10, 3)", [(2, 4)], {"output": (2, 4, 3)},
     "PyTorch docs, torch.nn.Embedding example: an input of 2 × 4 indices"),
    ("torch-docs-encoder-layer", "TransformerEncoderLayer(d_model=512, nhead=8)", [(10, 32, 512)],
     {"output": (10, 32, 512)}, "PyTorch docs, torch.nn.TransformerEncoderLayer example"),
    ("torch-docs-encoder-layer-batch-first", "TransformerEncoderLayer(512, 8, batch_first=True)", [(32, 10, 512)],
     {"output": (32, 10, 512)}, "PyTorch docs, torch.nn.TransformerEncoderLayer batch_first example"),
    ("torch-docs-decoder-layer", "TransformerDecoderLayer(d_model=512, nhead=8)", [(20, 32, 512), (10, 32, 512)],
     {"output": (20, 32, 512)}, "PyTorch docs, torch.nn.TransformerDecoderLayer example: tgt (20, 32, 512), memory (10, 32, 512)"),
    ("mha-weights-averaged", "MultiheadAttention(512, 8, batch_first=True)", [(4, 10, 512), (4, 12, 512), (4, 12, 512)],
     {"attn_output": (4, 10, 512), "attn_output_weights": (4, 10, 12)},
     "PyTorch docs, torch.nn.MultiheadAttention: weights (N, L, S) averaged over heads"),
    ("conv-transpose-halves-back", "ConvTranspose2d(16, 16, 3, stride=2, padding=1)", [(1, 16, 6, 6)],
     {"output": (1, 16, 11, 11)},
     "PyTorch docs, torch.nn.ConvTranspose2d example (without output_size): (6-1)·2 - 2 + 2 + 1 = 11"),
    ("unet-up-conv", "ConvTranspose2d(1024, 512, 2, stride=2)", [(1, 1024, 28, 28)], {"output": (1, 512, 56, 56)},
     "Ronneberger et al. 2015 Fig. 1: up-convolution 28×28 → 56×56"),
    ("vgg-same-conv", "Conv2d(64, 64, 3, padding=1)", [(1, 64, 224, 224)], {"output": (1, 64, 224, 224)},
     "Simonyan & Zisserman 2015: 3×3 convolutions with padding 1 keep the resolution"),
    ("padding-same", "Conv2d(3, 8, 4, padding='same')", [(1, 3, 5, 7)], {"output": (1, 8, 5, 7)},
     "PyTorch docs, torch.nn.Conv2d: padding='same' pads the input so the output has the shape of the input"),
    ("maxpool-ceil-mode", "MaxPool2d(2, stride=2, ceil_mode=True)", [(1, 1, 5, 5)], {"output": (1, 1, 3, 3)},
     "PyTorch docs, torch.nn.MaxPool2d: ceil_mode uses ceil; by hand ceil((5-2)/2) + 1 = 3"),
    ("maxpool-return-indices", "MaxPool2d(2, return_indices=True)", [(1, 1, 4, 4)],
     {"output": (1, 1, 2, 2), "indices": (1, 1, 2, 2)}, "PyTorch docs, torch.nn.MaxPool2d return_indices"),
    ("adaptive-none", "AdaptiveAvgPool2d((None, 7))", [(1, 64, 10, 9)], {"output": (1, 64, 10, 7)},
     "PyTorch docs, torch.nn.AdaptiveAvgPool2d example: target output size of 10x7"),
    ("flatten-default", "Flatten()", [(32, 1, 5, 5)], {"output": (32, 25)}, "PyTorch docs, torch.nn.Flatten example"),
    ("flatten-start-0", "Flatten(0, 2)", [(32, 1, 5, 5)], {"output": (160, 5)}, "PyTorch docs, torch.nn.Flatten example"),
]


@pytest.mark.parametrize(
    ("layer", "shapes", "expected", "source"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES]
)
def test_known_shapes(layer: str, shapes: list[Any], expected: dict[str, Any], source: str) -> None:
    assert parse_layer(layer).output_shapes(*shapes) == expected, source


def test_inexact_division_is_reported() -> None:
    """Issue 2: (224 - 11)/4 + 1 = 54.25 floored to 54, reported without failing."""
    spec = parse_layer("Conv2d(3, 96, 11, stride=4)")
    assert spec.output_shape((1, 3, 224, 224)) == (1, 96, 54, 54)
    notes = spec.shape_notes((1, 3, 224, 224))
    assert len(notes) == 2
    assert "(224 + 2*0 - 1*(11-1) - 1)/4 + 1 = 54.25" in notes[0] and "floored to 54" in notes[0]
    assert parse_layer("Conv2d(3, 96, 11, stride=4)").shape_notes((1, 3, 227, 227)) == []


def test_too_small_input_error_shows_the_arithmetic() -> None:
    """Issue 2: Conv2d: output height (5 + 2*0 - 1*(7-1) - 1)//1 + 1 = -1 must be >= 1."""
    from paramcalc import SpecError

    with pytest.raises(SpecError) as info:
        parse_layer("Conv2d(3, 8, 7)").output_shape((1, 3, 5, 5))
    assert "Conv2d: output height (5 + 2*0 - 1*(7-1) - 1)//1 + 1 = -1 must be >= 1" in str(info.value)


def test_batchnorm_buffers() -> None:
    """PyTorch docs, torch.nn.BatchNorm2d(100): weight and bias (100 each) are parameters;
    running_mean, running_var (100 each) and num_batches_tracked (1) are buffers."""
    count = parse_layer("BatchNorm2d(100)").count()
    assert (count.total, count.buffers) == (200, 201)
    assert parse_layer("BatchNorm2d(100, affine=False, track_running_stats=False)").count().as_dict() == {
        "total": 0, "trainable": 0, "non_trainable": 0, "buffers": 0,
    }


def test_batchnorm_without_bias() -> None:
    """torch 2.13, nn.BatchNorm2d(64, bias=False) (bias is keyword-only): parameters() holds only
    weight (64); buffers running_mean, running_var (64 each) and num_batches_tracked (1) = 129."""
    spec = parse_layer("BatchNorm2d(64, bias=False)")
    assert spec.count().as_dict() == {"total": 64, "trainable": 64, "non_trainable": 0, "buffers": 129}
    assert [t.name for t in spec.param_tensors() if t.kind == "trainable"] == ["weight"]
    # torch reads a sixth positional argument as device (and refuses False), never as bias
    with pytest.raises(SpecError, match=r"at most 5 positional arguments .*bias only by name"):
        parse_layer("BatchNorm2d(64, 1e-05, 0.1, True, True, False)")


def test_groupnorm_weights_and_rules() -> None:
    """torch 2.13, nn.GroupNorm(32, 256): weight and bias (256 each), no buffers; bias=False
    (keyword-only) keeps the weight; affine=False has none; num_channels must be divisible by
    num_groups (torch: "num_channels (6) must be divisible by num_groups (4)")."""
    spec = parse_layer("GroupNorm(32, 256)")
    assert spec.count().as_dict() == {"total": 512, "trainable": 512, "non_trainable": 0, "buffers": 0}
    assert [(t.name, t.shape) for t in spec.param_tensors()] == [("weight", (256,)), ("bias", (256,))]
    assert spec.count("textbook").total == 512
    assert parse_layer("GroupNorm(32, 256, bias=False)").count().total == 256
    assert parse_layer("GroupNorm(32, 256, affine=False)").count().total == 0
    assert spec.output_shape((2, 256, 7, 7)) == (2, 256, 7, 7)
    with pytest.raises(SpecError, match="num_channels must be divisible by num_groups"):
        parse_layer("GroupNorm(4, 6)")
    with pytest.raises(SpecError, match="expected input with num_channels=256 channels, got 128"):
        spec.output_shape((2, 128, 7, 7))
