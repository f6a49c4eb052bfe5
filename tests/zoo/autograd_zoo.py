"""The zoo's HIPS autograd entries: ``autograd.extend.primitive`` with ``defvjp``/``defjvp``
rules, and plain ``autograd.numpy`` functions at hard points. Arguments are NumPy arrays;
autograd is imported only inside the builders."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.zoo.entry import Built, Registry, seeded
from tests.zoo.models import conditioned_matrix

__all__ = ["ZOO"]

ZOO = Registry("autograd")


# ----------------------------------------------------------------------------------------------
# Bugs
# ----------------------------------------------------------------------------------------------


@ZOO.bug("0.1 % relative error (reverse mode only)",
         "primitive logistic; defvjp g * y (1 - y) * 1.001, defjvp right")
def logistic_rel_1e_3() -> Built:
    import autograd.numpy as anp
    from autograd.extend import defjvp, defvjp, primitive

    @primitive
    def logistic(x: Any) -> Any:
        return 1 / (1 + anp.exp(-x))

    defvjp(logistic, lambda y, x: lambda g: g * y * (1 - y) * 1.001)
    defjvp(logistic, lambda t, y, x: t * y * (1 - y))
    return Built(logistic, (seeded("logistic").standard_normal(4),))


@ZOO.bug("1e-5 relative error", "primitive cbrt; defvjp writes 1/3 as 0.33333 (1e-5 relative)")
def cbrt_rel_1e_5() -> Built:
    import autograd.numpy as anp
    from autograd.extend import defvjp, primitive

    @primitive
    def cbrt(x: Any) -> Any:
        return anp.cbrt(x)

    defvjp(cbrt, lambda y, x: lambda g: g * 0.33333 / (y * y))
    return Built(cbrt, (seeded("cbrt").uniform(0.5, 4, 4),))


@ZOO.bug("error only in forward mode",
         "primitive log1p; defvjp g / (1 + x) right, defjvp t / (1 + x) * 1.001")
def forward_only() -> Built:
    import autograd.numpy as anp
    from autograd.extend import defjvp, defvjp, primitive

    @primitive
    def log1p(x: Any) -> Any:
        return anp.log1p(x)

    defvjp(log1p, lambda y, x: lambda g: g / (1 + x))
    defjvp(log1p, lambda t, y, x: t / (1 + x) * 1.001)
    return Built(log1p, (seeded("log1p").uniform(0, 2, 3),))


@ZOO.bug("error only in the second argument",
         "primitive x * y^3; the y rule is g * 3 x y (y^2 typed as y; y within 2 % of 1)")
def second_argument() -> Built:
    from autograd.extend import defvjp, primitive

    @primitive
    def xy3(x: Any, y: Any) -> Any:
        return x * y**3

    defvjp(xy3, lambda ans, x, y: lambda g: g * y**3,
           lambda ans, x, y: lambda g: g * 3 * x * y)
    rng = seeded("xy3")
    return Built(xy3, (rng.uniform(0.5, 1.5, 3), 1 + 0.01 * rng.standard_normal(3)))


@ZOO.bug("error only at second order",
         "primitive sin with vjp g * cos(x), right, but cos is a primitive whose vjp has the "
         "wrong sign (+sin)")
def second_order() -> Built:
    import autograd.numpy as anp
    from autograd.extend import defvjp, primitive

    @primitive
    def cos(x: Any) -> Any:
        return anp.cos(x)

    defvjp(cos, lambda y, x: lambda g: g * anp.sin(x))  # truth: -sin

    @primitive
    def sin(x: Any) -> Any:
        return anp.sin(x)

    defvjp(sin, lambda y, x: lambda g: g * cos(x))
    return Built(sin, (seeded("sin").uniform(-2, 2, 3),))


@ZOO.bug("error only at second order (forward over reverse)",
         "primitive sin with right rules (vjp g * cos(x) through a cos primitive, jvp "
         "t * cos(x)); the cos primitive's vjp is right but its defjvp has the wrong sign, so "
         "only the JVP of the VJP is wrong (reverse over reverse cannot see it)")
def second_order_fwd_over_rev() -> Built:
    import autograd.numpy as anp
    from autograd.extend import defjvp, defvjp, primitive

    @primitive
    def cos(x: Any) -> Any:
        return anp.cos(x)

    defvjp(cos, lambda y, x: lambda g: -g * anp.sin(x))
    defjvp(cos, lambda t, y, x: t * anp.sin(x))  # the bug: truth -sin

    @primitive
    def sin(x: Any) -> Any:
        return anp.sin(x)

    defvjp(sin, lambda y, x: lambda g: g * cos(x))
    defjvp(sin, lambda t, y, x: t * anp.cos(x))
    return Built(sin, (seeded("sin-fwd").uniform(-2, 2, 3),))


@ZOO.bug("transposed matrix gradient",
         "primitive A @ x for a square A; the A rule is outer(x, g), the transpose of outer(g, x)")
def matvec_transposed() -> Built:
    import autograd.numpy as anp
    from autograd.extend import defvjp, primitive

    @primitive
    def matvec(a: Any, x: Any) -> Any:
        return a @ x

    defvjp(matvec, lambda y, a, x: lambda g: anp.outer(x, g),
           lambda y, a, x: lambda g: a.T @ g)
    rng = seeded("matvec")
    return Built(matvec, (rng.standard_normal((3, 3)), rng.standard_normal(3)))


@ZOO.bug("one wrong row of a batch",
         "primitive row-wise softmax of a 5x4 batch; the vjp loops over rows from 1, leaving "
         "row 0's cotangent unprojected")
def batch_first_row() -> Built:
    import autograd.numpy as anp
    from autograd.extend import defvjp, primitive

    @primitive
    def softmax(x: Any) -> Any:
        e = anp.exp(x - anp.max(x, axis=1, keepdims=True))
        return e / anp.sum(e, axis=1, keepdims=True)

    def softmax_vjp(y: Any, x: Any) -> Any:
        def vjp(g: Any) -> Any:
            rows = [g[0]]  # the bug: the loop below should start at 0
            for b in range(1, y.shape[0]):
                rows.append(y[b] * (g[b] - anp.sum(g[b] * y[b])))
            return anp.stack(rows)

        return vjp

    defvjp(softmax, softmax_vjp)
    return Built(softmax, (seeded("softmax").standard_normal((5, 4)),))


# ----------------------------------------------------------------------------------------------
# Hard but correct
# ----------------------------------------------------------------------------------------------


@ZOO.hard("kink: maximum with ties", "sum(w * maximum(x, y)) with x == y in two entries; "
          "autograd splits the tie 1/2, 1/2")
def maximum_ties() -> Built:
    import autograd.numpy as anp

    w = np.array([1.0, 2.0, 0.5, 1.5])
    x, y = np.array([0.3, 1.0, -0.5, 2.0]), np.array([0.3, 0.2, -0.5, 2.5])
    return Built(lambda x, y: anp.sum(w * anp.maximum(x, y)), (x, y))


@ZOO.hard("kink: abs at 0", "sum(w * |x|) with two entries exactly 0")
def abs_at_zero() -> Built:
    import autograd.numpy as anp

    w = np.array([1.0, 0.5, 2.0])
    return Built(lambda x: anp.sum(w * anp.abs(x)), (np.array([0.0, -0.4, 0.0]),))


@ZOO.hard("inputs from 1e-8 to 1e8", "sum(x log x) at x = 1e-8, 1e-4, 1, 1e4, 1e8")
def wide_range() -> Built:
    import autograd.numpy as anp

    return Built(lambda x: anp.sum(x * anp.log(x)), (np.logspace(-8, 8, 5),))


@ZOO.hard("stiff exponential", "sum(exp(50 x)) on [-0.3, 0.3]")
def stiff_exp() -> Built:
    import autograd.numpy as anp

    return Built(lambda x: anp.sum(anp.exp(50 * x)), (np.linspace(-0.3, 0.3, 5),))


@ZOO.hard("ill-conditioned matrix", "sum(W * inv(A)) with cond(A) = 1e6 (3x3)")
def inv_cond_1e6() -> Built:
    import autograd.numpy as anp

    rng = seeded("inv")
    a, w = conditioned_matrix(rng, 3, 1e6), rng.standard_normal((3, 3))
    return Built(lambda a: anp.sum(w * anp.linalg.inv(a)), (a,))


@ZOO.hard("correct primitive, spread inputs",
          "the autograd tutorial's logsumexp primitive (defvjp only: forward mode must be "
          "reported as not checked), logsumexp(z) - z[0] with z spread over 60")
def custom_logsumexp_correct() -> Built:
    import autograd.numpy as anp
    from autograd.extend import defvjp, primitive

    @primitive
    def logsumexp(x: Any) -> Any:
        m = anp.max(x)
        return m + anp.log(anp.sum(anp.exp(x - m)))

    defvjp(logsumexp, lambda ans, x: lambda g: anp.full(x.shape, g) * anp.exp(x - ans))
    z = seeded("lse").permutation(np.linspace(-30.0, 30.0, 6))
    return Built(lambda z: logsumexp(z) - z[0], (z,))
