"""What the commands print: Rich renderables and JSON documents on stdout, one-line errors on stderr."""

from __future__ import annotations

import re
import sys
from typing import Any

from paramcalc.render.text import json_safe, one_line

#: Exit statuses: 0 all good, 1 a checked answer is wrong (like ``diff``), 2 bad input (like a usage error).
EXIT_WRONG = 1
EXIT_BAD_INPUT = 2
#: A bug in paramcalc (EX_SOFTWARE); PARAMCALC_DEBUG=1 shows the traceback instead.
EXIT_INTERNAL = 70
#: Widest output, in columns.
MAX_WIDTH = 80

_INT_LIST = re.compile(r"\[\s*-?\d+(?:,\s*-?\d+)*\s*\]")


def print_error(message: object) -> None:
    """Write ``error: MESSAGE`` on one line to stderr."""
    sys.stderr.write(f"error: {one_line(message)}\n")


def make_console() -> Any:
    """A Rich console made per command (so NO_COLOR, FORCE_COLOR and tests behave), 80 columns at most.

    Rich writes plain text (no colour codes) when the output is not a terminal, and honours ``NO_COLOR``.
    Strings are never read as markup or emoji codes (text from files is shown as written).
    """
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False, markup=False, emoji=False)
    if console.width > MAX_WIDTH:
        console.width = MAX_WIDTH
    return console


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


def print_json(data: Any) -> None:
    """Print one JSON document and nothing else (ints stay exact; lists of ints such as shapes on one line;
    characters that would act on a terminal, such as bidi overrides, written as ``\\uXXXX``)."""
    import json

    text = json.dumps(data, indent=2, ensure_ascii=False)
    text = _INT_LIST.sub(lambda m: "[" + ", ".join(re.findall(r"-?\d+", m.group(0))) + "]", text)
    sys.stdout.write(json_safe(text) + "\n")
