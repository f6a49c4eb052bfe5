"""Second derivatives at a kink (issue 16: "at a point where f is not differentiable, any
subgradient passes and the result names the kink", one order up).

At a kink of f its first derivative jumps, so the second derivative does not exist there. What AD
returns for it is checked against the one-sided limits of the first derivative's derivative,
computed beside the point (``refengine.numeric.jumps``): inside the interval they span passes,
with ``kink`` set and a note naming the kink; outside fails. Every rule has its negative control.
"""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine.check import (
    ADFunctions,
    CheckConfig,
    GradientCheckError,
    check_derivatives,
    check_grads,
)
from refengine.numeric import OracleError

W5 = np.array([0.7, 1.3, 2.1, 0.9, 1.6])
X5 = np.array([0.0, 1.3, 0.0, -0.7, 0.0])
X20 = np.where(np.arange(20) % 3 == 0, 0.0, np.linspace(-1.0, 1.0, 20))  # projections


def relu_sum(x):
    return rnp.sum(W5[: x.size] * rnp.maximum(x, 0.0)) if x.size <= 5 else rnp.sum(
        rnp.maximum(x, 0.0)
    )


KINKS = {
    "relu": (relu_sum, (X5,)),
    "abs": (lambda x: rnp.sum(W5[:4] * rnp.abs(x)), (np.array([0.0, -1.5, 0.0, 0.8]),)),
    "max-ties": (rnp.max, (np.array([2.0, -1.0, 2.0, 0.5, 2.0]),)),
    "maximum-ties": (lambda x, y: rnp.sum(W5[:4] * rnp.maximum(x, y)),
                     (np.array([0.3, 1.0, -0.5, 2.0]), np.array([0.3, 0.2, -0.5, 2.5]))),
    "sort-ties": (lambda x: rnp.sum(W5[:4] * rnp.sort(x)), (np.array([0.5, 0.2, 0.5, 0.9]),)),
    "clip-at-bounds": (lambda x: rnp.sum(W5[:3] * rnp.clip(x, -1.0, 1.0)),
                       (np.array([-1.0, 1.0, 0.3]),)),
    "norm-at-zero": (rnp.linalg.norm, (np.zeros(3),)),
    "relu-projected": (relu_sum, (X20,)),
    # The first derivative jumps by 1 at 0 and its slope is 0 on the left, 2 on the right:
    # every value in [0, 2] is a valid second derivative.
    "relu-plus-square": (lambda x: rnp.sum(rnp.maximum(x, 0.0) + rnp.maximum(x, 0.0) ** 2),
                         (np.array([0.0, 1.5, -1.0]),)),
}


@pytest.mark.parametrize("name", list(KINKS))
def test_second_derivatives_at_a_kink_pass_and_name_it(name: str) -> None:
    f, args = KINKS[name]
    results = check_grads(f, args, order=2)
    second = [r for r in results if r.order == 2]
    assert len(second) == 4 and all(r.passed and r.checked for r in second)
    assert all(r.kink for r in second)
    for r in second:
        assert "kink: the first derivative" in r.note and "jumps here" in r.note
        assert "second derivative is checked against its one-sided limits" in r.note


def test_the_note_names_the_input_entries_where_the_first_derivative_jumps() -> None:
    results = check_grads(relu_sum, (X5,), order=2, modes=("fwd",))
    note = results[-1].note
    assert "argument 0 index (0,), argument 0 index (2,), argument 0 index (4,)" in note
    assert "(1,)" not in note and "(3,)" not in note


def _nested(f, extra, which=("jvp",)):
    """refengine, with ``extra(primals, tangents)`` added to the JVP (or the VJP's gradient, for
    a cotangent ct: ``extra(primals, (ct,))``) of the derivatives of ``f`` only (the functions
    checked at order 2); ``f``'s own derivatives are right."""

    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        return out, t if fn is f or "jvp" not in which else t + extra(primals, tangents)

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        if fn is f or "vjp" not in which:
            return out, pullback
        return out, lambda ct: (pullback(ct)[0] + extra(primals, (ct,)),)

    return ADFunctions(jvp=jvp, vjp=vjp)


def _at_kinks(primals, tangents):
    """1 per unit tangent along every input entry at 0: a second derivative of 1 there."""
    x, t = np.asarray(primals[0]), np.asarray(tangents[0])
    return rnp.sum(np.where(x == 0.0, t, 0.0)) if np.ndim(t) == np.ndim(x) else 0.0


@pytest.mark.parametrize("x", [X5, X20], ids=["full", "projected"])
def test_a_wrong_second_derivative_at_a_kink_fails(x) -> None:
    # relu's first derivative is constant on either side of 0: both limits are 0, AD says 1.
    f = relu_sum
    ad = _nested(f, _at_kinks)
    config = CheckConfig(modes=("fwd",), order=2)
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (x,), ad=ad, config=config)
    c = info.value.comparison
    assert c.order == 2 and c.check == "JVP of JVP of relu_sum"
    assert abs(c.fd_value) < 1e-8 and c.fd_error < 1e-8
    assert "jumps here" in c.note
    if x is X5:
        assert c.kink and c.index in ((0,), (2,), (4,))


def test_a_wrong_reverse_mode_second_derivative_at_a_kink_fails() -> None:
    f = relu_sum

    def extra(primals, cts):
        x, ct = np.asarray(primals[0]), cts[0]
        ct = np.asarray(ct[0] if isinstance(ct, tuple) else ct)  # VJP of f returns a tuple
        return np.where(x == 0.0, 1.0, 0.0) * ct  # 1 per unit cotangent at every kink

    ad = _nested(f, extra, which=("vjp",))
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X5,), ad=ad, config=CheckConfig(modes=("rev",), order=2))
    assert info.value.comparison.check == "VJP of VJP of relu_sum"
    assert info.value.comparison.kink


