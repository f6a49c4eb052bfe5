"""An ODE solved by fixed-step Runge-Kutta, as GradBench's ``evals/ode`` (from cmpad's an_ode)
runs it:

    y_0' = x_0,   y_i' = x_i y_{i-1} (i > 0),   y(0) = 0,   solved on [0, 2] with s RK4 steps;

the objective is the last component of y(2). The time grid is an input (data): its length
sets the step count s and its spacing the step size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "ode_last_component"]


def _field(xp: Any, x: Any, y: Any) -> Any:
    shifted = xp.concatenate([xp.ones_like(y[:1]), y[:-1]])  # (1, y_0, ..., y_{n-2})
    return x * shifted


def ode_last_component(xp: Any, x: Any, grid: Any) -> Any:
    y = xp.zeros_like(x)
    for k in range(grid.shape[0] - 1):
        h = grid[k + 1] - grid[k]
        k1 = _field(xp, x, y)
        k2 = _field(xp, x, y + 0.5 * h * k1)
        k3 = _field(xp, x, y + 0.5 * h * k2)
        k4 = _field(xp, x, y + h * k3)
        y = y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y[-1]


def _sample(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    n, steps = size
    return rng.uniform(0.5, 1.5, size=n), np.linspace(0.0, 2.0, steps + 1)


CASES = [
    Case(
        "ode",
        ode_last_component,
        args=(Arg("x", D.interval(0.0, 2.0), lambda s: (s[0],)),
              Arg("grid", D.interval(-0.5, 2.5), lambda s: (s[1] + 1,), diff=False)),
        sampler=_sample,
        sizes=Sizes(check=(4, 5), sweep=((10, 10), (100, 100), (1000, 1000)),
                    names=("n", "s")),
        tags={"model", "gradbench", "control-flow", "ode"},
        note="GradBench evals/ode (cmpad an_ode): RK4 on [0, 2]; the gradient of y_{n-1}(2)",
    ),
]
