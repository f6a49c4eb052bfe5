"""The three variants each workload is timed with, as zero-argument callables.

- ``numpy_manual``: the objective under plain NumPy (forward) and the hand-written gradient;
- ``autograd``: HIPS autograd (``autograd.numpy``, ``autograd.value_and_grad``);
- ``refengine``: this project's engine (``refengine.numpy``, ``refengine.value_and_grad``).

Engines are imported on first use, so collecting the benchmarks never imports an engine that
is not being measured (and a broken refengine fails its own benchmarks only).
"""

from __future__ import annotations

import gc
import importlib
import operator
import statistics
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from paired import paired_ratio, rounds_for, time_in_turn
from workloads import Problem

if TYPE_CHECKING:  # the plugin is only needed when benchmarks run
    from pytest_benchmark.fixture import BenchmarkFixture

VARIANTS = ("numpy_manual", "autograd", "refengine")
QUANTITIES = ("forward", "value_and_grad")


def namespace(variant: str) -> Any:
    """The engine's NumPy namespace. AD engines get their SciPy-special part as ``.special``
    (their own logsumexp primitive); plain NumPy keeps the max-shifted formula that the
    hand-written gradient's forward pass uses, so the forward baseline is that same code."""
    if variant == "numpy_manual":
        return importlib.import_module("numpy")
    if variant == "refengine":
        return importlib.import_module("refengine.numpy")  # has rnp.special already
    module = importlib.import_module("autograd.numpy")
    # A plain namespace (not a __getattr__ proxy), so attribute lookups cost what a module's do.
    names = {name: getattr(module, name) for name in dir(module) if not name.startswith("__")}
    return SimpleNamespace(**names, special=importlib.import_module("autograd.scipy.special"))


def _value_and_grad_transform(variant: str) -> Callable[..., Callable[..., Any]]:
    if variant == "autograd":
        autograd = importlib.import_module("autograd")
        return lambda f, argnums: autograd.value_and_grad(f, argnum=argnums)
    refengine = importlib.import_module("refengine")
    return lambda f, argnums: refengine.value_and_grad(f, argnums=argnums)


def make_call(variant: str, quantity: str, problem: Problem) -> Callable[[], Any]:
    """What one timed round calls: the whole eager computation, taping included for the AD
    engines; only what is built once per program (the transformed function) is built here."""
    params = problem.params
    if quantity == "forward":
        f = problem.bind(namespace(variant))
        return lambda: f(*params)
    if variant == "numpy_manual":
        return problem.value_and_grad_manual
    # Always a tuple of argnums, so every engine returns a tuple of gradients.
    argnums = tuple(range(len(params)))
    vg = _value_and_grad_transform(variant)(problem.bind(namespace(variant)), argnums)
    return lambda: vg(*params)


def check_result(variant: str, quantity: str, problem: Problem, result: Any) -> dict[str, Any]:
    """Compare one untimed call with the hand-written result; return facts for ``extra_info``.

    A fast wrong answer must not pass as a benchmark result. float32 results are compared
    loosely (different summation orders), float64 ones tightly.
    """
    expected_value, expected_grads = problem.value_and_grad_manual()
    dtype = problem.params[0].dtype
    rtol = 1e-9 if dtype == np.float64 else 2e-3
    value, grads = (result, None) if quantity == "forward" else result
    np.testing.assert_allclose(np.asarray(value), expected_value, rtol=rtol)
    info: dict[str, Any] = {"value_dtype": np.asarray(value).dtype.name}
    if grads is None:
        return info
    info["grad_dtypes"] = sorted({np.asarray(g).dtype.name for g in grads})
    for i, (g, e) in enumerate(zip(grads, expected_grads, strict=True)):
        scale = float(np.max(np.abs(e), initial=1.0))
        np.testing.assert_allclose(
            np.asarray(g), e, rtol=rtol, atol=rtol * scale, err_msg=f"{variant} gradient {i}"
        )
    if variant == "refengine":
        # The design promises cotangents in the input's dtype; autograd is known not to keep
        # float32 (anchors.md), which is recorded, not asserted.
        assert info["grad_dtypes"] == [dtype.name], f"refengine gradient dtypes {info}"
        assert info["value_dtype"] == dtype.name, f"refengine value dtype {info}"
    return info


def cyclic_garbage(call: Callable[[], Any]) -> int:
    """Objects one call leaves in reference cycles (freed only by the cyclic GC).

    Timing runs with the GC off, so such garbage piles up round after round (memory grows,
    fresh pages fault in); a non-zero count marks the timing as unrepresentative.
    """
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        call()
        return gc.collect()
    finally:
        if was_enabled:
            gc.enable()


# Every benchmark: GC off while timing; 20 untimed warm-up calls (caches, lazily built
# tables); at least 20 timed rounds, else as many as fit in 1 s.
WARMUP_ROUNDS = 20
BENCHMARK_OPTIONS = pytest.mark.benchmark(
    disable_gc=True, warmup=True, warmup_iterations=WARMUP_ROUNDS, min_rounds=20, max_time=1.0
)


def run_benchmark(
    benchmark: BenchmarkFixture,
    problem: Problem,
    variant: str,
    quantity: str,
    *,
    workload: str,
    n_ops: int = 1,
) -> None:
    """Check one untimed call, then time ``variant`` on ``problem`` in group ``workload``.

    ``n_ops`` divides the time for per-op figures (the chain); ``summarize.py`` applies it.
    """
    call = make_call(variant, quantity, problem)
    info = check_result(variant, quantity, problem, call())
    info["cyclic_garbage_per_call"] = cyclic_garbage(call)
    benchmark.group = f"{workload}: {quantity}"
    benchmark.extra_info.update(
        workload=workload,
        quantity=quantity,
        variant=variant,
        dtype=problem.params[0].dtype.name,
        n_ops=n_ops,
        **info,
    )
    benchmark(call)


def run_paired(
    benchmark: BenchmarkFixture,
    numerator: tuple[Problem, str, str],
    denominator: tuple[Problem, str, str],
    *,
    target: str,
) -> None:
    """Time a target's two sides in turn, round after round (``paired.py``), and record the
    median per-round ratio with its 95 % interval in ``extra_info["paired"]``.

    Each side is ``(problem, variant, quantity)``; each is checked against the hand-written
    result first, as in ``run_benchmark``. The benchmark's own statistics are those of a whole
    round (each side called twice: once untimed, once timed).
    """
    calls = []
    for problem, variant, quantity in (numerator, denominator):
        call = make_call(variant, quantity, problem)
        check_result(variant, quantity, problem, call())
        calls.append(call)
    one_round, times_num, times_den = time_in_turn(*calls)
    rounds = 1
    if not benchmark.disabled:  # --benchmark-disable: one call of each, as a quick test
        for _ in range(WARMUP_ROUNDS):
            one_round()
        rounds = rounds_for(statistics.median(map(operator.add, times_num, times_den)))
        times_num.clear()
        times_den.clear()
    benchmark.group = "paired targets"
    benchmark.extra_info.update(
        target=target,
        sides=[[p.name, variant, quantity] for p, variant, quantity in (numerator, denominator)],
    )
    benchmark.pedantic(one_round, rounds=rounds, iterations=1, warmup_rounds=0)
    if len(times_num) >= 2:  # one call only under --benchmark-disable: nothing to summarise
        benchmark.extra_info["paired"] = paired_ratio(times_num, times_den).as_dict()
