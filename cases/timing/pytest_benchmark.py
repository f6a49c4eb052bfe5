"""pytest-benchmark <-> timing records.

``tests/benchmarks/test_bench_cases.py`` times the case grid with pytest-benchmark's
``pedantic`` runner, feeding it what ``run_timings`` times: the measurement ``grid.build``
makes (converted inputs, ``sync`` inside, first call and warm-up done, N calibrated), its
``Measurement.loop`` as the target (one round = one sample of N calls) and
``sampler.before_sample`` as the setup (idle wait, outside the timing). Each benchmark's
``extra_info["gradparity"]`` (``benchmark_info``) holds the record's other columns and N.

``grid_points`` lists that grid (the conftest parametrizes the benchmark with it): by default
the README's model cases at their first figure size, every adapter and mode, and the
quantities forward, value_and_grad, jvp, hvp, and compile for jit modes.

``records_from_json`` turns the ``--benchmark-json`` file into ``TimingRecord`` rows: the
round statistics divided by N are seconds per call, as in the harness's own records. The older
workload benchmarks (chain, MLP, GMM: ``extra_info`` with ``workload`` and ``variant``) convert
too, as ``case="bench:<workload>"``, ``size=""`` and ``n_inputs=0`` (not recorded there).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cases.case import Size
from cases.timing.timing_record import NOT_MEASURED, TimingRecord, to_frame
from cases.timing.untimed import untimed

__all__ = [
    "KEY",
    "GridPoint",
    "benchmark_info",
    "frame_from_json",
    "grid_points",
    "records_from_json",
]

KEY = "gradparity"


@dataclass(frozen=True)
class GridPoint:
    """One benchmark of the case grid."""

    case: str
    size: Size
    size_label: str
    dtype: str
    adapter: str
    mode: str
    quantity: str

    @property
    def id(self) -> str:
        return (f"{self.case}[{self.size_label}]-{self.dtype}-{self.adapter}-{self.mode}-"
                f"{self.quantity}")


def _sizes(case: Any, sizes: str) -> list[Size]:
    from cases.timing.figures import FIGURE_SIZES

    figure = FIGURE_SIZES.get(case.name)
    if sizes == "first":
        return [figure[0] if figure else case.sizes.sweep[0]]
    if sizes == "figures":
        return list(figure) if figure else [case.sizes.sweep[0]]
    from cases.timing.grid import sizes_for

    return list(sizes_for(case, sizes))


def grid_points(
    cases: str | None = None, adapters: str | None = None, sizes: str = "first",
    dtypes: str = "float64",
) -> list[GridPoint]:
    """The case x size x dtype x adapter x mode x quantity grid, case by case (comma-separated
    names or glob patterns; None: the README's model cases and every adapter)."""
    import adapters as adapter_registry
    import cases as case_registry
    from cases.timing.figures import FIGURE_SIZES

    if cases is None:
        chosen = [case_registry.get(name) for name in FIGURE_SIZES]
    else:
        patterns = [p.strip() for p in cases.split(",") if p.strip()]
        chosen = [c for c in case_registry.all()
                  if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]
    names = adapter_registry.names() if adapters is None else adapters.split(",")
    points = []
    for case in chosen:
        for size in _sizes(case, sizes):
            label = case.sizes.label(size)
            scalar = case.expected_shape(size) == ()
            for dtype in [d for d in dtypes.split(",") if d in case.dtypes]:
                for name in names:
                    adapter = adapter_registry.get(name)  # imports no framework
                    derivatives = getattr(adapter, "derivatives", True)
                    quantities = ["forward"]
                    if derivatives:
                        quantities += ["value_and_grad", "jvp"] + ["hvp"] * scalar
                    for mode in adapter.modes:
                        if untimed(case.name, name, mode, size) is not None:
                            continue  # measured too costly: cases/timing/untimed.py says why
                        extra = ["compile"] if mode != "eager" and derivatives else []
                        points += [GridPoint(case.name, size, label, dtype, name, mode, q)
                                   for q in quantities + extra]
    return points


def benchmark_info(
    *, case: str, adapter: str, mode: str, device: str, dtype: str, size: str, n_inputs: int,
    quantity: str, threads: int, calls_per_sample: int, peak_bytes: int | None = None,
    memory_method: str = NOT_MEASURED, gradbench_size: str = "",
) -> dict[str, Any]:
    """What a case benchmark stores under ``extra_info["gradparity"]``."""
    return {"case": case, "adapter": adapter, "mode": mode, "device": device, "dtype": dtype,
            "size": size, "n_inputs": n_inputs, "quantity": quantity, "threads": threads,
            "calls_per_sample": calls_per_sample, "peak_bytes": peak_bytes,
            "memory_method": memory_method, "gradbench_size": gradbench_size}


def _load(report: Mapping[str, Any] | str | Path) -> Mapping[str, Any]:
    if isinstance(report, Mapping):
        return report
    return json.loads(Path(report).read_text())


def _run_id(report: Mapping[str, Any]) -> str:
    commit = (report.get("commit_info") or {}).get("id") or "nocommit"
    return f"pytest-benchmark-{report.get('datetime', '')}-{str(commit)[:8]}"


def _legacy_threads(report: Mapping[str, Any]) -> int:
    affinity = ((report.get("machine_info") or {}).get(KEY) or {}).get("cpu_affinity")
    return len(affinity) if isinstance(affinity, list) else 0


def _record(bench: Mapping[str, Any], run_id: str, legacy_threads: int) -> TimingRecord | None:
    stats, extra = bench["stats"], bench.get("extra_info") or {}
    info = extra.get(KEY)
    if info is not None:
        per = info["calls_per_sample"]
        fields = {k: info[k] for k in ("case", "adapter", "mode", "device", "dtype", "size",
                                       "n_inputs", "quantity", "threads", "peak_bytes",
                                       "memory_method")}
        fields["gradbench_size"] = info.get("gradbench_size", "")  # absent in older JSON
    elif "workload" in extra and "variant" in extra:
        per = 1
        fields = {"case": f"bench:{extra['workload']}", "adapter": extra["variant"],
                  "mode": "eager", "device": "cpu", "dtype": extra.get("dtype", ""),
                  "size": "", "n_inputs": 0, "quantity": extra["quantity"],
                  "threads": legacy_threads, "peak_bytes": None, "memory_method": NOT_MEASURED}
    else:
        return None  # a benchmark that is none of ours
    return TimingRecord(run_id=run_id, median_s=stats["median"] / per, min_s=stats["min"] / per,
                        iqr_s=stats["iqr"] / per, n_samples=int(stats["rounds"]), **fields)


def records_from_json(report: Mapping[str, Any] | str | Path) -> list[TimingRecord]:
    """Timing records from pytest-benchmark's JSON (a path or the parsed dict)."""
    data = _load(report)
    run_id, threads = _run_id(data), _legacy_threads(data)
    found = (_record(bench, run_id, threads) for bench in data.get("benchmarks", []))
    return [r for r in found if r is not None]


def frame_from_json(report: Mapping[str, Any] | str | Path) -> Any:
    """The same tidy frame ``to_frame`` makes of the harness's own records."""
    return to_frame(records_from_json(report))
