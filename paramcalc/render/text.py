"""Text from files, shown literally: control characters escaped, never Rich markup or emoji.

A model's name, a layer's name, a reference's source, a sheet's title, a problem's id and the error
lines that quote them come from files. On a terminal, an ESC sequence, a BEL or a bidi override in
them would act instead of being read; in Rich, ``[bold]`` or ``:smiley:`` would become a style or an
emoji, and ``[/]`` would raise. Every renderer passes such text through :func:`printable` and hands it
to Rich as :class:`rich.text.Text` (:func:`literal`); ``--json`` escapes the same characters
(:func:`json_safe`).
"""

from __future__ import annotations

from typing import Any


def _escape(c: str) -> str:
    if c.isprintable():
        return c
    code = ord(c)
    if code < 0x100:
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(c, f"\\x{code:02x}")
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: object) -> str:
    """``text`` with each character that is not printable shown as its escape.

    ESC becomes ``\\x1b``, BEL ``\\x07``, a newline ``\\n``, a right-to-left override ``\\u202e``
    (Python's :meth:`str.isprintable`: control, format, private-use, unassigned and separator characters
    other than the space). Printable text comes back unchanged.
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(_escape(c) for c in text)


def one_line(text: object) -> str:
    """The text on one line (runs of whitespace become one space), its control characters escaped."""
    return printable(" ".join(str(text).split()))


def printable_lines(text: object) -> str:
    """Each line of a multi-line text escaped on its own: the line breaks stay, nothing else acts."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


def literal(text: object, style: str = "") -> Any:
    """A :class:`rich.text.Text` of ``printable(text)``: shown as written (no markup, no emoji)."""
    from rich.text import Text

    return Text(printable(text), style=style)


def _json_escape(c: str) -> str:
    if c.isprintable():
        return c
    code = ord(c)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes characters beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_safe(document: str) -> str:
    """A JSON text (``json.dumps(..., ensure_ascii=False)``) with every non-printable character left
    raw inside its strings (DEL, C1 controls, bidi overrides, line separators) written as ``\\uXXXX``.

    The line breaks between tokens stay (json.dumps has already escaped C0 controls within strings).
    """
    lines = document.split("\n")
    for i, line in enumerate(lines):
        if not line.isprintable():
            lines[i] = "".join(_json_escape(c) for c in line)
    return "\n".join(lines)
