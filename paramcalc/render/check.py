"""Rendering checked answers and problem sheets: what ``paramcalc check`` and ``paramcalc check-sheet`` print.

A check is one block per answer (its verdict, the diagnosis and the working); a sheet is a line per
answer (✓/✗, problem, given, expected) with its diagnosis below, and the summary. Loading this module
registers both as the results' Rich forms (``rich.print(result)``; :mod:`paramcalc.forms`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paramcalc import forms
from paramcalc.checking.answers import format_shape
from paramcalc.checking.results import CheckResult
from paramcalc.checking.sheet import SheetReport
from paramcalc.render.text import one_line, printable


# -- One check -------------------------------------------------------------------------------


def render_check(result: CheckResult, *, derivations: bool = True) -> Any:
    """A Rich renderable of a check: one block per answer with its verdict, diagnosis and working."""
    from rich.console import Group
    from rich.text import Text

    def indent(text: str, style: str, by: int = 2) -> Any:
        return Indented(text, style, by)

    head = Text()
    head.append(printable(result.target), style="bold")
    conv = result.convention if result.convention_chosen else f"{result.convention} (the {result.kind}'s own)"
    head.append(f"\nconvention: {conv}", style="dim")
    if result.input_shape is not None:
        head.append(f"   input: {_shape_text(result.input_shape)}", style="dim")
    parts: list[Any] = [head]
    for note in result.notes:
        parts.append(Indented(f"! {note}", "yellow", 0, 2))
    for a in result.answers:
        line = Text()
        line.append(f"{a.mark} ", style="bold green" if a.correct else "bold red")
        line.append(f"{printable(a.quantity):<14}")
        line.append(f"given {printable(a.given_text())}")
        if a.correct:
            if a.layout:
                line.append(f"  ({a.layout})", style="dim")
        else:
            line.append(f"   expected {printable(a.expected_text())}", style="bold")
        parts.append(line)
        detail = a.diagnosis_text()
        if detail:
            for d in (a.diagnoses if not a.correct and a.diagnoses else ()):
                parts.append(indent(d.text, "cyan"))
                parts.append(indent(d.explanation, "dim", 4))
            if a.correct or not a.diagnoses:
                parts.append(indent(detail, "cyan" if not a.correct else "dim"))
        if derivations and a.derivation:
            parts.append(indent(a.derivation, "dim"))
    summary = f"{result.correct}/{len(result.answers)} correct"
    parts.append(Text(summary, style="bold green" if result.ok else "bold red"))
    return Group(*parts)


class Indented:
    """Text indented by ``by`` spaces, wrapped (with the same indent) to the console width, no trailing spaces."""

    def __init__(self, text: str, style: str = "", by: int = 2, hang: int = 0) -> None:
        self.text, self.style, self.by, self.hang = text, style, by, hang

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        from paramcalc.render.layout import wrap_text

        width = max(options.max_width - self.by - self.hang, 20)
        lines = []
        for raw in [printable(line) for line in self.text.splitlines()] or [""]:
            wrapped = [w.plain for w in wrap_text(Text(raw), width)] or [""]
            lines.extend(" " * self.by + (" " * self.hang if i else "") + w for i, w in enumerate(wrapped))
        yield Text("\n".join(lines), style=self.style, no_wrap=True, overflow="fold")


def _shape_text(shape: Any) -> str:
    if shape and isinstance(shape[0], tuple):
        return "; ".join(format_shape(s) for s in shape)
    return format_shape(shape)


# -- A sheet ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One answer of a sheet, as the report shows it: the verdict, and what explains or qualifies it."""

    problem: str
    given: str
    expected: str
    mark: str
    details: tuple[str, ...] = ()

    @property
    def diagnosis(self) -> str:
        """The details in one line."""
        return "; ".join(self.details)


def report_rows(report: SheetReport) -> list[ReportRow]:
    """The report's rows: problem, given, expected, ✓/✗ (! for a problem that could not be checked), diagnosis."""
    rows = []
    for p in report.problems:
        if p.error is not None:
            rows.append(ReportRow(p.id, "--", "--", "!", (f"error: {p.error}",)))
            continue
        assert p.result is not None
        inexact = any("not a whole number" in n for n in p.result.notes)
        for a in p.result.answers:
            label = p.id if len(p.result.answers) == 1 else f"{p.id} {a.quantity}"
            if a.correct:
                details = [a.remark] if a.remark else []
                if a.quantity == "shape" and a.layout:
                    details.append(a.layout)
            else:
                details = [d.text for d in a.diagnoses] or [a.diagnosis_text()]
            if a.quantity == "shape" and inexact:
                details.append("the division is not exact (it is floored)")
            rows.append(ReportRow(label, a.given_text(), a.expected_text(), a.mark, tuple(details)))
    return rows


