"""The oracle across jumps (``OracleConfig.across_jumps``): one-sided derivatives computed beside
the point, never from f(x), where f jumps there; and none where a side has no derivative."""

from __future__ import annotations

import numpy as np
import pytest

from refengine.numeric import OracleConfig, directional, jacobian, projection
from refengine.numeric.jumps import beside_limits

ACROSS = OracleConfig(across_jumps=True)
AT_0 = (np.array([0.0]),)
ONE = (np.ones(1),)


def counted(f):
    def wrapper(*args):
        wrapper.calls += 1
        return f(*args)

    wrapper.calls = 0
    return wrapper


@pytest.mark.parametrize(
    ("f", "left", "right"),
    [
        (lambda x: np.where(x > 0, np.exp(3 * x), np.sin(x) + 2.0), 1.0, 3.0),
        (lambda x: np.where(x > 0, 1.0 + x**2 + 3 * x, 0.5 + 2 * x) + x**3, 2.0, 3.0),
        (np.sign, 0.0, 0.0),
        # f(0) on neither branch (a tie split in halves), and a jump with equal slopes.
        (lambda x: np.where(x > 0, 1.0, np.where(x < 0, 0.0, 0.5)) - 0.25 * x, -0.25, -0.25),
        (lambda x: np.where(x > 0, 1.0 + x, x), 1.0, 1.0),
    ],
    ids=["exp-sin", "polynomials", "sign", "tie", "equal-slopes"],
)
def test_a_jump_gives_the_interval_of_the_one_sided_derivatives_beside_it(f, left, right):
    d = directional(f, AT_0, ONE, config=ACROSS)
    assert d.valid and d.reason == ""
    assert d.jump is not None and d.jump[0] and d.kink[0]
    assert d.left[0] == pytest.approx(left, abs=1e-9)
    assert d.right[0] == pytest.approx(right, abs=1e-9)
    assert d.lower[0] <= min(left, right) and d.upper[0] >= max(left, right)
    assert d.error[0] <= abs(right - left) / 2 + 1e-9  # no wider than the limits need


def test_without_across_jumps_a_jump_stays_invalid() -> None:
    f = lambda x: np.where(x > 0, np.exp(3 * x), np.sin(x) + 2.0)
    d = directional(f, AT_0, ONE)
    assert not d.valid and np.isnan(d.value[0]) and d.jump is None
    assert "not differentiable" in d.reason
    assert not d.jumps.any()


def test_across_jumps_reuses_the_ladder() -> None:
    f = lambda x: np.where(x > 0, np.exp(3 * x), np.sin(x) + 2.0)
    plain, across = counted(f), counted(f)
    directional(plain, AT_0, ONE)
    directional(across, AT_0, ONE, config=ACROSS)
    assert across.calls == plain.calls


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.sign(x) * (1.0 + np.sqrt(np.abs(x))),  # infinite slope on both sides
        lambda x: np.where(x > 0, 1.0 + np.sqrt(np.abs(x)), 0.0),  # on one side
        lambda x: np.where(x > 0, 1.0 + x * np.log(np.abs(x) + 1e-300), 0.0),  # log slope
        lambda x: np.where(x == 0, 0.0, 1.0 / np.where(x == 0, 1.0, x)),  # a pole beside x
        np.sqrt,  # an edge of the domain, with an infinite slope
    ],
    ids=["sqrt-both", "sqrt-right", "x-log-x", "pole", "sqrt-edge"],
)
def test_a_side_without_a_derivative_stays_invalid(f) -> None:
    d = directional(f, AT_0, ONE, config=ACROSS)
    assert not d.valid and np.isnan(d.value[0]) and not d.jump[0]
    assert "not differentiable" in d.reason or "defined only" in d.reason


def test_a_point_where_f_is_not_finite_stays_invalid() -> None:
    f = lambda x: np.where(x == 0, np.nan, np.sign(x))
    d = directional(f, AT_0, ONE, config=ACROSS)
    assert not d.valid and "not finite at the point" in d.reason and not d.jump[0]


def test_smooth_functions_are_unchanged_by_across_jumps() -> None:
    x = (np.array([0.3, -1.2, 2.0]),)
    plain = jacobian(lambda x: np.sin(x) * np.abs(x), x)
    across = jacobian(lambda x: np.sin(x) * np.abs(x), x, config=ACROSS)
    assert np.array_equal(plain.value, across.value)
    assert np.array_equal(plain.error, across.error)
    assert not across.jumps.any()


def test_jacobians_and_projections_carry_the_jumps() -> None:
    heaviside = lambda x: np.where(x > 0, 1.0, 0.0) * np.array([1.0, 2.0]) + x**2
    x = (np.array([0.0, 1.0]),)
    jac = jacobian(heaviside, x, config=ACROSS)
    assert jac.valid
    assert jac.jump.tolist() == [[True, False], [False, False]]
    assert jac.jumps.shape == jac.value.shape
    assert jac.kink[0, 0] and not jac.kink[1, 1]
    assert jac.value[1, 1] == pytest.approx(2.0, abs=1e-9)
    p = projection(heaviside, x, np.array([1.0, 0.0]), (np.array([1.0, 0.0]),), config=ACROSS)
    assert p.valid and bool(p.jump) and bool(p.kink)


def test_beside_limits_never_use_the_point_itself() -> None:
    # f(x) is deliberately absurd: the limits come from f(x + h v) and f(x + 2 h v) only.
    steps = 0.125 * 0.5 ** np.arange(12)
    h = steps[:, None]
    fp = np.exp(3 * h)
    fm = np.sin(-h) + 2.0
    left, left_err, right, right_err = beside_limits(fp, fm, h, h, OracleConfig())
    assert abs(left[0] - 1.0) <= left_err[0] <= 1e-8
    assert abs(right[0] - 3.0) <= right_err[0] <= 1e-8
    # Steps below ``smallest`` are left out: here all of them, so no limit at all.
    none = beside_limits(fp, fm, h, h, OracleConfig(), smallest=1.0)
    assert np.isnan(none[0][0]) and np.isinf(none[1][0])
