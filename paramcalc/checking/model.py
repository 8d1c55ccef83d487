"""Checking answers about a whole model: the totals under each convention, and for a wrong count the
layer (or every layer) whose catalogued mistake explains the difference.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from paramcalc.checking.answers import Layouts, format_shape, layouts_for, parse_input_shape
from paramcalc.checking.flatten import StackLayer, flatten_diagnoses
from paramcalc.checking.layer import (
    COUNT_QUANTITIES,
    check_convention,
    load_layer,
    merge_dimension_notes,
    read_answers,
)
from paramcalc.checking.mistakes import (
    CATALOGUE,
    CONVENTIONS,
    Diagnosis,
    Mistake,
    Situation,
    count_value,
    diagnosis,
    freeze_shape,
)
from paramcalc.checking.results import AnswerCheck, CheckResult
from paramcalc.checking.situation import AnswerShape, Quantity
from paramcalc.errors import ParamcalcError
from paramcalc.limits import MAX_SEARCH_STEPS
from paramcalc.specs import LayerSpec


@lru_cache(maxsize=256)
def _load_model_file(path: str, mtime: float) -> Any:
    from paramcalc.readers import load

    return load(path)


def load_model_target(target: Any) -> Any:
    """A validated model from a file path, a mapping or a model (files are read once while unchanged).

    A file of another format is read by :func:`paramcalc.readers.load`: a Keras or Hugging Face
    configuration gives a model, a checkpoint or a printout the summary of what it holds.
    """
    from paramcalc.models.format import load_model
    from paramcalc.readers import load

    if isinstance(target, (str, Path)):
        path = Path(target)
        try:
            mtime = path.stat().st_mtime
        except (OSError, ValueError):  # missing, unreadable, or a name with a NUL: load_model says which
            return load(path)
        return _load_model_file(str(path), mtime)
    return load_model(target)


_SUMMARIES: dict[tuple[int, Any, str], tuple[Any, Any]] = {}


def _summary(model: Any, input_shape: Any, convention: str) -> Any:
    """The model's summary under a convention, evaluated once per model object, input shape and convention.

    A checkpoint's summary (no layers) is its own, under its convention only, and only when exact.
    """
    if not hasattr(model, "layers"):
        if convention != model.convention or input_shape is not None:
            raise ParamcalcError(f"{model.name}: counted as stored, under the {model.convention} convention only, "
                                 "with no input shape")
        if not model.exact:
            raise ParamcalcError(f"{model.name}: the total read is a {model.bound} bound ({model.total:,}), not a "
                                 "count: an answer cannot be checked against it")
        return model
    key = (id(model), input_shape, convention)
    hit = _SUMMARIES.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    from paramcalc.models.evaluate import evaluate

    summary = evaluate(model, input_shape=input_shape, convention=convention, max_rows=None)  # no rows printed
    if len(_SUMMARIES) > 64:  # a summary may hold MAX_ROWS rows
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


def _model_layers(summary: Any) -> list[StackLayer]:
    """The model's layers with their specs; a layer repeated along the model is read once."""
    out = []
    specs: dict[str, LayerSpec | None] = {}
    for r in summary.rows:
        if not r.leaf or not r.layer:
            continue
        key = repr(r.layer)
        if key not in specs:
            try:
                specs[key] = load_layer(r.layer)
            except ParamcalcError:
                specs[key] = None
        spec = specs[key]
        if spec is not None:
            out.append(StackLayer(r.path, spec, r.input_shape, r.output_shape, r.repeat))
    return out


def _last_layer(summary: Any) -> StackLayer | None:
    """The model's last layer that can be read (all the shape check needs of the rows)."""
    for r in reversed(summary.rows):
        if r.leaf and r.layer:
            try:
                return StackLayer(r.path, load_layer(r.layer), r.input_shape, r.output_shape, r.repeat)
            except ParamcalcError:
                continue
    return None


def _plain_stack(layers: list[StackLayer]) -> bool:
    """Whether each layer reads the one before it (no residuals, no several inputs)."""
    return all(a.output_shape is not None and b.input_shape == a.output_shape for a, b in zip(layers, layers[1:]))


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
            found.append(Diagnosis(entry.key, name, entry.explanation, given, lead=entry.lead, source=entry.source))
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
                found.append(diagnosis(m, situation, given, where=layer.path))
            total, n, _, paths = everywhere.get(m.key, (0, 0, m, []))
            everywhere[m.key] = (total + delta, n + 1, m, [*paths, layer.path])
    layers = _model_layers(summary)
    if _plain_stack(layers):
        for m, title, path, value in flatten_diagnoses(layers, quantity, given, expected, convention, catalogue):
            found.append(Diagnosis(m.key, title, m.explanation, value, where=path, lead=m.lead, source=m.source))
    for key, (delta, n, m, paths) in everywhere.items():
        if n > 1 and expected + delta == given and (key, given) not in seen_values:
            found.append(Diagnosis(m.key, m.name, m.explanation, given, where="every layer", lead=m.lead,
                                   source=m.source))
    return found


