"""Control flow and derivative control (issue 17): each framework's own loop, checkpoint,
stop-gradient and custom-rule mechanism against the plain Python equivalent.

Every native construct (``xp.scan``, ``xp.fori_loop``, ``xp.while_loop``, ``xp.checkpoint``,
``xp.custom_vjp``) comes in a pair with its plain twin (the loop unrolled in Python, the
function without checkpoint or rule, case ``<name>-plain``): the two compute the same function,
so every check holds both to the same oracle and to refengine, and a difference between a pair
on one framework is that framework's construct. ``xp.stop_gradient`` has no plain twin (its
derivative is not the function's); the oracle holds the stopped values fixed at the point (tag
``stop-gradient``; see ``cases.conformance.reference``), so finite differences measure exactly
the derivative stop_gradient defines.

These cases carry the ``transform`` tag: the default pytest run checks them on refengine,
torch and autograd, and two (tag ``transform-smoke``: ``lax.scan``/``tf.scan``, and a custom rule
over ``fori_loop``) on jax.jit and eager TensorFlow; ``--gp-slow``
checks every combination; ``gradparity run --quick`` leaves them out (a full run has them).
"""

from __future__ import annotations

from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "SMOKE"]

STEPS = 6  # loop length of the scan cases
SMALL = Sizes(check=4, sweep=(16, 256))
SMOKE = "transform-smoke"


def _c(name: str, fn: Any, args: tuple[Arg, ...], out: Any, *, tags: set[str] | None = None,
       sizes: Sizes = SMALL, **kw: Any) -> Case:
    return Case(name, fn, args=args, output_shape=out, sizes=sizes,
                tags={"transform"} | (tags or set()), **kw)


# --- scan: an RNN over a sequence ---------------------------------------------------------------
def _cell(xp: Any, w: Any, u: Any) -> Any:
    def step(h: Any, x: Any) -> tuple[Any, Any]:
        h = xp.tanh(xp.matmul(w, h) + u * x)
        return h, h * h

    return step


def _rnn_scan(xp: Any, w: Any, u: Any, xs: Any) -> Any:
    h, ys = xp.scan(_cell(xp, w, u), xp.zeros_like(u), xs)
    return xp.concatenate([h, xp.reshape(ys, (-1,))])


def _rnn_plain(xp: Any, w: Any, u: Any, xs: Any) -> Any:
    step, h, ys = _cell(xp, w, u), xp.zeros_like(u), []
    for t in range(xs.shape[0]):
        h, y = step(h, xs[t])
        ys.append(y)
    return xp.concatenate([h, xp.reshape(xp.stack(ys), (-1,))])


RNN_ARGS = (Arg("w", D.interval(-0.5, 0.5), lambda n: (n, n)), Arg("u", D.REAL),
            Arg("xs", D.REAL, lambda n: (STEPS, n)))


def _rnn_out(n: int) -> tuple[int]:
    return ((STEPS + 1) * n,)


# --- scan with a tuple carry and tuple inputs: an exponential moving average and its variance --
def _ema_step(xp: Any, decay: Any) -> Any:
    def step(carry: tuple[Any, Any], x: tuple[Any, Any]) -> tuple[Any, Any]:
        mean, var = carry
        value, weight = x
        delta = value * weight - mean
        mean = mean + (1.0 - decay) * delta
        var = decay * (var + (1.0 - decay) * delta * delta)
        return (mean, var), (mean, xp.sqrt(var + 1.0))

    return step


def _ema_scan(xp: Any, decay: Any, values: Any, weights: Any) -> Any:
    (mean, var), (means, stds) = xp.scan(_ema_step(xp, decay), (values[0], xp.zeros_like(
        values[0])), (values, weights))
    return xp.sum(means * stds, axis=0) + mean * var


def _ema_plain(xp: Any, decay: Any, values: Any, weights: Any) -> Any:
    step, carry, total = _ema_step(xp, decay), (values[0], xp.zeros_like(values[0])), 0.0
    for t in range(values.shape[0]):
        carry, (m, s) = step(carry, (values[t], weights[t]))
        total = total + m * s
    return total + carry[0] * carry[1]


EMA_ARGS = (Arg("decay", D.interval(0.5, 0.95), ()), Arg("values", D.REAL, lambda n: (STEPS, n)),
            Arg("weights", D.interval(0.5, 1.5), lambda n: (STEPS, n)))


# --- fori_loop: Horner's rule, the loop index selecting the coefficient ------------------------
DEGREE = 7


def _horner_fori(xp: Any, c: Any, x: Any) -> Any:
    return xp.fori_loop(0, DEGREE, lambda i, p: p * x + c[i], xp.zeros_like(x))


