"""Summaries from ``print(model)`` text, without torch: what is printed is counted exactly, what is
not printed is reported. The printouts in tests/data/ come from tests/torch_archs.py under torch
2.13 (test_crosscheck_presets.py checks that they still match)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import require
from paramcalc import ModelError
from paramcalc.cli import app
from paramcalc.readers.torchprint import parse_torch_print, summarize_torch_print

DATA = Path(__file__).parent / "data"
runner = CliRunner()
PLAIN = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": None}


def test_resnet18_printout() -> None:
    s = summarize_torch_print((DATA / "resnet18_print.txt").read_text(encoding="utf-8"))
    # torchvision ResNet18_Weights.IMAGENET1K_V1 num_params; 20 BatchNorm2d: 9,620 buffer values
    assert (s.total, s.totals.buffers) == (11_689_512, 9_620)
    assert s.name == "ResNet"
    assert s.row("layer2.0.downsample.0").count.total == 8_192  # Conv2d(64, 128, 1, stride 2, no bias)
    assert s.row("layer1").count.total == 147_968
    # tests/torch_archs.py's ResNet has blocks of its own class, which might hold parameters of their own
    assert s.incomplete == ("_BasicBlock (layer1.0, layer1.1, layer2.0 and 5 more): not a module paramcalc knows; "
                            "print(model) shows its children, not any parameter it holds itself",)
    assert (s.exact, s.bound) == (False, "lower")
    # torchvision's resnet18 prints the same text with its BasicBlock, which holds no parameter itself
    torchvision = summarize_torch_print((DATA / "resnet18_print.txt").read_text(encoding="utf-8").replace(
        "_BasicBlock", "BasicBlock"))
    assert (torchvision.total, torchvision.exact, torchvision.bound, torchvision.bound_reasons) == (
        11_689_512, True, None, ())


def test_gpt2_printout_folds_repeats_and_notes_the_likely_tie() -> None:
    s = summarize_torch_print((DATA / "gpt2_print.txt").read_text(encoding="utf-8"))
    # printed: wte and lm_head both 50257 × 768; the checkpoint ties them (124,439,808 once)
    assert s.total == 124_439_808 + 50_257 * 768
    blocks = s.row("h.0-11")
    assert (blocks.type, blocks.repeat, blocks.count.total) == ("_GPTBlock", 12, 12 * 7_087_872)
    assert s.row("h.0-11.attn.c_attn").repeat == 12
    assert (s.exact, s.source["if_tied"]) == (False, 124_439_808)
    assert s.bound is None  # _GPTBlock might hold parameters (lower) and lm_head might be wte (upper): neither
    assert any(r.startswith("wte, lm_head have the weight shape (50257, 768)") for r in s.bound_reasons)


def test_vit_printout_says_what_it_cannot_see() -> None:
    s = summarize_torch_print((DATA / "vit_b16_print.txt").read_text(encoding="utf-8"))
    # 86,567,656 (torchvision) less the class token (768) and position embeddings (197 · 768) VisionTransformer holds
    assert s.total == 86_567_656 - 768 - 197 * 768
    # MultiheadAttention's in_proj (3·768·768 + 3·768) is its own parameter: counted, shown as a row
    row = s.row("layers.0.self_attention.in_proj")
    assert row.count.total == 3 * 768 * 768 + 3 * 768 and row.type == "Parameter"
    assert any(r.startswith("VisionTransformer (the model)") for r in s.incomplete) and not s.exact


SMALL = """\
Net(
  (features): Sequential(
    (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    (1): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    (2): ReLU(inplace=True)
    (3): SiLU()
  )
  (rnn): LSTM(16, 32, num_layers=2, batch_first=True)
  (blocks): ModuleList(
    (0-3): 4 x Linear(in_features=32, out_features=32, bias=True)
  )
  (act): Swish()
  (params): ParameterList(
      (0): Parameter containing: [torch.float32 of size 4x8]
      (1): Parameter containing: [torch.float32 of size 8]
  )
  (head): Linear(in_features=32, out_features=10, bias=True)
)
"""


def test_a_small_printout() -> None:
    s = summarize_torch_print(SMALL)
    conv, bn = 3 * 16 * 9 + 16, 32
    lstm = 4 * (32 * 16 + 32 * 32 + 2 * 32) + 4 * (32 * 32 + 32 * 32 + 2 * 32)
    assert s.total == conv + bn + lstm + 4 * (32 * 32 + 32) + 32 + 8 + 32 * 10 + 10
    assert s.totals.buffers == 2 * 16 + 1
    assert s.row("blocks.0-3").repeat == 4 and s.row("params.(parameters)").count.total == 40
    assert s.incomplete == (
        "act (Swish): not a module paramcalc knows; print(model) shows no parameters for it",
        "Net (the model): not a module paramcalc knows; print(model) shows its children, not any parameter it "
        "holds itself",
    )
    assert all(r.output_shape is None for r in s.rows)


def test_batchnorm_printout_with_and_without_bias() -> None:
    # torch 2.13 prints BatchNorm's keyword-only bias: BatchNorm2d(16, bias=False) has weight (16) only;
    # affine=False prints bias=False and has no parameters; each tracks 2·16 + 1 buffer values
    text = (
        "Net(\n"
        "  (a): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
        "  (b): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=False, track_running_stats=True)\n"
        "  (c): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True)\n"
        ")\n"
    )
    s = summarize_torch_print(text)
    assert [s.row(name).count.total for name in "abc"] == [32, 16, 0]
    assert (s.total, s.totals.buffers) == (48, 3 * 33)


def test_a_single_layer_printout() -> None:
    s = summarize_torch_print("Linear(in_features=3, out_features=4, bias=True)")
    assert s.total == 16 and len(s.rows) == 1 and s.incomplete == ()


def test_hugging_face_conv1d_is_a_linear() -> None:
    s = summarize_torch_print("Block(\n  (c_attn): Conv1D(nf=2304, nx=768)\n)")
    assert s.total == 768 * 2304 + 2304


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "torch print: empty; paste what print(model) shows"),
        ("Net(\n  (a): Linear(in_features=3, out_features=4, bias=True)\n", "torch print: 1 module(s) not closed; is "
                                                                            "the text complete?"),
        ("hello world", "torch print: line 1: expected a module such as Linear(...), got 'hello world'"),
        ("Net(\n)\n)", "torch print: line 3: text after the model's closing ')': ')'"),
    ],
)
def test_malformed_printouts(text: str, message: str) -> None:
    with pytest.raises(ModelError) as exc:
        parse_torch_print(text)
    assert str(exc.value) == message


def test_cli(golden) -> None:
    result = runner.invoke(app, ["summary", str(DATA / "resnet18_print.txt"), "--from-torch-print", "--depth", "1"],
                           env=PLAIN)
    assert result.exit_code == 0
    assert "11,689,512" in result.stdout
    golden("summary_torchprint_resnet18.txt", result.stdout)
    piped = runner.invoke(app, ["summary", "-", "--from-torch-print", "--json"], input=SMALL, env=PLAIN)
    assert piped.exit_code == 0 and '"total": ' in piped.stdout


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Linear(in_features=999999999999999999999999999999, out_features=2, bias=True)", 1),
        ("Net(\n  (a): Conv2d(3, 64, kernel_size=(3, 3), groups=2)\n)", 2),
        ("Net(\n  (l): ModuleList(\n    (0-9): " + "9" * 5000 + " x Linear(in_features=2, out_features=2, bias=True)\n  )\n)", 3),
        ("Net(\n  (p): ParameterList(\n      (0): Parameter containing: [torch.float32 of size " + "9" * 5000 + "]\n  )\n)", 3),
        ("Net(\n  (a): PReLU(num_parameters=" + "9" * 5000 + ")\n)", 2),
    ],
)
def test_invalid_built_in_layers_and_huge_numbers_are_errors_naming_the_line(text: str, line: int) -> None:
    with pytest.raises(ModelError) as exc:
        summarize_torch_print(text)
    message = str(exc.value)
    assert message.startswith(f"torch print: line {line}: ") and "\n" not in message and len(message) < 400


def test_arguments_torch_prints_unquoted_are_read() -> None:
    s = summarize_torch_print("Net(\n  (a): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, "
                              "padding_mode=circular)\n)")
    assert s.total == 3 * 8 * 9 + 8 and not any("could not be read" in n for n in s.incomplete)


# torch 2.13 prints nn.MultiheadAttention(8, 2) and nn.MultiheadAttention(8, 2, kdim=4, vdim=4) alike:
# only out_proj is shown. Their counts differ (in_proj 3·8·8 + 24 = 216 vs q/k/v weights 64 + 32 + 32 and
# in_proj_bias 24 = 152), so the total is exact only for kdim = vdim = embed_dim, and the summary says so.
MHA_PRINT = """M(
  (attn): MultiheadAttention(
    (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)
  )
)
"""


def test_multihead_attention_printout_says_what_it_assumes() -> None:
    s = summarize_torch_print(MHA_PRINT)
    assert s.totals.total == 3 * 8 * 8 + 3 * 8 + 8 * 8 + 8  # in_proj (kdim = vdim = 8) + out_proj = 288
    assert any("kdim" in note and "vdim" in note and "exact only when" in note for note in s.bound_reasons)
    assert (s.exact, s.bound) == (False, None)  # kdim and vdim may be larger or smaller than embed_dim


# -- Exact, lower bound or upper bound: checked against the real modules ---------------------------


def _hf_models() -> list[tuple[str, Any]]:
    from test_readers_hf import CONFIGS

    from paramcalc.readers.hf import FAMILIES

    return [(family, cls) for family in CONFIGS for cls in FAMILIES[family][1]]


@pytest.mark.parametrize(("family", "cls"), _hf_models(), ids=[c for _, c in _hf_models()])
def test_a_transformers_printout_is_never_called_exact_when_it_is_not(family: str, cls: str) -> None:
    torch = require("torch")
    transformers = require("transformers")
    from test_readers_hf import CONFIGS

    with torch.device("meta"):
        model = getattr(transformers, cls)(CONFIGS[family]())
    true = sum(p.numel() for p in model.parameters())
    s = summarize_torch_print(str(model))
    if s.exact:
        assert s.total == true
    elif s.bound == "lower":
        assert s.total <= true
    elif s.bound == "upper":
        assert s.total >= true
    assert s.exact == (s.total == true) or not s.exact  # an exact claim is never wrong
    if s.source["if_tied"] is not None and family in ("gpt2", "t5", "whisper", "bert", "roberta", "distilbert"):
        assert s.source["if_tied"] == true  # these tie their output layer to the embedding by default


@pytest.mark.parametrize(("family", "cls", "exact", "bound"), [
    ("llama", "LlamaModel", True, None),
    ("gpt2", "GPT2LMHeadModel", False, "upper"),
    ("t5", "T5ForConditionalGeneration", False, "upper"),  # T5LayerNorm's weight taken from its siblings
    ("vit", "ViTModel", False, "lower"),  # position_embeddings: the number of patches is not printed
    ("mixtral", "MixtralForCausalLM", False, None),  # experts not printed (lower), lm_head like the embedding (upper)
])
def test_what_each_printout_can_claim(family: str, cls: str, exact: bool, bound: str | None) -> None:
    torch = require("torch")
    transformers = require("transformers")
    from test_readers_hf import CONFIGS

    with torch.device("meta"):
        model = getattr(transformers, cls)(CONFIGS[family]())
    s = summarize_torch_print(str(model))
    assert (s.exact, s.bound) == (exact, bound)


def test_parameter_free_modules_are_no_reason_to_doubt() -> None:
    text = ("Net(\n  (a): Linear(in_features=4, out_features=4, bias=True)\n  (sd): StochasticDepth(p=0.1, mode=row)\n"
            "  (p): Permute()\n  (empty): Sequential()\n  (pad): Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), "
            "padding=same, padding_mode=reflect)\n)")
    s = summarize_torch_print(text.replace("Net(", "Sequential(", 1))
    assert (s.total, s.exact, s.bound, s.bound_reasons) == (20 + 4 * 4 * 9 + 4, True, None, ())


CONVNEXT_BLOCK = """\
CNBlock(
  (block): Sequential(
    (0): Conv2d(96, 96, kernel_size=(7, 7), stride=(1, 1), padding=(3, 3), groups=96)
    (1): Permute()
    (2): LayerNorm((96,), eps=1e-06, elementwise_affine=True)
    (3): Linear(in_features=96, out_features=384, bias=True)
    (4): GELU(approximate='none')
    (5): Linear(in_features=384, out_features=96, bias=True)
    (6): Permute()
  )
  (stochastic_depth): StochasticDepth(p=0.0, mode=row)
)"""


def test_convnext_layer_scale_is_counted() -> None:
    # torchvision's CNBlock holds layer_scale (96, 1, 1) itself: 4,800 + 192 + 37,248 + 36,960 + 96 = 79,296
    s = summarize_torch_print(CONVNEXT_BLOCK)
    assert (s.total, s.exact) == (7 * 7 * 96 + 96 + 2 * 96 + 96 * 384 + 384 + 384 * 96 + 96 + 96, True)
    assert s.row("(parameters)").count.total == 96
