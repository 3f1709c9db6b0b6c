"""The grading engine: exercises, their cases, and the verdict with a hint.

An exercise is a name, its points, a generator of cases and a list of known mistakes.
Grading has two halves that may run in different processes:

* `probe_case` calls the learner's function on a case's inputs and returns plain data (run where the learner's
  code lives: the notebook's kernel, or a sandboxed child process);
* `judge` compares that data with the reference in the trusted process and, when it differs, names the likely
  mistake by finding the known mistake whose output the learner's output matches.
"""

from __future__ import annotations

import copy
import os
import re
import secrets
import textwrap
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

VISIBLE_SEED = 1234  # the visible cases are the same for everyone; hidden ones use a seed drawn at grading time


# --------------------------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------------------------
@dataclass
class Case:
    """One call of the learner's function and what must come back."""

    label: str  # what the case tests, in the learner's words ("a constant row")
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    raises: type[BaseException] | None = None  # the case expects this exception instead of a value
    message: str | None = None  # with `raises`: a regex (case-insensitive) the error's message must match
    atol: float = 1e-6
    rtol: float = 1e-6
    hint: str | None = None  # what a failure of this case most likely means, when no known mistake matches
    oracle: Callable | None = None  # an independent implementation to compare with instead of the solution
    probe: Callable | None = None  # how to call: probe(fn, *args, **kwargs) -> data (default: fn(*args, **kwargs))
    compare: Callable | None = None  # compare(got, want, case) -> message or None, instead of the array comparison
    check_dtype: bool = True


@dataclass
class Mistake:
    """A plausible wrong implementation and the one sentence a teaching assistant would say about it."""

    hint: str
    impl: Callable


@dataclass
class Exercise:
    name: str  # the function's name, as in the notebook and in `solutions`
    chapter: str  # "02"
    points: int  # for the visible check cell
    hidden_points: int  # for the hidden check cell
    solution: Callable
    make_cases: Callable[[np.random.Generator, bool], list[Case]]  # (rng, hidden) -> cases
    mistakes: list[Mistake] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def cases(self, hidden: bool = False, seed: int | None = None) -> list[Case]:
        """The cases for a seed; the same seed gives the same (shared, read-only) Case objects, so a batch
        computes each expected outcome once."""
        if seed is None:
            seed = grading_seed() if hidden else VISIBLE_SEED
        key = (hidden, seed)
        if key not in self._cache:
            self._cache.clear() if len(self._cache) > 16 else None
            self._cache[key] = self.make_cases(np.random.default_rng(seed), hidden)
        return self._cache[key]


REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    if exercise.name in REGISTRY:
        raise ValueError(f"exercise {exercise.name!r} registered twice")
    REGISTRY[exercise.name] = exercise
    return exercise


def exercises_of(chapter: str) -> list[Exercise]:
    return [e for e in REGISTRY.values() if e.chapter == chapter]


def grading_seed() -> int:
    """The seed of the hidden cases: AUTOGRADER_SEED when set (so a batch is reproducible), else a fresh one."""
    seed = os.environ.get("AUTOGRADER_SEED")
    return int(seed) if seed else secrets.randbelow(2**31)


# --------------------------------------------------------------------------------------------------------------
# Probing: the only part that touches the learner's code
# --------------------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What one call gave back, as plain data."""

    value: Any = None
    error: tuple[str, str] | None = None  # (exception type name, message)
    where: str = ""  # the last line of the learner's traceback
    mutated: list[int] = field(default_factory=list)  # positions of array arguments changed in place
    warnings: list[str] = field(default_factory=list)


def call(fn: Callable, case: Case) -> Any:
    return case.probe(fn, *case.args, **case.kwargs) if case.probe else fn(*case.args, **case.kwargs)


def probe_case(fn: Callable, case: Case) -> Outcome:
    """Call the learner's function on copies of the case's inputs and record what happened."""
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    outcome = Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            try:
                outcome.value = call(fn, Case(case.label, args, kwargs, probe=case.probe))
            except Exception as exc:  # the learner's exception is data
                outcome.error = (type(exc).__name__, str(exc)[:500])
                frames = traceback.extract_tb(exc.__traceback__)
                learner = [f for f in frames if "autograder" not in f.filename]
                if learner:
                    outcome.where = f"line {learner[-1].lineno}: {(learner[-1].line or '').strip()}"
    outcome.warnings = sorted({f"{w.category.__name__}: {w.message}" for w in caught})[:5]
    outcome.mutated = [i for i, (a, b) in enumerate(zip(args, case.args)) if _changed(a, b)]
    return outcome


def _changed(after: Any, before: Any) -> bool:
    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and after.shape == before.shape
                    and np.array_equal(after, before, equal_nan=True))
    return False


# --------------------------------------------------------------------------------------------------------------
# Judging: trusted code only
# --------------------------------------------------------------------------------------------------------------
@dataclass
class CaseResult:
    label: str
    passed: bool
    detail: str = ""  # expected / got
    hint: str = ""


