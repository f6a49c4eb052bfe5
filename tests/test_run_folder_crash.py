"""What survives a crash (reports.rundir): --resume redoes exactly the units not committed, a
torn row is never read as a record, one command at a time writes a folder, and --resume keeps
the selection it continues. The light adapters (refengine, autograd) keep each run a few
seconds; a full run's timing budget is cut to the quick one where a test times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from reports import runner
from reports.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FOLDER, EXIT_USAGE, main
from reports.rundir import RunFolder

ROOT = Path(__file__).resolve().parents[1]
LIGHT = ["--adapters", "refengine,autograd", "--jobs", "1", "--quiet"]
# A record's identity: everything but what a measurement or the clock decides.
CONFORMANCE_KEY = ("case", "tags", "adapter", "mode", "device", "dtype", "check", "status",
                   "convention")
TIMING_KEY = ("case", "adapter", "mode", "device", "dtype", "size", "n_inputs", "quantity",
              "threads", "memory_method")


def record_keys(path: Path) -> Counter:
    """The multiset of the folder's committed records, by identity."""
    folder = RunFolder.open(path)
    keys: Counter = Counter()
    for kind, frame, columns in (("conformance", folder.conformance(), CONFORMANCE_KEY),
                                 ("timing", folder.timing(), TIMING_KEY)):
        for row in frame[list(columns)].astype(str).itertuples(index=False):
            keys[(kind, *row)] += 1
    return keys


def note_keys(path: Path) -> Counter:
    """The multiset of the timing notes' entries (what was not timed, the control per point)."""
    notes = RunFolder.open(path).timing_notes()
    return Counter(json.dumps({k: v for k, v in entry.items()
                               if k not in ("median_s", "n_samples")},
                              sort_keys=True)
                   for key in ("skipped", "control") for entry in notes[key])


def folder_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()
            and p.suffix in (".csv", ".jsonl", ".json")}


@pytest.fixture
def short_budget(monkeypatch):
    """A full run's timings with the quick budget: these tests count records, not seconds."""
    import cases.timing.run as timing_run
    from cases.timing.sampler import QUICK

    monkeypatch.setattr(timing_run, "DEFAULT", QUICK)


@pytest.fixture(scope="module")
def quick_sin(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sin"
    assert main(["run", "--quick", "--cases", "sin", "--out", str(out), *LIGHT]) == EXIT_OK
    return out


def copy_of(folder: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / folder.name
    shutil.copytree(folder, out)
    return out


# --- resume per unit --------------------------------------------------------------------------
def test_ctrl_c_in_the_middle_of_bench_redoes_the_case_with_every_size_and_its_control(
        tmp_path, monkeypatch, short_budget) -> None:
    from reports import commands

    monkeypatch.setattr(commands, "render", lambda folder: {})  # records, not plots
    argv = ["bench", "--cases", "sin,cos", "--sizes", "0,1", "--dtypes", "float64",
            "--adapters", "refengine", "--jobs", "1", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "whole")]) == EXIT_OK
    from reports import tasks

    real = tasks.time_cases  # one case's timings: reports.tasks.time_case, here or on a worker

    def interrupted(*args, **kwargs):
        sizes = set()
        for record in real(*args, **kwargs):
            if record["case"] == "cos":
                sizes.add(record["size"])
                if len(sizes) == 2:  # cos's first size timed, its second under way
                    raise KeyboardInterrupt
            yield record

    monkeypatch.setattr(tasks, "time_cases", interrupted)
    out = tmp_path / "cut"
    assert main([*argv, "--out", str(out)]) == EXIT_INTERRUPTED
    assert set(RunFolder.open(out).timing()["case"]) == {"sin", "control@sin"}
    monkeypatch.setattr(tasks, "time_cases", real)
    assert main([*argv, "--out", str(out), "--resume"]) == EXIT_OK
    assert record_keys(out) == record_keys(tmp_path / "whole")
    timing = RunFolder.open(out).timing()
    assert set(timing.loc[timing["case"] == "cos", "size"]) == {"n=100", "n=10000"}
    assert (timing["case"] == "control@cos").sum() == 1  # the NumPy control, measured


