"""Per-exercise time budgets: an endless loop costs only the exercise (or the top-level cell) it is in, named in the
message — on the course's grader and on nbgrader's path (SandboxGrade), which grades through the same code."""

from __future__ import annotations

import re
import time

import nbformat
import psutil
import pytest

from autograder.engine import exercises_of
from autograder.grading import grade_notebook, max_score_of
from autograder.notebooks import GRADE_ID, cell_role, learner_notebook
from autograder.sandbox import Limits
from tests.notebook_fixtures import GRADED_CHAPTERS, chapter_file, solved, write

# a chapter with at least two exercises, the last of which no other calls
CHAPTER = next(ch for ch in GRADED_CHAPTERS if len(exercises_of(ch)) >= 2)
FAST = Limits(timeout=120, cell_timeout=4, exercise_timeout=3)
MARK = "budget-test-loop-7781"


def looping(nb, name: str, marker: str = MARK):
    for cell in nb.cells:
        if cell_role(cell) == "answer" and f"def {name}(" in cell.source:
            cell.source += (f"\n\n\ndef {name}(*args, **kwargs):\n    {marker!r}\n    while True:\n"
                            "        pass\n")
            return nb
    raise LookupError(name)


def first_answer(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if cell_role(c) == "answer")


def test_a_looping_exercise_costs_only_itself(tmp_path):
    names = [e.name for e in exercises_of(CHAPTER)]
    nb = looping(solved(CHAPTER), names[-1])
    # and a top-level cell (a demo) that loops: skipped, the rest of the notebook graded
    nb.cells.insert(first_answer(nb), nbformat.v4.new_code_cell("while True:\n    pass"))
    start = time.monotonic()
    result = grade_notebook(write(nb, tmp_path / chapter_file(CHAPTER).with_suffix(".ipynb").name), seed=3,
                            limits=FAST)
    seconds = time.monotonic() - start
    assert result["status"] == "graded", result["output"]
    for t in result["tests"]:
        if t["name"].replace(" (hidden)", "") == names[-1]:
            assert t["score"] == 0 and "time budget of 3 s" in t["output"] and names[-1] in t["output"], t
        else:
            assert t["score"] == t["max_score"], t
    assert f"Stopped at their time budget (3 s each; the other exercises were graded as usual): {names[-1]}" \
        in result["output"]
    assert re.search(r"code cell \d+: did not finish within the top-level code's time budget of 4 s",
                     result["output"]), result["output"]
    assert result["score"] == max_score_of(CHAPTER) - sum(e.points + e.hidden_points for e in exercises_of(CHAPTER)
                                                          if e.name == names[-1])
    assert seconds < 60, seconds
    assert not [p for p in psutil.process_iter(["cmdline"]) if MARK in " ".join(p.info["cmdline"] or [])]


def test_every_exercise_looping_is_still_graded_within_the_notebook_limit(tmp_path):
    nb = solved(CHAPTER)
    for e in exercises_of(CHAPTER):
        nb = looping(nb, e.name)
    result = grade_notebook(write(nb, tmp_path / "nb.ipynb"), seed=3, chapter=CHAPTER,
                            limits=Limits(timeout=120, cell_timeout=4, exercise_timeout=2))
    assert result["status"] == "graded" and result["score"] == 0
    assert all("time budget" in t["output"] for t in result["tests"])


def test_the_notebook_limit_still_bounds_everything(tmp_path):
    nb = learner_notebook(chapter_file(CHAPTER))
    nb.cells.insert(0, nbformat.v4.new_code_cell("while True:\n    pass"))
    result = grade_notebook(write(nb, tmp_path / "nb.ipynb"), seed=3, chapter=CHAPTER,
                            limits=Limits(timeout=4, cell_timeout=30, exercise_timeout=30))
    assert result["status"] == "timeout" and "did not finish within 4 s" in result["output"]


@pytest.mark.parametrize("budget_env", ["3"])
def test_nbgraders_path_has_the_same_budgets(budget_env, monkeypatch):
    """SandboxGrade (nbgrader autograde's execution step) grades through the same code: the looping exercise's
    grade cells score 0 with the budget message, the others full."""
    pytest.importorskip("nbgrader")
    from autograder.nbgrader_ext import SandboxGrade
    from autograder.notebooks import source_notebook

    monkeypatch.setenv("AUTOGRADER_EXERCISE_TIMEOUT", budget_env)
    name = exercises_of(CHAPTER)[-1].name
    nb = source_notebook(chapter_file(CHAPTER))
    nb = looping(nb, name)
    nb, _ = SandboxGrade().preprocess(nb, {"nbgrader": {"notebook": chapter_file(CHAPTER).stem}})
    assert nb.metadata["autograder"]["status"] == "graded"
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        text = "".join(str(o.get("text", "")) + str(o.get("evalue", "")) + "".join(o.get("traceback", []))
                       for o in cell.outputs)
        kinds = {o.output_type for o in cell.outputs}
        if GRADE_ID.match(meta["grade_id"]).group(2) == name:
            assert "error" in kinds and "time budget" in text, (meta["grade_id"], text)
        else:
            assert kinds == {"stream"}, (meta["grade_id"], text)


FORGE = """
import json, os, stat
for fd in range(3, 256):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and os.fstat(fd).st_mode & 0o200:
            os.write(fd, (json.dumps({{"v": 1, "t": {kind!r}}}) + "\\n").encode())
    except OSError:
        pass
"""


@pytest.mark.parametrize("kind", ["end", "cells", "outcome"])
def test_forged_progress_messages_are_a_protocol_breach(tmp_path, kind):
    """The learner can write to the channel, but a message out of order is an explicit invalid-output, never a grade
    (and never a budget charged to another exercise)."""
    nb = solved(CHAPTER)
    nb.cells.insert(first_answer(nb), nbformat.v4.new_code_cell(FORGE.format(kind=kind)))
    result = grade_notebook(write(nb, tmp_path / "nb.ipynb"), seed=3, chapter=CHAPTER, limits=FAST)
    assert result["status"] == "invalid-output" and result["score"] == 0, result["output"]


def test_a_function_that_ends_the_process_costs_only_its_exercise(tmp_path):
    name = exercises_of(CHAPTER)[-1].name
    nb = solved(CHAPTER)
    for cell in nb.cells:
        if cell_role(cell) == "answer" and f"def {name}(" in cell.source:
            cell.source += f"\n\n\ndef {name}(*args, **kwargs):\n    import os\n    os._exit(3)\n"
    result = grade_notebook(write(nb, tmp_path / "nb.ipynb"), seed=3, chapter=CHAPTER, limits=FAST)
    assert result["status"] == "graded", result["output"]
    for t in result["tests"]:
        if t["name"].replace(" (hidden)", "") == name:
            assert t["score"] == 0 and "ended the grading process (exit code 3)" in t["output"], t
        else:
            assert t["score"] == t["max_score"], t
