"""Cross-check: the plain-PyTorch builders in ``torch_archs`` reproduce the
published parameter counts of famous architectures exactly, and the small ones
run a forward pass with the right output shape.

Big models are built (and even "run") on the meta device, so the whole file
takes a few seconds and no real memory for them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import require  # noqa: E402

torch = require("torch")

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import torch_archs as A  # noqa: E402

pytestmark = pytest.mark.crosscheck

META = "meta"


# --------------------------------------------------------------------------- #
# exact published counts
# --------------------------------------------------------------------------- #
# (id, builder(device) -> module, published count, source)
PUBLISHED = [
    # LeCun et al. 1998 with a fully connected C3; the standard modern LeNet-5 figure
    ("lenet5", lambda dev: A.lenet5(device=dev), 61_706,
     "LeNet-5, modern form (fully connected C3), LeCun et al. 1998"),
    ("alexnet", lambda dev: A.alexnet(device=dev), 61_100_840,
     "torchvision AlexNet_Weights.IMAGENET1K_V1 num_params"),
    ("vgg11", lambda dev: A.vgg11(device=dev), 132_863_336,
     "torchvision VGG11_Weights.IMAGENET1K_V1 num_params (Simonyan & Zisserman 2015: 133M)"),
    ("vgg16", lambda dev: A.vgg16(device=dev), 138_357_544,
     "torchvision VGG16_Weights.IMAGENET1K_V1 num_params (Simonyan & Zisserman 2015: 138M)"),
    ("resnet18", lambda dev: A.resnet18(device=dev), 11_689_512,
     "torchvision ResNet18_Weights.IMAGENET1K_V1 num_params"),
    ("resnet50", lambda dev: A.resnet50(device=dev), 25_557_032,
     "torchvision ResNet50_Weights.IMAGENET1K_V1 num_params"),
    ("vit_b16", lambda dev: A.vit_b16(device=dev), 86_567_656,
     "torchvision ViT_B_16_Weights.IMAGENET1K_V1 num_params (Dosovitskiy et al. 2021: 86M)"),
    ("bert_base", lambda dev: A.bert_base(device=dev), 109_482_240,
     "HF BertModel bert-base-uncased (Devlin et al. 2019: 110M)"),
    ("bert_large", lambda dev: A.bert_large(device=dev), 335_141_888,
     "HF BertModel bert-large-uncased (Devlin et al. 2019: 340M)"),
    ("gpt2_small", lambda dev: A.gpt2("small", device=dev), 124_439_808,
     "HF gpt2 checkpoint (Radford et al. 2019 Table 2: 117M, a known mis-count)"),
    ("gpt2_medium", lambda dev: A.gpt2("medium", device=dev), 354_823_168,
     "HF gpt2-medium checkpoint (paper: 345M)"),
    ("gpt2_large", lambda dev: A.gpt2("large", device=dev), 774_030_080,
     "HF gpt2-large checkpoint (paper: 762M)"),
    ("gpt2_xl", lambda dev: A.gpt2("xl", device=dev), 1_557_611_200,
     "HF gpt2-xl checkpoint (paper: 1542M)"),
    ("llama2_7b", lambda dev: A.llama2_7b(device=dev), 6_738_415_616,
     "HF meta-llama/Llama-2-7b-hf checkpoint (Touvron et al. 2023: 7B)"),
    # not published: torch's own module, 6 x 3,152,384 + 1,024 + 6 x 4,204,032 + 1,024
    ("transformer_base_core", lambda dev: A.transformer_base_core(device=dev), 44_140_544,
     "torch nn.Transformer(512, 8, 6, 6, 2048), computed"),
    # Vaswani et al. 2017 Table 3 says 65M (rounded, vocabulary only "about 37000");
    # exact value for V=37000, tied embeddings/softmax, no softmax bias:
    ("transformer_base", lambda dev: A.transformer_base(device=dev), 63_084_544,
     "Vaswani et al. 2017 Table 3 base '65M'; exact for V=37000, all weights tied"),
]


@pytest.mark.parametrize(
    "builder, expected, source", [p[1:] for p in PUBLISHED], ids=[p[0] for p in PUBLISHED]
)
def test_parameter_count_matches_published(builder, expected, source):
    model = builder(META)
    assert isinstance(model, torch.nn.Module)
    assert A.count_params(model) == expected, source
    # the same count as torch itself reports, straight from .parameters()
    assert sum(p.numel() for p in model.parameters()) == expected


def test_meta_and_cpu_builds_agree():
    for build in (A.lenet5, A.resnet18, A.transformer_base):
        assert A.count_params(build(device=META)) == A.count_params(build(device="cpu"))


def test_big_models_default_to_meta():
    for model in (A.bert_large(), A.llama2_7b(), A.gpt2("large"), A.gpt2("xl"), A.gpt3(12, 768, 12)):
        assert next(model.parameters()).is_meta
    assert not next(A.gpt2("small").parameters()).is_meta


# --------------------------------------------------------------------------- #
# buffers (BatchNorm running stats + num_batches_tracked)
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "builder, n_bn, n_channels",
    [
        # resnet18: 1 stem BN + 8 blocks x 2 + 3 downsample BNs = 20 BN layers, 4,800 channels
        (A.resnet18, 20, 4_800),
        # resnet50: 1 + 16 blocks x 3 + 4 downsample = 53 BN layers, 26,560 channels
        (A.resnet50, 53, 26_560),
    ],
    ids=["resnet18", "resnet50"],
)
def test_batchnorm_buffers(builder, n_bn, n_channels):
    model = builder(device=META)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(bns) == n_bn
    assert sum(bn.num_features for bn in bns) == n_channels
    # running_mean + running_var (C each) + num_batches_tracked (1 element)
    assert A.count_buffers(model) == (3 * n_bn, 2 * n_channels + n_bn)
    # the running statistics are buffers: no parameter carries their names
    stats = ("running_mean", "running_var", "num_batches_tracked")
    assert not [name for name, _ in model.named_parameters() if name.endswith(stats)]
    assert sum(name.endswith(stats) for name, _ in model.named_buffers()) == 3 * n_bn


@pytest.mark.parametrize(
    "builder",
    [A.lenet5, A.alexnet, A.vgg11, A.vit_b16, A.bert_base, A.transformer_base, A.llama2_7b],
)
def test_no_buffers_elsewhere(builder):
    assert A.count_buffers(builder(device=META)) == (0, 0)


# --------------------------------------------------------------------------- #
# tied weights
# --------------------------------------------------------------------------- #
def test_gpt2_lm_head_is_tied():
    model = A.gpt2("small", device=META)
    assert model.lm_head.weight is model.wte.weight
    # untied, the head would add vocab x d_model = 50257 x 768
    n_tensor_elems = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    assert n_tensor_elems - A.count_params(model) == 50257 * 768


def test_transformer_base_tying_and_bias():
    model = A.transformer_base(device=META)
    assert model.generator.weight is model.embedding.weight
    assert model.generator.bias is None
    core = 44_140_544
    assert A.count_params(model) == core + 37_000 * 512
    assert A.count_params(A.transformer_base(output_bias=True, device=META)) == core + 37_000 * 512 + 37_000
    # Vaswani et al. 2017, Table 3: "params x10^6 = 65" for base; ours is within 3%
    assert abs(A.count_params(model) - 65e6) / 65e6 < 0.03


def test_llama_lm_head_is_untied():
    model = A.llama2_7b()
    assert model.lm_head.weight is not model.embed_tokens.weight


# --------------------------------------------------------------------------- #
# GPT-3 (Brown et al. 2020, Table 2.1)
# --------------------------------------------------------------------------- #
def _gpt_formula(n_layers, d, n_ctx=2048, vocab=50257):
    return 12 * n_layers * d * d + 13 * n_layers * d + (vocab + n_ctx) * d + 2 * d


def test_gpt3_table_shape():
    assert [r.n_params_published for r in A.GPT3_TABLE] == [
        "125M", "350M", "760M", "1.3B", "2.7B", "6.7B", "13.0B", "175.0B"
    ]
    # two printed rows are internally inconsistent: XL (24 x 128 = 3072 != 2048)
    # and 13B (40 x 128 = 5120 != 5140); n_heads does not affect the count
    inconsistent = {r.name for r in A.GPT3_TABLE if r.n_heads * r.d_head != r.d_model}
    assert inconsistent == {"GPT-3 XL", "GPT-3 13B"}


@pytest.mark.parametrize("row", A.GPT3_TABLE, ids=[r.name for r in A.GPT3_TABLE])
def test_gpt3_counts_close_to_table(row):
    model = A.gpt3(row.n_layers, row.d_model, row.n_heads)
    n = A.count_params(model)
    assert n == _gpt_formula(row.n_layers, row.d_model)
    # Table 2.1 prints rounded figures; every computed count is within 2% of it
    assert abs(n - row.n_params_approx) / row.n_params_approx < 0.02, (row.name, n)


def test_gpt3_exact_values():
    got = {r.name: A.count_params(A.gpt3(r.n_layers, r.d_model, r.n_heads)) for r in A.GPT3_TABLE}
    assert got == {
        "GPT-3 Small": 125_226_240,
        "GPT-3 Medium": 355_871_744,
        "GPT-3 Large": 760_300_032,
        "GPT-3 XL": 1_315_723_264,
        "GPT-3 2.7B": 2_651_553_280,
        "GPT-3 6.7B": 6_658_404_352,
        "GPT-3 13B": 12_952_938_780,  # with the printed d_model = 5140
        "GPT-3 175B": 174_604_259_328,
    }
    # with d_model = 5120 (40 heads x 128), the usual reading of the 13B row
    assert A.count_params(A.gpt3(40, 5120, 40)) == 12_853_386_240


def test_gpt3_small_equals_gpt2_small_plus_longer_context():
    # same blocks and vocabulary; only the position table grows from 1024 to 2048 rows
    assert A.count_params(A.gpt3(12, 768, 12)) - A.count_params(A.gpt2("small", device=META)) == 1024 * 768


# --------------------------------------------------------------------------- #
# forward passes
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "builder, in_shape, out_shape",
    [
        (A.lenet5, (1, 1, 32, 32), (1, 10)),
        (A.alexnet, (1, 3, 224, 224), (1, 1000)),
        (A.vgg11, (1, 3, 224, 224), (1, 1000)),
        (A.vgg16, (1, 3, 224, 224), (1, 1000)),
        (A.resnet18, (1, 3, 224, 224), (1, 1000)),
        (A.resnet50, (1, 3, 224, 224), (1, 1000)),
        (A.vit_b16, (1, 3, 224, 224), (1, 1000)),
    ],
    ids=["lenet5", "alexnet", "vgg11", "vgg16", "resnet18", "resnet50", "vit_b16"],
)
def test_image_forward(builder, in_shape, out_shape):
    torch.manual_seed(0)
    model = builder(device="cpu").eval()
    with torch.inference_mode():
        y = model(torch.randn(*in_shape))
    assert y.shape == out_shape
    assert torch.isfinite(y).all()


def test_resnet_train_step_updates_batchnorm_buffers():
    model = A.resnet18(device="cpu").train()
    model(torch.randn(2, 3, 64, 64))
    assert int(model.bn1.num_batches_tracked) == 1


def test_transformer_base_forward():
    model = A.transformer_base(device="cpu").eval()
    src = torch.randint(0, 37000, (2, 7))
    tgt = torch.randint(0, 37000, (2, 5))
    with torch.inference_mode():
        y = model(src, tgt)
    assert y.shape == (2, 5, 37000)


def test_bert_base_forward():
    model = A.bert_base(device="cpu").eval()
    with torch.inference_mode():
        seq, pooled = model(torch.randint(0, 30522, (2, 16)))
    assert seq.shape == (2, 16, 768)
    assert pooled.shape == (2, 768)


def test_gpt2_small_forward():
    model = A.gpt2("small").eval()
    with torch.inference_mode():
        y = model(torch.randint(0, 50257, (2, 16)))
    assert y.shape == (2, 16, 50257)


def test_tiny_llama_forward():
    model = A.llama(vocab=100, d=64, n_layers=2, n_heads=4, hidden=172, device="cpu").eval()
    with torch.inference_mode():
        y = model(torch.randint(0, 100, (2, 9)))
    assert y.shape == (2, 9, 100)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize(
    "builder, vocab, d",
    [
        (lambda: A.llama2_7b(), 32000, 4096),
        (lambda: A.gpt2("xl"), 50257, 1600),
        (lambda: A.gpt3(96, 12288, 96), 50257, 12288),
    ],
    ids=["llama2_7b", "gpt2_xl", "gpt3_175b"],
)
def test_big_lm_forward_on_meta(builder, vocab, d):
    model = builder()
    ids = torch.zeros(1, 8, dtype=torch.long, device=META)
    y = model(ids)
    assert y.is_meta
    assert y.shape == (1, 8, vocab)


def test_bert_large_forward_on_meta():
    seq, pooled = A.bert_large()(torch.zeros(1, 8, dtype=torch.long, device=META))
    assert seq.shape == (1, 8, 1024)
    assert pooled.shape == (1, 1024)
