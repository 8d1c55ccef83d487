"""Rendering a :class:`~paramcalc.models.summary.Summary`: a Rich table like torchinfo's, or a JSON-able dict.

Nothing here computes a count; it lays out what the summary holds. Loading this module registers the
table as the summary's Rich form (``rich.print(summary)``; :mod:`paramcalc.forms`).
"""

from __future__ import annotations

import re
from typing import Any

from paramcalc import forms
from paramcalc.models.summary import DTYPE_BYTES, Row, Summary
from paramcalc.render.text import literal, one_line, printable

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
    """A count in a short form with one decimal: 11,689,512 → 11.7M; 950 → 950."""
    if n < 1000:
        return str(n)
    for unit, size in (("K", 10**3), ("M", 10**6), ("B", 10**9), ("T", 10**12)):
        tenths = (n * 10 + size // 2) // size
        if tenths < 10_000 or unit == "T":
            return f"{tenths // 10}.{tenths % 10}{unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def binary_size(n_bytes: int) -> str:
    """Bytes in binary units with two decimals: 46,758,048 → 44.59 MiB."""
    if n_bytes < 1024:
        return f"{n_bytes} B"
    for unit, size in (("KiB", 2**10), ("MiB", 2**20), ("GiB", 2**30), ("TiB", 2**40)):
        hundredths = (n_bytes * 100 + size // 2) // size
        if hundredths < 102_400 or unit == "TiB":
            return f"{hundredths // 100}.{hundredths % 100:02d} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


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


class LayerTable:
    """The layer table, laid out for the width it is drawn in: numbers and shapes are never cut; the
    layer and type columns give up space first (their text then ends in an ellipsis)."""

    #: Narrowest the layer and type columns get.
    MIN_LAYER, MIN_TYPE = 12, 10

    def __init__(self, title: str, headers: list[str], body: list[tuple[list[str], bool]]) -> None:
        """``title`` and the cells are shown as written (callers pass them through ``printable``)."""
        self.title, self.headers, self.body = title, headers, body

    def widths(self, max_width: int) -> list[int]:
        """Each column's width for a table at most ``max_width`` wide (two spaces between columns)."""
        widths = [max([len(h)] + [len(cells[i]) for cells, _ in self.body]) for i, h in enumerate(self.headers)]
        excess = sum(widths) + 2 * (len(widths) - 1) - max_width
        for i, floor in sorted(((0, self.MIN_LAYER), (1, self.MIN_TYPE)), key=lambda c: -widths[c[0]]):
            if excess <= 0:
                break
            cut = min(excess, max(0, widths[i] - floor))
            widths[i] -= cut
            excess -= cut
        return widths

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(self.title, style="bold"), box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                      title_style="bold", header_style="bold", collapse_padding=True)
        for i, (header, width) in enumerate(zip(self.headers, self.widths(options.max_width))):
            justify = "left" if i < 2 or header == "Output shape" else ("center" if header == "Trainable" else "right")
            table.add_column(header, justify=justify, no_wrap=True, overflow="ellipsis", width=width)
        for cells, plain in self.body:
            table.add_row(Text(cells[0], style="" if plain else "bold"), *(Text(c) for c in cells[1:]))
        yield table


def render(summary: Summary, depth: int | None = DEFAULT_DEPTH) -> Any:
    """The Rich renderable: the layer table, the totals, and the notes."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    rows = summary.visible_rows(depth)
    shapes = any(r.output_shape is not None for r in rows) or bool(summary.input_shapes)
    from paramcalc.render.compute import compute_note_lines, compute_total_rows, macs_cell, summary_compute

    mc = summary_compute(summary)
    headers = ["Layer", "Type"] + (["Output shape"] if shapes else []) + ["Params"] + (["MACs"] if mc else [])
    headers.append("Trainable")
    body = []
    for row in rows:
        cells = ["  " * (row.depth - 1) + printable(row.name), printable(type_text(row))]
        if shapes:
            cells.append(shape_text(row.output_shape))
        cells.append(count_text(row.count.total))
        if mc is not None:
            cells.append(macs_cell(mc, row.path))
        cells.append(printable(row.trainable))
        body.append((cells, row.leaf or (depth is not None and row.depth >= depth)))
    table = LayerTable(printable(title_text(summary)), headers, body)
    totals = Table.grid(padding=(0, 2))
    totals.add_column(no_wrap=True)
    totals.add_column(justify="right", no_wrap=True)
    totals.add_column(no_wrap=True)
    t = summary.totals
    label = "Total params" if summary.bound is None else f"Total params ({summary.bound} bound)"
    totals.add_row(label, f"{t.total:,}", f"({short_count(t.total)})" if t.total >= 1000 else "")
    totals.add_row("Trainable params", f"{t.trainable:,}", "")
    totals.add_row("Non-trainable params", f"{t.non_trainable:,}", "")
    totals.add_row("Buffers", f"{t.buffers:,}", "")
    memory = summary.memory
    totals.add_row(
        "Parameter memory", binary_size(memory["fp32"]),
        " · ".join(["fp32"] + [f"{binary_size(memory[d])} {d}" for d in DTYPE_BYTES if d != "fp32"]),
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
        parts.append(Text("\n".join(one_line(f) for f in facts)))

    notes = list(summary.notes) + (compute_note_lines(mc) if mc is not None else [])
    divisions = division_text(summary.divisions)
    if divisions:
        notes.append(divisions)
    inferred = inferred_lines(rows)
    if inferred:
        shown = ", ".join(inferred[:MAX_INFERRED_SHOWN])
        more = len(inferred) - MAX_INFERRED_SHOWN
        notes.insert(0, f"inferred from the input: {shown}" + (f", and {more} more" if more > 0 else ""))
    if summary.incomplete:
        notes.extend(f"not counted: {n}" for n in summary.incomplete)
    if notes:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for n in notes:
            grid.add_row("-", literal(one_line(n)))
        parts += [Text("Notes:"), grid]
    return Group(*parts)


def exactness_text(summary: Summary) -> str:
    """``Total: exact``, or which bound it is and why."""
    if summary.exact:
        return "Total: exact"
    why = "; ".join(summary.bound_reasons)
    return f"Total: a {summary.bound} bound, not exact" + (f" ({why})" if why else "")


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
    how = "floored (rounded up with ceil_mode)" if rounded_up else "floored, as torch does"
    return f"output sizes that do not divide exactly, {how}: " + "; ".join(items)


def summary_dict(summary: Summary, depth: int | None = None) -> dict[str, Any]:
    """The document ``--json`` prints: the summary's own data (rows down to ``depth``, totals, memory,
    notes; :meth:`~paramcalc.models.summary.Summary.as_dict`) with each row's MACs and FLOPs and a
    ``compute`` section."""
    from paramcalc.render.compute import add_compute_json

    return add_compute_json(summary, summary.as_dict(depth))


forms.register(Summary, "rich", render)
