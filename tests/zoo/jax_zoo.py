"""The zoo's JAX entries: ``jax.custom_vjp`` and ``jax.custom_jvp`` rules, and plain JAX
functions at hard points.

Every entry lives in float64 (``jax.enable_x64``, the context of its ``Built``) except the
float32 and bfloat16 ones, whose values are created in that dtype. The plain functions are
``jax.jit``-ed, as JAX users write them (and a checker must see through ``jit``). JAX is
imported only inside the builders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tests.zoo.entry import Built, Registry, seeded
from tests.zoo.models import conditioned_matrix, mlp_data

__all__ = ["ZOO"]

ZOO = Registry("jax")


def _x64() -> Any:
    import jax

    return jax.enable_x64(True)


def _built(
    make: Callable[[], tuple[Callable[..., Any], tuple[Any, ...]]], jit: bool = False
) -> Built:
    """Run ``make`` (which builds the function and its jnp arguments) under float64; ``jit``:
    the function is ``jax.jit``-ed, as JAX users write their losses."""
    import jax

    with _x64():
        f, args = make()
    return Built(jax.jit(f) if jit else f, args, _x64)


def _arrays(*arrays: Any, dtype: Any = np.float64) -> tuple[Any, ...]:
    import jax.numpy as jnp

    return tuple(jnp.asarray(np.asarray(a), dtype=dtype) for a in arrays)


# ----------------------------------------------------------------------------------------------
# Bugs
# ----------------------------------------------------------------------------------------------


@ZOO.bug("0.1 % relative error", "custom_vjp softplus; bwd is g * sigmoid(x) * 1.001")
def softplus_rel_1e_3() -> Built:
    def make() -> Any:
        import jax

        @jax.custom_vjp
        def softplus(x: Any) -> Any:
            return jax.nn.softplus(x)

        softplus.defvjp(lambda x: (jax.nn.softplus(x), x),
                        lambda x, g: (g * jax.nn.sigmoid(x) * 1.001,))
        return softplus, _arrays(seeded("softplus").standard_normal(5))

    return _built(make)


@ZOO.bug("1e-5 relative error",
         "custom_jvp 2**x; the jvp rule writes ln 2 as 0.69314 (1.06e-5 relative error)")
def pow2_rel_1e_5() -> Built:
    def make() -> Any:
        import jax
        import jax.numpy as jnp

        @jax.custom_jvp
        def pow2(x: Any) -> Any:
            return jnp.exp2(x)

        @pow2.defjvp
        def pow2_jvp(primals: Any, tangents: Any) -> Any:
            (x,), (t,) = primals, tangents
            y = jnp.exp2(x)
            return y, 0.69314 * y * t

        return pow2, _arrays(seeded("pow2").uniform(-2, 2, 4))

    return _built(make)


@ZOO.bug("one wrong entry among 10^4",
         "100x100 input, custom_vjp sum(X sin X); bwd is g * (sin X + X cos X) but entry "
         "(12, 34) is 1 % high")
def one_entry_of_10k() -> Built:
    def make() -> Any:
        import jax
        import jax.numpy as jnp

        @jax.custom_vjp
        def f(x: Any) -> Any:
            return jnp.sum(x * jnp.sin(x))

        def bwd(x: Any, g: Any) -> Any:
            grad = g * (jnp.sin(x) + x * jnp.cos(x))
            return (grad.at[12, 34].multiply(1.01),)

        f.defvjp(lambda x: (f(x), x), bwd)
        return f, _arrays(seeded("10k").standard_normal((100, 100)))

    return _built(make)


@ZOO.bug("one wrong row of a batch",
         "custom_vjp row normalisation x / |x| of a 6x4 batch; bwd drops the projection term "
         "for the last row (it returns g / |x| there)")
def batch_last_row() -> Built:
    def make() -> Any:
        import jax
        import jax.numpy as jnp

        @jax.custom_vjp
        def normalize(x: Any) -> Any:
            return x / jnp.linalg.norm(x, axis=1, keepdims=True)

        def fwd(x: Any) -> Any:
            n = jnp.linalg.norm(x, axis=1, keepdims=True)
            return x / n, (x / n, n)

        def bwd(res: Any, g: Any) -> Any:
            y, n = res
            full = (g - y * jnp.sum(y * g, axis=1, keepdims=True)) / n
            return (full.at[-1].set(g[-1] / n[-1]),)  # the bug: last row left unprojected

        normalize.defvjp(fwd, bwd)
        return normalize, _arrays(seeded("batch").standard_normal((6, 4)))

    return _built(make)


@ZOO.bug("transposed matrix gradient",
         "custom_jvp A @ B for square matrices; the jvp rule uses B_dot.T in place of B_dot "
         "(JAX transposes the rule for reverse mode, so both modes are wrong for B only)")
def matmul_transposed() -> Built:
    def make() -> Any:
        import jax

        @jax.custom_jvp
        def matmul(a: Any, b: Any) -> Any:
            return a @ b

        @matmul.defjvp
        def matmul_jvp(primals: Any, tangents: Any) -> Any:
            (a, b), (da, db) = primals, tangents
            return a @ b, da @ b + a @ db.T

        rng = seeded("matmul")
        return matmul, _arrays(rng.standard_normal((3, 3)), rng.standard_normal((3, 3)))

    return _built(make)


@ZOO.bug("error only at second order",
         "custom_jvp x^3 whose jvp rule is 3 stop_gradient(x)^2 t: right at first order, but "
         "its own derivative (6 x t) is lost")
def stop_gradient_second_order() -> Built:
    def make() -> Any:
        import jax

        @jax.custom_jvp
        def cube(x: Any) -> Any:
            return x**3

        @cube.defjvp
        def cube_jvp(primals: Any, tangents: Any) -> Any:
            (x,), (t,) = primals, tangents
            return x**3, 3 * jax.lax.stop_gradient(x) ** 2 * t

        return cube, _arrays(seeded("cube").uniform(0.5, 1.5, 3))

    return _built(make)


@ZOO.bug("error only at second order (reverse over forward)",
         "custom_jvp sin whose jvp rule t * cos(x) calls a custom_vjp cos with the wrong sign in "
         "its bwd (+sin): only derivatives of the jvp rule taken in reverse mode are wrong")
def second_order_rev_over_fwd() -> Built:
    def make() -> Any:
        import jax
        import jax.numpy as jnp

        @jax.custom_vjp
        def cos(x: Any) -> Any:
            return jnp.cos(x)

        cos.defvjp(lambda x: (jnp.cos(x), x), lambda x, g: (g * jnp.sin(x),))  # truth: -sin

        @jax.custom_jvp
        def sin(x: Any) -> Any:
            return jnp.sin(x)

        @sin.defjvp
        def sin_jvp(primals: Any, tangents: Any) -> Any:
            (x,), (t,) = primals, tangents
            return jnp.sin(x), cos(x) * t

        return sin, _arrays(seeded("sin").uniform(-2, 2, 3))

    return _built(make)


@ZOO.bug("error only at second order (an op with a wrong derivative inside bwd)",
         "custom_vjp softplus(x)^2/2 with bwd g * softplus(x) * sigmoid(x), right, but the "
         "softplus it calls is a custom_jvp whose rule says sigmoid(-x) (the truth: sigmoid(x))")
def bwd_with_wrong_op() -> Built:
    def make() -> Any:
        import jax

        @jax.custom_jvp
        def softplus(x: Any) -> Any:
            return jax.nn.softplus(x)

        softplus.defjvps(lambda t, y, x: jax.nn.sigmoid(-x) * t)  # the bug

        @jax.custom_vjp
        def half_square(x: Any) -> Any:
            return jax.nn.softplus(x) ** 2 / 2

        half_square.defvjp(lambda x: (half_square(x), x),
                           lambda x, g: (g * softplus(x) * jax.nn.sigmoid(x),))
        return half_square, _arrays(seeded("half-square").standard_normal(3))

    return _built(make)


@ZOO.bug("error only in the second argument",
         "custom_vjp x * log(y); the y cotangent is g / y, forgetting x (within 0.2 % of 1)")
def second_argument() -> Built:
    def make() -> Any:
        import jax
        import jax.numpy as jnp

        @jax.custom_vjp
        def xlogy(x: Any, y: Any) -> Any:
            return x * jnp.log(y)

        xlogy.defvjp(lambda x, y: (x * jnp.log(y), (x, y)),
                     lambda res, g: (g * jnp.log(res[1]), g / res[1]))
        rng = seeded("xlogy")
        return xlogy, _arrays(1 + 1e-3 * rng.standard_normal(3), rng.uniform(0.5, 2, 3))

    return _built(make)


@ZOO.bug("error only near 0",
         "custom_jvp x / expm1(x) with a series branch for |x| < 1e-3 whose derivative is "
         "-1/2 + x/12 (the truth: -1/2 + x/6); at x = 5e-4 that is 4e-5 off")
def bernoulli_near_zero() -> Built:
    def make() -> Any:
        import jax
        import jax.numpy as jnp

        def value(x: Any) -> Any:
            small = jnp.abs(x) < 1e-3
            safe = jnp.where(small, 1.0, x)
            return jnp.where(small, 1 - x / 2 + x * x / 12, safe / jnp.expm1(safe))

        @jax.custom_jvp
        def bernoulli(x: Any) -> Any:
            return value(x)

        @bernoulli.defjvp
        def bernoulli_jvp(primals: Any, tangents: Any) -> Any:
            (x,), (t,) = primals, tangents
            small = jnp.abs(x) < 1e-3
            safe = jnp.where(small, 1.0, x)
            e = jnp.expm1(safe)
            far = (e - safe * (e + 1)) / (e * e)
            return value(x), jnp.where(small, -0.5 + x / 12, far) * t  # the bug: x/12

        return bernoulli, _arrays([5e-4, 0.3, -1.2, 2.5])

    return _built(make)


@ZOO.bug("error only in float32",
         "custom_vjp tanh whose bwd takes a float32 'fast path' g * (1 - x^2) (the Taylor "
         "polynomial of sech^2, 0.6 % to 11 % off on [0.3, 0.6]); float64 is exact")
def float32_only() -> Built:
    def make() -> Any:
        import jax
        import jax.numpy as jnp

        @jax.custom_vjp
        def tanh(x: Any) -> Any:
            return jnp.tanh(x)

        def bwd(x: Any, g: Any) -> Any:
            if x.dtype == jnp.float32:
                return (g * (1 - x * x),)
            return (g * (1 - jnp.tanh(x) ** 2),)

        tanh.defvjp(lambda x: (jnp.tanh(x), x), bwd)
        return tanh, _arrays(seeded("tanh32").uniform(0.3, 0.6, 4), dtype=np.float32)

    return _built(make)


@ZOO.bug("1e-5 relative error (second output of a tuple)",
         "custom_jvp returning (sin x, cos x); the tangent of cos is -sin(x) t (1 + 1e-5)")
def tuple_output_rel_1e_5() -> Built:
    def make() -> Any:
        import jax
        import jax.numpy as jnp

        @jax.custom_jvp
        def sincos(x: Any) -> Any:
            return jnp.sin(x), jnp.cos(x)

        @sincos.defjvp
        def sincos_jvp(primals: Any, tangents: Any) -> Any:
            (x,), (t,) = primals, tangents
            return sincos(x), (jnp.cos(x) * t, -jnp.sin(x) * t * (1 + 1e-5))

        return sincos, _arrays(seeded("sincos").uniform(0.5, 2.5, 3))

    return _built(make)


# ----------------------------------------------------------------------------------------------
# Hard but correct
# ----------------------------------------------------------------------------------------------


@ZOO.hard("kink: abs at 0", "sum(w * |x|) with two entries exactly 0; JAX's 0 is a subgradient")
def abs_at_zero() -> Built:
    def make() -> Any:
        import jax.numpy as jnp

        w, x = _arrays(seeded("abs").uniform(0.5, 2, 4), [0.0, -1.5, 0.0, 0.8])
        return (lambda x: jnp.sum(w * jnp.abs(x))), (x,)

    return _built(make, jit=True)


@ZOO.hard("kink: max with ties", "max(x) with a three-way tie; JAX splits the gradient evenly")
def max_ties() -> Built:
    def make() -> Any:
        import jax.numpy as jnp

        return jnp.max, _arrays([2.0, -1.0, 2.0, 0.5, 2.0])

    return _built(make, jit=True)


@ZOO.hard("kink: sort with ties", "sum(w * sort(x)) with x[1] == x[3]")
def sort_ties() -> Built:
    def make() -> Any:
        import jax.numpy as jnp

        w, x = _arrays([1.0, -2.0, 3.0, 0.5], [0.1, 0.7, -0.4, 0.7])
        return (lambda x: jnp.sum(w * jnp.sort(x))), (x,)

    return _built(make, jit=True)


@ZOO.hard("kink: clip at its bounds", "sum(w * clip(x, 0, 1)) with x exactly at 0 and 1")
def clip_at_bounds() -> Built:
    def make() -> Any:
        import jax.numpy as jnp

        w, x = _arrays([1.5, 0.5, 2.5], [0.0, 1.0, 0.5])
        return (lambda x: jnp.sum(w * jnp.clip(x, 0.0, 1.0))), (x,)

    return _built(make, jit=True)


@ZOO.hard("stiff exponential", "sum(exp(50 x) sin x) on [-0.3, 0.3]")
def stiff_exp() -> Built:
    def make() -> Any:
        import jax.numpy as jnp

        return (lambda x: jnp.sum(jnp.exp(50 * x) * jnp.sin(x))), _arrays(
            np.linspace(-0.3, 0.3, 4))

    return _built(make, jit=True)


@ZOO.hard("inputs from 1e-8 to 1e8", "sum(sqrt(x) + log(x)) at x = 1e-8, 1e-4, 1, 1e4, 1e8")
def wide_range() -> Built:
    def make() -> Any:
        import jax.numpy as jnp

        return (lambda x: jnp.sum(jnp.sqrt(x) + jnp.log(x))), _arrays(np.logspace(-8, 8, 5))

    return _built(make, jit=True)


@ZOO.hard("ill-conditioned matrix", "sum(W * inv(A)) with cond(A) = 1e6 (4x4)")
def inv_cond_1e6() -> Built:
    def make() -> Any:
        import jax.numpy as jnp

        rng = seeded("inv")
        a, w = _arrays(conditioned_matrix(rng, 4, 1e6), rng.standard_normal((4, 4)))
        return (lambda a: jnp.sum(w * jnp.linalg.inv(a))), (a,)

    return _built(make, jit=True)


@ZOO.hard("logsumexp with spread inputs", "logsumexp(z) - z[0] with z spread over 60")
def logsumexp_spread() -> Built:
    def make() -> Any:
        import jax

        (z,) = _arrays(seeded("lse").permutation(np.linspace(-30.0, 30.0, 8)))
        return (lambda z: jax.nn.logsumexp(z) - z[0]), (z,)

    return _built(make, jit=True)


@ZOO.hard("narrow bump", "sum(tanh(1e4 x)) near x = 1e-5")
def tanh_narrow_bump() -> Built:
    def make() -> Any:
        import jax.numpy as jnp

        return (lambda x: jnp.sum(jnp.tanh(1e4 * x))), _arrays([1e-5, 2e-5])

    return _built(make, jit=True)


def _jax_mlp(dtype: Any) -> Built:
    def make() -> Any:
        import jax.numpy as jnp

        data = mlp_data(seeded("mlp"))
        x, y = _arrays(data.x, data.y, dtype=dtype)
        params = _arrays(*data.params, dtype=dtype)

        def loss(w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
            h = jnp.tanh(x @ w1 + b1)
            return jnp.mean((h @ w2 + b2 - y) ** 2)

        return loss, params

    return _built(make, jit=True)


@ZOO.hard("float32 model", "a 3-6-1 tanh MLP's mean squared error over its 31 weights, "
          "weights and data in float32")
def mlp_float32() -> Built:
    return _jax_mlp(np.float32)


@ZOO.hard("bfloat16 model", "the same MLP loss with weights and data in bfloat16")
def mlp_bfloat16() -> Built:
    import ml_dtypes

    return _jax_mlp(ml_dtypes.bfloat16)


@ZOO.hard("correct custom_vjp", "softplus as a custom_vjp with the right bwd, at x from -30 to "
          "30 (forward mode is impossible and must be reported so, not passed)")
def custom_vjp_correct() -> Built:
    def make() -> Any:
        import jax

        @jax.custom_vjp
        def softplus(x: Any) -> Any:
            return jax.nn.softplus(x)

        softplus.defvjp(lambda x: (jax.nn.softplus(x), x),
                        lambda x, g: (g * jax.nn.sigmoid(x),))
        return softplus, _arrays([-30.0, -2.0, 0.0, 3.0, 30.0])

    return _built(make)


@ZOO.hard("correct custom_jvp", "the JAX documentation's log1pexp custom_jvp, "
          "jvp (1 - 1/(1 + e^x)) t, at x from -30 to 100")
def custom_jvp_correct() -> Built:
    def make() -> Any:
        import jax
        import jax.numpy as jnp

        @jax.custom_jvp
        def log1pexp(x: Any) -> Any:
            return jnp.log(1.0 + jnp.exp(x))

        @log1pexp.defjvp
        def log1pexp_jvp(primals: Any, tangents: Any) -> Any:
            (x,), (t,) = primals, tangents
            return log1pexp(x), (1 - 1 / (1 + jnp.exp(x))) * t

        return log1pexp, _arrays([-30.0, -1.0, 0.0, 10.0, 100.0])

    return _built(make)
