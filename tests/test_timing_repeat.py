"""Timings that repeat (issue 25): every median with its interval, frameworks compared as
ratios paired round by round through the NumPy control, ``compare`` telling a machine that
changed from a framework that did, the repeatability measure, and a run at check sizes only
saying so. Synthetic records and fake measurements only: no real timing (cheap, default run).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cases.timing.headline import HEADLINE_SIZES, headline_sizes
from cases.timing.intervals import Interval, median_interval, paired_ratio, ratio_of_ratios
from cases.timing.sampler import Budget, Measurement, run_rounds
from reports import tables
from reports.readme import END, START, TIMINGS_END, TIMINGS_START, markers
from reports.render import CHECK_SIZES_NOTICE, headline_markdown, summary_markdown
from reports.repeatability import agreement, figures, report_lines
from reports.run_comparison import compare_runs
from reports.rundir import RunFolder
from reports.schema import timing_frame

ADAPTERS = {"refengine": 2.0, "torch": 3.0, "jax": 0.5}  # time over the control, per adapter


def _row(case: str, adapter: str, quantity: str, vs_control: float, control_s: float, *,
         size: str = "d=2,K=5,N=1000", gradbench: str = "2_5_1000", spread: float = 0.02,
         mode: str = "eager") -> dict:
    median = vs_control * control_s
    return {"run_id": "r", "case": case, "adapter": adapter, "mode": mode, "device": "cpu",
            "dtype": "float64", "size": size, "n_inputs": 100, "quantity": quantity,
            "median_s": median, "min_s": median * 0.98, "iqr_s": median * spread,
            "n_samples": 20, "threads": 1, "peak_bytes": None, "memory_method": "none",
            "gradbench_size": gradbench, "ci_low_s": median * (1 - spread),
            "ci_high_s": median * (1 + spread), "vs_control": vs_control,
            "vs_control_low": vs_control * (1 - spread),
            "vs_control_high": vs_control * (1 + spread)}


def _run(control_s: float, slower: dict[str, float] | None = None, **kw) -> list[dict]:
    """One run at one point: each adapter's forward and value_and_grad, and the control."""
    slower = slower or {}
    rows = [_row("gmm", a, q, r * (2 if q == "value_and_grad" else 1) * slower.get(a, 1.0),
                 control_s, **kw)
            for a, r in ADAPTERS.items() for q in ("forward", "value_and_grad")]
    control = _row("control@gmm", "numpy", "forward", 1.0, control_s, size="n=96",
                   gradbench="")
    return [*rows, control]


def _folder(path: Path, rows: list[dict]) -> RunFolder:
    folder = RunFolder.create(path)
    folder.write_environment({"date": "2026-12-07", "cpu": "test CPU", "cpu_count": 2,
                              "threads": 1, "python": "3.11"})
    folder.append("timing", rows)
    return folder


# --- intervals and pairing ---------------------------------------------------------------------
def test_the_median_interval_is_the_sign_tests_order_statistics() -> None:
    samples = [5.0, 1.0, 4.0, 2.0, 3.0, 7.0, 6.0]  # n = 7: the 1st and 7th of the sorted
    assert median_interval(samples) == (1.0, 7.0)
    assert Interval.of(samples).median == 4.0
    assert all(math.isnan(b) for b in median_interval([1.0] * 5))  # too few for 95 %
    with pytest.raises(ValueError, match="no values"):
        Interval.of([])


