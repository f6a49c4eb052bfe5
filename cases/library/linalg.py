"""Linear algebra: every ``xp.linalg`` name on inputs where it is smooth, and the usual
compositions (Gaussian log-density, normal equations, log-determinants).

Decompositions are only defined up to signs (eigenvector, singular vector and QR column
signs differ between LAPACK drivers and frameworks), so the cases return sign-invariant
functions of the factors: squares, projections, reconstructions. Matrices passed to eigh are
symmetrised inside the case so that the function is well defined on all matrices and its
gradient does not depend on which triangle a framework reads; ``eigh-lower-triangle`` keeps
the raw form on purpose.
"""

from __future__ import annotations

import math
from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes
from cases.library._helpers import MATRIX, rows, square

__all__ = ["CASES"]

TALL = Sizes(check=3, sweep=(10, 100, 300))


def tall(n: int) -> tuple[int, int]:
    return (n + 2, n)


def _l(name: str, fn: Any, args: tuple[Arg, ...], out: Any = (), *, sizes: Sizes = MATRIX,
       tags: set[str] | None = None, **kw: Any) -> Case:
    return Case(name, fn, args=args, output_shape=out, sizes=sizes,
                tags={"linalg"} | (tags or set()), **kw)


A_NONSINGULAR = (Arg("a", D.NONSINGULAR, square),)
A_SPD = (Arg("a", D.SPD, square),)
A_SYMMETRIC = (Arg("a", D.SYMMETRIC_DISTINCT, square),)
A_TALL = (Arg("a", D.FULL_RANK, tall),)


def _sym(xp: Any, a: Any) -> Any:
    return 0.5 * (a + xp.swapaxes(a, -1, -2))


def _eigh_vectors_squared(xp: Any, a: Any) -> Any:
    _, v = xp.linalg.eigh(_sym(xp, a))
    return v * v


def _eigh_function(xp: Any, a: Any) -> Any:
    # V exp(W) V^T is the matrix exponential of a symmetric matrix: smooth, sign-free.
    w, v = xp.linalg.eigh(_sym(xp, a))
    return xp.matmul(v * xp.exp(w)[None, :], xp.transpose(v))


def _qr_r_squared(xp: Any, a: Any) -> Any:
    _, r = xp.linalg.qr(a)
    return r * r


def _qr_projection(xp: Any, a: Any) -> Any:
    q, _ = xp.linalg.qr(a)
    return xp.matmul(q, xp.transpose(q))


def _svd_u_squared(xp: Any, a: Any) -> Any:
    u, _, _ = xp.linalg.svd(a, full_matrices=False)
    return u * u


def _svd_rank_one(xp: Any, a: Any) -> Any:
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    return xp.outer(u[:, 0] * s[0], vh[0])


def _slogdet(xp: Any, a: Any) -> Any:
    sign, logabsdet = xp.linalg.slogdet(a)
    return sign * logabsdet


DECOMPOSITIONS = [
    _l("inv", lambda xp, a: xp.linalg.inv(a), A_NONSINGULAR, square),
    _l("inv-batched", lambda xp, a: xp.linalg.inv(a),
       (Arg("a", D.NONSINGULAR, lambda n: (2, n, n)),), lambda n: (2, n, n)),
    _l("solve-vector", lambda xp, a, b: xp.linalg.solve(a, b),
       (*A_NONSINGULAR, Arg("b", D.REAL, lambda n: (n,))), lambda n: (n,)),
    _l("solve-matrix", lambda xp, a, b: xp.linalg.solve(a, b),
       (*A_NONSINGULAR, Arg("b", D.REAL, lambda n: (n, 2))), lambda n: (n, 2)),
    _l("det", lambda xp, a: xp.linalg.det(a), A_NONSINGULAR),
    _l("det-batched", lambda xp, a: xp.linalg.det(a),
       (Arg("a", D.NONSINGULAR, lambda n: (2, n, n)),), (2,)),
    _l("slogdet", _slogdet, A_NONSINGULAR,
       note="sign * log|det|: the sign is piecewise constant, only log|det| has a derivative"),
    _l("cholesky", lambda xp, a: xp.linalg.cholesky(a), A_SPD, square,
       note="the SPD input is exactly symmetric; frameworks read one triangle"),
    _l("eigh-values", lambda xp, a: xp.linalg.eigh(_sym(xp, a))[0], A_SYMMETRIC,
       lambda n: (n,)),
    _l("eigh-vectors-squared", _eigh_vectors_squared, A_SYMMETRIC, square,
       note="v * v is invariant under each eigenvector's sign"),
    _l("eigh-matrix-exponential", _eigh_function, A_SYMMETRIC, square),
    _l("eigh-lower-triangle", lambda xp, a: xp.linalg.eigh(a)[0], A_SYMMETRIC, lambda n: (n,),
       tags={"convention"},
       note="no symmetrisation: NumPy reads the lower triangle (UPLO='L'); what a framework "
            "returns for the upper triangle's gradient (zero, or symmetrised) is a convention"),
    _l("qr-r-squared", _qr_r_squared, A_TALL, square, sizes=TALL),
    _l("qr-projection", _qr_projection, A_TALL, lambda n: (n + 2, n + 2), sizes=TALL,
       note="Q Q^T, the projector onto the column space: independent of Q's column signs"),
    _l("svd-values", lambda xp, a: xp.linalg.svd(a, compute_uv=False), A_TALL, lambda n: (n,),
       sizes=TALL),
    _l("svd-u-squared", _svd_u_squared, A_TALL, tall, sizes=TALL),
    _l("svd-rank-one", _svd_rank_one, A_TALL, tall, sizes=TALL,
       note="s0 u0 v0^T: the best rank-one approximation, independent of signs"),
]


