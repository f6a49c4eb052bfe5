"""``gradparity run``/``bench`` end to end on a few cases with the light adapters (refengine
and HIPS autograd load in a second): the run folder, --quick, --resume, Ctrl-C, --gzip and
--readme (what survives a crash: tests/test_run_folder_crash.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from reports import runner
from reports.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main
from reports.rundir import RunFolder

LIGHT = ["--adapters", "refengine,autograd", "--jobs", "1", "--quiet"]


def quick_run(out, *cases, extra=()):
    return main(["run", "--quick", "--cases", ",".join(cases), "--out", str(out), *LIGHT,
                 *extra])


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    assert quick_run(out, "sin", "op-add") == EXIT_OK
    return out


def test_quick_run_writes_every_file_and_says_what_it_covered(sample_run) -> None:
    names = {p.name for p in sample_run.iterdir()}
    assert {"conformance.csv", "timing.csv", "environment.json", "timing_notes.json",
            "summary.md", "report.html", "divergences.md", "plots"} <= names
    folder = RunFolder.open(sample_run)
    conformance, timing = folder.conformance(), folder.timing()
    assert set(conformance["case"]) == {"sin", "op-add"}
    assert set(conformance["check"]) <= {"value", "vjp_vs_refengine", "jvp_vs_refengine",
                                         "adjoint", "vjp_vs_oracle", "jvp_vs_oracle", "kink"}
    assert set(conformance["dtype"]) == {"float64"}  # --quick: float64 only
    timed = timing[timing["case"] != "control@sin"]
    assert set(timed["case"]) == {"sin", "op-add"}
    assert set(timed["adapter"]) == {"refengine", "autograd"}
    assert set(timed["quantity"]) == {"forward", "value_and_grad"}
    assert (timing["case"] == "control@sin").sum() == 1  # the NumPy control, once per task
    env = folder.environment()
    assert env["run"]["quick"] and env["run"]["timing"]["sizes"] == "check"
    summary = (sample_run / "summary.md").read_text()
    assert "## What this run covered" in summary and "--quick (a smoke run)" in summary
    assert "memory not measured" in summary
    assert "<!-- headline:start -->" in summary
    # check sizes only: said so in the headline, in place of toy timings as results
    assert "at each case's check size" in summary.split("<!-- headline:end -->")[0]


def test_resume_of_a_finished_run_redoes_nothing(sample_run, tmp_path) -> None:
    import shutil

    out = tmp_path / "run"
    shutil.copytree(sample_run, out)
    before = RunFolder.open(out)
    conformance, timing = before.conformance(), before.timing()
    assert quick_run(out, "sin", "op-add", extra=["--resume"]) == EXIT_OK
    after = RunFolder.open(out)
    pd.testing.assert_frame_equal(after.conformance(), conformance)
    pd.testing.assert_frame_equal(after.timing(), timing)
    assert "resumed" in after.environment()


def test_ctrl_c_keeps_what_was_done_and_resume_finishes(tmp_path, monkeypatch, capsys) -> None:
    real, calls = runner.run_task, []

    def interrupted_second(task, options):
        calls.append(task)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(task, options)

    monkeypatch.setattr(runner, "run_task", interrupted_second)
    monkeypatch.setattr(runner, "QUICK_CHUNK", 1)  # one case per task
    out = tmp_path / "run"
    assert main(["check", "--quick", "--cases", "sin,cos", "--out", str(out), *LIGHT]) == (
        EXIT_INTERRUPTED)
    assert "--resume" in capsys.readouterr().err
    assert RunFolder.open(out).conformance()["case"].nunique() == 1  # the first task's case
    assert (out / "summary.md").exists()  # rendered from what was done
    with open(out / "conformance.csv", "ab") as f:  # as if killed inside the next write
        f.write(b"cos,cos,elementwise,autog")
    monkeypatch.setattr(runner, "run_task", real)
    assert main(["check", "--quick", "--cases", "sin,cos", "--out", str(out), "--resume",
                 *LIGHT]) == EXIT_OK
    assert "dropped" in capsys.readouterr().err  # the torn row, and the resume goes on
    conformance = RunFolder.open(out).conformance()
    assert set(conformance["case"]) == {"sin", "cos"}
    assert not conformance.duplicated(["case", "adapter", "mode", "check"]).any()
    assert conformance["adapter"].isin(["refengine", "autograd"]).all()
    assert b",autog\n" not in (out / "conformance.csv").read_bytes()  # a fresh line after it


def test_bench_times_only(tmp_path) -> None:
    out = tmp_path / "bench"
    assert main(["bench", "--quick", "--cases", "exp", "--out", str(out), *LIGHT]) == EXIT_OK
    assert not (out / "conformance.csv").exists()
    timing = RunFolder.open(out).timing()
    assert set(timing.loc[timing["case"] == "exp", "adapter"]) == {"refengine", "autograd"}


@pytest.mark.parametrize(("argv", "message"), [
    (["bench", "--sizes", "big"], "--sizes takes"),
    (["bench", "--sizes", "-1"], "--sizes takes"),
    (["check", "--jobs", "0"], "argument --jobs: must be at least 1, got 0"),
])
def test_bad_options_are_usage_errors(argv, message, tmp_path, capsys) -> None:
    assert main([*argv, "--cases", "sin", "--out", str(tmp_path / "x")]) == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()  # nothing created before the options are valid


def test_gzip_and_readme(sample_run, tmp_path, capsys) -> None:
    import shutil

    out = tmp_path / "run"
    shutil.copytree(sample_run, out)
    folder = RunFolder.open(out)
    rows = len(folder.conformance())
    folder.compress()
    assert (out / "conformance.csv.gz").exists() and not (out / "conformance.csv").exists()
    assert len(RunFolder.open(out).conformance()) == rows
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- gradparity:results:start -->\nold\n"
                      "<!-- gradparity:results:end -->\noutro\n")
    assert main(["report", str(out), "--readme", str(readme)]) == EXIT_OK
    text = readme.read_text()
    assert "old" not in text and "at each case's check size" in text
    assert text.endswith("outro\n")
    assert "copied from run/summary.md" in text
    readme.write_text("no markers\n")
    assert main(["report", str(out), "--readme", str(readme)]) == EXIT_USAGE
    assert "markers" in capsys.readouterr().err


def test_timing_notes_merge(tmp_path) -> None:
    folder = RunFolder.create(tmp_path / "run")
    folder.write_environment({})
    fair = {"cpu_per_wall_max": 0.9, "samples": 10, "retraced": []}
    folder.add_timing_notes({"skipped": [{"case": "gmm", "status": "unsupported"}],
                             "fairness": {"torch/eager": fair}}, process="1")
    folder.add_timing_notes({"skipped": [{"case": "ba", "status": "error"}],
                             "fairness": {"torch/eager": {**fair, "cpu_per_wall_max": 1.0}}},
                            process="2")
    notes = json.loads((tmp_path / "run" / "timing_notes.json").read_text())
    assert [s["case"] for s in notes["skipped"]] == ["gmm", "ba"]
    assert notes["fairness"]["torch/eager"] == {"cpu_per_wall_max": 1.0, "samples": 20,
                                                 "retraced": []}
    assert notes["processes"] == ["1", "2"]
    assert isinstance(folder.timing(), pd.DataFrame)
