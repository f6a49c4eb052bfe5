"""At a kink, the report shows what each framework does there, from running it and from the
divergence table (with its citation), and flags the two disagreeing: a run that differs from
refengine with no entry, an entry that the run does not bear out."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

import refengine.numpy as rnp
from refengine.api import vjp
from reports.explain import assemble, explain
from reports.explain.documented_divergences import op_names, point_holds
from reports.explain.kink_answers import DOCUMENTED, NOT_REPRODUCED, NOT_RUN, UNDOCUMENTED


@dataclass(frozen=True)
class Entry:
    """A divergence-table entry as the explainer sees one (cases.conventions.Divergence has
    these fields and more); synthetic, so the tests do not depend on the real table."""

    op: str
    point: str
    adapters: tuple[str, ...]
    behaviour: str
    citation: str
    cases: tuple[str, ...] = ()
    dtypes: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    versions: str = ""


ABS = Entry("abs", "x = 0", ("fakejax",), "the gradient of |x| at 0 is 1 (FAKE-ABS)",
            "https://example.org/abs-issue")
TIE = Entry("maximum / minimum", "a tie x == y", ("faketf",),
            "the whole gradient goes to x (FAKE-TIE)", "https://example.org/tie-issue")
X_AT_0 = np.array([0.5, 0.0, -1.0])


def _abs(x):
    return rnp.sum(rnp.abs(x))


def _maximum(x, y):
    return rnp.sum(rnp.maximum(x, y))


class FakeAdapter:
    """refengine's VJP, with ``at_zero`` put where the first input is 0: a framework with its
    own convention at abs' kink."""

    derivatives = True

    def __init__(self, name: str, at_zero: float, version: str = "0.10.2") -> None:
        self.name, self.at_zero, self.version = name, at_zero, version

    def versions(self) -> dict[str, str]:
        return {self.name: self.version}

    def vjp(self, fn, inputs, cotangent, argnums=()):
        out, pull = vjp(lambda *xs: fn(rnp, *xs), *inputs)
        grads = tuple(np.where(np.asarray(inputs[0]) == 0, self.at_zero, g)
                      for g in pull(cotangent))
        return out, grads


def _with_fakes(monkeypatch, *fakes):
    monkeypatch.setattr(assemble, "load_adapters", lambda names: (list(fakes), []))


def _answer(e, system_prefix):
    (kink,) = e.kinks
    return next(a for a in kink.answers if a.system.startswith(system_prefix))


def _fakejax_at_abs_kink(monkeypatch, entry):
    """The answer of a fake JAX (abs'(0) = 1) at abs' kink, with ``[entry]`` as the table."""
    _with_fakes(monkeypatch, FakeAdapter("fakejax", 1.0))
    return _answer(explain(lambda xp, x: xp.sum(xp.abs(x)), X_AT_0, divergences=[entry]),
                   "fakejax")


# --- the documented behaviour and its citation appear -----------------------------------
def test_abs_at_zero_shows_the_documented_behaviour_in_text_and_markdown(tmp_path):
    e = explain(_abs, X_AT_0, frameworks=(), divergences=[ABS], renderer="text")
    md = e.to_markdown(tmp_path / "e.md")
    for report in (e.text, md):
        assert "the gradient of |x| at 0 is 1 (FAKE-ABS)" in report
        assert "https://example.org/abs-issue" in report
        assert "fakejax" in report and NOT_RUN in report
    assert _answer(e, "fakejax").flag == NOT_RUN


def test_maximum_tie_shows_the_documented_behaviour_in_text_and_markdown(tmp_path):
    x, y = np.array([0.25, 1.0]), np.array([0.25, -1.0])
    e = explain(_maximum, x, y, frameworks=(), divergences=[ABS, TIE], renderer="text")
    md = e.to_markdown(tmp_path / "e.md")
    for report in (e.text, md):
        assert "the whole gradient goes to x (FAKE-TIE)" in report
        assert "https://example.org/tie-issue" in report
        assert "FAKE-ABS" not in report  # another operation's entry
    (kink,) = e.kinks
    assert kink.entries == (TIE,)


def test_no_entry_away_from_the_kink():
    e = explain(_abs, np.array([0.5, -1.0]), frameworks=(), divergences=[ABS, TIE])
    assert e.kinks == [] and "FAKE" not in e.text
    assert "no operation sits at a non-differentiable point" in e.text


