"""check_grads where the oracle is unsure: the Taylor remainder test decides (issue 16).

``exp(x) - 1 - x`` near 1e-6 is smooth, but a small difference of large parts: its ``exp(x)``
rounds to 2e-16 while the value is 5e-13, and the oracle's ladder reports it "not
differentiable" (rounding noise that does not shrink with the step). There the Taylor
remainder test, run with AD's own claim, passes a right derivative (when the tolerance allows
what the function's rounding allows), catches a planted wrong one, and says unclear otherwise,
which leaves the OracleError of old, with both reasons.
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
from refengine.numeric import OracleError, directional
from tests.test_check_tolerance_floor import without_measured_noise


def expm1_minus_x(x):
    return rnp.exp(x) - 1.0 - x


X1 = np.array([1e-6])
X2 = np.array([1e-6, 2e-6])
X20 = 1e-6 * np.arange(1.0, 21.0)  # beyond full_jacobian_max: random projections


@pytest.fixture
def oracle_unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker measures each function's rounding noise and shows it to the oracle, which
    then has an estimate at this point (test_measured_noise_makes_the_oracle_sure_here); these
    tests switch the measurement off so that the oracle stays unsure and the Taylor test must
    decide."""
    without_measured_noise(monkeypatch)


def test_measured_noise_makes_the_oracle_sure_here() -> None:
    results = check_grads(expm1_minus_x, (X1,), order=1)
    assert all(r.passed and "Taylor" not in r.note for r in results)


def test_the_oracle_is_unsure_here() -> None:
    d = directional(lambda x: np.exp(x) - 1.0 - x, (X1,), (np.ones(1),))
    assert not d.valid and "not differentiable" in d.reason


@pytest.mark.parametrize(("x", "atol"), [(X1, 1e-8), (X2, 1e-8), (X20, 1e-6)],
                         ids=["one", "two", "projected"])
def test_a_right_derivative_passes_with_the_taylor_test_named(x, atol, oracle_unsure) -> None:
    results = check_grads(expm1_minus_x, (x,), order=1, atol=atol)
    assert len(results) == 2 and all(r.passed for r in results)
    for r in results:
        assert "The oracle was unsure" in r.note and "not differentiable" in r.note
        assert "Taylor remainder test decided" in r.note and "slopes 2." in r.note


def test_unclear_is_an_oracle_error_with_both_reasons(oracle_unsure) -> None:
    # The default float64 tolerance (1e-6 relative) is below what this function's rounding
    # lets any finite-difference method see.
    with pytest.raises(OracleError) as info:
        check_grads(expm1_minus_x, (X1,), order=1)
    message = str(info.value)
    assert "not differentiable" in message
    assert "the Taylor remainder test is unclear too" in message


def _scaled(factor: float, which: str, column: int | None = None) -> ADFunctions:
    """refengine with its JVP (``which="jvp"``) or VJP scaled by ``factor``, optionally only for
    the tangent/gradient entry ``column``."""

    def scale(t):
        if column is None:
            return t * factor
        mask = np.ones(np.shape(t))
        mask[column] = factor
        return t * mask

    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        return out, scale(t) if which == "jvp" else t

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        if which != "vjp":
            return out, pullback
        return out, lambda ct: tuple(scale(g) for g in pullback(ct))

    return ADFunctions(jvp=jvp, vjp=vjp)


@pytest.mark.parametrize(("which", "mode"), [("jvp", "fwd"), ("vjp", "rev")])
def test_a_planted_wrong_derivative_is_caught_by_the_taylor_test(which, mode, oracle_unsure):
    # Negative control: the oracle has no estimate at all here; only Taylor can catch it.
    config = CheckConfig(modes=(mode,), order=1, atol=1e-8)
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(expm1_minus_x, (X1,), ad=_scaled(2.0, which), config=config)
    c = info.value.comparison
    assert not c.passed and c.argument == 0 and c.index == (0,)
    assert "The oracle was unsure" in c.note
    assert "the remainder shrinks only like h" in c.note
    # AD claims twice the truth: the error the test estimates is half the claim.
    assert c.abs_err == pytest.approx(abs(c.ad_value) / 2, rel=0.05)


@pytest.mark.parametrize(("which", "mode"), [("jvp", "fwd"), ("vjp", "rev")])
def test_a_planted_wrong_derivative_is_caught_where_the_oracle_knows_one_column(which, mode):
    # At 2e-6 the oracle has an estimate, at 1e-6 not: whichever decides, it fails.
    config = CheckConfig(modes=(mode,), order=1, atol=1e-8)
    with pytest.raises(GradientCheckError):
        check_derivatives(expm1_minus_x, (X2,), ad=_scaled(2.0, which), config=config)


@pytest.mark.parametrize("column", [0, 1])
def test_the_wrong_input_entry_is_named(column) -> None:
    config = CheckConfig(modes=("fwd",), order=1, atol=1e-8)
    ad = _scaled(2.0, "jvp", column=column)
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(expm1_minus_x, (X2,), ad=ad, config=config)
    assert info.value.comparison.index == (column,)


@pytest.mark.parametrize(("which", "mode"), [("jvp", "fwd"), ("vjp", "rev")])
def test_a_planted_wrong_derivative_is_caught_on_projections(which, mode) -> None:
    config = CheckConfig(modes=(mode,), order=1, atol=1e-6)
    with pytest.raises(GradientCheckError):
        check_derivatives(expm1_minus_x, (X20,), ad=_scaled(2.0, which), config=config)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # refengine's |x|^0.5 at 0 is inf
def test_a_jump_with_an_infinite_slope_beside_it_stays_an_oracle_error_with_both_reasons():
    # |x| + |x|^1.5 at 0: the first derivative jumps (a kink of f) and its slope beside the
    # point is infinite, so it has no one-sided limits to check a second derivative against.
    with pytest.raises(OracleError) as info:
        check_grads(lambda x: rnp.abs(x) + rnp.abs(x) ** 1.5, (np.array([0.0]),), order=2)
    assert "not differentiable" in str(info.value)
    assert "Taylor remainder test is unclear too" in str(info.value)
    assert "jumps at the point along v, or its slope is infinite" in str(info.value)


def test_the_taylor_test_gets_the_comparisons_rounding_floor(monkeypatch) -> None:
    # A claim of 0 (the second derivative of sin at 0) used to be held to a tolerance of 0;
    # the comparison would allow it the rounding floor, and so must the Taylor test. Here the
    # oracle is unsure because the AD's first derivative jumps at 0 where sin has no kink.
    import refengine.check as check_module

    seen = []
    real = check_module.taylor_test

    def spy(*args, **kwargs):
        seen.append(np.asarray(kwargs["tolerance"], dtype=float))
        return real(*args, **kwargs)

    monkeypatch.setattr(check_module, "taylor_test", spy)

    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        return out, t + 1e-3 * rnp.sum(rnp.where(primals[0] > 0.0, tangents[0], 0.0))

    f = lambda x: rnp.sum(rnp.sin(x)) + 2.0
    ad = ADFunctions(jvp=jvp, vjp=rf.vjp)
    with pytest.raises(OracleError, match="jumps at the point"):
        check_derivatives(f, (np.zeros(2),), ad=ad, config=CheckConfig(modes=("fwd",), order=2))
    assert seen and all(np.all(t > 0) and np.all(t < 1e-12) for t in seen)
