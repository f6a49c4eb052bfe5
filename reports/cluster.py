"""A run's tasks on a Dask cluster: ``--scheduler tcp://host:8786`` (a running
``dask scheduler`` with ``dask worker`` processes), or ``--scheduler local:N`` (a
``LocalCluster`` of N worker processes started for the run). Without ``--scheduler`` the local
process pool (reports.runner) does the work; Dask is the optional extra
``pip install "gradparity[distributed]"``.

What stays as with the local pool:

- **The tasks.** The same ones (reports.runner plans them): one case's checks together, so its
  oracle and refengine reference are computed once; with ``--quick``, a few cases' checks and
  timings. A full run's timings are one task per case, sent once every check is done. Tasks
  are sent largest first (the costs ``--shard`` balances by, reports.shards): on many workers
  a run lasts at least as long as its largest task, which then starts at once.
- **Records stream back.** This process commits each task's records to the run folder as the
  task finishes (reports.rundir): only this process writes, so ``--resume`` and Ctrl-C work as
  before, and a result is committed once whatever the cluster did to get it.
- **A worker that dies mid-task** loses nothing: its result never reached this process, the
  scheduler runs the task again on another worker, and after ``ALLOWED_FAILURES`` deaths (a
  ``LocalCluster`` started here; an external scheduler's own
  ``distributed.scheduler.allowed-failures`` otherwise) the task is committed as failed: one
  ``error`` record per check it held (check ``task``), or a timing failure note, each with the
  reason.
- **Timings stay fair.** A timing task takes the cluster-wide lock of its host
  (``gradparity-timing@<host>``, a ``distributed.Lock``): one timing at a time per host, the
  process pinned for the duration, as a full run times alone in the main process today; and
  timings start only after every check is done, so no check shares the host meanwhile.
- **Hosts.** Every record carries its host (``reports.environment.host_name``), and
  environment.json's ``hosts`` what each host measured with (CPU, versions, threads).

At the start every worker's versions (numpy, scipy, gradparity and the selected adapters'
frameworks) are compared with this process's; any difference refuses the run, naming the
worker, the package and both versions. A worker that joins later is checked by each result's
host environment before it is committed. Give workers one thread each (``dask worker
--nthreads 1``): two tasks in one process would share its framework thread pools.

Test hooks (environment variables read on a worker only, documented for tests):
``GRADPARITY_TEST_FAKE_VERSION=package=version`` makes a worker report that version;
``GRADPARITY_TEST_KILL=once:PATH`` makes the first worker to finish a task while ``PATH``
does not exist create it and exit before sending the result (a death mid-task),
``GRADPARITY_TEST_KILL=always:CASE`` every worker that finishes a task holding ``CASE``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from reports.cluster_tasks import (
    ALLOWED_FAILURES,
    FAKE_VERSION,
    KILL,
    on_worker,
    versions_here,
    worker_versions,
)
from reports.rundir import RunFolder
from reports.runner import TASKS_PER_WORKER, failed_result, label, write_result
from reports.tasks import Options, Task

__all__ = ["ALLOWED_FAILURES", "FAKE_VERSION", "KILL", "ClusterError", "VersionMismatchError",
           "check_versions", "connect", "parse_scheduler", "run_on_cluster", "session",
           "versions_here"]

WORKER_WAIT_S = 60  # how long an external scheduler may take to have a first worker
INSTALL = 'pip install "gradparity[distributed]"'


class ClusterError(RuntimeError):
    """The cluster cannot be used for this run; the message says why and what to do."""


class VersionMismatchError(ClusterError):
    """A worker has other versions than this process."""


def parse_scheduler(text: str) -> tuple[str | None, int | None]:
    """``local:N`` -> (None, N); an address (``tcp://host:8786``, ``host:8786``) -> (it,
    None); anything else a ClusterError naming both forms."""
    text = text.strip()
    if text.startswith("local"):
        count = text.partition(":")[2]
        if count.isdigit() and int(count) >= 1:
            return None, int(count)
        raise ClusterError(f"--scheduler {text!r}: a local cluster is local:N with N worker "
                           "processes, 1 or more (such as local:2)")
    if text and (":" in text):
        return text, None
    raise ClusterError(f"--scheduler {text!r} is neither a scheduler address (tcp://host:8786) "
                       "nor local:N (a LocalCluster of N worker processes)")


@contextmanager
def connect(scheduler: str) -> Iterator[Any]:
    """A Dask client of the scheduler at ``scheduler``, or of a LocalCluster started for
    ``local:N`` (closed again on leaving)."""
    address, workers = parse_scheduler(scheduler)
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise ClusterError(f"--scheduler needs Dask's distributed scheduler, which is not "
                           f"installed ({e}); {INSTALL}, or leave --scheduler out to use the "
                           "local process pool") from None
    if address is not None:
        try:
            client = Client(address, timeout="20s")
        except OSError as e:
            raise ClusterError(f"--scheduler {address}: no Dask scheduler answers there ({e}); "
                               "start one (dask scheduler, then dask worker ADDRESS "
                               "--nthreads 1 on each machine) or use local:N") from None
        try:
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except TimeoutError:
                raise ClusterError(f"--scheduler {address}: no worker joined in "
                                   f"{WORKER_WAIT_S} s; start some with dask worker "
                                   f"{address} --nthreads 1") from None
            yield client
        finally:
            client.close()
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        # one thread per worker process (its frameworks' pools are its own); no memory
        # limit: the nanny would restart a worker that loads every framework on a small
        # machine; no dashboard (it needs bokeh, and a port)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               memory_limit=0, dashboard_address=None,
                               silence_logs=logging.CRITICAL)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


# --- versions ------------------------------------------------------------------------------
def check_versions(client: Any, adapter_names: Sequence[str]) -> dict[str, Any]:
    """Every worker's versions against this process's; a VersionMismatchError naming each
    difference (worker, package, both versions). Returns each worker's report."""
    mine = versions_here(adapter_names)
    reports = client.run(worker_versions, list(adapter_names))
    problems = []
    for worker, report in sorted(reports.items()):
        theirs = report["versions"]
        for package in sorted(set(mine) | set(theirs)):
            if package == "gradparity git commit" and package not in theirs:
                continue  # a worker with gradparity installed, not checked out: the version
            if mine.get(package) != theirs.get(package):
                problems.append(f"  worker {worker} (host {report['host']}): {package} "
                                f"{theirs.get(package, 'not installed')}, this process "
                                f"{package} {mine.get(package, 'not installed')}")
    if problems:
        raise VersionMismatchError(
            "the workers must have this process's versions (a record says which versions "
            "measured it, and a mixed run would say it wrongly); refused:\n"
            + "\n".join(problems)
            + "\ninstall the same versions on those workers, or run without them")
    return reports


