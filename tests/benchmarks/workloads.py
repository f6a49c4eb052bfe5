"""Benchmark workloads, each objective written once against a NumPy-like namespace ``xp``.

The same objective runs with ``xp=numpy`` (plain forward), ``xp=autograd.numpy`` (HIPS
autograd) and ``xp=refengine.numpy``. Next to each objective is a hand-written NumPy
value-and-gradient (manual backprop): the baseline the engines are measured against, proven
correct by ``tests/test_workloads.py`` (against autograd and finite differences).

Objectives only use names from the op vocabulary of the design: elementwise ufuncs,
``matmul``, ``einsum``, ``sum``/``max``/``mean`` with ``axis``/``keepdims``, ``concatenate``,
``reshape``, ``swapaxes`` and indexing with a fixed integer array. Differentiated arguments
come first and are passed as separate arrays, so every engine only needs ``argnums=tuple``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from scipy.special import multigammaln

__all__ = [
    "BENCHMARK_WORKLOADS",
    "CHAIN_N_OPS",
    "GmmData",
    "Problem",
    "benchmark_problem",
    "chain",
    "chain_manual",
    "chain_problem",
    "gmm_manual",
    "gmm_objective",
    "gmm_problem",
    "mlp_loss",
    "mlp_manual",
    "mlp_problem",
    "tril_gather_index",
]

Array = Any  # a NumPy array, or an engine's traced value standing in for one
Grads = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Problem:
    """One benchmark instance: an objective, its inputs and its hand-written gradient.

    ``objective(xp, *params, *data)`` returns a scalar; ``manual(*params, *data)`` returns
    ``(value, grads)`` with one gradient per entry of ``params`` (the differentiated inputs).
    """

    name: str
    objective: Callable[..., Array]
    manual: Callable[..., tuple[Any, Grads]]
    params: tuple[np.ndarray, ...]
    data: tuple[Any, ...] = ()

    def bind(self, xp: ModuleType) -> Callable[..., Array]:
        """The objective as a function of the differentiated arguments only."""
        data = self.data

        def f(*params: Array) -> Array:
            return self.objective(xp, *params, *data)

        return f

    def value_and_grad_manual(self) -> tuple[Any, Grads]:
        return self.manual(*self.params, *self.data)


# ---------------------------------------------------------------------------------------------
# (a) a chain of 200 elementwise ops on a length-1 array
# ---------------------------------------------------------------------------------------------

_CHAIN_CYCLES = 20
_CHAIN_OPS_PER_CYCLE = 10
CHAIN_N_OPS = _CHAIN_CYCLES * _CHAIN_OPS_PER_CYCLE  # per-op figures divide by this


def chain(xp: ModuleType, x: Array) -> Array:
    """200 elementwise ops on ``x``; a final ``sum`` (not counted) makes the output a scalar.

    The cycle keeps every value bounded (sin/cos/tanh outputs feed ``exp``, ``square`` feeds
    ``log1p``), so 20 repetitions neither overflow nor collapse to a constant.
    """
    for _ in range(_CHAIN_CYCLES):
        x = xp.sin(x)
        x = x * 1.5
        x = xp.cos(x)
        x = x + 0.25
        x = xp.tanh(x)
        x = xp.exp(x)
        x = x * 0.5
        x = x - 0.3
        x = xp.square(x)
        x = xp.log1p(x)
    return xp.sum(x)


def chain_manual(x: np.ndarray) -> tuple[Any, Grads]:
    """Value and gradient of :func:`chain`.

    For a scalar-to-scalar chain the product of local derivatives taken in forward order is
    exactly backprop's product taken in reverse, so no intermediate needs storing.
    """
    g = np.ones_like(x)
    for _ in range(_CHAIN_CYCLES):
        g = g * np.cos(x)
        x = np.sin(x)
        x = x * 1.5
        g = g * 1.5
        g = g * -np.sin(x)
        x = np.cos(x)
        x = x + 0.25
        x = np.tanh(x)
        g = g * (1.0 - x * x)
        x = np.exp(x)
        g = g * x
        x = x * 0.5
        g = g * 0.5
        x = x - 0.3
        g = g * (2.0 * x)
        x = np.square(x)
        g = g / (1.0 + x)
        x = np.log1p(x)
    return np.sum(x), (g,)


def chain_problem(rng: np.random.Generator) -> Problem:
    x = rng.uniform(-1.0, 1.0, size=1)
    return Problem("chain", chain, chain_manual, (x,))


# ---------------------------------------------------------------------------------------------
# (b) MLP loss: 3 dense layers, tanh, mean squared error
# ---------------------------------------------------------------------------------------------


def mlp_loss(
    xp: ModuleType,
    w1: Array,
    b1: Array,
    w2: Array,
    b2: Array,
    w3: Array,
    b3: Array,
    x: np.ndarray,
    y: np.ndarray,
) -> Array:
    """Mean squared error of a tanh MLP ``x -> 512 -> 512 -> 3`` (any widths)."""
    # xp.matmul rather than ``x @ w1``: x is a plain ndarray, and the function form does not
    # rely on every engine's reflected-operator priority.
    h = xp.tanh(xp.matmul(x, w1) + b1)
    h = xp.tanh(xp.matmul(h, w2) + b2)
    r = xp.matmul(h, w3) + b3 - y
    return xp.mean(xp.square(r))


def mlp_manual(
    w1: np.ndarray,
    b1: np.ndarray,
    w2: np.ndarray,
    b2: np.ndarray,
    w3: np.ndarray,
    b3: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
) -> tuple[Any, Grads]:
    """Value and gradient of :func:`mlp_loss` w.r.t. the weights and biases.

    Only Python-float constants touch the arrays, so float32 stays float32 (NEP 50).
    """
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    r = h2 @ w3 + b3 - y
    value = np.mean(np.square(r))

    dr = r * (2.0 / r.size)
    dw3 = h2.T @ dr
    db3 = dr.sum(axis=0)
    dz2 = dr @ w3.T
    dz2 *= 1.0 - h2 * h2
    dw2 = h1.T @ dz2
    db2 = dz2.sum(axis=0)
    dz1 = dz2 @ w2.T
    dz1 *= 1.0 - h1 * h1
    dw1 = x.T @ dz1  # no gradient w.r.t. x: it is data
    db1 = dz1.sum(axis=0)
    return value, (dw1, db1, dw2, db2, dw3, db3)


def mlp_problem(
    rng: np.random.Generator,
    dtype: type | np.dtype = np.float64,
    *,
    batch: int = 256,
    width: int = 512,
    n_out: int = 3,
) -> Problem:
    """Glorot-scaled weights so tanh neither saturates nor stays linear."""
    dtype = np.dtype(dtype)

    def dense(n_in: int, n_outputs: int) -> tuple[np.ndarray, np.ndarray]:
        w = rng.normal(0.0, math.sqrt(2.0 / (n_in + n_outputs)), size=(n_in, n_outputs))
        b = rng.normal(0.0, 0.1, size=n_outputs)
        return w.astype(dtype), b.astype(dtype)

    w1, b1 = dense(width, width)
    w2, b2 = dense(width, width)
    w3, b3 = dense(width, n_out)
    x = rng.normal(size=(batch, width)).astype(dtype)
    y = rng.normal(size=(batch, n_out)).astype(dtype)
    return Problem(f"mlp-{dtype.name}", mlp_loss, mlp_manual, (w1, b1, w2, b2, w3, b3), (x, y))


# ---------------------------------------------------------------------------------------------
# (c) GMM: GradBench's `evals/gmm` (ADBench's GMM with its fixes and the Wishart prior)
# ---------------------------------------------------------------------------------------------
#
# log posterior = sum_i logsumexp_k(alpha_k + sum_j q_kj - |Q_k (x_i - mu_k)|^2 / 2)
#                 - N logsumexp(alpha) - N d/2 log(2 pi)
#                 + sum_k (m sum_j q_kj - gamma^2/2 |Q_k|_F^2) + K (C - log Gamma_d(n/2)),
# Q_k = diag(exp q_k) + the strictly lower triangle filled column by column from l_k,
# n = d + m + 1, C = n d log(gamma / sqrt 2). The last term and the 2 pi term depend on no
# parameter, so they are computed once with SciPy (GmmData.constant).


def tril_gather_index(d: int) -> np.ndarray:
    """Index into ``[0, exp(q_k) (d entries), l_k]`` that gives Q_k row-major, flattened.

    Gathering with a fixed integer array lets an engine build Q_k from ``concatenate`` and
    indexing alone, with no in-place assignment to differentiate.
    """
    index = np.zeros((d, d), dtype=np.intp)  # 0 -> the zero column (upper triangle)
    index[np.arange(d), np.arange(d)] = 1 + np.arange(d)
    rows, cols = _tril_rows_cols(d)
    index[rows, cols] = 1 + d + np.arange(rows.size)
    return index.reshape(-1)


def _tril_rows_cols(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Strictly-lower positions in l's order: column by column, top to bottom."""
    cols, rows = np.triu_indices(d, 1)  # (col, row) pairs with row > col, col-major order
    return rows, cols