@dataclass
class Result:
    exercise: str
    hidden: bool
    points: int
    cases: list[CaseResult]
    seed: int | None = None

    @property
    def passed(self) -> bool:
        return bool(self.cases) and all(c.passed for c in self.cases)

    @property
    def score(self) -> int:
        return self.points if self.passed else 0

    @property
    def name(self) -> str:
        return f"{self.exercise} (hidden)" if self.hidden else self.exercise

    def report(self) -> str:
        """A few lines for the learner: the verdict, and for the first failure what differs and why."""
        n_ok = sum(c.passed for c in self.cases)
        what = "hidden cases" if self.hidden else "checks"
        if self.passed:
            return f"✓ {self.name}: all {len(self.cases)} {what} passed — {self.points}/{self.points} points"
        lines = [f"✗ {self.name}: {n_ok}/{len(self.cases)} {what} passed — 0/{self.points} points"]
        first = next(c for c in self.cases if not c.passed)
        lines.append(f"  failed: {first.label}")
        lines += [f"    {line}" for line in first.detail.splitlines()]
        if first.hint:
            lines += textwrap.wrap(first.hint, width=100, initial_indent="  hint: ", subsequent_indent="        ")
        others = [c.label for c in self.cases if not c.passed and c is not first]
        if others and first.hint != NOT_IMPLEMENTED:
            lines.append(f"  also failed: {'; '.join(others)}")
        return "\n".join(lines)


NOT_IMPLEMENTED = "not implemented yet: replace `raise NotImplementedError()` with your code, then run this cell again."


MUTATED_INPUT = ("your function changed the caller's array in place (x -= ..., x[...] = ...): compute into a new "
                 "array instead (x = x - ...).")


def judge(exercise: Exercise, cases: list[Case], outcomes: list[Outcome], hidden: bool = False,
          seed: int | None = None) -> Result:
    results = [judge_case(exercise, case, outcome) for case, outcome in zip(cases, outcomes, strict=True)]
    points = exercise.hidden_points if hidden else exercise.points
    return Result(exercise.name, hidden, points, results, seed)


def judge_case(exercise: Exercise, case: Case, got: Outcome) -> CaseResult:
    want = expected(exercise, case)
    problem = _problem(case, got, want)
    if problem is None:
        return CaseResult(case.label, True)
    if got.error and got.error[0] == "NotImplementedError":
        return CaseResult(case.label, False, "your function raised NotImplementedError", NOT_IMPLEMENTED)
    if got.mutated and not got.error:
        return CaseResult(case.label, False, problem, MUTATED_INPUT)
    hint = _known_mistake(exercise, case, got) or case.hint or ""
    if got.warnings and not hint:
        hint = f"your code warned {got.warnings[0]!r}: look for an overflow or a division by zero."
    return CaseResult(case.label, False, problem, hint)


def expected(exercise: Exercise, case: Case) -> Outcome:
    """The reference outcome (from the oracle when the case names one, else from `solutions`)."""
    memo = case.__dict__.get("_expected")
    if memo is None or memo[0] is not exercise:
        memo = (exercise, probe_case(case.oracle or exercise.solution, case))
        case.__dict__["_expected"] = memo
    return memo[1]


def _problem(case: Case, got: Outcome, want: Outcome) -> str | None:
    """None when `got` is right, else a short description of what differs."""
    if want.error:  # the case expects an exception
        if got.error is None:
            return f"expected a {want.error[0]} (e.g. {want.error[1]!r}), but your function returned normally"
        if got.error[0] != want.error[0] and not (case.raises and _is_subclass_name(got.error[0], case.raises)):
            return f"expected a {want.error[0]}, got {got.error[0]}: {got.error[1]}"
        if not got.error[1].strip():
            return f"your {got.error[0]} has no message: say what is wrong, e.g. {want.error[1]!r}"
        if not _says_what_is_wrong(case, got):
            return (f"your {got.error[0]} says {got.error[1]!r}, which does not say what is wrong; "
                    f"expected a message like {want.error[1]!r}")
        return None
    if got.error:
        where = f"\n(at {got.where})" if got.where else ""
        return f"your function raised {got.error[0]}: {got.error[1]}{where}"
    if got.mutated:
        return f"your function changed its input argument #{got.mutated[0] + 1} in place"
    if case.compare:
        return case.compare(got.value, want.value, case)
    return compare_values(got.value, want.value, case)


def _says_what_is_wrong(case: Case, outcome: Outcome) -> bool:
    return not case.message or bool(re.search(case.message, outcome.error[1], re.IGNORECASE))


def _is_subclass_name(name: str, cls: type) -> bool:
    return any(k.__name__ == name for k in cls.__subclasses__()) or name == cls.__name__


