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