def _model_derivation(summary: Any, quantity: Quantity) -> str:
    """Each layer's share and the sum; a run of identical layers is one line (``0[0-999] (Conv1d) (1000 of them)``)."""
    from paramcalc.models.summary import collapse_runs

    lines = []
    values = []
    for r in collapse_runs(summary.rows):
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
) -> tuple[list[Diagnosis], bool]:
    """A shape mistake in one layer of a plain stack, carried through the layers after it.

    A wrong shape is carried forward one layer at a time; where two carried shapes meet (the same shape
    entering the same layer) the rest of the way is known, so a stack of n layers costs about n steps
    per mistake, and never more than ``MAX_SEARCH_STEPS`` in all. A mistake that explains the answer
    in many layers is one diagnosis naming them.

    Returns:
        The diagnoses, and whether the search was complete (False once it stopped at the bound).
    """
    layers = _model_layers(summary)
    if not _plain_stack(layers):
        return [], True  # not a plain stack (residuals, several inputs): no propagation
    carried: dict[tuple[int, Any], Any] = {}  # (layer index, shape entering it) -> the final shape, or None
    steps = 0

    def carry(start: int, shape: Any) -> Any:
        nonlocal steps
        trail = []
        out: Any = shape
        j = start
        while True:
            if out is None or j == len(layers):
                final = out
                break
            if (j, out) in carried:
                final = carried[(j, out)]
                break
            trail.append((j, out))
            steps += 1
            if steps > MAX_SEARCH_STEPS:
                raise _SearchStopped
            try:
                if any(isinstance(d, Fraction) for d in out):
                    raise ParamcalcError("not whole")
                out = tuple(layers[j].spec.output_shape(tuple(out)))
            except ParamcalcError:
                out = None
            j += 1
        for key in trail:
            carried[key] = final
        return final

    matches: dict[str, list[tuple[StackLayer, Situation, Mistake, Any, str]]] = {}
    complete = True
    try:
        for i in range(len(layers) - 1, -1, -1):  # from the last layer back: later carries are reused
            layer = layers[i]
            situation = Situation(layer.spec, "pytorch", layer.input_shape)
            for m in catalogue:
                wrong = m.wrong_shape(situation)
                if wrong is None or wrong == layer.output_shape:
                    continue
                out = carry(i + 1, tuple(wrong))
                if out is None:
                    continue
                label = layouts.match(given, out)
                if label is not None:
                    matches.setdefault(m.key, []).append((layer, situation, m, out, label))
    except _SearchStopped:
        complete = False
    found = []
    for hits in matches.values():
        hits.reverse()  # in the model's order
        if len(hits) <= 3:
            found += [diagnosis(m, sit, out, where=layer.path, layout=label) for layer, sit, m, out, label in hits]
            continue
        layer, sit, m, out, label = hits[0]
        where = f"any one of {len(hits):,} layers ({layer.path}, {hits[1][0].path}, ..., {hits[-1][0].path})"
        found.append(diagnosis(m, sit, out, where=where, layout=label))
    return found, complete


class _SearchStopped(Exception):
    """The mistake search reached MAX_SEARCH_STEPS."""


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
    check_convention(convention)
    answers_in, given_shape = read_answers(params, trainable, non_trainable, shape)
    model = load_model_target(target)
    frozen = freeze_shape(parse_input_shape(input_shape))
    first = _summary(model, frozen, convention or "pytorch")
    primary = convention or _model_convention(model, first)
    summary = first if primary == (convention or "pytorch") else _summary(model, frozen, primary)
    chosen = convention is not None
    answers: list[AnswerCheck] = []
    stopped = ""
    for quantity in COUNT_QUANTITIES:
        given = answers_in[quantity]
        if given is None:
            continue
        expected = count_value(summary.totals, quantity)
        derive = (lambda s=summary, q=quantity: _model_derivation(s, q))
        if given == expected:
            answers.append(AnswerCheck(quantity, given, expected, True, primary, _derive=derive))
            continue
        found = _model_count_diagnoses(summary, quantity, given, primary, frozen, model, catalogue)
        answers.append(AnswerCheck(quantity, given, expected, False, primary, diagnoses=tuple(found), _derive=derive))
    if given_shape is not None:
        out = summary.output_shape
        if out is None:
            raise ParamcalcError("shape: the model's output shape is unknown; give its input shape (input_shape)")
        last = _last_layer(summary)
        layouts = layouts_for(last.spec, last.input_shape, out) if last is not None else Layouts(0, 0)
        label = layouts.match(given_shape, out)
        from paramcalc.models.summary import collapse_runs

        shape_lines = "\n".join(
            f"{r.path} ({r.type}{f' ×{r.repeat}' if r.repeat > 1 else ''}): "
            f"{format_shape(r.input_shape)} -> {format_shape(r.output_shape)}"
            for r in collapse_runs(summary.rows) if r.leaf and r.output_shape is not None
        )
        if label is not None:
            answers.append(AnswerCheck("shape", given_shape, out, True, layout=label, written=given_shape,
                                       _derive=lambda: shape_lines))
        else:
            found, complete = _model_shape_diagnoses(summary, given_shape, layouts, catalogue)
            if not complete:
                stopped = (f"the search for a mistake that explains the shape stopped after {MAX_SEARCH_STEPS:,} "
                           "layer applications (paramcalc's bound); more mistakes may explain it")
            written = dict(layouts.forms(out)).get(found[0].layout) if found and found[0].layout else None
            answers.append(AnswerCheck(
                "shape", given_shape, out, False, diagnoses=tuple(found),
                written=written or layouts.closest(given_shape, out)[1], _derive=lambda: shape_lines,
            ))
    notes = merge_dimension_notes([n for n in summary.notes if "not a whole number" in n])
    if stopped:
        notes.append(stopped)
    if notes:
        notes.append(
            "a division is not exact: exam problems usually choose sizes that divide exactly, so check the "
            "problem's numbers; PyTorch and Keras floor it, and the floored size is used here"
        )
    name = summary.name or (str(target) if isinstance(target, (str, Path)) else "model")
    first_input = next(iter(summary.input_shapes.values()), None)
    return CheckResult(name, "model", primary, chosen, first_input, tuple(answers), tuple(notes))
