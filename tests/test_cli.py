"""The gradparity command line: argument errors, exit codes, report and compare."""

from __future__ import annotations

import pytest

from reports.cli import EXIT_FAILURES, EXIT_OK, EXIT_RUN_FOLDER, EXIT_USAGE, main

from .test_reports import CONFORMANCE, TIMING, make_run


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "--cases", "gmmm"], "unknown case 'gmmm'; did you mean 'gmm'"),
        (["check", "--tags", "modle"], "unknown tag 'modle'; did you mean 'model'"),
        (["check", "--adapters", "torchh"], "unknown adapter 'torchh'; did you mean 'torch'"),
        (["bench", "--modes", "jitt"], "unknown mode 'jitt'; did you mean 'jit'"),
        (["run", "--dtypes", "float8"], "unknown dtype 'float8'"),
        (["list", "cases", "--tags", "kinkk"], "unknown tag 'kinkk'; did you mean 'kink'"),
    ],
)
def test_unknown_names_are_usage_errors_with_the_closest_match(argv, message, capsys) -> None:
    assert main(argv) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_argparse_errors_are_usage_errors(capsys) -> None:
    assert main(["list", "everything"]) == EXIT_USAGE  # returned, as every other status
    assert "invalid choice: 'everything'" in capsys.readouterr().err
    assert main(["--help"]) == EXIT_OK


def test_existing_run_folder_is_not_overwritten(tmp_path, capsys) -> None:
    make_run(tmp_path / "run")
    assert main(["check", "--cases", "add-*", "--out", str(tmp_path / "run")]) == EXIT_RUN_FOLDER
    assert "--force" in capsys.readouterr().err


def test_report_rerenders_and_refuses_a_non_run_folder(tmp_path, capsys) -> None:
    make_run(tmp_path / "run")
    assert main(["report", str(tmp_path / "run")]) == EXIT_OK
    assert (tmp_path / "run" / "report.html").exists()
    assert "re-rendered" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "run"), "--quiet"]) == EXIT_OK
    assert capsys.readouterr().out == ""
    (tmp_path / "other").mkdir()
    assert main(["report", str(tmp_path / "other")]) == EXIT_RUN_FOLDER
    assert "not a gradparity run folder" in capsys.readouterr().err


def test_compare_exit_status_follows_new_failures(tmp_path, capsys) -> None:
    make_run(tmp_path / "a")
    worse = [dict(r) for r in CONFORMANCE]
    worse[0]["status"] = "fail"
    make_run(tmp_path / "b", conformance=worse, timings=TIMING)
    out = tmp_path / "compare.md"
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == (
        EXIT_FAILURES)
    assert "New failures (A passed, B fails) (1)" in out.read_text()
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--no-fail"]) == EXIT_OK
    assert main(["compare", str(tmp_path / "b"), str(tmp_path / "a")]) == EXIT_OK


def test_list_commands(capsys) -> None:
    assert main(["list", "adapters"]) == EXIT_OK
    assert "refengine" in capsys.readouterr().out
    assert main(["list", "cases", "--tags", "model"]) == EXIT_OK
    assert "gmm" in capsys.readouterr().out
    assert main(["list", "ops"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "linalg.cholesky" in out and "native" in out
