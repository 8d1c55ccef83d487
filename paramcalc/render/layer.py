"""A layer report in two stages: ``collect`` asks the library, ``render_report`` draws it with Rich.

``collect`` computes everything (count, tensors, output shapes, the worked formulas, notes, and the
other conventions when asked) into a frozen :class:`LayerReport`; ``as_dict`` is its JSON form and
``__rich__`` its Rich form, so ``rich.print(report)`` shows what the CLI shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paramcalc.specs.working import shape_str
from paramcalc.results import Count, Tensor, TensorRow, collapse_tensors

Shape = tuple[int, ...]

#: What each convention counts, in a few words.
CONVENTION_MEANING = {
    "pytorch": "sum(p.numel() for p in module.parameters()); buffers apart",
    "keras": "Keras 3 count_params(), trainable and non-trainable",
    "textbook": "the course-notes formulas: one bias per layer or gate",
}


def short(n: int) -> str:
    """A count in a short form with one decimal: 117,760 → 117.8K; 3,145,728 → 3.1M; 128 → 128.

    From a thousand trillion on, scientific: 2**124 + 2**62 → 2.1e37.
    """
    if abs(n) < 1000:
        return str(n)
    sign, n = ("-" if n < 0 else ""), abs(n)
    for unit, size in (("K", 10**3), ("M", 10**6), ("B", 10**9), ("T", 10**12)):
        tenths = (n * 10 + size // 2) // size
        if tenths < 10_000:
            return f"{sign}{tenths // 10}.{tenths % 10}{unit}"
    # 1,000T and beyond: scientific form from the exact digits (no float, so no overflow)
    exponent = len(str(n)) - 1
    tenths = (n * 10 + 10**exponent // 2) // 10**exponent
    if tenths == 100:  # rounding carried into the next power of ten
        tenths, exponent = 10, exponent + 1
    return f"{sign}{tenths // 10}.{tenths % 10}e{exponent}"


def headline(total: int) -> str:
    """``117,760 · 117.8K`` (just ``128`` below a thousand)."""
    return f"{total:,}" if total < 1000 else f"{total:,} · {short(total)}"


def default_convention(spec: Any) -> str:
    """"keras" for a Keras layer spec, else "pytorch"."""
    return "keras" if getattr(type(spec), "framework", "pytorch") == "keras" else "pytorch"


# -- Collect ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConventionRow:
    """One convention's count of the layer, or why it cannot count it, and why it differs."""

    convention: str
    count: Count | None
    error: str | None = None
    reason: str = ""
    #: total − PyTorch's total, when both can be counted.
    difference: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "convention": self.convention,
            "params": None if self.count is None else self.count.as_dict(),
            "difference": self.difference,
            "error": self.error,
            "reason": self.reason or None,
        }


