"""Property tests: the Keras layer specs (formulas) against the independent Keras reference.

Hypothesis draws bounded configurations and input shapes (tests/keras_strategies.py), valid and
out of bounds; on every case both sides give the same weights (names, shapes, trainable or not),
the same counts and the same output shapes, or both refuse it with a paramcalc error.
"""

from __future__ import annotations

from hypothesis import example, given, settings

import keras_strategies as KS
from paramcalc import keras_layers as K
from paramcalc.errors import SpecError
from paramcalc.reference import keras_layers as ref


def _ours(case: KS.KCase):
    """(tensors, (trainable, non-trainable), outputs) from the specs, or the SpecError they raise."""
    try:
        spec = K.build(case.name, (), dict(case.kwargs))
        shapes = list(case.shapes)
        arg = shapes[0] if len(shapes) == 1 and spec.name not in _MULTI else shapes
        outputs = spec.output_shapes(*shapes)
        count = spec.count("keras", input_shape=arg)
        tensors = sorted((t.name, t.shape, t.kind) for t in spec.param_tensors("keras", input_shape=arg))
    except SpecError:
        return None
    return tensors, (count.trainable, count.non_trainable), outputs, spec


def _reference(spec, case: KS.KCase):
    try:
        outputs = ref.output_shapes(spec, *case.shapes)
        tensors = sorted((t.name, t.shape, t.kind) for t in ref.param_tensors(spec, *case.shapes))
        return tensors, ref.count_params(spec, *case.shapes), outputs
    except SpecError:
        return None


_MULTI = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"}


def _compare(case: KS.KCase) -> None:
    try:
        spec = K.build(case.name, (), dict(case.kwargs))
    except SpecError:
        return  # arguments Keras refuses: checked in the known-value tests
    ours = _ours(case)
    theirs = _reference(spec, case)
    if ours is None or theirs is None:
        assert ours is None and theirs is None, (case, ours, theirs)
        return
    assert ours[:3] == theirs, case


@given(KS.merge_cases())
@settings(max_examples=300)
@example(KS.KCase("Add", {}, ((None, 3, 1), (2, 1, 4))))
@example(KS.KCase("Concatenate", {"axis": 1}, ((2, 3, 4), (2, None, 4))))
@example(KS.KCase("Dot", {"axes": (1, 2)}, ((None, 3, 4), (None, 5, 3))))
def test_merge_shapes_match_the_reference(case):
    _compare(case)


@given(KS.merge_cases(loose=True))
@settings(max_examples=300)
@example(KS.KCase("Add", {}, ((None, 3, 4), (None, 3, 5))))
@example(KS.KCase("Subtract", {}, ((None, 3), (None, 3), (None, 3))))
@example(KS.KCase("Dot", {"axes": 0}, ((None, 3), (None, 3))))
def test_merge_refusals_match_the_reference(case):
    _compare(case)


@given(KS.depthwise_cases())
@settings(max_examples=300)
@example(KS.KCase("DepthwiseConv2D", {"kernel_size": 3, "padding": "same"}, ((None, 112, 112, 32),)))
@example(KS.KCase("SeparableConv2D", {"filters": 128, "kernel_size": 3}, ((None, 147, 147, 64),)))
def test_depthwise_and_separable_match_the_reference(case):
    _compare(case)


@given(KS.depthwise_cases(loose=True))
@settings(max_examples=300)
@example(KS.KCase("DepthwiseConv1D", {"kernel_size": 5}, ((None, 4, 3),)))
def test_depthwise_and_separable_refusals_match_the_reference(case):
    _compare(case)


@given(KS.reshaping_cases())
@settings(max_examples=400)
@example(KS.KCase("Cropping2D", {"cropping": ((1, 2), (3, 4))}, ((None, 20, 20, 3),)))
@example(KS.KCase("Reshape", {"target_shape": (-1, 4)}, ((None, 6, 2),)))
def test_reshaping_matches_the_reference(case):
    _compare(case)


@given(KS.reshaping_cases(loose=True))
@settings(max_examples=400)
@example(KS.KCase("Cropping1D", {"cropping": (2, 3)}, ((None, 5, 3),)))
@example(KS.KCase("Reshape", {"target_shape": (5,)}, ((None, 6),)))
def test_reshaping_refusals_match_the_reference(case):
    _compare(case)


@given(KS.elementwise_layer_cases())
@settings(max_examples=400)
@example(KS.KCase("PReLU", {"shared_axes": (1, 2)}, ((None, 28, 28, 64),)))
@example(KS.KCase("Normalization", {"axis": None}, ((None, 13),)))
@example(KS.KCase("PReLU", {"shared_axes": (0,)}, ((None, 3, 4),)))
def test_activations_scaling_and_global_pooling_match_the_reference(case):
    _compare(case)


@given(KS.elementwise_layer_cases(loose=True))
@settings(max_examples=400)
@example(KS.KCase("Normalization", {"axis": (1, -1)}, ((None, 3),)))
@example(KS.KCase("PReLU", {}, ((None, None, 4),)))
def test_activations_scaling_and_global_pooling_refusals_match_the_reference(case):
    _compare(case)


@given(KS.conv_lstm_cases())
@settings(max_examples=200)
@example(KS.KCase("ConvLSTM2D", {"filters": 32, "kernel_size": 3, "padding": "same"}, ((None, 10, 64, 64, 1),)))
def test_conv_lstm_matches_the_reference(case):
    _compare(case)


@given(KS.conv_lstm_cases(loose=True))
@settings(max_examples=200)
@example(KS.KCase("ConvLSTM1D", {"filters": 2, "kernel_size": 3}, ((None, 5, None, 3),)))
def test_conv_lstm_refusals_match_the_reference(case):
    _compare(case)


@given(KS.time_distributed_cases())
@settings(max_examples=300)
@example(KS.KCase("TimeDistributed", {"layer": {"type": "Dense", "units": 8}}, ((None, 10, 16),)))
def test_time_distributed_matches_the_reference(case):
    _compare(case)


@given(KS.time_distributed_cases(loose=True))
@settings(max_examples=300)
@example(KS.KCase("TimeDistributed", {"layer": {"type": "Dense", "units": 8}}, ((None, 16),)))
def test_time_distributed_refusals_match_the_reference(case):
    _compare(case)


@given(KS.transpose_and_group_norm_cases())
@settings(max_examples=300)
@example(KS.KCase("Conv2DTranspose", {"filters": 8, "kernel_size": 3, "strides": 2}, ((None, 9, 9, 4),)))
@example(KS.KCase("Conv1DTranspose", {"filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 1}, ((None, 5, 1),)))
def test_transposed_convolutions_group_norm_and_flatten_match_the_reference(case):
    _compare(case)


@given(KS.transpose_and_group_norm_cases(loose=True))
@settings(max_examples=300)
@example(KS.KCase("GroupNormalization", {"groups": 3}, ((None, 10, 8),)))
def test_transposed_convolutions_group_norm_and_flatten_refusals_match_the_reference(case):
    _compare(case)
