"""Checking answers: is a parameter count or an output shape right, and if not, which mistake gives it?

``check(layer, params=..., shape=..., input_shape=...)`` compares each given answer with the exact
value, shows the working, and when an answer is wrong searches the other conventions and the
catalogue of common mistakes (:mod:`paramcalc.mistakes`) for the ones that reproduce it exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from paramcalc.errors import ParamcalcError, SpecError, short_repr
from paramcalc.limits import MAX_ANSWER_DIGITS
from paramcalc.mistakes import (
    CATALOGUE,
    CONVENTIONS,
    AnswerShape,
    Diagnosis,
    Mistake,
    Quantity,
    Situation,
    count_value,
    diagnose_count,
    diagnose_shape,
    format_number,
    freeze_shape,
    is_keras,
)
from paramcalc.mistakes import count_or_none as safe_count
from paramcalc.results import Count
from paramcalc.specs import LayerSpec

Shape = tuple[int, ...]
COUNT_QUANTITIES: tuple[Quantity, ...] = ("params", "trainable", "non_trainable")
MODEL_SUFFIXES = (".yaml", ".yml", ".json")
DIM_LETTERS = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


# -- Reading answers -------------------------------------------------------------------------

_COUNT_TEXT = re.compile(r"\d{1,3}(?:[,_\s\u202f\u2009']\d{3})+|\d+")


def parse_count(value: Any, what: str = "params") -> int:
    """An answer count: an int, or text such as ``1792``, ``1,792``, ``529_441`` or ``529 441``.

    Raises:
        ParamcalcError: not a non-negative whole number.
    """
    if isinstance(value, bool):
        raise ParamcalcError(f"{what}: must be a whole number. Received: {short_repr(value)}")
    if isinstance(value, int):
        if value < 0:
            raise ParamcalcError(f"{what}: must be >= 0. Received: {short_repr(value)}")
        if value >= 10**MAX_ANSWER_DIGITS:
            raise ParamcalcError(f"{what}: must have at most {MAX_ANSWER_DIGITS:,} digits. Received: {short_repr(value)}")
        return value
    if isinstance(value, str) and _COUNT_TEXT.fullmatch(value.strip()):
        digits = re.sub(r"\D", "", value)
        if len(digits) > MAX_ANSWER_DIGITS:
            raise ParamcalcError(f"{what}: must have at most {MAX_ANSWER_DIGITS:,} digits. Received: {len(digits):,} digits")
        return int(digits)
    raise ParamcalcError(f"{what}: must be a whole number such as 1792 or 1,792. Received: {short_repr(value)}")


_SHAPE_SPLIT = re.compile(r"\s*[,x×*]\s*|\s+")
_DIM_TEXT = re.compile(r"\d{1,30}(?:\.\d{1,30})?|\d{1,30}/\d{1,30}")


def parse_answer_shape(value: Any, what: str = "shape") -> AnswerShape:
    """An answer shape: ``55x55x96``, ``(96, 55, 55)``, ``55`` or a sequence of numbers.

    A dimension may be a decimal (``54.25``) or a fraction (``217/4``): a non-whole answer is read exactly,
    so that it can be recognised as a division that was not floored.

    Raises:
        ParamcalcError: not a shape of non-negative numbers.
    """
    if isinstance(value, bool):
        raise ParamcalcError(f"{what}: must be a shape such as 55x55x96. Received: {short_repr(value)}")
    if isinstance(value, int):
        value = (value,)
    if isinstance(value, (list, tuple)):
        dims = []
        for d in value:
            if isinstance(d, bool) or not isinstance(d, (int, float, str)):
                raise ParamcalcError(f"{what}: every dimension must be a number. Received: {short_repr(value)}")
            dims.append(_dim(str(d), what, value) if not isinstance(d, int) else d)
        if not dims or any(d < 0 for d in dims):
            raise ParamcalcError(f"{what}: must be a shape of non-negative numbers. Received: {short_repr(value)}")
        if any(d >= 10**MAX_ANSWER_DIGITS for d in dims):
            raise ParamcalcError(f"{what}: dimensions must have at most {MAX_ANSWER_DIGITS:,} digits. Received: {short_repr(value)}")
        return tuple(dims)
    if not isinstance(value, str):
        raise ParamcalcError(f"{what}: must be a shape such as 55x55x96. Received: {short_repr(value)}")
    body = value.strip().strip("()[]").strip()
    parts = [p for p in _SHAPE_SPLIT.split(body) if p]
    if not parts:
        raise ParamcalcError(f"{what}: empty shape; write it like 55x55x96 or 96,55,55")
    return tuple(_dim(p, what, value) for p in parts)


def _dim(text: str, what: str, whole: Any) -> int | Fraction:
    text = text.strip()
    if text.isdigit() and text.isascii() and len(text) <= MAX_ANSWER_DIGITS:
        return int(text)
    if not _DIM_TEXT.fullmatch(text):
        raise ParamcalcError(f"{what}: every dimension must be a non-negative number. Received: {short_repr(whole)}")
    if re.fullmatch(r"\d+/0+", text):
        raise ParamcalcError(f"{what}: a dimension cannot divide by zero. Received: {short_repr(whole)}")
    number = Fraction(text)
    return int(number) if number.denominator == 1 else number


def parse_input_shape(value: Any, what: str = "input_shape") -> Any:
    """An input shape: ``227x227x3``, ``(1, 3, 227, 227)``, a list of ints, or several shapes
    (``2,5,16;2,7,16`` or a list of lists) for layers with several inputs. None stays None.

    Returns:
        A tuple of ints, or a tuple of such tuples.

    Raises:
        ParamcalcError: a dimension that is not a non-negative integer.
    """
    if value is None:
        return None
    if isinstance(value, str):
        parts = [p for p in value.split(";") if p.strip()]
        if len(parts) > 1:
            return tuple(_int_shape(parse_answer_shape(p, what), what, value) for p in parts)
        return _int_shape(parse_answer_shape(value, what), what, value)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (list, tuple)) for v in value):
        return tuple(_int_shape(tuple(v), what, value) for v in value)
    if isinstance(value, (list, tuple)):
        return _int_shape(tuple(value), what, value)
    raise ParamcalcError(f"{what}: must be a shape such as 227x227x3. Received: {short_repr(value)}")


def _int_shape(shape: tuple, what: str, whole: Any) -> Shape:
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            raise ParamcalcError(f"{what}: every dimension must be a non-negative integer. Received: {short_repr(whole)}")
    return tuple(shape)


def format_shape(shape: AnswerShape | None) -> str:
    """``55x55x96`` (fractions as decimals); ``--`` for no shape."""
    if shape is None:
        return "--"
    return "x".join(format_number(d) for d in shape) if shape else "()"


# -- Layouts: lining up a written shape with torch's -----------------------------------------


@dataclass(frozen=True, slots=True)
class Layouts:
    """How the output of one layer may be written: torch's layout, channels-last, with or without batch."""

    #: spatial dimensions (0 for layers without a channel axis to move)
    nd: int = 0
    #: the axis of the batch dimension in the output, or None when there is none
    batch_axis: int | None = None
    #: whether the layer's own layout puts channels last (Keras)
    channels_last: bool = False

    def forms(self, shape: Shape | AnswerShape) -> list[tuple[str, tuple]]:
        """Every way to write ``shape``, each with a label: ``channels-last (H, W, C)``."""
        shape = tuple(shape)
        forms: list[tuple[str, tuple]] = []
        batched = self.batch_axis is not None and len(shape) > self.batch_axis
        if self.nd and len(shape) == self.nd + 1 + int(batched):
            core = shape[1:] if batched else shape
            letters = DIM_LETTERS[self.nd]
            if self.channels_last:
                spatial, channels = core[:-1], core[-1]
            else:
                spatial, channels = core[1:], core[0]
            first = (channels, *spatial)
            last = (*spatial, channels)
            own, other = ("channels-last", "channels-first") if self.channels_last else ("torch layout", "channels-last")
            own_form, other_form = (last, first) if self.channels_last else (first, last)
            own_letters = (*letters, "C") if self.channels_last else ("C", *letters)
            other_letters = ("C", *letters) if self.channels_last else (*letters, "C")
            if batched:
                forms.append((f"{own} ({', '.join(('N', *own_letters))})", (shape[0], *own_form)))
            forms.append((f"{own} ({', '.join(own_letters)})", own_form))
            if batched:
                forms.append((f"{other} ({', '.join(('N', *other_letters))})", (shape[0], *other_form)))
            forms.append((f"{other} ({', '.join(other_letters)})", other_form))
            if self.nd > 1:
                forms.append((f"spatial size ({', '.join(letters)})", tuple(spatial)))
            if len(set(spatial)) == 1:
                forms.append(("spatial size (one side)", (spatial[0],)))
            return forms
        forms.append(("as torch gives it" if not self.channels_last else "as Keras gives it", shape))
        if batched and len(shape) > 1:
            forms.append(("without the batch dimension", shape[: self.batch_axis] + shape[self.batch_axis + 1:]))
        return forms

    def closest(self, given: AnswerShape, shape: Shape) -> tuple[str, tuple]:
        """The form of ``shape`` written most like ``given`` (same rank, fewest differing dimensions)."""
        given = tuple(given)
        forms = self.forms(shape)
        same_rank = [f for f in forms if len(f[1]) == len(given)] or forms[:1]
        return min(same_rank, key=lambda f: sum(a != b for a, b in zip(f[1], given)))

    def match(self, given: AnswerShape, shape: Shape | AnswerShape) -> str | None:
        """The label of the first form of ``shape`` equal to ``given``, or None."""
        given = tuple(given)
        for label, form in self.forms(shape):
            if form == given:
                return label
        return None


