"""Independent transcriptions of GradBench's reference formulas, for
tests/test_gradbench_transcriptions.py.

Each function is written from GradBench's definition (``evals/<name>/README.md``) and its C++
reference (``cpp/gradbench/evals/<name>.hpp``), loop for loop where the C++ loops, and never
from the cases: a case that drifts from GradBench disagrees with these. Where GradBench's
manual tool (or ADBench's) derives a derivative by hand, that formula is here too; elsewhere
the derivative is torch's float64 autograd over the same transcription, so the functions that
need one take ``lib`` (``numpy`` or ``torch``) and use only names both spell alike.

The inputs are drawn as GradBench's evals draw them (``python/gradbench/gradbench/evals/<name>/
run.py``): which distribution, which shape, which fixed constants.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "BA_CAMERA_PARAMETERS",
    "DET_FIRST_SIGN",
    "GMM_PRIOR_SIGN",
    "LLSQ_GRID_DENOMINATOR_OFFSET",
    "LSTM_LSE_OFFSET",
    "ODE_T_FINAL",
    "ba_jacobian",
    "ba_residuals",
    "det_by_minors",
    "det_cofactors",
    "gd_argmin",
    "gmm_gradient",
    "gmm_log_posterior",
    "kmeans_cost",
    "kmeans_cost_gradient",
    "kmeans_dir",
    "llsq_gradient",
    "llsq_grid",
    "llsq_objective",
    "lse_gradient",
    "lse_objective",
    "lstm_objective",
    "ode_jacobian",
    "ode_primal",
    "particle_objective",
    "rodrigues",
    "saddle_max",
    "text_bits",
]

# The constants a planted error changes (tests/test_gradbench_transcriptions.py's negative
# controls): GradBench's values.
LSTM_LSE_OFFSET = 2.0  # lstm.hpp's logsumexp adds 2 inside the log
ODE_T_FINAL = 2.0  # ode.hpp's tf
BA_CAMERA_PARAMETERS = 11
LLSQ_GRID_DENOMINATOR_OFFSET = 1  # llsq.hpp: t_i = -1 + 2 i / (n - 1)
GMM_PRIOR_SIGN = -1.0  # gmm.hpp: log_wishart_prior returns -out + k C
DET_FIRST_SIGN = 1  # det.hpp: the expansion's first term is added


# --- hello ---------------------------------------------------------------------------------
# evals/hello: square(x) = x * x and double(x) = 2 x, square's derivative.


# --- gmm -------------------------------------------------------------------------------------
def _log_multigamma(a: float, d: int) -> float:
    return d * (d - 1) / 4 * math.log(math.pi) + sum(math.lgamma(a + (1 - j) / 2)
                                                      for j in range(1, d + 1))


def _max_then_logsumexp(lib: Any, terms: list[Any]) -> Any:
    """gmm.hpp's logsumexp: the running max first, then log of the shifted sum, plus it."""
    top = terms[0]
    for t in terms[1:]:
        top = lib.maximum(top, t)
    total = 0.0
    for t in terms:
        total = total + lib.exp(t - top)
    return lib.log(total) + top


