"""NumPy's breadth in refengine.numpy: each function added for issue 23 gives NumPy's values,
and derivatives that pass ``rf.check_grads`` (both modes, second order) at points away from
its kinks; the forms it does not support raise naming the problem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import scipy.special as sps

import refengine as rf
import refengine.numpy as rnp


def _rng_points(*shape: int, lo: float = -1.5, hi: float = 1.5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, shape)


X = _rng_points(3, 4)
V = _rng_points(5, seed=1)
POS = _rng_points(3, 4, lo=0.6, hi=2.0, seed=2)
# x / y stays between integers: away from remainder's jumps.
NUM = np.array([[2.3, -1.7, 5.2], [0.4, -3.3, 7.9]])
DEN = np.array([[1.1, 0.9, -2.0], [1.5, 1.2, -2.5]])
SYM = np.array([[2.0, 0.3, -0.4], [0.1, 1.0, 0.2], [0.7, -0.5, -1.5]])
NAN_MASK = np.array([[1.0, np.nan, 1.0, 1.0], [np.nan, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, np.nan]])


def _with_nans(xp, a):
    """a with NaN at NAN_MASK's NaN (a * NAN_MASK would give those entries a NaN derivative)."""
    return xp.where(np.isnan(NAN_MASK), np.nan, a)


FULL_RANK = np.array([[1.0, 0.2, -0.3], [0.4, 2.0, 0.1], [-0.2, 0.5, 1.5], [0.3, -0.1, 0.2]])


@dataclass(frozen=True)
class Case:
    """One function: refengine's form, NumPy's reference, and the points to check it at."""

    name: str
    ours: Callable[..., Any]
    numpy: Callable[..., Any]
    args: tuple[Any, ...]
    grads: bool = True  # False: piecewise constant or data-valued, values only


