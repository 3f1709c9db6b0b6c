"""Start-up of the learner's import and of `python -m autograder check` (benchmarks/startup.py measures it): what
they load, and the facts the sandbox runtime is built from, which are kept between runs without changing it."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.notebooks import code_to_run, learner_notebook
from tests.notebook_fixtures import chapter_file, solved, write

ROOT = Path(__file__).resolve().parent.parent


def test_the_learners_import_does_not_load_pytorch():
    code = "import sys; from autograder import check; print('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


CHECK_AND_LIST = """
import sys
from autograder.__main__ import main
code = main(["check", sys.argv[1]])
print(sorted(m for m in ("jupytext", "nbgrader", "transformers", "matplotlib") if m in sys.modules), code)
"""


@pytest.mark.skipif(sandbox.sandbox_mode() != "bwrap", reason="needs bubblewrap (the grading sandbox)")
def test_checking_a_numpy_chapter_reads_no_chapter(tmp_path):
    """Chapters 02 and 03 have no helpers of their own to give the sandbox: the check does not parse the chapter
    (jupytext), even with nothing cached."""
    nb = write(solved("02"), tmp_path / "02_layer_norm.ipynb")
    env = {**os.environ, "AUTOGRADER_CACHE_DIR": str(tmp_path / "empty-cache")}
    proc = subprocess.run([sys.executable, "-c", CHECK_AND_LIST, str(nb)], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[] 0", proc.stdout[-2000:]


def _forget():
    """Drop this process's memory of runtimes and facts (the cache directory is what is tested)."""
    sandbox._RUNTIMES.clear()
    for fn in (sandbox._sources_digest, sandbox._runtime_modules, sandbox._reference_cells, sandbox._code_imports,
               sandbox._own_helpers):
        fn.cache_clear()


def _tree(root: str) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_mode & 0o777, hashlib.sha256(p.read_bytes()).hexdigest()
                                       if p.is_file() else None) for p in sorted(Path(root).rglob("*"))}


def _runtimes() -> dict:
    """Chapter 01 (helpers of its own from its code cells), 02 (none), 07 solved (helpers its reference cells
    import, copied verbatim): the runtime's files, modes and contents."""
    out = {}
    for chapter, nb in (("01", learner_notebook(chapter_file("01"))), ("02", solved("02")), ("07", solved("07"))):
        copied = sandbox.copied_helpers(chapter, code_to_run(nb))
        out[chapter] = (sorted(copied), _tree(sandbox.runtime_dir(chapter, copied)))
    return out


def test_the_runtime_is_the_same_with_the_cache_cold_warm_poisoned_or_unusable(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_CACHE_DIR", "")
    _forget()
    try:
        without = _runtimes()
        assert without["07"][0] and not without["02"][0]  # the solved chapter 07 copies its reference's helpers
        assert "solutions/ch01_tokens_and_embeddings.py" in without["01"][1]
        assert "solutions/ch02_layer_norm.py" not in without["02"][1]

        cache = tmp_path / "cache"
        monkeypatch.setenv("AUTOGRADER_CACHE_DIR", str(cache))
        _forget()
        assert _runtimes() == without  # cold: the facts are found and written
        facts = {p.name.rsplit("-", 1)[0] for p in cache.glob("*.json")}
        assert {"runtime-modules", "code-imports-01", "reference-cells-07"} <= facts, facts
        assert cache.stat().st_mode & 0o777 == 0o700
        _forget()
        assert _runtimes() == without  # warm: read back

        # a fact that breaks its own rules is recomputed, never used (a grader module in the runtime, garbage)
        for path in cache.glob("*.json"):
            if path.name.startswith("runtime-modules-"):
                path.write_text(json.dumps([*json.loads(path.read_text()), "grading.py", "sandbox.py"]))
            else:
                path.write_text('{"not": "a list"')
        _forget()
        assert _runtimes() == without
        # and what a fact says is still filtered: chapter 01's exercises named as its code cells' imports are not given
        for path in cache.glob("code-imports-01-*.json"):
            path.write_text(json.dumps(["bpe_encode_piece", "embed"]))
        _forget()
        runtime = Path(sandbox.runtime_dir("01", frozenset()))
        reference = runtime / "solutions" / "ch01_tokens_and_embeddings.py"
        assert not reference.exists() or "def embed" not in reference.read_text()

        cache.chmod(0o777)  # a cache others may write is not used
        _forget()
        assert sandbox._cache_root() is None
        assert _runtimes() == without
    finally:
        _forget()
