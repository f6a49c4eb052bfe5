"""NumPy's integer-array indexing on TensorFlow tensors, in the ops TensorFlow users write.

``tensor[...]`` in TensorFlow takes integers, slices, ``...``, ``tf.newaxis`` and a boolean
mask (``tf.boolean_mask``), but no integer array ("Only integers, slices (`:`), ellipsis
(`...`), tf.newaxis (`None`) and scalar tf.int32/tf.int64 tensors are valid indices"). Where
NumPy code writes ``x[:, idx]`` a TensorFlow user writes ``tf.gather(x, idx, axis=1)``, and
for ``x[rows, cols]`` ``tf.gather_nd``. Cases index as NumPy does (the vocabulary's array
interface), so while the TensorFlow adapter runs a case (its indexing hook, ``adapters.indexing``),
an index that holds an integer array is spelled that way; any other index goes to TensorFlow's
own ``__getitem__`` unchanged, and outside the adapter TensorFlow behaves as it always does.

NumPy's rules (its "Advanced indexing" section), kept here: an integer beside an array index is
an array index too, and all of them broadcast together; the broadcast dimensions replace the
indexed ones in place when those are adjacent in the index and come first otherwise (``None``
separates them); negative indices count from the end, and a constant index out of range is
an ``IndexError``; a boolean array beside other indices stands for its ``nonzero()``.

Gradients: TensorFlow's own rules for ``tf.gather`` (``tf.IndexedSlices``, which the adapter
densifies) and ``tf.gather_nd`` (a scatter-add, so repeated indices accumulate).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from adapters.numpy_args import wrap_indices

__all__ = ["numpy_getitem"]


def numpy_getitem(getitem: Callable[[Any, Any], Any], x: Any, key: Any) -> Any:
    """``x[key]`` with NumPy's meaning: an index holding an integer array through the gathers,
    any other through ``getitem`` (TensorFlow's own ``tf.Tensor.__getitem__``)."""
    if _needs_gather(key):
        return _advanced(getitem, x, key)
    return getitem(x, key)


# --- which indices are NumPy's advanced ones -------------------------------------------------
def _is_array(part: Any) -> bool:
    """An integer or boolean array of one or more dimensions: a list, a NumPy array or a
    tensor (integer data arriving as a case's input)."""
    if isinstance(part, list):
        return True
    if isinstance(part, np.ndarray) or tf.is_tensor(part):
        return part.ndim is None or part.ndim >= 1
    return False


def _is_bool(part: Any) -> bool:
    if tf.is_tensor(part):
        return part.dtype == tf.bool
    return np.asarray(part).dtype == bool


def _needs_gather(key: Any) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    if len(parts) == 1 and _is_array(parts[0]) and _is_bool(parts[0]):
        return False  # a lone mask: TensorFlow's own indexing applies tf.boolean_mask
    return any(_is_array(p) for p in parts)


# --- the translation -------------------------------------------------------------------------
def _advanced(getitem: Callable[[Any, Any], Any], x: Any, key: Any) -> tf.Tensor:
    parts = _without_masks(key if isinstance(key, tuple) else (key,))
    x, parts = _newaxes_inserted(x, _ellipsis_expanded(parts, x.ndim))
    if len(parts) > x.ndim:
        raise IndexError(f"too many indices for array: array is {x.ndim}-dimensional, "
                         f"but {len(parts)} were indexed")
    parts = parts + [slice(None)] * (x.ndim - len(parts))
    picked = [d for d, p in enumerate(parts) if not isinstance(p, slice)]
    basic = tuple(slice(None) if d in picked else p for d, p in enumerate(parts))
    y = x if all(p == slice(None) for p in basic) else getitem(x, basic)  # slices keep dims
    indices = [_index_tensor(parts[d], y, d) for d in picked]
    if len(picked) == 1 and _is_array(parts[picked[0]]):
        return tf.gather(y, indices[0], axis=picked[0])  # x[:, idx]: tf.gather along one axis
    return _gather_nd(y, picked, indices)


def _without_masks(parts: tuple[Any, ...]) -> list[Any]:
    """A boolean array among other indices is its nonzero() indices, one per mask axis."""
    out: list[Any] = []
    for p in parts:
        if not (_is_array(p) and _is_bool(p)):
            out.append(p)
        elif tf.is_tensor(p):
            out.extend(tf.unstack(tf.where(p), num=p.ndim, axis=1))
        else:
            out.extend(np.nonzero(np.asarray(p)))
    return out


def _ellipsis_expanded(parts: list[Any], ndim: int) -> list[Any]:
    # By identity: ``in`` and ``index`` would compare arrays with == elementwise.
    at = next((i for i, p in enumerate(parts) if p is Ellipsis), None)
    if at is None:
        return parts
    consumed = sum(1 for p in parts if p is not None and p is not Ellipsis)
    return parts[:at] + [slice(None)] * (ndim - consumed) + parts[at + 1:]


def _newaxes_inserted(x: Any, parts: list[Any]) -> tuple[Any, list[Any]]:
    """``None`` as a length-1 axis inserted into x and taken whole: same result, and, as in
    NumPy, it separates the array indices on either side of it."""
    out = []
    for p in parts:
        if p is None:
            x = tf.expand_dims(x, len(out))
            p = slice(None)
        out.append(p)
    return x, out


def _index_tensor(part: Any, y: Any, axis: int) -> tf.Tensor:
    """An index (array or integer) for ``y``'s ``axis`` as int64, negatives wrapped (NumPy
    allows them; the gathers do not)."""
    n = y.shape[axis]
    if tf.is_tensor(part):
        if not part.dtype.is_integer:
            raise IndexError("arrays used as indices must be of integer (or boolean) type")
        index = tf.cast(part, tf.int64)
    else:
        index = np.asarray(part)
        if index.dtype.kind not in "iu":
            if index.size:
                raise IndexError("arrays used as indices must be of integer (or boolean) type")
            index = index.astype(np.int64)  # x[[]]: an empty list indexes nothing, as NumPy
        if n is not None and index.size and (index.min() < -n or index.max() >= n):
            bad = index[(index < -n) | (index >= n)].flat[0]
            raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
        if n is not None:
            return tf.constant(wrap_indices(index.astype(np.int64), n), tf.int64)
        index = tf.constant(index, tf.int64)
    length = tf.shape(y, out_type=tf.int64)[axis] if n is None else n
    return wrap_indices(index, length, tf.math.floormod)


def _gather_nd(y: tf.Tensor, picked: list[int], indices: list[tf.Tensor]) -> tf.Tensor:
    """``y[..., i, ..., j, ...]`` with several array indices: the indexed axes moved first,
    ``tf.gather_nd`` on the broadcast indices, the broadcast axes put where NumPy puts them."""
    shape = tf.TensorShape([])
    for i in indices:
        shape = tf.broadcast_static_shape(shape, i.shape)
    if shape.is_fully_defined():
        target: Any = shape.as_list()
    else:
        target = tf.shape(indices[0], out_type=tf.int64)
        for i in indices[1:]:
            target = tf.broadcast_dynamic_shape(target, tf.shape(i, out_type=tf.int64))
    stacked = tf.stack([tf.broadcast_to(i, target) for i in indices], axis=-1)
    rest = [d for d in range(y.ndim) if d not in picked]
    out = tf.gather_nd(tf.transpose(y, picked + rest), stacked)  # broadcast dims, then rest
    adjacent = picked == list(range(picked[0], picked[0] + len(picked)))
    if not adjacent or picked[0] == 0:
        return out
    b, before = len(shape), picked[0]  # rest dims that precede the indexed ones come first
    perm = list(range(b, b + before)) + list(range(b)) + list(range(b + before, out.ndim))
    return tf.transpose(out, perm)