@pytest.mark.parametrize(
    ("scale", "passes"), [(1.0, True), (3.9, True), (4.2, False), (-0.2, False)]
)
def test_inside_the_interval_of_one_sided_limits_passes_and_outside_fails(scale, passes):
    # relu(x) + relu(x)^2 at 0: the one-sided second derivatives are 0 and 2, and refengine
    # says 1/2 (2 relu'(0)^2, with relu'(0) = 1/2 from the tie of maximum). The AD below is
    # refengine with that value scaled: 1/2, 1.95 are in [0, 2]; 2.1 and -0.1 are not.
    def f(x):
        return rnp.sum(rnp.maximum(x, 0.0) + rnp.maximum(x, 0.0) ** 2)

    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        if fn is f:
            return out, t
        x, v = np.asarray(primals[0]), np.asarray(tangents[0])
        at_kink = rf.jvp(fn, primals, (np.where(x == 0.0, v, 0.0),))[1]
        return out, t + (scale - 1.0) * at_kink

    ad = ADFunctions(jvp=jvp, vjp=rf.vjp)
    config = CheckConfig(modes=("fwd",), order=2)
    x = (np.array([0.0, 1.5, -1.0]),)
    if passes:
        results = check_derivatives(f, x, ad=ad, config=config)
        assert results[-1].passed and results[-1].kink
        return
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, x, ad=ad, config=config)
    # The interval is [0, 2 t_0] for the random tangent t of the first derivative: midpoint
    # t_0, half-width |t_0| (up to the limits' tiny error bounds).
    c = info.value.comparison
    assert c.kink and c.index == (0,)
    assert c.fd_error == pytest.approx(abs(c.fd_value), rel=1e-6)
    assert c.ad_value == pytest.approx(scale * 0.5 * c.fd_value, rel=1e-12)


def test_a_nan_second_derivative_at_a_kink_fails() -> None:
    # Both one-sided limits are finite (0): an AD that says NaN there is wrong, not excused.
    f = relu_sum
    ad = _nested(f, lambda p, t: _at_kinks(p, t) * np.nan)
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X5,), ad=ad, config=CheckConfig(modes=("fwd",), order=2))
    assert np.isnan(info.value.comparison.ad_value)


def test_a_first_derivative_outside_the_subdifferential_still_fails_at_order_1() -> None:
    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        x, v = np.asarray(primals[0]), np.asarray(tangents[0])
        return out, t + rnp.sum(np.where(x == 0.0, 2.0 * v, 0.0))  # relu'(0) = 2: outside [0, 1]

    f = lambda x: rnp.sum(rnp.maximum(x, 0.0))
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X5,), ad=ADFunctions(jvp=jvp, vjp=rf.vjp),
                          config=CheckConfig(modes=("fwd",), order=2))
    assert info.value.comparison.order == 1 and info.value.comparison.kink


def test_a_first_derivative_that_jumps_where_f_is_smooth_is_not_excused() -> None:
    # sin is smooth at 0; an AD whose first derivative is off by 1e-3 for x > 0 only is right
    # at 0 itself (order 1 passes) and jumps there. That jump is no kink of f: the second
    # derivative is not checked against its one-sided limits but reported as not checkable.
    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        return out, t + 1e-3 * rnp.sum(rnp.where(primals[0] > 0.0, tangents[0], 0.0))

    f = lambda x: rnp.sum(rnp.sin(x))
    ad = ADFunctions(jvp=jvp, vjp=rf.vjp)
    first = check_derivatives(f, (np.zeros(2),), ad=ad, config=CheckConfig(modes=("fwd",),
                                                                           order=1))
    assert first[0].passed and not first[0].kink
    with pytest.raises(OracleError, match="not differentiable"):
        check_derivatives(f, (np.zeros(2),), ad=ad, config=CheckConfig(modes=("fwd",), order=2))


def test_a_function_with_no_kink_gets_no_kink_note() -> None:
    results = check_grads(lambda x: rnp.sum(rnp.sin(x) ** 2), (np.array([0.0, 0.4]),), order=2)
    assert all(r.passed and not r.kink and "jumps" not in r.note for r in results)


@pytest.mark.parametrize(("scale", "passes"), [(1.0, True), (4.2, False)])
def test_a_first_derivative_with_a_kink_but_no_jump_uses_the_same_interval(scale, passes):
    # relu(x)^2: its first derivative 2 relu(x) is continuous with a kink at 0, so the oracle's
    # kink interval (one-sided derivatives from the point) is [0, 2 t_0]; refengine says
    # 2 relu'(0)^2 = 1/2 per unit, scaled here: 1/2 is inside, 2.1 is not.
    def f(x):
        return rnp.sum(rnp.maximum(x, 0.0) ** 2)

    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        if fn is f:
            return out, t
        x, v = np.asarray(primals[0]), np.asarray(tangents[0])
        at_kink = rf.jvp(fn, primals, (np.where(x == 0.0, v, 0.0),))[1]
        return out, t + (scale - 1.0) * at_kink

    ad = ADFunctions(jvp=jvp, vjp=rf.vjp)
    config = CheckConfig(modes=("fwd",), order=2)
    x = (np.array([0.0, 1.5, -1.0]),)
    if passes:
        results = check_derivatives(f, x, ad=ad, config=config)
        assert all(r.passed for r in results) and "jumps" not in results[-1].note
        return
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, x, ad=ad, config=config)
    c = info.value.comparison
    assert c.order == 2 and c.kink and c.index == (0,) and "jumps" not in c.note
