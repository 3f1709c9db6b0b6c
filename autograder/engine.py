"""The grading engine: exercises, their cases, and the verdict with a hint.

An exercise is a name, its points, a generator of cases, a list of known mistakes and the mutants (learner-style
wrong implementations) that prove each mistake is recognised.
Grading has two halves that may run in different processes:

* `probe_case` calls the learner's function on a case's inputs and returns plain data (run where the learner's
  code lives: the notebook's kernel, or a sandboxed child process);
* `judge` compares that data with the reference in the trusted process and, when it differs, names the likely
  mistake by finding the known mistake whose output the learner's output matches.
"""

from __future__ import annotations

import contextvars
import copy
import dataclasses
import importlib
import math
import os
import re
import secrets
import sys
import textwrap
import threading
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
    message: str | Callable[[str], bool] | None = None  # with `raises`: a regex (case-insensitive) the error's
    # message must match, or a predicate on the message
    atol: float = 1e-6
    rtol: float = 1e-6
    hint: str | None = None  # what a failure of this case most likely means, when no known mistake matches
    hint_id: str | None = None  # the stable id of `hint` (default: derived from the hint's first words)
    oracle: Callable | None = None  # an independent implementation to compare with instead of the solution
    probe: Callable | None = None  # how to call: probe(fn, *args, **kwargs) -> data (default: fn(*args, **kwargs))
    compare: Callable | None = None  # compare(got, want, case) -> message or None, instead of the array comparison
    check_dtype: bool = True


@dataclass
class Mistake:
    """A plausible wrong implementation and the one sentence a teaching assistant would say about it.

    `id` is the mistake's stable name (default: the implementation's name without leading underscores): mutants
    declare the id they must trigger, and results record it, so two mistakes with similar hints stay apart.
    """

    hint: str
    impl: Callable
    id: str = ""

    def __post_init__(self):
        self.explicit = bool(self.id)
        self.id = self.id or getattr(self.impl, "__name__", "").strip("_")
        if not self.explicit and not _ID.fullmatch(self.id):
            self.id = slug(self.hint)  # a lambda or a factory's closure: named after its hint
        if not _ID.fullmatch(self.id):
            raise ValueError(f"a known mistake needs an id of lowercase words, got {self.id!r}")


_ID = re.compile(r"[a-z0-9][a-z0-9_.:\-]*")


def slug(text: str, words: int = 6) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:words]) or "mistake"


@dataclass(frozen=True)
class Mutant:
    """A plausible wrong implementation, written as a learner would write it, and the id of the known mistake (or of
    a case's hint, or `not-implemented`, `mutated-input`, `fix-first:<exercise>`) its check must name on the first
    failing case. Declared in the exercise's module, after its mistakes; the tests run every one."""

    exercise: str  # the exercise (function) name
    name: str  # what is wrong, in a few words (the test id)
    mistake: str  # the id the check must name
    source: str  # the learner's cell: defines `exercise`


MUTANT_PREAMBLE = "import math\nimport numpy as np\n"  # what a chapter's notebook has imported before its stubs


def load_mutant(mutant: Mutant, namespace: dict | None = None):
    """The mutant's function (or class), defined as a notebook would define it."""
    ns = dict(namespace or {})
    exec(compile(MUTANT_PREAMBLE + mutant.source, f"<mutant {mutant.name}>", "exec"), ns)
    return ns[mutant.exercise]


@dataclass
class Exercise:
    name: str  # the function's name, as in the notebook and in `solutions`
    chapter: str  # "02"
    points: int  # for the visible check cell
    hidden_points: int  # for the hidden check cell
    solution: Callable
    make_cases: Callable[[np.random.Generator, bool], list[Case]]  # (rng, hidden) -> cases
    mistakes: list[Mistake] = field(default_factory=list)
    stub_methods: tuple[str, ...] = ()  # a class: the methods the learner writes (default: all of the reference's)
    mutants: list[Mutant] = field(default_factory=list)  # filled by `register_mutants`
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    def cases(self, hidden: bool = False, seed: int | None = None) -> list[Case]:
        """The cases for a seed; the same seed gives the same (shared, read-only) Case objects, so a batch
        computes each expected outcome once."""
        if seed is None:
            seed = grading_seed() if hidden else VISIBLE_SEED
        key = (hidden, seed)
        with self._lock:  # batch grading judges from several threads: each seed's cases are made once
            if key not in self._cache:
                if len(self._cache) > 64:
                    self._cache.clear()
                self._cache[key] = self.make_cases(np.random.default_rng(seed), hidden)
            return self._cache[key]


