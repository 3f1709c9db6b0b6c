"""The Gradescope bundle, run as Gradescope runs it — without Gradescope.

`make gradescope`'s zip is unpacked into a temporary root laid out like Gradescope's container
(ROOT/source, ROOT/submission, ROOT/results/results.json; $AUTOGRADER_ROOT points there), `setup.sh` builds the
grading venv, and `run_autograder` grades each upload — as root without CAP_SYS_ADMIN (Gradescope's containers)
where this machine allows it.

What stands in for the network: setup.sh's offline switch, AUTOGRADER_OFFLINE_SITE, makes the venv reuse the
packages this machine already has (the project's site-packages, same Python version) instead of pip-installing
the pinned versions from PyPI and PyTorch's CPU index — the one step of setup.sh the tests do not run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.grading import max_score_of
from autograder.notebooks import cell_role, learner_notebook
from tests.notebook_fixtures import GRADED_CHAPTERS, chapter_file, solved, write

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
CHAPTER = GRADED_CHAPTERS[1] if len(GRADED_CHAPTERS) > 1 else GRADED_CHAPTERS[0]
AS_ROOT = os.geteuid() == 0
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def validate(results: dict, max_score: float) -> None:
    """Gradescope's results.json schema (the fields it reads), and the chapter's max_score."""
    assert isinstance(results, dict)
    assert isinstance(results["score"], (int, float)) and not isinstance(results["score"], bool)
    assert isinstance(results.get("output", ""), str)
    assert results.get("visibility", "visible") in VISIBILITY
    assert isinstance(results["tests"], list) and results["tests"]
    for t in results["tests"]:
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert 0 <= t["score"] <= t["max_score"]
        assert isinstance(t.get("output", ""), str)
        assert t.get("visibility", "visible") in VISIBILITY
        assert t.get("status", "passed") in ("passed", "failed")
    assert sum(t["max_score"] for t in results["tests"]) == max_score
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    json.dumps(results, allow_nan=False)


@pytest.fixture(scope="module")
def bundle():
    """The chapter's zip, unpacked into a Gradescope-like root, with setup.sh run (offline)."""
    out = Path(tempfile.mkdtemp(prefix="gradescope-zips-"))
    subprocess.run([sys.executable, "-m", "autograder", "gradescope", "--out", str(out), CHAPTER], check=True,
                   capture_output=True, timeout=300)
    zips = list(out.glob("*.zip"))
    assert [z.name for z in zips] == [f"{chapter_file(CHAPTER).stem}.zip"]
    root = Path(tempfile.mkdtemp(prefix="gradescope-root-"))
    os.chmod(root, 0o755)
    (root / "source").mkdir()
    with zipfile.ZipFile(zips[0]) as z:
        names = z.namelist()
        assert {"setup.sh", "run_autograder", "gradescope.json", "constraints.txt"} <= set(names)
        assert not any(n.startswith(("tests/", "_build/", "course/")) for n in names)
        z.extractall(root / "source")
        for name in ("setup.sh", "run_autograder"):
            assert (z.getinfo(name).external_attr >> 16) & 0o111, f"{name} is not executable in the zip"
    for name in ("setup.sh", "run_autograder"):
        os.chmod(root / "source" / name, 0o755)
    env = {"PATH": os.environ["PATH"], "AUTOGRADER_ROOT": str(root),
           "AUTOGRADER_OFFLINE_SITE": sysconfig.get_paths()["purelib"],
           "AUTOGRADER_PYTHON": os.path.realpath(sys.executable)}
    proc = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")  # what Gradescope does
    yield root
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)