def layouts_for(spec: LayerSpec, input_shape: Shape | None, output: Shape) -> Layouts:
    """The layouts an answer for ``spec``'s output may use."""
    nd = getattr(type(spec), "nd", 0)
    channels_last = getattr(spec, "data_format", "channels_first") == "channels_last" or (
        _is_keras(spec) and nd > 0
    )
    if nd and len(output) in (nd + 1, nd + 2):
        batched = len(output) == nd + 2
        return Layouts(nd, 0 if batched else None, channels_last)
    if _is_keras(spec):
        return Layouts(0, 0 if len(output) > 1 else None, True)
    batch_first = getattr(spec, "batch_first", None)
    if batch_first is not None:
        if len(output) == 3:
            return Layouts(0, 0 if batch_first else 1)
        return Layouts(0, None)
    return Layouts(0, 0 if len(output) > 1 else None)


# -- Targets ---------------------------------------------------------------------------------


def _is_keras(spec: LayerSpec) -> bool:
    return is_keras(spec)


def natural_convention(spec: LayerSpec) -> str:
    """The convention a layer is counted under when none is given: Keras layers keras, the rest pytorch."""
    return "keras" if _is_keras(spec) else "pytorch"


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> LayerSpec:
    from paramcalc.parse import parse_layer

    return parse_layer(text)


