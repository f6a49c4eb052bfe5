"""NumPy-named functions that refengine can differentiate: ``import refengine.numpy as rnp``.

Elementwise functions are the primitives themselves. The rest normalise NumPy's arguments
(axis=None, negative axes, -1 in shapes) and call primitives, or are composites built from
primitives, in which case their derivative follows from the primitives' rules. Every function
accepts plain arrays (and then returns plain NumPy results) and traced values alike.
"""

from __future__ import annotations

import builtins
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine.array_ops import normalize_index
from refengine.numpy import linalg, nn, special
from refengine.numpy._einsum import einsum, parse_einsum
from refengine.primitive import Tracer, dtype_of

__all__ = [
    "linalg", "special", "nn",
    # elementwise
    "negative", "positive", "abs", "absolute", "sign", "exp", "exp2", "expm1", "log", "log2",
    "log10", "log1p", "sqrt", "cbrt", "square", "reciprocal", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "floor",
    "ceil", "round", "add", "subtract", "multiply", "divide", "true_divide", "power",
    "maximum", "minimum", "arctan2", "hypot", "logaddexp",
    # selection and comparison
    "where", "clip", "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "logical_and", "logical_or", "logical_not", "isfinite", "isnan",
    # reductions
    "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "cumsum", "cumprod",
    "trace", "argmax", "argmin",
    # shape and indexing
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze",
    "broadcast_to", "concatenate", "stack", "hstack", "vstack", "split", "tile", "repeat",
    "flip", "roll", "tril", "triu", "diagonal", "diag", "pad", "take", "take_along_axis",
    "sort", "argsort", "outer", "einsum", "matmul", "dot", "tensordot", "astype", "grad",
    # construction and constants
    "array", "asarray", "zeros", "ones", "zeros_like", "ones_like", "full", "eye", "arange",
    "linspace", "shape", "ndim", "size", "stop_gradient", "float32", "float64", "int32",
    "int64", "bool_", "pi", "e", "inf", "nan", "newaxis", "parse_einsum",
]

# --- elementwise: the primitives themselves --------------------------------------------------
negative = P.negative
abs = P.abs  # noqa: A001
absolute = P.abs
sign = P.sign
exp = P.exp
exp2 = P.exp2
expm1 = P.expm1
log = P.log
log2 = P.log2
log10 = P.log10
log1p = P.log1p
sqrt = P.sqrt
cbrt = P.cbrt
square = P.square
reciprocal = P.reciprocal
sin = P.sin
cos = P.cos
tan = P.tan
arcsin = P.arcsin
arccos = P.arccos
arctan = P.arctan
sinh = P.sinh
cosh = P.cosh
tanh = P.tanh
arcsinh = P.arcsinh
arccosh = P.arccosh
arctanh = P.arctanh
floor = P.floor
ceil = P.ceil
add = P.add
subtract = P.subtract
multiply = P.multiply
divide = P.divide
true_divide = P.divide
power = P.power
maximum = P.maximum
minimum = P.minimum
arctan2 = P.arctan2
hypot = P.hypot
logaddexp = P.logaddexp
greater = P.greater
greater_equal = P.greater_equal
less = P.less
less_equal = P.less_equal
equal = P.equal
not_equal = P.not_equal
logical_and = P.logical_and
logical_or = P.logical_or
logical_not = P.logical_not
isfinite = P.isfinite
isnan = P.isnan
matmul = P.matmul
stop_gradient = P.stop_gradient

float32 = np.float32
float64 = np.float64
int32 = np.int32
int64 = np.int64
bool_ = np.bool_
pi = np.pi
e = np.e
inf = np.inf
nan = np.nan
newaxis = None

zeros = np.zeros
ones = np.ones
full = np.full
eye = np.eye
arange = np.arange
linspace = np.linspace


def grad(f: Any, argnums: Any = 0) -> Any:
    """``rf.grad``, reachable from the namespace for nested-derivative cases (``xp.grad``)."""
    from refengine.api import grad as _grad  # refengine.api imports this module

    return _grad(f, argnums)


