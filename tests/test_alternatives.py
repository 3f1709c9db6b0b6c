"""A bank of independently written correct solutions, graded like submissions: every one gets full marks on the
visible cases and on the hidden cases of many seeds (in-process, through the engine), and each chapter's
alternatives also go once through the sandboxed notebook path (`grade_notebook`).

AUTOGRADER_ALTERNATIVE_SEEDS sets how many hidden seeds (20 by default; a slow run uses more)."""

import os

import pytest

from autograder import REGISTRY, load_all
from autograder.engine import grade_function
from autograder.grading import grade_notebook
from tests.alternatives import all_alternatives, load
from tests.notebook_fixtures import GRADED_CHAPTERS, with_source, write

load_all()
ALTERNATIVES = all_alternatives()
N_SEEDS = int(os.environ.get("AUTOGRADER_ALTERNATIVE_SEEDS", "20"))
SEEDS = [1000 + 7919 * i for i in range(N_SEEDS)]


@pytest.mark.parametrize("alt", ALTERNATIVES, ids=[f"{a.exercise}: {a.name}" for a in ALTERNATIVES])
def test_alternative_gets_full_marks_over_many_seeds(alt):
    fn = load(alt)
    result = grade_function(alt.exercise, fn)
    assert result.passed, result.report()
    for seed in SEEDS:
        result = grade_function(alt.exercise, fn, hidden=True, seed=seed)
        assert result.passed, f"seed {seed}:\n{result.report()}"


def test_every_exercise_has_three_alternatives():
    count = {name: 0 for name in REGISTRY}
    for alt in ALTERNATIVES:
        count[alt.exercise] += 1
    assert all(n >= 3 for n in count.values()), {k: v for k, v in count.items() if v < 3}


def _notebooks_of(chapter: str) -> list[list]:
    """The chapter's alternatives as notebooks: the k-th notebook takes the k-th alternative of every exercise."""
    names = {e.name for e in REGISTRY.values() if e.chapter == chapter}
    by_exercise: dict[str, list] = {}
    for alt in ALTERNATIVES:
        if alt.exercise in names:
            by_exercise.setdefault(alt.exercise, []).append(alt)
    depth = max((len(v) for v in by_exercise.values()), default=0)
    return [[alts[k] for alts in by_exercise.values() if k < len(alts)] for k in range(depth)]


@pytest.mark.parametrize("chapter", GRADED_CHAPTERS)
def test_alternatives_get_full_marks_through_the_sandboxed_notebook(chapter, tmp_path):
    for k, group in enumerate(_notebooks_of(chapter)):
        nb = with_source(chapter, {alt.exercise: alt.source for alt in group})
        result = grade_notebook(write(nb, tmp_path / f"{chapter}_alt{k}.ipynb"), seed=SEEDS[k % len(SEEDS)])
        assert result["status"] == "graded", result["output"]
        lost = [t for t in result["tests"] if t["score"] != t["max_score"] and
                t["name"].split(" ")[0] in {a.exercise for a in group}]
        assert not lost, [t["output"] for t in lost]
