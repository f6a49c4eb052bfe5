"""Print the ratio table of a benchmark run (the README's performance figures).

    pytest tests/benchmarks --benchmark-only --benchmark-json=bench.json
    python tests/benchmarks/summarize.py bench.json [--stat median|min|mean] [--check]

Reads pytest-benchmark's JSON, prints Markdown: times per workload and variant, the engine's
ratios to each baseline, value-and-gradient/forward ratios, and the targets with their
verdicts. Every ratio is between two measurements of the same run. A target's verdict rests on
its paired measurement (``test_bench_targets.py``: both sides timed in turn, the median
per-round ratio and its 95 % interval) when the run has one, else on the separate benchmarks.
``--check`` exits 1 unless every target is met (its interval at or below it), or when a timed
call leaves reference cycles behind.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VARIANTS = ("numpy_manual", "autograd", "refengine")
ENGINE = "refengine"
CHAIN = "chain"


@dataclass(frozen=True)
class Target:
    key: str  # the id of its paired benchmark (test_bench_targets.py)
    label: str
    numerator: tuple[str, str, str]  # (workload, quantity, variant)
    denominator: tuple[str, str, str]
    at_most: float


TARGETS = (
    Target(
        "chain-vs-autograd",
        "chain gradient, per op: refengine / autograd",
        (CHAIN, "value_and_grad", ENGINE),
        (CHAIN, "value_and_grad", "autograd"),
        0.5,
    ),
    *(
        Target(
            f"{w}-vs-numpy",
            f"{w} value_and_grad: refengine / hand-written NumPy",
            (w, "value_and_grad", ENGINE),
            (w, "value_and_grad", "numpy_manual"),
            1.2,
        )
        for w in ("mlp-float64", "mlp-float32", "gmm")
    ),
    Target(
        "mlp-float32-vs-float64",
        "refengine MLP value_and_grad: float32 / float64",
        ("mlp-float32", "value_and_grad", ENGINE),
        ("mlp-float64", "value_and_grad", ENGINE),
        1.0,
    ),
)


@dataclass(frozen=True)
class TargetRow:
    target: Target
    unpaired: float | None  # ratio of the two separate benchmarks' statistics
    paired: dict[str, Any] | None  # paired.PairedRatio as a dict, from test_bench_targets.py
    verdict: str

    @property
    def met(self) -> bool:
        return self.verdict.startswith("met")


def verdict(at_most: float, unpaired: float | None, paired: dict[str, Any] | None) -> str:
    """``met`` when the paired ratio's 95 % interval lies at or below the target, ``MISSED``
    when it lies above, ``UNSETTLED`` when it contains the target (the run cannot tell).
    Without a paired measurement the separate benchmarks' ratio decides, and says so."""
    if paired is not None:
        low, high = paired["ci_low"], paired["ci_high"]
        if high <= at_most:  # (NaN bounds, from too few rounds, compare False: unsettled)
            return "met"
        if low > at_most:
            return "MISSED"
        return "UNSETTLED"
    if unpaired is None:
        return "no data"
    return "met (unpaired)" if unpaired <= at_most else "MISSED (unpaired)"


