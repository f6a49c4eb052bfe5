"""(b) MLP loss, 256 x 512 -> 512 -> 512 -> 3, tanh, mean squared error, float64 and float32."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from engines import BENCHMARK_OPTIONS, QUANTITIES, VARIANTS, run_benchmark
from workloads import Problem, benchmark_problem

if TYPE_CHECKING:  # the plugin is only needed when benchmarks run
    from pytest_benchmark.fixture import BenchmarkFixture

pytestmark = BENCHMARK_OPTIONS

DTYPES = ("float64", "float32")


@pytest.fixture(scope="module", params=DTYPES)
def problem(request: pytest.FixtureRequest) -> Problem:
    return benchmark_problem(f"mlp-{request.param}")


@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_mlp(benchmark: BenchmarkFixture, problem: Problem, variant: str, quantity: str) -> None:
    run_benchmark(benchmark, problem, variant, quantity, workload=problem.name)
