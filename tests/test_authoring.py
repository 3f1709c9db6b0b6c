"""An exercise is authored once: its declaration (autograder/exercises/chNN_topic.py) and its reference
(solutions/chNN_topic.py) give the stub, the check cell and the hidden cell; the chapter holds prose and a marker.

tests/snapshots/learner_notebooks.json is the learner notebooks as they were when the exercise cells were still
written by hand in the chapters (2026-11-29): every exercise cell in full, every other cell by its hash. The
generated notebooks must ask for exactly the same things.
"""

import hashlib
import inspect
import json
from pathlib import Path
from types import FunctionType

import pytest

import solutions
from autograder.engine import REGISTRY, load_all
from autograder.notebooks import (
    MARKER,
    cell_role,
    chapter_number,
    chapter_paths,
    exercise_cells,
    expand_exercises,
    learner_notebook,
    read_notebook,
)

SNAPSHOT = json.loads((Path(__file__).parent / "snapshots" / "learner_notebooks.json").read_text())
CHAPTERS = chapter_paths()
load_all()


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_generated_notebook_asks_for_what_it_did(path):
    nb = learner_notebook(path)
    want = SNAPSHOT[path.stem]
    assert nb.metadata == want["metadata"]
    got_ids, want_ids = [c["id"] for c in nb.cells], [c["id"] for c in want["cells"]]
    assert got_ids == want_ids
    for cell, before in zip(nb.cells, want["cells"], strict=True):
        assert cell.cell_type == before["cell_type"], cell["id"]
        assert cell.metadata == before["metadata"], cell["id"]
        if "source" in before:
            assert cell.source == before["source"], cell["id"]
        else:
            assert hashlib.sha256(cell.source.encode()).hexdigest() == before["sha256"], cell["id"]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_holds_prose_and_one_marker_per_exercise(path):
    """The chapter writes no exercise cell by hand, and its markers name each of its chapter's exercises once."""
    text = path.read_text()
    assert "nbgrader:" not in text and "raise NotImplementedError" not in text
    declared = [e.name for e in REGISTRY.values() if e.chapter == chapter_number(path)]
    assert sorted(MARKER.findall(text)) == sorted(declared)


def test_every_exercise_is_generated_once_with_its_points():
    seen = {}
    for path in CHAPTERS:
        for cell in read_notebook(path).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell_role(cell) in ("check", "hidden-check"):
                seen[meta["grade_id"]] = meta["points"]
    for exercise in REGISTRY.values():
        grade_id = f"ch{exercise.chapter}-{exercise.name}"
        assert seen.pop(f"{grade_id}-check") == exercise.points
        assert seen.pop(f"{grade_id}-hidden") == exercise.hidden_points
    assert not seen


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_stub_is_the_reference_signature_and_docstring(name):
    """The stub defines the reference's name with the reference's signature and docstring, and nothing else."""
    exercise = REGISTRY[name]
    ns: dict = {}
    exec("import numpy as np\nimport torch\nfrom torch import nn\n" if exercise.chapter in ("04", "07", "09")
         else "import numpy as np\n", ns)
    source = exercise_cells(exercise).split("---\n", 2)[2].split("\n```", 1)[0]
    exec(source, ns)
    stub, reference = ns[name], getattr(solutions, name)
    pairs = [(stub, reference)]
    if inspect.isclass(reference):
        methods = exercise.stub_methods or [m for m in vars(reference) if inspect.isfunction(vars(reference)[m])]
        assert [m for m in vars(stub) if isinstance(vars(stub)[m], (classmethod, FunctionType))] == list(methods)
        pairs += [(getattr(stub, m), getattr(reference, m)) for m in methods]
    for mine, theirs in pairs:
        assert inspect.cleandoc(mine.__doc__ or "") == inspect.cleandoc(theirs.__doc__ or "")
        if not inspect.isclass(mine):
            assert inspect.signature(mine, eval_str=True) == inspect.signature(theirs, eval_str=True)


def test_a_marker_must_name_an_exercise_of_its_chapter():
    with pytest.raises(ValueError, match="names no declared exercise"):
        expand_exercises("% exercise: no_such_thing\n", "02_layer_norm.md")
    with pytest.raises(ValueError, match="declared in chapter 05"):
        expand_exercises("% exercise: softmax\n", "02_layer_norm.md")


def test_chapter_number_reads_every_kind_of_name():
    assert chapter_number("chapters/02_layer_norm.md") == "02"
    assert chapter_number("02_layer_norm.ipynb") == "02"
    assert chapter_number("ch09_training.py") == "09"
    assert chapter_number("ch09_training") == "09"
    assert chapter_number("notes.ipynb") is None
    assert chapter_number("2_layer_norm.md") is None


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_the_site_parses_the_same_cells(path):
    """The book's source-read hook (autograder/book.py) hands Sphinx the chapter with its exercises expanded: the
    cells the site executes and shows are the learner notebook's."""
    import jupytext

    from autograder import book

    source = [path.read_text()]
    book.expand_exercises(None, f"chapters/{path.stem}", source)
    site = jupytext.reads(source[0], fmt="md")
    learner = learner_notebook(path)
    assert [(c.cell_type, c.source, c.metadata) for c in site.cells] == \
        [(c.cell_type, c.source, c.metadata) for c in learner.cells]


def test_the_site_leaves_other_pages_alone():
    from autograder import book

    source = ["% exercise: layer_norm\n"]
    book.expand_exercises(None, "guide/learners", source)
    assert source == ["% exercise: layer_norm\n"]
