"""What grading a notebook gives, typed: one list of statuses (`Status`), `TestResult` and `NotebookResult`.

Every notebook-level status the course writes is a `Status`: the grader's results.json (`python -m autograder check
--json`, `grade`, Gradescope's extra_data), grades.csv, the class report, feedback.md, the record nbgrader's
autograded notebooks carry and the `status` column of `nbgrader export`. guide/instructors.md shows the same table.

A graded notebook and a notebook that could not be graded are both a `NotebookResult`; a not-graded one is made in
one place, `NotebookResult.not_graded`. `to_json()` is the results.json shape (Gradescope's test fields plus an
explicit `status`, so that a notebook that could not be graded is never mistaken for a zero):

    {"status": "graded", "chapter": "02", "score": 3, "max_score": 3, "seed": 7, "execution_time": 1.2,
     "tests": [{"name": "layer_norm", "score": 2, "max_score": 2, "status": "passed", "output": "...",
                "mistake": ""}, ...],
     "output": "..."}

followed, when the batch graded it, by its `Submitted` fields (learner, submission, sha256, roster, late,
days_late, penalty, final_score, submitted_at). The seed of the hidden cases is an instructor-side record: a
learner's results.json is `to_json(with_seed=False)`. `from_json` reads a results.json back (the batch's resume, the
CSVs, the class report).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum

HIDDEN = " (hidden)"  # a test's name suffix for the hidden cases of an exercise


class Status(StrEnum):
    """A notebook's status: the one list, each with its meaning for instructors."""

    meaning: str

    def __new__(cls, value: str, meaning: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    GRADED = "graded", "the notebook ran; its score is what it earned (0 is a real zero)"
    TIMEOUT = "timeout", "the notebook ran past its time limit"
    MEMORY = "memory", "the notebook ran out of memory"
    CRASHED = "crashed", ("the notebook's process ended before its functions could be called (a hard crash, "
                          "os._exit), or the grader itself failed")
    INVALID_OUTPUT = "invalid-output", "the notebook sent back something that breaks the grading protocol"
    INVALID_NOTEBOOK = "invalid-notebook", ("the file is not a notebook of this chapter (not a notebook, not a "
                                            "regular file, or another chapter's)")
    NOT_RUN = "not-run", "nbgrader's autograde could not run the submission at all: see nbgrader's log"
    MISSING = "missing", "no submission"


def round_score(x: float) -> float | int:
    """A score as results.json and the CSVs show it: 4 decimals, an int when whole."""
    x = round(float(x), 4)
    return int(x) if x == int(x) else x


@dataclass
class TestResult:
    """One exercise's visible or hidden cases (a Gradescope test); its status is "passed" or "failed"."""

    __test__ = False  # not a pytest test class

    name: str  # the exercise's name, + HIDDEN for its hidden cases
    score: float | int
    max_score: float | int
    passed: bool
    output: str = ""  # the report: cases, the first failing one, the hint
    mistake: str = ""  # the id of the known mistake the failing cases match, if any

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"

    @property
    def exercise(self) -> str:
        return self.name.removesuffix(HIDDEN)

    @property
    def hidden(self) -> bool:
        return self.name.endswith(HIDDEN)

    def to_json(self) -> dict:
        return {"name": self.name, "score": self.score, "max_score": self.max_score, "status": self.status,
                "output": self.output, "mistake": self.mistake}

    @classmethod
    def from_json(cls, data: dict) -> TestResult:
        if not isinstance(data, dict):
            raise ValueError("a test is not an object")
        return cls(name=str(data.get("name", "")), score=_number(data.get("score")),
                   max_score=_number(data.get("max_score")), passed=data.get("status") == "passed",
                   output=str(data.get("output") or ""), mistake=str(data.get("mistake") or ""))


@dataclass
class Submitted:
    """The batch's fields of a learner's result: who handed in which file, when, and the late penalty."""

    learner: str
    submission: str | None = None  # the file's name
    sha256: str | None = None  # of the file graded
    roster: str = ""  # "" (no roster given), "yes", or "unknown" (not on the roster)
    late: bool | None = None  # None: no due date, or no time to compare with
    days_late: float = 0.0
    penalty: float = 0.0
    final_score: float | int | None = None  # the score after the late penalty
    submitted_at: str | None = None  # ISO 8601


@dataclass
class NotebookResult:
    """One notebook's result, graded or not (then `score` is 0, `tests` empty and `output` says why)."""

    status: Status
    chapter: str | None
    score: float | int = 0
    max_score: float | int = 0
    seed: int | None = None  # of the hidden cases: for the instructor only
    execution_time: float = 0.0
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""
    submitted: Submitted | None = None

    @property
    def graded(self) -> bool:
        return self.status is Status.GRADED

    @property
    def final_score(self) -> float | int:
        """The score after any late penalty."""
        if self.submitted is not None and self.submitted.final_score is not None:
            return self.submitted.final_score
        return self.score

    @property
    def learner(self) -> str | None:
        return self.submitted.learner if self.submitted else None

    @property
    def message(self) -> str:
        """Why it was not graded, in one line ("" when graded): the CSVs' `message` column."""
        return "" if self.graded else ((self.output or "").splitlines() or [""])[0][:300]

    @classmethod
    def not_graded(cls, status: Status | str, message: str, chapter: str | None, *, seed: int | None = None,
                   start: float | None = None, max_score: float | None = None) -> NotebookResult:
        """A notebook that could not be graded: score 0 out of the chapter's points, and the reason."""
        status = Status(status)
        if status is Status.GRADED:
            raise ValueError("a graded notebook has tests: make it with NotebookResult(Status.GRADED, ...)")
        if max_score is None:
            from .grading import max_score_of

            max_score = max_score_of(chapter)
        return cls(status=status, chapter=chapter, score=0, max_score=max_score, seed=seed,
                   execution_time=round(time.monotonic() - start, 3) if start is not None else 0.0,
                   output=f"Not graded ({status}): {message}")

    def to_json(self, with_seed: bool = True) -> dict:
        """results.json (with `with_seed=False`: a learner's, without the hidden cases' seed)."""
        data = {"status": self.status.value, "chapter": self.chapter, "score": self.score,
                "max_score": self.max_score}
        if with_seed:
            data["seed"] = self.seed
        data.update(execution_time=self.execution_time, tests=[t.to_json() for t in self.tests], output=self.output)
        if self.submitted is not None:
            data.update(asdict(self.submitted))
        return data

    @classmethod
    def from_json(cls, data) -> NotebookResult:
        """A results.json read back; ValueError when it is not one (not an object, no known status)."""
        if not isinstance(data, dict):
            raise ValueError("a result is not an object")
        try:
            status = Status(data.get("status"))
        except ValueError:
            raise ValueError(f"unknown status {str(data.get('status'))[:40]!r}") from None
        tests = data.get("tests") or []
        if not isinstance(tests, list):
            raise ValueError("tests is not a list")
        chapter = data.get("chapter")
        seed = data.get("seed")
        submitted = None
        names = [f.name for f in fields(Submitted)]
        if any(name in data for name in names):
            submitted = Submitted(**{"learner": "", **{name: data[name] for name in names if name in data}})
            submitted.learner = str(submitted.learner or "")
        return cls(status=status, chapter=None if chapter is None else str(chapter),
                   score=_number(data.get("score")), max_score=_number(data.get("max_score")),
                   seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
                   execution_time=float(_number(data.get("execution_time"))),
                   tests=[TestResult.from_json(t) for t in tests], output=str(data.get("output") or ""),
                   submitted=submitted)


def _number(value) -> float | int:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
