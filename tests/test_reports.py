"""Report builders on small record sets, the run folder, and compare."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from reports import tables
from reports.render import render
from reports.run_comparison import compare_runs
from reports.rundir import RunFolder, RunFolderError
from reports.schema import CONFORMANCE_COLUMNS, conformance_frame, timing_frame


def conf(case, adapter, status, *, mode="eager", dtype="float64", check="vjp_vs_oracle",
         tags="binary", rel=1e-12, convention="", message=""):
    return {"run_id": "r", "case": case, "tags": tags, "adapter": adapter,
            "framework_version": "1", "mode": mode, "device": "cpu", "dtype": dtype,
            "check": check, "status": status, "max_abs_err": rel, "max_rel_err": rel,
            "tol": 1e-8, "oracle_err": 1e-12, "worst_index": "[0]", "got": 1.0,
            "expected": 1.0, "convention": convention, "message": message, "seconds": 0.01}


def timing(case, adapter, quantity, median, *, mode="eager", size="check", n=10, iqr=0.0):
    return {"run_id": "r", "case": case, "adapter": adapter, "mode": mode, "device": "cpu",
            "dtype": "float64", "size": size, "n_inputs": n, "quantity": quantity,
            "median_s": median, "min_s": median, "iqr_s": iqr, "n_samples": 7, "threads": 1,
            "peak_bytes": None, "memory_method": "none"}


CONFORMANCE = [
    conf("add", "torch", "pass"),
    conf("add", "jax", "pass", mode="jit"),
    conf("abs-at-zero", "jax", "divergence-documented", tags="kink", check="kink",
         convention="right", message="jax abs'(0) = 1 (jax issue 37820)"),
    conf("abs-at-zero", "torch", "pass", tags="kink", check="kink", convention="zero"),
    conf("norm-zero", "tensorflow", "fail", tags="kink,linalg", check="kink",
         convention="nan", rel=np.nan, message="NaN where a subgradient exists"),
    conf("gmm", "autograd", "unsupported", tags="model", message="no JVP for x"),
    conf("gmm", "torch", "error", tags="model", message="RuntimeError: boom"),
]
TIMING = [
    timing("gmm", "refengine", "forward", 1.0), timing("gmm", "refengine", "value_and_grad", 2.0),
    timing("gmm", "torch", "forward", 0.5), timing("gmm", "torch", "value_and_grad", 1.0),
    timing("gmm", "jax", "forward", 0.2, mode="jit"),
    timing("gmm", "jax", "value_and_grad", 0.4, mode="jit"),
    timing("gmm", "jax", "compile", 0.3, mode="jit"),
    timing("gmm", "torch", "value_and_grad", 4.0, size="sweep-1", n=1000),
    timing("gmm", "torch", "forward", 2.0, size="sweep-1", n=1000),
]


def make_run(path, conformance=CONFORMANCE, timings=TIMING):
    folder = RunFolder.create(path)
    folder.write_environment({"date": "2026-11-26", "cpu": "test", "versions": {"numpy": "2"}})
    folder.append("conformance", conformance)
    folder.append("timing", timings)
    folder.close()  # written: the lock goes, the folder stays readable and writable here
    return folder


def test_schema_rejects_unknown_columns_and_statuses() -> None:
    with pytest.raises(ValueError, match="outside the schema"):
        conformance_frame([{**conf("a", "b", "pass"), "surprise": 1}])
    with pytest.raises(ValueError, match="unknown statuses"):
        conformance_frame([conf("a", "b", "passed")])
    assert list(conformance_frame([]).columns) == list(CONFORMANCE_COLUMNS)
    assert timing_frame(TIMING)["median_s"].sum() == pytest.approx(11.4)


def test_status_counts_and_category_matrix() -> None:
    frame = conformance_frame(CONFORMANCE)
    counts = tables.status_counts(frame).set_index("adapter/mode")
    assert counts.loc["torch/eager", "pass"] == 2
    assert counts.loc["torch/eager", "error"] == 1
    assert counts.loc["jax/jit", "pass"] == 1
    assert counts["total"].sum() == len(CONFORMANCE)
    matrix = tables.matrix_by_category(frame).set_index("category")
    assert matrix.loc["kink", "jax/eager"] == "0 / 0 / 1 / 0"
    assert matrix.loc["kink", "tensorflow/eager"] == "0 / 1 / 0 / 0"  # norm-zero is kink first
    assert matrix.loc["model", "autograd/eager"] == "0 / 0 / 0 / 1"


def test_undocumented_failures_and_worst_errors() -> None:
    frame = conformance_frame(CONFORMANCE)
    failures = tables.undocumented_failures(frame)
    assert set(failures["case"]) == {"norm-zero", "gmm"}
    worst = tables.worst_errors(frame)
    assert set(worst["status"]) <= {"pass", "fail"}


def test_timing_table_ratios() -> None:
    table = tables.timing_table(timing_frame(TIMING)).set_index(["size", "adapter/mode"])
    torch = table.loc[("check", "torch/eager")]
    assert torch["grad/forward"] == pytest.approx(2.0)
    assert torch["vs refengine"] == pytest.approx(0.5)
    assert torch["vs fastest"] == pytest.approx(2.5)  # jax/jit at 0.4 s is the fastest
    assert table.loc[("check", "jax/jit"), "compile"] == pytest.approx(0.3)
    assert np.isnan(table.loc[("sweep-1", "torch/eager"), "vs refengine"])  # no reference


def test_render_writes_every_file_and_mentions_the_facts(tmp_path) -> None:
    folder = make_run(tmp_path / "run")
    written = render(folder)
    assert {"summary.md", "divergences.md", "report.html", "fd", "ratio"} <= set(written)
    summary = (tmp_path / "run" / "summary.md").read_text()
    assert "Undocumented failures (2)" in summary and "norm-zero" in summary
    atlas = (tmp_path / "run" / "divergences.md").read_text()
    assert "right (divergence-documented)" in atlas and "jax issue 37820" in atlas
    page = (tmp_path / "run" / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 3  # self-contained: plots embedded
    assert "abs-at-zero" in page and "gmm" in page
    assert '<svg id="atlas"' in page and 'id="records-data"' in page  # tests/test_report_page
    assert (tmp_path / "run" / "plots" / "size_gmm.png").exists()  # two sizes: a size plot


def test_atlas_groups_documented_records_by_table_entry(tmp_path) -> None:
    from cases.conventions import TABLE

    entry = next(e for e in TABLE if e.op.startswith("maximum"))
    cited = f"documented divergence: {entry.summary()}. Observed: fail: kink outside"
    records = [conf(case, "tensorflow", "divergence-documented", tags="kink", check=check,
                    convention="x[1]:right; x[4]:right; y[1]:zero", message=cited)
               for case in ("maximum-tie", "minimum-tie") for check in ("kink", "adjoint")]
    folder = make_run(tmp_path / "run", conformance=[*CONFORMANCE, *records])
    render(folder)
    atlas = (tmp_path / "run" / "divergences.md").read_text()
    # Per-entry conventions are counted, not listed: a cell stays short.
    assert "2 right, 1 zero (divergence-documented)" in atlas
    assert "x[4]:right" not in atlas
    # One section per table entry: its behaviour and citation once, where it was met below.
    assert atlas.count(f"### {entry.op} at {entry.point}") == 1
    assert atlas.count(entry.citation) == 1
    assert "| tensorflow/eager | float64 | kink " in atlas
    assert "maximum-tie, minimum-tie" in atlas
    # A message from another version of the table still gets its own section.
    assert "### jax abs'(0) = 1 (jax issue 37820)" in atlas


def test_run_folder_refuses_to_overwrite_and_resumes(tmp_path) -> None:
    make_run(tmp_path / "run")
    with pytest.raises(RunFolderError, match="--force"):
        RunFolder.create(tmp_path / "run")
    resumed = RunFolder.create(tmp_path / "run", resume=True)
    resumed.commit(conformance=[conf("sub", "torch", "pass")],
                   checks=[("sub", "torch", "eager", "float64")], timed=["sub"])
    assert resumed.checks_done() == {("sub", "torch", "eager", "float64")}
    assert resumed.timings_done() == {"sub"}
    assert len(resumed.conformance()) == len(CONFORMANCE) + 1
    resumed.close()
    fresh = RunFolder.create(tmp_path / "run", force=True)
    assert fresh.conformance().empty and not (tmp_path / "run" / "environment.json").exists()


def test_run_folder_open_errors(tmp_path) -> None:
    with pytest.raises(RunFolderError, match="not a folder"):
        RunFolder.open(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunFolderError, match=r"no environment\.json"):
        RunFolder.open(tmp_path / "empty")
    folder = make_run(tmp_path / "broken")
    (folder.path / "environment.json").write_text("{not json")
    with pytest.raises(RunFolderError, match="cannot be read"):
        RunFolder.open(folder.path)


def test_records_round_trip_through_csv(tmp_path) -> None:
    record = conf("x", "torch", "fail", message='a "quoted", multi-line\nmessage')
    record["worst_index"] = (2, 3)
    folder = make_run(tmp_path / "run", conformance=[record], timings=[])
    row = folder.conformance().iloc[0]
    assert row["message"] == 'a "quoted", multi-line\nmessage'
    assert json.loads(row["worst_index"]) == [2, 3]


def test_compare_finds_new_failures_fixes_conventions_and_timing_changes(tmp_path) -> None:
    a = make_run(tmp_path / "a")
    changed = [dict(r) for r in CONFORMANCE]
    changed[0]["status"] = "fail"  # add/torch: pass -> fail
    changed[4]["status"] = "pass"  # norm-zero/tensorflow: fail -> pass
    changed[3]["convention"] = "average"  # abs-at-zero/torch: zero -> average
    slower = [dict(t) for t in TIMING]
    slower[3]["median_s"] = 1.5  # torch value_and_grad: +50 %, beyond a zero spread
    slower[1]["median_s"] = 2.1  # refengine: +5 %, under the 10 % floor
    b = make_run(tmp_path / "b", conformance=changed, timings=slower)
    result = compare_runs(a, b)
    assert list(result.new_failures["case"]) == ["add"]
    assert list(result.fixed["case"]) == ["norm-zero"]
    assert list(result.changed_conventions["convention_b"]) == ["average"]
    assert list(result.timing_changes["adapter"]) == ["torch"]
    assert "New failures (A passed, B fails) (1)" in result.markdown


def test_compare_ignores_changes_within_the_noise(tmp_path) -> None:
    noisy = [dict(t, iqr_s=0.5 * t["median_s"]) for t in TIMING]
    a = make_run(tmp_path / "a", timings=noisy)
    b = make_run(tmp_path / "b", timings=[dict(t, median_s=1.3 * t["median_s"]) for t in noisy])
    assert compare_runs(a, b).timing_changes.empty


def test_empty_runs_render(tmp_path) -> None:
    folder = make_run(tmp_path / "run", conformance=[], timings=[])
    written = render(folder)
    assert "summary.md" in written
    assert isinstance(tables.status_counts(folder.conformance()), pd.DataFrame)


def test_timing_overview_and_pivots() -> None:
    frame = timing_frame([*TIMING, timing("control@gmm", "numpy", "forward", 0.1)])
    overview = tables.timing_overview(frame).set_index("adapter/mode")
    assert "numpy/eager" not in overview.index  # the control is no framework
    assert overview.loc["torch/eager", "speed vs refengine (geo. mean)"] == pytest.approx(2.0)
    assert overview.loc["jax/jit", "fastest in"] == 1
    assert overview.loc["jax/jit", "median compile s"] == pytest.approx(0.3)
    pivot = tables.timing_pivot(frame, "grad/forward", ["gmm"]).set_index("case, size")
    assert pivot.loc["gmm check", "refengine/eager"] == pytest.approx(2.0)
    assert pivot.loc["gmm sweep-1", "torch/eager"] == pytest.approx(2.0)


def test_summary_states_what_the_run_covered_and_marks_its_headline(tmp_path) -> None:
    from reports.render import HEADLINE_END, HEADLINE_START, summary_markdown

    folder = make_run(tmp_path / "run")
    folder.write_environment({"date": "d", "run": {
        "command": "run", "quick": True, "cases": 3, "modes": {"jax": ["jit"]},
        "dtypes": ["float64"], "seed": 0, "threads": 1, "jobs": 2, "checks": ["value"],
        "timing": {"sizes": "check", "quantities": ["forward"], "memory": False,
                   "budget": {"seconds": 0.007, "min_samples": 7, "min_sample_s": 0.001},
                   "where": "in each worker"}}})
    folder.add_timing_notes({"skipped": [{"case": "gmm", "status": "unsupported"}]})
    summary = summary_markdown(folder)
    assert "jax: jit" in summary and "checks: value (second order" in summary
    assert "7 ms of samples" in summary and "1 unsupported" in summary
    head = summary[summary.index(HEADLINE_START):summary.index(HEADLINE_END)]
    assert "Records per adapter/mode" in head and "Model cases" in head  # gmm is tagged model


def test_compress_round_trips(tmp_path) -> None:
    folder = make_run(tmp_path / "run",
                      timings=[*TIMING, timing("control", "numpy", "forward", 0.1)])
    before = folder.timing()
    assert folder.compress() == ["conformance.csv.gz", "timing.csv.gz"]
    first = (tmp_path / "run" / "timing.csv.gz").read_bytes()
    pd.testing.assert_frame_equal(folder.timing(), before)
    resumed = RunFolder.create(tmp_path / "run", resume=True)  # appending: plain CSV again
    assert (tmp_path / "run" / "timing.csv").exists()
    resumed.compress()
    assert (tmp_path / "run" / "timing.csv.gz").read_bytes() == first  # reproducible bytes
