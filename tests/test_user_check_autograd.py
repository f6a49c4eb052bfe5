"""adapters.check_grads on HIPS autograd and refengine functions (NumPy arrays, so the
framework is named): make_vjp/make_jvp, primitives with defvjp (and defjvp), each planted wrong
as a negative control; refengine gives what rf.check_grads gives; numpy is refused."""

from __future__ import annotations

import numpy as np
import pytest

import adapters
import refengine as rf
from adapters import Unsupported
from refengine.check import GradientCheckError, NotCheckedWarning

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")


def _x(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def test_a_plain_function_with_a_dict_output_passes_every_check_in_both_modes() -> None:
    # autograd has no forward rule for dicts: outputs go through it as one flat tuple.
    def f(params: dict, x: np.ndarray) -> dict:
        h = anp.tanh(anp.dot(x, params["w"]))
        return {"loss": anp.sum(h ** 2), "h": h}

    results = adapters.check_grads(f, ({"w": _x(3, 2)}, _x(4, 3, seed=1)),
                                   framework="autograd")
    assert len(results) == 6 and all(c.checked and c.passed for c in results)


def _primitive(vjp_scale: float, jvp_scale: float | None = None) -> object:
    from autograd.extend import defjvp, defvjp, primitive

    @primitive
    def cube(x: np.ndarray) -> np.ndarray:
        return x ** 3

    defvjp(cube, lambda ans, x: lambda g: g * 3 * x ** 2 * vjp_scale)
    if jvp_scale is not None:
        defjvp(cube, lambda g, ans, x: g * 3 * x ** 2 * jvp_scale)
    return cube


def test_a_primitive_with_vjp_and_jvp_passes_every_check() -> None:
    cube = _primitive(1.0, 1.0)
    results = adapters.get("autograd").check_grads(lambda x: cube(x) * x, (_x(3),))
    assert len(results) == 6 and all(c.checked and c.passed for c in results)


@pytest.mark.parametrize("planted", ["vjp", "jvp"])
def test_a_wrong_vjp_or_jvp_rule_fails(planted: str) -> None:
    cube = _primitive(1.001 if planted == "vjp" else 1.0, 1.001 if planted == "jvp" else 1.0)
    mode = "rev" if planted == "vjp" else "fwd"
    with pytest.raises(GradientCheckError) as caught:
        adapters.check_grads(cube, (_x(3),), framework="autograd", modes=(mode,), order=1)
    assert caught.value.comparison.mode == mode


def test_a_primitive_without_a_jvp_is_checked_in_reverse_mode_only_and_says_why() -> None:
    cube = _primitive(1.0)
    with pytest.warns(NotCheckedWarning, match="JVP of cube"):
        results = adapters.check_grads(cube, (_x(3),), framework="autograd")
    assert [c.check for c in results if c.checked] == ["VJP of cube", "VJP of VJP of cube"]
    assert all(c.passed for c in results)
    with pytest.warns(NotCheckedWarning), pytest.raises(GradientCheckError):
        adapters.check_grads(_primitive(1.001), (_x(3),), framework="autograd")


def test_refengine_gives_what_rf_check_grads_gives() -> None:
    import refengine.numpy as rnp

    def f(w: np.ndarray, x: np.ndarray) -> object:
        return rnp.sum(rnp.log1p(rnp.exp(-(x @ w)))) + 0.1 * rnp.sum(rnp.tanh(w) ** 2)

    args = (_x(3), _x(2, 3, seed=1))
    ours = adapters.check_grads(f, args, framework="refengine", rng=7)
    theirs = rf.check_grads(f, args, rng=7)
    assert ours == theirs and len(ours) == 6


def test_a_refengine_rule_planted_wrong_fails() -> None:
    import refengine.numpy as rnp
    from adapters.mutant_adapter import parse

    mutation = parse("refengine-mutant:sin:scale")  # the sin rule of the table, scaled
    with mutation.applied(), pytest.raises(GradientCheckError):
        adapters.check_grads(lambda x: rnp.sin(x) * x, (_x(3),), framework="refengine")


def test_the_numpy_adapter_is_refused_with_the_frameworks_that_can() -> None:
    with pytest.raises(Unsupported, match=r"values only.*'autograd'.*'refengine'"):
        adapters.check_grads(np.sin, (_x(3),), framework="numpy")
