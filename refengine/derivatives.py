"""The derivative table: one entry per primitive.

Format of an entry::

    defrule(primitive,
            vjp=(rule for argument 0, rule for argument 1, ...),   # reverse mode
            jvp=(rule for argument 0, rule for argument 1, ...),   # forward mode
            note="the convention at every non-differentiable point")

    VJP rule:  (g, ans, *args, **params) -> cotangent for that argument
    JVP rule:  (t, ans, *args, **params) -> that argument's contribution to the output tangent

``g`` is the cotangent of the output, ``t`` the tangent of the argument, ``ans`` the output and
``args``/``params`` the primitive's operands and static parameters. For an elementwise
primitive whose derivative is a pointwise factor, ``partials=(d/dx0, d/dx1, ...)``, each
``(ans, *args) -> factor``, stands for ``vjp = g * factor`` and ``jvp = t * factor``. ``None``
means the argument is data (indices, a condition) and has no derivative. Variadic primitives
(concatenate, einsum) give a function of the argument position instead of a tuple.

Rules return cotangents of the *output's* shape and dtype where broadcasting happened; the engine
sums them back to the argument's shape and casts to its dtype in one place
(``refengine.traces.unbroadcast``). Rules are written in refengine's own functions, so they can
themselves be differentiated: that is how second and higher derivatives work.

Cotangents may be *compact* (size 1, or absent, along axes where they are constant: the sum's
rule sends ``g`` back without broadcasting it). Elementwise and reduction rules receive them as
they are, so write them to broadcast (``(g * 2.0) * x``: the small ``g`` scaled first); every
other rule receives the full cotangent (``ReverseTrace.backward`` broadcasts it first).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine import primitives as P
from refengine.primitive import Primitive, Tracer, dtype_of
from refengine.traces import unbroadcast

__all__ = ["NON_DIFFERENTIABLE", "TABLE", "defrule"]

TABLE: dict[str, Primitive] = {}


def defrule(
    prim: Primitive,
    *,
    vjp: Any = None,
    jvp: Any = None,
    partials: tuple[Any, ...] | None = None,
    note: str = "",
) -> None:
    """Register one primitive's derivative rules (the one registration form)."""
    if partials is not None:
        if vjp is not None or jvp is not None:
            raise ValueError(f"{prim.name}: give either partials or vjp/jvp, not both")
        vjp = tuple(None if d is None else _scaled_by(d, len(partials)) for d in partials)
        jvp = vjp
    if vjp is None or jvp is None:
        raise ValueError(f"{prim.name}: a rule needs both vjp and jvp")
    if prim.name in TABLE:
        raise ValueError(f"{prim.name}: registered twice")
    if not callable(vjp):
        vjp, jvp = tuple(vjp), tuple(jvp)
        if [r is None for r in vjp] != [r is None for r in jvp]:
            raise ValueError(f"{prim.name}: vjp and jvp disagree on which arguments are data")
        prim.data_args = frozenset(i for i, r in enumerate(vjp) if r is None)
    prim.vjp, prim.jvp, prim.note = vjp, jvp, note
    TABLE[prim.name] = prim


def _scaled_by(partial, arity):
    if arity == 1:  # (the common arities spelled out: no argument tuple to pack per call)
        return lambda g, ans, x, **params: g * partial(ans, x, **params)
    if arity == 2:
        return lambda g, ans, x, y, **params: g * partial(ans, x, y, **params)
    return lambda g, ans, *args, **params: g * partial(ans, *args, **params)


def _shape(x: Any) -> tuple[int, ...]:
    return x.shape  # rules see arrays, NumPy scalars or tracers: all have .shape


@functools.cache
def _swapped_axes(nd: int) -> tuple[int, ...]:
    return (*range(nd - 2), nd - 1, nd - 2)


def _swap(x: Any) -> Any:
    nd = rnp.ndim(x)
    if nd < 2:
        return rnp.swapaxes(x, -1, -2)  # raises NumPy's error
    return P.transpose(x, axes=_swapped_axes(nd))


def _keepdims(g: Any, x_shape: tuple[int, ...], axis: tuple[int, ...], keepdims: bool) -> Any:
    """Give a reduction's output cotangent the reduced axes back (as size 1). A compact g
    (see traces.unbroadcast: fewer axes, or size 1 where the output has more) stays so."""
    if keepdims:
        return g
    return P.reshape(g, shape=_kept_shape(_shape(g), len(x_shape), tuple(axis)))


@functools.lru_cache(maxsize=1024)
def _kept_shape(g_shape: tuple[int, ...], nd: int, axis: tuple[int, ...]) -> tuple[int, ...]:
    kept = iter((1,) * (nd - len(axis) - len(g_shape)) + tuple(g_shape))
    return tuple(1 if i in axis else next(kept) for i in range(nd))


# ============================================================================================
# Elementwise, one argument                       d/dx as a function of (ans, x)
# ============================================================================================
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

defrule(P.negative, vjp=(lambda g, ans, x: -g,), jvp=(lambda t, ans, x: -t,))
defrule(P.abs, partials=(lambda ans, x: rnp.sign(x),),
        note="abs'(0) = 0: the minimum-norm subgradient (as PyTorch and TensorFlow; JAX gives 1)")
