"""The local process pool (reports.runner) when a worker process dies or is replaced: the
default path of every run must lose nothing and commit nothing twice, as a Dask cluster does.

Found by the first full run of the matrix (2026-12-07): one pool worker grew to 10 GB, XLA's
LLVM failed to allocate, the process died in a segfault, and the whole run stopped with
``BrokenProcessPool`` 410 cases in. A worker is now replaced every ``TASKS_PER_WORKER`` tasks,
and a pool broken by a death starts again with the tasks it held. The deaths here come from
the test hook ``GRADPARITY_TEST_KILL`` (reports.cluster_tasks), read by the pool's workers.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from reports import commands, runner
from reports.cli import EXIT_OK, main
from reports.cluster_tasks import ALLOWED_FAILURES, KILL
from reports.rundir import RunFolder

CHECK = ["check", "--cases", "sin,op-add,cos", "--adapters", "refengine", "--dtypes",
         "float64", "--quiet"]
VARYING = ["run_id", "seconds"]  # what a measurement or the run's name decides


@pytest.fixture(autouse=True)
def no_plots(monkeypatch):
    monkeypatch.setattr(commands, "render", lambda folder: {})  # the records, not the pictures


def records(path) -> pd.DataFrame:
    frame = RunFolder.open(path).conformance().drop(columns=VARYING)
    return frame.sort_values(["case", "adapter", "mode", "dtype", "check"]).reset_index(
        drop=True)


def commits(path) -> list[dict]:
    return [json.loads(line) for line in (path / "commits.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def in_one_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "run"
    assert main([*CHECK, "--jobs", "1", "--out", str(out)]) == EXIT_OK
    return records(out)


def test_a_worker_killed_mid_task_loses_and_duplicates_nothing(in_one_process, tmp_path,
                                                                monkeypatch):
    # The first worker to finish a task dies before sending it: the pool breaks, a new one
    # runs that task (and its neighbour in flight) again.
    monkeypatch.setenv(KILL, f"once:{tmp_path / 'killed'}")
    out = tmp_path / "run"
    assert main([*CHECK, "--jobs", "2", "--out", str(out)]) == EXIT_OK
    assert (tmp_path / "killed").exists()  # a worker did die
    pd.testing.assert_frame_equal(records(out), in_one_process)
    units = [tuple(u) for c in commits(out) for u in c["checks"]]
    assert len(units) == len(set(units)) == 3


def test_a_task_whose_worker_always_dies_is_recorded_failed_with_the_reason(tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv(KILL, "always:sin")
    out = tmp_path / "run"
    main([*CHECK, "--jobs", "2", "--out", str(out), "--no-fail"])
    frame = RunFolder.open(out).conformance()
    sin = frame[frame["case"] == "sin"]
    assert len(sin) == 1 and set(sin["check"]) == {"task"} and set(sin["status"]) == {"error"}
    assert sin["message"].str.contains(f"alone died {ALLOWED_FAILURES + 1} times").all()
    for case in ("op-add", "cos"):  # the tasks beside it ran as usual, each once
        assert (frame["case"] == case).sum() > 3 and "task" not in set(
            frame.loc[frame["case"] == case, "check"])


def test_workers_are_replaced_after_their_share_of_tasks(in_one_process, tmp_path,
                                                         monkeypatch):
    monkeypatch.setattr(runner, "TASKS_PER_WORKER", 1)
    out = tmp_path / "run"
    assert main([*CHECK, "--jobs", "2", "--out", str(out)]) == EXIT_OK
    pd.testing.assert_frame_equal(records(out), in_one_process)
    assert len({c["process"] for c in commits(out)}) == 3  # a new process for every task
