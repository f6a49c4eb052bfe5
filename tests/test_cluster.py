"""``--scheduler``: a run's tasks on a Dask cluster (reports.cluster). One LocalCluster of two
worker processes serves the tests (started once, about 3 CPU seconds), reached by its address
as an external cluster would be; the light adapters (refengine, autograd) on two cases keep
each run a few seconds. A worker is made to die, or to report another version, through the
test hooks that reports.cluster documents (environment variables set on the running workers).
"""

from __future__ import annotations

import json
import logging
import os
import sys

import pandas as pd
import pytest

from cases.pytest_plugin import _slow_wanted
from reports import commands
from reports.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main
from reports.rundir import RunFolder

if os.environ.get("GRADPARITY_REQUIRE_FRAMEWORKS"):
    import distributed  # noqa: F401  (CI installs gradparity[distributed]: fail, never skip)
else:
    pytest.importorskip("distributed", reason='pip install "gradparity[distributed]"')

from reports.cluster import (
    ALLOWED_FAILURES,
    FAKE_VERSION,
    KILL,
    ClusterError,
    parse_scheduler,
)

CHECK = ["check", "--cases", "sin,op-add", "--adapters", "refengine", "--dtypes", "float64",
         "--quiet"]
# What a measurement or the run's name decides; everything else must be equal.
VARYING = ["run_id", "seconds"]


@pytest.fixture(scope="module")
def cluster():
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                             memory_limit=0, dashboard_address=None,
                             silence_logs=logging.CRITICAL)
    client = Client(local)
    yield local.scheduler_address, client
    client.close()
    local.close()


@pytest.fixture(autouse=True)
def no_plots(monkeypatch):
    monkeypatch.setattr(commands, "render", lambda folder: {})  # the records, not the pictures


def set_on_workers(client, name: str, value: str | None) -> None:
    """Set (None: remove) an environment variable in every worker process (a lambda: sent by
    value, it changes the worker's own os.environ)."""
    client.run(lambda: os.environ.__setitem__(name, value) if value is not None
               else os.environ.pop(name, None))


def records(path) -> pd.DataFrame:
    frame = RunFolder.open(path).conformance().drop(columns=VARYING)
    return frame.sort_values(["case", "adapter", "mode", "dtype", "check"]).reset_index(
        drop=True)


@pytest.fixture(scope="module")
def local_pool(tmp_path_factory):
    out = tmp_path_factory.mktemp("pool") / "run"
    assert main([*CHECK, "--jobs", "1", "--out", str(out)]) == EXIT_OK
    return records(out)


def committed_units(path) -> list[tuple]:
    lines = (path / "commits.jsonl").read_text().splitlines()
    return [tuple(unit) for line in lines for unit in json.loads(line)["checks"]]


def test_on_a_cluster_of_two_workers(cluster, local_pool, tmp_path, capsys) -> None:
    """One test (one xdist worker, one cluster started): the local pool's records, a worker
    killed mid-task, other versions refused."""
    gives_the_local_pools_records(cluster, local_pool, tmp_path / "same")
    a_worker_killed_mid_task_loses_and_duplicates_nothing(cluster, local_pool,
                                                          tmp_path / "killed")
    workers_with_other_versions_are_refused(cluster, tmp_path / "versions", capsys)


def gives_the_local_pools_records(cluster, local_pool, tmp_path) -> None:
    address, _ = cluster
    out = tmp_path / "run"
    assert main([*CHECK, "--scheduler", address, "--out", str(out)]) == EXIT_OK
    pd.testing.assert_frame_equal(records(out), local_pool)
    units = committed_units(out)
    assert len(units) == len(set(units)) == 2  # case x adapter x mode x dtype
    folder = RunFolder.open(out)
    host = set(folder.conformance()["host"])
    assert len(host) == 1 and "" not in host  # every record names its host
    assert set(folder.hosts()) == host and folder.hosts()[host.pop()]["cpu_count"]
    assert folder.environment()["run"]["scheduler"] == address


def test_a_local_cluster_restarts_its_workers_between_tasks(local_pool, tmp_path,
                                                            monkeypatch) -> None:
    """``local:N`` restarts a worker every TASKS_PER_WORKER tasks, as the pool replaces its
    own (the first full matrix on local:2 grew workers to 13 and 10 GB). Here after every
    task: the records are the pool's, each unit committed once, one restart per task."""
    from distributed import Client

    from reports import cluster as cluster_module

    restarted: list[list[str]] = []
    real = Client.restart_workers

    def counting(self, workers, *args, **kwargs):
        restarted.append(list(workers))
        return real(self, workers, *args, **kwargs)

    monkeypatch.setattr(cluster_module, "TASKS_PER_WORKER", 1)
    monkeypatch.setattr(Client, "restart_workers", counting)
    out = tmp_path / "run"
    assert main([*CHECK, "--scheduler", "local:2", "--out", str(out)]) == EXIT_OK
    pd.testing.assert_frame_equal(records(out), local_pool)
    units = committed_units(out)
    assert len(units) == len(set(units)) == 2
    assert len(restarted) == 2 and all(len(w) == 1 for w in restarted), restarted


@pytest.mark.slow
def test_ctrl_c_keeps_what_was_committed_and_resume_sends_only_the_rest(tmp_path,
                                                                       request) -> None:
    if not _slow_wanted(request.config):
        pytest.skip("--gp-slow: the same commits as the local pool's (tests/test_cli_run.py), "
                    "two more runs on the cluster, ~1 CPU s")
    from reports import cluster as cluster_module

    address, _ = request.getfixturevalue("cluster")
    local_pool = request.getfixturevalue("local_pool")
    real, calls = cluster_module.write_result, []

    def interrupt_second(folder, task, result):
        calls.append(task)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(folder, task, result)

    out = tmp_path / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cluster_module, "write_result", interrupt_second)
        assert main([*CHECK, "--scheduler", address, "--out", str(out)]) == EXIT_INTERRUPTED
    assert len(committed_units(out)) == 1
    assert main([*CHECK, "--scheduler", address, "--out", str(out), "--resume"]) == EXIT_OK
    pd.testing.assert_frame_equal(records(out), local_pool)
    units = committed_units(out)
    assert len(units) == len(set(units)) == 2