def test_rows_past_the_last_commit_are_left_out_and_redone(quick_sin, tmp_path,
                                                          capsys) -> None:
    out = copy_of(quick_sin, tmp_path)
    whole = record_keys(out)
    commits = out / "commits.jsonl"
    lines = commits.read_bytes().splitlines(keepends=True)
    # A crash after the last unit's rows were written and before its commit line was.
    commits.write_bytes(b"".join(lines[:-1]))
    assert record_keys(out) == Counter()  # sin's one quick task was the only unit
    assert "left out" in capsys.readouterr().err
    assert main(["run", "--quick", "--cases", "sin", "--out", str(out), "--resume",
                 *LIGHT]) == EXIT_OK
    assert "dropped" in capsys.readouterr().err
    assert record_keys(out) == whole


def test_a_commit_that_fails_takes_its_rows_back_out(quick_sin, tmp_path,
                                                    monkeypatch) -> None:
    import errno

    from reports import rundir

    out = copy_of(quick_sin, tmp_path)
    before = folder_bytes(out)
    real = rundir._append_bytes

    def disk_full_at_the_commit_line(target, data):
        if target.name == "commits.jsonl":
            real(target, data[:7])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(target, data)

    monkeypatch.setattr(rundir, "_append_bytes", disk_full_at_the_commit_line)
    folder = RunFolder.create(out, resume=True)
    row = RunFolder.open(out).conformance().iloc[0].to_dict()
    with pytest.raises(OSError, match="No space"):
        folder.commit(conformance=[row], checks=[("x", "refengine", "eager", "float64")])
    folder.close()
    assert folder_bytes(out) == before  # the rows and the half line are gone again


class CommittedFolder:
    """A run folder's committed units, and nothing else (what planning asks of a folder)."""

    def __init__(self, tasks=()):
        self.checks = {item for task in tasks for item in task.checks}
        self.timed = {name for task in tasks for name in task.timing_cases}

    def checks_done(self):
        return self.checks

    def timings_done(self):
        return self.timed


def test_a_resumed_quick_run_plans_the_same_tasks_as_the_first(monkeypatch) -> None:
    """Whatever set of a quick run's tasks was committed, --resume plans exactly the others,
    grouped as before, so each timing task measures its control with the same cases again."""
    from itertools import combinations
    from types import SimpleNamespace

    from reports.selection import Selection
    from reports.tasks import QUICK_EAGER_TAGS, QUICK_MODES

    def case(name, *tags):
        return SimpleNamespace(name=name, tags=tags or ("elementwise",), dtypes=("float64",))

    adapters = [SimpleNamespace(name="jax", modes=("eager", "jit")),
                SimpleNamespace(name="refengine", modes=("eager",))]
    # A loop is checked eagerly and not timed by JAX: its chunk splits into two tasks.
    selection = Selection([case("a"), case("b"), case("loop", "control-flow"), case("c"),
                           case("d")], adapters, None, None, adapter_modes=dict(QUICK_MODES),
                          eager_tags=QUICK_EAGER_TAGS)
    monkeypatch.setattr(runner, "QUICK_CHUNK", 2)
    plan = {"quick": True, "checks": True, "timings": True}
    tasks, _ = runner._plan(selection, CommittedFolder(), resume=False, **plan)
    assert len(tasks) == 4
    for n in range(len(tasks) + 1):
        for committed in combinations(tasks, n):
            left, _ = runner._plan(selection, CommittedFolder(committed), resume=True, **plan)
            assert set(left) == set(tasks) - set(committed), committed


