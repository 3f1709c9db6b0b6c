"""Every exercise's check: the reference passes, the chapter's stub scores 0, and every mutant is rejected with its
intended hint — visible cases and hidden cases alike. Every known mistake of the engine is reached by a mutant."""

import os
import pickle

import numpy as np
import pytest

import solutions
from autograder import REGISTRY, CheckFailed, check, load_all
from autograder.engine import NOT_IMPLEMENTED, NOT_IMPLEMENTED_ID, all_mutants, grade_function
from autograder.engine import load_mutant as load
from autograder.notebooks import cell_role, chapter_path, read_notebook

load_all()
MUTANTS = all_mutants()


def says(report: str, hint: str) -> bool:
    """Whether `report` contains `hint`, whatever the line wrapping."""
    return " ".join(hint.split()) in " ".join(report.split())
SEEDS = [0, 1, 2]  # the reference and the stubs
MUTANT_SEEDS = [int(s) for s in os.environ.get("AUTOGRADER_MUTANT_SEEDS", ",".join(map(str, range(20)))).split(",")]


def chapter_stubs(chapter: str) -> dict:
    """The functions the chapter's answer cells define, as shipped (stubs)."""
    ns: dict = {}
    for cell in read_notebook(chapter_path(chapter)).cells:
        if cell_role(cell) in ("answer", "code") and "remove-input" not in cell.metadata.get("tags", []):
            exec(cell.source, ns)
    return ns


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_reference_passes_visible_and_hidden(name, capsys):
    check(name, getattr(solutions, name))
    for seed in SEEDS:
        check(name, getattr(solutions, name), hidden=True, seed=seed)
    out = capsys.readouterr()
    assert out.err == "", "a passing check must write nothing to stderr (nbgrader scores that as 0)"
    assert out.out.count("✓") == 1 + len(SEEDS)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_stub_scores_zero(name):
    stub = chapter_stubs(REGISTRY[name].chapter)[name]
    for hidden in (False, True):
        result = grade_function(name, stub, hidden=hidden, seed=0)
        assert result.score == 0
        assert not any(c.passed for c in result.cases), "a stub must pass no case at all"
        assert result.mistake == NOT_IMPLEMENTED_ID
        assert says(result.report(), NOT_IMPLEMENTED)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[f"{m.exercise}: {m.name}" for m in MUTANTS])
def test_mutant_rejected_with_its_hint(mutant):
    fn = load(mutant)
    with pytest.raises(CheckFailed):
        check(mutant.exercise, fn)
    result = grade_function(mutant.exercise, fn)
    assert result.mistake == mutant.mistake, f"expected the mistake {mutant.mistake!r}, got:\n{result.report()}"
    assert result.score < result.points
    for seed in MUTANT_SEEDS:  # the hidden cases, drawn at grading time, reject it too
        result = grade_function(mutant.exercise, fn, hidden=True, seed=seed)
        assert not result.passed
        assert result.mistake == mutant.mistake, f"seed {seed}: expected {mutant.mistake!r}:\n{result.report()}"


def test_every_known_mistake_is_proven_by_a_mutant():
    reached = {(m.exercise, m.mistake) for m in MUTANTS}
    for exercise in REGISTRY.values():
        for mistake in exercise.mistakes:
            assert (exercise.name, mistake.id) in reached, f"{exercise.name}: no mutant names {mistake.id!r}"


def test_every_exercise_has_mutants_and_points():
    for exercise in REGISTRY.values():
        assert any(m.exercise == exercise.name for m in MUTANTS), f"{exercise.name} has no mutant"
        assert exercise.points > 0 and exercise.hidden_points > 0


def test_hidden_cases_change_with_the_seed():
    for exercise in REGISTRY.values():
        a, b = exercise.cases(hidden=True, seed=1), exercise.cases(hidden=True, seed=2)
        pairs = [(x, y) for ca, cb in zip(a, b) for x, y in zip(ca.args, cb.args)]
        assert any(_differ(x, y) for x, y in pairs), exercise.name


def _differ(x, y) -> bool:
    """Two case arguments differ: arrays by shape or value, anything else (e.g. a tuple of bytes) by pickle."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.shape == y.shape
                    and np.array_equal(x, y))
    return pickle.dumps(x) != pickle.dumps(y)


def test_hard_coded_visible_answers_fail_hidden_cases():
    """A learner who memorises the visible outputs gets no hidden points."""
    for exercise in REGISTRY.values():
        visible = exercise.cases()
        table = [(case, getattr(solutions, exercise.name)(*case.args, **case.kwargs)) for case in visible
                 if not case.probe and not case.raises]

        def memorised(*args, table=table, **kwargs):
            for case, out in table:
                if all(np.array_equal(a, b) for a, b in zip(args, case.args) if isinstance(a, np.ndarray)):
                    return out
            raise ValueError("unknown input")

        assert not grade_function(exercise.name, memorised, hidden=True, seed=5).passed, exercise.name
