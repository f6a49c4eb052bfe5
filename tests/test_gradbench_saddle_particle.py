"""GradBench's nested evals reproduced through the cases' own code: saddle's published saddle
point and particle's published minimiser, by GradBench's gradient descent (gd.hpp) over the
``saddle`` and ``particle`` cases with the framework's own nested ``grad``; and hello's
square/double chain. The expected numbers are GradBench's (python/gradbench/gradbench/evals/
<eval>/run.py), which accepts 1e-4; these agree to 1e-12.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cases
from cases.library.models import descent, hello, nested

from .adapter_support import require

# evals/saddle/run.py: start (1, 1); the output is x then y, every entry this number.
SADDLE_START = np.array([1.0, 1.0])
SADDLE_POINT = np.full(4, 8.246324826140356e-06)
# evals/particle/run.py: from w = 0.
PARTICLE_W0 = np.array(0.0)
PARTICLE_W = 0.2071918746486116
RTOL = 1e-12


def test_the_functions_that_reproduce_gradbench_are_the_registered_cases() -> None:
    assert cases.get("saddle").fn is nested.saddle
    assert cases.get("particle").fn is nested.particle
    assert cases.get("hello").fn is hello.square
    for name in ("saddle", "particle", "hello"):
        assert {"model", "gradbench"} <= cases.get(name).tags
    assert "gradbench" not in cases.get("saddle-fixed-steps").tags


# What a run without --gp-slow (or -m slow) leaves out, measured on this machine: the
# same costs that keep particle on eager JAX out of the default matrix (cases/conventions.py's
# COSTLY).
SLOW = {
    ("saddle", "jax"): "eager JAX dispatches GradBench's ~48,000 nested gradients op by op: "
                       "7 minutes (on a busy 2-core machine)",
    ("particle", "torch"): "GradBench's descent over w takes a nested gradient at each of "
                           "~350 Euler steps per objective and gradient: about 36 s",
    # refengine reproduces the saddle point in the default run (2.8 s)
    ("saddle", "torch"): "~48,000 nested gradients through torch's dispatcher: 12.7 CPU s",
}


def _adapter_for(request: pytest.FixtureRequest, case: str, name: str) -> Any:
    why = SLOW.get((case, name))
    config = request.config
    wanted = config.getoption("--gp-slow", default=False) or "slow" in (
        config.option.markexpr or "")
    if why and not wanted:
        pytest.skip(f"{case} on {name}: {why}; runs with --gp-slow or -m slow")
    return require(name)


@pytest.mark.parametrize("name", ["refengine", "torch",
                                  pytest.param("jax", marks=pytest.mark.slow)])
def test_saddle_point_is_gradbenchs(request: pytest.FixtureRequest, name: str) -> None:
    adapter = _adapter_for(request, "saddle", name)
    got = adapter.value(nested.saddle_point, (SADDLE_START,))
    np.testing.assert_allclose(got, SADDLE_POINT, rtol=RTOL, atol=0)


def test_saddle_objective_is_the_inner_max() -> None:
    """The inner ascent from start does not depend on p1 (f's gradient in p2 is -2 p2), so it
    ends at GradBench's published y whatever p1 is: the case's value is |p1|^2 - |y|^2 and its
    gradient in p1 is 2 p1."""
    engine = require("refengine")
    p1 = np.array([0.6, -1.1])
    value = engine.value(nested.saddle, (p1, SADDLE_START))
    np.testing.assert_allclose(value, p1 @ p1 - SADDLE_POINT[2:] @ SADDLE_POINT[2:],
                               rtol=RTOL)
    (gradient,) = engine.grad(nested.saddle, (p1, SADDLE_START), argnums=(0,))
    np.testing.assert_allclose(gradient, 2 * p1, rtol=RTOL)


@pytest.mark.parametrize("name", ["refengine", pytest.param("torch", marks=pytest.mark.slow)])
def test_particle_minimiser_is_gradbenchs(request: pytest.FixtureRequest, name: str) -> None:
    adapter = _adapter_for(request, "particle", name)
    got = adapter.value(nested.particle_argmin, (PARTICLE_W0,))
    np.testing.assert_allclose(got, PARTICLE_W, rtol=RTOL, atol=0)


def test_particle_inputs_are_drawn_around_the_minimiser() -> None:
    case = cases.get("particle")
    draws = np.array([case.sample(np.random.default_rng(seed))[0] for seed in range(200)])
    assert draws.min() < PARTICLE_W < draws.max()
    assert not case.violations((np.array(PARTICLE_W),))


@pytest.mark.parametrize("name", ["refengine", "torch", "jax", "tensorflow", "autograd"])
def test_hello_square_and_double_chain_as_gradbenchs_eval(name: str) -> None:
    """evals/hello/run.py: from x = 1, four rounds of y = square(x), x = double(y)."""
    adapter = require(name)
    x, seen = np.array(1.0), []
    for _ in range(4):
        y = adapter.value(hello.square, (x,))
        (x,) = adapter.grad(hello.square, (y,))
        seen += [float(y), float(x)]
    assert seen == [1.0, 2.0, 4.0, 8.0, 64.0, 128.0, 16384.0, 32768.0]


def test_the_solver_follows_gd_hpp_and_a_runaway_is_an_error(monkeypatch) -> None:
    """gd.hpp's descent on |v|^2 from (1, 1) is the published point (the saddle's argmax is
    that descent); a descent longer than the cap raises instead of returning a point."""
    x = descent.argmin(np, lambda v: v @ v, lambda v: 2 * v, SADDLE_START)
    np.testing.assert_allclose(x, SADDLE_POINT[:2], rtol=RTOL)
    monkeypatch.setattr(descent, "MAX_PROPOSALS", 100)
    with pytest.raises(RuntimeError, match="did not stop within 100"):
        descent.argmin(np, lambda v: v @ v, lambda v: 2 * v, SADDLE_START)
