"""``gradparity check-fn``: a module written to tmp_path, run through reports.cli.main; every
exit status the command documents (0 pass, 1 failure, 2 bad input, 4 inconclusive)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reports.cli import main
from reports.exit_codes import EXIT_FAILURES, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE

MODULE = """
import numpy as np
import refengine.numpy as rnp


def loss(w, x):
    return rnp.sum(rnp.tanh(x @ w) ** 2)


def log_sum(x):
    return rnp.sum(rnp.log(x))
"""


@pytest.fixture
def module(tmp_path: Path) -> Path:
    path = tmp_path / "users_functions.py"
    path.write_text(textwrap.dedent(MODULE))
    return path


def test_a_right_function_passes_with_a_summary_line_per_check(
        module: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["check-fn", f"{module}:loss", "--framework", "refengine", "--shape", "3x2",
                 "--shape", "4x3", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    for check in ("JVP of loss", "VJP of loss", "JVP of JVP of loss", "VJP of JVP of loss",
                  "JVP of VJP of loss", "VJP of VJP of loss"):
        assert f"  {check} " in out
    assert "passed: 6 checks" in out


def test_a_wrong_derivative_exits_1_with_the_worst_entry(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("autograd")
    path = tmp_path / "wrong_rule.py"
    path.write_text(textwrap.dedent("""
        from autograd.extend import defvjp, primitive

        @primitive
        def cube(x):
            return x ** 3

        defvjp(cube, lambda ans, x: lambda g: g * 3.01 * x ** 2)  # planted: 3.01, not 3

        def wrong(x):
            return cube(x) * 2
    """))
    code = main(["check-fn", f"{path}:wrong", "--framework", "autograd", "--shape", "3",
                 "--order", "1", "--modes", "rev"])
    out = capsys.readouterr().out
    assert code == EXIT_FAILURES
    assert "FAIL: VJP of wrong disagrees with finite differences" in out


def test_an_untrustworthy_point_exits_4(module: Path, capsys: pytest.CaptureFixture) -> None:
    # log of N(0, 1) draws: some are negative, where log is not finite.
    code = main(["check-fn", f"{module}:log_sum", "--framework", "refengine", "--shape", "4"])
    assert code == EXIT_INCONCLUSIVE
    assert "INCONCLUSIVE:" in capsys.readouterr().out
    assert main(["check-fn", f"{module}:log_sum", "--framework", "refengine", "--shape", "4",
                 "--positive"]) == EXIT_OK


@pytest.mark.parametrize("argv, message", [
    (["{m}:loss", "--framework", "nosuch", "--shape", "3x2", "--shape", "4x3"],
     "no adapter named 'nosuch'"),
    (["{m}:loss", "--framework", "numpy", "--shape", "3x2", "--shape", "4x3"], "values only"),
    (["{m}:loss", "--framework", "refengine", "--shape", "3x2"], "one --shape per input"),
    (["{m}:loss", "--framework", "refengine", "--shape", "3x2", "--shape", "5x7"],
     "fails on the drawn inputs"),
    (["{m}:loss", "--framework", "refengine", "--shape", "3by2", "--shape", "4"], "bad --shape"),
    (["{m}:nothing", "--framework", "refengine"], "has no attribute 'nothing'"),
    (["loss", "--framework", "refengine"], "module:function"),
    (["{m}:loss", "--framework", "refengine", "--modes", "sideways"], "--modes"),
])
def test_bad_input_exits_2_naming_the_problem(
        module: Path, capsys: pytest.CaptureFixture, argv: list[str], message: str) -> None:
    code = main(["check-fn", *(a.replace("{m}", str(module)) for a in argv)])
    assert code == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_options_argparse_refuses_exit_2(module: Path) -> None:
    assert main(["check-fn", f"{module}:loss", "--shape", "3"]) == EXIT_USAGE  # no --framework
    assert main(["check-fn", f"{module}:loss", "--framework", "refengine",
                 "--order", "0"]) == EXIT_USAGE
    assert main(["check-fn", f"{module}:loss", "--framework", "refengine",
                 "--dtype", "int32"]) == EXIT_USAGE


def test_a_torch_function_in_float32_and_its_not_checked_modes(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("torch")
    path = tmp_path / "torch_functions.py"
    path.write_text(textwrap.dedent("""
        import torch

        class Square(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * g * x

        def f(x):
            assert x.dtype in (torch.float32, torch.float64, torch.complex128)
            return Square.apply(x).sum()
    """))
    code = main(["check-fn", f"{path}:f", "--framework", "torch", "--shape", "2x3",
                 "--dtype", "float32"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "JVP of f" in out and "not checked  forward mode through a torch.autograd.Function" \
        in out
    assert "passed: 2 checks, " in out and " not checked (see above)" in out
