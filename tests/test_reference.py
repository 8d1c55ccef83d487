"""The reference on its own: it reads a spec as data (a type tag and attributes), so plain stand-ins
drive it; GroupNorm's tensors and shapes against real torch; sizes a block derives, derived again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from conftest import require
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from paramcalc import SpecError, parse_layer, reference
from paramcalc.reference.blocks import llama_hidden

Shape = tuple[int, ...]


def group_norm(num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, **more: Any) -> Any:
    """A stand-in for the GroupNorm spec: its tag and torch's arguments, nothing else."""
    return SimpleNamespace(type="GroupNorm", num_groups=num_groups, num_channels=num_channels, eps=eps,
                           affine=affine, **more)


def listed(spec: Any) -> list[tuple[str, Shape, str]]:
    return [(t.name, t.shape, t.kind) for t in reference.param_tensors(spec)]


# -- GroupNorm -------------------------------------------------------------------------------


def test_group_norm_tensors() -> None:
    # torch.nn.GroupNorm(4, 8).state_dict(): weight (8,), bias (8,); no running statistics.
    assert listed(group_norm(4, 8)) == [("weight", (8,), "trainable"), ("bias", (8,), "trainable")]
    assert reference.count(group_norm(32, 256)).total == 512  # ResNet-style GroupNorm(32, 256)
    assert listed(group_norm(4, 8, affine=False)) == []
    assert listed(group_norm(4, 8, bias=False)) == [("weight", (8,), "trainable")]  # torch's keyword-only bias


@pytest.mark.parametrize(("num_groups", "num_channels", "rule"), [
    (3, 8, "num_groups must be positive and divide num_channels"), (0, 8, "num_groups must be >= 1"),
    (-2, 8, "num_groups must be >= 1"),
])
def test_group_norm_needs_groups_dividing_the_channels(num_groups: int, num_channels: int, rule: str) -> None:
    with pytest.raises(SpecError, match=f"GroupNorm: {rule}"):
        reference.param_tensors(group_norm(num_groups, num_channels))


@pytest.mark.parametrize("shape", [(2, 8), (2, 8, 5), (0, 8, 3), (2, 8, 0), (1, 8, 2, 3, 4, 5)])
def test_group_norm_keeps_the_shape(shape: Shape) -> None:
    assert reference.output_shapes(group_norm(2, 8), shape) == {"output": shape}


@pytest.mark.parametrize(
    ("spec", "shape", "message"),
    [
        (group_norm(2, 8), (8,), r"at least 2 dimensions \(N, C, \*\). Received: input_shape=\(8,\)"),
        (group_norm(2, 8), (), "at least 2 dimensions"),
        (group_norm(2, 8), (2, 6, 3), "channels must equal num_channels. Received: channels=6, num_channels=8"),
        (group_norm(2, 8, affine=False), (2, 3, 3), "divisible by num_groups. Received: channels=3, num_groups=2"),
        (group_norm(2, 8), (2, 3, 3), "divisible by num_groups"),
        (group_norm(1, 1), (1, 1), r"more than one value over the batch. Received: input_shape=\(1, 1\), num_groups=1"),
        (group_norm(2, 4, affine=False), (1, 2, 1), "more than one value over the batch"),
    ],
)
def test_group_norm_refuses(spec: Any, shape: Shape, message: str) -> None:
    with pytest.raises(SpecError, match=f"GroupNorm: .*{message}"):
        reference.output_shapes(spec, shape)


def test_group_norm_without_weights_takes_other_channel_counts() -> None:
    # torch checks the channel count against num_channels through the weight's size only.
    assert reference.output_shapes(group_norm(2, 8, affine=False), (2, 6, 3)) == {"output": (2, 6, 3)}


@st.composite
def group_norm_cases(draw: Any) -> tuple[dict[str, Any], Shape]:
    """GroupNorm arguments torch builds, and an input that sometimes does not fit them."""
    groups = draw(st.integers(1, 4))
    kwargs = {
        "num_groups": groups,
        "num_channels": groups * draw(st.integers(0, 4)),
        "eps": draw(st.sampled_from([1e-5, 1e-3, 0.1])),
        "affine": draw(st.booleans()),
        "bias": draw(st.booleans()),
    }
    rank = draw(st.integers(0, 5))
    shape = list(draw(st.lists(st.integers(0, 3), min_size=rank, max_size=rank)))
    if rank >= 2 and draw(st.integers(0, 3)):  # mostly the channels it was built for
        shape[1] = kwargs["num_channels"]
    return kwargs, tuple(shape)


