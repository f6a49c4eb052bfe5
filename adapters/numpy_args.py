"""NumPy's argument conventions, framework-neutral: the parts of the torch and TensorFlow
``xp`` tables that translate NumPy's arguments the same way in both (each passes its own
array functions where one is needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["axes_tuple", "inserted_axes", "over_axes", "split_points", "wrap_indices"]


def axes_tuple(axis: Any, ndim: int) -> tuple[int, ...]:
    """NumPy's ``axis`` (None, an int or a tuple; negative allowed) as a tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(int(a) % ndim if ndim else 0 for a in axes)


def inserted_axes(axis: Any, ndim: int) -> list[int]:
    """NumPy's ``expand_dims`` axis (an int or a tuple; negative allowed, counted in the
    result) as the positions to insert, in the order that inserting one at a time into an
    ``ndim``-dimensional array needs."""
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return sorted(axes_tuple(axes, ndim + len(axes)))


def over_axes(
    op: Callable[[Any, int], Any], x: Any, axis: Any, *,
    moveaxis: Callable[[Any, Any, Any], Any], reshape: Callable[[Any, Any], Any],
) -> Any:
    """``op(x, -1)``, which normalizes over one axis (torch's and tf.nn's softmax), over
    SciPy's ``axis`` instead (None: all of them): move those axes to the end, merge them into
    one, run ``op`` there, and put the axes back."""
    axes = axes_tuple(axis, x.ndim)
    end = tuple(range(x.ndim - len(axes), x.ndim))
    moved = moveaxis(x, axes, end)
    merged = reshape(moved, [*moved.shape[: x.ndim - len(axes)], -1])
    return moveaxis(reshape(op(merged, -1), moved.shape), end, axes)


def split_points(n: int, indices_or_sections: Any) -> int | list[int]:
    """NumPy's ``split`` argument for an axis of length ``n``: a number of sections, which
    must divide the axis equally (torch and TensorFlow would quietly make them unequal), or
    the indices to split at, as ints."""
    if isinstance(indices_or_sections, (int, np.integer)):
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        return int(indices_or_sections)
    return [int(i) for i in indices_or_sections]


def wrap_indices(indices: Any, n: int, remainder: Callable[[Any, int], Any] = np.remainder) -> Any:
    """Negative indices counted from the end of an axis of length ``n``, as NumPy allows and
    the frameworks' gathers do not: ``remainder(indices, n)`` (the framework's own for its
    tensors), left alone on an empty axis."""
    return remainder(indices, n) if n else indices