def _tuple(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *a: tuple(fn(*a))


CASES = [
    Case("deg2rad", rnp.deg2rad, np.deg2rad, (X,)),
    Case("radians", rnp.radians, np.radians, (X,)),
    Case("rad2deg", rnp.rad2deg, np.rad2deg, (X,)),
    Case("degrees", rnp.degrees, np.degrees, (X,)),
    Case("positive", rnp.positive, np.positive, (X,)),
    Case("fabs", rnp.fabs, np.fabs, (NUM,)),
    Case("remainder", rnp.remainder, np.remainder, (NUM, DEN)),
    Case("mod", rnp.mod, np.mod, (NUM, DEN)),
    Case("%", lambda a, b: a % b, lambda a, b: a % b, (NUM, DEN)),
    Case("% (number left)", lambda b: 7.3 % b, lambda b: 7.3 % b, (DEN,)),
    Case("fmod", rnp.fmod, np.fmod, (NUM, DEN)),
    Case("fmax", rnp.fmax, np.fmax, (X, X[::-1] + 0.05)),
    Case("fmin", rnp.fmin, np.fmin, (X, X[::-1] + 0.05)),
    Case("fmax (NaN ignored)", lambda a: rnp.fmax(a, np.array([np.nan, 0.3, np.nan, -5.0])),
         lambda a: np.fmax(a, np.array([np.nan, 0.3, np.nan, -5.0])), (X[0],)),
    Case("fmin (NaN ignored)", lambda a: rnp.fmin(np.array([np.nan, 9.0, np.nan, 0.2]), a),
         lambda a: np.fmin(np.array([np.nan, 9.0, np.nan, 0.2]), a), (X[0],)),
    Case("logaddexp2", rnp.logaddexp2, np.logaddexp2, (X, X[::-1] * 2.0)),
    Case("sinc", rnp.sinc, np.sinc, (X,)),
    Case("sinc at 0", rnp.sinc, np.sinc, (np.array([0.0, 1e-5, -2e-4, 0.3]),)),
    Case("nan_to_num (finite)", rnp.nan_to_num, np.nan_to_num, (X,)),
    Case("nan_to_num", lambda a: rnp.nan_to_num(a * np.array([1.0, np.inf, np.nan, -np.inf])),
         lambda a: np.nan_to_num(a * np.array([1.0, np.inf, np.nan, -np.inf])), (POS[0],),
         grads=False),  # d(a * inf)/da is inf: the derivative test is below
    Case("nan_to_num (values)", lambda a: rnp.nan_to_num(
        a * np.array([1.0, np.inf, np.nan, -np.inf]), nan=-1.0, posinf=9.0, neginf=-9.0),
        lambda a: np.nan_to_num(a * np.array([1.0, np.inf, np.nan, -np.inf]), nan=-1.0,
                                posinf=9.0, neginf=-9.0), (POS[0],), grads=False),
    Case("real", rnp.real, np.real, (X,)),
    Case("imag", rnp.imag, np.imag, (X,)),
    Case("conj", rnp.conj, np.conj, (X,)),
    Case("conjugate", rnp.conjugate, np.conjugate, (X,)),
    Case("kron", rnp.kron, np.kron, (X[:2, :3], POS[:3, :2])),
    Case("kron (mixed ranks)", rnp.kron, np.kron, (V[:3], X[:2])),
    Case("inner", rnp.inner, np.inner, (X, POS)),
    Case("inner (1-d)", rnp.inner, np.inner, (V, V[::-1])),
    Case("inner (0-d)", rnp.inner, np.inner, (np.float64(1.3), V)),
    Case("hsplit", _tuple(lambda a: rnp.hsplit(a, 2)), _tuple(lambda a: np.hsplit(a, 2)), (X,)),
    Case("hsplit (1-d)", _tuple(lambda a: rnp.hsplit(a, [1, 3])),
         _tuple(lambda a: np.hsplit(a, [1, 3])), (V,)),
    Case("vsplit", _tuple(lambda a: rnp.vsplit(a, 3)), _tuple(lambda a: np.vsplit(a, 3)), (X,)),
    Case("dsplit", _tuple(lambda a: rnp.dsplit(a, 2)), _tuple(lambda a: np.dsplit(a, 2)),
         (X.reshape(1, 3, 4).repeat(2, 0).reshape(2, 3, 4).transpose(1, 0, 2),)),
    Case("array_split", _tuple(lambda a: rnp.array_split(a, 3)),
         _tuple(lambda a: np.array_split(a, 3)), (V,)),
    Case("array_split (axis 1)", _tuple(lambda a: rnp.array_split(a, 3, axis=1)),
         _tuple(lambda a: np.array_split(a, 3, axis=1)), (X,)),
    Case("column_stack", lambda a, b: rnp.column_stack([a, b, a]),
         lambda a, b: np.column_stack([a, b, a]), (V[:3], X[:, :2])),
    Case("row_stack", lambda a, b: rnp.row_stack([a, b]),
         lambda a, b: np.vstack([a, b]), (X[0], X)),
    Case("dstack", lambda a, b: rnp.dstack([a, b]), lambda a, b: np.dstack([a, b]), (V, V)),
    Case("vstack (1-d)", lambda a, b: rnp.vstack([a, b]), lambda a, b: np.vstack([a, b]),
         (V, V[::-1])),
    Case("hstack (1-d)", lambda a, b: rnp.hstack([a, b]), lambda a, b: np.hstack([a, b]),
         (V, V[:2])),
    Case("vstack (0-d)", lambda a: rnp.vstack([a[0], a[1]]),
         lambda a: np.vstack([a[0], a[1]]), (V,)),
    Case("hstack (0-d)", lambda a: rnp.hstack([a[0], a[1:3]]),
         lambda a: np.hstack([a[0], a[1:3]]), (V,)),
    Case("atleast_3d", rnp.atleast_3d, np.atleast_3d, (X,)),
    Case("atleast_2d", rnp.atleast_2d, np.atleast_2d, (V,)),
    Case("rot90", rnp.rot90, np.rot90, (X,)),
    Case("rot90 (k=3, axes)", lambda a: rnp.rot90(a, 3, axes=(1, 0)),
         lambda a: np.rot90(a, 3, axes=(1, 0)), (X,)),
    Case("rot90 (k=-2)", lambda a: rnp.rot90(a, -2), lambda a: np.rot90(a, -2), (X,)),
    Case("rollaxis", lambda a: rnp.rollaxis(a, 2), lambda a: np.rollaxis(a, 2),
         (X.reshape(2, 3, 2),)),
    Case("rollaxis (start)", lambda a: rnp.rollaxis(a, 0, 3), lambda a: np.rollaxis(a, 0, 3),
         (X.reshape(2, 3, 2),)),
    Case("select", lambda a, b: rnp.select([a > 0.5, a < -0.5], [a * b, b], default=-a),
         lambda a, b: np.select([a > 0.5, a < -0.5], [a * b, b], default=-a), (X, POS)),
    Case("partition", lambda a: rnp.partition(a, 2)[:, 2],
         lambda a: np.partition(a, 2)[:, 2], (X,)),
    Case("partition (axis None)", lambda a: rnp.partition(a, 5, axis=None)[5],
         lambda a: np.partition(a, 5, axis=None)[5], (X,)),
    Case("append", lambda a, b: rnp.append(a, b), np.append, (X, V)),
    Case("append (axis)", lambda a, b: rnp.append(a, b, axis=0),
         lambda a, b: np.append(a, b, axis=0), (X, POS[:1])),
    Case("diff", lambda a: rnp.diff(a, 2), lambda a: np.diff(a, 2), (X,)),
    Case("gradient (1-d)", rnp.gradient, np.gradient, (V,)),
    Case("gradient (n-d)", _tuple(rnp.gradient), _tuple(np.gradient), (X,)),
    Case("gradient (spacing, axis)", lambda a: rnp.gradient(a, 0.5, axis=1),
         lambda a: np.gradient(a, 0.5, axis=1), (X,)),
    Case("gradient (edge_order=2)", _tuple(lambda a: rnp.gradient(a, 2.0, 0.5, edge_order=2)),
         _tuple(lambda a: np.gradient(a, 2.0, 0.5, edge_order=2)), (X,)),
    Case("r_", lambda a, b: rnp.r_[a, 2.0, b, 0:3], lambda a, b: np.r_[a, 2.0, b, 0:3], (V, V)),
    Case("r_ (2-d)", lambda a, b: rnp.r_[a, b], lambda a, b: np.r_[a, b], (X, POS)),
    Case("c_", lambda a, b: rnp.c_[a, b, 1:6], lambda a, b: np.c_[a, b, 1:6], (V, V)),
    Case("c_ (2-d)", lambda a, b: rnp.c_[a, b[:3]], lambda a, b: np.c_[a, b[:3]], (X, V)),
    Case("einsum (interleaved)", lambda a, b: rnp.einsum(a, [0, 1], b, [1, 2], [0, 2]),
         lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), (X.T, POS)),
    Case("einsum (interleaved, implicit)", lambda a, b: rnp.einsum(a, [Ellipsis, 1], b, [1]),
         lambda a, b: np.einsum(a, [Ellipsis, 1], b, [1]), (X, POS[0])),
    Case("eigh (UPLO='U')", _tuple(lambda a: rnp.linalg.eigh(a, UPLO="U")),
         _tuple(lambda a: np.linalg.eigh(a, UPLO="U")), (SYM,)),
    Case("eigvalsh (UPLO='U')", lambda a: rnp.linalg.eigvalsh(a, UPLO="U"),
         lambda a: np.linalg.eigvalsh(a, UPLO="U"), (SYM,)),
    Case("eigvalsh", rnp.linalg.eigvalsh, np.linalg.eigvalsh, (SYM,)),
    Case("pinv (tall)", rnp.linalg.pinv, np.linalg.pinv, (FULL_RANK,)),
    Case("pinv (wide, batched)", rnp.linalg.pinv, np.linalg.pinv,
         (np.stack([FULL_RANK.T, FULL_RANK.T[::-1]]),)),
    Case("cross", rnp.cross, np.cross, (X[:, :3], POS[:, 1:])),
    Case("cross (axes, 2 and 3)", lambda a, b: rnp.cross(a, b, axisa=0, axisc=0),
         lambda a, b: np.cross(a, b, axisa=0, axisc=0), (X[:2], V[:3])),
    Case("cross (2-vectors)", rnp.cross, np.cross, (X[:, :2], POS[:, 2:])),
    Case("angle", rnp.angle, np.angle, (np.array([-1.2, 0.4, -0.0, 3.0]),), grads=False),
    Case("angle (deg)", lambda a: rnp.angle(a, deg=True), lambda a: np.angle(a, deg=True),
         (X,), grads=False),
    Case("real_if_close", rnp.real_if_close, np.real_if_close, (X,)),
    Case("permute_dims", lambda a: rnp.permute_dims(a, (1, 0)),
         lambda a: np.permute_dims(a, (1, 0)), (X,)),
    Case("acos", rnp.acos, np.acos, (X / 2.0,)),
    Case("asinh", rnp.asinh, np.asinh, (X,)),
    Case("atan2", rnp.atan2, np.atan2, (X, POS)),
    Case("pow", rnp.pow, np.pow, (POS, X)),
    Case("special.psi", rnp.special.psi, sps.psi, (POS,)),
    Case("special.gammasgn", rnp.special.gammasgn, sps.gammasgn,
         (np.array([-2.5, -1.5, -0.5, 0.0, 0.3, -3.0]),), grads=False),
    Case("special.gamma", rnp.special.gamma, sps.gamma, (np.array([-2.5, -1.5, -0.4, 0.3, 4.5]),)),
    Case("special.rgamma", rnp.special.rgamma, sps.rgamma,
         (np.array([-2.5, -1.5, -0.4, 0.3, 4.5]),)),
    Case("special.betaln", rnp.special.betaln, sps.betaln, (POS, POS[::-1] + 0.5)),
    Case("special.beta", rnp.special.beta, sps.beta, (np.array([-0.5, 0.7, 2.0]), POS[0, :3])),
    Case("special.multigammaln", lambda a: rnp.special.multigammaln(a, 3),
         lambda a: sps.multigammaln(a, 3), (POS[0] + 1.0,)),
    Case("full", lambda a: rnp.full((2, 3), a), lambda a: np.full((2, 3), a), (np.float64(0.7),)),
    Case("full (row)", lambda a: rnp.full((2, 3), a), lambda a: np.full((2, 3), a), (V[:3],)),
    Case("linspace", lambda a, b: rnp.linspace(a, b, 6), lambda a, b: np.linspace(a, b, 6),
         (np.float64(-0.3), np.float64(2.2))),
    Case("linspace (arrays, axis, no endpoint)",
         lambda a, b: rnp.linspace(a, b, 4, endpoint=False, axis=1),
         lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=1), (V[:2], POS[0, :2])),
    Case("linspace (retstep)", _tuple(lambda a: rnp.linspace(a, 3.0, 5, retstep=True)),
         _tuple(lambda a: np.linspace(a, 3.0, 5, retstep=True)), (np.float64(0.4),)),
    Case("concat", lambda a, b: rnp.concat([a, b], axis=1), lambda a, b: np.concat([a, b], axis=1),
         (X, POS)),
    Case("matrix_transpose", rnp.matrix_transpose, np.matrix_transpose, (X.reshape(2, 2, 3),)),
    Case("unstack", lambda a: rnp.unstack(a, axis=1), lambda a: np.unstack(a, axis=1), (X,)),
    Case("full_like", lambda a: rnp.full_like(X, a), lambda a: np.full_like(X, a),
         (np.float64(0.3),)),
    Case("float_power", rnp.float_power, np.float_power, (POS, X)),
    Case("copysign", rnp.copysign, np.copysign, (NUM, DEN)),
    Case("diagflat", lambda a: rnp.diagflat(a, -1), lambda a: np.diagflat(a, -1), (X[:2, :2],)),
    Case("vdot", rnp.vdot, np.vdot, (X, POS)),
    Case("vecdot", rnp.vecdot, np.vecdot, (X, POS[0])),
    Case("vecdot (axis)", lambda a, b: rnp.vecdot(a, b, axis=0),
         lambda a, b: np.vecdot(a, b, axis=0), (X, POS)),
    Case("matvec", rnp.matvec, np.matvec, (X.reshape(2, 2, 3), POS[:2, :3])),
    Case("vecmat", rnp.vecmat, np.vecmat, (V[:3], X.reshape(1, 3, 4))),
    Case("nansum", lambda a: rnp.nansum(_with_nans(rnp, a), axis=0),
         lambda a: np.nansum(_with_nans(np, a), axis=0), (X,)),
    Case("nanprod", lambda a: rnp.nanprod(_with_nans(rnp, a), axis=1, keepdims=True),
         lambda a: np.nanprod(_with_nans(np, a), axis=1, keepdims=True), (X,)),
    Case("nanmean", lambda a: rnp.nanmean(_with_nans(rnp, a), axis=1),
         lambda a: np.nanmean(_with_nans(np, a), axis=1), (X,)),
    Case("nanmax", lambda a: rnp.nanmax(_with_nans(rnp, a), axis=0),
         lambda a: np.nanmax(_with_nans(np, a), axis=0), (X,)),
    Case("nanmin", lambda a: rnp.nanmin(_with_nans(rnp, a)),
         lambda a: np.nanmin(_with_nans(np, a)), (X,)),
    Case("nancumsum", lambda a: rnp.nancumsum(_with_nans(rnp, a), axis=1),
         lambda a: np.nancumsum(_with_nans(np, a), axis=1), (X,)),
    Case("nancumprod", lambda a: rnp.nancumprod(_with_nans(rnp, a)),
         lambda a: np.nancumprod(_with_nans(np, a)), (X,)),
    Case("average", rnp.average, np.average, (X,)),
    Case("average (weights)", lambda a, w: rnp.average(a, axis=1, weights=w),
         lambda a, w: np.average(a, axis=1, weights=w), (X, POS[0])),
    Case("average (full weights, returned)",
         _tuple(lambda a, w: rnp.average(a, axis=0, weights=w, returned=True)),
         _tuple(lambda a, w: np.average(a, axis=0, weights=w, returned=True)), (X, POS)),
    Case("median", rnp.median, np.median, (X,)),
    Case("median (odd, axis, keepdims)", lambda a: rnp.median(a, axis=0, keepdims=True),
         lambda a: np.median(a, axis=0, keepdims=True), (X,)),
    Case("trapezoid", rnp.trapezoid, np.trapezoid, (X,)),
    Case("trapezoid (x, axis)", lambda a, b: rnp.trapezoid(a, b, axis=0),
         lambda a, b: np.trapezoid(a, b, axis=0), (X, np.cumsum(POS[:, 0]))),
    Case("linalg.trace", lambda a: rnp.linalg.trace(a, offset=1),
         lambda a: np.linalg.trace(a, offset=1), (X.reshape(2, 2, 3),)),
    Case("linalg.diagonal", rnp.linalg.diagonal, np.linalg.diagonal, (X.reshape(2, 2, 3),)),
    Case("linalg.matmul", rnp.linalg.matmul, np.linalg.matmul, (X, POS.T)),
    Case("linalg.tensordot", lambda a, b: rnp.linalg.tensordot(a, b, axes=1),
         lambda a, b: np.linalg.tensordot(a, b, axes=1), (X, POS.T)),
    Case("linalg.cross", rnp.linalg.cross, np.linalg.cross, (X[:, :3], POS[:, 1:])),
    Case("linalg.vecdot", rnp.linalg.vecdot, np.linalg.vecdot, (X, POS)),
    Case("linalg.matrix_transpose", rnp.linalg.matrix_transpose, np.linalg.matrix_transpose,
         (X,)),
    Case("linalg.vector_norm", rnp.linalg.vector_norm, np.linalg.vector_norm, (X,)),
    Case("linalg.vector_norm (axes, ord 3, keepdims)",
         lambda a: rnp.linalg.vector_norm(a, axis=(0, 2), ord=3, keepdims=True),
         lambda a: np.linalg.vector_norm(a, axis=(0, 2), ord=3, keepdims=True),
         (POS.reshape(2, 3, 2),)),
    Case("linalg.matrix_norm", rnp.linalg.matrix_norm, np.linalg.matrix_norm, (X,)),
    Case("linalg.svdvals", rnp.linalg.svdvals, np.linalg.svdvals, (FULL_RANK,)),
    Case("array of traced", lambda a: rnp.array([a[0], a[1] * 2.0, 1.0]),
         lambda a: np.array([a[0], a[1] * 2.0, 1.0]), (V,)),
    Case("array of nested lists", lambda a: rnp.array([[a[0], 1.0], [a[2], a[1]]]),
         lambda a: np.array([[a[0], 1.0], [a[2], a[1]]]), (V,)),
    Case("mean of a list", lambda a: rnp.mean([a[0], a[1] * a[2]]),
         lambda a: np.mean([a[0], a[1] * a[2]]), (V,)),
    Case("var of a list", lambda a: rnp.var([a[:2], a[2:4]], axis=0),
         lambda a: np.var([a[:2], a[2:4]], axis=0), (V,)),
    Case("concatenate of a mixed list", lambda a: rnp.concatenate([a, [1.0, 2.0], [a[0]]]),
         lambda a: np.concatenate([a, [1.0, 2.0], [a[0]]]), (V,)),
    Case("traced plus a list", lambda a: rnp.add(a[:2], [1.0, 2.0]),
         lambda a: np.add(a[:2], [1.0, 2.0]), (V,)),
]
IDS = [c.name for c in CASES]


