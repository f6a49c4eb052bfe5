"""The derivative table: one entry per primitive, each declared once with ``defrule``.

An entry is one of four kinds::

    defrule(prim, vjp=(rule for argument 0, rule for argument 1, ...),   # reverse mode
                  jvp=(rule for argument 0, rule for argument 1, ...),   # forward mode
                  note="the convention at every non-differentiable point")
    defrule(prim, partials=(d/dx0, d/dx1, ...))     # elementwise, a pointwise factor
    defrule(prim, linear=True, vjp=(...))            # linear: the JVP is prim itself
    defrule(prim, zero=True, note="...")             # non-differentiable

    VJP rule:  (g, ans, *args, **params) -> cotangent for that argument
    JVP rule:  (t, ans, *args, **params) -> that argument's contribution to the output tangent

``g`` is the cotangent of the output, ``t`` the tangent of the argument, ``ans`` the output and
``args``/``params`` the primitive's operands and static parameters. ``None`` means the argument
is data (indices, a condition) and has no derivative. Variadic primitives (concatenate, einsum)
give a function of the argument position instead of a tuple.

- ``partials=(d/dx0, d/dx1, ...)``, each ``(ans, *args) -> factor``: for an elementwise
  primitive whose derivative is a pointwise factor; stands for ``vjp = g * factor`` and
  ``jvp = t * factor``.
- ``linear=True``: the primitive is linear in each differentiable operand with the others held
  fixed (negative, reshape, sum, getitem, ...; matmul and einsum, one operand at a time), so
  the JVP for operand i is the primitive itself with the tangent in place of operand i and the
  same params (HIPS autograd's ``"same"``, JAX's ``deflinear``). Only the VJP, the transposed
  map, is written. Operations linear in all operands *together* (add, subtract, concatenate)
  are not: putting one tangent in place keeps the other operands' values, so their JVPs are
  written out, as is pad's (its padding value is not scaled).
- ``zero=True``: piecewise constant or data-valued (sign, floor, comparisons, argmax), so the
  derivative is 0 wherever it exists. The result is never traced; the note says what happens at
  the jumps. These entries are listed in ``NON_DIFFERENTIABLE``, the others in ``TABLE``.

Rules return cotangents of the *output's* shape and dtype where broadcasting happened; the engine
sums them back to the argument's shape and casts to its dtype in one place
(``refengine.traces.unbroadcast``). Rules are written in refengine's own functions, so they can
themselves be differentiated: that is how second and higher derivatives work.

Cotangents may be *compact* (size 1, or absent, along axes where they are constant: the sum's
rule sends ``g`` back without broadcasting it). Elementwise and reduction rules receive them as
they are, so write them to broadcast (``(g * 2.0) * x``: the small ``g`` scaled first); every
other rule receives the full cotangent (``ReverseTrace.backward`` broadcasts it first).

The linear-algebra entries are in ``refengine/derivatives_linalg.py``, registered into the same
table (loaded below, in their place); ``defrule`` itself is in ``refengine/rules.py``. (Some 500
lines, past the usual ~450, because it is one table: each entry with the helpers its rule needs.)
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine import primitives as P
from refengine.derivatives_complex import abs_jvp, abs_vjp, guard_real_only_rules
from refengine.primitive import Tracer, dtype_of
from refengine.rules import NON_DIFFERENTIABLE, TABLE, defrule, swap, with_reduced_axes
from refengine.traces import unbroadcast

__all__ = ["NON_DIFFERENTIABLE", "TABLE", "defrule"]


# ============================================================================================
# Elementwise, one argument                       d/dx as a function of (ans, x)
# ============================================================================================
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

defrule(P.negative, linear=True, vjp=(lambda g, ans, x: -g,))
defrule(P.abs, vjp=(abs_vjp,), jvp=(abs_jvp,),
        note="abs'(0) = 0: the minimum-norm subgradient (as PyTorch and TensorFlow; JAX gives 1); "
             "complex z: g * conj(z) / |z| (0 at z == 0), autograd's convention")
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
# logit' = 1 / (x (1 - x)), written as a sum: its own derivative at 0 or 1 is then -inf or
# +inf in every mode, not the product rule's 0 * inf = NaN.
defrule(P.logit, partials=(lambda ans, x: 1.0 / x + 1.0 / (1.0 - x),),
        note="logit'(0 or 1) = +inf")
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


def _has_zero(x) -> bool:
    # Which formula to use is decided on the value (like a data-dependent branch).
    while isinstance(x, Tracer):
        x = x._value
    return bool(np.any(np.asarray(x) == 0))


def _pow_dx(ans: Any, x: Any, y: Any) -> Any:
    # y * x**(y-1). At y == 0 the function is constant in x, so the factor is 0 there even at
    # x == 0 where 0 * inf would give NaN. x is replaced there too (a double where): otherwise
    # the unselected 0 * x**-1 leaks its NaN into the second derivative.
    if not _has_zero(y):
        return y * rnp.power(x, y - 1.0)
    at_zero = rnp.equal(y, 0)
    return rnp.where(at_zero, 0.0, y * rnp.power(rnp.where(at_zero, 1.0, x), y - 1.0))


def _pow_dy(ans: Any, x: Any, y: Any) -> Any:
    # x**y * log(x). At x == 0 the limit for y > 0 is 0 (ans is 0 there), not 0 * -inf = NaN.
    safe_x = rnp.where(rnp.equal(x, 0), 1.0, x)
    return rnp.where(rnp.equal(x, 0), 0.0, ans * rnp.log(safe_x))


def _xlogy_dy(ans: Any, x: Any, y: Any) -> Any:
    # x / y, and 0 at x == y == 0 (xlogy is 0 along x == 0). Only y is guarded, twice, so
    # d/dx (x / y) = 1 / y survives along x == 0 and no 0/0 reaches a second derivative.
    if not _has_zero(y):
        return x / y
    undefined = rnp.logical_and(rnp.equal(x, 0), rnp.equal(y, 0))
    return x * rnp.where(undefined, 0.0, 1.0 / rnp.where(undefined, 1.0, y))


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
        partials=(lambda ans, x, y: rnp.log(y), _xlogy_dy),
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
    return with_reduced_axes(g, rnp.shape(x), axis, keepdims)


def _extreme_share(ans, x, axis, keepdims):
    """Equal shares of the gradient for the entries that attain the max (or min)."""
    hit = rnp.equal(x, with_reduced_axes(ans, rnp.shape(x), axis, keepdims))
    count = np.sum(hit, axis=axis, keepdims=True)
    if np.all(count == 1):  # no ties: the share is the indicator itself
        return hit
    return (hit / count).astype(dtype_of(ans))


def _extreme_vjp(g, ans, x, *, axis, keepdims):
    return with_reduced_axes(g, rnp.shape(x), axis, keepdims) * _extreme_share(ans, x, axis, keepdims)


def _extreme_jvp(t, ans, x, *, axis, keepdims):
    return rnp.sum(t * _extreme_share(ans, x, axis, keepdims), axis=axis, keepdims=keepdims)


def _prod_of_others(x, axis):
    """prod over `axis` of every entry but this one, without dividing (so zeros are fine):
    the product of the entries before it times the product of those after it."""
    shape = rnp.shape(x)
    rest = [i for i in range(len(shape)) if i not in axis]
    moved = rnp.transpose(x, rest + list(axis))
    flat = rnp.reshape(moved, (*(shape[i] for i in rest), -1))
    ones = np.ones((*rnp.shape(flat)[:-1], 1), dtype=dtype_of(x))
    before = rnp.cumprod(rnp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = rnp.flip(rnp.cumprod(rnp.flip(
        rnp.concatenate([flat[..., 1:], ones], axis=-1), axis=-1), axis=-1), axis=-1)
    others = rnp.reshape(before * after, rnp.shape(moved))
    return rnp.transpose(others, np.argsort(rest + list(axis)).tolist())


def _prod_vjp(g, ans, x, *, axis, keepdims):
    return with_reduced_axes(g, rnp.shape(x), axis, keepdims) * _prod_of_others(x, axis)


def _prod_jvp(t, ans, x, *, axis, keepdims):
    return rnp.sum(t * _prod_of_others(x, axis), axis=axis, keepdims=keepdims)


def _reverse_cumsum(x, axis):
    return rnp.flip(rnp.cumsum(rnp.flip(x, axis), axis=axis), axis)


def _slice_along(x, axis, index):
    return x[(slice(None),) * axis + (index,)]


def _cumprod_vjp(g, ans, x, *, axis):
    if not _has_zero(x):
        return _reverse_cumsum(g * ans, axis) / x
    # d ans_j / d x_k = prod_{i<k} x_i * prod_{k<i<=j} x_i; accumulate the second factor from
    # the end (s_k = g_k + x_{k+1} s_{k+1}) so no division by a zero entry is needed.
    n = rnp.shape(x)[axis]
    s = _slice_along(g, axis, n - 1)
    suffix = [s]
    for k in range(n - 2, -1, -1):
        s = _slice_along(g, axis, k) + _slice_along(x, axis, k + 1) * s
        suffix.append(s)
    suffix = rnp.stack(suffix[::-1], axis=axis)
    ones = np.ones(rnp.shape(_slice_along(x, axis, slice(0, 1))), dtype=dtype_of(ans))
    before = rnp.concatenate([ones, _slice_along(ans, axis, slice(0, n - 1))], axis=axis)
    return before * suffix


def _cumprod_jvp(t, ans, x, *, axis):
    if not _has_zero(x):
        return ans * rnp.cumsum(t / x, axis=axis)
    # d ans_j = d ans_{j-1} * x_j + ans_{j-1} * t_j, step by step along the axis.
    n = rnp.shape(x)[axis]
    d = _slice_along(t, axis, 0)
    out = [d]
    for j in range(1, n):
        d = d * _slice_along(x, axis, j) + _slice_along(ans, axis, j - 1) * _slice_along(t, axis, j)
        out.append(d)
    return rnp.stack(out, axis=axis)


def _lse_weights(ans, x, axis, keepdims):
    return rnp.exp(x - with_reduced_axes(ans, rnp.shape(x), axis, keepdims))


defrule(P.reduce_sum, linear=True, vjp=(_sum_vjp,))
defrule(P.reduce_prod, vjp=(_prod_vjp,), jvp=(_prod_jvp,),
        note="computed as the product of the other entries (no division), so exact with zeros")
defrule(P.reduce_max, vjp=(_extreme_vjp,), jvp=(_extreme_jvp,),
        note="ties split the gradient evenly among the maximal entries (as JAX, TensorFlow and "
             "torch.max() without dim; torch.max(dim) gives it all to the returned index)")
defrule(P.reduce_min, vjp=(_extreme_vjp,), jvp=(_extreme_jvp,),
        note="ties split the gradient evenly among the minimal entries")
defrule(P.cumsum, linear=True, vjp=(lambda g, ans, x, *, axis: _reverse_cumsum(g, axis),))
defrule(P.cumprod, vjp=(_cumprod_vjp,), jvp=(_cumprod_jvp,),
        note="exact with zero entries (a division-free recurrence is used when any entry is 0)")
defrule(P.logsumexp,
        vjp=(lambda g, ans, x, *, axis, keepdims:
             with_reduced_axes(g, x.shape, axis, keepdims) * _lse_weights(ans, x, axis, keepdims),),
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
            start += rnp.shape(x)[axis]
        return _slice_along(g, axis, slice(start, start + rnp.shape(xs[i])[axis]))

    return rule


@functools.cache
def _concatenate_jvp(i):
    def rule(t, ans, *xs, axis):
        parts = [t if j == i else np.zeros(rnp.shape(x), dtype_of(t)) for j, x in enumerate(xs)]
        return rnp.concatenate(parts, axis=axis)

    return rule


def _diagonal_vjp(g, ans, x, *, offset, axis1, axis2):
    shape = rnp.shape(x)
    rest = tuple(n for d, n in enumerate(shape) if d not in (axis1, axis2))
    moved = (*rest, shape[axis1], shape[axis2])
    n = rnp.shape(ans)[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    full = P.scatter_add(g, shape=moved, index=(Ellipsis, rows, cols))
    return rnp.moveaxis(full, (-2, -1), (axis1, axis2))


def _pad_vjp(g, ans, x, *, pad_width, value):
    return g[tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, rnp.shape(x)))]


def _inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return tuple(inverse)


def _negate_shift(shift):
    return tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift


defrule(P.reshape, linear=True, vjp=(lambda g, ans, x, *, shape: P.reshape(g, shape=x.shape),))
defrule(P.transpose, linear=True,
        vjp=(lambda g, ans, x, *, axes: P.transpose(g, axes=_inverse_permutation(axes)),))
defrule(P.broadcast_to, linear=True,
        vjp=(lambda g, ans, x, *, shape: g,))  # the engine sums the broadcast axes back
defrule(P.concatenate, vjp=_concatenate_vjp, jvp=_concatenate_jvp)
defrule(P.getitem, linear=True,
        vjp=(lambda g, ans, x, *, index: P.scatter_add(g, shape=x.shape, index=index),),
        note="repeated integer indices accumulate their gradients")
defrule(P.scatter_add, linear=True,
        vjp=(lambda g, ans, v, *, shape, index: P.getitem(g, index=index),))
defrule(P.flip, linear=True, vjp=(lambda g, ans, x, *, axis: rnp.flip(g, axis),))
defrule(P.roll, linear=True,
        vjp=(lambda g, ans, x, *, shift, axis: P.roll(g, shift=_negate_shift(shift), axis=axis),))
defrule(P.tril, linear=True, vjp=(lambda g, ans, x, *, k: rnp.tril(g, k),))
defrule(P.triu, linear=True, vjp=(lambda g, ans, x, *, k: rnp.triu(g, k),))
defrule(P.diagonal, linear=True, vjp=(_diagonal_vjp,))
defrule(P.pad, vjp=(_pad_vjp,),
        jvp=(lambda t, ans, x, *, pad_width, value: P.pad(t, pad_width=pad_width, value=0.0),))
defrule(P.astype, linear=True, vjp=(lambda g, ans, x, *, dtype: g,))  # cast back by the engine


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
        return P.matmul(g, swap(b))
    _, b2 = _as_matrices(a, b)
    ga = rnp.matmul(_matmul_g(g, a, b), swap(b2))
    return rnp.squeeze(ga, -2) if rnp.ndim(a) == 1 else ga


def _matmul_vjp_b(g, ans, a, b):
    if rnp.ndim(a) > 1 and rnp.ndim(b) > 1:
        return P.matmul(swap(a), g)
    a2, _ = _as_matrices(a, b)
    gb = rnp.matmul(swap(a2), _matmul_g(g, a, b))
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
    return {c: n for s, x in zip(subs, xs) for c, n in zip(s, rnp.shape(x))}


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


defrule(P.matmul, linear=True, vjp=(_matmul_vjp_a, _matmul_vjp_b))
defrule(P.einsum, linear=True, vjp=_einsum_vjp)


# ============================================================================================
# Linear algebra: refengine/derivatives_linalg.py, registered into this same table
# ============================================================================================
from refengine import derivatives_linalg  # noqa: E402, F401 - its entries, in their place

# ============================================================================================
# Non-differentiable: piecewise constant or data, so the derivative is 0 wherever it exists
# ============================================================================================
defrule(P.sign, zero=True, note="sign'(x) = 0, also at 0 (where it jumps)")
defrule(P.floor, zero=True, note="0 everywhere, also at the integers (where it jumps)")
defrule(P.ceil, zero=True, note="0 everywhere, also at the integers")
defrule(P.round, zero=True, note="0 everywhere, also at the half-integers")
defrule(P.greater, zero=True, note="comparison: boolean data")
defrule(P.greater_equal, zero=True, note="comparison: boolean data")
defrule(P.less, zero=True, note="comparison: boolean data")
defrule(P.less_equal, zero=True, note="comparison: boolean data")
defrule(P.equal, zero=True, note="comparison: boolean data")
defrule(P.not_equal, zero=True, note="comparison: boolean data")
defrule(P.logical_and, zero=True, note="boolean data")
defrule(P.logical_or, zero=True, note="boolean data")
defrule(P.logical_not, zero=True, note="boolean data")
defrule(P.isfinite, zero=True, note="boolean data")
defrule(P.isnan, zero=True, note="boolean data")
defrule(P.argmax, zero=True, note="an integer index")
defrule(P.argmin, zero=True, note="an integer index")
defrule(P.argsort, zero=True, note="integer indices (sort is differentiable: it gathers at these)")
defrule(P.zeros_like, zero=True, note="a constant")
defrule(P.ones_like, zero=True, note="a constant")
defrule(P.stop_gradient, zero=True, note="the identity with a zero derivative, by definition")
defrule(P.astype_discrete, zero=True,
        note="a cast to an integer or boolean dtype: piecewise constant, as floor")

# ============================================================================================
# Registered into this same table from their own modules: convolution
# (refengine/derivatives_conv.py) and the special functions beyond the elementwise ones above
# (erfinv, Bessel, incomplete gamma and beta: refengine/derivatives_special.py)
# ============================================================================================
from refengine import derivatives_conv, derivatives_special  # noqa: E402, F401 - their entries

# ============================================================================================
# Complex numbers: the complex primitives' entries are in refengine/derivatives_complex.py
# (imported above); the entries that hold for real inputs only refuse complex ones from here on
# ============================================================================================
guard_real_only_rules()
