"""More of NumPy's shape functions, as composites of ``_shape``'s: the ``atleast`` family and
the stacks built on it, array_split and its h/v/d forms, kron, inner, rot90, rollaxis, select,
partition, append, diff and gradient."""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from refengine.numpy._axes import axis_one, axis_tuple, ndim, shape_of, size
from refengine.numpy._shape import (
    concatenate,
    flip,
    ravel,
    reshape,
    sort,
    split,
    transpose,
)

__all__ = [
    "append", "array_split", "cross", "atleast_1d", "atleast_2d", "atleast_3d", "column_stack",
    "diff", "dsplit", "dstack", "fliplr", "flipud", "gradient", "hsplit", "inner", "kron",
    "partition", "rollaxis", "rot90", "row_stack", "select", "vsplit",
]


def _atleast(a: Any, n: int) -> Any:
    """``a`` with at least ``n`` axes, as NumPy adds them: (k,) becomes (1, k) and, for three,
    (1, k, 1); (m, k) becomes (m, k, 1)."""
    shape = shape_of(a)
    if len(shape) >= n:
        return a
    if len(shape) == 0:
        return reshape(a, (1,) * n)
    if len(shape) == 1:
        return reshape(a, (1, shape[0]) if n == 2 else (1, shape[0], 1))
    return reshape(a, (*shape, 1))


def _each(arys: tuple[Any, ...], n: int) -> Any:
    out = [_atleast(a, n) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*arys: Any) -> Any:
    return _each(arys, 1)


def atleast_2d(*arys: Any) -> Any:
    return _each(arys, 2)


def atleast_3d(*arys: Any) -> Any:
    return _each(arys, 3)


def dstack(tup: Sequence[Any]) -> Any:
    return concatenate([_atleast(a, 3) for a in tup], axis=2)


def column_stack(tup: Sequence[Any]) -> Any:
    """1-d (and 0-d) arrays become columns; 2-d arrays are stacked as they are."""
    cols = [reshape(a, (-1, 1)) if ndim(a) < 2 else a for a in tup]
    return concatenate(cols, axis=1)


def row_stack(tup: Sequence[Any]) -> Any:
    from refengine.numpy._shape import vstack

    return vstack(tup)


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """``np.array_split``: as split, but N sections need not divide the axis evenly (the
    first ones are one longer)."""
    if not isinstance(indices_or_sections, (int, np.integer)):
        return split(ary, indices_or_sections, axis=axis)
    sections = int(indices_or_sections)
    if sections <= 0:
        raise ValueError("number sections must be larger than 0.")
    each, extra = divmod(shape_of(ary)[axis_one(axis, ndim(ary))], sections)
    sizes = [each + 1] * extra + [each] * (sections - extra)
    return split(ary, list(itertools.accumulate(sizes))[:-1], axis=axis)


