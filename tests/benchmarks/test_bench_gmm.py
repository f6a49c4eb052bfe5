"""(c) GradBench's GMM objective, d=10, K=25, N=1000, float64."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from engines import BENCHMARK_OPTIONS, QUANTITIES, VARIANTS, run_benchmark
from workloads import Problem, benchmark_problem

if TYPE_CHECKING:  # the plugin is only needed when benchmarks run
    from pytest_benchmark.fixture import BenchmarkFixture

pytestmark = BENCHMARK_OPTIONS


@pytest.fixture(scope="module")
def problem() -> Problem:
    return benchmark_problem("gmm")


@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_gmm(benchmark: BenchmarkFixture, problem: Problem, variant: str, quantity: str) -> None:
    run_benchmark(benchmark, problem, variant, quantity, workload="gmm")
