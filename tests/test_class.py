"""Teaching a real class with `python -m autograder grade`: LMS intake, roster, due dates, safe resume, feedback
files and the class report."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from autograder import batch, intake
from autograder.batch import grade_all
from autograder.class_report import hints_of, write_report
from autograder.engine import exercises_of
from autograder.grading import max_score_of
from autograder.notebooks import learner_notebook
from tests.notebook_fixtures import chapter_file, first_mutant, solved, with_mutant, write

CHAPTER = "02"
STEM = chapter_file(CHAPTER).stem
NB = f"{STEM}.ipynb"


# ------------------------------------------------------------------------------------------------------------
# Intake: file names of Canvas and Moodle, nbgrader's layout, one learner alone
# ------------------------------------------------------------------------------------------------------------
def test_lms_file_names():
    assert intake.lms_name(f"lovelaceada_12_345_{NB}") == ("12", NB, False, 0)
    assert intake.lms_name(f"babbageben_LATE_13_346_{STEM}-2.ipynb") == ("13", NB, True, 2)
    assert intake.lms_name(f"Ada Lovelace_4711_assignsubmission_file_{NB}") == ("4711", NB, False, 0)
    assert intake.lms_name(NB) == (None, NB, False, 0)
    assert intake.lms_name("ada.ipynb") == (None, "ada.ipynb", False, 0)


def _touch(path: Path, content: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def test_discover_canvas_moodle_and_nbgrader(tmp_path):
    canvas = tmp_path / "canvas"
    _touch(canvas / f"lovelaceada_12_345_{NB}")
    _touch(canvas / f"babbageben_LATE_13_346_{NB}")
    _touch(canvas / f"babbageben_LATE_13_347_{STEM}-1.ipynb")  # the resubmission wins
    subs = {s.learner: s for s in batch.discover(canvas, CHAPTER)}
    assert set(subs) == {"12", "13"} and subs["13"].late_marker and not subs["12"].late_marker
    assert subs["13"].path.name.endswith("-1.ipynb")

    moodle = tmp_path / "moodle"
    _touch(moodle / f"Ada Lovelace_4711_assignsubmission_file_{NB}")
    _touch(moodle / "Ben Babbage_4712_assignsubmission_file_" / NB)
    assert {s.learner for s in batch.discover(moodle, CHAPTER)} == {"4711", "4712"}

    course = tmp_path / "course"
    _touch(course / "submitted" / "ada" / STEM / NB)
    _touch(course / "submitted" / "ada" / STEM / "timestamp.txt", "2026-11-29 23:40:02.123456 UTC")
    (sub,) = batch.discover(course, CHAPTER)
    assert sub.learner == "ada" and sub.submitted_at == datetime(2026, 11, 29, 23, 40, 2, 123456, tzinfo=UTC)


def test_one_learner_alone_folder_or_file(tmp_path):
    course = tmp_path / "course"
    _touch(course / "submitted" / "ada" / STEM / NB)
    _touch(course / "submitted" / "ben" / STEM / NB)
    for root in (course, course / "submitted", course / "submitted" / "ada"):
        subs = batch.discover(root, CHAPTER, learner="ada")
        assert [(s.learner, s.path.parent.name) for s in subs] == [("ada", STEM)], root
    subs = batch.discover(course / "submitted" / "ada", learner="ada")  # its chapter folders are not learners
    assert [s.learner for s in subs] == ["ada"]
    (sub,) = batch.discover(course / "submitted" / "ben" / STEM / NB, learner="ben")
    assert sub.learner == "ben" and sub.path.name == NB


def test_roster_formats(tmp_path):
    canvas = _touch(tmp_path / "canvas.csv", "Student,ID,SIS User ID,Section\n    Points Possible,,,\n"
                                             "Ada,12,a1,S\nBen,13,b2,S\n")
    assert intake.read_roster(canvas) == ["12", "13"]
    plain = _touch(tmp_path / "plain.csv", "ada\nben\n\nada\n")
    assert intake.read_roster(plain) == ["ada", "ben"]
    named = _touch(tmp_path / "named.csv", "name,learner\nAda,ada\nBen,ben\n")
    assert intake.read_roster(named) == ["ada", "ben"]


def test_late_rule():
    due = intake.parse_time("2026-12-01T23:59")
    on_time = intake.Submission("a", CHAPTER, Path("x"), submitted_at=intake.parse_time("2026-12-01T23:00Z"))
    two_hours = intake.Submission("a", CHAPTER, Path("x"), submitted_at=intake.parse_time("2026-12-02T01:59Z"))
    marked = intake.Submission("a", CHAPTER, Path("x"), late_marker=True)
    unknown = intake.Submission("a", CHAPTER, Path("x"))
    assert intake.lateness(on_time, due) == (False, 0.0)
    late, days = intake.lateness(two_hours, due)
    assert late and days == pytest.approx(2 / 24)
    assert intake.lateness(marked, due) == (True, 1.0) and intake.lateness(unknown, due) == (None, 0.0)
    assert intake.penalty(3, 3, 2 / 24, 0.1) == pytest.approx(0.3)  # a started day
    assert intake.penalty(3, 3, 25 / 24, 0.1) == pytest.approx(0.6)
    assert intake.penalty(0.2, 3, 5, 0.1) == 0.2  # never below 0
    assert intake.penalty(3, 3, 5, 0.0) == 0.0


# ------------------------------------------------------------------------------------------------------------
# A small class end to end: roster, due date, penalty, feedback, report, resume
# ------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs = root / "submitted"
    write(solved(CHAPTER), subs / "ada" / STEM / NB)
    _touch(subs / "ada" / STEM / "timestamp.txt", "2026-12-01 20:00:00 UTC")
    write(with_mutant(CHAPTER, first_mutant(CHAPTER)), subs / "ben" / STEM / NB)
    _touch(subs / "ben" / STEM / "timestamp.txt", "2026-12-01 22:00:00 UTC")
    write(solved(CHAPTER), subs / "cy" / STEM / NB)
    _touch(subs / "cy" / STEM / "timestamp.txt", "2026-12-03 10:00:00 UTC")  # 34 h late: two started days
    write(learner_notebook(chapter_file(CHAPTER)), subs / "stranger" / STEM / NB)
    roster = _touch(root / "roster.csv", "learner\nada\nben\ncy\ndora\n")
    out = root / "results"
    policy = batch.Policy(due=intake.parse_time("2026-12-02T00:00Z"), late_penalty=0.1)
    assert grade_all(root, out, chapter=CHAPTER, seed=7, quiet=True, roster=roster, policy=policy) == 0
    rows = {r["learner"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    return {"root": root, "out": out, "rows": rows, "roster": roster, "policy": policy}


def test_roster_missing_and_unknown(graded_class):
    rows = graded_class["rows"]
    assert set(rows) == {"ada", "ben", "cy", "dora", "stranger"}
    assert rows["dora"]["status"] == "missing" and rows["dora"]["roster"] == "yes"
    assert rows["stranger"]["roster"] == "unknown" and rows["stranger"]["status"] == "graded"


def test_due_date_late_column_and_penalty(graded_class):
    rows, full = graded_class["rows"], max_score_of(CHAPTER)
    assert rows["ada"]["late"] == "no" and float(rows["ada"]["final_score"]) == full
    cy = rows["cy"]
    assert cy["late"] == "yes" and float(cy["score"]) == full
    assert float(cy["penalty"]) == pytest.approx(0.2 * full) and float(cy["final_score"]) == pytest.approx(0.8 * full)
    assert cy["submitted_at"].startswith("2026-12-03T10:00")


def test_feedback_file_per_learner(graded_class):
    out = graded_class["out"]
    ben = (out / "ben" / CHAPTER / "feedback.md").read_text()
    name = exercises_of(CHAPTER)[0].name
    assert f"## {name}:" in ben and "hint:" in ben and "seed" not in ben.lower()
    assert "Handed in late" in (out / "cy" / CHAPTER / "feedback.md").read_text()
    assert "no submission" in (out / "dora" / CHAPTER / "feedback.md").read_text()


def test_class_report_and_lms_csvs(graded_class):
    out = graded_class["out"]
    written = write_report(out)
    assert {p.name for p in written} == {"report.md", "report.html", "canvas-grades.csv", "moodle-grades.csv"}
    md = (out / "report.md").read_text()
    mutant = first_mutant(CHAPTER)
    assert "graded 4" in md and "missing 1" in md and "What to re-teach" in md
    assert f"`{mutant.mistake}`" in md
    html = (out / "report.html").read_text()
    assert "<svg" in html and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    canvas = list(csv.reader(open(out / "canvas-grades.csv")))
    assert canvas[0][:2] == ["Student", "ID"] and canvas[0][5] == STEM and canvas[1][0] == "Points Possible"
    finals = {r[1]: float(r[5]) for r in canvas[2:]}
    assert finals["cy"] == pytest.approx(0.8 * max_score_of(CHAPTER)) and finals["dora"] == 0
    moodle = list(csv.reader(open(out / "moodle-grades.csv")))
    assert moodle[0] == ["ID number", STEM] and len(moodle) == 6


def test_resume_is_keyed_on_file_seed_and_grader_version(graded_class, monkeypatch):
    root, out = graded_class["root"], graded_class["out"]
    kwargs = dict(chapter=CHAPTER, seed=7, quiet=True, roster=graded_class["roster"], policy=graded_class["policy"])
    graded = [p for p in out.glob("*/*/results.json") if json.loads(p.read_text())["status"] == "graded"]

    def times():
        return {p: json.loads(p.read_text())["execution_time"] for p in graded}

    before = times()
    assert grade_all(root, out, **kwargs) == 0
    assert times() == before  # same file, seed and grader: kept
    records = [json.loads(p.read_text()) for p in (out / ".autograder" / "records").glob("*/*.json")]
    assert {r["grader"] for r in records} == {batch.grader_version(CHAPTER)}
    assert batch.grader_version(CHAPTER) != batch.grader_version("01")  # a chapter's own checks and reference
    # a fixed check (a new hash of the checks' code) regrades without --regrade
    monkeypatch.setattr(batch, "grader_version", lambda chapter=None: "a-fixed-check")
    assert grade_all(root, out, **kwargs) == 0
    after = times()
    assert all(after[p] != before[p] for p in graded)
    records = [json.loads(p.read_text()) for p in (out / ".autograder" / "records").glob("*/*.json")]
    assert {r["grader"] for r in records} == {"a-fixed-check"}


# ------------------------------------------------------------------------------------------------------------
# The report at class size, and --help
# ------------------------------------------------------------------------------------------------------------
def test_class_report_on_200_results_is_fast(tmp_path):
    rng = random.Random(0)
    exercises = exercises_of("05") or exercises_of(CHAPTER)
    chapter = "05" if exercises_of("05") else CHAPTER
    mistakes = {e.name: [m.id for m in e.mistakes] for e in exercises}
    statuses = ["graded"] * 185 + ["timeout"] * 5 + ["invalid-notebook"] * 4 + ["missing"] * 6
    for i, status in enumerate(statuses):
        tests, score = [], 0.0
        if status == "graded":
            for e in exercises:
                for hidden, points in ((False, e.points), (True, e.hidden_points)):
                    ok = rng.random() < 0.7
                    got = points if ok else round(points * rng.random(), 2)
                    score += got
                    wrong = mistakes[e.name] and not ok
                    tests.append({"name": e.name + (" (hidden)" if hidden else ""), "score": got,
                                  "max_score": points, "status": "passed" if ok else "failed", "output": "...",
                                  "mistake": rng.choice(mistakes[e.name]) if wrong else ""})
        result = {"status": status, "chapter": chapter, "score": round(score, 4), "max_score": max_score_of(chapter),
                  "tests": tests, "output": "", "learner": f"learner{i:03d}"}
        _touch(tmp_path / f"learner{i:03d}" / chapter / "results.json", json.dumps(result))
    start = time.monotonic()
    write_report(tmp_path)
    seconds = time.monotonic() - start
    md = (tmp_path / "report.md").read_text()
    assert "graded 185" in md and "missing 6" in md and "timeout 5" in md
    hints = hints_of(chapter)
    assert any(f"`{m}`" in md and hints[m][:30] in md for ids in mistakes.values() for m in ids if m in hints)
    assert seconds < 10, seconds
    print(f"class report on 200 results: {seconds:.2f} s")


def test_help_shows_the_defaults():
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "--help"], capture_output=True, text=True,
                          timeout=60)
    text = " ".join(proc.stdout.split())
    for default in ("(default: 600.0)", "(default: 120.0)", "(default: 60.0)", "(default: 4096)",
                    "(default: 0.0)", "number of cores"):
        assert default in text, default


def test_make_notebooks_carries_nbgraders_locks(tmp_path):
    """The learner notebook of `make notebooks` has the release's locks: check cells and read-only cells neither
    editable nor deletable, answer cells not deletable (nbgrader's LockCells)."""
    subprocess.run([sys.executable, "-m", "autograder", "notebooks", "--out", str(tmp_path)], check=True,
                   capture_output=True, timeout=300)
    nb = json.loads((tmp_path / NB).read_text())
    checks = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    assert checks and answers
    assert all(c["metadata"].get("editable") is False and c["metadata"].get("deletable") is False for c in checks)
    assert all(c["metadata"].get("deletable") is False for c in answers)
