"""Tolerances from measurement: for every exercise, how far the bank of correct alternatives lands from the
reference (in units of each case's tolerance: below 1 passes) and how far the nearest known mistake lands.
Both margins must be at least 10×: alternatives at most 0.1 of the tolerance, every mistake at least 10× over it
on its most revealing case.

Each chapter's module of alternatives (tests/alternatives/chNN_*.py) holds `MEASURED`, the table as last measured
(worst alternative, nearest mistake) over the visible cases and the hidden cases of SEEDS: a tolerance change that
moves a margin by more than 10× fails here until the table is updated, so the change shows its margins in review."""

import math

import pytest

from autograder import REGISTRY, load_all
from autograder.engine import deviation, expected, mistake_outcome, probe_case
from tests.alternatives import all_alternatives, load, measured_table

load_all()
SEEDS = [11, 12, 13, 14, 15]
ALTERNATIVES = all_alternatives()

MEASURED = measured_table()


def measure(name: str) -> tuple[float, float]:
    exercise = REGISTRY[name]
    alternatives = [load(a) for a in ALTERNATIVES if a.exercise == name]
    worst_alternative, mistakes = 0.0, {m.id: 0.0 for m in exercise.mistakes}
    for seed in [None, *SEEDS]:
        cases = exercise.cases() if seed is None else exercise.cases(hidden=True, seed=seed)
        for case in cases:
            want = expected(exercise, case)
            for fn in alternatives:
                worst_alternative = max(worst_alternative, deviation(case, probe_case(fn, case), want))
            for mistake in exercise.mistakes:
                d = deviation(case, mistake_outcome(exercise, mistake, case), want)
                mistakes[mistake.id] = max(mistakes[mistake.id], d)
    return worst_alternative, min(mistakes.values(), default=math.inf)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_tolerance_margins(name):
    alternative, mistake = measure(name)
    assert alternative <= 0.1, f"{name}: a correct alternative lands at {alternative:.3g} of the tolerance (> 0.1)"
    assert mistake >= 10, f"{name}: a known mistake lands only {mistake:.3g}× the tolerance away (< 10)"
    assert name in MEASURED, f"add {name!r}: ({alternative:.2g}, {mistake:.2g}) to MEASURED"
    then_alt, then_mistake = MEASURED[name]
    assert _same_order(alternative, then_alt) and _same_order(mistake, then_mistake), (
        f"{name}: measured ({alternative:.2g}, {mistake:.2g}), table says ({then_alt:.2g}, {then_mistake:.2g}): "
        "update MEASURED")


def _same_order(now: float, then: float) -> bool:
    if math.isinf(now) or math.isinf(then):
        return now == then
    if now == 0 or then == 0:
        return max(now, then) < 1e-3
    return 0.1 <= now / then <= 10
