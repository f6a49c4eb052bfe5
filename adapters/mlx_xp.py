"""The vocabulary in MLX's own functions (``mlx.core``, ``mlx.core.linalg``, ``mlx.nn``,
``mlx.core.fast``), with NumPy's names and semantics.

Imported by ``adapters.mlx_adapter`` on first use only (it imports MLX). MLX spells most of
NumPy's names as NumPy does, so most entries are ``mx.<name>`` itself; wrappers only translate
arguments: ``var``/``std`` (MLX puts ``keepdims`` before ``ddof``), ``take``/
``take_along_axis`` (NumPy index arrays as MLX arrays, outside differentiation), ``pad``
(MLX's third positional argument is the mode), ``svd`` (MLX returns the full factors: thin
ones are sliced off), ``topk`` (MLX's is unsorted: sorted here, largest first), ``dot``
(``mx.matmul``; MLX has no ``dot``), ``expit`` (``mx.sigmoid``), ``layer_norm``
(``mx.fast.layer_norm``).

Missing in MLX (their cases are unsupported on it, not tested on a composite): exp2, cbrt,
hypot, sinc, nanmean, nansum, logit, erfc, gammaln, digamma, xlogy, conv and pooling (MLX's
are channels-last with their own layouts), segment_sum, and the complex names (this adapter
runs float32 and float64 only). ``softmax_cross_entropy`` is the one composite (MLX's
``nn.losses.cross_entropy`` takes class indices or probabilities only through its own
weighting arguments).
"""

from __future__ import annotations

from typing import Any

import mlx.core as mx
import mlx.nn as mnn
import numpy as np

from adapters.namespace import Table, by_name, table_from_names
from adapters.outcomes import Unsupported
from adapters.vocabulary import NO_NUMPY_FUNCTION, array_names

__all__ = ["table"]

def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    return mx.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    return mx.std(x, axis=axis, keepdims=keepdims, ddof=ddof)


def pad(x: Any, pad_width: Any, constant_values: Any = 0) -> Any:
    return mx.pad(x, pad_width, mode="constant", constant_values=constant_values)


def dot(a: Any, b: Any) -> Any:
    return mx.matmul(a, b)  # NumPy's dot for 1-d and 2-d operands (the vocabulary's use)


def _indices(indices: Any) -> Any:
    """Integer indices as an MLX array outside differentiation (they are data; MLX otherwise
    asks for a derivative with respect to indices computed in the graph, e.g. by argmax)."""
    if isinstance(indices, mx.array):
        return mx.stop_gradient(indices)
    if isinstance(indices, int):
        return indices
    return mx.array(np.asarray(indices))


def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    return mx.take(x, _indices(indices), axis=axis)


def take_along_axis(x: Any, indices: Any, axis: int) -> Any:
    return mx.take_along_axis(x, _indices(indices), axis=axis)


def topk(x: Any, k: int) -> Any:
    return -mx.sort(-mx.topk(x, k, axis=-1), axis=-1)


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Any:
    # mx.repeat takes one count for every entry; NumPy's per-entry counts (an array) have no
    # MLX form: its arrays have static shapes computed before the values are known.
    if not isinstance(repeats, (int, np.integer)):
        raise Unsupported("mx.repeat takes one repeat count (an int), not one per entry")
    return mx.repeat(x, int(repeats), axis=axis)


def cummax(x: Any, axis: int = -1) -> Any:
    return mx.cummax(x, axis=axis)


def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
    if not compute_uv:
        return mx.linalg.svd(a, compute_uv=False)
    u, s, vt = mx.linalg.svd(a)
    if full_matrices:
        return u, s, vt
    k = s.shape[-1]
    return u[..., :, :k], s, vt[..., :k, :]


def layer_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    return mx.fast.layer_norm(x, weight, bias, eps)


def softmax(x: Any, axis: Any = None) -> Any:
    return mx.softmax(x, axis=axis)


def log_softmax(x: Any, axis: Any = None) -> Any:
    if axis is None:  # mlx.nn.log_softmax's default is the last axis; SciPy's every axis
        return mnn.log_softmax(x.reshape(-1), axis=0).reshape(x.shape)
    return mnn.log_softmax(x, axis=axis)


def softmax_cross_entropy(logits: Any, labels: Any) -> Any:
    return -mx.sum(labels * mnn.log_softmax(logits, axis=-1), axis=-1)


def table() -> Table:
    """``{qualified name: (function, coverage word)}`` for the MLX adapter."""
    overrides = by_name(var, std, pad, dot, take, take_along_axis, topk, cummax, repeat)
    main = [n for n in array_names() if n not in NO_NUMPY_FUNCTION
            and hasattr(mx, n) and n not in overrides]
    linalg = [n for n in array_names("linalg") if hasattr(mx.linalg, n)]
    return {
        **table_from_names(mx, main, overrides=overrides),
        **table_from_names(mx, "grad"),
        **table_from_names(mx.linalg, linalg, "linalg.", overrides=by_name(svd)),
        **table_from_names(mx, "erf logsumexp", "special.", renames={"expit": "sigmoid"},
                           overrides=by_name(softmax, log_softmax)),
        **table_from_names(mnn, "relu softplus gelu log_sigmoid", "nn.",
                           overrides=by_name(layer_norm),
                           composites=by_name(softmax_cross_entropy)),
    }
