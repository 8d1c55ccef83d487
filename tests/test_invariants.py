"""Invariants of the counts: relations that hold across the argument space, checked by hypothesis."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import strategies as S
from paramcalc import Count, SpecError, formulas, parse_layer

sizes = st.integers(1, 64)


def with_bias(case: S.Case, bias: bool) -> Any:
    return parse_layer({**case.layer(), "bias": bias})


@pytest.mark.parametrize(
    "family", ["Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]
)
@given(data=st.data())
def test_bias_adds_exactly_one_value_per_output(family: str, data: Any) -> None:
    case = data.draw(S.valid_cases(family))
    outputs = case.kwargs.get("out_features", case.kwargs.get("out_channels"))
    assert with_bias(case, True).count().total - with_bias(case, False).count().total == outputs


@pytest.mark.parametrize("family", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"])
@given(data=st.data())
def test_batchnorm_bias_adds_one_value_per_channel_when_affine(family: str, data: Any) -> None:
    case = data.draw(S.valid_cases(family))
    added = case.kwargs["num_features"] if case.kwargs["affine"] else 0
    assert with_bias(case, True).count().total - with_bias(case, False).count().total == added
    assert with_bias(case, True).count().buffers == with_bias(case, False).count().buffers


@given(
    input_size=sizes, hidden_size=sizes, num_layers=st.integers(1, 4), bias=st.booleans(), bidirectional=st.booleans()
)
def test_lstm_is_four_rnns_and_gru_three(
    input_size: int, hidden_size: int, num_layers: int, bias: bool, bidirectional: bool
) -> None:
    """Same sizes, no projection: an LSTM has 4 gate blocks where an RNN has 1, a GRU 3."""
    args = {
        "input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers,
        "bias": bias, "bidirectional": bidirectional,
    }
    rnn = parse_layer({"type": "RNN", **args}).count().total
    assert parse_layer({"type": "LSTM", **args}).count().total == 4 * rnn
    assert parse_layer({"type": "GRU", **args}).count().total == 3 * rnn


@given(cell=st.sampled_from(["RNN", "LSTM", "GRU"]), input_size=sizes, hidden_size=sizes, bias=st.booleans())
def test_one_layer_bidirectional_doubles(cell: str, input_size: int, hidden_size: int, bias: bool) -> None:
    args = {"type": cell, "input_size": input_size, "hidden_size": hidden_size, "bias": bias}
    one_way = parse_layer(args).count().total
    assert parse_layer({**args, "bidirectional": True}).count().total == 2 * one_way


@given(
    cell=st.sampled_from(["RNN", "LSTM", "GRU"]),
    input_size=sizes,
    hidden_size=st.integers(2, 64),
    num_layers=st.integers(2, 4),
    data=st.data(),
)
def test_deeper_bidirectional_more_than_doubles(
    cell: str, input_size: int, hidden_size: int, num_layers: int, data: Any
) -> None:
    """Layers after the first take both directions' outputs (2·H_out inputs), so a bidirectional
    stack has 2·(num_layers − 1)·gates·H·H_out more than twice the one-way stack."""
    proj = data.draw(st.integers(0, hidden_size - 1)) if cell == "LSTM" else 0
    args = {"type": cell, "input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers}
    if proj:
        args["proj_size"] = proj
    one_way = parse_layer(args).count().total
    both = parse_layer({**args, "bidirectional": True}).count().total
    gates = formulas.GATES[cell]
    assert both - 2 * one_way == 2 * (num_layers - 1) * gates * hidden_size * (proj or hidden_size)
    assert both > 2 * one_way


@given(d_model_per_head=st.integers(1, 16), nhead=st.integers(1, 4), ff=st.integers(0, 64), layers=st.integers(1, 6))
def test_encoder_stack_is_layers_times_layer_plus_norm(d_model_per_head: int, nhead: int, ff: int, layers: int) -> None:
    d = d_model_per_head * nhead
    layer = {"type": "TransformerEncoderLayer", "d_model": d, "nhead": nhead, "dim_feedforward": ff}
    one = parse_layer(layer).count().total
    bare = parse_layer({"type": "TransformerEncoder", "encoder_layer": layer, "num_layers": layers})
    normed = parse_layer(
        {"type": "TransformerEncoder", "encoder_layer": layer, "num_layers": layers, "norm": {"type": "LayerNorm"}}
    )
    assert bare.count().total == layers * one
    assert normed.count().total == layers * one + 2 * d


@given(case=S.any_valid_case())
def test_count_is_the_sum_of_its_tensors(case: S.Case) -> None:
    spec = parse_layer(case.layer())
    count = spec.count()
    tensors = spec.param_tensors()
    assert count.total == count.trainable + count.non_trainable
    assert count.total == sum(t.numel for t in tensors if t.kind != "buffer")
    assert count.buffers == sum(t.numel for t in tensors if t.kind == "buffer")
    assert all(type(v) is int for v in count.as_dict().values())


# -- Count arithmetic ------------------------------------------------------------------------

counts = st.builds(Count, st.integers(0, 10**12), st.integers(0, 10**12), st.integers(0, 10**12))


@given(a=counts, b=counts, c=counts, n=st.integers(0, 1000))
def test_count_arithmetic(a: Count, b: Count, c: Count, n: int) -> None:
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)
    assert a + Count(0) == a
    assert (a + b).total == a.total + b.total
    assert (a + b).buffers == a.buffers + b.buffers
    assert a * n == n * a
    assert (a * n).total == a.total * n
    assert a * 2 == a + a
    assert a.as_dict() == {
        "total": a.trainable + a.non_trainable, "trainable": a.trainable,
        "non_trainable": a.non_trainable, "buffers": a.buffers,
    }


def test_count_is_immutable() -> None:
    count = Count(1, 2, 3)
    with pytest.raises(FrozenInstanceError):
        count.trainable = 5  # type: ignore[misc]
    assert count.total == 3


# -- Exact integers at any size --------------------------------------------------------------


def test_gpt3_sized_stack_is_exact() -> None:
    """A GPT-3-sized stack (Brown et al. 2020: 96 layers, d_model 12288, 4·d feed-forward, vocabulary
    50257, context 2048: "175B"), counted exactly. By hand, per layer: 4d² + 4d (attention)
    + 2·d·4d + 4d + d (feed-forward) + 4d (two LayerNorms)."""
    d, layers = 12288, 96
    per_layer = 4 * d * d + 4 * d + 2 * d * 4 * d + 4 * d + d + 4 * d
    expected = layers * per_layer + 50257 * d + 2048 * d + 2 * d
    stack = parse_layer(
        f"TransformerEncoder(TransformerEncoderLayer({d}, 96, {4 * d}, norm_first=True), {layers}, "
        f"norm=LayerNorm({d}))"
    ).count().total
    total = stack + parse_layer(f"nn.Embedding(50257, {d})").count().total + parse_layer(f"nn.Embedding(2048, {d})").count().total
    assert total == expected == 174_604_259_328
    assert type(total) is int


def test_counts_beyond_float_precision_are_exact() -> None:
    """(10⁹ + 1)·(10⁹ + 7) + (10⁹ + 7) has no exact float: the count must still be exact."""
    n_in, n_out = 10**9 + 1, 10**9 + 7
    exact = n_in * n_out + n_out
    total = parse_layer(f"Linear({n_in}, {n_out})").count().total
    assert total == exact
    assert float(exact) != exact  # a float would have lost the last digits
    assert (parse_layer(f"Linear({n_in}, {n_out})").count() * 10**6).total == exact * 10**6


@pytest.mark.parametrize(
    ("formula", "kwargs"),
    [
        (formulas.linear_params, {"in_features": 10**12, "out_features": 10**12}),
        (formulas.conv_params, {"in_channels": 10**6, "out_channels": 10**6, "kernel_size": (7, 7, 7)}),
        (formulas.lstm_params, {"input_size": 10**7, "hidden_size": 10**7, "num_layers": 100}),
        (formulas.gru_params, {"input_size": 10**7, "hidden_size": 10**7, "bidirectional": True}),
        (formulas.rnn_params, {"input_size": 10**7, "hidden_size": 10**7}),
        (formulas.mha_params, {"embed_dim": 10**8, "kdim": 3, "vdim": 5}),
        (formulas.transformer_encoder_layer_params, {"d_model": 10**8, "dim_feedforward": 4 * 10**8}),
        (formulas.transformer_decoder_layer_params, {"d_model": 10**8, "dim_feedforward": 4 * 10**8}),
        (formulas.embedding_params, {"num_embeddings": 10**10, "embedding_dim": 10**5}),
        (formulas.batchnorm_params, {"num_features": 10**15}),
        (formulas.layernorm_params, {"normalized_shape": (10**5, 10**5)}),
        (formulas.conv_output_size, {"size": 10**15, "kernel_size": 3, "stride": 7, "padding": 1}),
        (formulas.pool_output_size, {"size": 10**15, "kernel_size": 3, "stride": 7, "ceil_mode": True}),
    ],
)
def test_formulas_return_python_ints(formula: Any, kwargs: dict[str, Any]) -> None:
    assert type(formula(**kwargs)) is int


# -- The tensors a convention lists sum to its count ------------------------------------------

CONVENTIONS = ("pytorch", "keras", "textbook")


def assert_tensors_sum_to_count(spec: Any, input_shape: Any) -> None:
    """Under every convention: trainable, non-trainable and buffer tensors each sum to the count's part."""
    for convention in CONVENTIONS:
        try:
            count = spec.count(convention, input_shape=input_shape)
        except SpecError:  # no such layer under this convention (e.g. no Keras equivalent): no tensors either
            with pytest.raises(SpecError):
                spec.param_tensors(convention, input_shape=input_shape)
            continue
        tensors = spec.param_tensors(convention, input_shape=input_shape)
        summed = {kind: sum(t.numel for t in tensors if t.kind == kind)
                  for kind in ("trainable", "non_trainable", "buffer")}
        assert (summed["trainable"], summed["non_trainable"], summed["buffer"]) == (
            count.trainable, count.non_trainable, count.buffers), (str(spec), convention, tensors)


