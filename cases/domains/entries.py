"""Domains of entries: the real line and its intervals, points kept off integer or half-integer
lattices, distinct values, data (integers, booleans), and inputs placed exactly on a point."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from cases.domains.domain import (
    Domain,
    Shape,
    entrywise_test,
    first_bad,
    not_finite,
    not_floats,
    spread,
)

__all__ = [
    "ABOVE_ONE",
    "AWAY_FROM_HALF_INTEGERS",
    "AWAY_FROM_INTEGERS",
    "AWAY_FROM_ZERO",
    "DISTINCT",
    "DISTINCT_ABS",
    "EXTENDED_REAL",
    "HALF_PI",
    "LATTICE_HIGH",
    "LATTICE_LOW",
    "NEGATIVE",
    "POSITIVE",
    "REAL",
    "UNIT_INTERVAL",
    "ZERO_ONE",
    "ZERO_OR_ONE",
    "booleans",
    "constant",
    "integer_valued",
    "integers",
    "interval",
    "with_points",
]


def _frac_distance(x: np.ndarray, offset: float = 0.0) -> np.ndarray:
    """Distance from x to the nearest point of ``Z + offset``."""
    shifted = x.astype(np.float64) - offset
    return np.abs(shifted - np.round(shifted))


# --- elementwise domains -----------------------------------------------------------------------
REAL = Domain(
    "real",
    "any finite real; drawn from N(0, 1)",
    lambda rng, shape: rng.normal(size=shape),
    not_finite,
)

POSITIVE = Domain(
    "positive",
    "x > 0; drawn from U(0.25, 3)",
    lambda rng, shape: rng.uniform(0.25, 3.0, size=shape),
    entrywise_test(lambda x: x > 0, "is not positive"),
)

NEGATIVE = Domain(
    "negative",
    "x < 0; drawn from U(-3, -0.25)",
    lambda rng, shape: rng.uniform(-3.0, -0.25, size=shape),
    entrywise_test(lambda x: x < 0, "is not negative"),
)

AWAY_FROM_ZERO = Domain(
    "away-from-zero",
    "|x| >= 0.25; drawn with |x| from U(0.5, 2) and a random sign",
    lambda rng, shape: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape),
    entrywise_test(lambda x: np.abs(x) >= 0.25, "is within 0.25 of zero"),
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
        entrywise_test(lambda x: (x > lo) & (x < hi), f"is outside ({lo:g}, {hi:g})"),
    )


UNIT_INTERVAL = interval(-1.0, 1.0, name="(-1, 1)")
ZERO_ONE = interval(0.0, 1.0, name="(0, 1)")
HALF_PI = interval(-math.pi / 2, math.pi / 2, name="(-pi/2, pi/2)")

ABOVE_ONE = Domain(
    "above-one",
    "x > 1; drawn from 1 + U(0.25, 3)",
    lambda rng, shape: 1.0 + rng.uniform(0.25, 3.0, size=shape),
    entrywise_test(lambda x: x > 1, "is not above 1"),
)

AWAY_FROM_INTEGERS = Domain(
    "away-from-integers",
    "at least 0.1 from every integer (floor and ceil jump at integers)",
    lambda rng, shape: rng.integers(-3, 3, size=shape) + rng.uniform(0.15, 0.85, size=shape),
    entrywise_test(lambda x: _frac_distance(x) >= 0.1, "is within 0.1 of an integer"),
)

AWAY_FROM_HALF_INTEGERS = Domain(
    "away-from-half-integers",
    "at least 0.1 from every k + 1/2 (round jumps there)",
    lambda rng, shape: rng.integers(-3, 3, size=shape) + rng.uniform(-0.35, 0.35, size=shape),
    entrywise_test(lambda x: _frac_distance(x, 0.5) >= 0.1, "is within 0.1 of a half-integer"),
)

# Two interleaved lattices: an x from the first and a y from the second differ by at least 0.1
# wherever they meet after broadcasting, so maximum(x, y) and minimum(x, y) have no ties.
LATTICE_LOW = Domain(
    "lattice-low",
    "fractional part in [0.05, 0.45]; never within 0.1 of a lattice-high value",
    lambda rng, shape: rng.integers(-2, 2, size=shape) + rng.uniform(0.05, 0.45, size=shape),
    entrywise_test(lambda x: _frac_distance(x, 0.25) <= 0.2 + 1e-6, "is off the low lattice"),
)
LATTICE_HIGH = Domain(
    "lattice-high",
    "fractional part in [0.55, 0.95]; never within 0.1 of a lattice-low value",
    lambda rng, shape: rng.integers(-2, 2, size=shape) + rng.uniform(0.55, 0.95, size=shape),
    entrywise_test(lambda x: _frac_distance(x, 0.75) <= 0.2 + 1e-6, "is off the high lattice"),
)


def _distinct_test(x: np.ndarray, what: str = "entries") -> str | None:
    flat = np.sort(x.astype(np.float64).ravel())
    if flat.size > 1 and np.min(np.diff(flat)) <= 0:
        i = int(np.argmin(np.diff(flat)))
        return f"{what} are not pairwise distinct ({flat[i]!r} appears twice)"
    return None


DISTINCT = Domain(
    "distinct",
    "real, pairwise distinct (no ties for max, min, sort); drawn from a shuffled grid on [-2, 2]",
    lambda rng, shape: spread(rng, math.prod(shape), -2.0, 2.0).reshape(shape),
    lambda x: not_finite(x) or _distinct_test(x),
)

DISTINCT_ABS = Domain(
    "distinct-abs",
    "|x| >= 0.25 and pairwise distinct (no ties for max|x|, the inf-norm)",
    lambda rng, shape: (
        rng.choice([-1.0, 1.0], size=shape)
        * spread(rng, math.prod(shape), 0.5, 2.0).reshape(shape)
    ),
    lambda x: (
        not_finite(x)
        or first_bad(x, np.abs(x) < 0.25, "is within 0.25 of zero")
        or _distinct_test(np.abs(x), "absolute values")
    ),
)

ZERO_OR_ONE = Domain(
    "zero-or-one",
    "floats equal to 0 or 1 (labels, indicator weights); each with probability 1/2",
    lambda rng, shape: (rng.uniform(size=shape) < 0.5).astype(np.float64),
    lambda x: not_floats(x) or first_bad(x, (x != 0) & (x != 1), "is neither 0 nor 1"),
)

EXTENDED_REAL = Domain(
    "extended-real",
    "real or +-inf, never NaN; drawn from N(0, 1) (samplers place the infinities)",
    lambda rng, shape: rng.normal(size=shape),
    lambda x: not_floats(x) or first_bad(x, np.isnan(x), "is NaN"),
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
            else first_bad(x, (x < lo) | (x >= hi), f"is outside [{lo}, {hi})")
        ),
    )


def integer_valued(lo: int, hi: int) -> Domain:
    """Floats holding whole numbers in [lo, hi] (integer exponents as float arrays)."""
    return Domain(
        f"integer-valued[{lo}, {hi}]",
        f"floats equal to whole numbers from {lo} to {hi}",
        lambda rng, shape: rng.integers(lo, hi + 1, size=shape).astype(np.float64),
        lambda x: not_finite(x) or first_bad(
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
        return first_bad(x, ~same, "differs from the fixed value")

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
