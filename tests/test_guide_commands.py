"""Every shell command of the guides (guide/*.md) runs, as written and in order, in a fresh clone of the repository.

The rule that makes this robust: a guide's shell commands live in ```bash blocks, and every ```bash block is run (a
guide page may not use another shell fence, so nothing can slip past). The blocks of one page run as one bash script
(`set -euo pipefail`), so `cd` and `export` carry over from block to block as they do for a reader.

What the test stands in for, and nothing else:
* the network: `git clone https://github.com/gpt2-from-scratch/gpt2-from-scratch` clones this repository
  (git's `url.<here>.insteadOf`), so the clone holds what is committed;
* the first-time installation: a post-checkout hook links the clone's `.venv` to the project's (and dates
  pyproject.toml / constraints.txt back so `make` sees it up to date) instead of installing for minutes;
* the PostgreSQL server's port: the guide starts its own server as it tells the reader to, on `PGPORT=5432`, which
  becomes a free port here (and the test stops any server the guide left running, if a command failed).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from autograder.grading import max_score_of
from tests.test_postgres_gradebook import PG_BIN, _free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "guide"
REPOSITORY = "https://github.com/gpt2-from-scratch/gpt2-from-scratch"
FENCE = re.compile(r"^```([^`\n]*)\n(.*?)^```[ \t]*$", re.S | re.M)
SHELL = re.compile(r"\b(ba|z)?sh\b|shell|console")


def bash_blocks(page: Path) -> list[str]:
    """The ```bash blocks of a guide page, in order; any other shell fence is an error."""
    blocks = []
    for info, body in FENCE.findall(page.read_text()):
        if info.strip() == "bash":
            blocks.append(body)
        elif SHELL.search(info):
            raise AssertionError(f"{page.name}: a ```{info} block: write shell commands as ```bash so that "
                                 "this test runs them")
    return blocks


def script(blocks: list[str]) -> str:
    lines = ["set -euo pipefail"]  # each block announces itself with the seconds spent so far
    for i, block in enumerate(blocks, 1):
        lines += [f"echo \"=== block {i} (at ${{SECONDS}} s) ===\"", block]
    return "\n".join(lines) + "\n"


def environment(tmp: Path) -> dict[str, str]:
    """git clones this repository for the public address, and each clone gets the project's .venv."""
    hooks = tmp / "git-hooks"
    hooks.mkdir(exist_ok=True)
    hook = hooks / "post-checkout"
    hook.write_text(f"""#!/bin/sh
# a clone made by the guide test: use the project's environment instead of installing one
[ -e .venv ] || ln -s "{ROOT / '.venv'}" .venv
touch -d '2000-01-01' pyproject.toml constraints.txt
""")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    return {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "GIT_CONFIG_COUNT": "3",
        "GIT_CONFIG_KEY_0": f"url.{ROOT}.insteadOf", "GIT_CONFIG_VALUE_0": REPOSITORY,
        "GIT_CONFIG_KEY_1": "core.hooksPath", "GIT_CONFIG_VALUE_1": str(hooks),
        "GIT_CONFIG_KEY_2": "advice.detachedHead", "GIT_CONFIG_VALUE_2": "false",
        "GPT2_DIR": "",
    }


def run_page(blocks: list[str], cwd: Path, env: dict) -> str:
    proc = subprocess.run(["bash", "-c", script(blocks)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, f"a guide command failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def fresh_clone(tmp: Path, env: dict) -> Path:
    subprocess.run(["git", "clone", "-q", REPOSITORY, str(tmp / "gpt2-from-scratch")], env=env, check=True,
                   capture_output=True)
    return tmp / "gpt2-from-scratch"


@pytest.fixture
def workspace():
    """An empty folder for a reader's session. Not under /tmp: the grading sandbox gives each notebook a private
    /tmp, where a course cloned under /tmp would not exist (as root the sandbox is on)."""
    (ROOT / "_build").mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="guide-commands-", dir=ROOT / "_build"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_every_guide_page_has_commands_and_only_bash_fences():
    pages = sorted(GUIDE.glob("*.md"))
    assert {p.name for p in pages} >= {"learners.md", "instructors.md"}
    for page in pages:
        assert bash_blocks(page), f"{page.name} has no ```bash block"


def test_learner_guide(workspace):
    env = environment(workspace)
    out = run_page(bash_blocks(GUIDE / "learners.md"), workspace, env)
    repo = workspace / "gpt2-from-scratch"
    assert (repo / "notebooks" / "02_layer_norm.ipynb").is_file()
    assert "not implemented yet" in out  # `autograder check` on the untouched notebook
    result = json.loads((repo / "my-result.json").read_text())
    assert result["status"] == "graded" and result["score"] == 0 and result["max_score"] == max_score_of("02")


def _stop_guide_servers(before: set) -> None:
    """Stop any PostgreSQL server the guide started (its data under /tmp/gradebook-*) and remove its folder."""
    for folder in set(Path("/tmp").glob("gradebook-*")) - before:
        data = folder / "data"
        if (data / "postmaster.pid").exists() and PG_BIN:
            as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            subprocess.run([*as_user, str(Path(PG_BIN[-1]) / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def test_instructor_guide(workspace):
    if not PG_BIN:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run installs Debian's postgresql package")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    env = environment(workspace)
    repo = fresh_clone(workspace, env)
    blocks = bash_blocks(GUIDE / "instructors.md")
    assert sum("PGPORT=5432" in b for b in blocks) == 1, "the PostgreSQL block names the server's port once"
    blocks = [b.replace("PGPORT=5432", f"PGPORT={_free_port()}") for b in blocks]
    before = set(Path("/tmp").glob("gradebook-*"))
    try:
        out = run_page(blocks, repo, env)
    finally:
        _stop_guide_servers(before)

    course, full = repo / "course", float(max_score_of("02"))
    assert (course / "release" / "02_layer_norm" / "02_layer_norm.ipynb").is_file()
    feedback = (course / "feedback" / "ada" / "02_layer_norm" / "02_layer_norm.html").read_text()
    assert "BEGIN HIDDEN TESTS" not in feedback and "hidden=True" not in feedback
    assert "check of <code>layer_norm</code>" in feedback and "cdnjs" not in feedback
    assert {p.name for p in (course / "submitted").iterdir()} >= {"ada", "ben", "1012", "1013"}  # zip_collect
    # grades.csv was written last by the export against PostgreSQL: the same grades, with their status
    rows = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}
    assert float(rows["ada"]["score"]) == full and float(rows["ben"]["score"]) == 0, rows
    assert rows["ada"]["status"] == rows["ben"]["status"] == "graded", rows
    assert rows["ada"]["first_name"] == "Ada", rows  # the roster, imported into PostgreSQL
    ours = {r["learner"]: r for r in csv.DictReader(open(repo / "results" / "grades.csv"))}
    assert float(ours["ada"]["score"]) == full and float(ours["ben"]["score"]) == 0, ours
    assert ours["ada"]["status"] == ours["ben"]["status"] == "graded", ours
    assert ours["eve"]["status"] == "missing" and ours["1012"]["roster"] == "unknown", ours
    assert json.loads((repo / "results" / "ada" / "02" / "results.json").read_text())["status"] == "graded"
    assert (repo / "results" / "ben" / "02" / "feedback.md").is_file()
    assert {"report.html", "report.md", "canvas-grades.csv", "moodle-grades.csv"} <= {
        p.name for p in (repo / "results").iterdir()}
    zips = {p.name for p in (repo / "_build" / "gradescope").glob("*.zip")}
    assert "02_layer_norm.zip" in zips
    assert out.count("=== block") == len(blocks)
