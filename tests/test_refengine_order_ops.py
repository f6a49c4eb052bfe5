"""refengine's issue-17 composites: cummax and topk (values, and ties going to the earliest
entry), nanmean's dtype and NaN entries, and the nn composites layer_norm and
softmax_cross_entropy (values against NumPy, derivatives against finite differences)."""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine.check import GradientCheckError


def test_cummax_is_numpys_running_maximum_along_the_axis() -> None:
    x = np.random.default_rng(0).normal(size=(3, 5))
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(rnp.cummax(x, axis=axis),
                                      np.maximum.accumulate(x, axis=axis))


def test_cummax_at_a_tie_gives_the_cotangent_to_the_earlier_maximum() -> None:
    x = np.array([1.0, 3.0, 0.5, 3.0, 2.0])
    grad = rf.grad(lambda x: rnp.sum(rnp.cummax(x)))(x)
    np.testing.assert_array_equal(grad, [1.0, 4.0, 0.0, 0.0, 0.0])


def test_topk_values_largest_first_and_ties_to_the_earliest() -> None:
    x = np.array([[0.5, 2.0, -1.0, 2.0], [3.0, 1.0, 2.0, 0.0]])
    np.testing.assert_array_equal(rnp.topk(x, 2), [[2.0, 2.0], [3.0, 2.0]])
    weights = np.array([10.0, 1.0])
    grad = rf.grad(lambda x: rnp.sum(rnp.topk(x, 2) * weights))(x)
    np.testing.assert_array_equal(grad, [[0, 10, 0, 1], [10, 0, 1, 0]])


def test_topk_refuses_a_k_beyond_the_last_axis() -> None:
    with pytest.raises(ValueError, match="k=5"):
        rnp.topk(np.zeros(4), 5)


def test_nanmean_keeps_float32_and_gives_nan_entries_gradient_zero() -> None:
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    assert rnp.nanmean(x, axis=1).dtype == np.float32
    grad = rf.grad(lambda x: rnp.sum(rnp.nanmean(x, axis=1)))(x)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, [[0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    centred = x - x.mean(-1, keepdims=True)
    return centred / np.sqrt(centred.var(-1, keepdims=True) + 1e-5) * w + b


def test_layer_norm_and_cross_entropy_values_are_the_formulas() -> None:
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=4)
    np.testing.assert_allclose(rnp.nn.layer_norm(x, w, b), _layer_norm(x, w, b), rtol=1e-13)
    p = rng.dirichlet(np.ones(4), size=3)
    log_p = x - np.log(np.exp(x).sum(-1, keepdims=True))
    np.testing.assert_allclose(rnp.nn.softmax_cross_entropy(x, p), -(p * log_p).sum(-1),
                               rtol=1e-13)


@pytest.mark.parametrize("name", ["layer_norm", "softmax_cross_entropy", "cummax", "topk"])
def test_derivatives_match_finite_differences_to_second_order(name: str) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4))
    if name == "layer_norm":
        args, f = (x, rng.normal(size=4), rng.normal(size=4)), rnp.nn.layer_norm
    elif name == "softmax_cross_entropy":
        args, f = (x, rng.dirichlet(np.ones(4), size=3)), rnp.nn.softmax_cross_entropy
    elif name == "cummax":
        args, f = (x,), lambda x: rnp.cummax(x, axis=0) ** 2
    else:
        args, f = (x,), lambda x: rnp.topk(x, 2) ** 2
    rf.check_grads(f, args, order=2, rng=3)


def test_the_derivative_check_catches_a_wrong_layer_norm() -> None:
    """A negative control: the same check fails on a rule that forgets the mean's share."""

    def wrong(x: np.ndarray) -> np.ndarray:
        mean = rnp.stop_gradient(rnp.mean(x, axis=-1, keepdims=True))
        centred = x - mean
        return centred / rnp.sqrt(rnp.mean(centred * centred, axis=-1, keepdims=True) + 1e-5)

    with pytest.raises(GradientCheckError):
        rf.check_grads(wrong, (np.random.default_rng(4).normal(size=(3, 4)),), order=1, rng=5)
