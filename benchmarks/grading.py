"""Grading throughput: `nbgrader autograde` vs `python -m autograder grade`, side by side on the same submissions.

    .venv/bin/python benchmarks/grading.py [--n 50] [--chapter 02] [--workers 2]
    .venv/bin/python benchmarks/grading.py --class-only --n 200 --chapter 05 [--looping 4]

Builds a course for one chapter, simulates N submissions (a mix of correct, wrong = each known mutant, stub and
broken JSON), grades them with both tools using the same hidden-case seed, checks that every submission graded by
both gets the same score, and prints a markdown table of the wall-clock times and the throughput ratio.

--class-only skips nbgrader: it grades the class with `python -m autograder grade` (with --looping K, K more
notebooks whose last exercise loops forever, to show what the per-exercise budget costs), then times
`python -m autograder report` on the results.

Both run learner code in the same bubblewrap sandbox (the shipped nbgrader_config.py replaces nbgrader's Execute
with autograder.nbgrader_ext.SandboxGrade); the difference is nbgrader's own per-notebook work (one notebook at a
time, its gradebook, its copies) against our parallel batch.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import write_course  # noqa: E402
from autograder.engine import all_mutants  # noqa: E402
from autograder.notebooks import learner_notebook  # noqa: E402
from tests.notebook_fixtures import chapter_file, solved, with_mutant, write  # noqa: E402

BIN = Path(sys.executable).parent


def simulate(chapter: str, n: int, submitted: Path, stem: str) -> dict[str, str]:
    """n submissions under submitted/<student>/<stem>/<stem>.ipynb; returns {student: kind}."""
    from autograder import exercises_of

    names = {e.name for e in exercises_of(chapter)}
    mutants = [m for m in all_mutants() if m.exercise in names]
    kinds = ["correct", "stub", "broken"] + [f"mutant:{i}" for i in range(len(mutants))]
    plan = {}
    for i in range(n):
        kind = kinds[i % len(kinds)]
        student = f"s{i:03d}"
        path = submitted / student / stem / f"{stem}.ipynb"
        if kind == "correct":
            write(solved(chapter), path)
        elif kind == "stub":
            write(learner_notebook(chapter_file(chapter)), path)
        elif kind == "broken":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('{"cells": [')
        else:
            write(with_mutant(chapter, mutants[int(kind.split(":")[1])]), path)
        plan[student] = kind
    return plan


def run(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=7200)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--chapter", default="02")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--class-only", action="store_true", help="only our grader, then the class report")
    parser.add_argument("--looping", type=int, default=0, help="extra notebooks whose last exercise loops")
    parser.add_argument("--exercise-timeout", type=float, default=None)
    args = parser.parse_args()
    if args.class_only:
        return class_only(args)

    stem = chapter_file(args.chapter).stem
    work = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    course = write_course(work / "course", [args.chapter])
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "AUTOGRADER_SEED": str(args.seed)}
    subprocess.run([str(BIN / "nbgrader"), "generate_assignment", stem], cwd=course, env=env, check=True,
                   capture_output=True)
    plan = simulate(args.chapter, args.n, course / "submitted", stem)

    t_nbgrader = run([str(BIN / "nbgrader"), "autograde", stem], course, env)
    subprocess.run([str(BIN / "nbgrader"), "export"], cwd=course, env=env, check=True, capture_output=True)
    theirs = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}

    out = work / "results"
    t_ours = run([sys.executable, "-m", "autograder", "grade", str(course / "submitted"), "--out", str(out),
                  "--chapter", args.chapter, "--seed", str(args.seed), "--workers", str(args.workers)], ROOT, env)
    ours = {s: json.loads((out / s / args.chapter / "results.json").read_text()) for s in plan}

    both = [s for s in plan if ours[s]["status"] == "graded" and theirs[s]["status"] == "graded"]
    differ = [s for s in both if float(ours[s]["score"]) != float(theirs[s]["score"])]
    unrun = sorted({(ours[s]["status"], theirs[s]["status"]) for s in plan if s not in both})
    print(f"\n{args.n} submissions of chapter {args.chapter} ({work}), hidden seed {args.seed}, "
          f"{args.workers} workers for ours, on {os.cpu_count()} cores\n")
    print("| grader | wall clock (s) | submissions/s |")
    print("|---|---:|---:|")
    print(f"| nbgrader autograde | {t_nbgrader:.1f} | {args.n / t_nbgrader:.2f} |")
    print(f"| python -m autograder grade | {t_ours:.1f} | {args.n / t_ours:.2f} |")
    print(f"\nthroughput ratio (ours / nbgrader): {t_nbgrader / t_ours:.1f}x")
    print(f"graded by both: {len(both)}, identical scores: {len(both) - len(differ)}; "
          f"not graded (ours, nbgrader): {unrun}")
    for s in differ:
        print(f"  DIFFERENT {s} ({plan[s]}): ours {ours[s]['score']} nbgrader {theirs[s]['score']}")
    return 1 if differ else 0


def class_only(args) -> int:
    from autograder import exercises_of
    from autograder.notebooks import cell_role

    stem = chapter_file(args.chapter).stem
    work = Path(tempfile.mkdtemp(prefix="class-bench-"))
    submitted = work / "submitted"
    plan = simulate(args.chapter, args.n, submitted, stem)
    last = exercises_of(args.chapter)[-1].name
    for i in range(args.looping):
        nb = solved(args.chapter)
        for cell in nb.cells:
            if cell_role(cell) == "answer" and f"def {last}(" in cell.source:
                cell.source += f"\n\n\ndef {last}(*args, **kwargs):\n    while True:\n        pass\n"
        write(nb, submitted / f"loop{i:02d}" / stem / f"{stem}.ipynb")
        plan[f"loop{i:02d}"] = "looping"
    out = work / "results"
    cmd = [sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out), "--chapter", args.chapter,
           "--seed", str(args.seed), "--workers", str(args.workers)]
    if args.exercise_timeout:
        cmd += ["--exercise-timeout", str(args.exercise_timeout)]
    t_grade = run(cmd, ROOT, dict(os.environ))
    t_report = run([sys.executable, "-m", "autograder", "report", str(out)], ROOT, dict(os.environ))
    start = time.perf_counter()
    from autograder.class_report import write_report

    write_report(out)
    t_inproc = time.perf_counter() - start
    results = {s: json.loads((out / s / args.chapter / "results.json").read_text()) for s in plan}
    loops = [r for s, r in results.items() if plan[s] == "looping"]
    print(f"\n{len(plan)} notebooks of chapter {args.chapter} ({work}), {args.workers} workers, "
          f"{os.cpu_count()} cores\n")
    print("| step | wall clock (s) |\n|---|---:|")
    print(f"| python -m autograder grade | {t_grade:.1f} |")
    print(f"| python -m autograder report (process) | {t_report:.2f} |")
    print(f"| write_report (in process) | {t_inproc:.3f} |")
    if loops:
        print(f"\nlooping notebooks: scores {sorted({r['score'] for r in loops})} of {loops[0]['max_score']}, "
              f"statuses {sorted({r['status'] for r in loops})}, execution_time "
              f"{min(r['execution_time'] for r in loops):.1f}-{max(r['execution_time'] for r in loops):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
