"""adapters.check_grads on JAX functions: jax.jvp/jax.vjp, jax.custom_jvp and jax.custom_vjp
rules (each also planted wrong: it must fail), forward mode through custom_vjp listed as not
checked, and x64 switched on for the check only."""

from __future__ import annotations

import numpy as np
import pytest

import adapters
from refengine.check import GradientCheckError, NotCheckedWarning

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


def _x(*shape: int, dtype: str = "float64", seed: int = 0) -> object:
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    with jax.enable_x64(True):  # float64 arrays need x64 where they are made
        return jnp.asarray(values)


def test_a_plain_function_of_nested_arguments_with_a_tuple_output_passes_every_check() -> None:
    def f(params: dict, x: object) -> tuple:
        h = jnp.tanh(x @ params["w"])
        return jnp.sum(h ** 2), [h * params["s"]]

    args = ({"w": _x(3, 2), "s": _x(seed=1)}, _x(4, 3, seed=2))
    results = adapters.check_grads(f, args)
    assert len(results) == 6 and all(c.checked and c.passed for c in results)


def test_the_check_leaves_the_users_x64_setting_as_it_was() -> None:
    before = jax.config.jax_enable_x64
    seen = set()

    def f(x: object) -> object:
        seen.add(str(x.dtype))
        return jnp.sin(x) * jnp.sum(x)

    results = adapters.check_grads(f, (_x(3, dtype="float32"),))
    assert all(c.passed for c in results)
    assert jax.config.jax_enable_x64 == before
    assert {"float32", "float64"} <= seen  # the user's float32, and the oracle's float64


def _custom_jvp(scale: float) -> object:
    @jax.custom_jvp
    def cube(x: object) -> object:
        return x ** 3

    @cube.defjvp
    def cube_jvp(primals: tuple, tangents: tuple) -> tuple:
        (x,), (t,) = primals, tangents
        return cube(x), 3 * x ** 2 * t * scale

    return cube


def test_a_custom_jvp_rule_is_checked_in_both_modes_at_both_orders() -> None:
    cube = _custom_jvp(1.0)
    results = adapters.check_grads(lambda x: cube(x) * x, (_x(3),))
    assert len(results) == 6 and all(c.checked and c.passed for c in results)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_a_wrong_custom_jvp_rule_fails_in_either_mode(mode: str) -> None:
    cube = _custom_jvp(1.001)  # reverse mode transposes the same rule
    with pytest.raises(GradientCheckError) as caught:
        adapters.check_grads(cube, (_x(3),), modes=(mode,), order=1)
    assert caught.value.comparison.mode == mode


def _custom_vjp(scale: float) -> object:
    @jax.custom_vjp
    def cube(x: object) -> object:
        return x ** 3

    def fwd(x: object) -> tuple:
        return x ** 3, x

    def bwd(x: object, g: object) -> tuple:
        return (g * 3 * x ** 2 * scale,)

    cube.defvjp(fwd, bwd)
    return cube


def test_forward_mode_through_a_custom_vjp_is_not_checked_and_says_why() -> None:
    cube = _custom_vjp(1.0)
    with pytest.warns(NotCheckedWarning, match="custom_vjp"):
        results = adapters.check_grads(lambda x: cube(x) * x, (_x(3),))
    by = {c.check: c for c in results}
    assert not by["JVP of <lambda>"].checked and "custom_vjp" in by["JVP of <lambda>"].note
    # Reverse mode, and forward over reverse, run the custom rule (the JVPs of the JVP are not
    # checked either, whether or not the checker lists them).
    assert [c.check for c in results if c.checked] == [
        "VJP of <lambda>", "JVP of VJP of <lambda>", "VJP of VJP of <lambda>"]
    assert all(c.passed for c in results)


def test_a_wrong_custom_vjp_rule_fails() -> None:
    cube = _custom_vjp(1.001)
    with pytest.warns(NotCheckedWarning), pytest.raises(GradientCheckError) as caught:
        adapters.check_grads(cube, (_x(3),))
    assert caught.value.comparison.check == "VJP of cube"


def test_float16_and_bfloat16_arguments_keep_their_dtype() -> None:
    from adapters.user_check.jax_ad import user_ad

    ad = user_ad()
    for dtype in ("float16", "bfloat16"):
        x = _x(4, dtype="float32").astype(dtype)
        array = ad.to_numpy(x)
        assert array.dtype.name == dtype and ad.dtype_of(x) == array.dtype
        assert ad.from_numpy(array, jax.devices("cpu")[0]).dtype == x.dtype
    results = adapters.check_grads(lambda x: jnp.sin(x) * 2, (_x(3, dtype="float16"),),
                                   rtol=2e-2, order=1)
    assert all(c.passed for c in results)


def test_the_arguments_device_is_kept() -> None:
    device = jax.devices("cpu")[0]
    seen = set()

    def f(x: object) -> object:
        if isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer):
            seen.update(x.devices())
        return jnp.sin(x)

    adapters.check_grads(f, (jax.device_put(_x(3), device),), order=1)
    assert seen == {device}
