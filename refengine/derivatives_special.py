"""The derivative table's entries for SciPy's functions beyond NumPy's vocabulary: those HIPS
autograd differentiates (erfinv, erfcinv, the Bessel functions jn, yn, iv and ive, the
regularised incomplete gamma and beta functions, Student's t distribution function stdtr,
``scipy.linalg.sqrtm`` and ``scipy.integrate.odeint``) and JAX's further special functions
(erfcx, exp1, expi, expn, dawsn, sici, fresnel, owens_t, spence, zeta).

The entries are written in the format of ``refengine/derivatives.py`` and registered into its
table (which loads this module, as it loads ``derivatives_linalg.py``). Each rule is written in
refengine's primitives, so second derivatives work: a Bessel function's derivative is a
combination of the same function at the neighbouring orders (the recurrences DLMF 10.6.1 and
10.29.1), an incomplete function's is its integrand, written as exp of a sum of logarithms
(xlogy: 0 * log 0 = 0 keeps the ends right), sqrtm's solves a Sylvester equation and odeint's
an augmented ODE with the odeint primitive itself. The orders and shape parameters are static
parameters: their derivatives have no closed form (HIPS autograd defines none either), and
``refengine.numpy.special`` refuses a traced one, naming it.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import refengine.numpy as rnp
from refengine import primitives as P
from refengine import primitives_special as S
from refengine.primitive import Tracer
from refengine.rules import defrule

__all__: list[str] = []  # entries only: importing the module registers them

_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)

# --- inverse error functions: 1 / erf'(erfinv(x)) -----------------------------------------------
defrule(S.erfinv, partials=(lambda ans, x: _HALF_SQRT_PI * rnp.exp(ans * ans),),
        note="erfinv'(+-1) = +inf (erfinv is +-inf there)")
defrule(S.erfcinv, partials=(lambda ans, x: -_HALF_SQRT_PI * rnp.exp(ans * ans),),
        note="erfcinv'(0) = erfcinv'(2) = -inf (erfcinv is +-inf there)")


# --- Bessel functions of a static order ----------------------------------------------------------
def _jn_dx(ans, x, *, n):
    # J_n' = (J_{n-1} - J_{n+1}) / 2 (J_{-1} = -J_1: SciPy's jn takes negative orders).
    return 0.5 * (S.jn(x, n=n - 1) - S.jn(x, n=n + 1))


def _yn_dx(ans, x, *, n):
    return 0.5 * (S.yn(x, n=n - 1) - S.yn(x, n=n + 1))


def _iv_dx(ans, x, *, v):
    # I_v' = (I_{v-1} + I_{v+1}) / 2.
    return 0.5 * (S.iv(x, v=v - 1) + S.iv(x, v=v + 1))


def _ive_dx(ans, x, *, v):
    # ive = iv exp(-|x|): the recurrence for iv, scaled, minus sign(x) ive. Written without
    # v / x (autograd's form), so it stays finite at x = 0.
    return 0.5 * (S.ive(x, v=v - 1) + S.ive(x, v=v + 1)) - rnp.sign(x) * ans


defrule(S.jn, partials=(_jn_dx,))
defrule(S.yn, partials=(_yn_dx,))
defrule(S.iv, partials=(_iv_dx,))
defrule(S.ive, partials=(_ive_dx,),
        note="ive(0, x) = exp(-|x|) I0(x) has a kink at x = 0: its derivative there is 0 (the "
             "minimum-norm subgradient, from sign(0) = 0), between the one-sided -1 and +1")


# --- regularised incomplete gamma and beta functions, in x: their integrands ---------------------
def _gamma_density(x, a):
    """x**(a-1) exp(-x) / Gamma(a), the derivative of P(a, x)."""
    return rnp.exp(P.xlogy(a - 1.0, x) - x - P.gammaln(a))


def _beta_density(x, a, b):
    """x**(a-1) (1-x)**(b-1) / B(a, b), the derivative of I_x(a, b)."""
    log_beta = P.gammaln(a) + P.gammaln(b) - P.gammaln(a + b)
    return rnp.exp(P.xlogy(a - 1.0, x) + P.xlogy(b - 1.0, 1.0 - x) - log_beta)


defrule(S.gammainc, partials=(lambda ans, x, *, a: _gamma_density(x, a),),
        note="d/dx P(a, x) at x = 0: +inf for a < 1, 1 for a = 1, 0 for a > 1")
defrule(S.gammaincc, partials=(lambda ans, x, *, a: -_gamma_density(x, a),),
        note="d/dx Q(a, x) at x = 0: -inf for a < 1, -1 for a = 1, 0 for a > 1")
defrule(S.betainc, partials=(lambda ans, x, *, a, b: _beta_density(x, a, b),),
        note="d/dx I_x(a, b): +inf at x = 0 for a < 1 and at x = 1 for b < 1; 1 at x = 0 for "
             "a = b = 1 (the uniform distribution's)")


# --- JAX's further special functions: derivatives from their defining integrals ----------------
def _expn_dx(ans, x, *, n):
    # E_n' = -E_{n-1} for n >= 1; E_0 = exp(-x) / x has E_0' = -E_0 (1 + 1/x). n may be an
    # array: a constant mask picks the form (no where: each form is finite for x > 0).
    first = np.equal(n, 0).astype(np.float64)
    return -((1.0 - first) * S.expn(x, n=np.maximum(np.asarray(n) - 1, 0))
             + first * (ans * (1.0 + 1.0 / x)))


defrule(S.erfcx, partials=(lambda ans, x: 2.0 * x * ans - 1.0 / _HALF_SQRT_PI,))
defrule(S.exp1, partials=(lambda ans, x: -rnp.exp(-x) / x,))
defrule(S.expi, partials=(lambda ans, x: rnp.exp(x) / x,))
defrule(S.expn, partials=(_expn_dx,))
defrule(S.dawsn, partials=(lambda ans, x: 1.0 - 2.0 * x * ans,))


_INV_PI = 1.0 / math.pi


def _sici_factors(x):
    # si' = sin(x) / x (1 at 0: sinc), ci' = cos(x) / x (ci has a log pole at 0).
    return rnp.sinc(x * _INV_PI), rnp.cos(x) / x


def _fresnel_factors(x):
    phase = (0.5 * math.pi) * (x * x)
    return rnp.sin(phase), rnp.cos(phase)


def _pair_vjp(factors):
    def rule(g, ans, x):
        ds, dc = factors(x)
        return g[0] * ds + g[1] * dc

    return rule


def _pair_jvp(factors):
    def rule(t, ans, x):
        ds, dc = factors(x)
        return t * ds, t * dc

    return rule


_INV_2_SQRT_2PI = 1.0 / (2.0 * math.sqrt(2.0 * math.pi))
_SQRT_HALF = math.sqrt(0.5)


def _owens_t_dh(ans, h, a):
    return -_INV_2_SQRT_2PI * rnp.exp(-0.5 * (h * h)) * P.erf(_SQRT_HALF * (a * h))


def _owens_t_da(ans, h, a):
    one_plus = 1.0 + a * a
    return rnp.exp(-0.5 * (h * h) * one_plus) / ((2.0 * math.pi) * one_plus)


defrule(S.sici, vjp=(_pair_vjp(_sici_factors),), jvp=(_pair_jvp(_sici_factors),))
defrule(S.fresnel, vjp=(_pair_vjp(_fresnel_factors),), jvp=(_pair_jvp(_fresnel_factors),))
defrule(S.owens_t, partials=(_owens_t_dh, _owens_t_da))
def _zeta_dq(ans, q, *, exponent):
    # d/dq of sum over k of (q + k)^-x is -x sum (q + k)^-(x+1).
    return -exponent * S.zeta(q, exponent=exponent + 1.0)


defrule(S.zeta, partials=(_zeta_dq,))


def _spence_dz(ans, z):
    # log(z) / (1 - z) is 0/0 at z = 1. There its Taylor polynomial in w = z - 1,
    # -1 + w/2 - w^2/3, stands in (a double where: the other branch is evaluated at z = 2), so
    # the first and second derivatives are right at z = 1 too.
    at_one = rnp.equal(z, 1.0)
    w = z - 1.0
    safe = rnp.where(at_one, 2.0, z)
    return rnp.where(at_one, -1.0 + w * (0.5 - w / 3.0), rnp.log(safe) / (1.0 - safe))


defrule(S.spence, partials=(_spence_dz,),
        note="spence'(1) = -1 and spence''(1) = 1/2 (the limits of log(z) / (1 - z) and its "
             "derivative; the formula itself is 0/0 there)")


# --- Student's t distribution function: its density ----------------------------------------------
def _t_density(x, df):
    """Gamma((df+1)/2) / (Gamma(df/2) sqrt(df pi)) (1 + x^2/df)^(-(df+1)/2), in logarithms."""
    log_norm = P.gammaln(0.5 * (df + 1.0)) - P.gammaln(0.5 * df) - 0.5 * P.log(df * math.pi)
    return rnp.exp(log_norm - (0.5 * (df + 1.0)) * rnp.log1p(x * x / df))


defrule(S.stdtr, partials=(lambda ans, x, *, df: _t_density(x, df),))


# --- the principal matrix square root: X dX + dX X = dA -----------------------------------------
def _sylvester(a, b, q):
    from refengine.scipy.linalg import solve_sylvester  # a composite of primitives

    return solve_sylvester(a, b, q)


defrule(S.sqrtm,
        vjp=(lambda g, ans, a: _sylvester(rnp.transpose(ans), rnp.transpose(ans), g),),
        jvp=(lambda t, ans, a: _sylvester(ans, ans, t),))


# --- ODE solutions: the adjoint method backwards, forward sensitivities forwards ---------------
# y(t_i) for y' = f(y, t, *args). Both rules integrate an augmented system with the odeint
# primitive itself, its dynamics built from refengine's vjp/jvp of f: so the rules are written in
# refengine's primitives and can be differentiated again (at the cost of more ODE solves).
# Their accuracy is the solver's (rtol/atol in the options), not rounding's.
def _flat(args):
    if not args:
        return np.zeros(0)
    return rnp.concatenate([rnp.reshape(a, (-1,)) for a in args])


def _unflat(flat, args):
    out, start = [], 0
    for a in args:
        n = int(np.size(_plain(a)))
        out.append(rnp.reshape(flat[start:start + n], np.shape(_plain(a))))
        start += n
    return out


def _plain(x):
    while isinstance(x, Tracer):
        x = x._value
    return x


def _adjoint_dynamics(func, n, args_like):
    """d/ds of (y, a, a_t, a_args) backwards in time: y' = f, and a' = -a^T df/d(y, t, args)."""
    from refengine.api import vjp

    def dynamics(state, s, *args):
        y, a = state[:n], state[n:2 * n]
        dy, pullback = vjp(lambda yy, ss, *aa: func(yy, ss, *aa), y, s, *args)
        gy, gs, *gargs = pullback(-a)
        return rnp.concatenate([dy, gy, rnp.reshape(gs, (1,)), _flat(gargs)])

    return dynamics


def _odeint_cotangents(g, ans, y0, t, *args, func, options):
    """(cotangent of y0, of t, of each arg): the adjoint method, interval by interval."""
    n, steps = np.shape(_plain(y0))[0], np.shape(_plain(t))[0]
    dynamics = _adjoint_dynamics(func, n, args)
    a = g[-1]
    a_t0 = np.zeros(1)
    a_args = np.zeros(sum(int(np.size(_plain(x))) for x in args))
    g_times = []
    for i in range(steps - 1, 0, -1):
        # Moving t_i moves y(t_i) along f: that time's cotangent, taken from t_0's.
        g_ti = rnp.reshape(rnp.sum(func(ans[i], t[i], *args) * g[i]), (1,))
        g_times.append(g_ti)
        a_t0 = a_t0 - g_ti
        state = rnp.concatenate([ans[i], a, a_t0, a_args])
        back = S.odeint(state, rnp.stack([t[i], t[i - 1]]), *args, func=dynamics,
                        options=options)[1]
        a, a_t0, a_args = back[n:2 * n] + g[i - 1], back[2 * n:2 * n + 1], back[2 * n + 1:]
    g_times.append(a_t0)
    return (a, rnp.concatenate(g_times[::-1]), *_unflat(a_args, args))


def _odeint_vjp(position):
    def rule(g, ans, *operands, func, options):
        return _odeint_cotangents(g, ans, *operands, func=func, options=options)[position]

    return rule


def _sensitivity_dynamics(func, n, position):
    """d/ds of (y, dy): y' = f, dy' = df/dy dy (+ df/d(arg) t_arg for an argument's tangent,
    which rides along as the last operand)."""
    from refengine.api import jvp

    def dynamics(state, s, *args):
        y, dy = state[:n], state[n:]
        if position < 2:  # y0 or t: only y's tangent drives the sensitivity
            out, tangent = jvp(lambda yy: func(yy, s, *args), (y,), (dy,))
        else:
            k, args, t_arg = position - 2, args[:-1], args[-1]
            def with_arg(yy, ak):
                return func(yy, s, *args[:k], ak, *args[k + 1:])

            out, tangent = jvp(with_arg, (y, args[k]), (dy, t_arg))
        return rnp.concatenate([out, tangent])

    return dynamics


def _odeint_jvp(position):
    def rule(tangent, ans, y0, t, *args, func, options):
        n = np.shape(_plain(y0))[0]
        dynamics = _sensitivity_dynamics(func, n, position)
        if position == 0:
            start, extra = tangent, ()
        elif position == 1:  # t_0 moves the start: dy(t_0) = -f(y0, t0) dt_0
            start, extra = -func(y0, t[0], *args) * tangent[0], ()
        else:
            start, extra = np.zeros(n), (tangent,)
        solved = S.odeint(rnp.concatenate([y0, start]), t, *args, *extra, func=dynamics,
                          options=options)[:, n:]
        if position != 1:
            return solved
        moved = rnp.stack([func(ans[i], t[i], *args) for i in range(np.shape(_plain(t))[0])])
        return solved + moved * rnp.reshape(tangent, (-1, 1))

    return rule


# (No point of its own: its derivatives are as accurate as the solver's rtol/atol, everywhere.)
defrule(S.odeint, vjp=functools.cache(_odeint_vjp), jvp=functools.cache(_odeint_jvp))
