"""Cross-check against real PyTorch: counts, state_dict tensors, output shapes and rejections.

For sampled configurations of every layer family (tests/strategies.py), the real torch.nn module
is built and run on CPU, and compared with paramcalc:

- parameters (``sum(p.numel() for p in m.parameters())``) and buffers;
- the state_dict: names, shapes and kind (parameter or buffer), in order, against ``param_tensors()``;
- the shapes of every output of a forward pass (``h_n``/``c_n``, attention weights, pooling
  indices included) against ``output_shapes()``;
- rejections: torch raises (when the module is built or run) exactly when paramcalc raises
  ``SpecError`` (when the spec is built or in ``output_shapes``).

Large configurations run on the meta device. Examples are derandomized: the same cases every run.
"""

from __future__ import annotations

import inspect
import os
import warnings
from typing import Any

import pytest
from conftest import require
from hypothesis import HealthCheck, given, settings

import strategies as S
from paramcalc import SpecError, parse_layer
from paramcalc.specs import TORCH_LAYERS

torch = require("torch")
nn = torch.nn

pytestmark = pytest.mark.crosscheck

#: Examples per family and test; PARAMCALC_CROSSCHECK_EXAMPLES raises it for a longer search.
EXAMPLES = int(os.environ.get("PARAMCALC_CROSSCHECK_EXAMPLES", "15"))
#: Every layer type with a strategy that torch.nn has (the other building blocks are Hugging Face's
#: or torchvision's: tests/test_crosscheck_blocks.py and tests/test_crosscheck_transformers.py).
FAMILIES = sorted(f for f in S.FAMILIES if hasattr(nn, f))

crosscheck_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="PARAMCALC_CROSSCHECK_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)


# -- Running torch ---------------------------------------------------------------------------


def build_module(case: S.Case) -> Any:
    """The torch.nn module for a case, built with the same arguments."""
    kwargs = dict(case.kwargs)
    if case.type in ("TransformerEncoder", "TransformerDecoder"):
        kind = case.type.removeprefix("Transformer").lower()
        layer = {k: v for k, v in kwargs.pop(f"{kind}_layer").items() if k != "type"}
        norm = kwargs.pop("norm", None)
        if norm is not None:
            d_model = layer["d_model"]
            norm = nn.LayerNorm(**{"normalized_shape": d_model, **{k: v for k, v in norm.items() if k != "type"}})
        stack, make_layer = getattr(nn, case.type), getattr(nn, f"{case.type}Layer")
        return stack(make_layer(**layer), norm=norm, **kwargs)
    return getattr(nn, case.type)(**kwargs)


def forward_shapes(module: Any, case: S.Case, device: str = "cpu") -> dict[str, tuple[int, ...]]:
    """Run the module and name its outputs' shapes as paramcalc does.

    Transposed convolutions run with oneDNN off: torch's oneDNN path for them skips checks its
    own kernel makes (it runs dilation 0 and returns outputs of length 0 for batched inputs, while
    the same module refuses them unbatched); paramcalc follows the checking kernel.
    """
    dtype = torch.long if case.type in ("Embedding", "EmbeddingBag") else torch.float32
    inputs = [torch.zeros(s, dtype=dtype, device=device) for s in case.shapes]
    if case.type == "EmbeddingBag" and len(inputs) > 2:  # indices, offsets, then per_sample_weights
        inputs[2] = inputs[2].float()
    onednn = not case.type.startswith("ConvTranspose")
    with torch.no_grad(), torch.backends.mkldnn.flags(enabled=onednn):
        out = module(*inputs)
    size = lambda t: tuple(t.shape)  # noqa: E731
    if case.type in ("RNN", "GRU"):
        return {"output": size(out[0]), "h_n": size(out[1])}
    if case.type == "LSTM":
        return {"output": size(out[0]), "h_n": size(out[1][0]), "c_n": size(out[1][1])}
    if case.type == "LSTMCell":  # named as torch's documentation names them
        return {"h_1": size(out[0]), "c_1": size(out[1])}
    if case.type in ("RNNCell", "GRUCell"):
        return {"h'": size(out)}
    if case.type == "MultiheadAttention":
        return {"attn_output": size(out[0]), "attn_output_weights": size(out[1])}
    if isinstance(out, tuple):  # MaxPool with return_indices
        return {"output": size(out[0]), "indices": size(out[1])}
    return {"output": size(out)}


