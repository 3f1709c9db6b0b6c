"""Plausible wrong implementations, written as a learner would write them, one module per chapter.

Each chapter module has `MUTANTS: list[Mutant]`. The tests prove that the check of `exercise` rejects every mutant
and names the known mistake `mistake` (its stable id) on the first failing case, visible and hidden alike.
"""

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    exercise: str  # the exercise (function) name
    name: str  # what is wrong, in a few words (the test id)
    mistake: str  # the id of the known mistake the check must name (a Mistake's id, a case's hint_id, ...)
    source: str  # the learner's cell: defines `exercise`


PREAMBLE = "import math\nimport numpy as np\n"


def says(report: str, hint: str) -> bool:
    """Whether `report` contains `hint`, whatever the line wrapping."""
    return " ".join(hint.split()) in " ".join(report.split())


def all_mutants() -> list[Mutant]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found += importlib.import_module(f"{__name__}.{info.name}").MUTANTS
    return found


def load(mutant: Mutant, namespace: dict | None = None):
    """The mutant's function, defined as a notebook would define it."""
    ns = dict(namespace or {})
    exec(compile(PREAMBLE + mutant.source, f"<mutant {mutant.name}>", "exec"), ns)
    return ns[mutant.exercise]