defrule(P.exp, partials=(lambda ans, x: ans,))
defrule(P.exp2, partials=(lambda ans, x: ans * _LN2,))
defrule(P.expm1, partials=(lambda ans, x: ans + 1.0,))
defrule(P.log, partials=(lambda ans, x: 1.0 / x,), note="log'(0) = +inf")
defrule(P.log2, partials=(lambda ans, x: 1.0 / (x * _LN2),))
defrule(P.log10, partials=(lambda ans, x: 1.0 / (x * _LN10),))
defrule(P.log1p, partials=(lambda ans, x: 1.0 / (x + 1.0),))
defrule(P.sqrt, partials=(lambda ans, x: 0.5 / ans,),
        note="sqrt'(0) = +inf (the limit from the right), as every framework")
defrule(P.cbrt, partials=(lambda ans, x: 1.0 / (3.0 * ans * ans),), note="cbrt'(0) = +inf")
defrule(P.square, vjp=(lambda g, ans, x: (g * 2.0) * x,),  # 2 g first: g may be compact
        jvp=(lambda t, ans, x: (t * 2.0) * x,))
defrule(P.reciprocal, partials=(lambda ans, x: -(ans * ans),))
defrule(P.sin, partials=(lambda ans, x: rnp.cos(x),))
defrule(P.cos, partials=(lambda ans, x: -rnp.sin(x),))
defrule(P.tan, partials=(lambda ans, x: 1.0 + ans * ans,))
defrule(P.arcsin, partials=(lambda ans, x: 1.0 / rnp.sqrt(1.0 - x * x),),
        note="arcsin'(+-1) = +inf")
defrule(P.arccos, partials=(lambda ans, x: -1.0 / rnp.sqrt(1.0 - x * x),),
        note="arccos'(+-1) = -inf")
defrule(P.arctan, partials=(lambda ans, x: 1.0 / (1.0 + x * x),))
defrule(P.sinh, partials=(lambda ans, x: rnp.cosh(x),))
defrule(P.cosh, partials=(lambda ans, x: rnp.sinh(x),))
defrule(P.tanh, partials=(lambda ans, x: 1.0 - ans * ans,))
defrule(P.arcsinh, partials=(lambda ans, x: 1.0 / rnp.sqrt(x * x + 1.0),))
defrule(P.arccosh, partials=(lambda ans, x: 1.0 / rnp.sqrt(x * x - 1.0),),
        note="arccosh'(1) = +inf")
defrule(P.arctanh, partials=(lambda ans, x: 1.0 / (1.0 - x * x),), note="arctanh'(+-1) = +inf")
defrule(P.expit, partials=(lambda ans, x: ans * (1.0 - ans),))
defrule(P.logit, partials=(lambda ans, x: 1.0 / (x * (1.0 - x)),), note="logit'(0 or 1) = +inf")
defrule(P.erf, partials=(lambda ans, x: _TWO_OVER_SQRT_PI * rnp.exp(-(x * x)),))
defrule(P.erfc, partials=(lambda ans, x: -_TWO_OVER_SQRT_PI * rnp.exp(-(x * x)),))
defrule(P.gammaln, partials=(lambda ans, x: P.polygamma(x, n=0),),
        note="d/dx log|Gamma(x)| = digamma(x); poles at 0, -1, -2, ...")
defrule(P.polygamma, partials=(lambda ans, x, *, n: P.polygamma(x, n=n + 1),))
defrule(P.relu, partials=(lambda ans, x: rnp.greater(x, 0),),
        note="relu'(0) = 0 (as PyTorch, JAX and TensorFlow)")


# ============================================================================================
# Elementwise, two arguments
# ============================================================================================
def _tie_share(x: Any, y: Any, dtype: np.dtype) -> np.ndarray:
    """1 where x wins, 1/2 at a tie, 0 where y wins: a constant (comparisons are data)."""
    return (rnp.greater(x, y) + 0.5 * rnp.equal(x, y)).astype(dtype)


def _pow_dx(ans: Any, x: Any, y: Any) -> Any:
    # y * x**(y-1). At y == 0 the function is constant in x, so the factor is 0 there even at
    # x == 0 where 0 * inf would give NaN.
    factor = y * rnp.power(x, y - 1.0)
    if isinstance(y, (int, float)) and y != 0:
        return factor
    return rnp.where(rnp.equal(y, 0), 0.0, factor)


def _pow_dy(ans: Any, x: Any, y: Any) -> Any:
    # x**y * log(x). At x == 0 the limit for y > 0 is 0 (ans is 0 there), not 0 * -inf = NaN.
    safe_x = rnp.where(rnp.equal(x, 0), 1.0, x)
    return rnp.where(rnp.equal(x, 0), 0.0, ans * rnp.log(safe_x))


def _hypot_d(ans: Any, a: Any) -> Any:
    return a / ans


defrule(P.add, vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
        jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: t))
defrule(P.subtract, vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -unbroadcast(g, y.shape, y.dtype)),
        jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: -t))
