"""Full Jacobians (one directional derivative per input entry) and gradients.

Meant for small inputs: the cost is one Richardson ladder per column. For large inputs use
``projection`` and locate failures with ``bisect``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refengine.numeric.config import OracleConfig
from refengine.numeric.differences import directional_flat, prepare
from refengine.numeric.evaluate import FlatFunction
from refengine.numeric.result import Derivative, OracleError

__all__ = ["gradient", "jacobian", "jacobian_columns", "stack_columns"]


def jacobian(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    columns: Sequence[int] | None = None,
    config: OracleConfig | None = None,
) -> Derivative:
    """The Jacobian of ``f(*args)`` with shape (output size, input size).

    Inputs are all arguments flattened and concatenated (argument 0 first); ``columns`` picks a
    subset of those flat input indices (e.g. one block while locating a failure).
    """
    fun, x, f0 = prepare(f, args)
    return jacobian_columns(fun, x, f0, columns, config or OracleConfig())


def jacobian_columns(
    fun: FlatFunction,
    x: np.ndarray,
    f0: np.ndarray,
    columns: Sequence[int] | None,
    config: OracleConfig,
) -> Derivative:
    cols = range(x.size) if columns is None else [int(c) for c in columns]
    results = []
    for j in cols:
        e = np.zeros_like(x)
        e[j] = 1.0
        results.append(directional_flat(fun, x, e, f0, config))
    return stack_columns(results, f0.size)


def gradient(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    argnum: int = 0,
    config: OracleConfig | None = None,
) -> Derivative:
    """The gradient of a scalar ``f`` with respect to ``args[argnum]``, shaped like it."""
    fun, x, f0 = prepare(f, args)
    if f0.size != 1:
        raise OracleError(f"gradient needs a scalar function; f returned {f0.size} values")
    fl = fun.flattener
    lo, hi = fl.offsets[argnum], fl.offsets[argnum + 1]
    jac = jacobian_columns(fun, x, f0, range(lo, hi), config or OracleConfig())
    return jac.reshape(fl.shapes[argnum])


def stack_columns(results: Sequence[Derivative], rows: int) -> Derivative:
    """Directional derivatives (one per column) as one (rows, columns) Derivative."""
    if not results:
        empty = np.zeros((rows, 0))
        return Derivative(empty, empty.copy(), "exact", np.zeros((rows, 0), bool))

    def side(name: str) -> np.ndarray:
        parts = [getattr(r, name) for r in results]
        return np.stack([np.full(rows, np.nan) if p is None else p for p in parts], axis=1)

    by_reason: dict[str, list[int]] = {}
    for j, r in enumerate(results):
        if r.reason:
            by_reason.setdefault(r.reason, []).append(j)
    reasons = [
        f"column {cols[0]}" + (f" (and {len(cols) - 1} more)" if len(cols) > 1 else "") + f": {r}"
        for r, cols in by_reason.items()
    ]
    methods = sorted({r.method for r in results})
    return Derivative(
        value=np.stack([r.value for r in results], axis=1),
        error=np.stack([r.error for r in results], axis=1),
        method="+".join(methods),
        kink=np.stack([r.kink for r in results], axis=1),
        left=side("left"),
        right=side("right"),
        valid=all(r.valid for r in results),
        reason="; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else ""),
        evaluations=sum(r.evaluations for r in results) + 1,
        jump=None if all(r.jump is None for r in results) else np.stack(
            [r.jumps for r in results], axis=1
        ),
    )
