"""check_grads and the generic checker: passes, negative controls, messages, tolerances."""

from __future__ import annotations

import re

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine.check import (
    DEFAULT_RTOL,
    ADFunctions,
    CheckConfig,
    GradientCheckError,
    check_derivatives,
    check_grads,
)
from refengine.numeric import OracleConfig, OracleError

RNG = np.random.default_rng(7)
X3 = RNG.uniform(0.5, 1.5, 3)
Y3 = RNG.uniform(-1.0, 1.0, 3)


def _scale(tree, factor):
    if isinstance(tree, (tuple, list)):
        return type(tree)(_scale(t, factor) for t in tree)
    return tree * factor


def corrupted(factor, *, nested_only=False, f=None, which=("jvp", "vjp")):
    """refengine with its JVP and/or VJP results scaled by ``factor`` (a 0.1 % error, say).

    With ``nested_only``, derivatives of ``f`` itself are right and only derivatives of its
    derivatives (the functions checked at order 2) are wrong.
    """

    def wrong(fn, kind):
        return kind in which and not (nested_only and fn is f)

    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        return out, _scale(t, factor) if wrong(fn, "jvp") else t

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        if not wrong(fn, "vjp"):
            return out, pullback
        return out, lambda ct: _scale(pullback(ct), factor)

    return ADFunctions(jvp=jvp, vjp=vjp)


def mlp(w, x):
    return rnp.sum(rnp.tanh(w @ x) ** 2)


# -- passes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "args"),
    [
        (lambda x: rnp.sum(rnp.sin(x) * rnp.exp(x)), (X3,)),
        (lambda x, y: rnp.sin(x) * y**2, (X3, Y3)),
        (lambda x: rnp.log(x) / (1.0 + x**2), (X3,)),
        (mlp, (RNG.standard_normal((2, 3)), Y3)),
        (lambda x, y: (rnp.sum(x * y), rnp.exp(x)), (X3, Y3)),
        (lambda x: rnp.log(x), (np.array([1e-8, 3e-8]),)),
    ],
    ids=["scalar", "two-args", "vector", "mlp", "tuple-output", "scale-1e-8"],
)
def test_refengine_passes_at_order_2_in_both_modes(f, args) -> None:
    results = check_grads(f, args)
    assert [r.check.split(" of ")[:-1] for r in results] == [
        ["JVP"],
        ["VJP"],
        ["JVP", "JVP"],
        ["VJP", "JVP"],
        ["JVP", "VJP"],
        ["VJP", "VJP"],
    ]
    assert all(r.passed and r.abs_err <= r.tol for r in results)
    assert [r.order for r in results] == [1, 1, 2, 2, 2, 2]


def test_modes_and_order_select_the_checks() -> None:
    results = check_grads(lambda x: rnp.sin(x), (X3,), modes=("rev",), order=3)
    assert [r.check for r in results] == [
        "VJP of <lambda>",
        "VJP of VJP of <lambda>",
        "VJP of VJP of VJP of <lambda>",
    ]


def test_options_are_keyword_only_and_validated() -> None:
    with pytest.raises(TypeError):
        check_grads(rnp.sin, (X3,), ("fwd",))  # type: ignore[misc]
    with pytest.raises(ValueError, match="modes"):
        check_grads(rnp.sin, (X3,), modes=("backward",))
    with pytest.raises(ValueError, match="order"):
        check_grads(rnp.sin, (X3,), order=0)
    with pytest.raises(ValueError, match="atol"):
        check_grads(rnp.sin, (X3,), atol=-1.0)


def test_float32_is_differentiated_in_float32_with_a_float32_tolerance() -> None:
    def f(x):
        return rnp.sum(rnp.exp(x) * rnp.sin(x))

    x32 = X3.astype(np.float32)
    results = check_grads(f, (x32,))
    assert all(r.passed for r in results)
    assert all(r.tol >= DEFAULT_RTOL[np.dtype(np.float32)] * abs(r.fd_value) for r in results)
    # The float32 result really is float32: it differs from the float64 oracle by float32
    # rounding, far more than the oracle's bound, and a float64-grade tolerance rejects it.
    assert max(r.abs_err for r in results) > 1e-9
    with pytest.raises(GradientCheckError):
        check_grads(f, (x32,), rtol=1e-10, atol=0.0)


# -- negative controls -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_a_derivative_off_by_a_tenth_of_a_percent_fails_at_order_1(mode: str) -> None:
    def f(x):
        return rnp.sin(x) * x

    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X3,), ad=corrupted(1.001), config=CheckConfig(modes=(mode,)))
    c = info.value.comparison
    assert c.order == 1 and c.mode == mode
    assert c.check == ("JVP of f" if mode == "fwd" else "VJP of f")
    assert c.rel_err == pytest.approx(1e-3, rel=1e-3)


