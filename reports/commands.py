"""What each ``gradparity`` sub-command does (the argument parsing lives in reports/cli.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from reports.environment import collect_environment
from reports.render import render
from reports.rundir import RunFolder
from reports.selection import Selection, select
from reports.tasks import (
    QUICK_EAGER_TAGS,
    QUICK_MODES,
    QUICK_UNTIMED_EAGER,
    Options,
    SweepIndices,
    Task,
    run_task,
    time_cases,
    worker_setup,
)

__all__ = ["HarnessMissingError", "bench", "check", "compare", "listing", "report", "run"]

EXIT_OK, EXIT_FAILURES, EXIT_INTERRUPTED = 0, 1, 130
FAILING = ("fail", "error", "nonfinite")
QUICK_CHUNK = 6  # cases per quick task


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

    # TensorFlow's C++ notices (not its errors) would bury the progress bar; workers inherit it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    if args.quick and not args.dtypes:
        args.dtypes = "float64"  # a smoke run: one dtype; a full run checks both
    selection = select(args)  # validate names before touching the folder
    if args.quick and not args.modes:
        selection = replace(selection, adapter_modes=dict(QUICK_MODES),
                            eager_tags=QUICK_EAGER_TAGS)
    sizes = _sizes(args, "sweep") if args.command != "check" else None
    _jobs(args)
    threads.configure(args.threads)
    folder = _folder(args)
    if args.command in ("run", "check"):
        _require_harness("cases.conformance")
    if args.command in ("run", "bench"):
        _require_harness("cases.timing")
    description = _describe(selection, args, sizes)
    if args.resume and (folder.path / "environment.json").exists():
        env = folder.environment()
        env.setdefault("resumed", []).append(
            {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
             "command_line": list(sys.argv)})
        folder.write_environment(env)
    else:
        folder.write_environment(collect_environment(
            threads=threads.describe() if hasattr(threads, "describe") else args.threads,
            adapters={a.name: a.versions() for a in selection.adapters},
            run=description,
        ))
    return selection, folder


def _describe(selection: Selection, args: argparse.Namespace, sizes: Any) -> dict[str, Any]:
    """What this run covers, for environment.json and the summary's first section."""
    from reports.tasks import QUICK_CHECKS, QUICK_QUANTITIES, quick_budget

    out: dict[str, Any] = {
        "command": args.command, "quick": bool(args.quick),
        "cases": len(selection.cases),
        "modes": {a.name: selection.modes_of(a) for a in selection.adapters},
        "eager_only_tags": sorted(selection.eager_tags),
        "untimed_eager": sorted(QUICK_UNTIMED_EAGER) if selection.eager_tags else [],
        "dtypes": list(selection.dtypes) if selection.dtypes else "each case's own",
        "seed": args.seed, "threads": args.threads, "jobs": _jobs(args),
    }
    if args.command in ("run", "check"):
        out["checks"] = list(QUICK_CHECKS) if args.quick else "all that apply"
    if args.command in ("run", "bench"):
        from dataclasses import asdict

        out["timing"] = {
            "sizes": sizes if isinstance(sizes, str) else list(sizes),
            "quantities": list(QUICK_QUANTITIES) if args.quick
            else "forward, value_and_grad, jvp, hvp, compile",
            "budget": asdict(quick_budget()) if args.quick else "the harness's DEFAULT",
            "memory": not args.quick, "isolate": bool(args.isolate),
            "where": ("in each worker process, pinned to its own CPU, after that worker's "
                      "checks of the same cases" if args.quick and _jobs(args) > 1
                      else "in the main process, alone"),
        }
    return out


class HarnessMissingError(RuntimeError):
    """The conformance or timing harness is not part of this installation."""


