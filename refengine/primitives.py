"""Every primitive refengine knows, with its NumPy implementation.

Their derivatives live in ``refengine/derivatives.py``. Implementations only ever see plain
NumPy values (``bind`` strips every trace first). Composite functions (mean, var, stack, sort,
softmax, ...) are not here: ``refengine/numpy`` builds them from these primitives.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from refengine.primitive import Primitive

__all__ = [
    # elementwise unary
    "negative", "abs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "cbrt", "square", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    "expit", "logit", "erf", "erfc", "gammaln", "polygamma", "relu",
    # elementwise binary
    "add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "arctan2",
    "hypot", "logaddexp", "xlogy",
    # selection
    "where", "clip",
    # reductions
    "reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "cumsum", "cumprod",
    "logsumexp",
    # structure
    "reshape", "transpose", "broadcast_to", "concatenate", "getitem", "scatter_add", "flip",
    "roll", "tril", "triu", "diagonal", "pad", "astype",
    # contractions
    "matmul", "einsum",
    # linear algebra
    "inv", "solve", "det", "slogdet", "cholesky", "eigh", "qr", "svd", "norm2",
    # non-differentiable
    "sign", "floor", "ceil", "round", "greater", "greater_equal", "less", "less_equal",
    "equal", "not_equal", "logical_and", "logical_or", "logical_not", "isfinite", "isnan",
    "argmax", "argmin", "argsort", "zeros_like", "ones_like", "stop_gradient", "astype_discrete",
]


def _p(name: str, impl, **kw) -> Primitive:
    return Primitive(name, impl, **kw)


def _ew(name: str, impl) -> Primitive:
    return Primitive(name, impl, elementwise=True)


def _r(name: str, impl) -> Primitive:
    return Primitive(name, impl, reduction=True)


@functools.cache
def _sps():
    """``scipy.special``, imported on the first special function called: importing it takes
    longer than all of refengine, and most programs never call one."""
    import scipy.special

    return scipy.special


# --- elementwise unary -------------------------------------------------------------------------
negative = _ew("negative", np.negative)
abs = _ew("abs", np.abs)  # noqa: A001 - NumPy's name
exp = _ew("exp", np.exp)
exp2 = _ew("exp2", np.exp2)
expm1 = _ew("expm1", np.expm1)
log = _ew("log", np.log)
log2 = _ew("log2", np.log2)
log10 = _ew("log10", np.log10)
log1p = _ew("log1p", np.log1p)
sqrt = _ew("sqrt", np.sqrt)
cbrt = _ew("cbrt", np.cbrt)
square = _ew("square", np.square)
reciprocal = _ew("reciprocal", np.reciprocal)
sin = _ew("sin", np.sin)
cos = _ew("cos", np.cos)
tan = _ew("tan", np.tan)
arcsin = _ew("arcsin", np.arcsin)
arccos = _ew("arccos", np.arccos)
arctan = _ew("arctan", np.arctan)
sinh = _ew("sinh", np.sinh)
cosh = _ew("cosh", np.cosh)
tanh = _ew("tanh", np.tanh)
arcsinh = _ew("arcsinh", np.arcsinh)
arccosh = _ew("arccosh", np.arccosh)
arctanh = _ew("arctanh", np.arctanh)
expit = _ew("expit", lambda x: _sps().expit(x))
logit = _ew("logit", lambda x: _sps().logit(x))
erf = _ew("erf", lambda x: _sps().erf(x))
erfc = _ew("erfc", lambda x: _sps().erfc(x))
gammaln = _ew("gammaln", lambda x: _sps().gammaln(x))
# polygamma(n, x) with n a static order: digamma is order 0, and each derivative raises it.
polygamma = _ew("polygamma", lambda x, *, n: _sps().polygamma(n, x).astype(np.result_type(x)))
relu = _ew("relu", lambda x: np.maximum(x, np.zeros((), np.result_type(x))))

# --- elementwise binary ------------------------------------------------------------------------
add = _ew("add", np.add)
subtract = _ew("subtract", np.subtract)
multiply = _ew("multiply", np.multiply)
divide = _ew("divide", np.divide)
power = _ew("power", np.power)
maximum = _ew("maximum", np.maximum)
minimum = _ew("minimum", np.minimum)
arctan2 = _ew("arctan2", np.arctan2)
hypot = _ew("hypot", np.hypot)
logaddexp = _ew("logaddexp", np.logaddexp)
xlogy = _ew("xlogy", lambda x, y: _sps().xlogy(x, y))

# --- selection ---------------------------------------------------------------------------------
where = _ew("where", np.where)
clip = _ew("clip", np.clip)


# --- reductions (axis is always a tuple or None here) --------------------------------------------
# ufunc.reduce directly: np.sum and friends add a Python wrapper around exactly this call.
reduce_sum = _r("sum", lambda x, *, axis, keepdims: np.add.reduce(x, axis, keepdims=keepdims))
reduce_prod = _r(
    "prod", lambda x, *, axis, keepdims: np.multiply.reduce(x, axis, keepdims=keepdims)
)
reduce_max = _r("max", lambda x, *, axis, keepdims: np.maximum.reduce(x, axis, keepdims=keepdims))
reduce_min = _r("min", lambda x, *, axis, keepdims: np.minimum.reduce(x, axis, keepdims=keepdims))
cumsum = _p("cumsum", lambda x, *, axis: np.cumsum(x, axis=axis))
cumprod = _p("cumprod", lambda x, *, axis: np.cumprod(x, axis=axis))


def _logsumexp(x, *, axis, keepdims):
    # Max-shifted, in NumPy directly: SciPy's version costs ~50 us a call in array-API checks.
    shift = np.maximum.reduce(x, axis, keepdims=True)
    finite = np.isfinite(shift)
    if finite.all():  # the sum is at least 1: no log(0)
        out = np.log(np.add.reduce(np.exp(x - shift), axis, keepdims=True)) + shift
    else:
        shift = np.where(finite, shift, 0.0).astype(np.result_type(x))  # all -inf: -inf
        with np.errstate(divide="ignore"):
            out = np.log(np.add.reduce(np.exp(x - shift), axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis)


logsumexp = _r("logsumexp", _logsumexp)

# --- structure ---------------------------------------------------------------------------------
reshape = _p("reshape", lambda x, *, shape: np.asarray(x).reshape(shape))
transpose = _p(
    "transpose",
    lambda x, *, axes: x.transpose(axes) if type(x) is np.ndarray else np.transpose(x, axes),
)
def _broadcast_to(x, *, shape):
    # A small result is cheaper to fill than np.broadcast_to's view is to build; a large one
    # stays a view (no memory).
    if math.prod(shape) > 65536:
        return np.broadcast_to(x, shape)
    out = np.empty(shape, dtype=np.result_type(x))
    out[...] = x
    return out


broadcast_to = _p("broadcast_to", _broadcast_to)
concatenate = _p("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis))
getitem = _p("getitem", lambda x, *, index: x[index])


def _scatter_add(g, *, shape, index):
    dtype = g.dtype if type(g) is np.ndarray else np.result_type(g)
    parts = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in parts):
        out = np.zeros(shape, dtype=dtype)
        out[index] = g  # basic indexing and masks never repeat an element: plain assignment
        return out
    # Repeated integer indices accumulate (ufunc.at). Mixed with slices, ufunc.at walks a
    # sub-array per index entry, several times slower than its one-dimensional loop: for small
    # arrays, sum over the flat positions of the indexed elements instead (bincount).
    if (np.size(g) <= 65536 and not all(isinstance(i, np.ndarray) for i in parts)
            and np.dtype(dtype).kind != "c"):  # (bincount's weights are real)
        size = math.prod(shape)
        positions = np.arange(size).reshape(shape)[index]
        if np.shape(g) != positions.shape:
            g = np.broadcast_to(g, positions.shape)
        flat = np.bincount(positions.reshape(-1), weights=np.reshape(g, -1), minlength=size)
        return flat.reshape(shape).astype(dtype, copy=False)
    out = np.zeros(shape, dtype=dtype)
    np.add.at(out, index, g)
    return out


scatter_add = _p("scatter_add", _scatter_add)
flip = _p("flip", lambda x, *, axis: np.flip(x, axis))
roll = _p("roll", lambda x, *, shift, axis: np.roll(x, shift, axis))
tril = _p("tril", lambda x, *, k: np.tril(x, k))
triu = _p("triu", lambda x, *, k: np.triu(x, k))
# np.diagonal returns a read-only view; copy so results never alias their input.
diagonal = _p(
    "diagonal", lambda x, *, offset, axis1, axis2: np.diagonal(x, offset, axis1, axis2).copy()
)
pad = _p("pad", lambda x, *, pad_width, value: np.pad(x, pad_width, constant_values=value))


def _astype(x, *, dtype):
    if np.dtype(dtype).kind not in "fc":
        # Truncating a value to an integer (or testing it for non-zero) is piecewise constant:
        # its derivative is zero, not the cotangent passed through (see astype_discrete).
        raise TypeError(
            f"refengine primitive 'astype' casts between floating dtypes only, not to {dtype}; "
            "use rnp.astype (or x.astype), which casts to integer and boolean dtypes with a "
            "zero derivative, as rnp.floor"
        )
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind == "f":
        x = x.real  # NumPy's cast keeps the real part too, with a ComplexWarning
    return x.astype(dtype)


astype = _ew("astype", _astype)

# --- contractions ------------------------------------------------------------------------------
matmul = _p("matmul", np.matmul)
def _einsum(*xs, spec):
    # NumPy's path optimiser costs ~20 us a call: worth it only for three or more operands
    # or for large ones, where it can hand the contraction to BLAS.
    large = len(xs) > 2
    for x in xs:
        large = large or (x.size if type(x) is np.ndarray else np.size(x)) > 4096
    return np.einsum(spec, *xs, optimize=large)


einsum = _p("einsum", _einsum)

# --- linear algebra (batched over leading axes, as NumPy) ----------------------------------------
inv = _p("inv", np.linalg.inv)
solve = _p("solve", np.linalg.solve)
det = _p("det", np.linalg.det)
slogdet = _p("slogdet", lambda a: tuple(np.linalg.slogdet(a)), multiple_results=True)
cholesky = _p("cholesky", np.linalg.cholesky)
eigh = _p("eigh", lambda a: tuple(np.linalg.eigh(a)), multiple_results=True)
qr = _p("qr", lambda a: tuple(np.linalg.qr(a, mode="reduced")), multiple_results=True)
svd = _p(
    "svd", lambda a: tuple(np.linalg.svd(a, full_matrices=False)), multiple_results=True
)
norm2 = _r(
    "norm2",
    lambda x, *, axis, keepdims: np.linalg.vector_norm(x, axis=axis, keepdims=keepdims),
)

# --- non-differentiable (zero=True entries in the table): results are never traced ------------
sign = _p("sign", np.sign)
floor = _p("floor", np.floor)
ceil = _p("ceil", np.ceil)
round = _p("round", lambda x, *, decimals: np.round(x, decimals))  # noqa: A001
greater = _p("greater", np.greater)
greater_equal = _p("greater_equal", np.greater_equal)
less = _p("less", np.less)
less_equal = _p("less_equal", np.less_equal)
equal = _p("equal", np.equal)
not_equal = _p("not_equal", np.not_equal)
logical_and = _p("logical_and", np.logical_and)
logical_or = _p("logical_or", np.logical_or)
logical_not = _p("logical_not", np.logical_not)
isfinite = _p("isfinite", np.isfinite)
isnan = _p("isnan", np.isnan)
argmax = _p("argmax", lambda x, *, axis, keepdims: np.argmax(x, axis, keepdims=keepdims))
argmin = _p("argmin", lambda x, *, axis, keepdims: np.argmin(x, axis, keepdims=keepdims))
argsort = _p("argsort", lambda x, *, axis: np.argsort(x, axis=axis, kind="stable"))
zeros_like = _p("zeros_like", np.zeros_like)
ones_like = _p("ones_like", np.ones_like)
stop_gradient = _p("stop_gradient", lambda x: x)
# A cast to an integer or boolean dtype (x.astype(int), rnp.asarray(x, dtype=bool)).
astype_discrete = _p("astype_discrete", lambda x, *, dtype: np.asarray(x).astype(dtype))

# --- convolution (its own module: three primitives, NumPy implementations) ---------------------
from refengine.conv_primitives import conv, conv_transpose, conv_weight  # noqa: E402

__all__ += ["conv", "conv_transpose", "conv_weight"]
