"""A summary from named tensors (a checkpoint's header): the module tree their dotted names imply.

``model.layers.3.mlp.up_proj.weight`` is the tensor ``weight`` of the module ``model.layers.3.mlp.up_proj``.
Numbered siblings holding the same tensors (``layers.0`` … ``layers.31``) are shown once, as
``print(model)`` shows ``(0-31): 32 x``, and their rows count every copy, so the rows still add up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from paramcalc.errors import ModelError
from paramcalc.models.summary import Row, Summary
from paramcalc.results import Count

#: Most tensors one header may list.
MAX_TENSORS = 200_000

#: Tensor names PyTorch saves for buffers, not parameters (BatchNorm's running statistics).
BUFFER_NAMES = ("running_mean", "running_var", "num_batches_tracked")


@dataclass(frozen=True, slots=True)
class StoredTensor:
    """One tensor of a header: its name, type, shape, number of values and bytes on disk."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    numel: int
    nbytes: int

    @property
    def is_buffer(self) -> bool:
        """Whether the name is one PyTorch gives a buffer (counted apart from parameters)."""
        return self.name.rsplit(".", 1)[-1] in BUFFER_NAMES


def natural_key(name: str) -> list[Any]:
    """Sort key that puts ``layers.2`` before ``layers.10``."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name)]


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    tensor: StoredTensor | None = None
    _signature: tuple[Any, ...] | None = None

    def signature(self) -> tuple[Any, ...]:
        """What the subtree holds, by relative name, type and shape (equal subtrees fold)."""
        if self._signature is None:
            own = () if self.tensor is None else ((self.tensor.dtype, self.tensor.shape),)
            self._signature = own + tuple((k, c.signature()) for k, c in self.children.items())
        return self._signature


def _tree(tensors: list[StoredTensor]) -> _Node:
    root = _Node()
    for t in tensors:
        node = root
        for part in t.name.split("."):
            node = node.children.setdefault(part, _Node())
        if node.tensor is not None:
            raise ModelError(f"the tensor {t.name!r} is listed twice")
        node.tensor = t
    return root


def _runs(keys: list[str], node: _Node) -> list[tuple[str, list[str]]]:
    """The children's keys with runs of consecutive numbers holding the same tensors grouped."""
    out: list[tuple[str, list[str]]] = []
    for key in keys:
        if out and key.isdigit() and out[-1][1][-1].isdigit():
            last = out[-1][1]
            if int(key) == int(last[-1]) + 1 and node.children[key].signature() == node.children[last[0]].signature():
                last.append(key)
                continue
        out.append((key, [key]))
    return [(k if len(g) == 1 else f"{g[0]}-{g[-1]}", g) for k, g in out]


def _count(t: StoredTensor) -> Count:
    return Count(0, buffers=t.numel) if t.is_buffer else Count(t.numel)


def _emit(node: _Node, name: str, path: str, depth: int, times: int, rows: list[Row]) -> Count:
    if node.tensor is not None and not node.children:
        t = node.tensor
        shape = "(" + ", ".join(map(str, t.shape)) + ("," if len(t.shape) == 1 else "") + ")"
        count = _count(t) * times
        rows.append(Row(path=path, name=name, type=f"{t.dtype} {shape}", depth=depth, output_shape=None,
                        count=count, repeat=times, leaf=True, note=f"{t.nbytes:,} bytes"))
        return count
    index = len(rows)
    rows.append(Row(path=path, name=name, type="module", depth=depth, output_shape=None, count=Count(0),
                    repeat=times, leaf=False))
    total = Count(0)
    if node.tensor is not None:  # a tensor named like a module that has children
        total = total + _emit(_Node(tensor=node.tensor), "(itself)", f"{path}.(itself)", depth + 1, times, rows)
    for label, group in _runs(list(node.children), node):
        child = node.children[group[0]]
        total = total + _emit(child, label, f"{path}.{label}", depth + 1, times * len(group), rows)
    rows[index] = replace(rows[index], count=total)
    return total


def tensor_rows(tensors: list[StoredTensor]) -> tuple[list[Row], Count]:
    """The rows of the module tree the names imply, and the totals (buffers apart).

    Raises:
        ModelError: a name given twice, or more than MAX_TENSORS tensors.
    """
    if len(tensors) > MAX_TENSORS:
        raise ModelError(f"more than {MAX_TENSORS:,} tensors in one header")
    root = _tree(tensors)
    rows: list[Row] = []
    total = Count(0)
    for label, group in _runs(list(root.children), root):
        total = total + _emit(root.children[group[0]], label, label, 1, len(group), rows)
    return rows, total


def by_dtype(tensors: list[StoredTensor]) -> dict[str, dict[str, int]]:
    """Values and bytes per data type, in the order the types first appear."""
    out: dict[str, dict[str, int]] = {}
    for t in tensors:
        entry = out.setdefault(t.dtype, {"tensors": 0, "values": 0, "bytes": 0})
        entry["tensors"] += 1
        entry["values"] += t.numel
        entry["bytes"] += t.nbytes
    return out


def dtype_facts(table: dict[str, dict[str, int]]) -> list[str]:
    """``BF16: 291 tensors, 6,738,415,616 values, 13,476,831,232 bytes (16 bits a value)`` per type."""
    def bits(v: dict[str, int]) -> str:
        if not v["values"]:
            return ""
        hundredths = (v["bytes"] * 800 + v["values"] // 2) // v["values"]
        text = f"{hundredths // 100}" if hundredths % 100 == 0 else f"{hundredths // 100}.{hundredths % 100:02d}"
        return f" ({text} bits a value)"

    return [f"{dtype}: {v['tensors']:,} tensors, {v['values']:,} values, {v['bytes']:,} bytes{bits(v)}"
            for dtype, v in table.items()]


def checkpoint_summary(name: str, tensors: list[StoredTensor], *, fmt: str, description: str,
                       facts: list[str], source: dict[str, Any], notes: list[str]) -> Summary:
    """The summary of a checkpoint's tensors: rows, totals, bytes by type, and what was read."""
    rows, total = tensor_rows(tensors)
    table = by_dtype(tensors)
    stored = sum(t.nbytes for t in tensors)
    facts = [*facts, *dtype_facts(table), f"Tensor data: {stored:,} bytes (the memory to load the weights as stored)"]
    notes = [*notes, "a checkpoint stores tensors, not which are trainable: every tensor except BatchNorm's "
             "running statistics (buffers) is counted as a trainable parameter; weights tied in the model "
             "are stored once and counted once"]
    source = {"format": fmt, **source, "tensors": len(tensors), "by_dtype": table, "tensor_bytes": stored}
    return Summary(name=name, convention="pytorch", input_shapes={}, output_shape=None, rows=tuple(rows),
                   totals=total, notes=tuple(notes), description=description, facts=tuple(facts), source=source)
