"""How ``refengine.numpy`` reads shapes and NumPy's axis arguments (None, negative, tuples)."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from refengine.primitive import holds_tracer

__all__ = ["axis_one", "axis_tuple", "ndim", "shape_of", "size"]


def shape_of(a: Any) -> tuple[int, ...]:
    # Arrays, NumPy scalars and tracers all carry .shape; np.shape is for Python scalars/lists.
    try:
        return a.shape
    except AttributeError:
        if type(a) in (list, tuple) and a and holds_tracer(a):
            # A list holding traced values (rnp.mean([x, y])): as NumPy would stack it.
            inner = {shape_of(item) for item in a}
            if len(inner) != 1:
                raise ValueError(
                    f"a list of arrays of different shapes {sorted(inner)} is not an array; "
                    "NumPy cannot stack it either"
                ) from None
            return (len(a), *inner.pop())
        return np.shape(a)


def ndim(a: Any) -> int:
    return len(shape_of(a))


def size(a: Any) -> int:
    return math.prod(shape_of(a))


def axis_tuple(axis: Any, nd: int) -> tuple[int, ...]:
    """NumPy's ``axis`` (None: every axis; an int or a sequence, negative allowed) as a tuple of
    non-negative axes."""
    if axis is None:
        return tuple(range(nd))
    if type(axis) is int and 0 <= axis < nd:  # the common case, already normal
        return (axis,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for ax in axes:
        ax = int(ax)
        if not -nd <= ax < builtins.max(nd, 1):
            raise np.exceptions.AxisError(ax, nd)
        out.append(ax % nd if nd else 0)
    return tuple(out)


def axis_one(axis: int, nd: int) -> int:
    """One axis, negative allowed, as a non-negative one (NumPy's AxisError if out of range)."""
    if not -nd <= axis < nd:
        raise np.exceptions.AxisError(axis, nd)
    return axis % nd
