"""Random projections u^T J v for large inputs, and bisection to locate a failing entry.

A projection costs one directional derivative (one Richardson ladder), whatever the input size,
so a check of a 10^6-entry input costs tens of evaluations of ``f``. Only when a projection
disagrees does ``bisect`` split the input into blocks, keeping the half that still disagrees,
until it reaches a single entry: about log2(n) further projections.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refengine.numeric.config import OracleConfig
from refengine.numeric.differences import directional
from refengine.numeric.evaluate import flatten_output
from refengine.numeric.result import Derivative
from refengine.numeric.steps import EPS

__all__ = ["bisect", "project", "projection"]


def projection(
    f: Callable[..., Any],
    args: Sequence[Any],
    cotangent: Any,
    tangents: Sequence[Any],
    *,
    config: OracleConfig | None = None,
) -> Derivative:
    """u^T J v as a scalar Derivative (``cotangent`` shaped like the output of ``f``)."""
    jv = directional(f, args, tangents, config=config)
    return project(jv, flatten_output(cotangent).astype(np.float64))


def project(jv: Derivative, u: np.ndarray) -> Derivative:
    """u . (J v) from a directional derivative; the error bounds add up as |u| . error."""
    if u.size != jv.value.size:
        raise ValueError(f"cotangent has {u.size} entries, f has {jv.value.size} outputs")
    value = float(u @ jv.value)
    error = float(np.abs(u) @ jv.error) + 4.0 * EPS * float(np.abs(u) @ np.abs(jv.value))
    left = None if jv.left is None else np.asarray(u @ jv.left)
    right = None if jv.right is None else np.asarray(u @ jv.right)
    return Derivative(
        value=np.asarray(value),
        error=np.asarray(error if np.isfinite(value) else np.inf),
        method=jv.method,
        kink=np.asarray(bool(np.any(jv.kink[u != 0]))),
        left=left,
        right=right,
        valid=jv.valid,
        reason=jv.reason,
        evaluations=jv.evaluations,
        jump=None if jv.jump is None else np.asarray(bool(np.any(jv.jumps[u != 0]))),
    )


def bisect(
    indices: Sequence[int] | np.ndarray,
    fails: Callable[[np.ndarray], bool],
    *,
    leaf_size: int = 1,
) -> np.ndarray:
    """The smallest block of ``indices`` that still fails, found by halving.

    ``fails(block)`` re-runs the check with the direction restricted to ``block``. The search
    keeps the first half that fails; when neither half fails alone (the error needs entries
    from both), it stops and returns the current block.
    """
    block = np.asarray(indices, dtype=np.int64)
    while block.size > leaf_size:
        half = block.size // 2
        first, second = block[:half], block[half:]
        if fails(first):
            block = first
        elif fails(second):
            block = second
        else:
            break
    return block
