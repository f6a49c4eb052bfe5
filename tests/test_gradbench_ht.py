"""The ht cases are GradBench's hand tracking (evals/ht; issue 18): value and Jacobian against an
independent transcription of GradBench's reference (cpp/gradbench/evals/ht.hpp), to 1e-12
relative in float64, for the complicated and simple variants, with negative controls.

The transcription follows the reference's own structure, not the case's: a 3 x (22 + 3) pose
parameter matrix (rotation, scale column of ones, translation, then one column of Euler angles
per bone), Euler xzy rotations Rz Ry Rx with the y angle, each bone's 4 x 4 relative
transform, absolutes by a loop over parents, skinning bone by bone over homogeneous vertices,
the global rotation with the scale applied to its columns, GradBench's identity branch below
an angle of 1e-4, and the Jacobian laid out as GradBench outputs it (for the complicated
variant: the two us columns of each row, then the 26 theta columns). It is written once against
a small namespace, evaluated with NumPy for the value and differentiated by torch float64
autograd for the Jacobian: neither refengine nor the case's code is involved.
"""

from __future__ import annotations

import functools
import types

import numpy as np
import pytest

import cases
import refengine
import refengine.numpy as rnp
from cases.library.models import ht

torch = pytest.importorskip("torch")

NUMPY = types.SimpleNamespace(sin=np.sin, cos=np.cos, sqrt=np.sqrt, stack=np.stack,
                              cat=np.concatenate, eye=lambda n: np.eye(n),
                              asarray=lambda a: np.asarray(a, dtype=np.float64))
TORCH = types.SimpleNamespace(sin=torch.sin, cos=torch.cos, sqrt=torch.sqrt, stack=torch.stack,
                              cat=torch.cat, eye=lambda n: torch.eye(n, dtype=torch.float64),
                              asarray=lambda a: torch.as_tensor(a, dtype=torch.float64))
# vertices, triangles, correspondences: GradBench's shape of problem, small enough that the
# torch Jacobian (one backward pass per residual through the loops) stays cheap
SIZE = (60, 20, 8)


# --- the transcription ----------------------------------------------------------------------------
def _pose_params(theta, n_bones):
    """Columns: global rotation, scale (ones), translation, then each bone's (x, z, y) angles."""
    zero, one = theta[0] * 0.0, theta[0] * 0.0 + 1.0
    columns = [[theta[0], theta[1], theta[2]], [one, one, one], [theta[3], theta[4], theta[5]]]
    columns += [[zero, zero, zero] for _ in range(n_bones)]
    i_theta, column = 6, 5
    for _finger in range(5):
        for bone in (2, 3, 4):
            columns[column][0] = theta[i_theta]
            i_theta += 1
            if bone == 2:
                columns[column][1] = theta[i_theta]
                i_theta += 1
            column += 1
        column += 1
    return columns


def _euler_xzy(m, angles):
    tx, tz, ty = angles
    zero, one = tx * 0.0, tx * 0.0 + 1.0
    rx = m.stack([m.stack([one, zero, zero]), m.stack([zero, m.cos(tx), -m.sin(tx)]),
                  m.stack([zero, m.sin(tx), m.cos(tx)])])
    ry = m.stack([m.stack([m.cos(ty), zero, m.sin(ty)]), m.stack([zero, one, zero]),
                  m.stack([-m.sin(ty), zero, m.cos(ty)])])
    rz = m.stack([m.stack([m.cos(tz), -m.sin(tz), zero]), m.stack([m.sin(tz), m.cos(tz), zero]),
                  m.stack([zero, zero, one])])
    return rz @ ry @ rx


def _angle_axis(m, v, small):
    """``small``: the angle is below 1e-4 (decided on the plain values, outside the tape)."""
    if small:
        return m.eye(3)
    norm = m.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    x, y, z = v[0] / norm, v[1] / norm, v[2] / norm
    s, c = m.sin(norm), m.cos(norm)
    return m.stack([
        m.stack([x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s]),
        m.stack([x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s]),
        m.stack([x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c])])


