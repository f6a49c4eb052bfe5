"""The vocabulary in TensorFlow's own ops (``tf.math``, ``tf.linalg``, ``tf.nn``), with NumPy's
names and semantics.

Imported by ``adapters.tensorflow_adapter`` on first use only (it imports TensorFlow).
TensorFlow does not promote dtypes: a binary op converts a Python number to the other
operand's dtype (weak, as in NumPy 2) and casts mismatched tensors to NumPy's result type.
Composites, where TensorFlow has no op: ``exp2``, ``log2``, ``log10``, ``cbrt``, ``hypot``,
``logaddexp``, ``special.logit``, ``cummax`` (a ``tf.scan`` of ``tf.maximum``), ``median``
(the two middle entries of ``tf.sort``) and ``nn.layer_norm`` (``tf.nn.moments`` and
``tf.nn.batch_normalization``). ``linalg.norm`` serves the orders ``tf.norm`` has
(vectors: positive p and inf; matrices: fro, 1, 2, inf) and raises ``Unsupported`` for the
others rather than building them.

Not in this namespace but part of the array interface cases use: TensorFlow tensors take no
integer-array index, which the adapter spells with ``tf.gather``/``tf.gather_nd`` while it
runs a case (``adapters.tensorflow_indexing``), and have no ``.T``, which the adapter reports
as ``unsupported``.

Its length (about 500 lines) is one short function per vocabulary name that TensorFlow spells
or argues differently from NumPy, ending in the table that lists them: splitting it would
separate each translation from the table entry that uses it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import tensorflow as tf

from adapters import conv_xp, transforms_xp
from adapters.namespace import Table, by_name, table_from_names
from adapters.numpy_args import axes_tuple, inserted_axes, over_axes, split_points, wrap_indices
from adapters.outcomes import Unsupported

__all__ = ["table"]


# --- argument translation --------------------------------------------------------------------
def _tensor(a: Any, like: Any = None) -> tf.Tensor:
    """``a`` as a tensor beside ``like``: a Python number takes like's dtype when the kinds
    agree (weak, as in NumPy 2); a NumPy array keeps its own dtype."""
    if tf.is_tensor(a):
        return a
    if tf.is_tensor(like) and isinstance(a, (int, float)) and not isinstance(a, bool):
        if like.dtype.is_floating or (isinstance(a, int) and like.dtype.is_integer):
            return tf.constant(a, dtype=like.dtype)
    if tf.is_tensor(like) and isinstance(a, (int, float, complex)) and not isinstance(a, bool):
        # A Python complex (or a number beside a complex tensor) is weak too: 1j times a
        # float32 tensor is complex64, as in NumPy 2.
        if like.dtype.is_complex or (like.dtype.is_floating and isinstance(a, complex)):
            kind = like.dtype if like.dtype.is_complex else (
                tf.complex64 if like.dtype == tf.float32 else tf.complex128)
            return tf.constant(a, dtype=kind)
    return tf.convert_to_tensor(np.asarray(a))


def _promote(*xs: Any) -> list[tf.Tensor]:
    """Tensors of one dtype, NumPy's result type (TensorFlow itself refuses mixed dtypes)."""
    tensors = [_tensor(x, next((t for t in xs if tf.is_tensor(t)), None)) for x in xs]
    target = np.result_type(*(t.dtype.as_numpy_dtype for t in tensors))
    return [t if t.dtype.as_numpy_dtype == target else tf.cast(t, target) for t in tensors]


def _binary(op: Any) -> Any:
    def call(x: Any, y: Any) -> tf.Tensor:
        return op(*_promote(x, y))

    call.__name__ = getattr(op, "__name__", "binary")
    return call


def _axis(axis: Any) -> Any:
    return list(axis) if isinstance(axis, tuple) else axis


def _flat(x: Any) -> tf.Tensor:
    return tf.reshape(x, [-1])


def _index(indices: Any, n: int) -> tf.Tensor:
    """Integer indices with negatives wrapped (NumPy allows them; tf.gather does not)."""
    if tf.is_tensor(indices):
        return wrap_indices(indices, n, tf.math.floormod)
    return tf.constant(wrap_indices(np.asarray(indices), n))


