"""Gradescope: one autograder zip per chapter (`make gradescope`), and what runs inside Gradescope's container.

    python -m autograder gradescope --out _build/gradescope [CHAPTER ...]   write NN_topic.zip per chapter
    python -m autograder.gradescope run --chapter NN [--root /autograder]     (run_autograder calls this)

A zip holds, at its root (Gradescope unpacks it into /autograder/source):
* `setup.sh` — run once when the image is built: Debian/Ubuntu's `bubblewrap` (the sandbox), Python 3.11, and a
  slim virtual environment /autograder/venv with the pinned versions of constraints.txt (NumPy, CPU torch from
  PyTorch's CPU index, tiktoken, safetensors, matplotlib, nbformat/jupytext, rich, psutil) — no jupyter-book,
  nbgrader or browser;
* `run_autograder` — run for every submission: finds the uploaded notebook under /autograder/submission (whatever
  its name), grades it for the zip's chapter with the course's grader (the same sandbox and judge as
  `python -m autograder grade`) and writes /autograder/results/results.json in Gradescope's schema, plus
  feedback.md beside it. It always writes results.json and exits 0 — a corrupt upload or a grader failure gets a
  named status and message, with the chapter's full max_score;
* the course runtime: autograder/, solutions/, chapters/, data/*.tiktoken, the course model (data/course_model/,
  when the repository has it: chapters 07–09 run it), constraints.txt, gradescope.json.

Every path hangs off `$AUTOGRADER_ROOT` (default `/autograder`), so the tests run the unpacked zip in a temporary
root exactly as Gradescope lays it out. Visible cases are `visible` on Gradescope; hidden cases' tests are
`after_published` (learners see them once you publish the grades). The seed of the hidden cases goes to the
autograder's stdout, which only instructors see.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
import traceback
import zipfile
from pathlib import Path

from .results import NotebookResult, Status, TestResult

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["numpy", "torch", "tiktoken", "regex", "safetensors", "matplotlib", "nbformat", "jupytext", "rich",
            "psutil"]
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (it has the network then).
# Installs the grading environment from the versions pinned in constraints.txt: Python 3.11, CPU torch, no
# jupyter-book, no nbgrader, no browser. Paths hang off $AUTOGRADER_ROOT (default /autograder).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PYTHON="${AUTOGRADER_PYTHON:-python3.11}"

if command -v apt-get >/dev/null && { ! command -v bwrap >/dev/null || ! command -v "$PYTHON" >/dev/null; }; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    command -v bwrap >/dev/null || apt-get install -y -q bubblewrap
    if ! command -v "$PYTHON" >/dev/null; then
        apt-get install -y -q python3.11 python3.11-venv || {
            # Ubuntu 22.04 (Gradescope's default image) has Python 3.11 in the deadsnakes archive
            apt-get install -y -q software-properties-common
            add-apt-repository -y ppa:deadsnakes/ppa
            apt-get update -q
            apt-get install -y -q python3.11 python3.11-venv
        }
    fi
fi

if [ -n "${AUTOGRADER_OFFLINE_SITE:-}" ]; then
    # Offline (the course's own tests): no pip; the venv sees packages already installed on this machine,
    # in the directory $AUTOGRADER_OFFLINE_SITE (a site-packages of the same Python version).
    "$PYTHON" -m venv --without-pip "$ROOT/venv"
    site="$("$ROOT/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    echo "$AUTOGRADER_OFFLINE_SITE" > "$site/autograder-offline.pth"
else
    "$PYTHON" -m venv "$ROOT/venv"
    "$ROOT/venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$ROOT/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --extra-index-url __TORCH_INDEX__ -c "$SOURCE/constraints.txt" __PACKAGES__
fi
"$ROOT/venv/bin/python" -c "import numpy, torch, tiktoken, nbformat, jupytext, rich; print('grading environment ok')"
"""

RUN = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission (as root, in a fresh container). It always writes
# $AUTOGRADER_ROOT/results/results.json and exits 0.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source" || true
"$ROOT/venv/bin/python" -m autograder.gradescope run --chapter __CHAPTER__ --root "$ROOT"
if [ ! -s "$ROOT/results/results.json" ]; then   # the grader itself could not start: say so, never a silent 0
    mkdir -p "$ROOT/results"
    cat > "$ROOT/results/results.json" <<'JSON'
__FALLBACK__
JSON
fi
exit 0
"""


# ------------------------------------------------------------------------------------------------------------
# Building the zips
# ------------------------------------------------------------------------------------------------------------
def _source_files() -> list[tuple[Path, str]]:
    """(file, path in the zip) of the course runtime a bundle needs."""
    files = []
    for pattern in ("autograder/*.py", "autograder/exercises/*.py", "autograder/fixtures/*", "solutions/*.py",
                    "chapters/[0-9][0-9]_*.md", "data/*.tiktoken", "data/course_model/config.json",
                    "data/course_model/model.safetensors", "constraints.txt"):
        files += [(p, p.relative_to(ROOT).as_posix()) for p in sorted(ROOT.glob(pattern)) if p.is_file()]
    return files


def _fallback(chapter: str) -> str:
    """results.json of run_autograder when the grader cannot even start (written when the zip is built)."""
    result = NotebookResult.not_graded(Status.CRASHED, "the autograder could not start. This is not your fault: "
                                       "tell your instructor (Gradescope's autograder output says why).", chapter)
    return json.dumps(to_gradescope(result), indent=1)


def _placeholder_tests(chapter: str, message: str) -> list[TestResult]:
    """One failed test per exercise (visible and hidden parts) with the chapter's points: max_score stays right."""
    from .engine import exercises_of
    from .results import HIDDEN

    tests = []
    for e in exercises_of(chapter):
        tests.append(TestResult(e.name, 0, e.points, passed=False, output=message))
        if e.hidden_points:
            tests.append(TestResult(e.name + HIDDEN, 0, e.hidden_points, passed=False, output=message))
    return tests