defrule(P.multiply, partials=(lambda ans, x, y: y, lambda ans, x, y: x))
defrule(P.divide, partials=(lambda ans, x, y: 1.0 / y, lambda ans, x, y: -ans / y))
defrule(P.power, partials=(_pow_dx, _pow_dy),
        note="d/dx x**y = 0 where y == 0 (also at x == 0); d/dy x**y = 0 where x == 0 "
             "(the limit for y > 0); d/dy is NaN for x < 0 (no real logarithm)")
defrule(P.maximum,
        partials=(lambda ans, x, y: _tie_share(x, y, dtype_of(ans)),
                  lambda ans, x, y: _tie_share(y, x, dtype_of(ans))),
        note="at a tie x == y each argument gets half of the gradient (as JAX and PyTorch)")
defrule(P.minimum,
        partials=(lambda ans, x, y: _tie_share(y, x, dtype_of(ans)),
                  lambda ans, x, y: _tie_share(x, y, dtype_of(ans))),
        note="at a tie x == y each argument gets half of the gradient (as JAX and PyTorch)")
defrule(P.arctan2,
        partials=(lambda ans, y, x: x / (x * x + y * y), lambda ans, y, x: -y / (x * x + y * y)),
        note="arctan2 at (0, 0) has no derivative: NaN (0/0)")
defrule(P.hypot, partials=(lambda ans, x, y: _hypot_d(ans, x), lambda ans, x, y: _hypot_d(ans, y)),
        note="hypot at (0, 0) has no derivative: NaN (0/0)")
defrule(P.logaddexp,
        partials=(lambda ans, x, y: rnp.exp(x - ans), lambda ans, x, y: rnp.exp(y - ans)))
defrule(P.xlogy,
        partials=(lambda ans, x, y: rnp.log(y),
                  lambda ans, x, y: rnp.where(rnp.equal(x, 0), 0.0, x / y)),
        note="d/dy xlogy(x, y) = 0 where x == 0 (xlogy is 0 there for every y)")


# ============================================================================================
# Selection
# ============================================================================================
defrule(P.where,
        vjp=(None, lambda g, ans, c, x, y: rnp.where(c, g, 0.0),
             lambda g, ans, c, x, y: rnp.where(c, 0.0, g)),
        jvp=(None, lambda t, ans, c, x, y: rnp.where(c, t, 0.0),
             lambda t, ans, c, x, y: rnp.where(c, 0.0, t)),
        note="the unselected branch gets exactly 0, but a NaN or inf computed in it still leaks "
             "upstream through its own rule (0 * inf): the 'where trap', as in every framework")
defrule(P.clip,
        partials=(lambda ans, x, lo, hi: rnp.logical_and(rnp.greater_equal(x, lo),
                                                         rnp.less_equal(x, hi)),
                  lambda ans, x, lo, hi: rnp.less(x, lo),
                  lambda ans, x, lo, hi: rnp.greater(x, hi)),
        note="at x == a bound the gradient goes to x (1), not to the bound (as PyTorch)")


# ============================================================================================
# Reductions (axis is a tuple of non-negative ints)
# ============================================================================================
def _sum_vjp(g, ans, x, *, axis, keepdims):
    # g is constant along the summed axes: sent back compact (the engine broadcasts it for a
    # rule that needs it in full). Summed leading axes need not even be given back.
    if keepdims or axis == tuple(range(len(axis))):
        return g
    return _keepdims(g, _shape(x), axis, keepdims)


def _extreme_share(ans, x, axis, keepdims):
    """Equal shares of the gradient for the entries that attain the max (or min)."""
    hit = rnp.equal(x, _keepdims(ans, _shape(x), axis, keepdims))
    count = np.sum(hit, axis=axis, keepdims=True)
    if np.all(count == 1):  # no ties: the share is the indicator itself
        return hit
    return (hit / count).astype(dtype_of(ans))


def _extreme_vjp(g, ans, x, *, axis, keepdims):
    return _keepdims(g, _shape(x), axis, keepdims) * _extreme_share(ans, x, axis, keepdims)


def _extreme_jvp(t, ans, x, *, axis, keepdims):
    return rnp.sum(t * _extreme_share(ans, x, axis, keepdims), axis=axis, keepdims=keepdims)


