"""Broken and hostile submissions, graded in one batch by `python -m autograder grade`: each gets the status it
deserves, the batch carries on, and nothing outside a submission's scratch directory changes."""

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder.batch import grade_all
from autograder.sandbox import Limits
from tests.notebook_fixtures import chapter_file, first_mutant, solved, with_mutant, write

CHAPTER = "02"
ROOT = Path(__file__).resolve().parent.parent
AS_ROOT = os.geteuid() == 0
FIRST_UID = 100000  # the sandbox's users are 100000..159999
NB_NAME = chapter_file(CHAPTER).stem + ".ipynb"


def with_cell(source: str, nb=None, before_answers: bool = False):
    """The solved notebook (or `nb`) with one extra code cell after the answer cells (or before them)."""
    nb = nb or solved(CHAPTER)
    answers = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")]
    nb.cells.insert(answers[0] if before_answers else answers[-1] + 1, nbformat.v4.new_code_cell(source))
    return nb


def wrong():
    return with_mutant(CHAPTER, first_mutant(CHAPTER))


@pytest.fixture(scope="module")
def canary(tmp_path_factory):
    """Files a hostile notebook will try to delete or rewrite."""
    d = tmp_path_factory.mktemp("canary")
    (d / "keep.txt").write_text("precious")
    (d / "sub").mkdir()
    (d / "sub" / "also.txt").write_text("precious too")
    return d


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


