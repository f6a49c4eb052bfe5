"""The run scheduler: which tasks a run needs, where each one runs, and how results land.

Checks (and a quick run's timings) go to a pool of spawned worker processes, pinned one per CPU
for ``--quick``; a full run's timings run afterwards in this process, alone on the machine, one
case at a time, each with its own NumPy control (``control@<case>``). Each unit of work is
committed to the folder as it ends (``reports.rundir``): a worker task's checks and timings,
one case's timings here. An interrupted run keeps every unit it finished, and ``--resume``
plans the whole selection again and leaves out exactly the committed units: a unit cut short
is done again in full. What a task does inside a worker is ``reports.tasks``; the
sub-commands that call this are ``reports.commands``.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cases.smoke import is_smoke
from reports.rundir import RunFolder
from reports.selection import Selection
from reports.tasks import QUICK_UNTIMED_EAGER, Options, Task, run_task, time_case, worker_setup

__all__ = ["QUICK_CHUNK", "TASKS_PER_WORKER", "execute", "failed_result", "label",
           "write_result"]

QUICK_CHUNK = 6  # cases per quick task
# A pool worker process is replaced after this many tasks. The frameworks' caches (a case's
# compiled XLA programs, traced tf.functions) outlive its task, so a long-lived worker only
# grows: the first full run of the matrix (every case, adapter, mode and dtype; 2026-12-07)
# took a worker to 10 GB, where XLA's LLVM said "Cannot allocate memory" and the process then
# died in a segfault, 410 cases in. A new worker costs its framework imports (a few seconds).
TASKS_PER_WORKER = 40

Groups = tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # (modes, adapter names) pairs
CheckItem = tuple[str, str, str, str]  # case, adapter, mode, dtype


def execute(selection: Selection, folder: RunFolder, options: Options, *, checks: bool,
            timings: bool, jobs: int, resume: bool, description: str, quiet: bool,
            scheduler: str | None = None) -> bool:
    """Run every task, writing each result as it arrives; False when interrupted (Ctrl-C):
    what was written stays, and --resume continues. ``scheduler``: a Dask scheduler's
    address, or ``local:N`` (reports.cluster); None: the local process pool."""
    worker, main = _plan(selection, folder, quick=options.quick, resume=resume,
                         checks=checks, timings=timings)
    total = sum(t.size for t in worker) + sum(t.size for t in main)
    try:
        with _progress(total, description, quiet) as advance:
            if scheduler is not None or not options.quick:
                from reports.shards import case_costs

                # the largest tasks first (by the costs --shard balances with): a run lasts at
                # least as long as its largest task, which then starts at once (--quick plans
                # its own order: the models first, a few cases per task)
                costs = case_costs(selection)
                worker.sort(key=lambda t: -sum(costs.get(c, 0.0) for c in _cases_of(t)))
            if scheduler is not None:
                from reports.cluster import run_on_cluster

                run_on_cluster(scheduler, worker, main, options, folder, advance,
                               adapters=[a.name for a in selection.adapters])
                return True
            _in_workers(worker, options, folder, jobs, advance)
            for task in main:
                _time_here(task, options, folder, advance)
    except KeyboardInterrupt:
        print(f"\ninterrupted: what was done is in {folder.path}; "
              f"add --resume to continue it", file=sys.stderr)
        return False
    return True


# --- planning ---------------------------------------------------------------------------------
def _timing_groups(selection: Selection, adapters: list[Any], case: Any) -> Groups:
    """Adapters that run the same modes are timed together (interleaved in the same rounds)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    eager_only = bool(selection.eager_tags & set(case.tags))
    for adapter in adapters:
        modes = tuple(selection.modes_of(adapter, case))
        if eager_only and adapter.name in QUICK_UNTIMED_EAGER:
            continue  # --quick: checked eagerly, not timed (see reports.tasks)
        if modes:
            groups.setdefault(modes, []).append(adapter.name)
    # One group when the union of the modes gives every adapter exactly its own: then all are
    # sampled in the same rounds (their ratios pair round by round), not in one call per set
    # of modes. (``--quick`` asks JAX for jit and TensorFlow for eager: two groups.)
    union = tuple(dict.fromkeys(m for modes in groups for m in modes))
    by_name = {a.name: a for a in adapters}
    if len(groups) > 1 and all(
            tuple(m for m in union if m in by_name[name].modes) == modes
            for modes, names in groups.items() for name in names):
        return ((union, tuple(n for names in groups.values() for n in names)),)
    return tuple((modes, tuple(names)) for modes, names in groups.items())