REGISTRY: dict[str, Exercise] = {}  # filled as chapters' exercise modules are imported (see `exercise`)


def register(exercise: Exercise) -> Exercise:
    if exercise.name in REGISTRY:
        raise ValueError(f"exercise {exercise.name!r} registered twice")
    ids = [m.id for m in exercise.mistakes]
    for m in exercise.mistakes:  # closures of one factory share a name: without an explicit id, use the hint's
        if not m.explicit and ids.count(m.id) > 1:
            m.id = slug(m.hint)
    seen: dict[str, int] = {}
    for m in exercise.mistakes:  # identical hints still collide: number them (an explicit id is better)
        if not m.explicit:
            seen[m.id] = seen.get(m.id, 0) + 1
            m.id = m.id if seen[m.id] == 1 else f"{m.id}-{seen[m.id]}"
    ids = [m.id for m in exercise.mistakes]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"exercise {exercise.name!r}: known mistakes with the same id {twice}")
    REGISTRY[exercise.name] = exercise
    return exercise


def register_mutants(mutants: list[Mutant]) -> None:
    """Attach a chapter's mutants to their exercises (called at the end of the chapter's exercise module)."""
    for mutant in mutants:
        if mutant.exercise not in REGISTRY:
            raise ValueError(f"mutant {mutant.name!r}: no exercise called {mutant.exercise!r}")
        REGISTRY[mutant.exercise].mutants.append(mutant)


def all_mutants() -> list[Mutant]:
    """Every chapter's mutants (loads every chapter)."""
    return [m for e in load_all().values() for m in e.mutants]


def exercise(name: str) -> Exercise:
    """The exercise called `name`, importing only its chapter's module (so a NumPy chapter never loads PyTorch)."""
    if name not in REGISTRY:
        import solutions

        module = getattr(solutions, "_WHERE", {}).get(name)
        if module and module.startswith("ch"):
            importlib.import_module(f"autograder.exercises.{module}")
    if name not in REGISTRY:
        load_all()
    if name not in REGISTRY:
        raise KeyError(f"no exercise called {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def exercises_of(chapter: str) -> list[Exercise]:
    """The exercises of chapter "NN", in the order they are declared."""
    from .exercises import load_chapter

    load_chapter(chapter)
    return [e for e in REGISTRY.values() if e.chapter == chapter]


def load_all() -> dict[str, Exercise]:
    from .exercises import load_all as _load_all

    _load_all()
    return REGISTRY


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


_WARNINGS_LOCK = threading.RLock()  # re-entrant: a probe may grade a sibling exercise, which probes again


def call(fn: Callable, case: Case) -> Any:
    return case.probe(fn, *case.args, **case.kwargs) if case.probe else fn(*case.args, **case.kwargs)


def probe_case(fn: Callable, case: Case) -> Outcome:
    """Call the learner's function on copies of the case's inputs and record what happened."""
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    outcome = Outcome()
    # warnings.catch_warnings swaps process-wide state: one probe at a time (the batch judges from several threads)
    with _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            try:
                outcome.value = call(fn, Case(case.label, args, kwargs, probe=case.probe))
            except Exception as exc:  # the learner's exception is data
                outcome.error = (type(exc).__name__, str(exc)[:500])
                frames = traceback.extract_tb(exc.__traceback__)
                learner = [f for f in frames if _is_learner_frame(f.filename)]
                if learner:
                    outcome.where = f"line {learner[-1].lineno}: {(learner[-1].line or '').strip()}"
    outcome.warnings = sorted({f"{w.category.__name__}: {w.message}" for w in caught})[:5]
    outcome.mutated = [i for i, (a, b) in enumerate(zip(args, case.args)) if _changed(a, b)]
    return outcome


_LIBRARY_DIRS = tuple(os.path.realpath(p) + os.sep for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})
_COURSE_DIRS = tuple(os.path.realpath(os.path.join(os.path.dirname(__file__), "..", d)) + os.sep
                     for d in ("autograder", "solutions"))