def gmm_log_posterior(lib: Any, alpha: Any, mu: Any, q: Any, l: Any, x: Any,  # noqa: E741
                      m: int, gamma: float) -> Any:
    """gmm.hpp's objective: sum_i logsumexp_k(beta_ik) - N logsumexp(alpha) - N D/2 log 2 pi
    plus the log Wishart prior, with Q_k (x_i - mu_k) by Qtimesx's loops (the strictly lower
    part of Q_k filled column by column from l_k)."""
    k, d = mu.shape
    n = x.shape[0]
    x = lib.asarray(x)  # data: numpy, or a torch tensor beside torch's parameters
    betas = []
    for c in range(k):
        centred = x - mu[c]  # (N, D)
        out = [lib.exp(q[c, j]) * centred[:, j] for j in range(d)]
        index = 0
        for col in range(d):
            for row in range(col + 1, d):
                out[row] = out[row] + l[c, index] * centred[:, col]
                index += 1
        squared = 0.0
        for row in range(d):
            squared = squared + out[row] * out[row]
        betas.append(alpha[c] + q[c].sum() - 0.5 * squared)
    likelihood = (_max_then_logsumexp(lib, betas).sum()
                  - n * _max_then_logsumexp(lib, [alpha[c] for c in range(k)])
                  - n * d * 0.5 * math.log(2 * math.pi))
    dof = d + m + 1
    constant = dof * d * (math.log(gamma) - 0.5 * math.log(2)) - _log_multigamma(0.5 * dof, d)
    out = 0.0
    for c in range(k):
        frobenius = (lib.exp(q[c]) ** 2).sum() + (l[c] ** 2).sum()
        out = out + 0.5 * gamma * gamma * frobenius - m * q[c].sum()
    return likelihood + GMM_PRIOR_SIGN * out + k * constant


def _gmm_q_matrices(q: np.ndarray, low: np.ndarray) -> np.ndarray:
    k, d = q.shape
    qmat = np.zeros((k, d, d))
    rows, cols = zip(*[(r, c) for c in range(d) for r in range(c + 1, d)], strict=True) \
        if d > 1 else ((), ())
    qmat[:, np.arange(d), np.arange(d)] = np.exp(q)
    qmat[:, list(rows), list(cols)] = low  # column by column, as the README fills Q
    return qmat


def gmm_gradient(alpha: np.ndarray, mu: np.ndarray, q: np.ndarray, low: np.ndarray,
                 x: np.ndarray, m: int, gamma: float) -> tuple[np.ndarray, ...]:
    """By hand from the README's log posterior, with r_ik the responsibilities
    softmax_k(beta_ik), z_ik = Q_k (x_i - mu_k) and G_k = -sum_i r_ik z_ik (x_i - mu_k)^T
    (d beta_ik / d Q_k = -z_ik (x_i - mu_k)^T):

        dF/dalpha_k = sum_i r_ik - N softmax(alpha)_k
        dF/dmu_k    = sum_i r_ik Q_k^T z_ik
        dF/dq_kj    = sum_i r_ik + exp(q_kj) G_k[j, j] - gamma^2 exp(2 q_kj) + m
        dF/dl_k     = G_k below the diagonal, column by column, - gamma^2 l_k
    """
    k, d = mu.shape
    qmat = _gmm_q_matrices(q, low)
    centred = x[None, :, :] - mu[:, None, :]  # (K, N, D)
    z = np.einsum("kab,knb->kna", qmat, centred)
    beta = alpha[:, None] + q.sum(axis=1)[:, None] - 0.5 * (z * z).sum(axis=2)  # (K, N)
    r = np.exp(beta - beta.max(axis=0))
    r /= r.sum(axis=0)
    weights = np.exp(alpha - alpha.max())
    d_alpha = r.sum(axis=1) - x.shape[0] * weights / weights.sum()
    d_mu = np.einsum("kn,kba,knb->ka", r, qmat, z)
    g = -np.einsum("kn,kna,knb->kab", r, z, centred)
    d_q = (r.sum(axis=1)[:, None] + np.exp(q) * g[:, np.arange(d), np.arange(d)]
           - gamma * gamma * np.exp(2 * q) + m)
    below = [(row, col) for col in range(d) for row in range(col + 1, d)]
    d_low = np.stack([g[:, row, col] for row, col in below], axis=1) if below \
        else np.zeros((k, 0))
    return d_alpha, d_mu, d_q, d_low - gamma * gamma * low


