"""Control flow and derivative control, JAX style: loops (``scan``, ``fori_loop``,
``while_loop``), ``checkpoint`` (rematerialisation) and ``custom_vjp`` (a rule written by the
user). ``stop_gradient`` is a primitive of the table (``refengine.primitives``).

refengine has no loop primitive: its loops run in Python and are recorded op by op, as any
eager framework's are (``loops_over`` builds the same three loops over another library's
``stack``). ``custom_vjp`` registers a rule for one function: each wrapped function is a
primitive of its own, outside the derivative table (the table holds the engine's rules, this
the user's), so the tape records one node for the whole call and its VJP is the user's
``bwd``. ``checkpoint`` is a ``custom_vjp`` whose rule reruns the function under ``vjp``: the
forward pass keeps only the inputs, not the intermediate values.

Contracts (as ``jax.lax`` and ``jax.custom_vjp``):

- ``scan(f, init, xs, length=None)``: ``f(carry, x) -> (carry, y)``; returns the last carry and
  the ``y``s stacked along a new first axis. ``xs`` (an array or a tuple of arrays) is sliced
  along its first axis; ``None`` with ``length`` for a loop without inputs. ``y`` may be an
  array, a tuple of arrays or ``None``.
- ``fori_loop(lower, upper, body, init)``: ``body(i, carry) -> carry`` for i in
  ``range(lower, upper)`` (Python ints).
- ``while_loop(cond, body, init)``: ``body`` while ``cond(carry)`` is true.
- ``custom_vjp(f, fwd, bwd)``: ``f(*args)`` returns one array; ``fwd(*args) -> (out,
  residuals)``; ``bwd(residuals, g) -> one cotangent per argument``. The residuals are any
  values; refengine keeps none between the passes (a rule sees only the node's inputs and
  output), so ``fwd`` runs again when the rule is applied. Forward mode differentiates ``f``
  itself (JAX refuses a ``custom_vjp`` under ``jvp``; TensorFlow's ForwardAccumulator also
  uses the function's own derivative).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from refengine.primitive import Primitive, Tracer

__all__ = ["checkpoint", "custom_vjp", "fori_loop", "loops_over", "scan", "while_loop"]

Loops = tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]


def loops_over(stack: Callable[[Sequence[Any]], Any]) -> Loops:
    """``(scan, fori_loop, while_loop)`` unrolled in Python, stacking ``scan``'s outputs with
    ``stack`` (any library's NumPy-style ``stack(arrays)``)."""

    def scan(f: Callable[..., Any], init: Any, xs: Any = None, length: int | None = None
             ) -> tuple[Any, Any]:
        n = _length(xs, length)
        carry, ys = init, []
        for t in range(n):
            x = None if xs is None else (
                tuple(a[t] for a in xs) if isinstance(xs, tuple) else xs[t])
            carry, y = f(carry, x)
            ys.append(y)
        return carry, _stacked(stack, ys)

    def fori_loop(lower: int, upper: int, body: Callable[[int, Any], Any], init: Any) -> Any:
        carry = init
        for i in range(int(lower), int(upper)):
            carry = body(i, carry)
        return carry

    def while_loop(cond: Callable[[Any], Any], body: Callable[[Any], Any], init: Any) -> Any:
        carry = init
        while bool(cond(carry)):
            carry = body(carry)
        return carry

    return scan, fori_loop, while_loop


def _length(xs: Any, length: int | None) -> int:
    if xs is None:
        if length is None:
            raise ValueError("scan: give xs or length (a loop without inputs needs length)")
        return int(length)
    first = xs[0] if isinstance(xs, tuple) else xs
    n = int(first.shape[0])
    if length is not None and int(length) != n:
        raise ValueError(f"scan: length={length} but xs has {n} entries along axis 0")
    return n


def _stacked(stack: Callable[[Sequence[Any]], Any], ys: list[Any]) -> Any:
    if not ys or ys[0] is None:
        return None
    if isinstance(ys[0], tuple):
        return tuple(stack([y[k] for y in ys]) for k in range(len(ys[0])))
    return stack(ys)


def _stack(arrays: Sequence[Any]) -> Any:
    from refengine import numpy as rnp  # refengine.numpy imports this module

    return rnp.stack(arrays)


scan, fori_loop, while_loop = loops_over(_stack)


def custom_vjp(f: Callable[..., Any], fwd: Callable[..., tuple[Any, Any]],
               bwd: Callable[[Any, Any], Sequence[Any]]) -> Callable[..., Any]:
    """``f`` with the reverse-mode rule ``bwd`` (see the module's contract): a primitive of
    its own, so reverse mode records one node for the call; forward mode goes through ``f``."""
    name = f"custom_vjp[{getattr(f, '__name__', 'f')}]"
    memo: dict[str, Any] = {}

    def cotangents(g: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        # One rule per argument, each asked in turn for the same node: apply bwd once.
        key = (id(g), tuple(id(a) for a in args))
        if memo.get("key") != key:
            _, residuals = fwd(*args)
            out = tuple(bwd(residuals, g))
            if len(out) != len(args):
                raise ValueError(f"{name}: bwd returned {len(out)} cotangents for "
                                 f"{len(args)} arguments; return one per argument")
            memo.update(key=key, value=out, keep=(g, args))  # keep: ids stay unique
        return memo["value"]

    return _primitive(name, f, lambda i: lambda g, ans, *args: cotangents(g, args)[i])


def checkpoint(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` rematerialised (``jax.checkpoint``): reverse mode records one node that keeps the
    inputs only, and its rule runs ``f`` again under ``vjp`` to get the cotangents."""
    from refengine.api import vjp

    name = f"checkpoint[{getattr(f, '__name__', 'f')}]"
    memo: dict[str, Any] = {}

    def cotangents(g: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        key = (id(g), tuple(id(a) for a in args))
        if memo.get("key") != key:
            memo.update(key=key, value=vjp(f, *args)[1](g), keep=(g, args))
        return memo["value"]

    return _primitive(name, f, lambda i: lambda g, ans, *args: cotangents(g, args)[i])


def _primitive(name: str, f: Callable[..., Any], vjp_rule: Callable[[int], Any]
               ) -> Callable[..., Any]:
    """A primitive computing ``f`` on plain values, with ``vjp_rule(i)`` for argument i and a
    JVP that pushes the tangent through ``f``'s own operations."""
    from refengine.api import jvp

    def jvp_rule(i: int) -> Callable[..., Any]:
        def rule(t: Any, ans: Any, *args: Any) -> Any:
            def along(x: Any) -> Any:
                return f(*args[:i], x, *args[i + 1:])

            return jvp(along, (args[i],), (t,))[1]

        return rule

    prim = Primitive(name, f)
    prim.vjp, prim.jvp = vjp_rule, jvp_rule
    prim.note = "a user's rule (refengine.control), outside the derivative table"

    def wrapped(*args: Any) -> Any:
        if not any(isinstance(a, Tracer) for a in args):
            return f(*args)
        return prim(*args)

    wrapped.__name__ = name
    wrapped.__doc__ = f.__doc__
    return wrapped
