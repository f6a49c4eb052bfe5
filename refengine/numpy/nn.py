"""``rnp.nn``: neural-network functions that have no NumPy name."""

from __future__ import annotations

import math
from typing import Any

from refengine import primitives as P

__all__ = ["gelu", "layer_norm", "log_sigmoid", "relu", "softmax_cross_entropy", "softplus"]

relu = P.relu


def softplus(x: Any) -> Any:
    """log(1 + exp(x)), computed stably as logaddexp(x, 0)."""
    return P.logaddexp(x, 0.0)


def log_sigmoid(x: Any) -> Any:
    return -softplus(-x)


def gelu(x: Any) -> Any:
    """The exact GELU, x * Phi(x) (not the tanh approximation)."""
    return 0.5 * x * (1.0 + P.erf(x * (1.0 / math.sqrt(2.0))))


def layer_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    """(x - mean) / sqrt(var + eps) over the last axis (the biased variance, as
    ``torch.nn.functional.layer_norm``), then times ``weight`` and plus ``bias`` (each of the
    last axis's length) when given."""
    import refengine.numpy as rnp

    centred = x - rnp.mean(x, axis=-1, keepdims=True)
    out = centred / rnp.sqrt(rnp.mean(centred * centred, axis=-1, keepdims=True) + eps)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def softmax_cross_entropy(logits: Any, labels: Any) -> Any:
    """-sum(labels * log_softmax(logits)) over the last axis: one loss per row; ``labels``
    are probabilities (one-hot or soft) and are differentiated too."""
    import refengine.numpy as rnp

    return -rnp.sum(labels * rnp.special.log_softmax(logits, axis=-1), axis=-1)