SUBMISSIONS = {
    # learner: (notebook factory, expected status, expected score: "full", "zero" or None)
    "honest": (lambda c: solved(CHAPTER), "graded", "full"),
    "infinite_loop": (lambda c: with_cell("while True:\n    pass"), "timeout", "zero"),
    "ignores_sigint": (lambda c: with_cell(
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "while True:\n    pass"), "timeout", "zero"),
    "allocates_30gb": (lambda c: with_cell("import numpy as np\nhog = np.ones(30 * 1024**3 // 8)"), "memory", "zero"),
    "fork_bomb": (lambda c: with_cell(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"), "timeout", "zero"),
    "vandal": (lambda c: with_cell(
        "import os, shutil\n"
        f"shutil.rmtree({str(c)!r}, ignore_errors=True)\n"
        f"for target in [{str(c / 'keep.txt')!r}, {str(ROOT / 'README.md')!r}, '/tmp/hostile-was-here',\n"
        f"               os.path.expanduser('~/hostile-was-here'), {str(c.parent / 'hostile-was-here')!r}]:\n"
        "    try:\n"
        "        open(target, 'w').write('pwned')\n"
        "    except OSError:\n"
        "        pass"), "graded", "full"),
    "patches_numpy": (lambda c: with_cell(
        "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None", wrong()), "graded", "zero"),
    "patches_builtins": (lambda c: with_cell(
        "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 0", wrong()),
        None, "zero"),
    "patches_autograder": (lambda c: with_cell(
        "import autograder, autograder.engine as engine\n"
        "engine.judge = lambda *a, **k: None\nengine.compare_values = lambda *a, **k: None\n"
        "autograder.check = lambda *a, **k: None", wrong()), "graded", "zero"),
    "copies_reference": (lambda c: with_cell("from solutions import layer_norm"), "graded", "zero"),
    "wraps_reference": (lambda c: with_cell(
        "import solutions as s\n\ndef layer_norm(x, g, b, eps=1e-5):\n    return s.layer_norm(x, g, b, eps)"),
        "graded", "zero"),
    "writes_stderr": (lambda c: with_cell(
        "import sys, warnings\nprint('noise', file=sys.stderr)\nwarnings.warn('careful')"), "graded", "full"),
    "huge_output": (lambda c: with_cell("print('x' * 50_000_000)"), "graded", "full"),
    "exits_hard": (lambda c: with_cell("import os\nos._exit(0)"), "crashed", "zero"),
    "sys_exit": (lambda c: with_cell("import sys\nsys.exit(1)"), "graded", "full"),
    "network": (lambda c: with_cell(
        "import urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:9/', timeout=2)\n"
        "    print('NETWORK REACHED')\nexcept Exception as e:\n    print('no network:', e)"), "graded", "full"),
    "check_cells_deleted": (lambda c: _without_check_cells(solved(CHAPTER)), "graded", "full"),
}


def _without_check_cells(nb):
    nb.cells = [cell for cell in nb.cells if not cell.metadata.get("nbgrader", {}).get("grade")]
    return nb


def _other_chapter():
    nb = solved(CHAPTER)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if "grade_id" in meta:
            meta["grade_id"] = meta["grade_id"].replace("ch02-", "ch03-")
    return nb


@pytest.fixture(scope="module")
def batch(tmp_path_factory, canary):
    subs = tmp_path_factory.mktemp("submissions")
    before = tree_digest(canary), (ROOT / "README.md").read_bytes()
    for learner, (factory, _, _) in SUBMISSIONS.items():
        write(factory(canary), subs / learner / NB_NAME)
    (subs / "corrupt").mkdir()
    (subs / "corrupt" / NB_NAME).write_text('{"cells": [')
    (subs / "empty").mkdir()
    (subs / "empty" / NB_NAME).write_text("")
    (subs / "nothing_submitted").mkdir()
    write(_other_chapter(), subs / "wrong_chapter" / "my_notebook.ipynb")
    out = tmp_path_factory.mktemp("results")
    code = grade_all(subs, out, chapter=CHAPTER, workers=2, seed=11, quiet=True,
                     limits=Limits(timeout=10, memory_mb=2048, output_kb=256))
    assert code == 0
    results = {p.parent.parent.name: json.loads(p.read_text()) for p in out.glob("*/*/results.json")}
    return {"results": results, "out": out, "subs": subs, "before": before}


@pytest.mark.parametrize("learner", sorted(SUBMISSIONS))
def test_each_submission_gets_its_status_and_score(batch, learner):
    _, status, score = SUBMISSIONS[learner]
    result = batch["results"][learner]
    if status:
        assert result["status"] == status, result["output"]
    assert result["status"] in ("graded", "timeout", "memory", "crashed")
    if score == "full":
        assert result["score"] == result["max_score"] > 0, json.dumps(result, indent=1)[:3000]
    elif score == "zero":
        assert result["score"] == 0, json.dumps(result, indent=1)[:3000]
    if result["status"] != "graded":
        assert result["output"].startswith(f"Not graded ({result['status']}):") and len(result["output"]) > 30


def test_broken_files_are_reported_with_the_reason(batch):
    r = batch["results"]
    assert r["corrupt"]["status"] == "invalid-notebook" and "not a Jupyter notebook" in r["corrupt"]["output"]
    assert r["empty"]["status"] == "invalid-notebook" and "empty" in r["empty"]["output"]
    assert r["nothing_submitted"]["status"] == "missing"
    assert r["wrong_chapter"]["status"] == "invalid-notebook" and "chapter 03" in r["wrong_chapter"]["output"]


def test_copying_the_reference_is_reported(batch):
    for learner in ("copies_reference", "wraps_reference"):
        outputs = " ".join(t["output"] for t in batch["results"][learner]["tests"])
        assert "course's answer, not yours" in outputs


def test_csv_has_every_learner_with_a_status(batch):
    rows = list(csv.DictReader(open(batch["out"] / "grades.csv")))
    assert {r["learner"] for r in rows} == set(batch["results"])
    assert all(r["status"] for r in rows)
    timeouts = [r for r in rows if r["status"] == "timeout"]
    assert timeouts and all("did not finish" in r["message"] for r in timeouts)


@pytest.mark.skipif(not AS_ROOT, reason="file isolation needs root (namespaces and an unprivileged user)")
def test_nothing_outside_the_scratch_directory_changed(batch, canary):
    assert tree_digest(canary) == batch["before"][0]
    assert (ROOT / "README.md").read_bytes() == batch["before"][1]
    assert not Path("/tmp/hostile-was-here").exists()
    assert not (canary.parent / "hostile-was-here").exists()
    assert not Path(os.path.expanduser("~/hostile-was-here")).exists()


@pytest.mark.skipif(not AS_ROOT, reason="the network namespace needs root")
def test_no_network_inside(batch):
    assert "NETWORK REACHED" not in json.dumps(batch["results"]["network"])


def test_no_process_survives(batch):
    assert batch["results"]["fork_bomb"]["status"] == "timeout"
    left = [p for p in psutil.process_iter(["uids", "cmdline"])
            if p.info["uids"] and FIRST_UID <= p.info["uids"].real < FIRST_UID + 60000]
    assert not left, [p.info["cmdline"] for p in left]


def test_resume_keeps_finished_results(batch):
    out, subs = batch["out"], batch["subs"]
    stamp = {p: p.stat().st_mtime_ns for p in out.glob("*/*/results.json")}
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                           "--chapter", CHAPTER, "--seed", "11", "--timeout", "10"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "0 graded now" in proc.stdout
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/*/results.json")} == stamp