crosscheck_settings = settings(
    max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.crosscheck
@crosscheck_settings
@given(group_norm_cases())
@example(({"num_groups": 32, "num_channels": 256, "eps": 1e-5, "affine": True, "bias": True}, (2, 256, 4, 4)))
@example(({"num_groups": 2, "num_channels": 8, "eps": 1e-5, "affine": False, "bias": True}, (2, 6, 3)))
@example(({"num_groups": 1, "num_channels": 1, "eps": 1e-5, "affine": True, "bias": True}, (2, 1)))
@example(({"num_groups": 2, "num_channels": 4, "eps": 1e-5, "affine": False, "bias": True}, (1, 3)))
def test_group_norm_matches_torch(case: tuple[dict[str, Any], Shape]) -> None:
    """The reference lists torch's state_dict (names, shapes, all parameters) and refuses exactly
    the inputs torch's forward refuses, giving the output's shape otherwise."""
    torch = require("torch")
    kwargs, shape = case
    module = torch.nn.GroupNorm(**kwargs)
    spec = group_norm(**kwargs)
    state = [(name, tuple(t.shape)) for name, t in module.state_dict().items()]
    kinds = {name: "trainable" for name, _ in module.named_parameters()}
    assert [(name, s, kinds.get(name, "buffer")) for name, s in state] == listed(spec)
    try:
        with torch.no_grad():
            theirs: Any = tuple(module(torch.zeros(shape)).shape)
    except (RuntimeError, ValueError):
        theirs = "refused"
    try:
        ours: Any = reference.output_shapes(spec, shape)["output"]
    except SpecError:
        ours = "refused"
    assert ours == theirs


# -- Sizes a block derives -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d_model", "multiple_of", "multiplier", "hidden"),
    [
        pytest.param(4096, 256, None, 11_008, id="llama-7b"),  # LLaMA-7B params.json; HF intermediate_size
        pytest.param(5120, 256, None, 13_824, id="llama-13b"),
        pytest.param(8192, 4096, 1.3, 28_672, id="llama2-70b"),  # Llama-2-70b: multiple_of 4096, ffn_dim_multiplier 1.3
        pytest.param(4096, 1024, 1.3, 14_336, id="llama3-8b"),  # Llama-3-8B: multiple_of 1024, ffn_dim_multiplier 1.3
    ],
)
def test_llama_hidden_size_as_meta_computes_it(d_model: int, multiple_of: int, multiplier: float | None,
                                               hidden: int) -> None:
    assert llama_hidden(d_model, multiple_of, multiplier) == hidden


def test_decoder_block_sizes_come_from_the_given_arguments() -> None:
    """A LLaMA block's SwiGLU size and biases are derived from d_model and style again, never read
    back from what the spec filled in."""
    llama = SimpleNamespace(type="DecoderBlock", d_model=4096, nhead=32, num_kv_heads=None, style="llama",
                            dim_feedforward=None, bias=None)
    mlp = {t.name: t.shape for t in reference.param_tensors(llama) if t.name.startswith("mlp.")}
    assert mlp == {"mlp.gate_proj.weight": (11_008, 4096), "mlp.up_proj.weight": (11_008, 4096),
                   "mlp.down_proj.weight": (4096, 11_008)}
    gpt2 = SimpleNamespace(type="DecoderBlock", d_model=768, nhead=12, num_kv_heads=None, style="gpt2",
                           dim_feedforward=None, bias=None)
    assert reference.count(gpt2).total == 7_087_872  # 12·768² + 13·768

    spec = parse_layer("DecoderBlock(4096, 32, style='llama')")
    # The same spec with other values in the fields it derived: the reference derives them again.
    tampered = type(spec).model_construct(
        _fields_set={"d_model", "nhead", "style"},
        **{**dict(spec), "dim_feedforward": 1, "bias": True},
    )
    assert reference.param_tensors(tampered) == reference.param_tensors(spec)
    assert reference.count(spec).total == 202_383_360
    given = parse_layer("DecoderBlock(4096, 32, style='llama', dim_feedforward=512)")
    shapes = {t.name: t.shape for t in reference.param_tensors(given)}
    assert shapes["mlp.down_proj.weight"] == (4096, 512)


# -- Reading data ----------------------------------------------------------------------------


def test_nested_specs_are_read_as_data() -> None:
    layer = SimpleNamespace(type="TransformerEncoderLayer", d_model=4, nhead=2, dim_feedforward=8, bias=True,
                            batch_first=False)
    norm = SimpleNamespace(type="LayerNorm", normalized_shape=None, elementwise_affine=True, bias=True)
    stack = SimpleNamespace(type="TransformerEncoder", encoder_layer=layer, num_layers=2, norm=norm)
    real = parse_layer("TransformerEncoder(TransformerEncoderLayer(4, 2, dim_feedforward=8), 2, norm=LayerNorm(4))")
    assert reference.param_tensors(stack) == reference.param_tensors(real)
    assert reference.output_shapes(stack, (3, 5, 4)) == real.output_shapes((3, 5, 4))


@pytest.mark.parametrize("tag", ["Unknown", "keras.Dense"])
def test_an_unknown_tag_is_refused(tag: str) -> None:
    with pytest.raises(SpecError, match=f"^{tag}: the reference"):
        reference.param_tensors(SimpleNamespace(type=tag))
    with pytest.raises(SpecError, match=f"^{tag}: the reference"):
        reference.output_shapes(SimpleNamespace(type=tag), (1, 2))


@pytest.mark.parametrize("layer", [None, 3, "Linear(3, 4)", SimpleNamespace(in_features=3)])
def test_what_is_not_a_layer_is_refused(layer: Any) -> None:
    with pytest.raises(SpecError, match="the reference reads a layer as a mapping or an object with a type"):
        reference.count(layer)


def test_a_nested_layer_of_another_type_is_refused() -> None:
    stack = {"type": "TransformerEncoder", "num_layers": 1, "encoder_layer": {"type": "Linear", "in_features": 2}}
    with pytest.raises(SpecError, match=r"TransformerEncoder.encoder_layer: must be a TransformerEncoderLayer"):
        reference.count(stack)