def test_an_entry_at_another_point_of_the_same_operation_does_not_apply():
    # maximum(x, 0) at x = 0 and a tie at 0.25 are both kinks of maximum; "x = 0" is one.
    relu = Entry("jnp.maximum", "x = 0 (relu written as maximum(x, 0))", ("fakejax",),
                 "FAKE-RELU", "cite")
    tie = explain(_maximum, np.array([0.25]), np.array([0.25]), frameworks=(),
                  divergences=[relu])
    assert "FAKE-RELU" not in tie.text
    assert "divergence table: no entry for maximum at this point" in tie.text
    at_zero = explain(lambda x: rnp.sum(rnp.maximum(x, 0.0)), np.array([0.0, 2.0]),
                      frameworks=(), divergences=[relu])
    assert "FAKE-RELU" in at_zero.text


# --- what running it gave, against the table: the flags ---------------------------------
def test_a_documented_divergence_is_named_as_such(monkeypatch):
    _with_fakes(monkeypatch, FakeAdapter("fakejax", 1.0), FakeAdapter("faketorch", 0.0))
    e = explain(lambda xp, x: xp.sum(xp.abs(x)), X_AT_0, divergences=[ABS])
    jax, torch = _answer(e, "fakejax 0.10.2"), _answer(e, "faketorch")
    assert jax.answer == "g_x = 1.0" and jax.differs and jax.flag == DOCUMENTED
    assert jax.documented == ("abs at x = 0: the gradient of |x| at 0 is 1 (FAKE-ABS) "
                              "[https://example.org/abs-issue]",)
    assert torch.differs is False and torch.flag == "" and torch.documented == ()
    lines = e.text.splitlines()
    i = lines.index("      fakejax 0.10.2         g_x = 1.0")
    assert lines[i + 1].strip() == f"-> {DOCUMENTED}"
    assert "divergence table: abs at x = 0: the gradient of |x| at 0 is 1" in lines[i + 2]


def test_an_undocumented_convention_is_flagged(monkeypatch):
    _with_fakes(monkeypatch, FakeAdapter("fakejax", 1.0))
    e = explain(lambda xp, x: xp.sum(xp.abs(x)), X_AT_0, divergences=())
    assert _answer(e, "fakejax").flag == UNDOCUMENTED
    assert UNDOCUMENTED in e.text


def test_an_entry_the_run_does_not_bear_out_is_flagged(monkeypatch):
    _with_fakes(monkeypatch, FakeAdapter("fakejax", 0.0))  # same as refengine
    e = explain(lambda xp, x: xp.sum(xp.abs(x)), X_AT_0, divergences=[ABS])
    answer = _answer(e, "fakejax")
    assert answer.differs is False and answer.flag == NOT_REPRODUCED
    assert NOT_REPRODUCED in e.text and "FAKE-ABS" in e.text


@pytest.mark.parametrize("narrowed", [
    Entry(**{**ABS.__dict__, "versions": ">=1.0"}),   # the fake is 0.10.2
    Entry(**{**ABS.__dict__, "dtypes": ("float32",)}),  # the run is float64
    Entry(**{**ABS.__dict__, "modes": ("jit",)}),      # explain runs eagerly
    Entry(**{**ABS.__dict__, "adapters": ("torch",)}),
])
def test_an_entry_narrowed_elsewhere_does_not_cover_the_run(monkeypatch, narrowed):
    answer = _fakejax_at_abs_kink(monkeypatch, narrowed)
    assert answer.documented == () and answer.flag == UNDOCUMENTED


def test_a_version_range_that_covers_the_run_applies(monkeypatch):
    answer = _fakejax_at_abs_kink(monkeypatch, Entry(**{**ABS.__dict__, "versions": ">=0.4,<1"}))
    assert answer.flag == DOCUMENTED and "(versions >=0.4,<1)" in answer.documented[0]


class NoVersions(FakeAdapter):
    def versions(self) -> dict[str, str]:
        raise RuntimeError("broken metadata")


def test_frameworks_are_named_as_the_conformance_records_name_them(monkeypatch):
    from cases.conformance.run import framework_version

    named, broken = FakeAdapter("fakejax", 1.0), NoVersions("fakebroken", 1.0)
    _with_fakes(monkeypatch, named, broken)
    e = explain(lambda xp, x: xp.sum(xp.abs(x)), X_AT_0, divergences=[ABS])
    (kink,) = e.kinks
    assert [a.system for a in kink.answers] == ["refengine", "fakejax 0.10.2", "fakebroken"]
    assert framework_version(named) == "fakejax 0.10.2" and framework_version(broken) == ""
    methods = [r.method for r in e.comparison.rows]
    assert "fakejax 0.10.2 (reverse)" in methods and "fakebroken (reverse)" in methods