def _require_harness(module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise HarnessMissingError(
            f"this version of gradparity has no {module}; "
            "list, report, compare, explain and demo work"
        )


def _jobs(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        from reports.selection import SelectionError

        raise SelectionError(f"--jobs takes a positive number; got {args.jobs}")
    return args.jobs or (os.cpu_count() or 1)


def _sizes(args: argparse.Namespace, default: str) -> Any:
    text = args.sizes or ("check" if args.quick else default)
    if text in ("check", "sweep", "smallest"):
        return text
    try:
        indices = [int(part) for part in text.split(",")]
    except ValueError:
        indices = []
    if not indices or min(indices) < 0:
        from reports.selection import SelectionError

        raise SelectionError(
            f"--sizes takes 'check', 'sweep', 'smallest' or sweep indices such as 0,2; "
            f"got {text!r}"
        )
    return indices


def _size_spec(sizes: Any) -> Any:
    """The harness's form: a name, or for indices a (picklable) picker from each sweep."""
    return sizes if isinstance(sizes, str) else SweepIndices(tuple(sizes))


def _timing_groups(selection: Selection, adapters: list[Any], case: Any) -> tuple[
        tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Adapters that run the same modes are timed together (interleaved in the same rounds)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    eager_only = bool(selection.eager_tags & set(case.tags))
    for adapter in adapters:
        modes = tuple(selection.modes_of(adapter, case))
        if eager_only and adapter.name in QUICK_UNTIMED_EAGER:
            continue  # --quick: checked eagerly, not timed (see reports.tasks)
        if modes:
            groups.setdefault(modes, []).append(adapter.name)
    return tuple((modes, tuple(names)) for modes, names in groups.items())


def _plan(selection: Selection, folder: RunFolder, args: argparse.Namespace, *,
          checks: bool, timings: bool) -> tuple[list[Task], list[Task]]:
    """The tasks for the workers (checks; with --quick, timings too) and those for the main
    process (the timings of a full run), leaving out what --resume finds recorded."""
    done = folder.done("conformance") if args.resume else set()
    timed = {(c, a) for c, a, _, _ in folder.done("timing")} if args.resume else set()
    per_case: dict[str, list[tuple[str, str, str, str]]] = {}
    if checks:
        for c, a, m, d in selection.combinations():
            if (c.name, a.name, m, d) not in done:
                per_case.setdefault(c.name, []).append((c.name, a.name, m, d))
    to_time: dict[str, tuple] = {}
    if timings:
        for case in selection.cases:
            remaining = [a for a in selection.adapters if (case.name, a.name) not in timed]
            if remaining:
                to_time[case.name] = _timing_groups(selection, remaining, case)
    worker: list[Task] = []
    main: list[Task] = []
    if args.quick:
        # A few cases per task: each task's timing call warms every framework up once.
        chunk: list[str] = []
        for case in selection.cases:
            if case.name in per_case or case.name in to_time:
                chunk.append(case.name)
            if len(chunk) == QUICK_CHUNK or (chunk and case is selection.cases[-1]):
                worker += _quick_tasks(chunk, per_case, to_time)
                chunk = []
        # The library ends with its models, the slowest cases: start them first, so that
        # no worker is left with a long task at the end.
        worker.reverse()
    else:
        worker = [Task(checks=tuple(items)) for items in per_case.values()]
        by_groups: dict[tuple, list[str]] = {}
        for name, groups in to_time.items():
            by_groups.setdefault(groups, []).append(name)
        main = [Task(timing_cases=tuple(names), groups=groups)
                for groups, names in by_groups.items()]
    return worker, main


def _quick_tasks(chunk: list[str], per_case: dict[str, list], to_time: dict[str, tuple]
                 ) -> list[Task]:
    checks = tuple(item for name in chunk for item in per_case.get(name, []))
    by_groups: dict[tuple, list[str]] = {}
    for name in chunk:
        if name in to_time:
            by_groups.setdefault(to_time[name], []).append(name)
    if not by_groups:
        return [Task(checks=checks)]
    tasks = []
    for i, (groups, names) in enumerate(by_groups.items()):
        tasks.append(Task(checks=checks if i == 0 else (), timing_cases=tuple(names),
                          groups=groups))
    return tasks


def _execute(selection: Selection, folder: RunFolder, args: argparse.Namespace, *,
             checks: bool, timings: bool) -> bool:
    """Run every task, writing each result as it arrives; False when interrupted (Ctrl-C):
    what was written stays, and --resume continues."""
    worker, main = _plan(selection, folder, args, checks=checks, timings=timings)
    size_spec = _size_spec(_sizes(args, "sweep")) if timings else "check"
    options = Options(run_id=folder.path.name, seed=args.seed, quick=args.quick,
                      threads=args.threads, dtypes=tuple(selection.dtypes)
                      if selection.dtypes else None, sizes=size_spec,
                      isolate=bool(getattr(args, "isolate", False)))
    total = sum(t.size for t in worker) + sum(t.size for t in main)
    try:
        with _progress(total, args.command, args.quiet) as advance:
            _in_workers(worker, options, folder, args, advance)
            for task in main:
                _time_here(task, options, folder, advance)
    except KeyboardInterrupt:
        print(f"\ninterrupted: what was done is in {folder.path}; "
              f"add --resume to continue it", file=sys.stderr)
        return False
    return True


def _write(folder: RunFolder, result: dict[str, Any]) -> None:
    folder.append("conformance", result["conformance"])
    folder.append("timing", result["timing"])
    if result["notes"]:
        folder.add_timing_notes(result["notes"], process=str(result["pid"]))


def _label(task: Task) -> str:
    names = task.timing_cases or tuple(dict.fromkeys(c for c, _, _, _ in task.checks))
    return names[0] if len(names) == 1 else f"{names[0]} .. {names[-1]}"


def _in_workers(tasks: list[Task], options: Options, folder: RunFolder,
                args: argparse.Namespace, advance: Any) -> None:
    jobs = _jobs(args)
    if jobs == 1 or len(tasks) < 2:
        for task in tasks:
            _write(folder, run_task(task, options))  # written now: a crash keeps it
            advance(task.size, note=_label(task))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: the frameworks' thread pools do not survive a fork.
    context = multiprocessing.get_context("spawn")
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = args.quick and jobs * args.threads <= len(cpus)
    initargs = (args.threads, context.Value("i", 0), cpus) if pin else (args.threads,)
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=worker_setup,
                               initargs=initargs)
    try:
        futures = {pool.submit(run_task, task, options): task for task in tasks}
        for future in as_completed(futures):
            _write(folder, future.result())  # written as each finishes
            advance(futures[future].size, note=_label(futures[future]))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _time_here(task: Task, options: Options, folder: RunFolder, advance: Any) -> None:
    """A full run's timings, in this process, each point written as it is measured."""
    from cases.timing import RunNotes

    notes = RunNotes(run_id=options.run_id)
    existing = folder.timing()
    control = "control" if not (existing["case"] == "control").any() else \
        f"control@{len(set(existing['case'][existing['case'].str.startswith('control')]))}"
    seen: set[str] = set()
    try:
        for record in time_cases(task.timing_cases, task.groups, options, notes,
                                 control_name=control):
            folder.append("timing", [record])
            case = record["case"]
            if case in task.timing_cases and case not in seen:
                seen.add(case)
                advance(note=case)
    finally:
        folder.add_timing_notes(notes.to_dict(), process=str(os.getpid()))
    advance(len(task.timing_cases) - len(seen))  # cases nothing could be timed for


def _finish(folder: RunFolder, args: argparse.Namespace, completed: bool = True) -> int:
    folder.write_parquet()
    if getattr(args, "gzip", False) and completed:
        folder.compress()
    written = render(folder)
    if getattr(args, "readme", None):
        from reports.readme import sync_readme

        sync_readme(args.readme, folder)
    conformance = folder.conformance()
    failing = conformance[conformance["status"].isin(FAILING)]
    if not args.quiet:
        print(f"run folder: {folder.path}")
        print(f"  {', '.join(sorted(p.name for p in written.values()))}")
        if len(conformance):
            counts = conformance["status"].value_counts().to_dict()
            print("  statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        print(f"  undocumented failures: {len(failing)}")
    if not completed:
        return EXIT_INTERRUPTED
    if len(failing) and not args.no_fail:
        return EXIT_FAILURES
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    selection, folder = _start(args)
    completed = _execute(selection, folder, args, checks=True, timings=True)
    return _finish(folder, args, completed)


def check(args: argparse.Namespace) -> int:
    selection, folder = _start(args)
    completed = _execute(selection, folder, args, checks=True, timings=False)
    return _finish(folder, args, completed)


def bench(args: argparse.Namespace) -> int:
    selection, folder = _start(args)
    completed = _execute(selection, folder, args, checks=False, timings=True)
    return _finish(folder, args, completed)


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
    say = (lambda text: None) if args.quiet else print
    say(f"re-rendered {folder.path}: {', '.join(sorted(p.name for p in written.values()))}")
    if args.readme:
        from reports.readme import sync_readme

        changed = sync_readme(args.readme, folder)
        say(f"{args.readme}: {'updated' if changed else 'already up to date'}")
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
