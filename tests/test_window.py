"""Convolution arithmetic beyond the output size: known values from published problems, and every
formula against the reference module, which walks the windows one by one."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paramcalc.analysis.window import layer_window, output_neurons, receptive_field, solve, window_report
from paramcalc.errors import ParamcalcError, SpecError
from paramcalc.formulas import inverse
from paramcalc.formulas.window import (
    cs231n_dilation,
    effective_kernel,
    exact_output_size,
    jump_and_field,
    positions_read,
    tf_same_padding,
    valid_uncovered,
)
from paramcalc.reference.windows import field_of_stack, tf_same_pads, unread, window_count, windows_read
from paramcalc.specs.parse import parse_layer

# -- Known values ------------------------------------------------------------------------------


def test_effective_kernel_of_a_dilated_filter() -> None:
    # Dumoulin & Visin (2016), 5.1: a 3x3 kernel with dilation 2 spans k + (k − 1)(d − 1) = 5.
    assert effective_kernel(kernel_size=3, dilation=2) == 5
    assert effective_kernel(kernel_size=3, dilation=1) == 3


def test_cs231n_dilation_naming() -> None:
    # CS231n notes: "dilation 1" computes w[0]x[0] + w[1]x[2] + w[2]x[4]: torch's dilation 2.
    assert cs231n_dilation(gaps=1) == 2
    report = window_report(size=7, kernel_size=3, dilation=1, dilation_naming="gaps")
    assert report.dilation == 2 and report.reads[0] == (0, (0, 2, 4))
    assert "torch's and Keras's dilation 2" in report.lines[0]


def test_tf_same_padding_split() -> None:
    # TensorFlow's "SAME" padding, the well-known example: width 13, filter 6, stride 5 -> output 3, padding
    # 3 in all, 1 on the left and 2 on the right (the extra one on the right).
    assert tf_same_padding(size=13, kernel_size=6, stride=5) == (3, 1, 2)
    report = window_report(size=13, kernel_size=6, stride=5, padding="same")
    assert (report.output, report.pad_left, report.pad_right) == (3, 1, 2)


def test_valid_drops_the_last_columns() -> None:
    # ... with "VALID": output 2; the windows read columns 1–11 (1-based), columns 12 and 13 are dropped.
    assert valid_uncovered(size=13, kernel_size=6, stride=5) == ((11, 12),)
    assert window_report(size=13, kernel_size=6, stride=5, padding="valid").output == 2


def test_textbook_fraction() -> None:
    # CS231n notes: W = 10, F = 3, P = 0, S = 2 gives (10 − 3 + 0)/2 + 1 = 4.5, "not an integer".
    assert exact_output_size(size=10, kernel_size=3, stride=2) == Fraction(9, 2)
    report = window_report(size=10, kernel_size=3, stride=2)
    assert report.output == 4 and report.exact == Fraction(9, 2)
    assert 10 not in [n for n, _ in inverse.solve_input(kernel_size=3, stride=2, lo=1, hi=20)]


def test_three_3x3_layers_see_7x7() -> None:
    # CS231n notes ("prefer a stack of small filter CONV"): three 3x3 CONV layers have a 7x7 receptive field.
    rows = receptive_field([(f"conv{i}", parse_layer("Conv2d(8, 8, 3, padding=1)")) for i in range(3)])
    assert [r.field for r in rows] == [3, 5, 7]


def test_vgg16_receptive_field() -> None:
    # Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks" (Distill, 2019),
    # table: VGG-16 (up to pool5) has a receptive field of 212, and its effective stride is 32.
    from paramcalc.analysis.window import preset_layers

    named, _ = preset_layers("vgg16")
    rows = receptive_field(named)
    assert (rows[-1].field, rows[-1].jump) == (212, 32)


def test_alexnet_conv1_neurons() -> None:
    # CS231n notes: AlexNet's first CONV layer output is 55x55x96 = 290,400 neurons.
    assert output_neurons(parse_layer("Conv2d(3, 96, 11, stride=4)"), (1, 3, 227, 227)) == 290_400


def test_solve_examples() -> None:
    # CS231n: with S = 1, P = (F − 1)/2 keeps the size: F = 5 -> P = 2.
    assert [v for v, _, _ in solve("padding", size=32, kernel_size=5).rows] == [2]
    # AlexNet conv1: 227 input, 11x11 filters, output 55 -> stride 4.
    assert [v for v, _, _ in solve("stride", size=227, kernel_size=11, target=55).rows] == [4]
    # Dive into Deep Learning 7.3: an 8x8 input, kernel 3, padding 1, stride 2 -> 4 (floored from 4.5).
    assert [v for v, _, _ in solve("stride", size=8, kernel_size=3, padding=1, target=4, floored=True).rows] == [2]
    assert solve("stride", size=8, kernel_size=3, padding=1, target=4).rows == ()
    # Kernels that take 32 to 28 at stride 1: 5 (LeNet-5's C1).
    assert [v for v, _, _ in solve("kernel", size=32, target=28).rows] == [5]
    rows = solve("input", kernel_size=3, stride=2, hi=9).rows
    assert [v for v, _, _ in rows] == [3, 5, 7, 9]
    assert rows[-1][2] == "(9 + 2·0 − 1·(3 − 1) − 1)/2 + 1 = 4"


def test_bad_questions() -> None:
    with pytest.raises(SpecError):
        effective_kernel(kernel_size=0)
    with pytest.raises(ParamcalcError, match="give the size"):
        solve("padding", kernel_size=3)
    with pytest.raises(SpecError, match="at most"):
        inverse.solve_input(kernel_size=3, lo=1, hi=10**7)
    with pytest.raises(SpecError, match="larger than the padded input"):
        window_report(size=2, kernel_size=5)
    with pytest.raises(ParamcalcError, match="not a sliding window"):
        layer_window(parse_layer("Linear(4, 4)"))
    assert receptive_field([("fc", parse_layer("Linear(4, 4)"))]) == []
    assert receptive_field([("c", parse_layer("Conv2d(1, 1, 3)")), ("fc", parse_layer("Flatten()"))])[0].field == 3


# -- Against the reference -------------------------------------------------------------------

sizes = st.integers(1, 40)
kernels = st.integers(1, 6)
strides = st.integers(1, 5)
pads = st.integers(0, 3)
dilations = st.integers(1, 3)


@given(n=sizes, k=kernels, s=strides, p=pads, d=dilations)
@settings(max_examples=200)
@example(n=13, k=6, s=5, p=0, d=1)
def test_positions_and_uncovered_match_the_windows(n: int, k: int, s: int, p: int, d: int) -> None:
    walked = windows_read(n, k, s, p, p, d)
    if not walked:
        with pytest.raises(SpecError):
            valid_uncovered(size=n, kernel_size=k, stride=s, padding=p, dilation=d)
        return
    assert len(walked) == window_count(n, k, s, p, d, False) == int(
        exact_output_size(size=n, kernel_size=k, stride=s, padding=p, dilation=d))
    for i, w in enumerate(walked):
        assert list(positions_read(index=i, kernel_size=k, stride=s, padding=p, dilation=d)) == w
    runs = valid_uncovered(size=n, kernel_size=k, stride=s, padding=p, dilation=d)
    assert [x for a, b in runs for x in range(a, b + 1)] == unread(n, k, s, p, d)


@given(n=sizes, k=kernels, s=strides, d=dilations)
@settings(max_examples=200)
def test_same_padding_matches_the_search(n: int, k: int, s: int, d: int) -> None:
    total, left, right = tf_same_padding(size=n, kernel_size=k, stride=s, dilation=d)
    assert (left, right) == tf_same_pads(n, k, s, d)
    assert len(windows_read(n, k, s, left, right, d)) == -(-n // s)


@given(st.lists(st.tuples(kernels, strides, pads, dilations), min_size=1, max_size=4))
@settings(max_examples=150)
def test_receptive_field_matches_the_traced_stack(layers: list) -> None:
    r, j, _ = jump_and_field(layers)[-1]
    assert (r, j) == field_of_stack(layers)


@given(n=sizes, k=kernels, s=strides, p=pads, d=dilations, floored=st.booleans())
@settings(max_examples=150)
def test_solvers_find_what_the_windows_give(n: int, k: int, s: int, p: int, d: int, floored: bool) -> None:
    walked = window_count(n, k, s, p, d, False) if n + 2 * p >= d * (k - 1) + 1 else 0
    exact = (n + 2 * p - d * (k - 1) - 1) % s == 0
    if walked and (exact or floored):
        assert p in [v for v, _ in inverse.solve_padding(size=n, kernel_size=k, stride=s, dilation=d, target=walked,
                                                         lo=0, hi=3, floored=floored)]
        assert s in [v for v, _ in inverse.solve_stride(size=n, kernel_size=k, padding=p, dilation=d, target=walked,
                                                        lo=1, hi=5, floored=floored)]
        assert k in [v for v, _ in inverse.solve_kernel(size=n, stride=s, padding=p, dilation=d, target=walked,
                                                        lo=1, hi=6, floored=floored)]
    listed = [v for v, _ in inverse.solve_input(kernel_size=k, stride=s, padding=p, dilation=d, lo=1, hi=40)]
    assert (n in listed) == (bool(walked) and exact)
