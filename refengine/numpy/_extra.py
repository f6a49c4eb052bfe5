"""More of NumPy's functions that JAX differentiates, as composites: the NaN-ignoring reductions,
average, median, trapezoid, the array-API products (vdot, vecdot, matvec, vecmat) and names
(concat, matrix_transpose, unstack), full_like, float_power, copysign and diagflat."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine.numpy._axes import axis_one, axis_tuple, ndim, shape_of
from refengine.numpy._shape import (
    concatenate,
    diag,
    ravel,
    sort,
    swapaxes,
    take,
)
from refengine.primitive import dtype_of

__all__ = [
    "average", "concat", "copysign", "diagflat", "float_power", "full_like",
    "matrix_transpose", "matvec", "median", "nancumprod", "nancumsum", "nanmax", "nanmean",
    "nanmin", "nanprod", "nansum", "trapezoid", "unstack", "vdot", "vecdot", "vecmat",
]

concat = concatenate


def _rnp() -> Any:
    import refengine.numpy as rnp  # this module is part of it

    return rnp


def matrix_transpose(x: Any) -> Any:
    if ndim(x) < 2:
        raise ValueError("matrix_transpose needs an array of at least 2 dimensions")
    return swapaxes(x, -1, -2)


def unstack(x: Any, *, axis: int = 0) -> tuple[Any, ...]:
    axis = axis_one(axis, ndim(x))
    return tuple(take(x, i, axis=axis) for i in range(shape_of(x)[axis]))


def full_like(a: Any, fill_value: Any, dtype: Any = None) -> Any:
    return _rnp().full(shape_of(a), fill_value, dtype=dtype or dtype_of(a))


def float_power(x1: Any, x2: Any) -> Any:
    """``np.float_power``: power computed in float64."""
    rnp = _rnp()
    return P.power(rnp.astype(x1, np.float64), rnp.astype(x2, np.float64))


def copysign(x1: Any, x2: Any) -> Any:
    """|x1| with the sign bit of x2. The derivative in x1 is abs's times that sign (0 at
    x1 = 0, abs's convention); x2 only gives a sign, so its derivative is 0."""
    negative = np.signbit(np.asarray(P.stop_gradient(x2)))
    return P.abs(x1) * np.where(negative, -1.0, 1.0)


def diagflat(v: Any, k: int = 0) -> Any:
    return diag(ravel(v), k)


def vdot(a: Any, b: Any) -> Any:
    """``np.vdot``: the sum of the flattened arrays' products, ``a`` conjugated (a no-op on
    real values)."""
    return _rnp().sum(_rnp().conj(ravel(a)) * ravel(b))


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """``np.vecdot``: the sum of products along ``axis``, broadcast elsewhere, ``x1``
    conjugated (a no-op on real values)."""
    return _rnp().sum(_rnp().conj(x1) * x2, axis=axis)


def matvec(x1: Any, x2: Any, /) -> Any:
    """``np.matvec``: matrices (..., m, n) times vectors (..., n), batched."""
    return P.matmul(x1, x2[..., None])[..., 0]


def vecmat(x1: Any, x2: Any, /) -> Any:
    """``np.vecmat``: vectors (..., n) times matrices (..., n, m), batched."""
    return P.matmul(x1[..., None, :], x2)[..., 0, :]


def _nan_filled(a: Any, fill: float) -> tuple[Any, np.ndarray]:
    nan = np.asarray(P.isnan(a))
    return P.where(nan, fill, a), nan


