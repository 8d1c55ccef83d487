"""The catalogue of common mistakes: each entry recomputes a layer the wrong way a student would.

An entry is data: a short ``name`` that reads after "matches" ("forgetting the biases"), an
``explanation`` of what the right computation does instead, and how the mistake changes the
computation: a function from a :class:`Situation` (the layer, the convention, the input shape) to the
wrong parameter count it produces, and/or one to the wrong output shape. A function returns ``None``
when the mistake cannot happen for that layer (no bias to forget, no padding to put on one side).
The entries live by kind: :mod:`paramcalc.checking.param_mistakes` and
:mod:`paramcalc.checking.shape_mistakes`.

:func:`diagnose_count` and :func:`diagnose_shape` run the catalogue and keep the entries that reproduce
a given answer exactly. To add a mistake, add a :class:`Mistake` to its kind's list (or pass your own
catalogue).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from paramcalc.checking.param_mistakes import PARAM_MISTAKES
from paramcalc.checking.shape_mistakes import SHAPE_MISTAKES, Window, window  # noqa: F401 - part of the catalogue's API
from paramcalc.checking.situation import (  # noqa: F401 - part of the catalogue's API
    CONVENTIONS,
    AnswerShape,
    Mistake,
    Quantity,
    Shape,
    Situation,
    count_or_none,
    count_value,
    format_number,
    freeze_shape,
    is_keras,
    replace,
)

#: Every mistake, parameter mistakes first.
CATALOGUE: tuple[Mistake, ...] = (*PARAM_MISTAKES, *SHAPE_MISTAKES)

#: The catalogue by key.
MISTAKES: dict[str, Mistake] = {m.key: m for m in CATALOGUE}


# -- Diagnosis -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A catalogue entry that reproduces a given answer exactly.

    Attributes:
        key: the catalogue entry's key.
        name: what the answer matches, with its detail: ``the keras convention (one bias per gate)``.
        explanation: what the right computation does.
        value: the value the mistake produces (an int, or a shape).
        where: in a whole model, the layer whose mistake explains the difference (``"rnn"``), or
            ``"every layer"``; None for a single layer.
        layout: for shapes, how the given shape lines up with the mistaken one.
    """

    key: str
    name: str
    explanation: str
    value: Any
    where: str | None = None
    layout: str | None = None

    @property
    def text(self) -> str:
        """``matches forgetting the biases`` (prefixed with the layer in a model)."""
        head = f"{self.where}: " if self.where else ""
        return f"{head}matches {self.name}"

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, tuple):
            value = [_json_number(v) for v in value]
        return {
            "mistake": self.key, "matches": self.name, "text": self.text, "explanation": self.explanation,
            "value": value, "layer": self.where, "layout": self.layout,
        }


def _json_number(v: int | Fraction) -> int | str:
    if isinstance(v, Fraction):
        return int(v) if v.denominator == 1 else format_number(v)
    return v


def diagnose_count(
    situation: Situation, quantity: Quantity, given: int, *, catalogue: Iterable[Mistake] = CATALOGUE
) -> list[Diagnosis]:
    """The catalogue entries whose wrong count reproduces ``given`` exactly.

    Args:
        situation: the layer (resolved), the convention the answer was checked under, the input shape.
        quantity: ``"params"`` (the total), ``"trainable"`` or ``"non_trainable"``.
        given: the answer.
        catalogue: the mistakes to try (default: :data:`CATALOGUE`).

    Returns:
        One :class:`Diagnosis` per entry that gives exactly ``given`` (and differs from the right value).
    """
    expected = situation.expected
    right = None if expected is None else count_value(expected, quantity)
    found = []
    for m in catalogue:
        wrong = m.wrong_count(situation)
        if wrong is None:
            continue
        value = count_value(wrong, quantity)
        if value == given and value != right:
            found.append(Diagnosis(m.key, m.title(situation), m.explanation, value))
    return found


def diagnose_shape(
    situation: Situation,
    given: AnswerShape,
    match: Callable[[AnswerShape, Shape], str | None],
    *,
    catalogue: Iterable[Mistake] = CATALOGUE,
) -> list[Diagnosis]:
    """The catalogue entries whose wrong output shape lines up with ``given`` (``match`` gives the layout)."""
    right = situation.output
    found = []
    for m in catalogue:
        wrong = m.wrong_shape(situation)
        if wrong is None or wrong == right:
            continue
        layout = match(given, wrong)
        if layout is not None:
            found.append(Diagnosis(m.key, m.title(situation), m.explanation, wrong, layout=layout))
    return found
