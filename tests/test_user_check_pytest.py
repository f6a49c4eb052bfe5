"""The gradparity pytest fixture's check_grads, run as a user runs it: a test module of their
own, in a fresh directory, through pytest's pytester. A test that checks its own function runs
once (it is not multiplied over the conformance matrix, and collecting it plans nothing), and a
failure prints the worst entry, not a traceback into the checker or a Jacobian."""

from __future__ import annotations

import textwrap

import pytest

from cases.pytest_plugin import calls_verify

pytest_plugins = ["pytester"]

USER_MODULE = """
import numpy as np
import refengine.numpy as rnp


def f(x):
    return rnp.sin(x) * rnp.sum(x ** 2)


def test_mine(gradparity):
    results = gradparity.check_grads(f, (np.linspace(-1, 1, 5),), framework="refengine")
    assert len(results) == 6


def test_mine_planted_wrong(gradparity):
    from adapters.mutant_adapter import parse

    with parse("refengine-mutant:sin:scale").applied():
        gradparity.check_grads(f, (np.linspace(-1, 1, 5),), framework="refengine")
"""

# Records, once collection is done, which heavy modules the collection imported.
RECORD_IMPORTS = """
import json
import sys


def pytest_collection_finish(session):
    heavy = ["cases.conformance", "cases.library", "cases.conventions", "adapters.user_check",
             "torch", "jax", "tensorflow", "autograd"]
    with open("imported.json", "w") as out:
        json.dump([m for m in heavy if m in sys.modules], out)
"""


def test_a_users_test_runs_once_and_a_failure_prints_the_worst_entry(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_MODULE)
    collected = pytester.runpytest_subprocess("--collect-only", "-q")
    assert [line for line in collected.outlines if "::" in line] == [
        "test_user.py::test_mine", "test_user.py::test_mine_planted_wrong"]
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    failure = "\n".join(result.outlines)
    assert "VJP of f disagrees with finite differences" in failure or (
        "JVP of f disagrees with finite differences" in failure)
    assert "refengine/check.py" not in failure  # no traceback into the checker
    assert "During handling" not in failure  # the message once
    assert "array(" not in failure and "[[" not in failure  # no Jacobian


def test_collecting_a_users_test_plans_no_matrix_and_imports_no_framework(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(RECORD_IMPORTS)
    pytester.makepyfile(test_user=USER_MODULE)
    pytester.runpytest_subprocess("--collect-only", "-q").assert_outcomes()
    assert (pytester.path / "imported.json").read_text() == "[]"


def test_a_matrix_test_and_a_users_test_side_by_side(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_MODULE, test_matrix="""
        def test_conformance(gradparity):
            gradparity.verify()
    """)
    result = pytester.runpytest_subprocess("--collect-only", "-q", "--gp-cases", "sin",
                                           "--gp-adapters", "refengine", "--gp-dtypes", "float64")
    ids = [line for line in result.outlines if "::" in line]
    matrix = [i for i in ids if i.startswith("test_matrix.py::test_conformance[sin-refengine")]
    assert len(matrix) > 1 and len(ids) == len(matrix) + 2


def test_verify_in_a_test_that_was_not_parametrized_says_why(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_helper="""
        def run(handle):
            handle.verify()

        def test_through_a_helper(gradparity):
            run(gradparity)
    """)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*not parametrized over the conformance matrix*"])


def test_an_inconclusive_check_fails_with_the_oracles_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nan=textwrap.dedent("""
        import numpy as np
        import refengine.numpy as rnp

        def test_log_of_negative(gradparity):
            gradparity.check_grads(rnp.log, (-np.ones(3),), framework="refengine")
    """))
    result = pytester.runpytest_subprocess("-q", "-W", "ignore")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*[[]inconclusive[]]*"])


def test_which_tests_are_matrix_tests_is_read_from_their_code() -> None:
    def matrix(gradparity: object) -> None:
        gradparity.verify()

    def nested(gradparity: object) -> None:
        (lambda: gradparity.verify())()

    def user(gradparity: object) -> None:
        gradparity.check_grads(abs, (1.0,))

    assert calls_verify(matrix) and calls_verify(nested) and not calls_verify(user)
