"""Immutable results: parameter counts and named tensors."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Literal

TensorKind = Literal["trainable", "non_trainable", "buffer"]


@dataclass(frozen=True, slots=True)
class Count:
    """A parameter count: ``total`` = ``trainable`` + ``non_trainable``; ``buffers`` are kept apart.

    PyTorch has no non-trainable parameters by default (BatchNorm's running statistics are buffers);
    Keras counts BatchNormalization's moving mean and variance as non-trainable parameters.
    """

    trainable: int
    non_trainable: int = 0
    buffers: int = 0

    @property
    def total(self) -> int:
        """Trainable plus non-trainable parameters (buffers excluded)."""
        return self.trainable + self.non_trainable

    def __add__(self, other: Count) -> Count:
        return Count(
            self.trainable + other.trainable,
            self.non_trainable + other.non_trainable,
            self.buffers + other.buffers,
        )

    def __mul__(self, times: int) -> Count:
        return Count(self.trainable * times, self.non_trainable * times, self.buffers * times)

    __rmul__ = __mul__

    def as_dict(self) -> dict[str, int]:
        """``{"total", "trainable", "non_trainable", "buffers"}`` as plain ints."""
        return {
            "total": self.total,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
            "buffers": self.buffers,
        }

    @classmethod
    def of_tensors(cls, tensors: list[Tensor]) -> Count:
        """Sum a list of tensors by kind."""
        sums = {"trainable": 0, "non_trainable": 0, "buffer": 0}
        for t in tensors:
            sums[t.kind] += t.numel
        return cls(sums["trainable"], sums["non_trainable"], sums["buffer"])


@dataclass(frozen=True, slots=True)
class Tensor:
    """One weight or buffer a framework creates: its name, shape, kind and what it is."""

    name: str
    shape: tuple[int, ...]
    kind: TensorKind = "trainable"
    description: str = ""

    @property
    def numel(self) -> int:
        """Number of values: the product of the shape (1 for a scalar)."""
        return prod(self.shape)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "shape": list(self.shape),
            "count": self.numel,
            "kind": self.kind,
            "description": self.description,
        }
