"""``rnp.linalg``: NumPy's linear algebra, differentiable (batched over leading axes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from refengine import primitives as P
from refengine.primitive import Tracer

__all__ = [
    "cholesky", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "inv",
    "matmul", "matrix_norm", "matrix_transpose", "norm", "pinv", "qr", "slogdet", "solve", "svd",
    "svdvals", "tensordot", "trace", "vecdot", "vector_norm",
]

inv = P.inv
det = P.det
cholesky = P.cholesky


def _ndim(x: Any) -> int:
    return np.ndim(x._value) if isinstance(x, Tracer) else np.ndim(x)


def solve(a: Any, b: Any) -> Any:
    # NumPy 2 reads b as a vector only when it is 1-d; the rule relies on the same reading.
    return P.solve(a, b)


def slogdet(a: Any) -> tuple[Any, Any]:
    """(sign, log|det|); only log|det| carries a derivative."""
    return P.slogdet(a)


def eigh(a: Any, UPLO: str = "L") -> tuple[Any, Any]:  # noqa: N803 - NumPy's name
    """Eigenvalues (ascending) and eigenvectors of the symmetric matrix NumPy reads from one
    triangle of ``a``: the lower (UPLO='L') or the upper ('U'), and so does the derivative
    (the other triangle's entries have none)."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"UPLO argument must be 'L' or 'U', not {UPLO!r}")
    if UPLO == "U":
        # The upper triangle of a is the lower triangle of its transpose.
        a = P.transpose(a, axes=(*range(_ndim(a) - 2), _ndim(a) - 1, _ndim(a) - 2))
    return P.eigh(a)


def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 - NumPy's name
    return eigh(a, UPLO)[0]


def _no_general_eig(name: str) -> Any:
    def refuse(a: Any) -> Any:
        if not isinstance(a, Tracer):
            return getattr(np.linalg, name)(a)
        raise NotImplementedError(
            f"rnp.linalg.{name} of a traced value: a general real matrix has complex "
            "eigenvalues and eigenvectors, and refengine differentiates real arrays only. For a "
            "symmetric matrix use rnp.linalg.eigh (or eigvalsh)."
        )

    refuse.__name__ = name
    return refuse


eig = _no_general_eig("eig")
eigvals = _no_general_eig("eigvals")


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:
    """The Moore-Penrose pseudo-inverse from the thin SVD, singular values at or below
    ``rcond * max(s)`` (NumPy's cut) taken as zero. Its derivative is the SVD's: exact where
    the rank is constant and the kept singular values are distinct; like NumPy's, the result
    jumps where a singular value crosses the cut."""
    if hermitian:
        raise NotImplementedError("rnp.linalg.pinv supports hermitian=False only")
    if rcond is not None and rtol is not None:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    shape = a.shape if hasattr(a, "shape") else np.shape(a)
    if rcond is None:
        rcond = rtol if rtol is not None else max(shape[-2:]) * np.finfo(np.float64).eps
    nd = len(shape)
    u, s, vh = svd(a, full_matrices=False)
    cut = np.asarray(rcond)[..., None] * P.reduce_max(s, axis=(nd - 2,), keepdims=True)
    keep = np.asarray(P.greater(s, cut))
    inv_s = P.where(keep, 1.0 / P.where(keep, s, 1.0), 0.0)
    swap = (*range(nd - 2), nd - 1, nd - 2)
    scaled = P.transpose(vh, axes=swap) * P.reshape(inv_s, shape=(*shape[:-2], 1, min(shape[-2:])))
    return P.matmul(scaled, P.transpose(u, axes=swap))


def qr(a: Any, mode: str = "reduced") -> tuple[Any, Any]:
    if mode != "reduced":
        raise NotImplementedError("rnp.linalg.qr supports mode='reduced' only")
    return P.qr(a)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    shape = a.shape if hasattr(a, "shape") else np.shape(a)
    if compute_uv and full_matrices and shape[-1] != shape[-2]:
        raise NotImplementedError(
            "rnp.linalg.svd differentiates the thin SVD: pass full_matrices=False "
            "(the extra columns of the full SVD are not unique, so have no derivative)"
        )
    u, s, vh = P.svd(a)
    return (u, s, vh) if compute_uv else s


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """Vector and matrix norms with NumPy's ``ord`` meanings, built on primitives."""
    import refengine.numpy as rnp

    nd = _ndim(x)
    if axis is None:
        axis = tuple(range(nd)) if ord is None else (tuple(range(nd)) if nd <= 2 else None)
        if axis is None:
            raise ValueError("Improper number of dimensions to norm.")
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % nd for a in axes)
    if ord is None or (len(axes) == 1 and ord == 2) or (len(axes) == 2 and ord == "fro"):
        if getattr(x, "dtype", None) is not None and np.dtype(x.dtype).kind == "c":
            # The 2-norm of complex entries is that of their magnitudes (abs's complex rule
            # then carries conj(z) / |z|; both give 0 at the zero vector).
            x = P.abs(x)
        return P.norm2(x, axis=axes, keepdims=keepdims)
    if len(axes) == 1:
        ax = axes[0]
        if ord == np.inf:
            return rnp.max(rnp.abs(x), axis=ax, keepdims=keepdims)
        if ord == -np.inf:
            return rnp.min(rnp.abs(x), axis=ax, keepdims=keepdims)
        if ord == 1:
            return rnp.sum(rnp.abs(x), axis=ax, keepdims=keepdims)
        if ord == 0:
            return rnp.sum(rnp.not_equal(x, 0).astype(x.dtype), axis=ax, keepdims=keepdims)
        if isinstance(ord, str):
            raise ValueError(f"Invalid norm order {ord!r} for vectors")
        total = rnp.sum(rnp.abs(x) ** ord, axis=ax, keepdims=keepdims)
        return total ** (1.0 / ord)
    if len(axes) != 2:
        raise ValueError("Improper number of dimensions to norm.")
    row, col = axes
    if ord in (1, -1):
        sums = rnp.sum(rnp.abs(x), axis=row, keepdims=True)
        red = rnp.max if ord == 1 else rnp.min
        out = red(sums, axis=col, keepdims=True)
    elif ord in (np.inf, -np.inf):
        sums = rnp.sum(rnp.abs(x), axis=col, keepdims=True)
        red = rnp.max if ord == np.inf else rnp.min
        out = red(sums, axis=row, keepdims=True)
    elif ord in (2, -2, "nuc"):
        moved = rnp.moveaxis(x, (row, col), (-2, -1))
        s = svd(moved, full_matrices=False, compute_uv=False)
        if ord == "nuc":
            red_s = rnp.sum(s, axis=-1)
        else:
            red_s = (rnp.max if ord == 2 else rnp.min)(s, axis=-1)
        out = rnp.expand_dims(rnp.expand_dims(red_s, -1), -1)
        out = rnp.moveaxis(out, (-2, -1), (row, col))
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices")
    return out if keepdims else rnp.squeeze(out, axis=axes)


