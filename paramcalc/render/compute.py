"""Compute as Rich tables and plain lines, and MACs and FLOPs for model summaries."""

from __future__ import annotations

from typing import Any

from paramcalc import forms
from paramcalc.results import KIND_LABELS, Compute
from paramcalc.units import compute_text


def short(n: int) -> str:
    """MACs or FLOPs in short form: ``17,563,837,440`` → ``17.56G`` (:func:`paramcalc.units.compute_text`)."""
    return compute_text(n)


def compute_table(compute: Compute, title: str = "Compute of one forward pass", *, working: bool = True) -> Any:
    """A table: one row per counted item (with its formula unless ``working`` is False), MACs and
    FLOPs, totals in the footer."""
    from rich.text import Text

    from paramcalc.render.layout import WRAP, Column, Table

    table = Table(Column("operation", role=WRAP, min_width=20, footer="total"),
                  Column("MACs", justify="right", footer=f"{compute.macs:,}"),
                  Column("FLOPs", justify="right", footer=f"{compute.flops:,}"),
                  title=title, title_justify="left")
    for op in compute.ops:
        cell = Text(op.name)
        if working:
            cell.append(f"\n{op.formula} = {op.working}", style="dim")
        table.add_row(cell, f"{op.count:,}" if op.kind == "mac" else "--", f"{op.flops:,}")
    return table


def compute_lines(compute: Compute) -> list[str]:
    """The FLOPs working, the training rule of thumb and the notes (what is left out, and how), as plain lines."""
    lines = [
        f"FLOPs = {compute.flops_working()} ({short(compute.flops)})",
        f"training step ≈ 3 × forward FLOPs = {compute.training_flops:,} ({short(compute.training_flops)})",
    ]
    return lines + [f"note: {note}" for note in compute.notes]


def compute_parts(compute: Compute, *, working: bool = True) -> list[Any]:
    """What a layer report shows about compute: the itemised table, the FLOPs working and what is left out."""
    from paramcalc.render.layout import Paragraph

    parts: list[Any] = [compute_table(compute, title="Compute of one forward pass", working=working)]
    parts += [Paragraph(line, indent=2, style="dim" if line.startswith("note: ") else "")
              for line in compute_lines(compute)]
    return parts


# -- model summaries -------------------------------------------------------------------------


def summary_compute(summary: Any) -> Any:
    """The model's :class:`~paramcalc.analysis.compute.ModelCompute`, or None when an input shape is unknown."""
    from paramcalc.analysis.compute import model_compute
    from paramcalc.errors import ParamcalcError

    if not summary.input_shapes or any(s is None for s in summary.input_shapes.values()):
        return None  # a checkpoint's or a printout's summary has no input
    try:
        return model_compute(summary)
    except ParamcalcError:
        return None


def macs_cell(mc: Any, path: str) -> str:
    """A summary row's MACs in short form (``1.81G``), ``--`` for none."""
    c = mc.rows.get(path) if mc is not None else None
    return "--" if c is None or c.macs == 0 else short(c.macs)


def compute_total_rows(mc: Any) -> list[tuple[str, str, str]]:
    """Totals lines for a summary: forward MACs and FLOPs, the training rule of thumb, 6·N·D.

    Short forms in the middle column (it is shared with the parameter memory), exact counts after.
    """
    rows = [
        ("Forward MACs", short(mc.macs), f"{mc.macs:,}"),
        ("Forward FLOPs", short(mc.flops), f"{mc.flops:,} = 2 × MACs + other ops"),
        ("Training FLOPs", f"≈ {short(mc.training_flops)}", "3 × forward, per step"),
    ]
    if mc.six_n_d is not None:
        rows.append(("6·N·D", f"≈ {short(mc.six_n_d)}", f"D = {mc.tokens:,} tokens"))
    return rows


def compute_note_lines(mc: Any) -> list[str]:
    """Notes for a summary: what the FLOPs hold beyond the MACs, and what 6·N·D's N is."""

    other = ", ".join(f"{n:,} {KIND_LABELS[k]}" for k, n in mc.total.by_kind().items())
    lines = [f"FLOPs = 2 × MACs + {other} (paramcalc layer itemises any layer)"]
    if mc.six_n_d is not None:
        lines.append(
            f"6·N·D: N = {mc.params - mc.embedding_params:,} parameters outside the embedding tables "
            f"(Kaplan et al. 2020); it leaves out the attention products, which the 3 × forward line includes"
        )
    return lines


def add_compute_json(summary: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Add MACs and FLOPs to a summary's JSON: ``macs``/``flops`` per row and a ``compute`` section.

    ``compute`` is None when an input shape is unknown (rows then have ``macs`` and ``flops`` None).
    """
    mc = summary_compute(summary)
    for row in data.get("rows", []):
        c = mc.rows.get(row["path"]) if mc is not None else None
        row["macs"] = None if c is None else c.macs
        row["flops"] = None if c is None else c.flops
    if mc is None:
        data["compute"] = None
    else:
        section = mc.as_dict()
        section.pop("rows")
        data["compute"] = section
    return data


forms.register(Compute, "rich", compute_table)
