"""NumPy and SciPy: forward values only, for the oracle and the value checks.

Every name is NumPy's (or ``scipy.special``'s) own function, except ``xp.nn``, which has no
NumPy name and is built from NumPy functions, and ``cummax`` (``np.maximum.accumulate``) and
``topk`` (``-np.sort(-x)[..., :k]``), which have no NumPy function of that name. ``svd`` is thin
by default, as in the vocabulary (NumPy's own default is ``full_matrices=True``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from adapters import conv_xp, transforms_xp
from adapters.base import COMPLEX_DTYPES, DTYPES, BaseAdapter
from adapters.namespace import Table, by_name, table_from_names
from adapters.vocabulary import NO_NUMPY_FUNCTION, array_names

__all__ = ["NumpyAdapter", "nn_composites", "numpy_like_table", "order_composites"]


def nn_composites(np_like: Any, erf: Any, logsumexp: Any) -> dict[str, Any]:
    """``xp.nn`` from NumPy-named functions (NumPy and HIPS autograd have no such functions)."""

    def relu(x: Any) -> Any:
        return np_like.maximum(x, 0)

    def softplus(x: Any) -> Any:
        return np_like.logaddexp(x, 0)

    def log_sigmoid(x: Any) -> Any:
        return -np_like.logaddexp(0, -x)

    def gelu(x: Any) -> Any:
        return 0.5 * x * (1 + erf(x * (1 / math.sqrt(2))))

    def layer_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        centred = x - np_like.mean(x, axis=-1, keepdims=True)
        out = centred / np_like.sqrt(np_like.mean(centred * centred, axis=-1, keepdims=True) + eps)
        out = out if weight is None else out * weight
        return out if bias is None else out + bias

    def softmax_cross_entropy(logits: Any, labels: Any) -> Any:
        log_p = logits - logsumexp(logits, axis=-1, keepdims=True)
        return -np_like.sum(labels * log_p, axis=-1)

    return by_name(relu, softplus, gelu, log_sigmoid, layer_norm, softmax_cross_entropy)


def order_composites(value_of: Any, take_along_axis: Any) -> dict[str, Any]:
    """``cummax`` and ``topk`` (no NumPy function) as gathers at indices computed from the
    values, for modules that spell NumPy's names: the derivative is the gather's, and ties go
    to the earliest entry, as in refengine (``refengine.numpy._order``)."""
    from refengine.numpy._order import running_argmax

    def cummax(x: Any, axis: int = -1) -> Any:
        values = np.asarray(value_of(x))
        return take_along_axis(x, running_argmax(values, axis % values.ndim), axis)

    def topk(x: Any, k: int) -> Any:
        order = np.argsort(-np.asarray(value_of(x)), axis=-1, kind="stable")[..., :k]
        return take_along_axis(x, order, -1)

    return by_name(cummax, topk)


def numpy_like_table(np_like: Any) -> Table:
    """The main names and ``linalg`` of a module that spells them as NumPy does (NumPy,
    ``refengine.numpy``, ``autograd.numpy``). Its ``svd`` keeps NumPy's full default; the
    vocabulary's is thin, so ``linalg.svd`` is wrapped."""
    linalg = np_like.linalg

    def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
        return linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)

    return {
        **table_from_names(np_like, [n for n in array_names() if n not in NO_NUMPY_FUNCTION]),
        **table_from_names(linalg, array_names("linalg"), "linalg.", overrides=by_name(svd)),
        **table_from_names(np_like.fft, array_names("fft"), "fft."),
    }


def _cummax(x: Any, axis: int = -1) -> Any:
    return np.maximum.accumulate(x, axis=axis)


def _topk(x: Any, k: int) -> Any:
    return -np.sort(-x, axis=-1)[..., :k]


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
            **table_from_names(np, overrides={"cummax": _cummax}, composites={"topk": _topk}),
            **table_from_names(sps, array_names("special"), "special."),
            **table_from_names(np, prefix="nn.",
                               composites=nn_composites(np, sps.erf, sps.logsumexp)),
            **conv_xp.numpy_like_table(np),
            **transforms_xp.python_table(np.stack),
        }