# --- without the cases package ------------------------------------------------------------
def _block_cases(monkeypatch):
    for name in [m for m in sys.modules if m == "cases" or m.startswith("cases.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cases", None)  # import cases -> ImportError


def test_explain_works_when_cases_cannot_be_imported(monkeypatch):
    _block_cases(monkeypatch)
    e = explain(_abs, X_AT_0, frameworks=())
    (kink,) = e.kinks
    assert kink.by_system() == {"refengine": "g_x = 0.0"} and not kink.table
    assert any("divergence table not read" in n for n in e.notes)
    assert "divergence table not read" in e.text
    given = explain(_abs, X_AT_0, frameworks=(), divergences=[ABS])  # a table given: used
    assert "FAKE-ABS" in given.text and not any("not read" in n for n in given.notes)


def test_an_unchecked_version_range_is_said_to_be_so(monkeypatch):
    _block_cases(monkeypatch)
    answer = _fakejax_at_abs_kink(monkeypatch, Entry(**{**ABS.__dict__, "versions": ">=0.4"}))
    assert answer.flag == DOCUMENTED and "versions >=0.4, not checked" in answer.documented[0]


def test_no_table_is_read_without_a_kink(monkeypatch):
    def fail(divergences):
        raise AssertionError("the table was read without a kink")

    monkeypatch.setattr(assemble, "load_divergences", fail)
    explain(_abs, np.array([0.5, -1.0]), frameworks=())


# --- cases: entries named by the case, and the command line -------------------------------
def test_a_case_lists_its_entries_that_no_operation_shows():
    sign = Entry("sign", "x = 0", ("fakejax",), "FAKE-SIGN", "cite", cases=("sign-at-*",))
    e = explain(lambda x: rnp.sum(x * rnp.sign(x)), X_AT_0, frameworks=(),
                divergences=[sign, ABS], case_name="sign-at-zero")
    assert e.case_entries == ["sign at x = 0 (fakejax): FAKE-SIGN [cite]"]
    assert "entries for this case not shown above" in e.text
    shown = explain(_abs, X_AT_0, frameworks=(), case_name="abs-at-zero",
                    divergences=[Entry(**{**ABS.__dict__, "cases": ("abs-at-zero",)})])
    assert shown.case_entries == [] and "FAKE-ABS" in shown.text  # at its node, once
    assert shown.text.count("FAKE-ABS") == 1


def test_the_command_line_passes_the_divergence_table(monkeypatch, capsys):
    conventions = pytest.importorskip("cases.conventions")
    from reports.explain_cli import add_explain_parser, run_explain

    monkeypatch.setattr(conventions, "TABLE", (Entry(**{**ABS.__dict__, "adapters": ("jax",)}),))
    parser = argparse.ArgumentParser(prog="gradparity")
    add_explain_parser(parser.add_subparsers(dest="command"))
    assert run_explain(parser.parse_args(["explain", "abs-at-zero", "--frameworks", "none"])) == 0
    out = capsys.readouterr().out
    assert "FAKE-ABS" in out and "https://example.org/abs-issue" in out


# --- matching an entry's words ------------------------------------------------------------
@pytest.mark.parametrize("op, names", [
    ("abs", {"abs"}), ("jnp.abs", {"abs"}), ("torch.maximum / minimum", {"maximum", "minimum"}),
    ("linalg.norm", {"norm2"}), ("x ** y", {"power"}), ("xp.nn.relu(x)", {"relu"}),
    ("max, min", {"max", "min"}),
])
def test_op_names(op, names):
    assert op_names(op) == names


@pytest.mark.parametrize("point, holds", [
    ("x = 0", True), ("x == 0.0", True), ("x = 1", False), ("|x| = 1", True),
    ("x = ±1", True), ("a tie x == y", True), ("y = 0 and x = 1", False), ("(0, 0)", True),
])
def test_point_holds(point, holds):
    tie = np.array([0.0, -1.0])  # maximum(x, y) with x == y at both entries
    node = SimpleNamespace(name="maximum", operands=[SimpleNamespace(value=tie),
                                                     SimpleNamespace(value=tie)])
    assert point_holds(point, node, np.array([True, True])) is holds
