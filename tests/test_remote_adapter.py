"""Out-of-process adapters (``adapters.remote``), with a worker from this very environment.

The worker runs refengine under ``sys.executable``: its records must equal the in-process
adapter's, a killed or hung worker must give error records that say so while the next call
starts a fresh worker, and a function that cannot be named to another process is unsupported.
Cost, measured on this 2-core machine: about 8 s (four worker starts of ~0.7 s each, a 1 s
hang, 3 cases checked, one timed).
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np
import pytest

import adapters
import cases
from adapters import environments, wire
from adapters.outcomes import FrameworkError, Unsupported
from adapters.remote import RemoteAdapter
from cases.conformance import run_case

CASES = ("sin", "maximum-tie", "norm-vector-2")  # elementwise, a kink, a scalar reduction


@pytest.fixture(scope="module")
def remote() -> RemoteAdapter:
    adapter = RemoteAdapter("refengine", sys.executable)
    yield adapter
    adapter.close()


def crash(xp, x):  # named by module and qualname in the worker
    os.kill(os.getpid(), signal.SIGKILL)


def hang(xp, x):
    time.sleep(60)


def cube(xp, x):
    return xp.sum(x ** 3)


def fields(record):
    return (record.check, record.status, record.max_abs_err, record.tol, record.got,
            record.expected, record.convention, record.message)


@pytest.mark.parametrize("name", CASES)
def test_records_equal_the_in_process_adapters(remote, name):
    case = cases.get(name)
    here = run_case(case, "refengine", dtype="float32")
    there = run_case(case, remote, dtype="float32")
    assert [r.check for r in there] == [r.check for r in here]
    for a, b in zip(here, there):
        assert fields(a) == pytest.approx(fields(b), nan_ok=True), a.check


def test_the_worker_reports_what_the_adapter_is(remote):
    assert remote.available()
    assert remote.modes == adapters.get("refengine").modes
    assert remote.coverage() == adapters.get("refengine").coverage()
    assert "refengine" in remote.versions()


def test_a_killed_worker_gives_an_error_record_and_the_run_goes_on():
    adapter = RemoteAdapter("refengine", sys.executable)
    try:
        assert adapter.available()
        os.kill(adapter._hello()["pid"], signal.SIGKILL)
        adapter._worker.proc.wait()  # dead before the next call
        records = run_case(cases.get("sin"), adapter, checks=["vjp_vs_oracle", "determinism"])
        assert records[0].status == "error"
        assert "exited with status -9 (signal 9)" in records[0].message
        # the next call started a fresh worker
        assert records[1].status == "pass" and adapter.starts == 2
        with pytest.raises(FrameworkError, match="signal 9"):
            adapter.value(crash, (np.ones(3),))
        assert adapter.value(cube, (np.arange(3.0),)) == 9.0
    finally:
        adapter.close()


def test_a_hung_worker_is_killed_after_its_timeout():
    adapter = RemoteAdapter("refengine", sys.executable, timeout_s=1.0)
    try:
        assert adapter.available()
        start = time.monotonic()
        with pytest.raises(FrameworkError, match="did not answer within 1 s and was killed"):
            adapter.value(hang, (np.ones(3),))
        assert time.monotonic() - start < 30
        assert adapter.value(cube, (np.arange(3.0),)) == 9.0
    finally:
        adapter.close()


def test_timings_are_made_in_the_worker(remote):
    from cases.timing import RunNotes, run_timings

    notes = RunNotes()
    records = list(run_timings(["sum-all"], [remote], sizes="smallest", quick=True,
                               quantities=("forward",), notes=notes, pin=False, memory=False))
    assert [(r.case, r.adapter, r.quantity) for r in records] == [
        ("sum-all", "refengine", "forward"), ("control@refengine", "numpy", "forward")]
    assert any(p.startswith("refengine worker") for p in notes.environment["processes"])
    assert not notes.failures


def test_a_function_that_cannot_be_named_is_unsupported(remote):
    with pytest.raises(Unsupported, match="cannot be named to another process"):
        remote.value(lambda xp, x: x, (np.ones(2),))


def test_an_adapter_without_its_environment_is_unavailable_with_the_command(monkeypatch,
                                                                             tmp_path):
    monkeypatch.setattr(environments, "ROOT", tmp_path)  # no .venv-mxnet there
    monkeypatch.delenv(environments.ENVS_VARIABLE, raising=False)
    if environments.interpreter_for("mxnet") is not None or _importable("mxnet"):
        pytest.skip("mxnet is importable here")
    adapter = adapters._out_of_process("mxnet", "cpu")
    status = adapter.available()
    assert not status and "python -m adapters.environments mxnet" in status.reason
    records = run_case(cases.get("sin"), adapter)
    assert {r.status for r in records} == {"unsupported"}
    assert "python -m adapters.environments mxnet" in records[0].message


def test_envs_variable_names_any_adapter(monkeypatch):
    monkeypatch.setenv(environments.ENVS_VARIABLE, f"refengine={sys.executable}, x=/p/python")
    assert environments.interpreter_for("refengine") == sys.executable
    assert environments.interpreter_for("x") == "/p/python"
    monkeypatch.setenv(environments.ENVS_VARIABLE, "refengine")
    with pytest.raises(ValueError, match="adapter=/path/to/python"):
        environments.configured()


def test_wire_keeps_shapes_and_dtypes():
    r, w = os.pipe()
    value = {"a": (np.array(2.5, np.float32), [np.arange(6).reshape(2, 3)[:, ::2]]),
             "b": np.array([True, False]), "c": np.float64(1.5), "d": None}
    wire.write_frame(w, value)
    got = wire.read_frame(r)
    os.close(w)
    assert wire.read_frame(r) is None  # a clean end of file
    os.close(r)
    a, (b,) = got["a"]
    assert a.shape == () and a.dtype == np.float32 and a == 2.5
    assert b.tolist() == [[0, 2], [3, 5]]
    assert got["b"].dtype == bool and got["c"].shape == () and got["d"] is None


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_making_an_environment_that_fails_goes_on_unless_strict(monkeypatch, capsys):
    import subprocess

    def fail(name, **_):
        raise subprocess.CalledProcessError(1, ["pip", "install", "mxnet==1.9.1"])

    monkeypatch.setattr(environments, "prepare", fail)
    assert environments.main(["mxnet"]) == 0
    assert "mxnet is unavailable until" in capsys.readouterr().err
    assert environments.main(["--strict", "mxnet"]) == 1
    assert environments.main(["nosuch"]) == 2
