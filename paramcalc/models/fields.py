"""The receptive field and jump of every row of a summary (``paramcalc summary --receptive-field``), and the
window of one layer that both it and :mod:`paramcalc.analysis.window` read.

A row's field is that of its output on the model's input, along the first spatial dimension, as
:func:`paramcalc.analysis.window.receptive_field` works it for a stack: r = r' + d·(k − 1)·j' and
j = j'·s over each convolution and pooling window; a layer that keeps positions (an activation, a
norm) carries the field on; from the first layer that mixes every position (Linear, Flatten, global
pooling, attention) the field is the whole input ("all"). A block shows the field of its output (its
last layer's). From the first branch, merge or shortcut on, the field depends on the path taken, so
those rows are left blank and a note says where and how to ask for one path.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from paramcalc.errors import ModelError, ParamcalcError
from paramcalc.formulas.window import effective_kernel, tf_same_padding
from paramcalc.models.summary import FieldCell, Summary

#: The value of a field that covers the whole input.
WHOLE = "all"


def _branch_row(summary: Summary, branch: str | None) -> int | None:
    """The index of the first row that is a branch, a merge, a shortcut or takes another entry's output."""
    for i, row in enumerate(summary.rows):
        if row.merge or row.path == branch or len(row.input_shapes) > 1:
            return i
    return 0 if branch is not None else None


def _repeated_window(row: Any, rows: tuple[Any, ...], i: int) -> bool:
    """Whether a container row repeated ×N (shown once) holds a layer with a window."""
    from paramcalc.specs.parse import parse_layer

    for inner in rows[i + 1:]:
        if inner.depth <= row.depth:
            return False
        if inner.leaf and inner.layer:
            try:
                if layer_window(parse_layer(inner.layer)) is not None:
                    return True
            except ParamcalcError:
                return False
    return False


