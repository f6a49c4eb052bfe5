"""The sampling loop and the fairness helpers: calibration, interleaving, idle waiting, and a
workload of known cost timed exactly.

Whatever asserts a duration runs on ``VirtualClock`` (time that moves only when a call spends
it), so these tests check the harness's arithmetic and rules, never the machine's speed: under
two pytest workers on two cores a real clock drifts by 10 % and more. How closely the harness
agrees with ``timeit`` on the real clock is measured on request, in
``tests/benchmarks/test_bench_harness.py``."""

from __future__ import annotations

import itertools
import os
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from cases.case import Arg, Case, Sizes
from cases.timing import RunNotes, environment, run_timings, sampler
from cases.timing.control import Control
from cases.timing.environment import gc_paused, pinned, wait_idle
from cases.timing.sampler import Budget, Measurement, Stats, measure, run_rounds, warm_up

from .benchmarks.harness_workloads import KNOWN
from .virtual_clock import VirtualClock

FAST = Budget(seconds=0.02, min_sample_s=0.001, warmup_s=0.002, max_samples=20)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    """The sampler reads this clock instead of the real one (the idle wait between samples,
    in ``environment``, still sleeps on the real one: a millisecond a sample)."""
    virtual = VirtualClock()
    monkeypatch.setattr(sampler, "time", virtual)
    return virtual


