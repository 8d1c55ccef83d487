"""The error family: every problem with user input is a ``ParamcalcError`` (and a ``ValueError``)."""

from __future__ import annotations


class ParamcalcError(ValueError):
    """Base class of every error paramcalc raises for bad input."""


class SpecError(ParamcalcError):
    """A layer specification, an input shape or an expression that no framework would accept.

    The message names the layer and argument, states the rule, then the values received:
    ``Conv2d: groups must divide in_channels. Received: in_channels=64, groups=3``.
    """


class ShapeMismatchError(SpecError):
    """Two inputs of a layer called on several (a merge) whose shapes do not fit together.

    ``inputs`` holds their positions in the call and ``shapes`` their shapes, so that a caller who
    knows where each input comes from (a model file's layers) can name them.
    """

    def __init__(self, message: str, *, inputs: tuple[int, int], shapes: tuple[tuple, tuple]) -> None:
        super().__init__(message)
        self.inputs = inputs
        self.shapes = shapes


class ModelError(SpecError):
    """A model file or model description that cannot be read or does not fit together."""


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters; a huge int is shown by its length."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 133:  # beyond 10**40
        try:
            digits = f"{len(str(abs(value))):,} digits"
        except ValueError:  # too long for Python to print
            digits = "more than 4,300 digits"
        return f"{'-' if value < 0 else ''}<an integer of {digits}>"
    try:
        text = repr(value)
    except ValueError:  # it holds an int too long to print
        text = f"<a {type(value).__name__} holding an integer too long to show>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def closest_names(name: str, known: list[str], n: int = 3) -> list[str]:
    """The known names closest to a mistyped ``name``, each once: the one that differs only in case
    alone, else those scoring within 0.1 of the best (difflib's ratio, cutoff 0.6)."""
    import difflib

    exact = [k for k in known if k.lower() == name.lower()]
    if exact:
        return exact[:1]
    scored = sorted(((difflib.SequenceMatcher(None, name.lower(), k.lower()).ratio(), k) for k in known),
                    key=lambda pair: -pair[0])
    best = scored[0][0] if scored else 0.0
    close = [k for score, k in scored if score >= max(0.6, best - 0.1)]
    return list(dict.fromkeys(close))[:n]
