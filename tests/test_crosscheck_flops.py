"""Cross-check: paramcalc's MACs against torch.utils.flop_counter.FlopCounterMode.

What torch's counter counts: the FLOPs of matrix products (mm, addmm, bmm), convolutions and
scaled-dot-product attention, each as 2 × MACs. It counts no bias add (addmm's bias is free),
no normalisation, activation, softmax or pooling. So the number to compare is 2 × paramcalc's
MACs, never paramcalc's FLOPs, and the differences it shows are these:

- BatchNorm, LayerNorm, pooling, activations, softmax, embeddings: torch counts 0.
- LSTM without a projection runs a fused oneDNN kernel on CPU, which torch's counter does not see:
  with oneDNN turned off (or with proj_size) it runs the generic path and agrees with paramcalc.
- TransformerEncoderLayer in eval mode runs torch's fused fast path: torch counts the linear
  layers but not the attention products; in training mode (or with the fast path off) it agrees.
- MultiheadAttention with need_weights=False on CPU tensors dispatches to a flash-attention kernel
  torch's counter has no formula for: torch leaves out QKᵀ and attention·V.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require

torch = require("torch")

from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from paramcalc import parse_layer  # noqa: E402
from paramcalc.analysis.compute import layer_compute, total  # noqa: E402
from paramcalc.formulas import compute as fc  # noqa: E402

pytestmark = pytest.mark.crosscheck

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


def torch_flops(module, *inputs, train: bool = False) -> int:
    module.train(train)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(*inputs)
    return counter.get_total_flops()


def paramcalc_macs(expr: str, *shapes) -> int:
    return layer_compute(parse_layer(f"nn.{expr}"), *shapes).macs


def build(expr: str) -> nn.Module:
    """The torch module for a constructor expression (literals only, as paramcalc reads it)."""
    return eval(f"nn.{expr}", {"nn": nn})  # test-only: our own literal expressions


AGREE = [
    ("Linear(100, 128)", [(32, 50, 100)]),
    ("Linear(100, 128, bias=False)", [(7, 100)]),
    ("Linear(5, 3)", [(5,)]),
    ("Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2)", [(2, 4, 21)]),
    ("Conv1d(4, 8, 5, padding='same')", [(4, 30)]),
    ("Conv2d(3, 64, 11, stride=4, padding=2)", [(1, 3, 64, 64)]),
    ("Conv2d(8, 16, 3, stride=2, groups=2, dilation=2)", [(2, 8, 20, 20)]),
    ("Conv2d(32, 32, 3, padding=1, groups=32, bias=False)", [(1, 32, 16, 16)]),
    ("Conv3d(4, 6, (3, 2, 2), stride=(1, 2, 1), padding=1, dilation=(2, 1, 1))", [(2, 4, 6, 6, 6)]),
    ("ConvTranspose1d(6, 4, 3, stride=3, groups=2)", [(1, 6, 5)]),
    ("ConvTranspose2d(16, 8, 4, stride=2, padding=1)", [(1, 16, 8, 8)]),
    ("ConvTranspose2d(8, 16, 3, stride=2, groups=2, padding=1, output_padding=1, dilation=1)", [(2, 8, 10, 10)]),
    ("ConvTranspose3d(4, 2, 3, stride=2, padding=1, dilation=2)", [(1, 4, 3, 4, 5)]),
    ("RNN(10, 20)", [(7, 3, 10)]),
    ("RNN(10, 20, num_layers=2, bidirectional=True, nonlinearity='relu', bias=False)", [(7, 3, 10)]),
    ("GRU(10, 20)", [(7, 3, 10)]),
    ("GRU(10, 20, num_layers=2, bidirectional=True, batch_first=True)", [(3, 7, 10)]),
    ("LSTM(10, 20, proj_size=5)", [(7, 3, 10)]),
    ("LSTM(10, 20, num_layers=2, proj_size=5, bidirectional=True)", [(7, 3, 10)]),
    ("MultiheadAttention(64, 4)", [(10, 2, 64)] * 3),
    ("MultiheadAttention(64, 4, batch_first=True, bias=False)", [(2, 10, 64), (2, 6, 64), (2, 6, 64)]),
    ("MultiheadAttention(64, 4, kdim=32, vdim=16, add_bias_kv=True, add_zero_attn=True)",
     [(10, 2, 64), (6, 2, 32), (6, 2, 16)]),
]


@pytest.mark.parametrize("expr, shapes", AGREE, ids=[a[0] for a in AGREE])
def test_torch_counts_two_flops_per_paramcalc_mac(expr, shapes):
    module = build(expr)
    inputs = [torch.randn(*s) for s in shapes]
    with warnings.catch_warnings():
        # torch warns (once) that LSTM projections fall back from oneDNN to the generic path
        warnings.filterwarnings("ignore", message="LSTM with projections", category=UserWarning)
        assert torch_flops(module, *inputs) == 2 * paramcalc_macs(expr, *shapes)


TRANSFORMERS = [
    ("TransformerEncoderLayer(64, 4, 256)", [(10, 2, 64)]),
    ("TransformerEncoderLayer(64, 4, 256, activation='gelu', batch_first=True, norm_first=True)", [(2, 10, 64)]),
    ("TransformerDecoderLayer(64, 4, 256)", [(10, 2, 64), (6, 2, 64)]),
    ("TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64), 3, enable_nested_tensor=False)", [(5, 2, 32)]),
]


@pytest.mark.parametrize("expr, shapes", TRANSFORMERS, ids=[t[0] for t in TRANSFORMERS])
def test_transformer_layers_in_training_mode_agree(expr, shapes):
    # training mode takes torch's generic path, where every product is a counted op
    module = build(expr)
    inputs = [torch.randn(*s) for s in shapes]
    assert torch_flops(module, *inputs, train=True) == 2 * paramcalc_macs(expr.replace("nn.", ""), *shapes)


def test_encoder_fast_path_leaves_out_the_attention_products():
    # eval mode runs torch._transformer_encoder_layer_fwd: only the linear layers are counted
    expr, shape = "TransformerEncoderLayer(64, 4, 256)", (10, 2, 64)
    c = layer_compute(parse_layer(f"nn.{expr}"), shape)
    products = sum(op.count for op in c.ops if "QKᵀ" in op.name or "·V" in op.name)
    assert products == 2 * 2 * 10 * 10 * 64
    assert torch_flops(build(expr), torch.randn(*shape), train=False) == 2 * (c.macs - products)


@pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN")
def test_lstm_without_projection_matches_torch_off_the_fused_kernel():
    # Without proj_size, CPU LSTMs run one fused oneDNN op that FlopCounterMode has no formula for;
    # with oneDNN turned off torch takes the generic path, whose matrix products it counts.
    expr, shape = "LSTM(10, 20, num_layers=2, bidirectional=True)", (7, 3, 10)
    macs = paramcalc_macs(expr, shape)
    assert macs == 2 * 7 * 3 * (4 * 20 * (10 + 20) + 4 * 20 * (40 + 20))
    with torch.backends.mkldnn.flags(enabled=False):
        assert torch_flops(build(expr), torch.randn(*shape)) == 2 * macs


@pytest.mark.parametrize(
    "expr, shape",
    [
        ("BatchNorm2d(8)", (2, 8, 5, 5)),
        ("LayerNorm(8)", (2, 8)),
        ("MaxPool2d(2)", (2, 8, 4, 4)),
        ("AdaptiveAvgPool2d(1)", (2, 8, 4, 4)),
        ("ReLU()", (2, 8)),
        ("Softmax(dim=-1)", (2, 8)),
    ],
)
def test_torch_counts_nothing_for_non_mac_layers(expr, shape):
    assert torch_flops(build(expr), torch.randn(*shape)) == 0
    c = layer_compute(parse_layer(f"nn.{expr}"), shape)
    assert c.macs == 0 and c.flops > 0  # paramcalc lists them as non-MAC FLOPs


@st.composite
def conv_cases(draw):
    nd = draw(st.integers(1, 3))
    transposed = draw(st.booleans())
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    p = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    if transposed:
        op = tuple(draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d))
        size = tuple(draw(st.integers(1, 5)) for _ in range(nd))
        # the output must be at least 1 long
        size = tuple(
            max(n, (2 * pp - dd * (kk - 1) - o) // ss + 2)
            for n, pp, dd, kk, o, ss in zip(size, p, d, k, op, s)
        )
        expr = (f"ConvTranspose{nd}d({c_in}, {c_out}, {k}, stride={s}, padding={p}, output_padding={op}, "
                f"groups={groups}, dilation={d})")
    else:
        size = tuple(draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 7)) for kk, dd, pp in zip(k, d, p))
        expr = f"Conv{nd}d({c_in}, {c_out}, {k}, stride={s}, padding={p}, dilation={d}, groups={groups})"
    return expr, (draw(st.integers(1, 2)), c_in, *size)


@settings(max_examples=60)
@given(case=conv_cases())
def test_any_convolution_agrees(case):
    expr, shape = case
    assert torch_flops(build(expr), torch.randn(*shape)) == 2 * paramcalc_macs(expr, shape)


@given(n=st.integers(1, 20), o=st.integers(1, 20))
def test_adaptive_window_lengths_match_torch(n, o):
    # torch's window i of adaptive pooling: the inputs with a non-zero weight in output i's
    # average, read off the Jacobian of adaptive_avg_pool1d
    jac = torch.autograd.functional.jacobian(
        lambda x: nn.functional.adaptive_avg_pool1d(x.view(1, 1, n), o).view(o), torch.ones(n)
    )
    assert int((jac != 0).sum()) == fc.adaptive_window_sum(in_size=n, out_size=o)


def test_vit_b16_agrees_with_torch_on_the_meta_device():
    # tests/torch_archs.py: torchvision's ViT-B/16 layout, its attention with need_weights=False
    import torch_archs as A

    model = A.vit_b16(device="meta").eval()
    torch_total = torch_flops(model, torch.empty(1, 3, 224, 224, device="meta"))
    layer = "TransformerEncoderLayer(768, 12, 3072, activation='gelu', batch_first=True, norm_first=True)"
    ours = total([
        layer_compute(parse_layer("nn.Conv2d(3, 768, 16, stride=16)"), (1, 3, 224, 224)),
        layer_compute(parse_layer(f"nn.TransformerEncoder({layer}, 12, norm=LayerNorm(768))"), (1, 197, 768)),
        layer_compute(parse_layer("nn.Linear(768, 1000)"), (1, 768)),
    ])
    assert torch_total == 2 * ours.macs == 2 * 17_563_828_224


def test_llama_layer_agrees_on_one_token_batch():
    # a small LLaMA (RMSNorm, RoPE, causal SDPA, SwiGLU) on the meta device: torch counts the
    # projections and the two attention products; paramcalc's DecoderBlock(style='llama') the same
    import torch_archs as A

    d, heads, hidden, layers, vocab, tokens = 256, 4, 688, 2, 1000, 16
    model = A.llama(vocab, d, layers, heads, hidden, device="meta")
    torch_total = torch_flops(model, torch.zeros(2, tokens, dtype=torch.long, device="meta"))
    block = layer_compute(
        parse_layer(f"DecoderBlock({d}, {heads}, {hidden}, style='llama')"), (2, tokens, d)
    )
    head = layer_compute(parse_layer(f"nn.Linear({d}, {vocab}, bias=False)"), (2, tokens, d))
    assert torch_total == 2 * (layers * block.macs + head.macs)


# -- presets against the same architectures built in torch --------------------------------------

#: Every CNN, ViT, BERT, GPT-2 and LLaMA preset (the README says so): preset → (module, builder,
#: arguments), the builders written in the suite from the published definitions.
PRESET_BUILDERS = {
    "lenet5": ("torch_archs", "lenet5", ()), "alexnet": ("torch_archs", "alexnet", ()),
    "vgg11": ("torch_archs", "vgg11", ()), "vgg16": ("torch_archs", "vgg16", ()),
    "resnet18": ("torch_archs", "resnet18", ()), "resnet50": ("torch_archs", "resnet50", ()),
    "densenet121": ("test_crosscheck_zoo", "densenet121", ()), "googlenet": ("test_crosscheck_zoo", "googlenet", ()),
    "mobilenet-v3-large": ("test_crosscheck_zoo", "mobilenet_v3_large", ()),
    "vit-b16": ("torch_archs", "vit_b16", ()), "bert-base": ("torch_archs", "bert_base", ()),
    "bert-large": ("torch_archs", "bert_large", ()), "gpt2": ("torch_archs", "gpt2", ("small",)),
    "gpt2-medium": ("torch_archs", "gpt2", ("medium",)), "gpt2-large": ("torch_archs", "gpt2", ("large",)),
    "gpt2-xl": ("torch_archs", "gpt2", ("xl",)), "llama2-7b": ("torch_archs", "llama2_7b", ()),
}


@pytest.mark.parametrize("preset", list(PRESET_BUILDERS))
def test_preset_macs_equal_torch_on_the_meta_device(preset):
    # the whole architecture in torch, on the meta device: no memory, no arithmetic, but every op
    # dispatched, so FlopCounterMode sees each product
    from importlib import import_module

    from paramcalc.analysis.compute import model_compute
    from paramcalc.models.evaluate import evaluate
    from paramcalc.models.presets import load_preset

    summary = evaluate(load_preset(preset))
    module_name, builder, args = PRESET_BUILDERS[preset]
    build = getattr(import_module(module_name), builder)
    with torch.device("meta"):  # (torch_archs' builders take the device themselves)
        model = build(*args, device="meta") if module_name == "torch_archs" else build(*args)
    inputs = [
        torch.zeros(*s, dtype=torch.long, device="meta") if len(s) == 2 else torch.empty(*s, device="meta")
        for s in summary.input_shapes.values()
    ]
    assert torch_flops(model, *inputs) == 2 * model_compute(summary).macs


def test_transformer_base_with_different_source_and_target_lengths():
    # cross-attention over a 24-token source from a 40-token target: the decoder's memory shape
    # matters. Training mode, so torch runs its generic path (every product counted).
    import torch_archs as A

    from paramcalc.analysis.compute import model_compute
    from paramcalc.models.evaluate import evaluate
    from paramcalc.models.presets import load_preset

    summary = evaluate(load_preset("transformer-base"), input_shape={"src": (1, 24), "tgt": (1, 40)})
    model = A.transformer_base(device="cpu")
    src, tgt = torch.zeros(1, 24, dtype=torch.long), torch.zeros(1, 40, dtype=torch.long)
    assert torch_flops(model, src, tgt, train=True) == 2 * model_compute(summary).macs
