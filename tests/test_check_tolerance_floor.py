"""The rounding floor of the checker's tolerance (refengine.comparison's docstring).

``f(z) = logsumexp(z) - z[0]`` with ``z`` spread over [0, 60]: its gradient entries
``exp(z_j - logsumexp(z))`` reach 1e-12 and below, far under the rounding of ``f``'s values
(eps * 60). Held to ``rtol * |entry|`` (the rule before the floor) a correct gradient failed;
with the floor it passes, and a planted error still fails.
"""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.check as check
import refengine.comparison as comparison
import refengine.numpy.special as rsp
from refengine.check import ADFunctions, CheckConfig, GradientCheckError, check_derivatives

# Points where the rule without a floor failed at order 1 (found by a sweep of 800 points:
# 74 failed without the floor, 49 with it, all of those with f < 2.2, where f cancels below
# the rounding of logsumexp(z) ~ 60, which the floor does not claim to cover).
POINTS = [
    np.random.default_rng(333).uniform(0.0, 60.0, 12),
    np.random.default_rng(140).uniform(0.0, 60.0, 8),
    np.random.default_rng(119).uniform(0.0, 60.0, 12),
]


def f(z):
    return rsp.logsumexp(z) - z[0]


def gradient(z: np.ndarray) -> np.ndarray:
    p = np.exp(z - np.logaddexp.reduce(z))
    return p - np.eye(z.size)[0]


def without_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comparison, "ORACLE_ROUNDING", 0.0)
    monkeypatch.setattr(comparison, "AD_ROUNDING", 0.0)


def without_measured_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    """No function's noise is measured (refengine.comparison, "Measured noise"): the rule the
    floor was written against."""
    monkeypatch.setattr(check, "noise_level", lambda values: np.zeros(values.shape[1:]))


@pytest.mark.parametrize("z", POINTS, ids=["333-12", "140-8", "119-12"])
def test_tiny_gradient_entries_of_a_scalar_are_not_held_below_its_rounding(z, monkeypatch):
    results = rf.check_grads(f, (z,), order=1)
    assert all(r.passed and r.checked for r in results)
    # The floor alone (no measured noise) is enough here, and it is what decides: the worst
    # entry's atol is above rtol * |entry| ...
    without_measured_noise(monkeypatch)
    results = rf.check_grads(f, (z,), order=1)
    assert all(r.passed for r in results)
    assert any(r.atol > r.rtol * abs(r.fd_value) for r in results)
    # ... and the same check without either is the false alarm this fixes.
    without_floor(monkeypatch)
    with pytest.raises(GradientCheckError) as info:
        rf.check_grads(f, (z,), order=1)
    c = info.value.comparison
    assert c.check == "JVP of f" and abs(c.fd_value) < 1e-9  # a tiny entry, correct AD


@pytest.mark.parametrize("z", [np.linspace(0.0, 60.0, 8), *POINTS])
def test_the_floor_is_eps_times_the_value_over_the_input_scale(z) -> None:
    c = rf.check_grads(f, (z,), order=1, modes=("fwd",))[0]
    j = c.index[0]
    # N = max(|f|, sum_k |J_k| |z_k|), over s_j = max(1, |z_j|), times (32 + 1) eps;
    # a scalar's Jacobian column is its one entry, so rtol * |entry| is the other term.
    g = gradient(z)
    n = max(abs(f(z)), np.abs(g) @ np.abs(z))
    floor = 33 * np.finfo(np.float64).eps * n / max(1.0, abs(z[j]))
    assert c.atol == pytest.approx(max(floor, c.rtol * abs(g[j])), rel=1e-6)


def test_the_briefs_point_passes_at_order_2() -> None:
    assert all(r.passed for r in rf.check_grads(f, (np.linspace(0.0, 60.0, 8),)))


def planted(index: int, factor: float) -> ADFunctions:
    """refengine with entry ``index`` of every first derivative scaled by ``factor``."""

    def scaled(n: int) -> np.ndarray:
        m = np.ones(n)
        m[index] = factor
        return m

    def jvp(fn, primals, tangents):
        return rf.jvp(fn, primals, (tangents[0] * scaled(tangents[0].size),))

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        return out, lambda ct: (pullback(ct)[0] * scaled(primals[0].size),)

    return ADFunctions(jvp=jvp, vjp=vjp)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_a_1e5_relative_error_in_any_ordinary_entry_still_fails(mode: str) -> None:
    z = POINTS[0]
    g = gradient(z)
    ordinary = [j for j in range(z.size) if abs(g[j]) >= 1e-6]
    assert len(ordinary) >= 3
    config = CheckConfig(modes=(mode,), order=1)
    for j in ordinary:
        with pytest.raises(GradientCheckError) as info:
            check_derivatives(f, (z,), ad=planted(j, 1.0 + 1e-5), config=config)
        c = info.value.comparison
        assert c.index == (j,), (j, c)
        assert c.rel_err == pytest.approx(1e-5, rel=1e-3)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_one_wrong_tiny_entry_still_fails(mode: str) -> None:
    z = POINTS[0]
    g = gradient(z)
    j = int(np.argmin(np.where(np.abs(g) > 1e-13, np.abs(g), np.inf)))
    assert abs(g[j]) < 1e-9  # an entry below the rounding of f, ~1e-14 floor
    config = CheckConfig(modes=(mode,), order=1)
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (z,), ad=planted(j, 1.5), config=config)
    assert info.value.comparison.index == (j,)


def test_an_explicit_atol_replaces_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    z = POINTS[0]
    # The measured noise widens the oracle's own bound (part of every tolerance, atol or
    # not): without it, atol 1e-30 shows the false alarm that the floor prevents.
    without_measured_noise(monkeypatch)
    with pytest.raises(GradientCheckError, match=r"atol 1e-30 \+ rtol 1e-06"):
        rf.check_grads(f, (z,), order=1, atol=1e-30)
    assert all(r.atol == 1e-8 for r in rf.check_grads(f, (z,), order=1, atol=1e-8))
