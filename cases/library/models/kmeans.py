"""The k-means objective, as GradBench's ``evals/kmeans`` computes it: the sum over points of
the squared distance to the nearest centroid, with all pairwise distances from
|p|^2 + |c|^2 - 2 c.p. GradBench then asks for the Hessian's diagonal (a Newton step); here
the objective is the case and the harness takes whatever derivatives it checks."""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "kmeans_cost"]


def kmeans_cost(xp: Any, centroids: Any, points: Any) -> Any:
    point_sq = xp.sum(points * points, axis=1)[None, :]  # (1, n)
    centroid_sq = xp.sum(centroids * centroids, axis=1)[:, None]  # (k, 1)
    distances = point_sq + centroid_sq - 2.0 * xp.matmul(centroids, xp.transpose(points))
    return xp.sum(xp.min(distances, axis=0))


def _sample(rng: np.random.Generator, size: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    # Clustered data (every centroid owns points, as GradBench guarantees), with the centroids
    # offset from their cluster means: each point's nearest centroid wins by a clear margin, so
    # no finite difference crosses a tie in the min.
    k, n, d = size
    means = 4.0 * rng.normal(size=(k, d))
    points = means[np.arange(n) % k] + 0.3 * rng.normal(size=(n, d))
    return means + 0.2 * rng.normal(size=(k, d)), points


CASES = [
    Case(
        "kmeans",
        kmeans_cost,
        args=(Arg("centroids", D.REAL, lambda s: (s[0], s[2])),
              Arg("points", D.REAL, lambda s: (s[1], s[2]), diff=False)),
        sampler=_sample,
        sizes=Sizes(check=(3, 12, 2), sweep=((5, 1_000, 2), (50, 10_000, 8),
                                            (100, 100_000, 16)),
                    names=("k", "n", "d")),
        tags={"model", "gradbench"},
        note="GradBench evals/kmeans (cost) on clustered data (no nearest-centroid ties)",
    ),
]
