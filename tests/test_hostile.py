"""Broken and hostile submissions, graded in one batch by `python -m autograder grade`, next to honest ones: each
gets the status and score it deserves, the batch carries on, nothing outside the sandbox is reachable or changes,
and nothing the learner controls reaches the CSV or the terminal unneutralised (issue 12: every attack is here)."""

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import channel
from autograder.batch import grade_all, run_seed
from autograder.notebooks import learner_notebook
from autograder.sandbox import Limits, sandbox_mode
from tests.notebook_fixtures import chapter_file, first_mutant, solved, with_mutant, write

CHAPTER = "02"
ROOT = Path(__file__).resolve().parent.parent
AS_ROOT = os.geteuid() == 0
NB_NAME = chapter_file(CHAPTER).stem + ".ipynb"
ORPHAN = "HOSTILE-ORPHAN"
FORMULA_LEARNER = '=HYPERLINK("evil.example","click")'
MARKUP_LEARNER = "[bold green]markup"

pytestmark = pytest.mark.skipif(sandbox_mode() != "bwrap", reason="needs bubblewrap (the grading sandbox)")


def with_cell(source: str, nb=None, before_answers: bool = False):
    """The solved notebook (or `nb`) with one extra code cell after the answer cells (or before them)."""
    nb = nb or solved(CHAPTER)
    answers = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")]
    nb.cells.insert(answers[0] if before_answers else answers[-1] + 1, nbformat.v4.new_code_cell(source))
    return nb


def stub():
    return learner_notebook(chapter_file(CHAPTER))


def wrong():
    return with_mutant(CHAPTER, first_mutant(CHAPTER))


@pytest.fixture(scope="module")
def canary(tmp_path_factory):
    """Files a hostile notebook will try to read, delete or rewrite."""
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


# What a snooping notebook looks for; it reports what it found in an exception message (which reaches results.json).
SNOOP = """
import json, os, glob
found = []
for tag, path in {paths!r}.items():
    try:
        with open(path, 'rb') as f:
            f.read(10)
        found.append(tag)
    except OSError:
        pass
pids = [p for p in os.listdir('/proc') if p.isdigit()]
if len(pids) > 8:
    found.append('many-processes')
if any(k == 'AUTOGRADER_SEED' or v == '11' for k, v in os.environ.items()):
    found.append('seed-in-environment')
if glob.glob('/**/results.json', recursive=False) or os.path.exists({out!r}):
    found.append('results')
raise RuntimeError('LEAKS=' + json.dumps(found))
"""

# Writes to every pipe it can find (the result channel among them), then leaves without a result of ours.
CHANNEL = """
import os, stat
for fd in range(3, 256):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            {action}
    except OSError:
        pass
os._exit(0)
"""

FRAME_SPY = """
import inspect
_mine = layer_norm

def layer_norm(x, g, b, eps=1e-5):
    for info in inspect.stack()[1:]:
        for key, value in info.frame.f_locals.items():
            if 'hidden' in key.lower() or getattr(value, 'label', '') or getattr(value, 'hidden', None) is not None:
                return x * 0  # a label or a hidden flag in reach: sabotage (visible and hidden would differ)
    return _mine(x, g, b, eps)
"""


