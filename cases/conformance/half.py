"""Half precision (float16, bfloat16) in the conformance matrix: which cases and checks, the
tolerance, and the check against the same framework's float64.

Every real case (one that runs in float32) also runs in float16 and bfloat16, on the adapters
that compute in them (``adapters.base.HALF_DTYPES``); a framework that refuses an op in half
(linear algebra on CPU in torch and JAX, NumPy's ``linalg``) makes the combination
``unsupported`` with the framework's reason. The point is the float64 point rounded to the
dtype, and ``x64`` is that half point cast back to float64 exactly, so the framework in half,
the same framework in float64, NumPy and the finite-difference oracle all see the same numbers.

The checks in half (``HALF_CHECKS``): ``value`` (against NumPy float64), ``vjp_vs_oracle`` and
``jvp_vs_oracle`` (against finite differences in float64), ``half_vs_float64`` (value, VJP and
JVP against the same adapter's float64 at the same point, and half in, half out),
``determinism`` and ``finite`` (value and first derivatives), and ``inputs_unchanged`` (as
in every dtype). Second order and the cross-AD
checks against refengine are float32/float64 matters: in half they would compare two
low-precision computations, or derivatives of derivatives that carry no half-precision digit.

The tolerance: the dtype's rounding, its accumulation, and the case's conditioning
-----------------------------------------------------------------------------------
With ``u = eps / 2`` the dtype's unit roundoff (float16 2^-11, bfloat16 2^-8), an entry passes
when (``refengine.judging``'s rule, with the rtol below)

    |got - expected| <= rtol * (magnitude + |expected|) + tiny + oracle_err
    rtol = RTOL[family, dtype] + gamma(L),      gamma(L) = (L - 1) u / (1 - (L - 1) u)

- ``RTOL[family, dtype]`` is the one table's half row (``refengine.tolerances``): 2 eps for
  value and precision (the final rounding of each side and one rounded intermediate), 4 eps
  against the oracle. These are the roundings of a computation that rounds each op's result
  once, which is what frameworks do when they evaluate a half op in float32.
- ``gamma(L)`` is the error bound of an ``L``-term sum computed in the dtype itself, in any
  order (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., eq. 4.4:
  ``|s_hat - s| <= gamma_{L-1} sum |x_i|``). Frameworks differ exactly here: PyTorch and NumPy's
  float16 sums accumulate in float32 and round once; TensorFlow's float16/bfloat16 reductions and
  NumPy's bfloat16 (ml_dtypes) accumulate in the dtype. So the tolerance admits the in-dtype
  accumulation of the longest sum the case can form, and the *measured* error (``max_abs_err``,
  ``max_rel_err`` and, in the message, the error in units of ``eps * magnitude``) shows which
  framework accumulated how: an accumulation difference is accuracy, not a failure.
  ``L`` (``accumulation_length``) is the number of entries of all the case's inputs plus those of
  its output (a reduction over the inputs sums at most the former, a VJP through a broadcast
  sums over the output), plus the number of array operations the case performs
  (``operation_count``: refengine's tape length at the point), the longest chain of roundings
  an entry can pass through: a loop of 350 Euler steps (``particle``) or a fixed-step ascent
  (``saddle``) keeps no guaranteed half digit, and its tolerance says so. (A case whose
  intermediates are larger than its inputs and output together, such as a sum over all pairs,
  can sum more; none of the check sizes needed it.)
  ``gamma`` is capped at 1 (an error as large as the magnitude: no correct digit), which an
  in-dtype sum reaches where ``(L - 1) u`` nears 1: in bfloat16 from about 200 terms (1000 x
  0.1 sums to 32 in bfloat16, an error of 0.68 of the magnitude).
- ``magnitude`` is the case's conditioning (``scales``): for a value ``sum_k |J_ik| |x_k|``
  (the condition number times ``|f|``: rounding every input by ``u`` moves the result by ``u``
  times that), for ``J^T u`` and ``J v`` the magnitude of the contraction, as in every dtype;
  in half, the larger of that and the derivative's own conditioning ``|K| |x|``
  (``derivative_conditioning``: ``K`` the Jacobian of the VJP or JVP with respect to x, from
  refengine in float64), since a derivative that cancels (var's ``x - mean``, k-means'
  ``c - x``) rounds relative to its intermediates, not to itself.

At the check size (``L`` around 7-40) float16's rtol is 2-3 % at most and a planted error of
a few percent fails (``tests/test_conformance_half.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases.case import HALF_DTYPES
from refengine.tolerances import EPS, RTOL

__all__ = ["HALF_CHECKS", "HALF_DTYPES", "accumulation_length", "derivative_conditioning",
           "half_rtol", "is_half", "matrix_dtypes", "operation_count"]
HALF_CHECKS = frozenset({"value", "vjp_vs_oracle", "jvp_vs_oracle", "half_vs_float64",
                         "determinism", "finite", "inputs_unchanged"})


def is_half(dtype: str) -> bool:
    return dtype in HALF_DTYPES


def matrix_dtypes(case: Any) -> tuple[str, ...]:
    """The dtypes the matrix runs ``case`` in: its own, and the half ones when it is real."""
    if "float32" in case.dtypes:
        return (*case.dtypes, *HALF_DTYPES)
    return tuple(case.dtypes)


def accumulation_length(inputs: tuple[np.ndarray, ...], out_shape: tuple[int, ...],
                        operations: int = 0) -> int:
    """``L``: every entry of every input and of the output, plus the case's array operations
    (the module docstring)."""
    entries = sum(np.size(x) for x in inputs) + int(np.prod(out_shape, dtype=np.int64))
    return int(entries + operations)


def operation_count(ref: Any) -> int:
    """How many array operations refengine records when it evaluates the case at the point
    (its tape's length, float64): the longest chain of roundings an entry can pass through.
    0 where refengine cannot record it (the term is then left out). Cached on the reference."""
    if "half-operations" not in ref._lazy:
        ref._lazy["half-operations"] = _operations(ref)
    return int(ref._lazy["half-operations"])


def _operations(ref: Any) -> int:
    import adapters
    from refengine.traces import ReverseTrace

    xp = adapters.get("refengine").xp
    trace = ReverseTrace()
    try:
        boxed = tuple(trace.new_input(x) for x in ref.diff64())
        ref.case.fn(xp, *ref.full(boxed, ref.x64))
    except Exception:  # a case refengine cannot trace this way
        return 0
    finally:
        trace.alive = False
    return len(trace.tape)


def half_rtol(family: str, dtype: str, length: int) -> float:
    """``RTOL[family, dtype] + min(gamma(length), 1)`` (the module docstring); the
    determinism family stays bitwise."""
    if family == "determinism":
        return RTOL[(family, dtype)]
    u = EPS[dtype] / 2
    k = max(length - 1, 0) * u
    gamma = k / (1 - k) if k < 0.5 else 1.0
    return RTOL[(family, dtype)] + min(gamma, 1.0)


def derivative_conditioning(ref: Any, quantity: str) -> np.ndarray | None:
    """The derivative's own conditioning, per entry: ``|K| |x|`` with ``K`` the Jacobian, with
    respect to the differentiated inputs, of the VJP (``x -> J(x)^T u``, so ``K`` is the
    Hessian of ``<u, f>``) or of the JVP (``x -> J(x) v``), computed by refengine in float64 at
    the point. Rounding a derivative's intermediates by ``u`` moves it by about ``u |K| |x|``,
    which the first-order magnitude does not see where the derivative itself cancels (var's
    ``2 (x - mean) / (n - 1)`` where x is near its mean; k-means' sums of ``c - x``). None
    where the inputs are too large for a full Jacobian, or refengine cannot compute it; cached
    on the reference."""
    key = f"half-conditioning:{quantity}"
    if key not in ref._lazy:
        ref._lazy[key] = _conditioning(ref, quantity)
    return ref._lazy[key]


def _conditioning(ref: Any, quantity: str) -> np.ndarray | None:
    import adapters
    import refengine as rf
    import refengine.numpy as rnp
    from cases.conformance.reference import FULL_JACOBIAN_MAX, flat

    if ref.n_in > FULL_JACOBIAN_MAX:
        return None
    xp = adapters.get("refengine").xp
    diff64 = ref.diff64()
    shapes = [np.shape(d) for d in diff64]
    bounds = np.cumsum([0, *(int(np.prod(s, dtype=np.int64)) for s in shapes)])
    x0 = flat(diff64)
    u = np.asarray(ref.u, dtype=np.float64)
    v = tuple(np.asarray(t, dtype=np.float64) for t in ref.v)

    def f(*diff: Any) -> Any:
        return ref.case.fn(xp, *ref.full(diff, ref.x64))

    def pieces(x: Any) -> tuple[Any, ...]:
        return tuple(rnp.reshape(x[a:b], s) for a, b, s in zip(bounds[:-1], bounds[1:], shapes))

    def derivative(x: Any) -> Any:
        if quantity == "vjp":
            grads = rf.vjp(f, *pieces(x))[1](u)
            return rnp.concatenate([rnp.reshape(g, (-1,)) for g in grads])
        return rnp.reshape(rf.jvp(f, pieces(x), v)[1], (-1,))

    try:
        k = np.asarray(rf.jacobian(derivative)(x0), dtype=np.float64)
    except Exception:  # a case refengine cannot nest (its own grad inside): first order only
        return None
    k = k.reshape(-1, x0.size)
    out = np.where(np.isfinite(k), np.abs(k), 0.0) @ np.abs(x0)
    return out if np.all(np.isfinite(out)) else None
