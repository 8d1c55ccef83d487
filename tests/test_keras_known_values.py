"""Known values for the Keras layer types, each derived by hand in the table (Keras's own
documentation examples where it gives them), and the library API on layers with several inputs."""

from __future__ import annotations

import pytest

from paramcalc import parse_layer
from paramcalc.errors import ShapeMismatchError, SpecError

# -- Merge layers: (expression, input shapes, output shape, why) ----------------------------------

MERGE_SHAPES = [
    ("layers.Add()", [(None, 32), (None, 32)], (None, 32), "same shapes: unchanged"),
    ("layers.Add()", [(None, 16, 16, 64)], (None, 16, 16, 64), "one input: itself"),
    ("layers.Multiply()", [(None, 7, 7, 64), (None, 1, 1, 64)], (None, 7, 7, 64),
     "squeeze-and-excitation: the (1, 1, 64) scale stretches over 7×7"),
    ("layers.Multiply()", [(None, 7, 7, 64), (None, 64)], (None, 7, 7, 64), "shorter input aligned on the right"),
    ("layers.Add()", [(None, 3, 1), (2, 1, 4)], (2, 3, 4), "1 stretches both ways; the known batch 2 wins"),
    ("layers.Subtract()", [(None, None, 8), (None, 5, 8)], (None, None, 8), "None and 5 give None, as Keras does"),
    ("layers.Average()", [(4, 10), (4, 10), (4, 10)], (4, 10), "three inputs"),
    ("layers.Maximum()", [(None, 0), (None, 1)], (None, 0), "a size 1 stretches to 0"),
    ("layers.Minimum()", [(None, 5), (None, 5)], (None, 5), "same shapes"),
    # Keras docs: Concatenate(axis=1) of (2, 2, 5) and (2, 1, 5) is (2, 3, 5)
    ("layers.Concatenate(axis=1)", [(2, 2, 5), (2, 1, 5)], (2, 3, 5), "2 + 1 rows"),
    ("layers.Concatenate()", [(None, 28, 28, 64), (None, 28, 28, 32)], (None, 28, 28, 96), "U-Net skip: 64 + 32"),
    ("layers.Concatenate()", [(None, 56, 56, 64)] + [(None, 56, 56, 32)] * 6, (None, 56, 56, 256),
     "DenseNet block of 6 layers, growth 32: 64 + 6·32 = 256"),
    ("layers.Concatenate()", [(None, 3, 4), (2, None, 5)], (None, 3, 9), "the other sizes are the first input's"),
    ("layers.Concatenate(axis=1)", [(None, None, 4), (None, 3, 4)], (None, None, 4), "an unknown length stays unknown"),
    ("layers.Concatenate(axis=0)", [(2, 3), (5, 3)], (7, 3), "along the batch: 2 + 5"),
    # Keras docs: Dot(axes=(1, 2)) of (1, 5, 2) and (1, 2, 5) is (1, 2, 2)
    ("layers.Dot(axes=(1, 2))", [(1, 5, 2), (1, 2, 5)], (1, 2, 2), "x keeps 2, y keeps 2"),
    ("layers.Dot(axes=1)", [(None, 64), (None, 64)], (None, 1), "cosine-style score: (batch, 1)"),
    ("layers.Dot(axes=(2, 2))", [(None, 10, 64), (None, 12, 64)], (None, 10, 12), "attention scores Q·Kᵀ"),
    ("layers.Dot(axes=-1)", [(None, 3, 4), (None, 5, 6, 4)], (None, 3, 5, 6), "x (3) then y (5, 6)"),
    ("layers.Dot(axes=1)", [(None, 3), (None, 3, 4)], (None, 4), "x has nothing left, y keeps 4"),
]


@pytest.mark.parametrize("expr, shapes, expected, why", MERGE_SHAPES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MERGE_SHAPES)])
def test_merge_output_shapes(expr, shapes, expected, why):
    spec = parse_layer(expr)
    assert spec.output_shape(*shapes) == expected, why
    assert spec.output_shape(shapes) == expected  # one list of shapes, in call order
    count = spec.count("keras", input_shape=shapes)
    assert (count.total, count.trainable, count.non_trainable) == (0, 0, 0)  # merges have no weights
    assert spec.param_tensors("keras", input_shape=shapes) == []


