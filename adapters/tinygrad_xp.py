"""The vocabulary in tinygrad's own ``Tensor`` methods, with NumPy's names and semantics.

Imported by ``adapters.tinygrad_adapter`` on first use only (it imports tinygrad). tinygrad's
functions are ``Tensor`` methods with torch-like arguments (``dim``, ``keepdim``,
``correction``); each wrapper translates NumPy's arguments and calls one method, whose own
gradient (``tinygrad/gradient.py`` and the ops it decomposes into) is what gets tested. A
Python number or NumPy array beside a tensor becomes a tensor of that tensor's dtype.

Composites (tinygrad has no such method): ``nn.gelu`` (tinygrad's ``gelu`` is the tanh
approximation; the exact, erf form is built from ``erf``), ``outer``, ``trace``,
``softmax_cross_entropy``. Missing (their cases are unsupported on tinygrad): expm1, log1p,
cbrt, arctan2, hypot, tensordot, median, sinc, nanmean, nansum, the linear algebra but
``qr``/``svd`` (tinygrad has no inv, solve, det, cholesky, eigh, norm), logit, erfc,
gammaln, digamma, xlogy, conv, pooling, segment_sum, grad and the complex names.
"""

from __future__ import annotations

import builtins
import itertools
from typing import Any

import numpy as np
from tinygrad import Tensor, dtypes

from adapters.namespace import Table, by_name
from adapters.outcomes import Unsupported

__all__ = ["table"]

_DTYPES = {np.dtype(np.float32): dtypes.float32, np.dtype(np.float64): dtypes.float64,
           np.dtype(np.int64): dtypes.int64, np.dtype(np.int32): dtypes.int32,
           np.dtype(np.bool_): dtypes.bool}


def tensor(a: Any, like: Any = None) -> Tensor:
    """``a`` as a Tensor: a float number or array takes ``like``'s float dtype."""
    if isinstance(a, Tensor):
        return a
    arr = np.asarray(a)
    floating = isinstance(like, Tensor) and dtypes.is_float(like.dtype)
    if floating and (arr.dtype.kind == "f" or isinstance(a, (int, float))):
        return _from_numpy(arr.astype(np.float64), like.dtype)
    return _from_numpy(arr, _DTYPES.get(arr.dtype))


def _from_numpy(arr: np.ndarray, dtype: Any) -> Tensor:
    # Tensor(0-d array) has shape (1,) in tinygrad: make it 1-d and take the axis off again.
    out = Tensor(np.ascontiguousarray(arr.reshape(-1)).reshape(arr.shape or (1,)), dtype=dtype)
    return out.reshape(()) if arr.ndim == 0 else out


def _unary(method: Any, name: str) -> Any:
    def call(x: Any) -> Any:
        return method(tensor(x))

    call.__name__ = name
    return call


def _binary(method: Any, name: str) -> Any:
    def call(x: Any, y: Any) -> Any:
        if isinstance(x, Tensor) and isinstance(y, (int, float)):
            return method(x, y)
        x, y = tensor(x, y), tensor(y, x)
        return method(x, y)

    call.__name__ = name
    return call


