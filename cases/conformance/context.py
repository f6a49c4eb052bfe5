"""One case x adapter x mode x dtype: the framework's results, each computed at most once.

Checks ask the context for quantities ("value", "vjp", "jvp", "hvp", the other second-order
nestings "hvp_rev_fwd", "hvp_rev_rev", "jvp_fwd_fwd", in the dtype or in
float64 at the same point, first or second call); a quantity several checks need is computed
once. The shared, adapter-independent side lives in ``reference.Reference``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
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
        # For ``inputs_unchanged``: every call made through this context (its label), and the
        # ``adapters.input_watch.Change`` of each native array a call changed.
        self.calls: list[str] = []
        self.input_changes: list[Any] = []

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
            with self.watched(quantity):
                self._done[key] = compute(self.adapter, self.ref, quantity, self.mode, x64=x64)
        return self._done[key]

    def attempt(self, label: str, method: Callable[..., Any], *args: Any) -> Outcome:
        """``attempt(method, *args)`` (one of the adapter's own calls, at another point or
        with other directions), watched like ``get``'s."""
        with self.watched(label):
            return attempt(method, *args)

    @contextmanager
    def watched(self, label: str) -> Iterator[None]:
        """Record the call and whatever it changed in its native inputs (adapters whose
        base is ``BaseAdapter`` let their arrays be watched: ``watching_inputs``)."""
        self.calls.append(label)
        watch = getattr(self.adapter, "watching_inputs", None)
        with (watch() if watch is not None else nullcontext([])) as seen:
            yield
        self.input_changes.extend(seen)

    def vjp_with(self, cotangent: np.ndarray) -> Outcome:
        """The VJP with another cotangent (localising a failure to an output entry)."""
        ref = self.ref
        out = self.attempt("vjp", self.adapter.vjp, ref.case.fn, ref.inputs,
                           cotangent.astype(ref.dtype), self.mode, ref.argnums)
        return Outcome("ok", flat(out.value[1])) if out.ok else out

    def jvp_along(self, v_flat: np.ndarray) -> Outcome:
        """The JVP along another (flat) direction, rounded to the dtype."""
        ref = self.ref
        sizes = np.cumsum([0, *(t.size for t in ref.v)])
        tans = tuple(v_flat[a:b].reshape(t.shape).astype(ref.dtype)
                     for a, b, t in zip(sizes[:-1], sizes[1:], ref.v))
        out = self.attempt("jvp", self.adapter.jvp, ref.case.fn, ref.inputs, tans, self.mode,
                           ref.argnums)
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
