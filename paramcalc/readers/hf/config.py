"""A Hugging Face ``config.json`` as typed values: each read with its family's default when absent,
checked to be what transformers accepts (positive sizes, booleans), one error naming the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paramcalc.errors import ModelError, short_repr
from paramcalc.limits import MAX_SIZE


@dataclass
class Config:
    """The config's data, and which defaults were used (for the summary's notes)."""

    data: dict[str, Any]
    defaults_used: list[str] = field(default_factory=list)

    def raw(self, key: str, default: Any) -> Any:
        if key in self.data and self.data[key] is not None:
            return self.data[key]
        if default is not None:
            self.defaults_used.append(f"{key}={default}")
        return default

    def int(self, key: str, default: int | None = None, *, minimum: int = 1) -> int:
        """A size: an integer from ``minimum`` to MAX_SIZE."""
        value = self.raw(key, default)
        if value is None:
            raise ModelError(f"config.json: {key} is needed")
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_SIZE:
            raise ModelError(f"config.json: {key} must be an integer from {minimum} to {MAX_SIZE:,}. "
                             f"Received: {short_repr(value)}")
        return value

    def optional_int(self, key: str) -> int | None:
        """A size that may be absent or null."""
        return self.int(key) if self.data.get(key) is not None else None

    def bool(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise ModelError(f"config.json: {key} must be true or false. Received: {short_repr(value)}")
        return value

    def str(self, key: str, default: str) -> str:
        value = self.raw(key, default)
        if not isinstance(value, str):
            raise ModelError(f"config.json: {key} must be a string. Received: {short_repr(value)}")
        return value

    def eps(self, key: str, default: float) -> float:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ModelError(f"config.json: {key} must be a number between 0 and 1. Received: {short_repr(value)}")
        return float(value)

    def num_labels(self) -> int:
        """Classes of a classification head: ``id2label``'s size, else ``num_labels``, else 2."""
        labels = self.data.get("id2label")
        if isinstance(labels, dict) and labels:
            return len(labels)
        return self.int("num_labels", 2)


@dataclass
class Built:
    """What a family builder gives: the model file's layers and inputs, and what the summary adds."""

    layers: list[Any]
    inputs: dict[str, list[int]]
    tied: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    #: parameters not used for one token (a mixture of experts' unused experts), for "active" counts
    inactive: int = 0


def layer(name: str, expression: str, **options: Any) -> dict[str, Any]:
    """A named layer entry of a model file."""
    return {"name": name, "layer": expression, **options}


def block(name: str, layers: list[Any], **options: Any) -> dict[str, Any]:
    """A named block entry of a model file."""
    return {"name": name, "layers": layers, **options}