def _is_learner_frame(filename: str) -> bool:
    """A frame of the learner's own code: not the grader's, the reference's, Python's or a library's."""
    if filename.startswith("<") and not filename.startswith(("<cell", "<mutant", "<ipython", "<string")):
        return False  # <frozen ...>, <__array_function__ internals>
    path = os.path.realpath(filename) if not filename.startswith("<") else filename
    return not path.startswith(_LIBRARY_DIRS + _COURSE_DIRS) and "site-packages" not in path


def _changed(after: Any, before: Any) -> bool:
    """Whether a call changed an argument in place: an array's values, or a list's or dict's contents (also inside
    tuples, lists and dicts)."""
    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and after.shape == before.shape
                    and np.array_equal(after, before, equal_nan=True))
    if isinstance(before, (list, tuple)):
        return type(after) is not type(before) or len(after) != len(before) or \
            any(_changed(a, b) for a, b in zip(after, before))
    if isinstance(before, dict):
        return not isinstance(after, dict) or set(after) != set(before) or \
            any(_changed(after[k], v) for k, v in before.items())
    if isinstance(before, (bool, int, float, str, bytes, type(None), np.generic)):
        return not _same_scalar(after, before)
    return False  # other objects (a model, a function) are the probe's business


def _same_scalar(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or (a != a and b != b)  # NaN stays NaN
    except Exception:  # an object whose == raises: compare identities
        return a is b


# --------------------------------------------------------------------------------------------------------------
# Judging: trusted code only
# --------------------------------------------------------------------------------------------------------------
@dataclass
class CaseResult:
    label: str
    passed: bool
    detail: str = ""  # expected / got
    hint: str = ""
    mistake: str = ""  # the stable id of the hint's source: a known mistake, a case's hint, or a generic one


@dataclass
class Result:
    exercise: str
    hidden: bool
    points: int
    cases: list[CaseResult]
    seed: int | None = None

    @property
    def n_passed(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def passed(self) -> bool:
        return bool(self.cases) and all(c.passed for c in self.cases)

    @property
    def score(self) -> float:
        """Partial credit: the points in proportion to the cases passed (a stub passes none and scores 0)."""
        return partial_score(self.points, self.n_passed, len(self.cases))

    @property
    def mistake(self) -> str:
        """The id of what went wrong in the first failing case ("" when all passed or nothing is known)."""
        return next((c.mistake for c in self.cases if not c.passed), "")

    @property
    def name(self) -> str:
        return f"{self.exercise} (hidden)" if self.hidden else self.exercise

    def report(self) -> str:
        """A few lines for the learner: the verdict, and for the first failure what differs and why."""
        what = "hidden cases" if self.hidden else "checks"
        points = f"{_num(self.score)}/{self.points} points"
        if self.passed:
            return f"✓ {self.name}: all {len(self.cases)} {what} passed — {points}"
        lines = [f"✗ {self.name}: {self.n_passed}/{len(self.cases)} {what} passed — {points}"]
        first = next(c for c in self.cases if not c.passed)
        lines.append(f"  failed: {first.label}")
        lines += [f"    {line}" for line in first.detail.splitlines()]
        if first.hint:
            lines += textwrap.wrap(first.hint, width=88, initial_indent="  hint: ", subsequent_indent="        ")
        others = [c.label for c in self.cases if not c.passed and c is not first]
        if others and first.hint != NOT_IMPLEMENTED:
            lines.append(f"  also failed: {'; '.join(others)}")
        return "\n".join(lines)


def partial_score(points: int, n_passed: int, n_cases: int) -> float:
    """points × n_passed / n_cases, rounded to hundredths (an int when whole)."""
    if n_cases <= 0 or n_passed <= 0:
        return 0
    score = round(points * n_passed / n_cases, 2)
    return int(score) if score == int(score) else score


def _num(x: float) -> str:
    return f"{x:g}"


NOT_IMPLEMENTED = "not implemented yet: replace `raise NotImplementedError()` with your code, then run this cell again."


MUTATED_INPUT = ("your function changed the caller's input in place (x -= ..., x[...] = ..., ids.append(...)): "
                 "compute into a new array or list instead (x = x - ..., ids = ids + [t]).")

# ids of the hints that do not come from a known mistake
NOT_IMPLEMENTED_ID, MUTATED_INPUT_ID, WARNED_ID = "not-implemented", "mutated-input", "warned"


def judge(exercise: Exercise, cases: list[Case], outcomes: list[Outcome], hidden: bool = False,
          seed: int | None = None) -> Result:
    """Compare every outcome with the reference; the first failing case also gets the likely mistake (the report
    shows only that one, and finding it re-runs the known mistakes, which is the slow part)."""
    results = []
    for case, outcome in zip(cases, outcomes, strict=True):
        first_failure = all(r.passed for r in results)
        results.append(judge_case(exercise, case, outcome, diagnose=first_failure))
    points = exercise.hidden_points if hidden else exercise.points
    return Result(exercise.name, hidden, points, results, seed)


def judge_case(exercise: Exercise, case: Case, got: Outcome, diagnose: bool = True) -> CaseResult:
    want = expected(exercise, case)
    problem = _problem(case, got, want)
    if problem is None:
        return CaseResult(case.label, True)
    if got.error and got.error[0] == "NotImplementedError":
        return CaseResult(case.label, False, "your function raised NotImplementedError", NOT_IMPLEMENTED,
                          NOT_IMPLEMENTED_ID)
    if got.mutated and not got.error:  # a known mistake that changes the input the same way names it better
        mistake = _known_mistake(exercise, case, got) if diagnose else None  # matches `mutated` too
        if mistake is not None:
            return CaseResult(case.label, False, problem, mistake.hint, mistake.id)
        return CaseResult(case.label, False, problem, MUTATED_INPUT, MUTATED_INPUT_ID)
    if not diagnose:
        return CaseResult(case.label, False, problem)
    mistake = _known_mistake(exercise, case, got)
    if mistake is not None:
        return CaseResult(case.label, False, problem, mistake.hint, mistake.id)
    if case.hint:
        return CaseResult(case.label, False, problem, case.hint, case_hint_id(case))
    if got.warnings:
        return CaseResult(case.label, False, problem, f"your code warned {got.warnings[0]!r}: look for an "
                          "overflow or a division by zero.", WARNED_ID)
    return CaseResult(case.label, False, problem)


def case_hint_id(case: Case) -> str:
    """The id of a case's own hint: `hint_id`, else `case:` and the hint's first words."""
    return case.hint_id or "case:" + slug(case.hint)


def expected(exercise: Exercise, case: Case) -> Outcome:
    """The reference outcome (from the oracle when the case names one, else from `solutions`)."""
    memo = case.__dict__.get("_expected")
    if memo is None or memo[0] is not exercise:
        memo = (exercise, probe_case(case.oracle or exercise.solution, case))
        case.__dict__["_expected"] = memo
    return memo[1]


def mistake_outcome(exercise: Exercise, mistake: Mistake, case: Case) -> Outcome:
    """What a known mistake gives on a case, computed once per case (cases are cached per seed)."""
    memo = case.__dict__.setdefault("_mistakes", {})
    key = (id(exercise), mistake.id)
    if key not in memo:
        memo[key] = probe_case(mistake.impl, case)
    return memo[key]


def _problem(case: Case, got: Outcome, want: Outcome, mutation: bool = True) -> str | None:
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
    if got.mutated and mutation:
        return f"your function changed its input argument #{got.mutated[0] + 1} in place"
    if case.compare:
        return case.compare(got.value, want.value, case)
    return compare_values(got.value, want.value, case)


def _says_what_is_wrong(case: Case, outcome: Outcome) -> bool:
    """Whether an error's message says what the case requires: `case.message` is a regex (searched,
    case-insensitive) or a predicate on the message."""
    if not case.message:
        return True
    if callable(case.message):
        return bool(case.message(outcome.error[1]))
    return bool(re.search(case.message, outcome.error[1], re.IGNORECASE))


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
        bad = got != want
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.isclose(got, want, rtol=case.rtol, atol=case.atol, equal_nan=_NAN_MATCHES_NAN.get())
        # -inf (a masked logit) must stay exactly -inf; elsewhere the tolerance applies
        bad = np.where(np.isneginf(want), ~np.isneginf(got), ~close)
    if not np.any(bad):
        return None
    return describe_difference(got, want, bad, case)


def describe_difference(got: np.ndarray, want: np.ndarray, bad: np.ndarray, case: Case) -> str:
    """The row holding the first wrong entry, printed at a precision that shows the difference, and that entry."""
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    n_bad = int(np.count_nonzero(bad))
    g, w = got[first], want[first]
    if want.dtype.kind in "biu":
        where = f"{n_bad} of {want.size} entries differ; the first at {list(first)}: expected {w!r}, got {g!r}"
        precision = 4
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            diff = abs(float(g) - float(w))
        tolerance = case.atol + case.rtol * abs(float(w))
        where = (f"{n_bad} of {want.size} entries differ; the first at {list(first)}: expected {float(w):.9g}, "
                 f"got {float(g):.9g} (|difference| {diff:.3g} > tolerance {tolerance:.3g})")
        if np.isnan(g) and not np.isnan(w):
            where = f"your output has NaN (first at {list(first)}; {n_bad} entries); the expected output has none"
        precision = 4 if not math.isfinite(diff) or diff <= 0 else int(min(12, max(4, 1 - math.log10(diff))))
    row = first[:-1]  # show the row (last axis) holding the first wrong entry
    label = f"[{', '.join(map(str, row))}, :]" if row else ""
    return (f"expected{label} {_fmt(want[row], precision)}\ngot{label}      {_fmt(got[row], precision)}\n{where}")


def _fmt(a: np.ndarray, precision: int = 4) -> str:
    return np.array2string(np.asarray(a), precision=precision, threshold=8, edgeitems=2,
                           max_line_width=100).replace("\n", " ")


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}, dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text[:80]}"


