"""The README's targets, each measured as a paired ratio (``paired.py``).

Every target of ``summarize.TARGETS`` times its numerator and its denominator in turn, round
after round, so that its verdict rests on per-round ratios rather than on two benchmarks run
seconds apart; ``summarize.py`` reads the median and its 95 % interval from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from engines import BENCHMARK_OPTIONS, run_paired
from summarize import TARGETS, Target
from workloads import benchmark_problem

if TYPE_CHECKING:  # the plugin is only needed when benchmarks run
    from pytest_benchmark.fixture import BenchmarkFixture

pytestmark = BENCHMARK_OPTIONS


@pytest.mark.parametrize("target", TARGETS, ids=[t.key for t in TARGETS])
def test_target(benchmark: BenchmarkFixture, target: Target) -> None:
    problems = {w: benchmark_problem(w) for w in {target.numerator[0], target.denominator[0]}}
    sides = [(problems[w], variant, q) for w, q, variant in (target.numerator, target.denominator)]
    run_paired(benchmark, sides[0], sides[1], target=target.label)
