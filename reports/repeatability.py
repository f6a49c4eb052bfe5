"""Do the timings repeat? Two identical bench runs, one after the other, and how many of their
cross-framework ratios agree within 10 %.

    python -m reports.repeatability                      # 2 x `gradparity bench --cases gmm
                                                         #   --sizes 1`, then the table
    python -m reports.repeatability --from runs/rep-1 runs/rep-2   # two existing run folders
    python -m reports.repeatability -- --adapters torch,jax        # more bench options

A *figure* is one framework's time relative to the reference's (refengine, eager) at one case,
size, dtype and steady quantity (forward, value_and_grad, jvp, hvp): the ratios a reader
compares. Each figure is computed three ways, and each way's agreement between the runs is
reported: ``paired`` (both times over the NumPy control of the same rounds, then over each
other: ``reports.tables.paired_relative``), ``medians`` (a ratio of the two medians), and
``absolute`` (the medians themselves, no ratio: what the issue measured). Two runs agree on a
figure when |r1 - r2| / min(r1, r2) <= 10 %; the goal (issue 25) is 95 % of the paired
figures. The load average before and after each run is printed: on a shared machine, say so.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reports.tables import control_rows, paired_relative, without_control

__all__ = ["GOAL", "METHODS", "TOLERANCE", "Agreement", "agreement", "figures", "main",
           "report_lines"]

TOLERANCE = 0.10
GOAL = 0.95
REFERENCE = "refengine/eager"
STEADY = ("forward", "value_and_grad", "jvp", "hvp")
METHODS = ("paired", "medians", "absolute")
DEFAULT_BENCH = ("--cases", "gmm", "--sizes", "1")


def figures(timing: pd.DataFrame, method: str = "paired",
            reference: str = REFERENCE) -> pd.Series:
    """The run's figures by ``method`` (see the module's doc), indexed by case, size, dtype,
    quantity and adapter/mode; the reference's own (always 1) are left out."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose from {METHODS}")
    parts = []
    for quantity in STEADY:
        if method == "absolute":
            rows = without_control(timing)
            rows = rows[rows["quantity"] == quantity]
            table = pd.DataFrame({
                "case": rows["case"], "size": rows["size"].astype(str), "dtype": rows["dtype"],
                "adapter/mode": rows["adapter"] + "/" + rows["mode"],
                "ratio": rows["median_s"]})
        else:
            source = timing if method == "paired" else timing.drop(
                columns=[c for c in ("vs_control", "vs_control_low", "vs_control_high")
                         if c in timing])
            table = paired_relative(source, quantity, reference)
            table = table[table["adapter/mode"] != reference]
            # the size as recorded (paired_relative shows GradBench's label beside it)
            table = table.assign(size=table["size"].astype(str).str.split(" (", regex=False)
                                 .str[0])
        if len(table):
            parts.append(table.assign(quantity=quantity))
    if not parts:
        return pd.Series(dtype=float)
    frame = pd.concat(parts, ignore_index=True)
    keys = ["case", "size", "dtype", "quantity", "adapter/mode"]
    return frame.set_index(keys)["ratio"].astype(float)


@dataclass(frozen=True)
class Agreement:
    """How two runs' figures agree: over ``n`` figures both have, the fraction within
    ``tolerance``, the median and largest spread, and the worst figure's key."""

    n: int
    within: int
    median_spread: float
    max_spread: float
    worst: tuple[str, ...] | None
    only_one: int  # figures in one run only (not compared)

    @property
    def fraction(self) -> float:
        return self.within / self.n if self.n else float("nan")


def agreement(first: pd.Series, second: pd.Series, tolerance: float = TOLERANCE) -> Agreement:
    """Spread |a - b| / min(a, b) per figure present (and finite, positive) in both runs."""
    both = pd.concat([first.rename("a"), second.rename("b")], axis=1, join="inner")
    both = both[np.isfinite(both).all(axis=1) & (both > 0).all(axis=1)]
    only_one = len(first.index.symmetric_difference(second.index))
    if both.empty:
        return Agreement(0, 0, float("nan"), float("nan"), None, only_one)
    spread = (both["a"] - both["b"]).abs() / both[["a", "b"]].min(axis=1)
    worst = spread.idxmax()
    return Agreement(len(spread), int((spread <= tolerance + 1e-12).sum()),
                     float(spread.median()), float(spread.max()),
                     tuple(map(str, worst)) if isinstance(worst, tuple) else (str(worst),),
                     only_one)


def _control(timing: pd.DataFrame) -> float:
    rows = control_rows(timing)
    return float(rows["median_s"].median()) if len(rows) else float("nan")


def report_lines(first: pd.DataFrame, second: pd.DataFrame,
                 loads: Sequence[str] = ()) -> list[str]:
    """The Markdown table of the agreement by method, the control's change, the verdict."""
    lines = [f"| figures ({REFERENCE} = 1) | compared | within {TOLERANCE:.0%} | median spread "
             "| max | worst |", "|---|---:|---:|---:|---:|---|"]
    results = {}
    for method in METHODS:
        result = agreement(figures(first, method), figures(second, method))
        results[method] = result
        label = {"paired": "paired through the control (shown)",
                 "medians": "ratio of medians",
                 "absolute": "absolute medians (no ratio)"}[method]
        lines.append(f"| {label} | {result.n} | {result.fraction:.0%} | "
                     f"{result.median_spread:.1%} | {result.max_spread:.1%} | "
                     f"{' / '.join(result.worst or ())} |")
    c1, c2 = _control(first), _control(second)
    lines += ["", f"NumPy control: {c1 * 1e3:.4g} ms in run 1, {c2 * 1e3:.4g} ms in run 2 "
              f"({c2 / c1 - 1:+.1%}: the machine's own change between the runs)."]
    lines += [f"Load average (1, 5, 15 min) {load}" for load in loads]
    paired = results["paired"]
    met = paired.n > 0 and paired.fraction >= GOAL
    lines.append(f"Goal: {GOAL:.0%} of the paired figures within {TOLERANCE:.0%}: "
                 f"{'met' if met else 'NOT met'} ({paired.within} of {paired.n}).")
    return lines


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def _bench(out: Path, extra: Sequence[str]) -> list[str]:
    """One `gradparity bench` in a fresh process; the load average before and after."""
    before = _load()
    command = [sys.executable, "-m", "reports.cli", "bench", *extra, "--out", str(out),
               "--force", "--quiet", "--no-fail"]
    subprocess.run(command, check=True)
    return [f"before {out.name}: {before}; after: {_load()}"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.repeatability",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/repeatability"),
                        help="the two run folders go in OUT/run-1 and OUT/run-2")
    parser.add_argument("--from", dest="source", type=Path, nargs=2, metavar="RUN",
                        help="compare two existing run folders instead of running")
    parser.add_argument("bench", nargs="*", help="bench options after --, default: "
                        + " ".join(DEFAULT_BENCH))
    args = parser.parse_args(None if argv is None else list(argv))
    from reports.rundir import RunFolder

    loads: list[str] = []
    if args.source:
        paths = list(args.source)
    else:
        paths = [args.out / "run-1", args.out / "run-2"]
        args.out.mkdir(parents=True, exist_ok=True)
        for path in paths:
            loads += _bench(path, args.bench or DEFAULT_BENCH)
    first, second = (RunFolder.open(p).timing() for p in paths)
    if without_control(first).empty or without_control(second).empty:
        print(f"gradparity: {paths[0]} or {paths[1]} has no timing records", file=sys.stderr)
        return 2
    print("\n".join([f"run 1: {paths[0]}; run 2: {paths[1]}", "",
                     *report_lines(first, second, loads)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
