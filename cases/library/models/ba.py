"""Bundle adjustment reprojection error, as GradBench's ``evals/ba`` (from ADBench) defines it.

Each camera has 11 parameters: a Rodrigues rotation (3), the centre (3), the focal length
(1), the principal point (2) and two radial distortion coefficients. Observation j sees point
``point_index[j]`` from camera ``cam_index[j]`` with weight w_j:

    X_cam = R(rot) (X - centre);   p = X_cam[:2] / X_cam[2];   r2 = |p|^2
    reprojection error_j = w_j (f p (1 + k1 r2 + k2 r2^2) + x0 - feature_j)
    weight error_j = 1 - w_j^2

The output is every residual, flattened (2P reprojection entries, then P weight entries): a
vector-valued function whose Jacobian is sparse. ADBench's Rodrigues code branches on a zero
rotation; the sampler keeps every rotation angle away from 0, so the vectorised form here
never needs that branch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "GRADBENCH_SIZES", "reprojection_residuals"]

# GradBench evals/ba's default problems, ba1 to ba14 (its --max), named by their data files
# ba<i>_n<cameras>_m<points>_p<observations>: the sweep uses their shapes with synthetic data.
GRADBENCH_SIZES: dict[str, tuple[int, int, int]] = {
    "ba1": (49, 7776, 31843),
    "ba2": (21, 11315, 36455),
    "ba3": (161, 48126, 182072),
    "ba4": (372, 47423, 204472),
    "ba5": (257, 65132, 225911),
    "ba6": (539, 65220, 277273),
    "ba7": (93, 61203, 287451),
    "ba8": (88, 64298, 383937),
    "ba9": (810, 88814, 393775),
    "ba10": (1197, 126327, 563734),
    "ba11": (1723, 156502, 678718),
    "ba12": (253, 163691, 899155),
    "ba13": (245, 198739, 1091386),
    "ba14": (356, 226730, 1255268),
}


def _cross(xp: Any, a: Any, b: Any) -> Any:
    a0, a1, a2 = a[:, 0], a[:, 1], a[:, 2]
    b0, b1, b2 = b[:, 0], b[:, 1], b[:, 2]
    return xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=1)


def _rotate(xp: Any, rot: Any, v: Any) -> Any:
    """Rodrigues' formula, rows at a time: rotate each v by the angle-axis vector rot."""
    theta = xp.sqrt(xp.sum(rot * rot, axis=1, keepdims=True))
    axis = rot / theta
    cos, sin = xp.cos(theta), xp.sin(theta)
    along = xp.sum(axis * v, axis=1, keepdims=True)
    return v * cos + _cross(xp, axis, v) * sin + axis * along * (1.0 - cos)


def reprojection_residuals(xp: Any, cams: Any, points: Any, w: Any, features: Any,
                           cam_index: Any, point_index: Any) -> Any:
    cam = xp.take(cams, cam_index, axis=0)  # (P, 11)
    point = xp.take(points, point_index, axis=0)  # (P, 3)
    in_camera = _rotate(xp, cam[:, 0:3], point - cam[:, 3:6])
    projected = in_camera[:, 0:2] / in_camera[:, 2:3]
    r2 = xp.sum(projected * projected, axis=1, keepdims=True)
    distortion = 1.0 + cam[:, 9:10] * r2 + cam[:, 10:11] * r2 * r2
    predicted = projected * distortion * cam[:, 6:7] + cam[:, 7:9]
    reprojection = w[:, None] * (predicted - features)
    return xp.concatenate([xp.reshape(reprojection, (-1,)), 1.0 - w * w])


def _sample(rng: np.random.Generator, size: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    n_cams, n_points, n_obs = size
    angle = rng.uniform(0.1, 0.3, size=(n_cams, 1))  # never 0: no Rodrigues branch needed
    direction = rng.normal(size=(n_cams, 3))
    rotation = angle * direction / np.linalg.norm(direction, axis=1, keepdims=True)
    centre = rng.normal(scale=0.1, size=(n_cams, 3))
    focal = rng.uniform(0.8, 1.2, size=(n_cams, 1))
    principal = rng.normal(scale=0.1, size=(n_cams, 2))
    radial = rng.uniform(-0.05, 0.05, size=(n_cams, 2))
    cams = np.concatenate([rotation, centre, focal, principal, radial], axis=1)
    # Points in front of every camera: depth 3-6, so X_cam[2] stays >= ~1.5 after a rotation
    # of at most 0.3 rad and a small offset (the projection divides by it).
    points = np.column_stack([rng.uniform(-1, 1, size=(n_points, 2)),
                              rng.uniform(3, 6, size=n_points)])
    w = rng.uniform(0.5, 1.5, size=n_obs)
    features = rng.normal(scale=0.3, size=(n_obs, 2))
    # Every camera and every point is observed (P >= N, M), as in ADBench's generator.
    cam_index = np.arange(n_obs) % n_cams
    point_index = rng.permutation(np.arange(n_obs) % n_points)
    return cams, points, w, features, cam_index, point_index


CASES = [
    Case(
        "ba",
        reprojection_residuals,
        args=(
            Arg("cams", D.REAL, lambda s: (s[0], 11)),
            Arg("points", D.REAL, lambda s: (s[1], 3)),
            Arg("w", D.POSITIVE, lambda s: (s[2],)),
            Arg("features", D.REAL, lambda s: (s[2], 2), diff=False),
            Arg("cam_index", D.integers(0, 10**9), lambda s: (s[2],), diff=False),
            Arg("point_index", D.integers(0, 10**9), lambda s: (s[2],), diff=False),
        ),
        output_shape=lambda s: (3 * s[2],),
        sampler=_sample,
        sizes=Sizes(
            check=(2, 4, 6),
            sweep=((3, 20, 60), *GRADBENCH_SIZES.values()),
            names=("n", "m", "p"),
            gradbench=tuple(GRADBENCH_SIZES.items()),
        ),
        tags={"model", "gradbench", "adbench"},
        note="GradBench evals/ba (ADBench's bundle adjustment); the sweep is (3, 20, 60), "
             "then the shapes of GradBench's default problems ba1 (n49 m7776 p31843) to ba14 "
             "(n356 m226730 p1255268) with synthetic data. Differs: GradBench repeats one "
             "camera, point, weight and feature over the whole problem and indexes points "
             "i mod m; here they are drawn and the point indices permuted",
    ),
]
