"""Options of the finite-difference oracle, in one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METHODS", "OracleConfig"]

METHODS = ("auto", "richardson", "central", "complex", "forward", "backward")


@dataclass(frozen=True)
class OracleConfig:
    """How the oracle differentiates.

    method:
        ``"auto"`` (Richardson with kink detection, then the complex step where ``f`` accepts
        complex input and agrees with Richardson), ``"richardson"``, ``"central"`` (one central
        difference, its error estimated from a second step), ``"complex"`` (falls back to
        Richardson when ``f`` cannot be evaluated on complex input), ``"forward"`` (right-sided)
        and ``"backward"`` (left-sided) differences with Richardson extrapolation.
    step:
        The largest step of the Richardson ladder (or the central step), in units of the
        direction. ``None`` derives it from the scale of the input.
    scale:
        The input scale to derive steps from. ``None`` uses ``|x|`` over the direction's support,
        with zero entries counted as scale 1.
    max_step, min_step:
        The Richardson ladder runs from ``max_step * max(1, |x|)`` down to
        ``min_step * min(1, |x|)`` (halving each level), so it covers both the natural scale of
        the input and the unit scale of the function.
    max_levels:
        Upper bound on the number of ladder levels (two evaluations each).
    max_order:
        Number of Richardson eliminations (h^2, h^4, ... for central differences).
    safety:
        Factor applied to the difference-based error estimate.
    roundoff:
        Assumed evaluation error of ``f`` in units of ``eps * |f|``, for the roundoff floor.
    kink_factor, kink_rtol:
        Left and right derivatives disagree ("kink") when they differ by more than
        ``kink_factor`` times the sum of their error bounds and by more than ``kink_rtol``
        relative to their size.
    detect_kinks:
        Compare one-sided derivatives (free: they reuse the central ladder's evaluations).
    across_jumps:
        Where ``f`` jumps at the point (it has no derivative there), report the interval of
        the one-sided derivatives computed beside the point (``refengine.numeric.jumps``), as a
        kink marked ``Derivative.jump``, instead of no estimate. For a derivative function at a
        kink of the function it differentiates (relu' at 0), whose own derivative is checked
        against those limits; never for a function whose jump is a fault of its own. Where a
        side has no limit (an infinite slope) the entry stays invalid.
    """

    method: str = "auto"
    step: float | None = None
    scale: float | None = None
    max_step: float = 2.0**-3
    min_step: float = 2.0**-14
    max_levels: int = 96
    max_order: int = 4
    safety: float = 2.0
    roundoff: float = 4.0
    kink_factor: float = 4.0
    kink_rtol: float = 1e-8
    detect_kinks: bool = True
    across_jumps: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        for name in ("max_step", "min_step", "safety", "kink_factor"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.step is not None and not self.step > 0:
            raise ValueError(f"step must be positive, got {self.step!r}")
        if self.scale is not None and not self.scale > 0:
            raise ValueError(f"scale must be positive, got {self.scale!r}")
        if self.min_step >= self.max_step:
            raise ValueError("min_step must be smaller than max_step")
        if self.max_levels < 3 or self.max_order < 1:
            raise ValueError("max_levels must be at least 3 and max_order at least 1")