def torch_outcome(case: S.Case) -> tuple[str, Any]:
    """("ok", shapes) or ("rejected", message): what torch does with the case.

    BatchNorm (InstanceNorm) that tracks running statistics rejects a single value per channel
    (position) only in training mode, and the channel-wise dropouts an input without channels; such an input is then run in
    eval mode, where the layer is used (paramcalc warns).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = build_module(case)
        except Exception as exc:  # noqa: BLE001 - any error torch raises is a rejection
            return "rejected", f"construction: {type(exc).__name__}: {exc}"
        try:
            return "ok", forward_shapes(module, case)
        except Exception as exc:  # noqa: BLE001
            one_value = "more than 1 value per channel" in str(exc) or "more than 1 spatial element" in str(exc)
            training_only = (one_value and getattr(module, "track_running_stats", False)) or "Feature dropout requires at least 2 dimensions" in str(exc)
            if training_only:
                try:
                    return "ok", forward_shapes(module.eval(), case)
                except Exception as exc_in_eval:  # noqa: BLE001
                    exc = exc_in_eval
            return "rejected", f"forward: {type(exc).__name__}: {exc}"


def paramcalc_outcome(case: S.Case) -> tuple[str, Any]:
    try:
        spec = parse_layer(case.layer())
    except SpecError as exc:
        return "rejected", f"spec: {exc}"
    try:
        return "ok", spec.output_shapes(*case.shapes)
    except SpecError as exc:
        return "rejected", f"output_shapes: {exc}"


def torch_tensors(module: Any) -> list[tuple[str, tuple[int, ...], str]]:
    """The state_dict in order: (name, shape, "trainable" for parameters or "buffer")."""
    params = dict(module.named_parameters())
    return [
        (name, tuple(t.shape), "trainable" if name in params else "buffer")
        for name, t in module.state_dict().items()
    ]


# -- Valid configurations: counts, tensors and shapes equal torch's --------------------------


@pytest.mark.parametrize("family", FAMILIES)
@crosscheck_settings
@given(data=S.st.data())
def test_valid_configuration_matches_torch(family: str, data: Any) -> None:
    case = data.draw(S.valid_cases(family), label="case")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = build_module(case)
    spec = parse_layer(case.layer())

    count = spec.count()
    assert count.total == sum(p.numel() for p in module.parameters())
    assert count.trainable == sum(p.numel() for p in module.parameters() if p.requires_grad)
    assert count.buffers == sum(b.numel() for b in module.buffers())
    assert [(t.name, t.shape, t.kind) for t in spec.param_tensors()] == torch_tensors(module)

    outcome, shapes = torch_outcome(case)
    assert outcome == "ok", f"the strategy drew a case torch rejects: {case}: {shapes}"
    assert spec.output_shapes(*case.shapes) == shapes


# -- Loose configurations: the same rejections, the same shapes ------------------------------


@pytest.mark.parametrize("family", FAMILIES)
@crosscheck_settings
@given(data=S.st.data())
def test_rejects_exactly_what_torch_rejects(family: str, data: Any) -> None:
    case = data.draw(S.loose_cases(family), label="case")
    theirs, ours = torch_outcome(case), paramcalc_outcome(case)
    assert theirs[0] == ours[0], f"torch: {theirs[1]!s:.300}\nparamcalc: {ours[1]!s:.300}"
    if ours[0] == "ok":
        assert ours[1] == theirs[1]


@pytest.mark.parametrize(("layer", "kwargs", "why"), S.INVALID_ARGUMENTS, ids=[w for _, _, w in S.INVALID_ARGUMENTS])
def test_invalid_arguments_rejected_by_both(layer: str, kwargs: dict[str, Any], why: str) -> None:
    """paramcalc refuses the spec itself; torch refuses it when built or on any plausible input."""
    with pytest.raises(SpecError):
        parse_layer({"type": layer, **kwargs})
    for shape in PLAUSIBLE_INPUTS[layer](kwargs):
        case = S.Case(layer, kwargs, shape)
        outcome, message = torch_outcome(case)
        assert outcome == "rejected", f"torch ran {case}"


def _conv_input(nd: int) -> Any:
    return lambda kw: [((2, kw["in_channels"], *(9,) * nd),), ((kw["in_channels"], *(5,) * nd),)]


def _pool_input(nd: int) -> Any:
    return lambda kw: [((2, 3, *(9,) * nd),), ((3, *(6,) * nd),)]


PLAUSIBLE_INPUTS: dict[str, Any] = {
    **{f"Conv{n}d": _conv_input(n) for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": _conv_input(n) for n in (1, 2, 3)},
    **{f"{p}{n}d": _pool_input(n) for n in (1, 2, 3) for p in ("MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool")},
    "LayerNorm": lambda kw: [((2, 3),), ((4,),)],
    "GroupNorm": lambda kw: [((2, kw["num_channels"], 5),), ((2, kw["num_channels"]),)],
    **{f"InstanceNorm{n}d": (lambda kw, n=n: [((2, kw["num_features"], *(3,) * n),), ((kw["num_features"], *(3,) * n),)])
       for n in (1, 2, 3)},
    "Embedding": lambda kw: [((2, 3),)],
    "RNN": lambda kw: [((5, 2, kw["input_size"]),)],
    "GRU": lambda kw: [((5, 2, kw["input_size"]),)],
    "LSTM": lambda kw: [((5, 2, kw["input_size"]),)],
    "MultiheadAttention": lambda kw: [((4, 2, kw["embed_dim"]),) * 3],
    "TransformerEncoderLayer": lambda kw: [((4, 2, kw["d_model"]),)],
    "TransformerDecoderLayer": lambda kw: [((4, 2, kw["d_model"]), (3, 2, kw["d_model"]))],
    "Dropout": lambda kw: [((2, 3),)],
    "GELU": lambda kw: [((2, 3),)],
    "PReLU": lambda kw: [((2, 3),), ((2, 1),)],
    "Dropout2d": lambda kw: [((2, 3, 4, 4),)],
    "AlphaDropout": lambda kw: [((2, 3),)],
    "Unflatten": lambda kw: [((2, 6),), ((2, 6, 4),)],
    "ZeroPad2d": lambda kw: [((1, 2, 5, 5),)],
    "RNNCell": lambda kw: [((2, kw["input_size"]),)],
    "Bilinear": lambda kw: [((2, max(kw["in1_features"], 1)), (2, kw["in2_features"]))],
    "PixelShuffle": lambda kw: [((1, 4, 3, 3),)],
    "PixelUnshuffle": lambda kw: [((1, 1, 4, 4),)],
    "EmbeddingBag": lambda kw: [((2, 3),)],
    "Upsample": lambda kw: [((1, 2, 5),), ((1, 2, 5, 5),), ((1, 2, 5, 5, 5),)],
    "UpsamplingBilinear2d": lambda kw: [((1, 2, 5),), ((1, 2, 5, 5),), ((1, 2, 5, 5, 5),)],
}


# -- Named edge cases ------------------------------------------------------------------------

EDGE_CASES = [
    # (id, case): each decided by torch; the test asserts paramcalc agrees, whichever way it goes.
    ("conv-kernel-larger-than-padded-input", S.Case("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 7}, ((1, 3, 5, 5),))),
    ("conv-wrong-channels", S.Case("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3}, ((1, 4, 8, 8),))),
    ("conv-wrong-rank", S.Case("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3}, ((2, 1, 3, 8, 8),))),
    ("conv-unbatched", S.Case("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3}, ((3, 8, 8),))),
    ("conv-same-even-kernel", S.Case("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 4, "padding": "same"}, ((1, 3, 5, 6),))),
    ("conv-same-dilated-tiny-input", S.Case("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "padding": "same", "dilation": 3}, ((1, 1, 1),))),
    ("conv-reflect-padding-not-below-input", S.Case("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "padding": 2, "padding_mode": "reflect"}, ((1, 1, 2),))),
    ("conv-reflect-padding-below-input", S.Case("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "padding": 2, "padding_mode": "reflect"}, ((1, 1, 3),))),
    ("conv-reflect-same", S.Case("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 5, "padding": "same", "padding_mode": "reflect"}, ((1, 1, 2),))),
    ("conv-circular-padding-equal-input", S.Case("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "padding": 2, "padding_mode": "circular"}, ((1, 1, 2),))),
    ("conv-circular-padding-above-input", S.Case("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "padding": 3, "padding_mode": "circular"}, ((1, 1, 2),))),
    ("conv-empty-length-batch-1", S.Case("Conv1d", {"in_channels": 2, "out_channels": 2, "kernel_size": 1, "padding": 1}, ((1, 2, 0),))),
    ("conv-empty-length-batch-0", S.Case("Conv1d", {"in_channels": 2, "out_channels": 2, "kernel_size": 1, "padding": 1}, ((0, 2, 0),))),
    ("conv-transpose-empty-length", S.Case("ConvTranspose1d", {"in_channels": 2, "out_channels": 2, "kernel_size": 3}, ((1, 2, 0),))),
    ("conv-transpose-in-channels-0", S.Case("ConvTranspose1d", {"in_channels": 0, "out_channels": 2, "kernel_size": 3}, ((1, 0, 4),))),
    ("conv-transpose-output-too-small", S.Case("ConvTranspose2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "padding": 2}, ((1, 3, 1, 1),))),
    ("conv-transpose-output-padding-below-dilation", S.Case("ConvTranspose1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "output_padding": 1, "dilation": 2}, ((1, 1, 4),))),
    ("maxpool-ceil-last-window-in-padding", S.Case("MaxPool1d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, ((1, 1, 4),))),
    ("maxpool-ceil-last-window-dropped", S.Case("MaxPool1d", {"kernel_size": 3, "stride": 4, "padding": 1, "ceil_mode": True}, ((1, 1, 5),))),
    ("maxpool-ceil-exact", S.Case("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, ((1, 1, 7, 7),))),
    ("maxpool-ceil-inexact", S.Case("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, ((1, 1, 8, 8),))),
    ("maxpool-window-too-large", S.Case("MaxPool2d", {"kernel_size": 3}, ((1, 1, 2, 5),))),
    ("maxpool-dilated-padding-half-kernel", S.Case("MaxPool2d", {"kernel_size": 3, "padding": 1, "dilation": 3}, ((1, 1, 9, 9),))),
    ("maxpool-return-indices", S.Case("MaxPool3d", {"kernel_size": 2, "return_indices": True}, ((1, 2, 4, 4, 4),))),
    ("maxpool-zero-channels", S.Case("MaxPool2d", {"kernel_size": 2}, ((1, 0, 4, 4),))),
    ("maxpool-zero-batch", S.Case("MaxPool2d", {"kernel_size": 2}, ((0, 1, 4, 4),))),
    ("avgpool-ceil-last-window-dropped", S.Case("AvgPool1d", {"kernel_size": 3, "stride": 4, "padding": 1, "ceil_mode": True}, ((1, 1, 5),))),
    ("adaptive-none-entry", S.Case("AdaptiveAvgPool2d", {"output_size": (None, 3)}, ((1, 2, 5, 7),))),
    ("adaptive-larger-than-input", S.Case("AdaptiveAvgPool2d", {"output_size": 7}, ((1, 2, 5, 5),))),
    ("adaptive-empty-input", S.Case("AdaptiveAvgPool2d", {"output_size": 3}, ((1, 2, 0, 5),))),
    ("adaptive-3d-zero-channels", S.Case("AdaptiveAvgPool3d", {"output_size": 2}, ((1, 0, 3, 3, 3),))),
    ("adaptive-2d-zero-channels", S.Case("AdaptiveAvgPool2d", {"output_size": 2}, ((1, 0, 3, 3),))),
    ("batchnorm-zero-features-affine", S.Case("BatchNorm1d", {"num_features": 0}, ((2, 0),))),
    ("batchnorm-zero-features-no-affine", S.Case("BatchNorm1d", {"num_features": 0, "affine": False}, ((2, 0),))),
    ("batchnorm-momentum-outside-0-1", S.Case("BatchNorm1d", {"num_features": 3, "momentum": 2.0}, ((2, 3),))),
    ("batchnorm-one-value-per-channel-no-running-stats", S.Case("BatchNorm2d", {"num_features": 3, "track_running_stats": False}, ((1, 3, 1, 1),))),
    ("batchnorm-wrong-rank", S.Case("BatchNorm2d", {"num_features": 3}, ((3, 4, 4),))),
    ("layernorm-eps-zero", S.Case("LayerNorm", {"normalized_shape": 3, "eps": 0.0}, ((2, 3),))),
    ("layernorm-wrong-trailing-dims", S.Case("LayerNorm", {"normalized_shape": (2, 3)}, ((3, 2),))),
    ("instancenorm-one-position", S.Case("InstanceNorm2d", {"num_features": 3}, ((2, 3, 1, 1),))),
    ("instancenorm-one-position-running-stats", S.Case("InstanceNorm2d", {"num_features": 3, "track_running_stats": True}, ((2, 3, 1, 1),))),
    ("instancenorm-unbatched", S.Case("InstanceNorm1d", {"num_features": 3, "affine": True}, ((3, 5),))),
    ("instancenorm-other-channels", S.Case("InstanceNorm1d", {"num_features": 3}, ((2, 4, 5),))),
    ("instancenorm-other-channels-affine", S.Case("InstanceNorm1d", {"num_features": 3, "affine": True}, ((2, 4, 5),))),
    ("instancenorm-other-channels-running-stats", S.Case("InstanceNorm1d", {"num_features": 3, "track_running_stats": True}, ((0, 4, 5),))),
    ("instancenorm-zero-features", S.Case("InstanceNorm1d", {"num_features": 0, "track_running_stats": True}, ((2, 0, 3),))),
    ("instancenorm-wrong-rank", S.Case("InstanceNorm2d", {"num_features": 3}, ((2, 3, 4, 4, 4),))),
    ("groupnorm-one-value-per-group", S.Case("GroupNorm", {"num_groups": 6, "num_channels": 6}, ((1, 6),))),
    ("groupnorm-two-values-per-group", S.Case("GroupNorm", {"num_groups": 3, "num_channels": 6}, ((1, 6, 1),))),
    ("groupnorm-1d-input", S.Case("GroupNorm", {"num_groups": 2, "num_channels": 6}, ((6,),))),
    ("groupnorm-wrong-channels", S.Case("GroupNorm", {"num_groups": 2, "num_channels": 6}, ((4, 8, 5),))),
    ("groupnorm-wrong-channels-empty-batch", S.Case("GroupNorm", {"num_groups": 2, "num_channels": 6}, ((0, 8, 5),))),
    ("groupnorm-channels-not-divisible", S.Case("GroupNorm", {"num_groups": 2, "num_channels": 6}, ((4, 5, 6),))),
    ("groupnorm-no-affine-other-channels", S.Case("GroupNorm", {"num_groups": 2, "num_channels": 6, "affine": False}, ((4, 8, 5),))),
    ("groupnorm-no-affine-channels-not-divisible", S.Case("GroupNorm", {"num_groups": 2, "num_channels": 6, "affine": False}, ((4, 3, 2),))),
    ("groupnorm-zero-channels", S.Case("GroupNorm", {"num_groups": 2, "num_channels": 0}, ((4, 0, 5),))),
    ("groupnorm-eps-negative", S.Case("GroupNorm", {"num_groups": 2, "num_channels": 6, "eps": -1.0}, ((4, 6, 5),))),
    ("groupnorm-weight-only", S.Case("GroupNorm", {"num_groups": 2, "num_channels": 6, "bias": False}, ((4, 6, 5, 5, 5, 5),))),
    ("embedding-empty-table", S.Case("Embedding", {"num_embeddings": 0, "embedding_dim": 3}, ((2,),))),
    ("embedding-empty-table-empty-input", S.Case("Embedding", {"num_embeddings": 0, "embedding_dim": 3}, ((0,),))),
    ("embedding-scalar-index", S.Case("Embedding", {"num_embeddings": 5, "embedding_dim": 3}, ((),))),
    ("upsample-product-below-one", S.Case("Upsample", {"scale_factor": 1 / 49}, ((1, 1, 49),))),
    ("upsample-product-just-above-seven", S.Case("Upsample", {"scale_factor": 0.7}, ((1, 1, 10),))),
    ("upsample-scale-zero-with-size", S.Case("Upsample", {"size": 3, "scale_factor": 0}, ((1, 1, 5),))),
    ("upsample-area-empty-output", S.Case("Upsample", {"scale_factor": 0.1, "mode": "area"}, ((1, 1, 4, 4),))),
    ("upsample-area-small-negative-scale", S.Case("Upsample", {"scale_factor": -0.1, "mode": "area"}, ((1, 1, 4),))),
    ("upsample-area-negative-output", S.Case("Upsample", {"scale_factor": -1.0, "mode": "area"}, ((1, 1, 4),))),
    ("upsample-zero-channels", S.Case("Upsample", {"scale_factor": 2.0}, ((1, 0, 4),))),
    ("upsample-area-zero-channels", S.Case("Upsample", {"scale_factor": 2.0, "mode": "area"}, ((1, 0, 4, 4),))),
    ("upsample-area-3d-zero-channels", S.Case("Upsample", {"scale_factor": 2.0, "mode": "area"}, ((1, 0, 2, 2, 2),))),
    ("upsample-empty-batch", S.Case("Upsample", {"scale_factor": 2.0, "mode": "bicubic"}, ((0, 1, 4, 4),))),
    ("upsample-empty-length", S.Case("Upsample", {"size": 3}, ((1, 1, 0),))),
    ("upsample-one-size-for-two-dims", S.Case("Upsample", {"size": (7,)}, ((1, 1, 5, 5),))),
    ("upsample-nearest-2d-on-a-3d-input", S.Case("UpsamplingNearest2d", {"scale_factor": 2.0}, ((1, 1, 5),))),
    ("upsample-bilinear-2d-on-a-3d-input", S.Case("UpsamplingBilinear2d", {"scale_factor": 2.0}, ((1, 1, 5),))),
    ("upsample-recompute-false-with-size", S.Case("Upsample", {"size": 4, "recompute_scale_factor": False}, ((1, 1, 5),))),
    ("embeddingbag-2d-bags-of-no-index", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3}, ((4, 0),))),
    ("embeddingbag-2d-with-offsets", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3}, ((4, 2), (4,)))),
    ("embeddingbag-1d-without-offsets", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3}, ((4,),))),
    ("embeddingbag-last-offset-only", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3, "include_last_offset": True}, ((0,), (1,)))),
    ("embeddingbag-last-offset-missing", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3, "include_last_offset": True}, ((4,), (0,)))),
    ("embeddingbag-empty-bags", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3}, ((0,), (3,)))),
    ("embeddingbag-weights-with-mean", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3}, ((4,), (2,), (4,)))),
    ("embeddingbag-weights-of-another-shape", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3, "mode": "sum"}, ((4,), (2,), (3,)))),
    ("embeddingbag-2d-offsets", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3}, ((4,), (2, 1)))),
    ("embeddingbag-3d-input", S.Case("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 3}, ((2, 2, 2),))),
    ("rnn-empty-sequence", S.Case("RNN", {"input_size": 3, "hidden_size": 4}, ((0, 2, 3),))),
    ("rnn-empty-batch", S.Case("GRU", {"input_size": 3, "hidden_size": 4}, ((5, 0, 3),))),
    ("rnn-wrong-features", S.Case("LSTM", {"input_size": 3, "hidden_size": 4}, ((5, 2, 4),))),
    ("rnn-dropout-true", S.Case("RNN", {"input_size": 3, "hidden_size": 4, "dropout": True}, ((5, 2, 3),))),
    ("lstm-proj-bidirectional-unbatched", S.Case("LSTM", {"input_size": 3, "hidden_size": 5, "proj_size": 2, "bidirectional": True, "num_layers": 2}, ((4, 3),))),
    ("mha-key-value-lengths-differ", S.Case("MultiheadAttention", {"embed_dim": 8, "num_heads": 2}, ((3, 2, 8), (4, 2, 8), (5, 2, 8)))),
    ("mha-batch-differs", S.Case("MultiheadAttention", {"embed_dim": 8, "num_heads": 2}, ((3, 2, 8), (4, 1, 8), (4, 1, 8)))),
    ("mha-unbatched-query-batched-key", S.Case("MultiheadAttention", {"embed_dim": 8, "num_heads": 2}, ((3, 8), (4, 2, 8), (4, 2, 8)))),
    ("mha-kdim-vdim", S.Case("MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "kdim": 3, "vdim": 5, "add_bias_kv": True, "add_zero_attn": True}, ((3, 2, 8), (4, 2, 3), (4, 2, 5)))),
    ("encoder-no-layers", S.Case("TransformerEncoder", {"encoder_layer": {"type": "TransformerEncoderLayer", "d_model": 8, "nhead": 2}, "num_layers": 0}, ((3, 2, 8),))),
    ("encoder-norm-over-two-dims", S.Case("TransformerEncoder", {"encoder_layer": {"type": "TransformerEncoderLayer", "d_model": 8, "nhead": 2, "batch_first": True}, "num_layers": 1, "norm": {"type": "LayerNorm", "normalized_shape": (3, 8)}}, ((2, 3, 8),))),
    ("encoder-norm-over-two-dims-wrong-length", S.Case("TransformerEncoder", {"encoder_layer": {"type": "TransformerEncoderLayer", "d_model": 8, "nhead": 2, "batch_first": True}, "num_layers": 1, "norm": {"type": "LayerNorm", "normalized_shape": (3, 8)}}, ((2, 4, 8),))),
    ("encoder-norm-wrong-size", S.Case("TransformerEncoder", {"encoder_layer": {"type": "TransformerEncoderLayer", "d_model": 8, "nhead": 2}, "num_layers": 1, "norm": {"type": "LayerNorm", "normalized_shape": 4}}, ((3, 2, 8),))),
    ("decoder-memory-batch-differs", S.Case("TransformerDecoderLayer", {"d_model": 8, "nhead": 2}, ((3, 2, 8), (5, 1, 8)))),
    ("encoder-layer-wrong-width", S.Case("TransformerEncoderLayer", {"d_model": 8, "nhead": 2}, ((3, 2, 6),))),
    ("encoder-layer-wrong-width-unbatched", S.Case("TransformerEncoderLayer", {"d_model": 8, "nhead": 2}, ((3, 10),))),
    # 10 values do not split into rows of 4: no size for the -1 (torch: "shape '[2, -1, 4]' is invalid")
    ("unflatten-inferred-size-not-dividing", S.Case("Unflatten", {"dim": 1, "unflattened_size": (-1, 4)}, ((2, 10),))),
    ("unflatten-inferred-size-dividing", S.Case("Unflatten", {"dim": 1, "unflattened_size": (-1, 4)}, ((2, 12),))),
    ("flatten-scalar", S.Case("Flatten", {}, ((),))),
    ("flatten-scalar-start-0", S.Case("Flatten", {"start_dim": 0}, ((),))),
    ("softmax-scalar", S.Case("Softmax", {"dim": 0}, ((),))),
    ("identity-ignores-arguments", S.Case("Identity", {"unused_argument1": 0.1, "unused_argument2": False}, ((2, 3),))),
]


@pytest.mark.parametrize("case", [c for _, c in EDGE_CASES], ids=[i for i, _ in EDGE_CASES])
def test_edge_case_agrees_with_torch(case: S.Case) -> None:
    theirs, ours = torch_outcome(case), paramcalc_outcome(case)
    assert theirs[0] == ours[0], f"torch: {theirs[1]!s:.300}\nparamcalc: {ours[1]!s:.300}"
    if ours[0] == "ok":
        assert ours[1] == theirs[1]


def test_conv_with_zero_in_channels_is_refused() -> None:
    """A known divergence, decided on purpose: torch builds Conv2d(0, 4, 3) and runs it, but its
    empty-input shortcut returns 0 channels instead of out_channels, so no shape paramcalc could
    give would match; paramcalc refuses in_channels=0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = nn.Conv2d(0, 4, 3)(torch.zeros(1, 0, 5, 5))
    assert tuple(out.shape) == (1, 0, 3, 3)
    with pytest.raises(SpecError, match="in_channels"):
        parse_layer("Conv2d(0, 4, 3)")