def load_layer(layer: LayerSpec | dict[str, Any] | str) -> LayerSpec:
    """A spec from a spec, a dict or an expression; expressions are parsed once and remembered."""
    if isinstance(layer, str):
        return _parse_cached(layer.strip())
    from paramcalc.parse import parse_layer

    return parse_layer(layer)


def is_model_target(target: Any) -> bool:
    """Whether ``target`` names a model (a model file path, a mapping with layers, a model object)."""
    if isinstance(target, Path):
        return True
    if isinstance(target, str):
        text = target.strip()
        return text.lower().endswith(MODEL_SUFFIXES) and "(" not in text
    if isinstance(target, dict):
        return "layers" in target
    return not isinstance(target, LayerSpec) and hasattr(target, "layers")


def _channels_last_reading(spec: LayerSpec, shape: Shape) -> Shape | None:
    """Torch layout of an input written channels-last (227x227x3), when the layer's channels tell."""
    nd = getattr(type(spec), "nd", 0)
    if not nd or _is_keras(spec) or len(shape) not in (nd + 1, nd + 2):
        return None
    channels = getattr(spec, "in_channels", None) or getattr(spec, "num_features", None)
    if channels is None:
        return None
    batch = shape[: len(shape) - nd - 1]
    core = shape[len(shape) - nd - 1:]
    if core[0] != channels and core[-1] == channels:
        return (*batch, core[-1], *core[:-1])
    return None


def _pool_readings(spec: LayerSpec, shape: Shape) -> Shape | None:
    """A pooling layer's input written channels-last, read the other way (tried when the answer needs it)."""
    nd = getattr(type(spec), "nd", 0)
    if not nd or _is_keras(spec) or hasattr(spec, "in_channels") or hasattr(spec, "num_features"):
        return None
    if len(shape) not in (nd + 1, nd + 2):
        return None
    batch = shape[: len(shape) - nd - 1]
    core = shape[len(shape) - nd - 1:]
    moved = (*batch, core[-1], *core[:-1])
    return None if moved == shape else moved


# -- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerCheck:
    """One given answer, checked.

    Attributes:
        quantity: ``params`` (the total), ``trainable``, ``non_trainable`` or ``shape``.
        given: the answer as given (an int, or a shape whose dimensions may be fractions).
        expected: the right value under ``convention``.
        correct: whether the answer is right (under the chosen convention, or any when none was chosen).
        convention: the convention ``expected`` is counted under.
        layout: for shapes, how the given shape lines up with torch's (``channels-last (H, W, C)``).
        remark: a note on the verdict ("right under the keras convention ...").
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
        convention_chosen: whether the convention was chosen; when not, an answer right under any
            convention is accepted, and the result says which.
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
        return render_check(self)


# -- Derivations -----------------------------------------------------------------------------


def _explain() -> Any:
    try:
        from paramcalc import explain
    except ImportError:  # pragma: no cover - the module ships with the package
        return None
    return explain


def derive_params(spec: LayerSpec, convention: str, input_shape: Any) -> str:
    """The worked derivation of a layer's parameter count."""
    explain = _explain()
    if explain is not None and hasattr(explain, "explain_params"):
        try:
            return _as_text(explain.explain_params(spec, convention, input_shape=input_shape))
        except (ParamcalcError, TypeError, NotImplementedError):
            pass
    tensors = [t for t in spec.param_tensors(convention, input_shape=input_shape) if t.kind != "buffer"]
    if not tensors:
        return f"{spec.name} has no parameters"
    lines = []
    for t in tensors:
        dims = "·".join(str(d) for d in t.shape) or "1"
        lines.append(f"{t.name} {tuple(t.shape)}: {dims} = {t.numel:,}")
    total = sum(t.numel for t in tensors)
    lines.append(f"total: {' + '.join(f'{t.numel:,}' for t in tensors)} = {total:,}")
    return "\n".join(lines)


