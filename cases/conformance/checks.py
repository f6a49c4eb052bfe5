"""The eighteen checks, in design.md's nine steps of strength (the number on the right),
strongest first; ``CHECKS`` is their order, taken from the table of check functions at the end.

Each check takes a ``Context`` (one case x adapter x mode x dtype) and returns a ``Verdict``;
``run.run_case`` turns verdicts into records. A check never raises for a wrong number.

====================  =========================================================================
check                 what it compares
====================  =========================================================================
value                 the value vs NumPy float64 at the same point                          (1)
vjp_vs_refengine      J^T u vs refengine's, entry by entry                                  (2)
jvp_vs_refengine      J v vs refengine's                                                    (2)
adjoint               <u, J v> from the JVP vs <J^T u, v> from the VJP, same adapter        (3)
vjp_vs_oracle         J^T u vs u^T J from finite differences (large inputs: <J^T u, v> vs
                      u . (J v), then bisection to the worst input entry)                   (4)
jvp_vs_oracle         J v vs finite differences (large inputs: bisection on failure)        (4)
hvp_vs_oracle         H v vs finite differences of the adapter's own gradient (in float64)  (5)
hvp_vs_refengine      H v vs refengine's                                                    (5)
second_order_nestings forward over forward (f''(x)[v, v]), reverse over forward and reverse
                      over reverse (H v), each vs refengine's same nesting and vs finite
                      differences of the adapter's own float64 JVP or gradient; the worst,
                      naming the nesting (``nestings``); float64, one mode per framework    (5)
vmap_grad             the framework's vectorised VJP (jax.vmap, torch.func.vmap,
                      tf.vectorized_map) at 3 points vs its own VJP one point at a time and
                      vs refengine's (``transforms``); float64, one mode per framework      (2)
jacfwd_vs_jacrev      the full Jacobian by forward mode vs by reverse mode, each vs
                      refengine's in the same mode (``transforms``); float64, one mode      (2)
float32_vs_float64    float32 value/VJP/JVP/HVP vs the same adapter in float64 at the same
                      point, and float32 results must be float32                            (6)
half_vs_float64       float16/bfloat16 value/VJP/JVP vs the same adapter in float64 at the
                      same point, and half results must be half; the tolerance admits
                      in-dtype accumulation, the record measures it (``half``)              (6)
determinism           each quantity computed twice: the same bits                           (7)
finite                no NaN/inf in value or derivatives, except where the reference has the
                      same and the derivative does not exist; names where                   (8)
kink                  at the case's kinks: the gradient lies in the subdifferential; names
                      the convention                                                        (9)
complex_convention    complex dtypes only: the adapter's gradient of the complex case
                      itself against refengine's, after converting from the convention
                      the adapter declares; names the convention measured (the other checks
                      run on the real pair view, which no convention affects)
inputs_unchanged      no call of the combination changed the arrays it was given: its own
                      arrays read back after each call, the caller's NumPy arrays against
                      copies; no call of its own (``transforms``); every combination
====================  =========================================================================

For a non-scalar ``f`` the HVP is that of ``<u, f>`` (the function whose gradient is the VJP).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from adapters.outcomes import Outcome
from cases.case import Case
from cases.conformance import localise
from cases.conformance.complex_convention import check_complex_convention
from cases.conformance.complex_pairs import REAL_DTYPE, is_complex
from cases.conformance.context import Context, blocked
from cases.conformance.half import HALF_CHECKS, is_half
from cases.conformance.kink_conventions import KinkEntry, classify, summarize
from cases.conformance.reference import finite_part, flat
from cases.conformance.scales import hvp_scale, jvp_scale, value_scale, vjp_scale
from cases.conformance.verdict import Verdict, compare
from cases.statuses import ERROR, FAIL, NONFINITE, PASS, UNSUPPORTED
from refengine.judging import contraction_magnitude, finite_abs
from refengine.numeric import OracleConfig, directional

__all__ = ["CHECKS", "NESTINGS_DTYPE", "NESTINGS_MODES", "REFERENCE_ADAPTER", "nestings_mode",
           "differences_of_first", "planned", "run_check", "second_order_vs_fd"]

REFERENCE_ADAPTER = "refengine"
_QUANTITIES = ("value", "vjp", "jvp", "hvp")
_SEVERITY = {PASS: 0, UNSUPPORTED: 1, FAIL: 2, ERROR: 3, NONFINITE: 4}


# second_order_nestings runs once per case and framework: in float64 and in one mode. What it
# tests, each framework's derivative rules differentiated by its own transforms, is the same in
# every mode and dtype (a jit compiles the program those transforms build; a wrong rule is as
# wrong in float64), while its cost is not small: three more derivative programs, and finite
# differences of a JVP. What a jit or float32 changes, the rounding of the compiled program,
# the HVP checks and float32_vs_float64 see in every mode. The mode is eager, except JAX's
# jit: eager JAX dispatches each primitive on its own (about 4 s a case for this check, against
# about 0.5 s compiled), and the default pytest run covers every case in jax.jit.
NESTINGS_DTYPE = "float64"
NESTINGS_MODES: dict[str, str] = {"jax": "jit"}


def nestings_mode(adapter_name: str) -> str:
    """The one mode in which ``second_order_nestings`` runs for an adapter."""
    return NESTINGS_MODES.get(adapter_name, "eager")


def planned(
    case: Case, adapter_name: str, dtype: str, mode: str | None = None
) -> tuple[str, ...]:
    """The checks that apply, known before anything runs (pytest collects them as items).
    ``mode`` None: whatever the mode (``second_order_nestings`` then only by dtype)."""
    if is_half(dtype):  # half precision: the checks of ``half.HALF_CHECKS`` only
        return tuple(c for c in CHECKS if c in HALF_CHECKS)
    skip = {"half_vs_float64"}
    if adapter_name == REFERENCE_ADAPTER:
        # (and refengine has no vectorising map: vmap_grad would only say so)
        skip |= {"vjp_vs_refengine", "jvp_vs_refengine", "hvp_vs_refengine", "vmap_grad"}
    if not is_complex(dtype):
        skip.add("complex_convention")
    original_dtype = dtype
    dtype = REAL_DTYPE.get(dtype, dtype)  # complex64 is checked as float32 pairs
    if dtype != "float32":
        skip.add("float32_vs_float64")
    if dtype != NESTINGS_DTYPE or (mode is not None and mode != nestings_mode(adapter_name)):
        skip.add("second_order_nestings")
        skip |= {"vmap_grad", "jacfwd_vs_jacrev"}
    if is_complex(original_dtype):  # transformations of the real pair view: not planned
        skip |= {"vmap_grad", "jacfwd_vs_jacrev"}
    if not any(case.args[case.arg_index(k.variable)].diff for k in case.kinks):
        skip.add("kink")
    return tuple(c for c in CHECKS if c not in skip)


def run_check(ctx: Context, check: str) -> Verdict:
    return _CHECKS[check](ctx)


# --- 1. value -----------------------------------------------------------------------------------
def check_value(ctx: Context) -> Verdict:
    got, exp = ctx.get("value"), ctx.ref.numpy_value()
    if not exp.ok:
        return Verdict(ERROR, message=f"NumPy float64 cannot evaluate the case: {exp.message}")
    missing = blocked(got)
    if missing:
        return missing
    if np.shape(got.value) != np.shape(exp.value):
        return Verdict(FAIL, message=f"{ctx.name} value has shape {np.shape(got.value)}, "
                                     f"NumPy's has {np.shape(exp.value)}")
    e = flat(exp.value)
    return compare(flat(got.value), e, ctx.tol("value"), scale=value_scale(ctx.ref, e),
                   namer=ctx.ref.out_namer(), what=f"{ctx.name} value", reference="NumPy float64")


# --- 2. exact agreement with refengine ----------------------------------------------------------
def _vs_refengine(ctx: Context, quantity: str, check: str, scale_fn: Callable) -> Verdict:
    got, exp = ctx.get(quantity), ctx.ref.refengine(quantity)
    missing = blocked(got)
    if missing:
        return missing
    if not exp.ok:
        return Verdict(ERROR, message=f"refengine (the reference) cannot compute the {quantity}:"
                                      f" {exp.message}")
    problem = _structure(ctx, quantity, got.value)
    if problem:
        return Verdict(FAIL, message=problem)
    e = flat(exp.value)
    namer = ctx.ref.out_namer() if quantity == "jvp" else ctx.ref.in_namer()
    scale, floor = scale_fn(ctx.ref, e), 0.0
    if isinstance(scale, tuple):
        scale, floor = scale
    return compare(flat(got.value), e, ctx.tol(check), scale=scale, floor=floor, namer=namer,
                   what=f"{ctx.name} {quantity.upper()}", reference="refengine")


def check_vjp_vs_refengine(ctx: Context) -> Verdict:
    return _vs_refengine(ctx, "vjp", "vjp_vs_refengine", vjp_scale)


def check_jvp_vs_refengine(ctx: Context) -> Verdict:
    return _vs_refengine(ctx, "jvp", "jvp_vs_refengine", jvp_scale)


def check_hvp_vs_refengine(ctx: Context) -> Verdict:
    return _vs_refengine(ctx, "hvp", "hvp_vs_refengine", hvp_scale)


def check_second_order_nestings(ctx: Context) -> Verdict:
    from cases.conformance.nestings import check_nestings

    return check_nestings(ctx)


def _structure(ctx: Context, quantity: str, value: object) -> str:
    """A gradient per differentiated input, each shaped like it (VJP and HVP), or a tangent
    shaped like the output (JVP)."""
    ref = ctx.ref
    if quantity == "jvp":
        if np.shape(value) != ref.out_shape:
            return f"{ctx.name} JVP has shape {np.shape(value)}, the output has {ref.out_shape}"
        return ""
    want = [ref.inputs[i].shape for i in ref.argnums]
    have = [np.shape(g) for g in value] if isinstance(value, (tuple, list)) else None
    if have != want:
        return f"{ctx.name} {quantity.upper()} returned shapes {have}, the inputs have {want}"
    return ""


# --- 3. the adjoint identity ------------------------------------------------------------------
def check_adjoint(ctx: Context) -> Verdict:
    vjp, jvp = ctx.get("vjp"), ctx.get("jvp")
    missing = blocked(vjp, jvp)
    if missing:
        return missing
    ref = ctx.ref
    u, v, jtu, jv = flat(ref.u), flat(ref.v), flat(vjp.value), flat(jvp.value)
    if jtu.size != v.size or jv.size != u.size:
        return Verdict(FAIL, message=f"{ctx.name}: VJP/JVP sizes ({jtu.size}, {jv.size}) do not "
                                     f"match the inputs and output ({v.size}, {u.size})")
    # Both sides are contractions with a random vector (refengine.judging); and J v itself
    # rounds entry by entry like its absolute terms |J| |v|, contracted with u.
    scale = max(contraction_magnitude(u, jv), contraction_magnitude(v, jtu))
    jac = ref.oracle().jac
    if jac is not None:
        scale = max(scale, float(contraction_magnitude(u, finite_abs(jac.value) @ np.abs(v))))
    return compare(np.array([jtu @ v]), np.array([u @ jv]), ctx.tol("adjoint"),
                   scale=scale if np.isfinite(scale) else 0.0, namer=lambda _: "<u, J v>",
                   what=f"{ctx.name} <J^T u, v> (from its VJP)",
                   reference="<u, J v> (from its JVP)")


# --- 4. against the finite-difference oracle ----------------------------------------------------
def _oracle_or_verdict(ctx: Context) -> Verdict | None:
    view = ctx.ref.oracle()
    if not view.available:
        return Verdict(UNSUPPORTED, message=f"not checkable against finite differences: "
                                            f"{view.reason}")
    return None


def _vs_oracle(ctx: Context, quantity: str, projected: Callable, full: Callable) -> Verdict:
    got = ctx.get(quantity)
    missing = blocked(got) or _oracle_or_verdict(ctx)
    if missing:
        return missing
    problem = _structure(ctx, quantity, got.value)
    if problem:
        return Verdict(FAIL, message=problem)
    # Without the full Jacobian (large inputs) the oracle has projections only.
    compare_with = projected if ctx.ref.oracle().jac is None else full
    return compare_with(ctx, flat(got.value))


def check_vjp_vs_oracle(ctx: Context) -> Verdict:
    return _vs_oracle(ctx, "vjp", localise.vjp_projected, localise.vjp_full)


def check_jvp_vs_oracle(ctx: Context) -> Verdict:
    return _vs_oracle(ctx, "jvp", localise.jvp_projected, localise.jvp_full)


# --- 5. second order ----------------------------------------------------------------------------
def hvp_oracle(ctx: Context, method: str | None = None) -> object:
    """Finite differences, along v, of the adapter's own gradient in float64 at the point:
    a Derivative, or why it cannot be had. ``method`` None: the most careful one computed.
    Cached per context (the finite check reuses it)."""
    if method is None:
        method = "richardson" if "hvp_fd:richardson" in ctx.shared else "central"
    key = f"hvp_fd:{method}"
    if key not in ctx.shared:
        ctx.shared[key] = differences_of_first(ctx, method, "vjp")
    return ctx.shared[key]


def differences_of_first(ctx: Context, method: str, first: str) -> object:
    """Finite differences along v of the adapter's own float64 first derivative at the point:
    ``first`` "vjp" (the gradient of ``<u, f>``: H v) or "jvp" (``J v``: f''(x)[v, v]). A
    Derivative; the Outcome where the first derivative itself fails; an ERROR Verdict where it
    fails near the point."""
    ref = ctx.ref
    at_point = ctx.get(first, x64=True)
    if not at_point.ok:
        return at_point
    if first == "vjp":
        weights: Any = ref.u.astype(np.float64)
        transform, what = ctx.adapter.vjp, "gradient"
    else:
        weights = tuple(t.astype(np.float64) for t in ref.v)
        transform, what = ctx.adapter.jvp, "JVP"

    fn = ref.oracle_fn()  # the case (stop_gradient values held at the point)

    def derivative(*diff: np.ndarray) -> np.ndarray:
        out = transform(fn, ref.full(diff, ref.x64), weights, ctx.mode, ref.argnums)
        return flat(out[1])

    g, sub = finite_part(derivative, ref.diff64())
    v_sub = flat(ref.v)[np.isfinite(flat(ref.diff64()))]
    try:
        # Never the complex step: it would feed complex numbers to the framework.
        return directional(g, (sub,), (v_sub,), config=OracleConfig(method=method))
    except Exception as exc:  # the first derivative failed near the point
        return Verdict(ERROR, message=f"finite differences of {ctx.name}'s {what} failed: "
                                      f"{type(exc).__name__}: {exc}")


def check_hvp_vs_oracle(ctx: Context) -> Verdict:
    """H v against finite differences of the adapter's float64 gradient along v
    (``second_order_vs_fd``)."""
    got = ctx.get("hvp")
    missing = blocked(got)
    if missing:
        return missing
    return second_order_vs_fd(
        ctx, flat(got.value), hvp_oracle, check="hvp_vs_oracle", family=None,
        not_judged=ctx.ref.kink_columns(), scales=hvp_scale, namer=ctx.ref.in_namer(),
        what=f"{ctx.name} HVP", first="its own float64 gradient")


def second_order_vs_fd(
    ctx: Context, got: np.ndarray, oracle: Callable[[Context, str], Any], *, check: str,
    family: str | None, not_judged: np.ndarray, scales: Callable[..., tuple[Any, float]],
    namer: Callable[[int], str], what: str, first: str,
) -> Verdict:
    """A second derivative along v against finite differences along v of the adapter's own
    float64 first derivative (``first`` names it; ``oracle(ctx, method)`` computes them),
    for ``hvp_vs_oracle`` and each nesting of ``second_order_nestings``.

    A central difference (4 evaluations of the first derivative) is tried first; its verdict
    stands only if it passes with an error bound well inside the tolerance (so a loose bound
    cannot hide a wrong result). Otherwise Richardson extrapolation (about 30 evaluations,
    calibrated bounds) decides: every failure is confirmed by the careful method. Entries
    ``not_judged`` (near a declared kink) are left to the kink check.
    """
    tol = ctx.tol(check, family)
    verdict = Verdict(ERROR, message="no finite differences")
    for method in ("central", "richardson"):
        fd = oracle(ctx, method)
        if isinstance(fd, Verdict):
            return fd
        if isinstance(fd, Outcome):  # the first derivative itself is missing
            return blocked(fd, who=first) or Verdict(ERROR, message=f"no {first}")
        ok = np.isfinite(fd.value) & np.isfinite(fd.error) & ~not_judged
        scale, floor = scales(ctx.ref, fd.value)
        err = np.where(ok, fd.error, 0.0)
        verdict = compare(got, np.where(ok, fd.value, np.nan), tol, scale=scale, oracle_err=err,
                          floor=floor, checked=ok, namer=namer, what=what,
                          reference=f"finite differences ({fd.method}) of {first}")
        model = tol.entries(np.where(ok, fd.value, 0.0), scale, floor=floor)
        if verdict.status == PASS and bool(np.all(err <= 0.1 * model)):
            break
    return verdict


# --- 6. float32 against the same adapter's float64 ---------------------------------------------
def check_float32_vs_float64(ctx: Context) -> Verdict:
    """float32 in, float32 out (value, VJP, JVP, HVP); and the float32 derivatives against the
    same adapter's float64 ones at the same point. (The float32 value is already compared with
    NumPy float64 by the value check.)"""
    ref = ctx.ref
    for q in _QUANTITIES:
        low = ctx.get(q)
        wrong = [np.asarray(a).dtype for a in _leaves(low.value)
                 if np.asarray(a).dtype != np.dtype(ref.dtype)] if low.ok else []
        if wrong:
            return Verdict(FAIL, worst_index=q, message=(
                f"{ctx.name} {q} returned {wrong[0]} for {ref.dtype} inputs: the precision "
                f"was changed silently"))
    scales = {"vjp": vjp_scale, "jvp": jvp_scale, "hvp": hvp_scale}
    verdicts = []
    for q in ("vjp", "jvp", "hvp"):
        low, high = ctx.get(q), ctx.get(q, x64=True)
        if not (low.ok and high.ok):
            continue
        e = flat(high.value)
        scale, floor = scales[q](ref, e), 0.0
        if isinstance(scale, tuple):
            scale, floor = scale
        v = compare(flat(low.value), e, ctx.tol("float32_vs_float64"), scale=scale, floor=floor,
                    namer=ref.out_namer() if q == "jvp" else ref.in_namer(),
                    what=f"{ctx.name} {q.upper()} in float32", reference="its own float64 result")
        verdicts.append(replace(v, worst_index=f"{q} {v.worst_index}"))
    if not verdicts:
        return blocked(*(ctx.get(q) for q in _QUANTITIES)) or Verdict(
            UNSUPPORTED, message="no derivative computes in both precisions")
    return max(verdicts, key=lambda v: (_SEVERITY[v.status], v.ratio))


def check_half_vs_float64(ctx: Context) -> Verdict:
    """float16/bfloat16 in, the same dtype out (value, VJP, JVP); and each against the same
    adapter's float64 at the same point, with ``half``'s tolerance (the dtype's rounding, the
    in-dtype accumulation bound, the case's conditioning). The message gives the measured
    error in units of eps times the magnitude: the accuracy, whether it passes or not."""
    from refengine.tolerances import EPS

    ref = ctx.ref
    for q in ("value", "vjp", "jvp"):
        low = ctx.get(q)
        wrong = [np.asarray(a).dtype for a in _leaves(low.value)
                 if np.asarray(a).dtype != np.dtype(ref.dtype)] if low.ok else []
        if wrong:
            return Verdict(FAIL, worst_index=q, message=(
                f"{ctx.name} {q} returned {wrong[0]} for {ref.dtype} inputs: the precision "
                f"was changed silently"))
    scales = {"value": value_scale, "vjp": vjp_scale, "jvp": jvp_scale}
    verdicts, accuracy = [], []
    for q in ("value", "vjp", "jvp"):
        low, high = ctx.get(q), ctx.get(q, x64=True)
        if not (low.ok and high.ok):
            continue
        e, g = flat(high.value), flat(low.value)
        scale = scales[q](ref, e)
        tol = ctx.tol("half_vs_float64")
        v = compare(g, e, tol, scale=scale,
                    namer=ref.in_namer() if q == "vjp" else ref.out_namer(),
                    what=f"{ctx.name} {q.upper()} in {ref.dtype}",
                    reference="its own float64 result")
        ulps = _eps_units(g, e, scale, EPS[ref.dtype])
        accuracy.append(f"{q} {ulps:.3g}")
        verdicts.append(replace(v, worst_index=f"{q} {v.worst_index}"))
    if not verdicts:
        return blocked(*(ctx.get(q) for q in ("value", "vjp", "jvp"))) or Verdict(
            UNSUPPORTED, message="no quantity computes in both precisions")
    worst = max(verdicts, key=lambda v: (_SEVERITY[v.status], v.ratio))
    rtol = ctx.tol("half_vs_float64").rtol
    return replace(worst, message=(
        f"measured error in eps x magnitude: {', '.join(accuracy)} (rtol {rtol:.3g} = "
        f"{rtol / EPS[ref.dtype]:.3g} eps). {worst.message}"))


def _eps_units(got: np.ndarray, expected: np.ndarray, scale: Any, eps: float) -> float:
    """The largest |got - expected| / (eps * max(magnitude, |expected|)) over the finite
    entries: the measured accuracy in the dtype's own units."""
    ok = np.isfinite(got) & np.isfinite(expected)
    mag = np.maximum(np.broadcast_to(np.asarray(scale, dtype=np.float64), expected.shape),
                     np.abs(expected))
    ok &= mag > 0
    if not ok.any():
        return 0.0
    return float(np.max(np.abs(got[ok] - expected[ok]) / (eps * mag[ok])))


def _leaves(value: object) -> list[object]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


# --- 7. determinism -----------------------------------------------------------------------------
def check_determinism(ctx: Context) -> Verdict:
    """The VJP and the JVP computed twice must agree bit for bit (reverse mode is where
    nondeterministic accumulation would show; the value and HVP are not repeated, for time)."""
    computed = []
    for q in ("vjp", "jvp"):
        a = ctx.get(q)
        if not a.ok:
            continue
        computed.append(q)
        b = ctx.get(q, call=2)
        if not b.ok:
            return Verdict(FAIL, worst_index=q, message=f"{ctx.name} {q} worked once and then "
                                                        f"failed: {b.message}")
        x, y = flat(a.value), flat(b.value)
        if x.size != y.size:
            return Verdict(FAIL, worst_index=q, message=f"{ctx.name} {q} has {x.size} entries "
                                                        f"once and {y.size} the next time")
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        if not same.all():
            k = int(np.flatnonzero(~same)[0])
            diff = float(np.nanmax(np.abs(x - y)))
            namer = ctx.ref.out_namer() if q in ("value", "jvp") else ctx.ref.in_namer()
            return Verdict(FAIL, max_abs_err=diff, tol=0.0, worst_index=f"{q} {namer(k)}",
                           got=float(y[k]), expected=float(x[k]),
                           message=f"{ctx.name} {q} differs between two identical calls in "
                                   f"{int((~same).sum())} entries (max difference {diff:.3g}; "
                                   f"first at {namer(k)})")
    if not computed:
        return blocked(ctx.get("vjp"), ctx.get("jvp")) or Verdict(UNSUPPORTED)
    return Verdict(PASS, max_abs_err=0.0, tol=0.0,
                   message=f"{ctx.name}: {', '.join(computed)} bitwise identical across two "
                           f"calls")


# --- 8. non-finite values -----------------------------------------------------------------------
def check_finite(ctx: Context) -> Verdict:
    from cases.conformance.finite import check_finite as run

    return run(ctx)


# --- 9. kinks -----------------------------------------------------------------------------------
def check_kink(ctx: Context) -> Verdict:
    got = ctx.get("vjp")
    missing = blocked(got) or _oracle_or_verdict(ctx)
    if missing:
        return missing
    ref = ctx.ref
    jac = ref.oracle().jac
    if jac is None:
        return Verdict(UNSUPPORTED, message="kinks are checked on the full Jacobian only")
    g = flat(got.value)
    u = flat(ref.u)
    tol = ctx.tol("kink")
    scale = vjp_scale(ref, g)
    entries = []
    for j in np.flatnonzero(ref.kink_columns()):
        col = jac.value[:, j]
        left = float(u @ jac.left[:, j]) if jac.left is not None else float("nan")
        right = float(u @ jac.right[:, j]) if jac.right is not None else float("nan")
        mid, half = float(u @ col), float(np.abs(u) @ jac.error[:, j])
        slack = float(tol.entries(np.array([mid]), np.asarray(scale).ravel()[j]
                                  if np.ndim(scale) else scale)[0])
        # Defined: finite, and the one-sided values known to 10 % (near a degenerate point,
        # such as a repeated eigenvalue, they are huge and uncertain: no subdifferential).
        sided_err = half - 0.5 * abs(right - left) if np.isfinite(right - left) else half
        defined = bool(np.all(np.isfinite(col)) and np.isfinite(half)
                       and sided_err <= 0.1 * max(abs(left), abs(right)) + slack)
        entries.append(KinkEntry(ref.in_namer()(j), float(g[j]), left, right, mid - half,
                                 mid + half, bool(np.any(jac.kink[:, j])), defined, slack))
    return _kink_verdict(ctx, entries)


def _kink_verdict(ctx: Context, entries: list[KinkEntry]) -> Verdict:
    words = [(e.name, classify(e)) for e in entries]
    convention = summarize(words)
    bad_nan = [e for e, (_, w) in zip(entries, words) if w == "nan"]
    outside = [e for e in entries if e.defined and np.isfinite(e.got) and not e.inside]
    inf_defined = [e for e, (_, w) in zip(entries, words) if w == "inf" and e.defined]
    worst = (bad_nan or inf_defined or outside or entries)[0]
    desc = "; ".join(f"{e.name}: got {e.got:.6g}, one-sided {e.left:.6g} (left) and "
                     f"{e.right:.6g} (right)" for e in entries[:4])
    status, what = PASS, "lies in the subdifferential"
    if bad_nan or inf_defined:
        status, what = NONFINITE, "is not finite where a subgradient exists"
    elif outside:
        status, what = FAIL, "lies outside the subdifferential"
    elif all(not e.defined for e in entries):
        what = "is a convention: no subgradient exists there (a jump or an infinite slope)"
    return Verdict(status, max_abs_err=float("nan"), tol=worst.slack, worst_index=worst.name,
                   got=worst.got, expected=0.5 * (worst.lower + worst.upper),
                   oracle_err=0.5 * (worst.upper - worst.lower), convention=convention,
                   message=f"{ctx.name} gradient at the kink {what}; convention {convention!r}. "
                           f"{desc}")


def _transform(check: str) -> Callable[[Context], Verdict]:
    """A check of ``cases.conformance.transforms`` (imported on first use)."""

    def run(ctx: Context) -> Verdict:
        from cases.conformance.transforms import CHECK_FUNCTIONS

        return CHECK_FUNCTIONS[check](ctx)

    run.__name__ = f"check_{check}"
    return run


# Every check, in the order they run and are reported: the one list of them.
_CHECKS: dict[str, Callable[[Context], Verdict]] = {
    "value": check_value,
    "vjp_vs_refengine": check_vjp_vs_refengine,
    "jvp_vs_refengine": check_jvp_vs_refengine,
    "adjoint": check_adjoint,
    "vjp_vs_oracle": check_vjp_vs_oracle,
    "jvp_vs_oracle": check_jvp_vs_oracle,
    "hvp_vs_oracle": check_hvp_vs_oracle,
    "hvp_vs_refengine": check_hvp_vs_refengine,
    "second_order_nestings": check_second_order_nestings,
    "vmap_grad": _transform("vmap_grad"),
    "jacfwd_vs_jacrev": _transform("jacfwd_vs_jacrev"),
    "float32_vs_float64": check_float32_vs_float64,
    "half_vs_float64": check_half_vs_float64,
    "determinism": check_determinism,
    "finite": check_finite,
    "kink": check_kink,
    "complex_convention": check_complex_convention,
    "inputs_unchanged": _transform("inputs_unchanged"),  # last: it reads every call's inputs
}
CHECKS: tuple[str, ...] = tuple(_CHECKS)