@pytest.mark.parametrize(
    ("modes", "wrong", "label"),
    [
        (("fwd",), "jvp", "JVP of JVP of f"),
        (("fwd", "rev"), "vjp", "VJP of JVP of f"),
        (("rev", "fwd"), "jvp", "JVP of VJP of f"),
        (("rev",), "vjp", "VJP of VJP of f"),
    ],
)
def test_a_second_derivative_off_by_a_tenth_of_a_percent_fails_at_order_2(
    modes, wrong, label
) -> None:
    def f(x, y):
        return rnp.sum(rnp.exp(x) * rnp.sin(y) * x)

    ad = corrupted(1.001, nested_only=True, f=f, which=(wrong,))
    config = CheckConfig(modes=modes, order=1)
    assert all(r.passed for r in check_derivatives(f, (X3, Y3), ad=ad, config=config))
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X3, Y3), ad=ad, config=CheckConfig(modes=modes, order=2))
    c = info.value.comparison
    assert (c.check, c.order) == (label, 2)
    assert c.rel_err == pytest.approx(1e-3, rel=1e-2)


def one_wrong_entry(index, shape):
    """refengine whose JVP and VJP results are 50 % off at one input/output entry."""
    mask = np.ones(shape)
    mask[index] = 1.5

    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        return out, t * mask

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        return out, lambda ct: (pullback(ct)[0] * mask,)

    return ADFunctions(jvp=jvp, vjp=vjp)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_one_wrong_entry_among_ten_thousand_is_found_and_named(mode: str) -> None:
    x = np.random.default_rng(0).uniform(-2.0, 2.0, (100, 100))
    config = CheckConfig(modes=(mode,), order=1)
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(rnp.sin, (x,), ad=one_wrong_entry((12, 34), x.shape), config=config)
    c = info.value.comparison
    assert (c.argument, c.index) == (0, (12, 34))
    assert "argument 0, input index (12, 34)" in str(info.value)
    assert "bisection" in c.note


def test_the_failure_message_names_everything() -> None:
    def wobbly(x, y):
        return rnp.sin(x) * y

    with pytest.raises(GradientCheckError) as info:
        check_derivatives(wobbly, (X3, Y3), ad=corrupted(1.001), config=CheckConfig(modes=("fwd",)))
    error = info.value
    assert isinstance(error, AssertionError)
    c = error.comparison
    msg = str(error)
    for part in [
        "JVP of wobbly",
        "(function 'wobbly',",
        "mode fwd, order 1",
        f"argument {c.argument}, input index {c.index}",
        f"output index {c.output_index}",
        f"AD value {c.ad_value:.17g}",
        f"FD value {c.fd_value:.17g}",
        "(FD error bound)",
        f"abs error {c.abs_err:.3g}",
        f"rel error {c.rel_err:.3g}",
        f"against tolerance {c.tol:.3g}",
    ]:
        assert part in msg, part
    # The worst entry is the largest error relative to its tolerance, and it really is wrong.
    assert c.abs_err > c.tol
    assert c.ad_value == pytest.approx(1.001 * c.fd_value, rel=1e-9)


def test_wrong_gradient_dtype_or_shape_is_a_failure() -> None:
    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        return out, lambda ct: tuple(g.astype(np.float64) for g in pullback(ct))

    ad = ADFunctions(jvp=rf.jvp, vjp=vjp)
    with pytest.raises(GradientCheckError, match=r"dtype float64, expected .* dtype float32"):
        check_derivatives(rnp.sin, (X3.astype(np.float32),), ad=ad, config=CheckConfig(order=1))


