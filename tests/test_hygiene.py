"""Code hygiene the linter does not see: no module defines a top-level name twice, and the engine's shared state
(the cases cache, the capture of warnings) stays correct when the batch judges from several threads."""

import ast
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from autograder.engine import Case, Exercise, probe_case

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for folder in ("autograder", "solutions", "tests", "benchmarks")
                 for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_no_top_level_name_is_defined_twice(path):
    """A second `def f` silently replaces the first (ch08 once had two _temperature_after_softmax)."""
    seen: dict[str, int] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            assert node.name not in seen, f"{node.name} defined on lines {seen[node.name]} and {node.lineno}"
            seen[node.name] = node.lineno


def test_cases_are_made_once_per_seed_from_many_threads():
    calls = []

    def make_cases(rng, hidden):
        calls.append(1)
        threading.Event().wait(0.01)  # long enough for the other threads to arrive
        return [Case("a case", (rng.standard_normal(3),))]

    ex = Exercise("demo", "00", 1, 1, solution=lambda x: x, make_cases=make_cases)
    got = []
    threads = [threading.Thread(target=lambda: got.append(ex.cases(hidden=True, seed=7))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(g is got[0] for g in got)


def test_warnings_are_caught_per_probe_from_many_threads():
    """Each probe records its own function's warnings, and none leak out, while other threads probe too."""
    def warns(x):
        threading.Event().wait(0.002)
        warnings.warn("mine", RuntimeWarning, stacklevel=1)
        return x

    def quiet(x):
        threading.Event().wait(0.002)
        return x

    case = Case("a case", (np.zeros(2),))
    results: dict[str, list] = {"warns": [], "quiet": []}

    def run(name, fn):
        for _ in range(20):
            results[name].append(probe_case(fn, case).warnings)

    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        threads = [threading.Thread(target=run, args=(n, f)) for n, f in (("warns", warns), ("quiet", quiet))]
        threads += [threading.Thread(target=run, args=("quiet", quiet))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert all(w == ["RuntimeWarning: mine"] for w in results["warns"]), results["warns"]
    assert all(w == [] for w in results["quiet"])
    assert not [w for w in leaked if "mine" in str(w.message)]