def _horner_plain(xp: Any, c: Any, x: Any) -> Any:
    p = xp.zeros_like(x)
    for i in range(DEGREE):
        p = p * x + c[i]
    return p


HORNER_ARGS = (Arg("c", D.REAL, (DEGREE,)), Arg("x", D.interval(-1.2, 1.2)))


# --- while_loop: double until large (the trip count depends on x) -----------------------------
def _until_large_while(xp: Any, x: Any) -> Any:
    return xp.while_loop(lambda y: xp.sum(y * y) < 100.0, lambda y: 2.0 * y + 0.1 * xp.sin(y), x)


def _until_large_plain(xp: Any, x: Any) -> Any:
    while xp.sum(x * x) < 100.0:
        x = 2.0 * x + 0.1 * xp.sin(x)
    return x


# --- checkpoint: an MLP whose blocks are rematerialised -----------------------------------------
WIDTH = 12  # the batch grows with the size: activations, not weights, dominate the memory
LAYERS = 4


def _block(xp: Any, h: Any, w: Any, b: Any) -> Any:
    z = xp.matmul(h, w) + b
    return 0.5 * h + xp.tanh(z) * xp.special.expit(z)


def _mlp(xp: Any, x: Any, w1: Any, w2: Any, b: Any, remat: bool) -> Any:
    def block(h: Any, w: Any, bias: Any) -> Any:
        return _block(xp, h, w, bias)

    layer = xp.checkpoint(block) if remat else block
    h = x
    for k in range(LAYERS):
        h = layer(h, w1 if k % 2 == 0 else w2, b)
    return xp.mean(h * h)


def _mlp_checkpoint(xp: Any, x: Any, w1: Any, w2: Any, b: Any) -> Any:
    return _mlp(xp, x, w1, w2, b, True)


def _mlp_plain(xp: Any, x: Any, w1: Any, w2: Any, b: Any) -> Any:
    return _mlp(xp, x, w1, w2, b, False)


# A batch of n rows of width 12; the sweep's last size (65,536 rows: 6.3 MB per activation in
# float64) is where the memory saving shows (tests/test_transformations.py measures it).
MLP_ARGS = (Arg("x", D.REAL, lambda n: (n, WIDTH)),
            Arg("w1", D.interval(-0.4, 0.4), (WIDTH, WIDTH)),
            Arg("w2", D.interval(-0.4, 0.4), (WIDTH, WIDTH)), Arg("b", D.REAL, (WIDTH,)))
MLP_SIZES = Sizes(check=3, sweep=(256, 65_536), names=("batch",))


# --- custom_vjp: a stable softplus with its own rule, and an implicit derivative --------------
def _softplus(xp: Any, x: Any) -> Any:
    # max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|
    return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))


def _softplus_custom(xp: Any, x: Any) -> Any:
    def f(x: Any) -> Any:
        return _softplus(xp, x)

    def fwd(x: Any) -> tuple[Any, Any]:
        return f(x), (x,)

    def bwd(res: tuple[Any, ...], g: Any) -> tuple[Any]:
        # d/dx softplus = expit(x): one smooth function where the natural derivative goes
        # through maximum, abs and the kink at 0.
        return (g * xp.special.expit(res[0]),)

    return xp.sum(xp.custom_vjp(f, fwd, bwd)(x) * x)


def _softplus_plain(xp: Any, x: Any) -> Any:
    return xp.sum(_softplus(xp, x) * x)


NEWTON_STEPS = 8


def _newton_sqrt(xp: Any, a: Any) -> Any:
    return xp.fori_loop(0, NEWTON_STEPS, lambda i, y: 0.5 * (y + a / y), 0.5 * (a + 1.0))


def _sqrt_custom(xp: Any, a: Any) -> Any:
    # The implicit function theorem: y^2 = a, so dy/da = 1 / (2 y): the rule does not
    # differentiate the iterations (the derivative of the converged iteration is the same).
    def f(a: Any) -> Any:
        return _newton_sqrt(xp, a)

    def fwd(a: Any) -> tuple[Any, Any]:
        y = f(a)
        return y, (y,)

    def bwd(res: tuple[Any, ...], g: Any) -> tuple[Any]:
        return (g / (2.0 * res[0]),)

    return xp.custom_vjp(f, fwd, bwd)(a) * a


def _sqrt_plain(xp: Any, a: Any) -> Any:
    return _newton_sqrt(xp, a) * a


# --- stop_gradient: a straight-through estimator and a target network --------------------------
def _straight_through(xp: Any, x: Any, w: Any) -> Any:
    # The value rounds x; the derivative passes through the rounding as if it were the identity.
    q = x + xp.stop_gradient(xp.round(x) - x)
    return xp.tanh(w * q)


