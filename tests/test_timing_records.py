"""The timing record and the frames made from it: design.md's columns, from the harness and
from pytest-benchmark's JSON alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cases.case import Case, Sizes
from cases.timing import COLUMNS, QUANTITIES, TimingRecord, read_jsonl, to_frame, write_jsonl
from cases.timing.grid import Point, plan, sizes_for
from cases.timing.pytest_benchmark import benchmark_info, frame_from_json, records_from_json
from cases.timing.sampler import Budget

ROOT = Path(__file__).resolve().parents[1]

# design.md's columns, then GradBench's label of the size (issue 18), then the median's interval
# and the paired ratio to the control (issue 25), last so that records written before them read.
DESIGN_COLUMNS = ("run_id case adapter mode device dtype size n_inputs quantity median_s min_s "
                  "iqr_s n_samples threads peak_bytes memory_method gradbench_size ci_low_s "
                  "ci_high_s vs_control vs_control_low vs_control_high").split()


def _record(**changes: object) -> TimingRecord:
    fields = dict(run_id="r", case="c", adapter="torch", mode="eager", device="cpu",
                  dtype="float64", size="n=10", n_inputs=10, quantity="forward", median_s=1e-3,
                  min_s=9e-4, iqr_s=1e-4, n_samples=7, threads=1, peak_bytes=80,
                  memory_method="rss-hwm")
    fields.update(changes)
    return TimingRecord(**fields)  # type: ignore[arg-type]


def test_columns_are_exactly_design_md() -> None:
    assert list(COLUMNS) == DESIGN_COLUMNS
    assert list(_record().to_dict()) == DESIGN_COLUMNS
    assert QUANTITIES == ("forward", "value_and_grad", "jvp", "hvp", "compile")


def test_record_round_trips_and_rejects_unknowns() -> None:
    record = _record()
    assert TimingRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    with pytest.raises(ValueError, match="quantity"):
        _record(quantity="grad")
    with pytest.raises(ValueError, match="columns"):
        TimingRecord.from_dict({**record.to_dict(), "extra": 1})


def test_records_stream_to_json_lines(tmp_path: Path) -> None:
    records = [_record(), _record(quantity="compile", peak_bytes=None, memory_method="none")]
    path = tmp_path / "run.jsonl"
    with open(path, "w") as file:
        assert write_jsonl(iter(records), file) == 2
    assert list(read_jsonl(path)) == records


def test_frame_has_the_columns_and_nullable_memory() -> None:
    frame = to_frame([_record(), _record(quantity="jvp", peak_bytes=None, memory_method="none")])
    assert list(frame.columns) == DESIGN_COLUMNS
    assert frame["peak_bytes"].isna().tolist() == [False, True]


def test_budget_insists_on_seven_samples() -> None:
    with pytest.raises(ValueError, match="7"):
        Budget(min_samples=5)


def test_sizes_and_points() -> None:
    case = Case("timing-sizes", lambda xp, x: xp.sum(x), sizes=Sizes(check=3, sweep=(10, 20)))
    assert sizes_for(case, "sweep") == (10, 20)
    assert sizes_for(case, "smallest") == (10,)
    assert sizes_for(case, "check") == (3,)
    assert sizes_for(case, {"timing-sizes": [20]}) == (20,)
    assert sizes_for(case, lambda c: c.sizes.sweep[::-1]) == (20, 10)
    points = plan([case], ("float32", "float64"), "sweep")
    assert [(p.dtype, p.size) for p in points] == [("float32", 10), ("float32", 20),
                                                   ("float64", 10), ("float64", 20)]
    point = Point(case, "float32", 10)
    x1, x2 = point.inputs(0), point.inputs(0)
    assert x1[0].dtype == "float32" and (x1[0] == x2[0]).all()  # every adapter: same inputs
    d = point.directions(0, x1)
    assert d.tangents[0].dtype == "float32" and d.cotangent is None  # scalar output


def _fake_report() -> dict:
    ours = benchmark_info(case="gmm", adapter="jax", mode="jit", device="cpu", dtype="float64",
                          size="d=2,K=5,N=100", n_inputs=30, quantity="value_and_grad",
                          threads=1, calls_per_sample=100, peak_bytes=4096,
                          memory_method="rss-hwm")
    stats = {"median": 0.01, "min": 0.008, "iqr": 0.001, "rounds": 9}
    legacy = {"workload": "mlp-float64", "variant": "autograd", "quantity": "forward",
              "dtype": "float64", "n_ops": 1}
    return {"datetime": "2026-01-01T00:00:00", "commit_info": {"id": "abcdef1234"},
            "machine_info": {"gradparity": {"cpu_affinity": [1]}},
            "benchmarks": [{"stats": stats, "extra_info": {"gradparity": ours}},
                           {"stats": stats, "extra_info": legacy},
                           {"stats": stats, "extra_info": {}}]}


def test_pytest_benchmark_json_converts_per_call() -> None:
    ours, legacy = records_from_json(_fake_report())  # the foreign benchmark is dropped
    assert ours.median_s == pytest.approx(1e-4) and ours.min_s == pytest.approx(8e-5)
    assert ours.iqr_s == pytest.approx(1e-5) and ours.n_samples == 9
    assert (ours.case, ours.adapter, ours.mode, ours.quantity) == ("gmm", "jax", "jit",
                                                                  "value_and_grad")
    assert ours.run_id.startswith("pytest-benchmark-2026-01-01")
    assert (legacy.case, legacy.adapter, legacy.threads) == ("bench:mlp-float64", "autograd", 1)
    assert list(frame_from_json(_fake_report()).columns) == DESIGN_COLUMNS


def test_a_real_benchmark_run_converts(tmp_path: Path) -> None:
    """The case grid under pytest-benchmark, end to end: its JSON becomes the same frame."""
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           str(ROOT / "tests" / "benchmarks" / "test_bench_cases.py"), "--benchmark-only",
           "--timing-cases=rosenbrock", "--timing-adapters=numpy,refengine", "--timing-quick",
           f"--benchmark-json={out}"]
    # Not the variables of this run's pytest-xdist worker: with them, pytest-benchmark in the
    # child believes it runs under xdist and disables itself (which --benchmark-only rejects).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**env, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    frame = frame_from_json(out)
    assert list(frame.columns) == DESIGN_COLUMNS
    got = sorted(zip(frame["adapter"], frame["quantity"]))
    assert got == [("numpy", "forward"), ("refengine", "forward"), ("refengine", "hvp"),
                   ("refengine", "jvp"), ("refengine", "value_and_grad")]
    assert (frame["n_samples"] >= 7).all() and (frame["median_s"] > 0).all()
    assert (frame["size"] == "n=100").all() and (frame["n_inputs"] == 100).all()
    grad = frame[frame["quantity"] == "value_and_grad"].iloc[0]
    assert grad["memory_method"] == "tracemalloc" and grad["peak_bytes"] > 0
