"""How an entry enters the derivative table: ``defrule`` with its four kinds, and the table.

The entries themselves, and the format they are written in, are in ``refengine/derivatives.py``
(the linear-algebra ones in ``refengine/derivatives_linalg.py``). This module also holds the
two array helpers that entries in both files are written with (``swap``,
``with_reduced_axes``).
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import refengine.numpy as rnp
from refengine import primitives as P
from refengine.primitive import Primitive

__all__ = ["NON_DIFFERENTIABLE", "TABLE", "defrule", "rule_kind", "rule_location", "swap",
           "with_reduced_axes"]

# The primitives with derivative rules, by name (what the engine, the mutants and the tests
# walk), and the non-differentiable ones with their notes: defrule fills both, nothing else.
TABLE: dict[str, Primitive] = {}
NON_DIFFERENTIABLE: dict[str, str] = {}
# name -> (kind, "refengine/<module>.py:<line of its defrule>")
_DECLARED: dict[str, tuple[str, str]] = {}


def defrule(
    prim: Primitive,
    *,
    vjp: Any = None,
    jvp: Any = None,
    partials: tuple[Any, ...] | None = None,
    linear: bool = False,
    zero: bool = False,
    note: str = "",
) -> None:
    """Declare one primitive's entry, once: its rules (vjp and jvp, ``partials``, or
    ``linear=True`` with the vjp) or ``zero=True``. The kinds are defined in the header of
    ``refengine/derivatives.py``; a second declaration, or two kinds at once, is an error."""
    kind = _kind(prim.name, vjp, jvp, partials, linear, zero)
    caller = sys._getframe(1)  # the defrule line itself: where rf.explain points a reader
    where = caller.f_globals["__name__"].replace(".", "/") + f".py:{caller.f_lineno}"
    if kind == "zero":
        prim.differentiable, prim.note = False, note
        NON_DIFFERENTIABLE[prim.name] = note
        _DECLARED[prim.name] = (kind, where)
        return
    if kind == "partials":
        vjp = tuple(None if d is None else _scaled_by(d, len(partials)) for d in partials)
        jvp = vjp
    elif kind == "linear":
        jvp = _applied_to_tangents(prim, vjp)
    if not callable(vjp):
        vjp, jvp = tuple(vjp), tuple(jvp)
        if [r is None for r in vjp] != [r is None for r in jvp]:
            raise ValueError(f"{prim.name}: vjp and jvp disagree on which arguments are data")
        prim.data_args = frozenset(i for i, r in enumerate(vjp) if r is None)
    prim.vjp, prim.jvp, prim.note = vjp, jvp, note
    TABLE[prim.name] = prim
    _DECLARED[prim.name] = (kind, where)


def _kind(name: str, vjp: Any, jvp: Any, partials: Any, linear: bool, zero: bool) -> str:
    """Which of the four kinds a declaration is, or a ValueError saying what is wrong."""
    if name in _DECLARED:
        raise ValueError(f"{name}: registered twice in the derivative table (first at "
                         f"{_DECLARED[name][1]})")
    given = [k for k, v in (("vjp", vjp), ("jvp", jvp), ("partials", partials)) if v is not None]
    if zero:
        if given or linear:
            raise ValueError(f"{name}: zero=True declares no rules; give only the note, "
                             f"not {', '.join(given + ['linear'] * linear)}")
        return "zero"
    if partials is not None:
        if vjp is not None or jvp is not None or linear:
            raise ValueError(f"{name}: give either partials or vjp/jvp, not both")
        return "partials"
    if linear:
        if jvp is not None or vjp is None:
            raise ValueError(f"{name}: linear=True: the JVP is the primitive itself; give "
                             "only the vjp (the transposed map)")
        return "linear"
    if vjp is None or jvp is None:
        raise ValueError(f"{name}: a rule needs both vjp and jvp")
    return "rules"


def rule_kind(name: str) -> str:
    """How primitive ``name`` was declared: ``rules`` (vjp and jvp written out), ``partials``,
    ``linear`` or ``zero``."""
    return _DECLARED[name][0]


def rule_location(name: str) -> str:
    """Where primitive ``name``'s entry is declared, ``refengine/derivatives.py:LINE`` (or
    ``derivatives_linalg.py``); the table's file alone for a name it does not hold."""
    return _DECLARED[name][1] if name in _DECLARED else "refengine/derivatives.py"


def _scaled_by(partial, arity):
    if arity == 1:  # (the common arities spelled out: no argument tuple to pack per call)
        return lambda g, ans, x, **params: g * partial(ans, x, **params)
    if arity == 2:
        return lambda g, ans, x, y, **params: g * partial(ans, x, y, **params)
    return lambda g, ans, *args, **params: g * partial(ans, *args, **params)


def _applied_to_tangents(prim: Primitive, vjp: Any) -> Any:
    """The JVP of ``linear=True``: for operand i, ``prim`` with the tangent in its place."""
    if callable(vjp):  # variadic (einsum): a rule per operand position
        return functools.cache(lambda i: _applied_to_tangent(prim, i))
    vjp = tuple(vjp)
    if len(vjp) == 1 and vjp[0] is not None:
        return (lambda t, ans, x, **params: prim(t, **params),)
    return tuple(None if r is None else _applied_to_tangent(prim, i) for i, r in enumerate(vjp))


def _applied_to_tangent(prim: Primitive, i: int):
    def rule(t, ans, *args, **params):
        return prim(*args[:i], t, *args[i + 1:], **params)

    return rule


# --- helpers that entries in both table modules are written with ------------------------------
@functools.cache
def _swapped_axes(nd: int) -> tuple[int, ...]:
    return (*range(nd - 2), nd - 1, nd - 2)


def swap(x: Any) -> Any:
    """``x`` with its last two axes swapped: every matrix of a batch transposed."""
    nd = rnp.ndim(x)
    if nd < 2:
        return rnp.swapaxes(x, -1, -2)  # raises NumPy's error
    return P.transpose(x, axes=_swapped_axes(nd))


def with_reduced_axes(
    g: Any, x_shape: tuple[int, ...], axis: tuple[int, ...], keepdims: bool
) -> Any:
    """Give a reduction's output cotangent the reduced axes back (as size 1). A compact g
    (see traces.unbroadcast: fewer axes, or size 1 where the output has more) stays so."""
    if keepdims:
        return g
    return P.reshape(g, shape=_kept_shape(rnp.shape(g), len(x_shape), tuple(axis)))


@functools.lru_cache(maxsize=1024)
def _kept_shape(g_shape: tuple[int, ...], nd: int, axis: tuple[int, ...]) -> tuple[int, ...]:
    kept = iter((1,) * (nd - len(axis) - len(g_shape)) + tuple(g_shape))
    return tuple(1 if i in axis else next(kept) for i in range(nd))
