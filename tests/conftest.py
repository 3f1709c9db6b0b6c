"""Fixtures shared by several test modules."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def book_html(tmp_path_factory) -> Path:
    """The whole book, built once per test session (into a temporary --path-output, with a clean execution cache)
    the way `make book` builds it: offline, warnings as errors, every chapter executed. -> the site's html folder"""
    if os.environ.get("BOOK_HTML"):  # a site already built, e.g. BOOK_HTML=_build/html after `make book`
        return Path(os.environ["BOOK_HTML"]).resolve()
    out = tmp_path_factory.mktemp("book")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(out),
         "-W", "-n", "--keep-going"], capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    return out / "_build" / "html"