def nansum(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Sums ignoring NaN: a NaN entry counts as 0 and has derivative 0."""
    return _rnp().sum(_nan_filled(a, 0.0)[0], axis=axis, keepdims=keepdims)


def nanprod(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return _rnp().prod(_nan_filled(a, 1.0)[0], axis=axis, keepdims=keepdims)


def nanmean(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The mean of the non-NaN entries (NaN where there are none, as NumPy, which warns)."""
    filled, nan = _nan_filled(a, 0.0)
    # The count in the input's dtype: an int64 count would promote a float32 mean to float64.
    count = np.sum(~nan, axis=axis_tuple(axis, ndim(a)), keepdims=keepdims).astype(dtype_of(a))
    with np.errstate(invalid="ignore", divide="ignore"):
        return _rnp().sum(filled, axis=axis, keepdims=keepdims) / count


def _nan_extreme(a: Any, axis: Any, keepdims: bool, largest: bool) -> Any:
    rnp = _rnp()
    filled, nan = _nan_filled(a, -np.inf if largest else np.inf)
    out = (rnp.max if largest else rnp.min)(filled, axis=axis, keepdims=keepdims)
    all_nan = np.all(nan, axis=axis_tuple(axis, ndim(a)), keepdims=keepdims)
    return P.where(all_nan, np.nan, out) if np.any(all_nan) else out


def nanmax(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The largest non-NaN entry (NaN for an all-NaN slice); max's convention at ties."""
    return _nan_extreme(a, axis, keepdims, largest=True)


def nanmin(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return _nan_extreme(a, axis, keepdims, largest=False)


def nancumsum(a: Any, axis: int | None = None) -> Any:
    return _rnp().cumsum(_nan_filled(a, 0.0)[0], axis=axis)


def nancumprod(a: Any, axis: int | None = None) -> Any:
    return _rnp().cumprod(_nan_filled(a, 1.0)[0], axis=axis)


def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *,
    keepdims: bool = False,
) -> Any:
    """``np.average``: the weighted mean; 1-d weights lie along a single ``axis``."""
    rnp = _rnp()
    if weights is None:
        out = rnp.mean(a, axis=axis, keepdims=keepdims)
        scale = math.prod(shape_of(a)) / max(math.prod(shape_of(out)), 1)
        return (out, rnp.full(shape_of(out), scale)) if returned else out
    if shape_of(weights) != shape_of(a):
        if axis is None or ndim(weights) != 1 or isinstance(axis, (tuple, list)):
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        ax = axis_one(axis, ndim(a))
        weights = rnp.reshape(weights, (1,) * ax + (-1,) + (1,) * (ndim(a) - ax - 1))
    total = rnp.sum(weights * rnp.ones_like(a), axis=axis, keepdims=keepdims)
    out = rnp.sum(a * weights, axis=axis, keepdims=keepdims) / total
    return (out, total) if returned else out


def median(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The middle entry, or the mean of the two middle ones, of the sorted values along
    ``axis``; each derivative goes to the entries chosen (sort's convention at ties)."""
    rnp = _rnp()
    nd = ndim(a)
    if axis is None:
        s, ax = sort(ravel(a), axis=0), 0
    else:
        ax = axis_one(axis, nd)
        s = sort(a, axis=ax)
    n = shape_of(s)[ax]
    mid = take(s, [(n - 1) // 2, n // 2], axis=ax)
    out = rnp.mean(mid, axis=ax)
    if keepdims:
        out = rnp.reshape(out, tuple(1 if axis is None or d == ax else m
                                     for d, m in enumerate(shape_of(a))))
    return out


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Any:
    """``np.trapezoid``: the trapezoidal rule along ``axis``, with sample points ``x`` (1-d, or
    shaped as y) or a uniform spacing ``dx``."""
    rnp = _rnp()
    axis = axis_one(axis, ndim(y))
    lead = (slice(None),) * axis
    if x is None:
        d = dx
    else:
        d = rnp.diff(x, axis=-1 if ndim(x) == 1 else axis)
        if ndim(x) == 1:
            d = rnp.reshape(d, (1,) * axis + (-1,) + (1,) * (ndim(y) - axis - 1))
    mids = (y[(*lead, slice(1, None))] + y[(*lead, slice(None, -1))]) / 2.0
    return rnp.sum(d * mids, axis=axis)
