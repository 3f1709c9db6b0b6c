"""Grading one notebook end to end: read it, run it in the sandbox, judge every exercise of its chapter.

The result is a `NotebookResult` (autograder.results: the one list of statuses, the results.json shape), graded or
not: a notebook that could not be graded has its status and reason, never a silent zero. `grade_file` returns it;
`grade_notebook` returns its results.json (what `python -m autograder check --json` prints).

It holds the hidden cases' `seed`: an instructor-side record (the batch keeps it out of the learners'
results.json). The child gets only the cases' inputs — visible and hidden merged, shuffled with a permutation only
this process knows, without labels — and the visible cases are drawn afresh for every seed too.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from . import engine
from .engine import exercises_of, grading_seed, judge
from .notebooks import InvalidNotebook, chapter_of, code_to_run, read_notebook
from .results import HIDDEN, NotebookResult, Status, TestResult, round_score
from .sandbox import Limits, SandboxError, run_in_child

_JUDGES = ThreadPoolExecutor(max_workers=4, thread_name_prefix="judge")


def visible_seed(seed: int) -> int:
    """The visible cases' seed for a grading seed: different on every grading run, reproducible with --seed, and
    a one-way function of it (the visible cases' expected values, which learners see, do not give the seed away)."""
    return int.from_bytes(hashlib.sha256(f"visible cases of {seed}".encode()).digest()[:4], "big") % 2**31


def grade_file(path: str | Path, seed: int | None = None, limits: Limits | None = None,
               chapter: str | None = None) -> NotebookResult:
    """Grade one notebook (.ipynb or a chapter's .md); never raises for a bad submission."""
    start = time.monotonic()
    path = Path(path)
    seed = grading_seed() if seed is None else seed
    try:
        nb = read_submission(path)
    except InvalidNotebook as exc:  # the message names the file, not the server's path to it
        message = str(exc).replace(str(path), path.name)
        status = Status.MISSING if not path.exists() else Status.INVALID_NOTEBOOK
        return NotebookResult.not_graded(status, message, chapter, seed=seed, start=start)
    return grade_nb(nb, path.name, seed=seed, limits=limits, chapter=chapter, start=start)


def grade_notebook(path: str | Path, seed: int | None = None, limits: Limits | None = None,
                   chapter: str | None = None) -> dict:
    """`grade_file`'s results.json (with the seed): what `python -m autograder check --json` prints."""
    return grade_file(path, seed=seed, limits=limits, chapter=chapter).to_json()


MAX_NOTEBOOK_MB = 50


def check_submission_file(path: Path) -> None:
    """A submitted file must be a regular file (not a symlink, FIFO or device) of reasonable size."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise InvalidNotebook(f"{path.name}: no such file") from None
    except OSError as exc:
        raise InvalidNotebook(f"{path.name}: cannot be read ({type(exc).__name__})") from None
    if stat.S_ISLNK(st.st_mode):
        raise InvalidNotebook(f"{path.name}: a symbolic link, not a notebook file")
    if not stat.S_ISREG(st.st_mode):
        raise InvalidNotebook(f"{path.name}: not a regular file")
    if st.st_size > MAX_NOTEBOOK_MB * 2**20:
        raise InvalidNotebook(f"{path.name}: larger than {MAX_NOTEBOOK_MB} MB")


def read_submission(path: Path):
    check_submission_file(path)
    return read_notebook(path)


def grade_nb(nb, name: str, seed: int, limits: Limits | None = None, chapter: str | None = None,
             start: float | None = None) -> NotebookResult:
    """Grade a notebook already read (also nbgrader's path: autograder.nbgrader_ext)."""
    start = time.monotonic() if start is None else start
    limits = limits or Limits()
    found = chapter_of(nb, name)
    if chapter and found and found != chapter:
        return NotebookResult.not_graded(Status.INVALID_NOTEBOOK, f"{name} is a notebook of chapter {found}, not "
                                         f"of chapter {chapter}", chapter, seed=seed, start=start)
    chapter = chapter or found
    exercises = exercises_of(chapter) if chapter else []
    if not exercises:
        return NotebookResult.not_graded(Status.INVALID_NOTEBOOK, f"{name}: cannot tell which chapter this notebook "
                                         "belongs to (no exercise cells, and its name does not start with NN_)",
                                         chapter, seed=seed, start=start)
    groups, calls, orders = {}, {}, {}
    for exercise in exercises:
        visible = exercise.cases(hidden=False, seed=visible_seed(seed))
        hidden = exercise.cases(hidden=True, seed=seed)
        merged = [(False, i, c) for i, c in enumerate(visible)] + [(True, i, c) for i, c in enumerate(hidden)]
        order = list(range(len(merged)))
        secrets.SystemRandom().shuffle(order)
        groups[exercise.name] = (visible, hidden)
        orders[exercise.name] = [merged[k] for k in order]
        calls[exercise.name] = [(c.args, c.kwargs, _probe_name(c)) for _, _, c in orders[exercise.name]]
    try:
        data = run_in_child(code_to_run(nb), calls, chapter, limits)
    except SandboxError as exc:  # its status is timeout, memory, crashed or invalid-output
        return NotebookResult.not_graded(exc.status, str(exc), chapter, seed=seed, start=start)
    future = _JUDGES.submit(_judge_all, exercises, groups, orders, data, seed)
    try:
        tests = future.result(timeout=limits.judge_timeout)
    except FutureTimeout:
        future.cancel()
        return NotebookResult.not_graded(Status.INVALID_OUTPUT, f"judging this notebook's outputs took longer "
                                         f"than {limits.judge_timeout:g} s", chapter, seed=seed, start=start)
    output = ""
    if data.get("over_budget"):
        output = ("Stopped at their time budget (" + f"{limits.exercise_timeout:g} s each; the other exercises were "
                  "graded as usual): " + ", ".join(data["over_budget"]) + "\n")
    if data["cell_errors"]:
        output += "Cells that raised an error while the notebook ran:\n" + "\n".join(data["cell_errors"])
    return NotebookResult(status=Status.GRADED, chapter=chapter, score=round_score(sum(t.score for t in tests)),
                          max_score=sum(t.max_score for t in tests), seed=seed,
                          execution_time=round(time.monotonic() - start, 3), tests=tests, output=output)


def _probe_name(case) -> str | None:
    """Probes travel by name; they must live in autograder/probes.py, the only probe module the sandbox has."""
    if case.probe is None:
        return None
    if getattr(case.probe, "__module__", "") != "autograder.probes":
        raise ValueError(f"the probe {case.probe!r} must be defined in autograder/probes.py")
    return case.probe.__name__


def _judge_all(exercises, groups, orders, data, seed) -> list[TestResult]:
    from .engine import Outcome

    results = {}
    for exercise in exercises:
        info = data["exercises"][exercise.name]
        outcomes = {(h, i): Outcome(**o) for (h, i, _), o in zip(orders[exercise.name], info["outcomes"])}
        visible, hidden = groups[exercise.name]
        for is_hidden, group in ((False, visible), (True, hidden)):
            got = [outcomes[(is_hidden, i)] for i in range(len(group))]
            result = judge(exercise, group, got, hidden=is_hidden, seed=seed if is_hidden else None)
            results[exercise.name + (HIDDEN if is_hidden else "")] = result
    called = {e.name: data["exercises"][e.name]["called"] for e in exercises}
    cascade = getattr(engine, "cascade", None)
    if cascade is not None:
        cascade(results, called)
    return [_test(r) for r in results.values()]


def _test(result) -> TestResult:
    return TestResult(name=result.name, score=round_score(result.score), max_score=result.points,
                      passed=result.passed, output=result.report(), mistake=getattr(result, "mistake", ""))


def max_score_of(chapter: str | None) -> int:
    return sum(e.points + e.hidden_points for e in exercises_of(chapter)) if chapter else 0

