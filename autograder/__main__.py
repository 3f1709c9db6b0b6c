"""python -m autograder — grade notebooks and generate the course's notebooks.

    python -m autograder check NOTEBOOK [--json]       grade one learner notebook (.ipynb or chapter .md)
    python -m autograder grade SUBMISSIONS --out DIR   grade a class (see autograder/batch.py)
    python -m autograder report DIR                    class report + Canvas/Moodle CSVs of a graded class
    python -m autograder gradescope --out DIR          one Gradescope autograder zip per chapter
    python -m autograder notebooks --out DIR           learner notebooks (.ipynb) from chapters/
    python -m autograder course --out DIR              nbgrader course directory with solutions injected
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import sys
from pathlib import Path

from .sandbox import Limits


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """--help shows every default that is a value (not None/False, not one the help already states)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _limits(args) -> Limits:
    return Limits(timeout=args.timeout, cell_timeout=args.cell_timeout, exercise_timeout=args.exercise_timeout,
                  memory_mb=args.memory_mb, sandbox=not args.no_sandbox)


def _add_limits(p: argparse.ArgumentParser) -> None:
    env = Limits.from_env()
    p.add_argument("--timeout", type=float, default=env.timeout,
                   help="wall-clock seconds for a whole notebook (every budget together)")
    p.add_argument("--cell-timeout", type=float, default=env.cell_timeout,
                   help="the top-level code's budget: a cell still running then is skipped, the rest graded")
    p.add_argument("--exercise-timeout", type=float, default=env.exercise_timeout,
                   help="each exercise's budget: a function still running then loses only that exercise's cases")
    p.add_argument("--memory-mb", type=int, default=env.memory_mb, help="memory limit per notebook (MB)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the hidden cases (default: $AUTOGRADER_SEED, else drawn at random)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade even where no sandbox can be made (learner code then runs with your rights)")


def cmd_check(args) -> int:
    from .grading import grade_notebook
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
        from .report import print_result

        print_result(result, Path(args.notebook).name)
    return 0 if result["status"] == "graded" else 2


def cmd_grade(args) -> int:
    from .batch import Policy, grade_all
    from .intake import parse_time

    try:
        due = parse_time(args.due) if args.due else None
    except ValueError:
        print(f"--due: not a date and time: {args.due!r} (e.g. 2026-12-01T23:59 or 2026-12-01T23:59+01:00)",
              file=sys.stderr)
        return 2
    return grade_all(Path(args.submissions), Path(args.out), chapter=args.chapter, workers=args.workers,
                     seed=args.seed, limits=_limits(args), regrade=args.regrade,
                     roster=Path(args.roster) if args.roster else None, learner=args.learner,
                     policy=Policy(due=due, late_penalty=args.late_penalty))


def cmd_report(args) -> int:
    from .class_report import write_report

    out = Path(args.results)
    if not out.is_dir():
        print(f"no such folder: {out}", file=sys.stderr)
        return 2
    for path in write_report(out):
        print(path)
    return 0


def cmd_gradescope(args) -> int:
    from .gradescope import write_bundles

    for path in write_bundles(Path(args.out), chapters=args.chapters):
        print(path)
    return 0


def cmd_notebooks(args) -> int:
    from .locking import lock_file
    from .notebooks import write_learner_notebooks

    for path in write_learner_notebooks(Path(args.out)):
        print(lock_file(path))  # nbgrader's locks, as in the release
    return 0


def cmd_course(args) -> int:
    import shlex

    from .course import write_course

    root = write_course(Path(args.out), chapters=args.chapters)
    venv_bin = Path(sys.executable).parent.absolute()  # nbgrader runs helpers (alembic) it finds on PATH
    print(f"nbgrader course directory: {root}\nnext: export PATH={shlex.quote(str(venv_bin))}:\"$PATH\"; "
          f"cd {shlex.quote(str(root))} && nbgrader generate_assignment <assignment, e.g. 02_layer_norm>")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    defaults = {"formatter_class": _Help}

    p = sub.add_parser("check", help="grade one notebook and print a report", **defaults)
    p.add_argument("notebook")
    p.add_argument("--json", action="store_true", help="print Gradescope's results.json instead")
    _add_limits(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("grade", help="grade a folder of submissions", **defaults)
    p.add_argument("submissions", help="a folder: one notebook or folder per learner, nbgrader's submitted/, a "
                                       "Canvas or Moodle bulk download; with --learner, one learner's folder or file")
    p.add_argument("--out", required=True, help="where results.json files and grades.csv go")
    p.add_argument("--chapter", help="grade only this chapter (e.g. 02)")
    p.add_argument("--workers", type=int, default=None, help="parallel notebooks (default: number of cores)")
    p.add_argument("--regrade", action="store_true", help="grade again what already has a result")
    p.add_argument("--roster", help="CSV of learner ids (column learner, id, student_id, SIS User ID ...): "
                                    "learners without a submission are reported missing, others as unknown")
    p.add_argument("--learner", help="grade this one learner: SUBMISSIONS is their folder or notebook (or a class "
                                     "folder holding a folder of that name)")
    p.add_argument("--due", help="due date and time, ISO 8601 (no zone = UTC); submission times come from "
                                 "nbgrader's timestamp.txt, Canvas' LATE_ marker counts as 1 day")
    p.add_argument("--late-penalty", type=float, default=0.0,
                   help="share of the chapter's points taken per started day late (0.1 = 10 %%); 0 = only report")
    _add_limits(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("report", help="class report (report.md, report.html) and Canvas/Moodle grade CSVs",
                       **defaults)
    p.add_argument("results", help="the --out folder of `grade`")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("gradescope", help="one Gradescope autograder zip per chapter", **defaults)
    p.add_argument("--out", default="_build/gradescope")
    p.add_argument("chapters", nargs="*", help="chapter numbers (default: every chapter with exercises)")
    p.set_defaults(func=cmd_gradescope)

    p = sub.add_parser("notebooks", help="write the learner notebooks (.ipynb) generated from chapters/", **defaults)
    p.add_argument("--out", default="notebooks")
    p.set_defaults(func=cmd_notebooks)

    p = sub.add_parser("course", help="write the nbgrader course directory (source notebooks with solutions)",
                       **defaults)
    p.add_argument("--out", default="course")
    p.add_argument("chapters", nargs="*", help="chapter numbers (default: all)")
    p.set_defaults(func=cmd_course)

    args = parser.parse_args(argv)
    return args.func(args)


def _check_and_leave() -> None:
    """`check` from the shell: one notebook, then the process ends. It runs without the cyclic garbage collector, whose
    full passes over the objects of the grader's imports (nbformat's; PyTorch's, which the judge's oracles load) cost
    a few tenths of a second while a notebook makes little cyclic garbage (the child's outcomes arrive as plain data);
    and it leaves without the interpreter's teardown (most of a second once PyTorch is loaded): the output flushed and
    the atexit handlers run (the sandbox runtime's removal)."""
    gc.disable()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    if sys.argv[1:2] == ["check"]:
        _check_and_leave()
    sys.exit(main())
