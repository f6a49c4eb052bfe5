"""``scipy.stats.beta``: the beta distribution with shapes a and b. The density is
differentiable in every argument; the distribution function in x, loc and scale (its
derivatives in a and b have no closed form: a traced one raises, naming it)."""

from __future__ import annotations

from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine.numpy import special
from refengine.scipy.stats._support import outside, standardised, within

__all__ = ["cdf", "logpdf", "pdf"]


def logpdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """-inf outside [loc, loc + scale], as SciPy."""
    z = standardised(x, loc, scale)
    inside = rnp.logical_and(rnp.greater_equal(z, 0.0), rnp.less_equal(z, 1.0))
    z = within(inside, z, 0.5)
    value = (special.xlogy(a - 1.0, z) + special.xlogy(b - 1.0, 1.0 - z)
             - special.betaln(a, b) - rnp.log(scale))
    return outside(inside, value, -np.inf)


def pdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return rnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """I_z(a, b); 0 below the support, 1 above it."""
    z = standardised(x, loc, scale)
    inside = rnp.logical_and(rnp.greater(z, 0.0), rnp.less(z, 1.0))
    value = special.betainc(a, b, within(inside, z, 0.5))
    return outside(inside, value, 0.0) + outside(rnp.greater_equal(z, 1.0), 1.0, 0.0)
