"""Problem sheets: many exam problems (a layer or a model, an input shape, the answers) checked in one run.

A sheet is YAML (or JSON)::

    title: Parameter counting, week 3
    convention: pytorch            # optional: the default for every problem
    problems:
      - id: conv-params
        question: "Conv2d, 3 input channels, 64 filters of 3x3: how many parameters?"
        layer: Conv2d(3, 64, 3)
        answers: {params: 1792}
      - id: alexnet-conv1
        layer: Conv2d(3, 96, 11, stride=4)
        input_shape: 227x227x3
        answers: {shape: 55x55x96}
      - id: keras-rnn
        model: models/rnn.yaml     # a model file (relative to the sheet) or an inline model mapping
        convention: keras
        answers: {params: 529441}

:func:`check_sheet` gives a :class:`SheetReport`: one row per answer (problem, given, expected, ✓/✗,
diagnosis) and a summary such as ``17/20 correct`` (drawn by :mod:`paramcalc.render.check`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from paramcalc import forms
from paramcalc.checking import check
from paramcalc.checking.answers import parse_input_shape
from paramcalc.checking.results import AnswerCheck, CheckResult
from paramcalc.errors import ParamcalcError
from paramcalc.limits import MAX_FILE_BYTES, MAX_SHEET_PROBLEMS, MAX_SHEET_WORK, check_data, check_yaml_text
from paramcalc.models import validation
from paramcalc.models.files import DuplicateKeyError, read_regular_file, yaml_loader

#: The module that draws sheet reports.
RENDERER = "paramcalc.render.check"

#: Exit statuses, as for ``paramcalc check``: all right, an answer wrong, bad input.
EXIT_OK, EXIT_WRONG, EXIT_BAD_INPUT = 0, 1, 2


# -- The file format -------------------------------------------------------------------------


#: The settings of every class of the format: frozen, no unknown keys, built on first use.
SHEET_CONFIG = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Answers(BaseModel):
    """The answers a problem gives (any of them)."""

    model_config = SHEET_CONFIG

    params: Union[int, str, None] = None
    trainable: Union[int, str, None] = None
    non_trainable: Union[int, str, None] = None
    shape: Union[str, int, list[Union[int, float, str]], None] = None

    @field_validator("params", "trainable", "non_trainable", "shape", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, list) and any(isinstance(v, bool) for v in value)):
            raise ValueError("an answer is a number or a shape, not true or false")
        return value

    @model_validator(mode="after")
    def _some(self) -> Answers:
        if all(getattr(self, k) is None for k in ("params", "trainable", "non_trainable", "shape")):
            raise ValueError("give at least one answer: params, trainable, non_trainable or shape")
        return self


class Problem(BaseModel):
    """One problem: a layer or a model, its input shape, and the answers to check."""

    model_config = SHEET_CONFIG

    id: Union[str, int, None] = None
    question: Optional[str] = None
    layer: Union[str, dict[str, Any], None] = None
    model: Union[str, dict[str, Any], None] = None
    input_shape: Union[str, list[Any], None] = None
    convention: Optional[Literal["pytorch", "keras", "textbook"]] = None
    answers: Answers
    note: Optional[str] = None

    @model_validator(mode="after")
    def _one_target(self) -> Problem:
        if (self.layer is None) == (self.model is None):
            raise ValueError("give exactly one of layer or model")
        return self


class Sheet(BaseModel):
    """A problem sheet: a title, a default convention, and the problems."""

    model_config = SHEET_CONFIG

    title: Optional[str] = None
    convention: Optional[Literal["pytorch", "keras", "textbook"]] = None
    problems: list[Problem] = Field(min_length=1)


def _read_sheet_data(path: Path) -> Any:
    """The data of a sheet file, read within the bounds of model files (size, nesting, alias expansion)."""
    try:
        raw = read_regular_file(path)
    except OSError as exc:
        raise ParamcalcError(f"sheet: cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ParamcalcError(f"sheet: {path.name} is larger than the {MAX_FILE_BYTES:,}-byte limit")
    if b"\x00" in raw:
        raise ParamcalcError(f"sheet: {path.name} is binary data, not a YAML or JSON text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParamcalcError(f"sheet: {path.name} is not UTF-8 text (byte {exc.start})") from None
    import yaml

    try:
        check_yaml_text(text, f"sheet: {path.name}")
        data = yaml.load(text, Loader=yaml_loader())  # noqa: S506 - a safe loader
    except DuplicateKeyError as exc:
        raise ParamcalcError(f"sheet: {path.name}: {exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise ParamcalcError(f"sheet: {path.name} is not valid YAML{at}") from None
    except ParamcalcError:
        raise
    except Exception:  # noqa: BLE001 - PyYAML's constructors fail on bad scalars (2001-02-30) in many ways
        raise ParamcalcError(f"sheet: {path.name} is not valid YAML (a value cannot be read)") from None
    check_data(data, f"sheet: {path.name}")
    return data


def load_sheet(source: str | Path | dict[str, Any]) -> tuple[Sheet, Path | None]:
    """Read a sheet from a YAML/JSON file path or a mapping; returns it with the directory models are relative to.

    Raises:
        ParamcalcError: the file cannot be read, is not YAML, or does not follow the sheet format.
    """
    base: Path | None = None
    if not isinstance(source, (str, Path)):
        data: Any = source
        check_data(data, "sheet")
    else:
        path = Path(source)
        data = _read_sheet_data(path)
        base = path.parent
        if data is None:
            raise ParamcalcError(f"sheet: {path.name}: the file is empty (a sheet is a mapping with a 'problems' list)")
    if not isinstance(data, dict):
        raise ParamcalcError("sheet: must be a mapping with a 'problems' list")
    problems = data.get("problems")
    if isinstance(problems, list) and len(problems) > MAX_SHEET_PROBLEMS:
        raise ParamcalcError(
            f"sheet: more than {MAX_SHEET_PROBLEMS:,} problems (paramcalc's bound on a sheet; split it). "
            f"Received: {len(problems):,} problems"
        )
    if any(not isinstance(key, str) for key in data):
        raise ParamcalcError("sheet: keys must be names such as problems")
    try:
        return Sheet.model_validate(data), base
    except ValidationError as exc:
        raise ParamcalcError(_problem_message(data, exc)) from None


def _problem_message(data: Any, exc: ValidationError) -> str:
    """``sheet: problem 3: unknown key 'hint'``: the place, problems numbered from 1, then the problem."""
    error = validation.first_error(exc)
    loc = tuple(error["loc"])
    if error["type"] in ("missing", "extra_forbidden"):  # the key is named in the message
        loc = loc[:-1]
    path: list[Any] = validation.data_path(data, loc)
    if len(path) >= 2 and path[0] == "problems" and isinstance(path[1], int):
        path[:2] = [f"problem {path[1] + 1}"]
    where = ".".join(str(p) for p in path)
    full = tuple(error["loc"])
    level = Sheet if len(full) == 1 else Problem if len(full) == 3 else Answers
    message = validation.message(error, keys=validation.keys_of(level))
    if error["type"] == "extra_forbidden" and level is Problem and full[-1] in validation.keys_of(Answers):
        message += " (answers go under 'answers:')"
    return f"sheet: {where}: {message}" if where else f"sheet: {message}"


# -- Checking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemResult:
    """One problem of a sheet, checked (or the error that kept it from being checked)."""

    id: str
    question: str | None
    target: str
    result: CheckResult | None = None
    error: str | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None and self.result.ok

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "question": self.question, "target": self.target, "ok": self.ok}
        if self.note:
            out["note"] = self.note
        if self.error is not None:
            out["error"] = self.error
        if self.result is not None:
            res = self.result
            out["convention"] = res.convention
            out["notes"] = list(res.notes)
            out["answers"] = [a.as_dict(derivation=not a.correct) for a in res.answers]
        return out


@dataclass(frozen=True)
class SheetReport:
    """Every problem of a sheet, checked: rows of answers and a summary ``17/20 correct``."""

    title: str | None
    problems: tuple[ProblemResult, ...]

    @property
    def answers(self) -> list[tuple[ProblemResult, AnswerCheck]]:
        return [(p, a) for p in self.problems if p.result is not None for a in p.result.answers]

    @property
    def correct(self) -> int:
        return sum(a.correct for _, a in self.answers)

    @property
    def total(self) -> int:
        return len(self.answers)

    @property
    def errors(self) -> int:
        return sum(p.error is not None for p in self.problems)

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.correct == self.total

    @property
    def exit_status(self) -> int:
        """0 when every answer is right, 1 when one is wrong, 2 when a problem could not be checked."""
        if self.errors:
            return EXIT_BAD_INPUT
        return EXIT_OK if self.correct == self.total else EXIT_WRONG

    @property
    def summary(self) -> str:
        """``17/20 correct`` (answers), with the problems that could not be checked."""
        text = f"{self.correct}/{self.total} correct"
        if self.errors:
            text += f", {self.errors} problem{'s' if self.errors != 1 else ''} with errors"
        return text

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able report."""
        return {
            "title": self.title, "correct": self.correct, "total": self.total, "errors": self.errors,
            "ok": self.ok, "summary": self.summary, "problems": [p.as_dict() for p in self.problems],
        }

    def __rich__(self) -> Any:
        """What ``paramcalc check-sheet`` prints (:func:`paramcalc.render.check.render_sheet`)."""
        return forms.draw(self, "rich", renderer=RENDERER)


