"""Gaussian mixture model log posterior, as GradBench's ``evals/gmm`` defines it.

GradBench takes ADBench's GMM (Srajer et al. 2018, section 4.1) and fixes three errors: a
sign error on one of the likelihood and the prior, transposed precision factors, and a
Wishart prior that belongs on the precisions, not the covariances. With Q_k lower triangular
(diagonal exp(q_k), strictly lower part filled column by column from l_k):

    log p = sum_i logsumexp_k(alpha_k + sum_j q_kj - |Q_k (x_i - mu_k)|^2 / 2)
            - N logsumexp(alpha) - N d/2 log(2 pi)
            + sum_k (m sum_j q_kj - gamma^2/2 (|exp(q_k)|^2 + |l_k|^2))
            + K (n d log(gamma / sqrt 2) - log Gamma_d(n / 2)),      n = d + m + 1.

The terms without parameters are a Python float computed here (with math.lgamma), so the
function needs nothing outside the vocabulary. Wishart gamma = 1, m = 0 as GradBench uses.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "gmm_log_posterior"]

GAMMA = 1.0
M = 0


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


def _log_multigamma(a: float, d: int) -> float:
    return 0.25 * d * (d - 1) * math.log(math.pi) + sum(
        math.lgamma(a + 0.5 * (1 - j)) for j in range(1, d + 1)
    )


def _constant(d: int, k: int, n_points: int) -> float:
    n = d + M + 1
    wishart = n * d * math.log(GAMMA / math.sqrt(2.0)) - _log_multigamma(0.5 * n, d)
    return -0.5 * n_points * d * math.log(2.0 * math.pi) + k * wishart


def gmm_log_posterior(xp: Any, alpha: Any, mu: Any, q: Any, l: Any, x: Any) -> Any:  # noqa: E741 - GradBench's name
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
    log_prior = M * xp.sum(q) - 0.5 * GAMMA**2 * (xp.sum(qdiag * qdiag) + xp.sum(l * l))
    return log_likelihood + log_prior + _constant(d, k, n_points)


def _tril(d: int) -> int:
    return d * (d - 1) // 2


CASES = [
    Case(
        "gmm",
        gmm_log_posterior,
        args=(
            Arg("alpha", D.REAL, lambda s: (s[1],)),
            Arg("mu", D.ZERO_ONE, lambda s: (s[1], s[0])),
            Arg("q", D.REAL, lambda s: (s[1], s[0])),
            Arg("l", D.REAL, lambda s: (s[1], _tril(s[0]))),
            Arg("x", D.REAL, lambda s: (s[2], s[0]), diff=False),
        ),
        sizes=Sizes(
            check=(2, 3, 10),
            sweep=((2, 5, 100), (10, 25, 1000), (32, 100, 1000), (64, 200, 10_000)),
            names=("d", "K", "N"),
        ),
        tags={"model", "gradbench", "adbench"},
        note="GradBench evals/gmm (ADBench's GMM with its three fixes; Wishart gamma=1, m=0). "
             "Inputs follow GradBench's generator: alpha, q, l, x ~ N(0, 1), mu ~ U(0, 1)",
    ),
]
