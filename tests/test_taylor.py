"""The Taylor remainder test: right claims pass, wrong ones are caught, kinks are left open.

Every "right" here has a planted-wrong twin that must not pass, and the hard cases of gradparity
issue 16 (a narrow bump, an ill-conditioned inverse, a function whose oracle ladder is invalid)
are decided by the test itself, against exact truths.
"""

from __future__ import annotations

import numpy as np
import pytest

from refengine.numeric import VERDICTS, TaylorResult, directional, taylor_test
from tests.test_numeric_feature_scale import (
    bump_curvature,
    bump_slope,
    exact_second_derivatives,
    ill_conditioned,
    jvp_of,
)

X = np.array([0.3, -1.2, 2.0])
V = np.array([1.0, 0.5, -0.7])


def sin_exp(x):
    return np.sin(x) * np.exp(x)


def sin_exp_jv(x, v):
    return (np.cos(x) + np.sin(x)) * np.exp(x) * v


def check(f, x, v, jv, **kw) -> TaylorResult:
    r = taylor_test(f, (np.asarray(x, dtype=float),), (np.asarray(v, dtype=float),),
                    np.asarray(jv, dtype=float), **kw)
    assert r.verdict in VERDICTS
    return r


# -- smooth functions --------------------------------------------------------------------------


def test_a_right_jvp_has_slope_two_and_passes() -> None:
    r = check(sin_exp, X, V, sin_exp_jv(X, V))
    assert r.verdict == "right", r.reason
    assert r.slope_right == pytest.approx(2.0, abs=0.1)
    assert r.slope_left == pytest.approx(2.0, abs=0.1)
    assert r.error_estimate <= r.tolerance


@pytest.mark.parametrize("rel", [1e-3, 1e-5])
def test_a_jvp_off_by_a_little_has_slope_one_and_is_wrong(rel) -> None:
    true = sin_exp_jv(X, V)
    r = check(sin_exp, X, V, true * (1.0 + rel))
    assert r.verdict == "wrong", r.reason
    assert r.slope_right == pytest.approx(1.0, abs=0.1)
    assert r.slope_left == pytest.approx(1.0, abs=0.1)
    # The estimate of the error is the planted error of the worst entry.
    planted = np.abs(true * rel)
    assert r.error_estimate == pytest.approx(planted[r.entry], rel=0.2)


def test_one_wrong_entry_among_right_ones_is_named() -> None:
    jv = sin_exp_jv(X, V)
    jv[1] *= 1.001
    r = check(sin_exp, X, V, jv)
    assert r.verdict == "wrong" and r.entry == 1
    assert "output entry 1" in r.reason


@pytest.mark.parametrize("rel", [0.0, 1e-3, 1e-5])
def test_the_reverse_mode_form_tests_u_dot_f(rel) -> None:
    # For a VJP: <J^T u, v> against the remainder of u . f along v.
    u = np.array([0.3, -2.0, 1.0])
    claim = (u @ sin_exp_jv(X, V)) * (1.0 + rel)
    r = check(sin_exp, X, V, claim, cotangent=u)
    assert r.verdict == ("right" if rel == 0 else "wrong"), r.reason


@pytest.mark.parametrize("jv", [3.0, 3.003])
def test_a_linear_function_is_exact_at_every_step(jv) -> None:
    r = check(lambda x: 3.0 * x, [1.0], [1.0], [jv])
    if jv == 3.0:
        assert r.verdict == "right" and "rounding floor on every step" in r.reason
    else:
        assert r.verdict == "wrong"


# -- kinks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("jv", [-1.0, 0.0, 0.3, 1.0])
def test_a_kink_is_unclear_whatever_the_subgradient(jv) -> None:
    r = check(np.abs, [0.0], [1.0], [jv])
    assert r.verdict == "unclear" and "kink" in r.reason


def test_relu_at_zero_with_its_right_derivative_is_unclear() -> None:
    r = check(lambda x: np.maximum(x, 0.0), [0.0], [1.0], [1.0])
    assert r.verdict == "unclear" and "kink" in r.reason


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.where(x > 0, 1.3, 0.0),
        lambda x: np.where(x > 0, 1.3, np.where(x < 0, 0.0, 0.65)),  # f(x) on neither side
        lambda x: np.where(x > 0, 1.3 + x, 0.2 * x),
    ],
    ids=["step", "tie", "smooth-sides"],
)
@pytest.mark.parametrize("jv", [0.0, 1.0])
def test_a_jump_is_unclear_and_named_whatever_the_tolerance(f, jv) -> None:
    # The jump's odd part looks like rounding noise that the remainder stays under: it must
    # not pass for "exact on both sides", nor be "right" under a tolerance of any size.
    for tolerance in (1e-12, 1e6):
        r = check(f, [0.0], [1.0], [jv], tolerance=tolerance)
        assert r.verdict == "unclear"
        assert "f jumps at the point along v" in r.reason and "exact" not in r.reason
        assert "f(x + h v) - f(x) stays near" in r.reason


def test_a_jump_on_the_left_names_its_signed_change() -> None:
    r = check(lambda x: np.where(x < 0, -0.5, 0.0), [0.0], [1.0], [0.0])
    assert r.verdict == "unclear" and "f(x - h v) - f(x) stays near -0.5" in r.reason


