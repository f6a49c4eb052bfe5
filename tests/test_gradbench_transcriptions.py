"""Each GradBench model case against an independent transcription of GradBench's reference
(tests/gradbench_reference.py), at inputs drawn as GradBench's eval draws them (issue 18).

The case goes through refengine (its value, and its gradient or Jacobian by reverse mode); the
transcription's derivative comes another way: GradBench's (or ADBench's) hand-derived formula
where there is one, else torch's float64 autograd over the transcription. Both must agree to
1e-12 relative in float64, value and derivative. The negative controls plant a sign flip or an
off-by-one in the transcription and require the same comparison to fail.

Sizes are GradBench's smallest default where that is cheap, else a small size drawn the same
way (the default sizes' costs are the timing sweep's business).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import cases
import refengine
import refengine.numpy as rnp

from . import gradbench_reference as gb

RTOL = 1e-12
SEED = 31337  # GradBench's evals seed their generators with it


def relative_difference(got: Any, want: Any, scale: Any = None) -> float:
    """max |got - want| / scale, entry by entry; ``scale`` defaults to max |want| (a normwise
    relative difference), or is given per entry (broadcast) where entries span many orders."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"shape {got.shape} where GradBench's is {want.shape}")
    if not np.all(np.isfinite(got)):
        raise AssertionError("non-finite entries")
    scale = np.max(np.abs(want)) if scale is None else np.abs(np.asarray(scale))
    if np.any(scale == 0):
        return float(np.max(np.abs(got - want))) if np.all(want == 0) else float("inf")
    return float(np.max(np.abs(got - want) / scale))


def assert_agrees(what: str, got: Any, want: Any, scale: Any = None) -> float:
    difference = relative_difference(got, want, scale)
    assert difference <= RTOL, f"{what}: relative difference {difference:.3g} > {RTOL:g}"
    return difference


def torch_value_and_grads(f: Callable[..., Any], *arrays: np.ndarray,
                          data: tuple = ()) -> tuple[float, list]:
    """torch float64 autograd over a transcription written for ``lib``: f(lib, *arrays,
    *data), differentiated in ``arrays``."""
    import torch

    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    value = f(torch, *tensors, *data)
    grads = torch.autograd.grad(value, tensors)
    return float(value.detach()), [g.numpy() for g in grads]


def torch_jacobian(f: Callable[..., Any], *arrays: np.ndarray,
                   data: tuple = ()) -> tuple[np.ndarray, list]:
    import torch

    tensors = tuple(torch.tensor(a, dtype=torch.float64) for a in arrays)
    value = f(torch, *tensors, *data).numpy()
    jacobians = torch.autograd.functional.jacobian(lambda *t: f(torch, *t, *data), tensors)
    return value, [j.numpy() for j in jacobians]


def case_value_and_grads(name: str, inputs: tuple, argnums: tuple[int, ...]) -> tuple:
    fn = cases.get(name).fn
    value, grads = refengine.value_and_grad(lambda *a: fn(rnp, *a), argnums=argnums)(*inputs)
    return value, grads


def case_jacobians(name: str, inputs: tuple, argnums: tuple[int, ...]) -> tuple:
    fn = cases.get(name).fn
    value = fn(rnp, *inputs)
    jacobians = refengine.jacobian(lambda *a: fn(rnp, *a), argnums=argnums)(*inputs)
    return value, jacobians


