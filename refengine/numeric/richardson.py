"""Richardson extrapolation of difference quotients, with an error estimate per entry.

Given difference quotients ``D(h_k)`` on a ladder of steps ``h_k = h_0 / r^k`` whose error
expands in powers ``h^p, h^2p, ...`` (p = 2 for central, p = 1 for one-sided differences), the
tableau eliminates one power per column. Every tableau entry ``T[j][k]`` gets an error estimate

    safety * max(|T[j][k] - T[j-1][k]|, |T[j][k] - T[j-1][k-1]|) + rounding floor,

(three estimates must agree before a value is trusted), and each output entry takes the tableau
entry whose estimate is smallest, unless the quotients of smaller steps contradict it.

That last rule is what keeps wide steps honest. A step much wider than the scale on which ``f``
varies can see a plateau: for the bump ``f(x) = sech^2(1e4 x)`` every step wider than 1e-3 gives
the quotient 0, the quotients agree, and their spread (zero) plus the rounding floor (tiny at a
wide step) would make ``0 +- 1e-10`` the most confident estimate, while the steps below 1e-4 show
the derivative is -2e7. Truncation error shrinks as the step shrinks, so the quotients of smaller
steps must stay within what the chosen estimate allows (the spread of the quotients it came from,
plus its error, plus their rounding floor); where they do not, the estimate is discarded with all
those from wider steps, and the choice is made again among the smaller steps.

The rounding floor is the noise in the values of ``f`` divided by the step, amplified by the
extrapolation weights. The noise is at least ``roundoff * eps * |f|``, but ``f`` may cancel (a
nearly-zero sum of large terms), so it is also measured: on the smallest steps, the jumps of the
highest-order column that has eliminated the truncation error are rounding noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Extrapolation", "contradicted", "extrapolate"]


@dataclass(frozen=True)
class Extrapolation:
    value: np.ndarray  # best value per entry (NaN where no candidate)
    error: np.ndarray  # its error bound (inf where no candidate)
    level: np.ndarray  # the ladder level (row) the best value came from, -1 if none
    trusted: np.ndarray  # whether that value came from the asymptotic range of steps
    column: np.ndarray  # the tableau column (eliminations) the best value came from, -1 if none
    contradicted: np.ndarray  # whether an estimate from wider steps was discarded (see above)
    measured_noise: np.ndarray  # the noise in f seen on the smallest steps (may be truncation)


def extrapolate(
    quotients: np.ndarray,
    denominators: np.ndarray,
    noise: np.ndarray,
    *,
    power: int,
    ratio: float = 2.0,
    max_order: int = 4,
    safety: float = 2.0,
    bottom: int = 4,
) -> Extrapolation:
    """Extrapolate each column of ``quotients`` (shape (levels, entries)).

    ``denominators`` (levels, 1 or entries) are the step widths the quotients divided by;
    ``noise`` (levels, entries) is the assumed rounding error of each value of ``f``. Rows with
    NaN (a step that left the domain of ``f``) are skipped.
    """
    d = np.asarray(quotients, dtype=np.float64)
    levels, m = d.shape
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        tables = [d]
        amps = [1.0]
        for j in range(1, min(max_order, levels - 1) + 1):
            c = ratio ** (power * j) - 1.0
            prev = tables[-1]
            t = np.full_like(d, np.nan)
            t[1:] = prev[1:] + (prev[1:] - prev[:-1]) / c
            tables.append(t)
            amps.append(amps[-1] * (c + 2.0) / c)
        measured = _measured_noise(tables, amps, denominators, bottom)
        sigma = np.fmax(noise, measured)
        unit_floor = 2.0 * sigma / denominators
        values, estimates = [], []
        for j, t in enumerate(tables):
            floor = unit_floor * amps[j]
            e = np.full_like(d, np.inf)
            if j == 0:
                e[1:] = np.abs(t[1:] - t[:-1])
            else:
                prev = tables[j - 1]
                e[1:] = np.maximum(np.abs(t[1:] - prev[1:]), np.abs(t[1:] - prev[:-1]))
            values.append(t)
            estimates.append(safety * e + floor)
        # Only the a-priori noise says "at the floor": measured noise may be truncation.
        trusted = _asymptotic(d, 2.0 * noise / denominators, len(tables))
        value = np.stack(values).reshape(-1, m)
        est = np.stack(estimates).reshape(-1, m)
    est = np.where(np.isfinite(est) & np.isfinite(value), est, np.inf)
    rows = np.arange(est.shape[0])
    level_of, column_of = rows % levels, rows // levels
    cols = np.arange(m)
    discarded = np.zeros(m, dtype=bool)
    # Each pass discards, for every entry whose choice smaller steps contradict, the candidates
    # of that level and wider; a level is never revisited, so there are at most ``levels``.
    for _ in range(levels):
        # Prefer candidates from the asymptotic range; fall back to all where there is none (the
        # caller then extends the ladder, and reports the entry invalid if that does not help).
        in_range = np.where(trusted, est, np.inf)
        any_trusted = np.isfinite(in_range).any(axis=0)
        pick = np.where(any_trusted, in_range, est)
        best = np.argmin(pick, axis=0)
        err = pick[best, cols]
        found = np.isfinite(err)
        bad = found & contradicted(
            d, unit_floor, value[best, cols], err, level_of[best], column_of[best]
        )
        if not bad.any():
            break
        discarded |= bad
        wide = level_of[:, None] <= level_of[best][None, :]
        est = np.where(wide & bad[None, :], np.inf, est)
    return Extrapolation(
        value=np.where(found, value[best, cols], np.nan),
        error=err,
        level=np.where(found, level_of[best], -1),
        trusted=found & any_trusted,
        column=np.where(found, column_of[best], -1),
        contradicted=discarded,
        measured_noise=measured,
    )


def contradicted(
    d: np.ndarray,
    unit_floor: np.ndarray,
    value: np.ndarray,
    error: np.ndarray,
    level: np.ndarray,
    column: np.ndarray,
) -> np.ndarray:
    """Per entry: do the quotients of steps smaller than the chosen estimate's disagree with it?

    The estimate from column ``j`` at level ``k`` used the quotients of levels ``k - j - 1`` to
    ``k``; their largest distance from the value is the truncation error the estimate has
    already seen. The truncation error of smaller steps is smaller (by 4 per halving in the
    asymptotic range), so a quotient of a smaller step that is further from the value than
    twice that distance plus the estimate's error, plus four times its own rounding floor, shows
    the estimate came from steps too wide for ``f``.
    """
    levels = d.shape[0]
    k = np.arange(levels)[:, None]
    with np.errstate(invalid="ignore"):
        dist = np.abs(d - value[None, :])
        used = (k >= (level - column - 1)[None, :]) & (k <= level[None, :])
        seen = np.where(used & np.isfinite(dist), dist, 0.0).max(axis=0)
        allowed = 2.0 * (seen + error)[None, :] + 4.0 * unit_floor
        finer = (k > level[None, :]) & np.isfinite(dist)
        return np.any(finer & (dist > allowed), axis=0)


def _asymptotic(d: np.ndarray, unit_floor: np.ndarray, columns: int) -> np.ndarray:
    """Which tableau entries come from steps in the asymptotic range (shape (columns*levels, m)).

    There the differences between successive quotients shrink as the step shrinks (by r^p), or
    are already down at the rounding floor. Steps far larger than the scale on which ``f``
    varies (e.g. steps across the pole of 1/x, or into a region where log is undefined on one
    side) give quotients that change smoothly but not like a power series, and can make a few
    tableau entries agree by accident; they are not trusted. Column ``j`` at level ``k`` needs
    the ``j + 1`` differences ending at level ``k`` to qualify.
    """
    levels, m = d.shape
    good = np.zeros_like(d, dtype=bool)
    delta = np.abs(d[1:] - d[:-1])
    shrinking = delta[1:] <= 0.75 * delta[:-1]
    at_floor = delta[1:] <= 2.0 * unit_floor[2:]
    good[2:] = (shrinking | at_floor) & np.isfinite(delta[1:]) & np.isfinite(delta[:-1])
    out = []
    run = np.zeros_like(d, dtype=np.int64)  # consecutive good levels ending here
    for k in range(levels):
        run[k] = np.where(good[k], (run[k - 1] if k else 0) + 1, 0)
    for j in range(columns):
        out.append(run >= j + 1)
    return np.stack(out).reshape(-1, m)


def _measured_noise(
    tables: list[np.ndarray], amps: list[float], denominators: np.ndarray, bottom: int
) -> np.ndarray:
    """Noise in f's values seen on the ``bottom`` smallest usable steps (0 if too few)."""
    best = None
    for t, amp in zip(tables, amps):
        jumps = np.abs(t[1:] - t[:-1]) * denominators[1:] / (2.0 * amp)
        finite = np.isfinite(jumps)
        rank_from_bottom = np.cumsum(finite[::-1], axis=0)[::-1]
        enough = finite.sum(axis=0) >= 2
        seen = np.where(finite & (rank_from_bottom <= bottom), jumps, 0.0).max(axis=0)
        seen = np.where(enough, seen, np.inf)
        best = seen if best is None else np.fmin(best, seen)
    assert best is not None
    return np.where(np.isfinite(best), best, 0.0)
