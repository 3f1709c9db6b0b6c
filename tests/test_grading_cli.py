"""`python -m autograder check`: stub 0, reference full marks, a mutant caught with its hint, bad input reported."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading import grade_notebook, max_score_of
from autograder.notebooks import learner_notebook
from tests.notebook_fixtures import GRADED_CHAPTERS, chapter_file, first_mutant, solved, with_mutant, write

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("chapter", GRADED_CHAPTERS)
def test_stub_scores_zero_with_a_not_implemented_hint(chapter, tmp_path):
    result = grade_notebook(write(learner_notebook(chapter_file(chapter)), tmp_path / "stub.ipynb"), seed=3)
    assert result["status"] == "graded"
    assert result["score"] == 0 and result["max_score"] == max_score_of(chapter) > 0
    assert all(t["status"] == "failed" and "not implemented yet" in t["output"] for t in result["tests"])


@pytest.mark.parametrize("chapter", GRADED_CHAPTERS)
def test_reference_scores_full_marks(chapter, tmp_path):
    result = grade_notebook(write(solved(chapter), tmp_path / "solved.ipynb"), seed=3)
    assert result["status"] == "graded", result["output"]
    assert result["score"] == result["max_score"], json.dumps(result, indent=1)


@pytest.mark.parametrize("chapter", GRADED_CHAPTERS)
def test_mutant_notebook_loses_the_points_with_its_hint(chapter, tmp_path):
    mutant = first_mutant(chapter)
    result = grade_notebook(write(with_mutant(chapter, mutant), tmp_path / "wrong.ipynb"), seed=3)
    failed = [t for t in result["tests"] if t["status"] == "failed"]
    assert {t["name"] for t in failed} == {mutant.exercise, f"{mutant.exercise} (hidden)"}
    assert all(t["mistake"] == mutant.mistake for t in failed), failed
    assert 0 < result["score"] < result["max_score"] or len(result["tests"]) == 2


def test_check_json_is_gradescope_shaped_and_works_from_any_directory(tmp_path):
    chapter = GRADED_CHAPTERS[0]
    proc = cli("check", chapter_file(chapter), "--json", "--seed", "7", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert {"score", "max_score", "tests", "status", "output", "seed"} <= set(result)
    assert result["seed"] == 7
    for test in result["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "mistake"}
        assert test["status"] in ("passed", "failed")
    names = [t["name"] for t in result["tests"]]
    assert all(f"{n} (hidden)" in names for n in names if not n.endswith("(hidden)"))


def test_check_prints_a_readable_report(tmp_path):
    chapter = GRADED_CHAPTERS[0]
    proc = cli("check", write(solved(chapter), tmp_path / "mine.ipynb"))
    assert proc.returncode == 0, proc.stderr
    assert "✓ passed" in proc.stdout and "score" in proc.stdout


@pytest.mark.parametrize("content, needle", [
    ('{"cells": [', "not a Jupyter notebook"),
    ("", "empty"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": "oops"}', "not a Jupyter notebook"),
])
def test_a_broken_notebook_is_reported_not_scored(tmp_path, content, needle):
    bad = tmp_path / "02_layer_norm.ipynb"
    bad.write_text(content)
    proc = cli("check", bad, "--json")
    assert proc.returncode == 2
    result = json.loads(proc.stdout)
    assert result["status"] == "invalid-notebook" and needle in result["output"]


def test_a_missing_notebook_is_reported(tmp_path):
    result = grade_notebook(tmp_path / "nothing.ipynb")
    assert result["status"] == "missing"
