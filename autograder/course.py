"""The nbgrader course directory, generated from chapters/ and solutions/ (never edited by hand).

    course/
      nbgrader_config.py
      source/02_layer_norm/02_layer_norm.ipynb     solutions injected, hidden tests added
      templates/course_feedback/                   the feedback page: nbgrader's, with each check named after its
                                                   exercise and MathJax inlined (no CDN)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .notebooks import ROOT, chapter_number, chapter_paths, source_notebook, write_notebook

CONFIG = Path(__file__).with_name("nbgrader_config.py")
# MathJax 3 (npm's mathjax package, which `make install` fetches for the website): its SVG build is one file
MATHJAX = [ROOT / "_build" / "site-extra" / "_static" / "mathjax" / "tex-svg.js",
           ROOT / "_build" / "npm" / "node_modules" / "mathjax" / "es5" / "tex-svg.js"]
LABEL = ("{% set _g = cell.metadata.nbgrader.grade_id.split('-') %}"
         "check of <code>{{ _g[1] if _g|length > 1 else cell.metadata.nbgrader.grade_id }}</code>"
         "{{ ' (hidden cases)' if _g[-1] == 'hidden' else '' }}")


def write_course(root: Path, chapters: list[str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONFIG, root / "nbgrader_config.py")
    for path in chapter_paths():
        if chapters and chapter_number(path) not in chapters:
            continue
        write_notebook(source_notebook(path), root / "source" / path.stem / f"{path.stem}.ipynb")
    write_feedback_template(root / "templates")
    return root.resolve()


def write_feedback_template(folder: Path) -> Path:
    """nbgrader's feedback template, with each check cell named after its exercise ("check of layer_norm (hidden
    cases)" instead of "Test cell") and MathJax from resources["course_mathjax"] (autograder.nbgrader_ext.OfflineMathJax
    inlines the local copy) instead of a CDN."""
    import nbgrader

    base = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates" / "feedback"
    text = (base / "index.html.j2").read_text()
    text = text.replace("{{ mathjax() }}", "{{ resources.course_mathjax }}")
    text = text.replace('">Test cell</a>', '">' + LABEL + "</a>")
    text = text.replace("Grade cell: <code>{{ cell.metadata.nbgrader.grade_id }}</code>", LABEL)
    target = folder / "course_feedback"
    target.mkdir(parents=True, exist_ok=True)
    (target / "index.html.j2").write_text(text)
    shutil.copyfile(base / "conf.json", target / "conf.json")
    mathjax = next((p for p in MATHJAX if p.is_file()), None)
    if mathjax is not None:
        shutil.copyfile(mathjax, target / "tex-svg.js")
    return target
