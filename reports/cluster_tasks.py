"""What a Dask worker runs for reports.cluster: a task, its host's timing lock, the version
report, and the documented test hooks. Kept apart from reports.cluster so that a worker
imports what a task needs (reports.tasks) and not the client's side (pandas, the run folder).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from reports.tasks import Options, Task, run_task, time_case

__all__ = ["ALLOWED_FAILURES", "BASE_PACKAGES", "FAKE_VERSION", "KILL", "in_pool", "on_worker",
           "versions_here", "worker_versions"]

# Deaths of the worker running a task before the task is committed as failed (LocalCluster,
# and the local process pool of reports.runner).
ALLOWED_FAILURES = 2
FAKE_VERSION = "GRADPARITY_TEST_FAKE_VERSION"  # test hook: package=version a worker reports
KILL = "GRADPARITY_TEST_KILL"  # test hook: once:PATH or always:CASE (reports.cluster)
BASE_PACKAGES = ("numpy", "scipy", "gradparity")


def versions_here(adapter_names: Sequence[str]) -> dict[str, str]:
    """The versions a worker must share with the client: numpy, scipy, gradparity, and the
    frameworks of the selected adapters (as they report them), with the git commit of the
    suite when it runs from a checkout."""
    import importlib.metadata

    import adapters
    from cases.timing.environment import git_commit

    out: dict[str, str] = {}
    for name in BASE_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    for name in adapter_names:
        out.update({k: str(v) for k, v in adapters.get(name).versions().items()})
    commit = git_commit()
    if commit:
        out["gradparity git commit"] = str(commit)
    return out


def worker_versions(adapter_names: Sequence[str]) -> dict[str, Any]:
    """On a worker: its host and versions (with the test hook's fake version applied)."""
    from reports.environment import host_name

    found = versions_here(adapter_names)
    fake = os.environ.get(FAKE_VERSION, "")
    if "=" in fake:
        package, _, version = fake.partition("=")
        found[package] = version
    return {"host": host_name(), "versions": found}


_CONFIGURED: list[int] = []  # the thread count this worker process was set up with


def on_worker(task: Task, options: Options, timing: bool) -> dict[str, Any]:
    """A task, on a worker: checks (and --quick's timings) as in the local pool, or one
    case's full timings under its host's timing lock."""
    if _CONFIGURED != [options.threads]:
        from adapters import threads as thread_control

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        thread_control.configure(options.threads)
        _CONFIGURED[:] = [options.threads]
    if timing:
        from distributed import Lock

        from reports.environment import host_name

        with Lock(f"gradparity-timing@{host_name()}"):  # one timing at a time per host
            result = time_case(task.timing_cases[0], task.groups, options)
    else:
        result = run_task(task, options)
    _test_kill(task)
    result["remote"] = True
    return result


def in_pool(task: Task, options: Options) -> dict[str, Any]:
    """A task in a worker of the local process pool (reports.runner), with the same test hook
    as on a cluster."""
    result = run_task(task, options)
    _test_kill(task)
    return result


def _test_kill(task: Task) -> None:
    """The test hook ``GRADPARITY_TEST_KILL`` (see the module docstring)."""
    how, _, what = os.environ.get(KILL, "").partition(":")
    if how == "once" and what:
        try:
            with open(what, "x"):
                pass
        except FileExistsError:
            return
        os._exit(86)
    names = {c for c, _, _, _ in task.checks} | set(task.timing_cases)
    if how == "always" and what in names:
        os._exit(86)
