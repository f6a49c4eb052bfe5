"""Transformations of a derivative, each checked against the plain derivative (issue 17):
the checks ``vmap_grad``, ``jacfwd_vs_jacrev`` and ``inputs_unchanged``.

``vmap_grad``: the framework's vectorising map over its VJP (``jax.vmap``, ``torch.func.vmap``,
``tf.vectorized_map``; the adapter's ``vmap_vjp``) at ``BATCH`` points at once: the check's
point (with the cotangent u) and ``BATCH - 1`` more drawn from the case's own sampler (the
differentiated inputs only; data inputs are shared), each with its own cotangent (1 for a
scalar output: the vectorised gradient). Compared, batch element by element, with the same
adapter's own VJP one point at a time (the ``exact`` family: a batching rule may only round
differently) and with refengine's VJP at each point. A framework with no vectorising map
(HIPS autograd, refengine, MXNet), or one that cannot batch the case (Python control flow on
a traced value, an op with no batching rule), makes the record ``unsupported`` with its
reason.

``jacfwd_vs_jacrev``: the full Jacobian by forward mode and by reverse mode (``jax.jacfwd``
and ``jacrev``, ``torch.func.jacfwd`` and ``jacrev``, TensorFlow's ``tape.jacobian`` and a
ForwardAccumulator per column, autograd's and refengine's own), each against the other and
against refengine's Jacobian in the same mode. An entry's tolerance scales with the largest
entry of its row or column, whichever is larger (a row is one VJP, a column one JVP). Inputs
whose Jacobian has more than ``JACOBIAN_MAX`` entries are left out (``unsupported``, saying
so): the check is for the check size.

``inputs_unchanged``: no derivative changed the arrays it was given. It makes no call of its
own when others did: it reads what every call of the combination (``Context.watched``) saw,
the framework's own input arrays read back after each call (``adapters.input_watch``), and the
caller's NumPy arrays against copies made when they were drawn (``Reference.changed_arrays``,
which also restores them). Planned last, so it sees every other check's calls.

Each reports the worst comparison; its message lists every comparison, as
``second_order_nestings`` does.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

import adapters
from adapters.outcomes import Outcome, attempt
from cases.conformance.context import Context, blocked
from cases.conformance.reference import Reference, _method, flat
from cases.conformance.verdict import Verdict, compare
from cases.statuses import ERROR, FAIL, NONFINITE, PASS, UNSUPPORTED
from refengine.judging import finite_abs, largest

__all__ = ["BATCH", "JACOBIAN_MAX", "TRANSFORM_CHECKS", "batch_points", "check_inputs_unchanged",
           "check_jacfwd_vs_jacrev", "check_vmap_grad", "jacobian_matrix"]

BATCH = 3
JACOBIAN_MAX = 4096
TRANSFORM_CHECKS = ("vmap_grad", "jacfwd_vs_jacrev", "inputs_unchanged")
REFERENCE = "refengine"
_SEVERITY = {PASS: 0, UNSUPPORTED: 1, FAIL: 2, ERROR: 3, NONFINITE: 4}


def _worst(ctx: Context, judged: list[tuple[str, Verdict]], what: str) -> Verdict:
    """The worst of several comparisons, its message naming it and listing them all."""
    who, worst = max(judged, key=lambda item: (_SEVERITY[item[1].status], item[1].ratio))
    each = "; ".join(f"vs {w}: {v.status}" for w, v in judged)
    return Verdict(worst.status, max_abs_err=worst.max_abs_err, max_rel_err=worst.max_rel_err,
                   tol=worst.tol, worst_index=worst.worst_index, got=worst.got,
                   expected=worst.expected, worst=worst.worst, ratio=worst.ratio,
                   message=f"{ctx.name} {what} [{each}]. Worst, vs {who}: {worst.message}")


# --- vmap_grad ---------------------------------------------------------------------------------
def batch_points(ref: Reference) -> tuple[list[tuple[np.ndarray, ...]], list[np.ndarray]]:
    """``BATCH`` points (tuples of every input) and a cotangent for each: the check's own
    point and u first, then points from the case's sampler (seeded by the seed and case name,
    like the check's point; only the differentiated inputs are redrawn). Cached per reference."""
    if "batch" not in ref._lazy:
        crc = zlib.crc32(ref.case.name.encode())
        points, cotangents = [tuple(ref.inputs)], [np.asarray(ref.u)]
        for b in range(1, BATCH):
            drawn = ref.case.sample(np.random.default_rng([ref.seed, crc, 2 + b]), ref.size,
                                    ref.dtype)
            points.append(tuple(ref.full(tuple(drawn[i] for i in ref.argnums), ref.inputs)))
            if ref.scalar:
                cotangents.append(np.ones((), dtype=ref.dtype))
            else:
                rng = np.random.default_rng([ref.seed, crc, 2 + b, 1])
                cotangents.append(rng.standard_normal(ref.out_shape).astype(ref.dtype))
        ref._lazy["batch"] = (points, cotangents)
    return ref._lazy["batch"]


