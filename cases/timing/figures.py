"""The README's benchmark figures: model cases at two sizes, two identical runs.

    python -m cases.timing.figures                      # ~15 minutes on 2 cores
    python -m cases.timing.figures --quick --runs 1     # a smoke run
    python -m cases.timing.figures --from timing-figures   # tables from saved runs

Each run is a fresh process (``--one-run``) calling ``run_timings`` on ``FIGURE_SIZES`` with
forward, value_and_grad and compile, so the run-to-run spread includes everything that
differs between two processes. Records go to ``<out>/run-<i>.jsonl`` and the notes (the
environment, what was skipped) to ``<out>/notes-<i>.json``; then the tables are printed as
Markdown: value-and-gradient time, gradient/forward ratio, speed relative to refengine and to
the fastest, compile time, and the spread between the runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cases.case import Size

__all__ = ["FIGURE_QUANTITIES", "FIGURE_SIZES", "main", "spread", "tables"]

# Two sizes per model. From each case's sweep, except the LSTM: its sweep (T = 1024, 4096
# steps) unrolls into graphs that jax.jit compiles in superlinear time (measured here for
# value_and_grad, 2 layers: 3 s at T = 8, 11 s at T = 16, 68 s at T = 32) and JAX eager takes
# 0.5 s per gradient at T = 32, so the figures use T = 8 and 16.
FIGURE_SIZES: dict[str, tuple[Size, Size]] = {
    "gmm": ((2, 5, 100), (10, 25, 1000)),
    "lstm": ((2, 14, 8), (2, 14, 16)),
    "mlp-classifier": ((10, 32, 3, 100), (784, 256, 10, 256)),
    "transformer-block": ((16, 64), (128, 256)),
    "ba": ((3, 20, 60), (49, 7776, 31843)),
}
FIGURE_QUANTITIES = ("forward", "value_and_grad", "compile")
_MODE_LABELS = {("jax", "jit"): "jax.jit", ("tensorflow", "jit"): "tf.function",
                ("tensorflow", "eager"): "tf eager", ("jax", "eager"): "jax eager",
                ("torch", "eager"): "torch", ("autograd", "eager"): "autograd",
                ("refengine", "eager"): "refengine", ("numpy", "eager"): "numpy"}
_COLUMN_ORDER = ["numpy", "refengine", "autograd", "torch", "jax eager", "jax.jit", "tf eager",
                 "tf.function"]


def _one_run(out: Path, index: int, quick: bool, isolate: bool, adapters: list[str]) -> None:
    from cases.timing.run import RunNotes, run_timings
    from cases.timing.sampler import Budget
    from cases.timing.timing_record import write_jsonl

    notes = RunNotes()
    budget = None if quick else Budget(seconds=0.5)
    records = run_timings(list(FIGURE_SIZES), adapters, sizes=dict(FIGURE_SIZES), quick=quick,
                          isolate=isolate, quantities=FIGURE_QUANTITIES, budget=budget,
                          notes=notes)
    with open(out / f"run-{index}.jsonl", "w") as file:
        write_jsonl(records, file)
    (out / f"notes-{index}.json").write_text(json.dumps(notes.to_dict(), indent=1, default=str))


def _load(out: Path, index: int) -> Any:
    from cases.timing.timing_record import read_jsonl, to_frame

    frame = to_frame(read_jsonl(out / f"run-{index}.jsonl"))
    frame["column"] = [_MODE_LABELS.get((a, m), f"{a} {m}")
                       for a, m in zip(frame["adapter"], frame["mode"])]
    frame["row"] = frame["case"] + " " + frame["size"]
    return frame


def _markdown(table: Any, fmt: str) -> list[str]:
    columns = [c for c in _COLUMN_ORDER if c in table.columns]
    columns += [c for c in table.columns if c not in columns]
    lines = ["| case, size | " + " | ".join(columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for row, values in table[columns].iterrows():
        cells = ["—" if v != v else format(v, fmt) for v in values]  # NaN: not timed
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return lines


def _rows_in_order(frame: Any) -> list[str]:
    import cases

    order = [f"{name} {cases.get(name).sizes.label(size)}"
             for name, sizes in FIGURE_SIZES.items() for size in sizes]
    present = list(frame["row"].unique())
    return [r for r in order if r in present] + [r for r in present if r not in order]


def tables(frame: Any) -> list[str]:
    """Markdown tables of one run."""
    models = frame[~frame["case"].str.startswith("control")]
    pivot = models.pivot_table(index="row", columns="column", values="median_s",
                               aggfunc="first", dropna=False)
    by_q = {q: models[models["quantity"] == q].pivot_table(
        index="row", columns="column", values="median_s", aggfunc="first")
        for q in FIGURE_QUANTITIES}
    order = [r for r in _rows_in_order(models) if r in pivot.index]
    grad = by_q["value_and_grad"].reindex(order)
    fwd = by_q["forward"].reindex(order)
    out = ["value_and_grad, median ms per call:", "", *_markdown(grad * 1e3, ".3g"), ""]
    out += ["forward, median ms per call:", "", *_markdown(fwd * 1e3, ".3g"), ""]
    out += ["gradient / forward (same framework and mode):", "",
            *_markdown(grad / fwd.reindex(columns=grad.columns), ".2f"), ""]
    if "refengine" in grad.columns:
        speed = grad.rdiv(grad["refengine"], axis=0)
        out += ["value_and_grad speed relative to refengine (refengine time / time; > 1 is "
                "faster):", "", *_markdown(speed, ".2f"), ""]
    fastest = grad.min(axis=1)
    out += ["value_and_grad time relative to the fastest (1 = fastest):", "",
            *_markdown(grad.div(fastest, axis=0), ".2f"), ""]
    grads = models[models["quantity"] == "value_and_grad"]
    if grads["peak_bytes"].notna().any():
        peak = grads.pivot_table(index="row", columns="column", values="peak_bytes",
                                 aggfunc="first").astype(float).reindex(order)
        methods = ", ".join(sorted({f"{c}: {m}" for c, m in zip(grads["column"],
                                                                grads["memory_method"])}))
        out += [f"value_and_grad peak memory above its inputs, MB ({methods}):", "",
                *_markdown(peak / 1e6, ".3g"), ""]
    if not by_q["compile"].empty:
        out += ["compile (first value_and_grad call, jit modes), s:", "",
                *_markdown(by_q["compile"].reindex(order), ".2f"), ""]
    return out


def _paired(a: Any, b: Any) -> Any:
    both = a.to_frame("run1").join(b.to_frame("run2"), how="inner").dropna()
    both["spread"] = (both["run1"] - both["run2"]).abs() / both[["run1", "run2"]].min(axis=1)
    return both


def _summary(label: str, s: Any) -> str:
    return (f"| {label} | {len(s)} | {(s <= 0.10).mean():.0%} | {s.median():.1%} | "
            f"{s.quantile(0.9):.1%} | {s.max():.1%} |")


def _control_by_point(notes: dict[str, Any]) -> Any:
    import pandas as pd

    rows = notes.get("control", [])
    if not rows:
        return pd.Series(dtype=float)
    return pd.DataFrame(rows).groupby(["case", "size"])["median_s"].median()


def spread(first: Any, second: Any, notes: Sequence[dict[str, Any]] = ()) -> list[str]:
    """How far two identical runs differ: |run 1 - run 2| / the smaller, per measurement,
    for the medians, the minima and the gradient/forward ratios; and the control's median
    at the same points (when it moved too, the machine, not the framework, was noisy)."""
    keys = ["case", "size", "adapter", "mode", "quantity"]
    steady = ["forward", "value_and_grad"]
    a = first[first["quantity"].isin(steady)].set_index(keys)
    b = second[second["quantity"].isin(steady)].set_index(keys)
    medians = _paired(a["median_s"], b["median_s"])
    minima = _paired(a["min_s"], b["min_s"])

    def ratio(frame: Any) -> Any:
        wide = frame["median_s"].unstack("quantity")
        return (wide["value_and_grad"] / wide["forward"]).dropna()

    ratios = _paired(ratio(a), ratio(b))
    lines = ["| run 1 vs run 2 | measurements | within 10 % | median spread | 90th percentile |"
             " max |", "|---|---:|---:|---:|---:|---:|",
             _summary("median time", medians["spread"]),
             _summary("minimum time", minima["spread"]),
             _summary("gradient / forward ratio", ratios["spread"])]
    control = None
    if len(notes) >= 2:
        control = _paired(_control_by_point(notes[0]), _control_by_point(notes[1]))
        if not control.empty:
            lines.append(_summary("control, per point", control["spread"]))
    worst = medians.sort_values("spread", ascending=False).head(6)
    lines += ["", "largest differences of the medians (control: the control's own spread "
              "at that point):", "",
              "| case | size | adapter | mode | quantity | run 1 ms | run 2 ms | spread | "
              "control |", "|---|---|---|---|---|---:|---:|---:|---:|"]
    for key, row in worst.iterrows():
        point = (key[0], key[1])
        moved = (f"{control.loc[point, 'spread']:.0%}" if control is not None
                 and point in control.index else "—")
        lines.append("| " + " | ".join(map(str, key)) + f" | {row.run1 * 1e3:.3g} | "
                     f"{row.run2 * 1e3:.3g} | {row.spread:.1%} | {moved} |")
    return lines


def _control_lines(frames: Sequence[Any]) -> list[str]:
    lines = []
    for i, frame in enumerate(frames, 1):
        control = frame[frame["case"].str.startswith("control")]
        for _, row in control.iterrows():
            lines.append(f"control ({row.case}), run {i}: median {row.median_s * 1e3:.4f} ms, "
                         f"IQR {row.iqr_s / row.median_s:.1%} of the median, "
                         f"{row.n_samples} samples")
    return lines


def _environment_lines(notes: dict[str, Any]) -> list[str]:
    env = notes.get("environment", {})
    versions = ", ".join(f"{k} {v}" for k, v in sorted(env.get("versions", {}).items()) if v)
    return [f"CPU: {env.get('cpu_model')} ({env.get('cpu_count')} cores), pinned to "
            f"{env.get('pinned_cpus')}; threads {env.get('threads', {}).get('cpu_affinity')}; "
            f"Python {env.get('python')}; {versions}; malloc {env.get('malloc')}; "
            f"git {str(env.get('git_commit'))[:10]}"]


def report(out: Path, runs: int) -> list[str]:
    frames = [_load(out, i) for i in range(1, runs + 1)]
    all_notes = [json.loads((out / f"notes-{i}.json").read_text()) for i in range(1, runs + 1)]
    notes = all_notes[0]
    lines = [*_environment_lines(notes), "", *tables(frames[0])]
    if runs >= 2:
        lines += spread(frames[0], frames[1], all_notes)
    lines += ["", *_control_lines(frames)]
    skipped: dict[tuple[str, str, str], str] = {}
    for s in notes.get("skipped", []):
        if s["quantity"] in ("", "value_and_grad"):
            skipped.setdefault((s["case"], s["adapter"], s["mode"]),
                               f"{s['status']}: {s['message'][:100]}")
    if skipped:
        lines += ["", "not timed (value_and_grad):"]
        lines += [f"- {c} {a} {m}: {why}" for (c, a, m), why in sorted(skipped.items())]
    fairness = notes.get("fairness", {})
    if fairness:
        lines += ["", "| adapter/mode | CPU per wall second (max) | samples kept | of which "
                  "descheduled | samples retaken (another process took the core) | "
                  "idle wait s |", "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {k} | {v['cpu_per_wall_max']:.3f} | {v.get('samples', '?')} | "
                  f"{v.get('kept_descheduled', '?')} | {v['preempted_samples']} | "
                  f"{v['idle_wait_s']:.1f} |" for k, v in fairness.items()]
    return lines


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cases.timing.figures",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="smoke-run budget")
    parser.add_argument("--isolate", action="store_true", help="one process per adapter")
    parser.add_argument("--out", type=Path, default=Path("timing-figures"))
    parser.add_argument("--from", dest="source", type=Path, help="tabulate saved runs only")
    parser.add_argument("--adapters", default="numpy,refengine,autograd,torch,jax,tensorflow")
    parser.add_argument("--one-run", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(None if argv is None else list(argv))
    adapters = args.adapters.split(",")
    if args.one_run is not None:
        _one_run(args.out, args.one_run, args.quick, args.isolate, adapters)
        return 0
    out = args.source or args.out
    if args.source is None:
        out.mkdir(parents=True, exist_ok=True)
        for i in range(1, args.runs + 1):
            cmd = [sys.executable, "-m", "cases.timing.figures", "--one-run", str(i),
                   "--out", str(out), "--adapters", args.adapters]
            cmd += ["--quick"] * args.quick + ["--isolate"] * args.isolate
            subprocess.run(cmd, check=True)
    runs = len(list(out.glob("run-*.jsonl")))
    print("\n".join(report(out, runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