def test_transposed_conv_arguments_are_checked_even_for_an_empty_batch() -> None:
    """A known divergence, decided on purpose: for an input with no elements torch's transposed
    convolution returns an empty output before checking its arguments, so it runs dilation 0 on a
    batch of 0 and refuses it on anything else; paramcalc refuses the spec."""
    module = nn.ConvTranspose1d(1, 1, 1, dilation=0)
    assert tuple(module(torch.zeros(0, 1, 3)).shape) == (0, 1, 3)
    with pytest.raises(RuntimeError):
        module(torch.zeros(1, 1, 3))
    with pytest.raises(SpecError, match="dilation must be >= 1"):
        parse_layer("ConvTranspose1d(1, 1, 1, dilation=0)")


@pytest.mark.parametrize(
    "expression",
    ["Conv2d(3, 8, 3.0)", "Conv2d(3, 8, 3, stride=True)", "Linear(4.0, 2)", "LSTM(3, 4, num_layers=True)"],
)
def test_bools_and_floats_where_ints_belong_are_refused(expression: str) -> None:
    """Deliberately stricter than torch, which lets some of these through."""
    with pytest.raises(SpecError, match="must be an integer|must be an int"):
        parse_layer(expression)


@pytest.mark.parametrize("family", FAMILIES)
def test_positional_order_is_torchs(family: str) -> None:
    """A spec's positional fields, in order, are the leading positional parameters of the torch
    constructor, so that positional arguments mean the same in both; its keyword-only fields are
    exactly the torch constructor's keyword-only parameters it models (BatchNorm's bias)."""
    cls = TORCH_LAYERS[family]
    ours = cls.positional_fields()
    if family in ("RNN", "LSTM", "GRU"):  # these take *args and pass them to RNNBase(mode, ...)
        base = [p.name for p in inspect.signature(nn.RNNBase.__init__).parameters.values()][2:]
        theirs = base[:3] + (["nonlinearity"] if family == "RNN" else []) + base[3:]
        keyword_only: list[str] = []
        assert nn.RNN(3, 4, 1, "relu").nonlinearity == "relu"
    else:
        params = list(inspect.signature(getattr(nn, family).__init__).parameters.values())[1:]
        theirs = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        keyword_only = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    theirs = [n for n in theirs if n not in ("device", "dtype", "args", "kwargs")]
    assert theirs[: len(ours)] == ours
    assert list(cls.keyword_only) == [n for n in keyword_only if n in cls.model_fields]