def run_autograder(root: Path, upload: dict[str, object], **extra_env) -> tuple[dict, subprocess.CompletedProcess]:
    """Upload `upload` ({file name: notebook or bytes}), run run_autograder; -> (results.json, the process)."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, content in upload.items():
        target = root / "submission" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            write(content, target)
    command = ["bash", str(root / "run_autograder")]
    if AS_ROOT and shutil.which("setpriv"):  # Gradescope: root, but without CAP_SYS_ADMIN
        command = ["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", *command]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "AUTOGRADER_ROOT": str(root), **extra_env}
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results, max_score_of(CHAPTER))
    return results, proc


def _looping(nb, name: str):
    for cell in nb.cells:
        if cell_role(cell) == "answer" and f"def {name}(" in cell.source:
            cell.source += f"\n\n\ndef {name}(*args, **kwargs):\n    while True:\n        pass\n"
            return nb
    raise LookupError(name)


def test_a_correct_notebook_of_any_name_gets_full_marks(bundle):
    results, proc = run_autograder(bundle, {"homework (3) final.ipynb": solved(CHAPTER)})
    assert results["score"] == max_score_of(CHAPTER) and results["extra_data"]["status"] == "graded"
    hidden = [t for t in results["tests"] if t["name"].endswith("(hidden)")]
    assert hidden and all(t["visibility"] == "after_published" for t in hidden)
    assert all(t["visibility"] == "visible" for t in results["tests"] if t not in hidden)
    assert "seed" not in json.dumps(results)  # the seed goes to stdout, which only instructors see
    assert "hidden cases seed" in proc.stdout
    feedback = (bundle / "results" / "feedback.md").read_text()
    assert f"{max_score_of(CHAPTER)} / {max_score_of(CHAPTER)}" in feedback


def test_the_untouched_notebook_scores_zero_with_a_named_reason(bundle):
    results, _ = run_autograder(bundle, {"sub/dir/notebook.ipynb": learner_notebook(chapter_file(CHAPTER))})
    assert results["score"] == 0 and results["extra_data"]["status"] == "graded"
    assert all("not implemented" in t["output"].lower() or "NotImplementedError" in t["output"]
               for t in results["tests"])


@pytest.mark.parametrize("upload, status", [
    ({"notebook.ipynb": b'{"cells": ['}, "invalid-notebook"),
    ({"notebook.ipynb": b""}, "invalid-notebook"),
    ({"answers.py": b"print('hello')"}, "missing"),
    ({}, "missing"),
])
def test_a_broken_upload_is_named_and_keeps_the_chapters_max_score(bundle, upload, status):
    results, _ = run_autograder(bundle, upload)
    assert results["score"] == 0 and results["extra_data"]["status"] == status
    assert f"Not graded ({status})" in results["output"]


def test_an_endless_loop_costs_only_its_exercise(bundle):
    from autograder.engine import exercises_of

    looping = exercises_of(CHAPTER)[-1].name  # the last exercise: no other one calls it
    results, _ = run_autograder(bundle, {"nb.ipynb": _looping(solved(CHAPTER), looping)},
                                AUTOGRADER_EXERCISE_TIMEOUT="3")
    assert results["extra_data"]["status"] == "graded"
    for t in results["tests"]:
        if t["name"].replace(" (hidden)", "") == looping:
            assert t["score"] == 0 and "time budget" in t["output"] and looping in t["output"], t
        else:
            assert t["score"] == t["max_score"], t
    assert looping in results["output"]


def test_a_grader_that_cannot_start_still_writes_results(bundle):
    venv = bundle / "venv"
    moved = bundle / "venv-away"
    venv.rename(moved)
    try:
        results, _ = run_autograder(bundle, {"nb.ipynb": solved(CHAPTER)})
    finally:
        moved.rename(venv)
    assert results["score"] == 0 and results["extra_data"]["status"] == "crashed"
    assert "could not start" in results["output"]


def test_the_bundle_has_no_answers_visible_to_the_sandbox(bundle):
    """The zip carries the reference (the grader needs it), but the graded code never sees it: the notebook runs in
    the same sandbox as everywhere else. A notebook that looks for it gets nothing."""
    nb = solved(CHAPTER)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import os\nraise RuntimeError('SEES=' + str(os.path.exists(" + repr(str(bundle / "source")) + ")))"))
    results, _ = run_autograder(bundle, {"nb.ipynb": nb})
    assert "SEES=False" in results["output"] and results["score"] == max_score_of(CHAPTER)
