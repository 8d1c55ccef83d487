"""Reading answers as exams write them: counts (``1,792``), shapes (``55x55x96``, ``(96, 55, 55)``, ``54.25``),
input shapes, and the layouts a layer's output may be written in (torch's, channels-last, with or without
the batch dimension).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from paramcalc.checking.situation import AnswerShape, format_number, is_keras
from paramcalc.errors import ParamcalcError, short_repr
from paramcalc.limits import MAX_ANSWER_DIGITS
from paramcalc.specs import LayerSpec

Shape = tuple[int, ...]
DIM_LETTERS = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


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
    if len(parts) > 1 and parts[0] in ("None", "?"):  # Keras prints the batch as None
        parts = parts[1:]
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
            return tuple(_int_shape(_input_dims(p, what), what, value) for p in parts)
        return _int_shape(_input_dims(value, what), what, value)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (list, tuple)) for v in value):
        return tuple(_int_shape(tuple(v), what, value) for v in value)
    if isinstance(value, (list, tuple)):
        return _int_shape(tuple(value), what, value)
    raise ParamcalcError(f"{what}: must be a shape such as 227x227x3. Received: {short_repr(value)}")


def _input_dims(text: str, what: str) -> tuple:
    """One input shape's dimensions; ``None`` (or ``?``) stays None, an unknown size as Keras writes it."""
    body = text.strip().strip("()[]").strip()
    parts = [p for p in _SHAPE_SPLIT.split(body) if p]
    if any(p in ("None", "?") for p in parts):
        return tuple(None if p in ("None", "?") else _dim(p, what, text) for p in parts)
    return parse_answer_shape(text, what)


def _int_shape(shape: tuple, what: str, whole: Any) -> Shape:
    for d in shape:
        if d is None:  # an unknown size (the batch, mostly): Keras layers accept it
            continue
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            raise ParamcalcError(
                f"{what}: every dimension must be a non-negative integer (or None for an unknown size). "
                f"Received: {short_repr(whole)}"
            )
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
        is_keras(spec) and nd > 0
    )
    if nd and len(output) in (nd + 1, nd + 2):
        batched = len(output) == nd + 2
        return Layouts(nd, 0 if batched else None, channels_last)
    if is_keras(spec):
        return Layouts(0, 0 if len(output) > 1 else None, True)
    batch_first = getattr(spec, "batch_first", None)
    if batch_first is not None:
        if len(output) == 3:
            return Layouts(0, 0 if batch_first else 1)
        return Layouts(0, None)
    return Layouts(0, 0 if len(output) > 1 else None)