@pytest.fixture
def idle_clock(clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    """``wait_idle`` sleeps and reads this clock too."""
    monkeypatch.setattr(environment, "time", clock)
    return clock


def test_stats() -> None:
    stats = Stats.of([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (stats.median_s, stats.min_s, stats.iqr_s, stats.n_samples) == (3.0, 1.0, 2.0, 5)


def test_calibration_makes_samples_long_enough(clock: VirtualClock) -> None:
    """A 50 ns call: N is chosen so that a sample of N calls lasts the target."""
    m = Measurement("tiny", lambda: clock.spend(50e-9))
    warm_up(m, FAST)
    target = sampler._min_sample_s(FAST)
    assert abs(m.n - target / 50e-9) <= 1  # ceil(target / 50 ns), give or take rounding
    start = clock.perf_counter()
    m.loop()
    assert clock.perf_counter() - start >= target


def test_calibration_is_confirmed_on_a_whole_sample(clock: VirtualClock) -> None:
    """Single calls can mislead (one call alone pays for the clock reads and cold caches;
    many back to back run faster): when a whole sample of N calls falls short of the target,
    N grows until one does not."""
    calls = itertools.count()

    def call() -> None:  # 200 ns during warm-up's single calls, 50 ns once called in bulk
        clock.spend(200e-9 if next(calls) < 40 else 50e-9)

    m = Measurement("faster in bulk", call)
    warm_up(m, replace(FAST, warmup_s=1e-6, warmup_calls=40))
    start = clock.perf_counter()
    m.loop()
    assert clock.perf_counter() - start >= 0.7 * sampler._min_sample_s(FAST)


def test_at_least_seven_samples_even_over_budget(clock: VirtualClock) -> None:
    m = Measurement("slow", lambda: clock.spend(0.004))
    warm_up(m, FAST)
    run_rounds([m], FAST, np.random.default_rng(0))
    assert m.n == 1 and m.samples == [0.004] * 7  # 28 ms of samples for a 20 ms budget


def test_a_descheduled_sample_is_retaken(clock: VirtualClock) -> None:
    """Every third call spends 4 ms off the CPU (as when a neighbour process takes the core)
    besides its 2 ms of work: those samples are discarded and retaken, the kept ones are the
    2 ms of work, exactly."""
    calls = itertools.count()

    def call() -> None:
        if next(calls) % 3 == 2:
            clock.wait(0.004)
        clock.spend(0.002)

    m = Measurement("sometimes descheduled", call, n=1)
    run_rounds([m], FAST, np.random.default_rng(0))
    made = next(calls)
    assert m.preempted == made // 3 >= 3 and m.kept_descheduled == 0
    assert len(m.samples) == made - m.preempted >= 7
    assert set(m.samples) == {0.002}


def test_retaking_stops_on_an_overloaded_machine(clock: VirtualClock) -> None:
    """When every sample loses its core, retakes stop once sampling has cost retake_factor
    times what is due (the budget, or seven samples of this length if longer): the run ends,
    and the descheduled samples it kept are counted."""

    def call() -> None:
        clock.wait(0.003)
        clock.spend(0.001)

    m = Measurement("always descheduled", call, n=1)
    run_rounds([m], FAST, np.random.default_rng(0))
    # due: 7 samples x 4 ms = 28 ms (over the 20 ms budget); retakes until 4 x 28 ms = 112 ms
    assert m.preempted == 27
    assert m.kept_descheduled == len(m.samples) == 7 and set(m.samples) == {0.004}


def test_rounds_interleave_in_a_random_order() -> None:
    ms = [Measurement(k, lambda: None) for k in "abcd"]
    for m in ms:
        warm_up(m, FAST)
    orders: list[str] = []
    run_rounds(ms, FAST, np.random.default_rng(1),
               on_round=lambda order: orders.append("".join(str(m.key) for m in order)))
    full = [o for o in orders if len(o) == 4]
    assert len(full) >= 7 and all(sorted(o) == list("abcd") for o in full)
    assert len(set(full)) > 1  # not one fixed order
    assert all(len(m.samples) >= 7 for m in ms)


def test_a_failing_call_drops_out_with_its_error() -> None:
    calls = {"n": 0}

    def flaky() -> None:
        calls["n"] += 1
        if calls["n"] > 50:
            raise RuntimeError("framework fell over")

    m = Measurement("flaky", flaky, n=10)
    run_rounds([m], FAST, np.random.default_rng(0))
    assert m.error == "RuntimeError: framework fell over"


def test_wait_idle_returns_at_once_when_nothing_spins(
    idle_clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(environment, "_other_threads_cpu", lambda: 0.0)
    assert wait_idle(window_s=0.001) == pytest.approx(0.001)  # one quiet window


def test_wait_idle_waits_while_other_threads_burn_cpu(
    idle_clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker threads that keep a core busy for 30 ms after a call (as BLAS workers do, for
    ~100 ms) delay the next sample until they stop, and no longer than the limit."""

    def other_threads_cpu() -> float:  # one core busy for the first 30 ms, then idle
        return min(idle_clock.perf_counter(), 0.03)

    monkeypatch.setattr(environment, "_other_threads_cpu", other_threads_cpu)
    assert wait_idle(window_s=0.001) == pytest.approx(0.031)  # 30 busy windows, one quiet
    monkeypatch.setattr(environment, "_other_threads_cpu", idle_clock.perf_counter)  # never stops
    assert wait_idle(max_wait_s=0.2, window_s=0.001) == pytest.approx(0.2)


def test_wait_idle_on_the_real_clock_sees_this_process_threads() -> None:
    """No mock: the real reader of the other threads' CPU time runs and the wait ends."""
    assert 0 < wait_idle(max_wait_s=0.5) <= 1.0


def test_pinning_picks_allowed_cpus_and_restores() -> None:
    allowed = sorted(os.sched_getaffinity(0))
    chosen = environment.quietest_cpus(1, window_s=0.02)
    assert len(chosen) == 1 and set(chosen) <= set(allowed)
    with pinned(1) as cpus:
        assert len(cpus) == 1 and sorted(os.sched_getaffinity(0)) == cpus
    assert sorted(os.sched_getaffinity(0)) == allowed


def test_gc_is_off_while_paused_and_restored() -> None:
    import gc

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


KNOWN_COST_S = 4e-4
CONTROL_COST_S = 3e-4


def test_harness_reports_a_known_cost_exactly(
    clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case whose forward pass costs exactly 0.4 ms, timed by run_timings through the NumPy
    adapter: median and minimum per call are 0.4 ms to the nanosecond, although one call in
    60 also loses its core for 3 ms (those samples are retaken, and counted)."""
    calls = itertools.count()

    def known_cost(xp: Any, x: Any) -> Any:
        if next(calls) % 60 == 59:
            clock.wait(0.003)
        clock.spend(KNOWN_COST_S)
        return xp.sum(x)

    monkeypatch.setattr(Control, "_call", lambda self: clock.spend(CONTROL_COST_S))
    case = Case("timing-known-cost", known_cost, args=(Arg("x"),),
                sizes=Sizes(check=6, sweep=(1000,)))
    notes = RunNotes()
    budget = Budget(seconds=0.2, min_sample_s=0.01)
    forward, control = run_timings([case], ["numpy"], sizes="sweep", quantities=["forward"],
                                   budget=budget, memory=False, notes=notes)
    assert forward.median_s == pytest.approx(KNOWN_COST_S, rel=1e-9)
    assert forward.min_s == pytest.approx(KNOWN_COST_S, rel=1e-9)
    assert forward.iqr_s == pytest.approx(0, abs=1e-15) and forward.n_samples >= 7
    assert notes.fairness["numpy/eager"]["preempted_samples"] >= 1
    assert control.case == "control" and control.median_s == pytest.approx(CONTROL_COST_S)


def test_measure_a_plain_callable() -> None:
    stats = measure(lambda: sum(range(1000)), FAST)
    assert stats.n_samples >= 7 and 0 < stats.min_s <= stats.median_s


def test_notes_say_what_was_not_timed() -> None:
    notes = RunNotes()
    records = list(run_timings([KNOWN], ["numpy", "refengine"], sizes="sweep", budget=FAST,
                               quantities=["forward", "value_and_grad", "hvp"], notes=notes))
    got = sorted((r.adapter, r.quantity) for r in records)
    assert got == [("numpy", "forward"), ("numpy", "forward"), ("refengine", "forward"),
                   ("refengine", "hvp"), ("refengine", "value_and_grad")]
    assert [r.case for r in records].count("control") == 1
    assert notes.environment["cpu_affinity"] and notes.environment["malloc"]
    assert notes.fairness["refengine/eager"]["cpu_per_wall_max"] < 1.5


def test_the_idle_wait_watches_the_budgets_window(idle_clock: VirtualClock) -> None:
    """Each sample is preceded by one quiet window of ``Budget.idle_window_s`` (a smoke run's
    is shorter: a spinning thread fills any window); the waiting is counted, not timed."""
    for window in (0.001, 0.0002):
        m = Measurement("call", lambda: idle_clock.spend(0.01))
        budget = replace(FAST, idle_window_s=window)
        waited = sampler.before_sample(budget)
        assert waited == pytest.approx(window)
        sampler.take_sample(m, budget)
        assert m.idle_wait_s == pytest.approx(window)
        assert m.samples == [pytest.approx(0.01)]
