"""Immutable results: parameter counts, named tensors, and the itemised compute of a forward pass."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from math import prod
from typing import Any, Literal

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


# -- Runs of tensors: stacked layers shown once ------------------------------------------------

#: Fewest consecutive layers with the same tensors that a table shows as one run.
MIN_RUN = 3
#: Most tensors in one layer of a run (a Transformer decoder layer has 18).
MAX_RUN_BLOCK = 128
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class TensorRow:
    """One row of a tensor table: a tensor, or ``repeat`` tensors that differ only by a layer index.

    ``encoder.layers.0-999.self_attn.in_proj_weight`` with ``repeat=1000`` stands for the 1,000
    tensors ``encoder.layers.0.self_attn.in_proj_weight`` ... ``encoder.layers.999...``, each of ``shape``.
    """

    name: str
    shape: tuple[int, ...]
    kind: TensorKind = "trainable"
    description: str = ""
    repeat: int = 1

    @property
    def numel(self) -> int:
        """Values in one of the tensors: the product of the shape."""
        return prod(self.shape)

    @property
    def total(self) -> int:
        """Values in all the tensors of the row: ``repeat × numel``."""
        return self.repeat * self.numel


def _layer_positions(tokens: list[str]) -> tuple[int, ...]:
    """Where a name split on its digits holds a layer index: after ``layers.``, ``layer``, ``_l``
    (``weight_ih_l3``) or a Keras suffix ``_3/``; never ``norm1`` or ``linear2``."""
    out = []
    for p in range(1, len(tokens), 2):
        before, after = tokens[p - 1], tokens[p + 1]
        if before.endswith(("layers.", "layer", "_l")) or (before.endswith("_") and after.startswith("/")):
            out.append(p)
    return tuple(out)


def _layer_words(description: str, index: str) -> str:
    return re.sub(rf"\blayer {index}\b", "layer #", description)


class _Split:
    __slots__ = ("tensor", "tokens", "positions")

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = tensor
        self.tokens = _DIGITS.split(tensor.name)
        self.positions = _layer_positions(self.tokens)


def _same_but_index(a: _Split, b: _Split, p: int, step: int) -> bool:
    """b is a's tensor ``step`` layers further on: same name but for index p, same shape, kind, words."""
    ta, tb = a.tensor, b.tensor
    if ta.shape != tb.shape or ta.kind != tb.kind or len(a.tokens) != len(b.tokens) or p not in b.positions:
        return False
    if int(b.tokens[p]) != int(a.tokens[p]) + step:
        return False
    if a.tokens[:p] != b.tokens[:p] or a.tokens[p + 1:] != b.tokens[p + 1:]:
        return False
    return ta.description == tb.description or (
        _layer_words(ta.description, a.tokens[p]) == _layer_words(tb.description, b.tokens[p]))


def _run_at(split: list[_Split], s: int, min_run: int) -> tuple[int, list[int]] | None:
    """The shortest layer (m tensors, and where each holds its index) repeated min_run times from s.

    A layer's tensors all hold the same index, so a run starts and ends on a layer's bounds.
    """
    first = split[s]
    if not first.positions:
        return None
    for m in range(1, min(MAX_RUN_BLOCK, (len(split) - s) // min_run) + 1):
        if not any(_same_but_index(first, split[s + m], p, 1) for p in first.positions):
            continue
        positions = []
        for j in range(m):
            a = split[s + j]
            fits = [p for p in a.positions
                    if all(_same_but_index(a, split[s + i * m + j], p, i) for i in range(1, min_run))]
            if not fits:
                break
            positions.append(fits[0])
        else:
            if len({split[s + j].tokens[p] for j, p in enumerate(positions)}) == 1:  # one whole layer
                return m, positions
    return None


def collapse_tensors(tensors: Iterable[Tensor], min_run: int = MIN_RUN) -> tuple[TensorRow, ...]:
    """Tensors as table rows, with runs of ``min_run`` or more stacked layers that hold the same
    tensors (equal shapes, names differing only by the layer index) shown as one row per tensor.

    ``weight_hh_l1`` ... ``weight_hh_l4`` (each (80, 20)) become ``weight_hh_l1-4`` with
    ``repeat=4``. Rows keep the tensors' order; ``sum(row.repeat)`` is the number of tensors and
    ``sum(row.total)`` their number of values. Tensors that do not repeat are rows of their own.
    """
    split = [_Split(t) for t in tensors]
    rows: list[TensorRow] = []
    s = 0
    while s < len(split):
        found = _run_at(split, s, min_run)
        if found is None:
            t = split[s].tensor
            rows.append(TensorRow(t.name, t.shape, t.kind, t.description))
            s += 1
            continue
        m, positions = found
        k = min_run
        while s + (k + 1) * m <= len(split) and all(
                _same_but_index(split[s + j], split[s + k * m + j], positions[j], k) for j in range(m)):
            k += 1
        for j, p in enumerate(positions):
            a = split[s + j]
            first = a.tokens[p]
            last = str(int(first) + k - 1)
            name = "".join(f"{first}-{last}" if i == p else tok for i, tok in enumerate(a.tokens))
            words = re.sub(rf"\blayer {first}\b", f"layers {first}-{last}", a.tensor.description)
            rows.append(TensorRow(name, a.tensor.shape, a.tensor.kind, words, k))
        s += k * m
    return tuple(rows)


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
        """Forward + backward ≈ 3 × forward FLOPs (a rule of thumb, not a count): the backward pass
        computes gradients for both the inputs and the weights of every product, each as dear as the
        forward product."""
        return 3 * self.flops

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