def a_worker_killed_mid_task_loses_and_duplicates_nothing(cluster, local_pool,
                                                          tmp_path) -> None:
    address, client = cluster
    tmp_path.mkdir()
    marker = tmp_path / "a worker died"
    set_on_workers(client, KILL, f"once:{marker}")
    try:
        out = tmp_path / "run"
        assert main([*CHECK, "--scheduler", address, "--out", str(out)]) == EXIT_OK
    finally:
        client.wait_for_workers(2, timeout=60)  # the nanny's restart, for the next tests
        set_on_workers(client, KILL, None)
    assert marker.exists()  # a worker finished a task and died before sending it
    pd.testing.assert_frame_equal(records(out), local_pool)  # redone elsewhere, once
    units = committed_units(out)
    assert len(units) == len(set(units)) == 2


def workers_with_other_versions_are_refused(cluster, tmp_path, capsys) -> None:
    """Naming the worker, the package and both versions, before any folder is made."""
    address, client = cluster
    set_on_workers(client, FAKE_VERSION, "numpy=0.0.0-fake")
    try:
        out = tmp_path / "run"
        assert main([*CHECK, "--scheduler", address, "--out", str(out)]) == EXIT_USAGE
    finally:
        set_on_workers(client, FAKE_VERSION, None)
    err = capsys.readouterr().err
    import numpy

    assert err.count("numpy 0.0.0-fake, this process numpy " + numpy.__version__) == 2
    assert "worker tcp://" in err and "refused" in err
    assert not out.exists()  # refused before the run folder was made


@pytest.mark.slow
def test_a_bench_times_on_the_workers_one_case_at_a_time_per_host(tmp_path, request) -> None:
    if not _slow_wanted(request.config):
        pytest.skip("--gp-slow: timings on the workers, ~1.5 CPU s")
    address, client = request.getfixturevalue("cluster")  # not started for a skip

    def short_budget() -> None:  # on the workers: the quick budget (records, not seconds)
        import cases.timing.run as timing_run
        from cases.timing.sampler import QUICK

        timing_run.DEFAULT = QUICK

    client.run(short_budget)
    out = tmp_path / "run"
    assert main(["bench", "--cases", "sin,cos", "--adapters", "refengine", "--dtypes",
                 "float64", "--sizes", "check", "--quiet", "--scheduler", address,
                 "--out", str(out)]) == EXIT_OK
    folder = RunFolder.open(out)
    timing = folder.timing()
    assert set(timing["case"]) == {"sin", "cos", "control@sin", "control@cos"}
    assert timing["host"].nunique() == 1 and (timing["host"] != "").all()
    timed = [c for line in (out / "commits.jsonl").read_text().splitlines()
             for c in json.loads(line)["timed"]]
    assert sorted(timed) == ["cos", "sin"]  # one unit per case, each once
    assert "one case at a time per host" in folder.environment()["run"]["timing"]["where"]


@pytest.mark.slow
def test_a_task_whose_worker_always_dies_is_recorded_failed_with_the_reason(
        tmp_path, monkeypatch, request) -> None:
    if not _slow_wanted(request.config):
        pytest.skip("--gp-slow: three worker deaths and a cluster of its own, ~40 s")
    # its own LocalCluster (local:2, the command's own): its nannies start every worker, the
    # restarted ones too, with this environment
    monkeypatch.setenv(KILL, "always:sin")
    out = tmp_path / "run"
    main([*CHECK, "--scheduler", "local:2", "--out", str(out), "--no-fail"])
    frame = RunFolder.open(out).conformance()
    sin = frame[frame["case"] == "sin"]
    assert len(sin) == 1  # one record per (adapter, mode, dtype) the task held
    assert set(sin["check"]) == {"task"} and set(sin["status"]) == {"error"}
    assert sin["message"].str.contains(f"died {ALLOWED_FAILURES + 1} times").all()
    assert (frame["case"] == "op-add").sum() > 3  # the other case ran as usual


@pytest.mark.parametrize("text, message", [("local:0", "local:N"), ("local", "local:N"),
                                           ("nowhere", "neither")])
def test_a_bad_scheduler_is_refused(text, message) -> None:
    with pytest.raises(ClusterError, match=message):
        parse_scheduler(text)


def test_without_dask_the_message_says_what_to_install(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    out = tmp_path / "run"
    assert main([*CHECK, "--scheduler", "local:2", "--out", str(out)]) == EXIT_USAGE
    assert 'pip install "gradparity[distributed]"' in capsys.readouterr().err
    assert not out.exists()


def test_a_worker_that_joins_later_with_other_versions_stops_the_run() -> None:
    """Its task's host environment is compared before the commit (a result, no cluster)."""
    from reports.cluster import VersionMismatchError, _same_versions
    from reports.environment import host_environment

    versions = host_environment()["versions"]
    _same_versions({"host": "h", "host_environment": {"versions": dict(versions)}})
    other = {**versions, "numpy": "0.0.0-other"}
    with pytest.raises(VersionMismatchError) as refused:
        _same_versions({"host": "h", "host_environment": {"versions": other}})
    assert f"host h: numpy 0.0.0-other, this process numpy {versions['numpy']}" in str(
        refused.value)
