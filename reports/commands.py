"""What each ``gradparity`` sub-command does (the argument parsing lives in reports/cli.py;
scheduling a run's tasks on worker processes in reports/runner.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from cases.statuses import FAILING
from reports.environment import collect_environment
from reports.exit_codes import EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from reports.render import render
from reports.rundir import ResumeMismatchError, RunFolder
from reports.runner import execute
from reports.selection import Selection, SelectionError, names_given, select, some_names
from reports.tasks import (
    QUICK_EAGER_TAGS,
    QUICK_LEAVES_OUT_TAGS,
    QUICK_MODES,
    QUICK_SMOKE_ONLY,
    QUICK_UNTIMED_EAGER,
    Options,
    SweepIndices,
    quick_adapters,
)

__all__ = ["HarnessMissingError", "OutputError", "bench", "check", "compare", "listing",
           "merge", "quick_cases", "report", "run", "write_output"]


def _folder(args: argparse.Namespace, chosen: dict[str, Any]) -> RunFolder:
    """The run folder, locked for this command; --resume with another selection than the
    folder's run is a usage error."""
    out = args.out or Path("runs") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        return RunFolder.create(out, force=args.force, resume=args.resume, selection=chosen)
    except ResumeMismatchError as e:
        raise SelectionError(str(e)) from e


def _setup(adapter: Any) -> dict[str, Any]:
    """What an adapter set up in this process: its thread settings, device, and for tinygrad
    the C compiler its CPU device uses (``adapters.tinygrad_compiler``): the environment
    a record's numbers came from. A failure to say is recorded, not raised."""
    try:
        return dict(adapter.threads())
    except Exception as exc:  # the run goes on; the file says what happened
        return {"error": f"{type(exc).__name__}: {exc}"}


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
        "shard": args.shard,
    }


def quick_cases(selection: Selection, args: argparse.Namespace) -> Selection:
    """A quick run's cases: those tagged ``QUICK_LEAVES_OUT_TAGS`` are left out (said in the
    run's notes) unless ``--cases`` or ``--tags`` chose the cases."""
    if names_given(args, "cases") is not None or names_given(args, "tags") is not None:
        return selection
    left = {c.name for c in selection.cases if QUICK_LEAVES_OUT_TAGS & set(c.tags)}
    if not left:
        return selection
    return replace(selection, cases=[c for c in selection.cases if c.name not in left],
                   notes=(*selection.notes, f"--quick: the {len(left)} cases tagged "
                          f"{', '.join(sorted(QUICK_LEAVES_OUT_TAGS))} are left out (a run "
                          "without --quick, or --tags transform, checks them)"))


def _start(args: argparse.Namespace) -> tuple[Selection, RunFolder]:
    from adapters import threads

    # TensorFlow's C++ notices (not its errors) would bury the progress bar; workers inherit it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    if args.quick and args.dtypes is None:
        args.dtypes = "float64"  # a smoke run: one dtype; a full run checks both
    # Everything is validated before the folder is made: a refused run leaves nothing behind.
    selection = select(args)
    if args.quick:
        kept, left_out = quick_adapters(selection.adapters, bool(getattr(args, "adapters", None)))
        selection = replace(selection, adapters=kept, notes=(*selection.notes, *left_out))
    if args.quick and not args.modes:
        smoke_only = frozenset(a.name for a in selection.adapters) & QUICK_SMOKE_ONLY
        selection = replace(selection, adapter_modes=dict(QUICK_MODES),
                            eager_tags=QUICK_EAGER_TAGS, smoke_only=smoke_only,
                            notes=(*selection.notes, *(
                                f"--quick: {name} runs the smoke selection (cases tagged "
                                "model, kink or nn, less those cases.conventions.COSTLY lists "
                                "for it); a run without --quick covers every case"
                                for name in sorted(smoke_only))))
    if args.quick:
        selection = quick_cases(selection, args)
        if args.command == "run" and not (getattr(args, "cases", None)
                                          or getattr(args, "tags", None)):
            from cases.smoke import SMOKE_TAGS, is_smoke

            timed = sum(is_smoke(c.tags) for c in selection.cases)
            selection = replace(selection, time_smoke_only=True, notes=(*selection.notes, (
                f"--quick: checks every case and times the {timed} of the smoke selection "
                f"(tagged {', '.join(sorted(SMOKE_TAGS))}) at their check size; --cases or "
                "--tags, or a run without --quick, times every case selected")))
    if args.shard:
        from reports.shards import DEFAULT_COSTS, parse_shard, shard_selection

        k, n = parse_shard(args.shard)
        if args.costs is not None and not (args.costs / "environment.json").is_file():
            raise SelectionError(f"--costs {args.costs} is not a gradparity run folder (no "
                                 "environment.json); name one, or leave --costs out")
        selection, note = shard_selection(selection, k, n, args.costs or DEFAULT_COSTS)
        selection = replace(selection, notes=(*selection.notes, note))
    elif args.costs is not None:
        raise SelectionError("--costs balances --shard; without --shard it does nothing")
    if args.scheduler:  # connected by _session: the workers' versions, before the folder
        from reports.cluster import _SESSION, check_versions

        check_versions(_SESSION[args.scheduler], [a.name for a in selection.adapters])
    sizes = _sizes(args, "sweep") if args.command != "check" else None
    notes = [*selection.notes, *(_sweep_notes(sizes, selection.cases,
                                              bench=args.command == "bench") if sizes else [])]
    if args.command in ("run", "check"):
        _require_harness("cases.conformance")
    if args.command in ("run", "bench"):
        _require_harness("cases.timing")
    if args.readme:
        from reports.readme import check_readme

        check_readme(args.readme, args.command)
    threads.configure(args.threads)
    description = {**_describe(selection, args, sizes), "notes": notes}
    chosen = _chosen(selection, args, sizes)
    folder = _folder(args, chosen)
    for note in notes:
        print(f"gradparity: note: {note}", file=sys.stderr)
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
                adapter_setup={a.name: _setup(a) for a in selection.adapters},
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
    if args.scheduler:
        out["scheduler"] = args.scheduler
    if args.shard:
        out["shard"] = args.shard
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
            "where": _where(args),
        }
    return out


