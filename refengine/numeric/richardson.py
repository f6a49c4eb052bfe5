"""Richardson extrapolation of difference quotients, with an error estimate per entry.

Given difference quotients ``D(h_k)`` on a ladder of steps ``h_k = h_0 / r^k`` whose error
expands in powers ``h^p, h^2p, ...`` (p = 2 for central, p = 1 for one-sided differences), the
tableau eliminates one power per column. Every tableau entry ``T[j][k]`` gets an error estimate

    safety * max(|T[j][k] - T[j-1][k]|, |T[j][k] - T[j-1][k-1]|) + roundoff floor,

(three estimates must agree before a value is trusted), and each output entry takes the tableau
entry whose estimate is smallest. The roundoff floor (``eps |f| / h``, amplified by the
extrapolation weights) keeps the tiny steps, where differences are rounding noise, from
reporting a spuriously small error.
"""

from __future__ import annotations

import numpy as np

__all__ = ["extrapolate"]


def extrapolate(
    quotients: np.ndarray,
    floors: np.ndarray,
    *,
    power: int,
    ratio: float,
    max_order: int,
    safety: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Best extrapolated value and its error bound per entry.

    ``quotients`` and ``floors`` have shape (levels, entries); rows with NaN (a step that left
    the domain of ``f``) are skipped. Entries with no usable candidate get NaN and inf.
    """
    d = np.asarray(quotients, dtype=np.float64)
    levels, m = d.shape
    with np.errstate(invalid="ignore", over="ignore"):
        t_prev = d
        f_prev = np.asarray(floors, dtype=np.float64)
        e0 = np.full_like(d, np.inf)
        e0[1:] = np.abs(d[1:] - d[:-1])
        values = [d]
        estimates = [safety * e0 + f_prev]
        for j in range(1, min(max_order, levels - 1) + 1):
            c = ratio ** (power * j) - 1.0
            t = np.full_like(d, np.nan)
            t[1:] = t_prev[1:] + (t_prev[1:] - t_prev[:-1]) / c
            e = np.full_like(d, np.inf)
            e[1:] = np.maximum(np.abs(t[1:] - t_prev[1:]), np.abs(t[1:] - t_prev[:-1]))
            fl = np.full_like(d, np.inf)
            fl[1:] = np.maximum(f_prev[1:], f_prev[:-1]) * (c + 2.0) / c
            values.append(t)
            estimates.append(safety * e + fl)
            t_prev, f_prev = t, fl
        value = np.stack(values).reshape(-1, m)
        est = np.stack(estimates).reshape(-1, m)
    est = np.where(np.isfinite(est) & np.isfinite(value), est, np.inf)
    best = np.argmin(est, axis=0)
    cols = np.arange(m)
    err = est[best, cols]
    val = np.where(np.isfinite(err), value[best, cols], np.nan)
    return val, err
