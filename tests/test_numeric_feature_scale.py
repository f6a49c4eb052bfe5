"""The oracle on functions whose scale is far below the input's (gradparity issue 16).

- A narrow bump: the derivative of ``tanh(x / w)`` is ``sech^2(x / w) / w``, zero at every step
  much wider than ``w``. The quotients of those steps agree on 0, and the oracle used to report
  ``0 +- 6e-11`` for its derivative (a false alarm against a right AD second derivative).
- An ill-conditioned inverse (condition number 1e6): quotients wander on every step wider than
  1e-6 and agree by accident; float64 evaluation biases the derivative itself. The oracle used
  to report a jump or a bound that missed the truth.

The truths are exact: closed forms for the bump, rational arithmetic (``fractions``) for the
inverse, so that no float rounding in the reference can hide a wrong bound.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine.check import ADFunctions, CheckConfig, GradientCheckError, check_derivatives
from refengine.numeric import directional, jacobian

# -- a narrow bump -----------------------------------------------------------------------------


def bump_slope(center: float, width: float):
    """d/dx tanh((x - c) / w): a bump of height 1/w and width w."""
    return lambda x: (1.0 / width) / np.cosh((x - center) / width) ** 2


def bump_curvature(x: float, center: float, width: float) -> float:
    u = (x - center) / width
    return -2.0 / width**2 * np.tanh(u) / np.cosh(u) ** 2


@pytest.mark.parametrize(
    ("center", "width"),
    [(0.0, 1e-4), (1.0, 1e-4), (100.0, 1e-4), (1.0, 1e-6), (5.0, 1e-7)],
    ids=["at-0", "at-1", "at-100", "w1e-6", "w1e-7"],
)
@pytest.mark.parametrize("offset", [0.1, 0.5, -2.0])
def test_a_bump_narrower_than_the_ladder_is_resolved(center, width, offset) -> None:
    x0 = center + offset * width
    d = directional(bump_slope(center, width), (np.array([x0]),), (np.ones(1),))
    true = bump_curvature(x0, center, width)
    assert d.valid, d.reason
    assert abs(d.value[0] - true) <= d.error[0], (d.value, d.error, true)
    # Not an honest-but-useless bound: tight enough that a 0.1 % error stands out.
    assert d.error[0] <= 1e-5 * abs(true)


def test_the_bump_on_a_vector_of_points_and_in_a_jacobian() -> None:
    x = np.array([1e-5, 2e-5, -1e-5, 3e-4])
    d = jacobian(bump_slope(0.0, 1e-4), (x,))
    true = np.diag([bump_curvature(xi, 0.0, 1e-4) for xi in x])
    assert d.valid
    assert np.all(np.abs(d.value - true) <= d.error)


@pytest.mark.parametrize(
    "x", [np.array([1e-5]), np.array([1e-5, 2e-5, -1e-5]), np.array([1e-5, 0.0, 3e-4])]
)
def test_check_grads_passes_tanh_1e4x_at_order_2(x) -> None:
    results = rf.check_grads(lambda x: rnp.tanh(1e4 * x), (x,), order=2)
    assert len(results) == 6 and all(r.passed for r in results)


def _nested_wrong(factor: float, f) -> ADFunctions:
    """refengine with derivatives of f right and derivatives of its derivatives scaled."""

    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        return out, t if fn is f else t * factor

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        if fn is f:
            return out, pullback
        return out, lambda ct: tuple(g * factor for g in pullback(ct))

    return ADFunctions(jvp=jvp, vjp=vjp)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_a_wrong_second_derivative_of_the_bump_is_still_caught(mode) -> None:
    # Negative control: the fix must not buy its passes with loose bounds.
    def f(x):
        return rnp.tanh(1e4 * x)

    with pytest.raises(GradientCheckError, match=r"of (JVP|VJP) of"):
        check_derivatives(
            f,
            (np.array([1e-5, 2e-5]),),
            ad=_nested_wrong(1.001, f),
            config=CheckConfig(modes=(mode,), order=2),
        )


def test_a_real_cusp_is_still_not_differentiable_at_a_bounded_cost() -> None:
    # sqrt(|x|) at 0 looks like a jump on every scale: smaller steps are tried, within limits.
    d = directional(lambda x: np.sqrt(np.abs(x)), (np.array([0.0]),), (np.ones(1),))
    assert not d.valid and "not differentiable" in d.reason
    # The point, the ladder (12 levels at scale 1), at most 24 levels of suspicion, and at most
    # three complex steps.
    assert d.evaluations <= 1 + 2 * (12 + 24) + 3


# -- what the extensions must not break: noisy functions, flat regions, cancellation ---------


def test_a_function_noisier_than_eps_keeps_its_estimate_from_the_resolved_steps() -> None:
    # (1e8 + sin x) - 1e8 resolves changes of 1.5e-8 only: steps below that leave f unchanged,
    # and their quotient 0 must not win (it did, with the suspicion levels, before this guard).
    d = directional(lambda x: (1e8 + np.sin(x)) - 1e8, (np.array([1.0]),), (np.ones(1),))
    assert d.valid
    assert abs(d.value[0] - np.cos(1.0)) <= d.error[0] <= 1e-6


@pytest.mark.parametrize("c", [1e9, 1e10, 1e11, 3e11, 1e12])
@pytest.mark.parametrize("x0", [0.3, 1.0, 2.0])
def test_a_quantised_function_never_gets_the_derivative_of_its_flat_steps(c, x0) -> None:
    # (c + sin x) - c resolves c * eps only: on smaller steps it is flat, its quotient 0.
    d = directional(lambda x: (c + np.sin(x)) - c, (np.array([x0]),), (np.ones(1),))
    assert not d.valid or abs(d.value[0] - np.cos(x0)) <= 1e-3


def test_a_flat_region_reached_only_by_extending_is_no_estimate_rather_than_a_wrong_one() -> None:
    d = directional(
        lambda x: np.maximum(x - 1e-6, 0.0) + np.maximum(-x - 2e-6, 0.0),
        (np.array([0.0]),),
        (np.ones(1),),
    )
    assert not d.valid or (d.value[0] == 0.0 and d.error[0] <= 1e-6)


@pytest.mark.parametrize(
    ("f", "x0"),
    [
        (lambda x: np.maximum(x, 0.0), -1e-3),
        (lambda x: np.maximum(np.abs(x) - 1e-3, 0.0), 0.0),
        (lambda x: np.maximum(x - 1e-3, 0.0) + np.maximum(-x - 2e-3, 0.0), 0.0),
    ],
    ids=["relu-left", "flat-both-sides", "flat-asymmetric"],
)
def test_a_function_constant_near_the_point_has_derivative_zero_exactly(f, x0) -> None:
    d = directional(f, (np.array([x0]),), (np.ones(1),))
    assert d.valid and d.value[0] == 0.0 and d.error[0] == 0.0


def test_an_input_ill_conditioned_function_without_backward_error_keeps_a_useful_bound() -> None:
    # log(x - 1 + 1e-12) at 1: x - 1 is exact, so no bias; the conditioning term is capped.
    d = directional(lambda x: np.log(x - 1.0 + 1e-12), (np.array([1.0]),), (np.ones(1),))
    true = 1.0 / ((1.0 - 1.0) + 1e-12)
    assert abs(d.value[0] - true) <= d.error[0] <= 1e-6 * true


# -- an ill-conditioned inverse ----------------------------------------------------------------


def ill_conditioned(n: int, condition: float, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = q @ np.diag(np.geomspace(1.0, 1.0 / condition, n)) @ q.T
    a = a + 1e-9 * rng.standard_normal((n, n))
    return a, rng.standard_normal(n), rng.standard_normal((n, n))


def exact_inverse(a: np.ndarray) -> list[list[Fraction]]:
    """Gauss-Jordan in rational arithmetic: the inverse of the float64 matrix, exactly."""
    n = a.shape[0]
    m = [[Fraction(float(a[i, j])) for j in range(n)] + [Fraction(int(i == j)) for j in range(n)]
         for i in range(n)]
    for c in range(n):
        p = next(r for r in range(c, n) if m[r][c] != 0)
        m[c], m[p] = m[p], m[c]
        pivot = m[c][c]
        m[c] = [e / pivot for e in m[c]]
        for r in range(n):
            if r != c and m[r][c] != 0:
                factor = m[r][c]
                m[r] = [e - factor * g for e, g in zip(m[r], m[c])]
    return [row[n:] for row in m]


def _mat(x: np.ndarray) -> list[list[Fraction]]:
    return [[Fraction(float(e)) for e in row] for row in np.atleast_2d(x)]


def _mul(p: list[list[Fraction]], q: list[list[Fraction]]) -> list[list[Fraction]]:
    return [[sum((p[i][k] * q[k][j] for k in range(len(q))), Fraction(0))
             for j in range(len(q[0]))] for i in range(len(p))]


def exact_second_derivatives(a, b, t, kind):
    """d/dA_ij of the JVP x -> J(x) t, for f(A) = sum(inv(A) b) or trace(inv(A)), exactly."""
    n = a.shape[0]
    ai, tt = exact_inverse(a), _mat(t)
    bb = [[Fraction(float(e))] for e in b]
    out = np.zeros(n * n)
    for j in range(n * n):
        e = [[Fraction(int(r * n + c == j)) for c in range(n)] for r in range(n)]
        aea, ata = _mul(_mul(ai, e), ai), _mul(_mul(ai, tt), ai)
        m = [[x + y for x, y in zip(r1, r2)]
             for r1, r2 in zip(_mul(_mul(aea, tt), ai), _mul(_mul(ata, e), ai))]
        if kind == "sum":
            mb = _mul(m, bb)
            out[j] = float(sum(r[0] for r in mb))
        else:
            out[j] = float(sum(m[i][i] for i in range(n)))
    return out


def jvp_of(kind: str, b: np.ndarray, t: np.ndarray):
    """The JVP x -> J(x) t of f in NumPy, the function whose derivative order 2 checks."""
    if kind == "sum":
        return lambda a: np.array(-np.sum(np.linalg.inv(a) @ t @ np.linalg.inv(a) @ b))
    return lambda a: np.array(-np.trace(np.linalg.inv(a) @ t @ np.linalg.inv(a)))


@pytest.mark.parametrize("kind", ["sum", "trace"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("condition", [1e4, 1e6])
def test_bounds_cover_the_exact_second_derivative_of_an_ill_conditioned_inverse(
    kind, seed, condition
) -> None:
    a, b, t = ill_conditioned(3, condition, seed)
    d = jacobian(jvp_of(kind, b, t), (a,))
    true = exact_second_derivatives(a, b, t, kind)
    assert d.valid, d.reason
    assert np.all(np.abs(d.value[0] - true) <= d.error[0])
    # Honest, and still useful: well inside the checker's float64 tolerance of 1e-6.
    assert np.all(d.error[0] <= 1e-7 * np.max(np.abs(true)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_check_grads_passes_an_ill_conditioned_inverse_at_order_2(seed) -> None:
    a, b, _ = ill_conditioned(3, 1e6, seed)
    for f in (lambda m: rnp.sum(rnp.linalg.inv(m) @ b), lambda m: rnp.trace(rnp.linalg.inv(m))):
        results = rf.check_grads(f, (a,), order=2)
        assert all(r.passed for r in results)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_a_wrong_second_derivative_of_the_inverse_is_still_caught(mode) -> None:
    a, b, _ = ill_conditioned(3, 1e6, 0)

    def f(m):
        return rnp.sum(rnp.linalg.inv(m) @ b)

    with pytest.raises(GradientCheckError):
        check_derivatives(
            f, (a,), ad=_nested_wrong(1.001, f), config=CheckConfig(modes=(mode,), order=2)
        )