def _refengine_batch(ref: Reference) -> list[Outcome]:
    """refengine's VJP at each batch point (cached per reference)."""
    if "batch:refengine" not in ref._lazy:
        points, cts = batch_points(ref)
        engine = adapters.get(REFERENCE)
        ref._lazy["batch:refengine"] = [
            _second(attempt(engine.vjp, ref.case.fn, p, c, "eager", ref.argnums))
            for p, c in zip(points, cts)]
    return ref._lazy["batch:refengine"]


def _second(outcome: Outcome) -> Outcome:
    return Outcome("ok", outcome.value[1]) if outcome.ok else outcome


def check_vmap_grad(ctx: Context) -> Verdict:
    ref, adapter = ctx.ref, ctx.adapter
    points, cts = batch_points(ref)
    batched = list(ref.inputs)
    for i in ref.argnums:
        batched[i] = np.stack([p[i] for p in points])
    got = ctx.attempt("vmap_vjp", _method(adapter, "vmap_vjp"), ref.case.fn, tuple(batched),
                      np.stack(cts), ctx.mode, ref.argnums)
    missing = blocked(got)
    if missing:
        return missing
    want = [(BATCH, *ref.inputs[i].shape) for i in ref.argnums]
    have = [np.shape(g) for g in got.value] if isinstance(got.value, (tuple, list)) else None
    if have != want:
        return Verdict(FAIL, message=f"{ctx.name} vectorised VJP returned shapes {have}; "
                                     f"the batched inputs have {want}")
    vectorised = [flat(tuple(g[b] for g in got.value)) for b in range(BATCH)]
    loop = [ctx.get("vjp")] + [
        _second(ctx.attempt("vjp", adapter.vjp, ref.case.fn, points[b], cts[b], ctx.mode,
                            ref.argnums)) for b in range(1, BATCH)]
    missing = blocked(*loop, who=f"{ctx.name}'s own VJP at a batch point")
    if missing:
        return missing
    judged = [("its own VJP one point at a time",
               _per_element(ctx, vectorised, [flat(o.value) for o in loop], "its own VJP"))]
    if adapter.name != REFERENCE:
        expected = _refengine_batch(ref)
        bad = next((o for o in expected if not o.ok), None)
        judged.append((REFERENCE, Verdict(ERROR, message=f"refengine (the reference) cannot "
                                          f"compute the VJP at a batch point: {bad.message}")
                       if bad else _per_element(ctx, vectorised,
                                                [flat(o.value) for o in expected],
                                                "refengine's VJP")))
    return _worst(ctx, judged, f"vectorised VJP over {BATCH} points")


def _per_element(ctx: Context, got: list[np.ndarray], expected: list[np.ndarray],
                 reference: str) -> Verdict:
    """Batch element by element, all entries at once: each element's tolerance scales with
    its own largest entry."""
    namer = ctx.ref.in_namer()
    size = got[0].size
    scale = np.concatenate([np.full(size, largest(e)) for e in expected])
    return compare(np.concatenate(got), np.concatenate(expected), ctx.tol("vmap_grad"),
                   scale=scale, namer=lambda k: f"batch {k // size}: {namer(k % size)}",
                   what=f"{ctx.name} vectorised VJP", reference=reference)


# --- jacfwd_vs_jacrev --------------------------------------------------------------------------
def jacobian_matrix(value: Any, n_out: int) -> np.ndarray:
    """A tuple of per-input Jacobians (``out.shape + input.shape``) as one (n_out, n_in)
    float64 matrix, the inputs' columns side by side."""
    parts = value if isinstance(value, (tuple, list)) else (value,)
    return np.concatenate([np.asarray(p, dtype=np.float64).reshape(n_out, -1) for p in parts],
                          axis=1)


