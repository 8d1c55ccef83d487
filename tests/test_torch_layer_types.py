"""The torch.nn layer types beyond Linear, Conv, pooling, norms, recurrent and attention: activations,
dropouts, padding, reshaping. Known values worked out by hand, edge cases decided by real torch 2.13,
the divergences decided on purpose, and small real models counted against torch.

The random configurations of every type are compared with torch in test_crosscheck_torch.py and
with the independent reference in test_formulas_vs_reference.py (strategies in strategies.py).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from conftest import require

import strategies as S
from paramcalc import SpecError, parse_layer, summarize
from paramcalc.specs import registry
from paramcalc.specs.families import find_family
from test_crosscheck_torch import paramcalc_outcome, torch_outcome

torch = require("torch")
nn = torch.nn

pytestmark = pytest.mark.crosscheck


# -- Known values, worked out by hand ------------------------------------------------------------

KNOWN = [
    # (expression, input shape, parameters, output shape), each with its arithmetic
    # PReLU: one slope shared (1), or one per channel: 64.
    ("PReLU()", (8, 64, 32, 32), 1, (8, 64, 32, 32)),
    ("PReLU(64)", (8, 64, 32, 32), 64, (8, 64, 32, 32)),
    # CycleGAN's first padding: 256 + 3 + 3 = 262 on both sides.
    ("ReflectionPad2d(3)", (1, 3, 256, 256), 0, (1, 3, 262, 262)),
    # (left, right, top, bottom) = (1, 1, 2, 0): width 10 + 1 + 1 = 12, height 10 + 2 + 0 = 12.
    ("ZeroPad2d((1, 1, 2, 0))", (1, 3, 10, 10), 0, (1, 3, 12, 12)),
    # A negative padding crops: width 10 + 3 + 3 = 16, height 10 + 1 − 1 = 10.
    ("ReplicationPad2d((3, 3, 1, -1))", (1, 3, 10, 10), 0, (1, 3, 10, 16)),
    # ConstantPad3d pads depth, height and width: 8 + 2, 10 + 2, 10 + 2.
    ("ConstantPad3d(1, 3.5)", (1, 3, 8, 10, 10), 0, (1, 3, 10, 12, 12)),
    # Circular: each side at most n; 5 + 2 + 2 = 9.
    ("CircularPad1d(2)", (1, 3, 5), 0, (1, 3, 9)),
    # 3136 = 64·7·7.
    ("Unflatten(1, (64, 7, 7))", (32, 3136), 0, (32, 64, 7, 7)),
    # -1 is inferred: 3136 / (64·7) = 7.
    ("Unflatten(-1, (64, -1, 7))", (32, 3136), 0, (32, 64, 7, 7)),
    ("LeakyReLU(0.2)", (4, 10), 0, (4, 10)),
    ("LogSoftmax(dim=1)", (4, 10), 0, (4, 10)),
    ("Dropout2d(0.5)", (2, 8, 4, 4), 0, (2, 8, 4, 4)),
    # InstanceNorm learns nothing by default; affine=True: weight and bias of 64 each, 2·64 = 128.
    ("InstanceNorm2d(64)", (8, 64, 32, 32), 0, (8, 64, 32, 32)),
    ("InstanceNorm2d(64, affine=True)", (64, 32, 32), 128, (64, 32, 32)),
    ("InstanceNorm1d(10, affine=True, bias=False)", (4, 10, 50), 10, (4, 10, 50)),
    # LocalResponseNorm learns nothing and keeps the shape (AlexNet: size 5 over 96 channels).
    ("LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)", (8, 96, 55, 55), 0, (8, 96, 55, 55)),
    # Upsample learns nothing: a U-Net decoder's ×2, 28 → 56; ⌊5·1.5⌋ = 7 and ⌊7·1.5⌋ = 10; a size is taken as given.
    ("Upsample(scale_factor=2, mode='bilinear', align_corners=False)", (8, 64, 28, 28), 0, (8, 64, 56, 56)),
    ("Upsample(scale_factor=1.5, mode='nearest')", (2, 3, 5, 7), 0, (2, 3, 7, 10)),
    ("Upsample(size=(4, 6, 8), mode='trilinear')", (1, 2, 3, 3, 3), 0, (1, 2, 4, 6, 8)),
    ("UpsamplingBilinear2d(scale_factor=2)", (1, 3, 16, 16), 0, (1, 3, 32, 32)),
    # EmbeddingBag: V·d = 1,000·64 = 64,000, as Embedding; 32 bags of 20 indices → 32 vectors of 64.
    ("EmbeddingBag(1000, 64, mode='sum')", (32, 20), 64_000, (32, 64)),
]


def test_instance_norm_buffers() -> None:
    # track_running_stats=True: running_mean and running_var (64 each) and num_batches_tracked (1): 129
    spec = parse_layer("InstanceNorm3d(64, track_running_stats=True)")
    assert (spec.count().total, spec.count().buffers) == (0, 129)


@pytest.mark.parametrize(("expression", "shape", "params", "out"), KNOWN, ids=[k[0] for k in KNOWN])
def test_known_values(expression: str, shape: tuple[int, ...], params: int, out: tuple[int, ...]) -> None:
    spec = parse_layer(expression)
    assert spec.count().total == params
    assert spec.output_shape(shape) == out


def test_prelu_tensors_are_torchs() -> None:
    """torch.nn.PReLU(64) holds one parameter, ``weight`` of shape (64,); Keras's PReLU shares its
    alpha over the spatial axes for the same count."""
    spec = parse_layer("PReLU(64)")
    assert [(t.name, t.shape) for t in spec.param_tensors()] == [
        (name, tuple(p.shape)) for name, p in nn.PReLU(64).named_parameters()
    ] == [("weight", (64,))]
    assert spec.count("keras").total == 64


# -- Edge cases torch decides ---------------------------------------------------------------------

EDGE_CASES = [
    ("reflect-padding-equal-to-size", S.Case("ReflectionPad1d", {"padding": 3}, ((1, 2, 3),))),
    ("reflect-padding-below-size", S.Case("ReflectionPad1d", {"padding": 2}, ((1, 2, 3),))),
    ("reflect-crop-to-nothing", S.Case("ReflectionPad1d", {"padding": -1}, ((1, 2, 2),))),
    ("reflect-2d-one-dimension-cropped-to-nothing", S.Case("ReflectionPad2d", {"padding": (0, 0, -1, -1)}, ((1, 2, 2),))),
    ("replicate-3d-every-dimension-cropped-to-nothing", S.Case("ReplicationPad3d", {"padding": -1}, ((1, 2, 2, 2),))),
    ("replicate-empty-channels", S.Case("ReplicationPad1d", {"padding": 1}, ((1, 0, 3),))),
    ("replicate-4d-input-to-1d", S.Case("ReplicationPad1d", {"padding": 1}, ((1, 1, 2, 3),))),
    ("zero-pad-any-rank", S.Case("ZeroPad1d", {"padding": 1}, ((1, 1, 2, 3),))),
    ("zero-pad-fewer-dims-than-padded", S.Case("ZeroPad2d", {"padding": 1}, ((3,),))),
    ("zero-pad-crop-more-than-there-is", S.Case("ZeroPad1d", {"padding": (3, -1)}, ((2, 0),))),
    ("circular-wraps-twice", S.Case("CircularPad1d", {"padding": (3, 0)}, ((1, 2),))),
    ("circular-copy-overlaps", S.Case("CircularPad1d", {"padding": (-2, 2)}, ((1, 3),))),
    ("circular-copy-overlaps-strided", S.Case("CircularPad1d", {"padding": (-2, 2)}, ((2, 3),))),
    ("circular-copy-overlaps-batch-1-channel-1", S.Case("CircularPad1d", {"padding": (2, -1)}, ((1, 1, 2),))),
    ("circular-copy-same-region", S.Case("CircularPad1d", {"padding": (-3, 3)}, ((1, 3),))),
    ("circular-copy-overlaps-empty-batch", S.Case("CircularPad1d", {"padding": (-2, 2)}, ((0, 1, 3),))),
    ("circular-empty-length", S.Case("CircularPad1d", {"padding": (0, 0)}, ((2, 0),))),
    ("unflatten-infer-from-zero", S.Case("Unflatten", {"dim": 1, "unflattened_size": (0, -1)}, ((2, 0),))),
    ("unflatten-zero-size", S.Case("Unflatten", {"dim": 1, "unflattened_size": (0, 3)}, ((2, 0),))),
    ("unflatten-0d", S.Case("Unflatten", {"dim": 0, "unflattened_size": (1,)}, ((),))),
    ("prelu-channels-of-1d-input", S.Case("PReLU", {"num_parameters": 3}, ((3,),))),
    ("prelu-0d-input", S.Case("PReLU", {"num_parameters": 3}, ((),))),
    ("prelu-zero-slopes-empty-channels", S.Case("PReLU", {"num_parameters": 0}, ((2, 0),))),
    ("dropout1d-4d", S.Case("Dropout1d", {}, ((1, 2, 3, 4),))),
    ("dropout2d-3d-input", S.Case("Dropout2d", {}, ((2, 3, 4),))),
    ("dropout3d-1d-input", S.Case("Dropout3d", {}, ((3,),))),
    ("logsoftmax-dim-out-of-range", S.Case("LogSoftmax", {"dim": 2}, ((2, 3),))),
]


@pytest.mark.parametrize("case", [c for _, c in EDGE_CASES], ids=[i for i, _ in EDGE_CASES])
def test_edge_case_agrees_with_torch(case: S.Case) -> None:
    theirs, ours = torch_outcome(case), paramcalc_outcome(case)
    assert theirs[0] == ours[0], f"torch: {theirs[1]!s:.300}\nparamcalc: {ours[1]!s:.300}"
    if ours[0] == "ok":
        assert ours[1] == theirs[1]


# -- Refused only in training mode: paramcalc gives the shape and warns ----------------------------


@pytest.mark.parametrize(
    ("expression", "shape", "message"),
    [
        ("BatchNorm2d(3)", (1, 3, 1, 1), "Expected more than 1 value per channel when training"),
        ("BatchNorm1d(3)", (1, 3), "Expected more than 1 value per channel when training"),
        ("Dropout2d(0.5)", (3,), "Feature dropout requires at least 2 dimensions"),
        ("FeatureAlphaDropout(0.5)", (3,), "Feature dropout requires at least 2 dimensions"),
        ("Dropout3d(0.5)", (), "Feature dropout requires at least 2 dimensions"),
    ],
)
def test_refused_in_training_only_is_a_warning(expression: str, shape: tuple[int, ...], message: str) -> None:
    spec = parse_layer(expression)
    module = getattr(nn, spec.type)(*[v for k, v in spec if k not in ("type", "bias")][:1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((RuntimeError, ValueError), match=message):
            module.train()(torch.zeros(shape))
        assert tuple(module.eval()(torch.zeros(shape)).shape) == shape
    assert spec.output_shape(shape) == shape
    notes = spec.shape_notes(shape)
    assert any("training mode" in note and "eval mode" in note for note in notes), notes


def test_batchnorm_with_more_values_per_channel_has_no_warning() -> None:
    assert parse_layer("BatchNorm2d(3)").shape_notes((2, 3, 1, 1)) == []
    assert parse_layer("BatchNorm1d(3)").shape_notes((1, 3, 2)) == []


# -- Divergences decided on purpose --------------------------------------------------------------


def test_reflect_crop_of_an_empty_batch_is_refused() -> None:
    """torch 2.13 returns a tensor whose size is negative when a reflect or replicate padding crops
    more than a dimension holds on an empty batch (it refuses the same on any other batch);
    paramcalc refuses it always."""
    out = nn.ReflectionPad2d((0, 0, -3, -3))(torch.zeros(0, 1, 1, 1))
    assert tuple(out.shape) == (0, 1, -5, 1)
    with pytest.raises(RuntimeError):
        nn.ReflectionPad2d((0, 0, -3, -3))(torch.zeros(1, 1, 1, 1))
    with pytest.raises(SpecError, match="crop"):
        parse_layer("ReflectionPad2d((0, 0, -3, -3))").output_shape((0, 1, 1, 1))


def test_padding_tuple_of_the_documented_length_only() -> None:
    """torch's ZeroPad2d((1, 1)) pads only the last dimension (F.pad takes any even length);
    paramcalc asks for the documented 4 entries, so a ZeroPad2d always pads 2 dimensions."""
    assert tuple(nn.ZeroPad2d((1, 1))(torch.zeros(1, 3, 4, 4)).shape) == (1, 3, 4, 6)
    with pytest.raises(SpecError, match="tuple of 4 ints"):
        parse_layer("ZeroPad2d((1, 1))")


@pytest.mark.parametrize("expression", ["ZeroPad2d(1.0)", "ReflectionPad1d((1, True))", "Unflatten(1, 6)"])
def test_floats_and_bools_where_ints_belong_are_refused(expression: str) -> None:
    with pytest.raises(SpecError):
        parse_layer(expression)


# -- Every listed layer has a formula --------------------------------------------------------------


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_every_listed_layer_has_a_formula(framework: str) -> None:
    missing = []
    for name in registry.names(framework):
        try:
            fam = find_family(name)
        except SpecError:
            missing.append(name)
            continue
        assert name in fam.layers or name == "Bidirectional", name  # a Bidirectional takes its layer's formula
    assert not missing, f"no formula for {missing}"


@pytest.mark.parametrize("name", [n for n in registry.names("pytorch") if n in S.FAMILIES])
def test_explained_count_starts_with_the_family_formula(name: str) -> None:
    """Every layer with a random strategy: the worked count opens with its family's formula and ends
    on the count."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=3, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(case=S.valid_cases(name))
    def check(case: S.Case) -> None:
        spec = parse_layer(case.layer())
        lines = spec.explain_params()
        assert lines[0].startswith("formula: ")
        assert lines[-1].replace(",", "").endswith(str(spec.count().total))

    check()


