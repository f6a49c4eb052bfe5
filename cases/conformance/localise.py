"""VJP and JVP against the oracle, and pinning a failure down to one Jacobian entry.

Small inputs: the oracle's full Jacobian ``J`` is known, so ``J^T u`` is compared with
``u^T J`` entry by entry (naming the input entry) and ``J v`` with the oracle's ``J v`` (naming
the output entry). On a failure the other index is found with one VJP per output (unit
cotangents) or one JVP per input (unit tangents): the record names ``d out[i] / d x[j]``.

Large inputs: one projection each, ``<J^T u, v>`` against ``u . (J v)`` and ``J v`` against
the oracle's ``J v``; a failing projection is bisected over input blocks (the direction
restricted to a block, the oracle re-run along it) down to the single input entry, with
``refengine.judging.locate_entry`` as ``rf.check_grads`` does, and reported as that entry's own
derivative (``v_j`` divided out). Magnitudes are ``refengine.judging``'s (``tolerance``).

Input entries where the oracle is undefined (a jump, an infinite slope) are left out of the
smooth comparison; the finite and kink checks judge them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from cases.conformance.context import Context
from cases.conformance.reference import flat
from cases.conformance.scales import jvp_scale, vjp_scale
from cases.conformance.verdict import Verdict, compare
from cases.statuses import FAIL
from refengine.judging import Located, contraction_magnitude, largest, locate_entry, unweight

__all__ = ["jvp_full", "jvp_projected", "vjp_full", "vjp_projected"]

_LOCALISE_MAX = 64  # at most this many extra framework calls to name the second index
_FD = "finite differences"


def _unit_responses(size: int, indices: Iterable[int], derivative: Callable[[np.ndarray], Any],
                    entry: int) -> np.ndarray | None:
    """``derivative(e_k)[entry]`` for the unit vector ``e_k`` of each index: one row or column of
    the adapter's Jacobian, one call per entry; None when a call fails."""
    values = []
    for k in indices:
        e = np.zeros(size)
        e[k] = 1.0
        out = derivative(e)
        if not out.ok:
            return None
        values.append(out.value[entry])
    return np.array(values)


def _pinned(ctx: Context, verdict: Verdict, check: str, got: np.ndarray | None,
            expected: np.ndarray, error: np.ndarray, namer: Callable[[int], str], *,
            found_from: str) -> Verdict:
    """A failing ``verdict`` narrowed to one Jacobian entry: the adapter's row or column of the
    Jacobian (``got``) against the oracle's. ``verdict`` itself where that cannot be had or
    does not fail."""
    if got is None:
        return verdict
    quantity = check.split("_")[0].upper()
    entry = compare(got, expected, ctx.tol(check), scale=largest(expected),
                    oracle_err=error, namer=namer, what=f"{ctx.name} {quantity}",
                    reference=f"{_FD} (J)")
    if entry.status != FAIL:
        return verdict
    return replace(entry, message=f"{entry.message}. Found from {found_from}: {verdict.message}")


def vjp_full(ctx: Context, got: np.ndarray) -> Verdict:
    ref = ctx.ref
    jac = ref.oracle().jac
    assert jac is not None
    u = flat(ref.u)
    bad_cols = ref.oracle().invalid_columns() | ref.kink_columns()
    value = np.where(np.isfinite(jac.value), jac.value, 0.0)
    expected = np.where(bad_cols, np.nan, u @ value)
    err = np.abs(u) @ np.where(np.isfinite(jac.error), jac.error, 0.0)
    verdict = compare(got, expected, ctx.tol("vjp_vs_oracle"), scale=vjp_scale(ref, expected),
                      oracle_err=err, checked=~bad_cols, namer=ref.in_namer(),
                      what=f"{ctx.name} VJP", reference=f"{_FD} (u^T J)")
    if verdict.status != FAIL or u.size == 1 or u.size > _LOCALISE_MAX:
        return verdict
    # Which output: the column J[:, j] from one VJP per output entry.
    j = int(verdict.worst)
    column = _unit_responses(u.size, range(u.size),
                             lambda e: ctx.vjp_with(e.reshape(ref.out_shape)), j)
    return _pinned(ctx, verdict, "vjp_vs_oracle", column, jac.value[:, j], jac.error[:, j],
                   lambda i: f"d {ref.out_namer()(i)} / d {ref.in_namer()(j)}",
                   found_from="u^T J")


