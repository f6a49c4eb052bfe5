"""``scipy.stats.poisson``: the Poisson distribution with mean mu, differentiable in mu. The
count k is data (a traced k raises, naming it); SciPy's values for non-integer or negative k
(a pmf of 0, a cdf of P(floor(k))) are kept."""

from __future__ import annotations

from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine.numpy import special
from refengine.numpy.special import _static
from refengine.scipy.stats._support import outside

__all__ = ["cdf", "logpmf", "pmf"]


def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    k = np.asarray(_static("poisson.logpmf", "k", k, "the count")) - loc
    counts = (k >= 0) & (k == np.floor(k))
    kk = np.where(counts, k, 0.0)
    value = special.xlogy(kk, mu) - mu - special.gammaln(kk + 1.0)
    return outside(counts, value, -np.inf)


def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    return rnp.exp(logpmf(k, mu, loc))


def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """Q(floor(k) + 1, mu), the probability of at most floor(k) events; 0 for k < 0."""
    k = np.floor(np.asarray(_static("poisson.cdf", "k", k, "the count")) - loc)
    counts = k >= 0
    return outside(counts, special.gammaincc(np.where(counts, k, 0.0) + 1.0, mu), 0.0)