@dataclass(frozen=True)
class LayerReport:
    """Everything a layer query shows, computed; rendering reads it and computes nothing."""

    spec: Any
    convention: str
    count: Count
    tensors: tuple[Tensor, ...]
    input_shapes: tuple[Shape, ...] = ()
    output_shapes: dict[str, Shape] = field(default_factory=dict)
    formula: tuple[str, ...] = ()
    shape_formula: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    conventions: tuple[ConventionRow, ...] | None = None
    #: MACs and FLOPs of one forward pass (:class:`paramcalc.results.Compute`), when the input shape is known.
    compute: Any = None
    #: List every tensor in the text form, not one row per run of stacked layers (JSON lists all).
    all_tensors: bool = False

    def tensor_rows(self) -> tuple[TensorRow, ...]:
        """The rows of the tensor table: runs of 3 or more stacked layers with the same tensors
        are one row per tensor (``layers.0-999.linear1.weight ×1000``) unless ``all_tensors``."""
        if self.all_tensors:
            return tuple(TensorRow(t.name, t.shape, t.kind, t.description) for t in self.tensors)
        return collapse_tensors(self.tensors)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``paramcalc layer --json``."""
        return {
            "layer": self.spec.spec_dict(),
            "expression": str(self.spec),
            "convention": self.convention,
            "params": self.count.as_dict(),
            "input_shapes": [list(s) for s in self.input_shapes],
            "output_shapes": {name: list(shape) for name, shape in self.output_shapes.items()},
            "tensors": [t.as_dict() for t in self.tensors],
            "formula": "\n".join(self.formula),
            "shape_formula": list(self.shape_formula),
            "notes": [*self.warnings, *self.notes],
            "conventions": None if self.conventions is None else [row.as_dict() for row in self.conventions],
            "compute": None if self.compute is None else self.compute.as_dict(),
        }

    def __rich__(self) -> Any:
        return render_report(self)


def shape_argument(shapes: tuple[Shape, ...]) -> Any:
    """What ``count(input_shape=...)`` takes: None, one shape, or the list of shapes of several inputs."""
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else list(shapes)


def collect(
    spec: Any, convention: str = "pytorch", input_shapes: Any = (), *, all_conventions: bool = False,
    all_tensors: bool = False,
) -> LayerReport:
    """Ask the library everything about one layer under one convention.

    Args:
        spec: the layer spec.
        convention: "pytorch", "keras" or "textbook".
        input_shapes: the input shapes (batch dimension included), one per input; may be empty.
        all_conventions: also count under every convention, with the reason for each difference.
        all_tensors: the text form lists every tensor, not one row per run of stacked layers.

    Raises:
        SpecError: the layer cannot be counted, or the input shape does not fit it.
    """
    shapes = tuple(tuple(s) for s in input_shapes)
    arg = shape_argument(shapes)
    count = spec.count(convention, input_shape=arg)
    tensors = tuple(spec.param_tensors(convention, input_shape=arg))
    notes = []
    resolved = spec
    field_name = getattr(spec, "infer_field", None)
    if field_name and not spec.is_resolved():
        resolved = spec.resolve(shapes[0] if shapes else None)
        notes.append(f"{field_name} = {getattr(resolved, field_name)!r}, read from the input shape")
    outputs = spec.output_shapes(*shapes) if shapes else {}
    formula = tuple(spec.explain_params(convention, input_shape=arg))
    shape_formula = tuple(spec.explain_shape(*shapes)) if shapes else ()
    warnings = tuple(spec.shape_notes(*shapes)) if shapes else ()
    if not shapes:
        notes.append("give --input-shape to see the output shapes")
    rows = compare_conventions(spec, arg) if all_conventions else None
    from paramcalc.analysis.compute import try_layer_compute

    compute, why = try_layer_compute(spec, *shapes)
    if why:
        notes.append(why)
    return LayerReport(
        spec=resolved, convention=convention, count=count, tensors=tensors, input_shapes=shapes,
        output_shapes=outputs, formula=formula, shape_formula=shape_formula, notes=tuple(notes),
        warnings=warnings, conventions=rows, compute=compute, all_tensors=all_tensors,
    )


def compare_conventions(spec: Any, input_shape: Any) -> tuple[ConventionRow, ...]:
    """Every convention's count side by side, from :func:`paramcalc.compare`."""
    try:
        from paramcalc.conventions import compare
    except ImportError:  # pragma: no cover - without the conventions package: counts, no reasons
        return tuple(_count_row(spec, c, input_shape) for c in CONVENTION_MEANING)
    comparison = compare(spec, input_shape=input_shape)
    return tuple(
        ConventionRow(
            convention=row.convention,
            count=row.count,
            error=getattr(row, "error", None),
            reason=getattr(row, "reason", None) or "",
            difference=getattr(row, "difference", None),
        )
        for row in comparison.rows
    )


def _count_row(spec: Any, convention: str, input_shape: Any) -> ConventionRow:
    from paramcalc.errors import ParamcalcError

    try:
        return ConventionRow(convention, spec.count(convention, input_shape=input_shape))
    except ParamcalcError as exc:
        return ConventionRow(convention, None, error=str(exc))


# -- Render -----------------------------------------------------------------------------------


