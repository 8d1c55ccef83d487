"""Bounded reads of the start of a binary file: a header is read, the data after it never is.

Every read goes through :func:`paramcalc.models.files.read_regular_file` (regular files only, never
blocking), so a 100 GB checkpoint costs the bytes of its header and one ``stat``.
"""

from __future__ import annotations

import os
from pathlib import Path

from paramcalc.errors import ModelError
from paramcalc.models.files import read_regular_file


def file_size(path: str | Path) -> int:
    """The size of the file at ``path`` in bytes (the caller has read from it already)."""
    return os.stat(os.fspath(path)).st_size


def read_head(path: str | Path, size: int) -> bytes:
    """The first ``size`` bytes of the file (fewer when the file is shorter).

    Raises:
        ModelError: the file cannot be read (missing, a directory, a FIFO, no permission).
    """
    try:
        return read_regular_file(path, limit=max(size - 1, 0))[:size]
    except FileNotFoundError:
        raise ModelError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise ModelError(f"{path} is a directory, not a file") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc})") from None


class Cursor:
    """Integer fields (little-endian unless told) read one after another from bytes, with one error for running out.

    ``grow`` is called with the number of bytes needed when the data read so far ends too early; it
    returns longer data (or the same, when the file ends there).
    """

    def __init__(self, data: bytes, what: str, grow: object = None, byteorder: str = "little") -> None:
        self.data, self.pos, self.what, self._grow, self.byteorder = data, 0, what, grow, byteorder

    def take(self, n: int) -> bytes:
        """The next ``n`` bytes.

        Raises:
            ModelError: the file ends first (a truncated or lying header).
        """
        end = self.pos + n
        if end > len(self.data) and callable(self._grow):
            self.data = self._grow(end)
        if end > len(self.data):
            raise ModelError(f"{self.what}: the header ends early (byte {self.pos:,} needs {n:,} more bytes); "
                             "the file is truncated or not this format")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def uint(self, size: int) -> int:
        """An unsigned integer of ``size`` bytes."""
        return int.from_bytes(self.take(size), self.byteorder)  # type: ignore[arg-type]

    def int(self, size: int) -> int:
        """A signed integer of ``size`` bytes."""
        return int.from_bytes(self.take(size), self.byteorder, signed=True)  # type: ignore[arg-type]

    def skip(self, n: int) -> None:
        """Step over ``n`` bytes (they must exist)."""
        self.take(n)
