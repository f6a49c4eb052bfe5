"""``rnp.nn``: neural-network functions that have no NumPy name."""

from __future__ import annotations

import math
from typing import Any

from refengine import primitives as P

__all__ = ["gelu", "log_sigmoid", "relu", "softplus"]

relu = P.relu


def softplus(x: Any) -> Any:
    """log(1 + exp(x)), computed stably as logaddexp(x, 0)."""
    return P.logaddexp(x, 0.0)


def log_sigmoid(x: Any) -> Any:
    return -softplus(-x)


def gelu(x: Any) -> Any:
    """The exact GELU, x * Phi(x) (not the tanh approximation)."""
    return 0.5 * x * (1.0 + P.erf(x * (1.0 / math.sqrt(2.0))))
