"""Checking answers about one layer: each given count or shape against the exact value, with the working,
and for a wrong one the conventions and catalogued mistakes that reproduce it exactly.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from typing import Any

from paramcalc.checking.answers import (
    DIM_LETTERS,
    Layouts,
    Shape,
    format_shape,
    layouts_for,
    parse_answer_shape,
    parse_count,
    parse_input_shape,
)
from paramcalc.checking.mistakes import (
    CATALOGUE,
    CONVENTIONS,
    MISTAKES,
    Mistake,
    Situation,
    count_value,
    diagnose_count,
    diagnose_count_pairs,
    diagnose_shape,
    diagnose_shape_pairs,
    freeze_shape,
    is_keras,
    window,
)
from paramcalc.checking.mistakes import count_or_none as safe_count
from paramcalc.checking.results import AnswerCheck, CheckResult
from paramcalc.checking.situation import AnswerShape, Quantity, lists_tensors, stacked_layers
from paramcalc.errors import ParamcalcError, SpecError
from paramcalc.limits import MAX_LISTED_LAYERS
from paramcalc.results import Count
from paramcalc.specs import LayerSpec
from paramcalc.specs.explaining import worked_params

COUNT_QUANTITIES: tuple[Quantity, ...] = ("params", "trainable", "non_trainable")


# -- Targets ---------------------------------------------------------------------------------


def natural_convention(spec: LayerSpec) -> str:
    """The convention a layer is counted under when none is given: Keras layers keras, the rest pytorch."""
    return "keras" if is_keras(spec) else "pytorch"


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> LayerSpec:
    from paramcalc.specs.parse import parse_layer

    return parse_layer(text)


def load_layer(layer: LayerSpec | dict[str, Any] | str) -> LayerSpec:
    """A spec from a spec, a dict or an expression; expressions are parsed once and remembered."""
    if isinstance(layer, str):
        return _parse_cached(layer.strip())
    from paramcalc.specs.parse import parse_layer

    return parse_layer(layer)


def _channels_last_reading(spec: LayerSpec, shape: Shape) -> Shape | None:
    """Torch layout of an input written channels-last (227x227x3), when the layer's channels tell."""
    nd = getattr(type(spec), "nd", 0)
    if not nd or is_keras(spec) or len(shape) not in (nd + 1, nd + 2):
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
    if not nd or is_keras(spec) or hasattr(spec, "in_channels") or hasattr(spec, "num_features"):
        return None
    if len(shape) not in (nd + 1, nd + 2):
        return None
    batch = shape[: len(shape) - nd - 1]
    core = shape[len(shape) - nd - 1:]
    moved = (*batch, core[-1], *core[:-1])
    return None if moved == shape else moved


# -- Derivations -----------------------------------------------------------------------------


def derive_params(spec: LayerSpec, convention: str, input_shape: Any) -> str:
    """The worked derivation of a layer's parameter count (by formula for a stack too deep to list)."""
    if not lists_tensors(spec):
        return _as_text(_stack_derivation(spec, convention, input_shape))
    try:
        return _as_text(spec.explain_params(convention, input_shape=input_shape))
    except ParamcalcError:
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


def _stack_derivation(spec: LayerSpec, convention: str, input_shape: Any) -> list[str]:
    """A deep stack's count by formula, per layer × layers where the family works it out, with a note
    that its tensors are not listed (nor the mistakes that need them searched)."""
    depth = stacked_layers(spec)
    note = (f"(the tensors of a stack of more than {MAX_LISTED_LAYERS:,} layers are not listed, {depth:,} here, "
            f"and the mistakes that need them are not searched)")
    fam = type(spec).family
    head = [f"formula: {fam.params[convention]}"] if fam and convention in fam.params else []
    try:
        lines = worked_params(spec, convention, input_shape=input_shape)
        total = spec.count(convention, input_shape=input_shape).total
    except ParamcalcError as exc:
        return [str(exc), note]
    if lines is None:
        lines = [f"{spec.name}: {total:,} by formula"]
    return [*head, *lines, note]


def derive_shape(spec: LayerSpec, input_shapes: tuple[Shape, ...]) -> str:
    """The worked derivation of a layer's output shape."""
    try:
        return _as_text(spec.explain_shape(*input_shapes))
    except ParamcalcError:
        pass
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


def _cached_count(spec: LayerSpec, convention: str, input_shape: Any) -> Count:
    """The count under one convention (remembered, shared with the mistake search); raises what counting raises."""
    count = safe_count(spec, convention, input_shape)
    return spec.count(convention, input_shape=input_shape) if count is None else count