def _plan(selection: Selection, folder: RunFolder, *, quick: bool, resume: bool,
          checks: bool, timings: bool) -> tuple[list[Task], list[Task]]:
    """The tasks for the workers (checks; with --quick, timings too) and those for the main
    process (the timings of a full run), leaving out the units --resume finds committed.

    The whole selection is planned first and the committed units taken out afterwards, so that
    a quick run's tasks group the same cases as the first time: a task is committed whole,
    and its control (named after its first case) is measured with the same cases again."""
    per_case: dict[str, list[CheckItem]] = {}
    if checks:
        for c, a, m, d in selection.combinations():
            per_case.setdefault(c.name, []).append((c.name, a.name, m, d))
    to_time: dict[str, Groups] = {}
    if timings:
        for case in selection.cases:
            if "boundary" in case.tags:
                continue  # its parent case at one point: the same function, size and timing
            if selection.time_smoke_only and not is_smoke(case.tags):
                continue  # --quick times the smoke selection only (its note says so)
            groups = _timing_groups(selection, selection.adapters, case)
            if groups:
                to_time[case.name] = groups
    with_work = [c.name for c in selection.cases if c.name in per_case or c.name in to_time]
    if resume:
        checked, timed = folder.checks_done(), folder.timings_done()
        per_case = {name: kept for name, items in per_case.items()
                    if (kept := [item for item in items if item not in checked])}
        to_time = {name: groups for name, groups in to_time.items() if name not in timed}
    worker: list[Task] = []
    main: list[Task] = []
    if quick:
        # The models are the slowest cases: their tasks go first, so that no worker is left
        # with a long task at the end (planned last here, then the list is reversed).
        models = {c.name for c in selection.cases if "model" in c.tags}
        ordered = ([n for n in with_work if n not in models]
                   + [n for n in with_work if n in models])
        # A few cases per task: each task's timing call warms every framework up once.
        for start in range(0, len(ordered), QUICK_CHUNK):
            worker += _quick_tasks(ordered[start:start + QUICK_CHUNK], per_case, to_time)
        worker.reverse()
    else:
        worker = [Task(checks=tuple(items)) for items in per_case.values()]
        by_groups: dict[Groups, list[str]] = {}
        for name, groups in to_time.items():
            by_groups.setdefault(groups, []).append(name)
        main = [Task(timing_cases=tuple(names), groups=groups)
                for groups, names in by_groups.items()]
    return worker, main


def _quick_tasks(chunk: list[str], per_case: dict[str, list[CheckItem]],
                 to_time: dict[str, Groups]) -> list[Task]:
    checks = tuple(item for name in chunk for item in per_case.get(name, []))
    by_groups: dict[Groups, list[str]] = {}
    for name in chunk:
        if name in to_time:
            by_groups.setdefault(to_time[name], []).append(name)
    if not by_groups:
        return [Task(checks=checks)] if checks else []
    tasks = []
    for i, (groups, names) in enumerate(by_groups.items()):
        tasks.append(Task(checks=checks if i == 0 else (), timing_cases=tuple(names),
                          groups=groups))
    return tasks


# --- running ----------------------------------------------------------------------------------
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


def write_result(folder: RunFolder, task: Task, result: dict[str, Any]) -> None:
    """Commit a task's records: it is one unit, there whole or not at all; its host's
    environment goes to environment.json the first time that host appears."""
    if result.get("host"):
        folder.add_host(result["host"], result.get("host_environment", {}))
    process = f"{result['host']}:{result['pid']}" if result.get("remote") else str(result["pid"])
    folder.commit(conformance=result["conformance"], timing=result["timing"],
                  checks=task.checks, timed=task.timing_cases, notes=result["notes"],
                  process=process)


_write = write_result


def _cases_of(task: Task) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*(c for c, _, _, _ in task.checks), *task.timing_cases)))


def label(task: Task) -> str:
    names = task.timing_cases or tuple(dict.fromkeys(c for c, _, _, _ in task.checks))
    return names[0] if len(names) == 1 else f"{names[0]} .. {names[-1]}"