def gradbench_vertices(m, theta, model, parents=ht.PARENTS, transpose_global=False, small=None):
    """(3, V): the posed vertices, as the reference's get_skinned_vertex_positions and
    apply_global_transform compute them. ``small``: whether the global rotation angle is below
    1e-4 (the reference's identity branch), from the plain values (default: from ``theta``)."""
    if small is None:
        small = bool(np.linalg.norm(np.asarray(theta[:3], dtype=np.float64)) < 1e-4)
    relatives0, inverse_absolutes, positions, weights = (m.asarray(a) for a in model)
    n_bones = len(parents)
    pose = _pose_params(theta, n_bones)
    absolutes = []
    for bone in range(n_bones):
        rotation = _euler_xzy(m, pose[3 + bone])
        tr = m.cat([m.cat([rotation, rotation[:, :1] * 0.0], 1), m.eye(4)[3:]], 0)
        relative = relatives0[bone] @ tr
        parent = parents[bone]
        absolutes.append(relative if parent == -1 else absolutes[parent] @ relative)
    homogeneous = m.cat([positions.T, positions.T[:1] * 0.0 + 1.0], 0)  # (4, V)
    total = 0.0
    for bone in range(n_bones):
        moved = (absolutes[bone] @ inverse_absolutes[bone]) @ homogeneous
        total = total + moved[:3] * weights[:, bone][None, :]
    rotation = _angle_axis(m, pose[0], small)
    rotation = rotation * m.stack(pose[1])[None, :]  # scale each column (by 1)
    if transpose_global:
        rotation = rotation.T
    return rotation @ total + m.stack(pose[2])[:, None]


def gradbench_residuals(m, theta, us, model, triangles, correspondences, points, **planted):
    """The reference's objective: 3C residuals; ``us`` flat (2C) or None (simple)."""
    vertices = gradbench_vertices(m, theta, model, **planted)
    points = m.asarray(points)
    rows = []
    for i, c in enumerate(correspondences):
        if us is None:
            hand = vertices[:, c]
        else:
            v0, v1, v2 = triangles[c]
            u0, u1 = us[2 * i], us[2 * i + 1]
            hand = u0 * vertices[:, v0] + u1 * vertices[:, v1] + (1.0 - u0 - u1) * vertices[:, v2]
        rows.append(points[i] - hand)
    return m.cat(rows, 0)


