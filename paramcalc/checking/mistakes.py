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

from paramcalc.checking.flatten import FLATTEN_WRONG_SIZE
from paramcalc.checking.param_mistakes import PARAM_MISTAKES
from paramcalc.checking.shape_mistakes import SHAPE_MISTAKES, Window, shape_pairs, window  # noqa: F401 - part of the catalogue's API
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

#: Every mistake, parameter mistakes first (the flatten size last: it is found in whole models).
CATALOGUE: tuple[Mistake, ...] = (*PARAM_MISTAKES, *SHAPE_MISTAKES, FLATTEN_WRONG_SIZE)

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
    #: the words before the name: ``matches``, or ``that is`` for another convention's count
    lead: str = "matches"
    #: where the mistake is documented (for a pair, both sources joined by "; ")
    source: str = ""

    @property
    def text(self) -> str:
        """``matches forgetting the biases`` (prefixed with the layer in a model)."""
        head = f"{self.where}: " if self.where else ""
        return f"{head}{self.lead} {self.name}"

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, tuple):
            value = [_json_number(v) for v in value]
        return {
            "mistake": self.key, "matches": self.name, "text": self.text, "explanation": self.explanation,
            "value": value, "layer": self.where, "layout": self.layout, "source": self.source,
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
            found.append(diagnosis(m, situation, value))
    return without_superseded(found, catalogue)


def diagnosis(m: Mistake, situation: Situation, value: Any, **extra: Any) -> Diagnosis:
    """The diagnosis naming catalogue entry ``m`` for this layer."""
    return Diagnosis(m.key, m.title(situation), m.explanation, value, lead=m.lead, source=m.source, **extra)


def without_superseded(found: list[Diagnosis], catalogue: Iterable[Mistake]) -> list[Diagnosis]:
    """The diagnoses less those that another found entry supersedes (it names the same answer better)."""
    by_key = {m.key: m for m in catalogue}
    dropped = {k for d in found if d.key in by_key for k in by_key[d.key].supersedes}
    return [d for d in found if d.key not in dropped]


#: Pairs of mistakes that cannot happen together (one replaces what the other changes).
EXCLUSIVE = (
    {"no_bias", "single_bias", "bias_per_input", "one_bias_per_gate"},
    {"lstm_three_gates", "gru_four_gates", "gates_forgotten"},
    {"stacked_input_size", "first_layer_only"},
    {"batchnorm_running_stats", "batchnorm_all_buffers", "batchnorm_stats_trainable"},
    {"keras_convention", "textbook_convention", "pytorch_convention", "keras2_gru"},
)


def _exclusive(a: str, b: str) -> bool:
    return any(a in group and b in group for group in EXCLUSIVE)


def diagnose_count_pairs(
    situation: Situation, quantity: Quantity, given: int, *, catalogue: Iterable[Mistake] = CATALOGUE
) -> list[Diagnosis]:
    """Pairs of catalogued mistakes that together reproduce ``given`` (tried when no single one does).

    Two mistakes combine the way they change the count: each removes or adds its own part (the right
    count plus both differences), or each scales the whole (the right count times both ratios, when
    that is whole): 3 gates without the biases is 3/4 of the count without biases.
    """
    expected = situation.expected
    if expected is None:
        return []
    right = count_value(expected, quantity)
    wrongs = []
    for m in catalogue:
        wrong = m.wrong_count(situation)
        if wrong is not None and count_value(wrong, quantity) != right:
            wrongs.append((m, count_value(wrong, quantity)))
    found = []
    for i, (a, va) in enumerate(wrongs):
        for b, vb in wrongs[i + 1:]:
            if _exclusive(a.key, b.key) or given in (va, vb):
                continue
            added = right + (va - right) + (vb - right)
            scaled = Fraction(va * vb, right) if right else None
            if given == added or given == scaled:
                found.append(pair_diagnosis(a, b, situation, given))
    return found


def pair_diagnosis(a: Mistake, b: Mistake, situation: Situation, value: Any, **extra: Any) -> Diagnosis:
    """One diagnosis naming two mistakes made together."""
    first, second = a.title(situation), b.title(situation)
    if a.lead != "matches":
        first = f"{a.lead.removeprefix('that is ')} {first}".strip()
    if b.lead != "matches":
        second = f"{b.lead.removeprefix('that is ')} {second}".strip()
    return Diagnosis(
        f"{a.key}+{b.key}", f"two mistakes at once: {first}, and {second}",
        f"{a.explanation} {b.explanation}", value, source="; ".join(x for x in (a.source, b.source) if x), **extra,
    )


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
            found.append(diagnosis(m, situation, wrong, layout=layout))
    return found


def diagnose_shape_pairs(
    situation: Situation,
    given: AnswerShape,
    match: Callable[[AnswerShape, Shape], str | None],
    *,
    catalogue: Iterable[Mistake] = CATALOGUE,
) -> list[Diagnosis]:
    """Pairs of sliding-window mistakes that together give ``given`` (tried when no single one does)."""
    by_key = {m.key: m for m in catalogue}
    found = []
    for a, b, wrong in shape_pairs(situation, tuple(by_key)):
        layout = match(given, wrong)
        if layout is not None:
            found.append(pair_diagnosis(by_key[a], by_key[b], situation, wrong, layout=layout))
    return found
