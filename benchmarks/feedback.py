"""How fast a learner hears back: the time of a failing check, and what `from autograder import check` costs.

    .venv/bin/python benchmarks/feedback.py [--repeat 3]

1. Failing-check latency: every mutant of every chapter, graded visible-case by visible-case in one warm process
   (as a notebook's check cell would), timed with perf_counter. The first call of an exercise also builds its cases
   and the reference outcomes; both the first call and the warm p95 are reported per chapter.
2. Import cost: a fresh interpreter runs `from autograder import check` and one check of a NumPy chapter (02), and
   reports the wall time and whether PyTorch was imported.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMPORT_PROBE = """
import sys, time
t = time.perf_counter()
from autograder import check
import numpy as np
t_import = time.perf_counter() - t
torch_by_import = "torch" in sys.modules
def layer_norm(x, g, b, eps=1e-5):
    return x
t = time.perf_counter()
try:
    check("layer_norm", layer_norm)
except AssertionError:
    pass
print(t_import, time.perf_counter() - t, torch_by_import, "torch" in sys.modules)
"""


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="warm repetitions per mutant")
    args = parser.parse_args()

    from autograder import REGISTRY, load_all
    from autograder.engine import all_mutants, grade_function
    from autograder.engine import load_mutant as load

    load_all()
    by_chapter: dict[str, dict[str, list[float]]] = {}
    slowest = (0.0, "")
    for mutant in all_mutants():
        chapter = REGISTRY[mutant.exercise].chapter
        times = by_chapter.setdefault(chapter, {"first": [], "warm": []})
        fn = load(mutant)
        for i in range(1 + args.repeat):
            start = time.perf_counter()
            result = grade_function(mutant.exercise, fn)
            elapsed = time.perf_counter() - start
            assert not result.passed
            times["first" if i == 0 else "warm"].append(elapsed)
            slowest = max(slowest, (elapsed, f"{mutant.exercise}: {mutant.name}"))

    print("| chapter | mutants | first call, median (s) | first call, max (s) | warm p95 (s) | warm max (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for chapter, t in sorted(by_chapter.items()):
        print(f"| {chapter} | {len(t['first'])} | {statistics.median(t['first']):.3f} | {max(t['first']):.3f} | "
              f"{p95(t['warm']):.3f} | {max(t['warm']):.3f} |")
    everything = [x for t in by_chapter.values() for x in t["first"] + t["warm"]]
    print(f"\nall failing checks: p95 {p95(everything):.3f} s, slowest {slowest[0]:.3f} s ({slowest[1]})")

    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, cwd=ROOT,
                             check=True).stdout.split()
        runs.append((float(out[0]), float(out[1]), out[2] == "True", out[3] == "True"))
    print(f"`from autograder import check` in a fresh process: {statistics.median(r[0] for r in runs):.3f} s, "
          f"PyTorch imported by it: {any(r[2] for r in runs)}; the first (failing) layer_norm check in that process: "
          f"{statistics.median(r[1] for r in runs):.3f} s (its torch.nn.functional oracle case imports PyTorch: "
          f"{any(r[3] for r in runs)})")


if __name__ == "__main__":
    main()
