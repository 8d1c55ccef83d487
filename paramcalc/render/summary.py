"""Rendering a :class:`~paramcalc.models.summary.Summary`: a Rich table like torchinfo's, or a JSON-able dict.

Nothing here computes a count; it lays out what the summary holds. Loading this module registers the
table as the summary's Rich form (``rich.print(summary)``; :mod:`paramcalc.forms`).
"""

from __future__ import annotations

import re
from typing import Any

from paramcalc import forms
from paramcalc.models.summary import DTYPE_BYTES, Row, Summary, collapse_runs
from paramcalc.render.layout import OPTIONAL, WRAP, Column, Paragraph, Table
from paramcalc.render.text import literal, one_line, printable
from paramcalc import units

#: Rows shown by default: three levels, as torchinfo does.
DEFAULT_DEPTH = 3
#: Inferred sizes listed under the table before "and N more".
MAX_INFERRED_SHOWN = 6


def shape_text(shape: tuple[int, ...] | None) -> str:
    """``(1, 64, 112, 112)``; ``?`` when unknown."""
    if shape is None:
        return "?"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def short_count(n: int) -> str:
    """A count in a short form with one decimal: 11,689,512 → 11.7M; 950 → 950 (:func:`paramcalc.units.count_text`)."""
    return units.count_text(n)


def binary_size(n_bytes: int, *, decimal: bool = False) -> str:
    """Bytes in binary units with two decimals: 46,758,048 → 44.59 MiB (SI units with ``decimal``)."""
    return units.bytes_text(n_bytes, decimal=decimal)


def type_text(row: Row) -> str:
    """The type column: ``Conv2d``, ``Block ×32``, ``Linear (tied)``."""
    text = row.type
    if row.repeat > 1:
        text += f" ×{row.repeat}"
    if row.note.startswith("shares ") or "shared by all repeats" in row.note:
        text += " (shared)"
    elif " tied to " in row.note:
        text += " (tied)"
    return text


def count_text(n: int) -> str:
    """Params column: thousands separators, ``--`` for none."""
    return "--" if n == 0 else f"{n:,}"


def title_text(summary: Summary) -> str:
    name = summary.name or "model"
    return f"{name} · {summary.convention} convention"


def _inputs_text(summary: Summary) -> str:
    shapes = summary.input_shapes
    if len(shapes) == 1:
        return shape_text(next(iter(shapes.values())))
    return ", ".join(f"{k} {shape_text(v)}" for k, v in shapes.items())


def inferred_lines(rows: tuple[Row, ...]) -> list[str]:
    """``fc.0.in_features = 400`` for each inferred input size among ``rows``."""
    def shown(v: Any) -> str:
        if isinstance(v, tuple):
            return str(v[0]) if len(v) == 1 else shape_text(v)
        return str(v)

    return [f"{r.path}.{k} = {shown(v)}" for r in rows for k, v in r.inferred.items()]


#: The columns ``--columns`` can show, by name: header, justify, role (the name column and the
#: parameter counts are never dropped; MACs, kernel, % and trainable go first when space is short).
COLUMNS = {
    "shape": Column("Output shape"),
    "params": Column("Params", justify="right"),
    "percent": Column("% of total", justify="right", role=OPTIONAL, drop=2),
    "kernel": Column("Kernel", role=OPTIONAL, drop=3),
    "macs": Column("MACs", justify="right", role=OPTIONAL, drop=1),
    "trainable": Column("Trainable", justify="center", role=OPTIONAL, drop=4),
}
DEFAULT_COLUMNS = ("shape", "params", "macs", "trainable")


def kernel_text(row: Row) -> str:
    """A layer's kernel (or pool window) shape: ``(3, 3)``; ``--`` for a layer without one."""
    layer = row.layer or {}
    for key in ("kernel_size", "pool_size"):
        k = layer.get(key)
        if isinstance(k, int):
            return "(" + str(k) + ",)" if "1d" in row.type.lower() else f"({k}, {k})" if "2d" in row.type.lower() \
                else f"({k}, {k}, {k})" if "3d" in row.type.lower() else f"({k},)"
        if isinstance(k, (list, tuple)) and k:
            return shape_text(tuple(k))
    return "--"


