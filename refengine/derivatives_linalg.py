"""The derivative table's linear-algebra entries: inv, solve, det, slogdet, cholesky, eigh, qr,
svd and the 2-norm, with the matrix identities their rules are built from.

Matrices sit in the last two axes and are batched over the rest, as NumPy's. The entries are
written in the format of ``refengine/derivatives.py`` and registered into its table (which
loads this module in their place), as autograd's and JAX's linear-algebra rules are kept apart
from their other rules.
"""

from __future__ import annotations

import numpy as np

import refengine.numpy as rnp
from refengine import primitives as P
from refengine.primitive import Tracer, dtype_of
from refengine.rules import defrule, swap, with_reduced_axes

__all__: list[str] = []  # entries only: importing the module registers them

def _sym_lower(a):
    """The symmetric matrix NumPy's cholesky and eigh actually read: the lower triangle."""
    return rnp.tril(a) + swap(rnp.tril(a, -1))


def _lower_cotangent(s_bar):
    """Cotangent of A from that of the symmetric matrix S built from A's lower triangle:
    an off-diagonal entry below the diagonal stands for both S[i, j] and S[j, i]."""
    both = s_bar + swap(s_bar)
    return rnp.tril(both, -1) + rnp.tril(rnp.triu(s_bar))


def _diag_embed(v):
    return v[..., :, None] * np.eye(rnp.shape(v)[-1], dtype=dtype_of(v))


def _solve_right(a, b):
    """b @ inv(a), without forming the inverse."""
    return swap(rnp.linalg.solve(swap(a), swap(b)))


def _inv_vjp(g, ans, a):
    return -rnp.matmul(rnp.matmul(swap(ans), g), swap(ans))


def _solve_is_vector(b) -> bool:
    return rnp.ndim(b) == 1  # NumPy 2 reads b as a vector only when it is 1-d


def _solve_vjp_a(g, ans, a, b):
    gb = rnp.linalg.solve(swap(a), g)
    if _solve_is_vector(b):
        return -(gb[..., :, None] * ans[..., None, :])
    return -rnp.matmul(gb, swap(ans))


def _solve_jvp_a(t, ans, a, b):
    x = ans[..., :, None] if _solve_is_vector(b) else ans
    dx = -rnp.linalg.solve(a, rnp.matmul(t, x))
    return dx[..., 0] if _solve_is_vector(b) else dx


def _cofactors(a):
    """The cofactor matrix, from the determinants of the minors: the derivative of det even
    where A is singular (det(A) inv(A)^T there is 0 * inf)."""
    n = rnp.shape(a)[-1]
    if n == 1:
        return np.ones(rnp.shape(a), dtype_of(a))
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
    return (g * ans)[..., None, None] * swap(rnp.linalg.inv(a))


def _det_jvp(t, ans, a):
    if _det_singular(a):
        return rnp.sum(_cofactors(a) * t, axis=(-2, -1))
    return ans * _logdet_tangent(t, a)


def _logdet_tangent(t, a):
    return rnp.trace(rnp.linalg.solve(a, t), axis1=-2, axis2=-1)


def _slogdet_vjp(g, ans, a):
    return g[1][..., None, None] * swap(rnp.linalg.inv(a))


def _cholesky_jvp(t, ans, a):
    # dL = L phi(L^-1 dS L^-T), phi = lower triangle with the diagonal halved.
    low = ans
    inner = _solve_right(swap(low), rnp.linalg.solve(low, _sym_lower(t)))
    return rnp.matmul(low, _phi(inner))


def _phi(x):
    return rnp.tril(x, -1) + 0.5 * rnp.tril(rnp.triu(x))


def _cholesky_vjp(g, ans, a):
    low = ans
    middle = _phi(rnp.matmul(swap(low), g))
    s_bar = _solve_right(low, rnp.linalg.solve(swap(low), middle))
    return _lower_cotangent(0.5 * (s_bar + swap(s_bar)))


