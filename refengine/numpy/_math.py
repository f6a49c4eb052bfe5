"""``refengine.numpy``'s elementwise composites beyond the primitives: angle conversions,
remainder, NaN-ignoring extrema, logaddexp2, sinc, nan_to_num and the complex parts (real,
imag, conj, angle, and sign's complex z / |z|). Each is built from primitives, so its
derivative follows from theirs; the conventions at kinks and jumps are in the docstrings."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine import primitives_complex as PC
from refengine.primitive import Tracer, dtype_of, holds_tracer

__all__ = [
    "angle", "conj", "conjugate", "deg2rad", "degrees", "fabs", "fmax", "fmin", "fmod", "imag",
    "logaddexp2", "mod", "nan_to_num", "positive", "rad2deg", "radians", "real", "real_if_close",
    "remainder", "sign", "sinc",
]

_RAD_PER_DEG = math.pi / 180.0
_DEG_PER_RAD = 180.0 / math.pi
_LN2 = math.log(2.0)


def _traced(*args: Any) -> bool:
    return any(isinstance(a, Tracer) or holds_tracer(a) for a in args)


def positive(x: Any) -> Any:
    """``np.positive``: the value itself (a traced value is immutable, so no copy is needed)."""
    return x if isinstance(x, Tracer) else np.positive(x)


def deg2rad(x: Any) -> Any:
    return P.multiply(x, _RAD_PER_DEG)


def rad2deg(x: Any) -> Any:
    return P.multiply(x, _DEG_PER_RAD)


radians = deg2rad
degrees = rad2deg
fabs = P.abs


def remainder(x1: Any, x2: Any) -> Any:
    """``np.remainder`` (``%``): x1 - floor(x1 / x2) * x2, the sign of x2's. Its derivative is 1
    for x1 and -floor(x1 / x2) for x2 (HIPS autograd's and JAX's convention); at the jumps,
    where x1 / x2 is an integer, it is the one-sided derivative from the side floor picks."""
    if not _traced(x1, x2):
        return np.remainder(x1, x2)  # NumPy's own: exact, and integer for integers
    return x1 - P.floor(P.divide(x1, x2)) * x2


mod = remainder


def fmod(x1: Any, x2: Any) -> Any:
    """``np.fmod``: x1 - trunc(x1 / x2) * x2, the sign of x1's (derivative 1 and -trunc(x1 / x2),
    one-sided at the jumps as remainder's)."""
    if not _traced(x1, x2):
        return np.fmod(x1, x2)
    q = P.divide(x1, x2)
    return x1 - P.where(P.less(q, 0), P.ceil(q), P.floor(q)) * x2


def fmax(x1: Any, x2: Any) -> Any:
    """``np.fmax``: maximum ignoring NaN (a NaN loses to a number; the derivative goes to the
    number). Where both are numbers it is ``maximum``, with its convention at ties."""
    both = P.where(P.isnan(x1), x2, P.maximum(x1, x2))
    return P.where(P.isnan(x2), x1, both)


def fmin(x1: Any, x2: Any) -> Any:
    """``np.fmin``: minimum ignoring NaN, as ``fmax``."""
    both = P.where(P.isnan(x1), x2, P.minimum(x1, x2))
    return P.where(P.isnan(x2), x1, both)


def logaddexp2(x1: Any, x2: Any) -> Any:
    """``np.logaddexp2``: log2(2**x1 + 2**x2), as logaddexp of the arguments in natural units."""
    return P.logaddexp(P.multiply(x1, _LN2), P.multiply(x2, _LN2)) / _LN2


# Below this |x|, sinc is its Taylor polynomial: sin(pi x) / (pi x) loses its derivatives at
# 0 (0/0), and the polynomial's truncation error, (pi x)**8 / 9!, is under 1e-24 there.
_SINC_TAYLOR_BELOW = 1e-3