def gradbench_jacobian(theta, us, model, triangles, correspondences, points, **planted):
    """GradBench's layout, by torch float64 autograd over the transcription: (3C, 26) simple;
    (3C, 2 + 26) complicated, each row's own two us entries first (the us block is block
    diagonal)."""
    small = bool(np.linalg.norm(theta[:3]) < 1e-4)

    def f(theta_, us_=None):
        return gradbench_residuals(TORCH, theta_, us_, model, triangles, correspondences,
                                   points, small=small, **planted)

    theta_t = TORCH.asarray(theta)
    jacobian = functools.partial(torch.autograd.functional.jacobian, vectorize=True)
    if us is None:
        return jacobian(f, theta_t).numpy()
    d_theta, d_us = jacobian(f, (theta_t, TORCH.asarray(us)))
    rows = np.arange(d_us.shape[0])
    own = np.stack([d_us.numpy()[rows, 2 * (rows // 3) + k] for k in (0, 1)], axis=1)
    return np.concatenate([own, d_theta.numpy()], axis=1)


# --- the case through refengine, in GradBench's layout ------------------------------------------
def case_value_and_jacobian(name, inputs):
    case = cases.get(name)
    value = np.asarray(case.fn(rnp, *inputs))
    f, diff = case.bind(rnp, inputs)
    jacobians = refengine.jacobian(f, argnums=tuple(range(len(diff))))(*diff)
    if name == "ht-simple":
        return value, np.asarray(jacobians[0])
    d_theta, d_us = (np.asarray(j) for j in jacobians)  # (3C, 26), (3C, C, 2)
    n_points = d_us.shape[1]
    rows = np.arange(3 * n_points)
    own = d_us[rows, rows // 3, :]
    off_block = d_us.copy()
    off_block[rows, rows // 3, :] = 0.0
    assert not off_block.any(), "a residual depends on another correspondence's us"
    return value, np.concatenate([own, d_theta], axis=1)


def _gradbench_inputs(name, seed):
    inputs = cases.get(name).sample(np.random.default_rng(seed), SIZE)
    if name == "ht-complicated":
        theta, us, *model, triangles, correspondences, points = inputs
        return inputs, (theta, us.reshape(-1), tuple(model), triangles, correspondences, points)
    theta, *model, correspondences, points = inputs
    return inputs, (theta, None, tuple(model), None, correspondences, points)


def _relative_error(got, expected):
    return float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))


@pytest.mark.parametrize("name", ["ht-complicated", "ht-simple"])
def test_value_and_jacobian_are_gradbenchs(name) -> None:
    inputs, reference = _gradbench_inputs(name, 1)
    value, jacobian = case_value_and_jacobian(name, inputs)
    expected_value = gradbench_residuals(NUMPY, *reference)
    expected_jacobian = gradbench_jacobian(*reference)
    assert value.shape == expected_value.shape == (3 * SIZE[2],)
    assert jacobian.shape == expected_jacobian.shape
    assert _relative_error(value, expected_value) <= 1e-12
    assert _relative_error(jacobian, expected_jacobian) <= 1e-12


@pytest.mark.parametrize("name", ["ht-complicated", "ht-simple"])
@pytest.mark.parametrize("planted", [
    {"parents": tuple(1 if b == 6 else p for b, p in enumerate(ht.PARENTS))},  # index2 on thumb1
    {"transpose_global": True},
], ids=["wrong-parent", "transposed-rotation"])
def test_the_comparison_catches_a_planted_change(name, planted) -> None:
    inputs, reference = _gradbench_inputs(name, 0)
    value, jacobian = case_value_and_jacobian(name, inputs)
    assert _relative_error(value, gradbench_residuals(NUMPY, *reference, **planted)) > 1e-3
    assert _relative_error(jacobian, gradbench_jacobian(*reference, **planted)) > 1e-3


def test_the_synthetic_hand_has_gradbenchs_structure() -> None:
    relatives, inverse_absolutes, positions, weights, triangles = ht.synthetic_hand(10_000, 1_084)
    assert ht.BONE_NAMES[0] == "wrist" and ht.BONE_NAMES[-1] == "forearm"
    assert len(ht.PARENTS) == 22 and all(p < b for b, p in enumerate(ht.PARENTS))
    assert relatives.shape == inverse_absolutes.shape == (22, 4, 4)
    assert positions.shape == (10_000, 3) and weights.shape == (10_000, 22)
    assert triangles.shape == (1_084, 3)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (weights >= 0).all() and ((weights > 0).sum(axis=1) <= 4).all()
    assert all(len(set(t)) == 3 for t in triangles.tolist())
    np.testing.assert_array_equal(relatives[:, 3], np.tile([0.0, 0, 0, 1], (22, 1)))
    # The rest pose (every angle 0, no global rotation or translation) moves no vertex:
    # the inverse base absolutes undo the chained base relatives.
    theta = np.zeros(26)
    rest = gradbench_vertices(NUMPY, theta, (relatives, inverse_absolutes, positions, weights))
    np.testing.assert_allclose(rest.T, positions, rtol=0, atol=1e-12)
    # Deterministic: the same sizes give the same model.
    again = ht.synthetic_hand(10_000, 1_084)
    assert all(np.array_equal(a, b) for a, b in zip(again, (relatives, inverse_absolutes,
                                                            positions, weights, triangles)))


def test_sizes_reach_gradbenchs_problems_under_its_labels() -> None:
    labels = list(ht.GRADBENCH_SIZES)
    assert labels[0] == "hand1_t26_c100" and labels[-1] == "hand12_t26_c100000"
    assert len(labels) == 12
    for name in ("ht-complicated", "ht-simple"):
        sweep = cases.get(name).sizes.sweep
        assert sweep[-12:] == tuple(ht.GRADBENCH_SIZES.values())
        assert sweep[0] == (544, 1_084, 100)  # cheap first size for the quick run


def test_the_domain_keeps_the_global_rotation_away_from_zero() -> None:
    theta = np.random.default_rng(5).normal(size=26)
    theta[:3] = [0.01, 0.0, 0.0]
    problem = ht.HAND_POSE.violation(theta)
    assert problem is not None and "global rotation angle" in problem
    assert ht.HAND_POSE.violation(ht.HAND_POSE.sample(np.random.default_rng(6), (26,))) is None
