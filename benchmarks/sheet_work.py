"""Time and peak memory of check-sheet on sheets of deep stacks and deep models, each run as a fresh process.

python benchmarks/sheet_work.py [--paramcalc 'python -m paramcalc']
Sheets: 400 and 1,000 problems of TransformerDecoder(TransformerDecoderLayer(d, 2), 1000) (d = 2, 4, ...,
so no two problems are alike); 40 inline models of ConvTranspose1d(1, 1, 2) with repeat: 9000 (past
MAX_SHEET_WORK: refused); and the most a sheet may ask of models, MAX_SHEET_WORK layers that each change
the shape (50 models of 1,000 padded Conv1d layers), answered right and answered wrong (a wrong answer
searches every layer for a mistake).
"""

from __future__ import annotations

import argparse
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def sheets(folder: Path) -> dict[str, Path]:
    out = {}
    for n in (400, 1000):
        problems = [{"id": f"p{i}", "layer": f"TransformerDecoder(TransformerDecoderLayer({2 * (i + 1)}, 2), 1000)",
                     "answers": {"params": 1000 + i}} for i in range(n)]
        out[f"{n} decoder stacks"] = folder / f"dec{n}.yaml"
        out[f"{n} decoder stacks"].write_text(yaml.safe_dump({"problems": problems}))
    problems = [{"id": f"m{i}", "model": {"layers": [{"layer": "ConvTranspose1d(1, 1, 2)", "repeat": 9000}]},
                 "input_shape": "1x1x4", "answers": {"params": 10 + i}} for i in range(40)]
    out["40 models, repeat 9000"] = folder / "conv40.yaml"
    out["40 models, repeat 9000"].write_text(yaml.safe_dump({"problems": problems}))
    for wrong in (0, 1):
        problems = [{"id": f"c{i}", "model": {"layers": [{"layer": "Conv1d(1, 1, 1, padding=1)", "repeat": 1000}]},
                     "input_shape": "1x1x4", "answers": {"params": 2000 + wrong, "shape": f"1x1x{2004 - wrong}"}}
                    for i in range(50)]
        name = f"50 x 1,000 growing, {'wrong' if wrong else 'right'}"
        out[name] = folder / f"grow{wrong}.yaml"
        out[name].write_text(yaml.safe_dump({"problems": problems}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paramcalc", default=f"{sys.executable} -m paramcalc")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in sheets(Path(tmp)).items():
            for extra in ([], ["--json"]):
                before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                start = time.perf_counter()
                done = subprocess.run([*shlex.split(args.paramcalc), "check-sheet", *extra, str(path)],
                                      capture_output=True, check=False)
                seconds = time.perf_counter() - start
                peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
                print(f"{name:28} {' '.join(extra):7} exit {done.returncode}  {seconds:6.2f} s  "
                      f"peak {peak / 1024:7.0f} MB{'' if peak > before else ' (or less)'}")


if __name__ == "__main__":
    main()
