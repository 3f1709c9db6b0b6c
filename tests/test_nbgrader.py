"""nbgrader end to end on the generated course: generate_assignment gives back the chapters' stubs; autograde
scores the reference full marks, a mutant less, the stub 0; export writes those scores; feedback hides hidden tests."""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.course import write_course
from autograder.grading import max_score_of
from autograder.notebooks import learner_notebook
from tests.notebook_fixtures import GRADED_CHAPTERS, chapter_file, first_mutant, solved, with_mutant, write

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def nbgrader(*args, cwd, ok=True, **env):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env}
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)
    if ok:
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


def _without_check_cells(nb):
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    return nb


def _with_cell(nb, source, after_answers=True):
    answers = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")]
    nb.cells.insert(answers[-1] + 1 if after_answers else answers[0], nbformat.v4.new_code_cell(source))
    return nb


def _warning_inside(nb):
    """A correct answer whose function warns each time it is called (the warning must not cost points)."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):  # at the marker's own indent (methods are deeper)
            cell.source = re.sub(
                r"^( *)### BEGIN SOLUTION$", lambda m: f"{m[0]}\n{m[1]}import warnings\n"
                f"{m[1]}warnings.warn('a warning from the learner', RuntimeWarning)", cell.source, count=1, flags=re.M)
    return nb


def test_autograde_and_export(course):
    expected = {}  # (assignment, student) -> (score, status)
    for chapter in GRADED_CHAPTERS:
        stem = chapter_file(chapter).stem
        max_score = float(max_score_of(chapter))
        submissions = {"correct": (solved(chapter), max_score), "stub": (learner_notebook(chapter_file(chapter)), 0),
                       "wrong": (with_mutant(chapter, first_mutant(chapter)), None)}
        if chapter == GRADED_CHAPTERS[0]:  # broken and awkward submissions, on one chapter
            noisy = _with_cell(solved(chapter), "import sys\nprint('to stderr', file=sys.stderr)", False)
            submissions.update(no_checks=(_without_check_cells(solved(chapter)), max_score),
                               noisy=(_warning_inside(noisy), max_score))
        for student, (nb, score) in submissions.items():
            write(nb, course / "submitted" / student / stem / f"{stem}.ipynb")
            expected[(stem, student)] = (score, "graded")
        proc = nbgrader("autograde", stem, "--force", cwd=course)
        # no false alarm for the hidden check cells, whose released version lacks the hidden tests by design
        assert "Attribute 'checksum'" not in proc.stdout + proc.stderr, proc.stderr[-2000:]
    stem = chapter_file(GRADED_CHAPTERS[0]).stem
    broken = course / "submitted" / "broken" / stem / f"{stem}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')
    assert nbgrader("autograde", stem, "--student", "broken", cwd=course, ok=False).returncode != 0
    expected[(stem, "broken")] = (0, "not-run")
    # the slow cell comes before the first answer, so every check cell (of every exercise) is past the time limit
    write(_with_cell(solved(GRADED_CHAPTERS[0]), "import time\ntime.sleep(25)", after_answers=False),
          course / "submitted" / "slow" / stem / f"{stem}.ipynb")
    nbgrader("autograde", stem, "--student", "slow", cwd=course, AUTOGRADER_NOTEBOOK_TIMEOUT="20")
    expected[(stem, "slow")] = (0, "timeout")

    nbgrader("export", cwd=course)
    rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(open(course / "grades.csv"))}
    for key, (score, status) in expected.items():
        row = rows[key]
        assert row["status"] == status, (key, row)
        if score is None:  # the mutant loses its exercise's points
            assert float(row["score"]) < float(row["max_score"]), (key, row)
        else:
            assert float(row["score"]) == score, (key, row)


def test_feedback_hides_hidden_tests(course):
    stem = chapter_file(GRADED_CHAPTERS[0]).stem
    proc = nbgrader("generate_feedback", stem, "--force", cwd=course)
    assert "display_data_priority" not in proc.stdout + proc.stderr
    pages = list((course / "feedback").rglob("*.html"))
    assert pages, "generate_feedback wrote no HTML (autograde must run first)"
    mathjax = (course / "templates" / "course_feedback" / "tex-svg.js").is_file()
    for html in pages:
        text = html.read_text()
        assert "hidden=True" not in text and "BEGIN HIDDEN TESTS" not in text, html
        # each check named after its exercise; the maths typeset by a MathJax inside the page, never a CDN's
        assert "check of <code>" in text and ">Test cell<" not in text, html
        assert "cdnjs.cloudflare.com" not in text, html
        assert ("window.MathJax" in text) == mathjax, html


HOSTILE_CHAPTER = "02"


def _autograded(course, student, stem):
    return json.loads((course / "autograded" / student / stem / f"{stem}.ipynb").read_text())


def test_hostile_submissions_earn_nothing_and_change_nothing(course):
    """Issue 12 on nbgrader's path: autograde takes every grade cell's outcome from the sandboxed engine."""
    from nbgrader.api import Gradebook

    stem = chapter_file(HOSTILE_CHAPTER).stem
    root = Path(__file__).resolve().parent.parent
    planted = [root / "autograder" / "exercises" / "ch99_planted.py", course / "autograder" / "__init__.py"]
    stub = learner_notebook(chapter_file(HOSTILE_CHAPTER))
    wrong = with_mutant(HOSTILE_CHAPTER, first_mutant(HOSTILE_CHAPTER))
    vandal = (
        "import sqlite3, os\n"
        "try:\n"
        f"    db = sqlite3.connect({str(course / 'gradebook.db')!r})\n"
        "    db.execute('update grade set manual_score = 0')\n"
        "    db.commit()\n"
        "except Exception:\n"
        "    pass\n"
        f"for path in {[str(p) for p in planted]!r}:\n"
        "    try:\n"
        "        os.makedirs(os.path.dirname(path), exist_ok=True)\n"
        "        open(path, 'w').write('raise SystemExit(\"planted\")')\n"
        "    except OSError:\n"
        "        pass")
    submissions = {
        "h_honest": (solved(HOSTILE_CHAPTER), "full"),
        "h_redefines_check": (_with_cell(copy_nb(wrong), "def check(*args, **kwargs):\n    print('✓ passed')"),
                              "less"),
        "h_imports_reference": (_with_cell(copy_nb(stub), "from solutions import layer_norm"), "zero"),
        "h_monkeypatches": (_with_cell(copy_nb(wrong), "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                                       "import autograder\nautograder.check = lambda *a, **k: None"), "less"),
        "h_sidecar": (copy_nb(stub), "zero"),
        "h_vandal": (_with_cell(solved(HOSTILE_CHAPTER), vandal), "full"),
    }
    for student, (nb, _) in submissions.items():
        write(nb, course / "submitted" / student / stem / f"{stem}.ipynb")
    sidecar = course / "submitted" / "h_sidecar" / stem / "autograder"
    sidecar.mkdir()
    (sidecar / "__init__.py").write_text("def check(*args, **kwargs):\n    print('✓ passed')\n")
    nbgrader("autograde", stem, "--force", "--student=h_*", cwd=course)
    max_score = float(max_score_of(HOSTILE_CHAPTER))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission_notebook(stem, stem, s).score for s in submissions}
    for student, (_, expected) in submissions.items():
        score = scores[student]
        if expected == "full":
            assert score == max_score, (student, score)
        elif expected == "zero":
            assert score == 0, (student, score)
        else:
            assert score < max_score, (student, score)
    for path in planted:
        assert not path.exists(), path
    record = _autograded(course, "h_honest", stem)["metadata"]["autograder"]
    assert record["status"] == "graded" and isinstance(record["seed"], int)

    nbgrader("generate_feedback", stem, "--force", "--student=h_*", cwd=course)
    pages = list((course / "feedback").glob(f"h_*/{stem}/*.html"))
    assert len(pages) == len(submissions)
    for html in pages:
        text = html.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text, html
        if "h_vandal" not in html.parts:  # (the vandal's own code names the gradebook's path)
            assert str(course) not in text and str(root) not in text, html


def copy_nb(nb):
    import copy

    return copy.deepcopy(nb)
