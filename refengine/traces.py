"""The two transformations: a reverse-mode tape and forward-mode dual numbers.

Each ``rf.vjp``/``rf.jvp`` call opens a trace with a fresh, higher level. A primitive applied to
traced values is handled by the innermost (highest-level) trace among its arguments, which
computes the primitive on the unwrapped values through ``bind`` again, so that outer traces see
it too. Derivative rules are written in refengine's own primitives, so the backward pass of an
inner trace is itself recorded by outer traces: that is what makes higher order work.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine.array_ops import ArrayOps
from refengine.primitive import Primitive, Tracer, bind

__all__ = [
    "DualTracer",
    "ForwardTrace",
    "Node",
    "ReverseTrace",
    "ReverseTracer",
    "Var",
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
    """One output of one recorded primitive (or one input leaf): what cotangents attach to."""

    __slots__ = ("dtype", "shape")

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.shape = shape
        self.dtype = dtype


class Node:
    """One primitive application on the tape."""

    __slots__ = ("args", "out", "out_vars", "params", "parents", "prim")

    def __init__(self, prim, args, params, out, out_vars, parents) -> None:
        self.prim = prim
        self.args = args
        self.params = params
        self.out = out
        self.out_vars = out_vars
        self.parents = parents  # list of (argument position, Var)


def unbroadcast(x: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """Undo broadcasting and restore the dtype: the one place this happens in the engine.

    A cotangent computed for a broadcast operand has the output's shape; summing over the
    broadcast axes gives the operand's. Mixed-precision ops compute in the wider dtype; the
    cotangent of a float32 operand is cast back so float32 stays float32.
    """
    xshape = np.shape(x)
    if xshape != shape:
        lead = len(xshape) - len(shape)
        if lead < 0:  # a rule returned a cotangent that still needs broadcasting (a constant)
            x = P.broadcast_to(x, shape=shape)
        else:
            axes = tuple(range(lead)) + tuple(
                lead + i for i, n in enumerate(shape) if n == 1 and xshape[lead + i] != 1
            )
            if axes:
                x = P.reduce_sum(x, axis=axes, keepdims=False)
            if np.shape(x) != shape:
                x = P.reshape(x, shape=shape)
    if _dtype_of(x) != dtype:
        x = P.astype(x, dtype=dtype)
    return x


def _dtype_of(x: Any) -> np.dtype:
    d = getattr(x, "dtype", None)
    return d if d is not None else np.asarray(x).dtype


class ReverseTracer(ArrayOps, Tracer):
    __slots__ = ("_var",)

    def __init__(self, value: Any, trace: ReverseTrace, var: Var) -> None:
        self._value = value
        self._trace = trace
        self._var = var


class DualTracer(ArrayOps, Tracer):
    __slots__ = ("_tangent",)

    def __init__(self, value: Any, trace: ForwardTrace, tangent: Any) -> None:
        self._value = value
        self._trace = trace
        self._tangent = tangent


class ReverseTrace:
    """A Wengert list: recorded in execution order, so backward is a loop over it reversed."""

    kind = "reverse-mode (rf.vjp/rf.grad)"

    def __init__(self) -> None:
        self.level = new_level()
        self.tape: list[Node] = []
        self.alive = True

    def new_input(self, value: Any) -> ReverseTracer:
        return ReverseTracer(value, self, Var(np.shape(value), _dtype_of(value)))

    def process(self, prim: Primitive, args: tuple, params: dict) -> Any:
        if not self.alive:
            raise _escaped(self)
        vals = []
        parents = []
        for i, a in enumerate(args):
            if isinstance(a, Tracer) and a._trace is self:
                vals.append(a._value)
                parents.append((i, a._var))
            else:
                vals.append(a)
        out = bind(prim, vals, params)
        if not prim.differentiable:
            return out
        for i, _ in parents:
            if prim.vjp_rule(i) is None:
                raise NotImplementedError(
                    f"refengine has no reverse-mode (VJP) rule for argument {i} of "
                    f"'{prim.name}'; that argument is not differentiable. Pass it as a "
                    "constant (not derived from the differentiated inputs)."
                )
        if prim.multiple_results:
            out_vars = tuple(Var(np.shape(o), _dtype_of(o)) for o in out)
            self.tape.append(Node(prim, vals, params, out, out_vars, parents))
            return tuple(ReverseTracer(o, self, v) for o, v in zip(out, out_vars))
        var = Var(np.shape(out), _dtype_of(out))
        self.tape.append(Node(prim, vals, params, out, var, parents))
        return ReverseTracer(out, self, var)

    def backward(self, seeds: dict[Var, Any]) -> dict[Var, Any]:
        """Propagate cotangents from output Vars back to every Var; returns the leftovers
        (the cotangents of input leaves)."""
        ct = dict(seeds)
        pop = ct.pop
        for node in reversed(self.tape):
            if node.prim.multiple_results:
                gs = [pop(v, None) for v in node.out_vars]
                if all(g is None for g in gs):
                    continue
                g = tuple(
                    P.zeros_like(o) if gi is None else gi for gi, o in zip(gs, node.out)
                )
            else:
                g = pop(node.out_vars, None)
                if g is None:
                    continue
            for i, var in node.parents:
                c = node.prim.vjp_rule(i)(g, node.out, *node.args, **node.params)
                c = unbroadcast(c, var.shape, var.dtype)
                prev = ct.get(var)
                ct[var] = c if prev is None else P.add(prev, c)
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
        t_out = None
        for i, t in tangents:
            rule = prim.jvp_rule(i)
            if rule is None:
                raise NotImplementedError(
                    f"refengine has no forward-mode (JVP) rule for argument {i} of "
                    f"'{prim.name}'; that argument is not differentiable. Pass it as a "
                    "constant (not derived from the differentiated inputs)."
                )
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
    dtype = _dtype_of(out)
    if _dtype_of(t) != dtype:
        t = P.astype(t, dtype=dtype)
    return t
