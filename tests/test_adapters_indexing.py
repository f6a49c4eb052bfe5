"""Indexing the way each framework's users write it: TensorFlow's integer-array indices as
``tf.gather``/``tf.gather_nd`` (``adapters.tensorflow_indexing``); autograd's ``take``,
``take_along_axis``, ``flip`` and ``diagonal`` by indexing (``adapters.autograd_adapter``).

Before these, the cases below were ``unsupported`` on those frameworks (TensorFlow: "take no
integer-array index"; autograd: "VJP of take wrt argnums (0,) not defined", "Currently
make_diagonal only supports offset=0, axis1=-1, axis2=-2"). Here each runs,
and its value, VJP and JVP agree with refengine's to float64 rounding; without the mappings
every one of these tests fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import cases
from adapters.base import FrameworkError

from .adapter_support import require

RTOL, ATOL = 1e-10, 1e-12

# Cases TensorFlow reported unsupported for an integer-array index, and those autograd
# reported unsupported for take / take_along_axis / flip (reports/sample before the change).
TENSORFLOW_CASES = ["gmm", "det-by-minors", "gather-then-scatter", "index-pairs",
                    "index-repeated", "index-repeated-rows", "index-data-indices"]
AUTOGRAD_CASES = ["ba", "take-axis0", "take-flat", "take-data-indices", "take-along-axis",
                  "take-along-axis0", "argmax-gather", "argmin-gather", "argmax-axis0-gather",
                  "argmin-axis2-gather", "argmax-flat-take", "argmax-gather-tie",
                  "flip-all", "flip-axis0", "diagonal", "diagonal-offset", "diagonal-batched",
                  "gaussian-logpdf", "logdet-cholesky"]
# These two also call linalg.cholesky: autograd has no JVP for it (a gap outside indexing),
# and its VJP is the gradient of the symmetrised input (the documented divergence "cholesky,
# eigh" in cases.conventions), so the first input's cotangent is compared symmetrised.
CHOLESKY = {("autograd", "gaussian-logpdf"), ("autograd", "logdet-cholesky")}
ITEMS = ([("tensorflow", c, m) for c in TENSORFLOW_CASES for m in ("eager", "jit")]
         + [("autograd", c, "eager") for c in AUTOGRAD_CASES])


def _close(got: Any, expected: Any, what: str) -> None:
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=RTOL, atol=ATOL, err_msg=what)


@pytest.mark.parametrize(("adapter_name", "case_name", "mode"), ITEMS,
                         ids=[f"{a}-{c}-{m}" for a, c, m in ITEMS])
def test_previously_unsupported_case_matches_refengine(
    adapter_name: str, case_name: str, mode: str
) -> None:
    adapter, reference = require(adapter_name), require("refengine")
    case = cases.get(case_name)
    rng = np.random.default_rng(18)
    inputs = case.sample(rng)
    nums = case.argnums
    out = np.asarray(reference.value(case.fn, inputs))
    cotangent = rng.normal(size=out.shape)
    tangents = tuple(rng.normal(size=np.shape(inputs[i])) for i in nums)

    np.testing.assert_allclose(adapter.value(case.fn, inputs, mode), out, rtol=RTOL,
                               atol=ATOL, err_msg="value")
    _, cotangents = adapter.vjp(case.fn, inputs, cotangent, mode, nums)
    _, expected = reference.vjp(case.fn, inputs, cotangent, argnums=nums)
    if (adapter_name, case_name) in CHOLESKY:
        expected = ((expected[0] + expected[0].T) / 2, *expected[1:])
    _close(cotangents, expected, "vjp")
    if (adapter_name, case_name) in CHOLESKY:
        return
    _, tangent_out = adapter.jvp(case.fn, inputs, tangents, mode, nums)
    _, expected_out = reference.jvp(case.fn, inputs, tangents, argnums=nums)
    np.testing.assert_allclose(tangent_out, expected_out, rtol=RTOL, atol=ATOL, err_msg="jvp")


# --- TensorFlow: NumPy's indexing rules, form by form ----------------------------------------
X = np.arange(60.0).reshape(3, 4, 5) / 7.0
I2, J2 = np.array([0, 2]), np.array([1, 3])

FORMS: list[tuple[str, Callable[[Any], Any]]] = [
    ("list", lambda x: x[:, [1, 1, 3]]),
    ("rows-repeated", lambda x: x[np.array([2, 0, 2])]),
    ("negative", lambda x: x[:, np.array([-1, 0])]),
    ("pair-leading", lambda x: x[I2, J2]),
    ("pair-adjacent-inside", lambda x: x[:, I2, J2]),
    ("pair-separated", lambda x: x[I2, :, J2]),
    ("integer-separated", lambda x: x[1, :, np.array([0, 4])]),
    ("integer-adjacent", lambda x: x[:, 1, np.array([[0, 4], [2, 2]])]),
    ("ellipsis", lambda x: x[..., np.array([4, 0])]),
    ("ellipsis-inside", lambda x: x[I2, ..., J2]),
    ("newaxis-separates", lambda x: x[I2, None, J2]),
    ("newaxis-before", lambda x: x[None, :, J2]),
    ("broadcast", lambda x: x[:, I2[:, None], J2[None, :]]),
    ("mask-beside-integers", lambda x: x[np.array([True, False, True]), J2]),
    ("slice-then-array", lambda x: x[1:, np.array([0, 0]), ::2]),
    ("negative-step", lambda x: x[::-1, J2]),
    ("empty", lambda x: x[:, []]),
]


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize(("form", "index"), FORMS, ids=[f for f, _ in FORMS])
def test_tensorflow_indexes_as_numpy(form: str, index: Callable[[Any], Any], mode: str) -> None:
    tensorflow = require("tensorflow")
    got = tensorflow.value(lambda xp, x: index(x), [X], mode)
    np.testing.assert_array_equal(got, index(X), err_msg=form)


DATA_FORMS: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("one-axis", lambda x, i: x[:, i, 1:]),
    ("separated-pair", lambda x, i: x[i[:2], :, i[2:]]),
]


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize(("form", "index"), DATA_FORMS, ids=[f for f, _ in DATA_FORMS])
def test_tensorflow_indices_as_data(form: str, index: Callable[[Any, Any], Any], mode: str) -> None:
    tensorflow = require("tensorflow")
    i = np.array([2, 0, -1, 2])  # an integer input: a tensor inside the adapter
    got = tensorflow.value(lambda xp, x, idx: index(x, idx), [X, i], mode)
    np.testing.assert_array_equal(got, index(X, i), err_msg=form)


def test_tensorflow_repeated_indices_accumulate_in_the_gradient() -> None:
    tensorflow = require("tensorflow")
    x = np.arange(12.0).reshape(3, 4)
    _, (grad,) = tensorflow.vjp(lambda xp, x: x[np.array([0, 2, 0]), np.array([1, 1, 1])],
                                [x], np.ones(3))
    expected = np.zeros((3, 4))
    expected[0, 1], expected[2, 1] = 2.0, 1.0
    np.testing.assert_array_equal(grad, expected)


def test_tensorflow_out_of_range_constant_index_is_numpys_index_error() -> None:
    tensorflow = require("tensorflow")
    with pytest.raises(FrameworkError, match="index 5 is out of bounds for axis 1 with size 5"):
        tensorflow.value(lambda xp, x: x[:, np.array([0, 5])], [X[0]])


def test_tensorflow_outside_the_adapter_keeps_its_own_indexing() -> None:
    tensorflow = require("tensorflow")
    tensorflow.value(lambda xp, x: x[:, I2], [X])  # the dispatcher is installed by now
    import tensorflow as tf

    with pytest.raises(TypeError, match="are valid indices"):
        _ = tf.constant(X)[:, I2]
