"""Framework-free pieces several zoo modules share: the MLP's data and weights, and a matrix
of a given condition number. NumPy float64 here; each framework converts to its own dtype."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["MLPData", "conditioned_matrix", "mlp_data"]


class MLPData(NamedTuple):
    x: np.ndarray  # (16, 3) inputs
    y: np.ndarray  # (16, 1) targets
    params: tuple[np.ndarray, ...]  # w1 (3, 6), b1 (6,), w2 (6, 1), b2 (1,): 31 weights


def mlp_data(rng: np.random.Generator) -> MLPData:
    """A 3-6-1 regression problem with weights at a random (not optimal) point, so the gradient
    is not near zero."""
    x = rng.standard_normal((16, 3))
    y = np.sin(x @ np.array([[1.0], [-0.5], [0.25]]))
    params = (
        rng.standard_normal((3, 6)) / np.sqrt(3),
        0.1 * rng.standard_normal(6),
        rng.standard_normal((6, 1)) / np.sqrt(6),
        0.1 * rng.standard_normal(1),
    )
    return MLPData(x, y, params)


def conditioned_matrix(rng: np.random.Generator, n: int, cond: float) -> np.ndarray:
    """A random n x n matrix U diag(s) V^T with singular values from 1 down to 1/cond."""
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.logspace(0, -np.log10(cond), n)
    return (u * s) @ v.T
