"""``scipy.stats.gamma``: the gamma distribution with shape a. The density is differentiable in
every argument; the distribution function in x, loc and scale (its derivative in a has no
closed form: a traced a raises, naming it)."""

from __future__ import annotations

from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine.numpy import special
from refengine.scipy.stats._support import outside, standardised, within

__all__ = ["cdf", "logpdf", "pdf"]


def logpdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """-inf below loc, as SciPy."""
    z = standardised(x, loc, scale)
    inside = rnp.greater_equal(z, 0.0)
    z = within(inside, z, 1.0)
    value = special.xlogy(a - 1.0, z) - z - special.gammaln(a) - rnp.log(scale)
    return outside(inside, value, -np.inf)


def pdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return rnp.exp(logpdf(x, a, loc, scale))


def cdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(a, z); 0 below loc."""
    z = standardised(x, loc, scale)
    inside = rnp.greater(z, 0.0)
    return outside(inside, special.gammainc(a, within(inside, z, 1.0)), 0.0)
