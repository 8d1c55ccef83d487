"""Reading what paramcalc is given: model files, problem sheets and print(model) text.

One rule for every reader: only a regular file is read (or standard input, when the command line
says ``-``), at most ``MAX_FILE_BYTES`` of it. A FIFO, a device or a directory is refused before
it is opened for reading, since reading one may block forever or never end. YAML and JSON text is
parsed safely, and a mapping that gives a key twice is refused, naming the key and its line
(a parser would silently keep the last value).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from paramcalc.limits import MAX_FILE_BYTES

#: The rule broken by a path that is not a regular file, for messages.
REGULAR_ONLY = "paramcalc reads regular files only"

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_irregular(mode: int, path: str) -> None:
    """Raise an OSError when ``mode`` is not a regular file's (a directory keeps its own error)."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", path)
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise OSError(errno.EINVAL, f"{kind}: {REGULAR_ONLY}", path)


def read_regular_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file at ``path``: at most ``limit + 1`` of them (more means too large).

    The path is checked with ``os.stat`` before it is opened, and the open file with ``os.fstat``
    (the path may have been replaced in between); the open does not block on a FIFO.

    Raises:
        FileNotFoundError: no such file.
        IsADirectoryError: a directory.
        OSError: a FIFO, device or socket (the message says the rule), or the file cannot be read.
    """
    name = os.fspath(path)
    if "\x00" in str(name):  # no file has such a name (os.stat would raise ValueError)
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(name))
    _refuse_irregular(os.stat(name).st_mode, str(name))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(name, flags)
    try:
        _refuse_irregular(os.fstat(fd).st_mode, str(name))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_standard_input(limit: int = MAX_FILE_BYTES) -> bytes:
    """At most ``limit + 1`` bytes of standard input.

    Raises:
        OSError: standard input is closed or cannot be read.
    """
    stream: BinaryIO | None = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise OSError(errno.EBADF, "standard input is closed")
    return stream.read(limit + 1)


# -- YAML and JSON with every key given once ---------------------------------------------------


@lru_cache(maxsize=1)
def yaml_loader() -> Any:
    """PyYAML's safe loader (the C one when built) refusing a mapping that gives a key twice.

    A duplicate raises :class:`DuplicateKeyError` with the line of the key's second occurrence.
    Keys merged in with ``<<`` may be overridden, as YAML allows.
    """
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        duplicate = key in seen
                        seen.add(key)
                    except TypeError:  # an unhashable key: the constructor refuses it itself
                        continue
                    if duplicate:
                        raise DuplicateKeyError(key, key_node.start_mark.line + 1)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def shown_key(key: Any) -> str:
    """A key for a message: quoted, control characters escaped, long ones cut."""
    text = repr(key)
    return text if len(text) <= 60 else text[:57] + "..."


class DuplicateKeyError(ValueError):
    """A mapping gives a key twice; ``line`` is where its second occurrence starts (1-based)."""

    def __init__(self, key: Any, line: int | None) -> None:
        self.key, self.line = key, line
        at = f" (line {line})" if line is not None else ""
        super().__init__(f"the key {shown_key(key)} is given twice in one mapping{at}")


def _duplicate_line(text: str, key: str) -> int | None:
    """The line of the first key given twice in one object of valid JSON ``text`` (``key`` expected)."""
    import re

    token = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]')
    objects: list[set[str] | None] = []  # the keys of each open object; None for an open list
    previous = ""
    for match in token.finditer(text):
        value = match.group(0)
        if value in ("{", "["):
            objects.append(set() if value == "{" else None)
        elif value in ("}", "]"):
            if objects:
                objects.pop()
        elif value.startswith('"') and previous in ("{", ",") and objects and objects[-1] is not None:
            name = json.loads(value)
            if name == key and name in objects[-1]:
                return text.count("\n", 0, match.start()) + 1
            objects[-1].add(name)
        previous = value
    return None


def load_json(text: str) -> Any:
    """JSON text as data, refusing an object that gives a key twice.

    Raises:
        DuplicateKeyError: a key given twice (with its line).
        ValueError: not JSON.
        RecursionError: nested too deeply.
    """

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in pairs:
            if key in found:
                raise DuplicateKeyError(key, None)
            found[key] = value
        return found

    try:
        return json.loads(text, object_pairs_hook=unique)
    except DuplicateKeyError as exc:
        raise DuplicateKeyError(exc.key, _duplicate_line(text, exc.key)) from None
