"""All three conventions side by side, with a one-line reason for each difference from PyTorch's count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paramcalc.errors import ParamcalcError
from paramcalc.results import Count
from paramcalc.specs.working import CONVENTIONS
from paramcalc.specs import LayerSpec

_RECURRENT_TORCH = ("RNN", "LSTM", "GRU")
_RECURRENT_KERAS = ("keras.SimpleRNN", "keras.LSTM", "keras.GRU", "keras.Bidirectional")
_BATCHNORM = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "keras.BatchNormalization")
_ATTENTION = (
    "MultiheadAttention", "SelfAttention", "CausalSelfAttention", "keras.MultiHeadAttention", "keras.GroupQueryAttention",
)
_TRANSFORMER = ("TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder", "Transformer")
_FEED_FORWARD = ("FeedForward", "SwiGLU")


@dataclass(frozen=True, slots=True)
class ConventionRow:
    """One convention's count of a layer, or why it cannot be counted, and how it differs from PyTorch's."""

    convention: str
    count: Count | None
    error: str | None = None
    reason: str | None = None
    #: total − PyTorch's total, when both could be counted.
    difference: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON: params (or null), error, reason and difference."""
        return {
            "convention": self.convention,
            "params": None if self.count is None else self.count.as_dict(),
            "error": self.error,
            "reason": self.reason,
            "difference": self.difference,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """A layer counted under every convention: one row each, PyTorch's first."""

    layer: LayerSpec
    input_shape: Any
    rows: tuple[ConventionRow, ...]

    def row(self, convention: str) -> ConventionRow:
        """The row of one convention."""
        for r in self.rows:
            if r.convention == convention:
                return r
        raise KeyError(convention)

    @property
    def reasons(self) -> list[str]:
        """``"keras: one bias vector per gate (PyTorch has bias_ih and bias_hh): −512"``, one per difference."""
        return [f"{r.convention}: {r.reason}" for r in self.rows if r.reason]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the layer, the input shape and one entry per convention."""
        shape = self.input_shape
        if isinstance(shape, tuple):
            shape = [list(s) if isinstance(s, tuple) else s for s in shape]
        return {
            "layer": self.layer.spec_dict(),
            "input_shape": shape,
            "conventions": [r.as_dict() for r in self.rows],
        }

    def __str__(self) -> str:
        lines = [f"{self.layer}"]
        for r in self.rows:
            if r.count is None:
                lines.append(f"  {r.convention:<9} not countable: {r.error}")
                continue
            c = r.count
            split = f" (trainable {c.trainable:,}, non-trainable {c.non_trainable:,})" if c.non_trainable else ""
            lines.append(f"  {r.convention:<9} {c.total:>15,}{split}")
        lines += [f"  {line}" for line in self.reasons]
        return "\n".join(lines)


def _signed(n: int) -> str:
    return f"−{-n:,}" if n < 0 else f"+{n:,}"


def _gates(spec: LayerSpec) -> int:
    inner = getattr(spec, "layer", spec)
    return getattr(inner, "gates", 1)


def _explain(spec: LayerSpec, convention: str) -> str:
    """Why ``convention`` counts ``spec`` differently from PyTorch (the family's rule)."""
    kind = spec.type
    if convention == "keras":
        if spec.framework == "keras" and not spec.trainable:
            return "trainable=False: Keras counts every weight as non-trainable"
        if kind in _RECURRENT_TORCH or kind in _RECURRENT_KERAS:
            per = "one bias vector" if _gates(spec) == 1 else "one bias vector per gate"
            return f"{per} (PyTorch has bias_ih and bias_hh)"
        if kind in _BATCHNORM:
            if getattr(spec, "track_running_stats", True) is False:
                return ("BatchNormalization always keeps moving_mean and moving_variance, as non-trainable "
                        "parameters; this PyTorch layer (track_running_stats=False) has none")
            return ("BatchNormalization counts moving_mean and moving_variance as non-trainable parameters; "
                    "PyTorch keeps them as buffers")
        return "Keras's layer has other weights"
    if kind in _RECURRENT_TORCH or kind in _RECURRENT_KERAS:
        g = _gates(spec)
        rule = "H·(I+H) + H" if g == 1 else f"{g} × (H·(I+H) + H)"
        per = "one bias vector" if g == 1 else "one bias vector per gate"
        return f"{rule}, {per} (PyTorch has bias_ih and bias_hh)"
    if kind in _ATTENTION:
        return "Q, K, V and output projections without biases (4·d² when every size is d)"
    if kind in _TRANSFORMER:
        return "4·d² attention + 2·d·d_ff feed-forward per layer, no biases and no LayerNorm"
    if kind == "DecoderBlock":
        return "attention and feed-forward projections only, no biases and no normalisation layers"
    if kind in _FEED_FORWARD:
        return "feed-forward weight matrices without biases"
    return "the course formula counts other weights"


def _row(spec: LayerSpec, convention: str, input_shape: Any) -> ConventionRow:
    try:
        return ConventionRow(convention, spec.count(convention, input_shape=input_shape))  # type: ignore[arg-type]
    except ParamcalcError as exc:
        return ConventionRow(convention, None, error=str(exc))


def compare(layer: LayerSpec | dict[str, Any] | str, *, input_shape: Any = None) -> Comparison:
    """Count a layer under every convention, with a reason for each difference from PyTorch's count.

    Args:
        layer: a spec, a mapping or a constructor expression (PyTorch or Keras naming).
        input_shape: the input shape (a list of shapes for several inputs); Keras layers need it.

    Returns:
        A :class:`Comparison`; a convention that cannot count the layer has its error text instead.

    Raises:
        SpecError: the layer itself cannot be read.
    """
    from paramcalc.specs.parse import parse_layer

    spec = parse_layer(layer)
    rows = [_row(spec, c, input_shape) for c in CONVENTIONS]
    base = rows[0].count
    out = [rows[0]]
    for r in rows[1:]:
        if base is None or r.count is None:
            out.append(r)
            continue
        delta = r.count.total - base.total
        if (r.count.trainable, r.count.non_trainable) == (base.trainable, base.non_trainable):
            out.append(ConventionRow(r.convention, r.count, difference=0))
            continue
        reason = _explain(spec, r.convention) + (f": {_signed(delta)}" if delta else "")
        out.append(ConventionRow(r.convention, r.count, reason=reason, difference=delta))
    return Comparison(spec, input_shape, tuple(out))
