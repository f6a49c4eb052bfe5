"""What each ``gradparity`` sub-command does (the argument parsing lives in reports/cli.py;
scheduling a run's tasks on worker processes in reports/runner.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from cases.statuses import FAILING
from reports.environment import collect_environment
from reports.exit_codes import EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OK
from reports.render import render
from reports.rundir import ResumeMismatchError, RunFolder
from reports.runner import execute
from reports.selection import Selection, SelectionError, select
from reports.tasks import (
    QUICK_EAGER_TAGS,
    QUICK_MODES,
    QUICK_UNTIMED_EAGER,
    Options,
    SweepIndices,
)

__all__ = ["HarnessMissingError", "bench", "check", "compare", "listing", "report", "run"]


def _folder(args: argparse.Namespace, chosen: dict[str, Any]) -> RunFolder:
    """The run folder, locked for this command; --resume with another selection than the
    folder's run is a usage error."""
    out = args.out or Path("runs") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        return RunFolder.create(out, force=args.force, resume=args.resume, selection=chosen)
    except ResumeMismatchError as e:
        raise SelectionError(str(e)) from e


def _chosen(selection: Selection, args: argparse.Namespace, sizes: Any) -> dict[str, Any]:
    """What a run selected, exactly: recorded in environment.json, and what --resume must
    find unchanged (everything but how many workers share the work)."""
    return {
        "command": args.command, "quick": bool(args.quick),
        "cases": [c.name for c in selection.cases],
        "modes": {a.name: selection.modes_of(a) for a in selection.adapters},
        "eager_only_tags": sorted(selection.eager_tags),
        "dtypes": list(selection.dtypes) if selection.dtypes else None,
        "sizes": sizes, "seed": args.seed, "threads": args.threads,
        "isolate": bool(getattr(args, "isolate", False)),
    }


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
    if args.command in ("run", "check"):
        _require_harness("cases.conformance")
    if args.command in ("run", "bench"):
        _require_harness("cases.timing")
    description = _describe(selection, args, sizes)
    chosen = _chosen(selection, args, sizes)
    folder = _folder(args, chosen)
    try:
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
                run=description, selection=chosen,
            ))
    except BaseException:
        folder.close()
        raise
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


def _execute(selection: Selection, folder: RunFolder, args: argparse.Namespace, *,
             checks: bool, timings: bool) -> bool:
    """Run the selection's checks and/or timings into the folder (see reports.runner); False
    when interrupted."""
    sizes = _sizes(args, "sweep") if timings else "check"
    options = Options(run_id=folder.path.name, seed=args.seed, quick=args.quick,
                      threads=args.threads, dtypes=tuple(selection.dtypes)
                      if selection.dtypes else None,
                      # the harness's form: a name, or for indices a (picklable) picker
                      sizes=sizes if isinstance(sizes, str) else SweepIndices(tuple(sizes)),
                      isolate=bool(getattr(args, "isolate", False)))
    return execute(selection, folder, options, checks=checks, timings=timings,
                   jobs=_jobs(args), resume=args.resume, description=args.command,
                   quiet=args.quiet)


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
    with folder:  # the folder stays locked until the reports are written
        completed = _execute(selection, folder, args, checks=True, timings=True)
        return _finish(folder, args, completed)


def check(args: argparse.Namespace) -> int:
    selection, folder = _start(args)
    with folder:  # the folder stays locked until the reports are written
        completed = _execute(selection, folder, args, checks=True, timings=False)
        return _finish(folder, args, completed)


def bench(args: argparse.Namespace) -> int:
    selection, folder = _start(args)
    with folder:  # the folder stays locked until the reports are written
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
    from reports.run_comparison import compare_runs

    result = compare_runs(RunFolder.open(args.run_a), RunFolder.open(args.run_b))
    if args.out:
        Path(args.out).write_text(result.markdown)
    sys.stdout.write(result.markdown + "\n")
    if len(result.new_failures) and not args.no_fail:
        return EXIT_FAILURES
    return EXIT_OK
