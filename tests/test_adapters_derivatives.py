"""Each adapter's VJP, JVP, value-and-gradient, HVP and other second-order nestings agree with
refengine on a handful of functions, in every mode (the full matrix of cases is the
conformance suite's job).

Exact cross-AD agreement: float64, rtol 1e-10. Where a framework cannot take a derivative
(autograd's forward mode lacks rules), the adapter must say ``unsupported``; those places
are data (``EXPECTED_UNSUPPORTED``), and raising anything else there, or ``Unsupported``
anywhere else, fails. Where a framework is known to be wrong (``KNOWN_WRONG``, with the
evidence), the test asserts that it still is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import adapters
from adapters.base import SECOND_ORDER, FrameworkError, Unsupported, floating_argnums

from .adapter_support import require

RNG = np.random.default_rng(7)
ADAPTERS = ["torch", "jax", "tensorflow", "autograd"]


def _conditioned(n: int) -> np.ndarray:
    return RNG.normal(size=(n, n)) + n * np.eye(n)


@dataclass(frozen=True)
class Fn:
    id: str
    fn: Callable[..., Any]
    inputs: tuple[np.ndarray, ...]
    scalar: bool


def elementwise(xp: Any, x: Any, y: Any) -> Any:
    return xp.sum(xp.sin(x) * y**2) + xp.special.logsumexp(x)


def linear_algebra(xp: Any, a: Any, b: Any) -> Any:
    return xp.linalg.solve(a, b) + xp.tanh(a @ b)


def two_outputs(xp: Any, x: Any) -> Any:
    return xp.exp(x), xp.sum(x**3, axis=0)


def structure(xp: Any, x: Any) -> Any:
    y = xp.concatenate([xp.flip(x, axis=0), x[:, 1:3]], axis=1)
    return xp.cumsum(xp.transpose(y), axis=0)


def index_data(xp: Any, x: Any, idx: Any) -> Any:
    return xp.take(x, idx, axis=1) ** 2


def index_pairs(xp: Any, x: Any) -> Any:
    # x[rows, cols] with the pair (0, 1) twice; on TensorFlow the adapter's tf.gather_nd.
    picked = x[np.array([0, 2, 0, 1]), np.array([1, 3, 1, 0])]
    return xp.sum(xp.sin(picked) * picked)


def special(xp: Any, x: Any) -> Any:
    return xp.sum(xp.nn.softplus(x) * xp.special.expit(x)) + xp.sum(
        xp.special.gammaln(x * x + 1.0)
    )


def factorizations(xp: Any, a: Any) -> Any:
    spd = a @ xp.transpose(a) + 3 * xp.eye(3, dtype=a.dtype)
    return xp.linalg.slogdet(a)[1] + xp.sum(xp.linalg.cholesky(spd))


def nested(xp: Any, x: Any) -> Any:
    return xp.sum(xp.grad(lambda v: xp.sum(xp.sin(v) ** 2))(x) * x)


X, Y = RNG.normal(size=(3, 4)), RNG.normal(size=4)
FNS = [
    Fn("elementwise", elementwise, (X, Y), True),
    Fn("linear_algebra", linear_algebra, (_conditioned(3), RNG.normal(size=(3, 2))), False),
    Fn("two_outputs", two_outputs, (X,), False),
    Fn("structure", structure, (X,), False),
    Fn("index_data", index_data, (X, np.array([3, 0, -1])), False),
    Fn("index_pairs", index_pairs, (X,), True),
    Fn("special", special, (X,), True),
    Fn("factorizations", factorizations, (_conditioned(3),), True),
    Fn("nested", nested, (X,), True),
]

# (adapter, quantity, function id): why the framework cannot do it. autograd 1.9 wraps these
# NumPy functions without the rule (autograd/numpy/numpy_vjps.py, numpy_jvps.py). Its take and
# flip have none either, but the adapter writes them by indexing, which autograd differentiates.
EXPECTED_UNSUPPORTED = {
    ("autograd", "jvp", "linear_algebra"): "no JVP for linalg.solve",
    ("autograd", "jvp", "special"): "no JVP for special.expit",
    ("autograd", "jvp", "factorizations"): "no JVP for linalg.slogdet",
    # the nestings with a forward-mode inner or outer derivative need the same JVP rules
    ("autograd", "jvp_fwd_fwd", "linear_algebra"): "no JVP for linalg.solve",
    ("autograd", "jvp_fwd_fwd", "special"): "no JVP for special.expit",
    ("autograd", "jvp_fwd_fwd", "factorizations"): "no JVP for linalg.slogdet",
    ("autograd", "hvp_rev_fwd", "special"): "no JVP for special.expit",
    ("autograd", "hvp_rev_fwd", "factorizations"): "no JVP for linalg.slogdet",
}

# (adapter, quantity, function id, mode or None for every mode): a framework's known wrong
# result (a value, or an exception it raises), with the evidence; the test asserts that it is
# still wrong, so a fix shows up here. The conformance matrix documents the same behaviour
# in cases.conventions.TABLE.
KNOWN_WRONG = {
    ("torch", "jvp_fwd_fwd", "linear_algebra", None):
        "torch 2.13: the JVP rule of linalg.solve drops a second-order term when it is "
        "differentiated (https://github.com/pytorch/pytorch/issues/192540)",
    ("torch", "jvp_fwd_fwd", "factorizations", None):
        "torch 2.13: the same for linalg.slogdet (https://github.com/pytorch/pytorch/issues/"
        "192540)",
    ("torch", "hvp_rev_fwd", "factorizations", None):
        "torch 2.13: reverse over forward differentiates the same JVP rule of linalg.slogdet",
    ("tensorflow", "jvp_fwd_fwd", "elementwise", "jit"):
        "TensorFlow 2.21: nested ForwardAccumulators inside tf.function raise IndexError "
        "('list index out of range', concrete_function._backward_function) while tracing "
        "reduce_logsumexp; eager is right",
}

# (adapter, quantity, function id): (rtol, why) where the framework's own rule is less
# accurate than float64 allows.
TRIGAMMA = ("gammaln's second derivative is torch's trigamma, whose float64 series is truncated "
            "(about 5e-10 relative; aten/src/ATen/native/Math.h, calc_trigamma)")
KNOWN_INACCURATE = {
    ("torch", q, "special"): (1e-8, TRIGAMMA) for q in ("hvp", *SECOND_ORDER)
}




def _like_outputs(out: Any) -> Any:
    """A random cotangent shaped like ``out`` (one array per output)."""
    if isinstance(out, tuple):
        return tuple(_like_outputs(o) for o in out)
    return RNG.normal(size=np.shape(out))


def _close(got: Any, expected: Any, where: str, rtol: float) -> None:
    if isinstance(expected, (tuple, list)):
        assert len(got) == len(expected), where
        for k, (g, e) in enumerate(zip(got, expected)):
            _close(g, e, f"{where}[{k}]", rtol)
        return
    expected = np.asarray(expected)
    assert got.dtype == expected.dtype, f"{where}: dtype {got.dtype} != {expected.dtype}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol / 100, err_msg=where)


def _quantity(adapter: Any, quantity: str, f: Fn, mode: str) -> tuple[Any, Any]:
    """(what the adapter computes, what refengine computes) for one quantity."""
    ref = adapters.get("refengine")
    nums = floating_argnums(f.inputs)
    tangents = tuple(RNG.normal(size=f.inputs[i].shape) for i in nums)
    if quantity == "vjp":
        ct = _like_outputs(ref.value(f.fn, f.inputs))
        return adapter.vjp(f.fn, f.inputs, ct, mode), ref.vjp(f.fn, f.inputs, ct)
    if quantity == "jvp":
        return adapter.jvp(f.fn, f.inputs, tangents, mode), ref.jvp(f.fn, f.inputs, tangents)
    if quantity == "value_and_grad":
        return adapter.value_and_grad(f.fn, f.inputs, mode), ref.value_and_grad(f.fn, f.inputs)
    # hvp and the SECOND_ORDER nestings take the same arguments
    return (getattr(adapter, quantity)(f.fn, f.inputs, tangents, mode),
            getattr(ref, quantity)(f.fn, f.inputs, tangents))


# Forward over forward (jvp_fwd_fwd) takes any function, like the JVP; the HVPs scalar ones.
PARAMS = [
    (name, quantity, f)
    for name in ADAPTERS
    for quantity in ("vjp", "jvp", "value_and_grad", "hvp", *SECOND_ORDER)
    for f in FNS
    if f.scalar or quantity in ("vjp", "jvp", "jvp_fwd_fwd")
]


@pytest.mark.parametrize(
    ("adapter_name", "quantity", "f"), PARAMS, ids=[f"{a}-{q}-{f.id}" for a, q, f in PARAMS]
)
def test_agrees_with_refengine(adapter_name: str, quantity: str, f: Fn) -> None:
    adapter = require(adapter_name)
    for mode in adapter.modes:
        where = f"{adapter_name} {mode} {quantity} {f.id}"
        if (adapter_name, quantity, f.id) in EXPECTED_UNSUPPORTED:
            with pytest.raises(Unsupported):
                _quantity(adapter, quantity, f, mode)
            continue
        rtol = KNOWN_INACCURATE.get((adapter_name, quantity, f.id), (1e-10, ""))[0]
        wrong = {k[3] for k in KNOWN_WRONG if k[:3] == (adapter_name, quantity, f.id)}
        if None in wrong or mode in wrong:
            with pytest.raises((AssertionError, FrameworkError)):
                _close(*_quantity(adapter, quantity, f, mode), where, rtol)
            continue
        got, expected = _quantity(adapter, quantity, f, mode)
        _close(got, expected, where, rtol)
