"""Rendering compute and memory (Rich tables, plain JSON) and the ``paramcalc memory`` command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paramcalc.compute import Compute
    from paramcalc.memory import Memory


def short(n: int) -> str:
    """``17,563,837,440`` → ``17.56G``; small numbers as they are."""
    for unit, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def compute_table(compute: Compute, title: str = "Compute of one forward pass") -> Any:
    """A Rich table: one row per counted item (with its formula), MACs and FLOPs, totals in the footer."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_footer=True, title_justify="left")
    table.add_column("operation", footer="total", overflow="fold")
    table.add_column("MACs", justify="right", footer=f"{compute.macs:,}")
    table.add_column("FLOPs", justify="right", footer=f"{compute.flops:,}")
    for op in compute.ops:
        cell = Text(op.name)
        cell.append(f"\n{op.formula} = {op.working}", style="dim")
        table.add_row(cell, f"{op.count:,}" if op.kind == "mac" else "--", f"{op.flops:,}")
    return table


def compute_lines(compute: Compute) -> list[str]:
    """The FLOPs working, the training rule of thumb and what is not counted, as plain lines."""
    lines = [
        f"MACs: {compute.macs:,} ({short(compute.macs)})",
        f"FLOPs = {compute.flops_working()} ({short(compute.flops)})",
        f"training step ≈ 3 × forward FLOPs = {compute.training_flops:,} ({short(compute.training_flops)})",
    ]
    return lines + [f"not counted: {note}" for note in compute.notes]


def memory_table(memory: Memory, title: str | None = None) -> Any:
    """A Rich table: one row per memory line with its formula, bytes and binary size, total in the footer."""
    from rich.table import Table
    from rich.text import Text

    mode = "training" if memory.training else "inference"
    opt = f", {memory.optimizer}" if memory.optimizer else ""
    table = Table(
        title=title or f"Memory, {mode} in {memory.dtype}{opt}", show_footer=True, title_justify="left"
    )
    table.add_column("what", footer="total", overflow="fold")
    table.add_column("bytes", justify="right", footer=f"{memory.total_bytes:,}")
    table.add_column("size", justify="right", footer=memory.total)
    for line in memory.lines:
        cell = Text(line.name)
        cell.append(f"\n{line.formula}", style="dim")
        table.add_row(cell, f"{line.bytes:,}", line.human)
    return table


def register(app: Any) -> None:
    """Add the ``memory`` command to the Typer app."""