def derive_shape(spec: LayerSpec, input_shapes: tuple[Shape, ...]) -> str:
    """The worked derivation of a layer's output shape."""
    explain = _explain()
    if explain is not None and hasattr(explain, "explain_shape"):
        try:
            return _as_text(explain.explain_shape(spec, *input_shapes))
        except (ParamcalcError, TypeError, NotImplementedError):
            pass
    from paramcalc.mistakes import window

    out = spec.output_shape(*input_shapes)
    w = window(Situation(spec, "pytorch", input_shapes[0] if len(input_shapes) == 1 else input_shapes))
    lines = []
    if w is not None:
        letters = DIM_LETTERS[len(w.sizes)]
        for letter, n, k, s, p, d, o in zip(letters, w.sizes, w.kernel, w.stride, w.padding, w.dilation,
                                            (out[i] for i in w.positions)):
            how = "ceil" if w.ceil_mode else "floor"
            lines.append(f"{letter}: {how}(({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}) + 1 = {o}")
    lines.append(f"output: {tuple(out)}")
    return "\n".join(lines)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    for attr in ("text", "plain"):
        if isinstance(getattr(value, attr, None), str):
            return getattr(value, attr)
    if isinstance(value, (list, tuple)):
        return "\n".join(_as_text(v) for v in value)
    return str(value)


# -- Checking one layer ----------------------------------------------------------------------


def _counts_under(spec: LayerSpec, input_shape: Any) -> dict[str, Count | None]:
    """The count under every convention (None where a convention cannot count the layer); remembered."""
    return {c: safe_count(spec, c, input_shape) for c in CONVENTIONS}


def _cached_count(spec: LayerSpec, convention: str, input_shape: Any) -> Count:
    """The count under one convention (remembered, shared with the mistake search); raises what counting raises."""
    count = safe_count(spec, convention, input_shape)
    return spec.count(convention, input_shape=input_shape) if count is None else count


def _reason(convention: str, situation: Situation) -> str:
    from paramcalc.mistakes import MISTAKES

    entry = MISTAKES.get(f"{convention}_convention")
    return entry.title(situation) if entry else f"the {convention} convention"


def _check_count(
    quantity: Quantity,
    given: int,
    spec: LayerSpec,
    primary: str,
    chosen: bool,
    input_shape: Any,
    catalogue: tuple[Mistake, ...],
) -> AnswerCheck:
    expected_count = _cached_count(spec, primary, input_shape)
    expected = count_value(expected_count, quantity)

    def derive(convention: str) -> Callable[[], str]:
        return lambda: derive_params(spec, convention, input_shape)

    if given == expected:
        return AnswerCheck(quantity, given, expected, True, primary, _derive=derive(primary))
    if not chosen:
        for c, count in _counts_under(spec, input_shape).items():
            if c != primary and count is not None and count_value(count, quantity) == given:
                why = _reason(c, Situation(spec, primary, input_shape))
                remark = f"right under {why}; the {primary} convention gives {expected:,}"
                return AnswerCheck(quantity, given, given, True, c, remark=remark, _derive=derive(c))
    situation = Situation(spec, primary, input_shape)
    found = diagnose_count(situation, quantity, given, catalogue=catalogue)
    return AnswerCheck(quantity, given, expected, False, primary, diagnoses=tuple(found), _derive=derive(primary))


def _check_shape(
    given: AnswerShape,
    spec: LayerSpec,
    readings: list[tuple[Any, str | None]],
    catalogue: tuple[Mistake, ...],
) -> tuple[AnswerCheck, str | None, Any]:
    """Check a shape answer against each reading of the input in turn (torch's first).

    Returns the check, the note on the reading used (None for the input as given) and that input.
    """
    tried = []
    first_error: ParamcalcError | None = None
    for shape, note in readings:
        inputs = _inputs(shape)
        try:
            out = spec.output_shape(*inputs)
        except ParamcalcError as exc:
            first_error = first_error or exc
            continue
        layouts = layouts_for(spec, inputs[0], out)
        tried.append((shape, inputs, note, out, layouts))
    if not tried:
        assert first_error is not None
        raise first_error

    def answer(inputs: tuple, out: Shape, layouts: Layouts, correct: bool, **kw: Any) -> AnswerCheck:
        written = given if correct else layouts.closest(given, out)[1]
        return AnswerCheck("shape", given, out, correct, written=written,
                           _derive=lambda: derive_shape(spec, inputs), **kw)

    for shape, inputs, note, out, layouts in tried:
        label = layouts.match(given, out)
        if label is not None:
            return answer(inputs, out, layouts, True, layout=label), note, shape
    for shape, inputs, note, out, layouts in tried:
        situation = Situation(spec, "pytorch", shape)
        found = diagnose_shape(situation, given, layouts.match, catalogue=catalogue)
        if found:
            check = answer(inputs, out, layouts, False, diagnoses=tuple(found))
            if found[0].layout:
                forms = dict(layouts.forms(out))
                check = replace_answer(check, written=forms.get(found[0].layout, check.written))
            return check, note, shape
    shape, inputs, note, out, layouts = tried[0]
    return answer(inputs, out, layouts, False), note, shape


