"""Domains of matrices (the last two axes; leading axes are a batch): nonsingular, SPD,
orthogonal, distinct or repeated eigenvalues, full rank, singular; and probability vectors."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cases.domains.domain import (
    Domain,
    Draw,
    Shape,
    Test,
    dtype_eps,
    first_bad,
    not_finite,
    spread,
)

__all__ = [
    "FULL_RANK",
    "NONSINGULAR",
    "ORTHOGONAL",
    "PROBABILITY",
    "REPEATED_EIGENVALUES",
    "SINGULAR",
    "SPD",
    "SYMMETRIC_DISTINCT",
]


# --- matrix domains (last two axes; leading axes are a batch) ------------------------------------
def _batched(one: Callable[[np.random.Generator, int, int], np.ndarray]) -> Draw:
    def draw(rng: np.random.Generator, shape: Shape) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(f"a matrix domain needs at least 2 dimensions, got shape {shape}")
        *batch, m, n = shape
        mats = [one(rng, m, n) for _ in range(math.prod(batch))]
        return np.reshape(np.array(mats, dtype=np.float64), shape)

    return draw


def _matrix_test(check: Callable[[np.ndarray], str | None]) -> Test:
    def test(x: np.ndarray) -> str | None:
        problem = not_finite(x)
        if problem or x.ndim < 2:
            return problem or f"shape {x.shape} is not a matrix"
        for index in np.ndindex(*x.shape[:-2]):
            problem = check(x[index])
            if problem:
                return f"matrix {list(index)}: {problem}" if index else problem
        return None

    return test


def _orthogonal(rng: np.random.Generator, m: int, n: int | None = None) -> np.ndarray:
    """A Haar-random m x n matrix with orthonormal columns (QR with the signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(m, n or m)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def _symmetric(q: np.ndarray, eigenvalues: np.ndarray) -> np.ndarray:
    a = (q * eigenvalues) @ q.T
    return 0.5 * (a + a.T)  # exactly symmetric, also after a cast to float32


def _square(x: np.ndarray) -> str | None:
    return None if x.shape[-1] == x.shape[-2] else f"shape {x.shape} is not square"


def _symmetric_test(x: np.ndarray) -> str | None:
    return _square(x) or (None if np.array_equal(x, x.T) else "is not exactly symmetric")


def _gaps(values: np.ndarray) -> float:
    return float(np.min(np.diff(np.sort(values)))) if values.size > 1 else math.inf


def _cond_test(a: np.ndarray) -> str | None:
    cond = np.linalg.cond(a.astype(np.float64))
    return None if cond <= 10 else f"condition number {cond:.3g} is above 10"


NONSINGULAR = Domain(
    "nonsingular",
    "square, singular values in [0.7, 1.4] (condition number <= 2)",
    _batched(lambda rng, m, n: (
        _orthogonal(rng, m) * rng.uniform(0.7, 1.4, size=m)) @ _orthogonal(rng, m).T),
    _matrix_test(lambda a: _square(a) or _cond_test(a)),
)


def _positive_definite_test(a: np.ndarray) -> str | None:
    smallest = np.linalg.eigvalsh(a.astype(np.float64))[0]
    return None if smallest > 0 else f"is not positive definite (eigenvalue {smallest:.3g})"


SPD = Domain(
    "spd",
    "symmetric positive definite, eigenvalues in [0.5, 2]",
    _batched(lambda rng, m, n: _symmetric(_orthogonal(rng, m), rng.uniform(0.5, 2.0, size=m))),
    _matrix_test(lambda a: _symmetric_test(a) or _positive_definite_test(a)),
)


def _orthogonal_test(q: np.ndarray) -> str | None:
    error = np.max(np.abs(q.T.astype(np.float64) @ q - np.eye(q.shape[0])))
    return None if error <= 50 * q.shape[0] * dtype_eps(q) else f"Q^T Q - I is {error:.3g}"


ORTHOGONAL = Domain(
    "orthogonal",
    "Q^T Q = I (Haar-random, from QR with the signs fixed)",
    _batched(lambda rng, m, n: _orthogonal(rng, m)),
    _matrix_test(lambda q: _square(q) or _orthogonal_test(q)),
)


def _eigengap_test(a: np.ndarray) -> str | None:
    gap = _gaps(np.linalg.eigvalsh(a.astype(np.float64)))
    return None if gap >= 0.25 else f"eigenvalues are only {gap:.3g} apart"


SYMMETRIC_DISTINCT = Domain(
    "symmetric-distinct",
    "symmetric with eigenvalues at least 0.3 apart (eigenvectors well defined)",
    _batched(lambda rng, m, n: _symmetric(
        _orthogonal(rng, m), 0.5 * np.arange(m) - 0.25 * m + rng.uniform(0.0, 0.2, size=m))),
    _matrix_test(lambda a: _symmetric_test(a) or _eigengap_test(a)),
)


def _full_rank_test(a: np.ndarray) -> str | None:
    if a.shape[0] < a.shape[1]:
        return f"shape {a.shape} has fewer rows than columns"
    s = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    if s[-1] < 0.5 or _gaps(s) < 0.1:
        return f"singular values {s} are not all >= 0.5 and 0.1 apart"
    return None


FULL_RANK = Domain(
    "full-rank",
    "m x n with m >= n, distinct singular values in [1, 3] at least 0.1 apart",
    _batched(lambda rng, m, n: (_orthogonal(rng, m, n) * (
        1.0 + spread(rng, n, 0.0, 2.0))) @ _orthogonal(rng, n).T),
    _matrix_test(_full_rank_test),
)


def _rank_deficient(rng: np.random.Generator, m: int, n: int) -> np.ndarray:
    # Small integers with the last row the sum of the first two: singular in exact arithmetic
    # and exactly representable in float32 too.
    a = rng.integers(-3, 4, size=(m, m)).astype(np.float64)
    a[-1] = a[0] + a[1]
    return a


def _singular_test(a: np.ndarray) -> str | None:
    s = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    if s[-1] > 100 * dtype_eps(a) * max(s[0], 1.0):
        return f"is not singular (smallest singular value {s[-1]:.3g})"
    return None


SINGULAR = Domain(
    "singular",
    "square, rank n - 1 (integer entries, last row = row 0 + row 1)",
    _batched(_rank_deficient),
    _matrix_test(lambda a: _square(a) or _singular_test(a)),
)


def _repeated(rng: np.random.Generator, m: int, n: int) -> np.ndarray:
    eigenvalues = np.arange(m, dtype=np.float64)
    eigenvalues[1] = eigenvalues[0]  # the two smallest coincide
    return _symmetric(_orthogonal(rng, m), eigenvalues + 1.0)


def _repeated_test(a: np.ndarray) -> str | None:
    gap = _gaps(np.linalg.eigvalsh(a.astype(np.float64)))
    return None if gap <= 1e3 * dtype_eps(a) * a.shape[0] else "has no repeated eigenvalue"


REPEATED_EIGENVALUES = Domain(
    "repeated-eigenvalues",
    "symmetric, its two smallest eigenvalues equal (to rounding), the rest 1 apart",
    _batched(_repeated),
    _matrix_test(lambda a: _symmetric_test(a) or _repeated_test(a)),
)


def _probability(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    if not shape:
        raise ValueError("a probability vector needs at least one dimension")
    return rng.dirichlet(np.full(shape[-1], 2.0), size=shape[:-1]).reshape(shape)


PROBABILITY = Domain(
    "probability",
    "positive entries summing to 1 along the last axis; drawn from Dirichlet(2, ..., 2)",
    _probability,
    lambda x: not_finite(x) or first_bad(x, x <= 0, "is not positive") or (
        None if np.all(np.abs(np.sum(x.astype(np.float64), axis=-1) - 1.0)
                       <= 4 * x.shape[-1] * dtype_eps(x))
        else "rows do not sum to 1"),
)