def _norm(name: str, domain: D.Domain, shape: Any, out: Any = (), **kw: Any) -> Case:
    def fn(xp: Any, x: Any) -> Any:
        return xp.linalg.norm(x, **kw)

    return _l(name, fn, (Arg("x", domain, shape),), out, tags={"norm"})


NORMS = [
    _norm("norm-vector-2", D.REAL, lambda n: (n,)),
    _norm("norm-vector-1", D.AWAY_FROM_ZERO, lambda n: (n,), ord=1),
    _norm("norm-vector-inf", D.DISTINCT_ABS, lambda n: (n,), ord=math.inf),
    _norm("norm-vector-neg-inf", D.DISTINCT_ABS, lambda n: (n,), ord=-math.inf),
    _norm("norm-vector-3", D.AWAY_FROM_ZERO, lambda n: (n,), ord=3),
    _norm("norm-axis1-keepdims", D.REAL, rows, (3, 1), axis=1, keepdims=True),
    _norm("norm-frobenius", D.REAL, rows, ord="fro"),
    _norm("norm-nuclear", D.FULL_RANK, tall, ord="nuc"),
    _norm("norm-matrix-1", D.POSITIVE, square, ord=1),
    _norm("norm-matrix-inf", D.POSITIVE, square, ord=math.inf),
    _norm("norm-matrix-2", D.FULL_RANK, tall, ord=2),
    _norm("norm-matrix-neg2", D.FULL_RANK, tall, ord=-2),
]


def _gaussian_logpdf(xp: Any, cov: Any, x: Any, mu: Any) -> Any:
    chol = xp.linalg.cholesky(cov)
    z = xp.linalg.solve(chol, x - mu)
    n = x.shape[0]
    return (-0.5 * xp.sum(z * z) - xp.sum(xp.log(xp.diagonal(chol)))
            - 0.5 * n * math.log(2.0 * math.pi))


def _ridge(xp: Any, a: Any, b: Any, lam: Any) -> Any:
    at = xp.transpose(a)
    gram = xp.matmul(at, a) + lam * xp.eye(a.shape[1], dtype=a.dtype)
    return xp.linalg.solve(gram, xp.matmul(at, b))


def _normal_equations(xp: Any, a: Any, b: Any) -> Any:
    at = xp.transpose(a)
    return xp.linalg.solve(xp.matmul(at, a), xp.matmul(at, b))


COMPOSITIONS = [
    _l("gaussian-logpdf", _gaussian_logpdf,
       (Arg("cov", D.SPD, square), Arg("x", D.REAL, lambda n: (n,)),
        Arg("mu", D.REAL, lambda n: (n,))),
       note="multivariate normal log-density through a Cholesky factor"),
    _l("normal-equations", _normal_equations,
       (*A_TALL, Arg("b", D.REAL, lambda n: (n + 2,))), lambda n: (n,), sizes=TALL),
    _l("ridge-regression", _ridge,
       (*A_TALL, Arg("b", D.REAL, lambda n: (n + 2,)), Arg("lam", D.POSITIVE, ())),
       lambda n: (n,), sizes=TALL, note="(A^T A + lam I)^-1 A^T b; lam is differentiated too"),
    _l("quadratic-form-inverse", lambda xp, a, x: xp.dot(x, xp.matmul(xp.linalg.inv(a), x)),
       (*A_SPD, Arg("x", D.REAL, lambda n: (n,)))),
    _l("logdet-cholesky", lambda xp, a: 2.0 * xp.sum(xp.log(xp.diagonal(xp.linalg.cholesky(a)))),
       A_SPD),
    _l("trace-inverse", lambda xp, a: xp.trace(xp.linalg.inv(a)), A_NONSINGULAR),
    _l("matrix-power-loop", lambda xp, a: _power(xp, a, 5), A_NONSINGULAR, square,
       tags={"control-flow"}),
]


def _power(xp: Any, a: Any, k: int) -> Any:
    out = a
    for _ in range(k - 1):
        out = xp.matmul(out, a)
    return out


CASES = DECOMPOSITIONS + NORMS + COMPOSITIONS
