"""`python -m autograder check`: stub 0, reference full marks, a mutant caught with its hint, bad input reported."""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder import batch, class_report, nbgrader_ext, sandbox
from autograder.feedback import feedback_markdown
from autograder.gradescope import to_gradescope
from autograder.grading import grade_file, grade_notebook, max_score_of
from autograder.notebooks import learner_notebook
from autograder.results import NotebookResult, Status, Submitted, TestResult
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


# ------------------------------------------------------------------------------------------------------------
# One list of statuses: the grader, the nbgrader export and the CSVs speak the same words
# ------------------------------------------------------------------------------------------------------------
STATUSES = {s.value for s in Status}
NOT_GRADED = [s for s in Status if s is not Status.GRADED]


def _graded(chapter: str) -> NotebookResult:
    return NotebookResult(Status.GRADED, chapter, score=1, max_score=max_score_of(chapter), seed=3,
                          tests=[TestResult("f", 1, 2, passed=False, output="r", mistake="m")])


def test_the_grader_writes_only_listed_statuses(tmp_path):
    stops = ("timeout", "memory", "invalid: a message out of order", "exit code 137")
    assert {sandbox._failure(stop, sandbox.Limits())[0] for stop in stops} <= STATUSES
    raised = set(re.findall(r'SandboxError\(\s*"([^"]+)"', Path(sandbox.__file__).read_text()))
    assert raised and raised <= STATUSES
    bad = tmp_path / "02_layer_norm.ipynb"
    bad.write_text("")
    missing, invalid = grade_file(tmp_path / "nothing.ipynb"), grade_file(bad)
    assert (missing.status, invalid.status) == (Status.MISSING, Status.INVALID_NOTEBOOK)
    assert set(grade_notebook(bad)) == set(invalid.to_json())  # grade_notebook: grade_file's results.json
    with pytest.raises(ValueError):
        NotebookResult.not_graded(Status.GRADED, "why", GRADED_CHAPTERS[0])
    for status in NOT_GRADED:
        result = NotebookResult.not_graded(status, "why", GRADED_CHAPTERS[0], seed=5)
        data = to_gradescope(result)
        assert data["extra_data"]["status"] == status.value
        assert data["tests"] and {t["status"] for t in data["tests"]} == {"failed"}
        assert sum(t["max_score"] for t in data["tests"]) == max_score_of(GRADED_CHAPTERS[0])
        assert result.output == f"Not graded ({status.value}): why"
        assert NotebookResult.from_json(result.to_json()) == result
        assert "Score: 0 /" in feedback_markdown(result)


def test_results_json_round_trips_and_rejects_unknown_statuses():
    result = NotebookResult(Status.GRADED, "02", score=1.5, max_score=3, seed=7, execution_time=0.5,
                            tests=[TestResult("f", 1.5, 2, passed=False, output="r", mistake="m"),
                                   TestResult("f (hidden)", 0, 1, passed=True)],
                            submitted=Submitted("ada", "02.ipynb", "abc", "yes", True, 1.0, 0.3, 1.2, "2026"))
    data = json.loads(json.dumps(result.to_json()))
    assert list(data) == ["status", "chapter", "score", "max_score", "seed", "execution_time", "tests", "output",
                          "learner", "submission", "sha256", "roster", "late", "days_late", "penalty",
                          "final_score", "submitted_at"]
    assert data["tests"][0] == {"name": "f", "score": 1.5, "max_score": 2, "status": "failed", "output": "r",
                                "mistake": "m"}
    assert NotebookResult.from_json(data) == result and result.final_score == 1.2
    assert "seed" not in result.to_json(with_seed=False)
    assert NotebookResult.from_json({**data, "seed": None}).seed is None
    for bad in ({**data, "status": "done"}, {**data, "status": None}, [data], "graded"):
        with pytest.raises(ValueError):
            NotebookResult.from_json(bad)


