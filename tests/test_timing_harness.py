"""Validation of the harness (properties of the method, never speeds): asynchronous work is
timed with its compute, compile time stays out of the steady-state samples, memory methods
measure what a call allocates, and isolated runs survive a crashing framework."""

from __future__ import annotations

import os
import time
import timeit
from typing import Any

import numpy as np
import pytest

import adapters
from cases.case import Arg, Case, Sizes
from cases.timing import Budget, RunNotes, run_timings
from cases.timing.environment import pinned
from cases.timing.grid import Point
from cases.timing.memory import peak_memory, rss_peak, tracemalloc_peak
from cases.timing.sampler import Measurement, run_rounds

BUDGET = Budget(seconds=0.1, min_sample_s=0.005, warmup_s=0.01, max_samples=30)


def _need(name: str) -> adapters.Adapter:
    adapter = adapters.get(name)
    if not adapter.available():
        pytest.skip(f"{name} unavailable")
    return adapter


# --- asynchronous dispatch ------------------------------------------------------------------
def _matmul_chain(xp: Any, x: Any) -> Any:
    for _ in range(4):
        x = xp.tanh(x @ x)
    return xp.sum(x)


ASYNC = Case("timing-async", _matmul_chain, args=(Arg("x", shape=lambda n: (n, n)),),
             sizes=Sizes(check=3, sweep=(300,)))


def test_jax_async_work_is_timed_with_its_compute() -> None:
    """jax.jit returns before the computation ends (~0.1 ms to dispatch four 300 x 300
    products that take ~8 ms). The harness syncs inside the timed call, so it measures the
    compute time that timeit measures with block_until_ready (its best of 7: the known cost;
    the harness's minimum within 15 % of it, its median never below it; both pinned to one
    core); the same sampler without sync would report the dispatch alone. Retried up to three
    times: on a shared machine a neighbour on the other core slows everything for a while."""
    jax_adapter = _need("jax")
    prepared = jax_adapter.prepare(_matmul_chain, "value", "jit", ())
    native = (jax_adapter.to_native(Point(ASYNC, "float64", 300).inputs(0)[0]),)
    jax_adapter.sync(prepared(native, None))
    unsynced = Measurement("dispatch only", lambda: prepared(native, None), n=1)
    run_rounds([unsynced], BUDGET, np.random.default_rng(0))
    seen = []
    for _ in range(3):
        notes = RunNotes()
        (record, _control) = run_timings([ASYNC], [jax_adapter], modes=["jit"],
                                         quantities=["forward"], budget=BUDGET, memory=False,
                                         notes=notes)
        # On the harness's CPU: on this VM the same call took 4.9 to 9 ms depending on the
        # CPU and on what the other one was doing (the host's topology is hidden).
        with pinned(1, cpus=notes.environment["pinned_cpus"]):
            compute = min(timeit.repeat(lambda: jax_adapter.sync(prepared(native, None)),
                                        number=3, repeat=7)) / 3
        assert unsynced.stats().median_s < 0.1 * compute  # the difference is large
        assert record.median_s > 0.85 * compute  # never the dispatch alone
        if abs(record.min_s / compute - 1) <= 0.15:
            return
        seen.append((record.min_s, record.median_s, compute))
    pytest.fail(f"harness (min, median) vs timeit's best: {seen}")


# --- compile time -----------------------------------------------------------------------------
TRACE_SLEEP_S = 0.3


def _slow_to_trace(xp: Any, x: Any) -> Any:
    time.sleep(TRACE_SLEEP_S)  # Python runs only while jax.jit traces: a known compile cost
    return xp.sum(xp.sin(x) * x)


SLOW_TRACE = Case("timing-slow-trace", _slow_to_trace, sizes=Sizes(check=3, sweep=(64,)))


