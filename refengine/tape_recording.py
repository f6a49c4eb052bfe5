"""Run ``f`` under refengine's two transformations and keep every intermediate.

Reverse mode: ``f`` runs under a ``ReverseTrace`` (the tape), and the engine's own backward pass
runs with an observer that keeps each step: the cotangent arriving at each node and what it
sends to each operand. A test holds the result to ``rf.grad``/``rf.vjp`` bit for bit.

Forward mode: ``f`` runs again under a ``ForwardTrace`` (dual numbers), and each primitive's
output tangent is kept. Both runs see the same values, so they apply the same primitives in the
same order: the k-th forward record belongs to the k-th node of the tape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from refengine.primitive import Primitive, Tracer
from refengine.traces import ForwardTrace, Node, ReverseTrace, expand

__all__ = [
    "Contribution", "ExplainError", "InputRecord", "NodeRecord", "Operand", "Recording", "record",
]


class ExplainError(ValueError):
    """``explain`` cannot explain this function or these inputs; the message says why."""


@dataclass(frozen=True)
class InputRecord:
    """One differentiated input: its name, value, tangent (forward mode) and gradient."""

    name: str
    argnum: int
    value: np.ndarray
    tangent: np.ndarray
    grad: np.ndarray


@dataclass(frozen=True)
class Operand:
    """One positional operand of a node: a traced value (``label`` names it) or a constant."""

    position: int
    label: str | None  # "x", "v3", "v5[1]"; None for a constant
    value: Any
    data_name: str | None = None  # the input's name when a constant is a data input of f


@dataclass(frozen=True)
class Contribution:
    """What a node's backward step sends to one traced operand (after undoing broadcasting)."""

    position: int
    target: str
    value: Any
    unbroadcast: bool  # the rule's result had the output's shape and was summed back


@dataclass
class NodeRecord:
    """One primitive application: the forward value, its tangent, and its backward step."""

    index: int  # 0-based position on the tape; the label is v{index + 1}
    prim: Primitive
    params: dict[str, Any]
    operands: list[Operand]
    out: Any  # an array, or a tuple of arrays for a multiple-output primitive
    tangent: Any = None
    cotangent: Any = None  # g, the cotangent arriving here; None when nothing reached it
    sent: list[Contribution] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"v{self.index + 1}"

    @property
    def name(self) -> str:
        return self.prim.name

    def out_labels(self) -> tuple[str, ...]:
        if self.prim.multiple_results:
            return tuple(f"{self.label}[{j}]" for j in range(len(self.out)))
        return (self.label,)


@dataclass
class Recording:
    """Everything refengine computed for ``f`` at one point, in one direction pair."""

    inputs: list[InputRecord]
    data: dict[str, Any]  # name -> a non-differentiated input (indices, masks, fixed data)
    nodes: list[NodeRecord]
    output: np.ndarray
    output_label: str | None  # None when the output does not depend on the inputs
    cotangent: np.ndarray  # u, the seed of the backward pass
    output_tangent: np.ndarray  # J v from forward mode
    dropped: list[tuple[str, int]]  # (primitive, tape position) applied with zero derivative

    @property
    def grads(self) -> tuple[np.ndarray, ...]:
        return tuple(i.grad for i in self.inputs)

    @property
    def tangents(self) -> tuple[np.ndarray, ...]:
        return tuple(i.tangent for i in self.inputs)


class _Tape(ReverseTrace):
    """A tape that also notes the non-differentiable primitives applied to traced values
    (comparisons, sign, argmax): the engine records nothing for them, but a reader of the
    graph should see that they were there and contribute no derivative."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped: list[tuple[str, int]] = []

    def process(self, prim: Primitive, args: tuple, params: dict) -> Any:
        out = super().process(prim, args, params)
        if not prim.differentiable:
            self.dropped.append((prim.name, len(self.tape)))
        return out


class _Duals(ForwardTrace):
    """Dual numbers that keep each primitive's output tangent, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tangents: list[tuple[str, Any]] = []

    def process(self, prim: Primitive, args: tuple, params: dict) -> Any:
        out = super().process(prim, args, params)
        if prim.differentiable:
            t = tuple(o._tangent for o in out) if prim.multiple_results else out._tangent
            self.tangents.append((prim.name, t))
        return out


def _as_array(x: Any, what: str) -> np.ndarray:
    if isinstance(x, Tracer):
        raise ExplainError(f"{what} is a traced value; explain runs its own transformations")
    arr = np.asarray(x)
    if arr.dtype == object:
        raise ExplainError(f"{what} is a {type(x).__name__}; explain takes NumPy arrays")
    return arr


def _call(f: Callable[..., Any], args: list[Any], boxed: dict[int, Any]) -> Any:
    full = list(args)
    for i, b in boxed.items():
        full[i] = b
    return f(*full)


