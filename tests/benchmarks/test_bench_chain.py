"""(a) 200 elementwise ops on a length-1 float64 array: per-op overhead of each engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from engines import BENCHMARK_OPTIONS, QUANTITIES, VARIANTS, run_benchmark
from workloads import CHAIN_N_OPS, Problem, benchmark_problem

if TYPE_CHECKING:  # the plugin is only needed when benchmarks run
    from pytest_benchmark.fixture import BenchmarkFixture

pytestmark = BENCHMARK_OPTIONS


@pytest.fixture(scope="module")
def problem() -> Problem:
    return benchmark_problem("chain")


@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_chain(benchmark: BenchmarkFixture, problem: Problem, variant: str, quantity: str) -> None:
    run_benchmark(benchmark, problem, variant, quantity, workload="chain", n_ops=CHAIN_N_OPS)
