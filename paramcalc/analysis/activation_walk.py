"""Activation memory of a whole model: each layer's saved tensors (:mod:`paramcalc.analysis.activations`)
summed over the model as its file arranges them.

A tensor one layer keeps as its output and the next keeps as its input counts once; the first
repeat of a block takes the block's input and later repeats its own output; a residual block's
output is a new tensor (the sum); parallel branches share their input. Full checkpointing keeps
the input of every repeat of a repeated block, plus one repeat's activations recomputed at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from paramcalc.analysis.activations import Settings, elements as _n, layer_saved


@dataclass(frozen=True, slots=True)
class Activations:
    """Bytes autograd keeps over a whole model, by layer type, and the layer types estimated by their output."""

    total: int
    by_type: tuple[tuple[str, int, int], ...]  # (type, instances, bytes)
    uncovered: tuple[str, ...] = ()
    checkpointed: tuple[int, int] | None = None  # (blocks kept as inputs, bytes of one recomputed block)


def _key(path: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", path)


class _Walk:
    def __init__(self, rows: list[Any], s: Settings) -> None:
        from paramcalc.specs.parse import parse_layer

        self.s = s
        self.by_key: dict[str, list[Any]] = {}
        for row in rows:
            if row.leaf and row.layer is not None:
                self.by_key.setdefault(_key(row.path), []).append(row)
        self.parse = parse_layer
        self.by_type: dict[str, list[int]] = {}
        self.uncovered: set[str] = set()
        self.checkpoint: tuple[int, int] | None = None

    def leaf(self, key: str, flag: bool, scale: int = 1) -> tuple[int, bool]:
        total, out_flag = 0, flag
        for row in self.by_key.get(key, []):
            spec = self.parse(row.layer)
            saved, covered = layer_saved(spec, row.input_shapes or (row.input_shape,), row.output_shape, self.s)
            if not covered:
                self.uncovered.add(spec.name)
            e = self.s.dtype_bytes
            inner = saved.kept(self.s)
            one = inner + (_n(row.output_shape) * e if saved.output and not (saved.passthrough and flag) else 0)
            if saved.input and not flag:
                one += _n(row.input_shape) * e
            n = row.repeat * scale
            entry = self.by_type.setdefault(spec.name, [0, 0])
            entry[0] += n
            entry[1] += one * n
            total += one * n
            out_flag = flag if saved.passthrough and not saved.output else saved.output
        return total, out_flag

    def sequence(self, nodes: list[Any], prefix: str, flag: bool, start: int = 0, scale: int = 1) -> tuple[int, bool]:
        total = 0
        for i, node in enumerate(nodes, start):
            part, flag = self.node(node, prefix, i, flag, scale)
            total += part
        return total, flag

    def node(self, node: Any, prefix: str, index: int, flag: bool, scale: int) -> tuple[int, bool]:
        from paramcalc.models.nodes import BlockNode, Entry, ParallelNode

        name = (node.name if isinstance(node, Entry) else None) or str(index)
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(node, Entry) and node.input is not None:
            flag = False
        if isinstance(node, BlockNode):
            return self.block(node, key, flag, scale)
        if isinstance(node, ParallelNode):
            total = 0
            for i, branch in enumerate(node.parallel):
                part, _ = self.node(branch, key, i, flag, scale)
                total += part
            return total, False
        return self.leaf(key, flag, scale)

    def body(self, node: Any, key: str, flag: bool, scale: int) -> tuple[int, bool]:
        total, out = self.sequence(node.layers, key, flag, scale=scale)
        if node.shortcut is None:
            return total, out
        if isinstance(node.shortcut, list):
            part, _ = self.sequence(node.shortcut, key, flag, start=len(node.layers), scale=scale)
            total += part
        if node.after:
            start = len(node.layers) + (len(node.shortcut) if isinstance(node.shortcut, list) else 0)
            part, out = self.sequence(node.after, key, False, start=start, scale=scale)
            return total + part, out
        return total, False

    def block(self, node: Any, key: str, flag: bool, scale: int) -> tuple[int, bool]:
        if node.repeat > 1 and self.s.checkpointing == "full" and scale == 1:
            return self.checkpointed(node, key, flag)
        if node.repeat == 1:
            return self.body(node, key, flag, scale)
        # the first repeat takes the block's input; later ones the block's own output, which its
        # last layer may already keep: rows stand for every repeat, so the two are averaged
        start = self._snapshot()
        _, end = self.body(node, key, False, scale)
        self.by_type = self._copy(start)
        if end == flag:
            return self.body(node, key, flag, scale)
        first, out = self.body(node, key, flag, scale)
        after_first = self._copy(self.by_type)
        self.by_type = self._copy(start)
        later, _ = self.body(node, key, end, scale)
        r = node.repeat
        for name in set(after_first) | set(self.by_type):
            base = start.get(name, [0, 0])
            a = after_first.get(name, base)
            b = self.by_type.get(name, base)
            self.by_type[name] = [a[0], base[1] + ((a[1] - base[1]) + (r - 1) * (b[1] - base[1])) // r]
        return (first + (r - 1) * later) // r, out

    @staticmethod
    def _copy(by_type: dict[str, list[int]]) -> dict[str, list[int]]:
        return {k: list(v) for k, v in by_type.items()}

    def _snapshot(self) -> dict[str, list[int]]:
        return self._copy(self.by_type)

    def checkpointed(self, node: Any, key: str, flag: bool) -> tuple[int, bool]:
        rows = [r for k, rs in self.by_key.items() if k == key or k.startswith(key + ".") for r in rs]
        first = next(iter(rows), None)
        x = first.input_shape if first is not None else None
        kept = node.repeat * _n(x) * self.s.dtype_bytes
        before = {k: list(v) for k, v in self.by_type.items()}
        inner = replace(self.s, checkpointing="none")
        walk = _Walk([], inner)
        walk.by_key, walk.parse = self.by_key, self.parse
        # one repetition's activations, recomputed in the backward pass
        whole, _ = walk.body(node, key, False, 1)
        one = whole // node.repeat if all(r.repeat % node.repeat == 0 for r in rows) else whole
        self.by_type = before
        self.by_type["checkpointed block inputs"] = [node.repeat, kept]
        self.by_type["one block recomputed in backward"] = [1, one]
        self.checkpoint = (node.repeat, one)
        return kept + one, False


def model_activations(model: Any, rows: list[Any], s: Settings) -> Activations:
    """The bytes autograd keeps for a model's backward pass, from its evaluated summary rows."""
    walk = _Walk(rows, s)
    total, _ = walk.sequence(list(model.layers), "", False)
    by_type = tuple(sorted(((t, n, b) for t, (n, b) in walk.by_type.items() if b), key=lambda r: -r[2]))
    return Activations(total, by_type, tuple(sorted(walk.uncovered)), walk.checkpoint)


def activation_formula(acts: Activations, s: Settings, dtype: str) -> str:
    """The activation line's working: each layer type's instances and bytes, and the sizes used."""
    parts = [f"{n:,} {name} {b:,}" for name, n, b in acts.by_type]
    mask = "1 byte (GPU)" if s.device == "cuda" else f"{s.mask_bytes} bytes (CPU)"
    how = f"{s.attention} attention, dropout {'on' if s.dropout else 'off'}, masks {mask}"
    if s.checkpointing != "none":
        how += f", {s.checkpointing} checkpointing"
    return f"{' + '.join(parts) or '0'} ({dtype}, {s.dtype_bytes} bytes; {how})"