def submissions(ctx: dict) -> dict:
    """learner: (notebook factory, expected status, expected score: "full", "zero", "less" or None)."""
    c, subs, out = ctx["canary"], ctx["subs"], ctx["out"]
    snoop_paths = {
        "repository": str(ROOT / "README.md"), "reference": str(ROOT / "solutions" / "ch02_layer_norm.py"),
        "exercise-module": str(ROOT / "autograder" / "exercises" / "ch02_layer_norm.py"),
        "canary": str(c / "keep.txt"), "classmate": str(subs / "honest" / NB_NAME),
        "grader-cmdline": f"/proc/{os.getpid()}/cmdline", "grader-environ": f"/proc/{os.getpid()}/environ",
        "course-reference-copy": "/course/solutions/ch02_layer_norm.py",
        "course-exercises": "/course/autograder/exercises/ch02_layer_norm.py",
    }
    return {
        "honest": (lambda: solved(CHAPTER), "graded", "full"),
        # an honest notebook may say "solutions" and import earlier chapters' reference: no penalty for a word
        "honest_mentions_solutions": (lambda: with_cell(
            "# I wrote layer_norm myself, without looking at solutions/ch02_layer_norm.py\n"
            "import solutions\nfrom solutions import init_params  # an earlier chapter's helper is allowed"),
            "graded", "full"),
        "check_cells_deleted": (lambda: _without_check_cells(solved(CHAPTER)), "graded", "full"),
        # the answer key is out of reach: every way in fails, and the stub stays a stub
        "copies_reference": (lambda: with_cell("from solutions import layer_norm", stub()), "graded", "zero"),
        "wraps_reference": (lambda: with_cell(
            "import solutions as s\n\ndef layer_norm(x, g, b, eps=1e-5):\n    return s.layer_norm(x, g, b, eps)",
            stub()), "graded", "zero"),
        "reversed_import": (lambda: with_cell(
            "import importlib\nlayer_norm = importlib.import_module('snoitulos'[::-1]).layer_norm", stub()),
            "graded", "zero"),
        "exercise_module": (lambda: with_cell(
            "from autograder.exercises.ch02_layer_norm import LAYER_NORM\nlayer_norm = LAYER_NORM.solution",
            stub()), "graded", "zero"),
        "known_mistake_helpers": (lambda: with_cell(
            "import autograder.exercises.ch02_layer_norm as m\nlayer_norm = m._torch_layer_norm", stub()),
            "graded", "zero"),
        "execs_reference_text": (lambda: with_cell(
            "import glob, os, sys, autograder\n"
            f"candidates = [{str(ROOT / 'solutions' / 'ch02_layer_norm.py')!r},\n"
            "              os.path.join(os.path.dirname(autograder.__file__), '..', 'solutions',\n"
            "                           'ch02_layer_norm.py')]\n"
            "candidates += [f for p in sys.path for f in glob.glob(os.path.join(p, '*', 'ch02_layer_norm.py'))]\n"
            "for path in candidates:\n"
            "    if os.path.exists(path):\n"
            "        exec(open(path).read())\n"
            "        break", stub()), "graded", "zero"),
        "rewraps_all_of_solutions": (lambda: with_cell(
            "import solutions\nfor _name in solutions.__all__:\n    try:\n"
            "        globals()[_name] = getattr(solutions, _name)\n    except Exception:\n        pass", stub()),
            "graded", "zero"),
        "runs_classmate": (lambda: with_cell(
            "import glob, json\n"
            f"for path in glob.glob({str(subs / '*' / '*.ipynb')!r}):\n"
            "    for cell in json.load(open(path))['cells']:\n"
            "        if 'def layer_norm' in ''.join(cell['source']) and 'NotImplementedError()' not in "
            "''.join(cell['source']):\n"
            "            exec(''.join(cell['source']))", stub()), "graded", "zero"),
        "snoops": (lambda: with_cell(SNOOP.format(paths=snoop_paths, out=str(out))), "graded", "full"),
        # the probed function cannot tell a hidden case from a visible one
        "frame_spy": (lambda: with_cell(FRAME_SPY), "graded", "full"),
        # the result channel: garbage, or a flood, is an explicit status, never a grade
        "channel_garbage": (lambda: with_cell(CHANNEL.format(
            action="os.write(fd, b'{\"v\": 1, \"status\": \"ok\", \"exercises\": {\"layer_norm\": ')"), stub()),
            "invalid-output", "zero"),
        "channel_flood": (lambda: with_cell(CHANNEL.format(
            action="[os.write(fd, b'[' * 2**20) for _ in range(60)]"), stub()), "invalid-output", "zero"),
        # statuses only from signals the learner cannot forge
        "kills_itself": (lambda: with_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
                         "crashed", "zero"),
        "exits_hard": (lambda: with_cell("import os\nos._exit(0)"), "crashed", "zero"),
        "sys_exit": (lambda: with_cell("import sys\nsys.exit(1)"), "graded", "full"),
        "leaves_an_orphan": (lambda: with_cell(
            "import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True: time.sleep(1)  # {ORPHAN}'],\n"
            "                 start_new_session=True)"), "graded", "full"),
        "infinite_loop": (lambda: with_cell("while True:\n    pass"), "timeout", "zero"),
        "ignores_sigint": (lambda: with_cell(
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, "
            "signal.SIG_IGN)\nwhile True:\n    pass"), "timeout", "zero"),
        "allocates_30gb": (lambda: with_cell("import numpy as np\nhog = np.ones(30 * 1024**3 // 8)"),
                           "memory", "zero"),
        "fork_bomb": (lambda: with_cell(
            "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"),
            "timeout", "zero"),
        "vandal": (lambda: with_cell(
            "import os, shutil\n"
            f"shutil.rmtree({str(c)!r}, ignore_errors=True)\n"
            f"for target in [{str(c / 'keep.txt')!r}, {str(ROOT / 'README.md')!r}, '/tmp/hostile-was-here',\n"
            f"               os.path.expanduser('~/hostile-was-here'), {str(c.parent / 'hostile-was-here')!r},\n"
            f"               {str(ROOT / 'autograder' / 'exercises' / 'ch99_planted.py')!r}]:\n"
            "    try:\n"
            "        open(target, 'w').write('pwned')\n"
            "    except OSError:\n"
            "        pass"), "graded", "full"),
        "patches_numpy": (lambda: with_cell(
            "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None", wrong()), "graded", "less"),
        "patches_builtins": (lambda: with_cell(
            "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 0", wrong()),
            None, "less"),
        "patches_autograder": (lambda: with_cell(
            "import autograder, autograder.engine as engine\n"
            "engine.judge = lambda *a, **k: None\nengine.compare_values = lambda *a, **k: None\n"
            "autograder.check = lambda *a, **k: None", wrong()), "graded", "less"),
        "redefines_check": (lambda: with_cell("def check(*args, **kwargs):\n    print('✓ all checks passed')",
                                              wrong()), "graded", "less"),
        "writes_stderr": (lambda: with_cell(
            "import sys, warnings\nprint('noise', file=sys.stderr)\nwarnings.warn('careful')"), "graded", "full"),
        "huge_output": (lambda: with_cell("print('x' * 50_000_000)"), "graded", "full"),
        "fills_its_scratch": (lambda: with_cell(  # the private /tmp is size-limited; that is all it costs
            "with open('/tmp/big', 'wb') as f:\n    for _ in range(2048):\n        f.write(b'x' * 2**20)"),
            "graded", "full"),
        "formula_in_error": (lambda: with_cell("raise ValueError('=HYPERLINK(\"http://evil.example\")')"),
                             "graded", "full"),
        "network": (lambda: with_cell(
            "import urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:9/', timeout=2)\n"
            "    print('NETWORK REACHED')\nexcept Exception as e:\n    raise RuntimeError('no network') from e"),
            "graded", "full"),
        FORMULA_LEARNER: (lambda: solved(CHAPTER), "graded", "full"),
        MARKUP_LEARNER: (lambda: solved(CHAPTER), "graded", "full"),
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
    out = tmp_path_factory.mktemp("results")
    ctx = {"canary": canary, "subs": subs, "out": out}
    before = tree_digest(canary), (ROOT / "README.md").read_bytes()
    expected = submissions(ctx)
    for learner, (factory, _, _) in expected.items():
        write(factory(), subs / learner / NB_NAME)
    (subs / "corrupt").mkdir()
    (subs / "corrupt" / NB_NAME).write_text('{"cells": [')
    (subs / "empty").mkdir()
    (subs / "empty" / NB_NAME).write_text("")
    (subs / "nothing_submitted").mkdir()
    write(_other_chapter(), subs / "wrong_chapter" / "my_notebook.ipynb")
    (subs / "symlink").mkdir()
    (subs / "symlink" / NB_NAME).symlink_to(canary / "keep.txt")
    (subs / "fifo").mkdir()
    os.mkfifo(subs / "fifo" / NB_NAME)
    start = time.monotonic()
    code = grade_all(subs, out, chapter=CHAPTER, workers=2, seed=11, quiet=True,
                     limits=Limits(timeout=10, memory_mb=2048, output_kb=256))
    seconds = time.monotonic() - start
    assert code == 0
    results = {p.parent.parent.name: json.loads(p.read_text()) for p in out.glob("*/*/results.json")}
    return {"results": results, "out": out, "subs": subs, "before": before, "expected": expected,
            "seconds": seconds}


LEARNERS = sorted(submissions({"canary": Path("/c"), "subs": Path("/s"), "out": Path("/o")}))


@pytest.mark.parametrize("learner", LEARNERS)
def test_each_submission_gets_its_status_and_score(batch, learner):
    _, status, score = batch["expected"][learner]
    result = batch["results"][learner]
    if status:
        assert result["status"] == status, result["output"]
    assert result["status"] in ("graded", "timeout", "memory", "crashed", "invalid-output")
    if score == "full":
        assert result["score"] == result["max_score"] > 0, json.dumps(result, indent=1)[:3000]
    elif score == "zero":
        assert result["score"] == 0, json.dumps(result, indent=1)[:3000]
    elif score == "less":
        assert result["score"] < result["max_score"], json.dumps(result, indent=1)[:3000]
    if result["status"] != "graded":
        assert result["output"].startswith(f"Not graded ({result['status']}):") and len(result["output"]) > 30


def test_broken_files_are_reported_with_the_reason(batch):
    r = batch["results"]
    assert r["corrupt"]["status"] == "invalid-notebook" and "not a Jupyter notebook" in r["corrupt"]["output"]
    assert r["empty"]["status"] == "invalid-notebook" and "empty" in r["empty"]["output"]
    assert r["nothing_submitted"]["status"] == "missing"
    assert r["wrong_chapter"]["status"] == "invalid-notebook" and "chapter 03" in r["wrong_chapter"]["output"]
    assert r["symlink"]["status"] == "invalid-notebook" and "symbolic link" in r["symlink"]["output"]
    assert r["fifo"]["status"] == "invalid-notebook" and "not a regular file" in r["fifo"]["output"]


def test_nothing_outside_the_sandbox_is_visible(batch):
    output = batch["results"]["snoops"]["output"]
    leaks = re.search(r"LEAKS=(\[.*?\])", output)
    assert leaks, output
    assert json.loads(leaks.group(1)) == [], output


def test_nothing_learner_written_or_secret_reaches_the_files(batch):
    everything = "\n".join(p.read_text(errors="replace") for p in batch["out"].rglob("*") if p.is_file())
    assert "precious" not in everything  # the canary (a symlinked "notebook" points at it)
    assert "BEGIN HIDDEN TESTS" not in everything
    assert str(batch["subs"]) not in everything  # no server paths in the results


def test_seed_is_an_instructor_record(batch):
    out = batch["out"]
    for path in out.glob("*/*/results.json"):
        assert "seed" not in json.loads(path.read_text()), path
    rows = list(csv.DictReader(open(out / "grades.csv")))
    assert {r["seed"] for r in rows} == {"11"}
    record = json.loads((out / ".autograder" / "records" / "honest" / f"{CHAPTER}.json").read_text())
    assert record["seed"] == 11
    assert json.loads((out / ".autograder" / "run.json").read_text()) == {"seed": 11, "finished": True}


def test_a_new_run_draws_a_fresh_seed_and_an_interrupted_one_resumes(tmp_path):
    first = run_seed(tmp_path, None)
    assert run_seed(tmp_path, None) == first  # not finished: resume with the same seed
    (tmp_path / ".autograder" / "run.json").write_text(json.dumps({"seed": first, "finished": True}))
    assert {run_seed(tmp_path, None) for _ in range(3)} != {first}
    assert run_seed(tmp_path, 5) == 5


def test_csv_fields_are_neutralised(batch):
    rows = {r["learner"]: r for r in csv.DictReader(open(batch["out"] / "grades.csv"))}
    assert "'" + FORMULA_LEARNER in rows
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_csv_has_every_learner_with_a_status(batch):
    rows = list(csv.DictReader(open(batch["out"] / "grades.csv")))
    assert len(rows) == len(batch["results"])
    assert all(r["status"] for r in rows)
    timeouts = [r for r in rows if r["status"] == "timeout"]
    assert timeouts and all("did not finish" in r["message"] for r in timeouts)


def test_nothing_outside_the_scratch_directory_changed(batch, canary):
    assert tree_digest(canary) == batch["before"][0]
    assert (ROOT / "README.md").read_bytes() == batch["before"][1]
    assert not Path("/tmp/hostile-was-here").exists()
    assert not (canary.parent / "hostile-was-here").exists()
    assert not Path(os.path.expanduser("~/hostile-was-here")).exists()
    assert not (ROOT / "autograder" / "exercises" / "ch99_planted.py").exists()


def test_no_network_inside(batch):
    assert "NETWORK REACHED" not in json.dumps(batch["results"]["network"])
    assert "no network" in batch["results"]["network"]["output"]


def _orphans(marker: str) -> list:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if any(marker in part for part in (p.info["cmdline"] or [])):
            found.append(p)
    return found


def test_no_process_survives(batch):
    assert batch["results"]["fork_bomb"]["status"] == "timeout"
    assert not _orphans(ORPHAN)


def test_the_batch_stays_fast(batch):
    assert batch["seconds"] < 240, batch["seconds"]


def test_resume_keeps_finished_results(batch):
    out, subs = batch["out"], batch["subs"]
    stamp = {p: p.stat().st_mtime_ns for p in out.glob("*/*/results.json")}
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                           "--chapter", CHAPTER, "--seed", "11", "--timeout", "10"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "0 graded now" in proc.stdout
    assert MARKUP_LEARNER in proc.stdout  # learner names are shown as text, not as rich markup
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/*/results.json")} == stamp


# ------------------------------------------------------------------------------------------------------------
# Outside the batch
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("document", [
    b"",
    b"{" * 100_000,
    b'{"v": 1, "status": "ok", "cell_errors": [], "exercises": {"f": {"found": true, "called": [], "outcomes": ['
    b'{"value": {"t": "array", "d": "<f8", "s": [100000, 100000], "b": ""}, "error": null, "where": "", '
    b'"mutated": [], "warnings": []}]}}}',  # 35 bytes of array header claiming 80 GB
    b'{"v": 1, "status": "ok", "cell_errors": [], "exercises": {"f": {"found": true, "called": [], "outcomes": ['
    b'{"value": {"t": "array", "d": "|O8", "s": [1], "b": "AAAAAAAAAAA="}, "error": null, "where": "", '
    b'"mutated": [], "warnings": []}]}}}',  # an object array
    b'{"v": 1, "status": "ok", "cell_errors": [], "exercises": {"f": {"found": true, "called": [], "outcomes": ['
    b'{"value": {"t": "array", "d": "|V8", "s": [1], "b": "AAAAAAAAAAA="}, "error": null, "where": "", '
    b'"mutated": [], "warnings": []}]}}}',  # a void array
    b'{"v": 1, "status": "ok", "cell_errors": [], "exercises": {"f": {"found": true, "called": ["os"], '
    b'"outcomes": [{"value": 1, "error": null, "where": "", "mutated": [], "warnings": []}]}}}',  # a foreign name
    b'{"v": 1, "status": "ok", "cell_errors": [], "exercises": {"f": {"found": true, "called": [], "outcomes": ['
    b'{"value": "' + b"x" * 100_000 + b'", "error": null, "where": "", "mutated": [], "warnings": []}]}}}',
    b'{"v": 1, "status": "ok", "cell_errors": [], "exercises": {"f": {"found": true, "called": [], "outcomes": ['
    b'{"value": 1' + b"0" * 5000 + b', "error": null, "where": "", "mutated": [], "warnings": []}]}}}',
    b'{"v": 1, "status": "graded"}',
])
def test_the_channel_rejects_malformed_results(document):
    with pytest.raises(channel.ChannelError) as info:
        channel.loads(document, {"f": 1}, ["f"])
    assert len(str(info.value)) < 200 and "xxxx" not in str(info.value)


def test_the_channel_round_trips_plain_data():
    import numpy as np

    from autograder.engine import Outcome

    value = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": [1, 2.5, None, "s", (np.int64(3), True)],
             "c": float("nan"), "d": np.float64("inf"), "e": object()}
    doc = {"v": 1, "status": "ok", "cell_errors": [], "exercises": {"f": {"found": True, "called": [], "outcomes": [
        channel.encode_outcome(Outcome(value=value))]}}}
    got = channel.loads(channel.dumps(doc), {"f": 1}, ["f"])["exercises"]["f"]["outcomes"][0]["value"]
    assert np.array_equal(got["a"], value["a"]) and got["a"].dtype == np.float32
    assert got["b"] == [1, 2.5, None, "s", (np.int64(3), True)]
    assert np.isnan(got["c"]) and np.isinf(got["d"]) and isinstance(got["e"], channel.Opaque)


def _cli(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_rich_markup_in_learner_text_is_shown_as_text(tmp_path):
    nb = with_cell("raise ValueError('[/] [bold green]score 3/3[/bold green] \\x1b[32mgreen')", stub())
    proc = _cli("check", write(nb, tmp_path / f"{CHAPTER}_markup.ipynb"))
    assert proc.returncode == 0, proc.stderr
    assert "MarkupError" not in proc.stderr and "Traceback" not in proc.stderr
    assert "[bold green]score 3/3[/bold green]" in proc.stdout and "\x1b[32mgreen" not in proc.stdout


@pytest.mark.skipif(not AS_ROOT or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_root_without_cap_sys_admin_a_container(tmp_path):
    """Docker, Kubernetes, Gradescope: root without CAP_SYS_ADMIN. bwrap still isolates through a user namespace."""
    nb = write(solved(CHAPTER), tmp_path / NB_NAME)
    proc = subprocess.run(["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin",
                           sys.executable, "-m", "autograder", "check", str(nb), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "graded" and result["score"] == result["max_score"]


def test_refuses_without_a_sandbox_unless_told(tmp_path):
    nb = write(solved(CHAPTER), tmp_path / NB_NAME)
    env = {**os.environ, "PATH": str(tmp_path / "nothing-here")}  # no bwrap on the PATH
    proc = _cli("check", nb, "--json", env=env)
    assert proc.returncode == 3 and "refusing to grade" in proc.stderr and "--no-sandbox" in proc.stderr
    proc = _cli("check", nb, "--json", "--no-sandbox", env=env)
    assert proc.returncode == 0 and "WITHOUT a sandbox" in proc.stderr
    assert json.loads(proc.stdout)["score"] == json.loads(proc.stdout)["max_score"]


def test_killing_the_grader_kills_the_sandbox(tmp_path):
    marker = f"HOSTILE-SURVIVOR-{os.getpid()}"
    nb = with_cell("import subprocess, sys\n"
                   f"subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True: time.sleep(1)  # {marker}'],\n"
                   "                 start_new_session=True)\nwhile True:\n    pass")
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "check", str(write(nb, tmp_path / NB_NAME)),
                               "--timeout", "120"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _orphans(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _orphans(marker), "the notebook's process never started"
        grader.send_signal(signal.SIGKILL)
        grader.wait()
        deadline = time.monotonic() + 10
        while _orphans(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _orphans(marker)
    finally:
        grader.kill()
        for p in _orphans(marker):
            p.kill()


SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")


@pytest.mark.skipif(not AS_ROOT or not shutil.which("setpriv") or not SYSTEM_PYTHON.exists(),
                    reason="needs root (to become a normal user), setpriv and a system Python of this version")
def test_a_normal_user(tmp_path):
    """A normal user (no root, no cgroups): bwrap still isolates, through a user namespace. The venv's Python lives
    under /root here, so the user runs the system Python of the same version with the venv's packages."""
    readable = [ROOT, *[p for p in map(Path, sys.path) if p.name == "site-packages"]]
    if not all(os.stat(p).st_mode & 0o005 == 0o005 for p in readable):
        pytest.skip("the checkout or the packages are not readable by other users")
    work = Path(tempfile.mkdtemp(prefix="normal-user-"))
    os.chmod(work, 0o755)
    try:
        nb = write(with_cell("from solutions import layer_norm", stub()), work / NB_NAME)
        os.chmod(nb, 0o644)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(work),
               "PYTHONPATH": os.pathsep.join(str(p) for p in readable)}
        proc = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                               str(SYSTEM_PYTHON), "-m", "autograder", "check", str(nb), "--json"],
                              capture_output=True, text=True, timeout=300, env=env, cwd=work)
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout)
        assert result["status"] == "graded" and result["score"] == 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_two_graders_at_once_do_not_disturb_each_other(tmp_path):
    """Sandboxes are told apart by their own namespaces and cgroups, not by a random uid two graders could share."""
    honest = write(solved(CHAPTER), tmp_path / "a" / NB_NAME)
    looping = write(with_cell("while True:\n    pass"), tmp_path / "b" / NB_NAME)
    procs = [subprocess.Popen([sys.executable, "-m", "autograder", "check", str(nb), "--json", "--timeout", "8"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for nb in (honest, looping)]
    (out_a, _), (out_b, _) = (p.communicate(timeout=300) for p in procs)
    a, b = json.loads(out_a), json.loads(out_b)
    assert a["status"] == "graded" and a["score"] == a["max_score"]
    assert b["status"] == "timeout"


def test_the_chapters_own_helpers_only_for_reference_cells_copied_verbatim(tmp_path):
    """Chapter 07's reference solution imports Transformer from solutions.ch07_gpt2; a notebook gets it only with
    that reference cell verbatim (as good as copying the answer), never by importing it from its own code."""
    from autograder.grading import grade_notebook
    from autograder.notebooks import cell_role

    nb = solved("07")
    for cell in nb.cells:
        if cell_role(cell) == "answer" and "import Transformer" in cell.source:
            cell.source = "class GPT2:\n    pass"
    answers = [i for i, c in enumerate(nb.cells) if cell_role(c) == "answer"]
    nb.cells.insert(answers[-1] + 1, nbformat.v4.new_code_cell(
        "import importlib\nreached = []\n"
        "for name in ('Transformer', 'GPT2', 'load_gpt2_params'):\n"
        "    try:\n"
        "        getattr(importlib.import_module('solutions.ch07_gpt2'), name)\n"
        "        reached.append(name)\n"
        "    except (ImportError, AttributeError):\n"
        "        pass\n"
        "raise RuntimeError(f'REACHED={reached}')"))
    result = grade_notebook(write(nb, tmp_path / "07_gpt2.ipynb"), seed=5)
    assert result["status"] == "graded", result["output"]
    assert "REACHED=[]" in result["output"], result["output"]
    scores = {t["name"]: (t["score"], t["max_score"]) for t in result["tests"]}
    assert scores["load_gpt2_params"][0] == scores["load_gpt2_params"][1]  # its own verbatim reference still works
    assert scores["GPT2"][0] == 0
