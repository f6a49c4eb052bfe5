"""The GradBench model cases take GradBench's inputs, outputs and sizes (issue 18): gmm's
Wishart parameters are inputs, ode returns the whole solution without underflow, kmeans-dir is
GradBench's Newton direction, lstm and kmeans draw as GradBench draws, and every sweep reaches
GradBench's default sizes under GradBench's labels."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import scipy.stats

import cases
import refengine
import refengine.numpy as rnp
from cases.library.models import ba, gmm, kmeans, llsq, lse, lstm, ode


# --- gmm: m and gamma ---------------------------------------------------------------------------
def _gmm_by_scipy(alpha, mu, q, low, x, m, gamma) -> float:
    """GradBench's log posterior from SciPy's densities: the mixture of Gaussians with
    precisions Q^T Q, and the Wishart(n = d + m + 1, I / gamma^2) density of each precision."""
    k, d = mu.shape
    rows, cols = np.tril_indices(d, -1)
    order = np.lexsort((rows, cols))  # the strictly lower part, column by column
    log_phi = alpha - scipy.special.logsumexp(alpha)
    per_component, prior = [], 0.0
    for j in range(k):
        qmat = np.diag(np.exp(q[j]))
        qmat[rows[order], cols[order]] = low[j]
        precision = qmat.T @ qmat
        per_component.append(log_phi[j] + scipy.stats.multivariate_normal.logpdf(
            x, mean=mu[j], cov=np.linalg.inv(precision)))
        prior += scipy.stats.wishart.logpdf(precision, df=d + m + 1,
                                            scale=np.eye(d) / gamma**2)
    return float(np.sum(scipy.special.logsumexp(np.array(per_component), axis=0)) + prior)


def test_gmm_takes_m_and_gamma_as_data_inputs_drawn_at_gradbenchs_defaults() -> None:
    case = cases.get("gmm")
    assert case.arg_names[-2:] == ("m", "gamma")
    assert not any(case.args[i].diff for i in (-2, -1))
    *_, m, gamma = case.sample(np.random.default_rng(3))
    assert (m, gamma) == (0.0, 1.0)  # GradBench evals/gmm's -m and --gamma defaults


@pytest.mark.parametrize(("m", "gamma"), [(0.0, 1.0), (2.0, 1.0), (0.0, 0.6), (3.0, 1.7)])
def test_gmm_matches_scipys_densities_for_any_m_and_gamma(m, gamma) -> None:
    case = cases.get("gmm")
    alpha, mu, q, low, x, _, _ = case.sample(np.random.default_rng(11))
    ours = case.fn(rnp, alpha, mu, q, low, x, np.array(m), np.array(gamma))
    np.testing.assert_allclose(ours, _gmm_by_scipy(alpha, mu, q, low, x, m, gamma), rtol=1e-10)


def test_gmm_m_and_gamma_change_the_value_and_the_gradient() -> None:
    case = cases.get("gmm")
    alpha, mu, q, low, x, m, gamma = case.sample(np.random.default_rng(12))

    def value_and_q_gradient(m, gamma):
        return refengine.value_and_grad(
            lambda qq: case.fn(rnp, alpha, mu, qq, low, x, np.array(m), np.array(gamma)))(q)

    base_value, base_grad = value_and_q_gradient(m, gamma)
    for changed in ((m + 1.0, gamma), (m, 2.0 * gamma)):
        value, grad = value_and_q_gradient(*changed)
        assert abs(value - base_value) > 1e-3
        assert np.max(np.abs(grad - base_grad)) > 1e-3


# --- ode: the whole solution, no underflow -------------------------------------------------------
def test_ode_returns_the_whole_solution() -> None:
    case = cases.get("ode")
    for size in (case.sizes.check, case.sizes.sweep[0]):
        x, grid = case.sample(np.random.default_rng(0), size)
        y = case.fn(np, x, grid)
        assert y.shape == case.expected_shape(size) == (size[0],)
        # y_i = c_i x_0 ... x_i: each component is the previous one times x_i, scaled.
        assert np.all(y > 0)


def test_ode_gradient_at_the_largest_sweep_size_has_no_zero() -> None:
    """GradBench's gradient (of the last component) at the largest size: every entry nonzero,
    and equal to y_{n-1} / x_j, the formula GradBench's manual tool uses."""
    case = cases.get("ode")
    size = case.sizes.sweep[-1]
    x, grid = case.sample(np.random.default_rng(0), size)
    y = case.fn(np, x, grid)
    assert np.all(np.isfinite(y)) and np.all(y > 0)
    np.testing.assert_allclose(y[-1], 1.0, rtol=1e-9)  # the draw's geometric mean is 1
    gradient = refengine.grad(lambda xx: case.fn(rnp, xx, grid)[-1])(x)
    assert np.all(gradient != 0.0)
    np.testing.assert_allclose(gradient, y[-1] / x, rtol=1e-9)