@dataclass(frozen=True)
class GmmData:
    """The non-differentiated inputs of the GMM objective."""

    x: np.ndarray  # (N, d) points
    gamma: float  # Wishart scale
    m: int  # Wishart degrees of freedom beyond d + 1
    constant: float  # the parameter-free terms of the log posterior
    zero_column: np.ndarray  # (K, 1): the upper-triangle source for the gather
    gather: np.ndarray  # tril_gather_index(d)


def gmm_constant(d: int, k: int, n_points: int, gamma: float, m: int) -> float:
    n = d + m + 1
    c = n * d * math.log(gamma / math.sqrt(2.0))
    return -0.5 * n_points * d * math.log(2.0 * math.pi) + k * (c - multigammaln(0.5 * n, d))


def _logsumexp(xp: ModuleType, a: Array, axis: int) -> Array:
    """Log-sum-exp with keepdims: the library's own function (a primitive in each engine, as
    GradBench's tools use theirs) where the namespace has one, else the max-shifted formula."""
    special = getattr(xp, "special", None)
    if special is not None and hasattr(special, "logsumexp"):
        return special.logsumexp(a, axis=axis, keepdims=True)
    shift = xp.max(a, axis=axis, keepdims=True)
    return xp.log(xp.sum(xp.exp(a - shift), axis=axis, keepdims=True)) + shift


