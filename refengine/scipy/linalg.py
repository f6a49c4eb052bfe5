"""``refengine.scipy.linalg``: the SciPy linear algebra HIPS autograd differentiates, with
SciPy's signatures: solve_triangular, solve_banded and solve_sylvester as composites of
refengine's primitives (so every derivative, second order included, follows from the table),
and sqrtm as a primitive whose rules solve Sylvester equations
(``refengine/derivatives_special.py``). Plain arrays in, SciPy's own results out (sqrtm's
complex root of a matrix with negative eigenvalues included); traced values are real only.

The composites trade SciPy's structured solvers for a dense one: solve_triangular and
solve_banded call ``rnp.linalg.solve`` on the dense matrix they read (O(n^3)), and
solve_sylvester solves the (m n) x (m n) Kronecker system (O(m^3 n^3)); they are for the small
matrices of tests and examples. Values agree with SciPy's to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine import primitives_special as S
from refengine.primitive import holds_tracer

__all__ = ["solve_banded", "solve_sylvester", "solve_triangular", "sqrtm"]


def _transposed(trans: Any) -> bool:
    if trans in (0, "N"):
        return False
    if trans in (1, "T", 2, "C"):  # real matrices: the conjugate transpose is the transpose
        return True
    raise ValueError(f"incorrect value for trans: {trans!r} (0, 1, 2, 'N', 'T' or 'C')")


def solve_triangular(a: Any, b: Any, trans: Any = 0, lower: bool = False,
                     unit_diagonal: bool = False, overwrite_b: bool = False,
                     check_finite: bool = True) -> Any:
    """x with op(T) x = b, T the triangle of ``a`` SciPy reads (the other one has no
    derivative), with ones on its diagonal if ``unit_diagonal``; op transposes for trans 1/2."""
    if rnp.ndim(a) != 2 or rnp.shape(a)[0] != rnp.shape(a)[1]:
        raise ValueError(f"expected square matrix, got a of shape {rnp.shape(a)}")
    tri = rnp.tril(a) if lower else rnp.triu(a)
    if unit_diagonal:
        eye = np.eye(rnp.shape(a)[0])
        tri = tri * (1.0 - eye) + eye
    return rnp.linalg.solve(rnp.transpose(tri) if _transposed(trans) else tri, b)


def solve_banded(l_and_u: tuple[int, int], ab: Any, b: Any, overwrite_ab: bool = False,
                 overwrite_b: bool = False, check_finite: bool = True) -> Any:
    """x with A x = b, A given in LAPACK's band storage: A[i, j] = ab[u + i - j, j] for
    -l <= i - j <= u (and ab's unused corners, which SciPy never reads, get no derivative)."""
    n_lower, n_upper = (int(k) for k in l_and_u)
    rows, n = rnp.shape(ab)
    if rows != n_lower + n_upper + 1:
        raise ValueError(f"invalid values for the number of lower and upper diagonals: "
                         f"l+u+1 ({n_lower + n_upper + 1}) does not equal ab.shape[0] ({rows})")
    i, j = np.indices((n, n))
    band = n_upper + i - j
    inside = (band >= 0) & (band < rows)
    dense = rnp.where(inside, ab[np.where(inside, band, 0), j], 0.0)
    return rnp.linalg.solve(dense, b)


def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """X with A X + X B = Q: with X's entries in row-major order, (A kron I + I kron B^T)
    vec(X) = vec(Q)."""
    m, n = rnp.shape(q)
    if rnp.shape(a) != (m, m) or rnp.shape(b) != (n, n):
        raise ValueError(f"solve_sylvester: a {rnp.shape(a)}, b {rnp.shape(b)} and q "
                         f"{rnp.shape(q)} do not fit A X + X B = Q")
    system = rnp.kron(a, np.eye(n)) + rnp.kron(np.eye(m), rnp.transpose(b))
    return rnp.reshape(rnp.linalg.solve(system, rnp.reshape(q, (m * n,))), (m, n))


def sqrtm(A: Any, disp: Any = None, blocksize: Any = None) -> Any:  # noqa: N803 - SciPy's name
    """The principal square root X of A (X @ X = A). A traced A must have a real root (no
    eigenvalue on the closed negative real axis); its derivative solves X dX + dX X = dA."""
    if disp is not None or blocksize is not None:
        raise TypeError("sqrtm: disp and blocksize are deprecated in SciPy and not accepted")
    if not holds_tracer(A):
        import scipy.linalg

        return scipy.linalg.sqrtm(A)
    if rnp.ndim(A) != 2 or rnp.shape(A)[0] != rnp.shape(A)[1]:
        raise ValueError(f"expected square matrix, got A of shape {rnp.shape(A)}")
    return S.sqrtm(A)
