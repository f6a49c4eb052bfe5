"""What each ``gradparity`` sub-command does (the argument parsing lives in reports/cli.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reports.environment import collect_environment
from reports.render import render
from reports.rundir import RunFolder
from reports.selection import Selection, select

__all__ = ["HarnessMissingError", "bench", "check", "compare", "listing", "report", "run"]

EXIT_OK, EXIT_FAILURES = 0, 1
FAILING = ("fail", "error", "nonfinite")


@contextmanager
def _progress(total: int, description: str, quiet: bool) -> Iterator[Any]:
    """A progress bar with an ETA on stderr (rich), or nothing with --quiet."""
    if quiet:
        yield lambda advance=1, note="": None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
               TextColumn("{task.fields[note]}"))
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(description, total=total, note="")
        yield lambda advance=1, note="": progress.update(task, advance=advance, note=note)


def _folder(args: argparse.Namespace) -> RunFolder:
    out = args.out or Path("runs") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return RunFolder.create(out, force=args.force, resume=args.resume)


def _start(args: argparse.Namespace) -> tuple[Selection, RunFolder]:
    from adapters import threads


    if args.quick and not args.dtypes:
        args.dtypes = "float64"  # a smoke run: one dtype; a full run checks both
    selection = select(args)  # validate names before touching the folder
    threads.configure(args.threads)
    folder = _folder(args)
    if args.command in ("run", "check"):
        _require_harness("cases.conformance")
    if args.command in ("run", "bench"):
        _require_harness("cases.timing")
    if not (args.resume and (folder.path / "environment.json").exists()):
        folder.write_environment(collect_environment(
            threads=threads.describe() if hasattr(threads, "describe") else args.threads,
            adapters={a.name: a.versions() for a in selection.adapters},
        ))
    return selection, folder


class HarnessMissingError(RuntimeError):
    """The conformance or timing harness is not part of this installation."""


def _require_harness(module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise HarnessMissingError(
            f"this version of gradparity has no {module} (the timing harness is in progress); "
            "check, list, report, compare, explain and demo work"
        )


def _check_group(items: list[tuple[str, str, str, str]], seed: int, run_id: str,
                 quick: bool) -> list[dict[str, Any]]:
    """Every (adapter, mode) of one case and dtype: one task, so the case's finite-difference
    reference (cached per case and dtype) is computed once for all of them."""
    import adapters
    import cases
    from cases.conformance.run import run_case

    checks = _quick_checks() if quick else None
    out = []
    for case_name, adapter_name, mode, dtype in items:
        records = run_case(cases.get(case_name), adapters.get(adapter_name), mode, dtype,
                           seed=seed, run_id=run_id, checks=checks)
        out.extend(r.to_dict() for r in records)
    return out


def _quick_checks() -> list[str]:
    # A smoke run keeps the first-order checks: value, cross-AD, adjoint, oracle, non-finite
    # and kinks; second order, float32-vs-float64 and determinism wait for a full run.
    from cases.conformance.checks import CHECKS

    slow = {"hvp_vs_oracle", "hvp_vs_refengine", "float32_vs_float64", "determinism"}
    return [c for c in CHECKS if c not in slow]


def _worker_setup(threads: int) -> None:
    from adapters import threads as thread_control

    thread_control.configure(threads)


def _run_checks(selection: Selection, folder: RunFolder, args: argparse.Namespace) -> None:
    _require_harness("cases.conformance")
    done = folder.done("conformance") if args.resume else set()
    todo = [(c.name, a.name, m, d) for c, a, m, d in selection.combinations()
            if (c.name, a.name, m, d) not in done]
    groups: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {}
    for item in todo:
        groups.setdefault((item[0], item[3]), []).append(item)
    jobs = args.jobs if args.jobs else (os.cpu_count() or 1)
    common = (args.seed, folder.path.name, args.quick)
    with _progress(len(todo), "checks", args.quiet) as advance:
        if jobs == 1 or len(groups) < 2:
            for (case, dtype), items in groups.items():
                folder.append("conformance", _check_group(items, *common))  # written now
                advance(len(items), note=f"{case} {dtype}")
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn, not fork: the frameworks' thread pools do not survive a fork.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_setup,
                                 initargs=(args.threads,)) as pool:
            futures = {pool.submit(_check_group, items, *common): key
                       for key, items in groups.items()}
            for future in as_completed(futures):
                folder.append("conformance", future.result())  # written as each finishes
                advance(len(groups[futures[future]]), note=" ".join(futures[future]))


def _sizes(args: argparse.Namespace, default: str) -> Any:
    text = args.sizes or ("check" if args.quick else default)
    if text in ("check", "sweep", "all"):
        return text
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        from reports.selection import SelectionError

        raise SelectionError(
            f"--sizes takes 'check', 'sweep', 'all' or sweep indices such as 0,2; got {text!r}"
        ) from None


def _run_timings(selection: Selection, folder: RunFolder, args: argparse.Namespace) -> None:
    _require_harness("cases.timing")
    from cases.timing.run import run_timings

    done = {(case, adapter) for case, adapter, _, _ in folder.done("timing")} if args.resume \
        else set()
    sizes = _sizes(args, "sweep")
    with _progress(len(selection.cases), "timings", args.quiet) as advance:
        for case in selection.cases:
            adapters = [a for a in selection.adapters if (case.name, a.name) not in done]
            if adapters:
                records = run_timings([case], adapters, selection.modes, selection.dtypes,
                                      sizes=sizes, quick=args.quick, isolate=args.isolate,
                                      threads=args.threads, seed=args.seed,
                                      run_id=folder.path.name)
                for record in records:
                    folder.append("timing", [record])
            advance(note=case.name)


def _finish(folder: RunFolder, args: argparse.Namespace) -> int:
    folder.write_parquet()
    written = render(folder)
    conformance = folder.conformance()
    failing = conformance[conformance["status"].isin(FAILING)]
    if not args.quiet:
        print(f"run folder: {folder.path}")
        print(f"  {', '.join(sorted(p.name for p in written.values()))}")
        if len(conformance):
            counts = conformance["status"].value_counts().to_dict()
            print("  statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        print(f"  undocumented failures: {len(failing)}")
    if len(failing) and not args.no_fail:
        return EXIT_FAILURES
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    selection, folder = _start(args)
    _run_checks(selection, folder, args)
    _run_timings(selection, folder, args)
    return _finish(folder, args)


def check(args: argparse.Namespace) -> int:
    selection, folder = _start(args)
    _run_checks(selection, folder, args)
    return _finish(folder, args)


def bench(args: argparse.Namespace) -> int:
    selection, folder = _start(args)
    _run_timings(selection, folder, args)
    return _finish(folder, args)


def _print_table(rows: Iterable[dict[str, Any]]) -> None:
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    print(frame.to_string(index=False) if len(frame) else "(none)")


def listing(args: argparse.Namespace) -> int:
    if args.what == "cases":
        import cases

        chosen = cases.all()
        if args.tags:
            wanted = set(args.tags.split(","))
            valid = {t for c in chosen for t in c.tags}
            unknown = wanted - valid
            if unknown:
                from reports.selection import _unknown

                raise _unknown("tag", sorted(unknown)[0], sorted(valid))
            chosen = [c for c in chosen if wanted & set(c.tags)]
        _print_table({"case": c.name, "tags": ",".join(sorted(c.tags)),
                      "dtypes": ",".join(c.dtypes), "note": (c.note or "")[:60]}
                     for c in chosen)
    elif args.what == "adapters":
        import adapters

        rows = []
        for adapter in adapters.all():
            status = adapter.available()
            versions = adapter.versions() if status else {}
            rows.append({"adapter": adapter.name, "available": bool(status),
                         "modes": ",".join(adapter.modes),
                         "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
                         "reason": "" if status else status.reason})
        _print_table(rows)
    else:
        from reports.tables import coverage_table

        table = coverage_table()
        print(table.to_string(index=False))
        counts = table.drop(columns="name").apply(lambda col: col.value_counts()).fillna(0)
        print()
        print(counts.astype(int).to_string())
    return EXIT_OK


def report(args: argparse.Namespace) -> int:
    folder = RunFolder.open(args.run_dir)
    written = render(folder)
    print(f"re-rendered {folder.path}: {', '.join(sorted(p.name for p in written.values()))}")
    return EXIT_OK


def compare(args: argparse.Namespace) -> int:
    from reports.compare import compare_runs

    result = compare_runs(RunFolder.open(args.run_a), RunFolder.open(args.run_b))
    if args.out:
        Path(args.out).write_text(result.markdown)
    sys.stdout.write(result.markdown + "\n")
    if len(result.new_failures) and not args.no_fail:
        return EXIT_FAILURES
    return EXIT_OK