def _in_workers(tasks: list[Task], options: Options, folder: RunFolder, jobs: int,
                advance: Any) -> None:
    if jobs == 1 or len(tasks) < 2:
        try:
            for task in tasks:
                _write(folder, task, run_task(task, options))  # written now: a crash keeps it
                advance(task.size, note=label(task))
        finally:
            gc.unfreeze()  # a quick run's timings leave the heap frozen (tasks._POINTS)
        return
    import multiprocessing

    # spawn, not fork: the frameworks' thread pools do not survive a fork.
    context = multiprocessing.get_context("spawn")
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = options.quick and jobs * options.threads <= len(cpus)
    initargs = ((options.threads, context.Value("i", 0), cpus) if pin
                else (options.threads,))
    # A pinned worker keeps its CPUs for the run, so it is never replaced; otherwise a worker
    # is replaced after TASKS_PER_WORKER tasks.
    _pool_run(tasks, options, folder, jobs, advance, context=context, initargs=initargs,
              tasks_per_worker=None if pin else TASKS_PER_WORKER)


def _pool_run(tasks: list[Task], options: Options, folder: RunFolder, jobs: int, advance: Any,
              *, context: Any, initargs: tuple[Any, ...], tasks_per_worker: int | None) -> None:
    """The tasks on a pool of ``jobs`` processes, at most ``jobs`` in flight, each result
    committed as it arrives. A worker process that dies (a segfault, the OOM killer) breaks
    the pool: the tasks in flight go back to the queue as suspects and a new pool starts. A
    suspect runs alone, so a death then is its own: after ``ALLOWED_FAILURES`` + 1 of them
    it is committed as failed (an ``error`` record per check, with the reason), as on a
    cluster. Nothing is lost or committed twice."""
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    from reports.cluster_tasks import ALLOWED_FAILURES, in_pool

    queue = deque(tasks)
    suspects: dict[int, int] = {}  # id(task) -> deaths while it ran alone
    while queue:
        pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=worker_setup,
                                   initargs=initargs, max_tasks_per_child=tasks_per_worker)
        running: dict[Any, Task] = {}
        try:
            while queue or running:
                alone = any(id(t) in suspects for t in running.values())
                while queue and len(running) < jobs and not alone:
                    if running and id(queue[0]) in suspects:
                        break  # a suspect waits for the pool to empty, then runs alone
                    task = queue[0]  # left in the queue if the pool is broken already
                    running[pool.submit(in_pool, task, options)] = task
                    queue.popleft()
                    alone = id(task) in suspects
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()  # BrokenProcessPool when a worker died
                    task = running.pop(future)
                    _write(folder, task, result)  # written as each finishes
                    advance(task.size, note=label(task))
        except BrokenProcessPool as error:
            in_flight = list(running.values())
            for task in reversed(in_flight):
                if len(in_flight) == 1 and id(task) in suspects:
                    suspects[id(task)] += 1
                    if suspects[id(task)] > ALLOWED_FAILURES:
                        _write(folder, task, failed_result(task, options, (
                            f"not done: the worker process running this task alone died "
                            f"{suspects[id(task)]} times ({type(error).__name__}: "
                            f"{str(error).splitlines()[0][:300]}); run the case again to "
                            f"retry it")))
                        advance(task.size, note=label(task))
                        continue
                else:
                    suspects.setdefault(id(task), 0)
                queue.appendleft(task)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def failed_result(task: Task, options: Options, reason: str) -> dict[str, Any]:
    """A task given up on: its checks as ``error`` records (check ``task``), its timings as a
    failure note, each with ``reason``."""
    import cases

    conformance = [
        {"run_id": options.run_id, "case": case, "tags": cases.get(case).tags,
         "adapter": adapter, "mode": mode, "dtype": dtype, "check": "task",
         "status": "error", "message": reason, "host": ""}
        for case, adapter, mode, dtype in task.checks]
    notes = {"failures": [{"case": case, "adapter": "*", "returncode": None,
                           "timed_out": False, "stderr_tail": reason}
                          for case in task.timing_cases]} if task.timing_cases else {}
    return {"conformance": conformance, "timing": [], "notes": notes, "pid": "",
            "host": "", "remote": True}


def _time_here(task: Task, options: Options, folder: RunFolder, advance: Any) -> None:
    """A full run's timings, in this process, one case at a time: each case's records (every
    adapter, mode, dtype and size, and the control measured with them) are one unit,
    committed when the case is done."""
    for case in task.timing_cases:
        write_result(folder, Task(timing_cases=(case,), groups=task.groups),
                     time_case(case, task.groups, options))
        advance(note=case)