@pytest.mark.parametrize("family", sorted(S.FAMILIES))
@given(data=st.data())
def test_tensors_sum_to_the_count_for_torch_layers(family: str, data: Any) -> None:
    case = data.draw(S.valid_cases(family))
    assert_tensors_sum_to_count(parse_layer(case.layer()), case.shapes[0] if case.shapes else None)


@pytest.mark.parametrize("expr", [
    "MultiheadAttention(4, 1, kdim=0)",  # the textbook listed W_K as 4×4 and counted it 0×4
    "MultiheadAttention(4, 2, kdim=0, vdim=0)",
])
def test_tensors_sum_to_the_count_for_empty_attention_inputs(expr: str) -> None:
    # (the building blocks are among the torch layers above: tests/strategies.py draws them too)
    assert_tensors_sum_to_count(parse_layer(expr), None)


@pytest.mark.parametrize("family", S.KERAS_FAMILIES)
@given(data=st.data())
def test_tensors_sum_to_the_count_for_keras_layers(family: str, data: Any) -> None:
    expr, shape = data.draw(S.keras_case(family))
    assert_tensors_sum_to_count(parse_layer(f"layers.{expr}"), shape)


# -- A spec's expression reads back as the same spec ------------------------------------------


def assert_round_trip(spec: Any) -> None:
    assert parse_layer(str(spec)) == spec, str(spec)


