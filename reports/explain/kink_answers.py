"""Operations that sit exactly at a non-differentiable point, and what each system does there.

A detector per primitive looks at a node's actual operands (``abs`` at 0, ``maximum`` at a tie,
a ``max`` reduction with tied entries, ``norm`` of a zero vector, ...). For each such node the
operation alone is differentiated at those operands, with a cotangent of ones, by refengine and
by every framework asked for: the numbers each one returns are the convention it chose. The
table's note says which convention refengine chose and why; the divergence table (see
``documented``) says what each framework is documented to do there, with a citation. A run
that differs from refengine without an entry, or an entry that this run does not bear out, is
flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine.api import vjp
from refengine.tape_recording import NodeRecord
from reports.explain.documented_divergences import applies_to_run, describe, entries_at
from reports.explain.framework_runs import FrameworkRun, run_vjp
from reports.explain.value_text import summarize

__all__ = ["DOCUMENTED", "NOT_REPRODUCED", "NOT_RUN", "UNDOCUMENTED", "KinkAnswer",
           "KinkReport", "find_kinks", "local_op"]

# How a framework's answer at a kink stands against refengine's and the divergence table.
DOCUMENTED = "differs from refengine: a documented divergence"
UNDOCUMENTED = "differs from refengine, and no divergence-table entry says so: undocumented"
NOT_REPRODUCED = ("agrees with refengine, yet the divergence table documents a divergence: "
                  "does the entry still hold?")
NOT_RUN = "not run here"


@dataclass(frozen=True)
class KinkAnswer:
    """One system at one kink: what running it gave, and what the divergence table says."""

    system: str  # "refengine", "jax 0.10.2"; the adapter's name when it did not run
    answer: str  # "g_x = 1.0" at the kink entries, "error: ...", or "" when it did not run
    adapter: str = ""  # the name the divergence table uses ("jax")
    differs: bool | None = None  # from refengine's answer (None: not compared)
    documented: tuple[str, ...] = ()  # the table's entries that cover this run, described
    flag: str = ""  # one of DOCUMENTED, UNDOCUMENTED, NOT_REPRODUCED, NOT_RUN, or ""


@dataclass(frozen=True)
class KinkReport:
    """One node at a kink: where, refengine's convention, every system's answer, and the
    divergence table's entries about this operation at this point (``entries``, any adapter;
    ``table``: whether a table was read at all)."""

    node: str
    prim: str
    what: str
    note: str
    answers: tuple[KinkAnswer, ...]
    entries: tuple[Any, ...] = ()
    table: bool = False

    def by_system(self) -> dict[str, str]:
        """``{"refengine": "g_x = 0.0", "jax 0.10.2": "g_x = 1.0", ...}`` (runs only)."""
        return {a.system: a.answer for a in self.answers if a.flag != NOT_RUN}


def _a(x: Any) -> np.ndarray:
    return np.asarray(x)


def _x(node: NodeRecord, i: int = 0) -> np.ndarray:
    return _a(node.operands[i].value)


def _reduction_ties(node: NodeRecord) -> np.ndarray:
    x, axis, keepdims = _x(node), node.params["axis"], node.params["keepdims"]
    ext = _a(node.out) if keepdims else np.expand_dims(_a(node.out), axis)
    hit = x == ext
    return hit & (np.sum(hit, axis=axis, keepdims=True) > 1)


def _zero_norm(node: NodeRecord) -> np.ndarray:
    x, axis, keepdims = _x(node), node.params["axis"], node.params["keepdims"]
    n = _a(node.out) if keepdims else np.expand_dims(_a(node.out), axis)
    return np.broadcast_to(n == 0, x.shape)


def _power_at_zero(node: NodeRecord) -> np.ndarray:
    # x^y at x = 0 is smooth in x for y = 0 or y >= 1 with y held fixed (x^2, x^3); it is
    # not when y < 1 (infinite slope) or when y is differentiated (d/dy = x^y log x).
    x, y = _x(node), _x(node, 1)
    y_traced = node.operands[1].label is not None
    return (x == 0) & ((y < 1) & (y != 0) | y_traced)


def _both_zero(node: NodeRecord) -> np.ndarray:
    return (_x(node) == 0) & (_x(node, 1) == 0)


Detector = Callable[[NodeRecord], np.ndarray]

# name -> (detector: a mask over the first operand, broadcast; what the point is)
DETECTORS: dict[str, tuple[Detector, str]] = {
    "abs": (lambda n: _x(n) == 0, "|x| at x = 0 (subdifferential [-1, 1])"),
    "relu": (lambda n: _x(n) == 0, "relu at x = 0 (subdifferential [0, 1])"),
    "sqrt": (lambda n: _x(n) == 0, "sqrt at x = 0 (infinite slope)"),
    "cbrt": (lambda n: _x(n) == 0, "cbrt at x = 0 (infinite slope)"),
    "log": (lambda n: _x(n) == 0, "log at x = 0 (edge of the domain)"),
    "arcsin": (lambda n: np.abs(_x(n)) == 1, "arcsin at |x| = 1 (infinite slope)"),
    "arccos": (lambda n: np.abs(_x(n)) == 1, "arccos at |x| = 1 (infinite slope)"),
    "arctanh": (lambda n: np.abs(_x(n)) == 1, "arctanh at |x| = 1 (a pole)"),
    "arccosh": (lambda n: _x(n) == 1, "arccosh at x = 1 (infinite slope)"),
    "logit": (lambda n: (_x(n) == 0) | (_x(n) == 1), "logit at 0 or 1 (a pole)"),
    "maximum": (lambda n: _x(n) == _x(n, 1), "maximum at a tie x == y"),
    "minimum": (lambda n: _x(n) == _x(n, 1), "minimum at a tie x == y"),
    "clip": (lambda n: (_x(n) == _x(n, 1)) | (_x(n) == _x(n, 2)), "clip with x at a bound"),
    "max": (_reduction_ties, "max reduction with tied maximal entries"),
    "min": (_reduction_ties, "min reduction with tied minimal entries"),
    "norm2": (_zero_norm, "2-norm of a zero vector"),
    "power": (_power_at_zero, "x^y at x = 0 (infinite slope, or d/dy = x^y log x)"),
    "hypot": (_both_zero, "hypot at (0, 0)"),
    "arctan2": (_both_zero, "arctan2 at (0, 0)"),
}

_SPECIAL = {"relu": ("nn", "relu"), "logit": ("special", "logit")}


def local_op(name: str, params: dict[str, Any]) -> Callable[..., Any] | None:
    """The primitive alone as a case-style ``fn(xp, *operands)``, for a detectable kink."""
    if name in _SPECIAL:
        space, attr = _SPECIAL[name]
        return lambda xp, x: getattr(getattr(xp, space), attr)(x)
    if name in ("max", "min"):
        axis, keepdims = params["axis"], params["keepdims"]
        return lambda xp, x: getattr(xp, name)(x, axis=axis, keepdims=keepdims)
    if name == "norm2":
        axis, keepdims = params["axis"], params["keepdims"]

        def norm(xp: Any, x: Any) -> Any:
            ax = None if len(axis) == np.ndim(x) else axis[0] if len(axis) == 1 else axis
            return xp.linalg.norm(x, axis=ax, keepdims=keepdims)

        return norm
    if name == "clip":
        return lambda xp, x, lo, hi: xp.clip(x, lo, hi)
    if name in DETECTORS:
        return lambda xp, *operands: getattr(xp, name)(*operands)
    return None


def _no_table() -> Sequence[Any] | None:
    return None


def find_kinks(
    nodes: Sequence[NodeRecord],
    adapters: Callable[[], Sequence[Any]],
    divergences: Callable[[], Sequence[Any] | None] = _no_table,
) -> list[KinkReport]:
    """Every node at a kink, differentiated alone by refengine and each adapter, beside the
    divergence table's entries there. ``adapters`` and ``divergences`` (the table, or None
    when none could be read) are called only when there is a kink, so frameworks and the
    table are imported only then."""
    reports = []
    for node in nodes:
        entry = DETECTORS.get(node.name)
        if entry is None:
            continue
        detect, what = entry
        try:
            mask = np.asarray(detect(node))
        except Exception:  # operands the detector cannot compare (traced under nesting)
            continue
        if not mask.any():
            continue
        count, total = int(mask.sum()), int(mask.size)
        first = tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()
        where = f"{count} of {total} entries" + (f", first at index {first}" if total > 1 else "")
        table = divergences()
        entries = tuple(entries_at(table, node, mask)) if table is not None else ()
        answers = _answers(node, mask, adapters, entries, table is not None)
        reports.append(KinkReport(node.label, node.name, f"{what}: {where}", node.prim.note,
                                  tuple(answers), entries, table is not None))
    return reports


def _answers(
    node: NodeRecord, mask: np.ndarray, adapters: Callable[[], Sequence[Any]],
    entries: tuple[Any, ...], table: bool,
) -> list[KinkAnswer]:
    dtype = np.asarray(node.operands[0].value).dtype.name
    answers = []
    fn = local_op(node.name, node.params)
    if fn is not None:
        operands = tuple(np.asarray(o.value) for o in node.operands)
        traced = tuple(o.position for o in node.operands if o.label is not None)
        u = np.ones(np.shape(node.out), np.asarray(node.out).dtype)
        runs = [("refengine", _refengine_run(fn, operands, u, traced))]
        runs += [(a.name, run_vjp(a, fn, operands, u, traced)) for a in adapters()]
        ref = _kink_values(runs[0][1], traced, mask)
        for name, run in runs:
            docs = tuple(describe(e, framework=run.framework) for e in entries
                         if applies_to_run(e, name, run.framework, dtype))
            values = _kink_values(run, traced, mask)
            differs = (None if name == "refengine" or ref is None or values is None
                       else not _same(values, ref))
            answers.append(KinkAnswer(run.framework, _at_kink(run, node, traced, mask), name,
                                      differs, docs, _flag(differs, docs, table)))
    answers += _not_run(entries, {a.adapter for a in answers}, dtype)
    return answers


def _flag(differs: bool | None, documented: tuple[str, ...], table: bool) -> str:
    if differs is None:
        return ""
    if differs:
        return DOCUMENTED if documented else UNDOCUMENTED if table else ""
    return NOT_REPRODUCED if documented else ""


def _not_run(entries: tuple[Any, ...], ran: set[str], dtype: str) -> list[KinkAnswer]:
    """What the table documents for adapters that did not run here (not asked, missing)."""
    docs: dict[str, list[str]] = {}
    for e in entries:
        for name in e.adapters:  # an entry for every framework names none of them
            if name not in ran and name != "*" and applies_to_run(e, name, "", dtype):
                docs.setdefault(name, []).append(describe(e))
    return [KinkAnswer(name, "", name, None, tuple(d), NOT_RUN) for name, d in docs.items()]


def _kink_values(
    run: FrameworkRun, traced: tuple[int, ...], mask: np.ndarray
) -> list[np.ndarray] | None:
    """Each gradient at the kink entries (whole when its shape is not the mask's)."""
    if run.status != "ok" or run.grads is None or len(run.grads) != len(traced):
        return None
    return [g[mask] if g.shape == mask.shape else g for g in run.grads]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    # Conventions at a kink differ by O(1) (0 against 1, 0.5 against 1): rounding is not one.
    return all(x.shape == y.shape and np.allclose(x, y, rtol=1e-5, atol=1e-12, equal_nan=True)
               for x, y in zip(a, b))


def _refengine_run(
    fn: Callable[..., Any], operands: tuple[np.ndarray, ...], u: np.ndarray, traced: tuple[int, ...]
) -> FrameworkRun:
    def g(*diff: Any) -> Any:
        full = list(operands)
        for i, d in zip(traced, diff):
            full[i] = d
        return fn(rnp, *full)

    try:
        _, vjp_fn = vjp(g, *[operands[i] for i in traced])
        return FrameworkRun("refengine", "ok", tuple(np.asarray(c) for c in vjp_fn(u)))
    except Exception as exc:
        return FrameworkRun("refengine", "error", message=f"{type(exc).__name__}: {exc}")


def _at_kink(run: FrameworkRun, node: NodeRecord, traced: tuple[int, ...], mask: np.ndarray) -> str:
    if run.status != "ok" or run.grads is None:
        return f"{run.status}: {run.message}"
    parts = []
    for i, g in zip(traced, run.grads):
        name = f"g_{node.operands[i].label}"
        if g.shape == mask.shape:
            vals = np.unique(g[mask])
            parts.append(f"{name} = {summarize(vals if vals.size > 1 else vals[0])}")
        else:
            parts.append(f"{name} = {summarize(g)}")
    return "; ".join(parts)
