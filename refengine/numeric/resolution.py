"""The resolution of ``f``: the grid its values actually live on near the point.

The rounding floor ``eps * |f|`` assumes ``f`` is computed to its own precision. A function
whose value is a small difference of large intermediates is not: ``sqrt(1 + x) - 1`` at 1e-5
is about 5e-6, but its values are multiples of 2^-52 (the spacing of floats near 1), and
``(1e8 + sin x) - 1e8`` takes multiples of 1.5e-8. Power-of-two steps then turn that grid into
a systematic error, not noise: ``f(x + h) - f(x)`` comes out as ``round(f' h / q) q``, which
for the sqrt is ``h / 2`` instead of ``0.4999975 h`` on every step below 4e-11, a change
exactly linear in h (the Taylor remainder test would read it as a wrong derivative).

The changes ``f(x +- h v) - f(x)`` are exact (neighbouring floats subtract exactly), so the
grid shows in them: every change is a whole multiple of its spacing. The largest power of two
that divides all of them (the lowest set bit of each, their minimum) bounds the spacing from
above. It can overstate it where f is computed exactly (``3 x`` at 1 with power-of-two steps
changes by ``3 h``, whose lowest bit is h itself), so it may only raise a floor, making a test
less decisive, never more.
"""

from __future__ import annotations

import numpy as np

__all__ = ["resolution"]

_ENOUGH = 8  # changes needed before their common divisor means anything


def resolution(fp: np.ndarray, fm: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """Per output entry: the grid spacing seen in the changes of f (0 where too few changes).

    ``fp`` and ``fm`` (levels x entries) are ``f(x + h v)`` and ``f(x - h v)``, ``f0`` is
    ``f(x)``. NaN rows are ignored.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        changes = np.concatenate([fp - f0, fm - f0])
    ok = np.isfinite(changes) & (changes != 0)
    mantissa, exponent = np.frexp(np.where(ok, np.abs(changes), 1.0))
    bits = (mantissa * 2.0**53).astype(np.int64)
    lowest = (bits & -bits).astype(np.float64) * np.ldexp(1.0, exponent - 53)
    grid = np.where(ok, lowest, np.inf).min(axis=0)
    return np.where((ok.sum(axis=0) >= _ENOUGH) & np.isfinite(grid), grid, 0.0)
