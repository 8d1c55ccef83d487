"""Checking answers: is a parameter count or an output shape right, and if not, which mistake gives it?

``check(layer, params=..., shape=..., input_shape=...)`` compares each given answer with the exact
value under one convention (the one asked, else the layer's own), shows the working, and when an
answer is wrong searches the catalogue of common mistakes (:mod:`paramcalc.checking.mistakes`: another
convention's count is one of them) for the ones that reproduce it exactly, then pairs of them. Problem sheets check many at once (:mod:`paramcalc.checking.sheet`).

- :mod:`~paramcalc.checking.answers`: reading counts and shapes as exams write them; layouts;
- :mod:`~paramcalc.checking.results`: :class:`AnswerCheck` and :class:`CheckResult`;
- :mod:`~paramcalc.checking.layer` and :mod:`~paramcalc.checking.model`: checking a layer, a model;
- :mod:`~paramcalc.checking.mistakes`: the catalogue (:mod:`~paramcalc.checking.situation`,
  :mod:`~paramcalc.checking.param_mistakes`, :mod:`~paramcalc.checking.shape_mistakes`).

Data only: :mod:`paramcalc.render.check` draws the results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paramcalc.checking.answers import (  # noqa: F401 - the checking API, importable from here
    Layouts,
    format_shape,
    layouts_for,
    parse_answer_shape,
    parse_count,
    parse_input_shape,
)
from paramcalc.checking.layer import check_layer, load_layer, natural_convention  # noqa: F401
from paramcalc.checking.mistakes import CATALOGUE, Mistake
from paramcalc.checking.model import check_model, load_model_target  # noqa: F401
from paramcalc.checking.results import AnswerCheck, CheckResult  # noqa: F401
from paramcalc.checking.situation import AnswerShape
from paramcalc.specs import LayerSpec

MODEL_SUFFIXES = (".yaml", ".yml", ".json", ".keras", ".safetensors", ".gguf", ".txt")


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
        convention: ``"pytorch"``, ``"keras"`` or ``"textbook"``: every answer is judged under this one
            convention. When None, the layer's own: a Keras layer under Keras, a PyTorch layer under PyTorch.
            An answer that another convention gives is wrong, and the diagnosis says whose count it is.
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
