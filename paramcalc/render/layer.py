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
from paramcalc.units import compute_text, count_text

Shape = tuple[int, ...]

#: What each convention counts, in a few words.
CONVENTION_MEANING = {
    "pytorch": "sum(p.numel() for p in module.parameters()); buffers apart",
    "keras": "Keras 3 count_params(), trainable and non-trainable",
    "textbook": "the course-notes formulas: one bias per layer or gate",
}


def short(n: int) -> str:
    """A count in a short form with one decimal: 117,760 → 117.8K; 3,145,728 → 3.1M; 128 → 128; from a
    thousand trillion on, scientific: 2**124 + 2**62 → 2.1e37 (:func:`paramcalc.units.count_text`)."""
    return count_text(n)


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


def render_report(report: LayerReport, *, working: bool = True) -> Any:
    """The report as Rich renderables: headline, tensor table, worked formulas (unless ``working`` is
    False), conventions."""
    from rich.console import Group
    from rich.text import Text

    from paramcalc.render.layout import Paragraph

    parts: list[Any] = [Paragraph(str(report.spec), style="bold", hang=2), _headline(report), Text()]
    parts += [_tensor_table(report), Text()]
    if working:
        parts += _section("Parameters, worked out", report.formula)
        if report.shape_formula:
            parts += [Text()] + _section("Output shape, worked out", report.shape_formula)
    for warning in report.warnings:
        parts.append(Paragraph(f"warning: {warning}", indent=2, style="bold yellow"))
    for note in report.notes:
        parts.append(Paragraph(f"note: {note}", indent=2, style="dim"))
    if report.compute is not None:
        from paramcalc.render.compute import compute_parts

        parts += [Text()] + compute_parts(report.compute, working=working)
    if report.conventions is not None:
        parts += [Text(), _conventions_table(report)]
    return Group(*parts)


def _headline(report: LayerReport) -> Any:
    from rich.text import Text

    from paramcalc.render.layout import WRAP, Column, Table

    c = report.count
    grid = Table(Column(), Column(role=WRAP, min_width=24), header=False, gap=2)
    grid.add_row(Text("Parameters", style="bold"), Text(headline(c.total), style="bold green"))
    grid.add_row("", f"trainable {c.trainable:,} · non-trainable {c.non_trainable:,} · buffers {c.buffers:,}")
    grid.add_row(Text("Convention", style="bold"), f"{report.convention}: {CONVENTION_MEANING.get(report.convention, '')}")
    if report.input_shapes:
        grid.add_row(Text("Input", style="bold"), " ; ".join(shape_str(s) for s in report.input_shapes))
    if report.output_shapes:
        grid.add_row(Text("Output", style="bold"),
                     "\n".join(f"{name} {shape_str(s)}" for name, s in report.output_shapes.items()))
    if report.compute is not None:
        m, f = report.compute.macs, report.compute.flops
        grid.add_row(Text("MACs", style="bold"), f"{_compute_headline(m)} · FLOPs {_compute_headline(f)}")
    return grid


def _compute_headline(n: int) -> str:
    """``186,777,600 · 186.78M`` (just ``0`` below a thousand)."""
    return f"{n:,}" if n < 1000 else f"{n:,} · {compute_text(n)}"


_KIND = {"trainable": "", "non_trainable": "non-trainable", "buffer": "buffer"}


def _tensor_table(report: LayerReport) -> Any:
    from rich.text import Text

    from paramcalc.render.layout import OPTIONAL, WRAP, Column, Table

    if not report.tensors:
        return Text("Tensors: none (this layer has no weights)")
    rows = report.tensor_rows()
    kinds = any(t.kind != "trainable" for t in rows)
    runs = any(t.repeat > 1 for t in rows)
    columns = [Column("Name", footer="Total"), Column("Shape")]
    if runs:
        columns.append(Column("Times", justify="right"))
    columns.append(Column("Count", justify="right", footer=f"{report.count.total:,}"))
    if kinds:
        columns.append(Column("Kind", role=OPTIONAL))
    columns.append(Column("Description", role=WRAP, min_width=20))
    table = Table(*columns, title="Tensors", title_justify="left")
    for t in rows:
        row = [t.name, shape_str(t.shape)]
        if runs:
            row.append(f"×{t.repeat:,}" if t.repeat > 1 else "")
        row.append(f"{t.total:,}")
        if kinds:
            row.append(_KIND[t.kind])
        row.append(t.description)
        table.add_row(*row, style="dim" if t.kind == "buffer" else "")
    return table


def _section(title: str, lines: tuple[str, ...]) -> list[Any]:
    from rich.text import Text

    from paramcalc.render.layout import Paragraph

    out: list[Any] = [Text(title, style="bold")]
    for line in lines:
        style = "italic" if line.startswith("formula: ") else ""
        out.append(Paragraph(line, indent=2, style=style))
    return out


def _conventions_table(report: LayerReport) -> Any:
    from paramcalc.render.layout import WRAP, Column, Table

    table = Table(Column("Convention"), Column("Total", justify="right"), Column("Non-trainable", justify="right"),
                  Column("Why it differs", role=WRAP, min_width=20), title="All conventions", title_justify="left")
    for row in report.conventions or ():
        if row.count is None:
            table.add_row(row.convention, "--", "--", row.error or row.reason)
        else:
            table.add_row(
                row.convention, f"{row.count.total:,}", f"{row.count.non_trainable:,}", row.reason,
                style="bold" if row.convention == report.convention else "",
            )
    return table
