"""Readers of the files people already have, each into what paramcalc summarises:

- :mod:`~paramcalc.readers.safetensors`: a ``.safetensors`` checkpoint or a sharded one's index (headers only);
- :mod:`~paramcalc.readers.gguf`: a GGUF file's header and tensor table (quantised types included);
- :mod:`~paramcalc.readers.hf`: a Hugging Face ``config.json``, built as transformers builds it;
- :mod:`~paramcalc.readers.keras`: Keras JSON and ``.keras`` archives;
- :mod:`~paramcalc.readers.torchprint`: the text ``print(model)`` shows, with what it cannot show said
  (:mod:`~paramcalc.readers.torchmodules`: the torchvision and transformers modules it knows);
- :mod:`~paramcalc.readers.detect`: which of these (or a model file, Keras JSON, a Hugging Face
  ``config.json``, ``print(model)`` text) a file is, by its content.

A checkpoint becomes a :class:`~paramcalc.models.summary.Summary` of its tensors; a configuration
becomes a model (:class:`~paramcalc.models.format.Model`), so shapes, compute and memory follow.
Readers import the models layer and nothing above it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paramcalc.errors import ModelError
from paramcalc.readers.detect import FORMATS, detect_format

__all__ = ["FORMATS", "detect_format", "load", "summarize"]


def load(source: Any, *, format: str | None = None, architecture: str | None = None) -> Any:
    """What a file holds, read by its format: a :class:`~paramcalc.models.format.Model` for a model
    file, Keras JSON or a Hugging Face config, a :class:`~paramcalc.models.summary.Summary` for a
    checkpoint or ``print(model)`` text. Anything but a path goes to :func:`paramcalc.load_model`.

    Args:
        source: a path (``-`` for standard input), a Model, or a model-file dict.
        format: one of :data:`FORMATS` to skip detection (``"auto"`` or None detects).
        architecture: a Hugging Face config's class to build (default: its ``architectures[0]``).

    Raises:
        ModelError: unreadable, or not valid in its format (one line naming the rule).
    """
    from paramcalc.models.format import load_model

    if not isinstance(source, (str, Path)):
        return load_model(source)
    kind = detect_format(source) if format in (None, "auto") else format
    if kind not in FORMATS:
        raise ModelError(f"format must be one of {', '.join(FORMATS)}. Received: {format!r}")
    if architecture is not None and kind != "hf-config":
        raise ModelError(f"an architecture is chosen for a Hugging Face config.json only; this file is {kind}")
    if kind == "model":
        return load_model(source)
    if kind == "safetensors":
        from paramcalc.readers.safetensors import summarize_safetensors

        return summarize_safetensors(source)
    if kind == "safetensors-index":
        from paramcalc.readers.safetensors import summarize_index

        return summarize_index(source)
    if kind == "gguf":
        from paramcalc.readers.gguf import summarize_gguf

        return summarize_gguf(source)
    if kind == "torch-print":
        from paramcalc.readers.torchprint import summarize_torch_print
        from paramcalc.readers.text import read_text

        return summarize_torch_print(read_text(source))
    if kind == "hf-config":
        from paramcalc.readers.hf import load_hf_config

        return load_hf_config(source, architecture=architecture)
    from paramcalc.readers.keras import load_keras

    return load_keras(source)


def summarize(
    model: Any,
    *,
    input_shape: Any = None,
    convention: str | None = None,
    format: str | None = None,
    architecture: str | None = None,
    receptive_field: bool = False,
) -> Any:
    """Summarise a model, or any file paramcalc reads: rows, output shapes, totals, and for a file
    of another format what it says (bytes by dtype, whether the total is exact or a bound).

    Args:
        model: a :class:`~paramcalc.models.format.Model`, a model-file dict, or the path of a model
            file, Keras JSON or ``.keras`` archive, Hugging Face ``config.json``, ``.safetensors`` file
            or index, ``.gguf`` file, or ``print(model)`` text (recognised by its content).
        input_shape: overrides the input shape (models and configurations only).
        convention: "pytorch", "keras" or "textbook" (default: the model's own framework).
        format: force the format (see :data:`FORMATS`).
        architecture: a Hugging Face config's class (``"LlamaForCausalLM"``, ``"LlamaModel"``).
        receptive_field: also work out each row's receptive field and jump (``summary.field(path)``;
            :func:`paramcalc.models.fields.with_fields`): a model file, Keras model or preset only.

    Returns:
        A :class:`~paramcalc.models.summary.Summary` (``rich.print`` shows the CLI's table).

    Raises:
        ModelError: the file cannot be read, or does not fit together.
    """
    summary = _summarize(model, input_shape=input_shape, convention=convention, format=format,
                         architecture=architecture)
    if not receptive_field:
        return summary
    from paramcalc.models.fields import model_branch, with_fields
    from paramcalc.models.summary import Summary

    loaded = load(model, format=format, architecture=architecture) if summary.rows else None
    return with_fields(summary, branch=None if isinstance(loaded, Summary) else model_branch(loaded))


def _summarize(model: Any, *, input_shape: Any, convention: str | None, format: str | None,
               architecture: str | None) -> Any:
    from paramcalc.models.summary import Summary

    if isinstance(model, (str, Path)):
        kind = detect_format(model) if format in (None, "auto") else format
        if kind == "hf-config":
            from paramcalc.readers.hf import summarize_hf_config

            return summarize_hf_config(model, architecture=architecture, input_shape=input_shape,
                                       convention=convention)
        if kind == "keras":
            from paramcalc.readers.keras import summarize_keras

            return summarize_keras(model, input_shape=input_shape, convention=convention)
        format = kind
    loaded = load(model, format=format, architecture=architecture)
    if isinstance(loaded, Summary):
        if input_shape is not None or convention not in (None, loaded.convention):
            raise ModelError(f"{loaded.name}: counted as stored ({loaded.convention} convention); "
                             "no input shape or other convention applies")
        return loaded
    from paramcalc.models.evaluate import evaluate

    chosen = convention or ("keras" if getattr(loaded, "framework", None) == "keras" else "pytorch")
    return evaluate(loaded, input_shape=input_shape, convention=chosen)


def summarize_data(data: Any, format: str, *, input_shape: Any = None, convention: str | None = None,
                   architecture: str | None = None) -> Any:
    """Like :func:`summarize`, for JSON already read: a Hugging Face config (``"hf-config"``) or
    Keras JSON (``"keras"``) as a dict.

    Raises:
        ModelError: not valid in that format.
    """
    if format == "hf-config":
        from paramcalc.readers.hf import summarize_hf_config

        return summarize_hf_config(data, architecture=architecture, input_shape=input_shape, convention=convention)
    if format == "keras":
        from paramcalc.readers.keras import summarize_keras

        return summarize_keras(data, input_shape=input_shape, convention=convention)
    raise ModelError(f"summarize_data reads hf-config or keras data. Received: format={format!r}")


def load_model_or_preset(target: Any) -> Any:
    """A preset by name, or what :func:`load` reads from a file (a model, or a checkpoint's summary)."""
    from paramcalc.models.presets import load_model_or_preset as model_or_preset

    if isinstance(target, (str, Path)) and detect_format(target) != "model":
        return load(target)
    return model_or_preset(target)