def sinc(x: Any) -> Any:
    """``np.sinc``: sin(pi x) / (pi x), 1 at 0, with exact derivatives of every order at 0
    (near 0 it is the Taylor polynomial 1 - u/6 + u**2/120 - u**3/5040 in u = (pi x)**2)."""
    small = np.asarray(P.less(P.abs(x), _SINC_TAYLOR_BELOW))
    pix = P.multiply(x, math.pi)
    safe = P.where(small, 1.0, pix)  # never 0 in the division: no 0/0 in either branch
    u = pix * pix
    taylor = 1.0 + u * (-1.0 / 6.0 + u * (1.0 / 120.0 - u * (1.0 / 5040.0)))
    return P.where(small, taylor, P.sin(safe) / safe)


def nan_to_num(
    x: Any, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
    neginf: float | None = None,
) -> Any:
    """``np.nan_to_num``: NaN and the infinities replaced by numbers. The derivative is 1 where
    x is finite and 0 where it was replaced (the replacement is a constant)."""
    if not isinstance(x, Tracer):
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    dtype = dtype_of(x)
    big = np.finfo(dtype).max if dtype.kind == "f" else np.finfo(np.float64).max
    hi = big if posinf is None else posinf
    lo = -big if neginf is None else neginf
    fill = np.where(P.isnan(x), nan, np.where(P.greater(x, 0), hi, lo)).astype(dtype)
    return P.where(P.isfinite(x), x, fill)


def real(val: Any) -> Any:
    """``np.real``: the real part (of a real value, the value itself; derivative 1)."""
    if not isinstance(val, Tracer):
        return np.real(val)
    return PC.real(val) if dtype_of(val).kind == "c" else val


def imag(val: Any) -> Any:
    """``np.imag``: the imaginary part (of a real value, zero: a constant, derivative 0)."""
    if not isinstance(val, Tracer):
        return np.imag(val)
    if dtype_of(val).kind == "c":
        return PC.imag(val)
    return np.zeros(val.shape, dtype=val.dtype)


def conj(x: Any) -> Any:
    """``np.conj``: the complex conjugate (of a real value, the value itself)."""
    if not isinstance(x, Tracer):
        return np.conj(x)
    return PC.conj(x) if dtype_of(x).kind == "c" else x


conjugate = conj


def real_if_close(a: Any, tol: float = 100) -> Any:
    """``np.real_if_close``: the real part where every imaginary part is within ``tol``
    machine epsilons of 0 (decided on the value; the derivative is then real's), else ``a``."""
    if not isinstance(a, Tracer):
        return np.real_if_close(a, tol=tol)
    if dtype_of(a).kind != "c":
        return a
    value = a
    while isinstance(value, Tracer):
        value = value._value
    close = np.real_if_close(np.asarray(value), tol=tol).dtype.kind != "c"
    return PC.real(a) if close else a


def angle(z: Any, deg: bool = False) -> Any:
    """``np.angle``: arctan2(imag(z), real(z)), so its derivative is arctan2's (NaN at z = 0,
    as autograd's). Of real values: 0, or pi where the sign bit is set (-0.0 included),
    piecewise constant, so its derivative is 0 (the value is untraced)."""
    if isinstance(z, Tracer):
        if dtype_of(z).kind == "c":
            out = P.arctan2(PC.imag(z), PC.real(z))
        else:
            out = P.arctan2(0.0, P.stop_gradient(z))
        return out * _DEG_PER_RAD if deg else out
    return np.angle(z, deg=deg)


def sign(x: Any) -> Any:
    """``np.sign``: piecewise constant on real values (derivative 0, a zero entry of the table);
    on complex ones NumPy's z / |z| (0 at 0), which is not constant: that quotient, so its
    derivative is the quotient's."""
    if isinstance(x, Tracer) and dtype_of(x).kind == "c":
        magnitude = P.abs(x)
        zero = P.equal(magnitude, 0)
        return P.where(zero, 0.0, x) / P.where(zero, 1.0, magnitude)
    return P.sign(x)
