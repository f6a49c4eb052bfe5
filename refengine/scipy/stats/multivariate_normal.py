"""``scipy.stats.multivariate_normal``: logpdf, pdf and entropy, differentiable in x, mean and
cov, with SciPy's argument forms (a scalar cov is a multiple of the identity, a vector cov a
diagonal; x's last axis is the dimension, and for dimension 1 a vector x is many points) and
its squeezed output. The covariance is factored by Cholesky, which reads its lower triangle
(as SciPy's eigh does): the derivative with respect to the upper triangle is 0.
``allow_singular=True`` (SciPy's pseudo-determinant) raises ``NotImplementedError``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import refengine.numpy as rnp

__all__ = ["entropy", "logpdf", "pdf"]

_LOG_2PI = math.log(2.0 * math.pi)


def _dimension(mean: Any, cov: Any) -> int:
    if mean is not None:
        return int(rnp.size(mean))
    return 1 if rnp.ndim(cov) < 2 else rnp.shape(cov)[0]  # SciPy's rule, a vector cov too


def _as_matrix(cov: Any, d: int) -> Any:
    if rnp.ndim(cov) == 0:
        return cov * np.eye(d)
    if rnp.ndim(cov) == 1:
        if rnp.shape(cov) != (d,):
            raise ValueError(f"Array 'cov' must be of shape ({d},) or ({d}, {d}), not "
                             f"{rnp.shape(cov)}.")
        return rnp.diag(cov)
    if rnp.shape(cov) != (d, d):
        raise ValueError(f"Array 'cov' must be of shape ({d}, {d}), not {rnp.shape(cov)}.")
    return cov


def _factor(cov: Any, d: int, allow_singular: bool) -> tuple[Any, Any]:
    if allow_singular:
        raise NotImplementedError(
            "refengine.scipy.stats.multivariate_normal: allow_singular=True (the "
            "pseudo-inverse and pseudo-determinant) is not implemented; pass a positive "
            "definite cov")
    chol = rnp.linalg.cholesky(_as_matrix(cov, d))
    log_det = 2.0 * rnp.sum(rnp.log(rnp.diagonal(chol)))
    return chol, log_det


def logpdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    d = _dimension(mean, cov)
    if rnp.ndim(x) == 0:
        x = rnp.reshape(x, (1,))
    if rnp.ndim(x) == 1:
        x = rnp.reshape(x, (-1, 1) if d == 1 else (1, -1))
    diff = x if mean is None else x - rnp.reshape(mean, (d,))
    chol, log_det = _factor(cov, d, allow_singular)
    # L^-1 (x - mean) for every point at once: one solve with the points as columns.
    white = rnp.linalg.solve(chol, rnp.transpose(diff))
    maha = rnp.sum(white * white, axis=0)
    out = -0.5 * (d * _LOG_2PI + log_det + maha)
    return rnp.squeeze(out) if rnp.size(out) == 1 else out


def pdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    return rnp.exp(logpdf(x, mean, cov, allow_singular))


def entropy(mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    """(d log(2 pi e) + log det cov) / 2."""
    d = _dimension(mean, cov)
    _, log_det = _factor(cov, d, allow_singular)
    return 0.5 * (d * (_LOG_2PI + 1.0) + log_det)
