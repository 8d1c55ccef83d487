"""Run paramcalc in a child process under a memory cap and a wall-clock budget.

A hang or a blow-up then fails the test that caused it instead of the machine running the suite:
the child's address space is capped (``RLIMIT_AS``, so an allocation past it is a MemoryError in
the child) and its processor time (``RLIMIT_CPU``: work past it kills the child with SIGXCPU, however
busy the machine is); a child that waits without working (a hang) is killed after WALL_FACTOR times
its processor budget of wall-clock time. A budget is a guard, not a measurement: benchmarks/
measures speed.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The environment every child starts from: this tree on the path, plain 80-column output.
BASE_ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("PARAMCALC_DEBUG", "FORCE_COLOR", "PYTHONIOENCODING")},
    "PYTHONPATH": str(ROOT), "KERAS_BACKEND": "torch", "NO_COLOR": "1", "COLUMNS": "80", "LINES": "50",
}
#: Default caps: 1 GiB of address space, 60 s of processor time.
MEMORY = 1 << 30
SECONDS = 60
#: Wall-clock time a child may take, in multiples of its processor budget (the machine may be shared).
WALL_FACTOR = 4


class Budget(AssertionError):
    """A child ran past its budget: killed for its processor time, or still running at its wall-clock limit."""


def _limits(memory: int, seconds: float, then: Callable[[], None] | None) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = max(1, int(seconds))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        if then is not None:
            then()

    return apply


def run(argv: Sequence[str], *, memory: int = MEMORY, seconds: float = SECONDS, env: dict[str, str | None] | None = None,
        before: Callable[[], None] | None = None, python: Sequence[str] = ("-m", "paramcalc"),
        **kwargs: Any) -> subprocess.CompletedProcess:
    """``python -m paramcalc ARGV`` (or ``python PYTHON... ARGV``) under the caps (``seconds`` of processor
    time, ``memory`` bytes of address space); bytes in and out.

    ``env`` entries set to None are removed from the child's environment; ``before`` runs in the child
    before paramcalc starts (to close a descriptor, for instance). Output is captured unless
    ``stdout``/``stderr`` are given.

    Raises:
        Budget: the child used more than ``seconds`` of processor time, or ran for WALL_FACTOR times
            that (it is killed).
    """
    child_env = dict(BASE_ENV)
    for key, value in (env or {}).items():
        if value is None:
            child_env.pop(key, None)
        else:
            child_env[key] = value
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    if "input" not in kwargs:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
    try:
        done = subprocess.run([sys.executable, *python, *argv], env=child_env, timeout=seconds * WALL_FACTOR,
                              check=False, preexec_fn=_limits(memory, seconds, before), **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise Budget(f"{' '.join(argv)[:200]} still ran after {seconds * WALL_FACTOR} s (a hang?)") from exc
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise Budget(f"{' '.join(argv)[:200]} used more than {seconds} s of processor time (its budget)")
    return done
