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

from cases.domains import entries, matrices
from cases.domains.domain import Domain
from cases.domains.entries import *  # noqa: F403 - the names in entries.__all__
from cases.domains.matrices import *  # noqa: F403 - the names in matrices.__all__

__all__ = ["Domain"]
__all__ += entries.__all__
__all__ += matrices.__all__