# NaN never equals the reference, but when a learner's output is compared with a known mistake's, NaN matches NaN
_NAN_MATCHES_NAN: contextvars.ContextVar[bool] = contextvars.ContextVar("nan_matches_nan", default=False)


def _known_mistake(exercise: Exercise, case: Case, got: Outcome) -> Mistake | None:
    """The first known mistake that gives the same outcome as the learner on this case.

    When the learner's function raised, a mistake raising the same exception with the same message wins over the
    first one that merely raises the same type (KeyError('n_ctx') and KeyError('wte.weight') are different bugs).
    """
    same_type = None
    for mistake in exercise.mistakes:
        theirs = mistake_outcome(exercise, mistake, case)
        if theirs.error or got.error:
            if theirs.error and got.error and theirs.error[0] == got.error[0] \
                    and _says_what_is_wrong(case, theirs) == _says_what_is_wrong(case, got):
                if theirs.error[1] == got.error[1]:
                    return mistake
                same_type = same_type or mistake
            continue
        if theirs.mutated != got.mutated:
            continue
        token = _NAN_MATCHES_NAN.set(True)  # a mistake that gives NaN is recognised by its NaNs
        try:
            same = _problem(case, got, dataclasses.replace(theirs, mutated=[]), mutation=False) is None
        finally:
            _NAN_MATCHES_NAN.reset(token)
        if same:
            return mistake
    return same_type


