"""Measure paramcalc's speed against the floor set by its own dependencies.

Run: ``python benchmarks/bench.py [--runs 15]``. Every command is started as a fresh process
several times and the median wall time is reported, with its ratio to the dependency-import floor
(``python -c "import typer, rich.console, rich.table; from pydantic import BaseModel"``: what the
command line is built on). Library throughput is measured in-process.
Nothing here is a test: the figures depend on the machine, so they are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
#: The floor: importing what the command line is built on (Typer, Rich's console and tables, pydantic models).
FLOOR_LABEL = "floor: import typer, rich.console, rich.table; from pydantic import BaseModel"
FLOOR = "import typer, rich.console, rich.table; from pydantic import BaseModel"


def paramcalc_cmd() -> list[str]:
    """The ``paramcalc`` console script (``paramcalc.cli:main``) next to this Python, else ``python -m paramcalc``."""
    exe = shutil.which("paramcalc", path=str(Path(PY).parent)) or shutil.which("paramcalc")
    return [exe] if exe else [PY, "-m", "paramcalc"]


def run_once(cmd: list[str], env: dict[str, str]) -> float | None:
    """One run's wall time, or None when the command fails."""
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.stderr.write(f"  ! {' '.join(cmd)[:70]} exited {done.returncode}: {done.stderr.decode()[:200]}\n")
        return None
    return elapsed


def median_times(cases: list[tuple[str, list[str]]], runs: int, env: dict[str, str]) -> dict[str, float | None]:
    """The median time of each command, the runs taken in rounds (each command once per round), so
    that a slower or faster spell of the machine weighs on every command alike."""
    times: dict[str, list[float] | None] = {label: [] for label, _ in cases}
    for _ in range(runs):
        for label, cmd in cases:
            if times[label] is not None:
                t = run_once(cmd, env)
                times[label] = None if t is None else [*times[label], t]  # type: ignore[misc]
    return {label: None if t is None else statistics.median(t) for label, t in times.items()}


def make_sheet(path: Path, problems: int) -> None:
    """A problem sheet with ``problems`` layer problems, a mix of right and wrong answers."""
    from paramcalc import parse_layer

    exprs = [
        ("Conv2d(3, 64, 3)", None),
        ("LSTM(100, 128, num_layers=2)", None),
        ("Linear(512, 10)", None),
        ("GRU(64, 64, bidirectional=True)", None),
        ("Embedding(1000, 64)", None),
        ("Conv2d(3, 96, 11, stride=4)", "1,3,227,227"),
        ("BatchNorm2d(64)", None),
        ("TransformerEncoderLayer(512, 8)", None),
    ]
    lines = ["problems:"]
    for i in range(problems):
        expr, shape = exprs[i % len(exprs)]
        right = parse_layer(expr).count().total
        given = right if i % 3 else right - (i % 7) - 1
        lines.append(f"  - layer: \"{expr}\"")
        if shape:
            lines.append(f"    input_shape: [{shape}]")
        lines.append(f"    answers: {{params: {given}}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def library_throughput(seconds: float = 1.0) -> tuple[float, float]:
    """Validated specs counted per second, and bare formula calls per second."""
    from paramcalc import LSTM
    from paramcalc.formulas import lstm_params

    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(1000):
            LSTM(input_size=100 + (i & 7), hidden_size=128, num_layers=2).count()
        n += 1000
    specs = n / (time.perf_counter() - start)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(10000):
            lstm_params(input_size=100 + (i & 7), hidden_size=128, num_layers=2)
        n += 10000
    formulas = n / (time.perf_counter() - start)
    return specs, formulas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (median taken)")
    parser.add_argument("--sheet-size", type=int, default=1000)
    parser.add_argument("--paramcalc", metavar="CMD",
                        help="how to run paramcalc, e.g. 'python -m paramcalc' (default: the console script "
                        "next to this Python, else python -m paramcalc)")
    args = parser.parse_args()
    env = {**os.environ, "NO_COLOR": "1"}
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME"):  # keep .pyc caches; no import profile
        env.pop(name, None)
    pc = shlex.split(args.paramcalc) if args.paramcalc else paramcalc_cmd()

    print(f"machine: {platform.machine()} · {platform.processor() or platform.platform()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()}")
    print(f"runs per command: {args.runs} (median) · paramcalc: {' '.join(pc)}\n")

    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "sheet.yaml"
        make_sheet(sheet, args.sheet_size)
        cases = [
            ("python -c pass", [PY, "-c", "pass"]),
            (FLOOR_LABEL, [PY, "-c", FLOOR]),
            ("paramcalc layer LSTM(100, 128, num_layers=2)",
             [*pc, "layer", "LSTM(100, 128, num_layers=2)", "--input-shape", "32,50,100"]),
            ("paramcalc --help", [*pc, "--help"]),
            ("paramcalc preset llama2-7b", [*pc, "preset", "llama2-7b"]),
            (f"paramcalc check-sheet ({args.sheet_size} problems)", [*pc, "check-sheet", str(sheet)]),
        ]
        try:
            import importlib.util

            has_torch = importlib.util.find_spec("torch") is not None
        except Exception:  # pragma: no cover
            has_torch = False
        if has_torch:
            cases.append((
                "torch: import torch; count LSTM(100, 128, 2)",
                [PY, "-c", "import torch; m = torch.nn.LSTM(100, 128, 2); print(sum(p.numel() for p in m.parameters()))"],
            ))
        results = median_times(cases, args.runs, env)

    floor = results[FLOOR_LABEL]
    width = max(len(label) for label in results)
    print(f"{'command':<{width}} {'median':>9} {'× floor':>8}")
    for label, t in results.items():
        if t is None or floor is None:
            print(f"{label:<{width}} {'n/a' if t is None else f'{t * 1000:.0f}ms':>9} {'':>8}")
        else:
            print(f"{label:<{width}} {t * 1000:>7.0f}ms {t / floor:>7.2f}×")

    specs, formulas = library_throughput()
    print(f"\nlibrary: {specs:,.0f} validated LSTM specs counted per second (target ≥ 100,000)")
    print(f"library: {formulas:,.0f} bare lstm_params calls per second (target ≥ 1,000,000)")


if __name__ == "__main__":
    main()