# -- Small real models, counted against torch ------------------------------------------------------


def _torch_total(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def test_patchgan_style_discriminator_matches_torch() -> None:
    """A pix2pix-style discriminator: reflection padding, convolutions, LeakyReLU, channel dropout,
    PReLU per channel, a flattened head with LogSoftmax."""
    torch_model = nn.Sequential(
        nn.ReflectionPad2d(1), nn.Conv2d(3, 16, 4, stride=2), nn.LeakyReLU(0.2),
        nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(16, 32, 4, stride=2), nn.PReLU(32), nn.Dropout2d(0.3),
        nn.ReplicationPad2d(1), nn.Conv2d(32, 1, 3), nn.Hardswish(), nn.Flatten(), nn.Linear(64, 10),
        nn.SELU(), nn.AlphaDropout(0.1), nn.Unflatten(1, (2, 5)), nn.LogSoftmax(dim=-1),
    )
    data = {
        "name": "patchgan", "input_shape": [2, 3, 32, 32],
        "layers": [
            "ReflectionPad2d(1)", "Conv2d(3, 16, 4, stride=2)", "LeakyReLU(0.2)",
            "ZeroPad2d((1, 2, 1, 2))", "Conv2d(16, 32, 4, stride=2)", "PReLU(32)", "Dropout2d(0.3)",
            "ReplicationPad2d(1)", "Conv2d(32, 1, 3)", "Hardswish()", "Flatten()", "Linear(64, 10)",
            "SELU()", "AlphaDropout(0.1)", "Unflatten(1, (2, 5))", "LogSoftmax(dim=-1)",
        ],
    }
    summary = summarize(data)
    x = torch.zeros(2, 3, 32, 32)
    assert summary.totals.total == _torch_total(torch_model)
    assert summary.output_shape == tuple(torch_model.eval()(x).shape) == (2, 2, 5)
    # each row's output shape is torch's, layer by layer
    shapes = []
    for layer in torch_model:
        x = layer(x)
        shapes.append(tuple(x.shape))
    assert [r.output_shape for r in summary.rows if r.leaf] == shapes


# -- Cells and pixel shuffles ----------------------------------------------------------------------

CELL_KNOWN = [
    # G·(H·I + H·H) + 2·G·H: RNNCell 1·(20·10 + 20·20) + 2·20 = 640; GRUCell 3·600 + 120 = 1,920;
    # LSTMCell 4·600 + 160 = 2,560; without bias LSTMCell 2,400.
    ("RNNCell(10, 20)", 640),
    ("GRUCell(10, 20)", 1_920),
    ("LSTMCell(10, 20)", 2_560),
    ("LSTMCell(10, 20, bias=False)", 2_400),
]


@pytest.mark.parametrize(("expression", "params"), CELL_KNOWN, ids=[c[0] for c in CELL_KNOWN])
def test_cell_known_values(expression: str, params: int) -> None:
    assert parse_layer(expression).count().total == params


def test_cell_outputs_are_named_as_torchs_documentation_names_them() -> None:
    """LSTMCell returns (h_1, c_1); RNNCell and GRUCell return h'."""
    assert parse_layer("LSTMCell(10, 20)").output_shapes((3, 10)) == {"h_1": (3, 20), "c_1": (3, 20)}
    assert parse_layer("GRUCell(10, 20)").output_shapes((10,)) == {"h'": (20,)}
    h_1, c_1 = nn.LSTMCell(10, 20)(torch.zeros(3, 10))
    assert tuple(h_1.shape) == tuple(c_1.shape) == (3, 20)


def test_cell_is_one_step_of_the_layer() -> None:
    """A cell holds the tensors of a one-layer RNN without the _l0 suffix."""
    for kind in ("RNN", "LSTM", "GRU"):
        cell, layer = parse_layer(f"{kind}Cell(7, 5)"), parse_layer(f"{kind}(7, 5)")
        assert cell.count() == layer.count()
        assert [t.name for t in cell.param_tensors()] == [t.name.removesuffix("_l0") for t in layer.param_tensors()]


def test_pixel_unshuffle_of_an_empty_input_keeps_its_shape() -> None:
    """torch returns an input without values as it is; paramcalc says the same."""
    assert tuple(nn.PixelUnshuffle(2)(torch.zeros(4, 0, 2)).shape) == (4, 0, 2)
    assert parse_layer("PixelUnshuffle(2)").output_shape((4, 0, 2)) == (4, 0, 2)


def test_espcn_matches_torch() -> None:
    """ESPCN (Shi et al. 2016), ×3 super-resolution of one channel: conv 5×5 to 64, conv 3×3 to 32,
    conv 3×3 to 1·3² = 9, PixelShuffle(3). Parameters 1·64·25 + 64 + 64·32·9 + 32 + 32·9·9 + 9
    = 1,664 + 18,464 + 2,601 = 22,729."""
    torch_model = nn.Sequential(
        nn.Conv2d(1, 64, 5, padding=2), nn.Tanh(), nn.Conv2d(64, 32, 3, padding=1), nn.Tanh(),
        nn.Conv2d(32, 9, 3, padding=1), nn.PixelShuffle(3),
    )
    data = {
        "name": "espcn", "input_shape": [1, 1, 17, 17],
        "layers": ["Conv2d(1, 64, 5, padding=2)", "Tanh()", "Conv2d(64, 32, 3, padding=1)", "Tanh()",
                   "Conv2d(32, 9, 3, padding=1)", "PixelShuffle(3)"],
    }
    summary = summarize(data)
    assert summary.totals.total == _torch_total(torch_model) == 22_729
    assert summary.output_shape == tuple(torch_model(torch.zeros(1, 1, 17, 17)).shape) == (1, 1, 51, 51)


# -- Bilinear: a layer on two inputs -------------------------------------------------------------


def test_bilinear_takes_its_two_input_shapes_in_call_order() -> None:
    """nn.Bilinear(20, 30, 40): weight (40, 20, 30) and bias (40,): 40·20·30 + 40 = 24,040. Its
    shapes are given one per argument, in the forward call's order."""
    spec = parse_layer("Bilinear(20, 30, 40)")
    module = nn.Bilinear(20, 30, 40)
    assert spec.count().total == _torch_total(module) == 24_040
    assert [(t.name, t.shape) for t in spec.param_tensors()] == [
        (k, tuple(v.shape)) for k, v in module.state_dict().items()]
    out = module(torch.zeros(128, 20), torch.zeros(128, 30))
    assert spec.output_shape((128, 20), (128, 30)) == tuple(out.shape) == (128, 40)
    with pytest.raises(SpecError, match="in1_features and in2_features"):
        spec.output_shape((128, 30), (128, 20))  # swapped


def test_adaptive_max_pool_returns_indices_like_torch() -> None:
    spec = parse_layer("AdaptiveMaxPool2d((3, None), return_indices=True)")
    out, indices = nn.AdaptiveMaxPool2d((3, None), return_indices=True)(torch.zeros(2, 4, 7, 5))
    assert spec.output_shapes((2, 4, 7, 5)) == {"output": tuple(out.shape), "indices": tuple(indices.shape)}


# -- Upsample and EmbeddingBag ---------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "length"), [(1 / 49, 49), (0.7, 10), (1 / 3, 9), (0.1, 30), (2.5, 3)])
def test_upsample_floors_the_double_product_as_torch_does(scale: float, length: int) -> None:
    """torch multiplies the length by the factor in double precision and truncates: 49·(1/49) is
    0.999…, so 0 (refused), and 10·0.7 = 7.000…1 gives 7."""
    theirs, ours = torch_outcome(S.Case("Upsample", {"scale_factor": scale}, ((1, 1, length),))), \
        paramcalc_outcome(S.Case("Upsample", {"scale_factor": scale}, ((1, 1, length),)))
    assert theirs[0] == ours[0]
    if ours[0] == "ok":
        assert ours[1] == theirs[1] == {"output": (1, 1, int(length * scale))}


def test_upsample_print_lines_read_as_exact() -> None:
    """print(model) shows Upsample with its scale_factor and mode; paramcalc reads the lines back."""
    from paramcalc.readers.torchprint import summarize_torch_print

    model = nn.Sequential(nn.Upsample(scale_factor=2), nn.UpsamplingBilinear2d(size=(3, 4)),
                          nn.UpsamplingNearest2d(scale_factor=2), nn.EmbeddingBag(1000, 64, mode="sum"))
    summary = summarize_torch_print(str(model))
    assert summary.exact
    assert summary.totals.total == sum(p.numel() for p in model.parameters()) == 64_000
    assert [r.type for r in summary.rows if r.leaf] == ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d",
                                                        "EmbeddingBag"]


