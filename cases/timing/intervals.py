"""Intervals for medians, and ratios paired round by round.

A median alone says nothing about how far the next run's may fall; each comes here with a
distribution-free 95 % interval: the order statistics the binomial sign test picks (at least
6 samples; the harness takes 7 or more). A ratio of two things timed in the same rounds
(``sampler.run_rounds``) is taken round by round, then summarised the same way: drift slower
than one round (the machine's clock, a neighbour's job) is in both sides of each round's
ratio and cancels, which it does not in a ratio of two medians.

    median_interval([1.0, 1.1, 0.9, 1.2, 1.0, 1.05, 0.95])        # (0.9, 1.2)
    paired_ratio(a.samples, a.rounds, control.samples, control.rounds)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["LEVEL", "Interval", "median_ci_indices", "median_interval", "paired_ratio",
           "ratio_of_ratios"]

LEVEL = 0.95


def median_ci_indices(n: int, level: float = LEVEL) -> tuple[int, int] | None:
    """0-based indices into a sorted sample of ``n`` that bound its median with at least
    ``level`` coverage (the sign test's interval); None when ``n`` is too small for it."""
    alpha = (1.0 - level) / 2.0
    total = 2.0**n
    cumulative = 0.0
    j = 0  # P(X <= j - 1) <= alpha, X ~ Binomial(n, 1/2): x_(j) is the lower bound
    while j < n:
        p = math.comb(n, j) / total
        if cumulative + p > alpha:
            break
        cumulative += p
        j += 1
    if j == 0:
        return None
    return j - 1, n - j


@dataclass(frozen=True)
class Interval:
    """A median and its 95 % interval (NaN bounds: too few values for one), over ``n``."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Interval:
        if not len(values):
            raise ValueError("no values: an interval needs at least one")
        ordered = sorted(float(v) for v in values)
        bounds = median_ci_indices(len(ordered))
        low, high = (math.nan, math.nan) if bounds is None else (ordered[bounds[0]],
                                                                 ordered[bounds[1]])
        return cls(statistics.median(ordered), low, high, len(ordered))

    @property
    def relative_half_width(self) -> float:
        """Half the interval's width over the median: 0.05 is "within 5 %"."""
        return (self.high - self.low) / (2 * self.median) if self.median else math.nan


def median_interval(samples: Sequence[float]) -> tuple[float, float]:
    """The 95 % interval of the median of ``samples`` (NaN, NaN below 6 samples)."""
    interval = Interval.of(samples)
    return interval.low, interval.high


def paired_ratio(numerator: Sequence[float], numerator_rounds: Sequence[int],
                 denominator: Sequence[float], denominator_rounds: Sequence[int]
                 ) -> Interval | None:
    """numerator / denominator over the rounds both were sampled in (``rounds`` give each
    sample's round, as ``Measurement.rounds`` does): the median of the per-round ratios and
    its interval; None when they share no round."""
    if len(numerator) != len(numerator_rounds) or len(denominator) != len(denominator_rounds):
        raise ValueError("each sample needs its round: samples and rounds differ in length")
    den = dict(zip(denominator_rounds, denominator, strict=True))
    ratios = [a / den[r] for a, r in zip(numerator, numerator_rounds, strict=True)
              if r in den and den[r] > 0]
    return Interval.of(ratios) if ratios else None


def ratio_of_ratios(a: Interval, b: Interval) -> Interval:
    """A / B from two ratios to the same reference (both paired with the control): the
    median's ratio, and the widest bounds the two intervals allow (a conservative interval)."""
    return Interval(a.median / b.median, a.low / b.high, a.high / b.low, min(a.n, b.n))
