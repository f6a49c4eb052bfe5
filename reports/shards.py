"""Shards for CI systems that run N jobs side by side, and merging their run folders.

``gradparity run --shard K/N`` runs the K-th of N shares of the selection's cases. The shares
are deterministic and balanced by cost: each case's cost is estimated from the seconds that
earlier records measured (``--costs FOLDER``, default the sample run shipped in
``reports/sample``): per (case, adapter) the mean seconds of one (mode, dtype) combination's
checks, times the combinations this run selects, plus, for a run that times, the sampling
time its timing records show. A case or adapter the records lack costs the median of what
they have for that adapter (then overall); without any records, one unit per combination.
Cases are dealt out largest first, each to the least loaded shard (ties: the lower shard,
then the case name), so every job computes the same split.

``gradparity merge A B ... --out C`` joins run folders into one: their committed records,
commits and hosts. It refuses folders whose suite (gradparity version, git commit) or
framework versions differ, unless ``--allow-mixed-versions``; folders that selected
differently (other than their cases and shard); and two folders that hold the same unit
(a check or a case's timings), which would count it twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reports.rundir import COMMITS, RECORDS, RunFolder, RunFolderError
from reports.selection import Selection, SelectionError

__all__ = ["DEFAULT_COSTS", "MergeError", "assign", "case_costs", "main", "merge",
           "parse_shard", "shard_selection", "simulate", "task_seconds"]

DEFAULT_COSTS = Path(__file__).resolve().parent / "sample"
FALLBACK_ITEM_S = 1.0  # one combination's cost when no record says anything


class MergeError(RunFolderError):
    """Run folders that cannot be merged; the message says which and why."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N), 1 <= K <= N; a SelectionError otherwise."""
    k, slash, n = text.partition("/")
    if slash and k.strip().isdigit() and n.strip().isdigit():
        k_, n_ = int(k), int(n)
        if 1 <= k_ <= n_:
            return k_, n_
    raise SelectionError(f"--shard takes K/N with 1 <= K <= N (such as 2/4: the second of "
                         f"four shares); got {text!r}")


def _measured(folder: Path | None) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """Per (case, adapter): seconds of one (mode, dtype) combination (checks plus timing
    samples), and per adapter the median of those."""
    if folder is None or not (Path(folder) / "environment.json").is_file():
        return {}, {}
    import io

    import pandas as pd

    run = RunFolder(Path(folder))  # only the columns needed: the sample's 15,000 rows, 0.05 s

    def read(kind: str, columns: list[str]) -> pd.DataFrame:
        data = run._records(kind)
        return pd.read_csv(io.BytesIO(data), usecols=columns) if data else \
            pd.DataFrame(columns=columns)

    conformance = read("conformance", ["case", "adapter", "mode", "dtype", "seconds"])
    timing = read("timing", ["case", "adapter", "mode", "dtype", "median_s", "n_samples"])
    cost: dict[tuple[str, str], float] = {}
    if len(conformance):
        per_item = conformance.groupby(["case", "adapter", "mode", "dtype"])["seconds"].sum()
        cost = per_item.groupby(level=["case", "adapter"]).mean().to_dict()
    if len(timing):
        sampled = (timing["median_s"].fillna(0) * timing["n_samples"].fillna(0))
        per_item = sampled.groupby([timing["case"], timing["adapter"], timing["mode"],
                                    timing["dtype"]]).sum()
        for key, value in per_item.groupby(level=[0, 1]).mean().items():
            cost[key] = cost.get(key, 0.0) + float(value)
    by_adapter: dict[str, list[float]] = {}
    for (_, adapter), value in cost.items():
        by_adapter.setdefault(adapter, []).append(value)
    import numpy as np

    return cost, {a: float(np.median(v)) for a, v in by_adapter.items()}


def case_costs(selection: Selection, costs: Path | None = DEFAULT_COSTS) -> dict[str, float]:
    """Each selected case's estimated seconds (see the module docstring)."""
    import numpy as np

    measured, by_adapter = _measured(costs)
    overall = float(np.median(list(measured.values()))) if measured else FALLBACK_ITEM_S
    out = {case.name: 0.0 for case in selection.cases}
    for case, adapter, _, _ in selection.combinations():
        out[case.name] += measured.get((case.name, adapter.name),
                                       by_adapter.get(adapter.name, overall))
    for case in selection.cases:  # a case with nothing to check (a timing-only selection)
        if out[case.name] == 0.0:
            out[case.name] = overall
    return out


def assign(costs: Mapping[str, float], n: int) -> list[list[str]]:
    """``n`` shares of the cases: largest first, each to the least loaded share."""
    shares: list[list[str]] = [[] for _ in range(n)]
    loads = [0.0] * n
    for name in sorted(costs, key=lambda c: (-costs[c], c)):
        k = min(range(n), key=lambda i: (loads[i], i))
        shares[k].append(name)
        loads[k] += costs[name]
    return shares


