"""The ``scale`` term of the tolerance model: the magnitude each entry rounds relative to.

From the oracle's Jacobian where it is known (the absolute terms of the contraction each
entry is: ``|u|^T |J|`` for a VJP, ``|J| |v|`` for a JVP, ``|J| |x|`` for a value); otherwise
the largest finite magnitude of the expected vector. See ``tolerance`` for the model.
"""

from __future__ import annotations

import numpy as np

from cases.conformance.reference import Reference, flat

__all__ = ["HVP_FLOOR_ULPS", "finite_abs", "fwd_fwd_scale", "global_scale", "hvp_scale",
           "jvp_scale", "value_scale", "vjp_scale"]

# The rounding floor of an HVP entry, in units of eps * max|g| * max|v| / max|x|.
HVP_FLOOR_ULPS = 64


def finite_abs(a: np.ndarray) -> np.ndarray:
    """|a| with non-finite entries counted as 0 (they are judged separately)."""
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(a), np.abs(a), 0.0)


def global_scale(*arrays: np.ndarray) -> float:
    return float(max((np.max(finite_abs(a), initial=0.0) for a in arrays), default=0.0))


def vjp_scale(ref: Reference, expected: np.ndarray) -> np.ndarray | float:
    jac = ref.oracle().jac
    if jac is None:
        return global_scale(expected)
    return finite_abs(flat(ref.u)) @ finite_abs(jac.value)


def jvp_scale(ref: Reference, expected: np.ndarray) -> np.ndarray | float:
    jac = ref.oracle().jac
    if jac is None:
        return global_scale(expected)
    return finite_abs(jac.value) @ finite_abs(flat(ref.v))


def value_scale(ref: Reference, expected: np.ndarray) -> np.ndarray | float:
    jac = ref.oracle().jac
    if jac is None:
        return global_scale(expected)
    return finite_abs(jac.value) @ finite_abs(flat(ref.diff64()))


def hvp_scale(ref: Reference, expected: np.ndarray) -> tuple[float, float]:
    """(scale, floor) for H v: no Jacobian of the gradient is known, so the scale is the
    largest |H v| entry; the floor is what rounding makes of a Hessian that is exactly zero
    (linear pieces, a variance over two entries): ``64 eps max|g| max|v| / max|x|``, with
    ``g`` the gradient (the VJP), in the dtype's eps. The same for every nesting that gives
    H v (reverse over forward, reverse over reverse)."""
    return _second_order_scale(ref, expected, "vjp")


def fwd_fwd_scale(ref: Reference, expected: np.ndarray) -> tuple[float, float]:
    """(scale, floor) for f''(x)[v, v] (forward over forward, shaped like the output): as for
    the HVP, with the first derivative along v (the JVP, ``J v``) in place of the gradient:
    ``64 eps max|J v| max|v| / max|x|``."""
    return _second_order_scale(ref, expected, "jvp")


def _second_order_scale(
    ref: Reference, expected: np.ndarray, first: str
) -> tuple[float, float]:
    scale = global_scale(expected)
    derivative = ref.refengine(first)
    x = global_scale(flat(ref.diff64()))
    floor = 0.0
    if derivative.ok and x > 0:
        eps = float(np.finfo(ref.dtype).eps)
        floor = HVP_FLOOR_ULPS * eps * global_scale(flat(derivative.value)) * global_scale(
            flat(ref.v)) / x
    return scale, floor
