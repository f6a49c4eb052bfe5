"""Nested derivatives: a gradient inside the function being differentiated (GradBench's
saddle and particle, Pearlmutter and Siskind's examples). These need ``xp.grad``, an optional
capability: each case declares ``requires={"grad"}`` and adapters without it report the case
unsupported.

GradBench's saddle and particle output the result of an outer gradient descent (its
``gd.hpp`` solver, ``descent.py`` here) over an objective that itself takes gradients. The
matrix differentiates the objective (``saddle``, ``particle``); ``saddle_point`` and
``particle_argmin`` run GradBench's whole eval through the same code, and
tests/test_gradbench_saddle_particle.py checks them against GradBench's published outputs.

Perturbation confusion (Siskind and Pearlmutter 2005) is the classic failure: the inner
derivative must not pick up the outer perturbation. ``perturbation-confusion`` is the smallest
instance: d/dx [x * d/dy (x + y)] = 1, and a confused implementation answers 2.
"""

from __future__ import annotations

from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes
from cases.library.models import descent

__all__ = ["CASES", "particle", "particle_argmin", "saddle", "saddle_fixed_steps",
           "saddle_point"]

NESTED = frozenset({"grad"})
TINY = Sizes(check=2, sweep=(2,))
ONE = Sizes(check=1, sweep=(1,))


# --- saddle: GradBench's evals/saddle ---------------------------------------------------------
def _saddle_f(xp: Any, p1: Any, p2: Any) -> Any:
    # cpp/gradbench/evals/saddle.hpp's objective(x1, y1, x2, y2), with p1 = (x1, y1) and
    # p2 = (x2, y2): (x1 x1 + y1 y1) - (x2 x2 + y2 y2). A sum of two entries is that one
    # rounded addition on every framework, so this is bit for bit GradBench's, without the
    # indexing that eager JAX dispatches slowly.
    return xp.sum(p1 * p1) - xp.sum(p2 * p2)


def saddle(xp: Any, p1: Any, start: Any) -> Any:
    """GradBench's saddle objective: max over p2 of f(p1, p2), the max found by gd.hpp's
    gradient ascent from ``start`` with a nested gradient in p2 (tools/enzyme/saddle.cpp's
    ``max_primal``). GradBench's outer argmin minimises this over p1."""
    def f(p2: Any) -> Any:
        return _saddle_f(xp, p1, p2)

    return descent.max_value(xp, f, xp.grad(f), start)


def saddle_point(xp: Any, start: Any) -> Any:
    """GradBench's saddle output, (argmin over p1 of ``saddle``, then the argmax over p2 at that
    p1), both from ``start``; the argmin's gradient nests the argmax's."""
    def cost(p1: Any) -> Any:
        return saddle(xp, p1, start)

    r1 = descent.argmin(xp, cost, xp.grad(cost), start)

    def f(p2: Any) -> Any:
        return _saddle_f(xp, r1, p2)

    r2 = descent.argmax(xp, f, xp.grad(f), start)
    return xp.concatenate([r1, r2])


def _coupled_f(xp: Any, x: Any, y: Any) -> Any:
    return (x[0] * x[0] + y[0] * y[0]) - (x[1] * x[1] + y[1] * y[1]) + 0.5 * xp.sum(x * y)


def saddle_fixed_steps(xp: Any, x: Any, start: Any) -> Any:
    """g(x, y*(x)) with y*(x) from three steps of gradient ascent on g(x, .) from ``start``,
    where g adds a coupling x.y to a saddle function so that y* really depends on x: the
    inner derivative's own derivative in x is tested, which GradBench's saddle (no coupling:
    its argmax does not depend on p1) does not do."""
    y = start
    for _ in range(3):
        y = y + 0.1 * xp.grad(lambda yy: _coupled_f(xp, x, yy))(y)
    return _coupled_f(xp, x, y)


