"""Every vocabulary name an adapter claims gives NumPy's value (float64, tight), in every mode.

One table of samples drives the test: each sample calls one vocabulary name (its ``name``) in
one argument form. Where a framework serves a name only in some forms, the exceptions are data
(``EXPECTED_UNSUPPORTED``), and a sample must raise ``Unsupported`` exactly there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import adapters
from adapters.base import MISSING, Unsupported
from cases.vocabulary import qualified_names

from .adapter_support import require

RNG = np.random.default_rng(20240605)
ADAPTERS = ["refengine", "torch", "jax", "tensorflow", "autograd"]


def _real(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape)


def _uniform(lo: float, hi: float, *shape: int) -> np.ndarray:
    return RNG.uniform(lo, hi, size=shape)


def _spd(n: int) -> np.ndarray:
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


R, R2, V4 = _real(3, 4), _real(3, 4), _real(4)
POS, UNIT = _uniform(0.5, 2.0, 3, 4), _uniform(-0.9, 0.9, 3, 4)
R3, M, SPD, TALL = _real(2, 3, 4), _spd(3) + _real(3, 3), _spd(3), _real(4, 3)
TIES = np.array([[1.0, 2.0, 2.0, -1.0], [0.5, 0.5, -3.0, 4.0], [2.0, 1.0, 0.0, 0.0]])
MASK = R > 0
Z = _real(3, 4) + 1j * _real(3, 4)


@dataclass(frozen=True)
class Sample:
    id: str
    name: str  # the qualified vocabulary name it exercises
    fn: Callable[..., Any]
    inputs: tuple[np.ndarray, ...]
    # The expected value where the NumPy adapter cannot compute it (it has no xp.grad).
    reference: Callable[..., Any] | None = None


def s(
    name: str, fn: Callable[..., Any], *inputs: np.ndarray, form: str = "",
    reference: Callable[..., Any] | None = None,
) -> Sample:
    return Sample(f"{name}[{form}]" if form else name, name, fn, inputs, reference)


def unary(name: str, x: np.ndarray) -> Sample:
    return s(name, lambda xp, a: getattr(xp, name)(a), x)


def binary(name: str, x: np.ndarray, y: np.ndarray) -> Sample:
    return s(name, lambda xp, a, b: getattr(xp, name)(a, b), x, y)


def _special(name: str, x: np.ndarray) -> Sample:
    return s(f"special.{name}", lambda xp, a: getattr(xp.special, name)(a), x)


def _svd(xp: Any, a: Any) -> Any:
    # Singular vectors are unique up to sign; fix the sign by the first row of u.
    u, sv, vh = xp.linalg.svd(a)
    sign = xp.sign(u[:1, :])
    return u * sign, sv, vh * xp.transpose(sign)


def _eigh(xp: Any, a: Any) -> Any:
    w, v = xp.linalg.eigh(a)
    return w, v * xp.sign(v[:1, :])


def _qr(xp: Any, a: Any) -> Any:
    q, r = xp.linalg.qr(a)
    d = xp.sign(xp.diagonal(r))
    return q * d, r * xp.reshape(d, (-1, 1))


SAMPLES = [
    *(unary(n, R) for n in "negative abs sign exp exp2 expm1 cbrt square sin cos arctan sinh "
      "cosh tanh arcsinh floor ceil".split()),
    *(unary(n, POS) for n in "log log2 log10 log1p sqrt reciprocal".split()),
    *(unary(n, UNIT) for n in "tan arcsin arccos arctanh".split()),
    unary("arccosh", POS + 1.0),
    s("round", lambda xp, x: xp.round(x * 10), R),
    s("round", lambda xp, x: xp.round(x, 2), R, form="decimals=2"),
    *(binary(n, TIES, np.roll(TIES, 1)) for n in
      "greater greater_equal less less_equal equal not_equal".split()),
    s("greater", lambda xp, x: xp.greater(x, 0.5), TIES, form="scalar"),
    s("argmax", lambda xp, x: xp.argmax(x), R),
    s("argmax", lambda xp, x: xp.argmax(x, axis=1), R, form="axis=1"),
    s("argmin", lambda xp, x: xp.argmin(x, axis=0), R, form="axis=0"),
    *(binary(n, R, V4) for n in
      "add subtract multiply maximum minimum arctan2 hypot logaddexp".split()),
    binary("divide", R, V4 + 3.0),
    binary("power", POS, R),
    s("power", lambda xp, x: xp.power(x, 2), R, form="int exponent"),
    s("power", lambda xp, x: xp.power(2.0, x), R, form="scalar base"),
    s("subtract", lambda xp, x: xp.subtract(1.0, x), R, form="scalar first"),
    s("maximum", lambda xp, x: xp.maximum(x, 0.0), R, form="scalar"),
    s("where", lambda xp, x, y: xp.where(x > y, x, y), R, R2),
    s("where", lambda xp, x: xp.where(MASK, x, 0.0), R, form="numpy mask, scalar"),
    s("clip", lambda xp, x: xp.clip(x, -0.5, 0.5), R),
    s("clip", lambda xp, x: xp.clip(x, None, 0.3), R, form="one-sided"),
    s("sum", lambda xp, x: xp.sum(x), R3),
    s("sum", lambda xp, x: xp.sum(x, axis=(0, 2), keepdims=True), R3, form="axes,keepdims"),
    s("mean", lambda xp, x: xp.mean(x, axis=1), R3, form="axis=1"),
    s("prod", lambda xp, x: xp.prod(x), POS),
    s("prod", lambda xp, x: xp.prod(x, axis=(0, 2), keepdims=True), R3, form="axes,keepdims"),
    s("prod", lambda xp, x: xp.prod(x, axis=-1), R3, form="axis=-1"),
    s("max", lambda xp, x: xp.max(x), R),
    s("max", lambda xp, x: xp.max(x, axis=0, keepdims=True), R, form="axis,keepdims"),
    s("min", lambda xp, x: xp.min(x, axis=(1, 2)), R3, form="axes"),
    s("var", lambda xp, x: xp.var(x), R),
    s("var", lambda xp, x: xp.var(x, axis=0, ddof=1), R, form="ddof=1"),
    s("std", lambda xp, x: xp.std(x, axis=1, keepdims=True), R, form="axis,keepdims"),
    s("std", lambda xp, x: xp.std(x, ddof=1), R, form="ddof=1"),
    s("cumsum", lambda xp, x: xp.cumsum(x), R),
    s("cumsum", lambda xp, x: xp.cumsum(x, axis=1), R, form="axis=1"),
    s("cumprod", lambda xp, x: xp.cumprod(x, axis=0), R, form="axis=0"),
    s("trace", lambda xp, x: xp.trace(x), M),
    s("trace", lambda xp, x: xp.trace(x, offset=1, axis1=1, axis2=2), R3, form="offset,axes"),
    s("reshape", lambda xp, x: xp.reshape(x, (4, -1)), R),
    s("reshape", lambda xp, x: xp.reshape(x, 12), R, form="int"),
    s("transpose", lambda xp, x: xp.transpose(x), R3),
    s("transpose", lambda xp, x: xp.transpose(x, (1, 0, 2)), R3, form="axes"),
    s("swapaxes", lambda xp, x: xp.swapaxes(x, 0, 2), R3),
    s("moveaxis", lambda xp, x: xp.moveaxis(x, 0, -1), R3),
    s("moveaxis", lambda xp, x: xp.moveaxis(x, (0, 1), (2, 0)), R3, form="tuples"),
    s("expand_dims", lambda xp, x: xp.expand_dims(x, 1), R),
    s("expand_dims", lambda xp, x: xp.expand_dims(x, (0, 3)), R, form="tuple"),
    s("squeeze", lambda xp, x: xp.squeeze(xp.expand_dims(x, 1)), R),
    s("squeeze", lambda xp, x: xp.squeeze(xp.expand_dims(x, 0), axis=0), R, form="axis"),
    s("broadcast_to", lambda xp, x: xp.broadcast_to(x, (2, 3, 4)), R),
    s("concatenate", lambda xp, x, y: xp.concatenate([x, y], axis=1), R, R2),
    s("concatenate", lambda xp, x, y: xp.concatenate([x, y], axis=None), R, V4, form="None"),
    s("stack", lambda xp, x, y: xp.stack([x, y], axis=1), R, R2),
    s("split", lambda xp, x: tuple(xp.split(x, 2, axis=1)), R),
    s("split", lambda xp, x: tuple(xp.split(x, [1, 3], axis=1)), R, form="indices"),
    s("tile", lambda xp, x: xp.tile(x, (2, 1)), R),
    s("tile", lambda xp, x: xp.tile(x, (2, 1, 2)), V4, form="longer reps"),
    s("repeat", lambda xp, x: xp.repeat(x, 2), R),
    s("repeat", lambda xp, x: xp.repeat(x, np.array([1, 0, 2]), axis=0), R, form="counts"),
    s("flip", lambda xp, x: xp.flip(x), R),
    s("flip", lambda xp, x: xp.flip(x, axis=1), R, form="axis=1"),
    s("roll", lambda xp, x: xp.roll(x, 5), R),
    s("roll", lambda xp, x: xp.roll(x, -1, axis=1), R, form="axis=1"),
    *(s(n, lambda xp, x, n=n, k=k: getattr(xp, n)(x, k), R, form=f"k={k}")
      for n in ("tril", "triu") for k in (-1, 0, 1)),
    s("diagonal", lambda xp, x: xp.diagonal(x), R),
    s("diagonal", lambda xp, x: xp.diagonal(x, 1, 1, 2), R3, form="offset,axes"),
    s("diag", lambda xp, x: xp.diag(x), R),
    s("diag", lambda xp, x: xp.diag(x, 1), V4, form="build,k=1"),
    s("pad", lambda xp, x: xp.pad(x, 1), R),
    s("pad", lambda xp, x: xp.pad(x, ((1, 0), (0, 2)), constant_values=1.5), R, form="widths"),
    s("take", lambda xp, x: xp.take(x, np.array([[0, -1], [5, 2]])), R),
    s("take", lambda xp, x: xp.take(x, np.array([2, 0, -1]), axis=1), R, form="axis=1"),
    s("take_along_axis",
      lambda xp, x: xp.take_along_axis(x, np.array([[0, 3], [1, 1], [2, -1]]), 1), R),
    s("take_along_axis", lambda xp, x: xp.take_along_axis(x, np.array([[2, 0, 1, -1]]), 0),
      R, form="broadcast"),
    s("sort", lambda xp, x: xp.sort(x), R),
    s("sort", lambda xp, x: xp.sort(x, axis=0), R, form="axis=0"),
    s("sort", lambda xp, x: xp.sort(x, axis=None), R, form="None"),
    s("outer", lambda xp, x, y: xp.outer(x, y), V4, R),
    s("einsum", lambda xp, x, y: xp.einsum("ij,kj->ik", x, y), R, R2),
    s("einsum", lambda xp, x: xp.einsum("ijk->j", x), R3, form="reduce"),
    s("matmul", lambda xp, x, y: xp.matmul(x, y), R, TALL),
    s("matmul", lambda xp, x, y: xp.matmul(x, y), V4, TALL, form="vector first"),
    s("matmul", lambda xp, x, y: xp.matmul(x, y), R, V4, form="vector second"),
    s("matmul", lambda xp, x, y: xp.matmul(x, y), R3, TALL, form="batched"),
    s("dot", lambda xp, x, y: xp.dot(x, y), V4, V4),
    s("dot", lambda xp, x, y: xp.dot(x, y), R, TALL, form="matrices"),
    s("dot", lambda xp, x, y: xp.dot(x, y), R3, _real(2, 4, 5), form="N-d"),
    s("tensordot", lambda xp, x, y: xp.tensordot(x, y), R3, _real(3, 4, 2)),
    s("tensordot", lambda xp, x, y: xp.tensordot(x, y, axes=([0], [1])), R, _real(2, 3),
      form="axes lists"),
    s("asarray", lambda xp, x: x + xp.asarray(np.arange(4.0), dtype=x.dtype), R),
    s("asarray", lambda xp, x: xp.asarray(np.arange(4.0)), R, form="no dtype"),
    s("zeros_like", lambda xp, x: xp.zeros_like(x), R),
    s("ones_like", lambda xp, x: xp.ones_like(x), R),
    s("eye", lambda xp, x: xp.eye(3, dtype=x.dtype) * x[0, 0], R),
    s("eye", lambda xp, x: xp.eye(3), R, form="default dtype"),
    s("arange", lambda xp, x: xp.arange(4), R),
    s("linalg.inv", lambda xp, a: xp.linalg.inv(a), M),
    s("linalg.solve", lambda xp, a, b: xp.linalg.solve(a, b), M, V4[:3]),
    s("linalg.solve", lambda xp, a, b: xp.linalg.solve(a, b), M, _real(3, 2), form="matrix"),
    s("linalg.solve", lambda xp, a, b: xp.linalg.solve(a, b), np.stack([M, SPD]), V4[:3],
      form="batched a, vector b"),
    s("linalg.det", lambda xp, a: xp.linalg.det(a), M),
    s("linalg.slogdet", lambda xp, a: tuple(xp.linalg.slogdet(a)), M),
    s("linalg.cholesky", lambda xp, a: xp.linalg.cholesky(a), SPD),
    s("linalg.eigh", _eigh, SPD),
    s("linalg.eigh", _eigh, SPD + np.triu(R[:, :3], 1), form="reads lower triangle"),
    s("linalg.qr", _qr, TALL),
    s("linalg.svd", _svd, TALL),
    s("linalg.svd", lambda xp, a: xp.linalg.svd(a, compute_uv=False), TALL, form="values"),
    s("linalg.norm", lambda xp, x: xp.linalg.norm(x), R3),
    s("linalg.norm", lambda xp, x: xp.linalg.norm(x, axis=1, keepdims=True), R, form="axis"),
    *(s("linalg.norm", lambda xp, x, o=o: xp.linalg.norm(x, o), V4, form=f"vector ord={o}")
      for o in (1, 3, np.inf, -np.inf, 0)),
    *(s("linalg.norm", lambda xp, x, o=o: xp.linalg.norm(x, o), R, form=f"matrix ord={o}")
      for o in ("fro", 1, 2, np.inf, "nuc", -1)),
    *(_special(n, R) for n in "expit erf erfc".split()),
    _special("logit", _uniform(0.05, 0.95, 3, 4)),
    *(_special(n, POS) for n in "gammaln digamma".split()),
    s("special.xlogy", lambda xp, x, y: xp.special.xlogy(x, y), R * (R2 > 0), POS),
    s("special.logsumexp", lambda xp, x: xp.special.logsumexp(x), R),
    s("special.logsumexp", lambda xp, x: xp.special.logsumexp(x, axis=1, keepdims=True), R,
      form="axis,keepdims"),
    s("special.softmax", lambda xp, x: xp.special.softmax(x), R),
    s("special.softmax", lambda xp, x: xp.special.softmax(x, axis=1), R, form="axis=1"),
    s("special.softmax", lambda xp, x: xp.special.softmax(x, axis=(0, 2)), R3, form="axes"),
    s("special.log_softmax", lambda xp, x: xp.special.log_softmax(x, axis=0), R, form="axis=0"),
    *(s(f"nn.{n}", lambda xp, x, n=n: getattr(xp.nn, n)(x * 3), R)
      for n in "relu softplus gelu log_sigmoid".split()),
    # conv, pooling and segment sums (adapters/conv_xp.py), channels first
    s("nn.conv", lambda xp, x, w: xp.nn.conv(x, w, stride=2, padding=((1, 2),), dilation=2,
                                             groups=2), _real(2, 4, 9), _real(6, 2, 3),
      form="1d"),
    s("nn.conv", lambda xp, x, w: xp.nn.conv(x, w, stride=(2, 1), padding=1), _real(1, 2, 5, 6),
      _real(3, 2, 3, 2), form="2d"),
    s("nn.max_pool", lambda xp, x: xp.nn.max_pool(x, 3, 2, 1), _real(2, 3, 7)),
    s("nn.max_pool", lambda xp, x: xp.nn.max_pool(x, (2, 3), 1), _real(1, 2, 4, 5), form="2d"),
    s("nn.avg_pool", lambda xp, x: xp.nn.avg_pool(x, 3, 2, 1), _real(2, 3, 7)),
    s("nn.avg_pool", lambda xp, x: xp.nn.avg_pool(x, 2, padding=1), _real(1, 2, 4, 5),
      form="2d"),
    s("nn.segment_sum", lambda xp, x: xp.nn.segment_sum(x, np.array([0, 2, 2, 0, 3]), 5),
      _real(5, 3)),
    s("grad", lambda xp, x: xp.grad(lambda v: xp.sum(xp.sin(v) * v))(x), R,
      reference=lambda x: np.cos(x) * x + np.sin(x)),
    s("grad", lambda xp, x: xp.grad(lambda v: xp.sum(xp.grad(lambda w: xp.sum(w**3))(v)))(x),
      R, form="nested twice", reference=lambda x: 6 * x),
    # Complex numbers: the parts, the conjugate, the argument and the transform along an axis.
    *(unary(n, Z) for n in "real imag conj angle".split()),
    s("fft.fft", lambda xp, z: xp.fft.fft(z), Z),
    s("fft.fft", lambda xp, z: xp.fft.fft(z, axis=0), Z, form="axis=0"),
    s("fft.fft", lambda xp, x: xp.fft.fft(x, n=6), R, form="real input, n padded"),
    s("fft.fft", lambda xp, z: xp.fft.fft(z, n=3), Z, form="n cropped"),
    s("fft.ifft", lambda xp, z: xp.fft.ifft(z), Z),
    s("fft.ifft", lambda xp, z: xp.fft.ifft(z, axis=0), Z, form="axis=0"),
]

# Issue 17's names (their own generator, so the draws above stay as they were).
_RNG17 = np.random.default_rng(17)
_WITH_NAN = np.where(np.eye(3, 4, 1) > 0, np.nan, _RNG17.normal(size=(3, 4)))
_W4, _B4 = _RNG17.normal(size=4), _RNG17.normal(size=4)
_LABELS = _RNG17.dirichlet(np.ones(4), size=3)
SAMPLES += [
    s("cummax", lambda xp, x: xp.cummax(x), R),
    s("cummax", lambda xp, x: xp.cummax(x, axis=0), R, form="axis=0"),
    s("topk", lambda xp, x: xp.topk(x, 2), R),
    s("median", lambda xp, x: xp.median(x), R),
    s("median", lambda xp, x: xp.median(x, axis=1, keepdims=True), R, form="axis,keepdims"),
    s("median", lambda xp, x: xp.median(x, axis=0), R, form="odd axis"),
    unary("sinc", R),
    s("sinc", lambda xp, x: xp.sinc(x * 0.0), R, form="at 0"),
    s("nanmean", lambda xp, x: xp.nanmean(x), _WITH_NAN),
    s("nanmean", lambda xp, x: xp.nanmean(x, axis=1, keepdims=True), _WITH_NAN,
      form="axis,keepdims"),
    s("nansum", lambda xp, x: xp.nansum(x, axis=0), _WITH_NAN, form="axis=0"),
    s("nn.layer_norm", lambda xp, x: xp.nn.layer_norm(x), R),
    s("nn.layer_norm", lambda xp, x, w, b: xp.nn.layer_norm(x, w, b), R, _W4, _B4,
      form="weight,bias"),
    s("nn.softmax_cross_entropy", lambda xp, z, p: xp.nn.softmax_cross_entropy(z, p), R,
      _LABELS),
]

# Issue 17's transforms: values only here (their derivatives: cases/library/transformations.py).
def _scan(xp: Any, x: Any) -> Any:
    carry, ys = xp.scan(lambda c, row: (c * 0.5 + row, (c * row, c + row)), x[0], x)
    return carry, ys[0], ys[1]


def _softplus_rule(xp: Any, x: Any) -> Any:
    f = lambda v: xp.log1p(xp.exp(v))
    return xp.custom_vjp(f, lambda v: (f(v), (v,)),
                         lambda res, g: (g * xp.special.expit(res[0]),))(x)


SAMPLES += [
    s("scan", _scan, R),
    s("fori_loop", lambda xp, x: xp.fori_loop(0, 3, lambda i, c: c * x[0] + x[i], x[1]), R),
    s("while_loop", lambda xp, x: xp.while_loop(lambda c: xp.sum(c * c) < 50.0,
                                                 lambda c: 2.0 * c, x), R),
    s("checkpoint", lambda xp, x, y: xp.checkpoint(lambda a, b: xp.sin(a) * b)(x, y), R, R2),
    s("stop_gradient", lambda xp, x: xp.stop_gradient(x) * x, R),
    s("custom_vjp", _softplus_rule, R),
]

# (adapter, sample id) where the framework serves the name but not in this form.
EXPECTED_UNSUPPORTED = {
    ("tensorflow", "linalg.norm[vector ord=-inf]"): "tf.norm has no negative orders",
    ("tensorflow", "linalg.norm[vector ord=0]"): "tf.norm has no order 0",
    ("tensorflow", "linalg.norm[matrix ord=nuc]"): "tf.norm has no nuclear norm",
    ("tensorflow", "linalg.norm[matrix ord=-1]"): "tf.norm has no negative orders",
}

# (adapter, name): (rtol, why) where the framework's own function is less accurate in float64.
KNOWN_INACCURATE = {
    ("tensorflow", "nn.gelu"): (
        1e-6,
        "tf.nn.gelu(approximate=False) scales by math_ops.cast(0.7071067811865476, dtype), "
        "which rounds 1/sqrt(2) through float32 (tensorflow/python/ops/nn_ops.py, gelu)",
    ),
}

# jax.jit and tf.function compile every sample (about 0.05-0.1 s each); every name is still
# checked in jit mode, on the first sample that calls it.
JIT_SAMPLES = list({sample.name: sample for sample in reversed(SAMPLES)}.values())




def _compare(got: Any, expected: Any, where: str, rtol: float = 1e-12) -> None:
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, tuple) and len(got) == len(expected), where
        for k, (g, e) in enumerate(zip(got, expected)):
            _compare(g, e, f"{where}, output {k}", rtol)
        return
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"{where}: shape {got.shape} != {expected.shape}"
    assert got.dtype == expected.dtype, f"{where}: dtype {got.dtype} != {expected.dtype}"
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol, err_msg=where)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=where)


def _check(adapter_name: str, sample: Sample, mode: str) -> None:
    adapter = require(adapter_name)
    if adapter.coverage()[sample.name] == MISSING:
        with pytest.raises(Unsupported):
            adapter.value(sample.fn, sample.inputs, mode)
        return
    if sample.reference is not None:
        expected = sample.reference(*sample.inputs)
    else:
        expected = adapters.get("numpy").value(sample.fn, sample.inputs)
    if (adapter_name, sample.id) in EXPECTED_UNSUPPORTED:
        with pytest.raises(Unsupported):
            adapter.value(sample.fn, sample.inputs, mode)
        return
    rtol = KNOWN_INACCURATE.get((adapter_name, sample.name), (1e-12, ""))[0]
    _compare(adapter.value(sample.fn, sample.inputs, mode), expected,
             f"{adapter_name} {mode} {sample.id}", rtol)


@pytest.mark.parametrize("sample", SAMPLES, ids=[x.id for x in SAMPLES])
@pytest.mark.parametrize("adapter_name", ADAPTERS)
def test_value_matches_numpy_eager(adapter_name: str, sample: Sample) -> None:
    _check(adapter_name, sample, "eager")


@pytest.mark.parametrize("sample", JIT_SAMPLES, ids=[x.id for x in JIT_SAMPLES])
@pytest.mark.parametrize("adapter_name", ["jax", "tensorflow"])
def test_value_matches_numpy_jit(adapter_name: str, sample: Sample) -> None:
    _check(adapter_name, sample, "jit")


def test_samples_cover_the_vocabulary() -> None:
    assert sorted({x.name for x in SAMPLES}) == sorted(qualified_names())


@pytest.mark.parametrize("adapter_name", ADAPTERS)
def test_every_claimed_name_has_a_served_sample(adapter_name: str) -> None:
    adapter = require(adapter_name)
    served = {x.name for x in SAMPLES if (adapter_name, x.id) not in EXPECTED_UNSUPPORTED}
    claimed = {n for n, word in adapter.coverage().items() if word != MISSING}
    assert claimed <= served


@pytest.mark.parametrize("adapter_name", ADAPTERS)
def test_python_scalars_stay_weak_in_float32(adapter_name: str) -> None:
    """NumPy 2: a Python number does not promote float32 (the cotangents' dtype hangs on it)."""
    adapter = require(adapter_name)
    x = R.astype(np.float32)

    def fn(xp: Any, a: Any) -> Any:
        return (xp.maximum(a, 0.0), xp.power(a, 2), a * 2.5, xp.where(a > 0, a, 1.0),
                xp.clip(a, -0.5, 0.5), xp.mean(a, axis=0), xp.subtract(1.0, a))

    for k, out in enumerate(adapter.value(fn, (x,))):
        assert out.dtype == np.float32, f"{adapter_name} output {k}: {out.dtype}"


@pytest.mark.parametrize("adapter_name", ADAPTERS)
def test_split_into_unequal_sections_fails_as_in_numpy(adapter_name: str) -> None:
    """torch and TensorFlow would make the sections unequal; NumPy refuses, and so must xp."""
    adapter = require(adapter_name)

    def fn(xp: Any, a: Any) -> Any:
        return tuple(xp.split(a, 3))

    with pytest.raises(adapters.FrameworkError, match="array split does not result in an equal"):
        adapter.value(fn, (np.arange(4.0),))
