"""The finite-difference oracle: methods, kinks, bad input, projections and cost."""

from __future__ import annotations

import numpy as np
import pytest

from refengine.numeric import (
    Derivative,
    OracleConfig,
    OracleError,
    bisect,
    directional,
    gradient,
    jacobian,
    projection,
)
from refengine.numeric.differences import scale_groups

X = (np.array([0.3, -1.2, 2.0]),)
ONES = (np.ones(3),)


def counted(f):
    def wrapper(*args):
        wrapper.calls += 1
        return f(*args)

    wrapper.calls = 0
    return wrapper


# -- methods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "bound"),
    [
        ("auto", 1e-14),
        ("richardson", 1e-11),
        ("central", 1e-8),
        ("complex", 1e-14),
        ("forward", 1e-9),
        ("backward", 1e-9),
    ],
)
def test_every_method_is_accurate_and_within_its_bound(method: str, bound: float) -> None:
    d = directional(np.sin, X, ONES, config=OracleConfig(method=method))
    true = np.cos(X[0])
    assert d.valid and d.reason == ""
    assert np.all(np.abs(d.value - true) <= d.error)
    assert np.max(np.abs(d.value - true)) <= bound
    assert not d.kink.any()


def test_central_costs_four_evaluations_and_complex_three_plus_the_point() -> None:
    for method, calls in (("central", 5), ("complex", 4)):
        f = counted(np.sin)
        d = directional(f, X, ONES, config=OracleConfig(method=method))
        assert d.evaluations == f.calls == calls


def test_complex_step_falls_back_to_richardson_when_f_refuses_complex_input() -> None:
    def real_only(x):
        if np.iscomplexobj(x):
            raise TypeError("no complex here")
        return np.sin(x)

    d = directional(real_only, X, ONES, config=OracleConfig(method="complex"))
    assert d.method == "richardson"
    assert "complex step unavailable" in d.reason
    assert np.allclose(d.value, np.cos(X[0]), rtol=1e-10)
    # abs accepts complex input but returns a real modulus: also refused.
    d = directional(np.abs, X, ONES, config=OracleConfig(method="complex"))
    assert d.method == "richardson"
    assert np.allclose(d.value, np.sign(X[0]))


def test_auto_does_not_trust_a_complex_result_that_disagrees() -> None:
    # Cholesky accepts complex input but factors the Hermitian matrix: a wrong complex step.
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    forced = jacobian(np.linalg.cholesky, (a,), config=OracleConfig(method="complex"))
    rich = jacobian(np.linalg.cholesky, (a,), config=OracleConfig(method="richardson"))
    auto = jacobian(np.linalg.cholesky, (a,))
    assert np.max(np.abs(forced.value - rich.value)) > 0.01  # silently wrong when forced
    assert auto.valid
    assert np.all(np.abs(auto.value - rich.value) <= auto.error + rich.error)


def test_jacobian_gradient_and_multiple_arguments() -> None:
    x, y = np.array([0.5, 1.5]), np.array([2.0, -1.0, 0.25])

    def f(x, y):
        return np.outer(np.sin(x), y**2)

    jac = jacobian(f, (x, y))
    assert jac.value.shape == (6, 5)
    true_x = np.zeros((2, 3, 2))
    true_y = np.zeros((2, 3, 3))
    for i in range(2):
        true_x[i, :, i] = np.cos(x[i]) * y**2
        true_y[i, :, :] = np.diag(np.sin(x[i]) * 2 * y)
    true = np.concatenate([true_x.reshape(6, 2), true_y.reshape(6, 3)], axis=1)
    assert np.all(np.abs(jac.value - true) <= jac.error)
    g = gradient(lambda x, y: np.sum(f(x, y)), (x, y), argnum=1)
    assert g.value.shape == (3,)
    assert np.allclose(g.value, 2 * y * np.sum(np.sin(x)), rtol=1e-10)
    with pytest.raises(OracleError, match="scalar"):
        gradient(f, (x, y))