# --- ba --------------------------------------------------------------------------------------
def rodrigues(lib: Any, rot: list[Any], pt: list[Any]) -> list[Any]:
    """ba.hpp's rodrigues_rotate_point, its theta != 0 branch (every rotation here is)."""
    theta = lib.sqrt(rot[0] * rot[0] + rot[1] * rot[1] + rot[2] * rot[2])
    cos, sin = lib.cos(theta), lib.sin(theta)
    w = [r / theta for r in rot]
    cross = [w[1] * pt[2] - w[2] * pt[1], w[2] * pt[0] - w[0] * pt[2],
             w[0] * pt[1] - w[1] * pt[0]]
    tmp = (w[0] * pt[0] + w[1] * pt[1] + w[2] * pt[2]) * (1.0 - cos)
    return [pt[i] * cos + cross[i] * sin + w[i] * tmp for i in range(3)]


def ba_residuals(lib: Any, cams: Any, points: Any, w: Any, feats: Any,
                 cam_index: list[int], point_index: list[int]) -> Any:
    """ba.hpp's objective, every observation at once: reproj_err (2 per observation, in
    observation order) then w_err = 1 - w^2, flattened as one vector."""
    if cams.shape[1] != BA_CAMERA_PARAMETERS:
        raise ValueError(f"a camera has {BA_CAMERA_PARAMETERS} parameters")
    cam, pt, feats = cams[cam_index], points[point_index], lib.asarray(feats)
    offset = [pt[:, i] - cam[:, 3 + i] for i in range(3)]
    xcam = rodrigues(lib, [cam[:, i] for i in range(3)], offset)
    proj = [xcam[0] / xcam[2], xcam[1] / xcam[2]]
    rsq = proj[0] * proj[0] + proj[1] * proj[1]
    distortion = 1.0 + cam[:, 9] * rsq + cam[:, 10] * rsq * rsq
    err = [w * ((proj[i] * distortion) * cam[:, 6] + cam[:, 7 + i] - feats[:, i])
           for i in range(2)]
    return lib.stack([*lib.stack(err, 1).reshape(-1), *(1.0 - w * w)])


def _skew(v: np.ndarray) -> np.ndarray:
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def ba_jacobian(cams: np.ndarray, points: np.ndarray, w: np.ndarray, feats: np.ndarray,
                cam_index: np.ndarray, point_index: np.ndarray) -> tuple[np.ndarray, ...]:
    """By hand, observation by observation (the chain ADBench's manual tool follows): the
    residual's derivative through the distortion and the projection to X_cam, then X_cam =
    R(rot) (X - C) in X (R), C (-R) and rot, the last by Gallego and Yezzi's closed form
    d(R u)/d rot = -R [u]x (rot rot^T + (R^T - I) [rot]x) / |rot|^2 (J. Math. Imaging Vis.
    2015). Returns the Jacobians in cams, points and w, shaped (3p, ...) like the inputs."""
    p_obs = w.shape[0]
    j_cams = np.zeros((3 * p_obs, *cams.shape))
    j_points = np.zeros((3 * p_obs, *points.shape))
    j_w = np.zeros((3 * p_obs, p_obs))
    for i, (ci, pi) in enumerate(zip(cam_index, point_index, strict=True)):
        cam = cams[ci]
        rot, centre, focal, k1, k2 = cam[:3], cam[3:6], cam[6], cam[9], cam[10]
        theta = np.sqrt(rot @ rot)
        axis = rot / theta
        rotation = (np.cos(theta) * np.eye(3) + np.sin(theta) * _skew(axis)
                    + (1 - np.cos(theta)) * np.outer(axis, axis))
        offset = points[pi] - centre
        xcam = rotation @ offset
        d_rot = -rotation @ _skew(offset) @ (np.outer(rot, rot)
                                             + (rotation.T - np.eye(3)) @ _skew(rot)) / theta**2
        proj = xcam[:2] / xcam[2]
        d_proj = np.array([[1 / xcam[2], 0, -proj[0] / xcam[2]],
                           [0, 1 / xcam[2], -proj[1] / xcam[2]]])
        r2 = proj @ proj
        distortion = 1 + k1 * r2 + k2 * r2 * r2
        d_distorted = focal * (distortion * np.eye(2)
                               + np.outer(proj, 2 * (k1 + 2 * k2 * r2) * proj))
        d_xcam = w[i] * d_distorted @ d_proj  # (2, 3)
        rows = slice(2 * i, 2 * i + 2)
        j_cams[rows, ci, 0:3] += d_xcam @ d_rot
        j_cams[rows, ci, 3:6] += -d_xcam @ rotation
        j_cams[rows, ci, 6] += w[i] * proj * distortion
        j_cams[rows, ci, 7:9] += w[i] * np.eye(2)
        j_cams[rows, ci, 9] += w[i] * focal * proj * r2
        j_cams[rows, ci, 10] += w[i] * focal * proj * r2 * r2
        j_points[rows, pi, :] += d_xcam @ rotation
        j_w[rows, i] = focal * proj * distortion + cam[7:9] - feats[i]
        j_w[2 * p_obs + i, i] = -2 * w[i]
    return j_cams, j_points, j_w


