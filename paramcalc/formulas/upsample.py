"""Upsample (F.interpolate as a layer): which inputs a mode takes, and the output shape (no parameters)."""

from __future__ import annotations

from paramcalc.errors import SpecError

#: The input ranks each mode runs on: (N, C, L), (N, C, H, W), (N, C, D, H, W).
MODE_RANKS: dict[str, tuple[int, ...]] = {
    "nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "area": (3, 4, 5),
    "linear": (3,), "bilinear": (4,), "bicubic": (4,), "trilinear": (5,),
}
#: The modes that interpolate, the only ones that take align_corners.
INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def scaled_length(*, length: int, scale_factor: float) -> int:
    """One spatial dimension of ``Upsample(scale_factor=s)``.

    Formula: ⌊length · s⌋ (truncated toward zero). torch multiplies the int by the float in double
    precision and truncates the product, so this does the same: 49 · (1/49) is 0.999…, which gives 0.
    """
    return int(length * scale_factor)


def upsample_output_shape(
    *, input_shape: tuple[int, ...], size: int | tuple[int, ...] | None, scale_factor: float | tuple[float, ...] | None,
    mode: str, layer: str = "Upsample",
) -> tuple[int, ...]:
    """Output shape of ``nn.Upsample`` (and of ``F.interpolate`` with the same arguments).

    Formula: (N, C, *in) → (N, C, *out), out = size, or ⌊in · scale_factor⌋ per spatial dimension.
    The input is 3-D, 4-D or 5-D as the mode takes it (linear 3-D, bilinear and bicubic 4-D,
    trilinear 5-D, nearest, nearest-exact and area any); a tuple gives one value per spatial
    dimension. Every spatial input size must be >= 1, and every output size too (area: >= 0, its
    adaptive pooling takes an empty output); the channels must be >= 1, except for area on 3-D
    and 4-D inputs; the batch may be 0.
    """
    x = tuple(input_shape)
    ranks = MODE_RANKS[mode]
    if len(x) not in ranks:
        wanted = " or ".join(f"{r}-D" for r in ranks)
        raise SpecError(f"{layer}: mode {mode!r} takes a {wanted} input (N, C, *spatial). Received: input_shape={x}")
    spatial = x[2:]
    given = size if size is not None else scale_factor
    name = "size" if size is not None else "scale_factor"
    if isinstance(given, tuple) and len(given) != len(spatial):
        raise SpecError(
            f"{layer}: {name} must give one value per spatial dimension ({len(spatial)}). "
            f"Received: {name}={given!r}, input_shape={x}"
        )
    values = given if isinstance(given, tuple) else (given,) * len(spatial)
    if size is not None:
        out = tuple(int(v) for v in values)
    else:
        out = tuple(scaled_length(length=n, scale_factor=s) for n, s in zip(spatial, values))
    if min(spatial) < 1:
        raise SpecError(f"{layer}: every spatial size of the input must be >= 1. Received: input_shape={x}")
    least = 0 if mode == "area" else 1
    if min(out) < least:
        raise SpecError(
            f"{layer}: every output size must be >= {least}. Received: input_shape={x}, {name}={given!r} "
            f"(output sizes {out})"
        )
    if x[1] == 0 and (mode != "area" or len(x) == 5):
        raise SpecError(f"{layer}: the input must have channels (C >= 1). Received: input_shape={x}")
    return (*x[:2], *out)
