"""The adaptive sampling loop: warm-up, calibration, interleaved rounds, statistics.

A ``Measurement`` wraps one call (the adapter's prepared quantity, ``sync`` included; the
conversion of inputs happened before). Each *sample* is N back-to-back calls, N chosen at
warm-up so that a sample lasts at least ``Budget.min_sample_s`` (and 10,000 timer steps), far
above ``perf_counter``'s granularity; the sample's value is its mean per call.

``run_rounds`` takes samples of many measurements in rounds, each round in a fresh random
order, so that frameworks timed together share the machine's noise instead of one of them
getting a quiet minute and another a busy one. Before each sample, outside the timed region:
a garbage collection (cheap: ``environment.gc_paused`` froze the long-lived objects) and
``environment.wait_idle`` (worker threads that still spin from the previous sample would take
CPU from this one). A measurement stops once it has ``min_samples`` samples and ``seconds`` of
sampling, or ``max_samples`` samples.

A sample during which the process was descheduled (its CPU time, all threads, fell short of
the wall time by more than 10 %) is discarded and retaken: on a shared machine such a sample
measures the neighbour that took the core, not the call. The count is kept per measurement.
"""

from __future__ import annotations

import gc
import itertools
import math
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from cases.timing import environment
from cases.timing.intervals import median_interval

__all__ = [
    "DEFAULT",
    "QUICK",
    "Budget",
    "Measurement",
    "Stats",
    "before_sample",
    "measure",
    "rounds_for",
    "run_rounds",
    "take_sample",
    "time_first_call",
    "warm_up",
]


@dataclass(frozen=True)
class Budget:
    """How long to measure one quantity.

    ``seconds``: sampling time per measurement (samples only, not warm-up or waiting);
    at least ``min_samples`` samples are taken whatever it costs, at most ``max_samples``.
    ``min_sample_s``: the shortest a sample may last. ``warmup_s``/``warmup_calls``: untimed
    calls after the first one (caches, lazily built tables, allocator pools). ``min_on_cpu``:
    a sample during which the process's CPU time (all threads) was under this fraction of the
    wall time lost its core to another process: it is retaken, until sampling has cost
    ``retake_factor`` times what it should (beyond that such samples are kept, and counted).
    ``idle_window_s``: the window ``environment.wait_idle`` watches the process's other threads
    over before each sample (at least one window is slept: a thread that still spins uses the
    whole of any window, so a smoke run watches a shorter one).
    """

    seconds: float = 0.5
    min_samples: int = 7
    max_samples: int = 100
    min_sample_s: float = 0.005
    warmup_s: float = 0.05
    warmup_calls: int = 2
    max_idle_wait_s: float = 0.5
    min_on_cpu: float = 0.9
    retake_factor: float = 4.0
    idle_window_s: float = 0.001

    def __post_init__(self) -> None:
        if self.min_samples < 7:
            raise ValueError("at least 7 samples: fewer give no usable interquartile range")
        if self.max_samples < self.min_samples:
            raise ValueError("max_samples must be at least min_samples")


DEFAULT = Budget()
# Smoke runs: every rule kept (warm-up, 7 samples, interleaving), only shorter.
QUICK = replace(DEFAULT, seconds=0.02, min_sample_s=0.001, warmup_s=0.005, max_samples=20)

_GRANULARITY: list[float] = []


def _min_sample_s(budget: Budget) -> float:
    if not _GRANULARITY:
        _GRANULARITY.append(environment.timer_granularity())
    return max(budget.min_sample_s, 10_000 * _GRANULARITY[0])


@dataclass(frozen=True)
class Stats:
    """Seconds per call over the samples."""

    median_s: float
    min_s: float
    iqr_s: float
    n_samples: int
    # The median's 95 % interval (``intervals.median_interval``; NaN under 6 samples).
    ci_low_s: float = math.nan
    ci_high_s: float = math.nan

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        if not samples:
            raise ValueError("no samples")
        q1, med, q3 = np.percentile(np.asarray(samples, dtype=float), [25, 50, 75])
        low, high = median_interval(samples)
        return cls(float(med), float(min(samples)), float(q3 - q1), len(samples), low, high)


@dataclass(eq=False)
class Measurement:
    """One callable being timed, and what has been measured of it so far."""

    key: Hashable
    call: Callable[[], Any]
    n: int = 1  # calls per sample
    samples: list[float] = field(default_factory=list)  # seconds per call
    # The round of ``run_rounds`` each kept sample was taken in: samples of two measurements
    # with the same round were taken within one round, and pair (``intervals.paired_ratio``).
    rounds: list[int] = field(default_factory=list)
    # When each kept sample was taken (``perf_counter`` at its middle, seconds): on a busy
    # machine a companion's sample of the same round may have been retaken, and the nearest
    # in time pairs instead.
    times: list[float] = field(default_factory=list)
    spent_s: float = 0.0  # wall time inside samples, kept or not (what the budget counts)
    kept_wall_s: float = 0.0  # wall time inside kept samples
    kept_cpu_s: float = 0.0  # process CPU time inside kept samples (all threads)
    idle_wait_s: float = 0.0
    preempted: int = 0  # samples discarded because the process lost its core meanwhile
    kept_descheduled: int = 0  # such samples kept once retaking had cost enough
    # Whether CPU time should match wall time: not for work that waits on a GPU.
    on_cpu: bool = True
    error: str | None = None

    def loop(self) -> None:
        """The timed body of one sample: N calls, back to back."""
        call = self.call
        for _ in range(self.n):
            call()

    def finished(self, budget: Budget) -> bool:
        count = len(self.samples)
        return (self.error is not None or count >= budget.max_samples
                or (count >= budget.min_samples and self.spent_s >= budget.seconds))

    def stats(self) -> Stats:
        return Stats.of(self.samples)

    @property
    def cpu_per_wall(self) -> float:
        """Cores busy during the kept samples: close to 1 when one thread does the work."""
        return self.kept_cpu_s / self.kept_wall_s if self.kept_wall_s > 0 else math.nan


