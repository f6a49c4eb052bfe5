"""Determinant by expansion in minors, as GradBench's ``evals/det`` (from cmpad's
det_by_minor) defines it: a deliberately scalar, recursive computation (O(l!) operations)
that stresses per-operation overhead rather than kernels."""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "det_by_minors"]


def det_by_minors(xp: Any, a: Any) -> Any:
    n = a.shape[0]
    if n == 1:
        return a[0, 0]
    if n == 2:
        return a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
    total = 0.0
    for j in range(n):
        others = np.array([c for c in range(n) if c != j])
        term = a[0, j] * det_by_minors(xp, a[1:][:, others])
        total = total + term if j % 2 == 0 else total - term
    return total


CASES = [
    Case(
        "det-by-minors",
        det_by_minors,
        args=(Arg("a", D.REAL, lambda n: (n, n)),),
        sizes=Sizes(check=4, sweep=(4, 6, 7), names=("ell",)),
        tags={"model", "gradbench", "control-flow"},
        note="GradBench evals/det (cmpad det_by_minor): expansion along the first row, "
             "recursively; compare xp.linalg.det in the linalg cases",
    ),
]
