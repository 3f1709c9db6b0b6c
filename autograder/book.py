"""The website's own Sphinx extension (enabled in _config.yml): the exercises and the learner notebooks.

* Before a chapter is parsed, each `% exercise: name` line becomes the exercise's stub, check and hidden cells,
  generated from its declaration (autograder/notebooks.py, expand_exercises), as in every other notebook made
  from a chapter.
* After every build, each chapter's learner notebook — exactly what `python -m autograder notebooks` writes: the
  stubs, the check cells, nbgrader metadata, no outputs — is written to `<site>/notebooks/NN_topic.ipynb`.
* Every chapter page gets a visible "Download the notebook" bar under its title, and the header's download menu
  offers that notebook (not the book's executed copy, which carries the build's outputs).
* The Binder launch button opens that notebook (Binder builds it with .binder/postBuild); pages that are not
  chapters get no launch button (there is nothing to solve on them).
"""

from __future__ import annotations

import html
from pathlib import Path

NOTEBOOKS = "notebooks"  # folder of the site that holds the learner notebooks
STATIC = Path(__file__).with_name("site_static")


def _chapter_stem(pagename: str) -> str | None:
    """'chapters/02_layer_norm' -> '02_layer_norm' when that chapter exists, else None."""
    from .notebooks import chapter_paths

    if not pagename.startswith("chapters/"):
        return None
    stem = pagename.split("/", 1)[1]
    return stem if any(p.stem == stem for p in chapter_paths()) else None


def expand_exercises(app, docname: str, source: list[str]) -> None:
    """source-read: a chapter's exercise markers become its exercise cells."""
    if _chapter_stem(docname):
        from .notebooks import expand_exercises as expand

        source[0] = expand(source[0], docname)


def write_notebooks(app, exception) -> None:
    """build-finished: the learner notebooks into the site."""
    if exception is not None or app.builder.format != "html":
        return
    from .locking import lock_cells
    from .notebooks import chapter_paths, learner_notebook, write_notebook

    docs = set(app.env.found_docs)
    for path in chapter_paths():
        if f"chapters/{path.stem}" in docs:
            write_notebook(lock_cells(learner_notebook(path)), Path(app.outdir) / NOTEBOOKS / f"{path.stem}.ipynb")


def _download_bar(url: str, filename: str) -> str:
    return (
        '<div class="course-notebook-bar">'
        f'<a class="course-notebook-download" href="{html.escape(url)}" download="{html.escape(filename)}">'
        '<i class="fas fa-download"></i> Download the notebook</a>'
        f'<span class="course-notebook-hint"><code>{html.escape(filename)}</code>: the stubs and their checks, '
        'to solve in JupyterLab (see <a href="{guide}">how to work on a chapter</a>).</span></div>'
    )


def _is_thebe(script) -> bool:
    """sphinx-thebe's scripts (jupyter-book always loads that extension): its config names a CDN URL for thebe."""
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return str(getattr(script, "filename", "") or "").endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def page_context(app, pagename, templatename, context, doctree) -> None:
    """html-page-context, after the theme has made its header buttons (priority 501)."""
    # Live code (thebe) is off: drop its scripts, which would fetch thebe from a CDN (the site stays offline).
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe(s)]
    buttons = context.get("header_buttons")
    stem = _chapter_stem(pagename)
    if stem is None:
        if buttons is not None:
            context["header_buttons"] = [b for b in buttons if b.get("label") != "launch-buttons"]
        return
    pathto = context["pathto"]
    url = f"{pathto(NOTEBOOKS, 1)}/{stem}.ipynb"
    if buttons is not None:
        for group in buttons:
            if group.get("label") == "download-buttons":
                group["buttons"] = [b for b in group["buttons"] if b.get("label") != "download-notebook-button"]
                group["buttons"].insert(0, {
                    "type": "link", "url": url, "text": ".ipynb", "icon": "fas fa-code",
                    "tooltip": "Download the chapter's notebook (the stubs to solve)",
                    "label": "download-learner-notebook-button",
                })
            if group.get("label") == "launch-buttons":
                for button in group["buttons"]:
                    if button.get("text") == "Binder":
                        base = button["url"].split("?", 1)[0]
                        button["url"] = f"{base}?urlpath=lab/tree/{NOTEBOOKS}/{stem}.ipynb"
    body = context.get("body", "")
    end_of_title = body.find("</h1>")
    if end_of_title >= 0:
        bar = _download_bar(url, f"{stem}.ipynb").replace("{guide}", pathto("guide/learners"))
        cut = end_of_title + len("</h1>")
        context["body"] = body[:cut] + bar + body[cut:]


def setup(app):
    app.connect("config-inited", lambda app, config: config.html_static_path.append(str(STATIC)))
    app.add_css_file("course.css")
    app.add_js_file("course.js", defer="defer")
    app.connect("html-page-context", page_context, priority=600)
    app.connect("source-read", expand_exercises)
    app.connect("build-finished", write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
