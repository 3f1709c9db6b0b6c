"""Simulated submissions built from the chapters: the stub as released, the reference solution, a mutant."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import nbformat

from autograder import exercises_of
from autograder.engine import MUTANT_PREAMBLE as PREAMBLE
from autograder.engine import Mutant, all_mutants
from autograder.notebooks import (
    cell_role,
    chapter_number,
    chapter_paths,
    learner_notebook,
    source_notebook,
    write_notebook,
)

GRADED_CHAPTERS = [chapter_number(p) for p in chapter_paths() if exercises_of(chapter_number(p))]


def chapter_file(chapter: str) -> Path:
    return next(p for p in chapter_paths() if p.name.startswith(f"{chapter}_"))


def solved(chapter: str) -> nbformat.NotebookNode:
    """The learner notebook with every answer cell filled with the reference body (solution markers left in)."""
    nb = learner_notebook(chapter_file(chapter))
    source = source_notebook(chapter_file(chapter))
    for cell, ref in zip(nb.cells, source.cells):
        if cell_role(cell) == "answer":
            cell.source = ref.source
    return nb


def with_mutant(chapter: str, mutant: Mutant) -> nbformat.NotebookNode:
    """The solved notebook where the answer cell defining the mutant's exercise is replaced by the mutant."""
    nb = solved(chapter)
    for cell in nb.cells:
        if cell_role(cell) == "answer" and mutant.exercise in defined_names(cell.source):
            cell.source = PREAMBLE + mutant.source.strip("\n")
            return nb
    raise LookupError(f"no answer cell of chapter {chapter} defines {mutant.exercise}")


def with_source(chapter: str, sources: dict[str, str]) -> nbformat.NotebookNode:
    """The solved notebook where `sources[name]` is appended to the answer cell defining `name`, so the learner's
    definition is the one that counts (the cell's other definitions, such as split_heads next to mha, stay)."""
    nb = solved(chapter)
    for name, source in sources.items():
        cell = next((c for c in nb.cells if cell_role(c) == "answer" and name in defined_names(c.source)), None)
        if cell is None:
            raise LookupError(f"no answer cell of chapter {chapter} defines {name}")
        cell.source = cell.source + "\n\n" + PREAMBLE + source.strip("\n")
    return nb


def defined_names(source: str) -> set[str]:
    return {n.name for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def first_mutant(chapter: str) -> Mutant:
    names = {e.name for e in exercises_of(chapter)}
    return next(m for m in all_mutants() if m.exercise in names)


def write(nb, path: Path) -> Path:
    return write_notebook(copy.deepcopy(nb), path)
