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
    "digamma",
    "erf",
    "erfc",
    "erfcinv",
    "erfinv",
    "expit",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "iv",
    "ive",
    "j0",
    "j1",
    "jn",
    "gammasgn",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "polygamma",
    "psi",
    "rgamma",
    "softmax",
    "xlogy",
    "y0",
    "y1",
    "yn",
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


def logsumexp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return P.logsumexp(a, axis=axis_tuple(axis, ndim(a)), keepdims=keepdims)


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
