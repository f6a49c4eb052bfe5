"""The two transformations: a reverse-mode tape and forward-mode dual numbers.

Each ``rf.vjp``/``rf.jvp`` call opens a trace with a fresh, higher level. A primitive applied to
traced values is handled by the innermost (highest-level) trace among its arguments, which
computes the primitive on the unwrapped values through ``bind`` again, so that outer traces see
it too. Derivative rules are written in refengine's own primitives, so the backward pass of an
inner trace is itself recorded by outer traces: that is what makes higher order work.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine import primitives_complex as PC
from refengine.array_ops import ArrayOps
from refengine.primitive import Primitive, Tracer, bind, dtype_of

__all__ = [
    "DualTracer",
    "ForwardTrace",
    "Node",
    "ReverseTrace",
    "ReverseTracer",
    "Var",
    "expand",
    "new_level",
    "unbroadcast",
]

_levels = itertools.count(1)


def new_level() -> int:
    # Nested transformations are opened after their enclosing ones, so a counter orders them.
    return next(_levels)


class EscapedTracerError(RuntimeError):
    """A traced value was used after the transformation that made it had finished."""


def _escaped(trace: Any) -> EscapedTracerError:
    return EscapedTracerError(
        f"a traced value from a finished {trace.kind} transformation was used in a new "
        "computation. Values computed inside f must be returned from f, not stored in an "
        "outer variable and reused later."
    )


class Var:
    """An input leaf, or one output of a multiple-output primitive: what a cotangent attaches
    to. (A single-output node is its own key: no extra object per operation.)"""

    __slots__ = ()


class Node:
    """One primitive application on the tape."""

    __slots__ = ("prim", "args", "params", "out", "out_vars", "parents")

    def __init__(self, prim, args, params, out, parents) -> None:
        self.prim = prim
        self.args = args
        self.params = params
        self.out = out
        self.out_vars: Any = None  # the Vars of a multiple-output node; else the node is its key
        self.parents = parents  # list of (argument position, key of that argument's value)


def _no_rule_error(prim: Primitive) -> NotImplementedError:
    return NotImplementedError(
        f"primitive '{prim.name}' has no entry in the derivative table "
        "(refengine/derivatives.py), so it cannot be differentiated; add one with defrule "
        "(zero=True if its derivative is zero wherever it exists)"
    )


def _data_argument_error(prim: Primitive, i: int, mode: str) -> NotImplementedError:
    return NotImplementedError(
        f"refengine has no {mode} rule for argument {i} of '{prim.name}': that argument is "
        "data (a condition or indices), not differentiable. Pass it as a constant, not derived "
        "from the differentiated inputs."
    )


def unbroadcast(x: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """Undo broadcasting and restore the dtype: the one place this happens in the engine.

    A cotangent computed for a broadcast operand has the output's shape; summing over the
    broadcast axes gives the operand's. Mixed-precision ops compute in the wider dtype; the
    cotangent of a float32 operand is cast back so float32 stays float32.

    Cotangents may also be *compact*: of a shape that broadcasts to the value's (size 1, or
    absent, along axes where the cotangent is constant, as the one a sum sends back), standing
    for their broadcast. Such axes are left as they are: the result is then compact too.
    """
    xshape = x.shape
    if xshape != shape:
        lead = len(xshape) - len(shape)
        if lead < 0:  # fewer axes: compact along the missing leading ones
            axes = tuple(i for i, n in enumerate(xshape) if n != 1 and shape[i - lead] == 1)
            if axes:
                x = _reduce_sum(x, axes, True)
        else:
            axes = tuple(range(lead)) + tuple(
                lead + i for i, n in enumerate(shape) if n == 1 and xshape[lead + i] != 1
            )
            if axes:
                x = _reduce_sum(x, axes, not lead)
                if lead:
                    kept = tuple(
                        1 if n == 1 else xshape[lead + i] for i, n in enumerate(shape)
                    )
                    if x.shape != kept:
                        x = x.reshape(kept) if type(x) is np.ndarray else P.reshape(x, shape=kept)
    if x.dtype != dtype:
        if x.dtype.kind == "c" and dtype.kind != "c":
            # A real operand of a complex operation: its cotangent is the real part
            # (refengine/derivatives_complex.py, autograd's convention).
            x = np.real(x) if type(x) is np.ndarray else PC.real(x)
        if x.dtype != dtype:
            x = x.astype(dtype) if type(x) is np.ndarray else P.astype(x, dtype=dtype)
    return x


def _reduce_sum(x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    # On a plain array the primitive is its implementation; a traced one (a derivative being
    # differentiated) goes through the primitive so that the outer transformation sees it.
    if type(x) is np.ndarray:
        if x.ndim - 1 not in axes and x.dtype.kind == "f" and x.ndim < 26:
            # A sum that keeps the last axis (a bias's cotangent over a batch, a Q_k over N
            # points) as einsum: NumPy's reduce runs its inner loop along the short kept axis
            # then (25x1000x10 over axis 1: 470 us vs 125 us). Neither sums pairwise along a
            # non-last axis, so the accuracy is alike; the last bits may differ.
            letters = "abcdefghijklmnopqrstuvwxyz"[: x.ndim]
            kept = "".join(c for i, c in enumerate(letters) if i not in axes)
            s = np.einsum(f"{letters}->{kept}", x)
            if keepdims:
                s = s.reshape(tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
            return s
        return np.add.reduce(x, axes, keepdims=keepdims)
    return P.reduce_sum(x, axis=axes, keepdims=keepdims)


def expand(c: Any, shape: tuple[int, ...]) -> Any:
    """A compact cotangent (see ``unbroadcast``) as the full one of ``shape``."""
    return c if c.shape == shape else P.broadcast_to(c, shape=shape)


def _summed(c_shape: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Did a cotangent of ``c_shape`` need summing to reach ``shape``?"""
    lead = len(c_shape) - len(shape)
    return lead > 0 or any(a > b for a, b in zip(c_shape[max(lead, 0):], shape[max(-lead, 0):]))