def test_a_paired_ratio_cancels_the_drift_that_a_ratio_of_medians_keeps() -> None:
    rng = np.random.default_rng(0)
    drift = np.exp(rng.uniform(-0.4, 0.4, 40))  # the machine's speed, round by round
    rounds = list(range(40))
    control = list(1e-3 * drift)
    framework = list(3e-3 * drift)
    ratio = paired_ratio(framework, rounds, control, rounds)
    assert ratio is not None and ratio.median == pytest.approx(3.0)
    assert ratio.low == pytest.approx(3.0) and ratio.high == pytest.approx(3.0)
    # a control sample retaken (every other one missing): each framework sample pairs with
    # the control sample nearest in time; the drift there is nearly the same
    gappy = paired_ratio(framework, rounds, control[::2], rounds[::2])
    assert gappy is not None and gappy.n == 40
    # pairs further apart than max_gap are left out; none left: nothing paired (a ratio of
    # medians would still print a number)
    assert paired_ratio(framework[:20], rounds[:20], control[30:], rounds[30:],
                        max_gap=5) is None
    assert paired_ratio(framework, rounds, control[::2], rounds[::2], max_gap=0).n == 20
    with pytest.raises(ValueError, match="time"):
        paired_ratio([1.0], [0, 1], [1.0], [0])


def test_a_ratio_of_two_control_ratios_takes_the_widest_bounds() -> None:
    a, b = Interval(4.0, 3.0, 5.0, 9), Interval(2.0, 1.0, 2.5, 7)
    assert ratio_of_ratios(a, b) == Interval(2.0, 1.2, 5.0, 7)


def test_the_companion_is_sampled_in_every_round_another_measurement_is() -> None:
    budget = Budget(seconds=0.0, min_samples=7, max_samples=30, warmup_calls=2,
                    max_idle_wait_s=0.0, idle_window_s=0.0)
    slow = Measurement("slow", lambda: None, on_cpu=False)
    slow.finished = lambda b: len(slow.samples) >= 25  # type: ignore[method-assign]
    control = Measurement("control", lambda: None, on_cpu=False)
    run_rounds([slow, control], budget, np.random.default_rng(0), companion=control)
    assert len(slow.rounds) == 25 and set(slow.rounds) <= set(control.rounds)
    assert len(slow.times) == 25 and len(control.times) == len(control.rounds)
    alone = Measurement("control", lambda: None, on_cpu=False)
    other = Measurement("slow", lambda: None, on_cpu=False)
    other.finished = lambda b: len(other.samples) >= 25  # type: ignore[method-assign]
    run_rounds([other, alone], budget, np.random.default_rng(0))  # no companion: it stops
    assert len(alone.rounds) == 7 and not set(other.rounds) <= set(alone.rounds)


# --- relative tables and the repeatability measure ---------------------------------------------
def test_relative_times_are_paired_through_the_control() -> None:
    frame = timing_frame(_run(1e-3))
    rel = tables.paired_relative(frame, "value_and_grad", None).set_index("adapter/mode")
    assert rel.loc["jax/eager", "ratio"] == 1.0  # the fastest
    assert rel.loc["torch/eager", "ratio"] == pytest.approx(6.0)
    assert rel.loc["torch/eager", "low"] == pytest.approx(6.0 * 0.98 / 1.02)
    assert rel["paired"].all()
    # an out-of-process adapter (MXNet) paired with its own interpreter's control: medians
    remote = timing_frame([*_run(1e-3), {**_row("gmm", "mxnet", "value_and_grad", 10.0, 1e-3),
                                         "vs_control": 99.0}])
    rel = tables.paired_relative(remote, "value_and_grad", None).set_index("adapter/mode")
    assert rel.loc["mxnet/eager", "ratio"] == pytest.approx(10.0) and not rel.loc[
        "mxnet/eager", "paired"]
    assert rel.loc["torch/eager", "paired"]
    cell = tables.relative_pivot(frame, "refengine/eager").iloc[0]["torch/eager"]
    assert cell == "1.50 [1.44, 1.56]"
    # older records without the control ratio: a ratio of medians, said so
    older = frame.drop(columns=["vs_control", "vs_control_low", "vs_control_high"])
    old = tables.paired_relative(older, "value_and_grad", None).set_index("adapter/mode")
    assert old.loc["torch/eager", "ratio"] == pytest.approx(6.0)
    assert not old["paired"].any()


