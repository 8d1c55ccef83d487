"""Activations with parameters: PReLU."""

from __future__ import annotations

from paramcalc.errors import SpecError


def prelu_params(*, num_parameters: int) -> int:
    """Parameters of ``nn.PReLU``.

    Formula: num_parameters (1: one slope shared by every channel; C: one slope per channel).
    """
    return num_parameters


def prelu_output_shape(*, input_shape: tuple[int, ...], num_parameters: int) -> tuple[int, ...]:
    """Output shape of ``nn.PReLU``: the input's.

    Formula: output = input. With more (or fewer) than one slope, the input's channels, dimension 1
    (a 1D input counts as one channel), must equal num_parameters, and a 0D input is refused.
    """
    x = tuple(input_shape)
    if num_parameters == 1:
        return x
    if not x:
        raise SpecError(f"PReLU: a 0D input has no channels for num_parameters={num_parameters} slopes")
    channels = x[1] if len(x) >= 2 else 1
    if channels != num_parameters:
        raise SpecError(
            f"PReLU: num_parameters must be 1 or the input's channels (dimension 1). "
            f"Received: num_parameters={num_parameters}, channels={channels}, input_shape={x}"
        )
    return x
