"""The case grid (case x adapter x mode x quantity, grouped by case) under pytest-benchmark.

    pytest tests/benchmarks/test_bench_cases.py --benchmark-only --benchmark-json=cases.json
    python -c "from cases.timing.pytest_benchmark import frame_from_json; \
               print(frame_from_json('cases.json'))"

Timed through the harness's own code path: ``grid.build`` prepares the quantity on native arrays
(conversion done, ``sync`` inside the call, first call and warm-up done, N calibrated) exactly as
``run_timings`` does; pytest-benchmark's ``pedantic`` then runs ``Measurement.loop`` (N calls)
once per round, with ``sampler.before_sample`` (waiting until no worker thread spins) as its
untimed setup, for as many rounds as the harness's budget gives (at least 7). The compile
quantity of a jit mode is one first call of a freshly prepared function. What the harness does
and this does not: interleave frameworks within a round (pytest runs one test at a time).

The grid comes from the conftest (``--timing-cases``, ``--timing-adapters``, ``--timing-sizes``,
``--timing-dtypes``, ``--timing-quick``); a combination a framework cannot run is skipped with
its reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the plugin is only needed when benchmarks run
    from pytest_benchmark.fixture import BenchmarkFixture

SEED = 0


@pytest.fixture(scope="session")
def timing_budget(request: pytest.FixtureRequest) -> Any:
    from cases.timing.sampler import DEFAULT, QUICK

    return QUICK if request.config.getoption("timing_quick", default=False) else DEFAULT


@pytest.mark.benchmark(disable_gc=True, warmup=False)
def test_case_grid(benchmark: BenchmarkFixture, timing_point: Any, timing_budget: Any) -> None:
    import adapters
    import cases
    from adapters import threads
    from cases.timing import grid, memory, sampler
    from cases.timing.pytest_benchmark import benchmark_info

    p = timing_point
    if benchmark.disabled:  # --benchmark-disable: one untimed run each, as a quick test
        timing_budget = sampler.QUICK
    adapter = adapters.get(p.adapter)
    status = adapter.available()
    if not status:
        pytest.skip(f"{p.adapter} unavailable: {status.reason}")
    point = grid.Point(cases.get(p.case), p.dtype, p.size)
    inputs = point.inputs(SEED)
    directions = point.directions(SEED, inputs)
    quantity = "value_and_grad" if p.quantity == "compile" else p.quantity
    try:
        timed = grid.build(adapter, point, p.mode, quantity, inputs, directions,
                           grid.fresh(point.case.fn), timing_budget)
    except Exception as exc:
        state, message = grid.classify(adapter, exc)
        pytest.skip(f"{state}: {message}")
    benchmark.group = f"{p.case} {point.label} {p.dtype}"
    info = dict(case=p.case, adapter=p.adapter, mode=p.mode, device=adapter.device,
                dtype=p.dtype, size=point.label, n_inputs=point.n_inputs(inputs),
                quantity=p.quantity, threads=threads.requested(),
                gradbench_size=point.gradbench_label)

    def setup() -> None:  # pedantic's setup must return None (or arguments for the target)
        sampler.before_sample(timing_budget)

    if p.quantity == "compile":
        if timed.compile_s is None:
            pytest.skip(f"{p.adapter} {p.mode} did not trace on its first call")
        # A fresh function: a prepared callable that has not been traced or compiled yet.
        first, _ = grid.prepare_call(adapter, point, p.mode, quantity, inputs, directions,
                                     grid.fresh(point.case.fn))
        benchmark.pedantic(first, setup=setup, rounds=1, iterations=1)
        benchmark.extra_info["gradparity"] = benchmark_info(**info, calls_per_sample=1)
        return
    m = timed.measurement
    benchmark.pedantic(m.loop, setup=setup, rounds=sampler.rounds_for(m, timing_budget),
                       iterations=1)
    assert not timed.retraced(), f"{p.adapter} {p.mode} traced again while being timed"
    peak, method = (None, "none")
    if p.quantity in ("forward", "value_and_grad"):
        peak, method = memory.peak_memory(adapter, m.call)
    benchmark.extra_info["gradparity"] = benchmark_info(
        **info, calls_per_sample=m.n, peak_bytes=peak, memory_method=method)