def compare_values(got: Any, want: Any, case: Case) -> str | None:
    if isinstance(want, np.ndarray):
        return compare_arrays(got, want, case)
    if isinstance(want, (dict, list, tuple)) and not isinstance(got, type(want)):
        return f"expected a {type(want).__name__}, got {_describe(got)}"
    if isinstance(want, dict):
        if set(got) != set(want):
            return f"expected keys {sorted(want)}, got {sorted(got)}"
        for key in want:
            problem = compare_values(got[key], want[key], case)
            if problem:
                return f"[{key!r}]: {problem}"
        return None
    if isinstance(want, (list, tuple)):
        if len(got) != len(want):
            return f"expected {len(want)} items, got {len(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = compare_values(g, w, case)
            if problem:
                return f"item {i}: {problem}"
        return None
    if isinstance(want, (bool, int, np.integer)) and not isinstance(want, float):
        if not isinstance(got, (int, np.integer)) or isinstance(got, bool) != isinstance(want, bool) or got != want:
            return f"expected {want!r}, got {_describe(got)}"
        return None
    if isinstance(want, (float, np.floating)):
        if not isinstance(got, (int, float, np.number)) or not np.isclose(got, want, rtol=case.rtol, atol=case.atol):
            return f"expected {want!r}, got {_describe(got)}"
        return None
    return None if got == want else f"expected {want!r}, got {_describe(got)}"


def compare_arrays(got: Any, want: np.ndarray, case: Case) -> str | None:
    if not isinstance(got, np.ndarray):
        return f"expected a NumPy array of shape {want.shape}, got {_describe(got)}"
    if got.shape != want.shape:
        return f"expected shape {want.shape}, got shape {got.shape}"
    if case.check_dtype and got.dtype != want.dtype:
        return f"expected dtype {want.dtype}, got dtype {got.dtype}"
    if got.dtype.kind not in "fcbiu":
        return f"expected numbers, got an array of dtype {got.dtype}"
    if want.dtype.kind in "biu":
        if np.array_equal(got, want):
            return None
        bad = np.argwhere(got != want)
        idx = tuple(int(i) for i in bad[0]) if bad.size else ()
        return f"expected {_fmt(want)}\ngot      {_fmt(got)}\n{len(bad)} entries differ, first at {list(idx)}"
    if np.array_equal(np.isinf(got) & (got < 0), np.isinf(want) & (want < 0)) and np.allclose(
        np.where(np.isneginf(want), 0, got), np.where(np.isneginf(want), 0, want),
        rtol=case.rtol, atol=case.atol, equal_nan=False,
    ):
        return None
    with np.errstate(invalid="ignore"):  # inf - inf where both are -inf is NaN, and no reason to warn
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    diff = np.where(np.isnan(diff), np.inf, diff)
    if np.any(np.isnan(got)) and not np.any(np.isnan(want)):
        where = tuple(int(i) for i in np.argwhere(np.isnan(got))[0])
        msg = f"your output has NaN (first at {list(where)}); the expected output has none"
    else:
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        msg = (f"max |difference| {float(np.max(diff)):.3g} at {list(where)} "
               f"(tolerance {case.atol:g} + {case.rtol:g}·|expected|)")
    row = where[:-1]  # show the row (last axis) where the worst difference is
    label = f"[{', '.join(map(str, row))}, :]" if row else ""
    return f"expected{label} {_fmt(want[row])}\ngot{label}      {_fmt(got[row])}\n{msg}"


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=4, threshold=8, edgeitems=2, max_line_width=100).replace(
        "\n", " ")


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}, dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text[:80]}"


def _known_mistake(exercise: Exercise, case: Case, got: Outcome) -> str | None:
    """The hint of the first known mistake that gives the same outcome as the learner on this case.

    When the learner's function raised, a mistake raising the same exception with the same message wins over the
    first one that merely raises the same type (KeyError('n_ctx') and KeyError('wte.weight') are different bugs).
    """
    same_type = None
    for mistake in exercise.mistakes:
        theirs = probe_case(mistake.impl, case)
        if theirs.error or got.error:
            if theirs.error and got.error and theirs.error[0] == got.error[0] \
                    and _says_what_is_wrong(case, theirs) == _says_what_is_wrong(case, got):
                if theirs.error[1] == got.error[1]:
                    return mistake.hint
                same_type = same_type or mistake.hint
            continue
        if _problem(case, got, theirs) is None:
            return mistake.hint
    return same_type


# --------------------------------------------------------------------------------------------------------------
# In one process: the notebook's check cells
# --------------------------------------------------------------------------------------------------------------
def grade_function(name: str, fn: Callable, hidden: bool = False, seed: int | None = None) -> Result:
    exercise = REGISTRY[name]
    if hidden and seed is None:
        seed = grading_seed()
    cases = exercise.cases(hidden=hidden, seed=seed)
    outcomes = [probe_case(fn, case) for case in cases]
    return judge(exercise, cases, outcomes, hidden=hidden, seed=seed if hidden else None)
