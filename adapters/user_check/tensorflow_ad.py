"""TensorFlow, eager: ``tf.GradientTape`` for reverse mode and ``tf.autodiff.ForwardAccumulator``
for forward mode.

Both nest in every order TensorFlow documents: a tape or an accumulator opened while another
is recording is recorded by it, so a second derivative is the outer one applied to the inner
one's computation (accumulators inside accumulators for forward over forward, the tape inside
an accumulator for forward over reverse). Tapes are persistent, as the checker may pull back
more than once. An op without a registered gradient ("No gradient defined") raises
``ModeUnavailable``.

Measured with TensorFlow 2.21 (``tests/test_user_check_tensorflow.py``): a
``tf.custom_gradient`` rule is used by reverse mode only, as ``ForwardAccumulator``
differentiates the ops inside the decorated function, so only the VJP checks test the rule; and
a tape over an accumulator around a ``tf.function`` call finds no connection (the VJP of the
JVP comes out 0), which the check reports as the failure it is.

A ``tf.Variable`` argument is checked as an input like a tensor: the checker evaluates the
function at many points, and at each the function receives a tensor holding that point's
value in the variable's place (so it must not assign to it). Eager execution only: calling
``check_grads`` inside a ``tf.function`` is an error (the function being checked may itself be
a ``tf.function``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from adapters.user_check.detect import native_framework
from adapters.user_check.user_ad import Transforms, UserAD
from refengine.comparison import ModeUnavailable
from refengine.tree import tree_flatten, tree_leaves, tree_unflatten

__all__ = ["TensorflowAD", "user_ad"]


def user_ad(device: str = "cpu") -> TensorflowAD:
    import tensorflow  # noqa: F401 - fails here, not mid-check, where TensorFlow is missing

    return TensorflowAD(f"/{device.upper()}:0")


class TensorflowAD(UserAD):
    name = "tensorflow"

    def owns(self, value: Any) -> bool:
        return native_framework(value) == "tensorflow"

    def device_of(self, value: Any) -> Any:
        return value.device

    def to_numpy(self, value: Any) -> np.ndarray:
        # bfloat16 comes back as ml_dtypes.bfloat16, TensorFlow's own NumPy type for it.
        return value.numpy() if hasattr(value, "numpy") else np.asarray(value)

    def from_numpy(self, array: np.ndarray, device: Any) -> Any:
        import tensorflow as tf

        with tf.device(device):
            return tf.constant(np.asarray(array))

    def dtype_of(self, value: Any) -> np.dtype:
        dtype = getattr(value, "dtype", None)
        if hasattr(dtype, "as_numpy_dtype"):
            return np.dtype(dtype.as_numpy_dtype)
        return np.asarray(value).dtype

    @contextmanager
    def scope(self) -> Iterator[None]:
        import tensorflow as tf

        if not tf.executing_eagerly():
            raise RuntimeError("check_grads runs TensorFlow eagerly; call it outside "
                               "tf.function (the function it checks may be a tf.function)")
        yield

    def transforms(self) -> Transforms:
        return _jvp, _vjp


def _jvp(fn: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    import tensorflow as tf

    if any(p.dtype.is_complex for p in primals):
        # The oracle's complex step evaluates the checker's derived functions (a JVP of f) at
        # complex points; an accumulator only warns and ignores complex primals, so refuse,
        # and the oracle uses real finite differences there.
        raise TypeError("tf.autodiff.ForwardAccumulator watches real floating values only")
    zero = tf.UnconnectedGradients.ZERO
    with _no_gradient_as_unavailable(), \
            tf.autodiff.ForwardAccumulator(list(primals), list(tangents)) as acc:
        leaves, structure = tree_flatten(fn(*primals))
        tangents_out = [acc.jvp(o, unconnected_gradients=zero) for o in leaves]
    return tree_unflatten(structure, leaves), tree_unflatten(structure, tangents_out)


def _vjp(fn: Callable[..., Any], *primals: Any) -> Any:
    import tensorflow as tf

    sources = list(primals)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(sources)
        out = fn(*primals)

    def pullback(cotangent: Any) -> tuple[Any, ...]:
        with _no_gradient_as_unavailable():
            grads = tape.gradient(tree_leaves(out), sources,
                                  output_gradients=tree_leaves(cotangent),
                                  unconnected_gradients=tf.UnconnectedGradients.ZERO)
        # tf.gather and friends give IndexedSlices: the checker wants dense gradients.
        return tuple(tf.convert_to_tensor(g) for g in grads)

    return out, pullback


@contextmanager
def _no_gradient_as_unavailable() -> Iterator[None]:
    try:
        yield
    except LookupError as exc:
        if "No gradient defined" not in str(exc):
            raise
        raise ModeUnavailable(f"TensorFlow has no gradient for an op here "
                              f"({str(exc).splitlines()[0]})") from exc
