"""Issue 17's ops: order statistics (cummax, topk, median), sinc, the NaN-ignoring reductions,
softmax and logsumexp over all ``-inf``, and the nn composites layer norm and softmax
cross-entropy. Each case is checked at a random point and at its boundary points
(``Boundary``): ties, an even count's two middle values, sinc at 0, NaN entries, a constant
row, one-hot labels.

A tie is a kink where moving one tied entry changes which entry an output is taken from (the
earlier maximum of cummax, the k-th place of topk, an odd count's middle value). It is not one
where the tied entries feed the same output with the same weight: the two middle values of an
even count, each with weight 1/2, so that boundary is checked as a smooth point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Boundary, Case, Kink, Sizes
from cases.library._helpers import elementwise, rows

__all__ = ["CASES"]

ROWS = Sizes(check=4, sweep=(100, 10_000))  # inputs (3, n): n = 4 is even for median


def _ties(kind: str, points: dict[tuple[int, ...], float], base: D.Domain = D.DISTINCT,
          variable: str = "x", label: str = "tie", note: str = "") -> Boundary:
    """A boundary at exact values placed on ``base`` (DISTINCT draws lie in [-2, 2], so the
    placed values above 2 are the largest of their row); every placed entry is a kink."""
    return Boundary(label, {variable: D.with_points(base, points)},
                    tuple(Kink(variable, i, v, kind) for i, v in points.items()), note=note)


def _smooth(label: str, points: dict[tuple[int, ...], float], base: D.Domain = D.DISTINCT,
            variable: str = "x", note: str = "") -> Boundary:
    return Boundary(label, {variable: D.with_points(base, points)}, note=note)


CUMMAX = [
    Case("cummax-axis1", lambda xp, x: xp.cummax(x, axis=1), args=(Arg("x", D.DISTINCT, rows),),
         output_shape=rows, sizes=ROWS, tags={"reduction", "cumulative"},
         boundary=(_ties("tie", {(0, 1): 3.0, (0, 3): 3.0},
                         note="row 0: entry 3 ties the running maximum set by entry 1"),)),
    Case("cummax-axis0", lambda xp, x: xp.cummax(x, axis=0), args=(Arg("x", D.DISTINCT, rows),),
         output_shape=rows, sizes=ROWS, tags={"reduction", "cumulative"},
         boundary=(_ties("tie", {(0, 2): 3.0, (2, 2): 3.0},
                         note="column 2: the last entry ties the first"),)),
]

TOPK = [
    Case("topk-2", lambda xp, x: xp.topk(x, 2), args=(Arg("x", D.DISTINCT, rows),),
         output_shape=lambda n: (3, 2), sizes=ROWS, tags={"reduction", "selection"},
         boundary=(
             _ties("tie", {(0, 0): 3.0, (0, 1): 2.5, (0, 3): 2.5}, label="tie-at-k",
                   note="row 0: two entries tie for the 2nd (last) place"),
             _ties("tie", {(0, 1): 3.0, (0, 2): 3.0}, label="tie-inside",
                   note="row 0: the two largest tie; which one is the 1st is a convention"),
         )),
]

MEDIAN = [
    Case("median-axis1-even", lambda xp, x: xp.median(x, axis=1),
         args=(Arg("x", D.DISTINCT, rows),), output_shape=(3,), sizes=ROWS,
         tags={"reduction"}, note="4 entries per row: the mean of the two middle values",
         boundary=(
             _smooth("middle-tie", {(0, 0): 2.5, (0, 1): 3.0, (0, 2): 2.5},
                     note="row 0's two middle values tie: smooth, derivative 1/2 to each"),
             _ties("tie", {(0, 0): 3.0, (0, 2): 3.0}, label="upper-tie",
                   note="row 0's upper middle value ties the largest: a kink"),
         )),
    Case("median-axis0-odd", lambda xp, x: xp.median(x, axis=0),
         args=(Arg("x", D.DISTINCT, rows),), output_shape=lambda n: (n,), sizes=ROWS,
         tags={"reduction"}, note="3 entries per column: the middle value",
         boundary=(_ties("tie", {(0, 1): 3.0, (1, 1): 3.0}, label="middle-tie",
                         note="column 1's middle value ties the largest"),)),
    Case("median-all-keepdims", lambda xp, x: xp.median(x, keepdims=True),
         args=(Arg("x", D.DISTINCT, rows),), output_shape=(1, 1), sizes=ROWS,
         tags={"reduction", "keepdims"}, note="12 entries: an even count"),
]

SINC = [
    elementwise("sinc", lambda xp, x: xp.sinc(x), D.AWAY_FROM_INTEGERS,
                note="sin(pi x) / (pi x); integers are its zeros, kept away to test the "
                     "formula, and 0 is a boundary point",
                boundary=(_smooth("zero", {(2,): 0.0}, D.AWAY_FROM_INTEGERS,
                                  note="sinc(0) = 1 by continuity; sinc'(0) = 0 and "
                                       "sinc''(0) = -pi^2/3: 0/0 in the formula"),)),
]

_NAN_POINTS = {(0, 1): math.nan, (2, 3): math.nan}
_NAN_NOTE = "NaN entries are ignored: their derivative is 0, the others' as without them"

NAN_REDUCTIONS = [
    Case("nanmean-axis1", lambda xp, x: xp.nanmean(x, axis=1), args=(Arg("x", D.REAL, rows),),
         output_shape=(3,), sizes=ROWS, tags={"reduction"},
         boundary=(_smooth("nan", _NAN_POINTS, D.REAL, note=_NAN_NOTE),)),
    Case("nansum-all", lambda xp, x: xp.nansum(x), args=(Arg("x", D.REAL, rows),),
         sizes=ROWS, tags={"reduction"},
         boundary=(_smooth("nan", _NAN_POINTS, D.REAL, note=_NAN_NOTE),)),
]

_ALL_NEG_INF = ("row 0 all -inf: logsumexp is -inf there, exp of it 0, and the true gradient "
                "exp(x) is 0; softmax (inside logsumexp's derivative) is 0/0")

ALL_NEG_INF = [
    Case("logsumexp-row-neg-inf", lambda xp, x: xp.exp(xp.special.logsumexp(x, axis=1)),
         args=(Arg("x", D.with_points(D.REAL, {(0, j): -math.inf for j in range(4)}),
                   lambda n: (3, 4)),),
         output_shape=(3,), sizes=Sizes(check=4, sweep=()), tags={"special"},
         kinks=tuple(Kink("x", (0, j), -math.inf, "all-neg-inf", _ALL_NEG_INF)
                     for j in range(4)),
         note="exp(logsumexp) per row: a finite value (0 on row 0) whose gradient shows what "
              "logsumexp's derivative gives on an all -inf row; rows 1 and 2 are finite"),
]


def _layer_norm(xp: Any, x: Any, w: Any, b: Any) -> Any:
    return xp.nn.layer_norm(x, w, b)


def _one_hot(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    logits = rng.normal(size=(3, n))
    return logits, np.eye(n)[rng.integers(0, n, size=3)]


NN = [
    Case("nn-layer-norm", _layer_norm,
         args=(Arg("x", D.REAL, rows), Arg("w", D.REAL, lambda n: (n,)),
               Arg("b", D.REAL, lambda n: (n,))),
         output_shape=rows, sizes=ROWS, tags={"nn"},
         note="over the last axis, eps = 1e-5, with weight and bias",
         boundary=(Boundary("constant-row", {"x": D.with_points(
             D.REAL, {(0, j): 0.75 for j in range(4)})},
             note="row 0 constant: its variance is 0, and only eps keeps the derivative "
                  "finite (1/sqrt(eps) = 316)"),)),
    Case("nn-softmax-cross-entropy", lambda xp, z, p: xp.nn.softmax_cross_entropy(z, p),
         args=(Arg("z", D.REAL, rows), Arg("p", D.PROBABILITY, rows)),
         output_shape=(3,), sizes=ROWS, tags={"nn"},
         note="soft labels, differentiated too (the loss is linear in them)",
         boundary=(Boundary("one-hot", {"p": D.REAL}, sampler=_one_hot,
                            note="one-hot labels: the zero labels are smooth points"),)),
]

ONE = Sizes(check=4, sweep=())  # a fixed single-element axis: nothing to sweep


def _single(n: int) -> tuple[int, int]:
    return (3, 1)


# Single elements: an axis of length 1 (the order statistics are the identity there, and layer
# norm's centred input is identically 0, so its derivative in x is exactly 0), and k equal to
# the whole axis.
SINGLE = [
    Case("cummax-single", lambda xp, x: xp.cummax(x, axis=1), args=(Arg("x", D.REAL, _single),),
         output_shape=(3, 1), sizes=ONE, tags={"reduction", "cumulative"}),
    Case("median-single", lambda xp, x: xp.median(x, axis=1), args=(Arg("x", D.REAL, _single),),
         output_shape=(3,), sizes=ONE, tags={"reduction"}),
    Case("topk-whole-axis", lambda xp, x: xp.topk(x, 4), args=(Arg("x", D.DISTINCT, rows),),
         output_shape=(3, 4), sizes=ONE, tags={"reduction", "selection"},
         note="k = n: the row sorted, largest first"),
    Case("nn-layer-norm-single", _layer_norm,
         args=(Arg("x", D.REAL, _single), Arg("w", D.REAL, lambda n: (1,)),
               Arg("b", D.REAL, lambda n: (1,))),
         output_shape=(3, 1), sizes=ONE, tags={"nn"},
         note="one entry per row: the output is b, its derivative in x and w exactly 0"),
]

CASES = CUMMAX + TOPK + MEDIAN + SINC + NAN_REDUCTIONS + ALL_NEG_INF + NN + SINGLE
