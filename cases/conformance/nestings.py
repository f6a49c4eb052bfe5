"""The check ``second_order_nestings``: the three second-order nestings besides the HVP.

The HVP checks test forward over reverse only. A framework's second derivatives can be right
in one nesting and wrong in another, because each nesting differentiates different code: the
outer transformation differentiates the inner one's rules (forward over forward
differentiates JVP rules in forward mode, reverse over forward the same JVP rules in reverse
mode, reverse over reverse the VJP rules). torch 2.13's ``cumprod`` at an input with a zero
entry is the example that made this check: forward over forward gives half the truth and
reverse over forward NaN, while reverse over reverse is right, so torch's own
``gradgradcheck`` passes it.

One check item per case x adapter x mode x dtype (``NESTINGS``):

- ``forward-over-forward`` (``jvp_fwd_fwd``): f''(x)[v, v], shaped like the output;
- ``reverse-over-forward`` (``hvp_rev_fwd``) and ``reverse-over-reverse`` (``hvp_rev_rev``):
  H v of the HVP's function (``<u, f>`` for a non-scalar f, the VJP with cotangent u of
  x -> J(x) v).

Each is compared with refengine's same nesting (the ``exact`` family; not on refengine
itself) and with finite differences (the ``fd`` family) of the adapter's own float64 first
derivative along v: its JVP for forward over forward, its gradient for the HVPs (the same
differences as ``hvp_vs_oracle``, shared). Scales and floors are the HVP's (``scales``). The
record is the worst comparison; its ``worst_index`` and message name the nesting and the
reference, and the message begins with the failing nestings (``failing nestings: A, B.``, after
the adapter's name) so that a divergence entry can name exactly which nestings it documents
(``failing_only``). A nesting the framework cannot do makes the record ``unsupported`` (never
``pass``) when nothing fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from cases.conformance.context import Context, blocked
from cases.conformance.reference import flat
from cases.conformance.scales import fwd_fwd_scale, hvp_scale
from cases.conformance.verdict import Namer, Verdict, compare
from cases.statuses import ERROR, FAIL, NONFINITE, PASS, UNSUPPORTED

__all__ = ["CHECK", "NESTINGS", "check_nestings", "fwd_fwd_oracle", "judged_by_oracle",
           "failing_only"]

CHECK = "second_order_nestings"
# quantity -> the nesting's name in records (outer over inner), in the order messages list them
NESTINGS: dict[str, str] = {
    "jvp_fwd_fwd": "forward-over-forward",
    "hvp_rev_fwd": "reverse-over-forward",
    "hvp_rev_rev": "reverse-over-reverse",
}
ORACLE = "finite differences"
REFERENCE = "refengine"
_SEVERITY = {PASS: 0, UNSUPPORTED: 1, FAIL: 2, ERROR: 3, NONFINITE: 4}
_BAD = (FAIL, ERROR, NONFINITE)


def failing_only(*nestings: str) -> str:
    """A regular expression for a ``second_order_nestings`` message whose failing nestings
    are some of ``nestings`` and no other (for a divergence entry's ``message``)."""
    unknown = set(nestings) - set(NESTINGS.values())
    if unknown or not nestings:
        raise ValueError(f"name nestings from {tuple(NESTINGS.values())}, not {sorted(unknown)}")
    one = "|".join(re.escape(n) for n in nestings)
    return rf"failing nestings: (?:{one})(?:, (?:{one}))*\."


def judged_by_oracle(message: str) -> bool:
    """Did a comparison with finite differences (not only one with refengine) find a nesting
    wrong? (Mutation testing counts such a catch as independent of refengine.)"""
    return re.search(rf"\b(?:{'|'.join(_BAD)}) vs {ORACLE}\b", message) is not None


def check_nestings(ctx: Context) -> Verdict:
    """The worst of the three nestings' comparisons (see the module docstring)."""
    judged = {label: _judge(ctx, quantity) for quantity, label in NESTINGS.items()}
    worst_of = {label: max((v for _, v in vs), key=_rank) for label, vs in judged.items()}
    label, worst = max(worst_of.items(), key=lambda item: _rank(item[1]))
    failing = [n for n, v in worst_of.items() if v.status in _BAD]
    missing = [n for n, v in worst_of.items() if v.status == UNSUPPORTED]
    each = "; ".join(f"{n}: " + ", ".join(f"{v.status} vs {who}" if who else v.status
                                          for who, v in vs) for n, vs in judged.items())
    if failing:
        head = f"failing nestings: {', '.join(failing)}."
    elif missing:
        head = f"unsupported nestings: {', '.join(missing)}."
    else:
        head = "all three nestings agree."
    worst_who = next(who for who, v in judged[label] if v is worst)
    detail = f" Worst, {label}" + (f" vs {worst_who}" if worst_who else "") + f": {worst.message}"
    index = f"{label} {worst.worst_index}".strip()
    return Verdict(worst.status, max_abs_err=worst.max_abs_err, max_rel_err=worst.max_rel_err,
                   tol=worst.tol, oracle_err=worst.oracle_err, worst_index=index, got=worst.got,
                   expected=worst.expected, worst=worst.worst, ratio=worst.ratio,
                   message=f"{ctx.name} {head}{detail} [{each}]")


def _rank(v: Verdict) -> tuple[int, float]:
    return _SEVERITY[v.status], v.ratio


# --- one nesting ---------------------------------------------------------------------------
def _judge(ctx: Context, quantity: str) -> list[tuple[str, Verdict]]:
    """(reference, verdict) for each comparison of one nesting ("" when it could not run)."""
    got = ctx.get(quantity)
    missing = blocked(got)
    if missing:
        return [("", missing)]
    problem = _structure(ctx, quantity, got.value)
    if problem:
        return [("", Verdict(FAIL, message=problem))]
    value = flat(got.value)
    out = []
    if ctx.adapter.name != REFERENCE:
        out.append((REFERENCE, _vs_refengine(ctx, quantity, value)))
    out.append((ORACLE, _vs_oracle(ctx, quantity, value)))
    return out


def _forward(quantity: str) -> bool:
    return quantity == "jvp_fwd_fwd"


def _namer(ctx: Context, quantity: str) -> Namer:
    return ctx.ref.out_namer() if _forward(quantity) else ctx.ref.in_namer()


def _scale(quantity: str) -> Callable[..., tuple[float, float]]:
    return fwd_fwd_scale if _forward(quantity) else hvp_scale


def _structure(ctx: Context, quantity: str, value: object) -> str:
    """Forward over forward: shaped like the output; the HVPs: one array per differentiated
    input, shaped like it."""
    ref, label = ctx.ref, NESTINGS[quantity]
    if _forward(quantity):
        if np.shape(value) != ref.out_shape:
            return (f"{ctx.name} {label} has shape {np.shape(value)}, the output has "
                    f"{ref.out_shape}")
        return ""
    want = [ref.inputs[i].shape for i in ref.argnums]
    have = [np.shape(g) for g in value] if isinstance(value, (tuple, list)) else None
    if have != want:
        return f"{ctx.name} {label} returned shapes {have}, the inputs have {want}"
    return ""


def _vs_refengine(ctx: Context, quantity: str, got: np.ndarray) -> Verdict:
    exp = ctx.ref.refengine(quantity)
    if not exp.ok:
        return Verdict(ERROR, message=f"refengine (the reference) cannot compute the "
                                      f"{NESTINGS[quantity]} nesting: {exp.message}")
    e = flat(exp.value)
    scale, floor = _scale(quantity)(ctx.ref, e)
    return compare(got, e, ctx.tol(CHECK, "exact"), scale=scale, floor=floor,
                   namer=_namer(ctx, quantity), what=f"{ctx.name} {NESTINGS[quantity]}",
                   reference=f"refengine's {NESTINGS[quantity]}")


# --- against finite differences of the adapter's own first derivative ----------------------
def fwd_fwd_oracle(ctx: Context, method: str) -> Any:
    """Finite differences, along v, of the adapter's own float64 JVP along v: f''(x)[v, v]
    from first-order AD only. A Derivative, an Outcome (the JVP failed) or a Verdict; cached
    per context."""
    key = f"fwd_fwd_fd:{method}"
    if key not in ctx.shared:
        from cases.conformance.checks import differences_of_first

        ctx.shared[key] = differences_of_first(ctx, method, "jvp")
    return ctx.shared[key]


def _vs_oracle(ctx: Context, quantity: str, got: np.ndarray) -> Verdict:
    """Against finite differences of the adapter's own first derivative: the HVP check's
    comparison (``checks.second_order_vs_fd``), with the nesting's oracle, scales and names."""
    from cases.conformance.checks import hvp_oracle, second_order_vs_fd

    forward = _forward(quantity)
    return second_order_vs_fd(
        ctx, got, fwd_fwd_oracle if forward else hvp_oracle, check=CHECK, family="fd",
        not_judged=_near_kinks(ctx, quantity), scales=_scale(quantity),
        namer=_namer(ctx, quantity), what=f"{ctx.name} {NESTINGS[quantity]}",
        first="its float64 JVP" if forward else "its float64 gradient")


def _near_kinks(ctx: Context, quantity: str) -> np.ndarray:
    """Entries finite differences along v cannot judge because of a declared kink (left to
    the kink check): the kink's own input entries for an HVP; for forward over forward, every
    output that depends on a kink entry (all of them without a full Jacobian)."""
    ref = ctx.ref
    kinks = ref.kink_columns()
    if not _forward(quantity):
        return kinks
    n_out = int(np.prod(ref.out_shape, dtype=np.int64))
    if not kinks.any():
        return np.zeros(n_out, bool)
    jac = ref.oracle().jac
    if jac is None:
        return np.ones(n_out, bool)
    cols = jac.value[:, kinks]
    return np.any(~np.isfinite(cols) | (cols != 0), axis=1)
