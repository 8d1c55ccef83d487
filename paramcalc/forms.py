"""How a result is shown: its Rich form and its JSON document, drawn by :mod:`paramcalc.render`.

Results are data (:mod:`paramcalc.models`, :mod:`paramcalc.checking`) and never import the renderers:
the renderers import the results, and register here how to draw them when they are loaded. The public
names that return a result load its renderer with it (``paramcalc.summarize`` loads
:mod:`paramcalc.render.summary`), so ``rich.print(paramcalc.summarize(...))`` shows what the CLI shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: How to draw each class of result, by form: "rich" (a Rich renderable) or "document" (JSON-able data).
_FORMS: dict[tuple[type, str], Callable[..., Any]] = {}


def register(cls: type, form: str, draw: Callable[..., Any]) -> None:
    """Say how ``cls`` (and its subclasses) are drawn in ``form``: ``draw(result, *args)``."""
    _FORMS[(cls, form)] = draw


def draw(result: Any, form: str, *args: Any, renderer: str = "paramcalc.render") -> Any:
    """``result`` drawn in ``form`` by the function its renderer registered.

    Raises:
        LookupError: the renderer (the module named by ``renderer``) is not loaded.
    """
    for cls in type(result).__mro__:
        found = _FORMS.get((cls, form))
        if found is not None:
            return found(result, *args)
    raise LookupError(f"no {form} form of {type(result).__name__} is loaded: import {renderer} first")
