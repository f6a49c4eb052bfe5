"""``scipy.stats.dirichlet``: the Dirichlet distribution, differentiable in x and alpha.

As SciPy: the components run along x's first axis (one point per column), a missing last
component is 1 minus the others', and a point off the simplex is a ``ValueError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine.numpy import special
from refengine.primitive import Tracer

__all__ = ["logpdf", "pdf"]


def _value(x: Any) -> np.ndarray:
    while isinstance(x, Tracer):
        x = x._value
    return np.asarray(x)


def _components(x: Any, alpha: Any) -> Any:
    """x with all of alpha's components, checked against the simplex as SciPy checks it."""
    k = rnp.shape(alpha)[0]
    if rnp.ndim(alpha) != 1:
        raise ValueError("Parameter vector 'a' must be one dimensional, but a.shape = "
                         f"{rnp.shape(alpha)}.")
    if rnp.shape(x)[0] == k - 1:
        x = rnp.concatenate([x, 1.0 - rnp.sum(x, axis=0, keepdims=True)], axis=0)
    if rnp.shape(x)[0] != k:
        raise ValueError("Vector 'x' must have either the same number of entries as, or one "
                         f"entry fewer than, parameter vector 'a', but alpha.shape = "
                         f"{rnp.shape(alpha)} and x.shape = {rnp.shape(x)}.")
    values = _value(x)
    if np.min(values) < 0:
        raise ValueError("Each entry in 'x' must be greater than or equal to zero.")
    if np.max(values) > 1:
        raise ValueError("Each entry in 'x' must be smaller or equal one.")
    if (np.abs(np.sum(values, 0) - 1.0) > 10e-10).any():
        raise ValueError("The input vector 'x' must lie within the normal simplex. but "
                         f"np.sum(x, 0) = {np.sum(values, 0)}.")
    return x


def logpdf(x: Any, alpha: Any) -> Any:
    """sum((alpha - 1) log x) - log B(alpha), B(alpha) = prod Gamma(alpha_i) / Gamma(sum)."""
    x = _components(x, alpha)
    alpha_col = rnp.reshape(alpha, (-1,) + (1,) * (rnp.ndim(x) - 1))
    log_b = rnp.sum(special.gammaln(alpha)) - special.gammaln(rnp.sum(alpha))
    return rnp.sum(special.xlogy(alpha_col - 1.0, x), axis=0) - log_b


def pdf(x: Any, alpha: Any) -> Any:
    return rnp.exp(logpdf(x, alpha))