def _where(args: argparse.Namespace) -> str:
    """Where a run times, for its summary."""
    if args.quick and (args.scheduler or _jobs(args) > 1):
        return ("in each worker process, pinned, after that worker's checks of the same cases"
                + (f" (Dask cluster {args.scheduler})" if args.scheduler else ""))
    if args.scheduler:
        return (f"on the Dask cluster's workers ({args.scheduler}) after every check, one "
                "case at a time per host (its timing lock), pinned; each record names its host")
    return "in the main process, alone"


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
    return args.jobs or (os.cpu_count() or 1)  # the parser refuses a count below 1


def _sizes(args: argparse.Namespace, default: str) -> Any:
    text = args.sizes if args.sizes is not None else ("check" if args.quick else default)
    if text in ("check", "sweep", "smallest", "headline"):
        return text
    try:
        indices = [int(part) for part in text.split(",")]
    except ValueError:
        indices = []
    if not indices or min(indices) < 0:
        raise SelectionError(
            f"--sizes takes 'check', 'sweep', 'smallest', 'headline' or sweep indices such as "
            "0,2; "
            f"got {text!r}"
        )
    return indices


def _sweep_notes(sizes: Any, cases: list[Any], *, bench: bool) -> list[str]:
    """What ``--sizes`` leaves untimed among ``cases``: a sweep index that no case has, or a
    bench that would time nothing, is an error; cases timed at fewer sizes are noted."""
    if sizes == "check":
        return []
    if sizes == "headline":
        from cases.timing.headline import HEADLINE_SIZES

        outside = [c.name for c in cases if c.name not in HEADLINE_SIZES]
        if bench and len(outside) == len(cases):
            raise SelectionError(
                "--sizes headline leaves nothing to time: it has sizes for "
                f"{', '.join(HEADLINE_SIZES)} only (cases/timing/headline.py)")
        return [f"not timed (no headline sizes, --sizes headline): "
                f"{some_names(outside, 5)}"] if outside else []
    no_sweep = [c.name for c in cases if not c.sizes.sweep]
    swept = [c for c in cases if c.sizes.sweep]
    if bench and not swept:
        raise SelectionError(f"--sizes {_spec(sizes)} leaves nothing to time: the selected "
                             "cases have no timing sweep (--sizes check times them at their "
                             "check size)")
    out = [f"not timed (no timing sweep, --sizes {_spec(sizes)}): "
           f"{some_names(no_sweep, 5)}"] if no_sweep else []
    if isinstance(sizes, str) or not swept:
        return out
    if isinstance(sizes, str):
        return out
    longest = max(len(c.sizes.sweep) for c in swept)
    beyond = sorted(i for i in set(sizes) if i >= longest)
    if beyond:
        raise SelectionError(
            f"--sizes {_spec(sizes)}: no selected case has a sweep index "
            f"{', '.join(map(str, beyond))}; the longest sweep here has {longest} sizes "
            f"(indices 0 to {longest - 1})")
    short = [c.name for c in swept if max(sizes) >= len(c.sizes.sweep)]
    if short:
        out.append(f"--sizes {_spec(sizes)}: timed at fewer sizes (or none), their sweep "
                   f"being shorter: {some_names(short, 5)}")
    return out


def _headline_sizes() -> Any:
    from cases.timing.headline import headline_sizes

    return headline_sizes


def _spec(sizes: Any) -> str:
    return sizes if isinstance(sizes, str) else ",".join(map(str, sizes))