def jvp_full(ctx: Context, got: np.ndarray) -> Verdict:
    ref = ctx.ref
    jac = ref.oracle().jac
    assert jac is not None
    v = flat(ref.v)
    bad_cols = ref.oracle().invalid_columns() | ref.kink_columns()
    # Outputs that depend on an input entry where the oracle is undefined, or where the case
    # declares a kink, are left out (the kink and finite checks judge those).
    sub = jac.value[:, bad_cols]
    bad_rows = np.any(~np.isfinite(sub) | (sub != 0) | jac.kink[:, bad_cols], axis=1)
    value = np.where(np.isfinite(jac.value), jac.value, 0.0)
    err = np.where(np.isfinite(jac.error), jac.error, 0.0) @ np.abs(v)
    verdict = compare(got, value @ v, ctx.tol("jvp_vs_oracle"), scale=jvp_scale(ref, value @ v),
                      oracle_err=err, checked=~bad_rows, namer=ref.out_namer(),
                      what=f"{ctx.name} JVP", reference=f"{_FD} (J v)")
    if verdict.status != FAIL or v.size == 1 or v.size > _LOCALISE_MAX:
        return verdict
    # Which input: the row J[i, :] from one JVP per input entry.
    i = int(verdict.worst)
    cols = np.flatnonzero(~bad_cols)
    row = _unit_responses(v.size, cols, ctx.jvp_along, i)
    return _pinned(ctx, verdict, "jvp_vs_oracle", row, jac.value[i, cols], jac.error[i, cols],
                   lambda k: f"d {ref.out_namer()(i)} / d {ref.in_namer()(int(cols[k]))}",
                   found_from="J v")


def vjp_projected(ctx: Context, got: np.ndarray) -> Verdict:
    """The dot-product test <J^T u, v> = u . (J v), then bisection over input blocks."""
    ref = ctx.ref
    along = ref.oracle().along_v
    assert along is not None
    u, v = flat(ref.u), flat(ref.v)
    tol = ctx.tol("vjp_vs_oracle")

    def test(direction: np.ndarray, jv_value: np.ndarray, jv_error: np.ndarray,
             name: str) -> Verdict:
        # The dot-product test's magnitude, as refengine.comparison.compare_dot_products.
        scale = max(float(contraction_magnitude(u, jv_value)),
                    float(contraction_magnitude(direction, got)))
        return compare(np.array([got @ direction]), np.array([u @ jv_value]), tol, scale=scale,
                       oracle_err=float(np.abs(u) @ jv_error), namer=lambda _: name,
                       what=f"{ctx.name} <J^T u, v>", reference=f"{_FD} u . (J v)")

    first = test(v, along.value, along.error, "projection <J^T u, v>")
    if first.status != FAIL:
        return first

    def along(vb: np.ndarray) -> Verdict:
        d = ref.directional_along(vb)
        return test(vb, d.value, d.error, ref.in_namer()(int(np.flatnonzero(vb)[0])))

    return _single_entry(first, locate_entry(v, along, _failed))


def jvp_projected(ctx: Context, got: np.ndarray) -> Verdict:
    ref = ctx.ref
    along = ref.oracle().along_v
    assert along is not None
    v = flat(ref.v)
    tol = ctx.tol("jvp_vs_oracle")

    def test(jv: np.ndarray, value: np.ndarray, error: np.ndarray, namer: object) -> Verdict:
        ok = np.isfinite(value) & np.isfinite(error)
        return compare(jv, value, tol, scale=largest(value), oracle_err=np.where(ok, error, 0),
                       checked=ok, namer=namer, what=f"{ctx.name} JVP", reference=f"{_FD} (J v)")

    first = test(got, along.value, along.error, ref.out_namer())
    if first.status != FAIL:
        return first
    i = int(first.worst)

    def along(vb: np.ndarray) -> Verdict:
        d = ref.directional_along(vb)
        out = ctx.jvp_along(vb)
        if not out.ok:
            return first
        name = f"d {ref.out_namer()(i)} / d {ref.in_namer()(int(np.flatnonzero(vb)[0]))}"
        return test(out.value[i:i + 1], d.value[i:i + 1], d.error[i:i + 1], lambda _: name)

    return _single_entry(first, locate_entry(v, along, _failed))


def _failed(v: Verdict) -> bool:
    return v.status == FAIL


def _single_entry(first: Verdict, located: Located[Verdict]) -> Verdict:
    """The failing projection narrowed to one input entry (``refengine.judging.locate_entry``),
    as that entry's own derivative: the direction's weight ``v_j`` divided out."""
    if located.found is None:
        return replace(first, message=f"{first.message}; bisection stopped at a block of "
                                      f"{located.block.size} input entries")
    found, vj = located.found, located.weight
    if not located.failed or vj == 0:
        return replace(found, message=f"{first.message}; no single input entry fails alone")
    own = unweight(vj, {"got": found.got, "expected": found.expected},
                   {k: getattr(found, k) for k in ("max_abs_err", "tol", "oracle_err")})
    return replace(found, **own,
                   message=f"{found.message} (divided by the direction's entry {vj:.6g}). "
                           f"Found by bisection over input blocks after: {first.message}")
