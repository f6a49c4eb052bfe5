"""The zoo's TensorFlow entries: ``tf.custom_gradient`` rules and plain TensorFlow functions at
hard points (eager mode; TensorFlow is imported only inside the builders)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.zoo.entry import Built, Registry, seeded
from tests.zoo.models import conditioned_matrix, mlp_data

__all__ = ["ZOO"]

ZOO = Registry("tensorflow")


def _tensors(*arrays: Any, dtype: Any = np.float64) -> tuple[Any, ...]:
    import tensorflow as tf

    return tuple(tf.constant(np.asarray(a, dtype=dtype)) for a in arrays)


# ----------------------------------------------------------------------------------------------
# Bugs
# ----------------------------------------------------------------------------------------------


@ZOO.bug("0.1 % relative error", "custom_gradient softplus; grad is upstream * sigmoid(x) * 1.001")
def softplus_rel_1e_3() -> Built:
    import tensorflow as tf

    @tf.custom_gradient
    def softplus(x: Any) -> Any:
        return tf.math.softplus(x), lambda up: up * tf.sigmoid(x) * 1.001

    return Built(softplus, _tensors(seeded("softplus").standard_normal(5)))


@ZOO.bug("1e-5 relative error",
         "custom_gradient log10; grad writes ln 10 as 2.3026 (6.5e-6 relative error)")
def log10_rel_1e_5() -> Built:
    import tensorflow as tf

    @tf.custom_gradient
    def log10(x: Any) -> Any:
        return tf.math.log(x) / np.log(10.0), lambda up: up / (x * 2.3026)

    return Built(log10, _tensors(seeded("log10").uniform(0.5, 3, 4)))


@ZOO.bug("one wrong entry among 10^4",
         "100x100 input, custom_gradient sum(X^3 / 3); grad is upstream * X^2 but entry (99, 0) "
         "is 10 % high")
def one_entry_of_10k() -> Built:
    import tensorflow as tf

    scale = np.ones((100, 100))
    scale[99, 0] = 1.1

    @tf.custom_gradient
    def f(x: Any) -> Any:
        return tf.reduce_sum(x**3) / 3, lambda up: up * x * x * scale

    return Built(f, _tensors(seeded("10k").standard_normal((100, 100))))


@ZOO.bug("error only in the second argument",
         "custom_gradient x * y with y (1, 3) broadcast against x (4, 3); y's gradient reduces "
         "the batch with a mean where a sum is right")
def broadcast_second_argument() -> Built:
    import tensorflow as tf

    @tf.custom_gradient
    def scale(x: Any, y: Any) -> Any:
        def grad(up: Any) -> Any:
            return up * y, tf.reduce_mean(up * x, axis=0, keepdims=True)

        return x * y, grad

    rng = seeded("broadcast")
    return Built(scale, _tensors(rng.standard_normal((4, 3)), rng.standard_normal((1, 3))))


@ZOO.bug("error only at second order",
         "custom_gradient x^3 with grad upstream * 3 * square(x), right at first order, but "
         "square is a custom_gradient whose grad is upstream * x (the truth: 2 x)")
def second_order() -> Built:
    import tensorflow as tf

    @tf.custom_gradient
    def square(x: Any) -> Any:
        return x * x, lambda up: up * x

    @tf.custom_gradient
    def cube(x: Any) -> Any:
        return x**3, lambda up: up * 3 * square(x)

    return Built(cube, _tensors(seeded("cube").uniform(0.5, 1.5, 3)))


@ZOO.bug("error only near 0",
         "custom_gradient sinc with a series branch for |x| < 1e-3 whose derivative is +x/3 (the "
         "truth: -x/3); at x = 3e-5 that is 2e-5 off")
def sinc_near_zero() -> Built:
    import tensorflow as tf

    @tf.custom_gradient
    def sinc(x: Any) -> Any:
        small = tf.abs(x) < 1e-3
        safe = tf.where(small, tf.ones_like(x), x)
        y = tf.where(small, 1 - x * x / 6, tf.sin(safe) / safe)

        def grad(up: Any) -> Any:
            far = (safe * tf.cos(safe) - tf.sin(safe)) / (safe * safe)
            return up * tf.where(small, x / 3, far)  # the bug: +x/3

        return y, grad

    return Built(sinc, _tensors([3e-5, 0.5, -1.3, 2.2]))


@ZOO.bug("error only in float32",
         "custom_gradient sigmoid whose grad takes a float32 'fast path' upstream * (1/4 - x^2/16) "
         "(0.6 % to 9 % off on [0.6, 1.4]); float64 is exact")
def float32_only() -> Built:
    import tensorflow as tf

    @tf.custom_gradient
    def sigmoid(x: Any) -> Any:
        y = tf.sigmoid(x)

        def grad(up: Any) -> Any:
            if x.dtype == tf.float32:
                return up * (0.25 - x * x / 16)
            return up * y * (1 - y)

        return y, grad

    return Built(sigmoid, _tensors(seeded("f32").uniform(0.6, 1.4, 4), dtype=np.float32))


# ----------------------------------------------------------------------------------------------
# Hard but correct
# ----------------------------------------------------------------------------------------------


@ZOO.hard("kink: relu at 0", "sum(w * relu(x)) with two entries exactly 0")
def relu_at_zero() -> Built:
    import tensorflow as tf

    w, x = _tensors([0.5, 1.5, 2.0, 1.0], [0.0, -0.3, 0.0, 0.9])
    return Built(lambda x: tf.reduce_sum(w * tf.nn.relu(x)), (x,))


@ZOO.hard("kink: max with ties", "reduce_max(x) with a tie; TensorFlow splits the gradient")
def max_ties() -> Built:
    import tensorflow as tf

    return Built(tf.reduce_max, _tensors([0.5, 1.5, -2.0, 1.5]))


@ZOO.hard("stiff exponential", "sum(exp(50 x)) on [-0.3, 0.3]")
def stiff_exp() -> Built:
    import tensorflow as tf

    return Built(lambda x: tf.reduce_sum(tf.exp(50 * x)), _tensors(np.linspace(-0.3, 0.3, 4)))


@ZOO.hard("pole nearby", "sum(1 / (x - 1 + 1e-4)) at x = 1 and near it")
def pole_nearby() -> Built:
    import tensorflow as tf

    return Built(lambda x: tf.reduce_sum(1 / (x - 1 + 1e-4)), _tensors([1.0, 0.99995, 3.0]))


@ZOO.hard("ill-conditioned matrix", "sum(w * solve(A, b)) with cond(A) = 1e6")
def solve_cond_1e6() -> Built:
    import tensorflow as tf

    rng = seeded("solve")
    a, b, w = _tensors(conditioned_matrix(rng, 4, 1e6), rng.standard_normal((4, 1)),
                       rng.standard_normal((4, 1)))
    return Built(lambda a, b: tf.reduce_sum(w * tf.linalg.solve(a, b)), (a, b))


@ZOO.hard("correct custom_gradient", "the TensorFlow documentation's log1pexp, grad "
          "upstream * (1 - 1/(1 + e^x)), at x from -30 to 100")
def custom_gradient_correct() -> Built:
    import tensorflow as tf

    @tf.custom_gradient
    def log1pexp(x: Any) -> Any:
        e = tf.exp(x)
        return tf.math.log(1 + e), lambda up: up * (1 - 1 / (1 + e))

    return Built(log1pexp, _tensors([-30.0, -1.0, 0.0, 10.0, 100.0]))


@ZOO.hard("float32 model", "a 3-6-1 tanh MLP's mean squared error over its 31 weights, "
          "weights and data in float32 (float32 constants inside)")
def mlp_float32() -> Built:
    import tensorflow as tf

    data = mlp_data(seeded("mlp"))
    x, y = _tensors(data.x, data.y, dtype=np.float32)

    def loss(w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
        h = tf.tanh(x @ w1 + b1)
        return tf.reduce_mean((h @ w2 + b2 - y) ** 2)

    return Built(loss, _tensors(*data.params, dtype=np.float32))
