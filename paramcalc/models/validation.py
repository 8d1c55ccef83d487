"""pydantic's validation errors in paramcalc's words: one place for model files and problem sheets.

A :class:`pydantic.ValidationError` lists problems by type (``greater_than_equal``), location
(``("layers", 0, "block", "repeat")``), input and context (``{"ge": 1}``). paramcalc reports the first
one as a line that states the rule and then the value: ``must be >= 1. Received: 0``; the caller puts
the place in front (``b.repeat: ...``, ``sheet: problem 1: ...``), in its own terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paramcalc.errors import short_repr

#: The error type of a rule paramcalc words itself (an entry that is none of the known kinds): its
#: message is shown as it is, without the value.
RULE = "paramcalc_rule"


def _entries(n: Any) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


#: The broken rule in a few words, by pydantic's error type, from the error's context.
RULES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "greater_than_equal": lambda ctx: f"must be >= {ctx.get('ge')}",
    "greater_than": lambda ctx: f"must be > {ctx.get('gt')}",
    "less_than_equal": lambda ctx: f"must be <= {ctx.get('le')}",
    "less_than": lambda ctx: f"must be < {ctx.get('lt')}",
    "int_type": lambda ctx: "must be an integer",
    "int_from_float": lambda ctx: "must be an integer",
    "int_parsing": lambda ctx: "must be an integer",
    "int_parsing_size": lambda ctx: "must be an integer of a size Python can read",
    "bool_type": lambda ctx: "must be true or false",
    "bool_parsing": lambda ctx: "must be true or false",
    "float_type": lambda ctx: "must be a number",
    "float_parsing": lambda ctx: "must be a number",
    "finite_number": lambda ctx: "must be a finite number",
    "literal_error": lambda ctx: f"must be {ctx.get('expected')}",
    "tuple_type": lambda ctx: "must be a tuple",
    "list_type": lambda ctx: "must be a list",
    "dict_type": lambda ctx: "must be a mapping",
    "too_short": lambda ctx: f"must have at least {_entries(ctx.get('min_length'))}",
    "too_long": lambda ctx: f"must have at most {_entries(ctx.get('max_length'))}",
    "string_type": lambda ctx: "must be a string",
    "string_unicode": lambda ctx: "must be a string",
    "string_too_long": lambda ctx: f"must be at most {ctx.get('max_length')} characters",
    "string_pattern_mismatch": lambda ctx: f"must match {ctx.get('pattern')}",
    "none_required": lambda ctx: "must be None",
    "model_type": lambda ctx: f"must be a {ctx.get('class_name')} (one, or a mapping of its arguments)",
    "model_attributes_type": lambda ctx: "must be a mapping",
    "missing": lambda ctx: "is required",
    "extra_forbidden": lambda ctx: "is not a known key",
}


def first_error(exc: Any) -> dict[str, Any]:
    """The problem a message reports: the first one pydantic lists (for a union, its first member's)."""
    return dict(exc.errors(include_url=False)[0])


def rule(error: Mapping[str, Any]) -> str:
    """The broken rule in a few words: ``must be >= 1``."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error" or kind == "assertion_error":
        return str(ctx.get("error", "")) or "is not valid"
    if kind in RULES:
        return RULES[kind](ctx)
    if kind == RULE:
        return str(error.get("msg", ""))
    return f"is not valid ({kind})"


def message(error: Mapping[str, Any], limit: int = 80) -> str:
    """The problem in a line, without its place: ``missing required key 'answers'``,
    ``must be >= 1. Received: 0`` (the value cut to ``limit`` characters)."""
    kind = error["type"]
    loc = tuple(error.get("loc", ()))
    if kind == "missing" and loc:
        return f"missing required key {loc[-1]!r}"
    if kind == "extra_forbidden" and loc:
        return f"unknown key {loc[-1]!r}"
    if kind in ("value_error", "assertion_error", RULE):
        return rule(error)
    return f"{rule(error)}. Received: {short_repr(error.get('input'), limit)}"


def data_path(data: Any, loc: tuple[Any, ...]) -> list[Any]:
    """The keys and indices of ``loc`` that lead through ``data``, outermost first.

    pydantic's locations also name the member of a union tried (``int``, ``list[str]``, a tag); those do
    not index the data and are left out. The last key is kept even when ``data`` lacks it (a missing key).
    """
    out: list[Any] = []
    node = data
    for i, key in enumerate(loc):
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, dict) and i == len(loc) - 1:
            pass
        else:
            continue
        out.append(key)
    return out
