"""The docstring is the contract: every stub has the reference's signature, and every exception a case of its check
expects is named in the stub's docstring (so a learner can know what is required)."""

import inspect

import pytest

import solutions
from autograder import REGISTRY, load_all
from tests.test_exercises import chapter_stubs

load_all()


def _signature(obj) -> str:
    """Parameter names, kinds and defaults (annotations are style, not contract)."""
    sig = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    return str(sig.replace(parameters=[p.replace(annotation=p.empty) for p in sig.parameters.values()],
                           return_annotation=sig.empty))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_stub_signature_is_the_reference_signature(name):
    stub = chapter_stubs(REGISTRY[name].chapter)[name]
    reference = getattr(solutions, name)
    assert _signature(stub) == _signature(reference), (name, _signature(stub), _signature(reference))
    if inspect.isclass(reference):  # the methods the check calls have the reference's signatures too
        for method, value in vars(reference).items():
            if callable(value) and not method.startswith("_") and method in vars(stub):
                assert _signature(vars(stub)[method]) == _signature(value), (name, method)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_expected_exception_is_in_the_docstring(name):
    exercise = REGISTRY[name]
    stub = chapter_stubs(exercise.chapter)[name]
    doc = inspect.getdoc(stub) or ""
    if inspect.isclass(stub):
        doc += "\n".join(inspect.getdoc(m) or "" for m in vars(stub).values() if callable(m))
    expected = set()
    for seed in (None, 0, 1, 2):
        for case in exercise.cases() if seed is None else exercise.cases(hidden=True, seed=seed):
            if case.raises is not None:
                expected.add(case.raises.__name__)
    missing = sorted(e for e in expected if e not in doc)
    assert not missing, f"{name}: the check expects {missing}, which the stub's docstring does not name"