def _report_lines(report: SheetReport, width: int, encoding: str | None = "utf-8") -> list[tuple[str, str]]:
    """The report as (text, style) lines: a header, one line per answer with its diagnosis below, the summary.

    Nothing is cut: when a row does not fit the width, its given and expected values go on the line
    below the problem. Marks and rules are ASCII stand-ins when ``encoding`` cannot show them.
    """
    import textwrap

    from paramcalc.render.glyphs import can_show, fit

    ascii_only = not can_show(encoding)

    def shown(text: str) -> str:
        return fit(text, encoding) if ascii_only else text

    rows = [
        ReportRow(shown(printable(r.problem)), shown(printable(r.given)), shown(printable(r.expected)), r.mark,
                  tuple(shown(one_line(d)) for d in r.details))
        for r in report_rows(report)
    ]
    marks = {m: shown(m) for m in ("✓", "✗", "!", " ")}
    w_mark = max(len(m) for m in marks.values())
    heads = ("Problem", "Given", "Expected")
    w_problem = max([len(heads[0]), *(len(r.problem) for r in rows)])
    w_given = max([len(heads[1]), *(len(r.given) for r in rows)])
    w_expected = max([len(heads[2]), *(len(r.expected) for r in rows)])
    full = w_mark + 1 + w_problem + 2 + w_given + 2 + w_expected

    def line(mark: str, problem: str, given: str, expected: str) -> list[str]:
        mark = f"{marks.get(mark, mark):<{w_mark}}"
        if full <= width:
            return [f"{mark} {problem:<{w_problem}}  {given:>{w_given}}  {expected:>{w_expected}}"]
        if mark.strip() == "":  # the header of the narrow form
            return [f"{mark} {problem}: given, expected"]
        return [f"{mark} {problem}", f"{' ' * (w_mark + 1)}given {given}  expected {expected}"]

    rule = "─" if not ascii_only else "-"
    out: list[tuple[str, str]] = [(shown(printable(report.title or "Problem sheet")), "bold"), ("", "")]
    header = line(" ", *heads)
    out.append((header[0], "bold"))
    rule_width = min(max(len(text) for text in header), width) if full <= width else width
    out.append((rule * rule_width, "dim"))
    styles = {"✓": "green", "✗": "red", "!": "yellow"}
    for r in rows:
        out.extend((text, styles.get(r.mark, "")) for text in line(r.mark, r.problem, r.given, r.expected))
        style = "cyan" if r.mark == "✗" else ("yellow" if r.mark == "!" else "dim")
        for detail in r.details:
            for i, wrapped in enumerate(textwrap.wrap(detail, max(width - 6, 20), break_on_hyphens=False)):
                out.append((f"    {wrapped}" if i == 0 else f"      {wrapped}", style))
    out.append((rule * rule_width, "dim"))
    out.append((shown(report.summary), "bold green" if report.ok else "bold red"))
    return out


class SheetView:
    """A Rich renderable of a sheet report (what ``paramcalc check-sheet`` prints)."""

    def __init__(self, report: SheetReport) -> None:
        self.report = report

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        out = Text(no_wrap=True, overflow="fold", end="")
        for i, (text, style) in enumerate(_report_lines(self.report, options.max_width, console.encoding)):
            if i:
                out.append("\n")
            out.append(text, style=style or None)
        yield out


def render_sheet(report: SheetReport) -> Any:
    """A Rich renderable: a line per answer (✓/✗, problem, given, expected), its diagnosis below, the summary."""
    return SheetView(report)


def render_sheet_text(report: SheetReport, width: int = 80, encoding: str | None = "utf-8") -> str:
    """The report as plain text, as the CLI prints it when the output is not a terminal."""
    return "\n".join(text for text, _ in _report_lines(report, width, encoding))


forms.register(CheckResult, "rich", render_check)
forms.register(SheetReport, "rich", render_sheet)