# --------------------------------------------------------------------------------------------------------------
# Cascades: a learner's exercise that calls a sibling exercise of theirs which is wrong
# --------------------------------------------------------------------------------------------------------------
def names_called(fn: Any, candidates: list[str]) -> list[str]:
    """Which of `candidates` (the chapter's other exercises) the code of `fn` refers to by name: a function's
    code and the code objects nested in it, or every method of a class. Runs where the learner's code lives."""
    codes, seen, names = [], set(), set()
    if isinstance(fn, type):
        for value in vars(fn).values():
            value = getattr(value, "__func__", value)
            if hasattr(value, "__code__"):
                codes.append(value.__code__)
    elif hasattr(fn, "__code__"):
        codes.append(fn.__code__)
    while codes and len(seen) < 1000:
        code = codes.pop()
        if id(code) in seen:
            continue
        seen.add(id(code))
        names.update(n for n in code.co_names if isinstance(n, str))
        codes += [c for c in code.co_consts if hasattr(c, "co_names")]
    return [name for name in candidates if name in names]


def fix_first_hint(helper: str, name: str) -> str:
    return (f"fix {helper} first: your {name} calls your {helper}, whose check fails — "
            f"this exercise cannot pass until {helper} does.")


def cascade(results: dict[str, Result], called: dict[str, list[str]], failing: set[str] | None = None) -> None:
    """Trusted side: a failing exercise whose code calls a sibling exercise that fails its own check gets the hint
    "fix <sibling> first" (with the id `fix-first:<sibling>`) on its first failing case, instead of a guess.
    `failing` defaults to the exercises of `results` whose visible check failed."""
    if failing is None:
        failing = {r.exercise for r in results.values() if not r.hidden and not r.passed}
    for result in results.values():
        first = next((c for c in result.cases if not c.passed), None)
        if first is None or first.mistake == NOT_IMPLEMENTED_ID:
            continue
        broken = [h for h in called.get(result.exercise, []) if h in failing and h != result.exercise]
        if broken:
            first.hint, first.mistake = fix_first_hint(broken[0], result.exercise), f"fix-first:{broken[0]}"