# --- lstm ------------------------------------------------------------------------------------
def text_bits(text: str) -> np.ndarray:
    """lstm run.py's text_to_matrix: one row per character, ceil(log2(max code)) bits, most
    significant first."""
    bits = math.ceil(math.log2(max(ord(c) for c in text)))
    return np.array([[int(b) for b in format(ord(c), "b").zfill(bits)] for c in text],
                    dtype=np.float64)


def _sigmoid(lib: Any, v: Any) -> Any:
    return 1.0 / (1.0 + lib.exp(-v))


def lstm_objective(lib: Any, main: Any, extra: Any, state: Any, sequence: Any) -> Any:
    """lstm.hpp's objective: lstm_predict per character (each layer's gates from its input
    and its own hidden state, lstm_model), scored against the next character."""
    layers = main.shape[0] // 2
    state, sequence = lib.asarray(state), lib.asarray(sequence)
    chars, b = sequence.shape
    hidden = [state[2 * i] for i in range(layers)]
    cell = [state[2 * i + 1] for i in range(layers)]
    total, count = 0.0, 0
    for t in range(chars - 1):
        layer_input = sequence[t] * extra[0]
        for i in range(layers):
            weight, bias = main[2 * i], main[2 * i + 1]
            forget = _sigmoid(lib, layer_input * weight[:b] + bias[:b])
            ingate = _sigmoid(lib, hidden[i] * weight[b:2 * b] + bias[b:2 * b])
            outgate = _sigmoid(lib, layer_input * weight[2 * b:3 * b] + bias[2 * b:3 * b])
            change = lib.tanh(hidden[i] * weight[3 * b:] + bias[3 * b:])
            cell[i] = cell[i] * forget + ingate * change
            hidden[i] = outgate * lib.tanh(cell[i])
            layer_input = hidden[i]
        prediction = layer_input * extra[1] + extra[2]
        lse = lib.log(lib.exp(prediction).sum() + LSTM_LSE_OFFSET)
        total = total + (sequence[t + 1] * (prediction - lse)).sum()
        count += b
    return -total / count


