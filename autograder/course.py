"""The nbgrader course directory, generated from chapters/ and solutions/ (never edited by hand).

    course/
      nbgrader_config.py
      source/02_layer_norm/02_layer_norm.ipynb     solutions injected, hidden tests added
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .notebooks import chapter_paths, source_notebook, write_notebook

CONFIG = Path(__file__).with_name("nbgrader_config.py")


def write_course(root: Path, chapters: list[str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONFIG, root / "nbgrader_config.py")
    for path in chapter_paths():
        if chapters and path.name[:2] not in chapters:
            continue
        write_notebook(source_notebook(path), root / "source" / path.stem / f"{path.stem}.ipynb")
    return root.resolve()
