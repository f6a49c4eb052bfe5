"""Which tolerance each check of the matrix uses: its family in the one table, and a case's
override.

The rule itself is ``refengine.judging``'s, the one every checker uses (written down, with the
measurements behind each term, in ``refengine.comparison``'s docstring): an entry passes when

    |got - expected| <= max(rtol * magnitude, floor) + tiny + rtol * |expected| + oracle_err

with ``rtol`` from ``refengine.tolerances.RTOL`` by family and dtype, ``magnitude`` what the
entry rounds relative to (``scales``: ``refengine.judging``'s magnitudes of the reference's
arrays), ``floor`` the second-order rounding floor, ``tiny`` the dtype's smallest normal number
(0 for determinism, which is bitwise) and ``oracle_err`` the oracle's bound (0 when the
reference is another computation). The families:

  ============  ==========================================  =========  =========
  family        checks                                      float64    float32
  ============  ==========================================  =========  =========
  value         value vs NumPy float64                      1e-10      1e-4
  exact         VJP/JVP/HVP vs refengine, adjoint identity  1e-10      1e-4
  fd            VJP/JVP/HVP vs the finite-difference oracle 1e-6       2e-3
  precision     float32 vs the same adapter's float64       --         1e-4
  determinism   the same call twice                         0          0
  ============  ==========================================  =========  =========

  float64's 1e-10 leaves ~10^6 ulps for the different orders of operations, formulas and
  library kernels of two correct implementations; float32's 1e-4 is ~800 ulps of float32.
  The fd family is ``refengine.check``'s (1e-6 and 2e-3, on top of the oracle's bound).
  Determinism is bitwise: CPU kernels here have no reason to differ between two calls.

A case may raise a tolerance for a stated reason (``Case.tolerances``: a ``Tolerance`` with
``rtol``, ``atol``, ``reason`` and optionally a ``dtype`` and a ``check``; ``check`` is a
family above or a check's own name). The effective tolerance is the larger of the model's and
``atol + rtol * |expected| + oracle_err`` (the same rule with the case's atol): an override
documents why more is needed; it never tightens the model, and its reason is quoted in every
message that used it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cases.case import Case
from cases.case import Tolerance as CaseTolerance
from refengine.judging import entry_tolerance, tiny_of
from refengine.tolerances import FAMILIES, RTOL

__all__ = ["FAMILIES", "RTOL", "Tol", "family_of", "tolerance_for"]

# One table for every checker (rf.check_grads, adapters.check_grads and this matrix).
_FAMILY = {
    "value": "value",
    "vjp_vs_refengine": "exact",
    "jvp_vs_refengine": "exact",
    "hvp_vs_refengine": "exact",
    # Several comparisons in one check: exact against refengine, fd against finite
    # differences; the check names the family of each (``tolerance_for(..., family=)``).
    "second_order_nestings": "fd",
    "adjoint": "exact",
    "vjp_vs_oracle": "fd",
    "jvp_vs_oracle": "fd",
    "hvp_vs_oracle": "fd",
    "kink": "fd",
    "float32_vs_float64": "precision",
    "half_vs_float64": "precision",
    "determinism": "determinism",
    "finite": "exact",
    # Transformations of a derivative vs the plain derivative and refengine (transforms):
    # two correct computations of the same numbers, as against refengine; inputs bitwise.
    "vmap_grad": "exact",
    "jacfwd_vs_jacrev": "exact",
    "inputs_unchanged": "determinism",
}


def family_of(check: str) -> str:
    """The tolerance family of a check name (``vjp_vs_oracle`` -> ``fd``)."""
    return _FAMILY[check]


@dataclass(frozen=True)
class Tol:
    """The tolerance of one comparison: the model's ``rtol`` plus an optional override."""

    rtol: float
    tiny: float = 0.0
    override_rtol: float = 0.0
    override_atol: float = 0.0
    reason: str = ""

    def entries(
        self,
        expected: np.ndarray,
        scale: np.ndarray | float,
        oracle_err: np.ndarray | float = 0.0,
        floor: np.ndarray | float = 0.0,
    ) -> np.ndarray:
        """The tolerance of every entry (``refengine.judging.entry_tolerance``): ``scale`` is
        the magnitude, ``floor`` the rounding floor."""
        model = entry_tolerance(expected, self.rtol, scale, floor, self.tiny, oracle_err)
        if not self.reason:
            return model
        custom = entry_tolerance(expected, self.override_rtol, oracle_err=oracle_err,
                                 atol=self.override_atol)
        return np.maximum(model, custom)

    def describe(self) -> str:
        text = f"rtol {self.rtol:.3g} (x |expected|, and x the magnitude unless the floor is more)"
        if self.reason:
            text += (f"; case override atol {self.override_atol:.3g}, rtol "
                     f"{self.override_rtol:.3g}: {self.reason}")
        return text


def tolerance_for(case: Case, dtype: str, check: str, family: str | None = None) -> Tol:
    """The model's tolerance for ``check`` in ``dtype``, raised by the case's override if any.
    ``family`` names the family of one comparison of a check that makes comparisons of
    several (default: the check's own family)."""
    if family is None:
        family = family_of(check)
    elif family not in FAMILIES:
        raise ValueError(f"unknown tolerance family {family!r}; the families are {FAMILIES}")
    rtol = RTOL[(family, dtype)]
    tiny = 0.0 if family == "determinism" else tiny_of(dtype)
    override = _override(case, dtype, check, family)
    if override is None:
        return Tol(rtol, tiny)
    return Tol(rtol, tiny, override.rtol, override.atol, override.reason)


def _override(case: Case, dtype: str, check: str, family: str) -> CaseTolerance | None:
    """The most specific override: the check's own name, then its family, then any check;
    within each, a dtype-specific one before one for every dtype."""
    for wanted in (check, family, None):
        for dt in (dtype, None):
            for t in case.tolerances:
                if t.check == wanted and t.dtype == dt:
                    return t
    return None
