"""The special-function primitives beyond ``refengine/primitives.py``'s: the inverse error
functions, the Bessel functions, the incomplete gamma and beta functions (HIPS autograd's
``autograd.scipy.special``), Student's t distribution function, and SciPy's matrix square
root (``scipy.linalg.sqrtm``) and ODE solution (``scipy.integrate.odeint``), the two that are
not elementwise.

Their derivatives are in ``refengine/derivatives_special.py``. The others are elementwise in
``x``;
the order of a Bessel function, the shape parameters of the incomplete functions and t's
degrees of freedom are
static parameters (numbers or plain arrays that broadcast against ``x``), because their
derivatives have no closed form: ``refengine.numpy.special`` refuses a traced one, naming it.
SciPy is imported on the first call (``primitives._sps``). The result keeps ``x``'s floating
dtype (float32 stays float32, as every other primitive).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from refengine.primitive import Primitive
from refengine.primitives import _sps

__all__ = [
    "betainc", "dawsn", "erfcinv", "erfcx", "erfinv", "exp1", "expi", "expn", "fresnel",
    "gammainc", "gammaincc", "iv", "ive", "jn", "odeint", "owens_t", "sici", "spence", "sqrtm",
    "stdtr", "yn", "zeta",
]


def _as_x(out: Any, x: Any) -> Any:
    dtype = np.result_type(x)
    return out.astype(dtype) if dtype.kind == "f" else out


def _scalar_order(n: Any, value: int) -> bool:
    return np.ndim(n) == 0 and n == value


def _jn(x, *, n):
    # SciPy's own j0 and j1 for the orders its j0 and j1 compute (their values, to the bit).
    if _scalar_order(n, 0):
        return _as_x(_sps().j0(x), x)
    if _scalar_order(n, 1):
        return _as_x(_sps().j1(x), x)
    return _as_x(_sps().jn(n, x), x)


def _yn(x, *, n):
    if _scalar_order(n, 0):
        return _as_x(_sps().y0(x), x)
    if _scalar_order(n, 1):
        return _as_x(_sps().y1(x), x)
    return _as_x(_sps().yn(n, x), x)


def _iv(x, *, v):
    if _scalar_order(v, 0):
        return _as_x(_sps().i0(x), x)
    if _scalar_order(v, 1):
        return _as_x(_sps().i1(x), x)
    return _as_x(_sps().iv(v, x), x)


def _ive(x, *, v):
    if _scalar_order(v, 0):
        return _as_x(_sps().i0e(x), x)
    if _scalar_order(v, 1):
        return _as_x(_sps().i1e(x), x)
    return _as_x(_sps().ive(v, x), x)


def _ew(name: str, impl) -> Primitive:
    return Primitive(name, impl, elementwise=True)


erfinv = _ew("erfinv", lambda x: _sps().erfinv(x))
erfcinv = _ew("erfcinv", lambda x: _sps().erfcinv(x))
# Bessel functions of the first (jn) and second (yn) kind and the modified ones (iv, and ive,
# exponentially scaled), of a static order: jn(x, n=0) is SciPy's j0, ive(x, v=1) its i1e.
jn = _ew("jn", _jn)
yn = _ew("yn", _yn)
iv = _ew("iv", _iv)
ive = _ew("ive", _ive)
# The regularised incomplete gamma functions P(a, x) and Q(a, x), and the regularised
# incomplete beta function I_x(a, b), as functions of x.
gammainc = _ew("gammainc", lambda x, *, a: _as_x(_sps().gammainc(a, x), x))
gammaincc = _ew("gammaincc", lambda x, *, a: _as_x(_sps().gammaincc(a, x), x))
betainc = _ew("betainc", lambda x, *, a, b: _as_x(_sps().betainc(a, b, x), x))
# JAX's further special functions of x: the scaled complementary error function exp(x^2)
# erfc(x), the exponential integrals E1, Ei and E_n (static n), and Dawson's integral.
erfcx = _ew("erfcx", lambda x: _sps().erfcx(x))
exp1 = _ew("exp1", lambda x: _sps().exp1(x))
expi = _ew("expi", lambda x: _sps().expi(x))
expn = _ew("expn", lambda x, *, n: _as_x(_sps().expn(n, x), x))
dawsn = _ew("dawsn", lambda x: _sps().dawsn(x))

# The sine and cosine integrals (si, ci) and the Fresnel integrals (S, C): two outputs each.
sici = Primitive("sici", lambda x: tuple(_sps().sici(x)), multiple_results=True)
fresnel = Primitive("fresnel", lambda x: tuple(_sps().fresnel(x)), multiple_results=True)
# Owen's T function T(h, a), and the Hurwitz zeta function zeta(x, q) in q (its exponent x
# static, a parameter named so: the operand takes the name x in the table's partials).
owens_t = _ew("owens_t", lambda h, a: _sps().owens_t(h, a))
zeta = _ew("zeta", lambda q, *, exponent: _as_x(_sps().zeta(exponent, q), q))

# Spence's function (the dilogarithm of 1 - z): the integral from 1 to z of log(t) / (1 - t).
spence = _ew("spence", lambda z: _sps().spence(z))

# Student's t distribution function of x with df degrees of freedom (scipy.stats.t.cdf's core):
# a primitive because betainc's form of it is 0 * inf at x = 0 (the integrand is infinite at the
# end it is evaluated at), while its derivative, the density, is smooth.
stdtr = _ew("stdtr", lambda x, *, df: _as_x(_sps().stdtr(df, x), x))


# --- scipy.linalg.sqrtm --------------------------------------------------------------------------
def _sqrtm(a):
    import scipy.linalg

    if np.iscomplexobj(a):
        raise TypeError(
            "refengine's derivative of 'sqrtm' is defined for real matrices only, and it met a "
            "complex one; SciPy's scipy.linalg.sqrtm takes a plain complex array"
        )
    root = scipy.linalg.sqrtm(a)
    if np.iscomplexobj(root):
        raise ValueError(
            "sqrtm: this matrix has no real square root (an eigenvalue on the negative real "
            "axis), and refengine differentiates real values only; SciPy's complex root is "
            "what refengine.scipy.linalg.sqrtm returns for a plain array"
        )
    return root.astype(np.result_type(a), copy=False)


# The principal square root of a square matrix (not elementwise).
sqrtm = Primitive("sqrtm", _sqrtm)


# --- scipy.integrate.odeint ----------------------------------------------------------------------
def _odeint(y0, t, *args, func, options):
    import scipy.integrate

    if any(np.iscomplexobj(a) for a in (y0, t, *args)):
        raise TypeError("refengine's derivative of 'odeint' is defined for real states, times "
                        "and arguments only (SciPy's odeint is real too), and it met a complex one")
    return scipy.integrate.odeint(func, y0, t, args=tuple(args), **dict(options))


# y(t) at the times t of y' = func(y, t, *args), y(t[0]) = y0 (LSODA, through SciPy): operands
# y0, t and the args (variadic); func and SciPy's tolerances (options, as (name, value) pairs)
# are static.
odeint = Primitive("odeint", _odeint)
