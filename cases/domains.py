"""Input domains: where each input of a case is drawn from, and a check that it lies there.

A :class:`Domain` pairs a sampler with a membership test. Samplers draw float64 (or integer /
boolean data) arrays from an explicit ``numpy.random.Generator``; the case casts floats to the
dtype under test, and the membership test runs on the cast array, so a float32 input that
rounding pushed out of its domain is caught at registration.

Draws stay well inside their domain (margins, spacing between distinct values) so that a
finite-difference oracle stepping around a point does not cross a boundary or a tie. The
domains that sit *on* a boundary on purpose (kinks, traps) say so: :func:`with_points` places
exact values at given entries, :func:`constant` fixes the whole input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ABOVE_ONE",
    "AWAY_FROM_HALF_INTEGERS",
    "AWAY_FROM_INTEGERS",
    "AWAY_FROM_ZERO",
    "DISTINCT",
    "DISTINCT_ABS",
    "EXTENDED_REAL",
    "FULL_RANK",
    "HALF_PI",
    "LATTICE_HIGH",
    "LATTICE_LOW",
    "NEGATIVE",
    "NONSINGULAR",
    "ORTHOGONAL",
    "POSITIVE",
    "PROBABILITY",
    "REAL",
    "REPEATED_EIGENVALUES",
    "SINGULAR",
    "SPD",
    "SYMMETRIC_DISTINCT",
    "UNIT_INTERVAL",
    "ZERO_ONE",
    "ZERO_OR_ONE",
    "Domain",
    "booleans",
    "constant",
    "integer_valued",
    "integers",
    "interval",
    "with_points",
]

Shape = tuple[int, ...]
Draw = Callable[[np.random.Generator, Shape], np.ndarray]
Test = Callable[[np.ndarray], "str | None"]


@dataclass(frozen=True)
class Domain:
    """A set of admissible inputs: ``sample`` draws from it, ``violation`` tests membership."""

    name: str
    description: str
    draw: Draw
    test: Test

    def sample(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        out = np.asarray(self.draw(rng, tuple(shape)))
        if out.shape != tuple(shape):
            raise ValueError(f"domain {self.name!r} drew shape {out.shape}, asked for {shape}")
        return out

    def violation(self, x: np.ndarray) -> str | None:
        """None when ``x`` lies in the domain, else what is wrong (for error messages)."""
        return self.test(np.asarray(x))

    def contains(self, x: np.ndarray) -> bool:
        return self.violation(x) is None

    def __repr__(self) -> str:
        return f"Domain({self.name!r})"


# --- helpers -----------------------------------------------------------------------------------
def _eps(x: np.ndarray) -> float:
    return float(np.finfo(x.dtype).eps) if x.dtype.kind == "f" else 0.0


def _first_bad(x: np.ndarray, bad: np.ndarray, what: str) -> str | None:
    """Name the first offending entry: 'x[1, 2] = -0.3 is not positive'."""
    if not np.any(bad):
        return None
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"entry {list(where)} = {x[where]!r} {what}"


def _floats(x: np.ndarray) -> str | None:
    if x.dtype.kind != "f":
        return f"dtype {x.dtype} is not floating point"
    return None


def _finite(x: np.ndarray) -> str | None:
    return _floats(x) or _first_bad(x, ~np.isfinite(x), "is not finite")


def _elementwise(pred: Callable[[np.ndarray], np.ndarray], what: str) -> Test:
    def test(x: np.ndarray) -> str | None:
        return _finite(x) or _first_bad(x, ~pred(x), what)

    return test


def _frac_distance(x: np.ndarray, offset: float = 0.0) -> np.ndarray:
    """Distance from x to the nearest point of ``Z + offset``."""
    shifted = x.astype(np.float64) - offset
    return np.abs(shifted - np.round(shifted))


# --- elementwise domains -----------------------------------------------------------------------
REAL = Domain(
    "real",
    "any finite real; drawn from N(0, 1)",
    lambda rng, shape: rng.normal(size=shape),
    _finite,
)

POSITIVE = Domain(
    "positive",
    "x > 0; drawn from U(0.25, 3)",
    lambda rng, shape: rng.uniform(0.25, 3.0, size=shape),
    _elementwise(lambda x: x > 0, "is not positive"),
)

NEGATIVE = Domain(
    "negative",
    "x < 0; drawn from U(-3, -0.25)",
    lambda rng, shape: rng.uniform(-3.0, -0.25, size=shape),
    _elementwise(lambda x: x < 0, "is not negative"),
)

AWAY_FROM_ZERO = Domain(
    "away-from-zero",
    "|x| >= 0.25; drawn with |x| from U(0.5, 2) and a random sign",
    lambda rng, shape: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape),
    _elementwise(lambda x: np.abs(x) >= 0.25, "is within 0.25 of zero"),
)


def interval(lo: float, hi: float, *, name: str | None = None, margin: float = 0.1) -> Domain:
    """The open interval (lo, hi); draws keep ``margin * (hi - lo)`` away from both ends."""
    if not lo < hi:
        raise ValueError(f"empty interval ({lo}, {hi})")
    pad = margin * (hi - lo)
    return Domain(
        name or f"({lo:g}, {hi:g})",
        f"{lo:g} < x < {hi:g}; drawn from U({lo + pad:g}, {hi - pad:g})",
        lambda rng, shape: rng.uniform(lo + pad, hi - pad, size=shape),
        _elementwise(lambda x: (x > lo) & (x < hi), f"is outside ({lo:g}, {hi:g})"),
    )


UNIT_INTERVAL = interval(-1.0, 1.0, name="(-1, 1)")
ZERO_ONE = interval(0.0, 1.0, name="(0, 1)")
HALF_PI = interval(-math.pi / 2, math.pi / 2, name="(-pi/2, pi/2)")

ABOVE_ONE = Domain(
    "above-one",
    "x > 1; drawn from 1 + U(0.25, 3)",
    lambda rng, shape: 1.0 + rng.uniform(0.25, 3.0, size=shape),
    _elementwise(lambda x: x > 1, "is not above 1"),
)

AWAY_FROM_INTEGERS = Domain(
    "away-from-integers",
    "at least 0.1 from every integer (floor and ceil jump at integers)",
    lambda rng, shape: rng.integers(-3, 3, size=shape) + rng.uniform(0.15, 0.85, size=shape),
    _elementwise(lambda x: _frac_distance(x) >= 0.1, "is within 0.1 of an integer"),
)

AWAY_FROM_HALF_INTEGERS = Domain(
    "away-from-half-integers",
    "at least 0.1 from every k + 1/2 (round jumps there)",
    lambda rng, shape: rng.integers(-3, 3, size=shape) + rng.uniform(-0.35, 0.35, size=shape),
    _elementwise(lambda x: _frac_distance(x, 0.5) >= 0.1, "is within 0.1 of a half-integer"),
)

# Two interleaved lattices: an x from the first and a y from the second differ by at least 0.1
# wherever they meet after broadcasting, so maximum(x, y) and minimum(x, y) have no ties.
LATTICE_LOW = Domain(
    "lattice-low",
    "fractional part in [0.05, 0.45]; never within 0.1 of a lattice-high value",
    lambda rng, shape: rng.integers(-2, 2, size=shape) + rng.uniform(0.05, 0.45, size=shape),
    _elementwise(lambda x: _frac_distance(x, 0.25) <= 0.2 + 1e-6, "is off the low lattice"),
)
LATTICE_HIGH = Domain(
    "lattice-high",
    "fractional part in [0.55, 0.95]; never within 0.1 of a lattice-low value",
    lambda rng, shape: rng.integers(-2, 2, size=shape) + rng.uniform(0.55, 0.95, size=shape),
    _elementwise(lambda x: _frac_distance(x, 0.75) <= 0.2 + 1e-6, "is off the high lattice"),
)


def _spread(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """n values in [lo, hi], one per cell of an even grid, in random order: distinct, with a
    gap of at least half a cell between any two."""
    cell = (hi - lo) / max(n, 1)
    return lo + (rng.permutation(n) + rng.uniform(0.25, 0.75, size=n)) * cell


def _distinct_test(x: np.ndarray, what: str = "entries") -> str | None:
    flat = np.sort(x.astype(np.float64).ravel())
    if flat.size > 1 and np.min(np.diff(flat)) <= 0:
        i = int(np.argmin(np.diff(flat)))
        return f"{what} are not pairwise distinct ({flat[i]!r} appears twice)"
    return None


DISTINCT = Domain(
    "distinct",
    "real, pairwise distinct (no ties for max, min, sort); drawn from a shuffled grid on [-2, 2]",
    lambda rng, shape: _spread(rng, math.prod(shape), -2.0, 2.0).reshape(shape),
    lambda x: _finite(x) or _distinct_test(x),
)

DISTINCT_ABS = Domain(
    "distinct-abs",
    "|x| >= 0.25 and pairwise distinct (no ties for max|x|, the inf-norm)",
    lambda rng, shape: (
        rng.choice([-1.0, 1.0], size=shape)
        * _spread(rng, math.prod(shape), 0.5, 2.0).reshape(shape)
    ),
    lambda x: (
        _finite(x)
        or _first_bad(x, np.abs(x) < 0.25, "is within 0.25 of zero")
        or _distinct_test(np.abs(x), "absolute values")
    ),
)

ZERO_OR_ONE = Domain(
    "zero-or-one",
    "floats equal to 0 or 1 (labels, indicator weights); each with probability 1/2",
    lambda rng, shape: (rng.uniform(size=shape) < 0.5).astype(np.float64),
    lambda x: _floats(x) or _first_bad(x, (x != 0) & (x != 1), "is neither 0 nor 1"),
)

EXTENDED_REAL = Domain(
    "extended-real",
    "real or +-inf, never NaN; drawn from N(0, 1) (samplers place the infinities)",
    lambda rng, shape: rng.normal(size=shape),
    lambda x: _floats(x) or _first_bad(x, np.isnan(x), "is NaN"),
)


# --- data domains ------------------------------------------------------------------------------
def integers(lo: int, hi: int) -> Domain:
    """Integer data in [lo, hi) (indices, counts): never differentiated, never cast."""
    return Domain(
        f"integers[{lo}, {hi})",
        f"integer data with {lo} <= i < {hi}",
        lambda rng, shape: rng.integers(lo, hi, size=shape),
        lambda x: (
            f"dtype {x.dtype} is not an integer dtype" if x.dtype.kind not in "iu"
            else _first_bad(x, (x < lo) | (x >= hi), f"is outside [{lo}, {hi})")
        ),
    )


def integer_valued(lo: int, hi: int) -> Domain:
    """Floats holding whole numbers in [lo, hi] (integer exponents as float arrays)."""
    return Domain(
        f"integer-valued[{lo}, {hi}]",
        f"floats equal to whole numbers from {lo} to {hi}",
        lambda rng, shape: rng.integers(lo, hi + 1, size=shape).astype(np.float64),
        lambda x: _finite(x) or _first_bad(
            x, (x != np.round(x)) | (x < lo) | (x > hi), f"is not a whole number in [{lo}, {hi}]"
        ),
    )


def booleans(p: float = 0.5) -> Domain:
    """Boolean data (masks, conditions); True with probability p."""
    return Domain(
        f"booleans(p={p:g})",
        f"boolean data, True with probability {p:g}",
        lambda rng, shape: rng.uniform(size=shape) < p,
        lambda x: None if x.dtype == np.bool_ else f"dtype {x.dtype} is not bool",
    )


def constant(values: object, *, name: str | None = None) -> Domain:
    """Exactly these values (kinks, traps and fixtures that must sit at a given point)."""
    fixed = np.array(values, dtype=np.float64)

    def draw(rng: np.random.Generator, shape: Shape) -> np.ndarray:
        return np.broadcast_to(fixed, shape).copy()

    def test(x: np.ndarray) -> str | None:
        if x.dtype.kind != "f":
            return f"dtype {x.dtype} is not floating point"
        want = np.broadcast_to(fixed.astype(x.dtype), x.shape)
        same = (x == want) | (np.isnan(x) & np.isnan(want))
        return _first_bad(x, ~same, "differs from the fixed value")

    label = np.array2string(fixed, separator=", ", threshold=8)
    return Domain(name or f"constant {label}", f"exactly {label}", draw, test)


def with_points(base: Domain, points: Mapping[tuple[int, ...], float]) -> Domain:
    """``base`` with exact values placed at some entries (a kink, a tie, a trap).

    The entries listed must hold exactly their value; every other entry must lie in ``base``
    (an elementwise domain).
    """
    items = tuple((tuple(int(i) for i in k), float(v)) for k, v in points.items())

    def draw(rng: np.random.Generator, shape: Shape) -> np.ndarray:
        x = np.array(base.sample(rng, shape), dtype=np.float64)
        for index, value in items:
            x[index] = value
        return x

    def test(x: np.ndarray) -> str | None:
        mask = np.zeros(x.shape, dtype=bool)
        for index, value in items:
            try:
                got = x[index]
            except IndexError:
                return f"entry {list(index)} is outside an input of shape {x.shape}"
            if not (got == np.asarray(value, dtype=x.dtype) or (np.isnan(got) and np.isnan(value))):
                return f"entry {list(index)} = {got!r}, expected exactly {value!r}"
            mask[index] = True
        return base.violation(x[~mask])

    label = ", ".join(f"{list(k)}={v:g}" for k, v in items)
    return Domain(
        f"{base.name} with {label}",
        f"{base.description}; except exactly {label}",
        draw,
        test,
    )


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
        problem = _finite(x)
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
    return None if error <= 50 * q.shape[0] * _eps(q) else f"Q^T Q - I is {error:.3g}"


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
        1.0 + _spread(rng, n, 0.0, 2.0))) @ _orthogonal(rng, n).T),
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
    if s[-1] > 100 * _eps(a) * max(s[0], 1.0):
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
    return None if gap <= 1e3 * _eps(a) * a.shape[0] else "has no repeated eigenvalue"


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
    lambda x: _finite(x) or _first_bad(x, x <= 0, "is not positive") or (
        None if np.all(np.abs(np.sum(x.astype(np.float64), axis=-1) - 1.0)
                       <= 4 * x.shape[-1] * _eps(x))
        else "rows do not sum to 1"),
)
