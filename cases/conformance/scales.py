"""The ``scale`` (magnitude) and floor of each check's tolerance: ``refengine.judging``'s
magnitudes, the ones ``rf.check_grads`` uses, applied to the reference's arrays.

- a VJP or JVP entry is a contraction with a random vector (``u^T J``, ``J v``):
  ``contraction_magnitude`` of the oracle's Jacobian;
- a value entry: ``backward_rounding``, ``sum_j |J_ij| |x_j|``, what a backward-stable
  implementation may differ by;
- without a Jacobian (inputs too large for a full one): the largest ``|expected|``;
- a second derivative along v: the largest ``|expected|``, and ``second_order_floor``.
"""

from __future__ import annotations

import numpy as np

from cases.conformance.half import derivative_conditioning, is_half
from cases.conformance.reference import Reference, flat
from refengine.judging import (
    backward_rounding,
    contraction_magnitude,
    largest,
    second_order_floor,
)

__all__ = ["fwd_fwd_scale", "hvp_scale", "jvp_scale", "value_scale", "vjp_scale"]


def vjp_scale(ref: Reference, expected: np.ndarray) -> np.ndarray | float:
    jac = ref.oracle().jac
    if jac is None:
        return largest(expected)
    return _in_half(ref, "vjp", contraction_magnitude(flat(ref.u), jac.value, axis=0))


def jvp_scale(ref: Reference, expected: np.ndarray) -> np.ndarray | float:
    jac = ref.oracle().jac
    if jac is None:
        return largest(expected)
    return _in_half(ref, "jvp", contraction_magnitude(flat(ref.v), jac.value))


def _in_half(ref: Reference, quantity: str, first: np.ndarray) -> np.ndarray:
    """In float16/bfloat16, the larger of the first-order magnitude and the derivative's own
    conditioning (``half.derivative_conditioning``); other dtypes: unchanged."""
    if not is_half(ref.dtype):
        return first
    own = derivative_conditioning(ref, quantity)
    return first if own is None or own.shape != np.shape(first) else np.maximum(first, own)


def value_scale(ref: Reference, expected: np.ndarray) -> np.ndarray | float:
    jac = ref.oracle().jac
    if jac is None:
        return largest(expected)
    return backward_rounding(jac.value, flat(ref.diff64()))


def hvp_scale(ref: Reference, expected: np.ndarray) -> tuple[float, float]:
    """(scale, floor) for H v: the largest |H v| entry, and the second-order floor with the
    gradient (the VJP) as the first derivative. The same for every nesting that gives H v."""
    return _second_order_scale(ref, expected, "vjp")


def fwd_fwd_scale(ref: Reference, expected: np.ndarray) -> tuple[float, float]:
    """(scale, floor) for f''(x)[v, v] (forward over forward): as for the HVP, with the JVP
    ``J v`` as the first derivative."""
    return _second_order_scale(ref, expected, "jvp")


def _second_order_scale(
    ref: Reference, expected: np.ndarray, first: str
) -> tuple[float, float]:
    derivative = ref.refengine(first)
    floor = 0.0
    if derivative.ok:
        floor = second_order_floor(flat(derivative.value), flat(ref.v), flat(ref.diff64()),
                                   ref.dtype)
    return largest(expected), floor