def _eigenvector_signs_as(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Eigenvectors are unique up to sign only: LAPACK picks signs differently for the lower
    and the upper triangle, so match NumPy's column signs before comparing."""
    flip = np.sign(np.sum(ours * theirs, axis=-2, keepdims=True))
    return ours * flip


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_match_numpy(case: Case) -> None:
    theirs = case.numpy(*case.args)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    # Untraced, and (where differentiable) traced: a composite may take NumPy's own path for
    # plain arrays, so its traced value is compared too.
    results = [case.ours(*case.args)]
    if case.grads:
        results.append(rf.vjp(case.ours, *case.args)[0])
    for ours in results:
        if case.name.startswith("eigh"):
            ours = (ours[0], _eigenvector_signs_as(ours[1], theirs[1]))
        ours = ours if isinstance(ours, tuple) else (ours,)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert np.shape(a) == np.shape(b)
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("case", [c for c in CASES if c.grads], ids=[c.name for c in CASES
                                                                      if c.grads])
def test_derivatives_pass_check_grads(case: Case) -> None:
    rf.check_grads(case.ours, case.args, modes=("fwd", "rev"), order=2)


def test_remainder_derivatives_follow_autograd_convention() -> None:
    gx, gy = rf.grad(lambda x, y: rnp.sum(x % y), argnums=(0, 1))(NUM, DEN)
    np.testing.assert_array_equal(gx, np.ones_like(NUM))
    np.testing.assert_array_equal(gy, -np.floor(NUM / DEN))


def test_remainder_of_integers_is_numpys() -> None:
    a, b = np.array([7, -7, 9]), np.array([3, 3, -4])
    pairs = [(rnp.remainder(a, b), np.remainder(a, b)), (rnp.fmod(a, b), np.fmod(a, b))]
    for ours, theirs in pairs:
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_nan_to_num_derivative_is_zero_where_replaced(mode: str) -> None:
    x = np.array([0.5, np.inf, np.nan, -np.inf, 2.0])
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0])

    def f(x):
        return rnp.sum(rnp.nan_to_num(x, posinf=9.0, neginf=-9.0) * weights)

    if mode == "rev":
        g = rf.grad(f)(x)
    else:
        g = np.array([rf.jvp(f, (x,), (e,))[1] for e in np.eye(5)])
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0, 0.0, 5.0])