# --- GradBench-style inputs -----------------------------------------------------------------
def gmm_inputs(d: int, k: int, n: int, m: int = 0, gamma: float = 1.0) -> tuple:
    """evals/gmm run.py's generate, in its order: x, alpha, mu ~ U(0, 1), q, l."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(n, d))
    alpha = rng.normal(size=k)
    mu = rng.uniform(size=(k, d))
    q = rng.normal(size=(k, d))
    low = rng.normal(size=(k, d * (d - 1) // 2))
    return alpha, mu, q, low, x, m, gamma


def ba_inputs(n: int, m: int, p: int) -> tuple:
    """evals/ba's layout: one camera, one point, one weight and one feature, repeated over n
    cameras, m points and p observations, observation i seeing camera i mod n and point
    i mod m. GradBench reads them from ADBench's files; here they are drawn at those files'
    scale (rotation ~1 rad, centre ~10s, focal ~400, features ~100s), the point in front."""
    rng = np.random.default_rng(SEED)
    while True:
        camera = np.concatenate([rng.uniform(-1, 1, 3), rng.uniform(20, 60, 3),
                                 rng.uniform(300, 500, 1), rng.uniform(-10, 10, 2),
                                 rng.uniform(-0.1, 0.1, 2)])
        point = rng.uniform(0, 10, 3)
        xcam = gb.rodrigues(np, list(camera[:3]), list(point - camera[3:6]))
        if abs(xcam[2]) > 1.0:
            break
    cams, points = np.tile(camera, (n, 1)), np.tile(point, (m, 1))
    w = np.full(p, rng.uniform(0.2, 1.0))
    feats = np.tile(rng.uniform(0, 1000, 2), (p, 1))
    return cams, points, w, feats, np.arange(p) % n, np.arange(p) % m


LSTM_TEXT = ("GradBench reads its characters from a text file; this one ends in a euro sign, "
             "so a character takes 14 bits as there: \u20ac")


def lstm_inputs(layers: int, chars: int) -> tuple:
    """evals/lstm run.py's gen_lstm: the text's character bits, then state, main and extra
    parameters from U(0, 1)."""
    rng = np.random.default_rng(SEED)
    text = (LSTM_TEXT * (1 + chars // len(LSTM_TEXT)))[:chars - 1] + LSTM_TEXT[-1]
    sequence = gb.text_bits(text)
    bits = sequence.shape[1]
    state = rng.random((2 * layers, bits))
    main = rng.random((2 * layers, 4 * bits))
    extra = rng.random((3, bits))
    return main, extra, state, sequence


def kmeans_inputs(k: int, n: int, d: int) -> tuple:
    """evals/kmeans run.py: points ~ U(0, 1), the centroids the last k of them."""
    points = np.random.default_rng(SEED).random((n, d))
    return points[-k:].copy(), points


# --- the comparisons, one per eval ------------------------------------------------------------
def compare_hello() -> float:
    worst = 0.0
    for x in (1.0, 2.0, 8.0, 128.0):  # evals/hello's square/double chain from x = 1
        value, (grad,) = case_value_and_grads("hello", (np.array(x),), (0,))
        worst = max(worst, assert_agrees("hello value", value, x * x),
                    assert_agrees("hello gradient (GradBench's double)", grad, 2 * x))
    return worst


def compare_gmm() -> float:
    worst = 0.0
    for size, m, gamma in (((2, 5, 1000), 0, 1.0), ((10, 5, 200), 3, 0.7)):
        alpha, mu, q, low, x, m, gamma = gmm_inputs(*size, m=m, gamma=gamma)
        value, grads = case_value_and_grads(
            "gmm", (alpha, mu, q, low, x, np.array(float(m)), np.array(gamma)), (0, 1, 2, 3))
        want, want_grads = torch_value_and_grads(gb.gmm_log_posterior, alpha, mu, q, low,
                                                 data=(x, m, gamma))
        by_hand = gb.gmm_gradient(alpha, mu, q, low, x, m, gamma)
        worst = max(worst, assert_agrees(f"gmm {size} value", value, want))
        for name, got, expected, hand in zip(("alpha", "mu", "q", "l"), grads, want_grads,
                                             by_hand, strict=True):
            worst = max(worst, assert_agrees(f"gmm {size} d/d{name}", got, expected),
                        assert_agrees(f"gmm {size} d/d{name} by hand", got, hand))
    return worst


def compare_ba() -> float:
    worst = 0.0
    drawn = cases.get("ba").sample(np.random.default_rng(0))
    for inputs in (ba_inputs(3, 5, 12), drawn):
        value, jacobians = case_jacobians("ba", inputs, (0, 1, 2))
        cams, points, w, feats, cam_index, point_index = inputs
        want, want_jacobians = torch_jacobian(
            gb.ba_residuals, cams, points, w,
            data=(feats, list(cam_index), list(point_index)))
        by_hand = gb.ba_jacobian(*inputs)
        worst = max(worst, assert_agrees("ba residuals", value, want))
        for name, got, expected, hand in zip(("cams", "X", "w"), jacobians, want_jacobians,
                                             by_hand, strict=True):
            worst = max(worst, assert_agrees(f"ba Jacobian in {name}", got, expected),
                        assert_agrees(f"ba Jacobian in {name} by hand", got, hand))
    return worst


def compare_lstm() -> float:
    main, extra, state, sequence = lstm_inputs(layers=2, chars=64)
    assert sequence.shape[1] == 14  # GradBench's text's width
    value, grads = case_value_and_grads("lstm", (main, extra, state, sequence), (0, 1))
    want, want_grads = torch_value_and_grads(gb.lstm_objective, main, extra,
                                             data=(state, sequence))
    worst = assert_agrees("lstm value", value, want)
    for name, got, expected in zip(("main", "extra"), grads, want_grads, strict=True):
        worst = max(worst, assert_agrees(f"lstm d/d{name}", got, expected))
    return worst


def compare_kmeans() -> float:
    centroids, points = kmeans_inputs(10, 1000, 8)  # GradBench's smallest, k=10,n=1000,d=8
    value, (grad,) = case_value_and_grads("kmeans", (centroids, points), (0,))
    return max(assert_agrees("kmeans cost", value, gb.kmeans_cost(points, centroids)),
               assert_agrees("kmeans gradient", grad,
                             gb.kmeans_cost_gradient(points, centroids)))


def compare_kmeans_dir() -> float:
    centroids, points = kmeans_inputs(10, 1000, 8)
    got = cases.get("kmeans-dir").fn(rnp, centroids, points)
    return assert_agrees("kmeans dir", got, gb.kmeans_dir(points, centroids))


def compare_llsq() -> float:
    worst = 0.0
    x = np.random.default_rng(SEED).random(128)  # evals/llsq: x ~ U(0, 1) of m = 128
    for n in (16, 1024):
        t = -1.0 + 2.0 * np.arange(n) / (n - 1)  # the case's grid input (GradBench's t)
        value, (grad,) = case_value_and_grads("llsq", (x, t), (0,))
        worst = max(worst, assert_agrees(f"llsq n={n} value", value, gb.llsq_objective(x, n)),
                    assert_agrees(f"llsq n={n} gradient", grad, gb.llsq_gradient(x, n)))
    return worst


def compare_lse() -> float:
    """The worst entry is the max's: reverse mode through the shift a = max(x) leaves it
    1 - sum(softmax), one ulp of 1 here, which the manual formula has not (3.5e-13 of the
    largest entry at n = 2500): AD of GradBench's definition, not a fault of the case."""
    x = np.random.default_rng(SEED).random(2500)  # evals/lse: n = 2500 from U(0, 1)
    value, (grad,) = case_value_and_grads("lse", (x,), (0,))
    return max(assert_agrees("lse value", value, gb.lse_objective(x)),
               assert_agrees("lse gradient", grad, gb.lse_gradient(x)))