def test_repeatability_tells_a_slower_machine_from_a_slower_framework() -> None:
    first = timing_frame(_run(1e-3))
    machine = timing_frame(_run(1.4e-3))  # everything 40 % slower, the control too
    framework = timing_frame(_run(1e-3, slower={"torch": 1.5}))  # torch alone
    for method in ("paired", "medians"):
        same = agreement(figures(first, method), figures(machine, method))
        assert same.n == 4 and same.fraction == 1.0  # jax and torch, 2 quantities each
    absolute = agreement(figures(first, "absolute"), figures(machine, "absolute"))
    assert absolute.fraction == 0.0 and absolute.median_spread == pytest.approx(0.4)
    # negative control: a framework that did change is not within 10 %
    moved = agreement(figures(first, "paired"), figures(framework, "paired"))
    assert moved.within == 2 and moved.worst[-1] == "torch/eager"
    text = "\n".join(report_lines(first, framework))
    assert "Goal: 95% of the paired figures within 10%: NOT met (2 of 4)" in text
    assert "Goal: 95% of the paired figures within 10%: met (4 of 4)" in "\n".join(
        report_lines(first, machine))


def test_compare_says_what_moved(tmp_path: Path) -> None:
    a = _folder(tmp_path / "a", _run(1e-3))
    machine = compare_runs(a, _folder(tmp_path / "m", _run(1.4e-3)))
    assert set(machine.timing_changes["moved"]) == {"machine"}
    assert "the machine was slower in B" in machine.markdown
    framework = compare_runs(a, _folder(tmp_path / "f", _run(1e-3, slower={"torch": 1.5})))
    changes = framework.timing_changes
    assert set(changes["adapter"]) == {"torch"} and set(changes["moved"]) == {"framework"}
    assert "the machine ran at the same speed" in framework.markdown


# --- check sizes only, the headline, the README markers ----------------------------------------
def test_a_run_at_check_sizes_only_says_so_instead_of_showing_results(tmp_path: Path) -> None:
    toy = _folder(tmp_path / "toy", _run(1e-3, size="d=2,K=3,N=10", gradbench=""))
    assert tables.check_sizes_only(toy.timing())
    headline = headline_markdown(toy)
    assert CHECK_SIZES_NOTICE in headline and "relative to the fastest" not in headline
    assert CHECK_SIZES_NOTICE in summary_markdown(toy)
    real = _folder(tmp_path / "real", _run(1e-3))
    assert not tables.check_sizes_only(real.timing())
    assert list(tables.size_kinds(real.timing())[:1]) == ["gradbench"]
    headline = headline_markdown(real)
    assert CHECK_SIZES_NOTICE not in headline
    assert "relative to the fastest" in headline and "(GradBench 2_5_1000)" in headline
    assert "Machine: test CPU (2 cores)" in headline


def test_headline_sizes_are_gradbenchs_and_bench_runs_have_their_own_readme_block() -> None:
    import cases

    for name, sizes in HEADLINE_SIZES.items():
        case = cases.get(name)
        assert len(sizes) >= 2, f"{name}: a line needs two sizes"
        for size in sizes:
            assert case.sizes.gradbench_label(size), f"{name} {size} is not GradBench's"
        assert headline_sizes(case) == sizes
    assert headline_sizes(cases.get("lstm")) == ()
    assert markers("bench") == (TIMINGS_START, TIMINGS_END)
    assert markers("run") == markers("check") == (START, END)


def test_sizes_headline_on_the_command_line() -> None:
    import argparse

    from reports.commands import _sizes, _sweep_notes
    from reports.selection import SelectionError

    assert _sizes(argparse.Namespace(sizes="headline", quick=False), "sweep") == "headline"
    import cases

    notes = _sweep_notes("headline", [cases.get("gmm"), cases.get("lstm")], bench=True)
    assert notes == ["not timed (no headline sizes, --sizes headline): lstm"]
    with pytest.raises(SelectionError, match="headline leaves nothing to time"):
        _sweep_notes("headline", [cases.get("lstm")], bench=True)


def test_timing_frame_reads_the_interval_columns_as_numbers() -> None:
    frame = timing_frame([{k: (str(v) if k == "vs_control" else v)
                           for k, v in _run(1e-3)[0].items()}])
    assert frame["vs_control"].dtype == float
    assert isinstance(frame, pd.DataFrame)
