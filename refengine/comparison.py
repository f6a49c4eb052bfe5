"""One AD quantity against the finite-difference oracle: the checker's options, the
tolerance rule, and the verdict (``Comparison``; ``GradientCheckError`` when it fails).

The rule
--------
This is the one rule of every checker in the project: ``rf.check_grads`` and
``adapters.check_grads`` (through ``refengine.check``) and the conformance matrix
(``cases.conformance``) all judge with ``refengine.judging``, which implements it. An entry
passes when

    |got - expected| <= atol + rtol * |expected| + oracle_err
    atol = max(rtol * magnitude, floor) + tiny      (the default; an explicit atol replaces it)

- ``rtol`` comes from the one table, ``refengine.tolerances``, by family and the dtype the
  quantity was computed in. Against the oracle it is the fd row (float64 1e-6, float32 2e-3,
  float16 3.9e-3, bfloat16 3.1e-2); the matrix's comparisons with other computations use
  their rows (value, exact, precision; determinism is bitwise).
- ``oracle_err`` is the oracle's own error bound, always part of the tolerance (0 when the
  reference is another computation). Where the oracle finds a kink, ``fd +- fd_error`` is the
  interval of one-sided derivatives, so any subgradient in it passes.
- ``magnitude`` is what the entry rounds relative to, so entries that cancel to nearly zero
  are not held to a relative precision that no float computation has: the largest magnitude
  in the compared quantity (per Jacobian column for JVPs of unit directions; ``J v`` along a
  random projection); for contractions with a random vector (``u^T J``, the matrix's ``J v``,
  the dot-product test, the adjoint identity) ``contraction_magnitude`` (below); for a value
  against NumPy, ``backward_rounding``, ``sum_k |J_ik| |x_k|``, what a backward-stable
  evaluation may differ by.
- ``floor`` is the rounding floor (below): measured per output by ``refengine.check``; in the
  matrix, which measures no noise, the second-order floor (below) for second derivatives and
  none at first order.
- ``tiny`` is the dtype's smallest normal number: results in the subnormal range carry no
  relative precision (expit(-100) in float32 is 3.7e-44 or 0 depending on the formula).
- ``atol=0`` means zero: no floor, no tiny. The matrix's case overrides (``Case.tolerances``)
  are the same rule with the case's ``atol`` and ``rtol``, and raise the model, never lower it.

The larger of ``rtol * magnitude`` and the floor, not their sum: the two are alike in half
precision (``rtol`` is 4 eps there, the floor about 1 eps of the value's rounding), and the sum
let a planted 1 % error in a float16 JVP pass (``test_a_planted_error_fails_in_half_precision``:
the larger one allows the largest entry 2 ``rtol`` = 0.78 %; the sum added the floor to that).
The matrix added its second-order floor before; taking the larger one there changed no record
(below, "Second order").

Contractions with random vectors
--------------------------------
Reverse mode is checked through contractions with random vectors: ``J^T u`` entry by entry
(``sum_i u_i J_ik``), and for large inputs the dot-product test ``<J^T u, v>`` against
``u . (J v)``. What magnitude should ``rtol`` be relative to there? ``rtol`` allows every term
``x_k`` of a sum ``sum_k w_k x_k`` an error of ``rtol |x_k|``. If those errors all lined up with
the signs of ``w``, the sum would be off by ``rtol sum_k |w_k x_k|``, the sum of the absolute
terms, which was the magnitude used first. But ``w`` is drawn after the AD system has made its
errors: the error ``e`` of the AD's ``J^T u`` is fixed before ``v`` is drawn, so ``<e, v>`` is a
normal variable of standard deviation ``||e||_2 <= rtol ||J^T u||_2`` (``v`` standard normal), and
likewise ``u^T E v`` over ``u`` for a Jacobian error ``E``: deviation ``||E v|| <= rtol ||J v||``.
The sum of ``n`` absolute terms is about ``0.8 sqrt(n)`` times that deviation: it let one entry
of ``10^4`` be 1 % wrong (``jax-one-entry-of-10k`` in the zoo: on its first projection ``rtol *
sum |terms|`` is 3.5e-3 and the error 2.6e-4; 4 deviations give a tolerance of 2.0e-4; over
random directions a 1 % error there slipped through one projection 77 % of the time, now 6 %,
and through both default projections 0.4 %). So the magnitude of a contraction ``w . x``
(``contraction_magnitude``) is

    min( sum_k |w_k x_k| ,  RANDOM_TAIL * ||x_k||_2 over the k with w_k != 0 )

with ``RANDOM_TAIL = 4`` deviations (a normal variable passes 4 of them with probability 6e-5);
the first term keeps sums of a few terms (``n < 25``) at the deterministic bound. The
dot-product test takes the larger of its two sums' magnitudes (``grad`` weighted by ``v``,
the oracle's ``J v`` by ``u``). The rounding of the sums themselves, by the AD system and by the
oracle's evaluations, is not in this term: it is the rounding floor below (and float64 sums
of ``10^4`` terms round at ``sqrt(n log n) eps ||terms||``, far below ``rtol``).

The rounding floor
------------------
A derivative is a property of the function's values, and those values round. Let ``F`` be the
function checked (``f`` itself, or at order 2 one of its AD derivatives) and ``N_i`` how much
its output ``i`` rounds, in units of eps:

- ``|F_i|``, the value itself (one rounding of the result);
- ``sum_k |J_ik| |x_k|`` where the Jacobian is known (inputs of up to ``full_jacobian_max``
  entries): a backward-stable evaluation of ``F`` is ``F`` at inputs moved by eps relative, and
  that moves output ``i`` by this much;
- for a derivative of ``f``, what it inherits from ``f``'s rounding: ``x -> J(x) t`` inherits
  ``N_f,i * ||t / s||``, ``x -> J(x)^T u`` inherits ``||u * N_f|| / s_k`` for its entry ``k``.

A change of ``F_i`` smaller than ``eps N_i`` is invisible to every float evaluation of ``F``.
The oracle differentiates by steps of at most the input's scale ``s_j = max(1, |x_j|)`` / 8 (its
ladder's top), so it cannot resolve a derivative ``dF_i/dx_j`` below ``eps N_i / (s_j / 8)``
per rounding of a value, and it assumes 4 of them (``OracleConfig.roundoff``); an AD system
that computes ``F``'s derivative from the same rounded intermediates carries about ``eps N_i /
s_j`` of it. The floor of entry ``(i, j)`` is therefore

    floor_ij = (32 eps_oracle + 1 eps_AD) * N_i / s_j

(``ORACLE_ROUNDING = 32 = 4 x 8``, ``AD_ROUNDING = 1``; ``eps_oracle`` is float64's unless the
oracle had to evaluate ``f`` in a narrower dtype, ``eps_AD`` is that of the dtype the AD computed
in). Along a direction ``v`` (``J v``), per unit ``s_j``, the inputs' shares ``v_j / s_j`` add in
quadrature (``||v / s||``, random directions); contractions with ``u`` likewise (``||u * N||``).
Measured on ``f(z) = logsumexp(z) - z[0]``, ``z`` uniform in [0, 60]: its gradient entries
``exp(z_j - logsumexp(z))`` reach 1e-11 and below while ``f``'s values round at eps * 60. At
``z = default_rng(333).uniform(0, 60, 12)`` (f = 3.2) the entry 1.35e-11 differs from the oracle
by 4.8e-14 against an oracle bound of 4.5e-14; ``rtol * |entry|`` added 1.4e-17 and the check
failed, the floor adds 2.4e-14. Over 800 such points at order 1, 74 failed without the floor and
49 with it, all of those where ``f`` cancels (below).

It loosens nothing else: in float64 it is 7e-15 ``N_i / s_j``, so an entry larger than 1e-8
``N_i / s_j`` still gets its full ``rtol`` (a 1e-5 relative error in it fails), and an entry
below that is still held to 7e-15 ``N_i / s_j`` absolute (one entry 50 % off fails unless it is
below the rounding of every float evaluation of ``f``).

Measured noise
--------------
Neither ``|F|`` nor ``J`` shows the rounding of an intermediate that is larger than the value:
``logsumexp(z) - max(z)`` is tiny and rounds like ``max(z)``, and the derivative ``exp(z_1 -
lse(z))`` of ``logsumexp`` rounds like ``lse(z)`` (``torch-logsumexp-spread``: z spread over
[-30, 30], the gradient entry 0.62 rounds by 5.8 eps, not by eps |0.62|). So each checked
function's noise is measured too (``refengine.check.noise_level``, Moré and Wild's ECnoise):
``NOISE_POINTS = 7`` evaluations on a segment next to the point, every input moved by
``sqrt(eps)`` of its size per step (1/sqrt(eps) ulps: every intermediate rounds afresh; to one
side only, so a kink at the point itself is not crossed), and the standard deviation of the
rounding from their k-th differences, k up to 6. ``sqrt(3)`` deviations (the half-width of a
uniform rounding error) count as that output's rounding, in ``N_i`` above, and in the oracle:
its model is that values round by ``roundoff * eps * |F_i|``, so an output noisier than that
is handed to it as ``F_i + c_i``, a constant that changes no derivative, with ``|F_i + c_i|``
the size at which the model holds (``refengine.check._Run.offset_for``). On
``torch-logsumexp-spread`` at order 2 the oracle then bounds its own error there (1.3e-14
against a bound of 2.4e-14, where it claimed 8.9e-15 for an error of 1.5e-14 before). At 800
points ``z ~ U(0, 60)^8`` and ``^12`` of ``logsumexp(z) - z[0]`` (refengine, seeds 0-399,
order 1) the false alarms went from 62 (and 3 ``OracleError``) to 14 (and none), at 200 of them
at order 2 from 47 (and 1) to 4; most of those left are points where the oracle's differences
see no change of ``f`` at all (``FD 0``), which no noise estimate fixes.

Second order without measured noise
-----------------------------------
``refengine.check`` checks derivatives of every order with the rounding floor above, measured
on the derivative function itself. The conformance matrix does not evaluate each framework's
first derivative at noise points, so for a second derivative along ``v`` (``H v``,
``f''(x)[v, v]``) it takes the floor ``second_order_floor``:

    64 eps max|d| max|v| / max|x|

with ``d`` the first derivative being differentiated (the gradient for ``H v``, ``J v`` for
``f''[v, v]``) and eps that of the dtype computed in: what rounding makes of a second
derivative that is exactly zero (linear pieces, a variance over two entries). Measured on
the matrix's second-order checks (hvp_vs_oracle, hvp_vs_refengine, second_order_nestings,
float32_vs_float64; refengine, torch and autograd, 6577 items), the false failures were: no
floor 32; the rounding unit above in its place (``rounding_unit(dtype) max|d| ||v / s||``) 12,
all ``std`` over an axis in float32 (it counts 1 float32 eps where float32 AD rounds the
gradient's large terms); 16 eps 2; 32 eps none; 64 eps none, kept for a factor 2 of margin
(JAX jit float64 and the mutation score, 388 of 388, were checked with it).

Locating a failing projection
-----------------------------
A random projection that fails is narrowed down by bisection over input blocks: the direction
restricted to a block, the check re-run along it, the first failing half kept
(``refengine.judging.locate_entry``). Along ``e_j v_j`` the result is ``v_j`` times the entry's
own derivative, so values are divided by ``v_j`` and errors and tolerances by ``|v_j|``
(``unweight``) before they are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from refengine.judging import (
    RANDOM_TAIL,
    absolute_tolerance,
    contraction_magnitude,
    entry_tolerance,
    judge,
    tiny_of,
)
from refengine.numeric import Derivative, OracleConfig
from refengine.tolerances import eps_of, rtol_for

__all__ = [
    "DEFAULT_RTOL",
    "FD",
    "MODE_NAMES",
    "RANDOM_TAIL",
    "CheckConfig",
    "Comparison",
    "GradientCheckError",
    "InputMutationError",
    "ModeUnavailable",
    "NotCheckedWarning",
    "compare_dot_products",
    "compare_entries",
    "contraction_magnitude",
    "is_real_float",
    "lowest_precision",
    "ratio",
    "rounding_unit",
    "summary",
]


class _FdRtol(dict):  # type: ignore[type-arg]
    """The fd family of the one tolerance table (refengine.tolerances), keyed by dtype; a
    dtype first asked for (float16, bfloat16) is looked up then, so building this table needs
    no ``ml_dtypes``."""

    def __missing__(self, dtype: Any) -> float:
        value = rtol_for("fd", dtype)
        self[dtype] = value
        return value


DEFAULT_RTOL: dict[Any, float] = _FdRtol(
    {np.dtype(d): rtol_for("fd", d) for d in ("float32", "float64")}
)

# The rounding floor (module docstring): units of the oracle's eps and of the AD's eps.
ORACLE_ROUNDING = 32.0
AD_ROUNDING = 1.0
MODE_NAMES = {"fwd": "JVP", "rev": "VJP"}


@dataclass(frozen=True)
class CheckConfig:
    """Options of ``check_derivatives`` (this module's docstring gives the tolerance rule)."""

    modes: tuple[str, ...] = ("fwd", "rev")
    order: int = 2
    atol: float | None = None
    rtol: float | None = None
    full_jacobian_max: int = 16
    projections: int = 2
    oracle: OracleConfig = field(default_factory=OracleConfig)
    check_dtypes: bool = True

    def __post_init__(self) -> None:
        bad = [m for m in self.modes if m not in MODE_NAMES]
        if bad or not self.modes:
            raise ValueError(
                f"modes must be a non-empty subset of ('fwd', 'rev'), got {self.modes}"
            )
        if not isinstance(self.order, int) or self.order < 1:
            raise ValueError(f"order must be a positive integer, got {self.order!r}")
        for name in ("atol", "rtol"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ValueError(f"{name} must be None or >= 0, got {value!r}")
        if self.projections < 1 or self.full_jacobian_max < 0:
            raise ValueError("projections must be >= 1 and full_jacobian_max >= 0")


@dataclass(frozen=True)
class Comparison:
    """One AD quantity against the oracle, reduced to its worst entry (largest error/tol)."""

    function: str
    check: str  # e.g. "VJP of JVP of f"
    mode: str
    order: int
    passed: bool
    argument: int | None = None  # input argument of the worst entry (None: a projection)
    index: tuple[int, ...] | None = None  # index inside that argument
    output_index: int | None = None  # flat output index, where known
    ad_value: float = float("nan")
    fd_value: float = float("nan")
    fd_error: float = float("nan")
    abs_err: float = float("nan")
    rel_err: float = float("nan")
    tol: float = 0.0
    kink: bool = False
    evaluations: int = 0
    note: str = ""
    checked: bool = True  # False: not run (the AD system cannot do it); ``note`` says why
    atol: float = float("nan")  # the worst entry's absolute tolerance (with its floor)
    rtol: float = float("nan")
    dtype: str = ""  # the precision the AD computed in, which set rtol

    def message(self) -> str:
        where = "on a random projection u^T J v"
        if self.argument is not None:
            where = f"at argument {self.argument}, input index {self.index}"
        if self.output_index is not None:
            where += f", output index {self.output_index}"
        kink = " (a kink: FD value +- bound is the interval of one-sided derivatives)"
        return (
            f"{self.check} disagrees with finite differences (function {self.function!r}, "
            f"mode {self.mode}, order {self.order}) {where}: AD value {self.ad_value:.17g}, "
            f"FD value {self.fd_value:.17g} +- {self.fd_error:.3g} (FD error bound)"
            f"{kink if self.kink else ''}; abs error {self.abs_err:.3g}, rel error "
            f"{self.rel_err:.3g}, against tolerance {self.tol:.3g}{self.tolerance_parts()}"
            + (f". {self.note}" if self.note else "")
        )

    def tolerance_parts(self) -> str:
        """`` (atol A + rtol R x |FD| + FD bound, float64)``: where the tolerance came from."""
        if np.isnan(self.atol) or np.isnan(self.rtol):
            return ""
        return (
            f" (atol {self.atol:.3g} + rtol {self.rtol:.3g} x |FD value| + FD error bound, "
            f"{self.dtype})"
        )

    def status(self) -> str:
        """One line: the check, and passed / FAILED / not checked with the reason."""
        head = f"{self.check} (order {self.order}, {self.mode})"
        if not self.checked:
            return f"{head}: {self.note}"
        if not self.passed:
            return f"{head}: FAILED: {self.message()}"
        extra = f"; {self.note}" if self.note else ""
        where = "" if self.tol == 0 and self.abs_err == 0 else (
            f": worst entry at {ratio(self):.2g} of its tolerance"
        )
        return f"{head}: passed{where}{extra}"



class GradientCheckError(AssertionError):
    """An AD derivative disagrees with the finite-difference oracle beyond the tolerance."""

    def __init__(self, comparison: Comparison) -> None:
        super().__init__(comparison.message())
        self.comparison = comparison


class InputMutationError(ValueError):
    """The checked function changed one of its arguments in place (the message names it)."""


class ModeUnavailable(Exception):  # noqa: N818 (a condition, not a failure)
    """Raised by an AD system's ``jvp``/``vjp`` when it cannot compute that mode for this
    function (forward mode through a ``jax.custom_vjp``, say). The checker records the check as
    not checked, with this reason, and warns: never a silent pass."""


class NotCheckedWarning(UserWarning):
    """A check the caller asked for could not be run (see ``Comparison.checked``)."""


class FD(NamedTuple):
    """The oracle's side of a comparison."""

    value: np.ndarray
    error: np.ndarray
    kink: np.ndarray
    evaluations: int


def compare_entries(
    labels: dict[str, Any],
    config: CheckConfig,
    ad_values: np.ndarray,
    fd: FD,
    magnitude: np.ndarray | float,
    dtype: np.dtype,
    locate: Callable[[tuple[int, ...]], tuple[int | None, Any, int | None]],
    floor: np.ndarray | float = 0.0,
) -> Comparison:
    """Compare entry by entry (``refengine.judging``); report the entry with the largest
    error/tolerance ratio.

    ``labels`` are the Comparison's first fields (function, check, mode, order); ``magnitude``
    (broadcastable) is what the default ``atol`` is relative to, ``floor`` (broadcastable) the
    rounding floor in it; ``locate`` maps an entry's position to (argument, index inside it,
    output index).
    """
    rtol = config.rtol if config.rtol is not None else DEFAULT_RTOL[dtype]
    shape = fd.value.shape
    atol = np.broadcast_to(
        absolute_tolerance(rtol, magnitude, floor, tiny_of(dtype), config.atol), shape
    )
    tol = entry_tolerance(fd.value, rtol, oracle_err=fd.error, atol=atol)
    ad_values = np.asarray(ad_values, dtype=np.float64).reshape(shape)
    verdict = judge(ad_values, fd.value, tol)
    if verdict.worst is None:
        return Comparison(**labels, passed=True, evaluations=fd.evaluations)
    k = np.unravel_index(verdict.worst, shape)
    argument, index, output = locate(tuple(int(q) for q in k))
    err, ref = float(verdict.error[verdict.worst]), abs(float(fd.value[k]))
    return Comparison(
        **labels,
        passed=verdict.passed,
        argument=argument,
        index=index,
        output_index=output,
        ad_value=float(ad_values[k]),
        fd_value=float(fd.value[k]),
        fd_error=float(fd.error[k]),
        abs_err=err,
        rel_err=err / ref if ref > 0 else (0.0 if err == 0 else float("inf")),
        tol=float(tol.reshape(shape)[k]),
        kink=bool(fd.kink[k]),
        evaluations=fd.evaluations,
        atol=float(atol[k]),
        rtol=float(rtol),
        dtype=np.dtype(dtype).name,
    )


def compare_dot_products(
    labels: dict[str, Any],
    config: CheckConfig,
    grad: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    fd_jv: Derivative,
    dtype: np.dtype,
    floor: float = 0.0,
) -> Comparison:
    """The dot-product test: <J^T u, v> from the VJP against u . (J v) from the oracle."""
    fd = FD(
        np.array([u @ fd_jv.value]),
        np.array([np.abs(u) @ fd_jv.error]),
        np.array([bool(np.any(fd_jv.kink[u != 0]))]),
        fd_jv.evaluations,
    )
    # The default atol's magnitude: see "Contractions with random vectors" in the docstring.
    mag = max(contraction_magnitude(u, fd_jv.value), contraction_magnitude(v, grad))
    ad_value = np.array([grad @ v])
    return compare_entries(
        labels, config, ad_value, fd, mag, dtype, lambda k: (None, None, None), floor=floor
    )


def ratio(c: Comparison) -> float:
    """How far past its tolerance the worst entry is (passing: at most 1)."""
    return c.abs_err / c.tol if c.tol > 0 else (0.0 if c.abs_err == 0 else np.inf)


def is_real_float(dtype: Any) -> bool:
    """A real floating dtype: NumPy's (kind "f") or ml_dtypes' (bfloat16, float8_*: kind "V")."""
    d = np.dtype(dtype)
    return d.kind == "f" or (d.kind == "V" and d.name.startswith(("bfloat", "float")))


def lowest_precision(dtypes: Sequence[Any]) -> np.dtype:
    """The real float dtype with the largest eps among ``dtypes`` (bfloat16 < float16 <
    float32 < float64); float64 when none is a real float."""
    floats = [np.dtype(d) for d in dtypes if is_real_float(d)]
    return max(floats, key=eps_of, default=np.dtype(np.float64))


def rounding_unit(ad_dtype: Any, oracle_dtype: Any = np.float64) -> float:
    """What one unit of a quantity's rounding noise is worth (module docstring):
    ``ORACLE_ROUNDING`` eps of the dtype the oracle's values round in, plus ``AD_ROUNDING`` eps
    of the dtype the AD computed in."""
    return ORACLE_ROUNDING * eps_of(oracle_dtype) + AD_ROUNDING * eps_of(ad_dtype)


def summary(results: Sequence[Comparison]) -> str:
    """One line per comparison: passed (and how close to its tolerance), FAILED with the
    message, or not checked with the reason; then a count of each."""
    lines = [c.status() for c in results]
    checked = [c for c in results if c.checked]
    passed = sum(c.passed for c in checked)
    lines.append(
        f"{len(results)} checks: {passed} passed, {len(checked) - passed} failed, "
        f"{len(results) - len(checked)} not checked"
    )
    return "\n".join(lines)
