"""``cliutil.PlainCoercion`` gives what Typer's own coercion gives, without building pydantic adapters.

Typer coerces each command-line value through a pydantic TypeAdapter; the commands answer the
plain cases (a left-out value, a string, an enum's choice, an integer in range, a readable path)
directly and leave everything else to Typer. Here both run on the same values of every parameter
of every command, and must agree on the value or on the error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from typer._click import Context
from typer._coercion import build_runtime_param  # Typer's own coercion, to compare with
from typer.main import get_command

from paramcalc.cli import app
from paramcalc.cliutil import PlainCoercion

ROOT = get_command(app)
_ROOT_CTX = Context(ROOT, info_name="paramcalc")
#: The root group, its commands and a few generated layer commands (enums, ints, tuples, flags).
COMMANDS = [ROOT, *(ROOT.get_command(_ROOT_CTX, name)
                    for name in [*ROOT.list_commands(_ROOT_CTX), "conv2d", "lstm", "keras-conv2d", "embedding", "gelu"])]
PARAMS = [(command, param) for command in COMMANDS for param in command.params if hasattr(param, "type_descriptor")]

READABLE = tempfile.NamedTemporaryFile(suffix=".yaml", delete=False).name  # noqa: SIM115 - removed below
VALUES = ["", " ", "0", "1", "2", "64", "65", "007", "-1", "+3", "1_000", " 5", "5 ", "3.0", "9" * 30, "x",
          "pytorch", "keras", "Keras", "TEXTBOOK", "fp16", "FP16", "adamw", "zeros", "Zeros", "reflect", "tanh",
          "none", "true", "False", "3,3", READABLE, str(Path(READABLE).parent), "/nonexistent/x.yaml", "a\x00b",
          "-", "~", "ü"]


def outcome(coercion: Any, value: Any, param: Any, command: Any) -> tuple[str, Any]:
    ctx = Context(command, info_name=command.name)
    try:
        return "value", coercion.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the error Typer reports, by type and text
        return type(exc).__name__, str(getattr(exc, "format_message", lambda: exc)())


@given(case=st.sampled_from(PARAMS), value=st.sampled_from(VALUES) | st.text(max_size=6) | st.none())
def test_plain_coercion_agrees_with_typer(case: tuple[Any, Any], value: str | None) -> None:
    command, param = case
    ours = outcome(PlainCoercion(param.type_descriptor), value, param, command)
    theirs = outcome(build_runtime_param(param.type_descriptor), value, param, command)
    assert ours == theirs
    assert type(ours[1]) is type(theirs[1])


def test_every_kind_of_parameter_is_covered() -> None:
    annotations = {param.type_descriptor.annotation for _, param in PARAMS}
    assert {str, int, bool, Path} <= annotations
    assert any(isinstance(a, type) and a.__name__ == "Convention" for a in annotations)


def test_plain_commands_build_no_pydantic_adapter() -> None:
    """``preset`` and ``check-sheet`` with plain arguments never load Typer's pydantic adapters."""
    root = str(Path(__file__).resolve().parents[1])
    sheet = Path(tempfile.mkdtemp()) / "sheet.yaml"
    sheet.write_text("problems:\n  - {layer: 'Linear(3, 4)', answers: {params: 16}}\n", encoding="utf-8")
    for argv in (["preset", "lenet5", "--depth", "2", "-c", "pytorch"], ["check-sheet", str(sheet)]):
        script = (
            "import sys\n"
            "from paramcalc import entry\n"
            f"sys.argv = ['paramcalc', *{argv!r}]\n"
            "try:\n    entry.main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print('typer._adapters' in sys.modules)\n"
        )
        env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.rstrip().splitlines()[-1] == "False", argv


def teardown_module() -> None:
    os.unlink(READABLE)