class ReverseTracer(ArrayOps, Tracer):
    """A value on the tape; ``_var`` is what its cotangent attaches to."""

    __slots__ = ("_var",)

    def __init__(self, value: Any, trace: ReverseTrace, var: Var) -> None:
        self._value, self._trace, self._var = value, trace, var


class DualTracer(ArrayOps, Tracer):
    """A dual number: the value and its tangent."""

    __slots__ = ("_tangent",)

    def __init__(self, value: Any, trace: ForwardTrace, tangent: Any) -> None:
        self._value, self._trace, self._tangent = value, trace, tangent


class ReverseTrace:
    """A Wengert list: recorded in execution order, so backward is a loop over it reversed."""

    kind = "reverse-mode (rf.vjp/rf.grad)"

    def __init__(self) -> None:
        self.level = new_level()
        self.tape: list[Node] = []
        self.alive = True

    def new_input(self, value: Any) -> ReverseTracer:
        return ReverseTracer(value, self, Var())

    def process(self, prim: Primitive, args: tuple, params: dict) -> Any:
        if not self.alive:
            raise _escaped(self)
        vals = list(args)
        parents = []
        nested = False  # does any operand still carry an outer trace?
        for i, a in enumerate(args):
            if isinstance(a, Tracer):
                if a._trace is self:
                    parents.append((i, a._var))
                    vals[i] = a = a._value
                    nested = nested or isinstance(a, Tracer)
                else:
                    nested = True
        if nested:
            out = bind(prim, vals, params)
        else:
            try:  # apply_impl, written out: this is the hot path
                out = prim.impl(*vals, **params)
            except ValueError as e:
                raise ValueError(f"in refengine primitive '{prim.name}': {e}") from e
        if not prim.differentiable:
            return out
        if not prim.vjp:
            raise _no_rule_error(prim)
        if prim.data_args:
            for i, _ in parents:
                if i in prim.data_args:
                    raise _data_argument_error(prim, i, "reverse-mode (VJP)")
        node = Node(prim, vals, params, out, parents)
        self.tape.append(node)
        if prim.multiple_results:
            node.out_vars = tuple(Var() for _ in out)
            return tuple(ReverseTracer(o, self, v) for o, v in zip(out, node.out_vars))
        return ReverseTracer(out, self, node)

    def backward(
        self,
        seeds: dict[Any, Any],
        observe: Callable[[Node, Any, list], None] | None = None,
        *,
        consume: bool = False,
    ) -> dict[Any, Any]:
        """Propagate cotangents from the seeded outputs back through the tape; returns what
        is left: the cotangents of the input leaves, possibly compact (see ``unbroadcast``;
        ``expand`` gives the full ones).

        Elementwise primitives' and reductions' rules take the compact cotangent as it is
        (their results broadcast like the operands); any other primitive's get the full one.

        ``observe(node, g, sent)``, if given, sees each step: the cotangent arriving at the
        node and, per input, ``(position, key, cotangent sent, whether it was summed over
        broadcast axes)``, all in full (rf.explain shows the chain rule with them).

        ``consume=True`` empties the tape as it goes, so that each node's values are freed as
        soon as its step is done (their memory is then reused by the steps that follow); for a
        caller that walks the tape only once (rf.grad).
        """
        ct = dict(seeds)
        pop = ct.pop
        tape = self.tape
        k = len(tape)
        while k:
            k -= 1
            node = tape[k]
            if consume:
                del tape[k]
            prim = node.prim
            out = node.out
            if prim.multiple_results:
                gs = [pop(v, None) for v in node.out_vars]
                if all(g is None for g in gs):
                    continue
                g = tuple(
                    P.zeros_like(o) if gi is None else expand(gi, o.shape)
                    for gi, o in zip(gs, out)
                )
            else:
                g = pop(node, None)
                if g is None:
                    continue
                shape = out.shape
                if g.shape != shape and not prim.reduction and (
                    # compact: for reductions' rules, and elementwise ones where no traced
                    # operand was broadcast (so a result never stands for more than it shows)
                    not prim.elementwise
                    or any(node.args[i].shape != shape for i, _ in node.parents)
                ):
                    g = P.broadcast_to(g, shape=shape)
            rules, args, params = prim.vjp, node.args, node.params
            sent = [] if observe is not None else None
            for i, key in node.parents:
                rule = rules[i] if type(rules) is tuple else rules(i)
                c = rule(g, out, *args, **params)
                x = args[i]
                xs = x.shape
                cs = c.shape
                # (a 0-d cotangent is compact for any shape: nothing to sum)
                if (cs != xs and cs) or c.dtype != x.dtype:
                    if sent is not None:
                        summed = _summed(c.shape, xs)
                    c = unbroadcast(c, xs, x.dtype)
                elif sent is not None:
                    summed = False
                prev = ct.get(key)
                # `+` dispatches to the add primitive when either side is traced.
                ct[key] = c if prev is None else prev + c
                if sent is not None:
                    sent.append((i, key, expand(c, xs), summed))
            if sent is not None:
                observe(node, g if prim.multiple_results else expand(g, out.shape), sent)
        return ct


