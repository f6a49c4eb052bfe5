"""``xp.nn.conv`` and pooling in every framework, channels first: (N, C, *spatial), kernels
(O, C/groups, *k).

The arguments are read and checked once, by ``refengine.conv_args`` (as ``rnp.nn.conv`` reads
them); each framework then gets its own convolution op:

- torch: ``torch.nn.functional.conv1d``/``conv2d`` (uneven padding: ``F.pad`` first);
- jax: ``lax.conv_general_dilated``, whose default layout is this one;
- tensorflow: ``tf.nn.convolution``, which runs channels last on CPU, so the input and kernel
  are transposed to ``(N, *spatial, C)`` and ``(*k, C/groups, O)`` around it and the padding
  is a ``tf.pad``; strides with dilations run at stride 1 and are sliced (TensorFlow takes
  one or the other). TensorFlow's CPU kernels compute grouped convolutions but not their
  gradients: those are ``unsupported`` (``TensorflowAdapter._classify``) with its reason;
- NumPy and HIPS autograd have no convolution of this kind: the composite an autograd user
  writes, the windows gathered by integer indexing and contracted with ``einsum``.

Pooling (``nn.max_pool``, ``nn.avg_pool``; the padding at most half the window, -inf for the
maximum and counted zeros for the mean, as PyTorch's defaults) is each framework's own:
``F.max_pool1d``/``2d`` and ``F.avg_pool1d``/``2d``, ``lax.reduce_window`` with ``lax.max`` or
``lax.add``, ``tf.nn.max_pool``/``avg_pool`` channels last after a ``tf.pad``; NumPy's and
autograd's reduce the gathered windows with ``max``/``mean``.

``nn.segment_sum(data, segment_ids, num_segments)`` (a scatter-add along the first axis,
repeated ids accumulating) is ``Tensor.index_add`` on zeros, ``jax.ops.segment_sum``,
``tf.math.unsorted_segment_sum``, and for NumPy and autograd a one-hot matrix product.

Each ``*_table`` returns ``{"nn.conv": ..., "nn.max_pool": ..., "nn.avg_pool": ...}``, each
``(function, coverage word)``, and ``nn.segment_sum``, for its adapter's table.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from adapters.namespace import COMPOSITE, NATIVE
from adapters.outcomes import Unsupported
from refengine.conv_args import conv_params, pool_params, segment_ids, window_index

__all__ = ["jax_table", "numpy_like_table", "tensorflow_table", "torch_table"]


def torch_table() -> dict[str, tuple[Any, str]]:
    import torch
    import torch.nn.functional as F

    def conv(x: Any, w: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
             groups: int = 1) -> Any:
        p = conv_params(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
        nd = len(p["stride"])
        op = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}.get(nd)
        if op is None:
            raise Unsupported(f"torch has no {nd}-d convolution")
        pads = p["padding"]
        if all(lo == hi for lo, hi in pads):
            return op(x, w, stride=p["stride"], padding=tuple(lo for lo, _ in pads),
                      dilation=p["dilation"], groups=groups)
        # F.pad lists the last axis first.
        x = F.pad(x, tuple(v for pair in reversed(pads) for v in pair))
        return op(x, w, stride=p["stride"], dilation=p["dilation"], groups=groups)

    def pool(kind: str) -> Any:
        def pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
            p = pool_params(x, kernel_size, stride, padding)
            nd = len(p["stride"])
            op = getattr(F, f"{kind}_pool{nd}d", None)
            if op is None:
                raise Unsupported(f"torch has no {nd}-d {kind} pooling")
            return op(x, p["kernel_size"], p["stride"], tuple(lo for lo, _ in p["padding"]))

        return pool

    def segment_sum(data: Any, ids: Any, num_segments: int) -> Any:
        if not isinstance(ids, torch.Tensor):
            ids = torch.as_tensor(segment_ids(data, ids, num_segments), device=data.device)
        out = torch.zeros((num_segments, *data.shape[1:]), dtype=data.dtype, device=data.device)
        return out.index_add(0, ids, data)

    return {"nn.conv": (conv, NATIVE), "nn.max_pool": (pool("max"), NATIVE),
            "nn.avg_pool": (pool("avg"), NATIVE), "nn.segment_sum": (segment_sum, NATIVE)}


def jax_table() -> dict[str, tuple[Any, str]]:
    import jax
    from jax import lax

    def conv(x: Any, w: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
             groups: int = 1) -> Any:
        p = conv_params(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
        return lax.conv_general_dilated(x, w, p["stride"], list(p["padding"]),
                                        rhs_dilation=p["dilation"], feature_group_count=groups)

    def pool(init: float, op: Any, divide: bool) -> Any:
        def pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
            p = pool_params(x, kernel_size, stride, padding)
            k = p["kernel_size"]
            y = lax.reduce_window(x, np.array(init, x.dtype), op, (1, 1, *k),
                                  (1, 1, *p["stride"]), ((0, 0), (0, 0), *p["padding"]))
            return y / math.prod(k) if divide else y

        return pool

    def segment_sum(data: Any, ids: Any, num_segments: int) -> Any:
        return jax.ops.segment_sum(data, ids, num_segments)

    return {"nn.conv": (conv, NATIVE), "nn.max_pool": (pool(-np.inf, lax.max, False), NATIVE),
            "nn.avg_pool": (pool(0.0, lax.add, True), NATIVE),
            "nn.segment_sum": (segment_sum, NATIVE)}


def tensorflow_table() -> dict[str, tuple[Any, str]]:
    import tensorflow as tf

    def conv(x: Any, w: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
             groups: int = 1) -> Any:
        p = conv_params(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
        nd = len(p["stride"])
        # tf.nn.convolution takes strides > 1 or dilations > 1, never both: then the dilated
        # convolution runs at stride 1 and every stride-th output is kept.
        both = max(p["stride"]) > 1 and max(p["dilation"]) > 1
        last = (0, *range(2, nd + 2), 1)  # channels first -> channels last
        x = tf.pad(tf.transpose(x, last), ((0, 0), *p["padding"], (0, 0)))
        w = tf.transpose(w, (*range(2, nd + 2), 1, 0))  # (O, I, *k) -> (*k, I, O)
        # data_format stated: left None, the second derivative of a 2-d convolution fails in
        # TensorFlow's Conv2DBackpropInput gradient ('NoneType' object has no attribute
        # 'decode', found by gradparity with conv2d-tanh's HVP).
        y = tf.nn.convolution(x, w, strides=1 if both else p["stride"], padding="VALID",
                              dilations=p["dilation"], data_format=("NWC", "NHWC")[nd - 1])
        if both:
            y = y[(slice(None), *(slice(None, None, s) for s in p["stride"]))]
        return tf.transpose(y, (0, nd + 1, *range(1, nd + 1)))

    def pool(kind: str, fill: float) -> Any:
        op = {"max": tf.nn.max_pool, "avg": tf.nn.avg_pool}[kind]

        def pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
            p = pool_params(x, kernel_size, stride, padding)
            nd = len(p["stride"])
            x = tf.transpose(x, (0, *range(2, nd + 2), 1))
            if any(lo for lo, _ in p["padding"]):
                x = tf.pad(x, ((0, 0), *p["padding"], (0, 0)), constant_values=fill)
            y = op(x, p["kernel_size"], p["stride"], "VALID", data_format=("NWC", "NHWC")[nd - 1])
            return tf.transpose(y, (0, nd + 1, *range(1, nd + 1)))

        return pool

    return {"nn.conv": (conv, NATIVE), "nn.max_pool": (pool("max", -np.inf), NATIVE),
            "nn.avg_pool": (pool("avg", 0.0), NATIVE),
            "nn.segment_sum": (tf.math.unsorted_segment_sum, NATIVE)}


def numpy_like_table(np_like: Any) -> dict[str, tuple[Any, str]]:
    """The composites for a NumPy-like module (NumPy itself, ``autograd.numpy``): windows
    gathered by integer indexing, then ``einsum`` (conv), ``max`` or ``mean`` over them."""

    def windows(x: Any, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: Any,
                padding: Any, fill: float) -> Any:
        if any(lo or hi for lo, hi in padding):
            x = np_like.pad(x, ((0, 0), (0, 0), *padding), mode="constant",
                            constant_values=fill)
        index = window_index(tuple(x.shape[2:]), kernel, stride, dilation)
        return x[(slice(None), slice(None), *index)]  # (N, C, *out, *k)

    def conv(x: Any, w: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
             groups: int = 1) -> Any:
        p = conv_params(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
        nd, k = len(p["stride"]), tuple(w.shape[2:])
        win = windows(x, k, p["stride"], p["dilation"], p["padding"], 0.0)
        out = win.shape[2:2 + nd]
        n, c, o = x.shape[0], x.shape[1], w.shape[0]
        win = np_like.reshape(win, (n, groups, c // groups, *out, *k))
        wg = np_like.reshape(w, (groups, o // groups, c // groups, *k))
        ls, ks = "LMN"[:nd], "KJI"[:nd]
        y = np_like.einsum(f"ngc{ls}{ks},goc{ks}->ngo{ls}", win, wg)
        return np_like.reshape(y, (n, o, *out))

    def pooled(reduce: Any, fill: float) -> Any:
        def pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
            p = pool_params(x, kernel_size, stride, padding)
            nd = len(p["stride"])
            win = windows(x, p["kernel_size"], p["stride"], (1,) * nd, p["padding"], fill)
            return reduce(win, axis=tuple(range(2 + nd, 2 + 2 * nd)))

        return pool

    def segment_sum(data: Any, ids: Any, num_segments: int) -> Any:
        # A one-hot matrix times the data: the scatter-add an autograd user writes (np.add.at
        # is in place, which autograd cannot trace).
        ids = segment_ids(data, ids, num_segments)
        onehot = (np.arange(num_segments)[:, None] == ids[None, :]).astype(data.dtype)
        return np_like.tensordot(onehot, data, axes=1)

    return {"nn.conv": (conv, COMPOSITE), "nn.max_pool": (pooled(np_like.max, -np.inf), COMPOSITE),
            "nn.avg_pool": (pooled(np_like.mean, 0.0), COMPOSITE),
            "nn.segment_sum": (segment_sum, COMPOSITE)}
