"""NumPy and SciPy: forward values only, for the oracle and the value checks.

Every name is NumPy's (or ``scipy.special``'s) own function, except ``xp.nn``, which has no
NumPy name and is built from NumPy functions. ``svd`` is thin by default, as in the vocabulary
(NumPy's own default is ``full_matrices=True``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from adapters.base import (
    COMPOSITE,
    LINALG_NAMES,
    MAIN_NAMES,
    NATIVE,
    SPECIAL_NAMES,
    BaseAdapter,
    Table,
    table_from_names,
)

__all__ = ["NumpyAdapter", "nn_composites"]


def nn_composites(np_like: Any, erf: Any) -> dict[str, tuple[Any, str]]:
    """``xp.nn`` from NumPy-named functions (NumPy and HIPS autograd have no such functions)."""

    def relu(x: Any) -> Any:
        return np_like.maximum(x, 0)

    def softplus(x: Any) -> Any:
        return np_like.logaddexp(x, 0)

    def log_sigmoid(x: Any) -> Any:
        return -np_like.logaddexp(0, -x)

    def gelu(x: Any) -> Any:
        return 0.5 * x * (1 + erf(x * (1 / math.sqrt(2))))

    return {f"nn.{f.__name__}": (f, COMPOSITE) for f in (relu, softplus, gelu, log_sigmoid)}


def thin_svd(linalg: Any) -> Any:
    def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
        return linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)

    return svd


class NumpyAdapter(BaseAdapter):
    name = "numpy"
    framework = "numpy"
    distributions = ("numpy", "scipy")
    derivatives = False

    def _load(self) -> Table:
        import scipy.special as sps

        return {
            **table_from_names(np, MAIN_NAMES),
            **table_from_names(np.linalg, LINALG_NAMES, "linalg."),
            "linalg.svd": (thin_svd(np.linalg), NATIVE),
            **table_from_names(sps, SPECIAL_NAMES, "special."),
            **nn_composites(np, sps.erf),
        }