def _shape_of(a: Any) -> tuple[int, ...]:
    # Arrays, NumPy scalars and tracers all carry .shape; np.shape is for Python scalars/lists.
    try:
        return a.shape
    except AttributeError:
        return np.shape(a)


shape = _shape_of


def ndim(a: Any) -> int:
    return len(shape(a))


def size(a: Any) -> int:
    return math.prod(shape(a))


def zeros_like(a: Any, dtype: Any = None) -> np.ndarray:
    return np.zeros(shape(a), dtype=dtype or dtype_of(a))


def ones_like(a: Any, dtype: Any = None) -> np.ndarray:
    return np.ones(shape(a), dtype=dtype or dtype_of(a))


def _contains_tracer(obj: Any) -> bool:
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(_contains_tracer(o) for o in obj)
    return False


def array(obj: Any, dtype: Any = None) -> Any:
    """``np.array``, except that a (nested) list holding traced values is stacked, traced."""
    if _contains_tracer(obj):
        if isinstance(obj, Tracer):
            out = obj
        else:
            out = stack([array(o) for o in obj])
        return out if dtype is None else astype(out, dtype)
    return np.array(obj, dtype=dtype)


def asarray(obj: Any, dtype: Any = None) -> Any:
    if isinstance(obj, Tracer) and (dtype is None or np.dtype(dtype) == obj.dtype):
        return obj
    return array(obj, dtype)


def astype(x: Any, dtype: Any) -> Any:
    dtype = np.dtype(dtype)
    return x if dtype_of(x) == dtype else P.astype(x, dtype=dtype)


def round(a: Any, decimals: int = 0) -> Any:  # noqa: A001
    return P.round(a, decimals=decimals)


# --- selection -------------------------------------------------------------------------------
def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None or y is None:
        raise TypeError("rnp.where needs all three arguments (condition, x, y)")
    if isinstance(condition, Tracer):
        raise TypeError(
            "rnp.where's condition must be boolean data, not a traced value; compare first "
            "(rnp.where(x > 0, ...))"
        )
    return P.where(np.asarray(condition, dtype=bool), x, y)


def clip(a: Any, a_min: Any = None, a_max: Any = None) -> Any:
    if a_min is None and a_max is None:
        raise ValueError("rnp.clip needs at least one of a_min and a_max")
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    return P.clip(a, lo, hi)


