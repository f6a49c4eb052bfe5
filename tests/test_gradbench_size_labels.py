"""Timing at GradBench's default sizes (issue 18): records there carry GradBench's label for the
size (the modules' ``GRADBENCH_SIZES`` reach the record's ``gradbench_size`` field, and the
reports' timing tables show it beside the size); and lstm's sizes, measured too costly for
jax.jit and tf.function to compile, are left out there with the measurement."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cases
from cases.library.models import ba, det, gmm, kmeans, llsq, lse, lstm
from cases.timing import Budget, RunNotes, TimingRecord, run_timings
from cases.timing import untimed as untimed_table
from cases.timing.pytest_benchmark import grid_points
from cases.timing.untimed import Untimed, untimed
from reports.rundir import _check_header
from reports.schema import TIMING_COLUMNS, timing_frame
from reports.tables import timing_pivot

BUDGET = Budget(seconds=0.05, min_sample_s=0.001, warmup_s=0.005, max_samples=10)

LABELLED = {"gmm": gmm, "lstm": lstm, "ba": ba, "llsq": llsq, "lse": lse, "kmeans": kmeans,
            "kmeans-dir": kmeans, "det-by-minors": det}


@pytest.mark.parametrize("name", list(LABELLED))
def test_every_gradbench_size_in_a_sweep_has_gradbenchs_label(name: str) -> None:
    sizes = cases.get(name).sizes
    known = LABELLED[name].GRADBENCH_SIZES
    swept = [s for s in sizes.sweep if s in known.values()]
    assert swept, f"{name}'s sweep reaches none of GradBench's sizes"
    for label, size in known.items():
        assert sizes.gradbench_label(size) == label
    for size in sizes.sweep:
        if size not in known.values():
            assert sizes.gradbench_label(size) == ""
    assert sizes.gradbench_label(sizes.check) == ""  # a check size is none of GradBench's


def test_ba_records_say_ba2_not_a_shape() -> None:
    assert cases.get("ba").sizes.gradbench_label((21, 11315, 36455)) == "ba2"
    assert cases.get("gmm").sizes.gradbench_label((10, 25, 1000)) == "10_25_1000"


def test_a_timing_run_at_a_gradbench_size_records_its_label_and_the_table_shows_it() -> None:
    records = list(run_timings(["lse"], ["numpy"], sizes={"lse": [1000, 2500]},
                               quantities=["forward"], budget=BUDGET, memory=False))
    by_size = {r.size: r.gradbench_size for r in records if r.case == "lse"}
    assert by_size == {"n=1000": "", "n=2500": "n=2500"}
    frame = timing_frame(records)
    shown = set(timing_pivot(frame, "forward")["case, size"])
    assert {"lse n=1000", "lse n=2500 (GradBench n=2500)"} <= shown


def test_the_table_shows_a_label_unlike_the_size() -> None:
    row = dict(run_id="r", case="ba", adapter="numpy", mode="eager", device="cpu",
               dtype="float64", size="n=21,m=11315,p=36455", n_inputs=1, quantity="forward",
               median_s=1.0, min_s=1.0, iqr_s=0.0, n_samples=7, threads=1,
               gradbench_size="ba2")
    shown = timing_pivot(timing_frame([TimingRecord(**row)]), "forward")["case, size"]
    assert list(shown) == ["ba n=21,m=11315,p=36455 (GradBench ba2)"]


def test_records_written_before_the_field_still_read() -> None:
    old = dict(run_id="r", case="lse", adapter="numpy", mode="eager", device="cpu",
               dtype="float64", size="n=10", n_inputs=10, quantity="forward", median_s=1.0,
               min_s=1.0, iqr_s=0.0, n_samples=7, threads=1, peak_bytes=None,
               memory_method="none")
    assert TimingRecord.from_dict(old).gradbench_size == ""
    assert timing_frame([old])["gradbench_size"].tolist() == [""]


def test_a_folder_with_older_timing_columns_is_not_appended_to(tmp_path: Path) -> None:
    target = tmp_path / "timing.csv"
    older = TIMING_COLUMNS[:TIMING_COLUMNS.index("gradbench_size")]
    pd.DataFrame(columns=list(older)).to_csv(target, index=False)
    with pytest.raises(ValueError, match="missing: gradbench_size"):
        _check_header(target, TIMING_COLUMNS)
    pd.DataFrame(columns=list(TIMING_COLUMNS)).to_csv(target, index=False)
    _check_header(target, TIMING_COLUMNS)


# --- lstm on jax.jit: GradBench's sizes are measured too costly to compile ---------------------
def test_lstms_gradbench_sizes_are_untimed_on_the_compiling_modes_only() -> None:
    case = cases.get("lstm")
    for size in case.sizes.sweep:
        for adapter in ("jax", "tensorflow"):
            entry = untimed("lstm", adapter, "jit", size)
            assert entry is not None and " s at c = " in entry.measured
            assert untimed("lstm", adapter, "eager", size) is None
        assert untimed("lstm", "torch", "eager", size) is None
    assert untimed("lstm", "jax", "jit", case.sizes.check) is None


def test_the_timing_run_notes_why_it_left_a_size_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run consults the table (an entry for lse on NumPy here: the lstm entry's own run
    would load and warm JAX, seconds for nothing)."""
    entry = Untimed("lse", "numpy", "eager", (2500,), measured="a measured reason",
                    citation="")
    monkeypatch.setattr(untimed_table, "UNTIMED", (*untimed_table.UNTIMED, entry))
    notes = RunNotes()
    records = list(run_timings(["lse"], ["numpy"], sizes={"lse": [1000, 2500]},
                               quantities=["forward"], budget=BUDGET, memory=False,
                               notes=notes))
    assert {r.size for r in records if r.case == "lse"} == {"n=1000"}
    (skip,) = [s for s in notes.skipped if s["case"] == "lse"]
    assert (skip["size"], skip["status"], skip["message"]) == ("n=2500", "too-costly",
                                                               "a measured reason")


def test_the_benchmark_grid_leaves_it_out_too() -> None:
    points = grid_points(cases="lstm", adapters="jax,torch", sizes="sweep")
    assert not [p for p in points if p.adapter == "jax" and p.mode == "jit"]
    assert [p for p in points if p.adapter == "torch"]
    assert [p for p in points if p.adapter == "jax" and p.mode == "eager"]