def test_a_nan_claim_is_wrong_where_f_has_a_derivative_and_unclear_where_not() -> None:
    r = check(np.sin, [0.5], [1.0], [np.nan])
    assert r.verdict == "wrong" and "J v is nan, but f has a finite derivative" in r.reason
    assert r.error_estimate == np.inf
    r = check(np.sin, [0.0], [1.0], [np.nan], tolerance=1e-6)  # sin' = 1 there, not 0
    assert r.verdict == "wrong"
    r = check(lambda x: np.where(x > 0, 1.3, 0.0), [0.0], [1.0], [np.nan])
    assert r.verdict == "unclear" and r.reason.startswith("J v is nan, and tested as 0")
    # Only the NaN entry is judged so: the finite one next to it is right.
    r = check(lambda x: np.sin(x), [0.5, 1.0], [1.0, 0.0], [np.nan, 0.0])
    assert r.verdict == "wrong" and r.entry == 0


# -- the hard cases of issue 16 ----------------------------------------------------------------


@pytest.mark.parametrize(("center", "x0"), [(0.0, 1e-5), (1.0, 1.0 + 1e-5)])
@pytest.mark.parametrize("rel", [0.0, 1e-3, 1e-5])
def test_the_narrow_bump_is_decided(center, x0, rel) -> None:
    true = bump_curvature(x0, center, 1e-4)
    r = check(bump_slope(center, 1e-4), [x0], [1.0], [true * (1.0 + rel)])
    assert r.verdict == ("right" if rel == 0 else "wrong"), r.reason


@pytest.mark.parametrize("kind", ["sum", "trace"])
def test_the_ill_conditioned_inverse_is_decided(kind) -> None:
    a, b, t = ill_conditioned(3, 1e6, 0)
    g = jvp_of(kind, b, t)
    true = exact_second_derivatives(a, b, t, kind)
    for j in range(9):
        e = np.zeros(9)
        e[j] = 1.0
        right = taylor_test(g, (a,), (e.reshape(3, 3),), np.array([true[j]]))
        wrong = taylor_test(g, (a,), (e.reshape(3, 3),), np.array([true[j] * 1.001]))
        assert right.verdict == "right", (j, right.reason)
        assert wrong.verdict == "wrong", (j, wrong.reason)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_ill_conditioned_inverse_is_never_a_false_alarm(seed) -> None:
    # Where the function's own rounding hides the answer, the test says so; it never blames AD.
    a, b, t = ill_conditioned(3, 1e6, seed)
    g = jvp_of("sum", b, t)
    true = exact_second_derivatives(a, b, t, "sum")
    for j in range(9):
        e = np.zeros(9)
        e[j] = 1.0
        right = taylor_test(g, (a,), (e.reshape(3, 3),), np.array([true[j]]))
        wrong = taylor_test(g, (a,), (e.reshape(3, 3),), np.array([true[j] * 1.001]))
        assert right.verdict != "wrong", (j, right.reason)
        assert wrong.verdict != "right", (j, wrong.reason)


def expm1_minus_x(x):
    """exp(x) - 1 - x, computed naively: its values live on the 2^-52 grid of exp near 1."""
    return np.exp(x) - 1.0 - x


def test_where_the_oracle_ladder_is_invalid_a_smooth_function_is_decided() -> None:
    x0 = np.array([1e-6])
    assert not directional(expm1_minus_x, (x0,), (np.ones(1),)).valid
    true = np.expm1(x0)
    # A factor of two too much is caught without the oracle.
    r = taylor_test(expm1_minus_x, (x0,), (np.ones(1),), true * 2.0)
    assert r.verdict == "wrong" and r.slope_right == pytest.approx(1.0, abs=0.15)
    assert r.error_estimate == pytest.approx(true[0], rel=0.05)
    # The right value passes with a tolerance the function's resolution allows (the default,
    # 1e-6 relative, is below it: then the test says unclear, not wrong).
    assert taylor_test(expm1_minus_x, (x0,), (np.ones(1),), true, tolerance=1e-8).verdict == (
        "right"
    )
    assert taylor_test(expm1_minus_x, (x0,), (np.ones(1),), true).verdict == "unclear"


@pytest.mark.parametrize(
    ("f", "x0", "true"),
    [
        (lambda x: np.sqrt(1.0 + x) - 1.0, 1e-5, 0.5 / np.sqrt(1.0 + 1e-5)),
        (lambda x: (1e8 + np.sin(x)) - 1e8, 1.0, np.cos(1.0)),
        (lambda x: (1e12 + np.sin(x)) - 1e12, 1.0, np.cos(1.0)),
    ],
    ids=["sqrt-grid", "cancel-1e8", "cancel-1e12"],
)
def test_a_coarse_grid_of_values_is_never_read_as_a_wrong_derivative(f, x0, true) -> None:
    # Power-of-two steps on values that live on a grid give remainders exactly linear in h.
    r = check(f, [x0], [1.0], [true])
    assert r.verdict != "wrong", r.reason


# -- bad input and cost ------------------------------------------------------------------------


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="jv has 2 entries, expected 3"):
        check(sin_exp, X, V, [1.0, 2.0])
    with pytest.raises(ValueError, match="cotangent has 2 entries"):
        check(sin_exp, X, V, [1.0], cotangent=np.ones(2))
    with pytest.raises(ValueError, match="tangent shapes"):
        taylor_test(sin_exp, (X,), (np.ones(2),), sin_exp_jv(X, V))


def test_f_not_finite_at_the_point_is_unclear() -> None:
    r = check(np.log, [-1.0], [1.0], [1.0])
    assert r.verdict == "unclear" and "not finite" in r.reason


def test_the_cost_is_two_evaluations_per_step_and_the_point() -> None:
    calls = []

    def f(x):
        calls.append(1)
        return np.sin(x)

    r = check(f, [1.0], [1.0], [np.cos(1.0)], max_levels=20)
    assert r.evaluations == len(calls) == 1 + 2 * r.steps.size <= 1 + 2 * 20