def shard_selection(selection: Selection, k: int, n: int,
                    costs: Path | None = DEFAULT_COSTS) -> tuple[Selection, str]:
    """The selection's K-th share of N, with a note saying what it holds."""
    from dataclasses import replace

    estimate = case_costs(selection, costs)
    mine = set(assign(estimate, n)[k - 1])
    chosen = [c for c in selection.cases if c.name in mine]
    total = sum(estimate.values())
    share = sum(estimate[c] for c in mine)
    note = (f"--shard {k}/{n}: {len(chosen)} of {len(selection.cases)} cases, about "
            f"{share / total:.0%} of the estimated cost" if total else
            f"--shard {k}/{n}: {len(chosen)} of {len(selection.cases)} cases")
    return replace(selection, cases=chosen), note


# --- merge -----------------------------------------------------------------------------------
def _version_problems(envs: Sequence[Mapping[str, Any]], paths: Sequence[Path]) -> list[str]:
    """Each difference in suite or framework versions between the first folder and another."""
    def versions(env: Mapping[str, Any]) -> dict[str, str]:
        out = {f"{k}": str(v) for k, v in env.get("versions", {}).items()}
        for adapter, found in (env.get("adapters") or {}).items():
            out.update({f"{k} ({adapter})": str(v) for k, v in (found or {}).items()})
        out["gradparity git commit"] = str(env.get("git_commit"))
        return out

    first = versions(envs[0])
    problems = []
    for env, path in zip(envs[1:], paths[1:]):
        theirs = versions(env)
        for key in sorted(set(first) | set(theirs)):
            if first.get(key) != theirs.get(key):
                problems.append(f"  {key}: {paths[0]} has {first.get(key, 'none')}, "
                                f"{path} has {theirs.get(key, 'none')}")
    return problems


def _selection_problems(envs: Sequence[Mapping[str, Any]], paths: Sequence[Path]) -> list[str]:
    def rest(env: Mapping[str, Any]) -> dict[str, Any]:
        selection = dict(env.get("selection") or {})
        selection.pop("cases", None)
        selection.pop("shard", None)
        return selection

    first = rest(envs[0])
    problems = []
    for env, path in zip(envs[1:], paths[1:]):
        theirs = rest(env)
        for key in sorted(set(first) | set(theirs)):
            if first.get(key) != theirs.get(key):
                problems.append(f"  {key}: {paths[0]} has {first.get(key)!r}, {path} has "
                                f"{theirs.get(key)!r}")
    return problems


def merge(sources: Sequence[Path], out: Path, *, force: bool = False,
          allow_mixed_versions: bool = False, command_line: Sequence[str] = ()) -> RunFolder:
    """Join the run folders ``sources`` into ``out`` (see the module docstring)."""
    if len(sources) < 2:
        raise MergeError("merge joins two or more run folders: gradparity merge A B ... "
                         "--out C")
    folders = [RunFolder.open(p) for p in sources]
    paths = [f.path for f in folders]
    if any(Path(out).resolve() == p.resolve() for p in paths):
        raise MergeError(f"--out {out} is one of the folders to merge; choose a new folder")
    envs = [f.environment() for f in folders]
    old = [str(p) for p, env in zip(paths, envs) if env.get("record_commits") != COMMITS]
    if old:
        raise MergeError(f"{', '.join(old)}: written by a gradparity that did not commit its "
                         "records, so its finished work cannot be told apart; run it again")
    problems = _version_problems(envs, paths)
    if problems and not allow_mixed_versions:
        raise MergeError("the folders were measured with different versions of the suite or "
                         "of a framework; a merged report would mix them:\n"
                         + "\n".join(problems)
                         + "\npass --allow-mixed-versions to merge them anyway")
    problems = _selection_problems(envs, paths)
    if problems:
        raise MergeError("the folders selected different runs (besides their cases and "
                         "shard):\n" + "\n".join(problems))
    seen: dict[Any, Path] = {}
    for folder in folders:
        units = [("check", *u) for u in folder.checks_done()]
        units += [("timings of", c) for c in folder.timings_done()]
        for unit in units:
            if unit in seen:
                raise MergeError(f"{seen[unit]} and {folder.path} both hold "
                                 f"{' '.join(map(str, unit))}: a merge would count it twice "
                                 "(merge each shard once)")
            seen[unit] = folder.path
    target = RunFolder.create(out, force=force)
    try:
        _write_merged(target, folders, envs, list(command_line) if command_line else None)
    except BaseException:
        target.close()
        raise
    return target


