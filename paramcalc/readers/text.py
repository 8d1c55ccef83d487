"""Text the readers take: a JSON document or ``print(model)`` text, bounded, from a file or standard input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paramcalc.errors import ModelError
from paramcalc.models.files import DuplicateKeyError, load_json, read_regular_file, read_standard_input

#: Largest JSON or text file read, in bytes (a large Keras model's JSON is a few megabytes).
MAX_TEXT_BYTES = 64 * 1024 * 1024


def read_text(path: str | Path, limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a file (``-``: standard input), at most ``limit`` bytes.

    Raises:
        ModelError: missing, not a regular file, too large, binary or not UTF-8.
    """
    name = str(path)
    try:
        raw = read_standard_input(limit) if name == "-" else read_regular_file(path, limit)
    except FileNotFoundError:
        raise ModelError(f"file not found: {name}") from None
    except IsADirectoryError:
        raise ModelError(f"{name} is a directory, not a file") from None
    except OSError as exc:
        raise ModelError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    shown = "standard input" if name == "-" else Path(name).name
    if len(raw) > limit:
        raise ModelError(f"{shown}: larger than the {limit:,}-byte limit")
    if b"\x00" in raw:
        raise ModelError(f"{shown}: binary data, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelError(f"{shown}: not UTF-8 text (byte {exc.start})") from None


def parse_json(text: str, where: str) -> Any:
    """JSON text as data (a key given twice is refused).

    Raises:
        ModelError: not JSON, a duplicate key, or nested too deeply.
    """
    try:
        return load_json(text)
    except DuplicateKeyError as exc:
        raise ModelError(f"{where}: {exc}") from None
    except RecursionError:
        raise ModelError(f"{where}: nested too deeply") from None
    except ValueError as exc:
        raise ModelError(f"{where}: not JSON ({str(exc).splitlines()[0][:80]})") from None


def read_json_file(path: str | Path) -> Any:
    """A JSON file's data (see :func:`read_text` and :func:`parse_json`)."""
    return parse_json(read_text(path), "standard input" if str(path) == "-" else Path(path).name)