def replace_answer(answer: AnswerCheck, **changes: Any) -> AnswerCheck:
    """A copy of an answer check with some fields changed."""
    from dataclasses import replace

    return replace(answer, **changes)


def _check_convention(convention: str | None) -> None:
    if convention is not None and convention not in CONVENTIONS:
        raise SpecError(f"convention must be one of {', '.join(CONVENTIONS)}. Received: convention={convention!r}")


def _read_answers(
    params: Any, trainable: Any, non_trainable: Any, shape: Any
) -> tuple[dict[str, int | None], AnswerShape | None]:
    """The given answers parsed: counts by quantity (None where not given) and the output shape."""
    answers_in = {
        "params": None if params is None else parse_count(params, "params"),
        "trainable": None if trainable is None else parse_count(trainable, "trainable"),
        "non_trainable": None if non_trainable is None else parse_count(non_trainable, "non_trainable"),
    }
    given_shape = None if shape is None else parse_answer_shape(shape)
    if all(v is None for v in answers_in.values()) and given_shape is None:
        raise ParamcalcError("nothing to check: give an answer (params, trainable, non_trainable or shape)")
    return answers_in, given_shape


def check_layer(
    layer: LayerSpec | dict[str, Any] | str,
    *,
    params: int | str | None = None,
    trainable: int | str | None = None,
    non_trainable: int | str | None = None,
    shape: AnswerShape | str | None = None,
    input_shape: Any = None,
    convention: str | None = None,
    catalogue: tuple[Mistake, ...] = CATALOGUE,
) -> CheckResult:
    """Check answers about one layer (see :func:`check`)."""
    _check_convention(convention)
    spec = load_layer(layer)
    answers_in, given_shape = _read_answers(params, trainable, non_trainable, shape)
    frozen = freeze_shape(parse_input_shape(input_shape))
    if given_shape is not None and frozen is None:
        raise ParamcalcError("shape: an input shape is needed to check an output shape (input_shape)")
    notes: list[str] = []
    readings: list[tuple[Any, str | None]] = []
    single = frozen is not None and not (frozen and isinstance(frozen[0], tuple))  # () is a 0-d input
    if single:
        moved = _channels_last_reading(spec, frozen)
        if moved is not None:
            readings.append((moved, f"input {format_shape(frozen)} read as channels-last; torch layout is "
                                    f"{format_shape(moved)}"))
        else:
            readings.append((frozen, None))
            alternative = _pool_readings(spec, frozen)
            if alternative is not None:
                readings.append((alternative, f"input {format_shape(frozen)} read as channels-last; torch "
                                              f"layout is {format_shape(alternative)}"))
    elif frozen is not None:
        readings.append((frozen, None))
    used_input = readings[0][0] if readings else None
    used_note = readings[0][1] if readings else None
    answers: list[AnswerCheck] = []
    if given_shape is not None:
        shape_check, used_note, used_input = _check_shape(given_shape, spec, readings, catalogue)
        answers.append(shape_check)
    keras = _is_keras(spec)
    resolved = spec if keras or spec.is_resolved() else spec.resolve(used_input)
    count_input = frozen if keras else used_input
    primary = convention or natural_convention(spec)
    counted = [
        _check_count(quantity, answers_in[quantity], resolved, primary, convention is not None, count_input, catalogue)
        for quantity in COUNT_QUANTITIES
        if answers_in[quantity] is not None
    ]
    if used_note:
        notes.append(used_note)
    if used_input is not None:
        notes.extend(_inexact_notes(resolved, *_inputs(used_input)))
    return CheckResult(
        resolved, "layer", primary, convention is not None, used_input, tuple(counted + answers), tuple(notes)
    )


def _inputs(shape: Any) -> tuple[Shape, ...]:
    """One input shape or several, as a tuple of shapes."""
    return shape if shape and isinstance(shape[0], tuple) else (shape,)


def merge_dimension_notes(notes: list[str]) -> list[str]:
    """Notes that differ only in the dimension named (height, width) merged: ``output height and width ...``."""
    merged: dict[tuple[str, str], list[str]] = {}
    order: list[tuple[str, str] | str] = []
    for note in notes:
        m = re.match(r"^(.*?): output (length|depth|height|width) (.*)$", note)
        if m is None:
            order.append(note)
            continue
        key = (m.group(1), m.group(3))
        if key not in merged:
            merged[key] = []
            order.append(key)
        merged[key].append(m.group(2))
    out = []
    for item in order:
        if isinstance(item, str):
            out.append(item)
        else:
            dims = merged[item]
            names = dims[0] if len(dims) == 1 else ", ".join(dims[:-1]) + " and " + dims[-1]
            out.append(f"{item[0]}: output {names} {item[1]}")
    return out


def _inexact_notes(spec: LayerSpec, *shapes: Shape) -> list[str]:
    try:
        raw = spec.shape_notes(*shapes)
    except (ParamcalcError, NotImplementedError):
        return []
    if not raw:
        return []
    return [
        *merge_dimension_notes(raw),
        "the division is not exact: exam problems usually choose sizes that divide exactly, so check the "
        "problem's numbers; PyTorch and Keras floor it, and that floored size is the expected answer here",
    ]