def _moved_to_end(x: Any, axes: tuple[int, ...]) -> tf.Tensor:
    perm = [d for d in range(x.ndim) if d not in axes] + list(axes)
    return tf.transpose(x, perm)


# --- composites: TensorFlow has no such op ---------------------------------------------------
def exp2(x: Any) -> tf.Tensor:
    return tf.math.pow(tf.constant(2, dtype=x.dtype), x)


def log2(x: Any) -> tf.Tensor:
    return tf.math.log(x) / tf.constant(math.log(2), dtype=x.dtype)


def log10(x: Any) -> tf.Tensor:
    return tf.math.log(x) / tf.constant(math.log(10), dtype=x.dtype)


def cbrt(x: Any) -> tf.Tensor:
    return tf.math.sign(x) * tf.math.pow(tf.math.abs(x), tf.constant(1 / 3, dtype=x.dtype))


def hypot(x: Any, y: Any) -> tf.Tensor:
    x, y = _promote(x, y)
    return tf.math.sqrt(tf.math.square(x) + tf.math.square(y))


def logaddexp(x: Any, y: Any) -> tf.Tensor:
    x, y = _promote(x, y)
    big = tf.math.maximum(x, y)
    return big + tf.math.log1p(tf.math.exp(-tf.math.abs(x - y)))


def logit(x: Any) -> tf.Tensor:
    return tf.math.log(x) - tf.math.log1p(-x)


# --- elementwise, selection ------------------------------------------------------------------
def round(x: Any, decimals: int = 0) -> tf.Tensor:  # noqa: A001 - NumPy's name
    if decimals == 0:
        return tf.math.round(x)  # half to even, as NumPy
    scale = tf.constant(10.0**decimals, dtype=x.dtype)
    return tf.math.round(x * scale) / scale


def argmax(x: Any, axis: int | None = None) -> tf.Tensor:
    return tf.math.argmax(_flat(x), 0) if axis is None else tf.math.argmax(x, axis)


def argmin(x: Any, axis: int | None = None) -> tf.Tensor:
    return tf.math.argmin(_flat(x), 0) if axis is None else tf.math.argmin(x, axis)


def where(condition: Any, x: Any, y: Any) -> tf.Tensor:
    x, y = _promote(x, y)
    return tf.where(tf.cast(condition, tf.bool), x, y)


def _like(a: Any, x: Any) -> tf.Tensor:
    """``a`` in x's dtype. Not tf.cast(0.3, tf.float64): that rounds 0.3 to float32 first."""
    if tf.is_tensor(a):
        return tf.cast(a, x.dtype)
    return tf.constant(np.asarray(a, dtype=x.dtype.as_numpy_dtype))


def clip(x: Any, a_min: Any = None, a_max: Any = None) -> tf.Tensor:
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    return tf.clip_by_value(x, _like(lo, x), _like(hi, x))


