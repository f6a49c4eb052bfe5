"""A 100x100 input: checked at order 2 in both modes with a bounded number of evaluations, and a
single wrong entry among its 10^4 named by its index at order 1 and at order 2, in both modes.
"""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine.check import ADFunctions, CheckConfig, GradientCheckError, check_derivatives

X = np.random.default_rng(0).uniform(-2.0, 2.0, (100, 100))
WRONG = (12, 34)


def f(x):
    return rnp.sum(rnp.sin(x) * x)


def test_a_100x100_input_is_checked_at_order_2_in_both_modes_cheaply() -> None:
    calls = []

    def counted(x):
        calls.append(1)
        return f(x)

    results = rf.check_grads(counted, (X,))
    assert [r.check for r in results] == [
        "JVP of counted",
        "VJP of counted",
        "JVP of JVP of counted",
        "VJP of JVP of counted",
        "JVP of VJP of counted",
        "VJP of VJP of counted",
    ]
    assert all(r.passed and r.checked for r in results)
    # Two random projections per function (one oracle ladder each, shared by both modes),
    # whatever the size: measured 241 calls of f (0.5 s on a shared 2-core machine).
    assert len(calls) <= 300


def one_wrong_entry(*, nested_only: bool) -> ADFunctions:
    """refengine whose JVP and VJP are 50 % off at input entry WRONG; with ``nested_only`` the
    first derivatives of f are right and only its second derivatives are wrong there."""
    mask = np.ones(X.shape)
    mask[WRONG] = 1.5

    def jvp(fn, primals, tangents):
        if nested_only and fn is f:
            return rf.jvp(fn, primals, tangents)
        return rf.jvp(fn, primals, (tangents[0] * mask,))

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        if nested_only and fn is f:
            return out, pullback
        return out, lambda ct: (pullback(ct)[0] * mask,)

    return ADFunctions(jvp=jvp, vjp=vjp)


@pytest.mark.parametrize(
    ("order", "modes", "label"),
    [
        (1, ("fwd",), "JVP of f"),
        (1, ("rev",), "VJP of f"),
        (2, ("fwd",), "JVP of JVP of f"),
        (2, ("fwd", "rev"), "JVP of JVP of f"),
        (2, ("rev",), "VJP of VJP of f"),
        (2, ("rev", "fwd"), "VJP of VJP of f"),
    ],
)
def test_one_wrong_entry_among_ten_thousand_is_named(order, modes, label) -> None:
    ad = one_wrong_entry(nested_only=order == 2)
    if order == 2:  # the first derivatives really are right
        assert all(
            r.passed for r in check_derivatives(f, (X,), ad=ad, config=CheckConfig(order=1))
        )
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X,), ad=ad, config=CheckConfig(modes=modes, order=order))
    c = info.value.comparison
    assert (c.check, c.order, c.argument, c.index) == (label, order, 0, WRONG)
    assert f"argument 0, input index {WRONG}" in str(info.value)
    assert "bisection" in c.note
    assert c.rel_err == pytest.approx(0.5, rel=1e-3)


def test_the_wrong_second_derivative_of_a_vector_target_is_named_too() -> None:
    # "JVP of VJP of f": the VJP of f is a 10^4-output function; bisection follows the failing
    # output entry alone, which is the wrong entry's own (the Hessian here is diagonal).
    mask = np.ones(X.shape)
    mask[WRONG] = 1.5

    def jvp(fn, primals, tangents):
        if fn is f:
            return rf.jvp(fn, primals, tangents)
        return rf.jvp(fn, primals, (tangents[0] * mask,))

    ad = ADFunctions(jvp=jvp, vjp=rf.vjp)
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X,), ad=ad, config=CheckConfig(modes=("rev", "fwd"), order=2))
    c = info.value.comparison
    assert (c.check, c.index, c.output_index) == ("JVP of VJP of f", WRONG, 12 * 100 + 34)
