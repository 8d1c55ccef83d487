"""What a layer expects of its input, for the message when a model feeds it something else."""

from __future__ import annotations

from paramcalc.errors import SpecError
from paramcalc.specs import LayerSpec

Shape = tuple[int, ...]


def expected_input(spec: LayerSpec) -> str | None:
    """The input a layer's declared size expects, as messages show it: ``(*, 512)``, ``(N, 64, *, *)``."""
    field = spec.infer_field
    value = getattr(spec, field, None) if field else None
    if value is None:
        return None
    nd = getattr(spec, "nd", None)
    if isinstance(value, tuple):
        return f"(*, {', '.join(map(str, value))})"
    if field in ("in_channels", "num_features"):
        spatial = ", ".join(["*"] * nd) if nd else "*"
        return f"(N, {value}, {spatial})"
    return f"(*, {value})"


def mismatch(spec: LayerSpec, shape: Shape) -> bool:
    """Whether the input's size differs from the layer's declared input size."""
    field = spec.infer_field
    if not field or getattr(spec, field, None) is None:
        return False
    try:
        values = {k: v for k, v in spec if k != "type"}
        values[field] = None
        inferred = type(spec)(**values).resolve(shape)
    except (SpecError, TypeError):
        return False
    return getattr(inferred, field) != getattr(spec, field)