@pytest.mark.parametrize("family", sorted(S.FAMILIES))
@given(data=st.data())
def test_expression_reads_back_for_torch_layers(family: str, data: Any) -> None:
    assert_round_trip(parse_layer(data.draw(S.valid_cases(family)).layer()))


@pytest.mark.parametrize("expr", [
    "DecoderBlock(1152921504606846976, 4)",  # dim_feedforward = 4·d_model = 2**62, within the bound
    "FeedForward(4611686018427387903, 2)",
])
def test_expression_reads_back_for_huge_blocks(expr: str) -> None:
    assert_round_trip(parse_layer(expr))


@pytest.mark.parametrize("family", S.KERAS_FAMILIES)
@given(data=st.data())
def test_expression_reads_back_for_keras_layers(family: str, data: Any) -> None:
    expr, shape = data.draw(S.keras_case(family))
    assert_round_trip(parse_layer(f"layers.{expr}"))
    assert_round_trip(parse_layer({"type": f"keras.{expr.split('(')[0]}", "input_shape": shape[1:]}
                                  if expr.endswith("()") else f"layers.{expr[:-1]}, input_shape={shape[1:]})"))


@pytest.mark.parametrize("expr", [
    "DecoderBlock(4611686018427387904, 4)",  # dim_feedforward = 4·d_model = 2**64
    "DecoderBlock(4611686018427387904, 4, style='llama')",
])
def test_a_derived_value_beyond_the_bound_is_refused(expr: str) -> None:
    with pytest.raises(SpecError, match=r"2\*\*63 - 1"):
        parse_layer(expr)