@lru_cache(maxsize=4096)
def _check_cached(target: Any, answers: Any, input_shape: Any, convention: str | None) -> CheckResult:
    return check(target, input_shape=input_shape, convention=convention, **dict(answers))


def _target_name(problem: Problem) -> str:
    if problem.layer is not None:
        return problem.layer if isinstance(problem.layer, str) else str(problem.layer.get("type", "layer"))
    if isinstance(problem.model, str):
        return problem.model
    return str((problem.model or {}).get("name", "model"))


def check_problem(problem: Problem, *, index: int = 1, base: Path | None = None, convention: str | None = None) -> ProblemResult:
    """Check one problem; an invalid layer, model or answer becomes the result's ``error``."""
    pid = str(problem.id) if problem.id is not None else str(index)
    target_name = _target_name(problem)
    conv = problem.convention or convention
    answers = tuple((k, v) for k, v in problem.answers.model_dump().items() if v is not None)
    answers = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in answers)
    try:
        shape = parse_input_shape(problem.input_shape)
        if problem.layer is not None and isinstance(problem.layer, str):
            result = _check_cached(problem.layer, answers, shape, conv)
        elif problem.layer is not None:
            result = check(problem.layer, input_shape=shape, convention=conv, **dict(answers))
        else:
            model: Any = problem.model
            if isinstance(model, str):
                path = Path(model)
                if base is not None and not path.is_absolute():
                    path = base / path
                result = _check_cached(path, answers, shape, conv)
            else:
                result = check(model, input_shape=shape, convention=conv, **dict(answers))
    except (ParamcalcError, RecursionError) as exc:
        message = "input nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        return ProblemResult(pid, problem.question, target_name, error=message, note=problem.note)
    return ProblemResult(pid, problem.question, target_name, result=result, note=problem.note)


