"""PixelShuffle and PixelUnshuffle: output shapes (no parameters)."""

from __future__ import annotations

from paramcalc.errors import SpecError


def pixel_shuffle_output_shape(*, input_shape: tuple[int, ...], upscale_factor: int) -> tuple[int, ...]:
    """Output shape of ``nn.PixelShuffle(r)``.

    Formula: (*, C·r², H, W) → (*, C, H·r, W·r); the input has at least 3 dimensions and its
    channels divide by r².
    """
    x, r = tuple(input_shape), upscale_factor
    if len(x) < 3:
        raise SpecError(f"PixelShuffle: the input needs at least 3 dimensions (*, C, H, W). Received: input_shape={x}")
    *lead, c, h, w = x
    if c % (r * r):
        raise SpecError(
            f"PixelShuffle: the channels must be divisible by upscale_factor² = {r * r}. "
            f"Received: channels={c}, upscale_factor={r}"
        )
    return (*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle_output_shape(*, input_shape: tuple[int, ...], downscale_factor: int) -> tuple[int, ...]:
    """Output shape of ``nn.PixelUnshuffle(r)``.

    Formula: (*, C, H·r, W·r) → (*, C·r², H, W); the input has at least 3 dimensions and r divides
    its height and width. An input without values comes back unchanged, as torch returns it.
    """
    x, r = tuple(input_shape), downscale_factor
    if len(x) < 3:
        raise SpecError(f"PixelUnshuffle: the input needs at least 3 dimensions (*, C, H, W). Received: input_shape={x}")
    *lead, c, h, w = x
    for name, size in (("height", h), ("width", w)):
        if size % r:
            raise SpecError(
                f"PixelUnshuffle: the {name} must be divisible by downscale_factor. "
                f"Received: {name}={size}, downscale_factor={r}"
            )
    values = 1
    for v in x:
        values *= v
    if values == 0:  # torch returns an input without values as it is
        return x
    return (*lead, c * r * r, h // r, w // r)
