"""Kinks: where the left and right derivatives disagree beyond their error bounds.

There a central difference is meaningless (for |x| at 0 it returns 0, which says nothing). The
oracle reports the interval spanned by the one-sided derivatives instead: for a scalar direction
every valid subgradient, projected on the direction, lies in it.
"""

from __future__ import annotations

import numpy as np

from refengine.numeric.config import OracleConfig

__all__ = ["detect_kinks", "kink_interval"]


def detect_kinks(
    left: np.ndarray,
    left_err: np.ndarray,
    right: np.ndarray,
    right_err: np.ndarray,
    config: OracleConfig,
) -> np.ndarray:
    """Per entry: do the one-sided derivatives disagree? (False where either is unknown.)"""
    gap = np.abs(right - left)
    bound = config.kink_factor * (left_err + right_err)
    size = config.kink_rtol * np.maximum(np.abs(left), np.abs(right))
    with np.errstate(invalid="ignore"):
        kink = (gap > bound) & (gap > size)
    return kink & np.isfinite(gap) & np.isfinite(bound)


def kink_interval(
    left: np.ndarray, left_err: np.ndarray, right: np.ndarray, right_err: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Midpoint and half-width of the interval spanned by both one-sided values and errors."""
    lo = np.minimum(left - left_err, right - right_err)
    hi = np.maximum(left + left_err, right + right_err)
    return 0.5 * (lo + hi), 0.5 * (hi - lo)