def compare_det() -> float:
    worst = 0.0
    rng = np.random.default_rng(SEED)
    for ell in (5, 6):  # evals/det: A ~ U(0, 1), ell from 5
        a = rng.random(ell * ell).reshape(ell, ell)
        value, (grad,) = case_value_and_grads("det-by-minors", (a,), (0,))
        worst = max(worst, assert_agrees(f"det ell={ell} value", value, gb.det_by_minors(a)),
                    assert_agrees(f"det ell={ell} gradient", grad, gb.det_cofactors(a)))
    return worst


def compare_ode() -> float:
    """The whole solution and its Jacobian, each row scaled by its own component (they span
    orders of magnitude). n <= 4 s, and one n > 4 s as GradBench's defaults have it, where
    the last components are exactly 0 on both sides."""
    worst = 0.0
    rng = np.random.default_rng(SEED)
    for n, s in ((10, 10), (20, 5), (12, 2)):
        x = rng.random(n)  # evals/ode: x ~ U(0, 1)
        grid = np.linspace(0.0, 2.0, s + 1)  # GradBench's tf = 2 in s steps
        value, (jacobian,) = case_jacobians("ode", (x, grid), (0,))
        want = gb.ode_primal(x, s)
        reached = want != 0
        assert np.count_nonzero(reached) == min(n, 4 * s)
        assert np.all(value[~reached] == 0) and np.all(jacobian[~reached] == 0)
        row_scale = np.abs(want[reached])[:, None] / np.min(x)
        worst = max(worst,
                    assert_agrees(f"ode n={n},s={s} primal", value[reached], want[reached],
                                  np.abs(want[reached])),
                    assert_agrees(f"ode n={n},s={s} Jacobian", jacobian[reached],
                                  gb.ode_jacobian(x, want)[reached], row_scale))
    return worst


