"""The recording namespace: it records vocabulary names (with their sub-namespace), computes
with NumPy underneath, and refuses everything outside the shared array interface by name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cases
from cases.vocabulary_trace import VocabularyError, trace

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def test_records_qualified_names_and_operators_and_computes_with_numpy() -> None:
    def fn(xp: Any, x: Any) -> Any:
        y = xp.special.expit(x) @ x.T + xp.linalg.inv(xp.eye(2, dtype=x.dtype))
        return xp.sum(xp.nn.relu(-y)[0, :] * 2.0 - 1.0 / (x[1, :2] + 3.0)) ** 2

    result = trace(fn, [X])
    assert result.ops == {"special.expit", "linalg.inv", "eye", "sum", "nn.relu"}
    assert {"@", "*", "/", "+", "-", "**", "[]", ".T", "unary -"} <= result.operators
    assert not result.branched
    y = 1 / (1 + np.exp(-X)) @ X.T + np.eye(2)
    expected = np.sum(np.maximum(-y, 0)[0, :] * 2.0 - 1.0 / (X[1, :2] + 3.0)) ** 2
    np.testing.assert_allclose(result.output, expected, rtol=1e-14)


def test_ndarray_on_the_left_of_an_operator_stays_traced() -> None:
    result = trace(lambda xp, x: xp.sum(np.ones(3) - x * np.arange(3.0)), [X])
    assert result.ops == {"sum"}
    np.testing.assert_allclose(result.output, np.sum(np.ones(3) - X * np.arange(3.0)))


def test_shape_ndim_dtype_len_are_available() -> None:
    def fn(xp: Any, x: Any) -> Any:
        assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == np.float32 and len(x) == 2
        return xp.sum(x)

    assert trace(fn, [X.astype(np.float32)]).output.dtype == np.float32


@pytest.mark.parametrize(
    ("fn", "op"),
    [
        (lambda xp, x: xp.cross(x, x), "cross"),
        (lambda xp, x: xp.linalg.lstsq(x, x), "linalg.lstsq"),
        (lambda xp, x: xp.special.gamma(x), "special.gamma"),
        (lambda xp, x: x.reshape(6), ".reshape"),
        (lambda xp, x: x.size, ".size"),
        (lambda xp, x: np.exp(x), "numpy.exp"),
        (lambda xp, x: np.concatenate([x, x]), "numpy.concatenate"),
        (lambda xp, x: np.asarray(x), "numpy conversion"),
        (lambda xp, x: np.ones(3)[xp.argmax(x)], "numpy conversion"),
        (lambda xp, x: [0.0, 1.0][xp.argmax(x)], "use as a Python index"),
        (lambda xp, x: [row for row in x], "iteration"),
        (lambda xp, x: int(xp.sum(x)), "int()"),
        (lambda xp, x: x // 2.0, "operator //"),
        (lambda xp, x: ~(x > 0), "operator ~"),
        (lambda xp, x: +x, "unary +"),
        (lambda xp, x: x.__setitem__(0, 1.0), "item assignment"),
    ],
)
def test_outside_the_interface_raises_naming_the_op(fn, op) -> None:
    with pytest.raises(VocabularyError) as info:
        trace(fn, [X])
    assert info.value.op == op


def test_suggestions_for_near_misses() -> None:
    with pytest.raises(VocabularyError, match=r"did you mean.*special\.logsumexp"):
        trace(lambda xp, x: xp.special.logsumexpp(x), [X])
    with pytest.raises(VocabularyError, match=r"use xp\.sum"):
        trace(lambda xp, x: x.sum(), [X])


def test_bool_of_a_traced_value_is_recorded_as_branching() -> None:
    result = trace(lambda xp, x: x if xp.max(x) > 1.0 else -x, [X])
    assert result.branched and result.ops == {"max"}


def test_nested_grad_is_recorded_and_computed() -> None:
    def fn(xp: Any, x: Any) -> Any:
        return xp.sum(xp.grad(lambda y: xp.sum(xp.sin(y) * x))(x))

    result = trace(fn, [X])
    assert result.ops == {"grad", "sum", "sin"}
    np.testing.assert_allclose(result.output, np.sum(np.cos(X) * X), rtol=1e-14)


def test_tuple_results_unpack_by_position() -> None:
    spd = X @ X.T + np.eye(2)
    result = trace(lambda xp, a: xp.linalg.eigh(a)[0], [spd])
    np.testing.assert_allclose(result.output, np.linalg.eigvalsh(spd), rtol=1e-12)
    pieces = trace(lambda xp, x: xp.split(x, 3, axis=1)[2], [X])
    np.testing.assert_array_equal(pieces.output, X[:, 2:])


def test_every_data_dependent_case_really_branches_or_has_dynamic_control() -> None:
    # The registry demands the tag when a case branches; this checks the converse, so the tag
    # (which makes jit adapters skip a case) is never put on a case that does not need it.
    for case in cases.select(tags="data-dependent"):
        inputs = case.sample(np.random.default_rng(0))
        xp_grad = {"grad"} <= case.requires
        assert trace(case.fn, inputs).branched or xp_grad, case.name
