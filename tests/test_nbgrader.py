"""nbgrader end to end on the generated course: generate_assignment gives back the chapters' stubs; autograde
scores the reference full marks, a mutant less, the stub 0; export writes those scores; feedback hides hidden tests."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import write_course
from autograder.grading import max_score_of
from autograder.notebooks import learner_notebook
from tests.notebook_fixtures import GRADED_CHAPTERS, chapter_file, first_mutant, solved, with_mutant, write

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def nbgrader(*args, cwd):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = write_course(tmp_path_factory.mktemp("course") / "course", GRADED_CHAPTERS)
    for stem in (chapter_file(c).stem for c in GRADED_CHAPTERS):
        nbgrader("generate_assignment", stem, "--force", cwd=root)
    return root


def test_released_notebook_is_the_chapter(course):
    for chapter in GRADED_CHAPTERS:
        stem = chapter_file(chapter).stem
        released = json.loads((course / "release" / stem / f"{stem}.ipynb").read_text())
        chapter_nb = learner_notebook(chapter_file(chapter))
        assert [c["id"] for c in released["cells"]] == [c["id"] for c in chapter_nb.cells]
        for ours, theirs in zip(chapter_nb.cells, released["cells"]):
            assert "".join(theirs["source"]) == ours.source, f"cell {ours.id} differs after generate_assignment"
            meta = theirs["metadata"].get("nbgrader", {})
            for key, value in ours.metadata.get("nbgrader", {}).items():
                assert meta.get(key) == value, (ours.id, key)


def test_source_notebooks_hold_solutions_and_hidden_tests(course):
    for chapter in GRADED_CHAPTERS:
        stem = chapter_file(chapter).stem
        text = (course / "source" / stem / f"{stem}.ipynb").read_text()
        assert "### BEGIN SOLUTION" in text and "### BEGIN HIDDEN TESTS" in text
        assert "raise NotImplementedError()" not in text


def test_autograde_and_export(course):
    kinds = {}
    for chapter in GRADED_CHAPTERS:
        stem = chapter_file(chapter).stem
        released = learner_notebook(chapter_file(chapter))
        submissions = {"correct": solved(chapter), "wrong": with_mutant(chapter, first_mutant(chapter)),
                       "stub": released}
        for student, nb in submissions.items():
            write(nb, course / "submitted" / student / stem / f"{stem}.ipynb")
        nbgrader("autograde", stem, "--force", cwd=course)
        kinds[stem] = max_score_of(chapter)
    nbgrader("export", cwd=course)
    rows = list(csv.DictReader(open(course / "grades.csv")))
    scores = {(r["assignment"], r["student_id"]): float(r["score"]) for r in rows}
    for stem, max_score in kinds.items():
        assert scores[(stem, "correct")] == max_score
        assert scores[(stem, "stub")] == 0
        assert scores[(stem, "wrong")] < max_score


def test_feedback_hides_hidden_tests(course):
    stem = chapter_file(GRADED_CHAPTERS[0]).stem
    nbgrader("generate_feedback", stem, "--force", cwd=course)
    pages = list((course / "feedback").rglob("*.html"))
    assert pages, "generate_feedback wrote no HTML (autograde must run first)"
    for html in pages:
        text = html.read_text()
        assert "hidden=True" not in text and "BEGIN HIDDEN TESTS" not in text, html
