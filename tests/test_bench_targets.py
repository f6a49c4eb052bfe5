"""The benchmark targets' verdicts: the paired-ratio statistics of ``tests/benchmarks/paired.py``
and how ``tests/benchmarks/summarize.py`` turns them into met / UNSETTLED / MISSED.

Runs in the default ``pytest`` (no timing: the statistics are fed known samples, and one real
paired benchmark runs with ``--benchmark-disable`` in a subprocess).
"""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from scipy.stats import binom

_BENCH_DIR = Path(__file__).parent / "benchmarks"
if str(_BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(_BENCH_DIR))
paired = importlib.import_module("paired")
summarize = importlib.import_module("summarize")


@pytest.mark.parametrize("n", [6, 9, 20, 61, 200, 401])
def test_median_interval_has_at_least_95_percent_coverage(n: int) -> None:
    low, high = paired.median_ci_indices(n)
    # The median lies outside [r_(low), r_(high)] only if at most `low` of the n ratios fall
    # below it, or at most `low` above it (0-based indices; sign-test counts).
    miss = 2 * binom.cdf(low, n, 0.5)
    assert miss <= 0.05
    # ... and the interval is the narrowest such: one step inward would miss more often.
    assert 2 * binom.cdf(low + 1, n, 0.5) > 0.05
    assert high == n - 1 - low


def test_median_interval_needs_enough_rounds() -> None:
    assert paired.median_ci_indices(5) is None  # 2 / 32 > 5 %: no order statistic will do
    result = paired.paired_ratio([1.0] * 5, [2.0] * 5)
    assert result.median == 0.5
    assert math.isnan(result.ci_low) and math.isnan(result.ci_high)


def test_paired_ratio_is_taken_within_rounds() -> None:
    # Both sides slow down together (drift): the per-round ratio stays 1.1, while the ratio
    # of the two medians would not.
    denominator = [1.0] * 30 + [3.0] * 31
    numerator = [1.1 * t for t in denominator]
    result = paired.paired_ratio(numerator, denominator)
    assert result.median == pytest.approx(1.1)
    assert result.ci_low == pytest.approx(1.1) and result.ci_high == pytest.approx(1.1)
    assert result.rounds == 61


def test_paired_ratio_rejects_unequal_samples() -> None:
    with pytest.raises(ValueError, match="equal, non-zero lengths: got 3 numerator and 2"):
        paired.paired_ratio([1.0, 1.0, 1.0], [1.0, 1.0])


def test_time_in_turn_alternates_the_order_and_warms_each_side() -> None:
    calls: list[str] = []
    one_round, times_num, times_den = paired.time_in_turn(
        lambda: calls.append("n"), lambda: calls.append("d")
    )
    one_round()
    one_round()
    assert calls == ["n", "n", "d", "d", "d", "d", "n", "n"]
    assert len(times_num) == len(times_den) == 2
    assert all(t >= 0 for t in times_num + times_den)


def _interval(median: float, low: float, high: float) -> dict[str, float]:
    return {"median": median, "ci_low": low, "ci_high": high, "rounds": 200}


@pytest.mark.parametrize(
    ("paired_result", "unpaired", "expected"),
    [
        (_interval(1.10, 1.08, 1.12), 1.25, "met"),  # the paired interval decides
        (_interval(1.19, 1.17, 1.21), 1.10, "UNSETTLED"),  # the target inside the interval
        (_interval(1.25, 1.22, 1.27), 1.10, "MISSED"),  # negative control: above the target
        (_interval(1.10, math.nan, math.nan), 1.10, "UNSETTLED"),  # too few rounds
        (None, 1.10, "met (unpaired)"),
        (None, 1.30, "MISSED (unpaired)"),
        (None, None, "no data"),
    ],
)
def test_verdict(paired_result: dict | None, unpaired: float | None, expected: str) -> None:
    assert summarize.verdict(1.2, unpaired, paired_result) == expected


def _report(paired_results: dict[str, dict]) -> dict:
    benchmarks = [
        {"name": key, "stats": {"median": 1.0}, "extra_info": {"target": label, "paired": p}}
        for key, (label, p) in enumerate(paired_results.items())
    ]
    return {"benchmarks": benchmarks, "machine_info": {}, "datetime": "now"}


def test_check_fails_unless_every_target_is_met(tmp_path: Path, capsys) -> None:
    good = {t.label: _interval(t.at_most * 0.9, t.at_most * 0.85, t.at_most * 0.95)
            for t in summarize.TARGETS}
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(_report(good)))
    assert summarize.main([str(path), "--check"]) == 0
    assert capsys.readouterr().out.count("| met |") == len(summarize.TARGETS)

    gmm = next(t.label for t in summarize.TARGETS if t.key == "gmm-vs-numpy")
    for bad in (_interval(1.19, 1.17, 1.21), _interval(1.3, 1.25, 1.35)):
        path.write_text(json.dumps(_report({**good, gmm: bad})))
        assert summarize.main([str(path), "--check"]) == 1
        assert summarize.main([str(path)]) == 0  # without --check: a report, not a gate
    missing = {k: v for k, v in good.items() if k != gmm}
    path.write_text(json.dumps(_report(missing)))
    assert summarize.main([str(path), "--check"]) == 1  # no data for one target


def test_paired_benchmark_runs_and_checks_its_sides(tmp_path: Path) -> None:
    # The real test file, once per side (--benchmark-disable): collects, builds both sides'
    # problems and checks each against the hand-written gradient before timing.
    pytest.importorskip("pytest_benchmark")
    pytest.importorskip("autograd")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         str(_BENCH_DIR / "test_bench_targets.py"), "--benchmark-disable"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"{len(summarize.TARGETS)} passed" in result.stdout
