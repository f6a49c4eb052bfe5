"""Validation of the harness (properties of the method, never speeds): asynchronous work is
timed with its compute (on a virtual clock; and jax's sync shown to wait for real), compile
time stays out of the steady-state samples, memory methods measure what a call allocates, and
isolated runs survive a crashing framework."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pytest

import adapters
from cases.case import Case, Sizes
from cases.timing import Budget, RunNotes, run_timings, sampler
from cases.timing.control import Control
from cases.timing.grid import Point, prepare_call
from cases.timing.memory import peak_memory, rss_peak, tracemalloc_peak
from cases.timing.sampler import Measurement, run_rounds

from .benchmarks.harness_workloads import ASYNC, matmul_chain
from .virtual_clock import VirtualClock

BUDGET = Budget(seconds=0.1, min_sample_s=0.005, warmup_s=0.01, max_samples=30)


def _need(name: str) -> adapters.Adapter:
    adapter = adapters.get(name)
    if not adapter.available():
        pytest.skip(f"{name} unavailable")
    return adapter


# --- asynchronous dispatch ------------------------------------------------------------------
DISPATCH_S = 1e-4
COMPUTE_S = 8e-3


def test_async_work_is_timed_with_its_compute(monkeypatch: pytest.MonkeyPatch) -> None:
    """An asynchronous framework returns before its computation ends (jax.jit: ~0.1 ms to
    dispatch four 300 x 300 products that take ~8 ms); its adapter's ``sync`` waits for the
    rest. Simulated on a virtual clock through the NumPy adapter (the forward pass costs the
    dispatch, ``sync`` the compute): the harness reports dispatch + compute to the nanosecond.
    The same sampler around the call without ``sync`` reports the dispatch alone, so the check
    tells the two apart."""
    clock = VirtualClock()
    monkeypatch.setattr(sampler, "time", clock)
    monkeypatch.setattr(Control, "_call", lambda self: clock.spend(3e-4))
    numpy_adapter = adapters.get("numpy")
    monkeypatch.setattr(numpy_adapter, "sync", lambda value: (clock.spend(COMPUTE_S), value)[1])

    def dispatch_only(xp: Any, x: Any) -> Any:
        clock.spend(DISPATCH_S)
        return xp.sum(x)

    case = Case("timing-async-simulated", dispatch_only, sizes=Sizes(check=3, sweep=(10,)))
    (record, _control) = run_timings([case], [numpy_adapter], quantities=["forward"],
                                     budget=BUDGET, memory=False)
    assert record.median_s == pytest.approx(DISPATCH_S + COMPUTE_S, rel=1e-9)
    prepared = numpy_adapter.prepare(dispatch_only, "value", "eager", ())
    native = (np.ones(10),)
    unsynced = Measurement("dispatch only", lambda: prepared(native, None), n=1)
    run_rounds([unsynced], BUDGET, np.random.default_rng(0))
    assert unsynced.stats().median_s == pytest.approx(DISPATCH_S, rel=1e-9)


def test_jax_sync_returns_computed_buffers() -> None:
    """The real thing the simulation stands for: what the harness times for jax.jit (the
    prepared call with ``sync`` inside, from ``prepare_call``) returns only buffers that are
    computed, for a value and for a gradient."""
    jax_adapter = _need("jax")
    import jax

    point = Point(ASYNC, "float64", 300)
    inputs = point.inputs(0)
    for quantity in ("forward", "value_and_grad"):
        call, _traces = prepare_call(jax_adapter, point, "jit", quantity, inputs,
                                     point.directions(0, inputs), matmul_chain)
        for _ in range(3):
            leaves = jax.tree_util.tree_leaves(call())
            assert leaves and all(leaf.is_ready() for leaf in leaves), quantity


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
