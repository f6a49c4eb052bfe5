"""The benchmark baselines are right: each hand-written NumPy gradient in
``tests/benchmarks/workloads.py`` agrees with HIPS autograd's gradient and with central finite
differences, and the GMM objective agrees with a direct, loop-by-loop reading of GradBench's
definition. Small instances, float64, tight tolerances; runs in the default ``pytest``.
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp, multigammaln

# workloads.py lives beside the benchmarks (not a package); tests/benchmarks/conftest.py puts
# the same directory on sys.path, so both places share one module object.
_BENCH_DIR = str(Path(__file__).parent / "benchmarks")
if _BENCH_DIR not in sys.path:
    sys.path.insert(0, _BENCH_DIR)
workloads = importlib.import_module("workloads")

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")


def small_problems() -> list[workloads.Problem]:
    rng = np.random.default_rng(20240611)
    return [
        workloads.chain_problem(rng),
        workloads.mlp_problem(rng, np.float64, batch=5, width=4, n_out=3),
        workloads.gmm_problem(rng, d=3, k=4, n_points=6),
        workloads.gmm_problem(rng, d=1, k=2, n_points=3),  # no off-diagonal entries at all
    ]


PROBLEMS = small_problems()
IDS = [f"{p.name}-{i}" for i, p in enumerate(PROBLEMS)]


def five_point_gradient(f: Callable[..., float], params: tuple[np.ndarray, ...]) -> list:
    """Fourth-order central differences, one coordinate at a time.

    With step 1e-3 the truncation error is O(h^4) ~ 1e-12 and rounding ~ eps/h ~ 1e-13 (relative
    to f), so a 1e-8 relative tolerance leaves room without hiding a wrong formula.
    """
    h = 1e-3
    grads = []
    for i, p in enumerate(params):
        g = np.empty_like(p)
        for j in np.ndindex(p.shape):

            def at(t: float, i: int = i, j: tuple = j) -> float:
                shifted = [q.copy() for q in params]
                shifted[i][j] += t
                return float(f(*shifted))

            g[j] = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h)
        grads.append(g)
    return grads


def assert_grads_close(got: tuple, expected: list | tuple, *, rtol: float, label: str) -> None:
    assert len(got) == len(expected), label
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale, err_msg=f"{label} arg {i}")


@pytest.mark.parametrize("problem", PROBLEMS, ids=IDS)
def test_manual_gradient_matches_autograd(problem: workloads.Problem) -> None:
    argnums = tuple(range(len(problem.params)))
    value, grads = autograd.value_and_grad(problem.bind(anp), argnums)(*problem.params)
    manual_value, manual_grads = problem.value_and_grad_manual()
    np.testing.assert_allclose(manual_value, value, rtol=1e-13)
    assert_grads_close(manual_grads, grads, rtol=1e-11, label="manual vs autograd")


@pytest.mark.parametrize("problem", PROBLEMS, ids=IDS)
def test_manual_gradient_matches_finite_differences(problem: workloads.Problem) -> None:
    manual_value, manual_grads = problem.value_and_grad_manual()
    forward = problem.bind(np)
    np.testing.assert_allclose(forward(*problem.params), manual_value, rtol=1e-13)
    fd = five_point_gradient(forward, problem.params)
    assert_grads_close(manual_grads, fd, rtol=1e-8, label="manual vs finite differences")


def test_manual_mlp_keeps_float32() -> None:
    rng = np.random.default_rng(7)
    problem = workloads.mlp_problem(rng, np.float32, batch=4, width=5, n_out=2)
    value, grads = problem.value_and_grad_manual()
    assert np.asarray(value).dtype == np.float32
    assert [g.dtype for g in grads] == [np.float32] * 6
    reference = workloads.mlp_problem(
        np.random.default_rng(7), np.float64, batch=4, width=5, n_out=2
    )
    assert value == pytest.approx(reference.bind(np)(*reference.params), rel=1e-5)


def test_chain_has_200_ops_and_stays_bounded() -> None:
    assert workloads.CHAIN_N_OPS == 200
    for x0 in np.linspace(-3.0, 3.0, 13):
        value, (g,) = workloads.chain_manual(np.array([x0]))
        assert np.isfinite(value)
        assert np.all(np.isfinite(g))


def gmm_by_the_definition(problem: workloads.Problem) -> float:
    """GradBench's GMM log posterior, evaluated term by term with explicit loops."""
    alpha, mu, q, ell = problem.params
    (data,) = problem.data
    x, gamma, m = data.x, data.gamma, data.m
    k, d = mu.shape
    n_points = x.shape[0]
    qmats = []
    for c in range(k):
        qmat = np.diag(np.exp(q[c]))
        entry = 0
        for col in range(d):  # l fills the strictly lower triangle column by column
            for row in range(col + 1, d):
                qmat[row, col] = ell[c, entry]
                entry += 1
        qmats.append(qmat)
    likelihood = 0.0
    for i in range(n_points):
        terms = [
            alpha[c] + q[c].sum() - 0.5 * np.sum((qmats[c] @ (x[i] - mu[c])) ** 2) for c in range(k)
        ]
        likelihood += logsumexp(terms)
    likelihood -= n_points * logsumexp(alpha) + 0.5 * n_points * d * math.log(2 * math.pi)
    n = d + m + 1
    prior = sum(m * q[c].sum() - 0.5 * gamma**2 * np.sum(qmats[c] ** 2) for c in range(k))
    prior += k * (n * d * math.log(gamma / math.sqrt(2)) - multigammaln(0.5 * n, d))
    return likelihood + prior


@pytest.mark.parametrize("problem", [p for p in PROBLEMS if p.name == "gmm"])
def test_gmm_objective_matches_gradbench_definition(problem: workloads.Problem) -> None:
    expected = gmm_by_the_definition(problem)
    np.testing.assert_allclose(problem.bind(np)(*problem.params), expected, rtol=1e-13)
    np.testing.assert_allclose(problem.bind(anp)(*problem.params), expected, rtol=1e-13)


def test_tril_gather_index_places_entries_column_by_column() -> None:
    d = 4
    packed = np.arange(1 + d + d * (d - 1) // 2, dtype=float)  # 0, diag 1..4, l 5..10
    qmat = packed[workloads.tril_gather_index(d)].reshape(d, d)
    expected = np.array(
        [[1, 0, 0, 0], [5, 2, 0, 0], [6, 8, 3, 0], [7, 9, 10, 4]],
        dtype=float,
    )
    np.testing.assert_array_equal(qmat, expected)
