"""The hand-kept formula map stays in step with the derivative table."""

from __future__ import annotations

import pytest

import refengine
from refengine import primitives as P
from refengine import primitives_complex as PC
from refengine import primitives_special as S
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
              "refengine/derivatives_complex.py": refengine.derivatives_complex,
              "refengine/derivatives_special.py": refengine.derivatives_special,
              "refengine/derivatives_conv.py": refengine.derivatives_conv}
    assert path in tables and line.isdigit(), location
    with open(tables[path].__file__, encoding="utf-8") as fh:
        text = fh.readlines()[int(line) - 1]
    assert text.startswith(f"defrule({_attribute(name)},"), (location, text)


def _attribute(name: str) -> str:
    """Primitive ``name`` as its entry spells it: ``P.reduce_max`` for ``max`` (in
    refengine.primitives), ``PC.real`` (primitives_complex), ``S.jn`` (primitives_special)."""
    for prefix, module in (("P", P), ("PC", PC), ("S", S)):
        for a in module.__all__:
            if getattr(module, a) is TABLE[name]:
                return f"{prefix}.{a}"
    raise AssertionError(f"{name} is in none of the primitives modules")


def test_unknown_name_says_where_to_add_it():
    with pytest.raises(KeyError, match=r"formulas\.py"):
        formula_for("no-such-primitive")


def test_variadic_vjp_lines_name_the_position():
    assert formula_for("concatenate").vjp_line(2) == "g_x_2 = the slice of g where x_2 sits"
    assert formula_for("where").vjp_line(0) == "c: no derivative (data)"
