"""Kinks, on purpose: each case puts an input exactly where the function is not
differentiable and records the point (input, entry, value) in ``kinks``.

There the derivative does not exist, and frameworks pick a convention (zero, one side, the
average, a split between tied entries, inf, NaN). The conformance checks test that the
answer is a subgradient where one exists (from one-sided differences) and name the
convention; these cases only place the points precisely.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Kink, Sizes, vector
from cases.library._helpers import ELEMENTWISE, MATRIX, rows, square

__all__ = ["CASES"]

TIES = Sizes(check=6, sweep=())  # the tie positions are fixed entries: no sweep


def _k(name: str, fn: Any, args: tuple[Arg, ...], out: Any, kinks: tuple[Kink, ...],
       **kw: Any) -> Case:
    tags = {"kink"} | set(kw.pop("tags", ()))
    return Case(name, fn, args=args, output_shape=out, sizes=kw.pop("sizes", ELEMENTWISE),
                kinks=kinks, tags=tags, **kw)


def _at(base: D.Domain, points: dict[tuple[int, ...], float], shape: Any = vector,
        name: str = "x") -> Arg:
    return Arg(name, D.with_points(base, points), shape)


def _kinks(variable: str, points: dict[tuple[int, ...], float], kind: str,
           note: str = "") -> tuple[Kink, ...]:
    return tuple(Kink(variable, index, value, kind, note) for index, value in points.items())


ZERO_AT_2 = {(2,): 0.0}

ELEMENTWISE_KINKS = [
    _k("abs-at-zero", lambda xp, x: xp.abs(x), (_at(D.AWAY_FROM_ZERO, ZERO_AT_2),), vector,
       _kinks("x", ZERO_AT_2, "abs-at-zero", "subdifferential [-1, 1]")),
    _k("sign-at-zero", lambda xp, x: xp.sign(x), (_at(D.AWAY_FROM_ZERO, ZERO_AT_2),), vector,
       _kinks("x", ZERO_AT_2, "jump", "sign jumps at 0: no subgradient; 0 elsewhere")),
    _k("x-times-sign-at-zero", lambda xp, x: x * xp.sign(x),
       (_at(D.AWAY_FROM_ZERO, ZERO_AT_2),), vector,
       _kinks("x", ZERO_AT_2, "abs-at-zero", "|x| by the product rule: sign(0) + 0 * 0")),
    _k("relu-maximum-at-zero", lambda xp, x: xp.maximum(x, 0.0),
       (_at(D.AWAY_FROM_ZERO, ZERO_AT_2),), vector,
       _kinks("x", ZERO_AT_2, "relu-at-zero", "maximum(x, 0): a tie with the constant"),
       note="relu written as maximum(x, 0), as NumPy code does"),
    _k("relu-nn-at-zero", lambda xp, x: xp.nn.relu(x), (_at(D.AWAY_FROM_ZERO, ZERO_AT_2),),
       vector, _kinks("x", ZERO_AT_2, "relu-at-zero", "subdifferential [0, 1]")),
    _k("sqrt-at-zero", lambda xp, x: xp.sqrt(x), (_at(D.POSITIVE, {(0,): 0.0}),), vector,
       _kinks("x", {(0,): 0.0}, "infinite-slope", "the one-sided slope is +inf")),
    _k("clip-at-bounds", lambda xp, x: xp.clip(x, -1.0, 1.0),
       (_at(D.AWAY_FROM_INTEGERS, {(1,): -1.0, (4,): 1.0}),), vector,
       _kinks("x", {(1,): -1.0, (4,): 1.0}, "clip-bound", "subdifferential [0, 1]")),
    _k("hypot-at-origin", lambda xp, x, y: xp.hypot(x, y),
       (_at(D.AWAY_FROM_ZERO, ZERO_AT_2), _at(D.REAL, ZERO_AT_2, name="y")), vector,
       _kinks("x", ZERO_AT_2, "cone") + _kinks("y", ZERO_AT_2, "cone"),
       note="a cone at (0, 0): the subdifferential is the unit disc"),
]

TIE_X = {(1,): 0.25, (4,): -1.75}

TIE_KINKS = [
    _k("maximum-tie", lambda xp, x, y: xp.maximum(x, y),
       (_at(D.LATTICE_LOW, TIE_X), _at(D.LATTICE_HIGH, TIE_X, name="y")), vector,
       _kinks("x", TIE_X, "tie") + _kinks("y", TIE_X, "tie"),
       note="x == y at entries 1 and 4 (elsewhere at least 0.1 apart)"),
    _k("minimum-tie", lambda xp, x, y: xp.minimum(x, y),
       (_at(D.LATTICE_LOW, TIE_X), _at(D.LATTICE_HIGH, TIE_X, name="y")), vector,
       _kinks("x", TIE_X, "tie") + _kinks("y", TIE_X, "tie")),
    _k("max-reduction-tie", lambda xp, x: xp.max(x), (_at(D.DISTINCT, {(1,): 3.0, (4,): 3.0}),),
       (), _kinks("x", {(1,): 3.0, (4,): 3.0}, "reduction-tie"), sizes=TIES,
       note="the maximum is attained twice: split evenly, or to one of them"),
    _k("min-reduction-tie", lambda xp, x: xp.min(x), (_at(D.DISTINCT, {(0,): -3.0, (5,): -3.0}),),
       (), _kinks("x", {(0,): -3.0, (5,): -3.0}, "reduction-tie"), sizes=TIES),
    _k("max-axis-tie", lambda xp, x: xp.max(x, axis=1),
       (_at(D.DISTINCT, {(0, 1): 3.0, (0, 3): 3.0}, rows),), (3,),
       _kinks("x", {(0, 1): 3.0, (0, 3): 3.0}, "reduction-tie"), sizes=TIES,
       note="row 0 ties; rows 1 and 2 do not"),
    _k("argmax-gather-tie", lambda xp, x: xp.take(x, xp.argmax(x)),
       (_at(D.DISTINCT, {(1,): 3.0, (4,): 3.0}),), (),
       _kinks("x", {(1,): 3.0, (4,): 3.0}, "reduction-tie",
              "argmax returns the first index: the gradient goes there alone"), sizes=TIES),
    _k("sort-tie", lambda xp, x: xp.sort(x) * xp.sort(x),
       (_at(D.DISTINCT, {(0,): 2.5, (3,): 2.5}),), vector,
       _kinks("x", {(0,): 2.5, (3,): 2.5}, "sort-tie",
              "the tied pair ends last; which input feeds which output is a convention"),
       sizes=TIES),
]


def _distance(xp: Any, x: Any, y: Any) -> Any:
    return xp.linalg.norm(x - y)


def _same_point(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=n)
    return x, x.copy()


def _eigh_values(xp: Any, a: Any) -> Any:
    return xp.linalg.eigh(0.5 * (a + xp.transpose(a)))[0]


def _eigh_vectors(xp: Any, a: Any) -> Any:
    _, v = xp.linalg.eigh(0.5 * (a + xp.transpose(a)))
    return v * v


def _all_neg_inf(xp: Any, x: Any) -> Any:
    return xp.exp(xp.special.logsumexp(x))


POINT_KINKS = [
    _k("norm-zero-vector", lambda xp, x: xp.linalg.norm(x), (Arg("x", D.constant(0.0)),), (),
       (Kink("x", None, kind="zero-norm", note="the subdifferential is the unit ball"),)),
    _k("norm-distance-coincident", _distance, (Arg("x"), Arg("y")), (),
       (Kink("x", None, kind="zero-norm", note="x == y"),
        Kink("y", None, kind="zero-norm", note="x == y")),
       sampler=_same_point,
       note="a distance between coincident points (pairwise distances include the diagonal)"),
    _k("power-zero-base", lambda xp, x, y: xp.power(x, y),
       (_at(D.POSITIVE, {(0,): 0.0, (1,): 0.0}), _at(D.REAL, {(0,): 2.5, (1,): 0.5}, name="y")),
       vector,
       (Kink("x", (0,), 0.0, "power-zero-base", "0^2.5: d/dx = 0, d/dy = 0 (one-sided)"),
        Kink("x", (1,), 0.0, "power-zero-base", "0^0.5: d/dx = +inf")),
       note="x^y at x = 0: d/dy = x^y log x is 0 * -inf"),
    _k("power-zero-zero", lambda xp, x, y: xp.power(x, y),
       (_at(D.POSITIVE, {(0,): 0.0}), _at(D.REAL, {(0,): 0.0}, name="y")), vector,
       (Kink("x", (0,), 0.0, "power-zero-zero", "0^0 = 1; d/dx = 0 * 0^-1"),
        Kink("y", (0,), 0.0, "power-zero-zero", "d/dy = 0^0 log 0 = -inf")),
       note="0**0 = 1 by NumPy's (and IEEE pow's) convention"),
    _k("logsumexp-all-neg-inf", _all_neg_inf, (Arg("x", D.constant(-math.inf)),), (),
       (Kink("x", None, kind="all-neg-inf", note="lse = -inf; softmax is 0/0"),),
       note="exp(logsumexp(x)) = sum(exp(x)) = 0; its true gradient exp(x) is 0, but the "
            "softmax inside logsumexp's derivative is (-inf) - (-inf) = NaN"),
    _k("det-singular", lambda xp, a: xp.linalg.det(a), (Arg("a", D.SINGULAR, square),), (),
       (Kink("a", None, kind="singular-matrix",
             note="det is smooth; its gradient is the adjugate, but det * inv(a)^T fails"),),
       sizes=MATRIX),
    _k("eigh-repeated-values", _eigh_values, (Arg("a", D.REPEATED_EIGENVALUES, square),),
       vector, (Kink("a", None, kind="repeated-eigenvalue",
                     note="the two smallest eigenvalues coincide: their order is a kink"),),
       sizes=MATRIX),
    _k("eigh-repeated-vectors", _eigh_vectors, (Arg("a", D.REPEATED_EIGENVALUES, square),),
       square, (Kink("a", None, kind="repeated-eigenvalue",
                     note="eigenvectors of a repeated eigenvalue are not unique: 1/(l_i - l_j) "
                          "is infinite"),), sizes=MATRIX),
]

CASES = ELEMENTWISE_KINKS + TIE_KINKS + POINT_KINKS
