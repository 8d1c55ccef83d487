"""Tables laid out for the width they are drawn in, never cutting what a reader must read whole.

Every table paramcalc prints is a :class:`Table` of :class:`Column` s, each with a role:

- ``ESSENTIAL`` (numbers, shapes, names to type, units): always shown whole, never cut or wrapped;
- ``WRAP`` (descriptions, formulas): wrapped at spaces to a narrower width, first;
- ``OPTIONAL`` (a column the reader can do without): dropped next, when wrapping is not enough.

When even the essential columns do not fit side by side, the table falls back to one record per
line (``conv1  Type Conv2d  Params 9,408 ...``, continued on indented lines at field boundaries).
A value wider than the whole width is folded onto the next line, never cut. The table is as wide
as its content, at most the width it is drawn in (the console's width: the terminal's, up to the
command line's maximum).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from paramcalc.render.glyphs import can_show, fit

ESSENTIAL, WRAP, OPTIONAL = "essential", "wrap", "optional"


@dataclass(frozen=True)
class Column:
    """A column: its header, how its cells are aligned, and what may happen to it when space is short.

    Attributes:
        header: the header text (also the field's name in the one-record-per-line form).
        justify: ``left``, ``right`` or ``center``.
        role: ``ESSENTIAL``, ``WRAP`` or ``OPTIONAL``.
        footer: the footer cell (a total), if any.
        min_width: the narrowest a ``WRAP`` column is wrapped to.
        drop: among ``OPTIONAL`` columns, the one with the highest ``drop`` goes first (then the rightmost).
    """

    header: str = ""
    justify: str = "left"
    role: str = ESSENTIAL
    footer: str = ""
    min_width: int = 16
    drop: int = 0


def _text(cell: Any, style: str = "") -> Any:
    from rich.text import Text

    if isinstance(cell, Text):
        return cell.copy()
    return Text("" if cell is None else str(cell), style=style)


#: What wrapping never splits: a shape ``(1, 64, 112, 112)`` or ``(N, C, H, W)``, a size and its unit
#: ``12.55 GiB``, a word.
_WORD = re.compile(r"\((?:[^()\s,]{1,12}, )*[^()\s,]{1,12},?\)[^ ]*|\d[\d,.]*\s(?:[KMGTPE]i?B|kB|B)\b[^ ]*|\S+")


def wrap_text(text: Any, width: int) -> list[Any]:
    """A Rich ``Text`` (one line or several) wrapped at spaces to ``width``; a longer word is folded."""
    out = []
    width = max(width, 1)
    for line in text.split("\n", allow_blank=True):
        plain = line.plain
        if len(plain) <= width:
            out.append(line)
            continue
        start = end = None
        pieces: list[tuple[int, int]] = []
        for m in _WORD.finditer(plain):
            s, e = m.span()
            while e - s > width:  # a word longer than the column: fold it
                if start is not None:
                    pieces.append((start, end))  # type: ignore[arg-type]
                    start = None
                pieces.append((s, s + width))
                s += width
            if start is None:
                start, end = s, e
            elif e - start <= width:
                end = e
            else:
                pieces.append((start, end))  # type: ignore[arg-type]
                start, end = s, e
        if start is not None:
            pieces.append((start, end))  # type: ignore[arg-type]
        out.extend(line[s:e] for s, e in pieces or [(0, 0)])
    return out


class Table:
    """A table that fits its width (see the module's docstring); a Rich renderable.

    Args:
        columns: the columns, left to right.
        title: a bold line above the table (centred over it, or left with ``title_justify="left"``).
        header: show the header row and the rule under it.
        gap: spaces between columns.
        footer_style: the style of the footer row (shown after a blank line when a column has a footer).
    """

    def __init__(self, *columns: Column, title: Any = None, title_justify: str = "center", header: bool = True,
                 gap: int = 3, footer_style: str = "bold") -> None:
        self.columns = list(columns)
        self.title, self.title_justify, self.header, self.gap = title, title_justify, header, gap
        self.footer_style = footer_style
        self.rows: list[tuple[list[Any], str]] = []
        self._sections: set[int] = set()

    def add_row(self, *cells: Any, style: str = "") -> None:
        """A row: one cell per column (str or Rich ``Text``; a cell may hold several lines)."""
        if len(cells) != len(self.columns):
            raise ValueError(f"a row needs {len(self.columns)} cells. Received: {len(cells)}")
        self.rows.append((list(cells), style))

    def add_section(self) -> None:
        """A blank line before the next row."""
        self._sections.add(len(self.rows))

    # -- layout ------------------------------------------------------------------------------

    def _cells(self, encoding: str | None) -> tuple[list[Any], list[tuple[list[Any], str]], list[Any]]:
        ascii_only = not can_show(encoding)

        def prepared(cell: Any, style: str = "") -> Any:
            text = _text(cell, style)
            if ascii_only and not can_show(encoding, text.plain):
                from rich.text import Text

                text = Text(fit(text.plain, encoding), style=text.style)
            return text

        heads = [prepared(c.header, "bold") for c in self.columns]
        body = [([prepared(c) for c in cells], style) for cells, style in self.rows]
        feet = [prepared(c.footer) for c in self.columns]
        return heads, body, feet

    @staticmethod
    def _width(text: Any) -> int:
        return max((line.cell_len for line in text.split("\n", allow_blank=True)), default=0)

    def plan(self, width: int, encoding: str | None = "utf-8") -> tuple[list[int], list[int]] | None:
        """The columns shown and their widths for a table at most ``width`` wide; None when only the
        one-record-per-line form fits."""
        heads, body, feet = self._cells(encoding)
        return self._plan(width, heads, body, feet)

    def _plan(self, width: int, heads: list[Any], body: list[Any], feet: list[Any]) -> Any:
        n = len(self.columns)
        natural = []
        for i in range(n):
            natural.append(max([self._width(heads[i]) if self.header else 0, self._width(feet[i]),
                                *(self._width(cells[i]) for cells, _ in body)]))
        floor = list(natural)
        for i, col in enumerate(self.columns):
            if col.role == WRAP:
                words = [heads[i].plain] if self.header else []
                words += [cells[i].plain for cells, _ in body]
                longest = max((len(w) for text in words for w in text.split()), default=0)
                floor[i] = min(natural[i], max(col.min_width, longest))
        shown = [i for i in range(n) if natural[i] > 0 or (self.header and self.columns[i].header)]

        def total(widths: list[int]) -> int:
            return sum(widths[i] for i in shown) + self.gap * (len(shown) - 1)

        while True:
            if total(natural) <= width:
                return shown, natural
            if total(floor) <= width:
                widths = list(natural)
                excess = total(widths) - width
                for i in sorted((i for i in shown if self.columns[i].role == WRAP), key=lambda i: -natural[i]):
                    cut = min(excess, widths[i] - floor[i])
                    widths[i] -= cut
                    excess -= cut
                return shown, widths
            optional = [i for i in shown if self.columns[i].role == OPTIONAL]
            if not optional:
                return None
            shown.remove(max(optional, key=lambda i: (self.columns[i].drop, i)))

    # -- drawing -----------------------------------------------------------------------------

    def lines(self, width: int, encoding: str | None = "utf-8") -> list[Any]:
        """The table as Rich ``Text`` lines at most ``width`` wide (longer only for a folded value)."""
        from rich.text import Text

        heads, body, feet = self._cells(encoding)
        plan = self._plan(width, heads, body, feet)
        out: list[Any] = []
        if plan is None:
            table_width = width
        else:
            shown, widths = plan
            table_width = sum(widths[i] for i in shown) + self.gap * (len(shown) - 1)
        if self.title is not None:
            title = _text(self.title, "bold")
            if not can_show(encoding, title.plain):
                title = Text(fit(title.plain, encoding), style="bold")
            for line in wrap_text(title, width):
                if self.title_justify == "center" and line.cell_len < table_width:
                    line = Text(" " * ((table_width - line.cell_len) // 2)) + line
                out.append(line)
        if plan is None:
            return out + self._records(width, heads, body, feet, encoding)
        rule = "─" if can_show(encoding, "─") else "-"
        if self.header:
            out.append(self._row(heads, shown, widths, ""))
            out.append(Text(rule * table_width, style="dim"))
        for k, (cells, style) in enumerate(body):
            if k in self._sections and k:
                out.append(Text())
            out.extend(self._row_lines(cells, shown, widths, style))
        if any(c.plain for c in feet):
            out.append(Text())
            out.extend(self._row_lines(feet, shown, widths, self.footer_style))
        return out

    def _row(self, cells: list[Any], shown: list[int], widths: list[int], style: str) -> Any:
        return self._row_lines(cells, shown, widths, style)[0]

    def _row_lines(self, cells: list[Any], shown: list[int], widths: list[int], style: str) -> list[Any]:
        from rich.text import Text

        columns = []
        for i in shown:
            cell = cells[i]
            columns.append(wrap_text(cell, widths[i]) if self.columns[i].role == WRAP else
                           cell.split("\n", allow_blank=True))
        height = max(len(c) for c in columns)
        lines = []
        for r in range(height):
            line = Text(style=style)
            for k, (i, column) in enumerate(zip(shown, columns)):
                piece = column[r] if r < len(column) else Text()
                pad = max(widths[i] - piece.cell_len, 0)
                justify = self.columns[i].justify
                left = pad if justify == "right" else pad // 2 if justify == "center" else 0
                if k:
                    line.append(" " * self.gap)
                line.append(" " * left)
                line.append_text(piece)
                line.append(" " * (pad - left))
            line.rstrip()
            lines.append(line)
        return lines

    def _records(self, width: int, heads: list[Any], body: list[Any], feet: list[Any],
                 encoding: str | None) -> list[Any]:
        """One record per line: the first cell, then ``Header value`` fields, continued on indented
        lines at field boundaries (a value is never split unless it is wider than a whole line)."""
        from rich.text import Text

        out = []
        records = [(cells, style) for cells, style in body]
        if any(c.plain for c in feet):
            records.append((feet, self.footer_style))
        for k, (cells, style) in enumerate(records):
            if k in self._sections and k:
                out.append(Text())
            fields = []
            for i, cell in enumerate(cells):
                value = Text(" ").join(cell.split("\n"))
                value.rstrip()
                if not value.plain.strip():
                    continue
                if i == 0:
                    fields.append(value)
                    continue
                label = heads[i].plain if self.header else ""
                field = Text(label + " ", style="dim") + value if label else value
                fields.append(field)
            line = Text(style=style)
            for field in fields:
                room = width - line.cell_len - (2 if line.plain.strip() else 0)
                if line.plain.strip() and field.cell_len > room:
                    out.append(line)
                    line = Text("  ", style=style)
                elif line.plain.strip():
                    line.append("  ")
                if line.cell_len + field.cell_len > width:  # wider than a line: wrap it at spaces
                    indent = line.cell_len
                    pieces = wrap_text(field, max(width - indent - 2, 1))
                    line.append_text(pieces[0])
                    for piece in pieces[1:]:
                        out.append(line)
                        line = Text(" " * (indent + 2), style=style) + piece
                    out.append(line)
                    line = Text("  ", style=style)
                    continue
                line.append_text(field)
            if line.plain.strip():
                out.append(line)
        return out

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        lines = self.lines(options.max_width, console.encoding)
        yield Text("\n").join(lines) if lines else Text()

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement(1, options.max_width)


class Paragraph:
    """Prose wrapped at spaces to the width it is drawn in, after ``indent`` spaces (``hang`` more on
    the lines after the first), never splitting a shape or a size from its unit."""

    def __init__(self, text: Any, *, indent: int = 0, hang: int = 0, style: str = "") -> None:
        self.text, self.indent, self.hang, self.style = text, indent, hang, style

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        text = _text(self.text, self.style)
        if not can_show(console.encoding, text.plain):
            text = Text(fit(text.plain, console.encoding), style=text.style)
        lines = []
        for k, line in enumerate(wrap_text(text, max(options.max_width - self.indent - self.hang, 8))):
            lines.append(Text(" " * (self.indent + (self.hang if k else 0))) + line)
        yield Text("\n").join(lines) if lines else Text()


def text_lines(renderable: Table, width: int = 80, encoding: str | None = "utf-8") -> str:
    """A table as plain text (no styles), lines right-stripped: what the command line writes to a pipe."""
    return "\n".join(line.plain.rstrip() for line in renderable.lines(width, encoding))
