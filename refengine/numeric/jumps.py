"""Jumps: one-sided derivatives computed beside the point, where ``f`` jumps at it.

A derivative function jumps where the function it differentiates has a kink: relu' at 0, the
gradient of max(x) at a tie, that of ||x|| at 0. Its own derivative does not exist there, but
each side may be smooth: ``f(x + h v)`` follows one branch ``F+`` for ``h > 0`` and another,
``F-``, for ``h < 0``, while ``f(x)`` itself belongs to either, both or neither (relu'(0) = 0, the
gradient of a tie split in halves). The one-sided limits of ``f``'s derivative along ``v`` are
then the derivatives of the branches at ``x``, ``F+' v`` and ``F-' v``, and the analogue of a
subgradient is any value between them.

Those limits must come from differences that never use ``f(x)``, which lies on no branch: for
each side, the quotients

    D+(h) = (f(x + 2h v) - f(x + h v)) / h,     D-(h) = (f(x - h v) - f(x - 2h v)) / h

on a ladder ``h = h_0 / 2^k`` (which reuses the ladder's own evaluations: its steps halve) tend
to ``F+' v`` and ``F-' v`` with an error that is a power series in ``h``, so Richardson
extrapolation (power 1) gives each with an error bound. A side whose quotients do not settle
(an infinite slope: sqrt(|x|) at 0 gives ``D ~ h^-1/2``) has no limit, and the jump stays an
invalid estimate; so does a point where ``f`` itself is not finite.
"""

from __future__ import annotations

import numpy as np

from refengine.numeric.config import OracleConfig
from refengine.numeric.richardson import extrapolate
from refengine.numeric.steps import EPS

__all__ = ["beside_limits"]


def beside_limits(
    fp: np.ndarray,
    fm: np.ndarray,
    hp: np.ndarray,
    hm: np.ndarray,
    config: OracleConfig,
    smallest: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(left, left_err, right, right_err)`` per entry: ``F-' v`` and ``F+' v`` beside the point.

    ``fp``, ``fm`` (levels, entries) hold ``f(x + h_k v)`` and ``f(x - h_k v)`` on a ladder whose
    steps ``hp``, ``hm`` (levels, 1: the steps actually taken) halve from one level to the next;
    rows of NaN (unusable steps) are skipped. NaN and inf where a side has no trusted limit.

    Steps below ``smallest`` are not used. Far below the input's scale a side's changes sink
    into rounding, where successive quotients agree "within their noise" whatever the side
    does: an infinite slope (``|x|^1.5`` beside 0, quotients growing like ``h^-1/2``) would end
    in a trusted value of 1e13 +- 1e13 there, although no step above the rounding trusts one.
    """
    rows = np.flatnonzero((hp[:, 0] >= smallest) & (hm[:, 0] >= smallest))
    fp, fm, hp, hm = fp[rows], fm[rows], hp[rows], hm[rows]
    right = _one_side(fp[:-1], fp[1:], hp[:-1] - hp[1:], config)
    left = _one_side(fm[1:], fm[:-1], hm[:-1] - hm[1:], config)
    return (*left, *right)


def _one_side(
    far: np.ndarray, near: np.ndarray, width: np.ndarray, config: OracleConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Richardson on ``(far - near) / width``, each quotient from two points on the same side
    (``far`` the one further along ``v``); trusted values only, with their error bounds."""
    if far.shape[0] < 3:
        nan = np.full(far.shape[1], np.nan)
        return nan, np.full(far.shape[1], np.inf)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        noise = config.roundoff * EPS * np.fmax(np.abs(far), np.abs(near))
        e = extrapolate(
            (far - near) / width,
            width,
            noise,
            power=1,
            max_order=config.max_order,
            safety=config.safety,
        )
    ok = e.trusted & np.isfinite(e.value) & np.isfinite(e.error)
    return np.where(ok, e.value, np.nan), np.where(ok, e.error, np.inf)
