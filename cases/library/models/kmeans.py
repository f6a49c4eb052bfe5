"""The k-means objective and GradBench's Newton direction, as GradBench's ``evals/kmeans``
defines them.

``kmeans``: the cost, the sum over points of the squared distance to the nearest centroid,
with all pairwise distances from |p|^2 + |c|^2 - 2 c.p (as GradBench's JAX tool writes it).

``kmeans-dir``: GradBench's ``dir`` output, the gradient J of the cost over the Hessian's
diagonal, entry by entry. The Hessian is diagonal (2 n_j on centroid j's coordinates, n_j its
points), so its diagonal is the Hessian-vector product with ones, H 1; the case takes it as a
nested derivative, xp.grad of the summed xp.grad, as GradBench's JAX tool does with a JVP of
the gradient. (GradBench's manual reference uses the closed form instead, J / diag H =
c_j - mean of c_j's points; the tests check the case against that.)

Inputs are drawn as GradBench's eval draws them: points from U(0, 1), the centroids the last k
points (so every centroid owns a point). One difference: a point whose two nearest centroids
are within ``TIE_MARGIN`` in squared distance is drawn again, so that no finite difference
crosses a tie in the min (GradBench does not need one).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "GRADBENCH_SIZES", "TIE_MARGIN", "kmeans_cost", "kmeans_dir"]

TIE_MARGIN = 0.01
# GradBench evals/kmeans run.py's defaults: k x n x d, ordered by k n d, labelled as it does.
GRADBENCH_SIZES: dict[str, tuple[int, int, int]] = {
    f"k={k},n={n},d={d}": (k, n, d)
    for k, n, d in sorted(((k, n, d) for k in (10, 100, 1000) for n in (1000, 10_000)
                           for d in (8, 16)), key=lambda knd: knd[0] * knd[1] * knd[2])
}


def kmeans_cost(xp: Any, centroids: Any, points: Any) -> Any:
    point_sq = xp.sum(points * points, axis=1)[None, :]  # (1, n)
    centroid_sq = xp.sum(centroids * centroids, axis=1)[:, None]  # (k, 1)
    distances = point_sq + centroid_sq - 2.0 * xp.matmul(centroids, xp.transpose(points))
    return xp.sum(xp.min(distances, axis=0))


def kmeans_dir(xp: Any, centroids: Any, points: Any) -> Any:
    gradient = xp.grad(lambda c: kmeans_cost(xp, c, points))
    hessian_diagonal = xp.grad(lambda c: xp.sum(gradient(c)))(centroids)  # H 1 = diag H
    return gradient(centroids) / hessian_diagonal


def _squared_distances(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return (np.sum(points**2, axis=1)[:, None] + np.sum(centroids**2, axis=1)[None, :]
            - 2.0 * points @ centroids.T)


def _sample(rng: np.random.Generator, size: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    k, n, d = size
    points = rng.uniform(size=(n, d))
    for _ in range(100):
        # The centroids are points, so redrawing a point may move a centroid: look again.
        nearest_two = np.partition(_squared_distances(points, points[-k:]), 1, axis=1)[:, :2]
        tied = nearest_two[:, 1] - nearest_two[:, 0] < TIE_MARGIN
        if not tied.any():
            return points[-k:].copy(), points
        points[tied] = rng.uniform(size=(int(tied.sum()), d))
    raise ValueError(f"kmeans at k={k}, n={n}, d={d}: could not draw points without "
                     f"near-ties in 100 rounds")


ARGS = (Arg("centroids", D.REAL, lambda s: (s[0], s[2])),
        Arg("points", D.REAL, lambda s: (s[1], s[2]), diff=False))
SIZES = Sizes(check=(3, 12, 2), sweep=((5, 1_000, 2), *GRADBENCH_SIZES.values()),
              names=("k", "n", "d"), gradbench=tuple(GRADBENCH_SIZES.items()))

CASES = [
    Case(
        "kmeans",
        kmeans_cost,
        args=ARGS,
        sampler=_sample,
        sizes=SIZES,
        tags={"model", "gradbench"},
        note="GradBench evals/kmeans (cost), points ~ U(0, 1), centroids the last k points, "
             "near-ties redrawn; sweep (5, 1000, 2), then GradBench's 12 default sizes "
             "(k up to 1000, n up to 10000, d in {8, 16})",
    ),
    Case(
        "kmeans-dir",
        kmeans_dir,
        args=ARGS,
        output_shape=lambda s: (s[0], s[2]),
        sampler=_sample,
        sizes=SIZES,
        requires={"grad"},
        tags={"model", "gradbench", "nested"},
        note="GradBench evals/kmeans (dir): gradient over the Hessian's diagonal, the diagonal "
             "as H 1 by nested xp.grad (GradBench's manual tool has the closed form c_j - "
             "mean of cluster j); inputs and sweep as kmeans",
    ),
]
