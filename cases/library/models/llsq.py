"""Linear least squares, as GradBench's ``evals/llsq`` (from cmpad's llsq_obj) defines it.

    y(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2,   t_i = -1 + 2 i / (n - 1),   s_i = sign(t_i)

a degree-(m-1) polynomial fitted to a step. The grid t is an input (data), so the function
sees n through its shape; s = sign(t) is computed in the case. Sizes are GradBench's (n, m),
and x is drawn as its eval draws it, from U(0, 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "GRADBENCH_SIZES", "llsq_objective"]

# GradBench evals/llsq run.py's defaults (8196 and 16392 are its values), at m = 128.
GRADBENCH_SIZES: dict[str, tuple[int, int]] = {
    f"n={n},m=128": (n, 128)
    for n in (16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8196, 16392)
}


def llsq_objective(xp: Any, x: Any, t: Any) -> Any:
    exponents = xp.asarray(np.arange(x.shape[0], dtype=np.float64), dtype=t.dtype)
    powers = t[:, None] ** exponents[None, :]  # (n, m): t_i^j, whole exponents of t in [-1, 1]
    residual = xp.sign(t) - xp.matmul(powers, x)
    return 0.5 * xp.sum(residual * residual)


def _sample(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    n, m = size
    return rng.uniform(size=m), -1.0 + 2.0 * np.arange(n) / (n - 1)


CASES = [
    Case(
        "llsq",
        llsq_objective,
        args=(Arg("x", D.REAL, lambda s: (s[1],)),
              Arg("t", D.interval(-1.5, 1.5), lambda s: (s[0],), diff=False)),
        sampler=_sample,
        sizes=Sizes(check=(9, 4), sweep=tuple(GRADBENCH_SIZES.values()), names=("n", "m"),
                    gradbench=tuple(GRADBENCH_SIZES.items())),
        tags={"model", "gradbench"},
        note="GradBench evals/llsq (cmpad llsq_obj); t is the fixed grid on [-1, 1], x ~ "
             "U(0, 1); the sweep is GradBench's default n from 16 to 16392 at m = 128",
    ),
]