def check_sheet(source: str | Path | dict[str, Any] | Sheet, *, convention: str | None = None) -> SheetReport:
    """Check every problem of a sheet.

    Args:
        source: a sheet file (YAML or JSON), a mapping in the sheet format, or a :class:`Sheet`.
        convention: judge every problem under this one convention ("pytorch", "keras" or "textbook"),
            in place of the sheet's default and each problem's own.

    Returns:
        A :class:`SheetReport`; ``report.summary`` reads ``17/20 correct``.

    Raises:
        ParamcalcError: the sheet itself cannot be read or does not follow the format, or its problems
            ask for more than ``MAX_SHEET_WORK`` layer evaluations in all (:func:`sheet_work`). A bad
            problem does not raise: it is reported as that problem's error.
    """
    if isinstance(source, Sheet):
        sheet, base = source, None
    else:
        sheet, base = load_sheet(source)
    work = 0
    for i, problem in enumerate(sheet.problems, 1):  # the whole sheet's work is counted before any is done
        work += _problem_work(problem, base)
        if work > MAX_SHEET_WORK:
            pid = f" ({problem.id})" if problem.id is not None else ""
            raise ParamcalcError(
                f"sheet: more than {MAX_SHEET_WORK:,} layers to evaluate (paramcalc's bound on a sheet: a layer "
                f"problem counts 1, a model its layers once repeats are expanded; split it). "
                f"Reached at problem {i}{pid}: {work:,} layers"
            )
    if convention is not None:
        if convention not in ("pytorch", "keras", "textbook"):
            raise ParamcalcError(f"convention must be pytorch, keras or textbook. Received: {convention!r}")
        sheet = sheet.model_copy(update={"convention": convention, "problems": [
            p.model_copy(update={"convention": convention}) for p in sheet.problems]})
    results = tuple(
        check_problem(p, index=i, base=base, convention=sheet.convention) for i, p in enumerate(sheet.problems, 1)
    )
    return SheetReport(sheet.title, results)


def sheet_work(source: str | Path | dict[str, Any] | Sheet) -> int:
    """The layer evaluations a sheet asks for, as counted against ``MAX_SHEET_WORK``.

    A problem naming a layer costs 1 (a stack's count comes by formula, whatever its ``num_layers``); a
    problem naming a model costs its layers once every ``repeat`` is expanded (they are evaluated one
    by one). A problem that cannot be read costs 1 (checking it reports the error).
    """
    if isinstance(source, Sheet):
        sheet, base = source, None
    else:
        sheet, base = load_sheet(source)
    return sum(_problem_work(p, base) for p in sheet.problems)


def _problem_work(problem: Problem, base: Path | None) -> int:
    """What a problem costs of MAX_SHEET_WORK: 1 for a layer, a model's layers once repeats are expanded
    (1 for a model that cannot be read: checking it reports the error)."""
    if problem.model is None:
        return 1
    model: Any = problem.model
    if isinstance(model, str):
        path = Path(model)
        model = base / path if base is not None and not path.is_absolute() else path
    from paramcalc.checking.model import load_model_target
    from paramcalc.models.nodes import count_layers

    try:
        return max(1, count_layers(load_model_target(model).layers))
    except (ParamcalcError, RecursionError, AttributeError, TypeError):
        return 1


__all__ = [
    "Answers", "Problem", "ProblemResult", "Sheet", "SheetReport", "check_problem", "check_sheet", "load_sheet",
    "sheet_work",
]