def _axes(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _reduction(method: str) -> Any:
    def call(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return getattr(tensor(x), method)(axis=_axes(axis), keepdim=keepdims)

    call.__name__ = method
    return call


# --- selection -------------------------------------------------------------------------------
def where(condition: Any, x: Any, y: Any) -> Any:
    like = x if isinstance(x, Tensor) else y
    c = tensor(condition)
    if c.dtype != dtypes.bool:
        c = c.cast(dtypes.bool)
    return c.where(tensor(x, like), tensor(y, like))


def clip(x: Any, a_min: Any = None, a_max: Any = None) -> Any:
    x = tensor(x)
    lo = a_min if a_min is None or isinstance(a_min, (int, float)) else tensor(a_min, x)
    hi = a_max if a_max is None or isinstance(a_max, (int, float)) else tensor(a_max, x)
    return x.clip(lo, hi)


# --- reductions ------------------------------------------------------------------------------
sum = _reduction("sum")  # noqa: A001 - NumPy's name
mean = _reduction("mean")
prod = _reduction("prod")
max = _reduction("max")  # noqa: A001
min = _reduction("min")  # noqa: A001


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    return x.var(axis=_axes(axis), keepdim=keepdims, correction=ddof)


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    return x.std(axis=_axes(axis), keepdim=keepdims, correction=ddof)


def _scan(method: str) -> Any:
    def call(x: Any, axis: int | None = None) -> Any:
        return getattr(x.flatten() if axis is None else x, method)(0 if axis is None else axis)

    call.__name__ = method
    return call


cumsum, cumprod = _scan("cumsum"), _scan("cumprod")


def argmax(x: Any, axis: int | None = None) -> Any:
    return x.argmax(axis=axis)


def argmin(x: Any, axis: int | None = None) -> Any:
    return x.argmin(axis=axis)


def cummax(x: Any, axis: int = -1) -> Any:
    return x.cummax(axis % x.ndim)[0]


def topk(x: Any, k: int) -> Any:
    return x.topk(k, dim=-1)[0]


# --- structure -------------------------------------------------------------------------------
def reshape(x: Any, shape: Any) -> Any:
    return x.reshape(tuple(shape) if isinstance(shape, (tuple, list)) else (shape,))


def transpose(x: Any, axes: Any = None) -> Any:
    return x.permute(tuple(range(x.ndim))[::-1] if axes is None else tuple(axes))


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    return x.transpose(axis1, axis2)


def moveaxis(x: Any, source: int, destination: int) -> Any:
    order = [i for i in range(x.ndim) if i != source % x.ndim]
    order.insert(destination % x.ndim, source % x.ndim)
    return x.permute(tuple(order))


def expand_dims(x: Any, axis: int) -> Any:
    return x.unsqueeze(axis)


def squeeze(x: Any, axis: Any = None) -> Any:
    if axis is None:
        return x.reshape(tuple(s for s in x.shape if s != 1))
    for a in sorted((axis if isinstance(axis, (tuple, list)) else [axis]),
                    key=lambda a: a % x.ndim, reverse=True):
        x = x.squeeze(a)
    return x


def broadcast_to(x: Any, shape: Any) -> Any:
    shape = tuple(shape)
    x = tensor(x)
    return x.reshape((1,) * (len(shape) - x.ndim) + x.shape).expand(shape)


def concatenate(arrays: Any, axis: int = 0) -> Any:
    first, *rest = [tensor(a) for a in arrays]
    return first.cat(*rest, dim=axis)


def stack(arrays: Any, axis: int = 0) -> Any:
    first, *rest = [tensor(a) for a in arrays]
    return first.stack(*rest, dim=axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        return list(x.split(n // indices_or_sections, dim=axis))
    bounds = [0, *[int(i) for i in indices_or_sections], n]
    return list(x.split([b - a for a, b in itertools.pairwise(bounds)], dim=axis))


def tile(x: Any, reps: Any) -> Any:
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    if len(reps) < x.ndim:
        reps = (1,) * (x.ndim - len(reps)) + reps
    x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
    return x.repeat(reps)


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Any:
    if not isinstance(repeats, (int, np.integer)):
        raise Unsupported("tinygrad's repeat_interleave takes one repeat count")
    return x.repeat_interleave(int(repeats), dim=axis)


def flip(x: Any, axis: Any = None) -> Any:
    axes = tuple(range(x.ndim)) if axis is None else axis
    return x.flip(axes if isinstance(axes, tuple) else (axes,))


def roll(x: Any, shift: Any, axis: Any = None) -> Any:
    if axis is None:
        return x.flatten().roll(shift, 0).reshape(x.shape)
    return x.roll(shift, axis)


def tril(x: Any, k: int = 0) -> Any:
    return x.tril(k)


def triu(x: Any, k: int = 0) -> Any:
    return x.triu(k)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    return x.diagonal(offset, axis1, axis2)


def pad(x: Any, pad_width: Any, constant_values: Any = 0) -> Any:
    width = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    return x.pad(tuple((int(lo), int(hi)) for lo, hi in width), value=constant_values)


def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    source = x.flatten() if axis is None else x
    ax = 0 if axis is None else axis % source.ndim
    idx = np.asarray(indices)
    if isinstance(indices, Tensor):
        raise Unsupported("tinygrad's take: tensor indices (computed from values)")
    idx = np.where(idx < 0, idx + source.shape[ax], idx)
    key = (slice(None),) * ax + (Tensor(idx.astype(np.int32)),)
    return source[key]


def take_along_axis(x: Any, indices: Any, axis: int) -> Any:
    idx = indices if isinstance(indices, Tensor) else Tensor(
        np.where(np.asarray(indices) < 0, np.asarray(indices) + x.shape[axis],
                 np.asarray(indices)).astype(np.int32))
    return x.gather(axis, idx)


def sort(x: Any, axis: int = -1) -> Any:
    return x.sort(dim=axis)[0]


def einsum(subscripts: str, *operands: Any) -> Any:
    return Tensor.einsum(subscripts, *[tensor(o) for o in operands])


def matmul(a: Any, b: Any) -> Any:
    return tensor(a, b).matmul(tensor(b, a))


def dot(a: Any, b: Any) -> Any:
    return tensor(a, b).dot(tensor(b, a))


def outer(a: Any, b: Any) -> Any:
    return a.reshape((-1, 1)) * b.reshape((1, -1))


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    return x.diagonal(offset, axis1, axis2).sum(-1)


def asarray(a: Any, dtype: Any = None) -> Any:
    if isinstance(a, Tensor):
        return a if dtype is None else a.cast(dtype)
    arr = np.asarray(a)
    return _from_numpy(arr, dtype or _DTYPES.get(arr.dtype))


def zeros_like(x: Any) -> Any:
    return Tensor.zeros_like(x)


def ones_like(x: Any) -> Any:
    return Tensor.ones_like(x)


def eye(n: int, dtype: Any = None) -> Any:
    return Tensor.eye(n, dtype=dtype or dtypes.float64)  # NumPy's default: float64


def arange(n: int) -> Any:
    return Tensor.arange(n)


# --- linalg, special, nn ---------------------------------------------------------------------
def qr(a: Any, mode: str = "reduced") -> Any:
    # tinygrad's qr is the complete factorisation (Q m x m, R m x n); NumPy's default, which
    # the cases mean, is the reduced one: Q's first k = min(m, n) columns, R's first k rows.
    # Without the slice a tall matrix's Q Q^T was the identity (qr-projection, --gp-slow).
    if mode != "reduced":
        raise Unsupported(f"tinygrad_xp.qr: mode {mode!r}; only NumPy's default 'reduced'")
    q, r = a.qr()
    k = builtins.min(a.shape[-2], a.shape[-1])  # this module's min is the array reduction
    return q[..., :, :k], r[..., :k, :]


def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
    u, s, vt = a.svd(full_matrices=full_matrices)
    return (u, s, vt) if compute_uv else s


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return x.logsumexp(axis=_axes(axis), keepdim=keepdims)


def softmax(x: Any, axis: Any = None) -> Any:
    if axis is None:
        return x.flatten().softmax(0).reshape(x.shape)
    return x.softmax(axis)


def log_softmax(x: Any, axis: Any = None) -> Any:
    if axis is None:
        return x.flatten().log_softmax(0).reshape(x.shape)
    return x.log_softmax(axis)


def softplus(x: Any) -> Any:
    return x.softplus()


def layer_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    out = x.layernorm(axis=-1, eps=eps)
    out = out if weight is None else out * weight
    return out if bias is None else out + bias


def gelu(x: Any) -> Any:
    # tinygrad's own gelu is the tanh approximation; the vocabulary's is the exact one.
    return 0.5 * x * (1 + (x * (1 / np.sqrt(2.0))).erf())


def softmax_cross_entropy(logits: Any, labels: Any) -> Any:
    return -(tensor(labels, logits) * logits.log_softmax(-1)).sum(-1)


_UNARY = {"negative": "neg", "abs": "abs", "sign": "sign", "exp": "exp", "exp2": "exp2",
          "log": "log", "log2": "log2", "log10": "log10", "sqrt": "sqrt", "square": "square",
          "reciprocal": "reciprocal", "sin": "sin", "cos": "cos", "tan": "tan",
          "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh",
          "cosh": "cosh", "tanh": "tanh", "arcsinh": "asinh", "arccosh": "acosh",
          "arctanh": "atanh", "floor": "floor", "ceil": "ceil", "round": "round"}
_BINARY = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div",
           "power": "pow", "maximum": "maximum", "minimum": "minimum",
           "logaddexp": "logaddexp", "greater": "__gt__", "greater_equal": "__ge__",
           "less": "__lt__", "less_equal": "__le__", "equal": "eq", "not_equal": "ne"}


def table() -> Table:
    """``{qualified name: (function, coverage word)}`` for the tinygrad adapter."""
    native: dict[str, Any] = {
        **{ours: _unary(getattr(Tensor, theirs), ours) for ours, theirs in _UNARY.items()},
        **{ours: _binary(getattr(Tensor, theirs), ours) for ours, theirs in _BINARY.items()},
        **by_name(where, clip, sum, mean, prod, max, min, var, std, cumsum, cumprod, argmax,
                  argmin, cummax, topk, reshape, transpose, swapaxes, moveaxis, expand_dims,
                  squeeze, broadcast_to, concatenate, stack, split, tile, repeat, flip, roll,
                  tril, triu, diagonal, pad, take, take_along_axis, sort, einsum, matmul, dot,
                  asarray, zeros_like, ones_like, eye, arange),
        "linalg.qr": qr, "linalg.svd": svd,
        "special.expit": _unary(Tensor.sigmoid, "expit"),
        "special.erf": _unary(Tensor.erf, "erf"),
        "special.logsumexp": logsumexp, "special.softmax": softmax,
        "special.log_softmax": log_softmax,
        "nn.relu": _unary(Tensor.relu, "relu"), "nn.softplus": softplus,
        "nn.log_sigmoid": _unary(Tensor.logsigmoid, "log_sigmoid"),
        "nn.layer_norm": layer_norm,
    }
    composite = {"outer": outer, "trace": trace, "nn.gelu": gelu,
                 "nn.softmax_cross_entropy": softmax_cross_entropy}
    return {**{n: (f, "native") for n, f in native.items()},
            **{n: (f, "composite") for n, f in composite.items()}}
