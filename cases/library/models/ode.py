"""An ODE solved by fixed-step Runge-Kutta, as GradBench's ``evals/ode`` (from cmpad's an_ode)
runs it:

    y_0' = x_0,   y_i' = x_i y_{i-1} (i > 0),   y(0) = 0,   solved on [0, 2] with s RK4 steps;

the output is the whole solution y(2), GradBench's ``primal`` (its ``gradient`` is the
gradient of the last component, one row of this case's Jacobian). The time grid is an input
(data): its length sets the step count s and its spacing the step size.

Two facts about this system shape the inputs (evals/ode README and tools/manual/ode.cpp):

- The field shifts the chain by one component, and one RK4 step evaluates it four times, so
  after s steps y_i is exactly 0 for i >= 4 s, whatever x is. GradBench's default sizes
  (n in {1000, 10000, 100000}, s in {1, 10, 100}) all have n > 4 s: there y_{n-1}(2) is
  identically zero and its gradient is all zeros. The sweep here keeps n <= 4 s (s = n).
- Every quantity of component i is x_i times one of component i - 1, so the RK solution is
  y_i = c_i x_0 x_1 ... x_i with constants c_i of the grid alone (c_i -> 2^(i+1) / (i+1)!,
  the exact solution, as the steps shrink), and d y_{n-1} / d x_j = y_{n-1} / x_j, the
  formula GradBench's manual tool uses. With GradBench's x ~ U(0, 1) the product underflows
  (y_{n-1} is below 1e-300 from n ~ 170 on). So x is drawn as x_i = u_i c_{i-1} / c_i, with
  u from U(0.5, 1.5) scaled to geometric mean 1: then y_i = u_0 ... u_i, a random walk in
  the log that stays far from underflow, and y_{n-1} = 1.

No scaling helps float32 at large n: scaling x scales a component's whole trajectory alike,
and y_i(2) sums over paths through values about 2^(-i/2) times smaller (the exact solution's
y_j(t) / y_j(2) = (t / 2)^(j+1) along the way). Below float32's range those are lost: from
n ~ 200 the float32 solution's later components come out 0 (at n = 1000, 458 of them).
Float64 holds to n ~ 2000; the sweep stops at n = 1000.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "ode_solution", "rk4_ratios"]

T_FINAL = 2.0


def _field(xp: Any, x: Any, y: Any) -> Any:
    shifted = xp.concatenate([xp.ones_like(y[:1]), y[:-1]])  # (1, y_0, ..., y_{n-2})
    return x * shifted


def ode_solution(xp: Any, x: Any, grid: Any) -> Any:
    y = xp.zeros_like(x)
    for k in range(grid.shape[0] - 1):
        h = grid[k + 1] - grid[k]
        k1 = _field(xp, x, y)
        k2 = _field(xp, x, y + 0.5 * h * k1)
        k3 = _field(xp, x, y + 0.5 * h * k2)
        k4 = _field(xp, x, y + h * k3)
        y = y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def rk4_ratios(n: int, grid: np.ndarray) -> np.ndarray:
    """r_i = c_i / c_{i-1} (c_{-1} = 1), where y_i = c_i x_0 ... x_i is the RK4 solution on
    ``grid``; 0 from the first component the steps never reach (i >= 4 s).

    Component by component: with x = 1, component i's stage derivatives are component i-1's
    values at the four stages, so one pass over the steps (vectorised) gives it. Each
    component is scaled to end at 1 before the next uses it, so what the next one ends at is
    the ratio, and nothing underflows however small c_i gets.
    """
    h = np.diff(np.asarray(grid, dtype=np.float64))
    start = np.ones_like(h)  # the field's constant 1 feeding component 0
    slopes = (np.zeros_like(h),) * 3  # its stage derivatives k1, k2, k3
    ratios = np.zeros(n)
    for i in range(n):
        stages = (start, start + 0.5 * h * slopes[0], start + 0.5 * h * slopes[1],
                  start + h * slopes[2])
        increments = (h / 6.0) * (stages[0] + 2.0 * stages[1] + 2.0 * stages[2] + stages[3])
        final = increments.sum()
        if final == 0.0:
            break
        ratios[i] = final
        start = (np.cumsum(increments) - increments) / final  # values at each step's start
        slopes = tuple(stage / final for stage in stages[:3])
    return ratios


def _sample(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    n, steps = size
    grid = np.linspace(0.0, T_FINAL, steps + 1)
    ratios = rk4_ratios(n, grid)
    if not ratios[-1] > 0.0:
        raise ValueError(f"ode at n={n}, s={steps}: y_{n - 1} is identically 0 after {steps} "
                         f"RK4 steps (each step reaches 4 components further); take s >= n/4")
    u = rng.uniform(0.5, 1.5, size=n)
    u /= np.exp(np.mean(np.log(u)))  # geometric mean 1: y_{n-1} = prod(u) = 1
    return u / ratios, grid


CASES = [
    Case(
        "ode",
        ode_solution,
        args=(Arg("x", D.POSITIVE, lambda s: (s[0],)),
              Arg("grid", D.interval(-0.5, 2.5), lambda s: (s[1] + 1,), diff=False)),
        output_shape=lambda s: (s[0],),
        sampler=_sample,
        sizes=Sizes(check=(4, 5), sweep=((10, 10), (100, 100), (1000, 1000)),
                    names=("n", "s")),
        tags={"model", "gradbench", "control-flow", "ode"},
        note="GradBench evals/ode (cmpad an_ode): RK4 on [0, 2], the whole solution y(2) (its "
             "primal; its gradient is the Jacobian's last row). Differs: x is scaled so that "
             "no y_i underflows in float64 (GradBench's x ~ U(0, 1) underflows from n ~ 170; "
             "float32 loses later components from n ~ 200 whatever x is), and the sweep "
             "keeps n <= 4 s, since at all of GradBench's default sizes (n >= 1000, s <= 100) "
             "y_{n-1} is identically 0 after s RK4 steps",
    ),
]
