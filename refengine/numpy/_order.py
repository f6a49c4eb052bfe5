"""Order statistics that NumPy spells without a function of their own: ``cummax`` (NumPy's
``np.maximum.accumulate``) and ``topk`` (``-np.sort(-x)[..., :k]``). Both gather ``x`` at
indices computed from its values (integer data), so their derivatives are gather's: each
output's cotangent goes to the one entry it was taken from.

Convention at ties (a kink: any split of the cotangent among tied entries is a subgradient):
``cummax`` takes the earliest entry attaining the running maximum, ``topk`` the earliest of
equal values (a stable sort of ``-x``), as ``argmax`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from refengine import primitives as P
from refengine.numpy._axes import axis_one, ndim
from refengine.numpy._shape import take_along_axis

__all__ = ["cummax", "running_argmax", "topk"]


def running_argmax(values: np.ndarray, axis: int) -> np.ndarray:
    """Per position along ``axis``, the earliest index holding the running maximum."""
    moved = np.moveaxis(values, axis, -1)
    n = moved.shape[-1]
    best = np.maximum.accumulate(moved, axis=-1)
    previous = np.concatenate([np.full((*moved.shape[:-1], 1), -np.inf), best[..., :-1]], -1)
    # A new maximum starts where an entry beats everything before it (strictly: a tie keeps
    # the earlier index); NaN starts one too, as it propagates through np.maximum.
    starts = (moved > previous) | np.isnan(moved)
    starts[..., 0] = True
    index = np.maximum.accumulate(np.where(starts, np.arange(n), 0), axis=-1)
    return np.moveaxis(index, -1, axis)


def cummax(x: Any, axis: int = -1) -> Any:
    """The running maximum along ``axis`` (``np.maximum.accumulate(x, axis)``)."""
    axis = axis_one(axis, ndim(x))
    return take_along_axis(x, running_argmax(np.asarray(P.stop_gradient(x)), axis), axis)


def topk(x: Any, k: int) -> Any:
    """The ``k`` largest entries along the last axis, largest first."""
    values = np.asarray(P.stop_gradient(x))
    if not 0 <= k <= values.shape[-1]:
        raise ValueError(f"topk: k={k} is outside [0, {values.shape[-1]}] (the last axis)")
    order = np.argsort(-values, axis=-1, kind="stable")[..., :k]
    return take_along_axis(x, order, -1)
