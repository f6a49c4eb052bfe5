"""Primitives and the one dispatch function, ``bind``.

A primitive is an operation whose derivative is written down in the derivative table
(``refengine/derivatives.py``); everything else in refengine is built from primitives. Calling a
primitive runs ``bind``: with no traced argument it is a plain NumPy call, otherwise the
innermost active transformation (the trace with the highest level) handles it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Primitive", "Tracer", "apply_impl", "bind", "dtype_of", "holds_tracer"]


class Tracer:
    """A value being traced by one transformation (reverse tape or forward duals).

    ``_value`` is the primal: a NumPy array, or a tracer of an outer (lower-level) trace when
    transformations are nested. ``_trace`` is the transformation that owns this tracer.
    """

    __slots__ = ("_trace", "_value")
    # Make NumPy defer to our reflected operators (ndarray * tracer -> tracer.__rmul__).
    __array_priority__ = 1000.0


def dtype_of(x: Any) -> np.dtype:
    """The dtype of any value the engine meets: an array, a NumPy scalar or a tracer (each
    carries ``.dtype``), or a Python number or list (as NumPy would make it an array)."""
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None else np.asarray(x).dtype


class Primitive:
    """One operation with an implementation and (once the table is loaded) derivative rules.

    ``impl`` receives plain values (NumPy arrays, or outer tracers under nesting, which is why
    it is only ever called through ``bind``). Positional arguments are operands that may be
    traced; keyword parameters are static configuration (axis, shape, indices).
    """

    __slots__ = (
        "data_args", "differentiable", "elementwise", "impl", "jvp", "multiple_results", "name",
        "note", "reduction", "vjp",
    )

    def __init__(
        self,
        name: str,
        impl: Callable[..., Any],
        *,
        multiple_results: bool = False,
        elementwise: bool = False,
        reduction: bool = False,
    ) -> None:
        self.name = name
        self.impl = impl
        self.multiple_results = multiple_results
        # Elementwise (operands broadcast to the output, each output entry from the entries at
        # its position): its rules accept a compact cotangent (see traces.unbroadcast).
        self.elementwise = elementwise
        # A reduction over ``axis`` (with ``keepdims``): its rules also accept a compact
        # cotangent, which they give the reduced axes back to (rules.with_reduced_axes).
        self.reduction = reduction
        # A non-differentiable primitive (sign, floor, comparisons, argmax; a zero=True entry
        # of the table) returns an untraced result: its derivative is zero everywhere it
        # exists, so nothing needs recording.
        self.differentiable = True
        # Rules: a tuple aligned with the operands, or, for variadic primitives (concatenate,
        # einsum), a function from the operand's position to its rule.
        self.vjp: tuple[Callable[..., Any] | None, ...] | Callable[[int], Any] = ()
        self.jvp: tuple[Callable[..., Any] | None, ...] | Callable[[int], Any] = ()
        self.note = ""
        # Operand positions that are data (a condition, indices): no derivative flows there.
        self.data_args: frozenset[int] = frozenset()

    def __call__(self, *args: Any, **params: Any) -> Any:
        """Apply the primitive: hand it to the innermost trace among its arguments, or
        compute it (the hot path of the engine, hence written out here)."""
        top = None
        level = 0
        listed = False
        for a in args:
            if isinstance(a, Tracer):
                trace = a._trace
                if trace.level > level:
                    top = trace
                    level = trace.level
            elif type(a) is list or type(a) is tuple:
                listed = True
        if listed and _lists_hold_tracer(args):
            # rnp.sin([x, y]): a list of traced values is an array-like, as NumPy's lists of
            # numbers are; stacked, it stays traced (NumPy would call np.asarray on it).
            return self(*_stacked(args), **params)
        if top is None:
            try:
                return self.impl(*args, **params)
            except ValueError as e:
                # NumPy's message says what is wrong ("could not be broadcast"); add which op.
                raise ValueError(f"in refengine primitive '{self.name}': {e}") from e
        return top.process(self, args, params)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def holds_tracer(obj: Any) -> bool:
    """Whether ``obj`` is a traced value or a (nested) list or tuple holding one: NumPy's
    array-likes, which refengine.numpy's functions stack into one traced array."""
    if isinstance(obj, Tracer):
        return True
    return type(obj) in (list, tuple) and any(holds_tracer(o) for o in obj)


def _lists_hold_tracer(args: tuple[Any, ...]) -> bool:
    """Whether a list or tuple operand holds a traced value (a traced operand beside a list of
    numbers, x + [1.0, 2.0], is not one: that list is NumPy's to read)."""
    return any(type(a) in (list, tuple) and holds_tracer(a) for a in args)


def _stacked(args: tuple[Any, ...]) -> list[Any]:
    """The operands, with each (nested) list or tuple that holds a traced value stacked into
    one traced array."""
    from refengine.numpy import array  # refengine.numpy is built on this module

    return [array(a) if type(a) in (list, tuple) and holds_tracer(a) else a for a in args]


def bind(prim: Primitive, args: Any, params: dict[str, Any]) -> Any:
    """``prim(*args, **params)``: the form the traces use for operands held in a list."""
    return prim(*args, **params)


def apply_impl(prim: Primitive, args: Any, params: dict[str, Any]) -> Any:
    """Run the NumPy implementation on plain values."""
    try:
        return prim.impl(*args, **params)
    except ValueError as e:
        # NumPy's message says what is wrong ("could not be broadcast"); add which op.
        raise ValueError(f"in refengine primitive '{prim.name}': {e}") from e
