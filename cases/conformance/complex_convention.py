"""The ``complex_convention`` check: which gradient a framework returns for complex inputs.

For a real-valued ``L(z)``, ``z = x + iy``, refengine returns ``dL/dx - i dL/dy`` (HIPS
autograd's and JAX's convention: a cotangent ``g`` pairs with a tangent ``dz`` as
``Re(sum(g * dz))``); PyTorch's ``.grad`` and TensorFlow's GradientTape return its conjugate,
``dL/dx + i dL/dy``. For a complex output and cotangent ``u`` the two are related by
``vjp_conjugate(u) = conj(vjp_refengine(conj(u)))``. Sources: PyTorch's "Autograd for Complex
Numbers" (docs.pytorch.org/docs/stable/notes/autograd.html), JAX's autodiff cookbook ("Complex
numbers and differentiation"), tensorflow/tensorflow#3348.

Each adapter declares its convention (``complex_convention``: ``"refengine"`` or
``"conjugate"``). The check takes the adapter's VJP of the complex case itself (complex inputs,
the complex cotangent), converts it from the declared convention to refengine's and compares
with refengine's, entry by entry at the exact tolerance: so the declaration is measured, not
assumed, and a framework that changed its convention fails. The record's ``convention`` names
what was measured; a conjugate convention is a ``fail`` whose message says so, which the
divergence table documents for the frameworks known to use it (``cases/conventions.py``).
Where the gradient is real the two conventions coincide and the record says the point cannot
tell them apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adapters.outcomes import Outcome, attempt
from cases.conformance.context import Context, blocked
from cases.conformance.reference import flat
from cases.conformance.verdict import Verdict, compare
from cases.statuses import ERROR, FAIL, PASS

__all__ = ["CONJUGATE", "SAME", "check_complex_convention", "declared", "describe"]

SAME, CONJUGATE = "refengine", "conjugate"
_WORDS = {
    SAME: "as refengine's (dL/dx - i dL/dy)",
    CONJUGATE: "conjugate of refengine's (dL/dx + i dL/dy)",
}


def declared(adapter: Any) -> str:
    """The convention an adapter declares (refengine's unless it says otherwise)."""
    return str(getattr(adapter, "complex_convention", SAME))


def describe(convention: str) -> str:
    return _WORDS.get(convention, convention)


def _complex_point(ctx: Context) -> tuple[tuple[Any, ...], np.ndarray]:
    """The complex inputs and cotangent at the real pair view's point (the same numbers)."""
    ref, case = ctx.ref, ctx.complex_case
    complex_dtype = np.result_type(np.dtype(ref.dtype), np.complex64)
    inputs = tuple(
        (x[..., 0] + 1j * x[..., 1]).astype(complex_dtype) if np.iscomplexobj(p) else x
        for x, p in zip(ref.inputs, case.sample(np.random.default_rng(0), dtype="complex128"))
    )
    u = ref.u
    if np.shape(u) != case.expected_shape(ref.size):  # a complex output: u holds pairs
        u = (u[..., 0] + 1j * u[..., 1]).astype(complex_dtype)
    return inputs, u


def _vjp(adapter: Any, ctx: Context, inputs: tuple[Any, ...], u: np.ndarray) -> Outcome:
    out = attempt(adapter.vjp, ctx.complex_case.fn, inputs, u, ctx.mode if adapter is
                  ctx.adapter else "eager", ctx.complex_case.argnums)
    return Outcome("ok", tuple(np.asarray(g) for g in out.value[1])) if out.ok else out


def _pairs(grads: tuple[np.ndarray, ...]) -> np.ndarray:
    return flat(tuple(np.stack([np.real(g), np.imag(g)], -1) for g in grads))


def _conj(grads: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    return tuple(np.conj(g) for g in grads)


def check_complex_convention(ctx: Context) -> Verdict:
    from cases.conformance.run import resolve_adapter

    inputs, u = _complex_point(ctx)
    own, own_conj = _vjp(ctx.adapter, ctx, inputs, u), _vjp(ctx.adapter, ctx, inputs, np.conj(u))
    truth = _vjp(resolve_adapter("refengine"), ctx, inputs, u)
    missing = blocked(own, own_conj)
    if missing:
        return missing
    if not truth.ok:
        return Verdict(ERROR, message=f"refengine (the reference) cannot compute the complex "
                                      f"VJP: {truth.message}")
    e = _pairs(truth.value)
    tol, scale = ctx.tol("vjp_vs_refengine"), float(np.max(np.abs(e), initial=0.0))
    candidates = {SAME: own.value, CONJUGATE: _conj(own_conj.value)}

    def verdict(convention: str) -> Verdict:
        return compare(_pairs(candidates[convention]), e, tol, scale=scale,
                       namer=ctx.ref.in_namer(), reference="refengine",
                       what=f"{ctx.name} complex VJP taken {describe(convention)}")

    fits = {c: verdict(c).status == PASS for c in candidates}
    claim = declared(ctx.adapter)
    if claim not in candidates:
        return Verdict(FAIL, message=f"{ctx.name} declares complex_convention {claim!r}; "
                                     f"known: {', '.join(candidates)}")
    told = verdict(claim)
    both = _pairs(truth.value) - _pairs(_conj(truth.value))
    if not np.any(np.abs(both) > tol.rtol * max(scale, np.finfo(float).tiny)):
        return Verdict(told.status, max_abs_err=told.max_abs_err, tol=told.tol,
                       convention="indistinguishable here (the derivative is real)",
                       message=f"{told.message}; at this point refengine's gradient is its own "
                               f"conjugate, so the convention is not measured here")
    measured = next((c for c, ok in fits.items() if ok), "")
    if not fits[claim]:
        now = describe(measured) if measured else "neither convention (a wrong gradient)"
        return Verdict(FAIL, max_abs_err=told.max_abs_err, max_rel_err=told.max_rel_err,
                       tol=told.tol, worst_index=told.worst_index, got=told.got,
                       expected=told.expected, convention=f"measured: {now}",
                       message=f"{ctx.name} declares its complex gradients {describe(claim)} "
                               f"but returns {now}. {told.message}")
    if claim == SAME:
        return Verdict(PASS, max_abs_err=told.max_abs_err, tol=told.tol,
                       convention=describe(SAME), message=told.message)
    # The declared and measured convention is not refengine's: a documented divergence at best.
    return Verdict(FAIL, max_abs_err=told.max_abs_err, tol=told.tol,
                   convention=describe(CONJUGATE),
                   message=f"{ctx.name} returns the complex gradient as the conjugate of "
                           f"refengine's (measured, as declared; converted with conj it agrees: "
                           f"{told.message})")