def _failed(task: Task, options: Options, error: BaseException) -> dict[str, Any]:
    """A task the cluster gave up on (``reports.runner.failed_result``)."""
    return failed_result(task, options, (
        f"not done: the worker running this task died {ALLOWED_FAILURES + 1} times or more "
        f"({type(error).__name__}: {str(error).splitlines()[0][:300]}); run the case again "
        "to retry it"))


def _same_versions(result: dict[str, Any]) -> None:
    """A task's host reported the packages both sides have at this process's versions;
    else a VersionMismatchError (its records are not committed; --resume after taking that
    worker out)."""
    from reports.environment import host_environment

    theirs = (result.get("host_environment") or {}).get("versions", {})
    mine = host_environment()["versions"]
    differ = [f"  host {result.get('host')}: {name} {theirs[name]}, this process {name} "
              f"{mine[name]}" for name in sorted(set(theirs) & set(mine))
              if theirs[name] != mine[name]]
    if differ:
        raise VersionMismatchError(
            "a worker that joined during the run has other versions; stopped before "
            "committing its task:\n" + "\n".join(differ)
            + "\ntake that worker out of the cluster and continue with --resume")


def _stream(client: Any, tasks: Sequence[Task], options: Options, folder: RunFolder,
            advance: Any, *, timing: bool, recycle_after: int | None = None) -> None:
    """Submit ``tasks`` and commit each result as it arrives. With ``recycle_after`` (a
    ``LocalCluster`` started here) at most one task per worker thread is in flight, and a
    worker process is restarted by its nanny, between tasks, once it has run that many: as the
    local pool replaces its workers (reports.runner.TASKS_PER_WORKER), since the frameworks'
    caches outlive each task. Without it (an external cluster, whose workers its owner runs,
    with ``dask worker --lifetime`` for the same purpose) every task is submitted at once."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    if not tasks:
        return
    token = uuid.uuid4().hex[:8]
    kind = "timing" if timing else "task"
    waiting = list(enumerate(tasks))[::-1]  # popped from the end: largest first
    futures: dict[str, tuple[Any, Task]] = {}
    finished = as_completed()
    ran: dict[str, int] = {}  # worker address -> tasks it ran since it (re)started

    def submit() -> None:
        i, task = waiting.pop()
        future = client.submit(on_worker, task, options, timing, pure=False,
                               key=f"gradparity-{kind}-{i}-{token}", priority=-i)
        futures[future.key] = (future, task)
        finished.add(future)

    def window() -> float:
        if recycle_after is None:
            return float("inf")
        return max(1, sum(client.nthreads().values()))

    while waiting and len(futures) < window():
        submit()
    try:
        for future in finished:
            _, task = futures.pop(future.key)
            holders = client.who_has([future]).get(future.key, ()) if recycle_after else ()
            try:
                result = future.result()
            except KilledWorker as e:
                result = _failed(task, options, e)
            _same_versions(result)  # a worker that joined after the start's check
            write_result(folder, task, result)  # committed as each finishes
            advance(task.size, note=label(task))
            future.release()
            for worker in holders:  # the worker that ran it holds its result
                ran[worker] = ran.get(worker, 0) + 1
                if ran[worker] >= (recycle_after or 0):
                    client.restart_workers([worker], raise_for_error=False)
                    ran.pop(worker)
            while waiting and len(futures) < window():
                submit()
    finally:
        client.cancel([f for f, _ in futures.values()])


_SESSION: dict[str, Any] = {}  # scheduler -> the client of the command's session


@contextmanager
def session(scheduler: str | None) -> Iterator[Any]:
    """The command's connection to ``scheduler`` (None: no cluster, nothing done): opened
    before the run folder is made, so that a cluster that cannot serve the run (unreachable,
    other versions) leaves no folder behind; ``run_on_cluster`` uses it."""
    if scheduler is None:
        yield None
        return
    with connect(scheduler) as client:
        _SESSION[scheduler] = client
        try:
            yield client
        finally:
            _SESSION.pop(scheduler, None)


def run_on_cluster(scheduler: str, worker_tasks: Sequence[Task], main_tasks: Sequence[Task],
                   options: Options, folder: RunFolder, advance: Any, *,
                   adapters: Sequence[str]) -> None:
    """The run's tasks on the cluster: the checks (and --quick's timings) first, then a full
    run's timings, one task per case. Versions are checked here unless the command's
    ``session`` checked them already."""
    with session(None if scheduler in _SESSION else scheduler) as opened:
        client = opened if opened is not None else _SESSION[scheduler]
        if opened is not None:
            check_versions(client, adapters)
        # A LocalCluster started here has its workers restarted every TASKS_PER_WORKER
        # tasks: without it the first full matrix on local:2 (2026-12-07) had workers of 13
        # and 10 GB after 538 cases, the 24 GB machine out of memory and the run crawling.
        recycle = TASKS_PER_WORKER if parse_scheduler(scheduler)[1] is not None else None
        _stream(client, worker_tasks, options, folder, advance, timing=False,
                recycle_after=recycle)
        per_case = [Task(timing_cases=(case,), groups=task.groups)
                    for task in main_tasks for case in task.timing_cases]
        _stream(client, per_case, options, folder, advance, timing=True,
                recycle_after=recycle)