# -- Large configurations, on the meta device ------------------------------------------------

LARGE = [
    ("lstm-300-512-2", "LSTM(300, 512, num_layers=2)", [(35, 16, 300)]),
    ("lstm-proj-bidirectional", "LSTM(1024, 2048, num_layers=3, bidirectional=True, proj_size=512, batch_first=True)", [(8, 100, 1024)]),
    ("gru-bidirectional", "GRU(512, 1024, num_layers=2, bidirectional=True)", [(50, 4, 512)]),
    ("transformer-encoder-layer-512", "TransformerEncoderLayer(512, 8)", [(128, 4, 512)]),
    ("transformer-decoder-layer-1024", "TransformerDecoderLayer(1024, 16, dim_feedforward=4096, batch_first=True)", [(2, 64, 1024), (2, 80, 1024)]),
    ("transformer-encoder-bert-base", "TransformerEncoder(TransformerEncoderLayer(768, 12, 3072, batch_first=True), 12, norm=LayerNorm(768))", [(2, 512, 768)]),
    ("mha-1024-16-kdim-vdim", "MultiheadAttention(1024, 16, kdim=512, vdim=768, add_bias_kv=True)", [(20, 2, 1024), (30, 2, 512), (30, 2, 768)]),
    ("alexnet-conv1", "Conv2d(3, 96, 11, stride=4)", [(1, 3, 227, 227)]),
    ("vgg-conv", "Conv2d(512, 512, 3, padding=1)", [(1, 512, 28, 28)]),
    ("resnet-stem-pool", "MaxPool2d(3, stride=2, padding=1)", [(1, 64, 112, 112)]),
    ("unet-up", "ConvTranspose2d(1024, 512, 2, stride=2)", [(1, 1024, 28, 28)]),
    ("c3d-conv", "Conv3d(64, 128, 3, padding=1)", [(1, 64, 16, 56, 56)]),
    ("embedding-gpt2", "nn.Embedding(50257, 768)", [(2, 1024)]),
    ("linear-vgg-fc6", "Linear(25088, 4096)", [(1, 25088)]),
    ("batchnorm-resnet", "BatchNorm2d(2048)", [(8, 2048, 7, 7)]),
    ("groupnorm-unet", "GroupNorm(32, 320)", [(2, 320, 64, 64)]),
]


