"""Memory as a Rich table: one line per kind of bytes, with its working, and the total."""

from __future__ import annotations

from typing import Any

from paramcalc import forms
from paramcalc.analysis.memory import Memory
from paramcalc.render.text import printable
from paramcalc.units import bytes_text


def memory_table(memory: Memory, title: str | None = None, *, decimal_bytes: bool = False,
                 working: bool = True) -> Any:
    """A table: one row per memory line with its formula (unless ``working`` is False), bytes and
    size (binary units, or SI units with ``decimal_bytes``), the total in the footer."""
    from rich.text import Text

    from paramcalc.render.layout import WRAP, Column, Table

    mode = "training" if memory.training else "inference"
    opt = f", {memory.optimizer}" if memory.optimizer else ""
    table = Table(
        Column("what", role=WRAP, min_width=20, footer="total"),
        Column("bytes", justify="right", footer=f"{memory.total_bytes:,}"),
        Column("size", justify="right", footer=bytes_text(memory.total_bytes, decimal=decimal_bytes)),
        title=Text(printable(title or f"Memory, {mode} in {memory.dtype}{opt}"), style="bold"), title_justify="left",
    )
    for line in memory.lines:
        cell = Text(printable(line.name))
        if working:
            cell.append(f"\n{printable(line.formula)}", style="dim")
        table.add_row(cell, Text(f"{line.bytes:,}"), Text(bytes_text(line.bytes, decimal=decimal_bytes)))
    return table


forms.register(Memory, "rich", memory_table)
