"""The vocabulary's transforms (``scan``, ``fori_loop``, ``while_loop``, ``checkpoint``,
``stop_gradient``, ``custom_vjp``; contracts in ``refengine/control.py``) for each framework.

Each is the framework's own mechanism where it has one: ``jax.lax.scan``/``fori_loop``/
``while_loop``, ``jax.checkpoint``, ``jax.custom_vjp``; ``tf.scan``, ``tf.while_loop``,
``tf.recompute_grad``, ``tf.custom_gradient``; ``torch.utils.checkpoint.checkpoint``
(``use_reentrant=False``), ``torch.autograd.Function``; HIPS autograd's ``checkpoint`` and
``primitive`` + ``defvjp_argnums``. Where a framework has none (a loop in torch or autograd,
rematerialisation in NumPy) the entry is a ``composite``: the loop runs in Python, which is
what that framework's users write, and ``checkpoint(f)`` is ``f``, whose derivatives are the
same (only the memory differs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.namespace import COMPOSITE, NATIVE
from refengine.control import loops_over

__all__ = ["autograd_table", "jax_table", "python_table", "tensorflow_table", "torch_table"]

Entry = tuple[Callable[..., Any] | None, str]


def _unchanged(f: Callable[..., Any]) -> Callable[..., Any]:
    return f


def python_table(stack: Callable[..., Any], *, stop_gradient: Callable[..., Any] | None = None,
                 custom_vjp: Callable[..., Any] | None = None,
                 checkpoint: Callable[..., Any] | None = None) -> dict[str, Entry]:
    """The transforms for a framework without loops of its own: the loops in Python over its
    ``stack``; ``stop_gradient``, ``custom_vjp`` and ``checkpoint`` native where given, else
    the plain function (a value-only library: NumPy)."""
    scan, fori_loop, while_loop = loops_over(stack)
    table: dict[str, Entry] = {"scan": (scan, COMPOSITE), "fori_loop": (fori_loop, COMPOSITE),
                               "while_loop": (while_loop, COMPOSITE)}
    table["checkpoint"] = (checkpoint, NATIVE) if checkpoint else (_unchanged, COMPOSITE)
    table["stop_gradient"] = ((stop_gradient, NATIVE) if stop_gradient
                              else (_unchanged, COMPOSITE))
    table["custom_vjp"] = ((custom_vjp, NATIVE) if custom_vjp
                           else (lambda f, fwd, bwd: f, COMPOSITE))
    return table


# --- JAX ---------------------------------------------------------------------------------------
def jax_table() -> dict[str, Entry]:
    import jax

    def custom_vjp(f: Callable[..., Any], fwd: Callable[..., Any],
                   bwd: Callable[..., Any]) -> Callable[..., Any]:
        wrapped = jax.custom_vjp(f)
        wrapped.defvjp(fwd, lambda res, g: tuple(bwd(res, g)))
        return wrapped

    def scan(f: Callable[..., Any], init: Any, xs: Any = None, length: int | None = None) -> Any:
        return jax.lax.scan(f, init, xs, length=length)

    return {"scan": (scan, NATIVE), "fori_loop": (jax.lax.fori_loop, NATIVE),
            "while_loop": (jax.lax.while_loop, NATIVE), "checkpoint": (jax.checkpoint, NATIVE),
            "stop_gradient": (jax.lax.stop_gradient, NATIVE), "custom_vjp": (custom_vjp, NATIVE)}


# --- PyTorch -----------------------------------------------------------------------------------
def torch_table() -> dict[str, Entry]:
    import torch
    from torch.utils.checkpoint import checkpoint as torch_checkpoint

    def checkpoint(f: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args: torch_checkpoint(f, *args, use_reentrant=False)

    return python_table(lambda arrays: torch.stack(list(arrays)),
                        stop_gradient=torch.Tensor.detach, custom_vjp=_torch_custom_vjp,
                        checkpoint=checkpoint)


def _torch_custom_vjp(f: Callable[..., Any], fwd: Callable[..., Any],
                      bwd: Callable[..., Any]) -> Callable[..., Any]:
    """A ``torch.autograd.Function`` in the form ``torch.func`` accepts (``forward`` without
    ``ctx``, then ``setup_context``). It saves the inputs and runs ``fwd`` again in
    ``backward`` for the residuals, as torch's documentation asks of a Function that is to be
    differentiated twice: residuals saved from ``forward`` would be constants to the second
    derivative (measured: reverse over reverse then loses the terms through them). No ``jvp``
    staticmethod: as for a user who writes only the backward, forward mode is refused.
    ``generate_vmap_rule`` lets ``torch.func.vmap`` (and so the batched VJP) run forward and
    backward per batch entry, as a user following torch's "Extending torch.func" page would;
    without it vmap refuses the Function outright."""
    import torch

    class Custom(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(*args: Any) -> Any:
            return f(*args)

        @staticmethod
        def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            args = ctx.saved_tensors
            return tuple(bwd(fwd(*args)[1], g))

    Custom.__name__ = f"Custom_{getattr(f, '__name__', 'f')}"
    return Custom.apply


# --- TensorFlow --------------------------------------------------------------------------------
def tensorflow_table() -> dict[str, Entry]:
    import tensorflow as tf

    def scan(f: Callable[..., Any], init: Any, xs: Any = None, length: int | None = None) -> Any:
        # tf.scan stacks every accumulator: carry and y together make the accumulator, and the
        # first y's structure comes from one call of f (its value is not used).
        step = f
        if xs is None:  # a loop without inputs: length dummy entries, not passed on
            xs = tf.zeros((int(length), 0))

            def step(carry: Any, _x: Any) -> Any:
                return f(carry, None)

        first = tf.nest.map_structure(lambda a: a[0], xs)
        y0 = tf.nest.map_structure(tf.zeros_like, step(init, first)[1])
        carries, ys = tf.scan(lambda acc, x: step(acc[0], x), xs, initializer=(init, y0))
        return tf.nest.map_structure(lambda a: a[-1], carries), ys

    def fori_loop(lower: int, upper: int, body: Callable[..., Any], init: Any) -> Any:
        i0 = tf.constant(int(lower))
        _, out = tf.while_loop(lambda i, c: i < int(upper), lambda i, c: (i + 1, body(i, c)),
                               (i0, init), maximum_iterations=max(int(upper) - int(lower), 0))
        return out

    def while_loop(cond: Callable[..., Any], body: Callable[..., Any], init: Any) -> Any:
        return tf.while_loop(lambda c: cond(c), lambda c: (body(c),), (init,))[0]

    def checkpoint(f: Callable[..., Any]) -> Callable[..., Any]:
        return tf.recompute_grad(f)

    def custom_vjp(f: Callable[..., Any], fwd: Callable[..., Any],
                   bwd: Callable[..., Any]) -> Callable[..., Any]:
        @tf.custom_gradient
        def wrapped(*args: Any) -> Any:
            out, residuals = fwd(*args)
            return out, lambda g: tuple(bwd(residuals, g))

        return wrapped

    return {"scan": (scan, NATIVE), "fori_loop": (fori_loop, NATIVE),
            "while_loop": (while_loop, NATIVE), "checkpoint": (checkpoint, NATIVE),
            "stop_gradient": (tf.stop_gradient, NATIVE), "custom_vjp": (custom_vjp, NATIVE)}


# --- HIPS autograd -----------------------------------------------------------------------------
def autograd_table() -> dict[str, Entry]:
    import autograd
    import autograd.numpy as anp
    from autograd.extend import defvjp_argnums, primitive
    from autograd.tracer import getval

    def custom_vjp(f: Callable[..., Any], fwd: Callable[..., Any],
                   bwd: Callable[..., Any]) -> Callable[..., Any]:
        # autograd's rule makers see (argnums, ans, args, kwargs) only: fwd runs again there
        # for the residuals, once per backward pass.
        wrapped = primitive(f)

        def rule(argnums: Any, ans: Any, args: Any, kwargs: Any) -> Any:
            residuals = fwd(*args)[1]
            return lambda g: tuple(bwd(residuals, g)[i] for i in argnums)

        defvjp_argnums(wrapped, rule)
        return wrapped

    return python_table(anp.stack, stop_gradient=getval, custom_vjp=custom_vjp,
                        checkpoint=autograd.checkpoint)
