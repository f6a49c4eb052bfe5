"""Shape and structure: reshape, transpose and friends, joins and splits, tiling, triangles
and diagonals, padding, sorting, and the products (outer, einsum, matmul, dot, tensordot).

Most are linear maps, so their derivative is the adjoint map: the cases check that every
framework routes each cotangent entry back to the right input entry (and sums the copies made
by broadcast_to, tile, repeat and a concatenate that uses an input twice).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes
from cases.library._helpers import MATRIX, STRUCTURE, const, rows, square

__all__ = ["CASES"]

PRODUCT = Sizes(check=3, sweep=(10, 100, 500))


def _s(name: str, fn: Any, args: tuple[Arg, ...], out: Any, *, sizes: Sizes = STRUCTURE,
       tags: set[str] | None = None, **kw: Any) -> Case:
    return Case(name, fn, args=args, output_shape=out, sizes=sizes,
                tags={"structure"} | (tags or set()), **kw)


X_ROWS = (Arg("x", D.REAL, rows),)
X_CUBE = (Arg("x", D.REAL, lambda n: (2, 3, n)),)
X_SQUARE = (Arg("x", D.REAL, square),)
XY_ROWS = (Arg("x", D.REAL, rows), Arg("y", D.REAL, rows))

RESHAPE = [
    _s("reshape", lambda xp, x: xp.reshape(x, (x.shape[1], 3)), X_ROWS, lambda n: (n, 3)),
    _s("reshape-flatten", lambda xp, x: xp.reshape(x, (-1,)), X_CUBE, lambda n: (6 * n,)),
    _s("reshape-split-axis", lambda xp, x: xp.reshape(x, (3, 2, -1)), X_ROWS,
       lambda n: (3, 2, n // 2), note="n must be even; every size in the sweep is"),
    _s("transpose", lambda xp, x: xp.transpose(x), X_CUBE, lambda n: (n, 3, 2)),
    _s("transpose-axes", lambda xp, x: xp.transpose(x, (1, 0, 2)), X_CUBE, lambda n: (3, 2, n)),
    _s("swapaxes", lambda xp, x: xp.swapaxes(x, 0, 2), X_CUBE, lambda n: (n, 3, 2)),
    _s("moveaxis", lambda xp, x: xp.moveaxis(x, 0, -1), X_CUBE, lambda n: (3, n, 2)),
    _s("expand-dims", lambda xp, x: xp.expand_dims(x, 1) * xp.expand_dims(x, 0), X_ROWS,
       lambda n: (3, 3, n)),
    _s("squeeze-axis", lambda xp, x: xp.squeeze(x, axis=1),
       (Arg("x", D.REAL, lambda n: (3, 1, n)),), rows),
    _s("squeeze-all", lambda xp, x: xp.squeeze(x), (Arg("x", D.REAL, lambda n: (1, n, 1)),),
       lambda n: (n,)),
    _s("broadcast-to-row", lambda xp, x: xp.broadcast_to(x, (3, x.shape[0])),
       (Arg("x", D.REAL, lambda n: (n,)),), rows, tags={"broadcasting"}),
    _s("broadcast-to-column", lambda xp, x, y: xp.broadcast_to(x, y.shape) * y,
       (Arg("x", D.REAL, lambda n: (3, 1)), Arg("y", D.REAL, rows)), rows,
       tags={"broadcasting"}),
]

JOINS = [
    _s("concatenate-axis0", lambda xp, x, y: xp.concatenate([x, y], axis=0), XY_ROWS,
       lambda n: (6, n)),
    _s("concatenate-axis1-reuse", lambda xp, x, y: xp.concatenate([x, y, x], axis=1), XY_ROWS,
       lambda n: (3, 3 * n), note="x appears twice: its two cotangent slices add"),
    _s("stack", lambda xp, x, y: xp.stack([x, y]), XY_ROWS, lambda n: (2, 3, n)),
    _s("stack-last-axis", lambda xp, x, y: xp.stack([x, y * x], axis=-1), XY_ROWS,
       lambda n: (3, n, 2)),
    _s("split-sections", lambda xp, x: xp.split(x, 2, axis=1)[0] * xp.split(x, 2, axis=1)[1],
       X_ROWS, lambda n: (3, n // 2)),
    _s("split-indices", lambda xp, x: _split_indices(xp, x),
       (Arg("x", D.REAL, lambda n: (5, n)),), lambda n: (2, n)),
    _s("tile", lambda xp, x: xp.tile(x, (2, 1)), X_ROWS, lambda n: (6, n)),
    _s("tile-vector", lambda xp, x: xp.tile(x, 3), (Arg("x", D.REAL, lambda n: (n,)),),
       lambda n: (3 * n,)),
    _s("repeat-axis0", lambda xp, x: xp.repeat(x, 2, axis=0), X_ROWS, lambda n: (6, n)),
    _s("repeat-flat", lambda xp, x: xp.repeat(x, 3), X_ROWS, lambda n: (9 * n,)),
    _s("repeat-counts", lambda xp, x: xp.repeat(x, np.array([1, 0, 2]), axis=0), X_ROWS,
       rows, note="per-row counts (one row dropped, one doubled)"),
    _s("flip-axis0", lambda xp, x: xp.flip(x, axis=0), X_ROWS, rows),
    _s("flip-all", lambda xp, x: xp.flip(x), X_CUBE, lambda n: (2, 3, n)),
    _s("roll-axis1", lambda xp, x: xp.roll(x, 1, axis=1), X_ROWS, rows),
    _s("roll-flat", lambda xp, x: xp.roll(x, -2), X_ROWS, rows),
    _s("pad", lambda xp, x: xp.pad(x, 1), X_ROWS, lambda n: (5, n + 2)),
    _s("pad-asymmetric-value", lambda xp, x: xp.pad(x, ((0, 0), (2, 1)), constant_values=0.5),
       X_ROWS, lambda n: (3, n + 3)),
]


def _split_indices(xp: Any, x: Any) -> Any:
    first, middle, last = xp.split(x, [1, 3], axis=0)
    return middle * last + first


TRIANGLES = [
    _s("tril", lambda xp, x: xp.tril(x), X_SQUARE, square, sizes=MATRIX),
    _s("tril-below", lambda xp, x: xp.tril(x, k=-1), X_SQUARE, square, sizes=MATRIX),
    _s("triu-above", lambda xp, x: xp.triu(x, k=1), X_SQUARE, square, sizes=MATRIX),
    _s("diagonal", lambda xp, x: xp.diagonal(x), X_SQUARE, lambda n: (n,), sizes=MATRIX),
    _s("diagonal-offset", lambda xp, x: xp.diagonal(x, offset=1),
       (Arg("x", D.REAL, lambda n: (n, n + 2)),), lambda n: (n,), sizes=MATRIX),
    _s("diagonal-batched", lambda xp, x: xp.diagonal(x, axis1=1, axis2=2),
       (Arg("x", D.REAL, lambda n: (2, n, n)),), lambda n: (2, n), sizes=MATRIX),
    _s("diag-build", lambda xp, v: xp.diag(v), (Arg("v", D.REAL, lambda n: (n,)),), square,
       sizes=MATRIX),
    _s("diag-build-offset", lambda xp, v: xp.diag(v, k=1), (Arg("v", D.REAL, lambda n: (n,)),),
       lambda n: (n + 1, n + 1), sizes=MATRIX),
    _s("diag-extract", lambda xp, x: xp.diag(x) * xp.diag(x), X_SQUARE, lambda n: (n,),
       sizes=MATRIX),
]

SORTING = [
    _s("sort", lambda xp, x: xp.sort(x), (Arg("x", D.DISTINCT, rows),), rows,
       note="no ties: each output entry comes from exactly one input entry"),
    _s("sort-axis0-weighted",
       lambda xp, x: xp.sort(x, axis=0) * const(xp, x, [[1.0], [2.0], [3.0]]),
       (Arg("x", D.DISTINCT, rows),), rows),
]


def _ab(a_shape: Any, b_shape: Any) -> tuple[Arg, Arg]:
    return Arg("a", D.REAL, a_shape), Arg("b", D.REAL, b_shape)


PRODUCTS = [
    _s("outer", lambda xp, a, b: xp.outer(a, b), _ab(lambda n: (n,), lambda n: (n + 1,)),
       lambda n: (n, n + 1), sizes=PRODUCT),
    _s("matmul", lambda xp, a, b: xp.matmul(a, b), _ab(square, lambda n: (n, 2)),
       lambda n: (n, 2), sizes=PRODUCT),
    _s("matmul-batched", lambda xp, a, b: xp.matmul(a, b),
       _ab(lambda n: (2, 3, n), lambda n: (2, n, 4)), lambda n: (2, 3, 4), sizes=PRODUCT),
    _s("matmul-broadcast-batch", lambda xp, a, b: xp.matmul(a, b),
       _ab(lambda n: (2, 3, n), lambda n: (n, 4)), lambda n: (2, 3, 4), sizes=PRODUCT,
       tags={"broadcasting"}),
    _s("matmul-vector-matrix", lambda xp, a, b: xp.matmul(a, b),
       _ab(lambda n: (n,), square), lambda n: (n,), sizes=PRODUCT),
    _s("matmul-matrix-vector", lambda xp, a, b: xp.matmul(a, b),
       _ab(lambda n: (3, n), lambda n: (n,)), lambda n: (3,), sizes=PRODUCT),
    _s("dot-vectors", lambda xp, a, b: xp.dot(a, b), _ab(lambda n: (n,), lambda n: (n,)),
       (), sizes=PRODUCT),
    _s("dot-matrix-vector", lambda xp, a, b: xp.dot(a, b), _ab(square, lambda n: (n,)),
       lambda n: (n,), sizes=PRODUCT),
    _s("dot-matrices", lambda xp, a, b: xp.dot(a, b), _ab(rows, lambda n: (n, 2)),
       lambda n: (3, 2), sizes=PRODUCT),
    _s("tensordot-axes1", lambda xp, a, b: xp.tensordot(a, b, axes=1),
       _ab(lambda n: (2, n), lambda n: (n, 3)), lambda n: (2, 3), sizes=PRODUCT),
    _s("tensordot-axes2", lambda xp, a, b: xp.tensordot(a, b),
       _ab(lambda n: (2, 3, n), lambda n: (3, n, 2)), lambda n: (2, 2), sizes=PRODUCT),
    _s("tensordot-pairs", lambda xp, a, b: xp.tensordot(a, b, axes=([0], [1])),
       _ab(lambda n: (n, 2), lambda n: (3, n)), lambda n: (2, 3), sizes=PRODUCT),
    _s("einsum-matmul", lambda xp, a, b: xp.einsum("ij,jk->ik", a, b),
       _ab(rows, lambda n: (n, 2)), lambda n: (3, 2), sizes=PRODUCT),
    _s("einsum-batched-bilinear", lambda xp, a, b: xp.einsum("bi,bij,bj->b", a, b, a),
       _ab(lambda n: (2, n), lambda n: (2, n, n)), (2,), sizes=PRODUCT,
       note="a used twice in one contraction"),
    _s("einsum-trace", lambda xp, a, b: xp.einsum("ii->", a) * xp.einsum("ij,ij->", b, b),
       _ab(square, square), (), sizes=PRODUCT),
    _s("einsum-outer-transpose", lambda xp, a, b: xp.einsum("i,j->ji", a, b),
       _ab(lambda n: (n,), lambda n: (3,)), lambda n: (3, n), sizes=PRODUCT),
    _s("einsum-rowwise-dot", lambda xp, a, b: xp.einsum("ij,ij->i", a, b), _ab(rows, rows),
       (3,), sizes=PRODUCT),
]

CASES = RESHAPE + JOINS + TRIANGLES + SORTING + PRODUCTS
