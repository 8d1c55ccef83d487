"""Hostile standard streams and environments, generated: every command run as a child process with its
stdin, stdout and stderr drawn from closed, full (/dev/full), gone (a pipe whose reader has left),
a FIFO or ordinary pipes, and its environment from hostile terminal sizes, TERM, colour switches,
locales and output encodings that cannot show paramcalc's symbols.

Whatever is drawn, a run ends with the documented status (0; 1 only for a wrong answer in the
checking commands; 2 for bad input or output that cannot be written), at most one ``error:`` line
on stderr, no traceback and no partial result. Budget per run: 1 GiB of address space and 30 s of
processor time (tests/limited.py); about 25 runs in all, some 15 s.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from limited import run

FILES = Path(tempfile.mkdtemp(prefix="paramcalc-streams-"))
atexit.register(shutil.rmtree, FILES, ignore_errors=True)
MODEL = FILES / "m.yaml"
MODEL.write_text('name: "[bold red]x[/] :smiley: \\e[31m\\u202e\\a"\ninput_shape: [1, 4]\n'
                 "layers:\n  - {layer: 'Linear(4, 4)', repeat: 5}\n  - ReLU()\n")
SHEET = FILES / "s.yaml"
SHEET.write_text('title: "[/] \\e]0;x\\a"\nproblems:\n  - {id: "[link=x]a", layer: "Linear(2, 3)", answers: {params: 9}}\n'
                 '  - {id: "\\u202eb", layer: "Linear(", answers: {params: 9}}\n')
FIFO = FILES / "f.yaml"
if hasattr(os, "mkfifo"):
    os.mkfifo(FIFO)

#: Commands and the status each gives with ordinary streams ("-" reads the model on stdin when it is a pipe).
COMMANDS: list[tuple[tuple[str, ...], int]] = [
    (("layers",), 0),
    (("layer", "Linear(2, 3)"), 0),
    (("layer", "Transformer(8, 2, 3, 3, 16)"), 0),
    (("layer", "Linear("), 2),
    (("--help",), 0),
    (("layer",), 2),
    (("summary", str(MODEL)), 0),
    (("summary", str(MODEL), "--json"), 0),
    (("memory", str(MODEL)), 0),
    (("check", "Linear(2, 3)", "--params", "9"), 0),
    (("check", "Linear(2, 3)", "--params", "8"), 1),
    (("check-sheet", str(SHEET)), 1),
    (("summary", str(FIFO)), 2),
    (("check-sheet", str(FIFO)), 2),
    (("summary", str(FILES)), 2),
    (("summary", "/dev/zero"), 2),
    (("preset", "lenet5", "--export", "-o", "-"), 0),
    (("summary", "-"), -1),  # depends on stdin
]
CHECKING = {"check", "check-sheet"}
HOSTILE_SIZES = ["99999999999999999999", "-5", "0", "abc", "²", "", " 80", "1e9", "20", "100000"]
ENV = st.fixed_dictionaries({}, optional={
    "COLUMNS": st.sampled_from(HOSTILE_SIZES),
    "LINES": st.sampled_from(HOSTILE_SIZES),
    "TERM": st.sampled_from(["dumb", "xterm-256color", "", "\x1b[31m", "vt100"]),
    "NO_COLOR": st.sampled_from(["1", "", "0"]),
    "FORCE_COLOR": st.sampled_from(["1", "", "0", "truecolor"]),
    "PYTHONIOENCODING": st.sampled_from(["ascii", "latin-1", "cp1252", "ascii:strict", "utf-8:surrogateescape", "nonesuch"]),
    "LC_ALL": st.sampled_from(["C", "POSIX", "tr_TR.UTF-8", "xx_XX.bogus"]),
    "HOME": st.sampled_from(["/nonexistent", "", "/dev/null"]),
})


def _stream(kind: str, fd: int, opened: list[Any]) -> tuple[Any, Any]:
    """(what subprocess gets for the stream, what the child does first) for one kind of stream."""
    if kind == "pipe":
        return subprocess.PIPE, None
    if kind == "closed":
        return subprocess.DEVNULL, (lambda: os.close(fd))
    if kind == "full":
        handle = open("/dev/full", "wb")  # noqa: SIM115 - closed by the caller
        opened.append(handle)
        return handle, None
    if kind == "gone":  # a pipe whose reader has already left
        r, w = os.pipe()
        os.close(r)
        opened.append(w)
        return w, None
    raise AssertionError(kind)


# No shrinking: each example is a process start, and the failing example is reported as drawn.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(
    command=st.sampled_from(COMMANDS),
    stdin=st.sampled_from(["model", "empty", "closed"]),
    stdout=st.sampled_from(["pipe", "pipe", "closed", "full", "gone"]),
    stderr=st.sampled_from(["pipe", "pipe", "closed", "full"]),
    env=ENV,
)
def test_hostile_streams_and_environments(command: tuple[tuple[str, ...], int], stdin: str, stdout: str,
                                          stderr: str, env: dict[str, str]) -> None:
    argv, status = command
    if not hasattr(os, "mkfifo") and str(FIFO) in argv:
        return
    if "PYTHONIOENCODING" in env and env["PYTHONIOENCODING"] == "nonesuch":
        env = {**env, "PYTHONIOENCODING": None}  # type: ignore[dict-item]  # an unknown codec stops Python itself
    opened: list[Any] = []
    befores = []
    try:
        out, before_out = _stream(stdout, 1, opened)
        err, before_err = _stream(stderr, 2, opened)
        kwargs: dict[str, Any] = {"stdout": out, "stderr": err}
        if stdin == "model":
            kwargs["input"] = MODEL.read_bytes()
            kwargs.pop("stdin", None)
        elif stdin == "empty":
            kwargs["stdin"] = subprocess.DEVNULL
        else:
            kwargs["stdin"] = subprocess.DEVNULL
            befores.append(lambda: os.close(0))
        befores += [b for b in (before_out, before_err) if b is not None]

        def before() -> None:
            for step in befores:
                step()

        done = run(argv, env=env, before=before, seconds=30, **kwargs)
    finally:
        for handle in opened:
            handle.close() if hasattr(handle, "close") else os.close(handle)
    if status == -1:  # summary -: a model on stdin is summarised; no input, or none to read, is bad input
        status = 0 if stdin == "model" else 2
    writes = status in (0, 1)  # a result is printed (an error prints nothing on stdout)
    if writes and stdout in ("closed", "full", "gone"):
        status = 2
    assert done.returncode == status, (done.returncode, done.stderr)
    if stderr == "pipe":
        lines = done.stderr.decode("utf-8", "replace").splitlines()
        assert "Traceback" not in done.stderr.decode("utf-8", "replace")
        if status == 2 and stdout != "gone":  # a reader that went away needs no message
            assert len(lines) == 1 and lines[0].startswith("error: "), lines
        else:
            assert lines == [] or (stdout == "gone" and len(lines) <= 1), lines
    if stdout == "pipe":
        if status == 2:
            assert done.stdout == b""  # nothing that looks like a result
        else:
            assert done.stdout.strip()
    if status == 1:
        assert argv[0] in CHECKING