MERGE_ERRORS = [
    ("layers.Add()", [(None, 3), (None, 4)],
     "Add: the inputs must have broadcastable shapes (3 and 4 on axis -1). Received: input 0 (None, 3) and input 1 (None, 4)"),
    ("layers.Add()", [(2, 3), (3, 3)],
     "Add: the inputs must have the same batch size. Received: input 0 (2, 3) and input 1 (3, 3)"),
    ("layers.Subtract()", [(None, 3)] * 3, "Subtract: takes exactly 2 inputs. Received: 3 input shapes"),
    ("layers.Concatenate()", [(None, 3), (None, 3, 4)],
     "Concatenate: the inputs must have the same rank. Received: input 0 (None, 3) and input 1 (None, 3, 4)"),
    ("layers.Concatenate()", [(None, 28, 28, 64), (None, 27, 27, 32)],
     "Concatenate: the inputs must match on every axis but the concatenation axis -1 (axis 1: 28 and 27). "
     "Received: input 0 (None, 28, 28, 64) and input 1 (None, 27, 27, 32)"),
    ("layers.Concatenate(axis=3)", [(None, 3, 4), (None, 3, 4)], "Concatenate: axis 3 is out of range for 3-D inputs"),
    ("layers.Dot(axes=1)", [(None, 3), (None, 4)],
     "Dot: the contracted axes must have the same size (axis 1: 3, axis 1: 4). Received: input 0 (None, 3) and input 1 (None, 4)"),
    ("layers.Dot(axes=0)", [(None, 3), (None, 3)], "Dot: cannot take the dot product over the batch axis 0"),
    ("layers.Dot(axes=1)", [(None,), (None, 3)], "Dot: every input must be at least 2-D"),
    ("layers.Dot(axes=1)", [(None, 3)], "Dot: takes exactly 2 inputs. Received: 1 input shapes"),
    ("layers.Add()", [], "Add: the input shape is missing"),
]


@pytest.mark.parametrize("expr, shapes, message", MERGE_ERRORS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MERGE_ERRORS)])
def test_merge_refusals_name_the_rule_and_both_shapes(expr, shapes, message):
    with pytest.raises(SpecError) as info:
        parse_layer(expr).output_shape(*shapes)
    assert str(info.value).startswith(message)


def test_shape_mismatch_carries_the_inputs_for_callers_that_know_their_names():
    with pytest.raises(ShapeMismatchError) as info:
        parse_layer("layers.Multiply()").output_shape((None, 8, 8, 64), (None, 1, 1, 64), (None, 1, 1, 32))
    # the 64 of input 0 (not input 1's stretched 1) meets input 2's 32
    assert info.value.inputs == (0, 2)
    assert info.value.shapes == ((None, 8, 8, 64), (None, 1, 1, 32))


def test_merge_arguments():
    assert parse_layer("layers.Concatenate(1)").axis == 1
    assert parse_layer("layers.Dot([1, 2])").axes == (1, 2)
    assert parse_layer("layers.Dot(1, normalize=True)").normalize is True
    with pytest.raises(SpecError, match="axes"):
        parse_layer("layers.Dot((1, 2, 3))")
    with pytest.raises(SpecError):
        parse_layer("layers.Dot()")  # Keras: axes is required
    with pytest.raises(SpecError):
        parse_layer("layers.Add(1)")


def test_merge_compute():
    # Add of 3 inputs of (4, 10): 2 adds per output element, 2·40 = 80
    assert parse_layer("layers.Add()").compute((4, 10), (4, 10), (4, 10)).flops == 80
    # Average of 2: 1 add + 1 divide per element, 2·40 = 80
    assert parse_layer("layers.Average()").compute((4, 10), (4, 10)).flops == 80
    # Dot(axes=(2, 2)) of (2, 10, 64) and (2, 12, 64): 2·10·12 outputs × 64 MACs = 15,360 MACs
    assert parse_layer("layers.Dot(axes=(2, 2))").compute((2, 10, 64), (2, 12, 64)).macs == 15_360
    # an unknown batch is the other input's: Subtract of (None, 3) and (2, 3) = 6 subtractions
    assert parse_layer("layers.Subtract()").compute((None, 3), (2, 3)).flops == 6