def load_paired(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The paired measurements by target label."""
    return {
        b["extra_info"]["target"]: b["extra_info"]["paired"]
        for b in report["benchmarks"]
        if "paired" in b["extra_info"]
    }


def load_times(report: dict[str, Any], stat: str) -> dict[tuple[str, str, str], float]:
    """Seconds (per op for the chain) keyed by (workload, quantity, variant)."""
    times = {}
    for bench in report["benchmarks"]:
        info = bench["extra_info"]
        if "workload" not in info:  # the case grid (test_bench_cases.py): cases.timing's tables
            continue
        key = (info["workload"], info["quantity"], info["variant"])
        times[key] = bench["stats"][stat] / info.get("n_ops", 1)
    return times


def _unit(workload: str) -> tuple[str, float]:
    return ("us/op", 1e6) if workload == CHAIN else ("ms", 1e3)


def _ratio(times: dict, num: tuple, den: tuple) -> float | None:
    if num in times and den in times and times[den] > 0:
        return times[num] / times[den]
    return None


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _workloads(times: dict) -> list[str]:
    order = [CHAIN, "mlp-float64", "mlp-float32", "gmm"]
    present = {w for w, _, _ in times}
    return [w for w in order if w in present] + sorted(present - set(order))


def time_table(times: dict) -> Iterable[str]:
    header = ["workload", "quantity", "unit", "NumPy (hand-written)", "autograd", "refengine"]
    header += ["refengine / NumPy", "refengine / autograd"]
    yield "| " + " | ".join(header) + " |"
    yield "|---|---|---|---:|---:|---:|---:|---:|"
    for w in _workloads(times):
        unit, scale = _unit(w)
        for q in ("forward", "value_and_grad"):
            cells = [
                _fmt(times[(w, q, v)] * scale, 3) if (w, q, v) in times else "—" for v in VARIANTS
            ]
            r_np = _ratio(times, (w, q, ENGINE), (w, q, "numpy_manual"))
            r_ag = _ratio(times, (w, q, ENGINE), (w, q, "autograd"))
            yield (
                f"| {w} | {q} | {unit} | " + " | ".join(cells) + f" | {_fmt(r_np)} | {_fmt(r_ag)} |"
            )


def gradient_cost_table(times: dict) -> Iterable[str]:
    yield "| workload | " + " | ".join(VARIANTS) + " |"
    yield "|---|" + "---:|" * len(VARIANTS)
    for w in _workloads(times):
        cells = [
            _fmt(_ratio(times, (w, "value_and_grad", v), (w, "forward", v)), 1) for v in VARIANTS
        ]
        yield f"| {w} | " + " | ".join(cells) + " |"


def target_rows(times: dict, paired: dict[str, dict[str, Any]]) -> list[TargetRow]:
    rows = []
    for t in TARGETS:
        unpaired = _ratio(times, t.numerator, t.denominator)
        p = paired.get(t.label)
        rows.append(TargetRow(t, unpaired, p, verdict(t.at_most, unpaired, p)))
    return rows


def target_table(rows: list[TargetRow]) -> Iterable[str]:
    yield (
        "| target | paired median | 95 % interval | rounds | unpaired | at most | verdict |"
    )
    yield "|---|---:|---|---:|---:|---:|---|"
    for row in rows:
        p = row.paired
        paired_cells = (
            ["—", "—", "—"]
            if p is None
            else [
                _fmt(p["median"], 3),
                f"{_fmt(p['ci_low'], 3)}–{_fmt(p['ci_high'], 3)}",
                str(p["rounds"]),
            ]
        )
        cells = [row.target.label, *paired_cells, _fmt(row.unpaired, 3)]
        yield "| " + " | ".join(cells) + f" | {row.target.at_most:g} | {row.verdict} |"


def machine_lines(report: dict[str, Any]) -> Iterable[str]:
    m = report.get("machine_info", {})
    cpu = m.get("cpu", {}).get("brand_raw", "?")
    yield f"- machine: {cpu}, Python {m.get('python_version', '?')}, date {report.get('datetime')}"
    extra = m.get("gradparity", {})
    if extra:
        yield f"- timing setup: {json.dumps(extra, sort_keys=True)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, help="file written by --benchmark-json")
    parser.add_argument("--stat", default="median", choices=("median", "min", "mean"))
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    report = json.loads(args.json.read_text())
    times = load_times(report, args.stat)
    print(f"Statistic: {args.stat} of each benchmark's rounds.\n")
    print("\n".join(machine_lines(report)) + "\n")
    print("\n".join(time_table(times)) + "\n")
    print("Value-and-gradient time / forward time:\n")
    print("\n".join(gradient_cost_table(times)) + "\n")
    rows = target_rows(times, load_paired(report))
    print("Targets: the paired median is of per-round ratios, the two sides timed in turn")
    print("(test_bench_targets.py); unpaired divides the two separate benchmarks' statistics.\n")
    print("\n".join(target_table(rows)))
    leaky = cyclic_garbage_lines(report)
    if leaky:
        print("\nWarning: these calls leave reference cycles, which pile up while the GC is off")
        print("during timing (memory grows round after round), so their times are not")
        print("representative:\n")
        print("\n".join(leaky))
    return 1 if args.check and (leaky or not all(row.met for row in rows)) else 0


def cyclic_garbage_lines(report: dict[str, Any]) -> list[str]:
    return [
        f"- {b['name']}: {b['extra_info']['cyclic_garbage_per_call']} objects per call"
        for b in report["benchmarks"]
        if b["extra_info"].get("cyclic_garbage_per_call")
    ]


if __name__ == "__main__":
    sys.exit(main())
