"""GradBench's gradient-descent solver (``cpp/gradbench/gd.hpp``; the same algorithm as
``tools/futhark/solver.fut``), written against ``xp`` so the nested cases can run it on every
framework. GradBench's saddle and particle evals define their outputs through it, so its
constants are part of their definitions and must not be tuned here.

The rule, transcribed: start with step ``eta = 1e-5``; stop when |grad| <= 1e-5 or when the
proposed step moves less than 1e-5; accept a step only if it lowers the objective (and count
it), halve ``eta`` and reset the count on a rejected step, double ``eta`` after ten accepted
steps in a row. Every test is a Python branch on a value, so a case that calls the solver is
``data-dependent`` (no jit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["MAX_PROPOSALS", "argmax", "argmin", "max_value"]

Scalar = Callable[[Any], Any]

TOLERANCE = 1e-5  # gd.hpp: both stopping tests
FIRST_STEP = 1e-5  # gd.hpp: eta's start
RUN_LENGTH = 10  # gd.hpp: accepted steps before eta doubles
# GradBench loops until a stopping test holds; a cap turns a solver that never stops (a bug, or
# a framework whose comparisons misbehave) into an error instead of a hung run.
MAX_PROPOSALS = 100_000


def _norm(xp: Any, v: Any) -> Any:
    return xp.sqrt(xp.sum(v * v))


def argmin(xp: Any, objective: Scalar, gradient: Scalar, start: Any) -> Any:
    """The point gd.hpp's ``multivariate_argmin`` returns for ``objective`` from ``start``;
    ``gradient`` is the objective's gradient (a nested ``xp.grad`` in the cases)."""
    x, fx, gx = start, objective(start), gradient(start)
    eta, run = FIRST_STEP, 0
    for _ in range(MAX_PROPOSALS):
        if _norm(xp, gx) <= TOLERANCE:
            return x
        if run == RUN_LENGTH:
            eta, run = 2.0 * eta, 0
            continue
        proposal = x - eta * gx
        if _norm(xp, x - proposal) <= TOLERANCE:
            return x
        f_proposal = objective(proposal)
        if f_proposal < fx:
            x, fx, gx = proposal, f_proposal, gradient(proposal)
            run += 1
        else:
            eta, run = eta / 2.0, 0
    raise RuntimeError(f"gradient descent did not stop within {MAX_PROPOSALS} proposals")


def argmax(xp: Any, objective: Scalar, gradient: Scalar, start: Any) -> Any:
    """gd.hpp's ``multivariate_argmax``: the argmin of -objective (gradient negated too)."""
    return argmin(xp, lambda x: -objective(x), lambda x: -gradient(x), start)


def max_value(xp: Any, objective: Scalar, gradient: Scalar, start: Any) -> Any:
    """gd.hpp's ``multivariate_max``: the objective at ``argmax``."""
    return objective(argmax(xp, objective, gradient, start))