# --- axes ------------------------------------------------------------------------------------
def _axis_tuple(axis: Any, nd: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(nd))
    if type(axis) is int and 0 <= axis < nd:  # the common case, already normal
        return (axis,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for ax in axes:
        ax = int(ax)
        if not -nd <= ax < builtins.max(nd, 1):
            raise np.exceptions.AxisError(ax, nd)
        out.append(ax % nd if nd else 0)
    return tuple(out)


def _axis_one(axis: int, nd: int) -> int:
    if not -nd <= axis < nd:
        raise np.exceptions.AxisError(axis, nd)
    return axis % nd


# --- reductions ------------------------------------------------------------------------------
def sum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    out = P.reduce_sum(a, axis=_axis_tuple(axis, ndim(a)), keepdims=keepdims)
    return out if dtype is None else astype(out, dtype)


def mean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    axes = _axis_tuple(axis, ndim(a))
    count = math.prod(shape(a)[i] for i in axes)
    # Divide by a Python int: weakly typed, so float32 stays float32.
    out = P.reduce_sum(a, axis=axes, keepdims=keepdims) / count
    return out if dtype is None else astype(out, dtype)


def var(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    axes = _axis_tuple(axis, ndim(a))
    count = math.prod(shape(a)[i] for i in axes)
    centred = a - mean(a, axis=axes, keepdims=True)
    return P.reduce_sum(centred * centred, axis=axes, keepdims=keepdims) / (count - ddof)


def std(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    return sqrt(var(a, axis=axis, ddof=ddof, keepdims=keepdims))


def prod(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return P.reduce_prod(a, axis=_axis_tuple(axis, ndim(a)), keepdims=keepdims)


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return P.reduce_max(a, axis=_axis_tuple(axis, ndim(a)), keepdims=keepdims)


def min(a: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return P.reduce_min(a, axis=_axis_tuple(axis, ndim(a)), keepdims=keepdims)


amax = max
amin = min


def cumsum(a: Any, axis: int | None = None) -> Any:
    if axis is None:
        return P.cumsum(ravel(a), axis=0)
    return P.cumsum(a, axis=_axis_one(axis, ndim(a)))


def cumprod(a: Any, axis: int | None = None) -> Any:
    if axis is None:
        return P.cumprod(ravel(a), axis=0)
    return P.cumprod(a, axis=_axis_one(axis, ndim(a)))


def argmax(a: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    return P.argmax(a, axis=axis, keepdims=keepdims)


def argmin(a: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    return P.argmin(a, axis=axis, keepdims=keepdims)


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    return sum(diagonal(a, offset, axis1, axis2), axis=-1)


# --- shape -----------------------------------------------------------------------------------
def _resolve_shape(newshape: Any, total: int) -> tuple[int, ...]:
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    if -1 in newshape:
        known = math.prod(n for n in newshape if n != -1)
        newshape = tuple(total // known if known and n == -1 else n for n in newshape)
    if math.prod(newshape) != total:
        raise ValueError(f"cannot reshape array of size {total} into shape {newshape}")
    return tuple(int(n) for n in newshape)


def reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None) -> Any:
    target = _resolve_shape(shape if shape is not None else newshape, size(a))
    if order == "F":
        reversed_shape = target[::-1]
        return transpose(reshape(transpose(a), reversed_shape))
    if order != "C":
        raise ValueError(f"rnp.reshape supports order 'C' and 'F', not {order!r}")
    if target == _shape_of(a):
        return a
    return P.reshape(a, shape=target)


def ravel(a: Any) -> Any:
    return reshape(a, (-1,))


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    nd = ndim(a)
    axes = tuple(range(nd))[::-1] if axes is None else tuple(_axis_one(x, nd) for x in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"axes {axes} don't match array of {nd} dimensions")
    if axes == tuple(range(nd)):
        return a
    return P.transpose(a, axes=axes)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    nd = ndim(a)
    axes = list(range(nd))
    i, j = _axis_one(axis1, nd), _axis_one(axis2, nd)
    axes[i], axes[j] = axes[j], axes[i]
    return transpose(a, axes)


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    nd = ndim(a)
    src = _axis_tuple(source, nd)
    dst = _axis_tuple(destination, nd)
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def expand_dims(a: Any, axis: Any) -> Any:
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out_nd = ndim(a) + len(axes)
    axes = _axis_tuple(axes, out_nd)
    it = iter(shape(a))
    return reshape(a, tuple(1 if d in axes else next(it) for d in range(out_nd)))


def squeeze(a: Any, axis: Any = None) -> Any:
    shp = shape(a)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shp) if n == 1)
    else:
        axes = _axis_tuple(axis, len(shp))
        if builtins.any(shp[i] != 1 for i in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape(a, tuple(n for i, n in enumerate(shp) if i not in axes))


def broadcast_to(a: Any, shape: Any) -> Any:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    np.broadcast_shapes(_shape_of(a), shape)  # NumPy's own error for a bad shape
    if _shape_of(a) == shape:
        return a
    return P.broadcast_to(a, shape=shape)


def concatenate(arrays: Sequence[Any], axis: int | None = 0) -> Any:
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(x) for x in arrays]
        axis = 0
    return P.concatenate(*arrays, axis=_axis_one(axis, ndim(arrays[0])))


def stack(arrays: Sequence[Any], axis: int = 0) -> Any:
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to stack")
    axis = _axis_one(axis, ndim(arrays[0]) + 1)
    return concatenate([expand_dims(x, axis) for x in arrays], axis=axis)


def hstack(arrays: Sequence[Any]) -> Any:
    arrays = list(arrays)
    return concatenate(arrays, axis=0 if ndim(arrays[0]) == 1 else 1)


def vstack(arrays: Sequence[Any]) -> Any:
    return concatenate([reshape(x, (1, -1)) if ndim(x) == 1 else x for x in arrays], axis=0)


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    axis = _axis_one(axis, ndim(ary))
    n = shape(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0, *indices_or_sections, n]
    lead = (slice(None),) * axis
    return [ary[(*lead, slice(a, b))] for a, b in itertools.pairwise(bounds)]


def tile(A: Any, reps: Any) -> Any:  # noqa: N803 - NumPy's name
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    nd = builtins.max(ndim(A), len(reps))
    a = reshape(A, (1,) * (nd - ndim(A)) + shape(A))
    reps = (1,) * (nd - len(reps)) + reps
    index = np.ix_(*[np.tile(np.arange(n), r) for n, r in zip(shape(a), reps)])
    return a[index]


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis_one(axis, ndim(a))
    index = np.repeat(np.arange(shape(a)[axis]), repeats)
    return a[(slice(None),) * axis + (index,)]


def flip(m: Any, axis: Any = None) -> Any:
    return P.flip(m, axis=_axis_tuple(axis, ndim(m)))


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    if axis is None:
        return reshape(P.roll(ravel(a), shift=shift, axis=0), shape(a))
    return P.roll(a, shift=shift, axis=axis)


def tril(m: Any, k: int = 0) -> Any:
    return P.tril(m, k=k)


def triu(m: Any, k: int = 0) -> Any:
    return P.triu(m, k=k)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    nd = ndim(a)
    return P.diagonal(a, offset=offset, axis1=_axis_one(axis1, nd), axis2=_axis_one(axis2, nd))


def diag(v: Any, k: int = 0) -> Any:
    if ndim(v) == 2:
        return diagonal(v, k)
    if ndim(v) != 1:
        raise ValueError("rnp.diag takes a 1-d or 2-d input")
    n = shape(v)[0] + builtins.abs(k)
    rows = np.arange(shape(v)[0]) + builtins.max(-k, 0)
    return P.scatter_add(v, shape=(n, n), index=(rows, rows + k))


def pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: float = 0) -> Any:
    if mode != "constant":
        raise NotImplementedError(f"rnp.pad supports mode='constant' only, not {mode!r}")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (ndim(array), 2))
    return P.pad(array, pad_width=tuple(map(tuple, widths.tolist())), value=constant_values)


def take(a: Any, indices: Any, axis: int | None = None) -> Any:
    if axis is None:
        return ravel(a)[normalize_index(indices)]
    axis = _axis_one(axis, ndim(a))
    return a[(slice(None),) * axis + (normalize_index(indices),)]


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Any:
    if axis is None:
        return ravel(arr)[normalize_index(indices)]
    nd = ndim(arr)
    axis = _axis_one(axis, nd)
    indices = normalize_index(indices)
    index = []
    for d in range(nd):
        if d == axis:
            index.append(indices)
        else:
            n = shape(arr)[d]
            index.append(np.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1)))
    return arr[tuple(index)]


def argsort(a: Any, axis: int = -1) -> Any:
    return P.argsort(a, axis=axis)


def sort(a: Any, axis: int | None = -1) -> Any:
    """Sort by gathering at the stable argsort: ties keep their order, and each entry's
    gradient goes to the position it came from."""
    if axis is None:
        a, axis = ravel(a), 0
    return take_along_axis(a, argsort(a, axis=axis), axis)


def outer(a: Any, b: Any) -> Any:
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def dot(a: Any, b: Any) -> Any:
    if ndim(a) == 0 or ndim(b) == 0:
        return a * b
    if ndim(b) <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    na, nb = ndim(a), ndim(b)
    if isinstance(axes, (int, np.integer)):
        axes_a = list(range(na - axes, na))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = ([x] if isinstance(x, int) else list(x) for x in axes)
    axes_a = [x % na for x in axes_a]
    axes_b = [x % nb for x in axes_b]
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for i, j in zip(axes_a, axes_b):
        sb[j] = sa[i]
    out = [s for i, s in enumerate(sa) if i not in axes_a]
    out += [s for j, s in enumerate(sb) if j not in axes_b]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)
