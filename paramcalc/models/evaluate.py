"""Evaluating a model: shapes propagated entry by entry, every layer counted, the summary's rows collected.

Repeated entries that keep their input's shape are evaluated once and their rows stand for every
repeat, so a 96-layer model costs little more than a 1-layer one. The model comes from
:mod:`paramcalc.models.format` (any object with its ``layers``, ``input_shapes()``, ``name``,
``description`` and ``reference`` will do); the result is a :class:`~paramcalc.models.summary.Summary`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from paramcalc.errors import ModelError, SpecError, short_repr
from paramcalc.limits import MAX_BLOCK_NESTING as MAX_NESTING
from paramcalc.limits import MAX_ROWS
from paramcalc.models.expected import expected_input, mismatch
from paramcalc.models.merges import broadcast as _broadcast
from paramcalc.models.merges import merge_shapes
from paramcalc.models.nodes import MERGES, BlockNode, Entry, LayerNode, MergeNode, ParallelNode, SharedNode, shown
from paramcalc.models.summary import Row, Summary
from paramcalc.results import Count
from paramcalc.specs import LayerSpec

Shape = tuple[int, ...]
#: A model, as evaluation reads it (a :class:`paramcalc.models.format.Model`).
Model = Any



@dataclass
class _LayerInfo:
    path: str
    spec: LayerSpec
    input_shapes: tuple[Shape | None, ...]


@dataclass
class _Ctx:
    depth: int
    trainable: bool


def _native(spec: LayerSpec) -> str:
    """The convention that names a spec's tensors as its framework does."""
    return "keras" if getattr(spec, "framework", "pytorch") == "keras" else "pytorch"