def gmm_objective(
    xp: ModuleType, alpha: Array, mu: Array, q: Array, ell: Array, data: GmmData
) -> Array:
    """GradBench's GMM log posterior (to be maximised) as a function of alpha, mu, q, l.

    ``ell`` is GradBench's ``l`` (renamed only because ``l`` reads like ``1``).
    """
    k, d = data.zero_column.shape[0], data.x.shape[1]
    n_points = data.x.shape[0]
    qdiag = xp.exp(q)
    sum_q = xp.sum(q, axis=1)
    packed = xp.concatenate([data.zero_column, qdiag, ell], axis=1)
    qmat = xp.reshape(packed[:, data.gather], (k, d, d))
    # Q_k (x_i - mu_k) = Q_k x_i - Q_k mu_k: the large (K, N, d) product involves the data
    # and Q only, so no engine has to form or differentiate x_i - mu_k.
    z = xp.matmul(data.x, xp.swapaxes(qmat, 1, 2)) - xp.einsum("kij,kj->ki", qmat, mu)[:, None]
    inner = (alpha + sum_q)[:, None] - 0.5 * xp.sum(xp.square(z), axis=2)  # (K, N)
    log_likelihood = xp.sum(_logsumexp(xp, inner, 0)) - n_points * xp.sum(_logsumexp(xp, alpha, 0))
    frobenius = xp.sum(xp.square(qdiag)) + xp.sum(xp.square(ell))
    log_prior = data.m * xp.sum(sum_q) - 0.5 * data.gamma**2 * frobenius
    return data.constant + log_likelihood + log_prior


