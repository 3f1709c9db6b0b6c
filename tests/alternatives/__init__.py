"""Correct implementations written independently of `solutions`, one module per chapter (chNN_*.py).

Each module has `ALTERNATIVES: list[Alternative]`: at least three per exercise, of different shape (einsum, loops,
torch, another equivalent formula, peers' code — picoGPT, minGPT, nanoGPT, LLMs-from-scratch, Hugging Face —
adapted with the smallest faithful change). The tests grade every one like a submission, over many hidden seeds
(tests/test_alternatives.py): a correct answer must never lose a point. They also set the floor of every tolerance
(tests/test_tolerances.py), and `MEASURED: dict[str, tuple[float, float]]` records, per exercise, the worst
alternative and the nearest known mistake in units of the tolerance (math.inf: caught structurally — an error, a
shape, a dtype, an exact comparison), as tests/test_tolerances.py last measured them.
"""

import importlib
import pkgutil
from dataclasses import dataclass

from autograder.engine import MUTANT_PREAMBLE as PREAMBLE


@dataclass(frozen=True)
class Alternative:
    exercise: str  # the exercise (function or class) name
    name: str  # how it differs, in a few words (the test id)
    origin: str  # where it comes from: "independent", "picoGPT", "LLMs-from-scratch", "Hugging Face", ...
    source: str  # the learner's cell: defines `exercise` (numpy as np, math, and torch where it imports it)


def all_alternatives() -> list[Alternative]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found += importlib.import_module(f"{__name__}.{info.name}").ALTERNATIVES
    return found


def measured_table() -> dict[str, tuple[float, float]]:
    table = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        table.update(getattr(importlib.import_module(f"{__name__}.{info.name}"), "MEASURED", {}))
    return table


def load(alternative: Alternative, namespace: dict | None = None):
    """The alternative's function, defined as a notebook cell would define it."""
    ns = dict(namespace or {})
    exec(compile(PREAMBLE + alternative.source, f"<alternative {alternative.name}>", "exec"), ns)
    return ns[alternative.exercise]
