"""Print the ratio table of a benchmark run (the README's performance figures).

    pytest tests/benchmarks --benchmark-only --benchmark-json=bench.json
    python tests/benchmarks/summarize.py bench.json [--stat median|min|mean] [--check]

Reads pytest-benchmark's JSON, prints Markdown: times per workload and variant, the engine's
ratios to each baseline, value-and-gradient/forward ratios, and the targets with their
verdicts. Every ratio is between two measurements of the same run. ``--check`` exits 1 when a
target is missed or has no data, or when a timed call leaves reference cycles behind.
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
    label: str
    numerator: tuple[str, str, str]  # (workload, quantity, variant)
    denominator: tuple[str, str, str]
    at_most: float


TARGETS = (
    Target(
        "chain gradient, per op: refengine / autograd",
        (CHAIN, "value_and_grad", ENGINE),
        (CHAIN, "value_and_grad", "autograd"),
        0.5,
    ),
    *(
        Target(
            f"{w} value_and_grad: refengine / hand-written NumPy",
            (w, "value_and_grad", ENGINE),
            (w, "value_and_grad", "numpy_manual"),
            1.2,
        )
        for w in ("mlp-float64", "mlp-float32", "gmm")
    ),
    Target(
        "refengine MLP value_and_grad: float32 / float64",
        ("mlp-float32", "value_and_grad", ENGINE),
        ("mlp-float64", "value_and_grad", ENGINE),
        1.0,
    ),
)


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


def target_rows(times: dict) -> list[tuple[str, float | None, float, bool]]:
    rows = []
    for t in TARGETS:
        r = _ratio(times, t.numerator, t.denominator)
        rows.append((t.label, r, t.at_most, r is not None and r <= t.at_most))
    return rows


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
    print("| target | measured | at most | verdict |\n|---|---:|---:|---|")
    rows = target_rows(times)
    for label, r, at_most, ok in rows:
        verdict = "no data" if r is None else ("met" if ok else "MISSED")
        print(f"| {label} | {_fmt(r, 3)} | {at_most:g} | {verdict} |")
    leaky = cyclic_garbage_lines(report)
    if leaky:
        print("\nWarning: these calls leave reference cycles, which pile up while the GC is off")
        print("during timing (memory grows round after round), so their times are not")
        print("representative:\n")
        print("\n".join(leaky))
    return 1 if args.check and (leaky or not all(ok for *_, ok in rows)) else 0


def cyclic_garbage_lines(report: dict[str, Any]) -> list[str]:
    return [
        f"- {b['name']}: {b['extra_info']['cyclic_garbage_per_call']} objects per call"
        for b in report["benchmarks"]
        if b["extra_info"].get("cyclic_garbage_per_call")
    ]


if __name__ == "__main__":
    sys.exit(main())
