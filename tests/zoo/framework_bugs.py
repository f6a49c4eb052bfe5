"""Framework bugs gradparity found: correct user functions whose derivatives the framework's
own AD gets wrong (kind "framework-bug": every checker should fail them, as for a planted bug).

torch.linalg.solve, forward over forward (torch 2.13; known upstream as pytorch/pytorch#192540
and #196695, part of the umbrella #198017). ``torch.func.jvp`` of ``torch.func.jvp`` through
``linalg.solve`` drops one of the two second-order terms: for x(A) = A^-1 b and directions
dA1 (inner) and dA2 (outer) the exact value is

    d2x = -A^-1 dA2 x1 - A^-1 dA1 x2,   x1 = -A^-1 dA1 x,   x2 = -A^-1 dA2 x,

and torch returns the second term alone. Its JVP rule solves with the LU factors saved from
the primal, which are not differentiable, so A^-1 is a constant to the outer derivative. Reverse
over forward (``vjp`` of ``jvp``) inherits the error; forward over reverse and reverse over
reverse are right, and so is ``inv(A) @ b`` in every nesting. Measured on
``torch-solve-cond-1e6`` (inner direction random, outer e_00): closed form in float64 and in
50-digit mpmath -7.50844352308e16, jax.jvp of jax.jvp (x64) -7.50844352308e16, torch jvp of jvp
-3.72679908569e16, torch vjp of jvp -3.72679908567e16, torch jvp of vjp and vjp of vjp
-7.5084435230e16, torch jvp of jvp of inv(A) @ b -7.5084435231e16. The condition number plays no
part: ``torch-solve-fwd-over-fwd`` is the same at cond 10 (``reproduce_solve`` is the minimal
reproducer). If a torch release fixes it, these entries pass gradparity and tests/test_zoo.py
says so: move them back to the hard functions then.

torch.linalg.vector_norm at 0, second order (torch 2.13). The first derivative there is 0, a
subgradient; reverse over forward and reverse over reverse give NaN (0/0 in its backward) while
both forward-over nestings give 0, and along every axis both one-sided limits of the first
derivative's derivative are 0. The second derivative does not exist at 0, so this is a
convention rather than a wrong formula, but a NaN is no member of the one-sided limits'
interval and a NaN in a Hessian-vector product poisons what uses it: gradparity names it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.zoo.entry import Built, Registry, seeded
from tests.zoo.torch_zoo import _tensors, solve_problem

__all__ = ["FOUND", "reproduce_solve"]

FOUND = Registry("torch")


@FOUND.framework_bug(
    "framework bug: second order (forward over forward)",
    "sum(w * solve(A, b)) with cond(A) = 1e6: torch's jvp of jvp through linalg.solve drops the "
    "term -A^-1 dA2 x1 (about half the value here); gradparity fails 'JVP of JVP'",
)
def solve_cond_1e6() -> Built:
    import torch

    a, b, w = solve_problem()
    return Built(lambda a, b: (w * torch.linalg.solve(a, b)).sum(), (a, b))


@FOUND.framework_bug(
    "framework bug: second order (forward over forward)",
    "sum(w * solve(A, b)) with a well-conditioned 3x3 A (cond < 10): the same dropped term, so "
    "it is torch's rule and not the conditioning",
)
def solve_fwd_over_fwd() -> Built:
    import torch

    rng = seeded("solve-fwd-fwd")
    a, b, w = _tensors(rng.standard_normal((3, 3)) + 3.0 * np.eye(3), rng.standard_normal(3),
                       rng.standard_normal(3))
    return Built(lambda a, b: (w * torch.linalg.solve(a, b)).sum(), (a, b))


@FOUND.framework_bug(
    "framework behaviour: NaN at a kink (second order)",
    "vector_norm(x) at x = 0: torch's reverse-over-forward and reverse-over-reverse second "
    "derivatives are NaN where the one-sided limits are 0; gradparity fails 'VJP of ...'",
)
def norm_at_zero() -> Built:
    import torch

    (x,) = _tensors(np.zeros(3))
    return Built(torch.linalg.vector_norm, (x,))


def reproduce_solve() -> tuple[float, float]:
    """(torch's jvp of jvp, the closed form) of ``solve(A, b)`` along dA1 then dA2 at a
    well-conditioned A: they differ while torch has the bug."""
    import torch

    rng = np.random.default_rng(0)
    a, da1, da2 = _tensors(rng.standard_normal((3, 3)) + 3.0 * np.eye(3),
                           rng.standard_normal((3, 3)), rng.standard_normal((3, 3)))
    (b,) = _tensors(rng.standard_normal(3))

    def inner(m: Any) -> Any:
        return torch.func.jvp(lambda n: torch.linalg.solve(n, b), (m,), (da1,))[1]

    got = torch.func.jvp(inner, (a,), (da2,))[1]
    ai = torch.linalg.inv(a)
    x = ai @ b
    x1, x2 = -ai @ (da1 @ x), -ai @ (da2 @ x)
    exact = -ai @ (da2 @ x1) - ai @ (da1 @ x2)
    return float(got.sum()), float(exact.sum())
