"""What checking gives: one :class:`AnswerCheck` per given answer, gathered in a :class:`CheckResult`.

Data only: :mod:`paramcalc.render.check` draws them (and registers their Rich form, :mod:`paramcalc.forms`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from paramcalc import forms
from paramcalc.checking.answers import Shape, format_shape
from paramcalc.checking.mistakes import Diagnosis
from paramcalc.checking.situation import AnswerShape, Quantity, format_number

#: The module that draws checked answers.
RENDERER = "paramcalc.render.check"


@dataclass(frozen=True)
class AnswerCheck:
    """One given answer, checked.

    Attributes:
        quantity: ``params`` (the total), ``trainable``, ``non_trainable`` or ``shape``.
        given: the answer as given (an int, or a shape whose dimensions may be fractions).
        expected: the right value under ``convention``.
        correct: whether the answer is right under ``convention`` (the chosen one, or the layer's own).
        convention: the convention ``expected`` is counted under.
        layout: for shapes, how the given shape lines up with torch's (``channels-last (H, W, C)``).
        remark: a note on the verdict (a textbook's fractional answer, explained).
        diagnoses: when wrong, the conventions and catalogued mistakes that reproduce the answer exactly.
    """

    quantity: Quantity
    given: int | AnswerShape
    expected: int | Shape
    correct: bool
    convention: str | None = None
    layout: str | None = None
    remark: str | None = None
    diagnoses: tuple[Diagnosis, ...] = ()
    #: for shapes: the expected shape written in the layout the answer used
    written: tuple | None = None
    _derive: Callable[[], str] | None = field(default=None, repr=False, compare=False)

    @property
    def mark(self) -> str:
        """✓ or ✗."""
        return "✓" if self.correct else "✗"

    @property
    def derivation(self) -> str:
        """The worked derivation of the expected value (as ``paramcalc layer`` shows it)."""
        cache = self.__dict__.get("_derivation_text")
        if cache is None:
            cache = self._derive() if self._derive else ""
            object.__setattr__(self, "_derivation_text", cache)
        return cache

    def given_text(self) -> str:
        return format_shape(self.given) if self.quantity == "shape" else f"{self.given:,}"  # type: ignore[arg-type]

    def expected_text(self) -> str:
        """The expected value; a shape is written in the layout the answer used."""
        if self.quantity != "shape":
            return f"{self.expected:,}"  # type: ignore[str-format]
        return format_shape(self.written if self.written is not None else self.expected)  # type: ignore[arg-type]

    def diagnosis_text(self) -> str:
        """The diagnoses joined, or a plain statement when none reproduces the answer."""
        if self.correct:
            return self.remark or ""
        if not self.diagnoses:
            return "no catalogued mistake gives this"
        return "; ".join(d.text for d in self.diagnoses)

    def as_dict(self, *, derivation: bool = True) -> dict[str, Any]:
        given: Any = self.given
        expected: Any = self.expected
        if self.quantity == "shape":
            given = [_json_dim(d) for d in self.given]  # type: ignore[union-attr]
            expected = list(self.expected)  # type: ignore[arg-type]
        out = {
            "quantity": self.quantity, "given": given, "expected": expected, "correct": self.correct,
        }
        if self.quantity == "shape":
            out["expected_as_written"] = list(self.written) if self.written is not None else expected
        out |= {
            "convention": self.convention, "layout": self.layout, "remark": self.remark,
            "diagnoses": [d.as_dict() for d in self.diagnoses],
        }
        if derivation:
            out["derivation"] = self.derivation
        return out


def _json_dim(d: int | Fraction) -> int | str:
    return d if isinstance(d, int) else format_number(d)


@dataclass(frozen=True)
class CheckResult:
    """Every answer given for one layer or model, checked.

    Attributes:
        subject: the layer's spec, or the model's name or file (``target`` gives it as text).
        kind: ``"layer"`` or ``"model"``.
        convention: the convention checked under (the chosen one, or the layer's own when none was chosen).
        convention_chosen: whether the convention was chosen (else it is the layer's or model's own).
        input_shape: the input shape used (in torch's layout for torch layers).
        answers: one :class:`AnswerCheck` per given answer.
        notes: remarks on the problem (an input read as channels-last, a division that is not whole).
    """

    subject: Any
    kind: str
    convention: str
    convention_chosen: bool
    input_shape: Any
    answers: tuple[AnswerCheck, ...]
    notes: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """The layer as its constructor expression, or the model's name or file."""
        return self.subject if isinstance(self.subject, str) else str(self.subject)

    @property
    def ok(self) -> bool:
        """Whether every given answer is right."""
        return all(a.correct for a in self.answers)

    @property
    def correct(self) -> int:
        return sum(a.correct for a in self.answers)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able report."""
        shape = self.input_shape
        if shape is not None:
            shape = [list(s) for s in shape] if shape and isinstance(shape[0], tuple) else list(shape)
        return {
            "target": self.target, "kind": self.kind, "convention": self.convention,
            "convention_chosen": self.convention_chosen, "input_shape": shape, "ok": self.ok,
            "correct": self.correct, "total": len(self.answers),
            "answers": [a.as_dict() for a in self.answers], "notes": list(self.notes),
        }

    def __rich__(self) -> Any:
        """What ``paramcalc check`` prints (:func:`paramcalc.render.check.render_check`): ``rich.print(result)``."""
        return forms.draw(self, "rich", renderer=RENDERER)