def test_the_csvs_and_the_class_report_write_only_listed_statuses(tmp_path):
    chapter = GRADED_CHAPTERS[0]
    for status in Status:
        result = _graded(chapter) if status is Status.GRADED else NotebookResult.not_graded(status, "why", chapter)
        result.submitted = Submitted(f"learner-{status.value}")
        batch._write_result(tmp_path, f"learner-{status.value}", chapter, result)
    (tmp_path / "unreadable" / chapter).mkdir(parents=True)
    (tmp_path / "unreadable" / chapter / "results.json").write_text("{")
    (tmp_path / "odd" / chapter).mkdir(parents=True)
    (tmp_path / "odd" / chapter / "results.json").write_text(json.dumps({"status": "done", "score": 3}))
    with open(batch.write_csv(tmp_path), newline="") as f:
        rows = {r["learner"]: r for r in csv.DictReader(f)}
    assert {r["status"] for r in rows.values()} == STATUSES
    assert rows["unreadable"]["status"] == rows["odd"]["status"] == "crashed" and rows["odd"]["score"] == "0"
    assert rows["learner-timeout"]["message"] == "Not graded (timeout): why" and rows["learner-graded"]["message"] == ""
    class_report.write_report(tmp_path)
    line = next(x for x in (tmp_path / "report.md").read_text().splitlines() if x.startswith("**Statuses:**"))
    counted = dict(item.rsplit(" ", 1) for item in line.removeprefix("**Statuses:** ").split(", "))
    assert set(counted) == STATUSES and counted["crashed"] == "3"


def test_the_nbgrader_export_writes_only_listed_statuses(tmp_path):
    def notebook(name, metadata=None, outputs=()):
        path = tmp_path / "autograded" / name / "a" / "a.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"metadata": metadata or {}, "cells": [{"outputs": list(outputs)}]}))
        return path

    paths = [notebook(f"record-{s.value}", {"autograder": {"status": s.value, "message": "m"}}) for s in Status]
    paths += [notebook("unknown-record", {"autograder": {"status": "done"}}),
              notebook("timed-out", outputs=[{"output_type": "error", "ename": nbgrader_ext.NOTEBOOK_TIME_LIMIT}]),
              notebook("dead", outputs=[{"output_type": "error", "ename": "DeadKernelError"}]),
              notebook("plain")]
    (tmp_path / "autograded" / "broken").mkdir()
    (tmp_path / "autograded" / "broken" / "x.ipynb").write_text("{")
    paths.append(tmp_path / "autograded" / "broken" / "x.ipynb")
    found = [nbgrader_ext.notebook_status(p) for p in paths]
    assert all(isinstance(status, Status) for status, _ in found)
    assert [s for s, _ in found[:len(Status)]] == list(Status)
    assert [s for s, _ in found[len(Status):]] == [Status.CRASHED, Status.TIMEOUT, Status.CRASHED, Status.GRADED,
                                                   Status.CRASHED]

    class Gradebook:
        def find_submission(self, assignment, student):
            if student == "nobody":
                raise nbgrader_ext.MissingEntry()
            return SimpleNamespace(late_submission_penalty=0.0, timestamp="", score=1.0)

    plugin = nbgrader_ext.StatusCsvExportPlugin()
    assignment = SimpleNamespace(name="a", duedate=None, max_score=2.0)
    students = ["nobody", "never-autograded", "timed-out", "plain"] + [f"record-{s.value}" for s in Status]
    rows = {sid: plugin._row(Gradebook(), assignment, SimpleNamespace(id=sid, last_name="", first_name="",
                                                                       email=""), tmp_path) for sid in students}
    assert {row["status"] for row in rows.values()} <= STATUSES
    assert (rows["nobody"]["status"], rows["never-autograded"]["status"]) == ("missing", "not-run")
    assert (rows["timed-out"]["status"], rows["plain"]["status"]) == ("timeout", "graded")
    assert set(plugin.FIELDS) == set(rows["plain"])


def test_the_guide_lists_the_statuses_with_their_meanings():
    guide = (ROOT / "guide" / "instructors.md").read_text()
    table = guide[guide.index("(statuses)=") :].split("\n\n")[0]
    rows = re.findall(r"^\| `([a-z-]+)` \| (.+) \|$", table, flags=re.M)
    assert rows[1:] == [(s.value, s.meaning) for s in Status]  # below the header `status` | meaning


def _nb_with(cell: dict) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}


@pytest.mark.parametrize("cell, says", [
    ({"cell_type": "code", "metadata": {"tags": 5}, "source": "x = 1"}, "tags are not a list of strings"),
    ({"cell_type": "code", "metadata": [], "source": "x = 1"}, "metadata is not a JSON object"),
    ({"cell_type": [], "metadata": {}, "source": "x = 1"}, "has no cell_type"),
    ({"cell_type": "code", "metadata": {}, "source": {"a": 1}}, "source is not text"),
    ("a string, not a cell", "not a JSON object"),
], ids=["tags", "metadata", "cell_type", "source", "cell"])
def test_a_malformed_cell_is_an_invalid_notebook_that_says_which(cell, says, tmp_path):
    path = tmp_path / "02_layer_norm.ipynb"
    path.write_text(json.dumps(_nb_with(cell)))
    result = grade_notebook(path, seed=1)
    assert result["status"] == "invalid-notebook"
    assert "cell 1" in result["output"] and says in result["output"]
