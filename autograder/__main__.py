"""python -m autograder — grade notebooks and generate the course's notebooks.

    python -m autograder check NOTEBOOK [--json]       grade one learner notebook (.ipynb or chapter .md)
    python -m autograder grade SUBMISSIONS --out DIR   grade a class (see autograder/batch.py)
    python -m autograder notebooks --out DIR           learner notebooks (.ipynb) from chapters/
    python -m autograder course --out DIR              nbgrader course directory with solutions injected
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .sandbox import Limits


def _limits(args) -> Limits:
    return Limits(timeout=args.timeout, memory_mb=args.memory_mb, sandbox=not args.no_sandbox)


def _add_limits(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=float, default=Limits.timeout, help="wall-clock seconds per notebook")
    p.add_argument("--memory-mb", type=int, default=Limits.memory_mb, help="memory limit per notebook")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the hidden cases (default: $AUTOGRADER_SEED, else drawn at random)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade even where no sandbox can be made (learner code then runs with your rights)")


def cmd_check(args) -> int:
    from .grading import grade_notebook
    from .report import print_result
    from .sandbox import SandboxUnavailable, require_sandbox

    limits = _limits(args)
    try:
        require_sandbox(limits)
    except SandboxUnavailable as exc:
        print(f"refusing to grade: {exc}", file=sys.stderr)
        return 3
    if not limits.sandbox:
        print("WARNING: grading WITHOUT a sandbox (--no-sandbox): the notebook's code runs with your rights.",
              file=sys.stderr)
    result = grade_notebook(args.notebook, seed=args.seed, limits=limits)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_result(result, Path(args.notebook).name)
    return 0 if result["status"] == "graded" else 2


def cmd_grade(args) -> int:
    from .batch import grade_all

    return grade_all(Path(args.submissions), Path(args.out), chapter=args.chapter, workers=args.workers,
                     seed=args.seed, limits=_limits(args), regrade=args.regrade)


def cmd_notebooks(args) -> int:
    from .notebooks import write_learner_notebooks

    for path in write_learner_notebooks(Path(args.out)):
        print(path)
    return 0


def cmd_course(args) -> int:
    from .course import write_course

    root = write_course(Path(args.out), chapters=args.chapters)
    print(f"nbgrader course directory: {root}  (cd {root} && nbgrader generate_assignment <assignment>)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="grade one notebook and print a report")
    p.add_argument("notebook")
    p.add_argument("--json", action="store_true", help="print Gradescope's results.json instead")
    _add_limits(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("grade", help="grade a folder of submissions")
    p.add_argument("submissions", help="a folder: one notebook or folder per learner, or nbgrader's submitted/")
    p.add_argument("--out", required=True, help="where results.json files and grades.csv go")
    p.add_argument("--chapter", help="grade only this chapter (e.g. 02)")
    p.add_argument("--workers", type=int, default=None, help="parallel notebooks (default: number of cores)")
    p.add_argument("--regrade", action="store_true", help="grade again what already has a result")
    _add_limits(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("notebooks", help="write the learner notebooks (.ipynb) generated from chapters/")
    p.add_argument("--out", default="notebooks")
    p.set_defaults(func=cmd_notebooks)

    p = sub.add_parser("course", help="write the nbgrader course directory (source notebooks with solutions)")
    p.add_argument("--out", default="course")
    p.add_argument("chapters", nargs="*", help="chapter numbers (default: all)")
    p.set_defaults(func=cmd_course)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