def test_a_quick_run_starts_with_the_models_and_times_no_boundary_point(monkeypatch) -> None:
    """The models (the slowest cases) are the first tasks wherever the library lists them, so
    no worker is left with one at the end; a boundary point (its parent case at one point:
    the same function and size) is checked but not timed again."""
    from types import SimpleNamespace

    from reports.selection import Selection
    from reports.tasks import QUICK_EAGER_TAGS, QUICK_MODES

    def case(name, *tags):
        return SimpleNamespace(name=name, tags=tags or ("elementwise",), dtypes=("float64",))

    adapters = [SimpleNamespace(name="refengine", modes=("eager",))]
    selection = Selection([case("a"), case("gmm", "model"), case("b"),
                           case("b-at-zero", "boundary"), case("c")], adapters, None, None,
                          adapter_modes=dict(QUICK_MODES), eager_tags=QUICK_EAGER_TAGS)
    monkeypatch.setattr(runner, "QUICK_CHUNK", 1)
    tasks, _ = runner._plan(selection, CommittedFolder(), resume=False, quick=True, checks=True,
                            timings=True)
    assert tasks[0].timing_cases == ("gmm",)
    timed = [name for task in tasks for name in task.timing_cases]
    checked = {item[0] for task in tasks for item in task.checks}
    assert "b-at-zero" not in timed and "b-at-zero" in checked
    assert sorted(timed) == ["a", "b", "c", "gmm"]
    # --quick over the whole library (no --cases/--tags): every case checked, the smoke
    # selection's timed (reports.commands says so before the run)
    smoke = runner._plan(replace(selection, time_smoke_only=True), CommittedFolder(),
                         resume=False, quick=True, checks=True, timings=True)[0]
    assert [n for task in smoke for n in task.timing_cases] == ["gmm"]
    assert {item[0] for task in smoke for item in task.checks} == checked