def test_outputs_of_any_shape_and_tuples_are_flattened() -> None:
    d = directional(lambda x: (np.sin(x).reshape(3, 1), np.sum(x)), X, ONES)
    assert d.value.shape == (4,)
    assert np.allclose(d.value, [*np.cos(X[0]), 3.0], rtol=1e-12)


def test_float32_inputs_are_differentiated_at_the_same_point_in_float64() -> None:
    x32 = np.array([0.1, 0.7], dtype=np.float32)
    d = directional(np.exp, (x32,), (np.ones(2, np.float32),))
    assert np.allclose(d.value, np.exp(x32.astype(np.float64)), rtol=1e-13)


def test_a_direction_spanning_1e_minus_8_to_1e8_is_split_by_scale() -> None:
    x = np.array([1.3e-8, 2.1, 1.7e8])
    v = np.array([0.5, -1.2, 0.8])
    assert [g.tolist() for g in scale_groups(x, v)] == [[0, 1], [2]]
    d = directional(lambda x: np.sum(np.log(x)), (x,), (v,))
    true = np.sum(v / x)
    assert abs(d.value[0] - true) <= d.error[0] <= 1e-9 * abs(true)


@pytest.mark.parametrize(
    ("f", "x0", "true"),
    [
        (lambda x: np.exp(50 * x), 0.4, 50 * np.exp(20.0)),
        # Saturated on every step of the initial ladder: looks like a jump until extended.
        (lambda x: np.tanh(1e4 * x), 0.0, 1e4),
    ],
    ids=["exp50x", "tanh1e4x"],
)
def test_steep_functions_extend_the_ladder_until_converged(f, x0, true) -> None:
    d = directional(f, (np.array([x0]),), (np.ones(1),))
    assert d.valid
    assert abs(d.value[0] - true) <= d.error[0] <= 1e-9 * true


# -- kinks -------------------------------------------------------------------------------------


def assert_kink(d: Derivative, entry: tuple, left: float, right: float) -> None:
    assert d.kink[entry], "kink not detected"
    assert d.left[entry] == pytest.approx(left, abs=1e-9)
    assert d.right[entry] == pytest.approx(right, abs=1e-9)
    lo, hi = min(left, right), max(left, right)
    assert d.lower[entry] <= lo + 1e-9 and d.upper[entry] >= hi - 1e-9
    assert d.upper[entry] - d.lower[entry] <= (hi - lo) + 1e-6


@pytest.mark.parametrize("method", ["auto", "richardson"])
def test_abs_at_zero_is_a_kink_with_both_one_sided_values(method: str) -> None:
    d = jacobian(np.abs, (np.array([0.0, 1.0, -2.0]),), config=OracleConfig(method=method))
    assert_kink(d, (0, 0), -1.0, 1.0)
    assert d.kink.sum() == 1
    assert d.valid
    assert np.allclose(d.value[1:, 1:], np.diag([1.0, -1.0]))


def test_relu_at_zero() -> None:
    d = jacobian(lambda x: np.maximum(x, 0.0), (np.array([0.0, 0.5]),))
    assert_kink(d, (0, 0), 0.0, 1.0)
    assert not d.kink[1, 1] and d.value[1, 1] == pytest.approx(1.0)


def test_maximum_with_a_tie() -> None:
    d = jacobian(np.maximum, (np.array([1.0, 2.0]), np.array([1.0, 3.0])))
    assert_kink(d, (0, 0), 0.0, 1.0)  # d/dx of max(x, y) at x == y
    assert_kink(d, (0, 2), 0.0, 1.0)  # d/dy
    assert d.kink.sum() == 2


def test_max_reduction_with_ties() -> None:
    d = jacobian(np.max, (np.array([1.0, 1.0, 0.5]),))
    assert_kink(d, (0, 0), 0.0, 1.0)
    assert_kink(d, (0, 1), 0.0, 1.0)
    assert not d.kink[0, 2] and d.value[0, 2] == 0.0
    # Along (1, -1) the max moves with whichever entry grows: right +1, left -1.
    dd = directional(np.max, (np.array([1.0, 1.0, 0.5]),), (np.array([1.0, -1.0, 0.0]),))
    assert_kink(dd, (0,), -1.0, 1.0)