def _execute(selection: Selection, folder: RunFolder, args: argparse.Namespace, *,
             checks: bool, timings: bool) -> bool:
    """Run the selection's checks and/or timings into the folder (see reports.runner); False
    when interrupted."""
    sizes = _sizes(args, "sweep") if timings else "check"
    options = Options(run_id=folder.path.name, seed=args.seed, quick=args.quick,
                      threads=args.threads, dtypes=tuple(selection.dtypes)
                      if selection.dtypes else None,
                      # the harness's form: a name, or for indices a (picklable) picker
                      # "smallest" as index 0: a case without a sweep has no smallest
                      sizes=SweepIndices((0,)) if sizes == "smallest" else
                      _headline_sizes() if sizes == "headline" else sizes
                      if isinstance(sizes, str) else SweepIndices(tuple(sizes)),
                      isolate=bool(getattr(args, "isolate", False)))
    with _terminate_as_interrupt():
        return execute(selection, folder, options, checks=checks, timings=timings,
                       jobs=_jobs(args), resume=args.resume, description=args.command,
                       quiet=args.quiet, scheduler=args.scheduler)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a CI job cancelled, a container stopped) handled as Ctrl-C: the
    "interrupted" message, the reports rendered from what was done, exit status 130."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    if not completed:
        status = EXIT_INTERRUPTED
    elif len(failing) and not args.no_fail:
        status = EXIT_FAILURES
    else:
        status = EXIT_OK
    # --quiet silences a run that worked; one that exits non-zero still says where its
    # folder is and how many failures it found.
    if not args.quiet or status != EXIT_OK:
        print(f"run folder: {folder.path}")
    if not args.quiet:
        print(f"  {', '.join(sorted(p.name for p in written.values()))}")
        if len(conformance):
            counts = conformance["status"].value_counts().to_dict()
            print("  statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if not args.quiet or status != EXIT_OK:
        print(f"  undocumented failures: {len(failing)}")
    return status


@contextmanager
def _session(args: argparse.Namespace) -> Iterator[None]:
    """With --scheduler, the cluster's connection for the whole command (reports.cluster):
    made before anything else, so an unusable cluster leaves no run folder."""
    if not args.scheduler:
        yield
        return
    from reports.cluster import session

    with session(args.scheduler):
        yield


def run(args: argparse.Namespace) -> int:
    with _session(args):
        selection, folder = _start(args)
        with folder:  # the folder stays locked until the reports are written
            completed = _execute(selection, folder, args, checks=True, timings=True)
            return _finish(folder, args, completed)


def check(args: argparse.Namespace) -> int:
    with _session(args):
        selection, folder = _start(args)
        with folder:  # the folder stays locked until the reports are written
            completed = _execute(selection, folder, args, checks=True, timings=False)
            return _finish(folder, args, completed)


def bench(args: argparse.Namespace) -> int:
    with _session(args):
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
        tags = names_given(args, "tags")  # --tags '': an error, not every case
        if tags:
            wanted = set(tags)
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
    if args.readme:
        from reports.readme import check_readme, command_of

        check_readme(args.readme, command_of(folder))  # before rendering anything
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

    result = compare_runs(RunFolder.open(args.run_a), RunFolder.open(args.run_b),
                          across_hosts=args.across_hosts)
    if args.out:
        write_output(args.out, result.markdown, "--out")
    sys.stdout.write(result.markdown + "\n")
    for what, counts in result.coverage.items():
        if counts["only_a"] or counts["only_b"]:
            print(f"gradparity: note: compared the {counts['both']} {what} both runs have; "
                  f"{counts['only_a']} only in A and {counts['only_b']} only in B are not "
                  "compared (see Coverage)", file=sys.stderr)
    if not result.comparable:
        print("gradparity: nothing to compare: the runs share no check and no timing "
              "(case, adapter, mode, dtype)", file=sys.stderr)
        return EXIT_USAGE
    if len(result.new_failures) and not args.no_fail:
        return EXIT_FAILURES
    return EXIT_OK


def merge(args: argparse.Namespace) -> int:
    from reports.shards import merge as merge_folders

    folder = merge_folders(args.run_dirs, args.out, force=args.force,
                           allow_mixed_versions=args.allow_mixed_versions,
                           command_line=list(sys.argv))
    with folder:
        written = render(folder)
    if not args.quiet:
        print(f"merged {len(args.run_dirs)} run folders into {folder.path}: "
              f"{', '.join(sorted(p.name for p in written.values()))}")
    return EXIT_OK


class OutputError(ValueError):
    """A file named on the command line (``--out``, ``--readme``) cannot be written: exit 2."""


def write_output(path: Path, text: str, option: str) -> None:
    """Write ``text`` to the file ``path`` given as ``option``, or an OutputError that names
    it and the system's reason."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise OutputError(f"{option} {path}: {e.strerror or e}") from e
