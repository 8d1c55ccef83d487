"""What the commands print: Rich renderables and JSON documents on stdout, one-line errors on stderr."""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from paramcalc.render.text import json_safe, one_line

#: Exit statuses: 0 all good, 1 a checked answer is wrong (like ``diff``), 2 bad input (like a usage error).
EXIT_WRONG = 1
EXIT_BAD_INPUT = 2
#: A bug in paramcalc (EX_SOFTWARE); PARAMCALC_DEBUG=1 shows the traceback instead.
EXIT_INTERNAL = 70
#: Widest output, in columns: the terminal's width (or ``COLUMNS``) up to this.
MAX_WIDTH = 120

_INT_LIST = re.compile(r"\[\s*-?\d+(?:,\s*-?\d+)*\s*\]")


def prepare_streams() -> None:
    """Let stdout and stderr write what their encoding cannot show as ASCII stand-ins (``ok``, ``x``,
    ``*``, ``-``; :mod:`paramcalc.render.glyphs`) instead of failing with a codec error."""
    from paramcalc.render.glyphs import ERRORS

    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=ERRORS)
            except (OSError, ValueError):  # a closed or detached stream
                pass


def print_error(message: object) -> None:
    """Write ``error: MESSAGE`` on one line to stderr, if stderr can be written (the exit status says it anyway)."""
    try:
        sys.stderr.write(f"error: {one_line(message)}\n")
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # stderr closed (None), full, or a broken pipe
        pass


def env_size(name: str) -> int | None:
    """The terminal size an environment variable (COLUMNS, LINES) gives, if it is a usable one.

    Any value is input: one that is not a plain positive number of at most 5 digits is ignored.
    """
    text = os.environ.get(name, "")
    if text.isascii() and text.isdigit() and len(text) <= 5 and int(text) > 0:
        return int(text)
    return None


def _terminal_size() -> tuple[int, int]:
    """Columns and lines of the terminal on stdout (else stdin), 80 x 25 when there is none."""
    for stream in (sys.stdout, sys.stdin):
        try:
            size = os.get_terminal_size(stream.fileno())  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            continue
        if size.columns > 0 and size.lines > 0:
            return size.columns, size.lines
    return 80, 25


def make_console() -> Any:
    """A Rich console made per command (so NO_COLOR, FORCE_COLOR and tests behave), MAX_WIDTH columns at most.

    Rich writes plain text (no colour codes) when the output is not a terminal, and honours ``NO_COLOR``.
    The width and height are given to it: ``COLUMNS`` and ``LINES`` when they are usable numbers,
    else the terminal's size (a huge, negative or non-numeric value never reaches Rich). Strings are
    never read as markup or emoji codes (text from files is shown as written).
    """
    from rich.console import Console

    columns, lines = env_size("COLUMNS"), env_size("LINES")
    if columns is None or lines is None:
        found = _terminal_size()
        columns, lines = columns or found[0], lines or found[1]
    return Console(
        highlight=False, soft_wrap=False, markup=False, emoji=False, width=min(columns, MAX_WIDTH), height=lines
    )


def print_rich(*renderables: Any) -> None:
    """Print Rich renderables: styled on a terminal; plain text, lines right-stripped, otherwise."""
    from rich.console import Group

    console = make_console()
    if console.is_terminal:
        console.print(Group(*renderables))
        return
    with console.capture() as capture:
        console.print(Group(*renderables))
    text = "\n".join(line.rstrip() for line in capture.get().splitlines())
    sys.stdout.write(text + "\n")


def print_line(text: str) -> None:
    """Print one plain line (what ``--brief`` prints)."""
    sys.stdout.write(text + "\n")


def print_json(data: Any) -> None:
    """Print one JSON document and nothing else (ints stay exact; lists of ints such as shapes on one line;
    characters that would act on a terminal, such as bidi overrides, written as ``\\uXXXX``)."""
    import json

    text = json.dumps(data, indent=2, ensure_ascii=False)
    text = _INT_LIST.sub(lambda m: "[" + ", ".join(re.findall(r"-?\d+", m.group(0))) + "]", text)
    sys.stdout.write(json_safe(text) + "\n")
