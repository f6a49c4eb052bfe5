"""SciPy's breadth in refengine: the special functions, ``refengine.scipy.stats`` (and, below,
its linear algebra and signal names) give SciPy's values, and derivatives that pass
``rf.check_grads`` (both modes, second order); a parameter with no closed-form derivative
raises naming it, and every new primitive is in the derivative table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import scipy.integrate as sint
import scipy.linalg as sla
import scipy.signal as ssig
import scipy.special as sps
import scipy.stats as st

import refengine as rf
import refengine.numpy as rnp
import refengine.scipy.integrate as rint
import refengine.scipy.linalg as rla
import refengine.scipy.signal as rsig
import refengine.scipy.stats as rst
from refengine import primitives_special as S
from refengine.derivatives import NON_DIFFERENTIABLE, TABLE

from .rule_samples import SAMPLES
from .rulecheck import check_first_order, perturbed

sp = rnp.special


def _points(*shape: int, lo: float, hi: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, shape)


X = _points(2, 3, lo=-2.5, hi=2.5)
POS = _points(2, 3, lo=0.4, hi=3.0, seed=1)
UNIT = _points(2, 3, lo=0.1, hi=0.9, seed=2)
ORDERS = np.array([[0, 1, 2], [3, 1, 0]])
SHAPES = np.array([0.7, 1.0, 2.5])


@dataclass(frozen=True)
class Case:
    """refengine's function of the differentiated arguments, SciPy's, and the point."""

    name: str
    ours: Callable[..., Any]
    scipy: Callable[..., Any]
    args: tuple[Any, ...]
    rtol: float = 1e-12


def _tuple(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *a: tuple(fn(*a))


def _same(name: str, ours: Callable[..., Any], theirs: Callable[..., Any],
          args: tuple[Any, ...], **kw: Any) -> Case:
    return Case(name, ours, theirs, args, **kw)


SPECIAL = [
    _same("erfinv", sp.erfinv, sps.erfinv, (UNIT * 1.6 - 0.8,)),
    _same("erfcinv", sp.erfcinv, sps.erfcinv, (UNIT * 1.6 + 0.2,)),
    _same("j0", sp.j0, sps.j0, (X,)),
    _same("j1", sp.j1, sps.j1, (X,)),
    _same("jn", lambda x: sp.jn(ORDERS, x), lambda x: sps.jn(ORDERS, x), (X,)),
    _same("jn (real order)", lambda x: sp.jn(2.5, x), lambda x: sps.jn(2.5, x), (POS,)),
    _same("y0", sp.y0, sps.y0, (POS,)),
    _same("y1", sp.y1, sps.y1, (POS,)),
    _same("yn", lambda x: sp.yn(ORDERS, x), lambda x: sps.yn(ORDERS, x), (POS,)),
    _same("i0", sp.i0, sps.i0, (X,)),
    _same("i1", sp.i1, sps.i1, (X,)),
    _same("i0e", sp.i0e, sps.i0e, (X,)),
    _same("i1e", sp.i1e, sps.i1e, (X,)),
    _same("iv", lambda x: sp.iv(1.5, x), lambda x: sps.iv(1.5, x), (POS,)),
    _same("ive", lambda x: sp.ive(ORDERS, x), lambda x: sps.ive(ORDERS, x), (X,)),
    _same("gammainc", lambda x: sp.gammainc(SHAPES, x), lambda x: sps.gammainc(SHAPES, x),
          (POS,)),
    _same("gammaincc", lambda x: sp.gammaincc(SHAPES, x), lambda x: sps.gammaincc(SHAPES, x),
          (POS,)),
    _same("betainc", lambda x: sp.betainc(SHAPES, 1.7, x),
          lambda x: sps.betainc(SHAPES, 1.7, x), (UNIT,)),
    _same("stdtr", lambda x: sp.stdtr(SHAPES, x), lambda x: sps.stdtr(SHAPES, x), (X,)),
    _same("ndtr", sp.ndtr, sps.ndtr, (X * 3.0,)),
    _same("log_ndtr", sp.log_ndtr, sps.log_ndtr,
          (np.array([-45.0, -21.0, -19.0, -3.0, 0.5, 6.0]),)),
    _same("ndtri", sp.ndtri, sps.ndtri, (np.array([1e-20, 1e-4, 0.3, 0.5, 0.8, 0.999]),)),
    _same("erfcx", sp.erfcx, sps.erfcx, (X,)),
    _same("exp1", sp.exp1, sps.exp1, (POS,)),
    _same("expi", sp.expi, sps.expi, (X,)),
    _same("expn", lambda x: sp.expn(ORDERS, x), lambda x: sps.expn(ORDERS, x), (POS,)),
    _same("dawsn", sp.dawsn, sps.dawsn, (X,)),
    _same("xlog1py", sp.xlog1py, sps.xlog1py, (X, POS - 0.3)),
    # xlog1py(0, y) is 0 for every y, y <= -1 included: its derivative in y is 0 there too.
    _same("xlog1py (x = 0, y <= -1)", lambda y: sp.xlog1py(np.zeros(3), y),
          lambda y: sps.xlog1py(np.zeros(3), y), (np.array([-1.0, -2.5, 0.5]),)),
    _same("entr", sp.entr, sps.entr, (POS,)),
    _same("rel_entr", sp.rel_entr, sps.rel_entr, (POS, UNIT)),
    _same("kl_div", sp.kl_div, sps.kl_div, (POS, UNIT)),
    _same("loggamma", sp.loggamma, sps.loggamma, (POS,)),
    _same("boxcox", sp.boxcox, sps.boxcox, (POS, X * 0.5)),
    _same("boxcox (lmbda = 0)", sp.boxcox, sps.boxcox, (POS[0], np.zeros(3))),
    _same("boxcox1p", sp.boxcox1p, sps.boxcox1p, (POS - 0.3, X * 0.5)),
    _same("poch", sp.poch, sps.poch, (POS, UNIT * 2.0)),
    _same("factorial", sp.factorial, sps.factorial, (POS,)),
    _same("comb", sp.comb, sps.comb, (POS + 3.0, POS)),
    _same("sici", _tuple(sp.sici), _tuple(sps.sici), (X,)),
    _same("fresnel", _tuple(sp.fresnel), _tuple(sps.fresnel), (X,)),
    _same("owens_t", sp.owens_t, sps.owens_t, (X, X[::-1])),
    _same("spence", sp.spence, sps.spence, (np.array([0.3, 1.0, 1.7, 4.0]),)),
    _same("zeta", lambda q: sp.zeta(SHAPES + 1.0, q), lambda q: sps.zeta(SHAPES + 1.0, q),
          (POS,)),
    _same("logsumexp (b)", lambda a, b: sp.logsumexp(a, axis=1, b=b),
          lambda a, b: sps.logsumexp(a, axis=1, b=b), (X, POS)),
    _same("logsumexp (b with a negative, return_sign)",
          lambda a, b: sp.logsumexp(a, axis=0, b=b, keepdims=True, return_sign=True)[0],
          lambda a, b: sps.logsumexp(a, axis=0, b=b, keepdims=True, return_sign=True)[0],
          (X, np.array([[1.0, -9.0, 0.5], [-0.2, 0.3, 0.0]]))),
]

# One-dimensional points for the distributions: check_grads at order 2 costs grow with the
# number of inputs (x, loc and scale together).
X3, POS3, UNIT3 = X[0], POS[0], UNIT[0]
LOC, SCALE = np.array([0.3, -0.2, 0.1]), np.array([1.5, 0.7, 2.0])
DF = np.array([1.5, 4.0, 9.0])
INT_DF = np.array([1.0, 4.0, 9.0])
A, B = np.array([0.8, 2.0, 3.5]), np.array([1.2, 0.9, 2.5])
SIMPLEX = np.array([[0.2, 0.5], [0.3, 0.1], [0.5, 0.4]])  # components along the first axis
ALPHA = np.array([1.5, 0.8, 2.2])
MEAN = np.array([0.2, -0.4, 0.1])
COV = np.array([[2.0, 0.3, -0.2], [0.3, 1.0, 0.4], [-0.2, 0.4, 1.5]])
MVN_X = _points(2, 3, lo=-1.5, hi=1.5, seed=3)
COUNTS = np.array([0.0, 1.0, 3.0, 7.0, 2.5, -1.0])

STATS = [
    *[_same(f"norm.{f}", getattr(rst.norm, f), getattr(st.norm, f), (X3, LOC, SCALE))
      for f in ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf")],
    _same("norm.logcdf (tail)", rst.norm.logcdf, st.norm.logcdf, (np.array([-30.0, -8.0, 9.0]),)),
    _same("t.pdf", rst.t.pdf, st.t.pdf, (X3, DF, LOC, SCALE)),
    _same("t.logpdf", rst.t.logpdf, st.t.logpdf, (X3, DF, LOC, SCALE)),
    _same("t.cdf", lambda x, m, s: rst.t.cdf(x, DF, m, s), lambda x, m, s: st.t.cdf(x, DF, m, s),
          (X3, LOC, SCALE)),
    _same("t.logcdf", lambda x, m, s: rst.t.logcdf(x, DF, m, s),
          lambda x, m, s: st.t.logcdf(x, DF, m, s), (X3, LOC, SCALE)),
    _same("gamma.pdf", rst.gamma.pdf, st.gamma.pdf, (POS3, A, LOC * 0.1, SCALE)),
    _same("gamma.logpdf", rst.gamma.logpdf, st.gamma.logpdf, (POS3, A, LOC * 0.1, SCALE)),
    _same("gamma.cdf", lambda x, m, s: rst.gamma.cdf(x, A, m, s),
          lambda x, m, s: st.gamma.cdf(x, A, m, s), (POS3, LOC * 0.1, SCALE)),
    _same("chi2.pdf", rst.chi2.pdf, st.chi2.pdf, (POS3, DF)),
    _same("chi2.logpdf", rst.chi2.logpdf, st.chi2.logpdf, (POS3, DF)),
    _same("chi2.cdf", lambda x: rst.chi2.cdf(x, DF), lambda x: st.chi2.cdf(x, DF), (POS3,)),
    _same("beta.pdf", rst.beta.pdf, st.beta.pdf, (UNIT3, A, B)),
    _same("beta.logpdf", rst.beta.logpdf, st.beta.logpdf, (UNIT3, A, B)),
    _same("beta.cdf", lambda x: rst.beta.cdf(x, A, B), lambda x: st.beta.cdf(x, A, B), (UNIT3,)),
    _same("poisson.pmf", lambda mu: rst.poisson.pmf(COUNTS, mu),
          lambda mu: st.poisson.pmf(COUNTS, mu), (np.array([0.5, 1.5, 2.0, 4.0, 1.0, 3.0]),)),
    _same("poisson.logpmf", lambda mu: rst.poisson.logpmf(COUNTS[:4], mu),
          lambda mu: st.poisson.logpmf(COUNTS[:4], mu), (np.array([0.5, 1.5, 2.0, 4.0]),)),
    _same("poisson.cdf", lambda mu: rst.poisson.cdf(COUNTS, mu),
          lambda mu: st.poisson.cdf(COUNTS, mu), (np.array([0.5, 1.5, 2.0, 4.0, 1.0, 3.0]),)),
    _same("dirichlet.pdf", rst.dirichlet.pdf, st.dirichlet.pdf, (SIMPLEX, ALPHA)),
    _same("dirichlet.logpdf", rst.dirichlet.logpdf, st.dirichlet.logpdf, (SIMPLEX, ALPHA)),
    _same("dirichlet.logpdf (implied last)", lambda x, a: rst.dirichlet.logpdf(x, a),
          lambda x, a: st.dirichlet.logpdf(x, a), (SIMPLEX[:2], ALPHA)),
    _same("multivariate_normal.logpdf", rst.multivariate_normal.logpdf,
          st.multivariate_normal.logpdf, (MVN_X, MEAN, COV)),
    _same("multivariate_normal.logpdf (one point)", rst.multivariate_normal.logpdf,
          st.multivariate_normal.logpdf, (MVN_X[0], MEAN, COV)),
    _same("multivariate_normal.pdf", rst.multivariate_normal.pdf,
          st.multivariate_normal.pdf, (MVN_X, MEAN, COV)),
    _same("multivariate_normal.logpdf (diagonal cov)",
          lambda x, c: rst.multivariate_normal.logpdf(x, MEAN, c),
          lambda x, c: st.multivariate_normal.logpdf(x, MEAN, c), (MVN_X, np.diag(COV))),
    _same("multivariate_normal.logpdf (dimension 1)",
          lambda x: rst.multivariate_normal.logpdf(x, None, 2.0),
          lambda x: st.multivariate_normal.logpdf(x, None, 2.0), (X[0],)),
    _same("multivariate_normal.entropy", rst.multivariate_normal.entropy,
          st.multivariate_normal.entropy, (MEAN, COV)),
]

M3 = np.array([[2.0, 0.4, -0.3], [0.2, 1.5, 0.5], [-0.1, 0.3, 2.5]])  # no negative eigenvalue
M2 = np.array([[1.2, -0.3], [0.5, 0.9]])
RHS = np.array([[0.5, -1.0], [0.2, 0.7], [1.1, 0.3]])
BANDED = np.array([[0.0, 0.3, -0.2, 0.4], [3.0, 2.5, 2.8, 3.2], [0.5, -0.4, 0.2, 0.0]])
SIGNAL, KERNEL = _points(6, lo=-1.0, hi=1.0, seed=4), np.array([0.5, -1.2, 0.8])
IMAGE, FILTER = _points(3, 3, lo=-1.0, hi=1.0, seed=5), np.array([[0.3, -0.5], [0.9, 0.2]])


def _triangular(**kw: Any) -> Case:
    label = ", ".join(f"{k}={v}" for k, v in kw.items())
    return Case(f"solve_triangular ({label})", lambda a, b: rla.solve_triangular(a, b, **kw),
                lambda a, b: sla.solve_triangular(a, b, **kw), (M3, RHS), rtol=1e-11)


LINALG_SIGNAL = [
    _triangular(lower=True),
    _triangular(lower=False, trans=1),
    _triangular(lower=True, trans="T", unit_diagonal=True),
    Case("solve_triangular (vector b)", lambda a, b: rla.solve_triangular(a, b, lower=True),
         lambda a, b: sla.solve_triangular(a, b, lower=True), (M3, RHS[:, 0]), rtol=1e-11),
    Case("solve_banded", lambda ab, b: rla.solve_banded((1, 1), ab, b),
         lambda ab, b: sla.solve_banded((1, 1), ab, b), (BANDED, RHS[:, 0].repeat(2)[:4]),
         rtol=1e-11),
    Case("solve_sylvester", rla.solve_sylvester, sla.solve_sylvester, (M3, M2, RHS), rtol=1e-11),
    Case("sqrtm", rla.sqrtm, sla.sqrtm, (M3,), rtol=1e-11),
    *[Case(f"convolve ({mode})", lambda a, b, m=mode: rsig.convolve(a, b, m),
           lambda a, b, m=mode: ssig.convolve(a, b, m), (SIGNAL, KERNEL))
      for mode in ("full", "valid", "same")],
    Case("convolve (kernel first, same)", lambda a, b: rsig.convolve(a, b, "same"),
         lambda a, b: ssig.convolve(a, b, "same"), (KERNEL, SIGNAL)),
    *[Case(f"convolve (2-d, {mode})", lambda a, b, m=mode: rsig.convolve(a, b, m),
           lambda a, b, m=mode: ssig.convolve(a, b, m), (IMAGE, FILTER))
      for mode in ("full", "valid", "same")],
]

CASES = SPECIAL + STATS + LINALG_SIGNAL
IDS = [c.name for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_match_scipy(case: Case) -> None:
    theirs = case.scipy(*case.args)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for ours in (case.ours(*case.args), rf.vjp(case.ours, *case.args)[0]):
        ours = ours if isinstance(ours, tuple) else (ours,)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert np.shape(a) == np.shape(b)
            np.testing.assert_allclose(a, b, rtol=case.rtol, atol=1e-300)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_derivatives_pass_check_grads(case: Case) -> None:
    rf.check_grads(case.ours, case.args, modes=("fwd", "rev"), order=2)


def test_float32_stays_float32() -> None:
    x = POS.astype(np.float32)
    for fn in (sp.j0, sp.i1e, lambda t: sp.jn(3, t), lambda t: sp.gammainc(2.0, t), sp.erfinv):
        arg = x * 0.3 if fn is sp.erfinv else x
        assert fn(arg).dtype == np.float32
        assert rf.vjp(fn, arg)[1](np.ones_like(arg))[0].dtype == np.float32


@pytest.mark.parametrize(("call", "names"), [
    (lambda n: sp.jn(n, 1.3), "jn.*order n"),
    (lambda n: sp.yn(n, 1.3), "yn.*order n"),
    (lambda v: sp.iv(v, 1.3), "iv.*order v"),
    (lambda v: sp.ive(v, 1.3), "ive.*order v"),
    (lambda a: sp.gammainc(a, 1.3), "gammainc.*shape parameter a"),
    (lambda a: sp.gammaincc(a, 1.3), "gammaincc.*shape parameter a"),
    (lambda a: sp.betainc(a, 2.0, 0.3), "betainc.*shape parameter a"),
    (lambda b: sp.betainc(2.0, b, 0.3), "betainc.*shape parameter b"),
    (lambda df: rst.t.cdf(0.3, df), "stdtr.*degrees of freedom df"),
    (lambda df: rst.chi2.cdf(0.3, df), "chi2.cdf.*degrees of freedom df"),
    (lambda a: rst.gamma.cdf(0.3, a), "gammainc.*shape parameter a"),
    (lambda x: sp.zeta(x, 1.5), "zeta.*exponent x"),
    (lambda n: sp.expn(n, 1.5), "expn.*order n"),
    (lambda k: rst.poisson.pmf(k, 2.0), "poisson.logpmf.*count k"),
])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_parameter_with_no_closed_form_derivative_raises_naming_it(call, names, mode) -> None:
    diff = rf.grad(call) if mode == "rev" else (lambda p: rf.jvp(call, (p,), (1.0,)))
    with pytest.raises(TypeError, match=names):
        diff(2.0)


def test_the_same_parameter_as_plain_number_computes() -> None:
    assert np.isclose(sp.jn(2, 1.3), sps.jn(2, 1.3))
    assert np.isclose(rf.grad(lambda x: sp.gammainc(2.0, x))(1.3),
                      1.3 * np.exp(-1.3))  # x^(a-1) e^-x / Gamma(2)


def test_special_primitives_are_all_in_the_table() -> None:
    for name in S.__all__:
        prim = getattr(S, name)
        assert (prim.name in TABLE) != (prim.name in NON_DIFFERENTIABLE), prim.name


def test_dirichlet_rejects_a_point_off_the_simplex() -> None:
    with pytest.raises(ValueError, match="simplex"):
        rst.dirichlet.logpdf(np.array([0.3, 0.3, 0.3]), ALPHA)


def test_multivariate_normal_singular_option_raises() -> None:
    with pytest.raises(NotImplementedError, match="allow_singular"):
        rst.multivariate_normal.logpdf(MVN_X, MEAN, COV, allow_singular=True)


def test_outside_the_support_values_are_scipys_and_derivatives_zero() -> None:
    x = np.array([-0.5, 1.5])
    np.testing.assert_array_equal(rst.gamma.logpdf(x, 2.0), st.gamma.logpdf(x, 2.0))
    np.testing.assert_array_equal(rst.beta.cdf(x, 2.0, 3.0), st.beta.cdf(x, 2.0, 3.0))
    np.testing.assert_array_equal(rst.beta.logpdf(x, 2.0, 3.0), st.beta.logpdf(x, 2.0, 3.0))
    below = np.array([-0.5, -2.0])
    for fn, at in ((lambda t: rst.gamma.cdf(t, 2.0), below),
                   (lambda t: rst.gamma.logpdf(t, 2.0), below),
                   (lambda t: rst.beta.cdf(t, 2.0, 3.0), x),
                   (lambda t: rst.beta.logpdf(t, 2.0, 3.0), x)):
        np.testing.assert_array_equal(rf.vjp(fn, at)[1](np.ones(2))[0], [0.0, 0.0])
        np.testing.assert_array_equal(rf.jvp(fn, (at,), (np.ones(2),))[1], [0.0, 0.0])


def test_solve_triangular_reads_one_triangle() -> None:
    """SciPy never reads the other triangle: its entries have no derivative."""
    g = rf.grad(lambda a: rnp.sum(rla.solve_triangular(a, RHS, lower=True)))(M3)
    np.testing.assert_array_equal(np.triu(g, 1), 0.0)
    assert np.all(g[np.tril_indices(3)] != 0.0)


def test_sqrtm_of_a_matrix_with_no_real_root() -> None:
    a = np.diag([-1.0, 2.0])
    assert np.iscomplexobj(rla.sqrtm(a))  # SciPy's complex root, untraced
    with pytest.raises(ValueError, match="no real square root"):
        rf.grad(lambda m: rnp.sum(rla.sqrtm(m)))(a)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: rsig.convolve(np.ones(3), np.ones((2, 2))), "same dimensionality"),
    (lambda: rsig.convolve(np.ones((2, 5)), np.ones((3, 2)), "valid"), "at least as large"),
    (lambda: rsig.convolve(np.ones(3), np.ones(2), "circular"), "mode flags"),
    (lambda: rla.solve_banded((1, 1), np.ones((2, 4)), np.ones(4)), "l\\+u\\+1"),
    (lambda: rla.solve_sylvester(M3, M2, RHS.T), "do not fit"),
])
def test_bad_arguments_raise_as_scipy(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- odeint: autograd's adjoint method in reverse mode, sensitivities in forward mode -----------
def _oscillator(y: Any, t: Any, theta: Any) -> Any:
    return rnp.stack([y[1], -theta[0] * y[0] - theta[1] * y[1] + 0.3 * rnp.sin(t)])


def _oscillator_np(y: Any, t: Any, theta: Any) -> Any:
    return np.array([y[1], -theta[0] * y[0] - theta[1] * y[1] + 0.3 * np.sin(t)])


Y0, TIMES, THETA = np.array([1.0, -0.5]), np.array([0.0, 0.4, 1.1]), np.array([2.0, 0.3])
TIGHT = {"rtol": 1e-11, "atol": 1e-11}


def _solve(y0: Any, t: Any, theta: Any) -> Any:
    return rint.odeint(_oscillator, y0, t, (theta,), **TIGHT)


def test_odeint_values_are_scipys() -> None:
    theirs = sint.odeint(_oscillator_np, Y0, TIMES, (THETA,), **TIGHT)
    np.testing.assert_array_equal(_solve(Y0, TIMES, THETA), theirs)  # plain: SciPy's own call
    np.testing.assert_allclose(rf.vjp(_solve, Y0, TIMES, THETA)[0], theirs, rtol=1e-9)


def test_odeint_derivatives_pass_check_grads() -> None:
    rf.check_grads(_solve, (Y0, TIMES, THETA), modes=("fwd", "rev"), order=1)


def test_odeint_second_derivatives_pass_check_grads(request: pytest.FixtureRequest) -> None:
    config = request.config
    if not (config.getoption("--gp-slow", default=False) or "slow" in (
            config.option.markexpr or "")):
        pytest.skip("odeint at order 2: 74 s of nested adjoint solves (a busy 2-core "
                    "machine); runs with --gp-slow or -m slow")
    rf.check_grads(_solve, (Y0, TIMES, THETA), modes=("fwd", "rev"), order=2)


def test_odeint_unsupported_options_raise() -> None:
    with pytest.raises(TypeError, match="tfirst"):
        rint.odeint(_oscillator, Y0, TIMES, (THETA,), tfirst=True)


# --- negative controls: a new rule off by 0.1 % fails the table's check -----------------------
@pytest.mark.parametrize("sample_id", ["jn-n3", "gammainc", "stdtr", "sqrtm", "odeint"])
@pytest.mark.parametrize("mode", ["vjp", "jvp"])
def test_a_wrong_special_rule_fails_the_table_check(sample_id: str, mode: str) -> None:
    sample = next(s for s in SAMPLES if s.id == sample_id)
    check_first_order(sample)
    with perturbed(sample.prim, mode, lambda c: c * 1.001):
        with pytest.raises(AssertionError):
            check_first_order(sample)


def test_logsumexp_sign_and_negative_sums_are_scipys() -> None:
    a, b = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]]), np.array([[1.0, -50, 2], [0, 1, 0.3]])
    ours, theirs = sp.logsumexp(a, axis=1, b=b, return_sign=True), sps.logsumexp(
        a, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-14)
    np.testing.assert_array_equal(ours[1], theirs[1])
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(np.isnan(sp.logsumexp(a, axis=1, b=b)), [True, False])


def test_outside_their_domains_the_entropies_are_scipys() -> None:
    x, y = np.array([-1.0, 0.0, 0.0, 1.0, 0.5]), np.array([1.0, 0.0, 2.0, 0.0, -1.0])
    for ours, theirs in ((sp.entr, sps.entr), (sp.loggamma, sps.loggamma),
                         (sp.factorial, sps.factorial)):
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(ours(x), theirs(x))
    np.testing.assert_array_equal(sp.rel_entr(x, y), sps.rel_entr(x, y))
    np.testing.assert_array_equal(sp.kl_div(x, y), sps.kl_div(x, y))
    np.testing.assert_array_equal(sp.comb(x, y), sps.comb(x, y))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(sp.xlog1py(x, y - 1.0), sps.xlog1py(x, y - 1.0))
    # d/dx x log1p(y) at x == 0 is log1p(y), not the guard's 0
    np.testing.assert_allclose(rf.grad(lambda t: rnp.sum(sp.xlog1py(t, np.array([0.5, -2.0]))))(
        np.zeros(2)), [np.log1p(0.5), 0.0])


@pytest.mark.parametrize("name", ["j0", "i1e", "erfinv", "erfcx", "dawsn"])
def test_scipy_ufuncs_on_traced_values_are_routed(name: str) -> None:
    """scipy.special's own ufuncs applied to a traced value run refengine's function."""
    x = UNIT[0]
    got = rf.grad(lambda t: rnp.sum(getattr(sps, name)(t)))(x)
    want = rf.grad(lambda t: rnp.sum(getattr(sp, name)(t)))(x)
    np.testing.assert_array_equal(got, want)


def test_scipy_ufuncs_with_an_order_are_routed() -> None:
    x = POS[0]
    np.testing.assert_allclose(rf.grad(lambda t: rnp.sum(sps.jn(2, t)))(x),
                               0.5 * (sps.jn(1, x) - sps.jn(3, x)), rtol=1e-13)
    np.testing.assert_allclose(rf.grad(lambda t: rnp.sum(sps.gammainc(2.0, t)))(x),
                               x * np.exp(-x), rtol=1e-13)
    with pytest.raises(TypeError, match="order v"):
        rf.grad(lambda t: rnp.sum(sps.jn(t, 1.0)))(x)


# --- against HIPS autograd's own rules, where it has them (an independent implementation) -----
def _autograd_pairs() -> list[tuple[str, Callable[..., Any], str, tuple[Any, ...]]]:
    """(name, refengine's function, autograd's attribute path, differentiated point)."""
    x, pos, unit = X[0], POS[0], UNIT[0]
    return [
        ("erfinv", sp.erfinv, "special.erfinv", (unit - 0.5,)),
        ("erfcinv", sp.erfcinv, "special.erfcinv", (unit + 0.5,)),
        ("j1", sp.j1, "special.j1", (x,)),
        ("y0", sp.y0, "special.y0", (pos,)),
        ("jn", lambda t: sp.jn(3, t), "special.jn:3", (x,)),
        ("i0", sp.i0, "special.i0", (x,)),
        ("iv", lambda t: sp.iv(2, t), "special.iv:2", (pos,)),
        ("ive", lambda t: sp.ive(2, t), "special.ive:2", (pos,)),
        ("gammainc", lambda t: sp.gammainc(2.5, t), "special.gammainc:2.5", (pos,)),
        ("gammaincc", lambda t: sp.gammaincc(2.5, t), "special.gammaincc:2.5", (pos,)),
        ("norm.logcdf", rst.norm.logcdf, "stats.norm.logcdf", (x, LOC, SCALE)),
        ("norm.logsf", rst.norm.logsf, "stats.norm.logsf", (x, LOC, SCALE)),
        ("t.logpdf", rst.t.logpdf, "stats.t.logpdf", (x, DF, LOC, SCALE)),
        # autograd's t.cdf has no rule for scale: x and loc only
        ("t.cdf", lambda t, m: rst.t.cdf(t, DF, m), "stats.t.cdf:DF", (x, LOC)),
        ("gamma.logpdf", lambda t, a: rst.gamma.logpdf(t, a), "stats.gamma.logpdf", (pos, A)),
        ("beta.logpdf", lambda t, a, b: rst.beta.logpdf(t, a, b), "stats.beta.logpdf",
         (unit, A, B)),
        # integer df: autograd's chi2 rules return 0 for any other df (np.where(df % 1 == 0,
        # ..., 0) in autograd/scipy/stats/chi2.py), where the density's slope is not 0
        ("chi2.logpdf", lambda t: rst.chi2.logpdf(t, INT_DF), "stats.chi2.logpdf:INT_DF",
         (pos,)),
        ("poisson.logpmf", lambda mu: rst.poisson.logpmf(COUNTS[:3], mu),
         "stats.poisson.logpmf:COUNTS", (pos,)),
        ("dirichlet.logpdf", rst.dirichlet.logpdf, "stats.dirichlet.logpdf",
         (SIMPLEX[:, 0], ALPHA)),
        ("multivariate_normal.logpdf", rst.multivariate_normal.logpdf,
         "stats.multivariate_normal.logpdf", (MVN_X, MEAN, COV)),
        ("sqrtm", rla.sqrtm, "linalg.sqrtm", (M3,)),
        ("solve_sylvester", rla.solve_sylvester, "linalg.solve_sylvester", (M3, M2, RHS)),
    ]


def _autograd_function(path: str) -> Callable[..., Any]:
    import importlib

    where, _, fixed = path.partition(":")
    module, name = where.rsplit(".", 1)
    fn = getattr(importlib.import_module(f"autograd.scipy.{module}"), name)
    if not fixed:
        return fn
    first = {"DF": DF, "INT_DF": INT_DF, "COUNTS": COUNTS[:3]}.get(fixed)
    if fixed in ("DF", "INT_DF"):  # the static argument sits after x
        return lambda t, *rest: fn(t, first, *rest)
    if fixed == "COUNTS":
        return lambda mu: fn(first, mu)
    return lambda t: fn(float(fixed), t)


@pytest.mark.parametrize("pair", _autograd_pairs(), ids=lambda p: p[0])
def test_gradients_agree_with_autograds(pair) -> None:
    autograd = pytest.importorskip("autograd")
    name, ours, path, args = pair
    theirs = _autograd_function(path)
    u = np.random.default_rng(7).standard_normal(np.shape(ours(*args)))
    _, pullback = rf.vjp(ours, *args)
    got = pullback(u)
    for i in range(len(args)):
        want = autograd.make_vjp(theirs, argnum=i)(*args)[0](u)
        # autograd symmetrises the covariance's gradient; refengine reads the lower triangle
        if name == "multivariate_normal.logpdf" and i == 2:
            got_i = got[i] + got[i].T - np.diag(np.diag(got[i]))
            want = np.tril(want + want.T - np.diag(np.diag(want)))
            np.testing.assert_allclose(np.tril(got_i), want, rtol=1e-9, atol=1e-12)
            continue
        np.testing.assert_allclose(got[i], want, rtol=1e-9, atol=1e-12, err_msg=f"{name} arg {i}")


def test_autograds_chi2_slope_is_zero_for_non_integer_df() -> None:
    """A divergence found here: autograd's chi2.logpdf gradient is 0 for a non-integer df;
    refengine's is the density's slope, (df/2 - 1)/x - 1/2, as finite differences say."""
    autograd = pytest.importorskip("autograd")
    from autograd.scipy.stats import chi2

    x, df = np.array([0.8, 2.0]), np.array([1.5, 3.5])
    theirs = autograd.elementwise_grad(lambda t: chi2.logpdf(t, df))(x)
    ours = rf.grad(lambda t: rnp.sum(rst.chi2.logpdf(t, df)))(x)
    np.testing.assert_array_equal(theirs, 0.0)
    np.testing.assert_allclose(ours, (0.5 * df - 1.0) / x - 0.5, rtol=1e-14)
