"""Measure how the text of ``paramcalc layer`` grows with the number of stacked layers.

Run: ``python benchmarks/stack_output.py [--runs 3]`` from the repository root. For each stack depth
it starts ``paramcalc layer EXPR`` (and ``--json``) as a fresh process, reports the median wall time,
the bytes and the lines printed. The text form shows a run of stacked layers as one row per tensor,
so its size should not depend on the depth; ``--all-tensors`` lists every tensor, as the text did
before. Nothing here is a test: the figures depend on the machine, so they are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

EXPRESSIONS = [
    "Transformer(8, 2, {n}, {n}, 16)",
    "LSTM(10, 20, num_layers={n}, bidirectional=True)",
]
DEPTHS = (10, 100, 1000)


def run(args: list[str], runs: int) -> tuple[float, int, int]:
    """Median seconds, bytes and lines of ``paramcalc ARGS``."""
    env = {**os.environ, "COLUMNS": "80"}
    times, out = [], b""
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "paramcalc", *args], capture_output=True, env=env,
                             check=True).stdout
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(out), out.count(b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--all-tensors", action="store_true", help="also time --all-tensors (slow at depth 1000)")
    runs = parser.parse_args().runs
    every = parser.parse_args().all_tensors
    print(f"{'command':<60} {'seconds':>8} {'bytes':>11} {'lines':>8}")
    for template in EXPRESSIONS:
        for depth in DEPTHS:
            expr = template.format(n=depth)
            variants = [[], ["--json"]] + ([["--all-tensors"]] if every else [])
            for extra in variants:
                seconds, size, lines = run(["layer", expr, *extra], runs)
                label = " ".join([expr, *extra])
                print(f"{label:<60} {seconds:>8.2f} {size:>11,} {lines:>8,}")


if __name__ == "__main__":
    main()
