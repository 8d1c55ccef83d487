"""Which kind of file paramcalc is given, by its content (never by its name alone)."""

from __future__ import annotations

import re
from pathlib import Path

from paramcalc.errors import ModelError
from paramcalc.readers.binary import read_head

#: The formats read, as ``--format`` names them ("auto" detects).
FORMATS = ("model", "keras", "hf-config", "safetensors", "safetensors-index", "gguf", "torch-print")

#: How much of a text file is looked at to tell JSON kinds apart.
_SNIFF_BYTES = 1 << 16
_TORCH_FIRST = re.compile(r"^\s*[A-Za-z_][\w.]*\((.*\)|\s*)$")
_TORCH_CHILD = re.compile(r"^\s*\([^()]*\):\s*\S")


def detect_format(path: str | Path) -> str:
    """One of :data:`FORMATS` for the file at ``path`` (``-``: standard input holds text).

    GGUF and zip archives (``.keras``) by their magic bytes; safetensors by its 8-byte header
    length followed by ``{``; JSON by its keys (``weight_map``: a safetensors index; ``class_name``
    and ``config``: Keras; ``model_type`` or ``architectures``: a Hugging Face config; otherwise a
    model file); text whose first line opens a module and whose next names a child: ``print(model)``.
    Anything else is read as a model file (YAML), whose reader names what is wrong.

    A file that cannot be read is a "model": the model-file reader says why.
    """
    if str(path) == "-":
        return "model"
    try:
        head = read_head(path, _SNIFF_BYTES)
    except ModelError:
        return "model"
    if head[:4] == b"GGUF":
        return "gguf"
    if head[:4] == b"PK\x03\x04":
        return "keras"
    if len(head) >= 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") > 1 and b"\x00" in head[:8]:
        return "safetensors"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    return detect_text(text)


def detect_text(text: str) -> str:
    """The kind of a text's start: a JSON kind, ``torch-print`` or ``model``."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        top = _top_keys(stripped)
        if "weight_map" in top:
            return "safetensors-index"
        if "class_name" in top and "config" in top:
            return "keras"
        if "layers" in top:
            return "model"
        if "model_type" in top or "architectures" in top:
            return "hf-config"
        return "model"
    lines = [line for line in stripped.splitlines() if line.strip()][:2]
    if len(lines) == 2 and _TORCH_FIRST.match(lines[0]) and (_TORCH_CHILD.match(lines[1]) or lines[1].strip() == ")"):
        return "torch-print"
    if len(lines) == 1 and _TORCH_FIRST.match(lines[0]) and "=" in lines[0]:  # torch prints keyword arguments
        return "torch-print"
    return "model"


def _top_keys(text: str) -> set[str]:
    """The keys of the outermost JSON object among the first characters (no full parse needed)."""
    keys = set()
    depth = 0
    token = re.compile(r'"(?:[^"\\]|\\.)*"\s*:?|[{}\[\]]')
    for m in token.finditer(text):
        value = m.group(0)
        if value in "{[":
            depth += 1
        elif value in "}]":
            depth -= 1
        elif depth == 1 and value.endswith(":"):
            keys.add(value[1:value.rindex('"')])
    return keys