def test_norm_at_zero() -> None:
    d = jacobian(np.linalg.norm, (np.zeros(3),))
    for j in range(3):
        assert_kink(d, (0, j), -1.0, 1.0)


@pytest.mark.parametrize(
    ("f", "points"),
    [
        (lambda x: np.exp(50 * x), np.linspace(-0.5, 0.5, 25)),
        (lambda x: 1 / x, np.geomspace(1e-3, 2e-3, 25)),
        (lambda x: 1 / x, -np.geomspace(1e-3, 2e-3, 25)),
        (lambda x: np.sqrt(x), np.geomspace(1e-8, 1e-6, 25)),
        (lambda x: np.tanh(1e4 * x), np.linspace(-3e-4, 3e-4, 25)),
        (lambda x: np.abs(x), np.geomspace(1e-6, 1.0, 25)),
    ],
    ids=["exp50x", "recip", "recip_neg", "sqrt_small", "steep_tanh", "abs_off_zero"],
)
def test_no_false_kinks_on_smooth_functions_with_large_curvature(f, points) -> None:
    for x0 in points:
        d = directional(f, (np.array([x0]),), (np.ones(1),))
        assert d.valid and not d.kink.any(), (x0, d)


# -- bad input ---------------------------------------------------------------------------------


def test_nan_at_the_point_is_invalid_never_a_number() -> None:
    d = directional(np.log, (np.array([-1.0, 2.0]),), (np.ones(2),))
    assert not d.valid
    assert np.isnan(d.value[0]) and np.isinf(d.error[0])
    assert d.value[1] == pytest.approx(0.5)
    assert "not finite at the point" in d.reason
    with pytest.raises(OracleError, match="not finite at the point"):
        d.require_valid()


def test_a_domain_edge_is_invalid_and_keeps_the_one_sided_value() -> None:
    d = jacobian(lambda x: x**1.5, (np.array([0.0, 4.0]),))  # NaN left of 0
    assert not d.valid
    assert np.isnan(d.value[0, 0])
    assert "defined only on the right" in d.reason
    assert d.right[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert d.value[1, 1] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("f", "x0"),
    [
        (np.sign, 0.0),
        (np.floor, 1.0),
        (lambda x: np.sqrt(np.abs(x)), 0.0),  # a cusp: infinite slopes
        (np.sqrt, 0.0),  # an edge with an infinite slope
        (lambda x: np.where(x > 0, 1.0 + x, x), 0.0),
    ],
    ids=["sign", "floor", "cusp", "sqrt", "jump"],
)
def test_jumps_and_infinite_slopes_are_invalid(f, x0) -> None:
    d = directional(f, (np.array([x0]),), (np.ones(1),))
    assert not d.valid and np.isnan(d.value[0])
    assert "not differentiable" in d.reason


@pytest.mark.parametrize(
    "bad",
    [np.array([1, 2]), np.array([True, False]), np.array([1 + 1j, 2]), np.array(["a", "b"]), 3],
    ids=["int", "bool", "complex", "str", "python-int"],
)
def test_non_float_inputs_are_a_type_error(bad) -> None:
    with pytest.raises(TypeError, match="argument 0 has dtype"):
        directional(np.sin, (bad,), (np.ones(np.shape(bad)),))


def test_non_finite_inputs_and_non_tuple_args_are_rejected() -> None:
    with pytest.raises(OracleError, match=r"argument 0 is not finite at index \(1,\)"):
        directional(np.sin, (np.array([1.0, np.inf]),), (np.ones(2),))
    with pytest.raises(TypeError, match="tuple of arrays"):
        directional(np.sin, np.ones(2), (np.ones(2),))
    with pytest.raises(ValueError, match="tangent shapes"):
        directional(np.sin, (np.ones(2),), (np.ones(3),))