def test_embedding_bag_offsets_give_the_bags() -> None:
    """A 1-D input with offsets (B,) is B bags, B − 1 with include_last_offset; the offsets are the
    second shape, per_sample_weights (mode sum) the third, as the forward call takes them."""
    bag = nn.EmbeddingBag(10, 4, mode="sum", include_last_offset=True)
    out = bag(torch.tensor([1, 2, 3, 4, 5]), torch.tensor([0, 2, 5]), torch.ones(5))
    assert parse_layer("EmbeddingBag(10, 4, mode='sum', include_last_offset=True)").output_shapes(
        (5,), (3,), (5,)) == {"output": tuple(out.shape)} == {"output": (2, 4)}
    assert [(t.name, t.shape) for t in parse_layer("EmbeddingBag(10, 4)").param_tensors()] == [
        (name, tuple(p.shape)) for name, p in bag.named_parameters()]


def test_embedding_bag_of_an_empty_table_or_empty_vectors_is_refused() -> None:
    """A divergence decided on purpose: torch builds EmbeddingBag(0, d) and EmbeddingBag(V, 0), but
    whether it runs them depends on the offsets' values, not their shapes (an empty table refuses
    any index a bag holds; a sum of empty vectors fails with several non-empty bags), so paramcalc
    refuses both."""
    assert tuple(nn.EmbeddingBag(10, 0, mode="sum")(torch.zeros(7, dtype=torch.long),
                                                    torch.zeros(3, dtype=torch.long)).shape) == (3, 0)
    with pytest.raises(RuntimeError):
        nn.EmbeddingBag(10, 0, mode="sum")(torch.zeros(4, 5, dtype=torch.long))
    for expression in ("EmbeddingBag(0, 3)", "EmbeddingBag(10, 0, mode='sum')"):
        with pytest.raises(SpecError, match="must be >= 1"):
            parse_layer(expression)


