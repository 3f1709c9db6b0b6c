"""The book builds offline with warnings as errors, every chapter executed, MathJax served from the site."""

import re
from pathlib import Path

import pytest

from autograder.notebooks import chapter_paths

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(book_html):  # built once per session in conftest.py, shared with test_site_browser.py
    return book_html


def test_every_chapter_is_a_page(site):
    toc = (ROOT / "_toc.yml").read_text()
    for path in chapter_paths():
        assert f"chapters/{path.stem}" in toc, f"{path.name} is not in _toc.yml"
        assert (site / "chapters" / f"{path.stem}.html").is_file()


def test_chapters_executed_with_figures_and_stub_messages(site):
    for path in chapter_paths():
        html = (site / "chapters" / f"{path.stem}.html").read_text()
        assert "<img" in html, f"{path.stem} has no figure"
        assert "not implemented yet" in html, f"{path.stem}: the stubs' check output is missing"
        assert "Traceback" not in html, f"{path.stem} shows a Python traceback"


def test_no_script_or_style_from_the_network(site):
    for page in site.rglob("*.html"):
        text = page.read_text()
        external = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', text)
        assert not external, f"{page.relative_to(site)} loads {external[:3]}"
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_downloaded_notebooks_carry_nbgrader_locks(site):
    """The site's notebook is the release: check cells can be neither edited nor deleted, answer cells not deleted."""
    import nbformat

    from autograder.notebooks import cell_role

    for path in chapter_paths():
        nb = nbformat.read(site / "notebooks" / f"{path.stem}.ipynb", as_version=4)
        roles = [(cell_role(c), c.metadata) for c in nb.cells]
        checks = [m for role, m in roles if role in ("check", "hidden-check")]
        answers = [m for role, m in roles if role == "answer"]
        assert checks and answers, path.stem
        assert all(m.get("editable") is False and m.get("deletable") is False for m in checks), path.stem
        assert all(m.get("deletable") is False for m in answers), path.stem
