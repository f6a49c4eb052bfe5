"""``scipy.stats.t``: Student's t distribution. The density is differentiable in every
argument (df included); the distribution function in x, loc and scale (its derivative in df
has no closed form: a traced df raises, naming it)."""

from __future__ import annotations

import math
from typing import Any

import refengine.numpy as rnp
from refengine.numpy import special
from refengine.scipy.stats._support import standardised

__all__ = ["cdf", "logcdf", "logpdf", "pdf"]


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    z = standardised(x, loc, scale)
    half = 0.5 * (df + 1.0)
    return (special.gammaln(half) - special.gammaln(0.5 * df)
            - 0.5 * rnp.log(df * math.pi) - rnp.log(scale) - half * rnp.log1p(z * z / df))


def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return rnp.exp(logpdf(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return special.stdtr(df, standardised(x, loc, scale))


def logcdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return rnp.log(cdf(x, df, loc, scale))