def _check_count(
    quantity: Quantity,
    given: int,
    spec: LayerSpec,
    primary: str,
    input_shape: Any,
    catalogue: tuple[Mistake, ...],
) -> AnswerCheck:
    """One count checked under ``primary`` only: another convention's count is a mistake, named as such."""
    expected_count = _cached_count(spec, primary, input_shape)
    expected = count_value(expected_count, quantity)

    def derive() -> str:
        return derive_params(spec, primary, input_shape)

    if given == expected:
        return AnswerCheck(quantity, given, expected, True, primary, _derive=derive)
    situation = Situation(spec, primary, input_shape)
    found = diagnose_count(situation, quantity, given, catalogue=catalogue)
    if not found:
        found = diagnose_count_pairs(situation, quantity, given, catalogue=catalogue)
    return AnswerCheck(quantity, given, expected, False, primary, diagnoses=tuple(found), _derive=derive)


def _check_shape(
    given: AnswerShape,
    spec: LayerSpec,
    readings: list[tuple[Any, str | None]],
    catalogue: tuple[Mistake, ...],
    convention: str = "pytorch",
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
        textbook = _textbook_fraction(spec, shape, given, layouts, convention)
        if textbook is not None:
            return answer(inputs, out, layouts, True, layout=textbook[0], remark=textbook[1]), note, shape
    for search in (diagnose_shape, diagnose_shape_pairs):
        for shape, inputs, note, out, layouts in tried:
            situation = Situation(spec, convention, shape)
            found = search(situation, given, layouts.match, catalogue=catalogue)
            if not found:
                continue
            check = answer(inputs, out, layouts, False, diagnoses=tuple(found))
            if found[0].layout:
                forms = dict(layouts.forms(out))
                check = replace_answer(check, written=forms.get(found[0].layout, check.written))
            return check, note, shape
    shape, inputs, note, out, layouts = tried[0]
    return answer(inputs, out, layouts, False), note, shape


def _textbook_fraction(
    spec: LayerSpec, shape: Any, given: AnswerShape, layouts: Layouts, convention: str
) -> tuple[str, str] | None:
    """Under the textbook convention, the exact (W − F + 2P)/S + 1 when it is not whole: the textbook's
    answer for a setting it calls invalid. Returns the layout and the remark, or None."""
    if convention != "textbook" or not any(isinstance(d, Fraction) for d in given):
        return None
    situation = Situation(spec, convention, shape)
    exact = MISTAKES["not_floored"].wrong_shape(situation) if "not_floored" in MISTAKES else None
    if exact is None:
        return None
    label = layouts.match(given, exact)
    if label is None:
        return None
    floored = situation.output
    sizes = " and ".join(dict.fromkeys(format_shape((d,)) for d in exact if isinstance(d, Fraction)))
    return label, (
        f"the textbook's exact answer: (W − F + 2P)/S + 1 = {sizes} is not whole, so the course calls this "
        f"setting invalid (the filter does not fit evenly); PyTorch and Keras floor it and give "
        f"{format_shape(floored)}"
    )


def replace_answer(answer: AnswerCheck, **changes: Any) -> AnswerCheck:
    """A copy of an answer check with some fields changed."""
    return replace(answer, **changes)


def check_convention(convention: str | None) -> None:
    """Refuse a convention paramcalc does not know (None: none chosen)."""
    if convention is not None and convention not in CONVENTIONS:
        raise SpecError(f"convention must be one of {', '.join(CONVENTIONS)}. Received: convention={convention!r}")


def read_answers(
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
    check_convention(convention)
    spec = load_layer(layer)
    answers_in, given_shape = read_answers(params, trainable, non_trainable, shape)
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
    primary = convention or natural_convention(spec)
    if given_shape is not None:
        shape_check, used_note, used_input = _check_shape(given_shape, spec, readings, catalogue, primary)
        answers.append(shape_check)
    keras = is_keras(spec)
    resolved = spec if keras or spec.is_resolved() else spec.resolve(used_input)
    count_input = frozen if keras else used_input
    counted = [
        _check_count(quantity, answers_in[quantity], resolved, primary, count_input, catalogue)
        for quantity in COUNT_QUANTITIES
        if answers_in[quantity] is not None
    ]
    if used_note:
        notes.append(used_note)
    if used_input is not None:
        notes.extend(_inexact_notes(resolved, *_inputs(used_input), textbook=primary == "textbook"))
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


def _inexact_notes(spec: LayerSpec, *shapes: Shape, textbook: bool = False) -> list[str]:
    try:
        raw = spec.shape_notes(*shapes)
    except (ParamcalcError, NotImplementedError):
        return []
    if not raw:
        return []
    if textbook:
        return [*merge_dimension_notes(raw), "the division is not exact: the textbook's answer is the exact fraction "
                "(a setting it calls invalid); PyTorch and Keras floor it"]
    return [
        *merge_dimension_notes(raw),
        "the division is not exact: exam problems usually choose sizes that divide exactly, so check the "
        "problem's numbers; PyTorch and Keras floor it, and that floored size is the expected answer here",
    ]
