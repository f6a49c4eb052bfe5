"""``rnp.nn``: neural-network functions that have no NumPy name.

``conv`` is channels first, as PyTorch's ``conv1d``/``conv2d`` (see
``refengine/conv_primitives.py``); the pooling functions take the same layout."""

from __future__ import annotations

import math
from typing import Any

from refengine import primitives as P
from refengine.conv_args import conv_params

__all__ = ["conv", "gelu", "log_sigmoid", "relu", "softplus"]

relu = P.relu


def softplus(x: Any) -> Any:
    """log(1 + exp(x)), computed stably as logaddexp(x, 0)."""
    return P.logaddexp(x, 0.0)


def log_sigmoid(x: Any) -> Any:
    return -softplus(-x)


def gelu(x: Any) -> Any:
    """The exact GELU, x * Phi(x) (not the tanh approximation)."""
    return 0.5 * x * (1.0 + P.erf(x * (1.0 / math.sqrt(2.0))))


def conv(x: Any, w: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
         groups: int = 1) -> Any:
    """The 1-d or 2-d convolution (a cross-correlation, as in every deep-learning library) of
    ``x`` of shape ``(N, C, L)`` or ``(N, C, H, W)`` with the kernel ``w`` of shape
    ``(O, C // groups, k)`` or ``(O, C // groups, kh, kw)``, giving ``(N, O, *out)``, as
    ``torch.nn.functional.conv1d``/``conv2d``. ``stride``, ``dilation``: an int or one per
    spatial axis; ``padding``: zeros, an int, one per axis, or ``(lo, hi)`` per axis."""
    params = conv_params(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return P.conv(x, w, **params)