def compare_particle() -> float:
    """At GradBench's start w = 0 and past its w* (where the gradient's sign turns). Not at
    w* itself: there x_0(t_f) is a cancellation to ~1e-4 of terms ~1, so the value's last
    digits are rounding (measured: 1e-12 apart between two correct orderings)."""
    worst = 0.0
    for w in (0.0, 0.3):
        value, (grad,) = case_value_and_grads("particle", (np.array(w),), (0,))
        want, (want_grad,) = torch_value_and_grads(gb.particle_objective, np.array(w))
        worst = max(worst, assert_agrees(f"particle w={w} value", value, want),
                    assert_agrees(f"particle w={w} gradient", grad, want_grad))
    return worst


def compare_saddle() -> float:
    worst = 0.0
    start = np.array([1.0, 1.0])  # evals/saddle's start
    for p1 in (start, np.array([0.6, -1.1]), np.full(2, 8.246324826140356e-06)):
        value, (grad,) = case_value_and_grads("saddle", (p1, start), (0,))
        want, _ = gb.saddle_max(p1, start)
        worst = max(worst, assert_agrees(f"saddle p1={p1} value", value, want),
                    assert_agrees(f"saddle p1={p1} gradient (2 p1 by hand)", grad, 2 * p1))
    return worst


@dataclass(frozen=True)
class Eval:
    cases: tuple[str, ...]
    compare: Callable[[], float]


EVALS = {
    "hello": Eval(("hello",), compare_hello),
    "gmm": Eval(("gmm",), compare_gmm),
    "ba": Eval(("ba",), compare_ba),
    "lstm": Eval(("lstm",), compare_lstm),
    "kmeans": Eval(("kmeans",), compare_kmeans),
    "kmeans-dir": Eval(("kmeans-dir",), compare_kmeans_dir),
    "llsq": Eval(("llsq",), compare_llsq),
    "lse": Eval(("lse",), compare_lse),
    "det": Eval(("det-by-minors",), compare_det),
    "ode": Eval(("ode",), compare_ode),
    "particle": Eval(("particle",), compare_particle),
    "saddle": Eval(("saddle",), compare_saddle),
}


@pytest.mark.parametrize("name", list(EVALS))
def test_case_agrees_with_gradbenchs_reference(name: str) -> None:
    for case in EVALS[name].cases:
        assert "gradbench" in cases.get(case).tags
    assert EVALS[name].compare() <= RTOL


def test_every_gradbench_case_but_ht_has_a_transcription() -> None:
    tagged = {c.name for c in cases.all() if "gradbench" in c.tags}
    covered = {case for e in EVALS.values() for case in e.cases}
    assert {c for c in tagged if not c.startswith("ht")} == covered  # ht: another test's


# --- negative controls: a planted error fails the same comparison ------------------------------
PLANTED = {
    # eval: (the reference's constant, its wrong value, what the mistake is)
    "gmm": ("GMM_PRIOR_SIGN", 1.0, "the sign error GradBench fixed in ADBench's prior"),
    "lstm": ("LSTM_LSE_OFFSET", 1.0, "off by one in the normaliser's + 2"),
    "llsq": ("LLSQ_GRID_DENOMINATOR_OFFSET", 0, "off by one: t_i = -1 + 2 i / n"),
    "det": ("DET_FIRST_SIGN", -1, "every expansion's signs flipped"),
    "ode": ("ODE_T_FINAL", 2.0 * (1 + 1e-11), "tf off by one part in 1e11"),
}


@pytest.mark.parametrize("name", list(PLANTED))
def test_a_planted_error_in_the_transcription_fails_the_comparison(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    constant, wrong, _ = PLANTED[name]
    monkeypatch.setattr(gb, constant, wrong)
    with pytest.raises(AssertionError, match="relative difference"):
        EVALS[name].compare()


@pytest.mark.parametrize("planted", ["sign", "off-by-one", "tiny"])
def test_the_comparison_catches_a_wrong_derivative(planted: str) -> None:
    """The derivative side alone: lse's hand gradient with one entry's sign flipped, shifted
    by one entry, or 1e-11 off in one entry, against the case's."""
    x = np.random.default_rng(SEED).random(2500)
    _, (grad,) = case_value_and_grads("lse", (x,), (0,))
    want = gb.lse_gradient(x)
    wrong = {"sign": lambda g: np.where(np.arange(g.size) == 7, -g, g),
             "off-by-one": lambda g: np.roll(g, 1),
             "tiny": lambda g: g + np.where(np.arange(g.size) == 7, 1e-11 * g.max(), 0)}
    assert relative_difference(grad, want) <= RTOL
    with pytest.raises(AssertionError, match="relative difference"):
        assert_agrees("lse gradient", grad, wrong[planted](want))