def percent_text(n: int, total: int) -> str:
    """``n`` as a percentage of ``total``, one decimal: ``12.3%``; ``--`` for none."""
    if n == 0 or total == 0:
        return "--"
    tenths = (n * 1000 + total // 2) // total
    return "<0.1%" if tenths == 0 else f"{tenths // 10}.{tenths % 10}%"


def render(summary: Summary, depth: int | None = DEFAULT_DEPTH, columns: tuple[str, ...] | None = None,
           *, decimal_bytes: bool = False, all_rows: bool = False) -> Any:
    """The Rich renderable: the layer table, the totals, and the notes.

    ``columns`` chooses the columns after the layer name and type, by name (:data:`COLUMNS`). A run of
    identical layers is one row (:func:`~paramcalc.models.summary.collapse_runs`) unless ``all_rows``.
    """
    from rich.console import Group
    from rich.text import Text

    rows = summary.visible_rows(depth) if all_rows else collapse_runs(summary.visible_rows(depth))
    shapes = any(r.output_shape is not None for r in rows) or bool(summary.input_shapes)
    from paramcalc.render.compute import compute_note_lines, compute_total_rows, macs_cell, summary_compute

    mc = summary_compute(summary)
    chosen = [c for c in (columns or DEFAULT_COLUMNS)
              if (c != "shape" or shapes or columns) and (c != "macs" or mc is not None or columns)]
    fields = None if summary.fields is None else {p: (r, j) for p, r, j in summary.fields}
    extra = () if fields is None else (Column("RF", justify="right"), Column("Jump", justify="right"))
    table = Table(Column("Layer"), Column("Type", role=WRAP, min_width=10), *(COLUMNS[c] for c in chosen),
                  *extra, title=printable(title_text(summary)), gap=2)
    for row in rows:
        cells = ["  " * (row.depth - 1) + printable(row.name), printable(type_text(row))]
        for c in chosen:
            cells.append({
                "shape": lambda: shape_text(row.output_shape),
                "params": lambda: count_text(row.count.total),
                "percent": lambda: percent_text(row.count.total, summary.totals.total),
                "kernel": lambda: kernel_text(row),
                "macs": lambda: macs_cell(mc, *(row.members or (row.path,))),
                "trainable": lambda: printable(row.trainable),
            }[c]())
        if fields is not None:  # a run shown as one row shows its last member's field
            r, j = fields[(row.members or (row.path,))[-1]]
            cells += ["" if r is None else str(r), "" if j is None else str(j)]
        plain = row.leaf or (depth is not None and row.depth >= depth)
        cells[0] = Text(cells[0], style="" if plain else "bold")
        table.add_row(*cells)
    totals = Table(Column(), Column(justify="right"), Column(role=WRAP, min_width=20), header=False, gap=2)
    t = summary.totals
    shortened = f"({short_count(t.total)})" if t.total >= 1000 else ""
    bound = f"{summary.bound} bound" if summary.bound else "" if summary.exact else "not exact"
    totals.add_row("Total params", f"{t.total:,}", " ".join(p for p in (shortened, bound) if p))
    totals.add_row("Trainable params", f"{t.trainable:,}", "")
    totals.add_row("Non-trainable params", f"{t.non_trainable:,}", "")
    totals.add_row("Buffers", f"{t.buffers:,}", "")
    memory = summary.memory
    totals.add_row(
        "Parameter memory", binary_size(memory["fp32"], decimal=decimal_bytes),
        " · ".join(["fp32"] + [f"{binary_size(memory[d], decimal=decimal_bytes)} {d}"
                               for d in DTYPE_BYTES if d != "fp32"]),
    )
    for line in compute_total_rows(mc) if mc is not None else ():
        totals.add_row(*line)
    parts: list[Any] = [table, totals]

    facts = [f"Input {_inputs_text(summary)} → output {shape_text(summary.output_shape)}"] if shapes else []
    if summary.reference is not None:
        facts.append(reference_text(summary))
    facts += [exactness_text(summary)] if summary.source is not None or not summary.exact else []
    facts += list(summary.facts)
    if facts:
        parts += [Paragraph(one_line(f), hang=2) for f in facts]

    notes = list(summary.notes) + (compute_note_lines(mc) if mc is not None else []) + list(summary.field_notes)
    divisions = division_text(summary.divisions)
    if divisions:
        notes.append(divisions)
    inferred = inferred_lines(rows)
    if inferred:
        shown = ", ".join(inferred[:MAX_INFERRED_SHOWN])
        more = len(inferred) - MAX_INFERRED_SHOWN
        notes.insert(0, f"inferred from the input: {shown}" + (f", and {more} more" if more > 0 else ""))
    if summary.incomplete:
        notes.extend(f"not counted: {n}" for n in summary.incomplete if n not in summary.bound_reasons)
    notes.extend(repeat_notes(rows))
    if notes:
        grid = Table(Column(), Column(role=WRAP, min_width=20), header=False, gap=1)
        for n in notes:
            grid.add_row("-", literal(one_line(n)))
        parts += [Text("Notes:"), grid]
    return Group(*parts)


def repeat_notes(rows: tuple[Row, ...]) -> list[str]:
    """What ``×N`` means beside a count: all N copies together, or one set of shared weights."""
    shared = [r for r in rows if r.repeat > 1 and "(shared)" in type_text(r)]
    own = [r for r in rows if r.repeat > 1 and r not in shared]
    notes = []
    if own:
        r = own[0]
        notes.append(f"×N: N copies in sequence, each with its own weights; the Params and MACs beside it are for "
                     f"all N copies together ({printable(r.name)}: {r.count.total:,} for {r.repeat:,} copies)")
    if shared:
        notes.append("×N (shared): one set of weights applied N times, counted once; MACs are for all N applications")
    return notes


def exactness_text(summary: Summary) -> str:
    """``Total: exact``, or which bound it is and why."""
    if summary.exact:
        return "Total: exact"
    what = {"lower": "a lower bound", "upper": "an upper bound"}.get(summary.bound or "", "neither exact nor a bound")
    return f"Total: {what}" + (f", because: {'; '.join(summary.bound_reasons)}" if summary.bound_reasons else "")


def percent_gap(total: int, params: int) -> str:
    """How far ``total`` is from ``params``, in percent with one decimal: ``+1.7%``, ``-0.4%``, ``+<0.1%``."""
    if total == params:
        return "0%"
    if params == 0:
        return "n/a"
    diff = total - params
    tenths = (abs(diff) * 1000 + params // 2) // params
    sign = "+" if diff > 0 else "-"
    return f"{sign}<0.1%" if tenths == 0 else f"{sign}{tenths // 10}.{tenths % 10}%"


def reference_text(summary: Summary) -> str:
    """``Reference: 11,689,512 (torchvision ...): equal``, or how far a rounded published figure is."""
    ref = summary.reference or {}
    params, source = ref["params"], ref["source"]
    if ref.get("approximate"):
        return f"Published: {source}; this count is {percent_gap(summary.total, params)} from it"
    if summary.convention != "pytorch":
        return (f"Reference: {params:,} ({source}), a PyTorch count; the {summary.convention} convention "
                f"counts {summary.total:,} ({summary.total - params:+,})")
    verdict = "equal" if params == summary.total else f"differs by {summary.total - params:+,}"
    return f"Reference: {params:,} ({source}): {verdict}"


def published_cell(summary: Summary) -> str:
    """The short comparison ``paramcalc presets`` lists: ``equal``, or ``≈125.0M, +0.2%``."""
    ref = summary.reference
    if not ref:
        return ""
    if ref.get("approximate"):
        return f"≈{short_count(ref['params'])}, {percent_gap(summary.total, ref['params'])}"
    return "equal" if summary.total == ref["params"] else f"{ref['params']:,}"


_DIVISION = re.compile(r"^(?P<path>.*?): \S+: output \S+ .* = (?P<exact>\S+) is not a whole number; (?P<how>.*) to (?P<out>\d+)$")


def division_text(divisions: tuple[str, ...]) -> str:
    """One line for the inexact conv/pool divisions: ``conv1 112.5 → 112; maxpool 56.5 → 56``."""
    items: list[str] = []
    rounded_up = False
    for text in divisions:
        m = _DIVISION.match(text)
        item = f"{m['path']} {m['exact']} → {m['out']}" if m else text
        rounded_up = rounded_up or bool(m and "up" in m["how"])
        if item not in items:
            items.append(item)
    if not items:
        return ""
    how = "floored (rounded up with ceil_mode)" if rounded_up else "floored, as the framework does"
    return f"output sizes that do not divide exactly, {how}: " + "; ".join(items)


def summary_dict(summary: Summary, depth: int | None = None) -> dict[str, Any]:
    """The document ``--json`` prints: the summary's own data (rows down to ``depth``, totals, memory,
    notes; :meth:`~paramcalc.models.summary.Summary.as_dict`) with each row's MACs and FLOPs and a
    ``compute`` section."""
    from paramcalc.render.compute import add_compute_json

    return add_compute_json(summary, summary.as_dict(depth))


forms.register(Summary, "rich", render)
