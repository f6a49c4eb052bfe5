"""Determinant by expansion in minors, as GradBench's ``evals/det`` (from cmpad's
det_by_minor) defines it: a deliberately scalar, recursive computation (O(l!) operations)
that stresses per-operation overhead rather than kernels.

GradBench's default sizes are ell = 5 to 11 (labelled by ell alone), A ~ U(0, 1). The
recursion here costs about 5 ell! array operations, eight to eleven times more per step of ell
(measured: torch's value and gradient take 2 s at ell = 7, so ~4 hours at 11; NumPy's value
alone 0.15 s at 8, ~3 minutes at 11; jax.jit would trace 3e8 operations), so the sweep stops
at ``MAX_SWEPT_ELL``. GradBench's own Python tools (PyTorch, JAX) do not implement det.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "GRADBENCH_SIZES", "MAX_SWEPT_ELL", "det_by_minors"]

# GradBench evals/det run.py's defaults, labelled as it labels them.
GRADBENCH_SIZES: dict[str, int] = {str(ell): ell for ell in range(5, 12)}
MAX_SWEPT_ELL = 7


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
        sampler=lambda rng, ell: (rng.uniform(size=(ell, ell)),),
        sizes=Sizes(check=4, sweep=(4, *(ell for ell in GRADBENCH_SIZES.values()
                                          if ell <= MAX_SWEPT_ELL)), names=("ell",),
                    gradbench=tuple(GRADBENCH_SIZES.items())),
        tags={"model", "gradbench", "control-flow"},
        note="GradBench evals/det (cmpad det_by_minor): expansion along the first row, "
             "recursively; compare xp.linalg.det in the linalg cases. A ~ U(0, 1) as GradBench "
             "draws it; the sweep is 4, then GradBench's ell = 5 to 7 (its 8 to 11 take "
             "~5 ell! array operations here: up to hours)",
    ),
]