# --- torn rows --------------------------------------------------------------------------------
def test_report_leaves_a_torn_row_out_and_says_so(quick_sin, tmp_path, capsys) -> None:
    out = copy_of(quick_sin, tmp_path)
    whole = record_keys(out)
    with open(out / "conformance.csv", "ab") as f:
        f.write(b"sin,sin,elementwise,refengine,0.1.0,eager,cpu,flo")  # a write cut short
    assert main(["report", str(out)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "conformance.csv: left out" in err and "a part" in err
    assert record_keys(out) == whole


def test_an_older_folder_drops_a_last_row_without_its_newline(quick_sin, tmp_path,
                                                             capsys) -> None:
    out = copy_of(quick_sin, tmp_path)
    env = json.loads((out / "environment.json").read_text())
    del env["record_commits"]  # as written before commits existed
    (out / "environment.json").write_text(json.dumps(env))
    (out / "commits.jsonl").unlink()
    whole = record_keys(out)
    with open(out / "timing.csv", "ab") as f:
        f.write(b"sin,sin,refengine,eager,cpu,float64,n=1")
    assert record_keys(out) == whole
    assert "a last row without its newline" in capsys.readouterr().err
    assert main(["run", "--quick", "--cases", "sin", "--out", str(out), "--resume",
                 *LIGHT]) == EXIT_RUN_FOLDER  # it cannot tell a finished unit from a cut one
    assert "earlier gradparity" in capsys.readouterr().err


# --- one command at a time --------------------------------------------------------------------
def test_a_second_command_on_a_folder_in_use_is_refused(quick_sin, tmp_path, capsys) -> None:
    out = copy_of(quick_sin, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom reports.rundir import RunFolder\n"
         "folder = RunFolder.create(sys.argv[1], resume=True)\nprint('locked', flush=True)\n"
         "time.sleep(600)", str(out)],
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline() == b"locked\n"
        before = folder_bytes(out)
        for extra in (["--resume"], ["--force"]):
            assert main(["run", "--quick", "--cases", "sin", "--out", str(out), *extra,
                         *LIGHT]) == EXIT_RUN_FOLDER
            err = capsys.readouterr().err
            assert f"in use by another gradparity command (pid {holder.pid}:" in err
            assert "choose another --out" in err
        assert folder_bytes(out) == before
    finally:
        holder.kill()
        holder.wait()
    # The lock went with the process that held it, killed as it was.
    assert main(["run", "--quick", "--cases", "sin", "--out", str(out), "--resume",
                 *LIGHT]) == EXIT_OK


# --- one selection per folder -----------------------------------------------------------------
@pytest.mark.parametrize(("extra", "named"), [
    (["--cases", "sin,cos"], "cases: this command adds cos"),
    (["--cases", "sin", "--adapters", "refengine"], "modes: the folder's run has"),
    (["--cases", "sin", "--dtypes", "float32"], "dtypes: this command adds float32"),
    (["--cases", "sin", "--seed", "1"], "seed: the folder's run has 0, this command 1"),
    (["--cases", "sin", "--sizes", "smallest"], "sizes: the folder's run has 'check'"),
])
def test_resume_with_another_selection_is_refused(quick_sin, tmp_path, capsys, extra,
                                                  named) -> None:
    out = copy_of(quick_sin, tmp_path)
    before = folder_bytes(out)
    argv = ["run", "--quick", "--out", str(out), "--resume", *LIGHT, *extra]
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert named in err and "new --out" in err
    assert folder_bytes(out) == before
    RunFolder.create(out, resume=True).close()  # and the folder is not left locked


def test_resume_may_change_the_number_of_workers(quick_sin, tmp_path) -> None:
    out = copy_of(quick_sin, tmp_path)
    assert main(["run", "--quick", "--cases", "sin", "--out", str(out), "--resume",
                 "--adapters", "refengine,autograd", "--jobs", "2", "--quiet"]) == EXIT_OK


# --- fault injection --------------------------------------------------------------------------
# Two small runs: a full one (each case's checks, then each case's timings: 4 units) and a
# quick one (two worker tasks of checks and timings). GRADPARITY_FAULT_TRIALS=200 for more.
FAULT_RUNS = (
    ["run", "--cases", "sin,op-add", "--sizes", "0,1", "--dtypes", "float64"],
    ["run", "--quick", "--cases", "sin,cos,exp,log,tanh,op-add,sqrt"],
)
FAULT_FLAGS = ["--adapters", "refengine", "--jobs", "1", "--quiet"]
FAULT_TRIALS = int(os.environ.get("GRADPARITY_FAULT_TRIALS", "10"))


def run_killed(argv: list[str], out: Path, *, tear_at: int = 0,
               after_s: float | None = None) -> tuple[int, float, str]:
    """``gradparity ARGV --out OUT`` in its own process group (tests/crash_cli.py: a short
    timing budget, no rendering, and with ``tear_at`` a SIGKILL halfway through that write
    into the folder); with ``after_s``, the whole group is killed (SIGKILL) that many seconds
    after the run folder appears. Returns the exit status (negative: killed), the seconds
    from the folder's appearance to the end, and what it wrote on stderr."""
    import tempfile
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT), "TEAR_AT": str(tear_at)}
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "crash_cli.py"), *argv, "--out", str(out)],
            env=env, start_new_session=True, stderr=err)
        while process.poll() is None and not (out / "environment.json").exists():
            time.sleep(0.005)
        appeared = time.perf_counter()
        try:
            process.wait(timeout=after_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        err.seek(0)
        return process.returncode, time.perf_counter() - appeared, err.read().decode()


def writes_of(path: Path) -> int:
    """The writes an uninterrupted run made into the folder: each commit's CSVs and line."""
    commits = [json.loads(line) for line in (path / "commits.jsonl").read_text().splitlines()]
    writes, before = 0, {}
    for commit in commits:
        writes += 1 + sum(before.get(name, 0) != size for name, size in commit["lengths"].items())
        before = commit["lengths"]
    return writes


def state_after_kill(path: Path) -> str:
    """Where the kill left the folder: 'no records yet', 'inside a unit' (bytes past the last
    commit: a torn row, a unit's rows without their commit, a torn commit line) or 'between
    units'."""
    journal = path / "commits.jsonl"
    data = journal.read_bytes() if journal.exists() else b""
    lines = data.splitlines()
    lengths = json.loads(lines[-1])["lengths"] if data.endswith(b"\n") else {}
    sizes = {name: (path / name).stat().st_size if (path / name).exists() else 0
             for name in ("conformance.csv", "timing.csv")}
    if not data.endswith(b"\n") and data:
        return "inside a unit"
    if any(size != lengths.get(name, 0) for name, size in sizes.items()):
        return "inside a unit"
    return "between units" if data else "no records yet"


def test_killed_at_random_points_resume_gives_the_uninterrupted_records(tmp_path) -> None:
    """FAULT_TRIALS times: start a run, kill it (SIGKILL at a random moment of its work, or
    halfway through a chosen write), sometimes kill its --resume too, then --resume to the
    end: the records must be those of an uninterrupted run, none lost and none twice, and
    what a crash left readable must always be a part of them."""
    import numpy as np

    rng = np.random.default_rng(24)
    references = []
    for i, argv in enumerate(FAULT_RUNS):
        out = tmp_path / f"reference-{i}"
        code, seconds, err = run_killed([*argv, *FAULT_FLAGS], out)
        assert code == EXIT_OK, err
        references.append((record_keys(out), note_keys(out), writes_of(out), seconds))
    outcomes: Counter = Counter()
    for trial in range(FAULT_TRIALS):
        which = trial % len(FAULT_RUNS)
        keys, notes, writes, seconds = references[which]
        out = tmp_path / f"trial-{trial}"
        argv = [*FAULT_RUNS[which], *FAULT_FLAGS]
        for attempt in range(1 + (rng.random() < 0.3)):  # sometimes the resume is killed too
            resume = ["--resume"] if attempt else []
            if rng.random() < 0.5:
                code, _, _ = run_killed([*argv, *resume], out,
                                        tear_at=int(rng.integers(1, writes + 1)))
            else:
                code, _, _ = run_killed([*argv, *resume], out,
                                        after_s=float(rng.uniform(0, seconds)))
            state = state_after_kill(out) if code != EXIT_OK else "finished first"
            outcomes[state] += 1
            if (out / "environment.json").exists():
                readable = record_keys(out)
                assert readable == readable & keys, (trial, state)  # a part, nothing twice
        code, _, err = run_killed([*argv, "--resume"], out)
        assert code == EXIT_OK, (trial, err)
        assert record_keys(out) == keys, trial
        assert note_keys(out) == notes, trial
    print(f"\nfault injection: {FAULT_TRIALS} runs killed, resumed and compared; kills: "
          + ", ".join(f"{state} {n}" for state, n in sorted(outcomes.items())))
    assert outcomes["inside a unit"] > 0 and outcomes["between units"] > 0


def test_a_quick_run_covers_a_smoke_only_adapter_on_the_smoke_selection() -> None:
    """--quick runs MXNet (QUICK_SMOKE_ONLY) on the cases tagged model, kink or nn only, and
    every other adapter on every case; without the selection's smoke_only nothing is left
    out."""
    from types import SimpleNamespace

    from reports.selection import Selection
    from reports.tasks import QUICK_SMOKE_ONLY

    assert "mxnet" in QUICK_SMOKE_ONLY
    plain, model = (SimpleNamespace(name=n, tags=t, dtypes=("float64",))
                    for n, t in (("sin", ("elementwise",)), ("gmm", ("model",))))
    adapters = [SimpleNamespace(name="mxnet", modes=("eager",)),
                SimpleNamespace(name="torch", modes=("eager",))]
    quick = Selection([plain, model], adapters, None, None, smoke_only=QUICK_SMOKE_ONLY)
    pairs = {(c.name, a.name) for c, a, _, _ in quick.combinations()}
    assert pairs == {("sin", "torch"), ("gmm", "torch"), ("gmm", "mxnet")}
    full = Selection([plain, model], adapters, None, None)
    assert {(c.name, a.name) for c, a, _, _ in full.combinations()} == pairs | {("sin", "mxnet")}


def test_a_quick_run_leaves_out_a_smoke_only_adapters_costly_combinations() -> None:
    """MXNet's particle and saddle (cases.conventions.COSTLY: their values only, at ~15 CPU s
    each) stay out of its quick smoke selection; other adapters keep them, and a case
    COSTLY does not list stays."""
    from types import SimpleNamespace

    from cases.conventions import costly
    from reports.selection import Selection
    from reports.tasks import QUICK_SMOKE_ONLY

    assert costly("particle", "mxnet", "eager") is not None
    named = [SimpleNamespace(name=n, tags=("model",), dtypes=("float64",))
             for n in ("particle", "saddle", "gmm")]
    adapters = [SimpleNamespace(name="mxnet", modes=("eager",)),
                SimpleNamespace(name="torch", modes=("eager",))]
    quick = Selection(named, adapters, None, None, smoke_only=QUICK_SMOKE_ONLY)
    pairs = {(c.name, a.name) for c, a, _, _ in quick.combinations()}
    assert pairs == {("particle", "torch"), ("saddle", "torch"), ("gmm", "torch"),
                     ("gmm", "mxnet")}
