"""``scipy.stats.norm``: the normal distribution, differentiable in x, loc and scale."""

from __future__ import annotations

import math
from typing import Any

import refengine.numpy as rnp
from refengine.numpy import special
from refengine.scipy.stats._support import standardised

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    z = standardised(x, loc, scale)
    return -0.5 * (z * z) - _HALF_LOG_2PI - rnp.log(scale)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return rnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return special.ndtr(standardised(x, loc, scale))


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return special.log_ndtr(standardised(x, loc, scale))


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """1 - cdf, as ndtr(-z) (accurate in the upper tail)."""
    return special.ndtr(-standardised(x, loc, scale))


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    return special.log_ndtr(-standardised(x, loc, scale))
