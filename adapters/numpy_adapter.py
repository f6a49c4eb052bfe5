"""NumPy and SciPy: forward values only, for the oracle and the value checks.

Every name is NumPy's (or ``scipy.special``'s) own function, except ``xp.nn``, which has no
NumPy name and is built from NumPy functions. ``svd`` is thin by default, as in the vocabulary
(NumPy's own default is ``full_matrices=True``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from adapters import conv_xp
from adapters.base import COMPLEX_DTYPES, DTYPES, BaseAdapter
from adapters.namespace import Table, by_name, table_from_names
from adapters.vocabulary import array_names

__all__ = ["NumpyAdapter", "nn_composites", "numpy_like_table"]


def nn_composites(np_like: Any, erf: Any) -> dict[str, Any]:
    """``xp.nn`` from NumPy-named functions (NumPy and HIPS autograd have no such functions)."""

    def relu(x: Any) -> Any:
        return np_like.maximum(x, 0)

    def softplus(x: Any) -> Any:
        return np_like.logaddexp(x, 0)

    def log_sigmoid(x: Any) -> Any:
        return -np_like.logaddexp(0, -x)

    def gelu(x: Any) -> Any:
        return 0.5 * x * (1 + erf(x * (1 / math.sqrt(2))))

    return by_name(relu, softplus, gelu, log_sigmoid)


def numpy_like_table(np_like: Any) -> Table:
    """The main names and ``linalg`` of a module that spells them as NumPy does (NumPy,
    ``refengine.numpy``, ``autograd.numpy``). Its ``svd`` keeps NumPy's full default; the
    vocabulary's is thin, so ``linalg.svd`` is wrapped."""
    linalg = np_like.linalg

    def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
        return linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)

    return {
        **table_from_names(np_like, array_names()),
        **table_from_names(linalg, array_names("linalg"), "linalg.", overrides=by_name(svd)),
        **table_from_names(np_like.fft, array_names("fft"), "fft."),
    }


class NumpyAdapter(BaseAdapter):
    name = "numpy"
    dtypes = DTYPES + COMPLEX_DTYPES
    framework = "numpy"
    distributions = ("numpy", "scipy")
    derivatives = False

    def _load(self) -> Table:
        import scipy.special as sps

        return {
            **numpy_like_table(np),
            **table_from_names(sps, array_names("special"), "special."),
            **table_from_names(np, prefix="nn.", composites=nn_composites(np, sps.erf)),
            **conv_xp.numpy_like_table(np),
        }