class _Evaluator:
    def __init__(self, model: Model, convention: str, inputs: dict[str, Shape | None],
                 max_rows: int | None = MAX_ROWS) -> None:
        self.model = model
        self.max_rows = max_rows
        self.convention = convention
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.divisions: list[str] = []
        self.layers: dict[str, _LayerInfo] = {}
        self.collapsed: dict[str, tuple[int, int]] = {}
        self.scopes: list[dict[str, tuple[str, Shape | None]]] = [{k: (k, v) for k, v in inputs.items()}]
        self.outputs: dict[str, Shape | None] = dict(inputs)
        #: the axis ``concat`` joins along when none is given: channels (N, C, ...) or channels last
        self.channel_axis = -1 if getattr(model, "framework", None) == "keras" else 1

    # -- names ---------------------------------------------------------------------------------
    def _canonical(self, path: str) -> str:
        """Map an index inside a collapsed repeat (layers[5]) to the evaluated one (layers[0-31])."""
        for block, (first, last) in sorted(self.collapsed.items(), key=lambda item: len(item[0])):
            pattern = re.escape(block) + r"\[(\d+)(?:-\d+)?\]"
            m = re.match(pattern, path)
            if m and first <= int(m.group(1)) <= last:
                path = f"{block}[{first}-{last}]{path[m.end():]}" if last > first else f"{block}[{first}]{path[m.end():]}"
        return path

    def _find(self, ref: str, where: str, what: str) -> tuple[str, Shape | None]:
        for scope in reversed(self.scopes):
            if ref in scope:
                return scope[ref]
        path = self._canonical(ref)
        if path in self.outputs:
            return path, self.outputs[path]
        raise ModelError(
            f"{shown(where)}: {what} {ref!r} is not an input or an earlier layer or block "
            f"(refer to one by name, or by path such as encoder.layers[0].linear1)"
        )

    def _find_layer(self, ref: str, where: str, what: str) -> _LayerInfo:
        path, _ = self._find(ref, where, what)
        info = self.layers.get(path)
        if info is None:
            raise ModelError(f"{shown(where)}: {what} {ref!r} must be a layer, not a block or an input")
        return info

    # -- rows ----------------------------------------------------------------------------------
    def _count(self, count: Count, ctx: _Ctx) -> Count:
        if not ctx.trainable:
            count = Count(0, count.total, count.buffers)
        return count

    def _layer_error(self, path: str, spec: LayerSpec, shapes: tuple[Shape | None, ...], exc: Exception) -> ModelError:
        message = str(exc)
        shape = shapes[0]
        if shape is not None and mismatch(spec, shape):
            field = spec.infer_field
            return ModelError(
                f"{shown(path)} ({spec.name}): expects input {expected_input(spec)} "
                f"({field}={getattr(spec, field)!r}), receives {shape}"
            )
        return ModelError(f"{shown(path)}: {message}")

    def layer(self, spec: LayerSpec, node: LayerNode | None, name: str, path: str,
              shapes: tuple[Shape | None, ...], ctx: _Ctx) -> tuple[Shape | None, Count]:
        x = shapes[0]
        inferred: dict[str, Any] = {}
        unknown = next((s for s in shapes if s is not None and None in s), None)
        if unknown is not None and _native(spec) != "keras":
            raise ModelError(
                f"{shown(path)} ({spec.name}): a PyTorch layer needs every size; its input {unknown} has one not "
                f"known yet (None, which only Keras layers accept)"
            )
        try:
            if x is None:
                if not spec.is_resolved():
                    raise ModelError(
                        f"{shown(path)}: {spec.name}.{spec.infer_field} is not set and the input shape is unknown; "
                        f"give {spec.infer_field}, or an input shape"
                    )
                resolved, out = spec, None
            else:
                resolved = spec.resolve(x)
                outs = resolved.output_shapes(*shapes)
                out = next(iter(outs.values()))
                if "Conv" in spec.name or "Pool" in spec.name:
                    self.divisions.extend(f"{shown(path)}: {n}" for n in resolved.shape_notes(*shapes))
            if resolved is not spec and spec.infer_field:
                inferred = {spec.infer_field: getattr(resolved, spec.infer_field)}
            # A layer called on several inputs (cross-attention's query and value) is counted on all of them.
            given = list(shapes) if len(shapes) > 1 and all(s is not None for s in shapes) else x
            count = resolved.count(self.convention, input_shape=given)  # type: ignore[arg-type]
        except ModelError:
            raise
        except SpecError as exc:
            raise self._layer_error(path, spec, shapes, exc) from None
        if node is not None and node.positions:
            self._check_positions(resolved, x, path)
        count = self._count(count, ctx)
        note = ""
        if node is not None and node.tie is not None:
            count, note = self._tie(node, resolved, x, path, count)
        self.layers[path] = _LayerInfo(path, resolved, shapes)
        self._check_rows(path)
        self.rows.append(Row(
            path=path, name=name, type=spec.name, depth=ctx.depth, output_shape=out,
            count=count, leaf=True, layer=resolved.spec_dict(),
            inferred=inferred, note=note, input_shape=x, input_shapes=tuple(shapes),
        ))
        return out, count

    @staticmethod
    def _check_positions(spec: LayerSpec, x: Shape | None, path: str) -> None:
        """A position table looks up positions 0..T-1 (T the input's second dimension): T must not exceed its rows."""
        rows = getattr(spec, "num_embeddings", None) or getattr(spec, "input_dim", None)
        if x is None or len(x) < 2 or not isinstance(rows, int) or x[1] is None or x[1] <= rows:
            return
        raise ModelError(
            f"{shown(path)}: the position table has {rows:,} rows, so the input can have at most {rows:,} positions; "
            f"received {x[1]:,} (the framework fails here: index out of range). Give at most {rows:,} tokens"
        )

    def _tie(self, node: LayerNode, spec: LayerSpec, x: Shape | None, path: str, count: Count) -> tuple[Count, str]:
        ties = node.tie if isinstance(node.tie, dict) else {"weight": f"{node.tie}.weight"}
        # Ties name the framework's own tensors (weight, kernel); their sizes are the same under every convention.
        own_tensors = {t.name: t for t in spec.param_tensors(_native(spec), input_shape=x)}  # type: ignore[arg-type]
        notes = []
        for own_name, target in ties.items():
            own = own_tensors.get(own_name)
            if own is None:
                raise ModelError(
                    f"{shown(path)}: tie: {spec.name} has no tensor {own_name!r} (it has {', '.join(own_tensors) or 'none'})"
                )
            layer_ref, tensor_name = self._split_tensor_ref(target, path)
            info = self._find_layer(layer_ref, path, "tie target")
            theirs = {t.name: t for t in info.spec.param_tensors(_native(info.spec), input_shape=info.input_shapes[0])}  # type: ignore[arg-type]
            other = theirs.get(tensor_name)
            if other is None:
                raise ModelError(
                    f"{shown(path)}: tie: {info.path} ({info.spec.name}) has no tensor {tensor_name!r} "
                    f"(it has {', '.join(theirs) or 'none'})"
                )
            if own.shape != other.shape:
                raise ModelError(
                    f"{shown(path)}: tie: {own_name} {own.shape} and {info.path}.{tensor_name} {other.shape} "
                    f"must have the same shape"
                )
            if count.trainable >= own.numel:
                count = Count(count.trainable - own.numel, count.non_trainable, count.buffers)
            else:
                count = Count(count.trainable, count.non_trainable - own.numel, count.buffers)
            notes.append(f"{own_name} tied to {info.path}.{tensor_name}")
            self.notes.append(
                f"{path}.{own_name} is tied to {info.path}.{tensor_name}: {own.numel:,} parameters counted once"
            )
        return count, "; ".join(notes)

    def _split_tensor_ref(self, ref: str, where: str) -> tuple[str, str]:
        parts = ref.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            layer_ref = ".".join(parts[:cut])
            try:
                path, _ = self._find(layer_ref, where, "tie target")
            except ModelError:
                continue
            if path in self.layers:
                return layer_ref, ".".join(parts[cut:])
        raise ModelError(f"{shown(where)}: tie target {ref!r} is not a tensor of an earlier layer (write layer.tensor)")

    def shared(self, node: SharedNode, name: str, path: str, shapes: tuple[Shape | None, ...],
               ctx: _Ctx) -> tuple[Shape | None, Count]:
        info = self._find_layer(node.shared, path, "shared layer")
        spec = info.spec
        out = None
        if shapes[0] is not None:
            try:
                out = next(iter(spec.output_shapes(*shapes).values()))  # type: ignore[arg-type]
            except SpecError as exc:
                raise self._layer_error(path, spec, shapes, exc) from None
        self.layers[path] = _LayerInfo(path, spec, shapes)
        self.notes.append(f"{path} reuses {info.path} ({spec.name}): its weights are counted once, there")
        self.rows.append(Row(
            path=path, name=name, type=spec.name, depth=ctx.depth, output_shape=out, count=Count(0), leaf=True,
            layer=spec.spec_dict(), note=f"shares {info.path}", input_shape=shapes[0], input_shapes=tuple(shapes),
        ))
        return out, Count(0)

    # -- containers ----------------------------------------------------------------------------
    def sequence(self, nodes: list[Any], shapes: tuple[Shape | None, ...], prefix: str, ctx: _Ctx,
                 start: int = 0) -> tuple[Shape | None, Count]:
        total = Count(0)
        out: Shape | None = shapes[0]
        for i, node in enumerate(nodes, start):
            out, count = self.node(node, i, shapes, prefix, ctx)
            total = total + count
            shapes = (out,)
        return out, total

    def node(self, node: Any, index: int, shapes: tuple[Shape | None, ...], prefix: str,
             ctx: _Ctx) -> tuple[Shape | None, Count]:
        entry = node if isinstance(node, Entry) else None
        name = (entry.name if entry else None) or str(index)
        path = f"{prefix}.{name}" if prefix else name
        if entry is not None and entry.input is not None:
            refs = [entry.input] if isinstance(entry.input, str) else entry.input
            shapes = tuple(self._find(r, path, "input")[1] for r in refs)
        if entry is not None and not entry.trainable and ctx.trainable:
            ctx = _Ctx(ctx.depth, False)
        if isinstance(node, LayerSpec):
            out, count = self.layer(node, None, name, path, shapes, ctx)
        elif isinstance(node, LayerNode) and node.repeat > 1:
            out, count = self.repeated_layer(node, name, path, shapes, ctx)
        elif isinstance(node, LayerNode):
            out, count = self.layer(node.layer, node, name, path, shapes, ctx)
        elif isinstance(node, SharedNode):
            out, count = self.shared(node, name, path, shapes, ctx)
        elif isinstance(node, BlockNode):
            out, count = self.block(node, name, path, shapes, ctx)
        elif isinstance(node, MergeNode):
            out, count = self.merge(node, name, path, shapes, ctx)
        else:
            out, count = self.parallel(node, name, path, shapes, ctx)
        self.scopes[-1][name] = (path, out)
        self.outputs[path] = out
        return out, count

    def _check_rows(self, path: str) -> None:
        if self.max_rows is not None and len(self.rows) >= self.max_rows:
            raise ModelError(
                f"{shown(path)}: the summary would list more than {self.max_rows:,} rows (repeats that change "
                f"their input's shape are listed one by one)"
            )

    def _placeholder(self, path: str, name: str, kind: str, ctx: _Ctx, x: Shape | None, repeat: int = 1) -> int:
        self._check_rows(path)
        self.rows.append(Row(path=path, name=name, type=kind, depth=ctx.depth, output_shape=None, count=Count(0),
                             repeat=repeat, leaf=False, input_shape=x))
        return len(self.rows) - 1

    def body(self, node: BlockNode, path: str, shapes: tuple[Shape | None, ...], ctx: _Ctx) -> tuple[Shape | None, Count]:
        self.scopes.append({})
        try:
            out, total = self.sequence(node.layers, shapes, path, ctx)
            if node.shortcut is not None:
                if node.shortcut == "identity":
                    short = shapes[0]
                else:
                    short, count = self.sequence(node.shortcut, shapes, path, ctx, start=len(node.layers))
                    total = total + count
                if node.merge == "add":
                    out = _broadcast([out, short], f"{shown(path)}: the shortcut")
                else:
                    out = merge_shapes(node.merge, [("the shortcut", short), ("the main path", out)],
                                       self._axis(node.axis), shown(path))
                if node.after:
                    start = len(node.layers) + (len(node.shortcut) if isinstance(node.shortcut, list) else 0)
                    out, count = self.sequence(node.after, (out,), path, ctx, start=start)
                    total = total + count
        finally:
            self.scopes.pop()
        return out, total

    def block(self, node: BlockNode, name: str, path: str, shapes: tuple[Shape | None, ...],
              ctx: _Ctx) -> tuple[Shape | None, Count]:
        kind = "Block" if node.shortcut is None else "Residual" if node.merge == "add" else MERGES[node.merge]
        row = self._placeholder(path, name, kind, ctx, shapes[0], repeat=node.repeat)
        if node.repeat == 1:
            out, total = self.body(node, path, shapes, _Ctx(ctx.depth + 1, ctx.trainable))
        else:

            def run(sub: str, label: str, shapes: tuple[Shape | None, ...]) -> tuple[Shape | None, Count]:
                head = self._placeholder(sub, label, kind, _Ctx(ctx.depth + 1, ctx.trainable), shapes[0])
                out, count = self.body(node, sub, shapes, _Ctx(ctx.depth + 2, ctx.trainable))
                self.rows[head] = replace(self.rows[head], output_shape=out, count=count)
                return out, count

            out, total, whole = self.repeated(node, path, shapes, run)
            if whole:  # every repeat is the same: the block row stands for them, not an iteration row
                del self.rows[row + 1]
                for j in range(row + 1, len(self.rows)):
                    self.rows[j] = replace(self.rows[j], depth=self.rows[j].depth - 1)
        notes = ["weights shared by all repeats" if node.share_weights else "",
                 self._merge_note(node.merge, node.axis, "shortcut and main path") if node.shortcut is not None else ""]
        self.rows[row] = replace(self.rows[row], output_shape=out, count=total, note="; ".join(n for n in notes if n),
                                 merge=node.merge if node.shortcut is not None else "")
        return out, total

    def repeated_layer(self, node: LayerNode, name: str, path: str, shapes: tuple[Shape | None, ...],
                       ctx: _Ctx) -> tuple[Shape | None, Count]:
        row = self._placeholder(path, name, node.layer.name, ctx, shapes[0], repeat=node.repeat)

        def run(sub: str, label: str, shapes: tuple[Shape | None, ...]) -> tuple[Shape | None, Count]:
            return self.layer(node.layer, node, label, sub, shapes, _Ctx(ctx.depth + 1, ctx.trainable))

        out, total, whole = self.repeated(node, path, shapes, run)
        if whole:  # one row for all the repeats: the layer's own, under the entry's name
            leaf = self.rows.pop(row + 1)
            self.rows[row] = replace(leaf, name=name, depth=ctx.depth, note=leaf.note or (
                "weights shared by all repeats" if node.share_weights else ""))
        else:
            self.rows[row] = replace(self.rows[row], output_shape=out, count=total)
        return out, total

    def repeated(self, node: BlockNode | LayerNode, path: str, shapes: tuple[Shape | None, ...],
                 run: Any) -> tuple[Shape | None, Count, bool]:
        """Apply an entry ``repeat`` times; once an application keeps its input's shape, every later one is
        identical, so it is evaluated once and its rows stand for all of them.

        Returns the output shape, the count, and whether one evaluation stood for every repeat.
        """
        n = node.repeat
        total = Count(0)
        i = 0
        out = shapes[0]
        whole = False
        while i < n:
            sub = f"{path}[{i}]"
            first = len(self.rows)
            out, count = run(sub, f"[{i}]", shapes)
            stable = out == shapes[0]
            if node.share_weights and not stable:
                raise ModelError(
                    f"{shown(sub)}: share_weights needs an entry that keeps its input's shape; "
                    f"it maps {shapes[0]} to {out}"
                )
            k = n - i if stable else 1
            if k > 1:
                weight = 1 if node.share_weights else k
                label = f"{path}[{i}-{n - 1}]"
                self.collapsed[path] = (i, n - 1)
                whole = i == 0
                for j in range(first, len(self.rows)):
                    r = self.rows[j]
                    name = f"[{i}-{n - 1}]" if r.path == sub else r.name
                    self.rows[j] = replace(
                        r, path=label + r.path[len(sub):], name=name, count=r.count * weight, repeat=r.repeat * k
                    )
                self._rename(sub, label)
                count = count * weight
            total = total + count
            shapes = (out, *shapes[1:])  # later inputs (a decoder's memory) feed every repeat
            i += k
        return out, total, whole

    def _rename(self, old: str, new: str) -> None:
        """Re-key the layers and outputs evaluated under ``old`` (layers[0]) to ``new`` (layers[0-31])."""
        for table in (self.layers, self.outputs, self.collapsed):
            for key in [k for k in table if k == old or k.startswith(old + ".") or k.startswith(old + "[")]:
                value = table.pop(key)
                new_key = new + key[len(old):]
                if isinstance(value, _LayerInfo):
                    value.path = new_key
                table[new_key] = value  # type: ignore[index]

    def parallel(self, node: ParallelNode, name: str, path: str, shapes: tuple[Shape | None, ...],
                 ctx: _Ctx) -> tuple[Shape | None, Count]:
        row = self._placeholder(path, name, "Parallel", ctx, shapes[0])
        inner = _Ctx(ctx.depth + 1, ctx.trainable)
        outs = []
        total = Count(0)
        self.scopes.append({})
        try:
            for i, branch in enumerate(node.parallel):
                out, count = self.node(branch, i, shapes, path, inner)
                outs.append(out)
                total = total + count
        finally:
            self.scopes.pop()
        if node.merge == "add":
            out = _broadcast(outs, f"{shown(path)}: the branches")
        else:
            names = [f"{path}.{(b.name if isinstance(b, Entry) else None) or i}" for i, b in enumerate(node.parallel)]
            out = merge_shapes(node.merge, list(zip(names, outs)), self._axis(node.axis), shown(path))
        self.rows[row] = replace(self.rows[row], output_shape=out, count=total, merge=node.merge,
                                 note=self._merge_note(node.merge, node.axis, "the branches"))
        return out, total

    def _axis(self, axis: int | None) -> int:
        return self.channel_axis if axis is None else axis

    def _merge_note(self, kind: str, axis: int | None, what: str) -> str:
        if kind == "add":
            return ""
        if kind == "concat":
            return f"{what} concatenated along axis {self._axis(axis)}"
        return f"{what} joined: {kind}"

    def merge(self, node: MergeNode, name: str, path: str, shapes: tuple[Shape | None, ...],
              ctx: _Ctx) -> tuple[Shape | None, Count]:
        refs = [node.input] if isinstance(node.input, str) else list(node.input or [])
        out = merge_shapes(node.merge, list(zip(refs, shapes)), self._axis(node.axis), shown(path))
        self._check_rows(path)
        self.rows.append(Row(
            path=path, name=name, type=MERGES[node.merge], depth=ctx.depth, output_shape=out, count=Count(0),
            leaf=True, note=f"of {', '.join(refs)}" + (f" along axis {self._axis(node.axis)}" if node.merge == "concat" else ""),
            input_shape=shapes[0], input_shapes=tuple(shapes), merge=node.merge,
        ))
        return out, Count(0)


