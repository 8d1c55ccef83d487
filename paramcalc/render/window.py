"""Convolution arithmetic as Rich renderables: a window's working, a stack's receptive fields, the
solutions of an inverse question."""

from __future__ import annotations

from typing import Any

from paramcalc.analysis.window import FieldRow, Solutions, WindowReport, number_text
from paramcalc.render.check import Indented
from paramcalc.render.text import printable


def render_window(report: WindowReport) -> Any:
    """A window's question on one line, then its working, one formula a line."""
    from rich.console import Group
    from rich.text import Text

    pad = report.padding if isinstance(report.padding, str) else f"{report.padding}"
    head = Text(f"window: n = {report.size}, k = {report.kernel_size}, s = {report.stride}, p = {pad}, "
                f"d = {report.dilation}", style="bold")
    summary = Text(f"effective kernel {report.span} · output {report.output}"
                   + (f" (exactly {number_text(report.exact)})" if report.exact.denominator != 1 else "")
                   + f" · padding {report.pad_left} left, {report.pad_right} right")
    return Group(head, summary, Text(""), *(Indented(line, "dim", 2, 2) for line in report.lines))


def render_field(rows: list[FieldRow], title: str = "Receptive field", ends: str | None = None) -> Any:
    """One row per sliding-window layer: its window, then the receptive field and jump on the input."""
    from rich.console import Group
    from rich.text import Text

    from paramcalc.render.layout import WRAP, Column, Table

    neurons = any(r.output_neurons is not None for r in rows)
    columns = [Column("layer", role=WRAP, min_width=12)]
    columns += [Column(name, justify="right") for name in ("k", "s", "p", "d", "field", "jump")]
    if neurons:
        columns.append(Column("neurons", justify="right"))
    table = Table(*columns, title=Text(printable(title), style="bold"), title_justify="left")
    for r in rows:
        cells = [printable(r.name), str(r.kernel_size), str(r.stride), str(r.padding), str(r.dilation),
                 f"{r.field:,}", f"{r.jump:,}"]
        if neurons:
            cells.append("--" if r.output_neurons is None else f"{r.output_neurons:,}")
        table.add_row(*cells)
    note = ("field r_l = r_{l−1} + d·(k − 1)·j_{l−1}, jump j_l = j_{l−1}·s, from r_0 = j_0 = 1 "
            "(first spatial dimension" + ("; neurons: the product of the output shape without the batch)"
                                          if neurons else ")"))
    parts = [table, Indented(note, "dim", 0, 2)]
    if ends is not None:
        parts.append(Indented(f"{ends} mixes every position: from there on the field is the whole input", "dim",
                              0, 2))
    return Group(*parts)


def render_solutions(solutions: Solutions) -> Any:
    """The question, then one line per solution with its worked formula (or that none is in the range)."""
    from rich.console import Group
    from rich.text import Text

    head = Text(printable(solutions.question), style="bold")
    if not solutions.rows:
        return Group(head, Text("  no solution in the range (widen it with --from/--to, or allow --floored)"))
    lines = [Indented(f"{solutions.unknown} = {v}: {w}", "", 2, 2) for v, _, w in solutions.rows]
    return Group(head, *lines)