# --- reductions ------------------------------------------------------------------------------
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:  # noqa: A001
    return tf.math.reduce_sum(x, axis=_axis(axis), keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    return tf.math.reduce_mean(x, axis=_axis(axis), keepdims=keepdims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    return tf.math.reduce_prod(x, axis=_axis(axis), keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:  # noqa: A001
    return tf.math.reduce_max(x, axis=_axis(axis), keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:  # noqa: A001
    return tf.math.reduce_min(x, axis=_axis(axis), keepdims=keepdims)


def _count(x: Any, axis: Any) -> int:
    return math.prod(x.shape[d] for d in axes_tuple(axis, x.ndim))


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> tf.Tensor:
    out = tf.math.reduce_variance(x, axis=_axis(axis), keepdims=keepdims)
    if ddof:  # tf has no ddof: rescale the population variance
        n = _count(x, axis)
        out = out * tf.constant(n / (n - ddof), dtype=x.dtype)
    return out


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> tf.Tensor:
    if ddof == 0:
        return tf.math.reduce_std(x, axis=_axis(axis), keepdims=keepdims)
    return tf.math.sqrt(var(x, axis, ddof, keepdims))


def cumsum(x: Any, axis: int | None = None) -> tf.Tensor:
    return tf.math.cumsum(_flat(x), 0) if axis is None else tf.math.cumsum(x, axis)


def cumprod(x: Any, axis: int | None = None) -> tf.Tensor:
    return tf.math.cumprod(_flat(x), 0) if axis is None else tf.math.cumprod(x, axis)


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> tf.Tensor:
    if x.ndim == 2 and offset == 0:
        return tf.linalg.trace(x)
    return tf.math.reduce_sum(diagonal(x, offset, axis1, axis2), axis=-1)


# --- shape and indexing ----------------------------------------------------------------------
def _shape(shape: Any) -> list[int]:
    return [int(shape)] if isinstance(shape, (int, np.integer)) else [int(n) for n in shape]


def reshape(x: Any, shape: Any) -> tf.Tensor:
    return tf.reshape(x, _shape(shape))


def transpose(x: Any, axes: Any = None) -> tf.Tensor:
    return tf.transpose(x, perm=None if axes is None else list(axes))


def swapaxes(x: Any, axis1: int, axis2: int) -> tf.Tensor:
    perm = list(range(x.ndim))
    i, j = axis1 % x.ndim, axis2 % x.ndim
    perm[i], perm[j] = perm[j], perm[i]
    return tf.transpose(x, perm)


def moveaxis(x: Any, source: Any, destination: Any) -> tf.Tensor:
    src, dst = axes_tuple(source, x.ndim), axes_tuple(destination, x.ndim)
    perm = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return tf.transpose(x, perm)


def expand_dims(x: Any, axis: Any) -> tf.Tensor:
    for a in inserted_axes(axis, x.ndim):
        x = tf.expand_dims(x, a)
    return x


def squeeze(x: Any, axis: Any = None) -> tf.Tensor:
    return tf.squeeze(x, axis=None if axis is None else list(axes_tuple(axis, x.ndim)))


def broadcast_to(x: Any, shape: Any) -> tf.Tensor:
    return tf.broadcast_to(x, _shape(shape))


def concatenate(arrays: Any, axis: int | None = 0) -> tf.Tensor:
    if axis is None:
        return tf.concat([_flat(a) for a in arrays], 0)
    return tf.concat(list(arrays), axis)


def stack(arrays: Any, axis: int = 0) -> tf.Tensor:
    return tf.stack(list(arrays), axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[tf.Tensor]:
    n = x.shape[axis]
    points = split_points(n, indices_or_sections)
    if isinstance(points, int):
        return tf.split(x, points, axis)
    bounds = [0, *(int(np.clip(i, 0, n)) for i in points), n]
    sizes = [b - a for a, b in itertools.pairwise(bounds)]
    return tf.split(x, sizes, axis)


def tile(x: Any, reps: Any) -> tf.Tensor:
    reps = _shape(reps)
    nd = x.ndim if x.ndim > len(reps) else len(reps)
    x = tf.reshape(x, [1] * (nd - x.ndim) + list(x.shape))  # NumPy pads either side with 1s
    return tf.tile(x, [1] * (nd - len(reps)) + reps)


def repeat(x: Any, repeats: Any, axis: int | None = None) -> tf.Tensor:
    return tf.repeat(x, repeats, axis=axis)


def flip(x: Any, axis: Any = None) -> tf.Tensor:
    return tf.reverse(x, list(axes_tuple(axis, x.ndim)))


def roll(x: Any, shift: Any, axis: Any = None) -> tf.Tensor:
    if axis is None:
        return tf.reshape(tf.roll(_flat(x), shift, 0), tf.shape(x))
    return tf.roll(x, shift, axis)


def tril(x: Any, k: int = 0) -> tf.Tensor:
    if k >= 0:
        return tf.linalg.band_part(x, -1, k)
    mask = np.tri(x.shape[-2], x.shape[-1], k, dtype=bool)  # band_part keeps the diagonal
    return tf.where(mask, x, tf.zeros_like(x))


def triu(x: Any, k: int = 0) -> tf.Tensor:
    if k <= 0:
        return tf.linalg.band_part(x, -k, -1)
    mask = ~np.tri(x.shape[-2], x.shape[-1], k - 1, dtype=bool)
    return tf.where(mask, x, tf.zeros_like(x))


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> tf.Tensor:
    moved = _moved_to_end(x, (axis1 % x.ndim, axis2 % x.ndim))
    return tf.linalg.diag_part(moved, k=offset)


def diag(v: Any, k: int = 0) -> tf.Tensor:
    return tf.linalg.diag(v, k=k) if v.ndim == 1 else tf.linalg.diag_part(v, k=k)


def pad(x: Any, pad_width: Any, constant_values: float = 0) -> tf.Tensor:
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    return tf.pad(x, widths.tolist(), constant_values=constant_values)


def take(x: Any, indices: Any, axis: int | None = None) -> tf.Tensor:
    if axis is None:
        flat = _flat(x)
        return tf.gather(flat, _index(indices, flat.shape[0]))
    return tf.gather(x, _index(indices, x.shape[axis]), axis=axis)


def take_along_axis(x: Any, indices: Any, axis: int | None) -> tf.Tensor:
    if axis is None:
        x, axis = _flat(x), 0
    axis %= x.ndim
    idx = _index(indices, x.shape[axis])
    # tf.gather with batch_dims wants the gathered axis last and equal batch shapes.
    xm, im = _moved_to_end(x, (axis,)), _moved_to_end(idx, (axis,))
    batch = tf.broadcast_static_shape(xm.shape[:-1], im.shape[:-1]).as_list()
    xm = tf.broadcast_to(xm, [*batch, xm.shape[-1]])
    im = tf.broadcast_to(im, [*batch, im.shape[-1]])
    out = tf.gather(xm, im, batch_dims=len(batch))
    return moveaxis(out, -1, axis)


def sort(x: Any, axis: int | None = -1) -> tf.Tensor:
    if axis is None:
        x, axis = _flat(x), 0
    return tf.sort(x, axis=axis)


def outer(a: Any, b: Any) -> tf.Tensor:
    return tf.tensordot(_flat(a), _flat(b), axes=0)


def matmul(a: Any, b: Any) -> tf.Tensor:
    # tf.linalg.matmul wants matrices; NumPy promotes a 1-d operand and drops the dim after.
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    out = tf.linalg.matmul(a2, b2)
    if b.ndim == 1:
        out = out[..., 0]
    if a.ndim == 1:
        out = out[..., 0, :] if b.ndim > 1 else out[..., 0]
    return out


def dot(a: Any, b: Any) -> tf.Tensor:
    if a.ndim == 0 or b.ndim == 0:
        return tf.math.multiply(*_promote(a, b))
    if a.ndim == 1 and b.ndim == 1:
        return tf.tensordot(a, b, 1)
    if b.ndim <= 2:
        return matmul(a, b)
    return tf.tensordot(a, b, [[a.ndim - 1], [b.ndim - 2]])


def tensordot(a: Any, b: Any, axes: Any = 2) -> tf.Tensor:
    if not isinstance(axes, (int, np.integer)):
        axes = [[x] if isinstance(x, (int, np.integer)) else list(x) for x in axes]
    return tf.tensordot(a, b, axes)


# --- construction ----------------------------------------------------------------------------
def _np_dtype(dtype: Any) -> Any:
    return None if dtype is None else tf.as_dtype(dtype).as_numpy_dtype


def asarray(a: Any, dtype: Any = None) -> tf.Tensor:
    if tf.is_tensor(a):
        return a if dtype is None else tf.cast(a, tf.as_dtype(dtype))
    # Through NumPy, so that a Python float is float64 as in NumPy (TensorFlow: float32).
    return tf.convert_to_tensor(np.asarray(a, dtype=_np_dtype(dtype)))


def eye(n: int, dtype: Any = None) -> tf.Tensor:
    return tf.eye(n, dtype=tf.float64 if dtype is None else tf.as_dtype(dtype))


def arange(n: int) -> tf.Tensor:
    return tf.range(n, dtype=tf.int64)  # NumPy's default integer


# --- linalg ----------------------------------------------------------------------------------
def solve(a: Any, b: Any) -> tf.Tensor:
    vector = b.ndim == 1  # NumPy 2: b is a vector only when it is 1-d
    if vector:
        b = b[:, None]
    batch = tf.broadcast_static_shape(a.shape[:-2], b.shape[:-2]).as_list()
    a = tf.broadcast_to(a, [*batch, *a.shape[-2:]])
    b = tf.broadcast_to(b, [*batch, *b.shape[-2:]])
    out = tf.linalg.solve(a, b)
    return out[..., 0] if vector else out


def slogdet(a: Any) -> tuple[tf.Tensor, tf.Tensor]:
    return tuple(tf.linalg.slogdet(a))


def eigh(a: Any) -> tuple[tf.Tensor, tf.Tensor]:
    return tuple(tf.linalg.eigh(a))  # reads the lower triangle, as NumPy


def qr(a: Any) -> tuple[tf.Tensor, tf.Tensor]:
    return tuple(tf.linalg.qr(a, full_matrices=False))


def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
    if not compute_uv:
        return tf.linalg.svd(a, compute_uv=False)
    s, u, v = tf.linalg.svd(a, full_matrices=full_matrices)
    return u, s, tf.linalg.adjoint(v)  # TensorFlow returns v, NumPy vh


_VECTOR_ORDS_MISSING = (0, -np.inf)
_MATRIX_ORDS = ("fro", 1, 2, np.inf)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> tf.Tensor:  # noqa: A002
    if ord is None:
        return tf.norm(x, "euclidean", axis=axis, keepdims=keepdims)
    if axis is None:
        axis = 0 if x.ndim == 1 else (0, 1)
    matrix = isinstance(axis, (tuple, list)) and len(axis) == 2
    if matrix and ord not in _MATRIX_ORDS:
        raise Unsupported(f"tf.norm has no matrix norm of order {ord!r}")
    if not matrix and (isinstance(ord, str) or ord in _VECTOR_ORDS_MISSING or ord < 0):
        raise Unsupported(f"tf.norm has no vector norm of order {ord!r}")
    return tf.norm(x, ord, axis=axis, keepdims=keepdims)


# --- special and nn --------------------------------------------------------------------------
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    return tf.math.reduce_logsumexp(x, axis=_axis(axis), keepdims=keepdims)


# tf.nn's softmax normalizes over one axis; SciPy's over ``axis`` (None: all of them).
def softmax(x: Any, axis: Any = None) -> tf.Tensor:
    return over_axes(tf.nn.softmax, x, axis, moveaxis=moveaxis, reshape=tf.reshape)


def log_softmax(x: Any, axis: Any = None) -> tf.Tensor:
    return over_axes(tf.nn.log_softmax, x, axis, moveaxis=moveaxis, reshape=tf.reshape)


def gelu(x: Any) -> tf.Tensor:
    return tf.nn.gelu(x, approximate=False)


def grad(f: Any) -> Any:
    """``xp.grad(f)(x)`` for scalar ``f``: TensorFlow has no grad function, only the tape."""

    def df(x: Any) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)

    return df


# --- the discrete Fourier transform ------------------------------------------------------------
def _along_last(transform: Any, x: Any, n: int | None, axis: int) -> tf.Tensor:
    """``transform`` (tf.signal's, over the innermost axis of a complex tensor) along ``axis``,
    NumPy's way: a real input is taken as complex; ``n`` crops or zero-pads that axis."""
    x = _tensor(x)
    if not x.dtype.is_complex:
        x = tf.cast(x, tf.complex64 if x.dtype == tf.float32 else tf.complex128)
    x = moveaxis(x, axis, -1)
    if n is not None:
        have = x.shape[-1]
        if n < have:
            x = x[..., :n]
        elif n > have:
            x = tf.pad(x, [[0, 0]] * (x.shape.rank - 1) + [[0, n - have]])
    return moveaxis(transform(x), -1, axis)


def fft(x: Any, n: int | None = None, axis: int = -1) -> tf.Tensor:
    return _along_last(tf.signal.fft, x, n, axis)


def ifft(x: Any, n: int | None = None, axis: int = -1) -> tf.Tensor:
    return _along_last(tf.signal.ifft, x, n, axis)


# --- issue 17: order statistics, NaN-ignoring reductions, nn composites ----------------------
def cummax(x: Any, axis: int = -1) -> tf.Tensor:
    # TensorFlow has no cumulative maximum: a scan of tf.maximum along the axis (a composite;
    # tf.maximum's gradient at a tie goes to its first argument, the earlier maximum).
    axis %= x.ndim
    return moveaxis(tf.scan(tf.maximum, moveaxis(x, axis, 0)), 0, axis)


def topk(x: Any, k: int) -> tf.Tensor:
    return tf.math.top_k(x, k=k, sorted=True).values


def median(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    # TensorFlow has no median (tfp's percentile is outside TensorFlow): the mean of the two
    # middle entries of tf.sort, a composite.
    if isinstance(axis, (tuple, list)):
        raise Unsupported("the TensorFlow median composite takes one axis or None")
    flat = axis is None
    data, ax = (_flat(x), 0) if flat else (x, axis % x.ndim)
    n = data.shape[ax]
    middle = tf.gather(tf.sort(data, axis=ax), [(n - 1) // 2, n // 2], axis=ax)
    out = tf.math.reduce_mean(middle, axis=ax)
    if keepdims:
        out = tf.reshape(out, [1] * x.ndim if flat else
                         [1 if d == ax else m for d, m in enumerate(x.shape)])
    return out


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    return tf.experimental.numpy.nanmean(x, axis=_axis(axis), keepdims=keepdims)


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    return tf.experimental.numpy.nansum(x, axis=_axis(axis), keepdims=keepdims)


def layer_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> tf.Tensor:
    # tf.nn has moments and batch_normalization but no layer norm function (Keras's is a
    # layer): a composite of the two, over the last axis.
    mean_, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
    return tf.nn.batch_normalization(x, mean_, variance, bias, weight, eps)


def softmax_cross_entropy(logits: Any, labels: Any) -> tf.Tensor:
    return tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)


# ``tf.math`` ops that TensorFlow spells as NumPy does, and those it spells otherwise.
MATH_NAMES = """
negative abs sign exp expm1 log log1p sqrt square reciprocal sin cos tan sinh cosh tanh floor ceil
real imag conj angle
"""
MATH_RENAMES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
                "arccosh": "acosh", "arctanh": "atanh"}


def table() -> Table:
    """``{qualified name: (function, native | composite)}`` for the TensorFlow adapter."""
    binary = {
        "greater": _binary(tf.math.greater), "greater_equal": _binary(tf.math.greater_equal),
        "less": _binary(tf.math.less), "less_equal": _binary(tf.math.less_equal),
        "equal": _binary(tf.math.equal), "not_equal": _binary(tf.math.not_equal),
        "add": _binary(tf.math.add), "subtract": _binary(tf.math.subtract),
        "multiply": _binary(tf.math.multiply), "divide": _binary(tf.math.truediv),
        "power": _binary(tf.math.pow), "maximum": _binary(tf.math.maximum),
        "minimum": _binary(tf.math.minimum), "arctan2": _binary(tf.math.atan2),
    }
    wrappers = by_name(
        round, argmax, argmin, where, clip,
        sum, mean, prod, max, min, var, std, cumsum, cumprod, trace,
        reshape, transpose, swapaxes, moveaxis, expand_dims, squeeze, broadcast_to, concatenate,
        stack, split, tile, repeat, flip, roll, tril, triu, diagonal, diag, pad, take,
        take_along_axis, sort, outer, matmul, dot, tensordot, asarray, eye, arange, grad,
        topk, nanmean, nansum,
    )
    return {
        **table_from_names(tf.math, MATH_NAMES, renames=MATH_RENAMES,
                           overrides={**binary, **wrappers},
                           composites=by_name(exp2, log2, log10, cbrt, hypot, logaddexp,
                                              cummax, median)),
        **table_from_names(tf.experimental.numpy, "sinc"),
        **table_from_names(tf, "einsum zeros_like ones_like"),
        **table_from_names(tf.linalg, "inv det cholesky", "linalg.",
                           overrides=by_name(solve, slogdet, eigh, qr, svd, norm)),
        **table_from_names(tf.math, "erf erfc digamma", "special.",
                           renames={"expit": "sigmoid", "gammaln": "lgamma"},
                           overrides={"xlogy": _binary(tf.math.xlogy),
                                      **by_name(logsumexp, softmax, log_softmax)},
                           composites=by_name(logit)),
        **table_from_names(tf.math, "softplus log_sigmoid", "nn.",
                           overrides={"relu": tf.nn.relu, "gelu": gelu,
                                      **by_name(softmax_cross_entropy)},
                           composites=by_name(layer_norm)),
        **conv_xp.tensorflow_table(),
        **table_from_names(tf.signal, prefix="fft.", overrides=by_name(fft, ifft)),
        **transforms_xp.tensorflow_table(),
    }