def _write_merged(target: RunFolder, folders: Sequence[RunFolder],
                  envs: Sequence[dict[str, Any]], command_line: list[str] | None) -> None:
    import datetime as dt

    cases: list[str] = []
    hosts: dict[str, Any] = {}
    for env in envs:
        cases += [c for c in (env.get("selection") or {}).get("cases", []) if c not in cases]
        hosts.update(env.get("hosts") or {})
    try:  # the library's order, as an unsharded run lists them
        import cases as registry

        order = {c.name: i for i, c in enumerate(registry.all())}
        cases.sort(key=lambda name: order.get(name, len(order)))
    except ImportError:
        pass
    env = json.loads(json.dumps(envs[0]))
    env["selection"] = {**env.get("selection", {}), "cases": cases, "shard": None}
    if isinstance(env.get("run"), dict):
        env["run"]["cases"] = len(cases)
        env["run"]["notes"] = [n for n in env["run"].get("notes", [])
                               if not str(n).startswith("--shard")]
    env["hosts"] = hosts
    env["merged_from"] = [{"path": str(f.path), "shard": (e.get("selection") or {}).get("shard"),
                           "date": e.get("date"), "command_line": e.get("command_line")}
                          for f, e in zip(folders, envs)]
    env["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if command_line is not None:
        env["command_line"] = command_line
    env.pop("record_commits", None)
    target.write_environment(env)
    for folder in folders:
        data = {name: folder._records(kind) for kind, (name, _) in RECORDS.items()}
        starts = {}
        for name, columns in RECORDS.values():
            header, _, _ = data[name].partition(b"\n")
            if data[name] and header.decode().split(",") != list(columns):
                raise MergeError(f"{folder.path}: its {name} has the columns of another "
                                 "gradparity version; run it again with this one")
            starts[name] = len(header) + 1 if data[name] else 0
        commits, _ = folder._read_commits()
        for commit in commits:
            chunks = {}
            for name, columns in RECORDS.values():
                end = commit.get("lengths", {}).get(name, 0)
                if end > starts[name]:
                    file = target.path / name
                    new = not file.exists() or file.stat().st_size == 0
                    head = (",".join(columns) + "\n").encode() if new else b""
                    chunks[name] = head + data[name][starts[name]:end]
                    starts[name] = end
            line = {k: v for k, v in commit.items() if k != "lengths"}
            target.commit_rows(chunks, line)


# --- projections -----------------------------------------------------------------------------
def task_seconds(folder: Path) -> dict[str, float]:
    """Per case, the seconds its records measured: its checks (the records' ``seconds``) and
    its timing samples (median times samples). A lower bound of the case's task: the
    imports, warm-ups and idle waits around them are not in any record."""
    run = RunFolder(Path(folder))
    import io

    import pandas as pd

    out: dict[str, float] = {}
    for kind, column in (("conformance", "seconds"), ("timing", None)):
        data = run._records(kind)
        if not data:
            continue
        frame = pd.read_csv(io.BytesIO(data), usecols=["case", column] if column else
                            ["case", "median_s", "n_samples"])
        seconds = frame[column] if column else frame["median_s"] * frame["n_samples"]
        for case, value in seconds.fillna(0).groupby(frame["case"]).sum().items():
            if not str(case).startswith("control@"):
                out[str(case)] = out.get(str(case), 0.0) + float(value)
    return out


def simulate(costs: Sequence[float], workers: int, *, largest_first: bool = False) -> float:
    """The wall time of tasks of these ``costs`` on ``workers`` workers, each task to the
    first free worker (in the order given, as a scheduler takes them; ``largest_first``: the
    largest first). A simulation: no start-up, imports or transfers."""
    import heapq

    order = sorted(costs, reverse=True) if largest_first else list(costs)
    free = [0.0] * workers
    for cost in order:
        heapq.heappush(free, heapq.heappop(free) + cost)
    return max(free) if free else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m reports.shards RUN_DIR [--workers 8,32,128]``: the task-size statistics of
    a run's records and the wall time a simulation projects on that many workers."""
    import argparse

    import numpy as np

    parser = argparse.ArgumentParser(prog="python -m reports.shards", description=main.__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--workers", default="1,2,8,32,128")
    args = parser.parse_args(argv)
    per_case = task_seconds(args.run_dir)
    ordered = [per_case[c] for c in per_case]  # the records' order: the run's own
    values = np.array(ordered)
    top = sorted(per_case.items(), key=lambda kv: -kv[1])[:3]
    print(f"{len(values)} case tasks, {values.sum():.1f} s in all; median "
          f"{np.median(values):.3f} s, 90th percentile {np.percentile(values, 90):.3f} s, largest "
          + ", ".join(f"{c} {v:.2f} s" for c, v in top))
    print("workers | simulated wall, tasks in order (s) | largest first (s) | bound (s)")
    for n in (int(w) for w in args.workers.split(",")):
        bound = max(values.sum() / n, values.max())
        print(f"{n} | {simulate(ordered, n):.1f} | {simulate(ordered, n, largest_first=True):.1f}"
              f" | {bound:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
