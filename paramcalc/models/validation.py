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
from paramcalc.specs.base import rule_text

#: The error type of a rule paramcalc words itself (an entry that is none of the known kinds): its
#: message is shown as it is, without the value.
RULE = "paramcalc_rule"


def _entries(n: Any) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


#: The rules model files and sheets word otherwise than a layer's arguments (lists of entries rather
#: than tuples of sizes, mappings rather than arguments, bounded strings); every other rule is worded
#: as for layer arguments (:func:`paramcalc.specs.base.rule_text`).
FORMAT_RULES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "too_short": lambda ctx: f"must have at least {_entries(ctx.get('min_length'))}",
    "too_long": lambda ctx: f"must have at most {_entries(ctx.get('max_length'))}",
    "list_type": lambda ctx: "must be a list",
    "dict_type": lambda ctx: "must be a mapping",
    "model_type": lambda ctx: f"must be a {ctx.get('class_name')} (one, or a mapping of its arguments)",
    "model_attributes_type": lambda ctx: "must be a mapping",
    "string_unicode": lambda ctx: "must be a string",
    "string_too_long": lambda ctx: f"must be at most {ctx.get('max_length')} characters",
    "string_pattern_mismatch": lambda ctx: f"must match {ctx.get('pattern')}",
    "int_parsing_size": lambda ctx: "must be an integer of a size Python can read",
}


def first_error(exc: Any) -> dict[str, Any]:
    """The problem a message reports: the first one pydantic lists (for a union, its first member's),
    unless a mapping around it (or beside it) has an unknown key: that comes first, outermost first, as a
    misspelt key also leaves the real one missing (``problem:`` for ``problems:``)."""
    errors = exc.errors(include_url=False)
    first = tuple(errors[0]["loc"])
    unknown = [e for e in errors if e["type"] == "extra_forbidden" and first[: len(e["loc"]) - 1] == tuple(e["loc"])[:-1]]
    return dict(min(unknown, key=lambda e: len(e["loc"])) if unknown else errors[0])


def rule(error: Mapping[str, Any]) -> str:
    """The broken rule in a few words: ``must be >= 1``."""
    kind = error["type"]
    ctx = dict(error.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", "")) or "is not valid"
    if kind == RULE:
        return str(error.get("msg", ""))
    if kind in FORMAT_RULES:
        return FORMAT_RULES[kind](ctx)
    return rule_text(kind, ctx)


def keys_of(*classes: Any) -> tuple[str, ...]:
    """The keys a format's classes (pydantic models) accept, for suggestions: their fields' names and aliases."""
    found: dict[str, None] = {}
    for cls in classes:
        for name, info in cls.model_fields.items():
            found[info.alias or name] = None
    return tuple(found)


def message(error: Mapping[str, Any], limit: int = 80, keys: tuple[str, ...] = ()) -> str:
    """The problem in a line, without its place: ``missing required key 'answers'``,
    ``must be >= 1. Received: 0`` (the value cut to ``limit`` characters). An unknown key gets the
    closest of ``keys`` suggested: ``unknown key 'layer'; did you mean 'layers'?``."""
    kind = error["type"]
    loc = tuple(error.get("loc", ()))
    if kind == "missing" and loc:
        return f"missing required key {loc[-1]!r}"
    if kind == "extra_forbidden" and loc:
        import difflib

        close = difflib.get_close_matches(str(loc[-1]), [k for k in keys if k != loc[-1]], n=1, cutoff=0.6)
        return f"unknown key {loc[-1]!r}" + (f"; did you mean {close[0]!r}?" if close else "")
    if kind in ("value_error", "assertion_error", RULE):
        return rule(error)
    return f"{rule(error)}. Received: {short_repr(error.get('input'), limit)}"


def data_path(data: Any, loc: tuple[Any, ...]) -> list[Any]:
    """The keys and indices of ``loc`` that lead through ``data``, outermost first.

    pydantic's locations also name the member of a union tried (``int``, ``list[str]``, a tag); those do
    not index the data and are left out.
    """
    out: list[Any] = []
    node = data
    for key in loc:
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            continue
        out.append(key)
    return out
