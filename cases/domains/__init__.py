"""Input domains: where each input of a case is drawn from, and a check that it lies there.

A :class:`Domain` pairs a sampler with a membership test. Samplers draw float64 (or integer /
boolean data) arrays from an explicit ``numpy.random.Generator``; the case casts floats to the
dtype under test, and the membership test runs on the cast array, so a float32 input that
rounding pushed out of its domain is caught at registration.

Draws stay well inside their domain (margins, spacing between distinct values) so that a
finite-difference oracle stepping around a point does not cross a boundary or a tie. The
domains that sit *on* a boundary on purpose (kinks, traps) say so: :func:`with_points` places
exact values at given entries, :func:`constant` fixes the whole input.

Modules: ``domain`` (the ``Domain`` type and the tests it is built from), ``entries`` (the real
line, intervals, lattices, distinct values, data, fixed points), ``matrices`` (matrix domains
and probability vectors). Cases use them through this package: ``from cases import domains as
D``. They import NumPy only.
"""

from cases.domains.domain import Domain
from cases.domains.entries import (
    ABOVE_ONE,
    AWAY_FROM_HALF_INTEGERS,
    AWAY_FROM_INTEGERS,
    AWAY_FROM_ZERO,
    DISTINCT,
    DISTINCT_ABS,
    EXTENDED_REAL,
    HALF_PI,
    LATTICE_HIGH,
    LATTICE_LOW,
    NEGATIVE,
    POSITIVE,
    REAL,
    UNIT_INTERVAL,
    ZERO_ONE,
    ZERO_OR_ONE,
    booleans,
    constant,
    integer_valued,
    integers,
    interval,
    with_points,
)
from cases.domains.matrices import (
    FULL_RANK,
    NONSINGULAR,
    ORTHOGONAL,
    PROBABILITY,
    REPEATED_EIGENVALUES,
    SINGULAR,
    SPD,
    SYMMETRIC_DISTINCT,
)

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
