"""The arguments of ``rnp.nn.conv`` and the pooling functions, read as PyTorch reads them, and
of ``rnp.nn.segment_sum``, checked, so a wrong one is named before NumPy fails somewhere inside.
The adapters read the vocabulary's ``nn.conv``, pooling and ``nn.segment_sum`` arguments with
the same functions (``adapters/conv_xp.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["conv_params", "per_axis", "pool_params", "segment_ids", "window_index",
           "window_padding"]


def _shape(a: Any) -> tuple[int, ...]:
    # Arrays, tracers and every framework's tensors carry .shape; np.shape reads lists.
    shape = getattr(a, "shape", None)
    return tuple(np.shape(a) if shape is None else shape)


def per_axis(value: Any, nd: int, name: str) -> tuple[int, ...]:
    """An int, or one int per spatial axis, as a tuple of ``nd`` positive ints."""
    values = (value,) * nd if isinstance(value, int) else tuple(value)
    if len(values) != nd or not all(isinstance(v, int) and v >= 1 for v in values):
        raise ValueError(f"conv: {name} must be a positive int or {nd} of them (one per spatial "
                         f"axis), got {value!r}")
    return values


def window_padding(padding: Any, nd: int) -> tuple[tuple[int, int], ...]:
    """An int, one int per axis (both sides), or a ``(lo, hi)`` pair per axis."""
    if isinstance(padding, int):
        padding = (padding,) * nd
    padding = tuple(padding)
    if len(padding) != nd:
        raise ValueError(f"conv: padding must be an int, {nd} ints or {nd} (lo, hi) pairs, "
                         f"got {padding!r}")
    pairs = tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)
    if not all(len(p) == 2 and all(isinstance(v, int) and v >= 0 for v in p) for p in pairs):
        raise ValueError(f"conv: padding must be non-negative ints, got {padding!r}")
    return pairs


def conv_params(x: Any, w: Any, *, stride: Any, padding: Any, dilation: Any,
                groups: int) -> dict[str, Any]:
    """The primitive's static parameters, after checking the shapes against each other."""
    xs, ws = _shape(x), _shape(w)
    nd = len(xs) - 2
    if nd < 1 or len(ws) != len(xs):
        raise ValueError(f"conv: x must be (N, C, *spatial) and w (O, C // groups, *k) with the "
                         f"same number of axes; got x {xs} and w {ws}")
    if not isinstance(groups, int) or groups < 1 or xs[1] % groups or ws[0] % groups:
        raise ValueError(f"conv: groups={groups!r} must divide both the input channels "
                         f"({xs[1]}) and the output channels ({ws[0]})")
    if ws[1] * groups != xs[1]:
        raise ValueError(f"conv: w has {ws[1]} input channels per group; x has {xs[1]} "
                         f"channels in {groups} group(s), so w.shape[1] must be "
                         f"{xs[1] // groups}")
    params = {"stride": per_axis(stride, nd, "stride"),
              "padding": window_padding(padding, nd),
              "dilation": per_axis(dilation, nd, "dilation"), "groups": groups}
    for n, k, (lo, hi), d in zip(xs[2:], ws[2:], params["padding"], params["dilation"]):
        if n + lo + hi < d * (k - 1) + 1:
            raise ValueError(f"conv: the (dilated) kernel spans {d * (k - 1) + 1} entries but "
                             f"the padded input has only {n + lo + hi} along an axis")
    return params


def pool_params(x: Any, kernel_size: Any, stride: Any, padding: Any) -> dict[str, Any]:
    """Pooling's window, stride (default: the window, as PyTorch) and symmetric padding, per
    spatial axis of ``x`` ``(N, C, *spatial)``, checked as PyTorch checks them (the padding at
    most half the window, so no window is padding alone)."""
    xs = _shape(x)
    nd = len(xs) - 2
    if nd < 1:
        raise ValueError(f"pooling: x must be (N, C, *spatial), got shape {xs}")
    k = per_axis(kernel_size, nd, "kernel_size")
    s = k if stride is None else per_axis(stride, nd, "stride")
    pads = window_padding(padding, nd)
    if any(lo != hi or 2 * lo > m for (lo, hi), m in zip(pads, k)):
        raise ValueError(f"pooling: padding must be the same on both sides and at most half the "
                         f"window {k}, got {padding!r}")
    for n, m, (lo, hi) in zip(xs[2:], k, pads):
        if n + lo + hi < m:
            raise ValueError(f"pooling: the window {k} is larger than the padded input {xs[2:]}")
    return {"kernel_size": k, "stride": s, "padding": pads}


def window_index(spatial: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                 dilation: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Integer index arrays, one per spatial axis, that gather every window of an (already
    padded) input ``(N, C, *spatial)`` as ``x[:, :, *index]`` of shape ``(N, C, *out, *k)``:
    the indexing an autograd or NumPy user writes for a convolution or a pooling."""
    nd = len(spatial)
    out = [(n - d * (m - 1) - 1) // s + 1 for n, m, s, d in zip(spatial, kernel, stride, dilation)]
    index = []
    for a in range(nd):
        starts = np.arange(out[a]) * stride[a]
        offsets = np.arange(kernel[a]) * dilation[a]
        at_out = [1] * (2 * nd)
        at_out[a] = out[a]
        at_k = [1] * (2 * nd)
        at_k[nd + a] = kernel[a]
        index.append(starts.reshape(at_out) + offsets.reshape(at_k))
    return tuple(index)


def segment_ids(data: Any, ids: Any, num_segments: int) -> np.ndarray:
    """``segment_sum``'s ids as a NumPy integer vector, one per row of ``data``, each in
    ``[0, num_segments)`` (JAX drops the others silently and TensorFlow fails on them, so
    they are an error here)."""
    ids = np.asarray(ids)
    rows = _shape(data)[:1]
    if ids.dtype.kind not in "iu" or ids.shape != rows:
        raise ValueError(f"segment_sum: segment_ids must be integers, one per row of data "
                         f"(shape {rows}), got {ids.dtype} of shape {ids.shape}")
    if not isinstance(num_segments, int) or num_segments < 1:
        raise ValueError(f"segment_sum: num_segments must be a positive int, got "
                         f"{num_segments!r}")
    if ids.size and (ids.min() < 0 or ids.max() >= num_segments):
        raise ValueError(f"segment_sum: segment_ids must lie in [0, {num_segments}), got "
                         f"{ids.min()} .. {ids.max()}")
    return ids
