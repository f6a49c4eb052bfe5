"""The complex step: f'(x) v = Im f(x + i h v) / h, exact to rounding for real-analytic f.

There is no subtraction, so h can be tiny (its h^2 truncation error vanishes below float64
resolution). The rounding error of the imaginary parts is estimated by repeating the step with
two other, non-power-of-two multiples of h: the rounding pattern changes, the true value does
not, so the spread of the three results measures the noise.
"""

from __future__ import annotations

import numpy as np

from refengine.numeric.evaluate import FlatFunction
from refengine.numeric.steps import EPS

__all__ = ["complex_step"]

_MULTIPLIERS = (1.0, 1.3173, 1.7411)


def complex_step(
    fun: FlatFunction, x: np.ndarray, v: np.ndarray, h: float, relevant: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray] | str:
    """(value, error) per output entry, or the reason the complex step cannot be used.

    ``relevant`` marks the entries whose size sets the error floor (default: all).
    """
    if not h >= 1e-280:
        return f"the complex step {h:.3g} underflows"
    results = []
    for mult in _MULTIPLIERS:
        hk = h * mult
        y = fun.complex(x + 1j * hk * v)
        if y is None:
            return "f cannot be evaluated on complex input (it raised or returned a real result)"
        d = y.imag / hk
        if not np.all(np.isfinite(d[relevant] if relevant is not None else d)):
            return "the complex step gave a non-finite result"
        results.append(d)
    stack = np.stack(results)
    value = stack[0]
    spread = np.max(stack, axis=0) - np.min(stack, axis=0)
    # The imaginary parts of f's intermediates carry relative rounding errors of a few eps
    # (more where f's complex implementation cancels, e.g. 1 - tanh^2 for a saturated tanh);
    # they are relative to the largest derivative entries as much as to the entry itself.
    mags = np.abs(value if relevant is None else value[relevant])
    size = np.abs(value) + np.max(mags, initial=0.0)
    error = 4.0 * spread + 32.0 * EPS * size
    return value, error
