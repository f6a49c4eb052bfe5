"""Complex numbers in the derivative table: the convention, the complex primitives' entries,
and which of the other entries hold on complex inputs.

The convention is HIPS autograd's (and JAX's). A cotangent ``g`` of a complex value ``w`` pairs
with a tangent ``dw`` as ``Re(sum(g * dw))`` (no conjugate). So:

- a holomorphic function's rules are its real rules unchanged: VJP ``g * f'(z)`` and JVP
  ``t * f'(z)``, with transposes (``swap``), never conjugate transposes, in matrix rules;
- the gradient of a real-valued ``L(z)`` (``rf.grad``, the VJP of 1.0) is
  ``dL/dx - i dL/dy`` for ``z = x + i y``: ``rf.grad(lambda z: rnp.abs(z) ** 2)(z) == 2 conj(z)``.
  It is the conjugate of PyTorch's ``.grad`` (``dL/dx + i dL/dy``), and equal to ``jax.grad``'s;
- ``rf.grad`` of a holomorphic ``f`` through ``rnp.real(f(z))`` is ``f'(z)``;
- a real operand of a complex operation gets the real part of its cotangent (the engine does it
  in ``traces.unbroadcast``, where dtypes are restored), as autograd's ``match_complex``.

The non-holomorphic primitives carry their own rules: ``real``, ``imag`` and ``conj`` below,
``abs`` (``refengine/derivatives.py``, rules from here). ``angle`` is ``arctan2(imag, real)``.

Entries that hold only for real inputs (comparisons inside them, or a real formula such as
``max``'s ties, ``cholesky``'s symmetry) raise a ``TypeError`` naming the function when their rule
meets a complex operand: ``REAL_ONLY`` lists them with the reason; the rest of the table is in
``COMPLEX_CAPABLE``, and a test keeps the two lists covering the whole table.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine import primitives as P
from refengine import primitives_complex as PC
from refengine.primitive import Tracer, dtype_of
from refengine.rules import TABLE, defrule

__all__ = ["COMPLEX_CAPABLE", "REAL_ONLY", "abs_jvp", "abs_vjp"]


# ============================================================================================
# abs (its entry is in derivatives.py): conj(z) / |z| on complex input, sign(x) on real
# ============================================================================================
def _has_zero(x: Any) -> bool:
    while isinstance(x, Tracer):
        x = x._value
    return bool((x == 0).any()) if hasattr(x, "any") else x == 0


def _conj_over_abs(ans: Any, x: Any) -> Any:
    # conj(z) / |z|, and 0 at z == 0 (the minimum-norm subgradient, as abs'(0) = 0 for reals
    # and autograd's replace_zero); a double where, so no 0/0 reaches a second derivative.
    if not _has_zero(ans):
        return PC.conj(x) / ans
    zero = rnp.equal(ans, 0)
    return rnp.where(zero, 0.0, PC.conj(x)) / rnp.where(zero, 1.0, ans)


def abs_vjp(g: Any, ans: Any, x: Any) -> Any:
    if dtype_of(x).kind == "c":
        return g * _conj_over_abs(ans, x)
    return g * P.sign(x)


def abs_jvp(t: Any, ans: Any, x: Any) -> Any:
    if dtype_of(x).kind == "c":
        return PC.real(t * _conj_over_abs(ans, x))
    return t * P.sign(x)


# ============================================================================================
# Real and imaginary parts, the conjugate: linear over the reals (JVP: the primitive itself)
# ============================================================================================
# d real(z) = real(dz): the cotangent g comes back as g + 0j (cast to z's dtype by the engine);
# d imag(z) = imag(dz): as -i g, since Re(-i g dz) = g imag(dz); d conj(z) = conj(dz): conj(g).
defrule(PC.real, linear=True, vjp=(lambda g, ans, x: g,))
defrule(PC.imag, linear=True, vjp=(lambda g, ans, x: g * -1j,))
defrule(PC.conj, linear=True, vjp=(lambda g, ans, x: PC.conj(g),))


# ============================================================================================
# Discrete Fourier transforms. The DFT matrix is symmetric, so the transpose of a c2c transform
# is the same transform. rfft keeps the first n // 2 + 1 frequencies of a real signal; irfft
# reads a half spectrum as the Hermitian full one (ignoring the imaginary parts of the zero
# and, for even n, Nyquist frequencies).
# ============================================================================================
_DUAL_NORM = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def _rfft_vjp(g, ans, x, *, axis, norm):
    # <g, rfft(x)> = Re sum_j g_j sum_k x_k w^(jk): the c2c transform of g zero-padded to n,
    # real part (x is real).
    n = rnp.shape(x)[axis]
    widths = [(0, 0)] * rnp.ndim(g)
    widths[axis] = (0, n - rnp.shape(g)[axis])
    full = P.pad(g, pad_width=tuple(widths), value=0.0)
    return PC.real(PC.fftn(full, axes=(axis,), norm=norm))


def _irfft_vjp(g, ans, x, *, n, axis, norm):
    # <g, irfft(x)> for real g: each kept frequency but the zero one (and the Nyquist one for
    # even n) appears twice in the Hermitian spectrum, as x_j and conj(x_j); the sum over the
    # output is rfft(g) conjugated, in the dual normalisation.
    m = rnp.shape(x)[axis]
    used = n // 2 + 1
    half = PC.conj(PC.rfft(g, axis=axis, norm=_DUAL_NORM[norm]))
    weights = [2.0] * used
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    shape = [1] * rnp.ndim(g)
    shape[axis] = used
    c = half * np.asarray(weights, dtype=dtype_of(g)).reshape(shape)
    if m == used:
        return c
    index = [slice(None)] * rnp.ndim(g)
    if m < used:  # irfft zero-padded x: the padding's cotangent is dropped
        index[axis] = slice(0, m)
        return c[tuple(index)]
    widths = [(0, 0)] * rnp.ndim(g)  # irfft ignored x's entries past n // 2 + 1
    widths[axis] = (0, m - used)
    return P.pad(c, pad_width=tuple(widths), value=0.0)


defrule(PC.fftn, linear=True, vjp=(lambda g, ans, x, *, axes, norm:
                                   PC.fftn(g, axes=axes, norm=norm),))
defrule(PC.ifftn, linear=True, vjp=(lambda g, ans, x, *, axes, norm:
                                    PC.ifftn(g, axes=axes, norm=norm),))
# rfft takes real input only (NumPy's). irfft ignores the imaginary parts of the zero (and, for
# even n, the Nyquist) frequency, as NumPy: their derivative is 0, everywhere.
defrule(PC.rfft, linear=True, vjp=(_rfft_vjp,))
defrule(PC.irfft, linear=True, vjp=(_irfft_vjp,))


# ============================================================================================
# The rest of the table on complex inputs
# ============================================================================================
# Rules that hold unchanged on complex inputs: holomorphic (the real formula's analytic
# continuation) or linear, written with transposes only, and no comparison of values.
COMPLEX_CAPABLE = frozenset({
    "negative", "abs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "square", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "arcsinh", "arccosh", "arctanh", "erf", "erfc",
    "add", "subtract", "multiply", "divide", "power", "where",
    "sum", "prod", "cumsum", "cumprod",
    "reshape", "transpose", "broadcast_to", "concatenate", "getitem", "scatter_add", "flip",
    "roll", "tril", "triu", "diagonal", "pad", "astype", "matmul", "einsum",
    "inv", "solve", "det",
    "real", "imag", "conj", "fftn", "ifftn", "rfft", "irfft",
})

# Rules for real inputs only, each with why (what a complex rule would need).
REAL_ONLY = {
    "cbrt": "NumPy has no complex cbrt",
    "expit": "SciPy's expit is real", "logit": "SciPy's logit is real",
    "gammaln": "log|Gamma| is not holomorphic", "polygamma": "SciPy's polygamma is real",
    "relu": "it compares with 0", "maximum": "it compares values",
    "minimum": "it compares values", "clip": "it compares values", "max": "it compares values",
    "min": "it compares values", "arctan2": "real arguments only",
    "hypot": "real arguments only", "logaddexp": "NumPy's logaddexp is real",
    "xlogy": "its convention at 0 is real", "logsumexp": "its weights are real softmax weights",
    "slogdet": "log|det| of a complex matrix is not holomorphic",
    "cholesky": "a complex (Hermitian) Cholesky rule needs conjugates",
    "eigh": "a complex (Hermitian) eigh rule needs conjugates",
    "qr": "a complex QR rule needs conjugates", "svd": "a complex SVD rule needs conjugates",
    "norm2": "|x| of complex entries needs conj(x) / |x|",
    # refengine/derivatives_special.py: the rules are written and tested for real arguments
    **dict.fromkeys(("erfinv", "erfcinv", "jn", "yn", "iv", "ive", "gammainc", "gammaincc",
                     "betainc", "erfcx", "exp1", "expi", "expn", "dawsn", "sici", "fresnel",
                     "owens_t", "spence", "zeta", "stdtr"),
                    "its special-function rule is written for real arguments"),
    "sqrtm": "its Sylvester-equation rule is written for real matrices",
    # refengine/derivatives_conv.py: bilinear, but tested on real arrays only
    **dict.fromkeys(("conv", "conv_transpose", "conv_weight"),
                    "its rules are written and tested for real arrays"),
    "odeint": "its adjoint and sensitivity equations are written for real states",
}


def _complex_error(name: str, reason: str) -> TypeError:
    return TypeError(
        f"refengine's derivative of '{name}' is defined for real inputs only ({reason}), and it "
        f"met a complex one. Split the value with rnp.real/rnp.imag (or rnp.abs) first, or use "
        f"a function refengine differentiates on complex inputs "
        f"(refengine.derivatives_complex.COMPLEX_CAPABLE)."
    )


def _on_reals(name: str, reason: str, rule: Any) -> Any:
    if rule is None:
        return None

    def rule_on_reals(first: Any, ans: Any, *args: Any, **params: Any) -> Any:
        for a in args:
            if dtype_of(a).kind == "c":
                raise _complex_error(name, reason)
        return rule(first, ans, *args, **params)

    rule_on_reals.__wrapped__ = rule  # type: ignore[attr-defined]
    return rule_on_reals


def guard_real_only_rules() -> None:
    """Wrap each REAL_ONLY entry's rules so that a complex operand raises (called once, when
    the whole table is loaded): the check runs in these rules only, never on real-capable
    primitives' path."""
    for name, reason in REAL_ONLY.items():
        prim = TABLE[name]
        prim.vjp = _guarded(name, reason, prim.vjp)
        prim.jvp = _guarded(name, reason, prim.jvp)


def _guarded(name: str, reason: str, rules: Any) -> Any:
    """The rules of an entry with the guard: a tuple (one per operand), or, for a variadic
    primitive (odeint), the function from an operand's position to its rule."""
    if callable(rules):
        return lambda position: _on_reals(name, reason, rules(position))
    return tuple(_on_reals(name, reason, r) for r in rules)
