"""Input and output that is not an ordinary file or terminal: FIFOs, devices and directories given
as files, closed and full standard streams, keys given twice, boolean answers, hostile environment
values. Each run ends with a result or one ``error:`` line and the documented exit status; nothing
hangs (every subprocess has a 60 s budget, each library call reads no more than a stat)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import paramcalc
from paramcalc.checking.sheet import check_sheet
from paramcalc.errors import ModelError, ParamcalcError

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_BACKEND": "torch", "NO_COLOR": "1", "COLUMNS": "80"}
ENV.pop("PARAMCALC_DEBUG", None)
FIFO_OK = hasattr(os, "mkfifo")


def cli(*args: str, env: dict[str, str] | None = None, **kwargs: object) -> subprocess.CompletedProcess:
    """Run paramcalc in a subprocess (60 s budget), bytes in and out."""
    return subprocess.run([sys.executable, "-m", "paramcalc", *args], env={**ENV, **(env or {})},
                          capture_output="stdout" not in kwargs and "stderr" not in kwargs,
                          timeout=60, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not FIFO_OK:
        pytest.skip("no FIFOs here")
    path = tmp_path / "f.yaml"
    os.mkfifo(path)
    return path


def test_the_library_refuses_a_fifo(fifo: Path) -> None:
    for call in (lambda: paramcalc.load_model(fifo), lambda: paramcalc.check(str(fifo), params=10),
                 lambda: paramcalc.model_memory(str(fifo))):
        with pytest.raises(ModelError, match="regular files only"):
            call()
    with pytest.raises(ParamcalcError, match="regular files only"):
        check_sheet(fifo)


@pytest.mark.parametrize("argv", [("summary", "{}"), ("summary", "{}", "--from-torch-print"),
                                  ("memory", "{}"), ("check", "{}", "--params", "10"), ("check-sheet", "{}")])
def test_commands_refuse_a_fifo_a_device_and_a_directory(argv: tuple[str, ...], fifo: Path) -> None:
    for path in (fifo, Path("/dev/zero"), fifo.parent):
        if not path.exists():
            continue
        result = cli(*(a.format(path) for a in argv))
        assert result.returncode == 2 and result.stdout == b""
        assert result.stderr.startswith(b"error: ") and result.stderr.count(b"\n") == 1


def test_closed_and_full_standard_streams() -> None:
    closed = cli("layers", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1))
    assert closed.returncode == 2 and closed.stderr.startswith(b"error: ") and closed.stderr.count(b"\n") == 1
    if os.path.exists("/dev/full"):
        with open("/dev/full", "wb") as full:
            for argv in (("layers",), ("layer", "Linear(2, 3)"), ("--help",), ("check", "Linear(2, 3)", "--params", "5")):
                result = cli(*argv, stdout=full, stderr=subprocess.PIPE)
                assert result.returncode == 2 and result.stderr.startswith(b"error: "), argv
                assert result.stderr.count(b"\n") == 1, argv
    no_stdin = cli("summary", "-", stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(0))
    assert no_stdin.returncode == 2 and no_stdin.stdout == b"" and no_stdin.stderr.count(b"\n") == 1
    no_stderr = cli("layer", "Linear(", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    preexec_fn=lambda: os.close(2))
    assert no_stderr.returncode == 2 and no_stderr.stdout == b""


@pytest.mark.parametrize("value", ["99999999999999999999", "-5", "0", "abc", "²", "", " 80", "1e9"])
@pytest.mark.parametrize("name", ["COLUMNS", "LINES"])
def test_hostile_terminal_sizes(name: str, value: str) -> None:
    for argv in (("--help",), ("layer", "Linear(2, 3)")):  # more commands: test_fuzz_streams
        result = cli(*argv, env={name: value})
        assert result.returncode == 0 and result.stderr == b"", argv
        if argv != ("--help",):  # the help's examples are one command a line, however long
            assert all(len(line) <= 80 for line in result.stdout.decode().splitlines()), argv


@pytest.mark.parametrize(("suffix", "text", "key", "line"), [
    (".yaml", "layers: ['Linear(2, 2)']\nname: a\nlayers: ['Linear(3, 3)']\n", "layers", 3),
    (".json", '{"layers": ["Linear(2, 2)"],\n "name": "a",\n "layers": []}', "layers", 3),
    (".yaml", "layers:\n  - {layer: 'Linear(2, 2)', name: a, name: b}\n", "name", 2),
])
def test_a_key_given_twice_is_refused(tmp_path: Path, suffix: str, text: str, key: str, line: int) -> None:
    path = tmp_path / f"m{suffix}"
    path.write_text(text)
    with pytest.raises(ModelError, match=f"'{key}'.*line {line}"):
        paramcalc.load_model(path)


def test_a_yaml_merge_key_may_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("base: &b {layer: 'Linear(2, 2)', name: a}\nlayers:\n  - {<<: *b, name: c}\n")
    with pytest.raises(ModelError) as info:  # 'base' is an unknown key, not a duplicate
        paramcalc.load_model(path)
    assert "twice" not in str(info.value)


def test_a_sheet_with_a_key_twice_or_a_boolean_answer(tmp_path: Path) -> None:
    twice = tmp_path / "twice.yaml"
    twice.write_text("problems:\n  - {layer: 'Linear(2, 2)', answers: {params: 6, params: 7}}\n")
    with pytest.raises(ParamcalcError, match="'params'.*line 2"):
        check_sheet(twice)
    for answers in ("{params: true}", "{shape: [true, 2]}", "{trainable: false}"):
        with pytest.raises(ParamcalcError, match="not true or false"):
            check_sheet({"problems": [{"layer": "Linear(2, 2)", "answers": __import__("yaml").safe_load(answers)}]})


def test_preset_export_to_standard_output(tmp_path: Path) -> None:
    result = cli("preset", "lenet5", "--export", "-o", "-", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == paramcalc.models.presets.preset_text("lenet5").encode()
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("argv", [("layers",), ("--help",), ("--version",), ("preset", "lenet5", "--export"),
                                  ("layer", "Linear(2, 3)")])
def test_a_reader_that_went_away(argv: tuple[str, ...]) -> None:
    """`paramcalc layers | true`: the output cannot be written, so status 2 (Click alone would give 1, the
    status of a wrong answer), and no message (the reader left on purpose)."""
    read, write = os.pipe()
    os.close(read)
    try:
        result = cli(*argv, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert result.returncode == 2 and result.stderr == b""


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "cp1252"])
def test_an_output_encoding_that_cannot_show_the_symbols(encoding: str, tmp_path: Path) -> None:
    """Output and errors in an encoding without ·, × or é: written (escaped where need be), never a codec error."""
    model = tmp_path / "m.yaml"
    model.write_text('name: "café ×"\nlayers: ["Linear(2, 3)"]\n', encoding="utf-8")
    for argv in (("layer", "Linear(2, 3)"), ("summary", str(model)), ("layers",)):
        result = cli(*argv, env={"PYTHONIOENCODING": encoding})
        assert result.returncode == 0 and result.stderr == b"" and result.stdout, (argv, result.stderr)
    bad = cli("layer", "Linéar×(", env={"PYTHONIOENCODING": encoding})
    assert bad.returncode == 2 and bad.stdout == b"" and bad.stderr.startswith(b"error: ") and bad.stderr.count(b"\n") == 1


class _Stream:
    """A stand-in for sys.stderr that fails the way a real one can."""

    def __init__(self, fail: BaseException | None = None, encoding: str = "utf-8") -> None:
        self.fail, self.encoding, self.written = fail, encoding, []

    def write(self, text: str) -> int:
        text.encode(self.encoding)  # a UnicodeEncodeError, as a stream in this encoding raises
        if self.fail is not None:
            raise self.fail
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        if self.fail is not None:
            raise self.fail


@pytest.mark.parametrize("stream", [None, _Stream(OSError(28, "No space left on device")), _Stream(BrokenPipeError()),
                                    _Stream(ValueError("I/O operation on closed file"))])
def test_print_error_never_raises(stream: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from paramcalc.cli.output import print_error

    monkeypatch.setattr(sys, "stderr", stream)
    print_error("café × \x1b[31m")


def test_print_error_escapes_what_stderr_cannot_encode(monkeypatch: pytest.MonkeyPatch) -> None:
    from paramcalc.cli.output import print_error

    stream = _Stream(encoding="ascii")
    monkeypatch.setattr(sys, "stderr", stream)
    print_error("caf\u00e9 \u00d7 \x1b[31m")
    assert stream.written == ["error: caf\\xe9 \\xd7 \\x1b[31m\n"]