# --- NumPy 2's array-API names in np.linalg: composites over the last axes -------------------
def _rnp() -> Any:
    import refengine.numpy as rnp  # this module is part of it

    return rnp


matmul = P.matmul


def tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    return _rnp().tensordot(x1, x2, axes=axes)


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """The trace of each matrix in the last two axes."""
    out = _rnp().trace(x, offset=offset, axis1=-2, axis2=-1)
    return out if dtype is None else _rnp().astype(out, dtype)


def diagonal(x: Any, /, *, offset: int = 0) -> Any:
    return _rnp().diagonal(x, offset, -2, -1)


def matrix_transpose(x: Any, /) -> Any:
    return _rnp().matrix_transpose(x)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    return _rnp().vecdot(x1, x2, axis=axis)


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """The cross product of 3-vectors along ``axis`` (np.linalg.cross takes no 2-vectors)."""
    if _rnp().shape(x1)[axis] != 3 or _rnp().shape(x2)[axis] != 3:
        raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors")
    return _rnp().cross(x1, x2, axis=axis)


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
    """The vector norm over ``axis`` (every axis, flattened, by default)."""
    rnp = _rnp()
    if axis is None:
        out = norm(rnp.ravel(x), ord=ord)
        return rnp.reshape(out, (1,) * _ndim(x)) if keepdims else out
    if isinstance(axis, tuple) and len(axis) > 1:
        moved = rnp.moveaxis(x, axis, tuple(range(-len(axis), 0)))
        flat = rnp.reshape(moved, (*rnp.shape(moved)[: -len(axis)], -1))
        out = norm(flat, ord=ord, axis=-1)
        return rnp.expand_dims(out, axis) if keepdims else out
    return norm(x, ord=ord, axis=axis, keepdims=keepdims)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:  # noqa: A002
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def svdvals(x: Any, /) -> Any:
    return svd(x, full_matrices=False, compute_uv=False)