def time_first_call(call: Callable[[], Any], budget: Budget = DEFAULT) -> float:
    """Seconds of one call on an idle machine: for a jit mode, trace + compile + run."""
    environment.wait_idle(budget.max_idle_wait_s, budget.idle_window_s)
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def warm_up(m: Measurement, budget: Budget = DEFAULT) -> None:
    """Untimed calls, then choose N (calls per sample) so a sample lasts long enough."""
    target = _min_sample_s(budget)
    start, calls, fastest = time.perf_counter(), 0, math.inf
    while calls < budget.warmup_calls or time.perf_counter() - start < budget.warmup_s:
        t0 = time.perf_counter()
        m.call()
        fastest = min(fastest, time.perf_counter() - t0)
        calls += 1
        if fastest > budget.seconds:  # one call outlasts the budget: warm-up enough
            break
    m.n = max(1, math.ceil(target / max(fastest, 1e-9)))
    for _ in range(8):  # confirm on a whole sample; single calls can mislead (caches)
        t0 = time.perf_counter()
        m.loop()
        elapsed = time.perf_counter() - t0
        if elapsed >= 0.7 * target:
            return
        m.n = max(m.n + 1, math.ceil(m.n * target / max(elapsed, 1e-9)))


def before_sample(budget: Budget = DEFAULT) -> float:
    """What precedes every sample, outside the timed region: wait until no worker thread
    spins. Returns the seconds waited. (Also pytest-benchmark's ``setup``.)"""
    return environment.wait_idle(budget.max_idle_wait_s, budget.idle_window_s)


def take_sample(m: Measurement, budget: Budget = DEFAULT) -> float | None:
    """One sample of ``m``: N calls; keeps and returns seconds per call, or None when the
    process was descheduled for part of it (to be retaken)."""
    m.idle_wait_s += before_sample(budget)
    cpu0 = time.process_time()
    t0 = time.perf_counter_ns()
    m.loop()
    t1 = time.perf_counter_ns()
    cpu1 = time.process_time()
    elapsed = (t1 - t0) * 1e-9
    m.spent_s += elapsed
    # On a shared machine another process can take the core mid-sample: the wall clock runs
    # on while no thread of ours does. Such a sample measures the neighbour, not the call.
    # Retakes stop once sampling has cost retake_factor times its due (the budget, or the
    # minimum number of samples of this length), so that an overloaded machine still ends.
    due = max(budget.seconds, budget.min_samples * elapsed)
    if m.on_cpu and cpu1 - cpu0 < budget.min_on_cpu * elapsed:
        if m.spent_s < budget.retake_factor * due:
            m.preempted += 1
            return None
        m.kept_descheduled += 1
    m.kept_wall_s += elapsed
    m.kept_cpu_s += cpu1 - cpu0
    m.times.append((t0 + t1) * 0.5e-9)
    m.samples.append(elapsed / m.n)
    return m.samples[-1]


def run_rounds(
    measurements: Sequence[Measurement], budget: Budget, rng: np.random.Generator,
    on_round: Callable[[list[Measurement]], None] | None = None,
    companion: Measurement | None = None,
) -> None:
    """Sample every measurement, round by round in a random order, until each is finished.

    GC is off (long-lived objects frozen) throughout; a collection of what the calls left in
    cycles runs before each sample, outside its timing. A measurement whose call raises
    keeps the error and drops out. ``on_round`` sees each round's order (tests use it).
    Each kept sample's round goes to ``Measurement.rounds``. ``companion`` (one of
    ``measurements``: the NumPy control) stays in every round while any other measurement is
    active, so that each of their samples has a companion sample of the same round to be
    paired with (``intervals.paired_ratio``).
    """
    with environment.gc_paused():
        for round_index in itertools.count():
            active = [m for m in measurements if not m.finished(budget)]
            if companion is not None and companion.error is None and companion not in active \
                    and any(m is not companion for m in active):
                active.append(companion)
            if not active:
                return
            order = [active[i] for i in rng.permutation(len(active))]
            if on_round is not None:
                on_round(order)
            for m in order:
                gc.collect()
                try:
                    if take_sample(m, budget) is not None:
                        m.rounds.append(round_index)
                except Exception as exc:  # a framework failing mid-run ends this one only
                    m.error = f"{type(exc).__name__}: {exc}"


def rounds_for(m: Measurement, budget: Budget) -> int:
    """How many samples ``budget`` allows ``m`` (for runners that take them themselves,
    such as pytest-benchmark's ``pedantic``), from its calibrated sample length."""
    per_sample = m.n * (min(m.samples) if m.samples else _estimate(m))
    wanted = math.ceil(budget.seconds / max(per_sample, 1e-9))
    return int(min(budget.max_samples, max(budget.min_samples, wanted)))


def _estimate(m: Measurement) -> float:
    t0 = time.perf_counter()
    m.call()
    return time.perf_counter() - t0


def measure(
    call: Callable[[], Any], budget: Budget = DEFAULT, rng: np.random.Generator | None = None
) -> Stats:
    """Time one callable alone (warm-up, calibration, samples): the loop ``run_timings``
    runs for many at once, exposed for tests and ad-hoc use."""
    m = Measurement("call", call)
    warm_up(m, budget)
    run_rounds([m], budget, rng if rng is not None else np.random.default_rng(0))
    if m.error is not None:
        raise RuntimeError(m.error)
    return m.stats()
