"""The website in a real browser: Debian's chromium, headless, driven by Playwright, over http on 127.0.0.1.

Every page loads without console errors and without asking the network for anything; its maths is typeset; its
figures exist and have a real size; its internal links resolve; it fits a phone's width. Chapter pages have previous
/next links, a launch button and a download button that gives the chapter's learner notebook; the search finds the
chapters. Screenshots of the intro and of a chapter, at desktop and phone widths, go to _build/screenshots/.

Nothing is installed at run time: chromium comes from Debian (.ci/run installs it), Playwright from PyPI (pinned);
Playwright's own browser download is never used.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import nbformat
import pytest

from autograder.notebooks import cell_role, chapter_paths, learner_notebook

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "_build" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
RAW_TEX = re.compile(r"\$\$|\\\[|\\\]|\\begin\{|\\frac|\\sum")


def _pages(site: Path) -> list[str]:
    """Every HTML page of the site, as a path relative to its root (index.html only redirects to intro.html)."""
    skip = {"_static", "_sources", "_images", "notebooks"}
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                  if not skip & set(p.relative_to(site).parts) and p != site / "index.html")


def _chapters_on_site(site: Path) -> list[Path]:
    return [p for p in chapter_paths() if (site / "chapters" / f"{p.stem}.html").is_file()]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(book_html):
    """The built site over http (the search needs http, not file://). -> its base URL"""
    handler = functools.partial(_QuietHandler, directory=str(book_html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class Visit:
    """A browser tab that records console errors, page errors, failed requests and requests off the machine."""

    def __init__(self, browser, base: str, viewport=DESKTOP):
        self.base = base
        self.context = browser.new_context(viewport=viewport, accept_downloads=True)
        self.errors: list[str] = []
        self.external: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def open(self, path: str):
        self.page.goto(self.base + path, wait_until="load")
        # MathJax typesets asynchronously: wait for it where the page loads it
        self.page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
        # then the fonts MathJax asked for: leaving the page earlier would abort their requests
        self.page.evaluate("async () => { await document.fonts.ready; }")
        self.page.wait_for_load_state("networkidle")
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def visits(browser, server, book_html):
    """Every page opened once at desktop width: {page: (errors, external requests, facts read from the DOM)}."""
    visit = Visit(browser, server)
    seen = {}
    try:
        for path in _pages(book_html):
            visit.errors.clear()
            visit.external.clear()
            page = visit.open(path)
            facts = page.evaluate("""() => {
                const article = document.querySelector('article') || document.body;
                const clone = article.cloneNode(true);
                clone.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml, .MathJax')
                     .forEach(e => e.remove());
                const math = [...document.querySelectorAll('article .math')];
                return {
                    text: clone.innerText,
                    math: math.length,
                    untypeset: math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
                    images: [...document.querySelectorAll('article img')].map(i => ({
                        src: i.currentSrc || i.src, complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,
                        shown: i.getBoundingClientRect().width})),
                    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
                };
            }""")
            seen[path] = (list(visit.errors), list(visit.external), facts)
    finally:
        visit.close()
    return seen


def test_the_front_door_leads_to_the_intro(browser, server):
    visit = Visit(browser, server)
    try:
        visit.page.goto(server, wait_until="load")
        visit.page.wait_for_url(f"{server}intro.html", timeout=10_000)
        assert visit.page.locator("h1").first.inner_text().startswith("GPT-2 from scratch")
    finally:
        visit.close()


def test_every_page_loads_without_errors_or_network(visits):
    assert len(visits) >= 4, f"only {sorted(visits)}"
    problems = {path: errors for path, (errors, _, _) in visits.items() if errors}
    assert not problems, problems
    external = {path: ext for path, (_, ext, _) in visits.items() if ext}
    assert not external, f"pages asked for something off the machine: {external}"


def test_math_is_typeset(visits):
    pages_with_math = 0
    for path, (_, _, facts) in visits.items():
        assert not facts["untypeset"], f"{path}: maths left untypeset: {facts['untypeset'][:3]}"
        raw = RAW_TEX.search(facts["text"])
        assert raw is None, f"{path}: raw TeX in the rendered text: ...{facts['text'][max(0, raw.start() - 60):][:160]}"
        pages_with_math += facts["math"] > 0
    assert pages_with_math >= 1, "no page has any maths: is MathJax loaded at all?"


def test_figures_exist_with_real_size(visits, book_html):
    for path, (_, _, facts) in visits.items():
        for img in facts["images"]:
            assert img["complete"] and img["w"] >= 100 and img["h"] >= 40, f"{path}: broken or tiny image {img}"
            assert img["shown"] >= 100, f"{path}: image drawn {img['shown']:.0f} px wide: {img['src']}"
    for chapter in _chapters_on_site(book_html):
        assert visits[f"chapters/{chapter.stem}.html"][2]["images"], f"{chapter.stem} has no figure"
    assert visits["intro.html"][2]["images"], "the intro has no picture of the pipeline"


def test_internal_links_resolve(visits, server, book_html):
    ids_of: dict[Path, set[str]] = {}
    broken = []
    for path, (_, _, facts) in visits.items():
        for href in facts["links"]:
            if not href.startswith(server):
                continue
            parts = urlsplit(href)
            target = book_html / unquote(parts.path[len(urlsplit(server).path):])
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{path} -> {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                if target not in ids_of:
                    ids_of[target] = set(re.findall(r'\bid="([^"]+)"', target.read_text(errors="replace")))
                if unquote(parts.fragment) not in ids_of[target]:
                    broken.append(f"{path} -> {href} (no such anchor)")
    assert not broken, "\n".join(broken[:20])


def test_chapter_pages_have_navigation_launch_and_download(browser, server, book_html, tmp_path):
    chapters = _chapters_on_site(book_html)
    assert chapters, "no chapter page was built"
    visit = Visit(browser, server)
    try:
        for chapter in chapters:
            page = visit.open(f"chapters/{chapter.stem}.html")
            # previous / next
            assert page.locator("a.left-prev").count() == 1 and page.locator("a.right-next").count() == 1, chapter
            # launch: Binder on the repository's main branch, opening this chapter's notebook
            launch = page.locator(".dropdown-launch-buttons a").evaluate_all("els => els.map(e => e.href)")
            assert any("gpt2-from-scratch/gpt2-from-scratch/main" in u and f"notebooks/{chapter.stem}.ipynb" in u
                       for u in launch), launch
            # the visible download button gives the learner notebook
            button = page.locator("a.course-notebook-download")
            assert button.count() == 1 and button.is_visible(), f"{chapter.stem}: no visible download button"
            with page.expect_download() as info:
                button.click()
            saved = tmp_path / f"{chapter.stem}.ipynb"
            info.value.save_as(saved)
            assert info.value.suggested_filename == f"{chapter.stem}.ipynb"
            nb = nbformat.read(saved, as_version=4)
            nbformat.validate(nb)
            expected = learner_notebook(chapter)
            assert [c.source for c in nb.cells] == [c.source for c in expected.cells], f"{chapter.stem} differs"
            stubs = [c for c in nb.cells if cell_role(c) == "answer"]
            assert stubs and all("raise NotImplementedError()" in c.source for c in stubs), chapter.stem
            assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "the notebook has outputs"
            # the header's download menu offers the same notebook
            menu = page.locator(".dropdown-download-buttons a").evaluate_all("els => els.map(e => e.href)")
            assert urljoin(page.url, f"../notebooks/{chapter.stem}.ipynb") in menu, menu
        assert not visit.errors, visit.errors
    finally:
        visit.close()


def test_previous_next_follow_the_table_of_contents(browser, server, book_html):
    visit = Visit(browser, server)
    try:
        page = visit.open("intro.html")
        order = ["intro.html"]
        while page.locator("a.right-next").count() and len(order) < 50:
            page.locator("a.right-next").click()
            page.wait_for_load_state("load")
            order.append(page.url[len(server):])
    finally:
        visit.close()
    chapters = [f"chapters/{p.stem}.html" for p in _chapters_on_site(book_html)]
    assert [p for p in order if p.startswith("chapters/")] == chapters, order
    assert {"guide/learners.html", "guide/instructors.html"} <= set(order), order


def test_search_finds_the_chapters(browser, server):
    visit = Visit(browser, server)
    try:
        page = visit.open("search.html?q=layernorm")
        page.wait_for_selector("#search-results ul.search li", timeout=20_000)
        hits = page.locator("#search-results ul.search li a").evaluate_all("els => els.map(e => e.href)")
        assert any("chapters/02_layer_norm.html" in h for h in hits), hits
        # the search box in the header leads to the same results
        page = visit.open("intro.html")
        page.keyboard.press("Control+k")
        page.locator("input[name=q]:visible").first.fill("attention")
        page.keyboard.press("Enter")
        page.wait_for_selector("#search-results ul.search li", timeout=20_000)
        assert page.locator("#search-results ul.search li").count() >= 1
        assert not visit.errors, visit.errors
    finally:
        visit.close()


def test_pages_fit_a_phone(browser, server, book_html):
    visit = Visit(browser, server, viewport=PHONE)
    too_wide = {}
    try:
        for path in _pages(book_html):
            page = visit.open(path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > PHONE["width"] + 1:
                too_wide[path] = width
    finally:
        visit.close()
    assert not too_wide, f"pages wider than a {PHONE['width']} px phone (they scroll sideways): {too_wide}"


def test_screenshots(browser, server, book_html):
    """For a person to look at (not compared automatically): _build/screenshots/*.png"""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chapters = _chapters_on_site(book_html)
    chapter = next((c for c in chapters if c.name.startswith("02_")), chapters[0] if chapters else None)
    pages = {"intro": "intro.html"}
    if chapter is not None:
        pages["chapter"] = f"chapters/{chapter.stem}.html"
    for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        visit = Visit(browser, server, viewport=viewport)
        try:
            for name, path in pages.items():
                page = visit.open(path)
                target = SCREENSHOTS / f"{name}-{width_name}.png"
                page.screenshot(path=str(target), full_page=True)
                assert target.stat().st_size > 10_000
        finally:
            visit.close()
