"""Hand tracking, as GradBench's ``evals/ht`` (from ADBench) defines it, on a synthetic hand.

A skinned hand model (22 bones: the wrist, four bones per finger, the forearm) is posed by 26
parameters theta: a global angle-axis rotation (3), a global translation (3), and four finger
angles per finger (two on the finger's second bone, one on its third and fourth). Each posed
bone's relative transform is its base relative transform times a rotation Rz(b) Rx(a) from its
angles (GradBench's Euler "xzy" with the y angle always 0); the absolutes chain down the bone
hierarchy, each times the bone's inverse base absolute; every vertex is the weighted sum of its
rest position moved by each bone's transform (linear blend skinning); then the global rotation
(Rodrigues' formula) and translation apply. The residual of correspondence i is

    simple:       points_i - vertex[correspondences_i]
    complicated:  points_i - (u0 v0 + u1 v1 + (1 - u0 - u1) v2),  (v0, v1, v2) the vertices of
                  triangle correspondences_i and (u0, u1) = us_i its barycentric coordinates,

flattened to 3C entries. ``ht-complicated`` differentiates with respect to theta and us,
``ht-simple`` with respect to theta. GradBench's Jacobian output is this Jacobian; for the
complicated variant it stores only the two nonzero us columns of each row (the us block is
block diagonal), before the theta columns: the same numbers.

The model data is synthetic. GradBench's hand model files (evals/ht/data, from ADBench) carry
their own licence, so they are not copied here; ``synthetic_hand`` draws, deterministically per
(vertices, triangles), a model of the same shape and structure: GradBench's bone hierarchy,
rigid base relative transforms, inverse base absolutes consistent with them (the rest pose maps
every vertex to itself), rest vertices along the bones, up to four bone weights per vertex that
sum to 1, and triangles of three distinct vertices. It is not mirrored (GradBench's reader
always sets ``is_mirrored`` false). Sizes are GradBench's: its default ("big") model has 10,000
vertices and 1,084 triangles, and its problems hand1 to hand12 have 100 to 100,000
correspondences, labelled by its data files' names.

GradBench's data files are the only source of its inputs (it has no generator); they are drawn
here as those files look: theta ~ N(0, 1), us ~ U(0, 0.5)^2, correspondences uniform over the
triangles (complicated) or vertices (simple), points the posed model plus noise.

Rodrigues' formula divides by the rotation angle |theta[0:3]|. GradBench's reference returns
the identity below an angle of 1e-4 (a branch whose derivative is 0 there, not the rotation's);
the case writes the formula without that branch and its domain keeps the angle at least
``MIN_ANGLE``, so neither the branch nor the 0/0 is ever reached.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes
from cases.domains.domain import not_finite

__all__ = [
    "BONE_NAMES",
    "CASES",
    "GRADBENCH_SIZES",
    "MIN_ANGLE",
    "PARENTS",
    "ht_complicated",
    "ht_simple",
    "posed_vertices",
    "synthetic_hand",
]

FINGERS = ("thumb", "index", "middle", "ring", "pinky")
BONE_NAMES: tuple[str, ...] = (
    "wrist", *(f"{f}{i}" for f in FINGERS for i in range(1, 5)), "forearm")
# GradBench's hierarchy: each finger's first bone hangs off the wrist, the next three off the
# bone before; the forearm off the wrist. Parents come before their children.
PARENTS: tuple[int, ...] = (
    -1, *(0 if i == 0 else 1 + 4 * f + i - 1 for f in range(5) for i in range(4)), 0)
N_BONES = len(BONE_NAMES)  # 22
N_THETA = 26
MIN_ANGLE = 0.1

# GradBench's default ("big") model: 10,000 vertices, 1,084 triangles; its problems hand1 ..
# hand12 (evals/ht/data/*_big/hand<i>_t26_c<C>.txt), 26 parameters and C correspondences.
_CORRESPONDENCES = (100, 192, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 100000)
GRADBENCH_SIZES: dict[str, tuple[int, int, int]] = {
    f"hand{i}_t26_c{c}": (10_000, 1_084, c) for i, c in enumerate(_CORRESPONDENCES, start=1)
}


def _angle_index() -> np.ndarray:
    """(22, 2): for each bone, the positions in [0, theta] of its x and z angles (0: none).

    GradBench's to_pose_params: per finger, the second bone takes two parameters (x then z),
    the third and fourth one each (x); theta[6:] runs finger by finger."""
    index = np.zeros((N_BONES, 2), dtype=np.intp)
    position = 6
    for finger in range(5):
        second = 1 + 4 * finger + 1
        index[second] = (1 + position, 1 + position + 1)
        index[second + 1, 0] = 1 + position + 2
        index[second + 2, 0] = 1 + position + 3
        position += 4
    return index


ANGLE_INDEX = _angle_index()


def _levels() -> tuple[tuple[int, ...], ...]:
    """The bones by depth in the hierarchy (the absolutes are chained one level at a time)."""
    depth = [0] * N_BONES
    for bone, parent in enumerate(PARENTS):
        depth[bone] = 0 if parent < 0 else depth[parent] + 1
    return tuple(tuple(b for b in range(N_BONES) if depth[b] == d) for d in range(max(depth) + 1))


LEVELS = _levels()
LEVEL_ORDER = np.array([b for level in LEVELS for b in level])  # bones, level by level
BONE_ORDER = np.argsort(LEVEL_ORDER)  # back from level order to bone order


def _level_parents() -> tuple[tuple[int, int], ...]:
    """For each level after the first: the slice of the level above holding its parents.

    In GradBench's hierarchy each level's parents are a contiguous run of the level above, in
    order (the fingers' bones; the forearm ends level 1 and has no child), so the chaining
    needs slices only; this checks that it is so."""
    spans = []
    for above, level in itertools.pairwise(LEVELS):
        positions = [above.index(PARENTS[b]) for b in level]
        if len(set(positions)) == 1:  # every bone of the level hangs off one bone
            spans.append((positions[0], positions[0] + 1))
            continue
        if positions != list(range(positions[0], positions[0] + len(level))):
            raise AssertionError(f"level {level}: parents {positions} are not a run")
        spans.append((positions[0], positions[-1] + 1))
    return tuple(spans)


LEVEL_PARENTS = _level_parents()


def _bone_rotations(xp: Any, theta: Any) -> Any:
    """(22, 3, 3): Rz(z) Rx(x) per bone, the angles taken from theta (0 where a bone has none)."""
    padded = xp.concatenate([xp.zeros_like(theta[:1]), theta])
    x = xp.take(padded, ANGLE_INDEX[:, 0])
    z = xp.take(padded, ANGLE_INDEX[:, 1])
    cx, sx, cz, sz = xp.cos(x), xp.sin(x), xp.cos(z), xp.sin(z)
    entries = [cz, -sz * cx, sz * sx,
               sz, cz * cx, -cz * sx,
               xp.zeros_like(x), sx, cx]
    return xp.reshape(xp.stack(entries, axis=1), (N_BONES, 3, 3))


def _absolutes(xp: Any, relatives: Any) -> Any:
    """Chain the relative transforms down the hierarchy, a level of bones at a time."""
    ordered = xp.take(relatives, LEVEL_ORDER, axis=0)
    done = [ordered[0:1]]
    start = 1
    for level, (lo, hi) in zip(LEVELS[1:], LEVEL_PARENTS, strict=True):
        children = ordered[start:start + len(level)]
        done.append(done[-1][lo:hi] @ children)  # (1 or n, 4, 4) @ (n, 4, 4)
        start += len(level)
    return xp.take(xp.concatenate(done, axis=0), BONE_ORDER, axis=0)


# [k]x = sum over l of CROSS[:, :, l] k[l]: the cross-product matrix as one constant product.
CROSS = np.array([[[0, 0, 0], [0, 0, -1], [0, 1, 0]],
                  [[0, 0, 1], [0, 0, 0], [-1, 0, 0]],
                  [[0, -1, 0], [1, 0, 0], [0, 0, 0]]], dtype=np.float64)


def _rodrigues(xp: Any, v: Any) -> Any:
    """The rotation matrix of the angle-axis vector v (angle |v| > 0). GradBench writes it
    entry by entry as cos I + sin [k]x + (1 - cos) k k^T with k = v / |v|; here as
    I + sin K + (1 - cos) K^2 with K = [k]x (K^2 = k k^T - I for a unit k): the same matrix,
    in fewer operations."""
    angle = xp.sqrt(xp.sum(v * v))
    k = xp.sum(xp.asarray(CROSS, dtype=v.dtype) * (v / angle), axis=2)
    return xp.eye(3, dtype=v.dtype) + xp.sin(angle) * k + (1.0 - xp.cos(angle)) * (k @ k)


def posed_vertices(xp: Any, theta: Any, base_relatives: Any, inverse_base_absolutes: Any,
                   base_positions: Any, weights: Any) -> Any:
    """(V, 3): every vertex of the hand posed by theta (skinning, then the global transform)."""
    rotations = _bone_rotations(xp, theta)
    # base relative @ [[R, 0], [0, 1]]: the rotation acts on the first three columns only.
    relatives = xp.concatenate(
        [base_relatives[:, :, :3] @ rotations, base_relatives[:, :, 3:]], axis=2)
    transforms = _absolutes(xp, relatives) @ inverse_base_absolutes  # (22, 4, 4)
    # Skinning is linear in the transforms: blend them per vertex first, then apply.
    blended = xp.reshape(weights @ xp.reshape(transforms[:, :3, :], (N_BONES, 12)), (-1, 3, 4))
    skinned = xp.sum(blended[:, :, :3] * base_positions[:, None, :], axis=2) + blended[:, :, 3]
    return skinned @ xp.transpose(_rodrigues(xp, theta[0:3])) + theta[3:6]


def ht_simple(xp: Any, theta: Any, base_relatives: Any, inverse_base_absolutes: Any,
              base_positions: Any, weights: Any, correspondences: Any, points: Any) -> Any:
    vertices = posed_vertices(xp, theta, base_relatives, inverse_base_absolutes,
                              base_positions, weights)
    return xp.reshape(points - xp.take(vertices, correspondences, axis=0), (-1,))


def ht_complicated(xp: Any, theta: Any, us: Any, base_relatives: Any,
                   inverse_base_absolutes: Any, base_positions: Any, weights: Any,
                   triangles: Any, correspondences: Any, points: Any) -> Any:
    vertices = posed_vertices(xp, theta, base_relatives, inverse_base_absolutes,
                              base_positions, weights)
    corners = xp.take(triangles, correspondences, axis=0)  # (C, 3) vertex indices
    u0, u1 = us[:, 0:1], us[:, 1:2]
    hand_points = (u0 * xp.take(vertices, corners[:, 0], axis=0)
                   + u1 * xp.take(vertices, corners[:, 1], axis=0)
                   + (1.0 - u0 - u1) * xp.take(vertices, corners[:, 2], axis=0))
    return xp.reshape(points - hand_points, (-1,))


# --- the synthetic hand model --------------------------------------------------------------------
def _rotation(axis_angle: np.ndarray) -> np.ndarray:
    angle = float(np.linalg.norm(axis_angle))
    if angle == 0.0:
        return np.eye(3)
    k = axis_angle / angle
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross


def _rigid(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    out = np.eye(4)
    out[:3, :3], out[:3, 3] = rotation, translation
    return out


@cache
def _synthetic_hand(n_vertices: int, n_triangles: int) -> tuple[np.ndarray, ...]:
    if n_vertices < 3 or n_triangles < 1:
        raise ValueError(f"ht: a hand needs at least 3 vertices and 1 triangle, got "
                         f"{n_vertices} and {n_triangles}")
    rng = np.random.default_rng([18, n_vertices, n_triangles])
    lengths = np.empty(N_BONES)
    relatives = np.empty((N_BONES, 4, 4))
    for bone, parent in enumerate(PARENTS):
        if parent < 0:  # the wrist, somewhere in front of the camera
            rotation, offset, lengths[bone] = _rotation(rng.normal(scale=0.5, size=3)), \
                np.array([0.0, 0.0, 2.0]), 0.8
        elif BONE_NAMES[bone] == "forearm":
            rotation, offset, lengths[bone] = np.eye(3), np.array([0.0, -0.8, 0.0]), 2.0
        elif parent == 0:  # a finger's first bone: fanned out across the palm
            finger = (bone - 1) // 4
            rotation = _rotation(np.array([0.0, 0.0, 0.25 * (finger - 2)])
                                 + rng.normal(scale=0.05, size=3))
            offset, lengths[bone] = np.array([0.2 * (finger - 2), 0.8, 0.0]), 0.5
        else:  # the next bone along the finger: from the end of its parent
            rotation = _rotation(rng.normal(scale=0.1, size=3))
            offset, lengths[bone] = np.array([0.0, lengths[parent], 0.0]), 0.3
        relatives[bone] = _rigid(rotation, offset)
    absolutes = np.empty_like(relatives)
    for bone, parent in enumerate(PARENTS):
        absolutes[bone] = relatives[bone] if parent < 0 else absolutes[parent] @ relatives[bone]
    inverse_absolutes = np.linalg.inv(absolutes)

    # Rest vertices around each bone's segment (along its local y axis), grouped by bone.
    owner = np.sort(rng.integers(0, N_BONES, size=n_vertices))
    local = np.column_stack([rng.normal(scale=0.08, size=n_vertices),
                             rng.uniform(size=n_vertices) * lengths[owner],
                             rng.normal(scale=0.08, size=n_vertices),
                             np.ones(n_vertices)])
    positions = np.einsum("vij,vj->vi", absolutes[owner], local)[:, :3]
    # Up to four bones per vertex: its own, its parent, then others; weights summing to 1.
    weights = np.zeros((n_vertices, N_BONES))
    for v, bone in enumerate(owner):
        others = [PARENTS[bone]] if PARENTS[bone] >= 0 else []
        others += list(rng.choice(N_BONES, size=2, replace=False))
        influences = list(dict.fromkeys([bone, *others]))[:rng.integers(1, 5)]
        weights[v, influences] = rng.dirichlet(np.ones(len(influences)))
    # Triangles of three distinct neighbouring vertices (neighbours mostly share a bone).
    starts = rng.integers(0, n_vertices - 2, size=n_triangles)
    triangles = starts[:, None] + rng.permuted(np.tile([0, 1, 2], (n_triangles, 1)), axis=1)
    return relatives, inverse_absolutes, positions, weights, triangles


def synthetic_hand(n_vertices: int, n_triangles: int) -> tuple[np.ndarray, ...]:
    """The synthetic model: base relatives and inverse base absolutes (22, 4, 4), rest vertex
    positions (V, 3), weights (V, 22), triangles (T, 3); the same arrays for the same sizes."""
    return tuple(a.copy() for a in _synthetic_hand(int(n_vertices), int(n_triangles)))


def _theta(rng: np.random.Generator) -> np.ndarray:
    theta = rng.normal(size=N_THETA)
    while np.linalg.norm(theta[:3]) < MIN_ANGLE:  # the global rotation's angle: see above
        theta[:3] = rng.normal(size=3)
    return theta


def _sample(rng: np.random.Generator, size: tuple[int, int, int],
            complicated: bool) -> tuple[np.ndarray, ...]:
    n_vertices, n_triangles, n_points = size
    relatives, inverse_absolutes, positions, weights, triangles = synthetic_hand(
        n_vertices, n_triangles)
    theta = _theta(rng)
    vertices = posed_vertices(np, theta, relatives, inverse_absolutes, positions, weights)
    if complicated:
        correspondences = rng.integers(0, n_triangles, size=n_points)
        us = rng.uniform(0.0, 0.5, size=(n_points, 2))
        on_hand = np.einsum("ck,ckj->cj", np.column_stack([us, 1.0 - us.sum(axis=1)]),
                            vertices[triangles[correspondences]])
    else:
        correspondences = rng.integers(0, n_vertices, size=n_points)
        on_hand = vertices[correspondences]
    points = on_hand + rng.normal(scale=0.01, size=on_hand.shape)
    model = (relatives, inverse_absolutes, positions, weights)
    if complicated:
        return theta, us, *model, triangles, correspondences, points
    return theta, *model, correspondences, points


def _pose_test(x: np.ndarray) -> str | None:
    problem = not_finite(x)
    if problem is None and x.shape[:1] == (N_THETA,):
        angle = float(np.linalg.norm(x[:3].astype(np.float64)))
        if angle < MIN_ANGLE:
            problem = (f"the global rotation angle |theta[0:3]| = {angle:.3g} is below "
                       f"{MIN_ANGLE} (Rodrigues' formula divides by it)")
    return problem


HAND_POSE = D.Domain(
    "hand-pose",
    f"26 pose parameters from N(0, 1), the global rotation angle |theta[0:3]| >= {MIN_ANGLE}",
    lambda rng, shape: _theta(rng).reshape(shape),
    _pose_test,
)

_INDEX = D.integers(0, 10**9)
_MODEL_ARGS = (
    Arg("base_relatives", D.REAL, (N_BONES, 4, 4), diff=False),
    Arg("inverse_base_absolutes", D.REAL, (N_BONES, 4, 4), diff=False),
    Arg("base_positions", D.REAL, lambda s: (s[0], 3), diff=False),
    Arg("weights", D.REAL, lambda s: (s[0], N_BONES), diff=False),
)
# Check: a tiny hand (24 vertices so every bone can move some; 6 triangles, 4 points). The
# sweep starts with GradBench's small problem on a smaller model, then GradBench's problems.
SIZES = Sizes(check=(24, 6, 4), sweep=((544, 1_084, 100), *GRADBENCH_SIZES.values()),
              names=("v", "t", "c"))
_NOTE = ("GradBench evals/ht ({variant}); the hand model is synthetic (GradBench's model files "
         "carry their own licence): GradBench's 22-bone hierarchy and shapes, drawn rigid "
         "transforms, weights summing to 1; inputs drawn as its data files look; the global "
         "rotation angle kept >= 0.1 (GradBench's identity branch below 1e-4 never reached); "
         "sweep (544, 1084, 100), then hand1_t26_c100 to hand12_t26_c100000 on a "
         "10,000-vertex, 1,084-triangle model (GradBench's default)")

CASES = [
    Case(
        "ht-complicated",
        ht_complicated,
        args=(
            Arg("theta", HAND_POSE, (N_THETA,)),
            Arg("us", D.REAL, lambda s: (s[2], 2)),
            *_MODEL_ARGS,
            Arg("triangles", _INDEX, lambda s: (s[1], 3), diff=False),
            Arg("correspondences", _INDEX, lambda s: (s[2],), diff=False),
            Arg("points", D.REAL, lambda s: (s[2], 3), diff=False),
        ),
        output_shape=lambda s: (3 * s[2],),
        sampler=lambda rng, size: _sample(rng, size, complicated=True),
        sizes=SIZES,
        tags={"model", "gradbench", "adbench"},
        note=_NOTE.format(variant="complicated: residuals at barycentric points us of "
                                  "triangles, differentiated in theta and us"),
    ),
    Case(
        "ht-simple",
        ht_simple,
        args=(
            Arg("theta", HAND_POSE, (N_THETA,)),
            *_MODEL_ARGS,
            Arg("correspondences", _INDEX, lambda s: (s[2],), diff=False),
            Arg("points", D.REAL, lambda s: (s[2], 3), diff=False),
        ),
        output_shape=lambda s: (3 * s[2],),
        sampler=lambda rng, size: _sample(rng, size, complicated=False),
        sizes=SIZES,
        tags={"model", "gradbench", "adbench"},
        note=_NOTE.format(variant="simple: residuals at vertices, differentiated in theta"),
    ),
]
