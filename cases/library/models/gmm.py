"""Gaussian mixture model log posterior, as GradBench's ``evals/gmm`` defines it.

GradBench takes ADBench's GMM (Srajer et al. 2018, section 4.1) and fixes three errors: a
sign error on one of the likelihood and the prior, transposed precision factors, and a
Wishart prior that belongs on the precisions, not the covariances. With Q_k lower triangular
(diagonal exp(q_k), strictly lower part filled column by column from l_k):

    log p = sum_i logsumexp_k(alpha_k + sum_j q_kj - |Q_k (x_i - mu_k)|^2 / 2)
            - N logsumexp(alpha) - N d/2 log(2 pi)
            + sum_k (m sum_j q_kj - gamma^2/2 (|exp(q_k)|^2 + |l_k|^2))
            + K (n d log(gamma / sqrt 2) - log Gamma_d(n / 2)),      n = d + m + 1.

The Wishart parameters ``m`` (extra degrees of freedom, a whole number) and ``gamma`` (the
precision) are inputs, as in GradBench's input, but data: not differentiated. They are drawn as
GradBench's eval sends them, its defaults m = 0 and gamma = 1 (its ``-m`` and ``--gamma``
flags); every other input is drawn as its generator draws it. The sweep after its first size
is GradBench's default grid: d in {2, 10, 20, 32, 64} x K in {5, 10, 25, 50, 100} at N = 1000,
ordered by d K as the eval orders it, which labels each ``{d}_{K}_{N}``.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes, scalar

__all__ = ["CASES", "GRADBENCH_SIZES", "gmm_log_posterior"]

# GradBench evals/gmm run.py's defaults: its --m and --gamma, and its -d x -k grid at -n.
M = 0.0
GAMMA = 1.0
GRADBENCH_SIZES: dict[str, tuple[int, int, int]] = {
    f"{d}_{k}_1000": (d, k, 1000)
    for d, k in sorted(((d, k) for d in (2, 10, 20, 32, 64) for k in (5, 10, 25, 50, 100)),
                       key=lambda dk: dk[0] * dk[1])
}


@cache
def _gather_index(d: int) -> np.ndarray:
    """Index into [0, exp(q_k) (d), l_k] giving Q_k row-major: 0 above the diagonal, exp(q)
    on it, l below it in column-major order (GradBench's packing)."""
    index = np.zeros((d, d), dtype=np.intp)
    index[np.arange(d), np.arange(d)] = 1 + np.arange(d)
    position = 1 + d
    for col in range(d):
        for row in range(col + 1, d):
            index[row, col] = position
            position += 1
    return index.reshape(-1)


def _log_multigamma(xp: Any, a: Any, d: int, like: Any) -> Any:
    """log Gamma_d(a) for an array ``a`` (it depends on the input m)."""
    offsets = xp.asarray(0.5 * (1.0 - np.arange(1, d + 1)), dtype=like.dtype)
    return 0.25 * d * (d - 1) * math.log(math.pi) + xp.sum(xp.special.gammaln(a + offsets))


def _log_wishart_constant(xp: Any, m: Any, gamma: Any, d: int, like: Any) -> Any:
    """The log Wishart density's terms free of the precision matrix, with V = I / gamma^2 and
    n = d + m + 1 degrees of freedom: n d log(gamma / sqrt 2) - log Gamma_d(n / 2)."""
    dof = d + 1.0 + m
    return (dof * d * xp.log(gamma / math.sqrt(2.0))
            - _log_multigamma(xp, 0.5 * dof, d, like))


def gmm_log_posterior(xp: Any, alpha: Any, mu: Any, q: Any, l: Any, x: Any,  # noqa: E741 - GradBench's name
                      m: Any, gamma: Any) -> Any:
    k, d = mu.shape
    n_points = x.shape[0]
    qdiag = xp.exp(q)
    sum_q = xp.sum(q, axis=1)
    packed = xp.concatenate([xp.zeros_like(q[:, :1]), qdiag, l], axis=1)
    qmat = xp.reshape(packed[:, _gather_index(d)], (k, d, d))
    centred = x[None, :, :] - mu[:, None, :]  # (K, N, d)
    z = xp.einsum("kij,knj->kni", qmat, centred)  # Q_k (x_n - mu_k)
    inner = (alpha + sum_q)[:, None] - 0.5 * xp.sum(z * z, axis=2)  # (K, N)
    log_likelihood = (xp.sum(xp.special.logsumexp(inner, axis=0))
                      - n_points * xp.special.logsumexp(alpha))
    log_prior = (m * xp.sum(q) - 0.5 * gamma * gamma * (xp.sum(qdiag * qdiag) + xp.sum(l * l))
                 + k * _log_wishart_constant(xp, m, gamma, d, q))
    return log_likelihood + log_prior - 0.5 * n_points * d * math.log(2.0 * math.pi)


def _tril(d: int) -> int:
    return d * (d - 1) // 2


ARGS = (
    Arg("alpha", D.REAL, lambda s: (s[1],)),
    Arg("mu", D.REAL, lambda s: (s[1], s[0])),
    Arg("q", D.REAL, lambda s: (s[1], s[0])),
    Arg("l", D.REAL, lambda s: (s[1], _tril(s[0]))),
    Arg("x", D.REAL, lambda s: (s[2], s[0]), diff=False),
    Arg("m", D.integer_valued(0, 1000), scalar, diff=False),
    Arg("gamma", D.POSITIVE, scalar, diff=False),
)


def _sample(rng: np.random.Generator, size: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    """As GradBench's generator draws them (evals/gmm run.py ``generate``): alpha, q, l, x from
    N(0, 1) and mu from U(0, 1); then the Wishart parameters its eval sends by default."""
    d, k, n = size
    alpha = rng.normal(size=k)
    mu = rng.uniform(size=(k, d))
    q = rng.normal(size=(k, d))
    l = rng.normal(size=(k, _tril(d)))  # noqa: E741 - GradBench's name
    x = rng.normal(size=(n, d))
    return alpha, mu, q, l, x, np.array(M), np.array(GAMMA)


CASES = [
    Case(
        "gmm",
        gmm_log_posterior,
        args=ARGS,
        sampler=_sample,
        sizes=Sizes(
            check=(2, 3, 10),
            sweep=((2, 5, 100), *GRADBENCH_SIZES.values()),
            names=("d", "K", "N"),
            gradbench=tuple(GRADBENCH_SIZES.items()),
        ),
        tags={"model", "gradbench", "adbench"},
        note="GradBench evals/gmm (ADBench's GMM with its three fixes). Inputs as GradBench "
             "draws them: alpha, q, l, x ~ N(0, 1), mu ~ U(0, 1); the "
             "Wishart m and gamma are data inputs at GradBench's defaults 0 and 1. Sweep: "
             "(2, 5, 100), then GradBench's 25 default sizes d_K_N (d up to 64, K up to 100, "
             "N = 1000)",
    ),
]
