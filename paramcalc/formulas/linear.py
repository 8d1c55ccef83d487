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
