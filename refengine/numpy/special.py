"""``rnp.special``: SciPy-named special functions, differentiable."""

from __future__ import annotations

from typing import Any

from refengine import primitives as P
from refengine.numpy._axes import axis_tuple, ndim

__all__ = [
    "digamma",
    "erf",
    "erfc",
    "expit",
    "gammaln",
    "log_softmax",
    "logit",
    "logsumexp",
    "polygamma",
    "softmax",
    "xlogy",
]

expit = P.expit
logit = P.logit
erf = P.erf
erfc = P.erfc
gammaln = P.gammaln
xlogy = P.xlogy


def polygamma(n: int, x: Any) -> Any:
    return P.polygamma(x, n=int(n))


def digamma(x: Any) -> Any:
    return P.polygamma(x, n=0)


def logsumexp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return P.logsumexp(a, axis=axis_tuple(axis, ndim(a)), keepdims=keepdims)


def log_softmax(x: Any, axis: Any = None) -> Any:
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Any, axis: Any = None) -> Any:
    import refengine.numpy as rnp

    return rnp.exp(log_softmax(x, axis=axis))
