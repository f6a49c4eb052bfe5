"""Numerically delicate inputs: huge and tiny logits, arguments near zero where log1p/expm1
exist for a reason, saturated sigmoids, sqrt near zero, catastrophic cancellation, and the
variance of nearly constant data.

Every value here is finite and differentiable; the difficulty is accuracy. Cases that only
make sense with float64's range or precision declare ``dtypes=("float64",)``; tolerance
overrides say which digits are lost and why.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes, Tolerance, vector
from cases.library._helpers import ELEMENTWISE, rows

__all__ = ["CASES"]

F64 = ("float64",)
FIXED = Sizes(check=1, sweep=())  # inputs given exactly: nothing to sweep
HUGE = D.interval(990.0, 1010.0, name="(990, 1010)")
TINY = D.interval(-1010.0, -990.0, name="(-1010, -990)")
SATURATING = [-100.0, -40.0, -20.0, 20.0, 40.0, 100.0]


def _d(name: str, fn: Any, args: tuple[Arg, ...], out: Any = vector, *,
       sizes: Sizes = ELEMENTWISE, tags: set[str] | None = None, **kw: Any) -> Case:
    return Case(name, fn, args=args, output_shape=out, sizes=sizes,
                tags={"delicate"} | (tags or set()), **kw)


def _fixed(values: list[float]) -> tuple[Arg, ...]:
    return (Arg("x", D.constant(values), (len(values),)),)


def _same(values: list[float]) -> tuple[int]:
    return (len(values),)


def _lse(xp: Any, x: Any) -> Any:
    return xp.special.logsumexp(x)


def _softmax(xp: Any, x: Any) -> Any:
    return xp.special.softmax(x)


def _log_softmax(xp: Any, x: Any) -> Any:
    return xp.special.log_softmax(x)


LOGITS = [
    _d("logsumexp-huge-logits", _lse, (Arg("x", HUGE),), (),
       note="exp(1000) overflows: only a max-shifted logsumexp stays finite"),
    _d("logsumexp-tiny-logits", _lse, (Arg("x", TINY),), (),
       note="exp(-1000) underflows to 0: a naive log(sum(exp)) would be -inf"),
    _d("logsumexp-mixed-scales", _lse, _fixed([1000.0, 999.0, 0.0, -1000.0]), (),
       sizes=FIXED, note="the small entries' gradients are exactly 0 in double precision"),
    _d("logsumexp-neg-inf-entry", _lse, _fixed([0.5, -math.inf, 1.5, -2.0]), (),
       sizes=FIXED, note="a masked (-inf) logit: its gradient is exactly 0, others are finite"),
    _d("softmax-huge-logits", _softmax, (Arg("x", HUGE),)),
    _d("softmax-tiny-logits", _softmax, (Arg("x", TINY),)),
    _d("log-softmax-huge-logits", _log_softmax, (Arg("x", HUGE),)),
    _d("logaddexp-huge", lambda xp, x, y: xp.logaddexp(x, y), (Arg("x", HUGE), Arg("y", HUGE))),
]

NEAR_ZERO = D.interval(-1e-8, 1e-8, name="(-1e-8, 1e-8)")

SMALL_ARGUMENTS = [
    _d("log1p-near-zero", lambda xp, x: xp.log1p(x), (Arg("x", NEAR_ZERO),),
       note="log(1 + x) would lose every digit of x here; log1p keeps them"),
    _d("expm1-near-zero", lambda xp, x: xp.expm1(x), (Arg("x", NEAR_ZERO),)),
    _d("log-one-plus-tiny-naive", lambda xp, x: xp.log(1.0 + x),
       (Arg("x", D.interval(1e-10, 1e-9, name="(1e-10, 1e-9)")),),
       tags={"cancellation"},
       tolerances=(Tolerance(0.0, 1e-9, "1 + x rounds x to float32's 6e-8 spacing: the value "
                             "is 0 or 6e-8, not x", dtype="float32", check="value"),
                   Tolerance(1e-6, 0.0, "1 + x keeps only ~6 of x's digits in float64",
                             dtype="float64", check="value"),
                   Tolerance(5e-2, 0.0, "the value moves in steps of 2e-16 (the spacing of "
                             "1 + x): differences over steps near x are quantised", check="fd"),
                   *(Tolerance(0.0, 1e-9, "1 + x rounds x away in bfloat16 (its spacing at 1 "
                               "is 7.8e-3): the value is 0, not x", dtype="bfloat16", check=c)
                     for c in ("value", "half_vs_float64"))),
       note="the value loses its digits; the derivative 1 / (1 + x) is still accurate"),
    _d("sqrt-near-zero", lambda xp, x: xp.sqrt(x),
       (Arg("x", D.interval(1e-12, 1e-10, name="(1e-12, 1e-10)")),),
       note="slopes of order 1e5-1e6: step sizes must scale with x"),
    _d("digamma-near-zero", lambda xp, x: xp.special.digamma(x),
       (Arg("x", D.interval(1e-3, 1e-2, name="(1e-3, 1e-2)")),),
       note="digamma ~ -1/x: derivatives of order 1e4-1e6"),
]

SATURATION = [
    _d("expit-saturation", lambda xp, x: xp.special.expit(x), _fixed(SATURATING),
       _same(SATURATING), sizes=FIXED,
       note="derivatives of order e^-100 next to values of exactly 0 or 1"),
    _d("log-sigmoid-saturation", lambda xp, x: xp.nn.log_sigmoid(x), _fixed(SATURATING),
       _same(SATURATING), sizes=FIXED),
    _d("softplus-saturation", lambda xp, x: xp.nn.softplus(x), _fixed(SATURATING),
       _same(SATURATING), sizes=FIXED,
       note="softplus(100) = 100 + e^-100: log(1 + exp(x)) would overflow in float32"),
    _d("tanh-saturation", lambda xp, x: xp.tanh(x), _fixed([-20.0, -10.0, 10.0, 20.0]), (4,),
       sizes=FIXED,
       note="1 - tanh(x)^2 rounds to 0 at |x| = 20 though the true slope is 1.7e-17"),
    _d("erfc-tail", lambda xp, x: xp.special.erfc(x), (Arg("x", D.interval(3.0, 8.0)),),
       note="erfc(8) = 1e-29: relative accuracy in the tail, where 1 - erf(x) is 0"),
    _d("exp-near-overflow", lambda xp, x: xp.exp(x),
       (Arg("x", D.interval(700.0, 709.0, name="(700, 709)")),), dtypes=F64),
    _d("logit-near-bounds", lambda xp, x: xp.special.logit(x),
       _fixed([1e-10, 1e-6, 0.5, 1.0 - 1e-6]), (4,), sizes=FIXED, dtypes=F64),
    _d("gammaln-large", lambda xp, x: xp.special.gammaln(x),
       (Arg("x", D.interval(1e3, 1e5, name="(1e3, 1e5)")),)),
]


def _near_constant(offset: float, spread: float) -> Any:
    def sampler(rng: np.random.Generator, n: int) -> tuple[np.ndarray]:
        return (offset + spread * rng.normal(size=n),)

    return sampler


def _confident_sampler(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    labels = np.zeros((3, n))
    labels[np.arange(3), rng.integers(0, n, size=3)] = 1.0
    return 40.0 * labels + rng.normal(size=(3, n)), labels


def _cross_entropy(xp: Any, z: Any, y: Any) -> Any:
    return -xp.sum(y * xp.special.log_softmax(z, axis=-1))


CANCELLATION = [
    _d("sqrt-difference-naive", lambda xp, x: xp.sqrt(x + 1.0) - xp.sqrt(x),
       (Arg("x", D.interval(1e6, 1e7, name="(1e6, 1e7)")),), dtypes=F64,
       tags={"cancellation"},
       tolerances=(Tolerance(1e-3, 0.0, "two square roots near 3e3 cancel to ~2e-4: about 9 "
                             "digits survive, so finite differences of the value are noisy",
                             check="fd"),
                   Tolerance(1e-7, 0.0, "the derivative is a difference of two terms near "
                             "1.6e-4 that cancel to ~1e-11: two correct implementations agree "
                             "to ~8 digits, refengine's own VJP and JVP to 4e-9",
                             check="exact"),
                   *(Tolerance(0.0, 1e-15, "the Hessian (3/8) x^-2.5 is 1e-18 to 4e-16 here and "
                               "the float64 gradient it is differenced from rounds on a grid of "
                               "~6e-20 (two terms near 2.9e-4): finite differences of the gradient "
                               "resolve none of its digits (the oracle can report 0 with a bound "
                               "below that grid); the second order is checked exactly against "
                               "refengine instead", check=c)
                     for c in ("hvp_vs_oracle", "second_order_nestings"))),
       note="catastrophic cancellation; compare sqrt-difference-stable"),
    _d("sqrt-difference-stable", lambda xp, x: 1.0 / (xp.sqrt(x + 1.0) + xp.sqrt(x)),
       (Arg("x", D.interval(1e6, 1e7, name="(1e6, 1e7)")),), tags={"cancellation"}),
    _d("one-minus-cos-over-square", lambda xp, x: (1.0 - xp.cos(x)) / (x * x),
       (Arg("x", D.interval(1e-2, 1e-1, name="(1e-2, 1e-1)")),), dtypes=F64,
       tags={"cancellation"},
       tolerances=(Tolerance(1e-7, 0.0, "1 - cos(x) ~ 5e-5 keeps ~12 digits, and the "
                             "derivative subtracts two terms of size ~1/x to get ~x/12: about "
                             "8 digits survive, and 1-ulp differences in cos are amplified"),),
       note="the limit is 1/2; at x = 1e-4 even the derivative would be noise, here it "
            "loses 4-8 digits"),
    _d("variance-nearly-constant", lambda xp, x: xp.var(x), (Arg("x", D.REAL),), (),
       sampler=_near_constant(1e4, 1e-3), dtypes=F64, tags={"cancellation"},
       tolerances=(Tolerance(1e-8, 0.0, "x - mean(x) keeps ~9 of 16 digits (deviations of "
                             "1e-3 around 1e4): the order of the summation moves the 9th",
                             check="exact"),),
       note="1e4 + 1e-3 N(0, 1): a one-pass E[x^2] - E[x]^2 would lose all 8 digits"),
    _d("variance-nearly-constant-f32", lambda xp, x: xp.var(x), (Arg("x", D.REAL),), (),
       sampler=_near_constant(100.0, 1e-2), tags={"cancellation"},
       tolerances=(Tolerance(1e-2, 0.0, "100 + 1e-2 N(0, 1) in float32 keeps ~3 digits of "
                             "the deviations", dtype="float32"),)),
    _d("hypot-huge", lambda xp, x, y: xp.hypot(x, y),
       (Arg("x", D.interval(1e199, 1e200, name="(1e199, 1e200)")),
        Arg("y", D.interval(1e199, 1e200, name="(1e199, 1e200)"))), dtypes=F64,
       note="sqrt(x^2 + y^2) would overflow: hypot must scale"),
    _d("norm-tiny-underflow", lambda xp, x: xp.linalg.norm(x),
       (Arg("x", D.interval(1e-200, 1e-199, name="(1e-200, 1e-199)")),), (), dtypes=F64,
       tags={"cancellation"},
       note="the squares underflow: NumPy's norm returns 0 (not ~1e-199) and x / norm is "
            "inf; a scaled norm gets both right"),
    _d("cross-entropy-confident", _cross_entropy,
       (Arg("z", D.REAL, rows), Arg("y", D.ZERO_OR_ONE, rows, diff=False)), (),
       sampler=_confident_sampler, sizes=Sizes(check=4, sweep=(100, 10_000)),
       tolerances=(Tolerance(0.0, 1e-15, "the right class's derivative is -e^-40 ~ -4e-18, "
                             "below the rounding of the value (~40 x 1e-16): finite "
                             "differences and the JVP side of the adjoint see 0", check="fd"),
                   Tolerance(0.0, 1e-15, "as for fd: <u, J v> rounds the -e^-40 terms away",
                             check="adjoint"),
                   Tolerance(0.0, 1e-15, "the second derivative along v is ~3e-17: the "
                             "confident class's p (1 - p) terms, with p within 4e-18 of 1, "
                             "round differently in each nesting (forward over forward, "
                             "reverse over forward)", check="second_order_nestings")),
       note="the right class leads by ~40: softmax - y is ~e^-40, not 0 and not noise"),
]

CASES = LOGITS + SMALL_ARGUMENTS + SATURATION + CANCELLATION