# -- Checking a model ------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _load_model_file(path: str, mtime: float) -> Any:
    from paramcalc.model import load_model

    return load_model(path)


def load_model_target(target: Any) -> Any:
    """A validated model from a file path, a mapping or a model (files are read once while unchanged)."""
    from paramcalc.model import load_model

    if isinstance(target, (str, Path)):
        path = Path(target)
        try:
            mtime = path.stat().st_mtime
        except (OSError, ValueError):  # missing, unreadable, or a name with a NUL: load_model says which
            return load_model(path)
        return _load_model_file(str(path), mtime)
    return load_model(target)


_SUMMARIES: dict[tuple[int, Any, str], tuple[Any, Any]] = {}


def _summary(model: Any, input_shape: Any, convention: str) -> Any:
    """The model's summary under a convention, evaluated once per model object, input shape and convention."""
    key = (id(model), input_shape, convention)
    hit = _SUMMARIES.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    from paramcalc.model import evaluate

    summary = evaluate(model, input_shape=input_shape, convention=convention)
    if len(_SUMMARIES) > 1024:
        _SUMMARIES.clear()
    _SUMMARIES[key] = (model, summary)
    return summary


def _summary_or_none(model: Any, input_shape: Any, convention: str) -> Any:
    try:
        return _summary(model, input_shape, convention)
    except ParamcalcError:
        return None


def _model_convention(model: Any, summary: Any) -> str:
    if getattr(model, "framework", None) == "keras":
        return "keras"
    keras_rows = [r for r in summary.rows if r.leaf and r.layer and str(r.layer.get("type", "")).startswith("keras.")]
    return "keras" if keras_rows and len(keras_rows) == sum(1 for r in summary.rows if r.leaf and r.layer) else "pytorch"


@dataclass(frozen=True, slots=True)
class _ModelLayer:
    path: str
    spec: LayerSpec
    input_shape: Any
    output_shape: Any
    repeat: int


def _model_layers(summary: Any) -> list[_ModelLayer]:
    out = []
    for r in summary.rows:
        if not r.leaf or not r.layer:
            continue
        try:
            spec = load_layer(r.layer)
        except ParamcalcError:
            continue
        out.append(_ModelLayer(r.path, spec, r.input_shape, r.output_shape, r.repeat))
    return out


def _model_count_diagnoses(
    summary: Any, quantity: Quantity, given: int, convention: str, input_shape: Any, model: Any,
    catalogue: tuple[Mistake, ...],
) -> list[Diagnosis]:
    """Whole-model conventions first, then one layer's mistake, then the same mistake in every layer."""
    expected = count_value(summary.totals, quantity)
    found: list[Diagnosis] = []
    seen_values: set[tuple[str, int]] = set()
    for c in CONVENTIONS:
        if c == convention or not any(m.key == f"{c}_convention" for m in catalogue):
            continue
        other = _summary_or_none(model, input_shape, c)
        if other is not None and count_value(other.totals, quantity) == given != expected:
            differ = [
                r for r, o in zip(summary.rows, other.rows) if r.leaf and r.count.total != o.count.total
            ]
            entry = next(m for m in catalogue if m.key == f"{c}_convention")
            where = ", ".join(r.path for r in differ[:3]) + (", ..." if len(differ) > 3 else "")
            if len(differ) == 1 and differ[0].layer and entry.detail is not None:
                try:
                    one = Situation(load_layer(differ[0].layer), convention, differ[0].input_shape)
                    detail = entry.detail(one)
                except ParamcalcError:
                    detail = ""
                where = f"{where}: {detail}" if detail else where
            name = f"{entry.name} ({where})" if where else entry.name
            found.append(Diagnosis(entry.key, name, entry.explanation, given))
            seen_values.add((entry.key, given))
    everywhere: dict[str, tuple[int, int, Mistake, list[str]]] = {}
    for layer in _model_layers(summary):
        situation = Situation(layer.spec, convention, layer.input_shape)
        right = situation.expected
        if right is None:
            continue
        right_value = count_value(right, quantity)
        for m in catalogue:
            wrong = m.wrong_count(situation)
            if wrong is None:
                continue
            delta = (count_value(wrong, quantity) - right_value) * layer.repeat
            if not delta:
                continue
            if expected + delta == given and (m.key, given) not in seen_values:
                found.append(Diagnosis(m.key, m.title(situation), m.explanation, given, where=layer.path))
            total, n, _, paths = everywhere.get(m.key, (0, 0, m, []))
            everywhere[m.key] = (total + delta, n + 1, m, [*paths, layer.path])
    for key, (delta, n, m, paths) in everywhere.items():
        if n > 1 and expected + delta == given and (key, given) not in seen_values:
            found.append(Diagnosis(m.key, m.name, m.explanation, given, where="every layer"))
    return found


