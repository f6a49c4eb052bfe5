"""Nested derivatives: a gradient inside the function being differentiated (GradBench's
saddle and particle, Pearlmutter and Siskind's examples). These need ``xp.grad``, an optional
capability: each case declares ``requires={"grad"}`` and adapters without it report the case
unsupported.

Perturbation confusion (Siskind and Pearlmutter 2005) is the classic failure: the inner
derivative must not pick up the outer perturbation. ``perturbation-confusion`` is the smallest
instance: d/dx [x * d/dy (x + y)] = 1, and a confused implementation answers 2.
"""

from __future__ import annotations

from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "particle", "saddle"]

NESTED = frozenset({"grad"})
TINY = Sizes(check=2, sweep=(2,))


def _saddle_f(xp: Any, x: Any, y: Any) -> Any:
    return (x[0] * x[0] + y[0] * y[0]) - (x[1] * x[1] + y[1] * y[1]) + 0.5 * xp.sum(x * y)


def saddle(xp: Any, x: Any, start: Any) -> Any:
    """f(x, y*(x)) with y*(x) from three steps of gradient ascent on f(x, .) from ``start``:
    GradBench's saddle objective, with the inner optimiser unrolled a fixed number of steps
    and a coupling term x.y so that y* really depends on x."""
    y = start
    for _ in range(3):
        y = y + 0.1 * xp.grad(lambda yy: _saddle_f(xp, x, yy))(y)
    return _saddle_f(xp, x, y)


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


def _confusion(xp: Any, x: Any) -> Any:
    inner = xp.grad(lambda y: xp.sum(x + y))(xp.ones_like(x))
    return xp.sum(x * inner)


def _gradient_penalty(xp: Any, x: Any) -> Any:
    g = xp.grad(lambda z: xp.sum(xp.sin(z) * z * z))(x)
    return xp.sum(g * g)


CASES = [
    Case("saddle", saddle,
         args=(Arg("x", D.REAL, (2,)), Arg("start", D.REAL, (2,), diff=False)),
         sizes=TINY, requires=NESTED, tags={"model", "gradbench", "nested"},
         note="GradBench evals/saddle (Pearlmutter & Siskind), inner argmax unrolled 3 steps"),
    Case("particle", particle, args=(Arg("w", D.interval(-0.2, 0.2), ()),),
         sizes=Sizes(check=1, sweep=(1,)), requires=NESTED,
         tags={"model", "gradbench", "nested", "data-dependent", "control-flow"},
         note="GradBench evals/particle (Pearlmutter & Siskind): Euler dt = 0.1 from (0, 8) "
              "with velocity (0.75, 0); the objective of the outer argmin over w"),
    Case("perturbation-confusion", _confusion, sizes=TINY, requires=NESTED,
         tags={"nested"}, output_shape=(),
         note="d/dx sum(x * d/dy sum(x + y)) = 1 per entry; a confused nesting gives 2"),
    Case("gradient-penalty", _gradient_penalty, sizes=Sizes(check=4, sweep=(100, 10_000)),
         requires=NESTED, tags={"nested"},
         note="|grad h(x)|^2 as a loss (a WGAN-GP-style penalty): reverse over reverse"),
]