def test_jit_compile_is_its_own_quantity_and_not_in_the_samples() -> None:
    _need("jax")
    notes = RunNotes()
    records = {r.quantity: r for r in run_timings(
        [SLOW_TRACE], ["jax"], modes=["jit"], quantities=["value_and_grad", "compile"],
        budget=BUDGET, memory=False, notes=notes) if r.case == SLOW_TRACE.name}
    assert set(records) == {"value_and_grad", "compile"}
    assert records["compile"].median_s >= TRACE_SLEEP_S and records["compile"].n_samples == 1
    steady = records["value_and_grad"]
    assert steady.n_samples >= 7 and steady.median_s < 0.01 * TRACE_SLEEP_S
    assert notes.fairness["jax/jit"]["retraced"] == []


def test_eager_modes_have_no_compile_record() -> None:
    records = list(run_timings([SLOW_TRACE], ["refengine"], quantities=["compile"],
                               budget=BUDGET, memory=False))
    assert [r.case for r in records] == ["control"]


# --- every quantity, every mode ---------------------------------------------------------------
def test_all_quantities_for_eager_and_jit() -> None:
    _need("jax")
    small = Case("timing-small", lambda xp, x: xp.sum(xp.tanh(x) ** 2),
                 sizes=Sizes(check=3, sweep=(50,)))
    records = list(run_timings([small], ["jax"], budget=BUDGET))
    got = {(r.mode, r.quantity) for r in records if r.case == "timing-small"}
    assert got == {("eager", q) for q in ("forward", "value_and_grad", "jvp", "hvp")} | {
        ("jit", q) for q in ("forward", "value_and_grad", "jvp", "hvp", "compile")}
    for r in records:
        assert r.n_samples >= (1 if r.quantity == "compile" else 7)
        assert r.min_s <= r.median_s and r.iqr_s >= 0 and r.threads == 1
        assert (r.peak_bytes is not None) == (r.quantity in ("forward", "value_and_grad")
                                              and r.case != "control")


# --- memory -----------------------------------------------------------------------------------
def test_memory_methods_see_a_known_temporary() -> None:
    """sum(exp(x)) on 10^6 float64 allocates one 8 MB temporary."""
    x = np.random.default_rng(0).standard_normal(1_000_000)

    def call() -> float:
        return float(np.sum(np.exp(x)))

    assert tracemalloc_peak(call) == pytest.approx(8e6, rel=0.05)
    rss = rss_peak(call)
    if rss is None:
        pytest.skip("/proc/self/clear_refs not writable here")
    assert 0.8 * 8e6 <= rss <= 1.5 * 8e6
    assert peak_memory(adapters.get("numpy"), call)[1] == "tracemalloc"


def test_torch_memory_falls_back_to_rss() -> None:
    torch_adapter = _need("torch")
    import torch

    x = torch.randn(1_000_000, dtype=torch.float64)
    peak, method = peak_memory(torch_adapter, lambda: torch.exp(x).sum())
    assert method == "rss-hwm" and 0.8 * 8e6 <= peak <= 1.5 * 8e6


# --- isolation --------------------------------------------------------------------------------
def _crash(xp: Any, x: Any) -> Any:
    os._exit(3)  # what a segfaulting native library does to its process


GOOD = Case("timing-isolated-good", lambda xp, x: xp.sum(x * x), sizes=Sizes(check=3, sweep=(10,)))
CRASH = Case("timing-isolated-crash", _crash, sizes=Sizes(check=3, sweep=(10,)))


def test_isolated_run_survives_a_crash() -> None:
    """Each adapter in its own process: records still stream from each, a crash in a child
    is a noted failure, and the run goes on to the next adapter."""
    notes = RunNotes()
    records = list(run_timings([GOOD, CRASH], ["numpy", "refengine"], isolate=True,
                               quantities=["forward", "value_and_grad"], budget=BUDGET,
                               notes=notes, timeout_s=120))
    got = sorted((r.adapter, r.quantity) for r in records)
    assert got == [("numpy", "forward"), ("refengine", "forward"),
                   ("refengine", "value_and_grad")]
    assert {r.run_id for r in records} == {notes.run_id}
    assert [(f["adapter"], f["returncode"], f["timed_out"]) for f in notes.failures] == [
        ("numpy", 3, False), ("refengine", 3, False)]
