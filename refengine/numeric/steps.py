"""Step sizes from the scale of the input.

All steps are powers of two times the direction's scale, so that ``x + h * v`` is exact for
unit and sign directions whenever the step is representable next to ``x``. A step whose
perturbation is lost in rounding (``x + h * v == x`` for an entry with ``v != 0``) is rejected:
it would silently report a zero derivative.
"""

from __future__ import annotations

import math

import numpy as np

from refengine.numeric.config import OracleConfig

__all__ = ["DirectionScale", "central_step", "complex_step_size", "ladder", "perturb"]

EPS = float(np.finfo(np.float64).eps)
_TINY_STEP = 1e-280  # below this, h * v and the differences divided by h lose their meaning


class DirectionScale:
    """The magnitudes that steps along ``v`` at ``x`` are chosen from."""

    def __init__(self, x: np.ndarray, v: np.ndarray, config: OracleConfig) -> None:
        support = v != 0
        self.vmax = float(np.max(np.abs(v))) if v.size else 0.0
        self.support = support
        mags = np.abs(x[support])
        mags = mags[mags > 0]
        if config.scale is not None:
            self.big = self.small = float(config.scale)
        elif mags.size:
            # The smallest scale: the 1st percentile rather than the minimum, so that one entry
            # near zero among a million does not stretch the ladder (if it matters, the ladder
            # is extended when it has not converged at its smallest step).
            self.big = max(1.0, float(mags.max()))
            self.small = min(1.0, float(np.quantile(mags, 0.01, method="lower")))
        else:
            self.big = self.small = 1.0


def _pow2(value: float) -> float:
    if not value > 0 or not math.isfinite(value):
        return 0.0
    return 2.0 ** math.floor(math.log2(value))


def ladder(scale: DirectionScale, config: OracleConfig) -> np.ndarray:
    """Decreasing steps ``h_0 > h_0/2 > ...`` for Richardson extrapolation (at least 3)."""
    if config.step is not None:
        top = float(config.step)
        n = round(math.log2(config.max_step / config.min_step)) + 1
    else:
        top = _pow2(config.max_step * scale.big / scale.vmax)
        bottom = config.min_step * scale.small / scale.vmax
        n = math.floor(math.log2(top / bottom)) + 1 if top > 0 and bottom > 0 else 3
    n = min(max(n, 3), config.max_levels)
    return top * 0.5 ** np.arange(n)


def central_step(scale: DirectionScale, config: OracleConfig) -> float:
    """The classic central-difference step, eps^(1/3) * max(1, |x|), rounded to a power of 2."""
    if config.step is not None:
        return float(config.step)
    return _pow2(EPS ** (1.0 / 3.0) * scale.big / scale.vmax)


def complex_step_size(scale: DirectionScale) -> float:
    """A tiny imaginary step: its h^2 truncation error is far below float64 resolution."""
    return 2.0**-66 * scale.small / scale.vmax


def perturb(
    x: np.ndarray, v: np.ndarray, h: float, support: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    """``x + h v`` and ``x - h v``, and a reason when the step cannot be used ("" if it can)."""
    if not h >= _TINY_STEP or not math.isfinite(h):
        return x, x, f"the step {h:.3g} underflows (smaller than {_TINY_STEP:g})"
    xp = x + h * v
    xm = x - h * v
    if not (np.all(np.isfinite(xp)) and np.all(np.isfinite(xm))):
        return xp, xm, f"the step {h:.3g} overflows the input"
    lost = support & ((xp == x) | (xm == x))
    if lost.any():
        j = int(np.argmax(lost))
        return (
            xp,
            xm,
            (f"the step {h:.3g} underflows next to x[{j}] = {x[j]:.17g}: x + h*v rounds to x"),
        )
    return xp, xm, ""
