"""Grading one notebook end to end: read it, run it in the sandbox, judge every exercise of its chapter.

The result is Gradescope's results.json shape, plus an explicit `status` so that a notebook that could not be
graded is never mistaken for a zero:

    {"status": "graded", "chapter": "02", "score": 3, "max_score": 3, "seed": 123, "execution_time": 1.2,
     "tests": [{"name": "layer_norm", "score": 2, "max_score": 2, "status": "passed", "output": "..."}, ...],
     "output": "..."}
"""

from __future__ import annotations

import ast
import re
import shutil
import tempfile
import time
from pathlib import Path

from .engine import Result, exercises_of, grading_seed, judge
from .notebooks import InvalidNotebook, chapter_of, code_to_run, read_notebook
from .sandbox import Limits, SandboxError, run_in_child

STATUSES = ("graded", "timeout", "memory", "crashed", "invalid-notebook", "missing")


def grade_notebook(path: str | Path, seed: int | None = None, limits: Limits | None = None,
                   chapter: str | None = None) -> dict:
    """Grade one notebook (.ipynb or a chapter's .md); never raises for a bad submission."""
    start = time.monotonic()
    limits = limits or Limits()
    path = Path(path)
    seed = grading_seed() if seed is None else seed
    try:
        nb = read_notebook(path)
    except InvalidNotebook as exc:
        return _ungraded("missing" if not path.exists() else "invalid-notebook", str(exc), chapter, seed, start)
    found = chapter_of(nb, path)
    if chapter and found and found != chapter:
        return _ungraded("invalid-notebook", f"{path.name} is a notebook of chapter {found}, not of chapter "
                                             f"{chapter}", chapter, seed, start)
    chapter = chapter or found
    exercises = exercises_of(chapter) if chapter else []
    if not exercises:
        return _ungraded("invalid-notebook", f"{path.name}: cannot tell which chapter this notebook belongs to "
                                             "(no exercise cells, and its name does not start with NN_)",
                         chapter, seed, start)
    cells = code_to_run(nb)
    borrowed = borrowed_from_solutions(cells, [e.name for e in exercises])
    requests, cases = {}, {}
    for exercise in exercises:
        cases[exercise.name] = (exercise.cases(hidden=False), exercise.cases(hidden=True, seed=seed))
        requests[exercise.name] = list(cases[exercise.name])
    scratch = Path(tempfile.mkdtemp(prefix="autograder-"))
    try:
        data = run_in_child(cells, requests, scratch, limits)
    except SandboxError as exc:
        return _ungraded(exc.status, str(exc), chapter, seed, start)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    tests = []
    for exercise in exercises:
        info = data["exercises"][exercise.name]
        visible, hidden = info["groups"]
        note = borrowed.get(exercise.name) or _copied_note(exercise.name, info)
        for is_hidden, group, outcomes in ((False, cases[exercise.name][0], visible),
                                           (True, cases[exercise.name][1], hidden)):
            result = judge(exercise, group, outcomes, hidden=is_hidden, seed=seed if is_hidden else None)
            tests.append(_test(result, note))
    output = ""
    if data["cell_errors"]:
        output = "Cells that raised an error while the notebook ran:\n" + "\n".join(data["cell_errors"])
    return {
        "status": "graded", "chapter": chapter, "score": sum(t["score"] for t in tests),
        "max_score": sum(t["max_score"] for t in tests), "seed": seed,
        "execution_time": round(time.monotonic() - start, 3), "tests": tests, "output": output,
    }


def borrowed_from_solutions(cells: list[str], names: list[str]) -> dict[str, str]:
    """Exercises whose answer the notebook takes from the course's reference (`solutions`), found in its source:
    `from solutions import layer_norm`, `solutions.layer_norm`, `from solutions.ch02_layer_norm import ...`,
    `__import__("solutions")`. Importing the reference of *other* exercises (earlier chapters) is allowed."""
    found: dict[str, str] = {}
    for i, source in enumerate(cells, 1):
        try:
            tree = ast.parse(_without_magics(source))
        except SyntaxError:
            continue
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "solutions":
                for alias in node.names:
                    for name in (names if alias.name == "*" else [alias.name] if alias.name in names else []):
                        found[name] = f"code cell {i} imports the reference from `{node.module}`"
            elif isinstance(node, ast.Import):
                aliases |= {a.asname or a.name for a in node.names if a.name.split(".")[0] == "solutions"}
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "solutions" in node.value \
                    and re.fullmatch(r"solutions(\.\w+)*", node.value):
                for name in names:
                    found.setdefault(name, f"code cell {i} loads the `solutions` package by name")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in names:
                base = node.value
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in aliases:
                    found[node.attr] = f"code cell {i} calls the reference `solutions.{node.attr}`"
    return {name: f"{name} is not graded: {why}, which is the course's answer, not yours."
            for name, why in found.items()}


def _without_magics(source: str) -> str:
    return "\n".join("pass" if re.match(r"^\s*[%!]", line) else line for line in source.split("\n"))


def _copied_note(name: str, info: dict) -> str | None:
    module = info.get("module", "")
    if info.get("found") and (module == "solutions" or module.startswith("solutions.")):
        return f"{name} is not graded: it is the course's reference from `{module}`, not your own code."
    return None


def _test(result: Result, copied: str | None) -> dict:
    if copied:
        return {"name": result.name, "score": 0, "max_score": result.points, "status": "failed",
                "output": f"✗ {result.name}: {copied}"}
    return {"name": result.name, "score": result.score, "max_score": result.points,
            "status": "passed" if result.passed else "failed", "output": result.report()}


def max_score_of(chapter: str | None) -> int:
    return sum(e.points + e.hidden_points for e in exercises_of(chapter)) if chapter else 0


def _ungraded(status: str, message: str, chapter: str | None, seed: int, start: float) -> dict:
    return {"status": status, "chapter": chapter, "score": 0, "max_score": max_score_of(chapter), "seed": seed,
            "execution_time": round(time.monotonic() - start, 3), "tests": [],
            "output": f"Not graded ({status}): {message}"}
