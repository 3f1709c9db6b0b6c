"""Simulated submissions built from the chapters: the stub as released, the reference solution, a mutant."""

from __future__ import annotations

import ast
import copy
import inspect
from pathlib import Path

import nbformat

from autograder import exercises_of
from autograder.engine import MUTANT_PREAMBLE as PREAMBLE
from autograder.engine import Mutant, all_mutants, names_called
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


def _calls(fn, names: list[str], seen: set | None = None) -> set[str]:
    """Which of `names` the reference `fn` calls, directly or through its module's helpers (_next_token)."""
    seen = set() if seen is None else seen
    scope = getattr(fn, "__globals__", {})
    helpers = [n for n, v in scope.items() if inspect.isfunction(v) and v.__module__.startswith("solutions")]
    found = set()
    for name in names_called(fn, sorted(set(names) | set(helpers))):
        if name in names:
            found.add(name)
        elif name not in seen:
            seen.add(name)
            found |= _calls(scope[name], names, seen)
    return found


def first_mutant(chapter: str) -> Mutant:
    """The chapter's first mutant that only its own exercise should lose points for: of an exercise that no other
    exercise of the chapter calls (a wrong gelu also fails ffn), preferably one that does not import from `solutions`
    (in a notebook that replaces the learner's other functions)."""
    exercises = exercises_of(chapter)
    names = [e.name for e in exercises]
    called = {h for e in exercises for h in _calls(e.solution, names) if h != e.name}
    candidates = [m for m in all_mutants() if m.exercise in names and m.exercise not in called]
    return next((m for m in candidates if "from solutions" not in m.source), candidates[0])


def write(nb, path: Path) -> Path:
    return write_notebook(copy.deepcopy(nb), path)
