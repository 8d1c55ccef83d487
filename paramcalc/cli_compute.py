"""Rendering compute and memory (Rich tables, plain JSON) and the ``paramcalc memory`` command."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from paramcalc.compute import Compute
    from paramcalc.memory import Memory


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


def memory_table(memory: Memory, title: str | None = None) -> Any:
    """A Rich table: one row per memory line with its formula, bytes and binary size, total in the footer."""
    from rich.table import Table
    from rich.text import Text

    mode = "training" if memory.training else "inference"
    opt = f", {memory.optimizer}" if memory.optimizer else ""
    from rich import box

    table = Table(
        title=title or f"Memory, {mode} in {memory.dtype}{opt}", show_footer=True, title_justify="left",
        title_style="bold", box=box.SIMPLE_HEAD, header_style="bold", footer_style="bold", pad_edge=False,
        show_edge=False,
    )
    table.add_column("what", footer="total", overflow="fold")
    table.add_column("bytes", justify="right", footer=f"{memory.total_bytes:,}")
    table.add_column("size", justify="right", footer=memory.total)
    for line in memory.lines:
        cell = Text(line.name)
        cell.append(f"\n{line.formula}", style="dim")
        table.add_row(cell, f"{line.bytes:,}", line.human)
    return table


MEMORY_HELP = """How much memory a model needs: weights, buffers, and for training gradients, optimizer states and activations; for decoder transformers the KV cache.

Each line shows its formula; sizes are in binary units (1 GiB = 1,024³ bytes), with the exact byte count in --json. int8 and int4 quantise the weights only (activations and the KV cache stay fp16). Optimizer states are fp32 (Adam and AdamW: two moments; in fp16/bf16 also fp32 master weights). Activations come from the layer output shapes: every output in training, the largest layer input + output in inference.

[bold]Examples[/bold]

  paramcalc memory llama2-7b --dtype fp16

  paramcalc memory llama2-7b --dtype fp16 --batch-size 8 --seq-len 2048

  paramcalc memory gpt2 --training --dtype bf16 --optimizer adamw --batch-size 8

  paramcalc memory resnet50 --training --optimizer sgd --momentum --batch-size 32 --json

Python: paramcalc.model_memory("llama2-7b", dtype="fp16", seq_len=2048)
"""


def memory_heading(memory: Memory, name: str | None) -> str:
    """``LLaMA-2-7B: inference in fp16, batch 1, 4,096 tokens``."""
    mode = "training" if memory.training else "inference"
    parts = [f"{mode} in {memory.dtype}"]
    if memory.optimizer:
        parts.append(memory.optimizer)
    if memory.batch_size is not None:
        parts.append(f"batch {memory.batch_size:,}")
    if memory.seq_len is not None:
        parts.append(f"{memory.seq_len:,} tokens")
    return f"{name or 'model'}: {', '.join(parts)}"


class DTypeChoice(str, Enum):
    """Data types for ``--dtype``."""

    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"
    int8 = "int8"
    int4 = "int4"


class OptimizerChoice(str, Enum):
    """Optimizers for ``--optimizer``."""

    sgd = "sgd"
    adam = "adam"
    adamw = "adamw"


def memory_command(
    target: Annotated[str, typer.Argument(
        metavar="MODEL_OR_PRESET", show_default=False,
        help="A model file (YAML or JSON) or a preset name (paramcalc presets).")],
    dtype: Annotated[DTypeChoice, typer.Option(
        "--dtype", help="Type of the weights: fp32, fp16, bf16, int8, int4 (half a byte); with int8 and int4 (weight-only quantisation) activations and the KV cache stay fp16.")
    ] = DTypeChoice.fp32,
    batch_size: Annotated[Optional[int], typer.Option(
        "--batch-size", "-b", min=1, help="Batch size (replaces the input's first dimension).")] = None,
    seq_len: Annotated[Optional[int], typer.Option(
        "--seq-len", min=1, help="Sequence length (replaces a sequence input's second dimension).")] = None,
    optimizer: Annotated[OptimizerChoice, typer.Option(
        "--optimizer", help="Optimizer whose states training keeps (with --training).")
    ] = OptimizerChoice.adam,
    momentum: Annotated[bool, typer.Option("--momentum", help="SGD with a momentum buffer.")] = False,
    training: Annotated[bool, typer.Option(
        "--training", help="Training: gradients, optimizer states, every activation kept.")] = False,
    input_shape: Annotated[Optional[str], typer.Option(
        "--input-shape", "-i", metavar="SHAPE",
        help="Input shape(s) instead of the file's ('8,3,224,224'; several separated by ';').")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON document with exact byte counts.")] = False,
) -> None:
    from paramcalc.cliutil import parse_shapes, print_json, print_rich
    from paramcalc.memory import load_model_or_preset, model_memory

    model = load_model_or_preset(target)
    shapes = parse_shapes(input_shape, "--input-shape")
    memory = model_memory(
        model, dtype=dtype.value, batch_size=batch_size, seq_len=seq_len, training=training,
        optimizer=optimizer.value, momentum=momentum,
        input_shape=None if not shapes else shapes[0] if len(shapes) == 1 else shapes,
    )
    if json:
        print_json({"model": model.name, **memory.as_dict()})
        return
    from rich.text import Text

    parts: list[Any] = [memory_table(memory, title=memory_heading(memory, model.name))]
    if memory.notes:
        parts.append(Text("\n".join(f"- {n}" for n in memory.notes)))
    print_rich(*parts)


def register(app: Any) -> None:
    """Add the ``memory`` command to the Typer app."""
    from paramcalc.cliutil import boundary

    app.command("memory", help=MEMORY_HELP)(boundary(memory_command))


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
    """The model's :class:`~paramcalc.compute.ModelCompute`, or None when an input shape is unknown."""
    from paramcalc.compute import model_compute
    from paramcalc.errors import ParamcalcError

    if any(s is None for s in summary.input_shapes.values()):
        return None
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
    other = ", ".join(f"{n:,} {KIND_LABEL[k]}" for k, n in mc.total.by_kind().items())
    lines = [f"FLOPs = 2 × MACs + {other} (paramcalc layer itemises any layer)"]
    if mc.six_n_d is not None:
        lines.append(
            f"6·N·D: N = {mc.params - mc.embedding_params:,} parameters outside the embedding tables "
            f"(Kaplan et al. 2020); it leaves out the attention products, which the 3 × forward line includes"
        )
    return lines


KIND_LABEL = {
    "bias": "bias adds", "norm": "normalisation", "activation": "activations", "softmax": "softmax",
    "pool": "pooling", "elementwise": "element-wise",
}


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
