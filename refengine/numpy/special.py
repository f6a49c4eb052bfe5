"""``rnp.special``: SciPy-named special functions, differentiable.

The Bessel functions and the incomplete gamma and beta functions are differentiable in x only:
their derivatives in the order or the shape parameters have no closed form (HIPS autograd
defines none either), so a traced order or shape parameter raises a ``TypeError`` naming it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine import primitives_special as S
from refengine.numpy._axes import axis_tuple, ndim
from refengine.primitive import holds_tracer

__all__ = [
    "beta",
    "betainc",
    "betaln",
    "boxcox",
    "boxcox1p",
    "comb",
    "dawsn",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfinv",
    "exp1",
    "expi",
    "expit",
    "expn",
    "factorial",
    "fresnel",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gammasgn",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "iv",
    "ive",
    "j0",
    "j1",
    "jn",
    "jv",
    "kl_div",
    "log_ndtr",
    "log_softmax",
    "loggamma",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "owens_t",
    "poch",
    "polygamma",
    "psi",
    "rel_entr",
    "rgamma",
    "sici",
    "softmax",
    "spence",
    "stdtr",
    "xlog1py",
    "xlogy",
    "y0",
    "y1",
    "yn",
    "zeta",
]

expit = P.expit
logit = P.logit
erf = P.erf
erfc = P.erfc
gammaln = P.gammaln
xlogy = P.xlogy


def polygamma(n: int, x: Any) -> Any:
    return P.polygamma(x, n=int(n))


def digamma(x: Any) -> Any:
    return P.polygamma(x, n=0)


psi = digamma


def gammasgn(x: Any) -> Any:
    """The sign of the gamma function: +1 for x >= 0; below 0, -1 on (-1, 0), +1 on (-2, -1)
    and so on (NaN at the poles -1, -2, ..., as SciPy). Piecewise constant: untraced."""
    fl = np.asarray(P.floor(x))
    positive = np.asarray(P.greater_equal(x, 0))
    sign = np.where(positive, 1.0, np.where(fl % 2 == 0, 1.0, -1.0))
    pole = ~positive & (np.asarray(P.equal(x, fl)))
    return np.where(pole, np.nan, sign).astype(np.result_type(fl, np.float32))


def gamma(x: Any) -> Any:
    """The gamma function as gammasgn(x) * exp(gammaln(x)): its derivative is gamma * digamma
    (the value agrees with SciPy's to about 1e-13 relative, gammaln's size times eps)."""
    return gammasgn(x) * P.exp(P.gammaln(x))


def rgamma(x: Any) -> Any:
    """1 / gamma(x), 0 at the poles (exp(-inf)), as SciPy."""
    sign = np.nan_to_num(gammasgn(x), nan=1.0)
    return sign * P.exp(-P.gammaln(x))


def betaln(a: Any, b: Any) -> Any:
    """log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)."""
    return P.gammaln(a) + P.gammaln(b) - P.gammaln(a + b)


def beta(a: Any, b: Any) -> Any:
    """B(a, b), its sign from the three gamma functions it is made of."""
    return gammasgn(a) * gammasgn(b) * gammasgn(a + b) * P.exp(betaln(a, b))


def multigammaln(a: Any, d: int) -> Any:
    """The log of the multivariate gamma function of dimension d:
    d (d - 1) / 4 log(pi) + sum over j < d of gammaln(a - j / 2)."""
    d = int(d)
    if np.any(np.asarray(P.less_equal(a, 0.5 * (d - 1)))):
        raise ValueError(f"condition a ({a}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    out = 0.25 * d * (d - 1) * math.log(math.pi)
    for j in range(d):
        out = out + P.gammaln(a - 0.5 * j)
    return out


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """log(sum(b * exp(a))) over ``axis``, SciPy's: with weights ``b`` (which may be negative
    or 0), and with ``return_sign`` the pair (log|sum|, sign of the sum); without it a negative
    sum gives NaN, as SciPy."""
    axes = axis_tuple(axis, ndim(a))
    if b is None and not return_sign:
        return P.logsumexp(a, axis=axes, keepdims=keepdims)
    import refengine.numpy as rnp

    weights = 1.0 if b is None else b
    # Shift by the largest exponent among the entries that count (a constant: it cancels, so
    # it carries no derivative); all -inf or all weights 0: no shift.
    counted = np.broadcast_to(np.not_equal(_plain(weights), 0), np.broadcast_shapes(
        np.shape(_plain(a)), np.shape(_plain(weights))))
    shift = np.max(np.where(counted, _plain(a), -np.inf), axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    total = P.reduce_sum(weights * P.exp(a - shift), axis=axes, keepdims=True)
    sign = P.sign(total)
    magnitude = total * rnp.where(P.equal(sign, 0), 1.0, sign)  # |total|, abs'(0) aside
    out = rnp.log(magnitude if return_sign else total) + shift
    if not keepdims:
        out, sign = rnp.squeeze(out, axis=axes), np.squeeze(sign, axis=axes)
    return (out, sign) if return_sign else out


def _plain(x: Any) -> Any:
    """The numbers inside a traced value (for decisions that carry no derivative)."""
    from refengine.primitive import Tracer

    while isinstance(x, Tracer):
        x = x._value
    return np.asarray(x)


def log_softmax(x: Any, axis: Any = None) -> Any:
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Any, axis: Any = None) -> Any:
    import refengine.numpy as rnp

    return rnp.exp(log_softmax(x, axis=axis))


# --- erfinv, Bessel, incomplete gamma and beta (refengine/primitives_special.py) ----------------
erfinv = S.erfinv
erfcinv = S.erfcinv


def _static(fn: str, name: str, value: Any, what: str) -> Any:
    """``value`` as a static parameter of ``fn``, or a TypeError if it is traced."""
    if holds_tracer(value):
        raise TypeError(
            f"scipy.special.{fn}: refengine differentiates {fn} in x only; the derivative "
            f"with respect to {what} {name} has no closed form (HIPS autograd defines none "
            f"either). Pass {name} as a number or a plain array (rf.stop_gradient({name}) if "
            "it is computed from the differentiated inputs and its derivative may be dropped)"
        )
    return value if isinstance(value, (int, float)) else np.asarray(value)


def jn(n: Any, x: Any) -> Any:
    """The Bessel function of the first kind of order n (SciPy's jn: n may be real)."""
    return S.jn(x, n=_static("jn", "n", n, "the order"))


def jv(v: Any, x: Any) -> Any:
    """SciPy's name for the same function of real order (``scipy.special.jn`` is jv)."""
    return S.jn(x, n=_static("jv", "v", v, "the order"))


def yn(n: Any, x: Any) -> Any:
    """The Bessel function of the second kind of integer order n."""
    return S.yn(x, n=_static("yn", "n", n, "the order"))


def iv(v: Any, x: Any) -> Any:
    """The modified Bessel function of the first kind of real order v."""
    return S.iv(x, v=_static("iv", "v", v, "the order"))


def ive(v: Any, x: Any) -> Any:
    """iv(v, x) * exp(-|x|), the exponentially scaled modified Bessel function."""
    return S.ive(x, v=_static("ive", "v", v, "the order"))


def j0(x: Any) -> Any:
    return S.jn(x, n=0)


def j1(x: Any) -> Any:
    return S.jn(x, n=1)


def y0(x: Any) -> Any:
    return S.yn(x, n=0)


def y1(x: Any) -> Any:
    return S.yn(x, n=1)


def i0(x: Any) -> Any:
    return S.iv(x, v=0)


def i1(x: Any) -> Any:
    return S.iv(x, v=1)


def i0e(x: Any) -> Any:
    return S.ive(x, v=0)


def i1e(x: Any) -> Any:
    return S.ive(x, v=1)


def gammainc(a: Any, x: Any) -> Any:
    """The regularised lower incomplete gamma function P(a, x)."""
    return S.gammainc(x, a=_static("gammainc", "a", a, "the shape parameter"))


def gammaincc(a: Any, x: Any) -> Any:
    """The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return S.gammaincc(x, a=_static("gammaincc", "a", a, "the shape parameter"))


def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularised incomplete beta function I_x(a, b)."""
    a = _static("betainc", "a", a, "the shape parameter")
    return S.betainc(x, a=a, b=_static("betainc", "b", b, "the shape parameter"))


def stdtr(df: Any, t: Any) -> Any:
    """Student's t distribution function with df degrees of freedom, differentiable in t."""
    return S.stdtr(t, df=_static("stdtr", "df", df, "the degrees of freedom"))


# --- the standard normal distribution ------------------------------------------------------------
_SQRT_HALF = math.sqrt(0.5)


def ndtr(x: Any) -> Any:
    """The standard normal distribution function, erfc(-x / sqrt(2)) / 2 (accurate in the
    lower tail, where 1 + erf would cancel)."""
    return 0.5 * P.erfc(-_SQRT_HALF * x)


def ndtri(p: Any) -> Any:
    """The inverse of ndtr: -sqrt(2) erfcinv(2 p) (accurate for small p)."""
    return (-1.0 / _SQRT_HALF) * S.erfcinv(2.0 * p)


# Below this, erfc underflows soon (x = -37.5): log_ndtr takes the asymptotic series there.
_ASYMPTOTIC_BELOW = -20.0


def log_ndtr(x: Any) -> Any:
    """log(ndtr(x)), accurate in both tails: log(erfc(-x/sqrt 2) / 2) for x < 0 (down to -20,
    then the asymptotic series of Mills' ratio), log1p(-erfc(x/sqrt 2) / 2) for x >= 0. Each
    branch is evaluated at a safe stand-in outside its range, so no branch's inf or NaN leaks
    into the derivative of the one selected."""
    import refengine.numpy as rnp

    low = P.less(x, _ASYMPTOTIC_BELOW)
    high = P.greater_equal(x, 0.0)
    mid = ~(low | high)
    xl = P.where(low, x, _ASYMPTOTIC_BELOW - 1.0)
    xm = P.where(mid, x, -1.0)
    xh = P.where(high, x, 1.0)
    # log ndtr(x) = -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + ...)
    inv2 = 1.0 / (xl * xl)
    series, term = 1.0, 1.0
    for k in range(1, 9):
        term = term * (-(2 * k - 1)) * inv2
        series = series + term
    asymptotic = (-0.5 * xl * xl - rnp.log(-xl) - 0.5 * math.log(2.0 * math.pi)
                  + rnp.log(series))
    below = rnp.log(0.5 * P.erfc(-_SQRT_HALF * xm))
    above = rnp.log1p(-0.5 * P.erfc(_SQRT_HALF * xh))
    return P.where(low, asymptotic, P.where(high, above, below))


# --- JAX's further scipy.special names ---------------------------------------------------------
erfcx = S.erfcx
exp1 = S.exp1
expi = S.expi
dawsn = S.dawsn


def expn(n: Any, x: Any) -> Any:
    """The generalised exponential integral E_n(x), of integer order n >= 0."""
    return S.expn(x, n=_static("expn", "n", n, "the order"))


def xlog1py(x: Any, y: Any) -> Any:
    """x * log1p(y), and 0 where x == 0 (also for y <= -1, where log1p is -inf or NaN), as
    SciPy. The guard replaces log1p(y) by 0 only there, so d/dx stays log1p(y) at x == 0."""
    if not np.any(np.asarray(P.less_equal(y, -1.0))):
        return x * P.log1p(y)
    guarded = P.logical_and(P.equal(x, 0.0), P.less_equal(y, -1.0))
    return x * P.where(guarded, 0.0, P.log1p(P.where(guarded, 0.0, y)))


def entr(x: Any) -> Any:
    """-x log x for x > 0, 0 at 0, -inf below (SciPy's)."""
    negative = P.less(x, 0.0)
    return P.where(negative, -np.inf, -P.xlogy(x, P.where(negative, 1.0, x)))


def rel_entr(x: Any, y: Any) -> Any:
    """x log(x / y) for x, y > 0; 0 for x == 0 <= y; +inf otherwise (SciPy's)."""
    valid = P.logical_or(P.logical_and(P.greater(x, 0.0), P.greater(y, 0.0)),
                         P.logical_and(P.equal(x, 0.0), P.greater_equal(y, 0.0)))
    xs, ys = P.where(valid, x, 1.0), P.where(valid, y, 1.0)
    return P.where(valid, P.xlogy(xs, xs) - P.xlogy(xs, ys), np.inf)


def kl_div(x: Any, y: Any) -> Any:
    """x log(x / y) - x + y for x, y > 0; y for x == 0 <= y; +inf otherwise (SciPy's)."""
    return rel_entr(x, y) - x + y


def loggamma(x: Any) -> Any:
    """The principal log-gamma of a real x: gammaln for x > 0, +inf at 0, NaN below (SciPy's
    real loggamma; refengine has no complex values)."""
    negative = P.less(x, 0.0)
    return P.where(negative, np.nan, P.gammaln(P.where(negative, 1.0, x)))


def _boxcox_of_log(log_x: Any, lmbda: Any) -> Any:
    # (x^l - 1) / l = expm1(l log x) / l, and log x at l == 0. There the Taylor polynomial
    # log x + l (log x)^2 / 2 + l^2 (log x)^3 / 6 stands in, so the derivatives in l are right
    # at l == 0 up to second order (not 0 from a where).
    if not np.any(np.asarray(P.equal(lmbda, 0.0))):
        return P.expm1(lmbda * log_x) / lmbda
    at_zero = P.equal(lmbda, 0.0)
    safe = P.where(at_zero, 1.0, lmbda)
    taylor = log_x * (1.0 + lmbda * log_x * (0.5 + lmbda * log_x / 6.0))
    return P.where(at_zero, taylor, P.expm1(safe * log_x) / safe)


def boxcox(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transform (x^lmbda - 1) / lmbda, log(x) at lmbda = 0; differentiable in
    both (at lmbda = 0 too, to second order)."""
    return _boxcox_of_log(P.log(x), lmbda)


def boxcox1p(x: Any, lmbda: Any) -> Any:
    """boxcox(1 + x, lmbda), accurate for small x."""
    return _boxcox_of_log(P.log1p(x), lmbda)


def poch(z: Any, m: Any) -> Any:
    """The Pochhammer symbol Gamma(z + m) / Gamma(z), with the gamma functions' signs."""
    return gammasgn(z + m) * gammasgn(z) * P.exp(P.gammaln(z + m) - P.gammaln(z))


def factorial(n: Any, exact: bool = False) -> Any:
    """gamma(n + 1), and 0 for n < 0 (SciPy's exact=False)."""
    if exact:
        raise TypeError("factorial(exact=True) computes integers: refengine differentiates the "
                        "real extension only (exact=False)")
    negative = P.less(n, 0.0)
    return P.where(negative, 0.0, gamma(P.where(negative, 0.0, n) + 1.0))


def comb(N: Any, k: Any, exact: bool = False, repetition: bool = False) -> Any:  # noqa: N803
    """Gamma(N + 1) / (Gamma(k + 1) Gamma(N - k + 1)) for 0 <= k <= N, else 0 (SciPy's
    exact=False); with ``repetition``, comb(N + k - 1, k)."""
    if exact:
        raise TypeError("comb(exact=True) computes integers: refengine differentiates the "
                        "real extension only (exact=False)")
    if repetition:
        return comb(N + k - 1.0, k)
    valid = P.logical_and(P.logical_and(P.less_equal(k, N), P.greater_equal(N, 0.0)),
                          P.greater_equal(k, 0.0))
    n_safe, k_safe = P.where(valid, N, 1.0), P.where(valid, k, 0.0)
    log_comb = (P.gammaln(n_safe + 1.0) - P.gammaln(k_safe + 1.0)
                - P.gammaln(n_safe - k_safe + 1.0))
    return P.where(valid, P.exp(log_comb), 0.0)


def sici(x: Any) -> tuple[Any, Any]:
    """The sine and cosine integrals (Si(x), Ci(x)); Ci of a negative x is Ci(|x|), as SciPy's
    real sici."""
    return S.sici(x)


def fresnel(z: Any) -> tuple[Any, Any]:
    """The Fresnel integrals (S(z), C(z))."""
    return S.fresnel(z)


owens_t = S.owens_t
spence = S.spence


def zeta(x: Any, q: Any = None) -> Any:
    """The Hurwitz zeta function zeta(x, q) (Riemann's for q=None), differentiable in q; its
    derivative in x has no closed form (a traced x raises, naming it)."""
    x = _static("zeta", "x", x, "the exponent")
    if q is None:  # a function of x alone: nothing to differentiate
        from refengine.primitives import _sps

        return _sps().zeta(x)
    return S.zeta(q, exponent=x)
