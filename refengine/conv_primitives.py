"""Convolution as three primitives, with their NumPy implementations.

Layout (PyTorch's, channels first): the input ``x`` is ``(N, C, *spatial)``, the kernel ``w``
is ``(O, C // groups, *k)`` and the output ``(N, O, *out)``. Like every deep-learning "conv",
it is a cross-correlation: the kernel is not flipped. Per spatial axis ``d``,
``out[d] = (L[d] + lo[d] + hi[d] - dilation[d] * (k[d] - 1) - 1) // stride[d] + 1``.

The three are the convolution and its two adjoints, each bilinear, so each one's derivative is
written with the other two (``refengine/derivatives_conv.py``) and differentiating a derivative
stays inside this set:

- ``conv(x, w)``: the convolution;
- ``conv_transpose(g, w)``: the adjoint in ``x`` (the "transposed convolution"), x's shape;
- ``conv_weight(x, g)``: the adjoint in ``w`` (a correlation of x with g), w's shape.

Parameters, static and already normalised by ``refengine.numpy.nn.conv``: ``stride`` and
``dilation`` (a tuple, one per spatial axis), ``padding`` (a tuple of ``(lo, hi)`` pairs),
``groups`` (an int), and for the adjoints the shape they return (``x_shape``, ``w_shape``).
Windows are views (``sliding_window_view``) contracted with one ``einsum``; the adjoint in x
adds one strided slice per kernel offset, so no dense matrix is ever built.
"""

from __future__ import annotations

import itertools
import string

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from refengine.primitive import Primitive

__all__ = ["conv", "conv_transpose", "conv_weight"]


def _letters(n: int, first: int) -> str:
    return string.ascii_letters[first:first + n]


def _specs(nd: int) -> tuple[str, str]:
    """einsum letters for the output's spatial axes and the kernel's (``n g c o`` are taken)."""
    return _letters(nd, 26), _letters(nd, 26 + nd)  # upper-case letters: never n, g, c, o


def _windows(x: np.ndarray, w_shape: tuple[int, ...], out_shape: tuple[int, ...], *, stride,
             padding, dilation, groups) -> np.ndarray:
    """Every window of the padded input as a view ``(N, G, C/G, *out, *k)``."""
    nd = len(stride)
    xp = np.pad(x, ((0, 0), (0, 0), *padding)) if any(p != (0, 0) for p in padding) else x
    k = w_shape[2:]
    span = tuple(d * (n - 1) + 1 for d, n in zip(dilation, k))
    spatial = tuple(range(2, 2 + nd))
    view = sliding_window_view(xp, span, axis=spatial)
    index = (slice(None), slice(None),
             *(slice(0, s * (o - 1) + 1, s) for s, o in zip(stride, out_shape)),
             *(slice(None, None, d) for d in dilation))
    view = view[index]
    n, c = x.shape[:2]
    return view.reshape(n, groups, c // groups, *view.shape[2:])


def _out_shape(x_shape, w_shape, stride, padding, dilation) -> tuple[int, ...]:
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1 for n, k, s, (lo, hi), d
                 in zip(x_shape[2:], w_shape[2:], stride, padding, dilation))


def _grouped_kernel(w: np.ndarray, groups: int) -> np.ndarray:
    o = w.shape[0]
    return w.reshape(groups, o // groups, *w.shape[1:])


def _conv(x, w, *, stride, padding, dilation, groups):
    x, w = np.asarray(x), np.asarray(w)
    dtype = np.result_type(x, w)
    out = _out_shape(x.shape, w.shape, stride, padding, dilation)
    win = _windows(x, w.shape, out, stride=stride, padding=padding, dilation=dilation,
                   groups=groups)
    ls, ks = _specs(len(stride))
    y = np.einsum(f"ngc{ls}{ks},goc{ks}->ngo{ls}", win, _grouped_kernel(w, groups),
                  optimize=True)
    return y.reshape(x.shape[0], w.shape[0], *out).astype(dtype, copy=False)


def _conv_weight(x, g, *, stride, padding, dilation, groups, w_shape):
    x, g = np.asarray(x), np.asarray(g)
    dtype = np.result_type(x, g)
    out = g.shape[2:]
    win = _windows(x, w_shape, out, stride=stride, padding=padding, dilation=dilation,
                   groups=groups)
    ls, ks = _specs(len(stride))
    gg = g.reshape(g.shape[0], groups, g.shape[1] // groups, *out)
    dw = np.einsum(f"ngc{ls}{ks},ngo{ls}->goc{ks}", win, gg, optimize=True)
    return dw.reshape(w_shape).astype(dtype, copy=False)


def _conv_transpose(g, w, *, stride, padding, dilation, groups, x_shape):
    g, w = np.asarray(g), np.asarray(w)
    dtype = np.result_type(g, w)
    n, o = g.shape[:2]
    out, k = g.shape[2:], w.shape[2:]
    ls, ks = _specs(len(stride))
    gg = g.reshape(n, groups, o // groups, *out)
    # Each output entry's contribution to each kernel offset of its window, then added back
    # into the padded input one kernel offset at a time (a strided slice each).
    cols = np.einsum(f"ngo{ls},goc{ks}->ngc{ks}{ls}", gg, _grouped_kernel(w, groups),
                     optimize=True)
    padded = tuple(m + lo + hi for m, (lo, hi) in zip(x_shape[2:], padding))
    dx = np.zeros((n, groups, x_shape[1] // groups, *padded), dtype=dtype)
    for offset in itertools.product(*(range(m) for m in k)):
        where = tuple(slice(j * d, j * d + s * (m - 1) + 1, s)
                      for j, d, s, m in zip(offset, dilation, stride, out))
        dx[(Ellipsis, *where)] += cols[(slice(None),) * 3 + offset]
    crop = tuple(slice(lo, lo + m) for m, (lo, _) in zip(x_shape[2:], padding))
    return dx[(Ellipsis, *crop)].reshape(x_shape)


conv = Primitive("conv", _conv)
conv_transpose = Primitive("conv_transpose", _conv_transpose)
conv_weight = Primitive("conv_weight", _conv_weight)
