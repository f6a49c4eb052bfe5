"""adapters.check_grads on TensorFlow functions, eagerly: GradientTape for reverse mode,
ForwardAccumulator for forward mode, nested for second order; tf.custom_gradient rules (and
the same rule planted wrong: it must fail); tf.Variable arguments checked as inputs; two
findings about TensorFlow's own nesting."""

from __future__ import annotations

import os

import numpy as np
import pytest

import adapters
from refengine.check import GradientCheckError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")


def _x(*shape: int, dtype: str = "float64", seed: int = 0) -> object:
    return tf.constant(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def test_a_plain_function_of_nested_arguments_with_a_dict_output_passes_every_check() -> None:
    def f(params: dict, x: object) -> dict:
        h = tf.tanh(tf.linalg.matvec(params["w"], x))
        return {"sum": tf.reduce_sum(h ** 2) * params["s"], "h": h}

    args = ({"w": _x(2, 3), "s": _x(seed=1)}, _x(3, seed=2))
    results = adapters.check_grads(f, args)
    assert len(results) == 6 and all(c.checked and c.passed for c in results)


def test_variables_are_checked_as_inputs() -> None:
    w = tf.Variable(np.random.default_rng(0).standard_normal((3, 2)))
    seen = []

    def f(w: object, x: object) -> object:
        seen.append(type(w).__name__)
        return tf.reduce_sum(tf.sin(tf.linalg.matvec(w, x, transpose_a=True)))

    results = adapters.check_grads(f, (w, _x(3, seed=1)))
    assert len(results) == 6 and all(c.passed for c in results)
    assert results[1].argument is not None  # a full-Jacobian comparison names its argument
    # A wrong gradient for the variable is caught too: scale its use in a custom gradient.
    with pytest.raises(GradientCheckError) as caught:
        adapters.check_grads(lambda w, x: _scaled_sin(1.001)(tf.reduce_sum(w) * x), (w, _x(3)),
                             modes=("rev",), order=1)
    assert caught.value.comparison.mode == "rev"


def _scaled_sin(scale: float) -> object:
    @tf.custom_gradient
    def sin(x: object) -> tuple:
        def grad(g: object) -> object:
            return g * tf.cos(x) * scale

        return tf.sin(x), grad

    return sin


def test_a_custom_gradient_passes_every_check() -> None:
    sin = _scaled_sin(1.0)
    results = adapters.check_grads(lambda x: sin(x) * x, (_x(3),))
    assert len(results) == 6 and all(c.checked and c.passed for c in results)


def test_a_wrong_custom_gradient_fails_in_reverse_mode_at_both_orders() -> None:
    sin = _scaled_sin(1.001)
    with pytest.raises(GradientCheckError) as caught:
        adapters.check_grads(lambda x: sin(x), (_x(3),), modes=("rev",), order=1)
    assert caught.value.comparison.check == "VJP of <lambda>"
    # A rule right in value but not in its own derivative shows at second order only.
    @tf.custom_gradient
    def square(x: object) -> tuple:
        def grad(g: object) -> object:
            return g * (2 * x + 0.001 * (x - tf.stop_gradient(x)))

        return x * x, grad

    assert adapters.check_grads(square, (_x(3),), modes=("rev",), order=1)
    with pytest.raises(GradientCheckError) as caught:
        adapters.check_grads(square, (_x(3),), modes=("rev",), order=2)
    assert caught.value.comparison.check == "VJP of VJP of square"


def test_forward_mode_differentiates_the_ops_inside_a_custom_gradient() -> None:
    """A finding (TensorFlow 2.21, eager): tf.autodiff.ForwardAccumulator does not use a
    tf.custom_gradient's rule, it differentiates the ops the decorated function runs; so the
    forward checks cannot see a wrong rule (they check what TensorFlow computes, which is
    right), and only the reverse checks can."""
    sin = _scaled_sin(1.1)
    results = adapters.check_grads(lambda x: sin(x), (_x(3),), modes=("fwd",))
    assert [c.check for c in results] == ["JVP of <lambda>", "JVP of JVP of <lambda>"]
    assert all(c.passed for c in results)
    with pytest.raises(GradientCheckError):
        adapters.check_grads(lambda x: sin(x), (_x(3),))


def test_reverse_over_forward_through_a_tf_function_is_caught_losing_the_derivative() -> None:
    """A finding (TensorFlow 2.21): a GradientTape over a ForwardAccumulator around a call of
    a tf.function finds no connection (tape.gradient returns None), so the VJP of the JVP is
    0. The other nestings, and first order, are right."""

    @tf.function
    def f(x: object) -> object:
        return tf.exp(tf.sin(x))

    assert all(c.passed for c in adapters.check_grads(f, (_x(3),), order=1))
    assert all(c.passed for c in adapters.check_grads(f, (_x(3),), modes=("rev",)))
    with pytest.raises(GradientCheckError) as caught:
        adapters.check_grads(f, (_x(3),))
    assert caught.value.comparison.check == "VJP of JVP of f"
    assert caught.value.comparison.ad_value == 0


def test_check_grads_inside_a_tf_function_is_refused() -> None:
    @tf.function
    def inside(x: object) -> object:
        adapters.check_grads(tf.sin, (x,), order=1)
        return x

    with pytest.raises(RuntimeError, match="eagerly"):
        inside(_x(3))


def test_float32_and_bfloat16_keep_their_dtype() -> None:
    from adapters.user_check.tensorflow_ad import user_ad

    ad = user_ad()
    x = _x(4, dtype="float32")
    results = adapters.check_grads(lambda x: tf.sin(x) * x, (x,))
    assert all(c.passed for c in results)
    b = tf.cast(x, tf.bfloat16)
    array = ad.to_numpy(b)
    assert array.dtype.name == "bfloat16" and ad.dtype_of(b) == array.dtype
    assert ad.from_numpy(array, "/CPU:0").dtype == tf.bfloat16