def _model_derivation(summary: Any, quantity: Quantity) -> str:
    lines = []
    values = []
    for r in summary.rows:
        if not r.leaf:
            continue
        value = count_value(r.count, quantity)
        if value:
            times = f" ({r.repeat} of them)" if r.repeat > 1 else ""
            lines.append(f"{r.path} ({r.type}){times}: {value:,}")
            values.append(value)
    total = count_value(summary.totals, quantity)
    if values:
        lines.append(f"total: {' + '.join(f'{v:,}' for v in values)} = {total:,}" if len(values) > 1 else f"total: {total:,}")
    else:
        lines.append(f"total: {total:,}")
    return "\n".join(lines)


def _model_shape_diagnoses(
    summary: Any, given: AnswerShape, layouts: Layouts, catalogue: tuple[Mistake, ...]
) -> list[Diagnosis]:
    """A shape mistake in one layer of a plain stack, carried through the layers after it."""
    layers = _model_layers(summary)
    for a, b in zip(layers, layers[1:]):
        if a.output_shape is None or b.input_shape != a.output_shape:
            return []  # not a plain stack (residuals, several inputs): no propagation
    found = []
    for i, layer in enumerate(layers):
        situation = Situation(layer.spec, "pytorch", layer.input_shape)
        for m in catalogue:
            wrong = m.wrong_shape(situation)
            if wrong is None or wrong == layer.output_shape:
                continue
            out: Any = wrong
            try:
                for later in layers[i + 1:]:
                    if any(isinstance(d, Fraction) for d in out):
                        raise ParamcalcError("not whole")
                    out = later.spec.output_shape(tuple(out))
            except ParamcalcError:
                continue
            label = layouts.match(given, out)
            if label is not None:
                found.append(Diagnosis(m.key, m.title(situation), m.explanation, tuple(out), where=layer.path,
                                       layout=label))
    return found


def check_model(
    target: Any,
    *,
    params: int | str | None = None,
    trainable: int | str | None = None,
    non_trainable: int | str | None = None,
    shape: AnswerShape | str | None = None,
    input_shape: Any = None,
    convention: str | None = None,
    catalogue: tuple[Mistake, ...] = CATALOGUE,
) -> CheckResult:
    """Check answers about a whole model (see :func:`check`); a wrong count names the layer whose mistake explains it."""
    _check_convention(convention)
    answers_in, given_shape = _read_answers(params, trainable, non_trainable, shape)
    model = load_model_target(target)
    frozen = freeze_shape(parse_input_shape(input_shape))
    first = _summary(model, frozen, convention or "pytorch")
    primary = convention or _model_convention(model, first)
    summary = first if primary == (convention or "pytorch") else _summary(model, frozen, primary)
    chosen = convention is not None
    answers: list[AnswerCheck] = []
    for quantity in COUNT_QUANTITIES:
        given = answers_in[quantity]
        if given is None:
            continue
        expected = count_value(summary.totals, quantity)
        derive = (lambda s=summary, q=quantity: _model_derivation(s, q))
        if given == expected:
            answers.append(AnswerCheck(quantity, given, expected, True, primary, _derive=derive))
            continue
        accepted = None
        if not chosen:
            for c in CONVENTIONS:
                other = None if c == primary else _summary_or_none(model, frozen, c)
                if other is not None and count_value(other.totals, quantity) == given:
                    accepted = (c, other)
                    break
        if accepted is not None:
            c, other = accepted
            remark = f"right under the {c} convention; the {primary} convention gives {expected:,}"
            answers.append(AnswerCheck(quantity, given, given, True, c, remark=remark,
                                       _derive=lambda s=other, q=quantity: _model_derivation(s, q)))
            continue
        found = _model_count_diagnoses(summary, quantity, given, primary, frozen, model, catalogue)
        answers.append(AnswerCheck(quantity, given, expected, False, primary, diagnoses=tuple(found), _derive=derive))
    if given_shape is not None:
        out = summary.output_shape
        if out is None:
            raise ParamcalcError("shape: the model's output shape is unknown; give its input shape (input_shape)")
        layers = _model_layers(summary)
        last = layers[-1] if layers else None
        layouts = layouts_for(last.spec, last.input_shape, out) if last is not None else Layouts(0, 0)
        label = layouts.match(given_shape, out)
        shape_lines = "\n".join(
            f"{r.path} ({r.type}): {format_shape(r.input_shape)} -> {format_shape(r.output_shape)}"
            for r in summary.rows if r.leaf and r.output_shape is not None
        )
        if label is not None:
            answers.append(AnswerCheck("shape", given_shape, out, True, layout=label, written=given_shape,
                                       _derive=lambda: shape_lines))
        else:
            found = _model_shape_diagnoses(summary, given_shape, layouts, catalogue)
            written = dict(layouts.forms(out)).get(found[0].layout) if found and found[0].layout else None
            answers.append(AnswerCheck(
                "shape", given_shape, out, False, diagnoses=tuple(found),
                written=written or layouts.closest(given_shape, out)[1], _derive=lambda: shape_lines,
            ))
    notes = merge_dimension_notes([n for n in summary.notes if "not a whole number" in n])
    if notes:
        notes.append(
            "a division is not exact: exam problems usually choose sizes that divide exactly, so check the "
            "problem's numbers; PyTorch and Keras floor it, and the floored size is used here"
        )
    name = summary.name or (str(target) if isinstance(target, (str, Path)) else "model")
    first_input = next(iter(summary.input_shapes.values()), None)
    return CheckResult(name, "model", primary, chosen, first_input, tuple(answers), tuple(notes))


