"""Fully connected (Linear / Dense) layers."""

from __future__ import annotations

from paramcalc.errors import SpecError


def linear_params(*, in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a fully connected layer.

    Formula: in_features · out_features + (out_features if bias else 0).
    """
    return in_features * out_features + (out_features if bias else 0)


def linear_output_shape(
    *, input_shape: tuple[int, ...], in_features: int, out_features: int, layer: str = "Linear"
) -> tuple[int, ...]:
    """Output shape of a fully connected layer.

    Formula: (*, in_features) → (*, out_features).
    """
    if len(input_shape) < 1:
        raise SpecError(f"{layer}: input must have at least 1 dimension. Received: input_shape=()")
    if input_shape[-1] != in_features:
        raise SpecError(
            f"{layer}: expected input with last dimension in_features={in_features}, "
            f"got {input_shape[-1]}. Received: input_shape={tuple(input_shape)}"
        )
    return (*input_shape[:-1], out_features)


def bilinear_params(*, in1_features: int, in2_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of ``nn.Bilinear``: y = x₁ᵀ·A·x₂ + b, one I1 × I2 matrix per output feature.

    Formula: O·I1·I2 + O (bias).
    """
    return out_features * in1_features * in2_features + (out_features if bias else 0)


def bilinear_output_shape(
    *, input1_shape: tuple[int, ...], input2_shape: tuple[int, ...], in1_features: int, in2_features: int,
    out_features: int,
) -> tuple[int, ...]:
    """Output shape of ``nn.Bilinear`` on two inputs.

    Formula: (*, I1) and (*, I2) → (*, O): both inputs have the same rank (at least 1) and the same
    leading dimensions.
    """
    a, b = tuple(input1_shape), tuple(input2_shape)
    if not a or len(a) != len(b):
        raise SpecError(
            f"Bilinear: the two inputs must have the same number of dimensions, at least 1. "
            f"Received: input1_shape={a}, input2_shape={b}"
        )
    if a[:-1] != b[:-1]:
        raise SpecError(
            f"Bilinear: the two inputs must have the same leading (batch) dimensions. "
            f"Received: input1_shape={a}, input2_shape={b}"
        )
    if a[-1] != in1_features or b[-1] != in2_features:
        raise SpecError(
            f"Bilinear: the inputs' last dimensions must be in1_features and in2_features. Received: "
            f"in1_features={in1_features}, in2_features={in2_features}, input1_shape={a}, input2_shape={b}"
        )
    return (*a[:-1], out_features)
