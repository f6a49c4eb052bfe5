"""Control flow: Python loops, recursion, branches on data, a fixed-step RK4 solve, and loops
whose trip count depends on the data.

Tracing frameworks unroll fixed loops; a branch or trip count that depends on a value needs
that value concretely, which eager execution allows and jit does not. Such cases carry the
``data-dependent`` tag (registration enforces it) so jit adapters can report them unsupported.
"""

from __future__ import annotations

from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes
from cases.library._helpers import ELEMENTWISE

__all__ = ["CASES"]

LOOPS = Sizes(check=5, sweep=(100, 10_000, 100_000))
TINY = Sizes(check=2, sweep=(2,), names=("state",))


def _c(name: str, fn: Any, args: tuple[Arg, ...] = (Arg("x"),), out: Any = lambda n: (n,), *,
       sizes: Sizes = LOOPS, tags: set[str] | None = None, **kw: Any) -> Case:
    return Case(name, fn, args=args, output_shape=out, sizes=sizes,
                tags={"control-flow"} | (tags or set()), **kw)


def _fixed_loop(xp: Any, x: Any) -> Any:
    for _ in range(8):
        x = xp.sin(x) + 0.5 * x
    return x


def _loop_stack(xp: Any, x: Any, w: Any) -> Any:
    h, states = x, []
    for t in range(5):
        h = xp.tanh(h * w + 0.1 * t)
        states.append(h)
    return xp.stack(states)


def _loop_reuse(xp: Any, x: Any) -> Any:
    y = x
    for _ in range(6):
        y = y * x / (1.0 + y * y)  # x feeds every iteration: its cotangents add up
    return y


def _recursion(xp: Any, x: Any, depth: int = 5) -> Any:
    if depth == 0:
        return x
    return _recursion(xp, xp.sin(x) * x + 0.25 * x, depth - 1)


def _branch_on_sum(xp: Any, x: Any) -> Any:
    if xp.sum(x) > 0.0:
        return xp.sum(xp.sin(x) * x)
    return xp.sum(xp.cos(x) - x)


def _branch_per_row(xp: Any, x: Any) -> Any:
    out = []
    for i in range(x.shape[0]):
        row = x[i]
        out.append(xp.exp(row) if row[0] > 0.0 else row * row)
    return xp.stack(out)


def _newton_sqrt(xp: Any, a: Any) -> Any:
    # y <- (y + a / y) / 2 until |y^2 - a| is small relative to a: the trip count depends on
    # a; the derivative through the unrolled iterations tends to 1 / (2 sqrt(a)). The cap keeps
    # a pathological input from looping forever; 1e-6 is reachable in float32.
    y = a
    for _ in range(60):
        if not xp.max(xp.abs(y * y - a) / a) > 1e-6:
            break
        y = 0.5 * (y + a / y)
    # Two more steps take the error from 1e-6 to below rounding, so the value does not jump
    # where a change in a adds or removes an iteration (finite differences stay meaningful).
    for _ in range(2):
        y = 0.5 * (y + a / y)
    return y


def _double_until(xp: Any, x: Any) -> Any:
    while xp.sum(x * x) < 100.0:
        x = 2.0 * x
    return x


def _early_exit(xp: Any, x: Any) -> Any:
    # The value jumps where the exit moves by one iteration: a genuine discontinuity in x,
    # met with probability ~0 by random inputs (and named in the note).
    for _ in range(40):
        x = 0.8 * x + 0.1 * xp.sin(x)
        if xp.max(xp.abs(x)) < 0.3:
            break
    return x


def _rnn(xp: Any, w: Any, u: Any, xs: Any) -> Any:
    h = xp.zeros_like(w[0])
    for t in range(xs.shape[0]):
        h = xp.tanh(xp.matmul(w, h) + u * xs[t])
    return h


def _lotka_volterra(xp: Any, theta: Any, y: Any) -> Any:
    a, b, c, d = theta[0], theta[1], theta[2], theta[3]
    return xp.stack([a * y[0] - b * y[0] * y[1], c * y[0] * y[1] - d * y[1]])


def _rk4(xp: Any, theta: Any, y0: Any) -> Any:
    h, y = 0.05, y0
    for _ in range(40):
        k1 = _lotka_volterra(xp, theta, y)
        k2 = _lotka_volterra(xp, theta, y + 0.5 * h * k1)
        k3 = _lotka_volterra(xp, theta, y + 0.5 * h * k2)
        k4 = _lotka_volterra(xp, theta, y + h * k3)
        y = y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


CASES = [
    _c("loop-fixed", _fixed_loop),
    _c("loop-stack-states", _loop_stack, (Arg("x"), Arg("w")), lambda n: (5, n)),
    _c("loop-reuse-input", _loop_reuse),
    _c("recursion", _recursion, note="Python recursion, depth 5"),
    _c("branch-on-sum-true", _branch_on_sum, (Arg("x", D.POSITIVE),), (),
       tags={"data-dependent"}, note="positive inputs: always the first branch"),
    _c("branch-on-sum-false", _branch_on_sum, (Arg("x", D.NEGATIVE),), (),
       tags={"data-dependent"}, note="negative inputs: always the second branch"),
    _c("branch-per-row", _branch_per_row, (Arg("x", D.AWAY_FROM_ZERO, lambda n: (4, n)),),
       lambda n: (4, n), tags={"data-dependent"},
       note="each row picks its branch from its own first entry"),
    _c("newton-sqrt", _newton_sqrt, (Arg("a", D.POSITIVE),), tags={"data-dependent"},
       sizes=ELEMENTWISE),
    _c("loop-until-large", _double_until, tags={"data-dependent"},
       note="doubles x until |x|^2 >= 100: the trip count, and the derivative 2^k, depend on x"),
    _c("loop-early-exit", _early_exit, tags={"data-dependent"},
       note="breaks once max|x| < 0.3: piecewise smooth, with jumps where the count changes"),
    _c("rnn-scan", _rnn,
       (Arg("w", D.REAL, lambda n: (n, n)), Arg("u", D.REAL), Arg("xs", D.REAL, (6, 1),
                                                                    diff=False)),
       lambda n: (n,), sizes=Sizes(check=4, sweep=(16, 128, 512)),
       note="h <- tanh(W h + u x_t) over 6 steps"),
    _c("rk4-lotka-volterra", _rk4,
       (Arg("theta", D.interval(0.5, 1.5), (4,)), Arg("y0", D.interval(0.5, 2.0), (2,))),
       (2,), sizes=TINY, tags={"ode"},
       note="40 fixed RK4 steps of h = 0.05 on the Lotka-Volterra equations; the parameters "
            "and the initial state are differentiated"),
]