def render_report(report: LayerReport) -> Any:
    """The report as Rich renderables: headline, tensor table, worked formulas, conventions."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    parts: list[Any] = [Text(str(report.spec), style="bold"), _headline(report), Text()]
    parts += [_tensor_table(report), Text()]
    parts += _section("Parameters, worked out", report.formula)
    if report.shape_formula:
        parts += [Text()] + _section("Output shape, worked out", report.shape_formula)
    for warning in report.warnings:
        parts.append(Padding(Text(f"warning: {warning}", style="bold yellow"), (0, 0, 0, 2)))
    for note in report.notes:
        parts.append(Padding(Text(f"note: {note}", style="dim"), (0, 0, 0, 2)))
    if report.compute is not None:
        from paramcalc.render.compute import compute_parts

        parts += [Text()] + compute_parts(report.compute)
    if report.conventions is not None:
        parts += [Text(), _conventions_table(report)]
    return Group(*parts)


def _headline(report: LayerReport) -> Any:
    from rich.table import Table
    from rich.text import Text

    c = report.count
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("Parameters", Text(headline(c.total), style="bold green"))
    grid.add_row("", f"trainable {c.trainable:,} · non-trainable {c.non_trainable:,} · buffers {c.buffers:,}")
    grid.add_row("Convention", f"{report.convention}: {CONVENTION_MEANING.get(report.convention, '')}")
    if report.input_shapes:
        grid.add_row("Input", " ; ".join(shape_str(s) for s in report.input_shapes))
    if report.output_shapes:
        grid.add_row("Output", "\n".join(f"{name} {shape_str(s)}" for name, s in report.output_shapes.items()))
    if report.compute is not None:
        grid.add_row("MACs", f"{headline(report.compute.macs)} · FLOPs {headline(report.compute.flops)}")
    return grid


_KIND = {"trainable": "", "non_trainable": "non-trainable", "buffer": "buffer"}


def _tensor_table(report: LayerReport) -> Any:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if not report.tensors:
        return Text("Tensors: none (this layer has no weights)")
    rows = report.tensor_rows()
    kinds = any(t.kind != "trainable" for t in rows)
    runs = any(t.repeat > 1 for t in rows)
    table = Table(title="Tensors", title_justify="left", box=box.SIMPLE_HEAD, show_footer=True,
                  show_edge=False, pad_edge=False, title_style="bold")
    # long run names ("decoder.layers.0-999.multihead_attn...") fold rather than crush the numbers
    table.add_column("Name", footer="Total", no_wrap=not runs, overflow="fold")
    table.add_column("Shape", no_wrap=True)
    if runs:
        table.add_column("Times", justify="right", no_wrap=True)
    table.add_column("Count", justify="right", footer=f"{report.count.total:,}", no_wrap=True)
    if kinds:
        table.add_column("Kind", no_wrap=True)
    table.add_column("Description", ratio=1)
    for t in rows:
        row = [t.name, shape_str(t.shape)]
        if runs:
            row.append(f"×{t.repeat:,}" if t.repeat > 1 else "")
        row.append(f"{t.total:,}")
        if kinds:
            row.append(_KIND[t.kind])
        row.append(t.description)
        table.add_row(*row, style="dim" if t.kind == "buffer" else None)
    return table


def _section(title: str, lines: tuple[str, ...]) -> list[Any]:
    from rich.padding import Padding
    from rich.text import Text

    out: list[Any] = [Text(title, style="bold")]
    for line in lines:
        style = "italic" if line.startswith("formula: ") else None
        out.append(Padding(Text(line, style=style or ""), (0, 0, 0, 2)))
    return out


def _conventions_table(report: LayerReport) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title="All conventions", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, title_style="bold")
    table.add_column("Convention", no_wrap=True)
    table.add_column("Total", justify="right", no_wrap=True)
    table.add_column("Non-trainable", justify="right", no_wrap=True)
    table.add_column("Why it differs", ratio=1)
    for row in report.conventions or ():
        if row.count is None:
            table.add_row(row.convention, "--", "--", row.error or row.reason)
        else:
            table.add_row(
                row.convention, f"{row.count.total:,}", f"{row.count.non_trainable:,}", row.reason,
                style="bold" if row.convention == report.convention else None,
            )
    return table
