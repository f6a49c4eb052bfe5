"""``xp.nn.conv`` in every framework, channels first (N, C, *spatial; kernels O, C/groups, *k).

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

Each ``*_table`` returns ``{"nn.conv": (function, coverage word)}`` for its adapter's table.
"""

from __future__ import annotations

from typing import Any

from adapters.namespace import COMPOSITE, NATIVE
from adapters.outcomes import Unsupported
from refengine.conv_args import conv_params

__all__ = ["jax_table", "numpy_like_table", "tensorflow_table", "torch_table"]


def torch_table() -> dict[str, tuple[Any, str]]:
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

    return {"nn.conv": (conv, NATIVE)}


def jax_table() -> dict[str, tuple[Any, str]]:
    from jax import lax

    def conv(x: Any, w: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
             groups: int = 1) -> Any:
        p = conv_params(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
        return lax.conv_general_dilated(x, w, p["stride"], list(p["padding"]),
                                        rhs_dilation=p["dilation"], feature_group_count=groups)

    return {"nn.conv": (conv, NATIVE)}


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

    return {"nn.conv": (conv, NATIVE)}


def numpy_like_table(np_like: Any) -> dict[str, tuple[Any, str]]:
    """The composite for a NumPy-like module (NumPy itself, ``autograd.numpy``)."""
    import numpy as np

    def conv(x: Any, w: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
             groups: int = 1) -> Any:
        p = conv_params(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
        nd = len(p["stride"])
        if any(lo or hi for lo, hi in p["padding"]):
            x = np_like.pad(x, ((0, 0), (0, 0), *p["padding"]), mode="constant")
        k = w.shape[2:]
        out = [(n - d * (m - 1) - 1) // s + 1
               for n, m, s, d in zip(x.shape[2:], k, p["stride"], p["dilation"])]
        # Axis a's window starts along output axis a and its offsets along kernel axis a.
        index = []
        for a in range(nd):
            starts = np.arange(out[a]) * p["stride"][a]
            offsets = np.arange(k[a]) * p["dilation"][a]
            shape = [1] * (2 * nd)
            shape[a], shape[nd + a] = out[a], k[a]
            index.append(starts.reshape(shape[:nd] + [1] * nd)
                          + offsets.reshape([1] * nd + shape[nd:]))
        win = x[(slice(None), slice(None), *index)]  # (N, C, *out, *k)
        n, c, o = x.shape[0], x.shape[1], w.shape[0]
        win = np_like.reshape(win, (n, groups, c // groups, *out, *k))
        wg = np_like.reshape(w, (groups, o // groups, c // groups, *k))
        ls, ks = "".join("LMN"[:nd]), "".join("KJI"[:nd])
        y = np_like.einsum(f"ngc{ls}{ks},goc{ks}->ngo{ls}", win, wg)
        return np_like.reshape(y, (n, o, *out))

    return {"nn.conv": (conv, COMPOSITE)}