def record(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    argnums: Sequence[int],
    names: Sequence[str],
    cotangent: np.ndarray | None = None,
    tangents: Sequence[np.ndarray] | None = None,
) -> Recording:
    """Run ``f(*args)`` forward, backward (seeded with ``cotangent``; 1 for a scalar output)
    and in forward mode (along ``tangents``), keeping every node's value, cotangent and tangent.

    ``argnums`` are the differentiated argument positions (float arrays); the other arguments
    are data. ``names`` gives every argument a name for the report.
    """
    values = [_as_array(a, f"argument {names[i]!r}") for i, a in enumerate(args)]
    for i in argnums:
        if values[i].dtype not in (np.float32, np.float64):
            raise ExplainError(
                f"argument {names[i]!r} has dtype {values[i].dtype}; only float32/float64 "
                "inputs can be differentiated"
            )
    tape = _Tape()
    leaves = {i: tape.new_input(values[i]) for i in argnums}
    try:
        out = _call(f, values, leaves)
    finally:
        tape.alive = False
    if isinstance(out, (tuple, list, dict)):
        raise ExplainError("explain needs f to return one array, not a tuple, list or dict")
    traced = isinstance(out, Tracer) and out._trace is tape
    output = np.asarray(out._value if traced else out)
    if output.dtype.kind != "f":
        raise ExplainError(f"f returned dtype {output.dtype}; explain needs a float output")
    u = _seed(cotangent, output)
    leftover = _walk_back(tape, {out._var: u} if traced else {})
    v = _tangents(tangents, values, argnums)
    output_tangent, forward = _run_forward(f, values, argnums, v)
    labels = _labels(tape.tape, leaves, names)
    data_names = {id(values[i]): names[i] for i in range(len(values)) if i not in leaves}
    nodes = _nodes(tape.tape, labels, forward, leftover, data_names)
    inputs = []
    for i, t in zip(argnums, v):
        g = leftover.cotangents.get(leaves[i]._var)
        g = (np.zeros(values[i].shape, values[i].dtype) if g is None
             else np.asarray(expand(g, values[i].shape)))
        inputs.append(InputRecord(names[i], i, values[i], t, g))
    return Recording(
        inputs=inputs,
        data={names[i]: values[i] for i in range(len(values)) if i not in leaves},
        nodes=nodes,
        output=output,
        output_label=labels.get(out._var) if traced else None,
        cotangent=u,
        output_tangent=np.asarray(output_tangent),
        dropped=tape.dropped,
    )


def _seed(cotangent: np.ndarray | None, output: np.ndarray) -> np.ndarray:
    if cotangent is None:
        if output.shape != ():
            raise ExplainError(
                f"f returned shape {output.shape}: give a cotangent of that shape (explain "
                "then explains the VJP u^T J), or reduce the output to a scalar"
            )
        return np.ones((), output.dtype)  # what rf.grad seeds
    u = np.asarray(cotangent)
    if u.shape != output.shape:
        raise ExplainError(f"cotangent has shape {u.shape}, f's output has {output.shape}")
    return u.astype(output.dtype)  # as rf.vjp's vjp_fn does


def _tangents(
    tangents: Sequence[np.ndarray] | None, values: list[np.ndarray], argnums: Sequence[int]
) -> list[np.ndarray]:
    if tangents is None:
        return [np.ones_like(values[i]) for i in argnums]
    if len(tangents) != len(argnums):
        raise ExplainError(f"{len(tangents)} tangents for {len(argnums)} differentiated inputs")
    out = []
    for i, t in zip(argnums, tangents):
        t = np.asarray(t)
        if t.shape != values[i].shape:
            raise ExplainError(f"tangent of shape {t.shape} for an input of shape "
                               f"{values[i].shape}")
        out.append(t.astype(values[i].dtype))  # as rf.jvp does
    return out


@dataclass
class _Backward:
    cotangents: dict[Any, Any]  # what is left: the input leaves' cotangents
    steps: dict[int, tuple[Any, list[tuple[int, Any, Any, bool]]]]


def _walk_back(trace: ReverseTrace, seeds: dict[Any, Any]) -> _Backward:
    """``ReverseTrace.backward`` itself, keeping each step it reports."""
    index = {id(node): k for k, node in enumerate(trace.tape)}
    steps: dict[int, tuple[Any, list[tuple[int, Any, Any, bool]]]] = {}

    def keep(node: Node, g: Any, sent: list[tuple[int, Any, Any, bool]]) -> None:
        steps[index[id(node)]] = (g, sent)

    return _Backward(trace.backward(seeds, observe=keep), steps)


def _run_forward(
    f: Callable[..., Any], values: list[np.ndarray], argnums: Sequence[int],
    tangents: list[np.ndarray],
) -> tuple[Any, list[tuple[str, Any]]]:
    duals = _Duals()
    boxed = {i: duals.new_input(values[i], t) for i, t in zip(argnums, tangents)}
    try:
        out = _call(f, values, boxed)
    finally:
        duals.alive = False
    if isinstance(out, Tracer) and out._trace is duals:
        return out._tangent, duals.tangents
    return np.zeros(np.shape(out), np.asarray(out).dtype), duals.tangents


def _labels(tape: list[Node], leaves: dict[int, Any], names: Sequence[str]) -> dict[Any, str]:
    labels: dict[Any, str] = {leaf._var: names[i] for i, leaf in leaves.items()}
    for k, node in enumerate(tape):
        if node.out_vars is not None:
            for j, var in enumerate(node.out_vars):
                labels[var] = f"v{k + 1}[{j}]"
        else:
            labels[node] = f"v{k + 1}"
    return labels


def _nodes(
    tape: list[Node], labels: dict[Any, str], forward: list[tuple[str, Any]], back: _Backward,
    data_names: dict[int, str],
) -> list[NodeRecord]:
    # Both runs apply the same primitives in the same order (same values, same control flow);
    # a mismatch means f is not deterministic, and tangents are then left out, not misplaced.
    aligned = len(forward) == len(tape) and all(
        name == node.prim.name for (name, _), node in zip(forward, tape)
    )
    nodes = []
    for k, node in enumerate(tape):
        parent_of = dict(node.parents)
        operands = [
            Operand(i, labels.get(parent_of[i]) if i in parent_of else None, a,
                    data_names.get(id(a)))
            for i, a in enumerate(node.args)
        ]
        rec = NodeRecord(k, node.prim, dict(node.params), operands, node.out,
                         tangent=forward[k][1] if aligned else None)
        if k in back.steps:
            g, sent = back.steps[k]
            rec.cotangent = g
            rec.sent = [Contribution(i, labels[key], c, summed) for i, key, c, summed in sent]
        nodes.append(rec)
    return nodes