def test_sinc_second_derivative_at_zero() -> None:
    # sinc(x) = 1 - (pi x)**2 / 6 + ...: sinc''(0) = -pi**2 / 3, which a where() at 0 would
    # give as 0.
    d2 = rf.grad(rf.grad(rnp.sinc))(0.0)
    np.testing.assert_allclose(d2, -np.pi**2 / 3, rtol=1e-12)


def test_array_of_tracers_in_forward_mode() -> None:
    _, t = rf.jvp(lambda a: rnp.array([[a[0], 1.0], [a[1], a[0]]]), (V,), (np.ones(5),))
    np.testing.assert_array_equal(t, [[1.0, 0.0], [1.0, 1.0]])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda x: rnp.linalg.eig(x), "complex eigenvalues"),
        (lambda x: rnp.linalg.eigvals(x), "complex eigenvalues"),
        (lambda x: rnp.real(rnp.max(rnp.astype(x, np.complex128))), "'max' .* real inputs only"),
        (lambda x: rnp.r_["0,2", x, x], "directive string"),
        (lambda x: rnp.gradient(x, np.arange(3.0), np.arange(3.0)), "coordinate arrays"),
        (lambda x: rnp.diff(x, prepend=0.0), "prepend"),
        (lambda x: rnp.linalg.eigh(x, UPLO="X"), "UPLO"),
        (lambda x: rnp.mean([x, x[:2]]), "different shapes"),
        (lambda x: rnp.cross(x, x[:, :1]), "dimension must be 2 or 3"),
        (lambda x: rnp.partition(x, 3), "out of bounds"),
        (lambda x: rnp.special.multigammaln(x, 9), "0.5 \\* \\(d-1\\)"),
    ],
    ids=["eig", "eigvals", "complex-max", "r_-directive", "gradient-coords", "diff-prepend",
         "eigh-uplo", "ragged-list", "cross-size", "partition-kth", "multigammaln-domain"],
)
def test_unsupported_forms_raise_naming_the_problem(call, message) -> None:
    with pytest.raises((NotImplementedError, TypeError, ValueError), match=message):
        rf.grad(lambda x: rnp.sum(call(x)))(SYM)


def test_eig_of_plain_arrays_is_numpys() -> None:
    w, _ = rnp.linalg.eig(SYM)
    np.testing.assert_allclose(np.sort(w), np.sort(np.linalg.eig(SYM)[0]))


def test_check_grads_catches_a_wrong_composite(monkeypatch) -> None:
    """Negative control: remainder with the y-derivative's sign flipped (x + floor(x/y) * y
    shifted back by the value it adds) has NumPy's values but not their derivative."""
    import refengine.numpy._math as m

    def wrong_remainder(x1, x2):
        q = m.P.floor(m.P.divide(x1, x2))
        return x1 + q * x2 - 2.0 * q * rf.stop_gradient(x2)

    monkeypatch.setattr(m, "remainder", wrong_remainder)
    np.testing.assert_allclose(m.remainder(NUM, DEN), np.remainder(NUM, DEN), rtol=1e-12)
    with pytest.raises(AssertionError):
        rf.check_grads(lambda x, y: m.remainder(x, y), (NUM, DEN), modes=("rev",), order=1)