def _target_loss(xp: Any, w: Any, a: Any, s: Any, s_next: Any, r: Any) -> Any:
    # A temporal-difference loss: the target's value is held fixed (its network is the same).
    q = xp.sum(xp.tanh(xp.matmul(s, w)) * a, axis=-1)
    target = r + 0.9 * xp.stop_gradient(xp.sum(xp.tanh(xp.matmul(s_next, w)) * a, axis=-1))
    return xp.mean((q - target) ** 2)


def _detached_factor(xp: Any, x: Any) -> Any:
    # x * stop_gradient(x): the value x^2, the derivative x (not 2x).
    return x * xp.stop_gradient(x) + xp.sin(x)


_SG = {"stop-gradient"}

CASES = [
    _c("scan-rnn", _rnn_scan, RNN_ARGS, _rnn_out, tags={SMOKE},
       note="xp.scan: h <- tanh(W h + u x_t), 6 steps, the final state and the stacked h^2"),
    _c("scan-rnn-plain", _rnn_plain, RNN_ARGS, _rnn_out,
       note="scan-rnn as a Python loop"),
    _c("scan-tuple-carry", _ema_scan, EMA_ARGS, lambda n: (n,),
       note="xp.scan with a (mean, variance) carry, (value, weight) inputs and two outputs"),
    _c("scan-tuple-carry-plain", _ema_plain, EMA_ARGS, lambda n: (n,),
       note="scan-tuple-carry as a Python loop"),
    _c("fori-horner", _horner_fori, HORNER_ARGS, lambda n: (n,),
       note="xp.fori_loop: Horner's rule, degree 6, the index picks the coefficient"),
    _c("fori-horner-plain", _horner_plain, HORNER_ARGS, lambda n: (n,),
       note="fori-horner as a Python loop"),
    _c("while-until-large", _until_large_while, (Arg("x"),), lambda n: (n,),
       note="xp.while_loop: y <- 2y + sin(y)/10 until |y|^2 >= 100; the trip count depends "
            "on x (JAX's while_loop has no reverse mode)"),
    _c("while-until-large-plain", _until_large_plain, (Arg("x"),), lambda n: (n,),
       tags={"data-dependent"}, note="while-until-large as a Python loop"),
    _c("checkpoint-mlp", _mlp_checkpoint, MLP_ARGS, (), sizes=MLP_SIZES,
       note="four residual blocks h/2 + tanh(z) expit(z), z = h W + b, each under "
            "xp.checkpoint (rematerialised)"),
    _c("checkpoint-mlp-plain", _mlp_plain, MLP_ARGS, (), sizes=MLP_SIZES,
       note="checkpoint-mlp without checkpoint"),
    _c("custom-vjp-softplus", _softplus_custom, (Arg("x", D.AWAY_FROM_ZERO),), (),
       note="xp.custom_vjp: a stable softplus whose rule is expit(x)"),
    _c("custom-vjp-softplus-plain", _softplus_plain, (Arg("x", D.AWAY_FROM_ZERO),), (),
       note="custom-vjp-softplus, its natural derivative"),
    _c("custom-vjp-implicit-sqrt", _sqrt_custom, (Arg("a", D.interval(0.5, 2.0)),),
       lambda n: (n,), tags={SMOKE},
       note="xp.custom_vjp over 8 Newton steps for sqrt(a): the rule 1/(2y) by the implicit "
            "function theorem"),
    _c("custom-vjp-implicit-sqrt-plain", _sqrt_plain, (Arg("a", D.interval(0.5, 2.0)),),
       lambda n: (n,),
       note="custom-vjp-implicit-sqrt differentiated through the iterations"),
    _c("stop-gradient-straight-through", _straight_through,
       (Arg("x", D.interval(-2.4, 2.4)), Arg("w")), lambda n: (n,), tags=_SG,
       note="x + stop_gradient(round(x) - x): the value rounds, the derivative is 1 "
            "(half-integers, where round jumps, have probability 0)"),
    _c("stop-gradient-target", _target_loss,
       (Arg("w", D.interval(-0.5, 0.5), lambda n: (n, n)), Arg("a"),
        Arg("s", D.REAL, lambda n: (5, n), diff=False),
        Arg("s_next", D.REAL, lambda n: (5, n), diff=False),
        Arg("r", D.REAL, (5,), diff=False)), (), tags=_SG,
       note="a temporal-difference loss whose target is under stop_gradient"),
    _c("stop-gradient-detached-factor", _detached_factor, (Arg("x"),), lambda n: (n,),
       tags=_SG, note="x * stop_gradient(x) + sin(x): derivative x + cos(x)"),
]
