"""Compute as Rich tables and plain lines, and MACs and FLOPs for model summaries."""

from __future__ import annotations

from typing import Any

from paramcalc import forms
from paramcalc.results import KIND_LABELS, Compute


def short(n: int) -> str:
    """``17,563,837,440`` → ``17.56G``; small numbers as they are; beyond a float's range ``1.23e+321``."""
    if n >= 10**300:  # n / size would overflow a float: scientific notation from the digits
        digits = str(n)
        return f"{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"
    for unit, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= size:
            hundredths = (n * 100 + size // 2) // size  # integers: no float overflow for huge counts
            return f"{hundredths // 100:,}.{hundredths % 100:02d}{unit}"
    return str(n)


def compute_table(compute: Compute, title: str = "Compute of one forward pass") -> Any:
    """A Rich table: one row per counted item (with its formula), MACs and FLOPs, totals in the footer."""
    from rich.table import Table
    from rich.text import Text

    from rich import box

    table = Table(title=title, show_footer=True, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  header_style="bold", footer_style="bold", pad_edge=False, show_edge=False)
    table.add_column("operation", footer="total", overflow="fold")
    table.add_column("MACs", justify="right", footer=f"{compute.macs:,}")
    table.add_column("FLOPs", justify="right", footer=f"{compute.flops:,}")
    for op in compute.ops:
        cell = Text(op.name)
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


def compute_parts(compute: Compute) -> list[Any]:
    """What a layer report shows about compute: the itemised table, the FLOPs working and what is left out."""
    from rich.padding import Padding
    from rich.text import Text

    parts: list[Any] = [compute_table(compute, title="Compute of one forward pass")]
    parts += [Padding(Text(line, style="dim" if line.startswith("note: ") else ""), (0, 0, 0, 2))
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
