"""Plain-ASCII stand-ins for the symbols paramcalc prints, for outputs whose encoding cannot show them.

On a terminal or pipe whose encoding is cp1252, latin-1 or ASCII (``LANG=C``), ``✓ ✗ · − ×`` and the
table rules cannot be written. The command line registers :func:`stand_in_errors` as a codec error
handler (:func:`codecs.register_error`) on its output streams, so such a character is written as
its stand-in (``ok``, ``x``, ``*``, ``-``) instead of failing; tables translate their cells first
(:func:`fit`) so their columns stay aligned.
"""

from __future__ import annotations

import codecs
import unicodedata

#: The name the error handler is registered under.
ERRORS = "paramcalc-ascii"

STAND_INS = {
    "✓": "ok", "✗": "x", "·": "*", "−": "-", "×": "x", "─": "-", "━": "-", "│": "|", "→": "->", "←": "<-",
    "≈": "~", "…": "...", "≤": "<=", "≥": ">=", "≠": "!=", "²": "^2", "³": "^3", "ᵀ": "^T", "σ": "sigma",
    "γ": "gamma", "β": "beta", "—": "--", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "÷": "/",
    "±": "+/-", "√": "sqrt", "Σ": "sum", "⌈": "ceil(", "⌉": ")", "⌊": "floor(", "⌋": ")", "∞": "inf",
    "•": "*", "\u00a0": " ",
}


def stand_in(char: str) -> str:
    """The ASCII text shown for ``char``: its stand-in, its unaccented letter, or ``?``."""
    if char in STAND_INS:
        return STAND_INS[char]
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return plain or "?"


def stand_in_errors(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler: the characters an encoding cannot write become their stand-ins."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(stand_in(c) for c in exc.object[exc.start:exc.end]), exc.end


codecs.register_error(ERRORS, stand_in_errors)


def can_show(encoding: str | None, text: str = "✓✗·−×─") -> bool:
    """Whether ``encoding`` writes every character of ``text``."""
    try:
        text.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def fit(text: str, encoding: str | None) -> str:
    """``text`` with each character ``encoding`` cannot write replaced by its stand-in."""
    if can_show(encoding, text):
        return text
    return text.encode(encoding or "ascii", ERRORS).decode(encoding or "ascii")
