"""What the distributions share: the standardised variable, and values outside a support."""

from __future__ import annotations

from typing import Any

import numpy as np

from refengine import primitives as P

__all__ = ["outside", "standardised", "within"]


def standardised(x: Any, loc: Any, scale: Any) -> Any:
    """(x - loc) / scale, the variable SciPy's loc-scale families evaluate their density at."""
    return (x - loc) / scale


def within(inside: Any, x: Any, stand_in: float) -> Any:
    """x where ``inside`` holds, else ``stand_in``: the value a branch is evaluated at, so that
    outside its range it neither computes nor differentiates anything infinite (the where
    trap: a NaN in the unselected branch would leak into the derivative)."""
    return P.where(inside, x, stand_in)


def outside(inside: Any, value: Any, fill: float) -> Any:
    """``value`` inside the support, ``fill`` (SciPy's -inf, 0 or 1) outside it."""
    return P.where(inside, value, np.float64(fill))
