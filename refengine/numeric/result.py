"""The oracle's answer: a derivative estimate that carries its own error bound."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Derivative", "OracleError"]


class OracleError(ValueError):
    """The oracle was asked for something it cannot answer (a bad point or a bad input)."""


@dataclass(frozen=True, eq=False)
class Derivative:
    """A finite-difference derivative with an error bound for every entry.

    ``value`` and ``error`` have the same shape; the true derivative lies in
    ``[value - error, value + error]`` (the calibration test measures how often that holds).

    Where ``kink`` is set, the left and right derivatives disagree beyond their error bounds:
    the function is not differentiable there. ``left`` and ``right`` then hold the one-sided
    values, and ``value`` +- ``error`` is the interval spanned by both (widened by their errors):
    every valid subgradient, projected on the direction, lies in it. Consumers that test
    ``abs(g - value) <= error`` therefore test membership in that interval without a special case.

    ``jump`` (with ``OracleConfig.across_jumps`` only; None means none) marks entries where f
    jumps at the point: there ``kink`` is set too, ``left`` and ``right`` are the one-sided
    derivatives computed beside the point (``refengine.numeric.jumps``, never from f(x)), and
    ``value`` +- ``error`` spans them, so the same membership test applies.

    ``valid`` is False when some entry has no trustworthy estimate (the function is not finite
    at the point, every step failed, the step underflowed); such entries have ``value`` NaN and
    ``error`` inf, and ``reason`` says why. The oracle never returns a silent number.
    """

    value: np.ndarray
    error: np.ndarray
    method: str
    kink: np.ndarray
    left: np.ndarray | None = None
    right: np.ndarray | None = None
    valid: bool = True
    reason: str = ""
    evaluations: int = 0
    jump: np.ndarray | None = None

    @property
    def jumps(self) -> np.ndarray:
        """Per entry: does f jump there (``jump``; all False when None)?"""
        if self.jump is None:
            return np.zeros(np.shape(self.value), dtype=bool)
        return np.asarray(self.jump, dtype=bool)

    @property
    def lower(self) -> np.ndarray:
        return self.value - self.error

    @property
    def upper(self) -> np.ndarray:
        return self.value + self.error

    @property
    def ok(self) -> np.ndarray:
        """Per entry: a finite value with a finite error bound."""
        return np.isfinite(self.value) & np.isfinite(self.error)

    def require_valid(self) -> Derivative:
        """Return self, or raise OracleError with the reason when some entry is invalid."""
        if not self.valid:
            raise OracleError(f"finite differences are not trustworthy here: {self.reason}")
        return self

    def reshape(self, shape: tuple[int, ...]) -> Derivative:
        def re(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else np.reshape(a, shape)

        return Derivative(
            value=np.reshape(self.value, shape),
            error=np.reshape(self.error, shape),
            method=self.method,
            kink=np.reshape(self.kink, shape),
            left=re(self.left),
            right=re(self.right),
            valid=self.valid,
            reason=self.reason,
            evaluations=self.evaluations,
            jump=re(self.jump),
        )


def invalid(size: int, method: str, reason: str) -> Derivative:
    """A flat result with no trustworthy entry."""
    return Derivative(
        value=np.full(size, np.nan),
        error=np.full(size, np.inf),
        method=method,
        kink=np.zeros(size, dtype=bool),
        valid=False,
        reason=reason,
    )
