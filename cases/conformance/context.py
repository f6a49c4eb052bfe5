"""One case x adapter x mode x dtype: the framework's results, each computed at most once.

Checks ask the context for quantities ("value", "vjp", "jvp", "hvp", the other second-order
nestings "hvp_rev_fwd", "hvp_rev_rev", "jvp_fwd_fwd", in the dtype or in
float64 at the same point, first or second call); a quantity several checks need is computed
once. The shared, adapter-independent side lives in ``reference.Reference``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from adapters.outcomes import Outcome, attempt
from cases.conformance.half import accumulation_length, half_rtol, is_half, operation_count
from cases.conformance.reference import Reference, compute, flat
from cases.conformance.tolerance import Tol, family_of, tolerance_for
from cases.conformance.verdict import Verdict
from cases.statuses import ERROR, UNSUPPORTED

__all__ = ["Context", "blocked"]


class Context:
    """The adapter's side of the comparisons for one (case, adapter, mode, dtype)."""

    def __init__(self, ref: Reference, adapter: Any, mode: str,
                 complex_case: Any = None) -> None:
        self.ref = ref
        self.adapter = adapter
        self.mode = mode
        # For a complex dtype, ``ref`` is the real pair view and this the complex case itself.
        self.complex_case = complex_case
        self._done: dict[tuple[Any, ...], Outcome] = {}
        self.shared: dict[str, Any] = {}  # results one check leaves for another

    @property
    def name(self) -> str:
        return str(self.adapter.name)

    def tol(self, check: str, family: str | None = None) -> Tol:
        tol = tolerance_for(self.ref.case, self.ref.dtype, check, family)
        if not is_half(self.ref.dtype):
            return tol
        # Half precision: the table's row plus the in-dtype accumulation bound (``half``).
        ref = self.ref
        length = accumulation_length(ref.inputs, ref.out_shape, operation_count(ref))
        return replace(tol, rtol=half_rtol(family or family_of(check), ref.dtype, length))

    def get(self, quantity: str, *, x64: bool = False, call: int = 1) -> Outcome:
        """The quantity on this adapter: ``x64`` in float64 at the same point, ``call=2`` a
        second, independent call (for the determinism check)."""
        key = (quantity, x64, call)
        if key not in self._done:
            self._done[key] = compute(self.adapter, self.ref, quantity, self.mode, x64=x64)
        return self._done[key]

    def vjp_with(self, cotangent: np.ndarray) -> Outcome:
        """The VJP with another cotangent (localising a failure to an output entry)."""
        ref = self.ref
        out = attempt(self.adapter.vjp, ref.case.fn, ref.inputs,
                      cotangent.astype(ref.dtype), self.mode, ref.argnums)
        return Outcome("ok", flat(out.value[1])) if out.ok else out

    def jvp_along(self, v_flat: np.ndarray) -> Outcome:
        """The JVP along another (flat) direction, rounded to the dtype."""
        ref = self.ref
        sizes = np.cumsum([0, *(t.size for t in ref.v)])
        tans = tuple(v_flat[a:b].reshape(t.shape).astype(ref.dtype)
                     for a, b, t in zip(sizes[:-1], sizes[1:], ref.v))
        out = attempt(self.adapter.jvp, ref.case.fn, ref.inputs, tans, self.mode, ref.argnums)
        return Outcome("ok", flat(out.value[1])) if out.ok else out


def blocked(*outcomes: Outcome, who: str = "") -> Verdict | None:
    """The verdict when a needed quantity is missing: ``unsupported`` or ``error`` with the
    framework's message; None when all are there."""
    for o in outcomes:
        if o.status == "unsupported":
            return Verdict(UNSUPPORTED, message=o.message)
    for o in outcomes:
        if o.status == "error":
            prefix = f"{who}: " if who else ""
            return Verdict(ERROR, message=prefix + o.message)
    return None
