"""``rnp.nn``: neural-network functions that have no NumPy name.

``conv`` is channels first, as PyTorch's ``conv1d``/``conv2d`` (see
``refengine/conv_primitives.py``); the pooling functions take the same layout."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine.conv_args import conv_params, pool_params, window_index
from refengine.conv_args import segment_ids as checked_ids

__all__ = ["avg_pool", "conv", "gelu", "layer_norm", "log_sigmoid", "max_pool", "relu",
           "segment_sum", "softmax_cross_entropy", "softplus"]

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


def _windows(x: Any, kernel_size: Any, stride: Any, padding: Any, fill: float) -> tuple[Any, Any]:
    """Every pooling window of x, ``(N, C, *out, *k)``, and the window axes."""
    p = pool_params(x, kernel_size, stride, padding)
    nd = len(p["kernel_size"])
    if any(lo for lo, _ in p["padding"]):
        x = P.pad(x, pad_width=((0, 0), (0, 0), *p["padding"]), value=fill)
    index = window_index(tuple(x.shape[2:]), p["kernel_size"], p["stride"], (1,) * nd)
    return x[(slice(None), slice(None), *index)], tuple(range(2 + nd, 2 + 2 * nd))


def max_pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
    """The maximum over each window of ``x`` ``(N, C, L)`` or ``(N, C, H, W)``, as
    ``torch.nn.functional.max_pool1d``/``max_pool2d`` (stride defaults to the window; the
    padding, at most half the window, is -inf). Its derivative is ``max``'s: entries tied for a
    window's maximum split that window's cotangent evenly."""
    windows, axes = _windows(x, kernel_size, stride, padding, -np.inf)
    return P.reduce_max(windows, axis=axes, keepdims=False)


def avg_pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
    """The mean over each window, as ``torch.nn.functional.avg_pool1d``/``avg_pool2d`` with
    its defaults: the zero padding counts in the mean (``count_include_pad=True``)."""
    windows, axes = _windows(x, kernel_size, stride, padding, 0.0)
    n = math.prod(windows.shape[a] for a in axes)
    return P.reduce_sum(windows, axis=axes, keepdims=False) * (1.0 / n)


def segment_sum(data: Any, segment_ids: Any, num_segments: int) -> Any:
    """``out[j] = sum of data[i] over the i with segment_ids[i] == j``, ``out`` of shape
    ``(num_segments, *data.shape[1:])``: a scatter-add along the first axis, as
    ``jax.ops.segment_sum`` and ``tf.math.unsorted_segment_sum``. Repeated ids accumulate; a
    segment no id names is 0. The derivative w.r.t. data gathers the cotangent at the ids."""
    ids = checked_ids(data, segment_ids, num_segments)
    return P.scatter_add(data, shape=(num_segments, *data.shape[1:]), index=ids)


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
