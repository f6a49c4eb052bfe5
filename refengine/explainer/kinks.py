"""Operations that sit exactly at a non-differentiable point, and what each system does there.

A detector per primitive looks at a node's actual operands (``abs`` at 0, ``maximum`` at a tie,
a ``max`` reduction with tied entries, ``norm`` of a zero vector, ...). For each such node the
operation alone is differentiated at those operands, with a cotangent of ones, by refengine and
by every framework asked for: the numbers each one returns are the convention it chose. The
table's note says which convention refengine chose and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from refengine.explainer.fmt import summarize
from refengine.explainer.frameworks import FrameworkRun, run_vjp
from refengine.explainer.recording import NodeRecord

__all__ = ["KinkReport", "find_kinks", "local_op"]


@dataclass(frozen=True)
class KinkReport:
    """One node at a kink: where, refengine's convention, and every system's answer."""

    node: str
    prim: str
    what: str
    note: str
    answers: tuple[tuple[str, str], ...]  # (system, "g_x = ... at the kink entries")


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


def find_kinks(
    nodes: Sequence[NodeRecord], adapters: Callable[[], Sequence[Any]]
) -> list[KinkReport]:
    """Every node at a kink, differentiated alone by refengine and each adapter (``adapters``
    is called only when there is a kink, so frameworks are imported only then)."""
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
        answers = _answers(node, mask, adapters)
        reports.append(KinkReport(node.label, node.name, f"{what}: {where}", node.prim.note,
                                  tuple(answers)))
    return reports


def _answers(
    node: NodeRecord, mask: np.ndarray, adapters: Callable[[], Sequence[Any]]
) -> list[tuple[str, str]]:
    fn = local_op(node.name, node.params)
    if fn is None:
        return []
    operands = tuple(np.asarray(o.value) for o in node.operands)
    traced = tuple(o.position for o in node.operands if o.label is not None)
    u = np.ones(np.shape(node.out), np.asarray(node.out).dtype)
    runs = [_refengine_run(fn, operands, u, traced)]
    runs += [run_vjp(a, fn, operands, u, traced) for a in adapters()]
    return [(run.framework, _at_kink(run, node, traced, mask)) for run in runs]


def _refengine_run(
    fn: Callable[..., Any], operands: tuple[np.ndarray, ...], u: np.ndarray, traced: tuple[int, ...]
) -> FrameworkRun:
    import refengine.numpy as rnp
    from refengine.api import vjp

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
