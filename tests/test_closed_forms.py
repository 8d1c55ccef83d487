"""Composed blocks in closed form: each polynomial, evaluated, equals the reference's tensors (torch's
names and shapes), Keras's and the textbook's counts, over bounded sizes; and the forms courses quote."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from paramcalc import reference
from paramcalc.cli import app
from paramcalc.errors import SpecError
from paramcalc.formulas.closed_forms import closed_form
from paramcalc.formulas.polynomial import Polynomial
from paramcalc.specs.parse import parse_layer


def test_the_forms_courses_quote() -> None:
    # The course notes: encoder attention 4d² (K, Q, V, Out) and feed-forward 2(d × 4d) = 8d²: 12d².
    assert closed_form("encoder-layer", convention="textbook").text == "12d²"
    # PyTorch adds the biases (4d + 4d + d) and two LayerNorms (4d): 12d² + 13d; d = 512 gives
    # sum(p.numel()) of nn.TransformerEncoderLayer(512, 8) = 3,152,384.
    form = closed_form("encoder-layer")
    assert form.text == "12d² + 13d" and form.evaluate(d=512) == 3_152_384
    assert closed_form("decoder-layer").text == "16d² + 19d"
    assert closed_form("encoder-layer", d_ff="f").text == "4d² + 2df + 9d + f"
    assert closed_form("conv-block").text == "k²co + 2o"
    # LSTM(300, 512, num_layers=2) = 3,768,320 (a documented count: see test_known_values).
    assert closed_form("lstm-stack").evaluate(I=300, h=512, L=2) == 3_768_320


def test_polynomial_arithmetic() -> None:
    x, y = Polynomial.symbol("x"), Polynomial.symbol("y")
    p = (x + 1) * (x - 1) + 3 * x * y
    assert p.text == "x² + 3xy − 1"
    assert p.evaluate(x=2, y=5) == 33
    assert p.substitute(y=x).text == "4x² − 1"
    with pytest.raises(SpecError, match="missing y"):
        p.evaluate(x=1)


def test_bad_blocks() -> None:
    with pytest.raises(SpecError, match="unknown block"):
        closed_form("resnet-block")
    with pytest.raises(SpecError, match="d_ff"):
        closed_form("encoder-layer", d_ff="3d")


sizes = st.integers(1, 64)


@given(heads=st.sampled_from([1, 2, 4]), per=st.integers(1, 16), f=sizes)
@settings(max_examples=40)
def test_transformer_blocks_match_the_reference(heads: int, per: int, f: int) -> None:
    d = heads * per
    enc = parse_layer(f"TransformerEncoderLayer({d}, {heads}, dim_feedforward={f})")
    dec = parse_layer(f"TransformerDecoderLayer({d}, {heads}, dim_feedforward={f})")
    assert closed_form("encoder-layer", d_ff="f").evaluate(d=d, f=f) == reference.count(enc).total
    assert closed_form("decoder-layer", d_ff="f").evaluate(d=d, f=f) == reference.count(dec).total
    for convention in ("keras", "textbook"):
        assert closed_form("encoder-layer", convention=convention, d_ff="f").evaluate(d=d, f=f) == \
            enc.count(convention).total
        assert closed_form("decoder-layer", convention=convention, d_ff="f").evaluate(d=d, f=f) == \
            dec.count(convention).total


@given(i=sizes, h=sizes, layers=st.integers(1, 4), bidirectional=st.booleans())
@settings(max_examples=40)
def test_lstm_stack_matches_the_reference(i: int, h: int, layers: int, bidirectional: bool) -> None:
    spec = parse_layer(f"LSTM({i}, {h}, num_layers={layers}, bidirectional={bidirectional})")
    for convention in ("pytorch", "keras", "textbook"):
        form = closed_form("lstm-stack", convention=convention, bidirectional=bidirectional)
        expected = reference.count(spec).total if convention == "pytorch" else spec.count(convention).total
        assert form.evaluate(I=i, h=h, L=layers) == expected


@given(k=st.integers(1, 7), c=sizes, o=sizes, bias=st.booleans())
@settings(max_examples=40)
def test_conv_block_matches_the_reference(k: int, c: int, o: int, bias: bool) -> None:
    conv, bn = parse_layer(f"Conv2d({c}, {o}, {k}, bias={bias})"), parse_layer(f"BatchNorm2d({o})")
    torch_total = reference.count(conv).total + reference.count(bn).total
    assert closed_form("conv-block", bias=bias).evaluate(k=k, c=c, o=o) == torch_total
    keras_total = conv.count("keras").total + bn.count("keras").total
    assert closed_form("conv-block", convention="keras", bias=bias).evaluate(k=k, c=c, o=o) == keras_total


def test_cli(golden) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["formula", "encoder-layer"], env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 0 and result.stdout.startswith("encoder-layer (pytorch): 12d² + 13d")
    golden("cli_formula_encoder_layer.txt", result.stdout)
    result = runner.invoke(app, ["formula", "lstm-stack", "--set", "I=300", "--set", "h=512", "--set", "L=2", "--json"])
    doc = json.loads(result.stdout)
    assert doc["value"] == 3_768_320 and doc["polynomial"] == "8Lh² + 8Lh + 4Ih − 4h²"
    result = runner.invoke(app, ["formula", "encoder-layer", "--set", "q=3"])
    assert result.exit_code == 2 and "--set" in result.stderr