# --- kmeans ----------------------------------------------------------------------------------
def _owners(points: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """kmeans.hpp's loops: each point's squared distance to each centroid, term by term;
    the nearest (first on a tie, as its strict <) and that distance."""
    closest = np.full(points.shape[0], np.inf)
    owner = np.full(points.shape[0], -1)
    for j, c in enumerate(centroids):
        dist = np.zeros(points.shape[0])
        for i in range(points.shape[1]):
            dist = dist + (points[:, i] - c[i]) * (points[:, i] - c[i])
        nearer = dist < closest
        closest[nearer], owner[nearer] = dist[nearer], j
    return owner, closest


def kmeans_cost(points: np.ndarray, centroids: np.ndarray) -> float:
    return float(_owners(points, centroids)[1].sum())


def kmeans_cost_gradient(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """By hand: d cost / d c_j = sum over c_j's points of 2 (c_j - p)."""
    owner = _owners(points, centroids)[0]
    return np.stack([2.0 * (c - points[owner == j]).sum(axis=0)
                     for j, c in enumerate(centroids)])


def kmeans_dir(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """GradBench's manual tool (tools/manual/kmeans.cpp): -(mean of c_j's points - c_j)."""
    owner = _owners(points, centroids)[0]
    return np.stack([-(points[owner == j].sum(axis=0) / np.count_nonzero(owner == j) - c)
                     for j, c in enumerate(centroids)])


# --- llsq ------------------------------------------------------------------------------------
def llsq_grid(n: int) -> np.ndarray:
    """llsq.hpp's t(i, n) = -1 + i * 2 / (n - 1)."""
    return np.array([-1 + i * 2 / (n - LLSQ_GRID_DENOMINATOR_OFFSET) for i in range(n)])


def _llsq_residuals(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = llsq_grid(n)
    residual = np.sign(t)  # llsq.hpp's s: (0 < t) - (t < 0)
    power = np.ones(n)
    for xj in x:  # inner_sum -= x_j * mul;  mul *= t
        residual = residual - xj * power
        power = power * t
    return residual, t


def llsq_objective(x: np.ndarray, n: int) -> float:
    residual = _llsq_residuals(x, n)[0]
    return float((residual * residual).sum() / 2)


def llsq_gradient(x: np.ndarray, n: int) -> np.ndarray:
    """GradBench's manual tool: g_j = -sum_i r_i t_i^j."""
    residual, t = _llsq_residuals(x, n)
    out, power = np.zeros(x.shape[0]), np.ones(n)
    for j in range(x.shape[0]):
        out[j] = -(residual * power).sum()
        power = power * t
    return out


# --- lse -------------------------------------------------------------------------------------
def lse_objective(x: np.ndarray) -> float:
    top = x.max()
    return float(np.log(np.exp(x - top).sum()) + top)


def lse_gradient(x: np.ndarray) -> np.ndarray:
    """GradBench's manual tool: exp(x - max) / sum exp(x - max)."""
    shifted = np.exp(x - x.max())
    return shifted / shifted.sum()


# --- det -------------------------------------------------------------------------------------
def det_by_minors(a: np.ndarray, rows: list[int] | None = None,
                  cols: list[int] | None = None) -> float:
    """det.hpp's det_of_minor: expansion along the minor's first row down to 1 x 1, signs
    alternating from +."""
    rows = list(range(a.shape[0])) if rows is None else rows
    cols = list(range(a.shape[1])) if cols is None else cols
    if len(rows) == 1:
        return float(a[rows[0], cols[0]])
    total, sign = 0.0, DET_FIRST_SIGN
    for position, col in enumerate(cols):
        term = a[rows[0], col] * det_by_minors(a, rows[1:], cols[:position] + cols[position + 1:])
        total = total + term if sign > 0 else total - term
        sign = -sign
    return total


def det_cofactors(a: np.ndarray) -> np.ndarray:
    """GradBench's manual gradient: entry (i, j) is (-1)^(i+j) times the minor without row i
    and column j, each minor by the same expansion."""
    n = a.shape[0]
    out = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            rows = [r for r in range(n) if r != i]
            cols = [c for c in range(n) if c != j]
            out[i, j] = (-1) ** (i + j) * det_by_minors(a, rows, cols)
    return out


# --- ode -------------------------------------------------------------------------------------
def _ode_field(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    z = np.empty_like(x)
    z[0] = x[0]
    z[1:] = x[1:] * y[:-1]
    return z


def ode_primal(x: np.ndarray, s: int) -> np.ndarray:
    """ode.hpp's primal: s RK4 steps of h = tf / s from y = 0."""
    h = ODE_T_FINAL / s
    y = np.zeros_like(x)
    for _ in range(s):
        k1 = _ode_field(x, y)
        k2 = _ode_field(x, y + h * k1 / 2)
        k3 = _ode_field(x, y + h * k2 / 2)
        k4 = _ode_field(x, y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y


def ode_jacobian(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """By hand, GradBench's manual tool's formula row by row: y_i is a constant times x_0 ...
    x_i (every RK4 quantity of component i is x_i times one of component i - 1), so
    d y_i / d x_j = y_i / x_j for j <= i and 0 beyond. Its last row is GradBench's gradient."""
    return np.tril(y[:, None] / x[None, :])


# --- particle ----------------------------------------------------------------------------------
def particle_objective(lib: Any, w: Any) -> Any:
    """evals/particle: Euler steps of dt = 0.1 from (0, 8) at (0.75, 0) under the force
    -grad p, p = sum 1 / |x - charge|, charges (10, 10 - w) and (10, 0), until the next
    position has y <= 0; then x_0 at the linear crossing, squared. The force by hand:
    -grad p = sum (x - c) / |x - c|^3."""
    charges = [(10.0, 10.0 - w), (10.0, 0.0)]
    x0, x1, v0, v1 = 0.0, 8.0, 0.75, 0.0
    dt = 0.1
    for _ in range(10_000):
        a0 = a1 = 0.0
        for c0, c1 in charges:
            d0, d1 = x0 - c0, x1 - c1
            r = (d0 * d0 + d1 * d1) ** 0.5
            a0, a1 = a0 + d0 / (r * r * r), a1 + d1 / (r * r * r)
        n0, n1 = x0 + dt * v0, x1 + dt * v1
        if not n1 > 0:
            break
        x0, x1, v0, v1 = n0, n1, v0 + dt * a0, v1 + dt * a1
    else:
        raise RuntimeError("the particle never crossed y = 0")
    t_final = -x1 / v1
    crossing = x0 + t_final * v0
    return crossing * crossing


# --- saddle ------------------------------------------------------------------------------------
def gd_argmin(objective: Any, gradient: Any, start: np.ndarray) -> np.ndarray:
    """gd.hpp's multivariate_argmin: eta from 1e-5, doubled after 10 accepted steps in a row,
    halved (and the run reset) on a rejected one; stop when |grad| <= 1e-5 or a step moves
    <= 1e-5."""
    x = np.array(start, dtype=np.float64)
    fx, gx = objective(x), gradient(x)
    accepted, eta = 0, 1e-5
    for _ in range(1_000_000):
        if math.sqrt((gx * gx).sum()) <= 1e-5:
            return x
        if accepted == 10:
            eta, accepted = eta * 2, 0
            continue
        proposal = x - eta * gx
        if math.sqrt(((x - proposal) ** 2).sum()) <= 1e-5:
            return x
        f_proposal = objective(proposal)
        if f_proposal < fx:
            x, fx = proposal, f_proposal
            gx = gradient(x)
            accepted += 1
        else:
            eta, accepted = eta / 2, 0
    raise RuntimeError("gd_argmin did not stop")


def saddle_max(p1: np.ndarray, start: np.ndarray) -> tuple[float, np.ndarray]:
    """saddle.hpp's objective (x1^2 + y1^2) - (x2^2 + y2^2) maximised over p2 = (x2, y2) by
    gd.hpp's argmax (the argmin of its negation) from ``start``: (the max, its argmax). The
    gradient in p2 by hand, -2 p2, so the argmax does not depend on p1."""
    def f(p2: np.ndarray) -> float:
        return (p1[0] * p1[0] + p1[1] * p1[1]) - (p2[0] * p2[0] + p2[1] * p2[1])

    top = gd_argmin(lambda p2: -f(p2), lambda p2: 2.0 * p2, start)
    return f(top), top
