"""Indexing: basic slices, integer arrays (with repeated indices, whose gradients must add
up), boolean masks, take and take_along_axis, and scatter-like updates built from where,
concatenate and one-hot products (no in-place assignment: JAX and traced code forbid it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes
from cases.library._helpers import const, rows

__all__ = ["CASES"]

INDEXED = Sizes(check=5, sweep=(100, 10_000, 100_000))  # at least 5 columns for fixed indices


def _i(name: str, fn: Any, out: Any, *, args: tuple[Arg, ...] | None = None,
       sizes: Sizes = INDEXED, tags: set[str] | None = None, **kw: Any) -> Case:
    return Case(name, fn, args=args or (Arg("x", D.REAL, rows),), output_shape=out,
                sizes=sizes, tags={"indexing"} | (tags or set()), **kw)


REPEATED = np.array([0, 2, 2, 4, 0, 2])  # entry 2 three times, entry 0 twice, 1 and 3 never

BASIC = [
    _i("slice", lambda xp, x: x[1:3], lambda n: (2, n)),
    _i("slice-step", lambda xp, x: x[:, ::2], lambda n: (3, (n + 1) // 2)),
    _i("slice-negative-step", lambda xp, x: x[::-1, 1:], lambda n: (3, n - 1),
       note="a negative step; torch tensors do not support it (use flip) - a real divergence"),
    _i("slice-2d-negative-bounds", lambda xp, x: x[1:, :-1] * x[:-1, 1:], lambda n: (2, n - 1)),
    _i("index-integer", lambda xp, x: x[1] * x[-1], lambda n: (n,)),
    _i("index-mixed", lambda xp, x: x[0, 1:3] + x[2, :2], (2,)),
    _i("index-ellipsis", lambda xp, x: x[..., 0] * x[..., -1],
       (2, 3), args=(Arg("x", D.REAL, lambda n: (2, 3, n)),)),
    _i("index-newaxis", lambda xp, x: x[:, None, :] * x[None, :, :], lambda n: (3, 3, n)),
]

INTEGER_ARRAYS = [
    _i("index-repeated", lambda xp, x: x[:, REPEATED] * 2.0, (3, 6),
       note="repeated column indices: their cotangents must accumulate, not overwrite"),
    _i("index-repeated-rows", lambda xp, x: x[np.array([2, 0, 2, 2])], lambda n: (4, n)),
    _i("index-pairs", lambda xp, x: x[np.array([0, 2, 0, 1]), np.array([1, 1, 1, 4])], (4,),
       note="(0, 1) appears twice"),
    _i("index-data-indices", lambda xp, x, i: x[:, i],
       (3, 7), args=(Arg("x", D.REAL, rows), Arg("i", D.integers(0, 5), (7,), diff=False)),
       note="indices arrive as integer data (an input), not a constant"),
    _i("take-axis0", lambda xp, x: xp.take(x, np.array([1, 1, 0]), axis=0), lambda n: (3, n)),
    _i("take-flat", lambda xp, x: xp.take(x, np.array([[0, 5], [5, 7]])), (2, 2)),
    _i("take-data-indices", lambda xp, x, i: xp.take(x, i, axis=1),
       (3, 8), args=(Arg("x", D.REAL, rows), Arg("i", D.integers(0, 5), (8,), diff=False))),
    _i("take-along-axis", lambda xp, x, i: xp.take_along_axis(x, i, axis=1),
       (3, 4), args=(Arg("x", D.REAL, rows), Arg("i", D.integers(0, 5), (3, 4), diff=False))),
    _i("take-along-axis0",
       lambda xp, x: xp.take_along_axis(x, np.array([[2, 0, 2, 1, 1]]), axis=0), (1, 5),
       args=(Arg("x", D.REAL, (3, 5)),), sizes=Sizes(check=5, sweep=())),
]

MASKS = [
    _i("mask-constant", lambda xp, x: x[np.array([True, False, True])] * 3.0, lambda n: (2, n)),
    _i("mask-data", lambda xp, x, m: xp.sum(xp.square(x[m])),
       (), args=(Arg("x", D.REAL, rows), Arg("m", D.booleans(), rows, diff=False)),
       tags={"dynamic-shape"},
       note="the mask is data: the selected count (an intermediate shape) depends on it"),
    _i("mask-from-values", lambda xp, x: xp.sum(xp.exp(x[x > 0.0])), (),
       args=(Arg("x", D.AWAY_FROM_ZERO, rows),), tags={"dynamic-shape"},
       note="a mask computed from x: the intermediate's shape depends on the values"),
]


def _scatter_set(xp: Any, x: Any, v: Any) -> Any:
    # x with column 2 replaced by v: where on an index comparison, the functional x[:, 2] = v.
    return xp.where(xp.arange(x.shape[1]) == 2, v, x)


def _scatter_add(xp: Any, x: Any, v: Any) -> Any:
    # Accumulate the rows of v into x at REPEATED: a one-hot product is a scatter-add.
    onehot = (REPEATED[:, None] == np.arange(x.shape[0])[None, :]).astype(np.float64)
    return x + xp.matmul(xp.transpose(const(xp, x, onehot)), v)


def _scatter_concat(xp: Any, x: Any, v: Any) -> Any:
    return xp.concatenate([x[:, :1], v, x[:, 2:]], axis=1)


SCATTER = [
    _i("scatter-set-where", _scatter_set, rows,
       args=(Arg("x", D.REAL, rows), Arg("v", D.REAL, (3, 1))), tags={"scatter"},
       note="x's column 2 gets no gradient; v gets column 2's cotangent"),
    _i("scatter-add-onehot", _scatter_add, lambda n: (5, n),
       args=(Arg("x", D.REAL, lambda n: (5, n)), Arg("v", D.REAL, lambda n: (6, n))),
       tags={"scatter"}),
    _i("scatter-concatenate", _scatter_concat, rows,
       args=(Arg("x", D.REAL, rows), Arg("v", D.REAL, (3, 1))), tags={"scatter"}),
    _i("scatter-mask-update", lambda xp, x, m: xp.where(m, xp.sin(x) * x, x), rows,
       args=(Arg("x", D.REAL, rows), Arg("m", D.booleans(), rows, diff=False)),
       tags={"scatter"}),
    _i("gather-then-scatter", lambda xp, x: _scatter_add(xp, x, x[REPEATED] * x[REPEATED]),
       lambda n: (5, n), args=(Arg("x", D.REAL, lambda n: (5, n)),), tags={"scatter"},
       note="gather with repeats, then scatter-add back: an embedding-style round trip"),
]

CASES = BASIC + INTEGER_ARRAYS + MASKS + SCATTER
