"""Memory as a Rich table: one line per kind of bytes, with its working, and the total."""

from __future__ import annotations

from typing import Any

from paramcalc import forms
from paramcalc.analysis.memory import Memory
from paramcalc.render.text import printable


def memory_table(memory: Memory, title: str | None = None) -> Any:
    """A Rich table: one row per memory line with its formula, bytes and binary size, total in the footer."""
    from rich.table import Table
    from rich.text import Text

    mode = "training" if memory.training else "inference"
    opt = f", {memory.optimizer}" if memory.optimizer else ""
    from rich import box

    table = Table(
        title=Text(printable(title or f"Memory, {mode} in {memory.dtype}{opt}"), style="bold"), show_footer=True,
        title_justify="left",
        title_style="bold", box=box.SIMPLE_HEAD, header_style="bold", footer_style="bold", pad_edge=False,
        show_edge=False,
    )
    table.add_column("what", footer="total", overflow="fold")
    table.add_column("bytes", justify="right", footer=f"{memory.total_bytes:,}")
    table.add_column("size", justify="right", footer=memory.total)
    for line in memory.lines:
        cell = Text(printable(line.name))
        cell.append(f"\n{printable(line.formula)}", style="dim")
        table.add_row(cell, Text(f"{line.bytes:,}"), Text(printable(line.human)))
    return table


forms.register(Memory, "rich", memory_table)
