"""Bad command lines get an exit status and a message that names the problem, never a
traceback, a silent no-op or a half-made run folder; SIGTERM is handled as Ctrl-C; compare
says what only one run covers."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from reports.cli import (
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUN_FOLDER,
    EXIT_USAGE,
    main,
)
from reports.render import covered_lines
from reports.rundir import RunFolder

from .test_reports import CONFORMANCE, TIMING, conf, make_run

ROOT = Path(__file__).resolve().parent.parent
LIGHT = ["--adapters", "refengine,autograd", "--jobs", "1", "--quiet"]
MARKED = "intro\n<!-- gradparity:results:start -->\nold\n<!-- gradparity:results:end -->\n"


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    """The exit status and stderr of ``main(argv)``, which must not raise or print a
    traceback."""
    status = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err


# (argv before --out, exit status, a fragment of the message)
BAD_RUNS = [
    (["check", "--cases", "sin", *LIGHT, "--threads", "0"], EXIT_USAGE,
     "argument --threads: must be at least 1, got 0"),
    (["check", "--cases", "sin", *LIGHT, "--threads", "-1"], EXIT_USAGE,
     "argument --threads: must be at least 1, got -1"),
    (["bench", "--cases", "sin", *LIGHT, "--threads", "two"], EXIT_USAGE,
     "argument --threads: expected a whole number, got 'two'"),
    (["check", "--cases", "sin", *LIGHT, "--seed", "-1"], EXIT_USAGE,
     "argument --seed: must be at least 0, got -1"),
    (["check", "--cases", "", *LIGHT], EXIT_USAGE, "--cases '' names nothing"),
    (["run", "--quick", "--cases", ",", *LIGHT], EXIT_USAGE, "--cases ',' names nothing"),
    (["check", "--cases", "sin", "--tags", "", *LIGHT], EXIT_USAGE, "--tags '' names nothing"),
    (["check", "--cases", "sin", "--adapters", "", "--jobs", "1"], EXIT_USAGE,
     "--adapters '' names nothing"),
    (["run", "--quick", "--cases", "sin", "--dtypes", "", *LIGHT], EXIT_USAGE,
     "--dtypes '' names nothing"),
    (["check", "--cases", "sin", "--tags", "model", *LIGHT], EXIT_USAGE,
     "no case named by --cases 'sin' has any of the tags model"),
    (["check", "--cases", "sin", "--modes", "jit", *LIGHT], EXIT_USAGE,
     "--modes jit leaves nothing to run: refengine has eager; autograd has eager"),
    (["check", "--cases", "hypot-huge", "--dtypes", "float32", *LIGHT], EXIT_USAGE,
     "--dtypes float32 leaves nothing to run: the selected cases have float64 only"),
    (["bench", "--cases", "sin", "--sizes", "0,99", *LIGHT], EXIT_USAGE,
     "no selected case has a sweep index 99; the longest sweep here has 3 sizes"),
    (["run", "--cases", "gmm,sin", "--sizes", "26", *LIGHT], EXIT_USAGE,
     "the longest sweep here has 26 sizes (indices 0 to 25)"),  # gmm: 1 + GradBench's 25
    (["bench", "--cases", "sin", "--sizes", "", *LIGHT], EXIT_USAGE, "--sizes takes"),
    (["bench", "--cases", "sort-tie", *LIGHT], EXIT_USAGE,
     "--sizes sweep leaves nothing to time: the selected cases have no timing sweep"),
    (["bench", "--cases", "sort-tie", "--sizes", "smallest", *LIGHT], EXIT_USAGE,
     "--sizes smallest leaves nothing to time"),
    (["check", "--cases", "sin", *LIGHT, "--readme", "{tmp}/missing.md"], EXIT_USAGE,
     "--readme {tmp}/missing.md: No such file or directory"),
    (["check", "--cases", "sin", *LIGHT, "--readme", "{tmp}"], EXIT_USAGE,
     "--readme {tmp}: Is a directory"),
    (["check", "--cases", "sin", *LIGHT, "--readme", "{tmp}/plain.md"], EXIT_USAGE,
     "has no '<!-- gradparity:results:start -->'"),
    (["check", "--cases", "sin", *LIGHT, "--out", "{tmp}/plain.md/run"], EXIT_RUN_FOLDER,
     "cannot write a run folder at {tmp}/plain.md/run: Not a directory"),
    (["check", "--cases", "sin", *LIGHT, "--out", "{tmp}/plain.md"], EXIT_RUN_FOLDER,
     "{tmp}/plain.md exists and is not a folder"),
]


@pytest.mark.parametrize(("argv", "status", "message"), BAD_RUNS,
                         ids=[m.split(":")[0][:40] for _, _, m in BAD_RUNS])
def test_bad_run_options_are_refused_before_the_folder_is_made(argv, status, message,
                                                                 tmp_path, capsys) -> None:
    (tmp_path / "plain.md").write_text("no markers\n")
    argv = [a.format(tmp=tmp_path) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "run")]
    got, err = run_cli(argv, capsys)
    assert got == status, err
    assert message.format(tmp=tmp_path) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.md"]  # nothing half made
    assert (tmp_path / "plain.md").read_text() == "no markers\n"


@pytest.mark.parametrize(("argv", "note"), [
    (["check", "--cases", "sin", "--adapters", "refengine,jax", "--modes", "jit"],
     "--modes jit: left out refengine (refengine has eager)"),
    (["check", "--cases", "sin,hypot-huge", "--dtypes", "float32"],
     "--dtypes float32: left out the cases that have none of them: hypot-huge"),
    (["bench", "--cases", "sin,rk4-lotka-volterra", "--sizes", "0,1"],
     "--sizes 0,1: timed at fewer sizes (or none), their sweep being shorter: "
     "rk4-lotka-volterra"),
    (["run", "--cases", "sin,sort-tie"],
     "not timed (no timing sweep, --sizes sweep): sort-tie"),
    (["check", "--tags", "ode", "--adapters", "jax", "--modes", "jit"],
     "left out rk4-lotka-volterra on jax jit: measured not to finish (jax.jit unrolls the 40 "
     "Python-loop RK4 steps and XLA's CPU compile time grows superlinearly with their "
     "number); name it in --cases to run it anyway"),
])
def test_what_an_option_leaves_out_is_said(argv, note, tmp_path, capsys, monkeypatch) -> None:
    """Options that leave part of the selection out say so (on stderr, and in
    environment.json) before the run starts."""
    from reports import commands

    ran = []
    monkeypatch.setattr(commands, "execute", lambda *a, **k: ran.append(a) or True)
    monkeypatch.setattr(commands, "_finish", lambda *a, **k: EXIT_OK)
    light = [] if "--adapters" in argv else ["--adapters", "refengine,autograd"]
    status, err = run_cli([*argv, *light, "--jobs", "1", "--quiet", "--out", tmp_path / "run"],
                          capsys)
    assert status == EXIT_OK and ran
    assert f"gradparity: note: {note}" in err
    folder = RunFolder.open(tmp_path / "run")
    assert note in folder.environment()["run"]["notes"]
    assert f"- {note}" in covered_lines(folder.environment())  # the summary says it too


def test_list_with_empty_tags_is_refused(capsys) -> None:
    status, err = run_cli(["list", "cases", "--tags", ""], capsys)
    assert status == EXIT_USAGE and "--tags '' names nothing" in err


def test_smallest_skips_a_case_without_a_sweep(tmp_path, capsys) -> None:
    """--sizes smallest times the first sweep size; a case without a sweep is not timed
    (and said to be), where the harness used to fail on it."""
    status, err = run_cli(["bench", "--quick", "--cases", "sin,sort-tie", "--sizes", "smallest",
                           *LIGHT, "--out", tmp_path / "run"], capsys)
    assert status == EXIT_OK
    assert "not timed (no timing sweep, --sizes smallest): sort-tie" in err
    timing = RunFolder.open(tmp_path / "run").timing()
    assert set(timing.loc[timing["case"] == "sin", "size"]) == {"n=100"}
    assert "sort-tie" not in set(timing["case"])


def _read_only(path: Path) -> Path:
    """``path`` made read-only; skip where file modes do not stop this user (root)."""
    path.chmod(0o555)
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except PermissionError:
        return path
    path.chmod(0o755)
    pytest.skip("this user writes through file modes (root); run as another user")


def test_read_only_places_are_folder_errors(tmp_path, capsys) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    _read_only(ro)
    try:
        status, err = run_cli(["check", "--cases", "sin", *LIGHT, "--out", ro / "run"], capsys)
        assert status == EXIT_RUN_FOLDER
        assert f"cannot write a run folder at {ro / 'run'}: Permission denied" in err
    finally:
        ro.chmod(0o755)
    run = make_run(tmp_path / "run").path
    before = sorted(p.name for p in run.iterdir())
    _read_only(run)
    try:
        for argv in (["report", run], ["check", "--cases", "sin", *LIGHT, "--out", run,
                                       "--resume"]):
            status, err = run_cli(argv, capsys)
            assert status == EXIT_RUN_FOLDER and "Permission denied" in err
            assert str(run) in err
        (tmp_path / "README.md").write_text(MARKED)
        (tmp_path / "README.md").chmod(0o444)
        status, err = run_cli(["report", run, "--readme", tmp_path / "README.md"], capsys)
        assert status == EXIT_USAGE
        assert f"--readme {tmp_path / 'README.md'}: Permission denied" in err
    finally:
        run.chmod(0o755)
    assert sorted(p.name for p in run.iterdir()) == before


def test_a_report_that_cannot_be_written_is_a_folder_error(tmp_path, capsys) -> None:
    run = make_run(tmp_path / "run").path
    (run / "plots").write_text("a file where the plots go")
    status, err = run_cli(["report", run], capsys)
    assert status == EXIT_RUN_FOLDER
    assert f"cannot write the reports: {run / 'plots'}: File exists" in err


@pytest.mark.parametrize(("argv", "status", "message"), [
    (["compare", "{run}", "{run}", "--out", "{tmp}/plain.md/cmp.md"], EXIT_USAGE,
     "--out {tmp}/plain.md/cmp.md: Not a directory"),
    (["report", "{run}", "--readme", "{tmp}/plain.md/README.md"], EXIT_USAGE,
     "--readme {tmp}/plain.md/README.md: Not a directory"),
    (["explain", "abs-at-zero", "--frameworks", "none", "--out", "{tmp}/plain.md/x"],
     EXIT_USAGE, "--out {tmp}/plain.md/x: Not a directory"),
    (["explain", "abs-at-zero", "--frameworks", "none", "--format", "html", "--out",
      "{tmp}/plain.md/x"], EXIT_USAGE, "--out {tmp}/plain.md/x: Not a directory"),
])
def test_outputs_that_cannot_be_written_are_usage_errors(argv, status, message, tmp_path,
                                                         capsys) -> None:
    make_run(tmp_path / "run")
    (tmp_path / "plain.md").write_text("a file\n")
    subs = {"tmp": tmp_path, "run": tmp_path / "run"}
    got, err = run_cli([a.format(**subs) for a in argv], capsys)
    assert got == status
    assert message.format(**subs) in err


@pytest.mark.parametrize(("kind", "line", "column", "bad", "message"), [
    ("timing", 2, "median_s", "abc",
     "timing record 2 (gmm, refengine): median_s is 'abc', not a number"),
    ("conformance", 1, "max_rel_err", "1e-1x",
     "conformance record 1 (add, torch): max_rel_err is '1e-1x', not a number"),
])
def test_a_record_with_a_bad_value_names_its_file(kind, line, column, bad, message, tmp_path,
                                                  capsys) -> None:
    run = make_run(tmp_path / "run").path
    target = run / f"{kind}.csv"
    lines = target.read_text().splitlines(keepends=True)
    cells = lines[line].split(",")
    where = lines[0].split(",").index(column)
    assert len(cells[where]) == len(bad)  # the file keeps its length: only the value is bad
    cells[where] = bad
    lines[line] = ",".join(cells)
    target.write_text("".join(lines))
    for argv in (["report", run], ["compare", run, run]):
        status, err = run_cli(argv, capsys)
        assert status == EXIT_RUN_FOLDER
        assert f"gradparity: {target} cannot be read: {message}" in err
    assert not (run / "summary.md").exists()


def test_compare_compares_what_both_runs_cover_and_says_what_one_lacks(tmp_path,
                                                                        capsys) -> None:
    make_run(tmp_path / "a")
    fewer = [dict(CONFORMANCE[0], status="fail"), CONFORMANCE[1]]  # add only, and it fails
    make_run(tmp_path / "b", conformance=fewer, timings=TIMING[:2])
    status = main(["compare", str(tmp_path / "a"), str(tmp_path / "b")])
    out, err = capsys.readouterr()
    assert status == EXIT_FAILURES
    assert "- checks in both runs, compared: 2" in out
    assert ("- checks only in A, not compared: 5 (such as abs-at-zero/jax/eager/float64/kink, "
            "abs-at-zero/torch/eager/float64/kink, gmm/autograd/eager/float64/vjp_vs_oracle, "
            "...)") in out
    assert "- timings only in A, not compared: 7" in out
    assert "New failures (A passed, B fails) (1)" in out
    assert "compared the 2 checks both runs have; 5 only in A and 0 only in B" in err


def test_compare_with_nothing_in_common_says_so(tmp_path, capsys) -> None:
    make_run(tmp_path / "a")
    make_run(tmp_path / "b", conformance=[conf("other", "torch", "pass")], timings=[])
    status = main(["compare", str(tmp_path / "a"), str(tmp_path / "b")])
    out, err = capsys.readouterr()
    assert status == EXIT_USAGE
    assert "_(none)_" not in out
    assert out.count("_(nothing compared: no record in both runs)_") == 5
    assert "- checks only in B, not compared: 1 (such as other/torch/eager/float64" in out
    assert "nothing to compare: the runs share no check and no timing" in err


SIGTERM_SECOND_TASK = textwrap.dedent("""
    import os, signal, sys
    from reports import runner
    from reports.cli import main

    real, calls = runner.run_task, []

    def terminated_second(task, options):
        calls.append(task)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill` or a cancelled CI job would
        return real(task, options)

    runner.run_task = terminated_second
    runner.QUICK_CHUNK = 1  # one case per task
    sys.exit(main(sys.argv[1:]))
""")


def test_sigterm_is_handled_as_ctrl_c(tmp_path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", SIGTERM_SECOND_TASK, "check", "--quick", "--cases", "sin,cos",
         "--out", str(out), *LIGHT], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == EXIT_INTERRUPTED, done.stderr
    assert f"interrupted: what was done is in {out}; add --resume" in done.stderr
    assert "Traceback" not in done.stderr
    assert RunFolder.open(out).conformance()["case"].nunique() == 1  # the first task's
    assert (out / "summary.md").exists()  # rendered from what was done


@pytest.mark.parametrize(("argv", "message"), [
    (["--seed", "-1"], "argument --seed: must be at least 0, got -1"),
    (["--max-nodes", "1"], "argument --max-nodes: must be at least 2, got 1"),
    (["--max-nodes", "many"], "argument --max-nodes: expected a whole number, got 'many'"),
])
def test_explain_options_are_checked_by_the_parser(argv, message, capsys) -> None:
    # explain's --seed -1 and --max-nodes 1 used to reach the explainer and exit 1 as if the
    # function had failed; they are usage errors, named by the option.
    status, err = run_cli(["explain", "abs-at-zero", "--frameworks", "none", *argv], capsys)
    assert status == EXIT_USAGE
    assert message in err
    assert "Traceback" not in err


def test_a_combination_measured_not_to_finish_runs_only_when_named() -> None:
    # rk4-lotka-volterra's jax.jit VJP: one XLA compile held a worker of the first full matrix
    # for 51 minutes. A tag or pattern leaves it out; its exact name puts it back.
    from types import SimpleNamespace

    import adapters
    import cases
    from reports.selection import select

    def jax_modes(selection_text: str, tags: str | None = None) -> list[str]:
        args = SimpleNamespace(cases=selection_text, tags=tags, adapters="jax", modes=None,
                               dtypes=None)
        return select(args).modes_of(adapters.get("jax"), cases.get("rk4-lotka-volterra"))

    if not adapters.get("jax").available():
        pytest.skip("jax unavailable")
    assert jax_modes("rk4-*") == ["eager"]
    assert jax_modes(None, tags="ode") == ["eager"]
    assert jax_modes("rk4-lotka-volterra") == ["eager", "jit"]
