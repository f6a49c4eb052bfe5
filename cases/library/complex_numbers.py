"""Complex numbers: cases that opt in to complex128 and complex64 (tag ``complex``).

Every floating input is complex, its real and imaginary parts drawn from the input's domain.
The checks run on each case's real pair view (``cases.conformance.complex_pairs``: the oracle
perturbs the real and the imaginary part of each entry), which no framework's gradient
convention affects; ``complex_convention`` measures the convention on the case itself.

The themes: holomorphic maps (exp, sin, z**3, matmul, sum, the discrete Fourier transform),
whose derivative is f'(z); non-holomorphic ones (abs, real, imag, conj, angle, z * conj(z),
|z|**2), which are real-differentiable only; complex-to-real losses and complex-to-complex
maps; and two boundary points: |z| at z = 0 (a cone: the subdifferential along each part is
[-1, 1]) and angle(z) on the negative real axis (a jump of 2 pi across it along the
imaginary part).
"""

from __future__ import annotations

from typing import Any

from cases import domains as D
from cases.case import COMPLEX_DTYPES, Arg, Case, Kink, Tolerance, vector
from cases.library._helpers import ELEMENTWISE, MATRIX, square

__all__ = ["CASES"]


def _c(name: str, fn: Any, *, args: tuple[Arg, ...] = (Arg("z"),), out: Any = vector,
       note: str = "", **kw: Any) -> Case:
    tags = {"complex"} | set(kw.pop("tags", ()))
    return Case(name, fn, args=args, output_shape=out, sizes=kw.pop("sizes", ELEMENTWISE),
                dtypes=COMPLEX_DTYPES, tags=tags, note=note, **kw)


def _least_squares(xp: Any, a: Any, z: Any, b: Any) -> Any:
    r = xp.matmul(a, z) - b
    return xp.mean(xp.real(r * xp.conj(r)))


def _fft_power(xp: Any, z: Any) -> Any:
    return xp.sum(xp.abs(xp.fft.fft(z)) ** 2)


def _phase_loss(xp: Any, z: Any) -> Any:
    return xp.sum(xp.angle(z) * xp.abs(z))


HOLOMORPHIC = [
    _c("complex-exp", lambda xp, z: xp.exp(z), tags={"holomorphic"}),
    _c("complex-sin", lambda xp, z: xp.sin(z), tags={"holomorphic"}),
    _c("complex-cube", lambda xp, z: z ** 3, tags={"holomorphic"}),
    _c("complex-matmul", lambda xp, a, b: xp.matmul(a, b),
       args=(Arg("a", shape=square), Arg("b", shape=square)), out=square, sizes=MATRIX,
       tags={"holomorphic"}),
    _c("complex-sum", lambda xp, z: xp.sum(z), out=(), tags={"holomorphic"}),
    _c("complex-fft", lambda xp, z: xp.fft.fft(z), tags={"holomorphic", "fft"},
       note="linear, so holomorphic: its VJP is the conjugate-free transpose, n * ifft(u)"),
    _c("complex-ifft", lambda xp, z: xp.fft.ifft(z), tags={"holomorphic", "fft"}),
]

NON_HOLOMORPHIC = [
    _c("complex-abs", lambda xp, z: xp.abs(z), note="|z|: real output, gradient z / |z|"),
    _c("complex-real", lambda xp, z: xp.real(z)),
    _c("complex-imag", lambda xp, z: xp.imag(z)),
    _c("complex-conj", lambda xp, z: xp.conj(z), note="anti-holomorphic, complex output"),
    _c("complex-angle", lambda xp, z: xp.angle(z), args=(Arg("z", D.AWAY_FROM_ZERO),),
       note="parts away from zero: the imaginary part keeps z off the negative real axis"),
    _c("complex-z-conj-z", lambda xp, z: z * xp.conj(z),
       note="|z|**2 as a complex array (imaginary part 0): not holomorphic",
       tolerances=(Tolerance(0.0, 1e-14, reason=(
           "the imaginary part x y - y x and its derivatives are 0, computed as differences "
           "of equal rounded products: NumPy's value rounds to about 1e-19 (torch's is 0), "
           "autograd's JVP to 6e-17 (refengine's is 0); a zero derivative gives the "
           "magnitude-relative tolerance no room")),
                   Tolerance(0.0, 1e-6, dtype="complex64", reason=(
           "as in complex128: the zero imaginary part and its derivatives round to about "
           "1e-8 in complex64 (values of |z|**2 up to about 10)")))),
    _c("complex-abs-squared", lambda xp, z: xp.abs(z) ** 2),
]

LOSSES = [
    _c("complex-least-squares", _least_squares,
       args=(Arg("a", shape=square, diff=False), Arg("z"), Arg("b", diff=False)), out=(),
       sizes=MATRIX, tags={"loss"}, note="mean |A z - b|**2 with complex A and b held fixed"),
    _c("complex-fft-power", _fft_power, out=(), tags={"loss", "fft"},
       note="Parseval: n * sum |z|**2, so the gradient is 2 n z (refengine's convention)"),
    _c("complex-phase-loss", _phase_loss, args=(Arg("z", D.AWAY_FROM_ZERO),), out=(),
       tags={"loss"}, note="angle(z) |z|: both non-holomorphic parts in one loss"),
    _c("complex-exp-real-part", lambda xp, z: xp.sum(xp.real(xp.exp(z) * xp.conj(z))),
       out=(), tags={"loss"}),
]

ZERO_AT_2 = {(2,): 0.0}
BOUNDARIES = [
    _c("complex-abs-at-zero", lambda xp, z: xp.abs(z),
       args=(Arg("z", D.with_points(D.AWAY_FROM_ZERO, ZERO_AT_2)),),
       kinks=(Kink("z", (2,), 0.0, "abs-at-zero",
                   "|z| at 0 is a cone: along each part the subdifferential is [-1, 1]"),),
       tags={"kink"}),
    # angle(z - 1) at z = 0 is angle(-1 + 0i) = pi: on the negative real axis, where angle
    # jumps by 2 pi along the imaginary part (and is smooth along the real part).
    _c("complex-angle-negative-real-axis", lambda xp, z: xp.angle(z - 1.0),
       args=(Arg("z", D.with_points(D.AWAY_FROM_ZERO, ZERO_AT_2)),),
       kinks=(Kink("z", (2,), 0.0, "jump",
                   "angle jumps from pi to -pi across the negative real axis"),),
       tags={"kink"}),
]

CASES: list[Case] = [*HOLOMORPHIC, *NON_HOLOMORPHIC, *LOSSES, *BOUNDARIES]