def _eig_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = rnp.shape(w)[-1]
    eye = np.eye(n, dtype=bool)
    gaps = w[..., None, :] - w[..., :, None]
    return rnp.where(eye, 0.0, 1.0 / rnp.where(eye, 1.0, gaps))


def _eigh_jvp(t, ans, a):
    w, v = ans
    inner = rnp.matmul(rnp.matmul(swap(v), _sym_lower(t)), v)
    dw = rnp.diagonal(inner, 0, -2, -1)
    dv = rnp.matmul(v, _eig_gaps(w) * inner)
    return dw, dv


def _no_cotangent(g) -> bool:
    """A constant zero cotangent (not a tracer: a traced 0 still has a derivative). The term it
    would scale is left out, so the infinite gaps of repeated values give no 0 * inf = NaN in
    the values' derivative when only the values are used."""
    return not isinstance(g, Tracer) and not np.any(g)


def _eigh_vjp(g, ans, a):
    (w, v), (gw, gv) = ans, g
    inner = _diag_embed(gw)
    if not _no_cotangent(gv):
        inner = inner + _eig_gaps(w) * rnp.matmul(swap(v), gv)
    s_bar = rnp.matmul(rnp.matmul(v, inner), swap(v))
    return _lower_cotangent(0.5 * (s_bar + swap(s_bar)))


def _check_tall(a, name):
    m, n = rnp.shape(a)[-2:]
    if m < n:
        raise NotImplementedError(
            f"the derivative of {name} is implemented for tall or square matrices (m >= n); "
            f"got {m} x {n}. Differentiate the transposed problem instead."
        )


def _qr_jvp(t, ans, a):
    _check_tall(a, "qr")
    q, r = ans
    dx_rinv = _solve_right(r, t)
    qt_dx_rinv = rnp.matmul(swap(q), dx_rinv)
    lower = rnp.tril(qt_dx_rinv, -1)
    skew = lower - swap(lower)
    dq = rnp.matmul(q, skew - qt_dx_rinv) + dx_rinv
    dr = rnp.matmul(qt_dx_rinv - skew, r)
    return dq, dr


def _copy_lower_to_upper(m):
    return rnp.tril(m, -1) + swap(rnp.tril(m, -1)) + rnp.tril(rnp.triu(m))


def _qr_vjp(g, ans, a):
    _check_tall(a, "qr")
    (q, r), (gq, gr) = ans, g
    m = rnp.matmul(r, swap(gr)) - rnp.matmul(swap(gq), q)
    return _solve_right(swap(r), gq + rnp.matmul(q, _copy_lower_to_upper(m)))


def _sv_gaps(s):
    """F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal, 0 on it."""
    n = rnp.shape(s)[-1]
    eye = np.eye(n, dtype=bool)
    s2 = s * s
    gaps = s2[..., None, :] - s2[..., :, None]
    return rnp.where(eye, 0.0, 1.0 / rnp.where(eye, 1.0, gaps))


def _svd_jvp(t, ans, a):
    u, s, vh = ans
    v = swap(vh)
    ds_mat = rnp.matmul(rnp.matmul(swap(u), t), v)
    ds = rnp.diagonal(ds_mat, 0, -2, -1)
    f = _sv_gaps(s)
    s_row = s[..., None, :]
    s_col = s[..., :, None]
    sym = ds_mat * s_row + swap(ds_mat) * s_col  # dP S + S dP^T
    du = rnp.matmul(u, f * sym)
    dv = rnp.matmul(v, f * (s_col * ds_mat + swap(ds_mat) * s_row))
    m, n = rnp.shape(a)[-2:]
    if m > n:
        dav = rnp.matmul(t, v)
        du = du + (dav - rnp.matmul(u, rnp.matmul(swap(u), dav))) / s_row
    if n > m:
        dahu = rnp.matmul(swap(t), u)
        dv = dv + (dahu - rnp.matmul(v, rnp.matmul(vh, dahu))) / s_row
    return du, ds, swap(dv)


