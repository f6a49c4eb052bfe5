"""TEMPORARY: delete at merge, once ``adapters.check_grads`` exists (issue 16).

A stand-in for the public ``adapters.check_grads`` so the zoo can run before it lands: it wraps
each framework's own JVP and VJP in ``refengine.check.ADFunctions`` and calls
``refengine.check.check_derivatives`` unchanged (the issue's 40-line prototype, for torch via
``torch.func``, JAX, TensorFlow and HIPS autograd). It adds nothing to the checker: whatever
the zoo finds wrong with it is the checker's (or this stand-in's) current state, not a fix.

What it does not do, on purpose (the adapters' job): old-style ``torch.autograd.Function``
(``torch.func`` refuses them), bfloat16/float16 inputs, functions with float32 constants
inside (the oracle evaluates at float64).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refengine.check import ADFunctions, CheckConfig, Comparison, check_derivatives
from refengine.comparison import ModeUnavailable

__all__ = ["check_grads"]


def check_grads(
    framework: str,
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    rng: Any = None,
) -> list[Comparison]:
    """``adapters.check_grads`` as it will be called, with the framework named."""
    ad = _AD_FUNCTIONS[framework]()
    arrays = [np.asarray(ad.to_numpy(a)) for a in args]
    config = CheckConfig(modes=tuple(modes), order=order, atol=atol, rtol=rtol)
    name = getattr(f, "__name__", "f")
    return check_derivatives(f, arrays, ad=ad, config=config, rng=rng, name=name)


def _unavailable(exc: Exception) -> ModeUnavailable:
    return ModeUnavailable(str(exc).splitlines()[0])


def _torch() -> ADFunctions:
    import ml_dtypes
    import torch

    dtypes = {torch.float64: np.dtype(np.float64), torch.float32: np.dtype(np.float32),
              torch.float16: np.dtype(np.float16), torch.bfloat16: np.dtype(ml_dtypes.bfloat16)}

    def jvp(f: Any, primals: Any, tangents: Any) -> Any:
        try:
            return torch.func.jvp(f, tuple(primals), tuple(tangents))
        except NotImplementedError as exc:  # a Function without a jvp staticmethod
            raise _unavailable(exc) from exc

    def to_numpy(t: Any) -> np.ndarray:
        t = t.detach()
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        return t.numpy()

    return ADFunctions(
        jvp=jvp,
        vjp=torch.func.vjp,
        from_numpy=lambda a: torch.from_numpy(np.array(a)),
        to_numpy=to_numpy,
        dtype_of=lambda t: dtypes[t.dtype],
    )


def _jax() -> ADFunctions:
    import jax
    import jax.numpy as jnp

    def jvp(f: Any, primals: Any, tangents: Any) -> Any:
        try:
            return jax.jvp(f, tuple(primals), tuple(tangents))
        except TypeError as exc:
            if "custom_vjp" not in str(exc):
                raise
            raise _unavailable(exc) from exc

    return ADFunctions(jvp=jvp, vjp=jax.vjp, from_numpy=jnp.asarray, to_numpy=np.asarray,
                       dtype_of=lambda x: np.dtype(x.dtype))


def _tensorflow() -> ADFunctions:
    import tensorflow as tf

    zero = tf.UnconnectedGradients.ZERO

    def jvp(f: Any, primals: Any, tangents: Any) -> Any:
        with tf.autodiff.ForwardAccumulator(list(primals), list(tangents)) as acc:
            out = f(*primals)
        return out, acc.jvp(out, unconnected_gradients=zero)

    def vjp(f: Any, *primals: Any) -> Any:
        with tf.GradientTape(persistent=True) as tape:
            for p in primals:
                tape.watch(p)
            out = f(*primals)

        def pullback(cotangent: Any) -> tuple[Any, ...]:
            grads = tape.gradient(tf.nest.flatten(out), list(primals),
                                  output_gradients=tf.nest.flatten(cotangent),
                                  unconnected_gradients=zero)
            return tuple(grads)

        return out, pullback

    return ADFunctions(jvp=jvp, vjp=vjp, from_numpy=tf.constant,
                       to_numpy=lambda t: np.asarray(t),
                       dtype_of=lambda t: np.dtype(t.dtype.as_numpy_dtype))


def _autograd() -> ADFunctions:
    from autograd.builtins import tuple as traced_tuple
    from autograd.core import make_jvp, make_vjp

    def on_tuple(f: Any) -> Any:
        """f of one tuple argument; a tuple output becomes autograd's traced tuple (a plain one
        would hide its entries from an enclosing trace: "output seems independent of input")."""

        def g(xs: Any) -> Any:
            out = f(*xs)
            return traced_tuple(out) if isinstance(out, (tuple, list)) else out

        return g

    def jvp(f: Any, primals: Any, tangents: Any) -> Any:
        try:
            return make_jvp(on_tuple(f), tuple(primals))(tuple(tangents))
        except NotImplementedError as exc:  # a primitive without defjvp
            raise _unavailable(exc) from exc

    def vjp(f: Any, *primals: Any) -> Any:
        pullback, out = make_vjp(on_tuple(f), tuple(primals))

        def call(cotangent: Any) -> Any:
            try:
                return traced_tuple(pullback(cotangent))
            except NotImplementedError as exc:
                raise _unavailable(exc) from exc

        return out, call

    return ADFunctions(jvp=jvp, vjp=vjp)


_AD_FUNCTIONS: dict[str, Callable[[], ADFunctions]] = {
    "torch": _torch, "jax": _jax, "tensorflow": _tensorflow, "autograd": _autograd,
}
