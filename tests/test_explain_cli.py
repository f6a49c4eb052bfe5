"""``gradparity explain``: targets, inputs, formats, and clear errors (exit status 2)."""

from __future__ import annotations

import argparse
import textwrap

import pytest

from reports.explain_cli import (
    TargetError,
    add_explain_parser,
    parse_shape,
    resolve_target,
    run_explain,
)

USER_MODULE = textwrap.dedent("""
    import refengine.numpy as rnp

    def loss(x, w):
        return rnp.log(rnp.sum(x * w))

    def case_style(xp, x):
        return xp.sum(xp.sqrt(x))

    def broken(x):
        raise RuntimeError("the user's own bug")

    NOT_A_FUNCTION = 3
""")


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="gradparity")
    add_explain_parser(parser.add_subparsers(dest="command"))
    return run_explain(parser.parse_args(["explain", *argv]))


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "userf.py"
    path.write_text(USER_MODULE, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, shape", [("3", (3,)), ("3x2", (3, 2)), ("3,2", (3, 2)),
                                         ("scalar", ()), ("()", ())])
def test_shapes(text, shape):
    assert parse_shape(text) == shape


def test_bad_shape_is_a_clear_error(user_file, capsys):
    assert _run([f"{user_file}:loss", "--shape", "3q"]) == 2
    assert "bad --shape '3q'" in capsys.readouterr().err


def test_unknown_case_lists_close_names(capsys):
    assert _run(["abs-at-zeroo"]) == 2
    err = capsys.readouterr().err
    assert "unknown case" in err and "abs-at-zero" in err


@pytest.mark.parametrize("target, message", [
    ("no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
    ("{file}:missing", "has no attribute 'missing'"),
    ("{file}:NOT_A_FUNCTION", "is not a function (it is a int)"),
    ("{dir}/nofile.py:f", "no file"),
    (":f", "bad target"),
])
def test_bad_module_function_is_a_clear_error(target, message, user_file, capsys):
    target = target.format(file=user_file, dir=user_file.parent)
    assert _run([target]) == 2
    assert message in capsys.readouterr().err
    with pytest.raises(TargetError):
        resolve_target(target)


def test_too_many_shapes(user_file, capsys):
    assert _run([f"{user_file}:loss", "--shape", "3", "--shape", "3", "--shape", "3"]) == 2
    assert "3 --shape options for a function of 2 input(s)" in capsys.readouterr().err


def test_a_failing_function_exits_1(user_file, capsys):
    assert _run([f"{user_file}:broken", "--frameworks", "none"]) == 1
    assert "the user's own bug" in capsys.readouterr().err


def test_user_function_text(user_file, capsys, tmp_path):
    out_dir = tmp_path / "txt"
    code = _run([f"{user_file}:loss", "--shape", "3", "--shape", "3", "--positive",
                 "--seed", "4", "--frameworks", "none", "--out", str(out_dir)])
    assert code == 0
    text = capsys.readouterr().out
    assert text.startswith("Explaining loss(x, w)")
    assert "v3 = log(v2)" in text and "g_v2 += g_v3 * (1 / v2)" in text
    assert (out_dir / "explain.txt").read_text(encoding="utf-8") == text


def test_case_style_function_to_html(user_file, tmp_path, capsys):
    out_dir = tmp_path / "page"
    code = _run([f"{user_file}:case_style", "--shape", "4", "--positive", "--format", "html",
                 "--out", str(out_dir), "--frameworks", "none", "--max-nodes", "5"])
    assert code == 0
    page = (out_dir / "explain.html").read_text(encoding="utf-8")
    assert "v1 = sqrt" in page and "v2 = sum" in page
    assert "wrote" in capsys.readouterr().out


def test_case_to_markdown(tmp_path):
    pytest.importorskip("cases")
    out_dir = tmp_path / "md"
    assert _run(["abs-at-zero", "--format", "md", "--out", str(out_dir),
                 "--frameworks", "none"]) == 0
    md = (out_dir / "explain.md").read_text(encoding="utf-8")
    assert md.startswith("# Explaining `case abs-at-zero`")
    assert "v1 = abs" in md and "|x| at x = 0" in md


def test_a_case_refuses_shapes(capsys):
    pytest.importorskip("cases")
    assert _run(["abs-at-zero", "--shape", "3"]) == 2
    assert "--shape and --positive are for module:function" in capsys.readouterr().err


def test_default_folder_and_named_frameworks(user_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = _run([f"{user_file}:case_style", "--shape", "2", "--positive", "--format", "html",
                 "--frameworks", "no-such-framework"])
    assert code == 0
    page = (tmp_path / "explain-userf-case_style" / "explain.html").read_text(encoding="utf-8")
    assert "no-such-framework" in page  # named in the notes, not a crash