def layer_window(spec: Any, size: int | None = None) -> tuple[int, int, int, int] | None:
    """(kernel, stride, padding, dilation) along the first spatial dimension of a conv or pool layer (torch or
    Keras; "same" padding as the left part), None for a layer that keeps every position (activation, norm),
    and an error for one that mixes positions (Linear, Flatten, attention)."""
    get = lambda *names: next((getattr(spec, n) for n in names if getattr(spec, n, None) is not None), None)  # noqa: E731
    kernel = get("kernel_size", "pool_size")
    if kernel is None:
        if type(spec).__name__.startswith(("Adaptive", "Global", "Flatten", "Linear", "Dense", "Multihead",
                                           "MultiHead", "Transformer", "LSTM", "GRU", "RNN", "SimpleRNN")):
            raise ParamcalcError(f"receptive field: {type(spec).__name__} is not a sliding window; the field ends "
                                 f"before it")
        return None
    first = lambda v: v[0] if isinstance(v, tuple) else v  # noqa: E731
    k = first(kernel)
    s = first(get("stride", "strides") or kernel)
    d = first(get("dilation", "dilation_rate") or 1)
    p = get("padding")
    if p == "same":
        p = (tf_same_padding(size=size, kernel_size=k, stride=s, dilation=d)[1] if size else d * (k - 1) // 2)
    elif p in (None, "valid", "causal"):
        p = 0
    return k, s, first(p), d


def first_branch(nodes: list[Any], where: str = "") -> str | None:
    """The first entry that makes a model more than a plain stack (a branch, a merge, a shortcut or an
    input taken from elsewhere), or None."""
    from paramcalc.models.nodes import BlockNode, Entry, MergeNode, ParallelNode, children

    for i, node in enumerate(nodes):
        label = f"{where}{getattr(node, 'name', None) or i}"
        if isinstance(node, (ParallelNode, MergeNode)) or (isinstance(node, BlockNode) and node.shortcut is not None):
            return label
        if isinstance(node, Entry) and node.input is not None:
            return label
        inner = first_branch(children(node), f"{label}.")
        if inner is not None:
            return inner
    return None


def summary_fields(summary: Summary, *, branch: str | None = None) -> tuple[tuple[FieldCell, ...], tuple[str, ...]]:
    """Each row's (path, field, jump) and the notes that explain them.

    Args:
        summary: a model's summary whose rows hold their layers.
        branch: the path of the first entry the model file makes a branch (an entry that reads another
            entry's output), when known; merges, parallel entries and shortcuts are seen in the rows.

    Returns:
        One :data:`~paramcalc.models.summary.FieldCell` per row: the field and jump as ints, ``"all"`` and
        None from the first layer that mixes every position, None and None where the field is not shown.

    Raises:
        ModelError: a summary without layers (a checkpoint's tensors, print(model) text).
    """
    from paramcalc.specs.parse import parse_layer

    source = (summary.source or {}).get("format")
    if source in ("torch-print", "safetensors", "safetensors-index", "gguf") or not any(
            r.layer for r in summary.rows if r.leaf):
        read = {"torch-print": "print(model) text, which lists modules"}.get(source or "", "a file that lists tensors")
        raise ModelError(f"receptive field: {summary.name or 'this model'} is read from {read}, not how its "
                         "layers connect; summarise a model file, a Keras model or a preset instead")
    stop = _branch_row(summary, branch)
    r, j, whole, ended_at = 1, 1, False, None
    leaf_cells: dict[int, FieldCell] = {}
    for i, row in enumerate(summary.rows):
        if stop is not None and i >= stop:
            break
        if not row.leaf:
            if row.repeat > 1 and _repeated_window(row, summary.rows, i):
                stop = i
                break
            continue
        if row.type.startswith("Adaptive") and row.input_shape is not None and row.input_shape == row.output_shape:
            pass  # an adaptive pool to the size it is given keeps every position (VGG's avgpool on 7 × 7)
        elif not whole and row.layer:
            try:
                window = layer_window(parse_layer(row.layer))
            except ParamcalcError:
                whole, ended_at = True, row.path
                window = None
            if window is not None:
                k, s, _, d = window
                for _ in range(row.repeat):
                    r += (effective_kernel(kernel_size=k, dilation=d) - 1) * j
                    j *= s
        leaf_cells[i] = (row.path, WHOLE, None) if whole else (row.path, r, j)
    cells: list[FieldCell] = []
    for i, row in enumerate(summary.rows):
        if row.leaf:
            cells.append(leaf_cells.get(i, (row.path, None, None)))
            continue
        last = i  # a block shows its output's field: its last row's
        while last + 1 < len(summary.rows) and summary.rows[last + 1].depth > row.depth:
            last += 1
        inner = leaf_cells.get(last) if stop is None or last < stop else None
        cells.append((row.path, None, None) if inner is None or (stop is not None and i >= stop)
                     else (row.path, inner[1], inner[2]))
    notes = ["RF, jump: the receptive field of a row's output on the input, and the step between neighbouring "
             "outputs' fields, in input positions along the first spatial dimension (r = r' + d·(k − 1)·j', "
             "j = j'·s over each convolution and pooling window; other layers carry them on)"]
    if ended_at is not None:
        notes.append(f"RF all: from {ended_at} on every output reads the whole input")
    if stop is not None:
        notes.append(f"RF blank from {summary.rows[stop].path} on: a branch, merge, shortcut or repeated block, "
                     "where the field depends on the path taken; give one path's layers to paramcalc "
                     "receptive-field")
    return tuple(cells), tuple(notes)


def with_fields(summary: Summary, *, branch: str | None = None) -> Summary:
    """The summary with each row's receptive field and jump (:func:`summary_fields`)."""
    cells, notes = summary_fields(summary, branch=branch)
    return replace(summary, fields=cells, field_notes=notes)


def model_branch(model: Any) -> str | None:
    """The path of a model's first entry that makes it more than a plain stack, or None."""
    if getattr(model, "inputs", None) and len(model.inputs) > 1:
        return ""
    return first_branch(getattr(model, "layers", []) or [])
