"""Segment sums (``xp.nn.segment_sum``): a scatter-add along the first axis with repeated
indices, each framework's own (``Tensor.index_add``, ``jax.ops.segment_sum``,
``tf.math.unsorted_segment_sum``; a one-hot product for NumPy and autograd).

The derivative w.r.t. the data gathers the cotangent at the ids, so a repeated id sends the
same cotangent row to each of its rows, and a segment no id names passes nothing back. The
boundary points: ids that repeat, segments left empty, every row in one segment, a single row,
and the gather-then-scatter round trip of an embedding (second order through the repeats).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases.case import Arg, Case, Sizes

__all__ = ["CASES"]

COLUMNS = Sizes(check=3, sweep=(100, 10_000, 100_000))  # n: the width of each row
REPEATED = np.array([0, 2, 2, 0, 2, 3, 3])  # segments 1 and 4 of 5 stay empty
ALL_IN_ONE = np.array([1, 1, 1, 1])


def _seg(name: str, fn: Any, rows: int, out: Any, note: str) -> Case:
    fn.__name__ = name
    return Case(name, fn, args=(Arg("x", shape=lambda n: (rows, n)),), output_shape=out,
                sizes=COLUMNS, tags={"scatter", "segment"}, note=note)


def _repeated(xp: Any, x: Any) -> Any:
    return xp.nn.segment_sum(x, REPEATED, 5)


def _all_in_one(xp: Any, x: Any) -> Any:
    return xp.nn.segment_sum(x, ALL_IN_ONE, 3)


def _single(xp: Any, x: Any) -> Any:
    return xp.nn.segment_sum(x, np.array([0]), 1)


def _tanh_of_squares(xp: Any, x: Any) -> Any:
    return xp.tanh(xp.nn.segment_sum(x * x, REPEATED, 5))


def _embedding_round_trip(xp: Any, x: Any) -> Any:
    # Gather rows with repeats (an embedding lookup), then scatter their products back.
    rows = x[REPEATED % 4]
    return xp.nn.segment_sum(rows * rows, REPEATED, 5)


CASES = [
    _seg("segment-sum-repeated", _repeated, 7, lambda n: (5, n),
         "ids 0, 2, 2, 0, 2, 3, 3 into 5 segments: repeats accumulate, segments 1 and 4 are 0"),
    _seg("segment-sum-one-segment", _all_in_one, 4, lambda n: (3, n),
         "every row into segment 1 of 3: a column sum, two empty segments"),
    _seg("segment-sum-single-row", _single, 1, lambda n: (1, n), "one row, one segment"),
    _seg("segment-sum-tanh-squares", _tanh_of_squares, 7, lambda n: (5, n),
         "tanh(segment_sum(x * x)): second order through the repeated ids"),
    _seg("segment-sum-embedding-round-trip", _embedding_round_trip, 4, lambda n: (5, n),
         "gather rows 0, 2, 2, 0, 2, 3, 3 of x, square, scatter back by the same ids"),
]
