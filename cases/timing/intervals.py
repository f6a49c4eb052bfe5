"""Intervals for medians, and ratios paired round by round.

A median alone says nothing about how far the next run's may fall; each comes here with a
distribution-free 95 % interval: the order statistics the binomial sign test picks (at least
6 samples; the harness takes 7 or more). A ratio of two things timed in the same rounds
(``sampler.run_rounds``) is taken sample by sample, each with the other's sample nearest in
time (the same round's, unless it was retaken), then summarised the same way: drift slower
than a round (the machine's clock, a neighbour's job) is in both sides of each ratio and
cancels, which it does not in a ratio of two medians.

    median_interval([1.0, 1.1, 0.9, 1.2, 1.0, 1.05, 0.95])        # (0.9, 1.2)
    paired_ratio(a.samples, a.times, control.samples, control.times)
"""

from __future__ import annotations

import bisect
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


def paired_ratio(numerator: Sequence[float], numerator_times: Sequence[float],
                 denominator: Sequence[float], denominator_times: Sequence[float],
                 max_gap: float | None = None) -> Interval | None:
    """numerator / denominator, each numerator sample over the denominator sample taken
    nearest to it in time (``times``: when each sample was taken, as ``Measurement.times``;
    in the harness the same round's sample, unless that one was retaken): the median of those
    ratios and its interval. Pairs further apart than ``max_gap`` are left out; None when
    nothing pairs."""
    if len(numerator) != len(numerator_times) or len(denominator) != len(denominator_times):
        raise ValueError("each sample needs its time: samples and times differ in length")
    if not len(denominator):
        return None
    order = sorted(range(len(denominator)), key=lambda i: denominator_times[i])
    times = [denominator_times[i] for i in order]
    ratios = []
    for value, when in zip(numerator, numerator_times, strict=True):
        k = bisect.bisect_left(times, when)
        nearest = min((j for j in (k - 1, k) if 0 <= j < len(times)),
                      key=lambda j: abs(times[j] - when))
        if max_gap is not None and abs(times[nearest] - when) > max_gap:
            continue
        den = denominator[order[nearest]]
        if den > 0:
            ratios.append(value / den)
    return Interval.of(ratios) if ratios else None


def ratio_of_ratios(a: Interval, b: Interval) -> Interval:
    """A / B from two ratios to the same reference (both paired with the control): the
    median's ratio, and the widest bounds the two intervals allow (a conservative interval)."""
    return Interval(a.median / b.median, a.low / b.high, a.high / b.low, min(a.n, b.n))
