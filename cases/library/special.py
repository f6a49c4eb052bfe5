"""``xp.special`` (SciPy names) and ``xp.nn``: one case per name on its smooth domain, the
axis forms of softmax/log_softmax, and the compositions they exist for (cross-entropy,
Bernoulli and Dirichlet log-likelihoods, layer norm, a dense layer)."""

from __future__ import annotations

import math
from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes
from cases.library._helpers import BROADCAST, ELEMENTWISE, calls, elementwise, rows

__all__ = ["CASES"]


SPECIAL_UNARY = {
    "expit": D.REAL,
    "logit": D.ZERO_ONE,
    "erf": D.REAL,
    "erfc": D.REAL,
    "gammaln": D.POSITIVE,
    "digamma": D.POSITIVE,
}
NN_UNARY = {
    "relu": D.AWAY_FROM_ZERO,  # the kink at 0 is in kinks.py
    "softplus": D.REAL,
    "gelu": D.REAL,
    "log_sigmoid": D.REAL,
}

UNARY = [
    elementwise(name.replace("_", "-"), calls(f"special.{name}"), domain, theme=("special",))
    for name, domain in SPECIAL_UNARY.items()
] + [
    elementwise(f"nn-{name.replace('_', '-')}", calls(f"nn.{name}"), domain, theme=("nn",))
    for name, domain in NN_UNARY.items()
]


def _axis_case(name: str, axis: int | None) -> Case:
    def fn(xp: Any, x: Any) -> Any:
        return getattr(xp.special, name)(x, axis=axis)

    label = "all" if axis is None else f"axis{axis}" if axis >= 0 else "axis-last"
    return Case(
        f"{name.replace('_', '-')}-{label}",
        fn,
        args=(Arg("x", D.REAL, rows),),
        output_shape=rows,
        sizes=BROADCAST,
        tags={"special"},
    )


AXIS_FORMS = [
    _axis_case(name, axis) for name in ("softmax", "log_softmax") for axis in (-1, 0, None)
]


def _cross_entropy(xp: Any, z: Any, p: Any) -> Any:
    return -xp.sum(p * xp.special.log_softmax(z, axis=-1)) / z.shape[0]


def _bernoulli(xp: Any, q: Any, y: Any) -> Any:
    return xp.sum(xp.special.xlogy(y, q) + xp.special.xlogy(1.0 - y, 1.0 - q))


def _dirichlet_logpdf(xp: Any, alpha: Any, p: Any) -> Any:
    norm = xp.special.gammaln(xp.sum(alpha)) - xp.sum(xp.special.gammaln(alpha))
    return norm + xp.sum((alpha - 1.0) * xp.log(p))


def _kl(xp: Any, p: Any, q: Any) -> Any:
    return xp.sum(p * (xp.log(p) - xp.log(q)))


def _layer_norm(xp: Any, x: Any, gain: Any, bias: Any) -> Any:
    mean = xp.mean(x, axis=-1, keepdims=True)
    var = xp.var(x, axis=-1, keepdims=True)
    return (x - mean) / xp.sqrt(var + 1e-5) * gain + bias


def _dense_gelu(xp: Any, x: Any, w: Any, b: Any) -> Any:
    return xp.nn.gelu(xp.matmul(x, w) + b)


def _swish(xp: Any, x: Any) -> Any:
    return x * xp.special.expit(x)


SMALL = Sizes(check=4, sweep=(100, 1_000, 10_000))

COMPOSITIONS = [
    Case("xlogy", lambda xp, x, y: xp.special.xlogy(x, y),
         args=(Arg("x", D.REAL), Arg("y", D.POSITIVE)), output_shape=lambda n: (n,),
         sizes=ELEMENTWISE, tags={"special"}),
    Case("logsumexp", lambda xp, x: xp.special.logsumexp(x), sizes=ELEMENTWISE,
         tags={"special"}),
    Case("softmax-cross-entropy", _cross_entropy,
         args=(Arg("z", D.REAL, rows), Arg("p", D.PROBABILITY, rows, diff=False)),
         sizes=BROADCAST, tags={"special"}),
    Case("bernoulli-loglik", _bernoulli,
         args=(Arg("q", D.ZERO_ONE), Arg("y", D.ZERO_OR_ONE, diff=False)),
         sizes=ELEMENTWISE, tags={"special"},
         note="xlogy(y, q) with y in {0, 1}: the y = 0 terms vanish, log(0) never happens"),
    Case("dirichlet-logpdf", _dirichlet_logpdf,
         args=(Arg("alpha", D.POSITIVE), Arg("p", D.PROBABILITY, diff=False)),
         sizes=ELEMENTWISE, tags={"special"}),
    Case("kl-divergence", _kl, args=(Arg("p", D.PROBABILITY), Arg("q", D.PROBABILITY)),
         sizes=ELEMENTWISE, tags={"special"}),
    Case("log-beta", lambda xp, a, b: xp.special.gammaln(a) + xp.special.gammaln(b)
         - xp.special.gammaln(a + b),
         args=(Arg("a", D.POSITIVE), Arg("b", D.POSITIVE)), output_shape=lambda n: (n,),
         sizes=ELEMENTWISE, tags={"special"}),
    Case("softmax-temperature", lambda xp, x, t: xp.special.softmax(x / t, axis=-1),
         args=(Arg("x", D.REAL, rows), Arg("t", D.POSITIVE, ())), output_shape=rows,
         sizes=BROADCAST, tags={"special", "broadcasting"}),
    Case("layer-norm", _layer_norm,
         args=(Arg("x", D.REAL, rows), Arg("gain", D.REAL), Arg("bias", D.REAL)),
         output_shape=rows, sizes=BROADCAST, tags={"nn"},
         note="mean and (biased) variance over the last axis, eps 1e-5"),
    Case("dense-gelu", _dense_gelu,
         args=(Arg("x", D.REAL, lambda n: (3, n)), Arg("w", D.REAL, lambda n: (n, 4)),
               Arg("b", D.REAL, (4,))),
         output_shape=(3, 4), sizes=SMALL, tags={"nn"}),
    elementwise("swish", _swish, D.REAL, theme=("nn",)),
    elementwise("gelu-tanh-approximation",
                lambda xp, x: 0.5 * x * (1.0 + xp.tanh(math.sqrt(2.0 / math.pi)
                                                      * (x + 0.044715 * x**3))),
                D.REAL, theme=("nn",), note="the tanh form, written out (xp.nn.gelu is exact)"),
]

CASES = UNARY + AXIS_FORMS + COMPOSITIONS
