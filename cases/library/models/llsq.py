"""Linear least squares, as GradBench's ``evals/llsq`` (from cmpad's llsq_obj) defines it.

    y(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2,   t_i = -1 + 2 i / (n - 1),   s_i = sign(t_i)

a degree-(m-1) polynomial fitted to a step. The grid t is an input (data), so the function
sees n through its shape; s = sign(t) is computed in the case.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "llsq_objective"]


def llsq_objective(xp: Any, x: Any, t: Any) -> Any:
    exponents = xp.asarray(np.arange(x.shape[0], dtype=np.float64), dtype=t.dtype)
    powers = t[:, None] ** exponents[None, :]  # (n, m): t_i^j, whole exponents of t in [-1, 1]
    residual = xp.sign(t) - xp.matmul(powers, x)
    return 0.5 * xp.sum(residual * residual)


def _sample(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    m, n = size
    return rng.normal(size=m), -1.0 + 2.0 * np.arange(n) / (n - 1)


CASES = [
    Case(
        "llsq",
        llsq_objective,
        args=(Arg("x", D.REAL, lambda s: (s[0],)),
              Arg("t", D.interval(-1.5, 1.5), lambda s: (s[1],), diff=False)),
        sampler=_sample,
        sizes=Sizes(check=(4, 9), sweep=((16, 1024), (128, 4096), (1024, 16384)),
                    names=("m", "n")),
        tags={"model", "gradbench"},
        note="GradBench evals/llsq (cmpad llsq_obj); t is the fixed grid on [-1, 1]",
    ),
]
