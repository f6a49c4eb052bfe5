"""``refengine.numpy``'s shape and indexing functions: reshape, transpose, concatenate, stack,
split, tile, flip, diagonal, pad, take, sort and the like, in NumPy's signatures."""

from __future__ import annotations

import builtins
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine.array_ops import normalize_index
from refengine.numpy._axes import axis_one, axis_tuple, ndim, shape_of, size

__all__ = [
    "argsort",
    "broadcast_to",
    "concatenate",
    "diag",
    "diagonal",
    "expand_dims",
    "flip",
    "hstack",
    "moveaxis",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "sort",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "take",
    "take_along_axis",
    "tile",
    "transpose",
    "tril",
    "triu",
    "vstack",
]


def _resolve_shape(newshape: Any, total: int) -> tuple[int, ...]:
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    if -1 in newshape:
        known = math.prod(n for n in newshape if n != -1)
        newshape = tuple(total // known if known and n == -1 else n for n in newshape)
    if math.prod(newshape) != total:
        raise ValueError(f"cannot reshape array of size {total} into shape {newshape}")
    return tuple(int(n) for n in newshape)


def reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None) -> Any:
    target = _resolve_shape(shape if shape is not None else newshape, size(a))
    if order == "F":
        reversed_shape = target[::-1]
        return transpose(reshape(transpose(a), reversed_shape))
    if order != "C":
        raise ValueError(f"rnp.reshape supports order 'C' and 'F', not {order!r}")
    if target == shape_of(a):
        return a
    return P.reshape(a, shape=target)


def ravel(a: Any) -> Any:
    return reshape(a, (-1,))


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    nd = ndim(a)
    axes = tuple(range(nd))[::-1] if axes is None else tuple(axis_one(x, nd) for x in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"axes {axes} don't match array of {nd} dimensions")
    if axes == tuple(range(nd)):
        return a
    return P.transpose(a, axes=axes)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    nd = ndim(a)
    axes = list(range(nd))
    i, j = axis_one(axis1, nd), axis_one(axis2, nd)
    axes[i], axes[j] = axes[j], axes[i]
    return transpose(a, axes)


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    nd = ndim(a)
    src = axis_tuple(source, nd)
    dst = axis_tuple(destination, nd)
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def expand_dims(a: Any, axis: Any) -> Any:
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out_nd = ndim(a) + len(axes)
    axes = axis_tuple(axes, out_nd)
    it = iter(shape_of(a))
    return reshape(a, tuple(1 if d in axes else next(it) for d in range(out_nd)))


def squeeze(a: Any, axis: Any = None) -> Any:
    shp = shape_of(a)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shp) if n == 1)
    else:
        axes = axis_tuple(axis, len(shp))
        if builtins.any(shp[i] != 1 for i in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape(a, tuple(n for i, n in enumerate(shp) if i not in axes))


def broadcast_to(a: Any, shape: Any) -> Any:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    np.broadcast_shapes(shape_of(a), shape)  # NumPy's own error for a bad shape
    if shape_of(a) == shape:
        return a
    return P.broadcast_to(a, shape=shape)


def concatenate(arrays: Sequence[Any], axis: int | None = 0) -> Any:
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(x) for x in arrays]
        axis = 0
    return P.concatenate(*arrays, axis=axis_one(axis, ndim(arrays[0])))


def stack(arrays: Sequence[Any], axis: int = 0) -> Any:
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to stack")
    axis = axis_one(axis, ndim(arrays[0]) + 1)
    return concatenate([expand_dims(x, axis) for x in arrays], axis=axis)


def hstack(arrays: Sequence[Any]) -> Any:
    """``np.hstack``: 0-d entries count as 1-d; 1-d arrays join end to end, others by column."""
    arrays = [reshape(x, (1,)) if ndim(x) == 0 else x for x in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    return concatenate(arrays, axis=0 if ndim(arrays[0]) == 1 else 1)


def vstack(arrays: Sequence[Any]) -> Any:
    """``np.vstack``: 0-d and 1-d entries become rows (1, n)."""
    return concatenate([reshape(x, (1, -1)) if ndim(x) < 2 else x for x in arrays], axis=0)


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    axis = axis_one(axis, ndim(ary))
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0, *indices_or_sections, n]
    lead = (slice(None),) * axis
    return [ary[(*lead, slice(a, b))] for a, b in itertools.pairwise(bounds)]


def tile(A: Any, reps: Any) -> Any:  # noqa: N803 - NumPy's name
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    nd = builtins.max(ndim(A), len(reps))
    a = reshape(A, (1,) * (nd - ndim(A)) + shape_of(A))
    reps = (1,) * (nd - len(reps)) + reps
    index = np.ix_(*[np.tile(np.arange(n), r) for n, r in zip(shape_of(a), reps)])
    return a[index]


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    if axis is None:
        a, axis = ravel(a), 0
    axis = axis_one(axis, ndim(a))
    index = np.repeat(np.arange(shape_of(a)[axis]), repeats)
    return a[(slice(None),) * axis + (index,)]


def flip(m: Any, axis: Any = None) -> Any:
    return P.flip(m, axis=axis_tuple(axis, ndim(m)))


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    if axis is None:
        return reshape(P.roll(ravel(a), shift=shift, axis=0), shape_of(a))
    return P.roll(a, shift=shift, axis=axis)


def tril(m: Any, k: int = 0) -> Any:
    return P.tril(m, k=k)


def triu(m: Any, k: int = 0) -> Any:
    return P.triu(m, k=k)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    nd = ndim(a)
    return P.diagonal(a, offset=offset, axis1=axis_one(axis1, nd), axis2=axis_one(axis2, nd))


def diag(v: Any, k: int = 0) -> Any:
    if ndim(v) == 2:
        return diagonal(v, k)
    if ndim(v) != 1:
        raise ValueError("rnp.diag takes a 1-d or 2-d input")
    n = shape_of(v)[0] + builtins.abs(k)
    rows = np.arange(shape_of(v)[0]) + builtins.max(-k, 0)
    return P.scatter_add(v, shape=(n, n), index=(rows, rows + k))


def pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: float = 0) -> Any:
    if mode != "constant":
        raise NotImplementedError(f"rnp.pad supports mode='constant' only, not {mode!r}")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (ndim(array), 2))
    return P.pad(array, pad_width=tuple(map(tuple, widths.tolist())), value=constant_values)


def take(a: Any, indices: Any, axis: int | None = None) -> Any:
    if axis is None:
        return ravel(a)[normalize_index(indices)]
    axis = axis_one(axis, ndim(a))
    return a[(slice(None),) * axis + (normalize_index(indices),)]


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Any:
    if axis is None:
        return ravel(arr)[normalize_index(indices)]
    nd = ndim(arr)
    axis = axis_one(axis, nd)
    indices = normalize_index(indices)
    index = []
    for d in range(nd):
        if d == axis:
            index.append(indices)
        else:
            n = shape_of(arr)[d]
            index.append(np.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1)))
    return arr[tuple(index)]


def argsort(a: Any, axis: int = -1) -> Any:
    return P.argsort(a, axis=axis)


def sort(a: Any, axis: int | None = -1) -> Any:
    """Sort by gathering at the stable argsort: ties keep their order, and each entry's
    gradient goes to the position it came from."""
    if axis is None:
        a, axis = ravel(a), 0
    return take_along_axis(a, argsort(a, axis=axis), axis)