@pytest.mark.parametrize("method", ["richardson", "central", "auto"])
def test_a_step_that_underflows_is_invalid(method: str) -> None:
    d = directional(
        np.sin, (np.array([1.0]),), (np.ones(1),), config=OracleConfig(method=method, step=1e-17)
    )
    assert not d.valid and np.isnan(d.value[0])
    assert "underflows" in d.reason
    d = directional(
        np.sin, (np.array([1.0]),), (np.ones(1),), config=OracleConfig(method=method, step=1e-300)
    )
    assert not d.valid and "underflows" in d.reason


def test_options_change_what_they_say() -> None:
    x = (np.array([0.0]),)
    plain = directional(np.abs, x, (np.ones(1),), config=OracleConfig(detect_kinks=False))
    assert not plain.kink.any() and plain.value[0] == 0.0 and plain.error[0] < 1e-10
    # A large kink_rtol hides small jumps in the derivative; kink_factor scales the bounds.
    tiny = lambda x: x + 1e-6 * np.abs(x)
    assert directional(tiny, x, (np.ones(1),)).kink[0]
    for loose in (OracleConfig(kink_rtol=1e-3), OracleConfig(kink_factor=1e20)):
        assert not directional(tiny, x, (np.ones(1),), config=loose).kink[0]
    # An explicit scale replaces |x| in the step choice: 1e-8 suits log at 1e-8 at once.
    at = (np.array([2e-8]),)
    fixed = directional(np.log, at, (np.ones(1),), config=OracleConfig(scale=1e-8))
    assert abs(fixed.value[0] - 5e7) <= fixed.error[0] <= 1e-9 * 5e7
    # max_levels caps the ladder (and with it the cost); max_order caps the extrapolation.
    short = directional(np.sin, X, ONES, config=OracleConfig(method="richardson", max_levels=4))
    assert short.evaluations <= 2 * 4 + 1
    coarse = OracleConfig(method="richardson", max_order=1, safety=10.0, roundoff=100.0)
    d = directional(np.sin, X, ONES, config=coarse)
    assert np.all(np.abs(d.value - np.cos(X[0])) <= d.error)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="method"):
        OracleConfig(method="five-point")
    with pytest.raises(ValueError, match="step"):
        OracleConfig(step=0.0)
    with pytest.raises(ValueError, match="min_step"):
        OracleConfig(min_step=1.0, max_step=0.5)


def test_exceptions_at_perturbed_points_drop_those_steps_only() -> None:
    # A large step makes the matrix indefinite: Cholesky raises there, smaller steps are fine.
    a = np.array([[1.0, 0.99], [0.99, 1.0]])
    d = jacobian(np.linalg.cholesky, (a,))
    assert d.valid
    with pytest.raises(np.linalg.LinAlgError):
        jacobian(np.linalg.cholesky, (-a,))  # at the point itself the error propagates


# -- projections and bisection -----------------------------------------------------------------


def test_projection_is_u_transpose_j_v_with_a_bound() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 3))
    x, u, v = rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(3)
    p = projection(lambda x: np.tanh(a @ x), (x,), u, (v,))
    true = u @ ((1 - np.tanh(a @ x) ** 2) * (a @ v))
    assert p.value.shape == ()
    assert abs(p.value - true) <= p.error <= 1e-10


def test_a_projection_of_a_million_entries_costs_a_handful_of_evaluations() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, 10**6)
    v = rng.standard_normal(x.size)
    f = counted(lambda x: np.sum(np.sin(x)))
    p = projection(f, (x,), np.ones(()), (v,))
    true = np.cos(x) @ v
    assert abs(p.value - true) <= p.error
    assert f.calls == p.evaluations <= 50


def test_bisect_finds_the_failing_entry_in_log_steps() -> None:
    calls = []

    def fails(block):
        calls.append(block.size)
        return 6789 in block

    assert bisect(np.arange(10_000), fails).tolist() == [6789]
    assert len(calls) <= 2 * 14
    # When the failure needs entries from both halves, the search stops at the parent block.
    assert bisect(np.arange(8), lambda b: {2, 5} <= set(b.tolist())).tolist() == list(range(8))
