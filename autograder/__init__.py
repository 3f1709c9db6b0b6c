"""The course's autograder: `check("layer_norm", layer_norm)` in a notebook, `python -m autograder` outside one.

Exercises are loaded per chapter on first use, so checking a NumPy chapter never imports PyTorch.
"""

import contextlib
import sys
import warnings

from .engine import REGISTRY, Case, Exercise, Mistake, Result, exercise, exercises_of, grade_function, load_all


class CheckFailed(AssertionError):
    """A check did not pass. In Jupyter it shows as its report alone, without a traceback into the grader."""

    def _render_traceback_(self):  # IPython's hook for custom exception display
        return [str(self)]


def check(name: str, fn, *, hidden: bool = False, seed: int | None = None) -> None:
    """Grade `fn` as the exercise `name`; print the report, raise CheckFailed when a case fails.

    Prints to stdout only (nbgrader scores any stderr output as zero) and returns None (a check cell
    that ends in a value is read as partial credit).
    """
    exercise(name)  # KeyError naming the known exercises when there is no such exercise
    # anything written to stderr while grading (a library's warning) goes to stdout instead
    with contextlib.redirect_stderr(sys.stdout), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = grade_function(name, fn, hidden=hidden, seed=seed)
    if not result.passed:
        raise CheckFailed(result.report())
    print(result.report())


__all__ = ["Case", "CheckFailed", "Exercise", "Mistake", "REGISTRY", "Result", "check", "exercise", "exercises_of",
           "load_all"]
