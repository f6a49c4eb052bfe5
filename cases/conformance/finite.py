"""Check 8: NaN and inf in the value or the derivatives, named where they appear.

A non-finite entry is expected only where the reference has the very same value and the
quantity genuinely does not exist there: for the value, NumPy float64 gives the same
non-finite number; for a derivative, refengine gives the same and the finite-difference
oracle finds no derivative at that entry (a jump or an infinite slope, such as sqrt'(0) = inf).
Anything else is ``nonfinite``: NaN from norm'(0), from the ``where`` trap, from 0 * inf.
"""

from __future__ import annotations

import numpy as np

from cases.conformance.context import Context, blocked
from cases.conformance.half import is_half
from cases.conformance.reference import flat
from cases.conformance.verdict import Verdict, fmt
from cases.statuses import NONFINITE, PASS, UNSUPPORTED

__all__ = ["check_finite"]

_QUANTITIES = ("value", "vjp", "jvp", "hvp")
_LIST = 6


def check_finite(ctx: Context) -> Verdict:
    findings: list[tuple[str, str, float, bool]] = []
    computed = False
    # Half precision checks no second order (``half``): the value and first derivatives.
    quantities = _QUANTITIES[:3] if is_half(ctx.ref.dtype) else _QUANTITIES
    for q in quantities:
        out = ctx.get(q)
        if not out.ok:
            continue
        computed = True
        x = flat(out.value)
        bad = np.flatnonzero(~np.isfinite(x))
        if bad.size == 0:
            continue
        expected = _expected(ctx, q, x)
        namer = ctx.ref.out_namer() if q in ("value", "jvp") else ctx.ref.in_namer()
        findings += [(q, namer(int(j)), float(x[j]), bool(expected[j])) for j in bad]
    if not computed:
        return blocked(*(ctx.get(q) for q in quantities)) or Verdict(UNSUPPORTED)
    unexpected = [f for f in findings if not f[3]]

    def listing(items: list[tuple[str, str, float, bool]]) -> str:
        text = ", ".join(f"{q} {name} = {fmt(val)}" for q, name, val, _ in items[:_LIST])
        return text + (f" and {len(items) - _LIST} more" if len(items) > _LIST else "")

    if not findings:
        return Verdict(PASS, message=f"{ctx.name}: value and derivatives are finite")
    if not unexpected:
        return Verdict(PASS, message=(
            f"{ctx.name}: non-finite only where the derivative does not exist and the "
            f"reference agrees: {listing(findings)}"))
    q, name, val, _ = unexpected[0]
    return Verdict(NONFINITE, worst_index=f"{q} {name}", got=val, message=(
        f"{ctx.name} returns non-finite values: {listing(unexpected)}"))


def _expected(ctx: Context, quantity: str, x: np.ndarray) -> np.ndarray:
    """Per entry: does the reference hold the same non-finite value, where the quantity
    does not exist?"""
    ref = ctx.ref
    none = np.zeros(x.size, bool)
    if quantity == "value":
        exp = ref.numpy_value()
        return _same(x, flat(exp.value)) if exp.ok else none
    other = ref.refengine(quantity)
    if not other.ok:
        return none
    same = _same(x, flat(other.value))
    view = ref.oracle()
    if not view.available:
        return same  # the oracle cannot evaluate here (inf inputs): refengine is all we have
    if view.jac is None:
        # Past FULL_JACOBIAN_MAX inputs the oracle has no Jacobian to say where derivatives
        # are undefined: the case's declared kinks say it instead (sqrt-at-zero at n = 100:
        # sqrt'(0) = inf, which every framework and refengine return, was "nonfinite").
        kinks = ref.kink_columns()
        if quantity == "jvp":  # an output row through a kink entry: not known without J
            return same & kinks.any()
        return same & kinks if kinks.size == x.size else none
    bad_cols = view.invalid_columns()
    if quantity == "vjp":
        return same & bad_cols
    if quantity == "jvp":
        rows = ~np.all(np.isfinite(view.jac.value[:, bad_cols]), axis=1)
        return same & rows
    # hvp: the second derivative does not exist where the first one already does not, or
    # where finite differences of the gradient are undefined.
    from cases.conformance.checks import hvp_oracle

    fd = hvp_oracle(ctx)
    undefined = np.full(x.size, bad_cols.any())
    if hasattr(fd, "value"):
        undefined |= ~(np.isfinite(fd.value) & np.isfinite(fd.error))
    return same & undefined


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.size != b.size:
        return np.zeros(a.size, bool)
    return (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))