def check_jacfwd_vs_jacrev(ctx: Context) -> Verdict:
    ref = ctx.ref
    n_out = int(np.prod(ref.out_shape, dtype=np.int64))
    if n_out * ref.n_in > JACOBIAN_MAX:
        return Verdict(UNSUPPORTED, message=f"the full Jacobian ({n_out} x {ref.n_in} entries) "
                                            f"is larger than this check's {JACOBIAN_MAX}: it "
                                            f"runs at the check size")
    fwd = ctx.get("jacfwd")
    missing = blocked(fwd)  # before the reverse-mode Jacobian, which may cost as much
    if missing:
        return missing
    rev = ctx.get("jacrev")
    missing = blocked(rev)
    if missing:
        return missing
    want = [ref.out_shape + ref.inputs[i].shape for i in ref.argnums]
    for label, got in (("forward", fwd), ("reverse", rev)):
        have = ([np.shape(j) for j in got.value] if isinstance(got.value, (tuple, list))
                else None)
        if have != want:
            return Verdict(FAIL, message=f"{ctx.name} {label}-mode Jacobian has shapes {have}; "
                                         f"out.shape + input.shape are {want}")
    jf, jr = jacobian_matrix(fwd.value, n_out), jacobian_matrix(rev.value, n_out)
    judged = [("its own reverse-mode Jacobian", _jacobians(ctx, jf, jr, "forward", "its own "
                                                           "reverse-mode Jacobian"))]
    if ctx.adapter.name != REFERENCE:
        for label, mine, quantity in (("forward", jf, "jacfwd"), ("reverse", jr, "jacrev")):
            exp = ref.refengine(quantity)
            judged.append((f"refengine's {label}-mode Jacobian", Verdict(
                ERROR, message=f"refengine (the reference) cannot compute the {label}-mode "
                               f"Jacobian: {exp.message}") if not exp.ok else _jacobians(
                ctx, mine, jacobian_matrix(exp.value, n_out), label,
                f"refengine's {label}-mode Jacobian")))
    return _worst(ctx, judged, "Jacobians by forward and by reverse mode")


def _jacobians(ctx: Context, got: np.ndarray, expected: np.ndarray, label: str,
               reference: str) -> Verdict:
    a = finite_abs(expected)
    rows = np.max(a, axis=1, initial=0.0)[:, None]
    cols = np.max(a, axis=0, initial=0.0)[None, :]
    scale = np.maximum(rows, cols).ravel()
    in_namer, out_namer = ctx.ref.in_namer(), ctx.ref.out_namer()
    n_in = got.shape[1]

    def namer(k: int) -> str:
        return f"d {out_namer(k // n_in)} / d {in_namer(k % n_in)}"

    return compare(got, expected, ctx.tol("jacfwd_vs_jacrev"), scale=scale, namer=namer,
                   what=f"{ctx.name} {label}-mode Jacobian", reference=reference)


# --- inputs_unchanged --------------------------------------------------------------------------
def check_inputs_unchanged(ctx: Context) -> Verdict:
    if not ctx.calls:  # asked for alone: one VJP gives it something to watch
        ctx.get("vjp")
    native = _grouped(ctx.input_changes)
    caller = ctx.ref.changed_arrays()
    calls = sorted(set(ctx.calls))
    watched = getattr(ctx.adapter, "watching_inputs", None) is not None
    immutable = bool(getattr(ctx.adapter, "immutable_arrays", False))
    if native or caller:
        first = ctx.input_changes[0] if ctx.input_changes else None
        return Verdict(FAIL, max_abs_err=float("nan"), tol=0.0,
                       worst_index=f"{first.quantity}: {first.what}" if first else "NumPy input",
                       got=first.after if first else float("nan"),
                       expected=first.before if first else float("nan"),
                       message=f"{ctx.name} changed arrays it was given (a derivative must "
                               f"leave its inputs as they were): " + "; ".join(native + caller))
    if immutable:
        level = f"as NumPy arrays ({ctx.name}'s own arrays are immutable)"
    elif watched:
        level = f"as NumPy arrays and as {ctx.name}'s own arrays"
    else:
        level = ("as NumPy arrays (the adapter's own arrays cannot be watched: it is not a "
                 "BaseAdapter)")
    return Verdict(PASS, max_abs_err=0.0, tol=0.0,
                   message=f"{ctx.name}: the inputs and directions of its {len(ctx.calls)} calls "
                           f"({', '.join(calls)}; those that raised included) are bit for bit "
                           f"unchanged, {level}")


def _grouped(changes: list[Any]) -> list[str]:
    """One message per (call, array) changed, the first occurrence's, with how many calls."""
    firsts: dict[tuple[str, str], Any] = {}
    counts: dict[tuple[str, str], int] = {}
    for c in changes:
        key = (c.quantity, c.what)
        firsts.setdefault(key, c)
        counts[key] = counts.get(key, 0) + 1
    return [firsts[k].message() + (f" (in {n} calls)" if n > 1 else "")
            for k, n in counts.items()]


CHECK_FUNCTIONS: dict[str, Callable[[Context], Verdict]] = {
    "vmap_grad": check_vmap_grad,
    "jacfwd_vs_jacrev": check_jacfwd_vs_jacrev,
    "inputs_unchanged": check_inputs_unchanged,
}
