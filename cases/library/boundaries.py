"""Boundary-first sampling for the library: the cases whose domain has points where the
function's derivative is delicate get those points as extra sample points beside the random
one, as ``Boundary`` entries (``Case.boundary_cases`` makes each a case ``<case>-at-<label>``).

One table, by case name: constant input to ``std`` (a cone: std is a norm of the centred
input) and ``var`` (smooth, gradient 0); ties to ``max``/``min`` and ``sort`` (kinks); zeros to
``prod`` (smooth: one zero leaves each derivative a product of the others, two zeros in one
slice make them all 0; rules that divide by x lose them); the origin to
``arctan2`` (a jump); 0 to ``cbrt``; ties to ``maximum`` and ``minimum``; the zero vector to
the 1- and 2-norms. Points with kinks get the kink check; the others every ordinary check.
``abs``, ``hypot`` and ``clip`` have theirs already as the cases ``abs-at-zero``,
``hypot-at-origin`` and ``clip-at-bounds`` (kinks.py); the issue-17 ops carry theirs in
``order.py``.
"""

from __future__ import annotations

from dataclasses import replace

from cases import domains as D
from cases.case import Boundary, Case, Kink

__all__ = ["BOUNDARIES", "with_boundaries"]

Points = dict[tuple[int, ...], float]


def _kinked(label: str, points: Points, base: D.Domain, kind: str, note: str = "",
            variable: str = "x") -> Boundary:
    """Exact values placed on ``base``, each a kink of ``kind``."""
    return Boundary(label, {variable: D.with_points(base, points)},
                    tuple(Kink(variable, i, v, kind) for i, v in points.items()), note=note)


def _smooth(label: str, points: Points, base: D.Domain, note: str = "") -> Boundary:
    return Boundary(label, {"x": D.with_points(base, points)}, note=note)


# One slice of a (2, 3, 4) input per reduction axis: two entries that a reduction over that
# axis sees together.
SLICE_PAIRS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "all": ((0, 1, 2), (1, 2, 3)),
    "axis0": ((0, 1, 2), (1, 1, 2)),
    "axis1": ((0, 0, 2), (0, 2, 2)),
    "axis2": ((1, 1, 0), (1, 1, 3)),
}
CONSTANT = D.constant(1.5)


def _reduction_boundaries() -> dict[str, tuple[Boundary, ...]]:
    table: dict[str, tuple[Boundary, ...]] = {}
    for axis, (a, b) in SLICE_PAIRS.items():
        table[f"std-{axis}"] = (Boundary("constant", {"x": CONSTANT}, (
            Kink("x", None, kind="zero-norm",
                 note="std of a constant slice is the norm of a zero vector: a cone"),),
            note="every slice constant: var = 0 under the square root"),)
        table[f"max-{axis}"] = (_kinked("tie", {a: 3.0, b: 3.0}, D.DISTINCT, "reduction-tie",
                                        "one slice's maximum is attained twice"),)
        table[f"min-{axis}"] = (_kinked("tie", {a: -3.0, b: -3.0}, D.DISTINCT,
                                        "reduction-tie", "one slice's minimum is attained "
                                                         "twice"),)
        table[f"prod-{axis}"] = (
            _smooth("one-zero", {a: 0.0}, D.AWAY_FROM_ZERO,
                    "one zero: smooth, its derivative is the product of the others"),
            _smooth("two-zeros", {a: 0.0, b: 0.0}, D.AWAY_FROM_ZERO,
                    "two zeros in one slice: smooth, every derivative there is 0"),
        )
    table["var-all"] = (Boundary("constant", {"x": CONSTANT},
                                 note="constant input: var = 0, smooth, gradient 0"),)
    table["std-all-keepdims-ddof1"] = table["std-all"]
    return table


ORIGIN = {(1, 2): 0.0}
TIE = {(1, 2): 0.25}  # on both lattices' common ground: x == y there

BOUNDARIES: dict[str, tuple[Boundary, ...]] = {
    **_reduction_boundaries(),
    "sort": (_kinked("tie", {(0, 0): 2.5, (0, 2): 2.5}, D.DISTINCT, "sort-tie",
                     "row 0's two largest tie"),),
    "arctan2": (Boundary("origin", {"x": D.with_points(D.AWAY_FROM_ZERO, ORIGIN),
                                    "y": D.with_points(D.REAL, ORIGIN)},
                         (Kink("x", (1, 2), 0.0, "jump"), Kink("y", (1, 2), 0.0, "jump")),
                         note="arctan2(0, 0) = 0: a jump (pi/2 above, pi behind); no "
                              "subgradient exists"),),
    "maximum": (Boundary("tie", {"x": D.with_points(D.LATTICE_LOW, TIE),
                                 "y": D.with_points(D.LATTICE_HIGH, TIE)},
                         (Kink("x", (1, 2), 0.25, "tie"), Kink("y", (1, 2), 0.25, "tie"))),),
    "minimum": (Boundary("tie", {"x": D.with_points(D.LATTICE_LOW, TIE),
                                 "y": D.with_points(D.LATTICE_HIGH, TIE)},
                         (Kink("x", (1, 2), 0.25, "tie"), Kink("y", (1, 2), 0.25, "tie"))),),
    "cbrt": (_kinked("zero", {(2,): 0.0}, D.AWAY_FROM_ZERO, "infinite-slope",
                     "cbrt'(0) is +inf from both sides"),),
    "norm-vector-2": (Boundary("zero", {"x": D.constant(0.0)},
                               (Kink("x", None, kind="zero-norm"),)),),
    "norm-vector-1": (Boundary("zero", {"x": D.constant(0.0)},
                               (Kink("x", None, kind="zero-norm"),)),),
}


def with_boundaries(cases: list[Case]) -> list[Case]:
    """``cases`` with the table's boundary points attached (every name in the table must be
    one of them: a renamed case must not silently lose its boundary points)."""
    names = {c.name for c in cases}
    unknown = sorted(set(BOUNDARIES) - names)
    if unknown:
        raise KeyError(f"boundary points for cases that do not exist: {unknown}")
    return [replace(c, boundary=c.boundary + BOUNDARIES[c.name]) if c.name in BOUNDARIES
            else c for c in cases]