def test_ode_float32_holds_to_n_100_and_loses_components_beyond() -> None:
    """The limit the case's note states: float32's range, not the draw, runs out."""
    case = cases.get("ode")
    for size, lost in (((100, 100), False), (case.sizes.sweep[-1], True)):
        exact = case.fn(np, *case.sample(np.random.default_rng(0), size))
        y32 = case.fn(np, *case.sample(np.random.default_rng(0), size, dtype="float32"))
        assert np.any(y32 == 0) == lost
        if not lost:
            np.testing.assert_allclose(y32, exact, rtol=1e-4)


def test_ode_ratios_tend_to_the_exact_solution_and_stop_after_4s_components() -> None:
    fine = ode.rk4_ratios(6, np.linspace(0.0, 2.0, 401))
    np.testing.assert_allclose(fine, 2.0 / np.arange(1, 7), rtol=1e-6)  # 2^(i+1)/(i+1)!
    coarse = ode.rk4_ratios(10, np.linspace(0.0, 2.0, 3))  # s = 2 steps
    assert np.all(coarse[:8] > 0) and np.all(coarse[8:] == 0)


def test_ode_at_gradbenchs_default_sizes_is_zero_in_its_last_component() -> None:
    """Why the sweep keeps n <= 4 s: at GradBench's smallest default size (n = 1000, s = 1
    to 100) y_{n-1}(2) is exactly 0 whatever x is, so its gradient is all zeros."""
    x = np.full(1000, 5.0)
    for steps in (1, 10, 100):
        grid = np.linspace(0.0, 2.0, steps + 1)
        assert ode.ode_solution(np, x, grid)[-1] == 0.0
        # Exactly the first 4 s components are reached (the ratios do not underflow).
        assert np.count_nonzero(ode.rk4_ratios(1000, grid)) == 4 * steps
    with pytest.raises(ValueError, match="identically 0"):
        cases.get("ode").sample(np.random.default_rng(0), (1000, 100))