def _svd_vjp(g, ans, a):
    (u, s, vh), (gu, gs, gvh) = ans, g
    if _no_cotangent(gu) and _no_cotangent(gvh):
        return rnp.matmul(u * gs[..., None, :], vh)
    v, gv = swap(vh), swap(gvh)
    f = _sv_gaps(s)
    s_row = s[..., None, :]
    ut_gu = rnp.matmul(swap(u), gu)
    vt_gv = rnp.matmul(swap(v), gv)
    inner = (
        (f * (ut_gu - swap(ut_gu))) * s_row
        + _diag_embed(gs)
        + s[..., :, None] * (f * (vt_gv - swap(vt_gv)))
    )
    out = rnp.matmul(rnp.matmul(u, inner), vh)
    m, n = rnp.shape(a)[-2:]
    if m > n:
        proj = gu - rnp.matmul(u, ut_gu)
        out = out + rnp.matmul(proj / s_row, vh)
    if n > m:
        proj = gv - rnp.matmul(v, vt_gv)
        out = out + rnp.matmul(u / s_row, swap(proj))
    return out


def _norm2_scale(ans, x, axis, keepdims):
    # x / |x|, and 0 where |x| == 0 (where 0/0 would give NaN).
    n = with_reduced_axes(ans, rnp.shape(x), axis, keepdims)
    zero = rnp.equal(n, 0)
    return rnp.where(zero, 0.0, x / rnp.where(zero, 1.0, n))


defrule(P.inv, vjp=(_inv_vjp,),
        jvp=(lambda t, ans, a: -rnp.matmul(rnp.matmul(ans, t), ans),),
        note="singular input: no derivative (NumPy raises LinAlgError in the forward pass)")
defrule(P.solve, vjp=(_solve_vjp_a, lambda g, ans, a, b: rnp.linalg.solve(swap(a), g)),
        jvp=(_solve_jvp_a, lambda t, ans, a, b: rnp.linalg.solve(a, t)))
defrule(P.det, vjp=(_det_vjp,), jvp=(_det_jvp,),
        note="det(A) inv(A)^T; at a singular matrix the cofactor matrix (the adjugate's "
             "transpose) from the minors' determinants, so the derivative stays exact there")
defrule(P.slogdet, vjp=(_slogdet_vjp,),
        jvp=(lambda t, ans, a: (np.zeros(rnp.shape(ans[0]), dtype_of(t)), _logdet_tangent(t, a)),),
        note="the sign is piecewise constant: zero derivative")
defrule(P.cholesky, vjp=(_cholesky_vjp,), jvp=(_cholesky_jvp,),
        note="reads the lower triangle only, as NumPy: the derivative with respect to the "
             "strict upper triangle is 0 (PyTorch and JAX return a symmetrised gradient)")
defrule(P.eigh, vjp=(_eigh_vjp,), jvp=(_eigh_jvp,),
        note="lower triangle only, as NumPy; repeated eigenvalues give inf/NaN in the "
             "eigenvector derivative (undefined there; the eigenvalues' own stays finite)")
defrule(P.qr, vjp=(_qr_vjp,), jvp=(_qr_jvp,),
        note="reduced QR of a tall or square matrix of full rank (m >= n)")
defrule(P.svd, vjp=(_svd_vjp,), jvp=(_svd_jvp,),
        note="thin SVD; repeated singular values, or a zero one of a non-square matrix, give "
             "inf/NaN in the singular vectors' derivative (the singular values' own derivative "
             "stays finite)")
defrule(P.norm2, vjp=(lambda g, ans, x, *, axis, keepdims:
             with_reduced_axes(g, x.shape, axis, keepdims) * _norm2_scale(ans, x, axis, keepdims),),
        jvp=(lambda t, ans, x, *, axis, keepdims:
             rnp.sum(t * _norm2_scale(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),),
        note="the gradient of the 2-norm at the zero vector is 0, the minimum-norm subgradient "
             "(as PyTorch; JAX, TensorFlow and autograd give NaN)")