def _prod_of_others(x, axis):
    """prod over `axis` of every entry but this one, without dividing (so zeros are fine):
    the product of the entries before it times the product of those after it."""
    shape = _shape(x)
    rest = [i for i in range(len(shape)) if i not in axis]
    moved = rnp.transpose(x, rest + list(axis))
    flat = rnp.reshape(moved, (*(shape[i] for i in rest), -1))
    ones = np.ones((*_shape(flat)[:-1], 1), dtype=dtype_of(x))
    before = rnp.cumprod(rnp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = rnp.flip(rnp.cumprod(rnp.flip(
        rnp.concatenate([flat[..., 1:], ones], axis=-1), axis=-1), axis=-1), axis=-1)
    others = rnp.reshape(before * after, _shape(moved))
    return rnp.transpose(others, np.argsort(rest + list(axis)).tolist())


def _prod_vjp(g, ans, x, *, axis, keepdims):
    return _keepdims(g, _shape(x), axis, keepdims) * _prod_of_others(x, axis)


def _prod_jvp(t, ans, x, *, axis, keepdims):
    return rnp.sum(t * _prod_of_others(x, axis), axis=axis, keepdims=keepdims)


def _reverse_cumsum(x, axis):
    return rnp.flip(rnp.cumsum(rnp.flip(x, axis), axis=axis), axis)


def _slice_along(x, axis, index):
    return x[(slice(None),) * axis + (index,)]


def _has_zero(x) -> bool:
    # Which formula to use is decided on the value (like a data-dependent branch).
    while isinstance(x, Tracer):
        x = x._value
    return bool(np.any(np.asarray(x) == 0))


def _cumprod_vjp(g, ans, x, *, axis):
    if not _has_zero(x):
        return _reverse_cumsum(g * ans, axis) / x
    # d ans_j / d x_k = prod_{i<k} x_i * prod_{k<i<=j} x_i; accumulate the second factor from
    # the end (s_k = g_k + x_{k+1} s_{k+1}) so no division by a zero entry is needed.
    n = _shape(x)[axis]
    s = _slice_along(g, axis, n - 1)
    suffix = [s]
    for k in range(n - 2, -1, -1):
        s = _slice_along(g, axis, k) + _slice_along(x, axis, k + 1) * s
        suffix.append(s)
    suffix = rnp.stack(suffix[::-1], axis=axis)
    ones = np.ones(_shape(_slice_along(x, axis, slice(0, 1))), dtype=dtype_of(ans))
    before = rnp.concatenate([ones, _slice_along(ans, axis, slice(0, n - 1))], axis=axis)
    return before * suffix


def _cumprod_jvp(t, ans, x, *, axis):
    if not _has_zero(x):
        return ans * rnp.cumsum(t / x, axis=axis)
    # d ans_j = d ans_{j-1} * x_j + ans_{j-1} * t_j, step by step along the axis.
    n = _shape(x)[axis]
    d = _slice_along(t, axis, 0)
    out = [d]
    for j in range(1, n):
        d = d * _slice_along(x, axis, j) + _slice_along(ans, axis, j - 1) * _slice_along(t, axis, j)
        out.append(d)
    return rnp.stack(out, axis=axis)


def _lse_weights(ans, x, axis, keepdims):
    return rnp.exp(x - _keepdims(ans, _shape(x), axis, keepdims))


defrule(P.reduce_sum,
        vjp=(_sum_vjp,),
        jvp=(lambda t, ans, x, *, axis, keepdims: rnp.sum(t, axis=axis, keepdims=keepdims),))
defrule(P.reduce_prod, vjp=(_prod_vjp,), jvp=(_prod_jvp,),
        note="computed as the product of the other entries (no division), so exact with zeros")
defrule(P.reduce_max, vjp=(_extreme_vjp,), jvp=(_extreme_jvp,),
        note="ties split the gradient evenly among the maximal entries (as JAX, TensorFlow and "
             "torch.max() without dim; torch.max(dim) gives it all to the returned index)")
defrule(P.reduce_min, vjp=(_extreme_vjp,), jvp=(_extreme_jvp,),
        note="ties split the gradient evenly among the minimal entries")
defrule(P.cumsum,
        vjp=(lambda g, ans, x, *, axis: _reverse_cumsum(g, axis),),
        jvp=(lambda t, ans, x, *, axis: rnp.cumsum(t, axis=axis),))
defrule(P.cumprod, vjp=(_cumprod_vjp,), jvp=(_cumprod_jvp,),
        note="exact with zero entries (a division-free recurrence is used when any entry is 0)")
defrule(P.logsumexp,
        vjp=(lambda g, ans, x, *, axis, keepdims:
             _keepdims(g, _shape(x), axis, keepdims) * _lse_weights(ans, x, axis, keepdims),),
        jvp=(lambda t, ans, x, *, axis, keepdims:
             rnp.sum(t * _lse_weights(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),),
        note="the gradient is softmax(x); -inf entries get 0")


# ============================================================================================
# Structure: linear maps, so the VJP is the transposed map and the JVP the map itself
# ============================================================================================
@functools.cache
def _concatenate_vjp(i):
    def rule(g, ans, *xs, axis):
        start = 0
        for x in xs[:i]:
            start += _shape(x)[axis]
        return _slice_along(g, axis, slice(start, start + _shape(xs[i])[axis]))

    return rule


@functools.cache
def _concatenate_jvp(i):
    def rule(t, ans, *xs, axis):
        parts = [t if j == i else np.zeros(_shape(x), dtype_of(t)) for j, x in enumerate(xs)]
        return rnp.concatenate(parts, axis=axis)

    return rule


def _diagonal_vjp(g, ans, x, *, offset, axis1, axis2):
    shape = _shape(x)
    rest = tuple(n for d, n in enumerate(shape) if d not in (axis1, axis2))
    moved = (*rest, shape[axis1], shape[axis2])
    n = _shape(ans)[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    full = P.scatter_add(g, shape=moved, index=(Ellipsis, rows, cols))
    return rnp.moveaxis(full, (-2, -1), (axis1, axis2))


def _pad_vjp(g, ans, x, *, pad_width, value):
    return g[tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, _shape(x)))]


def _inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return tuple(inverse)


def _negate_shift(shift):
    return tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift


defrule(P.reshape,
        vjp=(lambda g, ans, x, *, shape: P.reshape(g, shape=_shape(x)),),
        jvp=(lambda t, ans, x, *, shape: P.reshape(t, shape=shape),))
defrule(P.transpose,
        vjp=(lambda g, ans, x, *, axes: P.transpose(g, axes=_inverse_permutation(axes)),),
        jvp=(lambda t, ans, x, *, axes: P.transpose(t, axes=axes),))
defrule(P.broadcast_to,
        vjp=(lambda g, ans, x, *, shape: g,),  # the engine sums the broadcast axes back
        jvp=(lambda t, ans, x, *, shape: P.broadcast_to(t, shape=shape),))
defrule(P.concatenate, vjp=_concatenate_vjp, jvp=_concatenate_jvp)
defrule(P.getitem,
        vjp=(lambda g, ans, x, *, index: P.scatter_add(g, shape=_shape(x), index=index),),
        jvp=(lambda t, ans, x, *, index: P.getitem(t, index=index),),
        note="repeated integer indices accumulate their gradients")
defrule(P.scatter_add,
        vjp=(lambda g, ans, v, *, shape, index: P.getitem(g, index=index),),
        jvp=(lambda t, ans, v, *, shape, index: P.scatter_add(t, shape=shape, index=index),))
defrule(P.flip,
        vjp=(lambda g, ans, x, *, axis: rnp.flip(g, axis),),
        jvp=(lambda t, ans, x, *, axis: rnp.flip(t, axis),))
defrule(P.roll,
        vjp=(lambda g, ans, x, *, shift, axis: P.roll(g, shift=_negate_shift(shift), axis=axis),),
        jvp=(lambda t, ans, x, *, shift, axis: P.roll(t, shift=shift, axis=axis),))
defrule(P.tril,
        vjp=(lambda g, ans, x, *, k: rnp.tril(g, k),),
        jvp=(lambda t, ans, x, *, k: rnp.tril(t, k),))
defrule(P.triu,
        vjp=(lambda g, ans, x, *, k: rnp.triu(g, k),),
        jvp=(lambda t, ans, x, *, k: rnp.triu(t, k),))
defrule(P.diagonal, vjp=(_diagonal_vjp,),
        jvp=(lambda t, ans, x, *, offset, axis1, axis2:
             P.diagonal(t, offset=offset, axis1=axis1, axis2=axis2),))
defrule(P.pad, vjp=(_pad_vjp,),
        jvp=(lambda t, ans, x, *, pad_width, value: P.pad(t, pad_width=pad_width, value=0.0),))
defrule(P.astype,
        vjp=(lambda g, ans, x, *, dtype: g,),  # the engine casts back to x's dtype
        jvp=(lambda t, ans, x, *, dtype: rnp.astype(t, dtype),))


# ============================================================================================
# Contractions
# ============================================================================================
def _as_matrices(a, b):
    """Promote 1-d operands as matmul does, remembering which axes to drop afterwards."""
    a2 = rnp.expand_dims(a, 0) if rnp.ndim(a) == 1 else a
    b2 = rnp.expand_dims(b, -1) if rnp.ndim(b) == 1 else b
    return a2, b2


def _matmul_g(g, a, b):
    # The output cotangent with the axes matmul dropped for 1-d operands put back.
    if rnp.ndim(a) == 1 and rnp.ndim(b) == 1:
        return rnp.reshape(g, (1, 1))
    if rnp.ndim(a) == 1:
        g = rnp.expand_dims(g, -2)
    if rnp.ndim(b) == 1:
        g = rnp.expand_dims(g, -1)
    return g


def _matmul_vjp_a(g, ans, a, b):
    if rnp.ndim(a) > 1 and rnp.ndim(b) > 1:
        return P.matmul(g, _swap(b))
    _, b2 = _as_matrices(a, b)
    ga = rnp.matmul(_matmul_g(g, a, b), _swap(b2))
    return rnp.squeeze(ga, -2) if rnp.ndim(a) == 1 else ga


def _matmul_vjp_b(g, ans, a, b):
    if rnp.ndim(a) > 1 and rnp.ndim(b) > 1:
        return P.matmul(_swap(a), g)
    a2, _ = _as_matrices(a, b)
    gb = rnp.matmul(_swap(a2), _matmul_g(g, a, b))
    return rnp.squeeze(gb, -1) if rnp.ndim(b) == 1 else gb


@functools.cache
def _einsum_vjp_plan(spec: str, i: int) -> tuple[Any, ...]:
    """How operand i's cotangent is contracted: (subscripts, the other operands' positions,
    the letters to append a ones vector for, then the diagonal-embedding subscripts and the
    letters to append an identity for)."""
    ins, out = spec.split("->")
    subs = ins.split(",")
    target = subs[i]
    unique = "".join(dict.fromkeys(target))
    others = tuple(j for j in range(len(subs)) if j != i)
    available = set(out).union(*(set(subs[j]) for j in others))
    # Letters only x_i has (summed inside it): its cotangent is constant along them.
    alone = tuple(c for c in unique if c not in available)
    first = ",".join([out, *(subs[j] for j in others), *alone]) + "->" + unique
    if unique == target:
        return first, others, alone, None, ()
    # A repeated letter (a diagonal, e.g. "ii->i") takes the cotangent only on it.
    fresh = iter(c for c in "abcdefghijklmnopqrstuvwxyz" if c not in spec)
    full, seen, deltas = [], set(), []
    for c in target:
        if c in seen:
            d = next(fresh)
            deltas.append((c, d))
            full.append(d)
        else:
            seen.add(c)
            full.append(c)
    diagonal = ",".join([unique, *(c + d for c, d in deltas)]) + "->" + "".join(full)
    return first, others, alone, diagonal, tuple(c for c, _ in deltas)


def _einsum_sizes(spec: str, xs: tuple[Any, ...]) -> dict[str, int]:
    subs = spec.split("->")[0].split(",")
    return {c: n for s, x in zip(subs, xs) for c, n in zip(s, _shape(x))}


@functools.cache
def _einsum_vjp(i):
    def rule(g, ans, *xs, spec):
        first, others, alone, diagonal, eyes = _einsum_vjp_plan(spec, i)
        if alone or eyes:
            sizes, dtype = _einsum_sizes(spec, xs), dtype_of(g)
            extra = [np.ones(sizes[c], dtype) for c in alone]
            grad = P.einsum(g, *(xs[j] for j in others), *extra, spec=first)
        else:
            grad = P.einsum(g, *(xs[j] for j in others), spec=first)
        if diagonal is None:
            return grad
        return P.einsum(grad, *(np.eye(sizes[c], dtype=dtype) for c in eyes), spec=diagonal)

    return rule


@functools.cache
def _einsum_jvp(i):
    def rule(t, ans, *xs, spec):
        return P.einsum(*[t if j == i else x for j, x in enumerate(xs)], spec=spec)

    return rule


defrule(P.matmul, vjp=(_matmul_vjp_a, _matmul_vjp_b),
        jvp=(lambda t, ans, a, b: rnp.matmul(t, b), lambda t, ans, a, b: rnp.matmul(a, t)))
defrule(P.einsum, vjp=_einsum_vjp, jvp=_einsum_jvp)


# ============================================================================================
# Linear algebra (matrices in the last two axes, batched over the rest)
# ============================================================================================
def _sym_lower(a):
    """The symmetric matrix NumPy's cholesky and eigh actually read: the lower triangle."""
    return rnp.tril(a) + _swap(rnp.tril(a, -1))


def _lower_cotangent(s_bar):
    """Cotangent of A from that of the symmetric matrix S built from A's lower triangle:
    an off-diagonal entry below the diagonal stands for both S[i, j] and S[j, i]."""
    both = s_bar + _swap(s_bar)
    return rnp.tril(both, -1) + rnp.tril(rnp.triu(s_bar))


def _diag_embed(v):
    return v[..., :, None] * np.eye(_shape(v)[-1], dtype=dtype_of(v))


def _solve_right(a, b):
    """b @ inv(a), without forming the inverse."""
    return _swap(rnp.linalg.solve(_swap(a), _swap(b)))


def _inv_vjp(g, ans, a):
    return -rnp.matmul(rnp.matmul(_swap(ans), g), _swap(ans))


def _solve_is_vector(b) -> bool:
    return rnp.ndim(b) == 1  # NumPy 2 reads b as a vector only when it is 1-d


def _solve_vjp_a(g, ans, a, b):
    gb = rnp.linalg.solve(_swap(a), g)
    if _solve_is_vector(b):
        return -(gb[..., :, None] * ans[..., None, :])
    return -rnp.matmul(gb, _swap(ans))


def _solve_jvp_a(t, ans, a, b):
    x = ans[..., :, None] if _solve_is_vector(b) else ans
    dx = -rnp.linalg.solve(a, rnp.matmul(t, x))
    return dx[..., 0] if _solve_is_vector(b) else dx


def _cofactors(a):
    """The cofactor matrix, from the determinants of the minors: the derivative of det even
    where A is singular (det(A) inv(A)^T there is 0 * inf)."""
    n = _shape(a)[-1]
    if n == 1:
        return np.ones(_shape(a), dtype_of(a))
    rows = []
    for i in range(n):
        keep_rows = np.delete(np.arange(n), i)
        row = []
        for j in range(n):
            keep_cols = np.delete(np.arange(n), j)
            minor = a[..., keep_rows[:, None], keep_cols[None, :]]
            row.append((-1.0) ** (i + j) * rnp.linalg.det(minor))
        rows.append(rnp.stack(row, axis=-1))
    return rnp.stack(rows, axis=-2)


def _det_singular(a) -> bool:
    """Singular or nearly so (condition number past 1/sqrt(eps)): there det(A) inv(A)^T loses
    every digit to cancellation, and the cofactors are the accurate formula."""
    while isinstance(a, Tracer):
        a = a._value
    a = np.asarray(a)
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(a)
    return bool(np.any(~(cond < 1.0 / np.sqrt(np.finfo(a.dtype).eps))))


def _det_vjp(g, ans, a):
    if _det_singular(a):
        return g[..., None, None] * _cofactors(a)
    return (g * ans)[..., None, None] * _swap(rnp.linalg.inv(a))


def _det_jvp(t, ans, a):
    if _det_singular(a):
        return rnp.sum(_cofactors(a) * t, axis=(-2, -1))
    return ans * _logdet_tangent(t, a)


def _logdet_tangent(t, a):
    return rnp.trace(rnp.linalg.solve(a, t), axis1=-2, axis2=-1)


def _slogdet_vjp(g, ans, a):
    return g[1][..., None, None] * _swap(rnp.linalg.inv(a))


def _cholesky_jvp(t, ans, a):
    # dL = L phi(L^-1 dS L^-T), phi = lower triangle with the diagonal halved.
    low = ans
    inner = _solve_right(_swap(low), rnp.linalg.solve(low, _sym_lower(t)))
    return rnp.matmul(low, _phi(inner))


def _phi(x):
    return rnp.tril(x, -1) + 0.5 * rnp.tril(rnp.triu(x))


def _cholesky_vjp(g, ans, a):
    low = ans
    middle = _phi(rnp.matmul(_swap(low), g))
    s_bar = _solve_right(low, rnp.linalg.solve(_swap(low), middle))
    return _lower_cotangent(0.5 * (s_bar + _swap(s_bar)))


def _eig_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = _shape(w)[-1]
    eye = np.eye(n, dtype=bool)
    gaps = w[..., None, :] - w[..., :, None]
    return rnp.where(eye, 0.0, 1.0 / rnp.where(eye, 1.0, gaps))


def _eigh_jvp(t, ans, a):
    w, v = ans
    inner = rnp.matmul(rnp.matmul(_swap(v), _sym_lower(t)), v)
    dw = rnp.diagonal(inner, 0, -2, -1)
    dv = rnp.matmul(v, _eig_gaps(w) * inner)
    return dw, dv


def _eigh_vjp(g, ans, a):
    (w, v), (gw, gv) = ans, g
    inner = _diag_embed(gw) + _eig_gaps(w) * rnp.matmul(_swap(v), gv)
    s_bar = rnp.matmul(rnp.matmul(v, inner), _swap(v))
    return _lower_cotangent(0.5 * (s_bar + _swap(s_bar)))


def _check_tall(a, name):
    m, n = _shape(a)[-2:]
    if m < n:
        raise NotImplementedError(
            f"the derivative of {name} is implemented for tall or square matrices (m >= n); "
            f"got {m} x {n}. Differentiate the transposed problem instead."
        )


def _qr_jvp(t, ans, a):
    _check_tall(a, "qr")
    q, r = ans
    dx_rinv = _solve_right(r, t)
    qt_dx_rinv = rnp.matmul(_swap(q), dx_rinv)
    lower = rnp.tril(qt_dx_rinv, -1)
    skew = lower - _swap(lower)
    dq = rnp.matmul(q, skew - qt_dx_rinv) + dx_rinv
    dr = rnp.matmul(qt_dx_rinv - skew, r)
    return dq, dr


def _copy_lower_to_upper(m):
    return rnp.tril(m, -1) + _swap(rnp.tril(m, -1)) + rnp.tril(rnp.triu(m))


def _qr_vjp(g, ans, a):
    _check_tall(a, "qr")
    (q, r), (gq, gr) = ans, g
    m = rnp.matmul(r, _swap(gr)) - rnp.matmul(_swap(gq), q)
    return _solve_right(_swap(r), gq + rnp.matmul(q, _copy_lower_to_upper(m)))


def _sv_gaps(s):
    """F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal, 0 on it."""
    n = _shape(s)[-1]
    eye = np.eye(n, dtype=bool)
    s2 = s * s
    gaps = s2[..., None, :] - s2[..., :, None]
    return rnp.where(eye, 0.0, 1.0 / rnp.where(eye, 1.0, gaps))


def _svd_jvp(t, ans, a):
    u, s, vh = ans
    v = _swap(vh)
    ds_mat = rnp.matmul(rnp.matmul(_swap(u), t), v)
    ds = rnp.diagonal(ds_mat, 0, -2, -1)
    f = _sv_gaps(s)
    s_row = s[..., None, :]
    s_col = s[..., :, None]
    sym = ds_mat * s_row + _swap(ds_mat) * s_col  # dP S + S dP^T
    du = rnp.matmul(u, f * sym)
    dv = rnp.matmul(v, f * (s_col * ds_mat + _swap(ds_mat) * s_row))
    m, n = _shape(a)[-2:]
    if m > n:
        dav = rnp.matmul(t, v)
        du = du + (dav - rnp.matmul(u, rnp.matmul(_swap(u), dav))) / s_row
    if n > m:
        dahu = rnp.matmul(_swap(t), u)
        dv = dv + (dahu - rnp.matmul(v, rnp.matmul(vh, dahu))) / s_row
    return du, ds, _swap(dv)


def _svd_vjp(g, ans, a):
    (u, s, vh), (gu, gs, gvh) = ans, g
    v, gv = _swap(vh), _swap(gvh)
    f = _sv_gaps(s)
    s_row = s[..., None, :]
    ut_gu = rnp.matmul(_swap(u), gu)
    vt_gv = rnp.matmul(_swap(v), gv)
    inner = (
        (f * (ut_gu - _swap(ut_gu))) * s_row
        + _diag_embed(gs)
        + s[..., :, None] * (f * (vt_gv - _swap(vt_gv)))
    )
    out = rnp.matmul(rnp.matmul(u, inner), vh)
    m, n = _shape(a)[-2:]
    if m > n:
        proj = gu - rnp.matmul(u, ut_gu)
        out = out + rnp.matmul(proj / s_row, vh)
    if n > m:
        proj = gv - rnp.matmul(v, vt_gv)
        out = out + rnp.matmul(u / s_row, _swap(proj))
    return out


def _norm2_scale(ans, x, axis, keepdims):
    # x / |x|, and 0 where |x| == 0 (where 0/0 would give NaN).
    n = _keepdims(ans, _shape(x), axis, keepdims)
    zero = rnp.equal(n, 0)
    return rnp.where(zero, 0.0, x / rnp.where(zero, 1.0, n))


defrule(P.inv, vjp=(_inv_vjp,),
        jvp=(lambda t, ans, a: -rnp.matmul(rnp.matmul(ans, t), ans),),
        note="singular input: no derivative (NumPy raises LinAlgError in the forward pass)")
defrule(P.solve, vjp=(_solve_vjp_a, lambda g, ans, a, b: rnp.linalg.solve(_swap(a), g)),
        jvp=(_solve_jvp_a, lambda t, ans, a, b: rnp.linalg.solve(a, t)))
defrule(P.det, vjp=(_det_vjp,), jvp=(_det_jvp,),
        note="det(A) inv(A)^T; at a singular matrix the cofactor matrix (the adjugate's "
             "transpose) from the minors' determinants, so the derivative stays exact there")
defrule(P.slogdet, vjp=(_slogdet_vjp,),
        jvp=(lambda t, ans, a: (np.zeros(_shape(ans[0]), dtype_of(t)), _logdet_tangent(t, a)),),
        note="the sign is piecewise constant: zero derivative")
defrule(P.cholesky, vjp=(_cholesky_vjp,), jvp=(_cholesky_jvp,),
        note="reads the lower triangle only, as NumPy: the derivative with respect to the "
             "strict upper triangle is 0 (PyTorch and JAX return a symmetrised gradient)")
defrule(P.eigh, vjp=(_eigh_vjp,), jvp=(_eigh_jvp,),
        note="lower triangle only, as NumPy; repeated eigenvalues give inf/NaN in the "
             "eigenvector derivative (undefined there)")
defrule(P.qr, vjp=(_qr_vjp,), jvp=(_qr_jvp,),
        note="reduced QR of a tall or square matrix of full rank (m >= n)")
defrule(P.svd, vjp=(_svd_vjp,), jvp=(_svd_jvp,),
        note="thin SVD; repeated or zero singular values give inf/NaN in the singular vectors' "
             "derivative (the singular values' own derivative stays finite)")
defrule(P.norm2, vjp=(lambda g, ans, x, *, axis, keepdims:
             _keepdims(g, _shape(x), axis, keepdims) * _norm2_scale(ans, x, axis, keepdims),),
        jvp=(lambda t, ans, x, *, axis, keepdims:
             rnp.sum(t * _norm2_scale(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),),
        note="the gradient of the 2-norm at the zero vector is 0, the minimum-norm subgradient "
             "(as PyTorch; JAX, TensorFlow and autograd give NaN)")


# ============================================================================================
# Non-differentiable: piecewise constant, so the derivative is 0 wherever it exists. Their
# results are never traced; these primitives have no entry above.
# ============================================================================================
NON_DIFFERENTIABLE: dict[str, str] = {
    P.sign.name: "sign'(x) = 0, also at 0 (where it jumps)",
    P.floor.name: "0 everywhere, also at the integers (where it jumps)",
    P.ceil.name: "0 everywhere, also at the integers",
    P.round.name: "0 everywhere, also at the half-integers",
    P.greater.name: "comparison: boolean data",
    P.greater_equal.name: "comparison: boolean data",
    P.less.name: "comparison: boolean data",
    P.less_equal.name: "comparison: boolean data",
    P.equal.name: "comparison: boolean data",
    P.not_equal.name: "comparison: boolean data",
    P.logical_and.name: "boolean data",
    P.logical_or.name: "boolean data",
    P.logical_not.name: "boolean data",
    P.isfinite.name: "boolean data",
    P.isnan.name: "boolean data",
    P.argmax.name: "an integer index",
    P.argmin.name: "an integer index",
    P.argsort.name: "integer indices (sort is differentiable: it gathers at these)",
    P.zeros_like.name: "a constant",
    P.ones_like.name: "a constant",
    P.stop_gradient.name: "the identity with a zero derivative, by definition",
}