# --- kmeans: GradBench's draw and its dir ---------------------------------------------------------
def _nearest(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return np.argmin(((points[:, None, :] - centroids[None, :, :]) ** 2).sum(-1), axis=1)


def test_kmeans_draws_points_as_gradbench_and_centroids_from_them() -> None:
    case = cases.get("kmeans")
    for size in (case.sizes.check, case.sizes.sweep[0]):
        k, n, d = size
        centroids, points = case.sample(np.random.default_rng(4), size)
        assert points.shape == (n, d) and np.all((points >= 0) & (points < 1))
        np.testing.assert_array_equal(centroids, points[-k:])
        assert set(_nearest(points, centroids)) == set(range(k))  # every centroid owns one
        distances = np.sort(((points[:, None, :] - centroids) ** 2).sum(-1), axis=1)
        assert np.min(distances[:, 1] - distances[:, 0]) >= kmeans.TIE_MARGIN * (1 - 1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kmeans_dir_is_the_gradient_over_the_hessian_diagonal(seed) -> None:
    """Against GradBench's manual closed form, c_j - mean of c_j's points, and against JAX's
    gradient over the diagonal of its full Hessian."""
    import jax
    import jax.numpy as jnp

    case = cases.get("kmeans-dir")
    centroids, points = case.sample(np.random.default_rng(seed))
    ours = case.fn(rnp, centroids, points)
    owner = _nearest(points, centroids)
    means = np.stack([points[owner == j].mean(axis=0) for j in range(len(centroids))])
    np.testing.assert_allclose(ours, centroids - means, rtol=1e-10, atol=1e-12)

    def cost(c):
        return jnp.sum(jnp.min(((points[:, None, :] - c[None, :, :]) ** 2).sum(-1), axis=1))

    flat = centroids.size
    with jax.enable_x64(True):  # scoped, as the JAX adapter does: no global switch
        c = jnp.asarray(centroids)
        hessian = np.asarray(jax.hessian(cost)(c)).reshape(flat, flat)
        gradient = np.asarray(jax.grad(cost)(c))
    by_jax = gradient / np.diag(hessian).reshape(centroids.shape)
    np.testing.assert_allclose(ours, by_jax, rtol=1e-10, atol=1e-12)
    assert np.allclose(hessian, np.diag(np.diag(hessian)))  # diagonal, so H 1 is its diagonal


# --- lstm: GradBench's draw --------------------------------------------------------------------
def test_lstm_draws_uniform_parameters_and_a_sequence_of_character_bits() -> None:
    case = cases.get("lstm")
    main, extra, state, sequence = case.sample(np.random.default_rng(2), (2, 14, 300))
    uniform = np.concatenate([main.ravel(), extra.ravel(), state.ravel()])
    assert np.all((uniform >= 0) & (uniform < 1)) and 0.4 < uniform.mean() < 0.6
    assert set(np.unique(sequence)) == {0.0, 1.0} and sequence.shape == (300, 14)


# --- sizes: GradBench's default sizes, under its labels -------------------------------------
# evals/ba/data's file names for ba1 to ba14, GradBench's labels of its ba problems.
BA_FILES = """ba1_n49_m7776_p31843 ba2_n21_m11315_p36455 ba3_n161_m48126_p182072
ba4_n372_m47423_p204472 ba5_n257_m65132_p225911 ba6_n539_m65220_p277273 ba7_n93_m61203_p287451
ba8_n88_m64298_p383937 ba9_n810_m88814_p393775 ba10_n1197_m126327_p563734
ba11_n1723_m156502_p678718 ba12_n253_m163691_p899155 ba13_n245_m198739_p1091386
ba14_n356_m226730_p1255268""".split()


def test_ba_labels_are_gradbenchs_data_files() -> None:
    from_files = {}
    for stem in BA_FILES:
        label, *fields = stem.split("_")
        from_files[label] = tuple(int(f[1:]) for f in fields)
    assert ba.GRADBENCH_SIZES == from_files
    assert ba.GRADBENCH_SIZES["ba2"] == (21, 11315, 36455)  # not "ba3-like"
    assert "ba3-like" not in cases.get("ba").note


EXPECTED = {
    # case: (module's GradBench sizes, how many, the largest, the first sweep size)
    "gmm": (gmm.GRADBENCH_SIZES, 25, (64, 100, 1000), (2, 5, 100)),
    "lstm": (lstm.GRADBENCH_SIZES, 9, (6, 14, 8192), (2, 14, 1024)),
    "ba": (ba.GRADBENCH_SIZES, 14, (356, 226730, 1255268), (3, 20, 60)),
    "llsq": (llsq.GRADBENCH_SIZES, 11, (16392, 128), (16, 128)),
    "lse": (lse.GRADBENCH_SIZES, 10, 1_280_000, 1_000),
    "kmeans": (kmeans.GRADBENCH_SIZES, 12, (1000, 10_000, 16), (5, 1_000, 2)),
    "kmeans-dir": (kmeans.GRADBENCH_SIZES, 12, (1000, 10_000, 16), (5, 1_000, 2)),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_sweeps_reach_gradbenchs_default_sizes(name) -> None:
    sizes, count, largest, first = EXPECTED[name]
    case = cases.get(name)
    assert len(sizes) == count and largest in sizes.values()
    assert set(sizes.values()) <= set(case.sizes.sweep)
    assert case.sizes.sweep[0] == first  # the quick run's size is no dearer than before
    for size in sizes.values():  # the sweep's shapes, without drawing the large inputs
        assert len(case.input_shapes(size)) == len(case.args)


def test_det_sweeps_gradbenchs_sizes_up_to_its_stated_limit() -> None:
    from cases.library.models import det

    assert det.GRADBENCH_SIZES == {str(ell): ell for ell in range(5, 12)}
    case = cases.get("det-by-minors")
    assert case.sizes.sweep == (4, *range(5, det.MAX_SWEPT_ELL + 1))
    assert f"ell = 5 to {det.MAX_SWEPT_ELL}" in case.note


def test_labels_are_gradbenchs_descriptions() -> None:
    # Ordered by d K, ties in GradBench's d-major order (its stable sort).
    assert list(gmm.GRADBENCH_SIZES)[:4] == ["2_5_1000", "2_10_1000", "2_25_1000", "10_5_1000"]
    assert gmm.GRADBENCH_SIZES["64_100_1000"] == (64, 100, 1000)
    assert lstm.GRADBENCH_SIZES["l=6,c=8192"] == (6, 14, 8192)
    assert llsq.GRADBENCH_SIZES["n=16392,m=128"] == (16392, 128)
    assert lse.GRADBENCH_SIZES["n=1280000"] == 1_280_000
    assert kmeans.GRADBENCH_SIZES["k=1000,n=10000,d=16"] == (1000, 10_000, 16)
    # Our own size labels agree with GradBench's where it writes name=value.
    assert cases.get("kmeans").sizes.label((10, 1000, 8)) == "k=10,n=1000,d=8"
    assert cases.get("llsq").sizes.label((16, 128)) == "n=16,m=128"
