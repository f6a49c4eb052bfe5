"""Workloads of known cost that validate the timing harness: shared by its tests in the default
run (tests/test_timing_*.py) and its real-clock comparisons here (test_bench_harness.py)."""

from __future__ import annotations

from typing import Any

from cases.case import Arg, Case, Sizes

__all__ = ["ASYNC", "KNOWN", "matmul_chain", "sort_sum"]


def sort_sum(xp: Any, x: Any) -> Any:
    return xp.sum(xp.sort(x))


# Sorting 100,000 floats: ~0.5 ms of NumPy.
KNOWN = Case("timing-known-cost", sort_sum, args=(Arg("x"),),
             sizes=Sizes(check=6, sweep=(100_000,)))


def matmul_chain(xp: Any, x: Any) -> Any:
    for _ in range(4):
        x = xp.tanh(x @ x)
    return xp.sum(x)


# Four 300 x 300 products: ~0.1 ms to dispatch under jax.jit, ~8-15 ms to compute.
ASYNC = Case("timing-async", matmul_chain, args=(Arg("x", shape=lambda n: (n, n)),),
             sizes=Sizes(check=3, sweep=(300,)))