def test_embedding_bag_indices_in_no_bag_crash_torch_and_are_refused() -> None:
    """torch 2.13 reads past its bags when a 1-D input's indices are in no bag (no offsets, or only the
    last one): a segmentation fault in mode max. Run in a child process; paramcalc refuses the shapes."""
    import subprocess
    import sys

    code = ("import torch; m = torch.nn.EmbeddingBag(5, 3, mode='max'); "
            "m(torch.zeros(3, dtype=torch.long), torch.zeros(0, dtype=torch.long))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120).returncode != 0
    spec = parse_layer("EmbeddingBag(5, 3, mode='max')")
    with pytest.raises(SpecError, match="indices in no bag"):
        spec.output_shapes((3,), (0,))
    assert spec.output_shapes((0,), (0,)) == {"output": (0, 3)}


def test_text_classifier_with_an_embedding_bag_matches_torch() -> None:
    """PyTorch's text classification tutorial (AG_NEWS): EmbeddingBag(95,811, 64) averages each text's
    tokens, Linear(64, 4) classifies. Parameters 95,811·64 + 64·4 + 4 = 6,131,904 + 260 = 6,132,164."""
    torch_model = nn.Sequential(nn.EmbeddingBag(95_811, 64), nn.Linear(64, 4))
    data = {"name": "text-classification", "input_shape": [8, 30],
            "layers": ["EmbeddingBag(95811, 64)", "Linear(64, 4)"]}
    summary = summarize(data)
    assert summary.totals.total == _torch_total(torch_model) == 6_132_164
    assert summary.output_shape == tuple(torch_model(torch.zeros(8, 30, dtype=torch.long)).shape) == (8, 4)


def test_upsampling_decoder_matches_torch() -> None:
    """A decoder that upsamples twice (bilinear, then the nearest alias), 7 → 14 → 28, with convolutions
    between: 16·8·9 + 8 + 8·4·9 + 4 + 4·1 + 1 = 1,160 + 292 + 5 = 1,457 parameters."""
    torch_model = nn.Sequential(
        nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        nn.Conv2d(8, 4, 3, padding=1), nn.UpsamplingNearest2d(scale_factor=2), nn.Conv2d(4, 1, 1),
    )
    data = {"name": "decoder", "input_shape": [1, 16, 7, 7], "layers": [
        "Conv2d(16, 8, 3, padding=1)", "ReLU()", "Upsample(scale_factor=2, mode='bilinear', align_corners=False)",
        "Conv2d(8, 4, 3, padding=1)", "UpsamplingNearest2d(scale_factor=2)", "Conv2d(4, 1, 1)"]}
    summary = summarize(data)
    assert summary.totals.total == _torch_total(torch_model) == 1_457
    x, shapes = torch.zeros(1, 16, 7, 7), []
    for layer in torch_model:
        x = layer(x)
        shapes.append(tuple(x.shape))
    assert [r.output_shape for r in summary.rows if r.leaf] == shapes
