"""The checker never hands the caller's arrays to f, and a function that writes into its
inputs is reported (InputMutationError, naming the argument) instead of being checked at
points it keeps moving."""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.check
import refengine.comparison
import refengine.numpy as rnp
from refengine.check import ADFunctions, CheckConfig, InputMutationError, check_derivatives

X = np.array([0.3, 0.7, 1.1])
Y = np.array([-0.4, 0.9, 0.2])


def test_the_error_class_is_exported_and_a_value_error() -> None:
    assert "InputMutationError" in refengine.check.__all__
    assert refengine.comparison.InputMutationError is InputMutationError
    assert issubclass(InputMutationError, ValueError)


def test_f_never_receives_the_callers_arrays_and_they_stay_unchanged() -> None:
    x, y = X.copy(), Y.copy()
    received = []

    def f(a, b):
        received.extend([a, b])
        return rnp.sum(rnp.sin(a) * b)

    rf.check_grads(f, (x, y))
    plain = [r for r in received if isinstance(r, np.ndarray)]
    assert plain and not any(r is x or r is y or np.shares_memory(r, x) for r in plain)
    assert not any(np.shares_memory(r, y) for r in plain)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(y, Y)


@pytest.mark.parametrize("which", [0, 1])
def test_a_function_that_mutates_an_argument_is_named(which: int) -> None:
    x, y = X.copy(), Y.copy()

    def f(a, b):
        target = (a, b)[which]
        target[2] = 0.0  # an in-place update, as in x[mask] = 0 or x += 1
        return rnp.sum(a * b)

    with pytest.raises(InputMutationError) as info:
        rf.check_grads(f, (x, y))
    msg = str(info.value)
    assert f"changed its argument {which} in place" in msg
    assert "first at index (2,)" in msg
    assert "copy" in msg  # says how to fix it
    # The caller's arrays were never touched: the mutation happened on the checker's copies.
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(y, Y)


def test_augmented_assignment_and_shape_changes_are_caught() -> None:
    def add_in_place(a):
        a += 1.0
        return rnp.sum(a)

    with pytest.raises(InputMutationError, match=r"argument 0 .*index \(0,\)"):
        rf.check_grads(add_in_place, (X.copy(),))

    class Box:  # a framework array whose to_numpy shows a resized buffer after the call
        def __init__(self, a: np.ndarray) -> None:
            self.a = a

    def grow(box):
        box.a = np.append(box.a, 1.0)
        return np.sum(box.a)

    ad = ADFunctions(jvp=rf.jvp, vjp=rf.vjp, from_numpy=Box, to_numpy=lambda b: b.a)
    with pytest.raises(InputMutationError, match=r"shape went from \(3,\) to \(4,\)"):
        check_derivatives(grow, (X.copy(),), ad=ad, config=CheckConfig(order=1))


def test_a_function_reading_but_not_writing_its_inputs_passes() -> None:
    def f(a):
        b = rnp.concatenate([a[:1] * 2.0, a[1:]])  # a new array: fine
        return rnp.sum(rnp.exp(a) * b)

    assert all(r.passed for r in rf.check_grads(f, (X.copy(),)))


def test_a_mutating_function_is_caught_whatever_the_ad_would_say() -> None:
    # Negative control: without the mutation check this function "passes" finite differences
    # taken at points that move under the oracle; the check stops before any comparison.
    calls = []

    def f(a):
        calls.append(1)
        a *= 1.0 + 1e-3
        return rnp.sum(a**2)

    with pytest.raises(InputMutationError):
        rf.check_grads(f, (X.copy(),))
    assert len(calls) == 1  # one call on fresh copies decided it