def _split_needing(ary: Any, n: int, name: str, axis: int, sections: Any) -> list[Any]:
    if ndim(ary) < n:
        raise ValueError(f"{name} only works on arrays of {n} or more dimensions")
    return split(ary, sections, axis=axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    if ndim(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, axis=1 if ndim(ary) > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    return _split_needing(ary, 2, "vsplit", 0, indices_or_sections)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    return _split_needing(ary, 3, "dsplit", 2, indices_or_sections)


def fliplr(m: Any) -> Any:
    if ndim(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def flipud(m: Any) -> Any:
    if ndim(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def kron(a: Any, b: Any) -> Any:
    """``np.kron``: every product a[i] * b[j], block i of the result being a[i] * b."""
    sa, sb = shape_of(a), shape_of(b)
    nd = builtins.max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + sa
    sb = (1,) * (nd - len(sb)) + sb
    # Interleave the axes: a's on the even positions, b's on the odd, so each output axis is
    # (a's index, b's index) in C order.
    wide_a = reshape(a, tuple(itertools.chain.from_iterable((n, 1) for n in sa)))
    wide_b = reshape(b, tuple(itertools.chain.from_iterable((1, n) for n in sb)))
    return reshape(wide_a * wide_b, tuple(m * n for m, n in zip(sa, sb)))


def inner(a: Any, b: Any) -> Any:
    """``np.inner``: the sum over the last axes of a and b (a product when either is 0-d)."""
    from refengine.numpy import tensordot  # defined beside einsum, which imports this module

    if ndim(a) == 0 or ndim(b) == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Any:
    """``np.rot90``: a rotation by 90 degrees k times in the plane of ``axes``, first towards
    the second, as NumPy composes it from flip and transpose."""
    axes = tuple(axes)
    nd = ndim(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or builtins.abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    a0, a1 = axis_one(axes[0], nd), axis_one(axes[1], nd)
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    order = list(range(nd))
    order[a0], order[a1] = order[a1], order[a0]
    if k == 1:
        return transpose(flip(m, a1), order)
    return flip(transpose(m, order), a1)


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """``np.rollaxis``: ``axis`` moved to stand before ``start``."""
    n = ndim(a)
    axis = axis_one(axis, n)
    if not -n <= start <= n:
        raise np.exceptions.AxisError(
            f"'start' arg requires {-n} <= start < {n + 1}, not {start}"
        )
    start = start + n if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return a
    order = [i for i in range(n) if i != axis]
    order.insert(start, axis)
    return transpose(a, order)


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """``np.select``: the choice of the first true condition, else ``default``; the derivative
    goes to the chosen entry (a chain of ``where``)."""
    from refengine.numpy import where

    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    out = default
    for cond, choice in zip(reversed(list(condlist)), reversed(list(choicelist))):
        cond = np.asarray(cond)
        if cond.dtype != bool:
            raise TypeError(
                f"invalid entry in condlist: should be boolean ndarray, not {cond.dtype}"
            )
        out = where(cond, choice, out)
    # NumPy broadcasts every condition and choice together, even one never chosen.
    shape = np.broadcast_shapes(*(np.shape(c) for c in condlist), *map(shape_of, choicelist))
    from refengine.numpy._shape import broadcast_to

    return broadcast_to(out, shape)


def partition(a: Any, kth: Any, axis: int | None = -1) -> Any:
    """``np.partition``: the k-th entries where sorting would put them, smaller ones before and
    larger ones after. Sorting satisfies that (NumPy leaves the order within each side
    unspecified), so this is ``sort``; each entry's derivative goes to where it came from."""
    n = size(a) if axis is None else shape_of(a)[axis_one(axis, ndim(a))]
    for k in np.atleast_1d(kth):
        if not -n <= int(k) < n:
            raise ValueError(f"kth(={int(k)}) out of bounds ({n})")
    return sort(a, axis=axis)


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """``np.diff``: the n-th forward difference along ``axis``."""
    if prepend is not None or append is not None:
        raise NotImplementedError(
            "rnp.diff supports no prepend=/append=: concatenate them to the input first"
        )
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    axis = axis_one(axis, ndim(a))
    lead = (slice(None),) * axis
    for _ in range(n):
        a = a[(*lead, slice(1, None))] - a[(*lead, slice(None, -1))]
    return a


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """``np.gradient`` with uniform spacing (a scalar per axis, 1 by default): central
    differences inside, one-sided ones of order ``edge_order`` at the edges; one array for one
    axis, else a tuple."""
    nd = ndim(f)
    axes = axis_tuple(axis, nd)
    if not varargs:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes) and builtins.all(np.ndim(h) == 0 for h in varargs):
        spacing = list(varargs)
    else:
        raise NotImplementedError(
            "rnp.gradient supports uniform spacing only (one scalar, or one per axis), not "
            "coordinate arrays"
        )
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    out = tuple(_gradient_along(f, ax, h, edge_order) for ax, h in zip(axes, spacing))
    return out[0] if len(out) == 1 else out


def _gradient_along(f: Any, axis: int, h: Any, edge_order: int) -> Any:
    n = shape_of(f)[axis]
    if n < edge_order + 1:
        raise ValueError(
            "Shape of array too small to calculate a numerical gradient, at least "
            "(edge_order + 1) elements are required."
        )
    lead = (slice(None),) * axis

    def at(s: Any) -> Any:
        return f[(*lead, s)]

    if edge_order == 1:
        first = (at(slice(1, 2)) - at(slice(0, 1))) / h
        last = (at(slice(-1, None)) - at(slice(-2, -1))) / h
    else:
        first = (-1.5 * at(slice(0, 1)) + 2.0 * at(slice(1, 2)) - 0.5 * at(slice(2, 3))) / h
        last = (
            0.5 * at(slice(-3, -2)) - 2.0 * at(slice(-2, -1)) + 1.5 * at(slice(-1, None))
        ) / h
    inside = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
    return concatenate([first, inside, last], axis=axis)


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Any:
    """``np.cross`` of 2- and 3-vectors along ``axisa``/``axisb`` (a 2-vector has z = 0; two
    2-vectors give the z component alone), the result's vectors along ``axisc``."""
    from refengine.numpy import moveaxis

    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return z
    a2 = a[..., 2] if na == 3 else 0.0
    b2 = b[..., 2] if nb == 3 else 0.0
    from refengine.numpy import stack

    out = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, z], axis=-1)
    return moveaxis(out, -1, axisc)