def check(
    target: Any,
    *,
    params: int | str | None = None,
    trainable: int | str | None = None,
    non_trainable: int | str | None = None,
    shape: AnswerShape | str | None = None,
    input_shape: Any = None,
    convention: str | None = None,
    catalogue: tuple[Mistake, ...] = CATALOGUE,
) -> CheckResult:
    """Check answers about a layer or a model: each gets ✓ or ✗, the expected value and the working.

    Args:
        target: a layer (spec, dict or constructor expression such as ``"Conv2d(3, 64, 3)"``), or a model
            (a model file path, a model mapping with ``layers``, or a loaded model).
        params: the given total parameter count (``1792`` or ``"1,792"``).
        trainable: the given trainable parameter count.
        non_trainable: the given non-trainable parameter count.
        shape: the given output shape: ``"55x55x96"`` (channels-last, as exams write it), torch's
            ``"96x55x55"``, with or without the batch dimension, or one side (``"55"``).
        input_shape: the input shape; a torch convolution also accepts it channels-last (``227x227x3``).
        convention: ``"pytorch"``, ``"keras"`` or ``"textbook"``. When None, an answer that is right under
            any convention is accepted, and the result says which.
        catalogue: the mistakes searched when an answer is wrong.

    Returns:
        A :class:`CheckResult`; ``result.ok`` tells whether every answer is right.

    Raises:
        ParamcalcError: a bad layer, model, shape or answer, or no answer given.
    """
    if is_model_target(target):
        return check_model(
            target, params=params, trainable=trainable, non_trainable=non_trainable, shape=shape,
            input_shape=input_shape, convention=convention, catalogue=catalogue,
        )
    return check_layer(
        target, params=params, trainable=trainable, non_trainable=non_trainable, shape=shape,
        input_shape=input_shape, convention=convention, catalogue=catalogue,
    )


# -- Rendering -------------------------------------------------------------------------------


def render_check(result: CheckResult, *, derivations: bool = True) -> Any:
    """A Rich renderable of a check: one block per answer with its verdict, diagnosis and working."""
    from rich.console import Group
    from rich.text import Text

    def indent(text: str, style: str, by: int = 2) -> Any:
        return Indented(text, style, by)

    head = Text()
    head.append(result.target, style="bold")
    conv = result.convention if result.convention_chosen else f"{result.convention} (any convention accepted)"
    head.append(f"\nconvention: {conv}", style="dim")
    if result.input_shape is not None:
        head.append(f"   input: {_shape_text(result.input_shape)}", style="dim")
    parts: list[Any] = [head]
    for note in result.notes:
        parts.append(Indented(f"! {note}", "yellow", 0, 2))
    for a in result.answers:
        line = Text()
        line.append(f"{a.mark} ", style="bold green" if a.correct else "bold red")
        line.append(f"{a.quantity:<14}")
        line.append(f"given {a.given_text()}")
        if a.correct:
            if a.layout:
                line.append(f"  ({a.layout})", style="dim")
        else:
            line.append(f"   expected {a.expected_text()}", style="bold")
        parts.append(line)
        detail = a.diagnosis_text()
        if detail:
            for d in (a.diagnoses if not a.correct and a.diagnoses else ()):
                parts.append(indent(d.text, "cyan"))
                parts.append(indent(d.explanation, "dim", 4))
            if a.correct or not a.diagnoses:
                parts.append(indent(detail, "cyan" if not a.correct else "dim"))
        if derivations and a.derivation:
            parts.append(indent(a.derivation, "dim"))
    summary = f"{result.correct}/{len(result.answers)} correct"
    parts.append(Text(summary, style="bold green" if result.ok else "bold red"))
    return Group(*parts)


class Indented:
    """Text indented by ``by`` spaces, wrapped (with the same indent) to the console width, no trailing spaces."""

    def __init__(self, text: str, style: str = "", by: int = 2, hang: int = 0) -> None:
        self.text, self.style, self.by, self.hang = text, style, by, hang

    def __rich_console__(self, console: Any, options: Any) -> Any:
        import textwrap

        from rich.text import Text

        width = max(options.max_width - self.by - self.hang, 20)
        lines = []
        for raw in self.text.splitlines() or [""]:
            wrapped = textwrap.wrap(raw, width, break_on_hyphens=False, break_long_words=True) or [""]
            lines.extend(" " * self.by + (" " * self.hang if i else "") + w for i, w in enumerate(wrapped))
        yield Text("\n".join(lines), style=self.style, no_wrap=True, overflow="fold")


def _shape_text(shape: Any) -> str:
    if shape and isinstance(shape[0], tuple):
        return "; ".join(format_shape(s) for s in shape)
    return format_shape(shape)
