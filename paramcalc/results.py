"""Immutable results: parameter counts, named tensors, and the itemised compute of a forward pass."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from math import prod
from typing import Any, Literal

from paramcalc.formulas import compute as fc

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


# -- Compute: MACs and FLOPs, itemised --------------------------------------------------------

OpKind = Literal["mac", "bias", "norm", "activation", "softmax", "pool", "elementwise"]


#: How each kind of operation reads in a FLOPs breakdown.
KIND_LABELS: dict[str, str] = {
    "mac": "MACs",
    "bias": "bias adds",
    "norm": "normalisation",
    "activation": "activations",
    "softmax": "softmax",
    "pool": "pooling",
    "elementwise": "element-wise",
}


NON_MAC_KINDS = ("bias", "norm", "activation", "softmax", "pool", "elementwise")


@dataclass(frozen=True, slots=True)
class Op:
    """One counted operation of a forward pass: MACs (kind "mac") or FLOPs of another kind.

    ``formula`` is symbolic (``N·C_out·H_out·W_out·(C_in/groups)·kH·kW``) and ``working`` the
    same product with the numbers substituted; their value is ``count``.
    """

    name: str
    kind: OpKind
    count: int
    formula: str
    working: str

    @property
    def flops(self) -> int:
        """FLOPs of this item: 2 per MAC, 1 per other operation."""
        return 2 * self.count if self.kind == "mac" else self.count

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "count": self.count,
            "flops": self.flops,
            "formula": self.formula,
            "working": self.working,
        }


@dataclass(frozen=True, slots=True)
class Compute:
    """The forward-pass compute of a layer or model: itemised MACs and non-MAC FLOPs.

    ``macs`` sums the "mac" items; ``flops`` = 2 · macs + every other item. ``notes`` say what
    is left out or how it is counted (inference mode, dense causal attention).
    """

    ops: tuple[Op, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the forward pass."""
        return sum(op.count for op in self.ops if op.kind == "mac")

    @property
    def non_mac_flops(self) -> int:
        """FLOPs outside the products: bias adds, normalisation, activations, softmax, pooling, ..."""
        return sum(op.count for op in self.ops if op.kind != "mac")

    @property
    def flops(self) -> int:
        """FLOPs of the forward pass: 2 × MACs + the non-MAC operations."""
        return 2 * self.macs + self.non_mac_flops

    @property
    def training_flops(self) -> int:
        """Forward + backward ≈ 3 × forward FLOPs (a rule of thumb, not a count)."""
        return fc.training_flops(forward_flops=self.flops)

    def by_kind(self) -> dict[str, int]:
        """Non-MAC FLOPs per kind (only kinds that occur), in a fixed order."""
        sums = {kind: 0 for kind in NON_MAC_KINDS}
        for op in self.ops:
            if op.kind != "mac":
                sums[op.kind] += op.count
        return {kind: n for kind, n in sums.items() if n}

    def flops_working(self) -> str:
        """``2 × 20,480,000 MACs + 204,800 bias adds = 41,164,800``."""
        parts = [f"2 × {self.macs:,} MACs"]
        parts += [f"{n:,} {KIND_LABELS[kind]}" for kind, n in self.by_kind().items()]
        return f"{' + '.join(parts)} = {self.flops:,}"

    def __add__(self, other: Compute) -> Compute:
        notes = self.notes + tuple(n for n in other.notes if n not in self.notes)
        return Compute(self.ops + other.ops, notes)

    def prefixed(self, prefix: str) -> Compute:
        """The same items, their names prefixed (``self_attn`` + ``Q projection``)."""
        return Compute(tuple(replace(op, name=f"{prefix} {op.name}") for op in self.ops), self.notes)

    def times(self, n: int, symbol: str) -> Compute:
        """Everything repeated ``n`` times (a stack of layers): each formula gains ``symbol·``."""
        return Compute(
            tuple(
                replace(op, count=n * op.count, formula=f"{symbol}·{op.formula}", working=f"{n}·{op.working}")
                for op in self.ops
            ),
            self.notes,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``: totals, the non-MAC FLOPs by kind, every item and the notes."""
        return {
            "macs": self.macs,
            "flops": self.flops,
            "non_mac_flops": self.by_kind(),
            "training_flops_estimate": self.training_flops,
            "ops": [op.as_dict() for op in self.ops],
            "notes": list(self.notes),
        }


def total(computes: Iterable[Compute]) -> Compute:
    """Several computes (the layers of a model) as one."""
    out = Compute()
    for c in computes:
        out = out + c
    return out
