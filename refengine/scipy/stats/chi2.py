"""``scipy.stats.chi2``: the chi-squared distribution, the gamma distribution with shape df/2
and scale 2. The density is differentiable in every argument; the distribution function in x,
loc and scale (a traced df raises there, naming it)."""

from __future__ import annotations

from typing import Any

from refengine.numpy.special import _static
from refengine.scipy.stats import gamma

__all__ = ["cdf", "logpdf", "pdf"]


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return gamma.logpdf(x, 0.5 * df, loc, 2.0 * scale)


def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return gamma.pdf(x, 0.5 * df, loc, 2.0 * scale)


def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    df = _static("chi2.cdf", "df", df, "the degrees of freedom")
    return gamma.cdf(x, 0.5 * df, loc, 2.0 * scale)