# --- particle: GradBench's evals/particle -----------------------------------------------------
def particle(xp: Any, w: Any) -> Any:
    """Pearlmutter and Siskind's charged particle (GradBench's particle): naive Euler steps
    under the force -grad p until the particle crosses y = 0, then x_0(t_f)^2 by linear
    interpolation. p(x; w) = 1/|x - (10, 10 - w)| + 1/|x - (10, 0)|. The trip count depends
    on w (a data-dependent while loop), and the force is a nested gradient."""
    one = xp.ones_like(w)
    charges = [xp.stack([10.0 * one, 10.0 - w]), xp.stack([10.0 * one, 0.0 * one])]

    def potential(p: Any) -> Any:
        return sum(1.0 / xp.sqrt(xp.sum(xp.square(p - c))) for c in charges)

    position = xp.stack([0.0 * one, 8.0 * one])
    velocity = xp.stack([0.75 * one, 0.0 * one])
    dt = 0.1
    for _ in range(2000):  # a cap; the crossing comes after ~350 steps
        acceleration = -xp.grad(potential)(position)
        moved = position + dt * velocity
        if not moved[1] > 0.0:
            break
        position, velocity = moved, velocity + dt * acceleration
    t_final = -position[1] / velocity[1]
    return xp.square((position + t_final * velocity)[0])


def particle_argmin(xp: Any, w0: Any) -> Any:
    """GradBench's particle output: gd.hpp's argmin over w of ``particle`` from ``w0``, with
    its gradient nesting the force's (tools/futhark/particle.fut: a vector of one entry)."""
    def cost(v: Any) -> Any:
        return particle(xp, v[0])

    return descent.argmin(xp, cost, xp.grad(cost), xp.stack([w0]))[0]


# --- small nestings -----------------------------------------------------------------------------
def _confusion(xp: Any, x: Any) -> Any:
    inner = xp.grad(lambda y: xp.sum(x + y))(xp.ones_like(x))
    return xp.sum(x * inner)


def _gradient_penalty(xp: Any, x: Any) -> Any:
    g = xp.grad(lambda z: xp.sum(xp.sin(z) * z * z))(x)
    return xp.sum(g * g)


CASES = [
    Case("saddle", saddle,
         args=(Arg("p1", D.REAL, (2,)), Arg("start", D.interval(0.5, 1.5), (2,), diff=False)),
         sizes=TINY, requires=NESTED, tags={"model", "gradbench", "nested", "data-dependent"},
         note="GradBench evals/saddle's objective, not its output point: max over p2 of "
              "|p1|^2 - |p2|^2, the max by GradBench's gd.hpp ascent (a nested gradient per "
              "step, to convergence) from start. GradBench outputs the saddle point, an "
              "argmin of this over p1 from the same start: ~48,000 nested gradients per call, "
              "and as a function of start it is start times a factor that jumps wherever the "
              "step count changes, so the matrix differentiates the objective in p1, and "
              "tests/test_gradbench_saddle_particle.py reproduces the published point through "
              "it (saddle_point)"),
    Case("saddle-fixed-steps", saddle_fixed_steps,
         args=(Arg("x", D.REAL, (2,)), Arg("start", D.REAL, (2,), diff=False)),
         sizes=TINY, requires=NESTED, tags={"model", "nested"},
         note="not GradBench's saddle: a saddle function with a coupling 0.5 x.y and the inner "
              "argmax unrolled 3 fixed steps, so the inner gradient depends on x"),
    Case("particle", particle, args=(Arg("w", D.interval(-0.2, 0.3), ()),),
         sizes=ONE, requires=NESTED,
         tags={"model", "gradbench", "nested", "data-dependent", "control-flow"},
         note="GradBench evals/particle's objective, not its output w*: Euler dt = 0.1 from "
              "(0, 8) with velocity (0.75, 0) (Pearlmutter & Siskind), minimised over w from "
              "w = 0 by GradBench's gradient descent; the test reproduces its published w* = "
              "0.2071918746486116 through particle_argmin, and w is drawn around w*"),
    Case("perturbation-confusion", _confusion, sizes=TINY, requires=NESTED,
         tags={"nested"}, output_shape=(),
         note="d/dx sum(x * d/dy sum(x + y)) = 1 per entry; a confused nesting gives 2"),
    Case("gradient-penalty", _gradient_penalty, sizes=Sizes(check=4, sweep=(100, 10_000)),
         requires=NESTED, tags={"nested"},
         note="|grad h(x)|^2 as a loss (a WGAN-GP-style penalty): reverse over reverse"),
]
