"""Everyday models: logistic regression, an MLP classifier with softmax cross-entropy, a
pre-norm transformer block (causal multi-head attention, layer norm, GELU MLP), and the
Rosenbrock function."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "logistic_regression", "mlp_classifier", "rosenbrock", "transformer_block"]


# --- logistic regression ---------------------------------------------------------------------
def logistic_regression(xp: Any, w: Any, b: Any, x: Any, y: Any) -> Any:
    """Mean negative log-likelihood, softplus(z) - y z, plus an L2 penalty of 1e-2 / 2."""
    z = xp.matmul(x, w) + b
    return xp.mean(xp.nn.softplus(z) - y * z) + 0.005 * xp.sum(w * w)


# --- MLP classifier -----------------------------------------------------------------------------
def mlp_classifier(xp: Any, w1: Any, b1: Any, w2: Any, b2: Any, x: Any, y: Any) -> Any:
    """One tanh hidden layer, softmax cross-entropy against one-hot labels. (tanh rather than
    relu keeps finite differences away from relu's kink; kinks.py has that one.)"""
    hidden = xp.tanh(xp.matmul(x, w1) + b1)
    logits = xp.matmul(hidden, w2) + b2
    return -xp.mean(xp.sum(y * xp.special.log_softmax(logits, axis=1), axis=1))


def _mlp_sample(rng: np.random.Generator, size: tuple[int, int, int, int]) -> tuple:
    d, h, c, n = size
    labels = np.zeros((n, c))
    labels[np.arange(n), rng.integers(0, c, size=n)] = 1.0
    return (rng.normal(scale=1.0 / math.sqrt(d), size=(d, h)), rng.normal(scale=0.1, size=h),
            rng.normal(scale=1.0 / math.sqrt(h), size=(h, c)), rng.normal(scale=0.1, size=c),
            rng.normal(size=(n, d)), labels)


# --- transformer block --------------------------------------------------------------------------
def _layer_norm(xp: Any, x: Any, gain: Any, bias: Any) -> Any:
    mean = xp.mean(x, axis=-1, keepdims=True)
    var = xp.var(x, axis=-1, keepdims=True)
    return (x - mean) / xp.sqrt(var + 1e-5) * gain + bias


def _heads(d: int) -> int:
    # Head width 64 at realistic sizes; at least 2 heads so small checks exercise the split.
    return max(2, d // 64)


def transformer_block(xp: Any, wq: Any, wk: Any, wv: Any, wo: Any, w1: Any, b1: Any, w2: Any,
                      b2: Any, g1: Any, c1: Any, g2: Any, c2: Any, x: Any, target: Any) -> Any:
    """Pre-norm block, x + attn(LN(x)) then + MLP(LN(.)), scored by mean squared error."""
    steps, d = x.shape
    heads = _heads(d)
    width = d // heads

    def split(m: Any) -> Any:  # (T, d) -> (heads, T, width)
        return xp.swapaxes(xp.reshape(m, (steps, heads, width)), 0, 1)

    h = _layer_norm(xp, x, g1, c1)
    q, k, v = split(xp.matmul(h, wq)), split(xp.matmul(h, wk)), split(xp.matmul(h, wv))
    scores = xp.matmul(q, xp.swapaxes(k, 1, 2)) / math.sqrt(width)
    causal = np.tril(np.ones((steps, steps), dtype=bool))
    weights = xp.special.softmax(xp.where(causal, scores, -1e9), axis=-1)
    attended = xp.reshape(xp.swapaxes(xp.matmul(weights, v), 0, 1), (steps, d))
    x = x + xp.matmul(attended, wo)
    h = _layer_norm(xp, x, g2, c2)
    x = x + xp.matmul(xp.nn.gelu(xp.matmul(h, w1) + b1), w2) + b2
    return xp.mean(xp.square(x - target))


def _transformer_sample(rng: np.random.Generator, size: tuple[int, int]) -> tuple:
    steps, d = size

    def weight(n_in: int, n_out: int) -> np.ndarray:
        return rng.normal(scale=1.0 / math.sqrt(n_in), size=(n_in, n_out))

    return (weight(d, d), weight(d, d), weight(d, d), weight(d, d),
            weight(d, 4 * d), rng.normal(scale=0.1, size=4 * d),
            weight(4 * d, d), rng.normal(scale=0.1, size=d),
            1.0 + 0.1 * rng.normal(size=d), 0.1 * rng.normal(size=d),
            1.0 + 0.1 * rng.normal(size=d), 0.1 * rng.normal(size=d),
            rng.normal(size=(steps, d)), rng.normal(size=(steps, d)))


def _vector(i: int) -> Any:
    return lambda s: (s[i],)


def _transformer_args() -> tuple[Arg, ...]:
    square = lambda s: (s[1], s[1])
    return (
        Arg("wq", D.REAL, square), Arg("wk", D.REAL, square), Arg("wv", D.REAL, square),
        Arg("wo", D.REAL, square),
        Arg("w1", D.REAL, lambda s: (s[1], 4 * s[1])), Arg("b1", D.REAL, lambda s: (4 * s[1],)),
        Arg("w2", D.REAL, lambda s: (4 * s[1], s[1])), Arg("b2", D.REAL, _vector(1)),
        Arg("g1", D.REAL, _vector(1)), Arg("c1", D.REAL, _vector(1)),
        Arg("g2", D.REAL, _vector(1)), Arg("c2", D.REAL, _vector(1)),
        Arg("x", D.REAL, lambda s: (s[0], s[1]), diff=False),
        Arg("target", D.REAL, lambda s: (s[0], s[1]), diff=False),
    )


# --- Rosenbrock -----------------------------------------------------------------------------------
def rosenbrock(xp: Any, x: Any) -> Any:
    head, tail = x[:-1], x[1:]
    return xp.sum(100.0 * xp.square(tail - head * head) + xp.square(1.0 - head))


CASES = [
    Case(
        "logistic-regression",
        logistic_regression,
        args=(Arg("w", D.REAL, _vector(0)), Arg("b", D.REAL, ()),
              Arg("x", D.REAL, lambda s: (s[1], s[0]), diff=False),
              Arg("y", D.ZERO_OR_ONE, _vector(1), diff=False)),
        sizes=Sizes(check=(3, 10), sweep=((10, 1_000), (100, 10_000), (500, 100_000)),
                    names=("d", "n")),
        tags={"model"},
    ),
    Case(
        "mlp-classifier",
        mlp_classifier,
        args=(Arg("w1", D.REAL, lambda s: (s[0], s[1])), Arg("b1", D.REAL, _vector(1)),
              Arg("w2", D.REAL, lambda s: (s[1], s[2])), Arg("b2", D.REAL, _vector(2)),
              Arg("x", D.REAL, lambda s: (s[3], s[0]), diff=False),
              Arg("y", D.ZERO_OR_ONE, lambda s: (s[3], s[2]), diff=False)),
        sampler=_mlp_sample,
        sizes=Sizes(check=(4, 5, 3, 6),
                    sweep=((10, 32, 3, 100), (784, 256, 10, 256), (784, 1024, 10, 1024)),
                    names=("d", "h", "c", "n")),
        tags={"model"},
        note="Glorot-like weight scales so tanh neither saturates nor stays linear",
    ),
    Case(
        "transformer-block",
        transformer_block,
        args=_transformer_args(),
        sampler=_transformer_sample,
        sizes=Sizes(check=(3, 4), sweep=((16, 64), (128, 256), (512, 512)), names=("T", "d")),
        tags={"model"},
        note="pre-norm: scaled dot-product attention with a causal mask (where, -1e9), "
             "max(2, d // 64) heads, layer norm (eps 1e-5), exact-GELU MLP of width 4d",
    ),
    Case(
        "rosenbrock",
        rosenbrock,
        sizes=Sizes(check=6, sweep=(100, 10_000, 1_000_000)),
        tags={"model"},
        note="sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2",
    ),
]
