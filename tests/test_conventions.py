"""refengine's documented choices at non-differentiable points (each one is a note in the
derivative table; these tests keep the notes true)."""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp

# Kinks produce honest NumPy warnings (0 * inf, divide by zero): expected here.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

ZERO = np.array([0.0])


def grad_and_tangent(f, x):
    g = rf.grad(lambda x: rnp.sum(f(x)))(x)
    _, t = rf.jvp(f, (x,), (np.ones_like(x),))
    return g, t


@pytest.mark.parametrize(
    ("name", "f", "x", "want"),
    [
        ("abs'(0) = 0", rnp.abs, ZERO, 0.0),
        ("relu'(0) = 0", rnp.nn.relu, ZERO, 0.0),
        ("sqrt'(0) = inf", rnp.sqrt, ZERO, np.inf),
        ("cbrt'(0) = inf", rnp.cbrt, ZERO, np.inf),
        ("sign'(0) = 0", rnp.sign, ZERO, 0.0),
        ("floor' = 0 at an integer", rnp.floor, np.array([2.0]), 0.0),
        ("d/dx x**0 = 0 at 0", lambda x: x**0.0, ZERO, 0.0),
        ("d/dx x**1 = 1 at 0", lambda x: x**1.0, ZERO, 1.0),
        ("d/dx x**2 = 0 at 0", lambda x: x**2.0, ZERO, 0.0),
        ("d/dy 0**y = 0 at y=2", lambda y: rnp.power(0.0, y), np.array([2.0]), 0.0),
        ("clip at the lower bound passes", lambda x: rnp.clip(x, 0.0, 1.0), ZERO, 1.0),
        ("clip at the upper bound passes", lambda x: rnp.clip(x, 0.0, 1.0), np.array([1.0]), 1.0),
        ("xlogy: d/dy at x=0 is 0", lambda y: rnp.special.xlogy(0.0, y), ZERO, 0.0),
    ],
)
def test_scalar_conventions(name, f, x, want) -> None:
    g, t = grad_and_tangent(f, x)
    np.testing.assert_array_equal(g, [want], err_msg=name)
    np.testing.assert_array_equal(t, [want], err_msg=name)


def test_maximum_and_minimum_split_ties_evenly() -> None:
    x, y = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    gx, gy = rf.grad(lambda x, y: rnp.sum(rnp.maximum(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.5, 0.0])
    np.testing.assert_array_equal(gy, [0.5, 1.0])
    gx, gy = rf.grad(lambda x, y: rnp.sum(rnp.minimum(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.5, 1.0])
    np.testing.assert_array_equal(gy, [0.5, 0.0])


@pytest.mark.parametrize("reduce", [rnp.max, rnp.min])
def test_max_and_min_reductions_split_ties_evenly(reduce) -> None:
    x = np.array([[2.0, 2.0, 2.0], [1.0, 5.0, 5.0]]) * (1 if reduce is rnp.max else -1)
    g = rf.grad(lambda x: rnp.sum(reduce(x, axis=1)))(x)
    np.testing.assert_allclose(g, [[1 / 3, 1 / 3, 1 / 3], [0.0, 0.5, 0.5]])
    _, t = rf.jvp(lambda x: reduce(x, axis=1), (x,), (np.arange(6.0).reshape(2, 3),))
    np.testing.assert_allclose(t, [1.0, 4.5])


def test_norm_of_the_zero_vector_has_the_zero_subgradient() -> None:
    g = rf.grad(rnp.linalg.norm)(np.zeros(3))
    np.testing.assert_array_equal(g, np.zeros(3))
    _, t = rf.jvp(rnp.linalg.norm, (np.zeros(3),), (np.ones(3),))
    assert t == 0.0


def test_where_trap_leaks_nan_from_the_unselected_branch() -> None:
    # Documented, not fixed: every framework behaves so (JAX FAQ: use a double where).
    g = rf.grad(lambda x: rnp.sum(rnp.where(x > 0, rnp.sqrt(x), 0.0)))(np.array([0.0, 4.0]))
    assert np.isnan(g[0]) and g[1] == pytest.approx(0.25)
    safe = rf.grad(
        lambda x: rnp.sum(rnp.where(x > 0, rnp.sqrt(rnp.where(x > 0, x, 1.0)), 0.0))
    )(np.array([0.0, 4.0]))
    np.testing.assert_allclose(safe, [0.0, 0.25])


def test_sort_ties_keep_their_order() -> None:
    x = np.array([3.0, 1.0, 3.0])
    g = rf.grad(lambda x: rnp.sum(rnp.sort(x) * np.array([1.0, 10.0, 100.0])))(x)
    np.testing.assert_array_equal(g, [10.0, 1.0, 100.0])


def test_prod_and_cumprod_with_zeros_are_exact() -> None:
    x = np.array([2.0, 0.0, 3.0, 4.0])
    np.testing.assert_array_equal(rf.grad(rnp.prod)(x), [0.0, 24.0, 0.0, 0.0])
    x2 = np.array([2.0, 0.0, 0.0])
    np.testing.assert_array_equal(rf.grad(rnp.prod)(x2), [0.0, 0.0, 0.0])
    g = rf.grad(lambda x: rnp.sum(rnp.cumprod(x)))(x)
    # d/dx_k sum_j prod_{i<=j} x_i with x_1 = 0: only terms through x_1 survive.
    np.testing.assert_array_equal(g, [1.0, 2.0 + 2 * 3 + 2 * 3 * 4, 0.0, 0.0])
