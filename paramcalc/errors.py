"""The error family: every problem with user input is a ``ParamcalcError`` (and a ``ValueError``)."""

from __future__ import annotations


class ParamcalcError(ValueError):
    """Base class of every error paramcalc raises for bad input."""


class SpecError(ParamcalcError):
    """A layer specification, an input shape or an expression that no framework would accept.

    The message names the layer and argument, states the rule, then the values received:
    ``Conv2d: groups must divide in_channels. Received: in_channels=64, groups=3``.
    """


class ModelError(SpecError):
    """A model file or model description that cannot be read or does not fit together."""


def fmt_received(**values: object) -> str:
    """Format ``Received: a=1, b=2`` for an error message."""
    return "Received: " + ", ".join(f"{k}={v!r}" for k, v in values.items())