def test_check_config_options() -> None:
    ad = ADFunctions(jvp=rf.jvp, vjp=rf.vjp)

    def f(x):
        return rnp.exp(x) * rnp.sin(x)

    # full_jacobian_max=0 sends even 3 inputs down the projection path: no entry index then.
    projected = check_derivatives(f, (X3,), ad=ad, config=CheckConfig(full_jacobian_max=0))
    full = check_derivatives(f, (X3,), ad=ad)
    assert projected[1].argument is None and full[1].argument is not None
    # projections=1 costs one oracle ladder per function instead of two.
    one = check_derivatives(
        f, (X3,), ad=ad, config=CheckConfig(full_jacobian_max=0, projections=1, order=1)
    )
    assert len(one) == 2 and all(r.passed for r in one)

    # check_dtypes=False lets a float64 gradient for a float32 input through.
    def vjp64(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        return out, lambda ct: tuple(g.astype(np.float64) for g in pullback(ct))

    lax = ADFunctions(jvp=rf.jvp, vjp=vjp64)
    config = CheckConfig(order=1, check_dtypes=False)
    assert all(
        r.passed for r in check_derivatives(f, (X3.astype(np.float32),), ad=lax, config=config)
    )
    # The oracle's own options travel in CheckConfig.oracle.
    central = CheckConfig(order=1, oracle=OracleConfig(method="central"))
    assert all(r.passed for r in check_derivatives(f, (X3,), ad=ad, config=central))
    # f_numpy replaces f for the oracle at order 1; name labels the checks.
    named = check_derivatives(
        f,
        (X3,),
        ad=ad,
        f_numpy=lambda x: np.exp(x) * np.sin(x),
        name="expsin",
        config=CheckConfig(order=1),
    )
    assert named[0].check == "JVP of expsin"
    with pytest.raises(GradientCheckError):
        check_derivatives(
            f, (X3,), ad=ad, f_numpy=lambda x: np.exp(x) * np.cos(x), config=CheckConfig(order=1)
        )


# -- tolerances --------------------------------------------------------------------------------


def test_explicit_zero_tolerances_mean_zero() -> None:
    def f(x):
        return rnp.exp(x)

    x32 = X3.astype(np.float32)
    assert all(r.passed for r in check_grads(f, (x32,), order=1))
    with pytest.raises(GradientCheckError) as info:
        check_grads(f, (x32,), order=1, atol=0.0, rtol=0.0)
    c = info.value.comparison
    assert c.tol == pytest.approx(c.fd_error)  # nothing left but the oracle's own bound
    assert c.tol < 1e-9


def test_the_oracle_bound_is_always_part_of_the_tolerance() -> None:
    # Exact AD (float64, the exact rule) passes with atol=rtol=0: only the FD bound remains.
    results = check_grads(lambda x: 3.0 * x, (X3,), order=1, atol=0.0, rtol=0.0)
    assert all(r.passed for r in results)


# -- kinks and bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "args"),
    [
        (rnp.abs, (np.array([0.0, 1.5, -2.0]),)),
        (lambda x: rnp.maximum(x, 0.0), (np.array([0.0, 1.5, -2.0]),)),
        (rnp.maximum, (np.array([1.0, 2.0]), np.array([1.0, 0.5]))),
        (rnp.max, (np.array([1.0, 1.0, 0.5]),)),
    ],
    ids=["abs", "relu", "maximum-tie", "max-tie"],
)
def test_at_a_kink_any_subgradient_passes(f, args) -> None:
    results = check_grads(f, args, order=1)
    assert any(r.kink for r in results) or all(r.passed for r in results)


def test_at_a_kink_a_value_outside_the_subdifferential_fails() -> None:
    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        return out, lambda ct: (pullback(ct)[0] + 2.0 * ct,)  # outside [-1, 1] at 0

    ad = ADFunctions(jvp=rf.jvp, vjp=vjp)
    with pytest.raises(GradientCheckError, match="kink") as info:
        check_derivatives(
            rnp.abs, (np.array([0.0]),), ad=ad, config=CheckConfig(modes=("rev",), order=1)
        )
    assert info.value.comparison.kink


def test_second_derivatives_at_a_kink_are_checked_against_one_sided_limits() -> None:
    # relu' jumps at 0: its derivative there is checked against the one-sided limits beside 0
    # (tests/test_check_kinks.py has the negative controls).
    results = check_grads(lambda x: rnp.maximum(x, 0.0), (np.array([0.0, 1.5]),), order=2)
    second = [r for r in results if r.order == 2]
    assert len(second) == 4 and all(r.passed and r.kink for r in second)
    assert all("first derivative" in r.note and "jumps here" in r.note for r in second)


def test_dict_outputs_are_compared_leaf_by_leaf() -> None:
    results = check_grads(lambda x: {"b": rnp.sin(x), "a": rnp.sum(x**2)}, (X3,))
    assert all(r.passed for r in results)


def test_a_function_that_is_nan_at_the_point_is_an_oracle_error() -> None:
    with pytest.raises(OracleError, match="not finite at the point"):
        check_grads(rnp.log, (np.array([-1.0, 1.0]),))


def test_non_float_arguments_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="dtype int64"):
        check_grads(rnp.sin, (np.array([1, 2]),))


# -- cost --------------------------------------------------------------------------------------


def test_a_million_entry_input_costs_a_handful_of_evaluations() -> None:
    calls = []

    def f(x):
        calls.append(1)
        return rnp.sum(rnp.sin(x))

    x = np.random.default_rng(0).uniform(-2.0, 2.0, 10**6)
    results = check_grads(f, (x,), order=1)
    assert all(r.passed for r in results)
    # Two random projections, each one oracle ladder shared by both modes, plus the AD calls.
    assert len(calls) <= 100
    assert re.fullmatch(r"[JV]VP of f", results[0].check)
