"""The hand-kept formula map stays in step with the derivative table."""

from __future__ import annotations

import pytest

import refengine
from refengine import primitives as P
from refengine.derivatives import TABLE
from reports.explain.formulas import FORMULAS, formula_for, rule_location


def test_every_table_entry_has_a_formula_and_no_formula_is_stale():
    assert set(TABLE) - set(FORMULAS) == set(), "add these to reports/explain/formulas.py"
    assert set(FORMULAS) - set(TABLE) == set(), "these are no longer in the derivative table"


@pytest.mark.parametrize("name", sorted(TABLE))
def test_formula_matches_the_entry_operand_by_operand(name):
    prim, f = TABLE[name], FORMULAS[name]
    if isinstance(prim.vjp, tuple):
        assert not f.variadic
        assert len(f.vjp) == len(f.operands) == len(prim.vjp)
        # data operands (a condition, indices) are exactly the table's None entries
        assert [r is None for r in f.vjp] == [r is None for r in prim.vjp]
    else:
        assert f.variadic, f"{name} has per-position rules: mark its formula variadic"
    assert f.out and f.jvp and all(line for line in f.lines())


@pytest.mark.parametrize("name", sorted(TABLE))
def test_rule_location_points_at_the_entry(name):
    location = rule_location(name)
    path, _, line = location.partition(":")
    tables = {"refengine/derivatives.py": refengine.derivatives,
              "refengine/derivatives_linalg.py": refengine.derivatives_linalg,
              "refengine/derivatives_conv.py": refengine.derivatives_conv}
    assert path in tables and line.isdigit(), location
    with open(tables[path].__file__, encoding="utf-8") as fh:
        text = fh.readlines()[int(line) - 1]
    assert text.startswith(f"defrule(P.{_attribute(name)},"), (location, text)


def _attribute(name: str) -> str:
    """The name of primitive ``name`` in refengine.primitives (``max`` is ``reduce_max``)."""
    return next(a for a in P.__all__ if getattr(P, a) is TABLE[name])


def test_unknown_name_says_where_to_add_it():
    with pytest.raises(KeyError, match=r"formulas\.py"):
        formula_for("no-such-primitive")


def test_variadic_vjp_lines_name_the_position():
    assert formula_for("concatenate").vjp_line(2) == "g_x_2 = the slice of g where x_2 sits"
    assert formula_for("where").vjp_line(0) == "c: no derivative (data)"