def _gradescope_test(t: TestResult) -> dict:
    """A Gradescope test: the hidden cases' tests are after_published (learners see them once grades are)."""
    return {"name": t.name, "score": t.score, "max_score": t.max_score, "status": t.status, "output": t.output,
            "visibility": "after_published" if t.hidden else "visible"}


def write_bundles(out: Path, chapters: list[str] | None = None) -> list[Path]:
    """One zip per chapter with exercises (or the `chapters` given), into `out`."""
    from .engine import exercises_of
    from .notebooks import chapter_number, chapter_paths

    out.mkdir(parents=True, exist_ok=True)
    files = _source_files()
    written = []
    for path in chapter_paths():
        chapter = chapter_number(path)
        if (chapters and chapter not in chapters) or not exercises_of(chapter):
            continue
        setup = SETUP.replace("__TORCH_INDEX__", TORCH_INDEX).replace("__PACKAGES__", " ".join(PACKAGES))
        run = RUN.replace("__CHAPTER__", chapter).replace("__FALLBACK__", _fallback(chapter))
        target = out / f"{path.stem}.zip"
        tmp = target.with_name(f".{target.name}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in (("setup.sh", setup), ("run_autograder", run)):
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = (stat.S_IFREG | 0o755) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, text)
            z.writestr("gradescope.json", json.dumps({"chapter": chapter, "assignment": path.stem}) + "\n")
            for file, name in files:
                z.write(file, name)
        os.replace(tmp, target)
        written.append(target)
    return written


# ------------------------------------------------------------------------------------------------------------
# Inside Gradescope: run_autograder
# ------------------------------------------------------------------------------------------------------------
IGNORED_PARTS = {".ipynb_checkpoints", "__MACOSX"}


def find_notebook(folder: Path, chapter: str) -> tuple[Path | None, str]:
    """The uploaded notebook, whatever its name: (path or None, a note on what was found)."""
    if not folder.is_dir():
        return None, "the submission folder does not exist"
    found = [p for p in folder.rglob("*.ipynb") if not (IGNORED_PARTS & set(p.relative_to(folder).parts))
             and not p.name.startswith("._")]
    if not found:
        others = [p.name for p in folder.rglob("*") if p.is_file()][:5]
        return None, ("no notebook (.ipynb) in the upload" + (f" (found: {', '.join(others)})" if others else ""))
    found.sort(key=lambda p: (not p.name.startswith(f"{chapter}_"), len(p.relative_to(folder).parts), p.name))
    note = "" if len(found) == 1 else f"{len(found)} notebooks uploaded; graded {found[0].name}"
    return found[0], note


def to_gradescope(result: NotebookResult, note: str = "") -> dict:
    """Our result -> Gradescope's results.json (hidden cases after_published; the status in extra_data). A notebook
    that was not graded gets one failed test per exercise, so Gradescope still shows the chapter's max_score."""
    chapter = result.chapter
    if result.graded:
        tests = result.tests
    else:
        tests = _placeholder_tests(chapter, result.output) if chapter else []
    output = "\n".join(x for x in (note, result.output) if x)
    return {"score": result.score, "execution_time": round(float(result.execution_time), 3),
            "output": output, "visibility": "visible", "stdout_visibility": "hidden",
            "tests": [_gradescope_test(t) for t in tests], "extra_data": {"status": result.status.value,
                                                                          "chapter": chapter}}


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    os.replace(tmp, path)


def run(root: Path, chapter: str) -> dict:
    """Grade the upload in `root`/submission for `chapter`; write `root`/results/results.json. Never raises."""
    from .grading import grade_file
    from .sandbox import Limits, SandboxUnavailable, require_sandbox

    start = time.monotonic()
    results = root / "results" / "results.json"
    try:
        limits = Limits.from_env()
        path, note = find_notebook(root / "submission", chapter)
        if path is None:
            result = NotebookResult.not_graded(Status.MISSING, note, chapter, start=start)
            note = ""
        else:
            try:
                require_sandbox(limits)
            except SandboxUnavailable as exc:
                print(f"sandbox unavailable: {exc}")
                result = NotebookResult.not_graded(Status.CRASHED, "the grading sandbox cannot run in this container "
                                                   "(not your fault: your instructor has been told)", chapter,
                                                   start=start)
            else:
                result = grade_file(path, limits=limits, chapter=chapter)
        print(f"chapter {chapter}: {result.status} {result.score}/{result.max_score}, "
              f"hidden cases seed {result.seed}, {time.monotonic() - start:.1f} s")
        data = to_gradescope(result, note)
    except Exception as exc:  # a bug of ours: still a results.json, with the chapter's max_score if it can
        traceback.print_exc()
        result = NotebookResult.not_graded(Status.CRASHED, f"grader error {type(exc).__name__}; tell your "
                                           "instructor.", chapter, max_score=0)
        try:
            data = to_gradescope(result)
        except Exception:
            data = {"score": 0, "output": result.output, "tests": [],
                    "extra_data": {"status": result.status.value, "chapter": chapter}}
    _write(results, data)
    try:
        from .feedback import write_feedback

        write_feedback(result, results.with_name("feedback.md"))
    except Exception:
        traceback.print_exc()
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="grade Gradescope's upload (what run_autograder calls)")
    p.add_argument("--chapter", required=True)
    p.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    args = parser.parse_args(argv)
    run(Path(args.root), args.chapter)
    return 0


if __name__ == "__main__":
    try:
        main()
    finally:
        sys.stdout.flush()
    sys.exit(0)


