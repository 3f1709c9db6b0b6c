"""nbgrader's cell locks on a learner notebook, so that the notebook from `make notebooks` and the site's download
(autograder/book.py) carry the same `deletable`/`editable` metadata as nbgrader's release: check cells and read-only
cells can be neither edited nor deleted, answer cells not deleted. nbgrader's own LockCells preprocessor does it,
with its defaults."""

from __future__ import annotations

from pathlib import Path

import nbformat


def lock_cells(nb):
    from nbgrader.preprocessors import LockCells

    nb, _ = LockCells().preprocess(nb, {})
    return nb


def lock_file(path: Path) -> Path:
    nb = nbformat.read(path, as_version=4)
    nbformat.write(lock_cells(nb), path)
    return path