# --------------------------------------------------------------------------------------------------------------
# In one process: the notebook's check cells
# --------------------------------------------------------------------------------------------------------------
def grade_function(name: str, fn: Callable, hidden: bool = False, seed: int | None = None,
                   siblings: bool = True) -> Result:
    """Grade `fn` as exercise `name`. With `siblings`, a failure is traced to a sibling exercise the function calls
    (found in the function's own globals, i.e. the learner's notebook) when that sibling fails its visible check."""
    ex = exercise(name)
    if hidden and seed is None:
        seed = grading_seed()
    cases = ex.cases(hidden=hidden, seed=seed)
    outcomes = [probe_case(fn, case) for case in cases]
    result = judge(ex, cases, outcomes, hidden=hidden, seed=seed if hidden else None)
    if siblings and not result.passed:
        others = [e.name for e in exercises_of(ex.chapter) if e.name != name]
        scope = getattr(fn, "__globals__", None) or getattr(sys.modules.get(getattr(fn, "__module__", "")),
                                                            "__dict__", {})
        called = [h for h in names_called(fn, others) if callable(scope.get(h))]
        failing = {h for h in called if not grade_function(h, scope[h], siblings=False).passed}
        cascade({name: result}, {name: called}, failing)
    return result


# --------------------------------------------------------------------------------------------------------------
# Measuring tolerances: how far an outcome lands from the reference, in units of the case's tolerance
# --------------------------------------------------------------------------------------------------------------
def deviation(case: Case, got: Outcome, want: Outcome) -> float:
    """max |got - want| / (atol + rtol·|want|) over the outcome's floats: below 1 passes the comparison.
    0 for an exact match of non-float data, inf for anything structurally different (an error, a shape, a dtype).
    A case with its own `compare` gives 0 or inf (its verdict)."""
    if want.error or got.error or case.compare:
        return 0.0 if _problem(case, got, want) is None else math.inf
    return _deviation(got.value, want.value, case)


def _deviation(got: Any, want: Any, case: Case) -> float:
    if isinstance(want, np.ndarray) and want.dtype.kind in "fc":
        if not isinstance(got, np.ndarray) or got.shape != want.shape or \
                (case.check_dtype and got.dtype != want.dtype) or got.dtype.kind not in "fcbiu":
            return math.inf
        if not np.array_equal(np.isneginf(want), np.isneginf(got)):
            return math.inf
        finite = ~np.isneginf(want)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(got[finite].astype(np.float64) - want[finite])
            ratio = np.where(diff == 0, 0.0, diff / (case.atol + case.rtol * np.abs(want[finite])))
        return float(np.max(ratio, initial=0.0)) if not np.any(np.isnan(ratio)) else math.inf
    if isinstance(want, (float, np.floating)) and not isinstance(want, bool):
        try:
            diff = abs(float(got) - float(want))
            return 0.0 if diff == 0 else diff / (case.atol + case.rtol * abs(float(want)))
        except (TypeError, ValueError):
            return math.inf
    if isinstance(want, dict) and isinstance(got, dict) and set(got) == set(want):
        return max((_deviation(got[k], want[k], case) for k in want), default=0.0)
    if isinstance(want, (list, tuple)) and isinstance(got, type(want)) and len(got) == len(want):
        return max((_deviation(g, w, case) for g, w in zip(got, want)), default=0.0)
    return 0.0 if compare_values(got, want, case) is None else math.inf