class ForwardTrace:
    """Dual numbers: every traced value carries a tangent, pushed through each primitive's JVP."""

    kind = "forward-mode (rf.jvp)"

    def __init__(self) -> None:
        self.level = new_level()
        self.alive = True

    def new_input(self, value: Any, tangent: Any) -> DualTracer:
        return DualTracer(value, self, tangent)

    def process(self, prim: Primitive, args: tuple, params: dict) -> Any:
        if not self.alive:
            raise _escaped(self)
        vals = []
        tangents = []
        for i, a in enumerate(args):
            if isinstance(a, Tracer) and a._trace is self:
                vals.append(a._value)
                tangents.append((i, a._tangent))
            else:
                vals.append(a)
        out = bind(prim, vals, params)
        if not prim.differentiable:
            return out
        if not prim.jvp:
            raise _no_rule_error(prim)
        t_out = None
        rules = prim.jvp
        for i, t in tangents:
            if i in prim.data_args:
                raise _data_argument_error(prim, i, "forward-mode (JVP)")
            rule = rules[i] if type(rules) is tuple else rules(i)
            c = rule(t, out, *vals, **params)
            if t_out is None:
                t_out = c
            elif prim.multiple_results:
                t_out = tuple(P.add(a, b) for a, b in zip(t_out, c))
            else:
                t_out = P.add(t_out, c)
        if prim.multiple_results:
            return tuple(DualTracer(o, self, _fit_tangent(t, o)) for o, t in zip(out, t_out))
        return DualTracer(out, self, _fit_tangent(t_out, out))


def _fit_tangent(t: Any, out: Any) -> Any:
    # A tangent from a broadcast operand (x + y with only the smaller x moving) has the
    # operand's shape; the output's tangent has the output's shape and dtype.
    shape = np.shape(out)
    if np.shape(t) != shape:
        t = P.broadcast_to(t, shape=shape)
    dtype = dtype_of(out)
    if dtype_of(t) != dtype:
        t = P.astype(t, dtype=dtype)
    return t