def input_shapes(model: Model, input_shape: Any) -> dict[str, Shape | None]:
    """The model's input shapes by name, with ``input_shape`` (one shape, a list, or a dict by name) in place."""
    from paramcalc.specs.shapes import check_shape as as_shape  # None: a size not known yet (Keras)

    shapes = model.input_shapes()
    if input_shape is None:
        return shapes
    names = list(shapes)
    if isinstance(input_shape, dict):
        unknown = [k for k in input_shape if k not in names]
        if unknown:
            raise ModelError(f"input_shape: the model has no input {short_repr(unknown[0])} (inputs: {', '.join(names)})")
        return {**shapes, **{k: as_shape(v, f"input_shape[{k!r}]") for k, v in input_shape.items()}}
    if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
        if len(input_shape) > len(names):
            raise ModelError(
                f"input_shape: {len(input_shape)} shapes given, the model has {len(names)} input(s) ({', '.join(names)})"
            )
        return {**shapes, **{n: as_shape(s) for n, s in zip(names, input_shape)}}
    return {**shapes, names[0]: as_shape(input_shape)}


def evaluate(model: Model, *, input_shape: Any = None, convention: str = "pytorch",
             max_rows: int | None = MAX_ROWS) -> Summary:
    """Propagate shapes through ``model``, count every layer, and collect the summary rows.

    Repeated blocks that keep their input's shape are evaluated once and stand for all their
    repeats, so a 96-layer model costs little more than a 1-layer one. ``max_rows`` bounds the rows
    of a summary that will be printed; a caller that prints no rows (checking, memory) passes None
    (the model's layers stay bounded by MAX_LAYERS).
    """
    if convention not in ("pytorch", "keras", "textbook"):
        raise ModelError(f"convention must be one of pytorch, keras, textbook. Received: convention={convention!r}")
    inputs = input_shapes(model, input_shape)
    first = next(iter(inputs.values()))
    ev = _Evaluator(model, convention, inputs, max_rows)
    try:
        out, total = ev.sequence(model.layers, (first,), "", _Ctx(1, True))
    except RecursionError:
        raise ModelError(f"model: nested more than {MAX_NESTING} levels deep") from None
    return Summary(
        name=model.name,
        convention=convention,
        input_shapes=inputs,
        output_shape=out,
        rows=tuple(ev.rows),
        totals=total,
        notes=tuple(ev.notes),
        divisions=tuple(ev.divisions),
        description=model.description,
        reference=model.reference.model_dump() if model.reference else None,
    )
