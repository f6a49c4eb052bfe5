"""MLX (in process, its Linux CPU build: the ``mlx`` extra): forward mode, ``mx.compile`` as its
jit, and what the matrix found, documented in the divergence table.

The conformance matrix runs MLX's float64 smoke selection (eager) by default, everything else
with ``--gp-slow``; these tests check the adapter itself. Skipped, with the reason, where MLX
is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import adapters
import cases
from cases.conformance import run_case
from cases.statuses import DIVERGENCE_DOCUMENTED


@pytest.fixture(scope="module")
def mlx():
    adapter = adapters.get("mlx")
    status = adapter.available()
    if not status:
        pytest.skip(f"mlx unavailable: {status.reason}")
    return adapter


def test_both_directions(mlx):
    records = {r.check: r for r in run_case(
        cases.get("tanh"), mlx, checks=["vjp_vs_oracle", "jvp_vs_oracle", "adjoint"])}
    assert {r.status for r in records.values()} == {"pass"}, records


def test_compile_traces_once_per_signature(mlx):
    def f(xp, x):
        return xp.sum(xp.tanh(x) * x)

    prepared = mlx.prepare(f, "value_and_grad", "jit")
    for shift in (0.0, 1.0, 2.0):
        x = np.array([0.5, 0.25 + shift])
        _, (grad,) = mlx.to_numpy(mlx.sync(prepared((mlx.to_native(x),))))
        t = np.tanh(x)
        np.testing.assert_allclose(grad, t + x * (1 - t * t), rtol=1e-6)
    assert prepared.traces() == 1


def test_float64_transcendentals_are_single_precision_and_documented(mlx):
    x = np.array([1.0, 2.0])
    got = mlx.value(lambda xp, v: xp.exp(v), [x])
    assert 1e-9 < np.max(np.abs(got - np.exp(x)) / np.exp(x)) < 1e-6  # float64, ~float32 error
    (record,) = run_case(cases.get("nn-softplus"), mlx, checks=["value"])
    assert record.status == DIVERGENCE_DOCUMENTED, record.message


def test_a_tie_in_maximum_is_documented(mlx):
    (record,) = run_case(cases.get("maximum-tie"), mlx, checks=["vjp_vs_refengine"])
    assert record.status == DIVERGENCE_DOCUMENTED, record.message


def test_a_look_at_a_nested_gradient_zeroes_the_outer_gradient(mlx):
    # The cause of the particle and saddle entries, reduced: the outer derivative of a nested
    # mx.grad's result is -2, and 0 once a Python bool (an eval inside the outer transform) has
    # looked at that result. When MLX fixes this, this test fails: update the entry.
    import mlx.core as mx

    def f(w, look):
        g = mx.grad(lambda p: mx.sum(mx.square(p - w)))(mx.array(1.0))
        if look:
            bool(g > 100.0)
        return g

    def h(w, look):  # the same look without a nested gradient
        y = w * w
        if look:
            bool(y > 100.0)
        return 3.0 * y

    w = mx.array(0.0)
    assert mx.grad(lambda w: f(w, False))(w).item() == -2.0
    assert mx.grad(lambda w: f(w, True))(w).item() == 0.0, "MLX fixed it: update the entry"
    assert mx.grad(lambda v: h(v, False))(mx.array(2.0)).item() == 12.0
    assert mx.grad(lambda v: h(v, True))(mx.array(2.0)).item() == 12.0


def test_what_mlx_cannot_do_is_unsupported_with_its_reason(mlx):
    # Per-entry repeat counts and boolean masks: MLX's shapes are static (--gp-slow found
    # them as errors, from MLX's TypeError and its "not yet supported" ValueError).
    for name, words in (("repeat-counts", "one repeat count"), ("mask-data", "boolean indices")):
        (record,) = run_case(cases.get(name), mlx, checks=["value"])
        assert record.status == "unsupported" and words in record.message, record.message
