"""The derivative table's special-function entries beyond the elementwise ones of
``refengine/derivatives.py``: erfinv, erfcinv, the Bessel functions (jn, yn, iv, ive) and the
regularised incomplete gamma and beta functions and Student's t distribution function (stdtr),
as functions of x.

The entries are written in the format of ``refengine/derivatives.py`` and registered into its
table (which loads this module, as it loads ``derivatives_linalg.py``). Each rule is written in
refengine's primitives, so second derivatives work: a Bessel function's derivative is a
combination of the same function at the neighbouring orders (the recurrences DLMF 10.6.1 and
10.29.1), and an incomplete function's is its integrand, written as exp of a sum of logarithms
(xlogy: 0 * log 0 = 0 keeps the ends right). The orders and shape parameters are static
parameters: their derivatives have no closed form (HIPS autograd defines none either), and
``refengine.numpy.special`` refuses a traced one, naming it.
"""

from __future__ import annotations

import math

import refengine.numpy as rnp
from refengine import primitives as P
from refengine import primitives_special as S
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
