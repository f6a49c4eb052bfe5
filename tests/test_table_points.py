"""Every note in the derivative table, checked at the points it names (``tests/note_points.py``):
first and second order, both modes, against the value the note states and against finite
differences where they exist. A note with no point here fails ``test_every_note_has_a_point``."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import refengine as rf
from refengine import primitives as P
from refengine import primitives_special as S
from refengine.derivatives import NON_DIFFERENTIABLE, TABLE

from .note_points import COMPOSITE_POINTS, NOTE_POINTS
from .pointcheck import Point, check_first, check_second, hessians, jacobians, packed
from .rulecheck import perturbed

# Kinks and poles produce honest NumPy warnings (0 * inf, divide by zero): expected here.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

POINTS = [p for points in NOTE_POINTS.values() for p in points] + COMPOSITE_POINTS
# A point whose statement is no value (inf/NaN somewhere) has no second order to check.
SECOND = [p for p in POINTS if p.raises is None and not callable(p.first)]


def test_every_note_has_a_point() -> None:
    noted = {name for name, prim in TABLE.items() if prim.note}
    noted |= {name for name, note in NON_DIFFERENTIABLE.items() if note}
    missing = sorted(noted - set(NOTE_POINTS))
    assert not missing, f"table entries whose note has no point in tests/note_points.py: {missing}"
    stray = sorted(set(NOTE_POINTS) - noted)
    assert not stray, f"points for entries with no note: {stray}"


def test_point_ids_are_unique() -> None:
    ids = [p.id for p in POINTS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("point", POINTS, ids=[p.id for p in POINTS])
def test_first_order_at_the_point(point: Point) -> None:
    check_first(point)


@pytest.mark.parametrize("point", SECOND, ids=[p.id for p in SECOND])
def test_second_order_at_the_point(point: Point) -> None:
    check_second(point)


# --- rules that pick a convention with `where` must not leak NaN from the unselected branch -----
# Every entry whose rules (or the helpers they call) call `where`, and the points where its where
# selects the convention. test_where_rules_are_all_listed finds them in the source.
WHERE_RULES = {
    "power": ["x**0.0-at0", "x**0-at0", "x**1.0-at0", "at(0,0)", "at(0,2)"],
    "xlogy": ["x0-y2", "y-at(0,0)"],
    "where": ["branches", "inf-unselected"],
    "norm2": ["zero-vector"],
    "eigh": ["lower-only"],  # the gaps' where is on the diagonal, always selected
    "svd": ["distinct"],
    "spence": ["at1"],
}
_TABLE_MODULES = ("derivatives.py", "derivatives_linalg.py", "derivatives_special.py",
                  "derivatives_conv.py")


def _rules_calling_where(source: str) -> set[str]:
    """Attribute names (P.<name>) of the defrule calls whose rules reach a `where` call."""
    tree = ast.parse(source)

    def calls(node: ast.AST) -> tuple[bool, set[str]]:
        direct, names = False, set()
        for n in ast.walk(node):
            if isinstance(n, ast.Call):
                fn = n.func
                if (isinstance(fn, ast.Attribute) and fn.attr == "where") or (
                        isinstance(fn, ast.Name) and fn.id == "where"):
                    direct = True
            if isinstance(n, ast.Name):
                names.add(n.id)
        return direct, names

    funcs = {n.name: calls(n) for n in tree.body if isinstance(n, ast.FunctionDef)}
    reaching: set[str] = {name for name, (direct, _) in funcs.items() if direct}
    while True:
        more = {name for name, (_, names) in funcs.items() if names & reaching} - reaching
        if not more:
            break
        reaching |= more
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "defrule":
            direct, names = calls(ast.Module(body=[ast.Expr(k.value) for k in node.keywords],
                                             type_ignores=[]))
            if direct or names & reaching:
                found.add(node.args[0].attr)
    return found


def test_where_rules_are_all_listed() -> None:
    root = pathlib.Path(rf.__file__).parent
    found = set()
    for module in _TABLE_MODULES:
        found |= _rules_calling_where((root / module).read_text())
    # P.<name> in derivatives.py and derivatives_linalg.py, S.<name> in derivatives_special.py
    names = {getattr(P, attr, None) or getattr(S, attr) for attr in found}
    names = {prim.name for prim in names}
    assert names == set(WHERE_RULES), (
        f"rules calling where: {sorted(names)}; listed: {sorted(WHERE_RULES)}")


WHERE_POINTS = [p for name, ids in WHERE_RULES.items() for p in NOTE_POINTS[name] if p.label in ids]


def test_where_points_exist() -> None:
    assert len(WHERE_POINTS) == sum(len(ids) for ids in WHERE_RULES.values())


@pytest.mark.parametrize("point", WHERE_POINTS, ids=[p.id for p in WHERE_POINTS])
def test_where_rule_is_finite_up_to_second_order(point: Point) -> None:
    f, z = packed(point)
    for order, results in (("first", jacobians(f, z)), ("second", hessians(f, z))):
        for mode, got in results.items():
            assert np.isfinite(got).all(), f"{point.id}: {order} order, {mode}:\n{got}"


# --- negative controls: the point checks fail on a wrong convention -----------------------------
def _point(entry: str, label: str) -> Point:
    return next(p for p in NOTE_POINTS[entry] if p.label == label)


@pytest.mark.parametrize("mode", ["vjp", "jvp"])
def test_a_wrong_first_order_convention_fails(mode: str) -> None:
    point = _point("abs", "at0")
    check_first(point)
    with perturbed(P.abs, mode, lambda c: c + 1.0), pytest.raises(AssertionError):
        check_first(point)


@pytest.mark.parametrize("mode", ["vjp", "jvp"])
def test_a_second_order_error_alone_fails(mode: str) -> None:
    # 0.1 % of (c - stop_gradient(c)): zero in value, so only the second order sees it.
    point = _point("prod", "two-zeros")
    with perturbed(P.reduce_prod, mode, lambda c: c + 1e-3 * (c - rf.stop_gradient(c))):
        check_first(point)
        with pytest.raises(AssertionError):
            check_second(point)