def gmm_manual(
    alpha: np.ndarray, mu: np.ndarray, q: np.ndarray, ell: np.ndarray, data: GmmData
) -> tuple[Any, Grads]:
    """Value and gradient of :func:`gmm_objective`, by hand."""
    x, gamma, m = data.x, data.gamma, data.m
    k, d = mu.shape
    n_points = x.shape[0]
    rows, cols = _tril_rows_cols(d)
    diag = np.arange(d)

    qdiag = np.exp(q)
    qmat = np.zeros((k, d, d), dtype=q.dtype)
    qmat[:, diag, diag] = qdiag
    qmat[:, rows, cols] = ell
    # The forward pass is the objective's, op for op, so that an engine's ratio to this
    # function measures its derivative's cost, not a different choice of NumPy kernels.
    z = np.matmul(x, qmat.transpose(0, 2, 1))  # (K, N, d)
    z -= np.einsum("kij,kj->ki", qmat, mu)[:, None]
    inner = np.square(z).sum(axis=2)
    inner *= -0.5
    inner += (alpha + q.sum(axis=1))[:, None]

    # logsumexp over components, keeping the normalised weights (responsibilities) r
    shift = inner.max(axis=0)
    r = np.exp(inner - shift)
    total = r.sum(axis=0)
    r /= total
    alpha_shift = alpha.max()
    alpha_weights = np.exp(alpha - alpha_shift)
    alpha_total = alpha_weights.sum()
    value = (
        data.constant
        + np.sum(np.log(total) + shift)
        - n_points * (np.log(alpha_total) + alpha_shift)
        + m * q.sum()
        - 0.5 * gamma**2 * (np.sum(qdiag * qdiag) + np.sum(ell * ell))
    )

    # d/dz_kn = -r_kn z_kn; then z = Q_k x_n - Q_k mu_k
    r_sum = r.sum(axis=1)  # (K,)
    rz = z
    rz *= r[:, :, None]  # z is not needed any more: reuse its memory
    rz_sum = rz.sum(axis=1)  # (K, d)
    dqmat = rz_sum[:, :, None] * mu[:, None, :]
    dqmat -= np.matmul(rz.transpose(0, 2, 1), x)  # -(sum_n r z x^T - (sum_n r z) mu^T)
    d_alpha = r_sum - n_points * (alpha_weights / alpha_total)
    d_mu = np.einsum("kij,ki->kj", qmat, rz_sum)
    d_q = (r_sum + m)[:, None] + (dqmat[:, diag, diag] - gamma**2 * qdiag) * qdiag
    d_l = dqmat[:, rows, cols] - gamma**2 * ell
    return value, (d_alpha, d_mu, d_q, d_l)


def gmm_problem(
    rng: np.random.Generator, *, d: int = 10, k: int = 25, n_points: int = 1000
) -> Problem:
    """GradBench's generator's distributions: alpha, q, l, x ~ N(0, 1); mu ~ U(0, 1);
    gamma = 1, m = 0 (its values come from a legacy global seed; ours from ``rng``)."""
    gamma, m = 1.0, 0
    alpha = rng.normal(size=k)
    mu = rng.uniform(size=(k, d))
    q = rng.normal(size=(k, d))
    ell = rng.normal(size=(k, d * (d - 1) // 2))
    x = rng.normal(size=(n_points, d))
    data = GmmData(
        x=x,
        gamma=gamma,
        m=m,
        constant=gmm_constant(d, k, n_points, gamma, m),
        zero_column=np.zeros((k, 1)),
        gather=tril_gather_index(d),
    )
    return Problem("gmm", gmm_objective, gmm_manual, (alpha, mu, q, ell), (data,))


# ---------------------------------------------------------------------------------------------
# The timed instances, by workload name: seeds and sizes live here once, for the per-workload
# benchmarks and for the paired target measurements alike.
# ---------------------------------------------------------------------------------------------

_BENCHMARK_PROBLEMS: dict[str, Callable[[], Problem]] = {
    "chain": lambda: chain_problem(np.random.default_rng(1)),
    # The same seed for both dtypes: float32 times the float64 instance, rounded.
    "mlp-float64": lambda: mlp_problem(np.random.default_rng(2), np.float64),
    "mlp-float32": lambda: mlp_problem(np.random.default_rng(2), np.float32),
    "gmm": lambda: gmm_problem(np.random.default_rng(3), d=10, k=25, n_points=1000),
}
BENCHMARK_WORKLOADS = tuple(_BENCHMARK_PROBLEMS)


def benchmark_problem(workload: str) -> Problem:
    """The instance the benchmarks time for ``workload`` (one of ``BENCHMARK_WORKLOADS``)."""
    try:
        make = _BENCHMARK_PROBLEMS[workload]
    except KeyError:
        raise KeyError(
            f"no benchmark workload {workload!r}; "
            f"the workloads are {', '.join(BENCHMARK_WORKLOADS)}"
        ) from None
    return make()
