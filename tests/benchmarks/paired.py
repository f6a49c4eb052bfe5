"""Paired timing of a ratio: the two calls alternate, round after round.

A ratio taken from two separately timed benchmarks inherits whatever changed on the machine in
between (another process, the CPU's clock, a neighbour on the VM host): in one run on this
2-core VM the MLP float64 ratio was 1.17 from the two benchmarks' medians and 1.05 paired (the
two sides perform the same five matrix products). Timing the numerator and the denominator in
turn, and taking the ratio within each round, cancels drift that is slower than one round; the
order alternates so that neither side always goes first. What it cannot cancel is what differs
between processes (memory layout, the VM's neighbours): repeat the run for that.

The median of the per-round ratios comes with a distribution-free 95 % confidence interval
(order statistics of the binomial sign test), so a verdict can say whether the target is met
beyond the noise of the run, not only whether one number fell below it.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

# The sign-test interval: one implementation, the timing harness's (cases.timing.intervals).
from cases.timing.intervals import median_ci_indices

__all__ = ["PairedRatio", "median_ci_indices", "paired_ratio", "rounds_for", "time_in_turn"]


@dataclass(frozen=True)
class PairedRatio:
    """The ratio numerator / denominator over paired rounds, with its 95 % interval."""

    median: float
    ci_low: float
    ci_high: float
    rounds: int
    numerator_median_s: float
    denominator_median_s: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def paired_ratio(numerator_s: Sequence[float], denominator_s: Sequence[float]) -> PairedRatio:
    """Summarise paired per-round times (seconds) as the median ratio and its interval."""
    if len(numerator_s) != len(denominator_s) or not numerator_s:
        raise ValueError(
            f"paired times need equal, non-zero lengths: got {len(numerator_s)} numerator and "
            f"{len(denominator_s)} denominator rounds"
        )
    ratios = sorted(a / b for a, b in zip(numerator_s, denominator_s, strict=True))
    bounds = median_ci_indices(len(ratios))
    low, high = (math.nan, math.nan) if bounds is None else (ratios[bounds[0]], ratios[bounds[1]])
    return PairedRatio(
        median=statistics.median(ratios),
        ci_low=low,
        ci_high=high,
        rounds=len(ratios),
        numerator_median_s=statistics.median(numerator_s),
        denominator_median_s=statistics.median(denominator_s),
    )


def rounds_for(pair_seconds: float, budget_s: float = 2.0, least: int = 60, most: int = 400) -> int:
    """How many paired rounds fit the time budget, within [least, most]."""
    return max(least, min(most, int(budget_s / max(pair_seconds, 1e-9))))


def time_in_turn(
    numerator: Callable[[], Any], denominator: Callable[[], Any]
) -> tuple[Callable[[], None], list[float], list[float]]:
    """A round function for ``benchmark.pedantic`` and the two lists it appends to.

    Each round times both calls with ``time.perf_counter``; even rounds run the numerator
    first, odd rounds the denominator first. Each timed call comes right after an untimed call
    of the same function, so it finds the caches and the allocator as a loop of its own calls
    leaves them (as in a separate benchmark), not as the other side left them.
    """
    times_num: list[float] = []
    times_den: list[float] = []
    clock = time.perf_counter

    def timed(call: Callable[[], Any]) -> float:
        call()
        t0 = clock()
        call()
        return clock() - t0

    def one_round() -> None:
        if len(times_num) % 2 == 0:
            times_num.append(timed(numerator))
            times_den.append(timed(denominator))
        else:
            times_den.append(timed(denominator))
            times_num.append(timed(numerator))

    return one_round, times_num, times_den