@pytest.mark.parametrize(("expression", "shapes"), [(e, s) for _, e, s in LARGE], ids=[i for i, _, _ in LARGE])
def test_large_configuration_on_meta_device(expression: str, shapes: list[tuple[int, ...]]) -> None:
    spec = parse_layer(expression)
    case = S.Case(spec.type, {}, tuple(shapes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            module = _module_from_spec(spec)
            theirs = forward_shapes(module, case, device="meta")
    assert spec.count().total == sum(p.numel() for p in module.parameters())
    assert spec.count().buffers == sum(b.numel() for b in module.buffers())
    assert [(t.name, t.shape, t.kind) for t in spec.param_tensors()] == torch_tensors(module)
    assert spec.output_shapes(*shapes) == theirs


def _module_from_spec(spec: Any) -> Any:
    data = spec.spec_dict()
    kind = data.pop("type")
    return build_module(S.Case(kind, data, ()))


def test_a_decoder_stack_takes_an_empty_memory_of_another_batch() -> None:
    # the cross-attention views no key at all: torch runs it, and paramcalc gives torch's shape
    case = S.Case("TransformerDecoder", {"decoder_layer": {"type": "TransformerDecoderLayer", "d_model": 4, "nhead": 1,
                                                            "dim_feedforward": 4}, "num_layers": 1},
                  ((1, 2, 4), (0, 3, 4)))
    assert torch_outcome(case) == ("ok", {"output": (1, 2, 4)})
    assert parse_layer(case.layer()).output_shapes(*case.shapes) == {"output": (1, 2, 4)}
