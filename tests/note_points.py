"""Every note in the derivative table, as the points it names and the values it states there.

``NOTE_POINTS`` maps each table entry with a note (``refengine/derivatives.py``,
``refengine/derivatives_linalg.py``) to its points; ``tests/test_table_points.py`` checks each
point in both modes, at first and second order, against the stated values and against finite
differences where they exist, and fails for an entry whose note has no point here. The
composites with a convention of their own (std, var, sort) have points in ``COMPOSITE_POINTS``.

A Jacobian is written flat outputs x flat inputs; a Hessian is that of the sum of the outputs.
``M`` (``np.ma.masked``) marks an entry the note does not state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine import primitives as P

from .pointcheck import Point

M = np.ma.masked
INF, NAN = np.inf, np.nan
ZERO = (np.array(0.0),)


def stated(*rows: Any) -> np.ma.MaskedArray:
    """A Jacobian or Hessian from its rows; ``M`` entries are not stated."""
    return np.ma.array([list(r) for r in rows], dtype=np.float64)


def _scalar_points(entry: str, fun: Any, at: list[tuple[float, float]], **kw: Any) -> list[Point]:
    """A one-argument function at each (x, stated derivative)."""
    return [Point(entry, f"at{x:g}", fun, (np.array(x),), [[d]], **kw) for x, d in at]


def _never_traced(entry: str, label: str, fun: Any, *args: float, fd: bool) -> Point:
    """A zero=True primitive: the derivative is 0, at every order, jumps included."""
    n = len(args)
    return Point(entry, label, fun, tuple(np.array(a) for a in args), np.zeros((1, n)),
                 np.zeros((n, n)), fd=fd, fd2=fd)


def _cofactors_3x3(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix from cross products of rows (independent of the rule's minors)."""
    return np.array([np.cross(a[1], a[2]), np.cross(a[2], a[0]), np.cross(a[0], a[1])])


SINGULAR = np.array([[1.0, 2.0, 0.5], [-0.3, 1.0, 2.0], [0.7, 3.0, 2.5]])  # row 2 = row 0 + 1

# --- elementwise, one argument: infinite slopes -------------------------------------------------
UNARY = [
    *_scalar_points("abs", rnp.abs, [(0.0, 0.0)], second=[[0.0]]),
    *_scalar_points("relu", rnp.nn.relu, [(0.0, 0.0)], second=[[0.0]]),
    *_scalar_points("log", rnp.log, [(0.0, INF)], fd=False),
    *_scalar_points("sqrt", rnp.sqrt, [(0.0, INF)], fd=False),
    *_scalar_points("cbrt", rnp.cbrt, [(0.0, INF)], fd=False),
    *_scalar_points("arcsin", rnp.arcsin, [(1.0, INF), (-1.0, INF)], fd=False),
    *_scalar_points("arccos", rnp.arccos, [(1.0, -INF), (-1.0, -INF)], fd=False),
    *_scalar_points("arccosh", rnp.arccosh, [(1.0, INF)], fd=False),
    *_scalar_points("arctanh", rnp.arctanh, [(1.0, INF), (-1.0, INF)], fd=False),
    *_scalar_points("logit", rnp.special.logit, [(0.0, INF), (1.0, INF)], fd=False),
    *_scalar_points("gammaln", rnp.special.gammaln, [(0.0, -INF), (-1.0, NAN), (-2.0, NAN)],
                    fd=False),
]

# --- elementwise, two arguments -----------------------------------------------------------------
BINARY = [
    # x ** 0 is the constant 1: every derivative in x is 0, also at x == 0.
    Point("power", "x**0.0-at0", lambda x: x ** 0.0, ZERO, [[0.0]], [[0.0]], fd2=True),
    Point("power", "x**0-at0", lambda x: x ** 0, ZERO, [[0.0]], [[0.0]], fd2=True),
    Point("power", "x**1.0-at0", lambda x: x ** 1.0, ZERO, [[1.0]], [[0.0]], fd2=True),
    Point("power", "x**2.0-at0", lambda x: x ** 2.0, ZERO, [[0.0]], [[2.0]], fd2=True),
    Point("power", "at(0,0)", rnp.power, (np.array(0.0), np.array(0.0)), [[0.0, 0.0]],
          np.zeros((2, 2)), fd=False),
    # 0 ** y = 0 for y > 0: d/dy is its limit 0; d2/dx dy = lim (y x**(y-1) log x + x**(y-1)).
    Point("power", "at(0,2)", rnp.power, (np.array(0.0), np.array(2.0)), [[0.0, 0.0]],
          [[2.0, 0.0], [0.0, 0.0]]),
    Point("power", "negative-base", lambda x: x ** 3.0, (np.array(-2.0),), [[12.0]], [[-12.0]],
          fd2=True),
    Point("power", "negative-base-exponent", lambda y: np.array(-2.0) ** y, (np.array(3.0),),
          [[NAN]], fd=False),
    Point("maximum", "tie", rnp.maximum, (np.array(1.0), np.array(1.0)), [[0.5, 0.5]],
          np.zeros((2, 2))),
    Point("minimum", "tie", rnp.minimum, (np.array(1.0), np.array(1.0)), [[0.5, 0.5]],
          np.zeros((2, 2))),
    Point("arctan2", "origin", rnp.arctan2, (np.array(0.0), np.array(0.0)), [[NAN, NAN]],
          fd=False),
    Point("hypot", "origin", rnp.hypot, (np.array(0.0), np.array(0.0)), [[NAN, NAN]], fd=False),
    # xlogy(0, y) = 0 for every y: d/dy is 0 along x == 0, and d2/dx dy = 1/y.
    Point("xlogy", "x0-y2", rnp.special.xlogy, (np.array(0.0), np.array(2.0)),
          [[np.log(2.0), 0.0]], [[0.0, 0.5], [0.5, 0.0]], fd2=True),
    # At x == y == 0 one argument at a time (d/dx = log 0 = -inf would turn a zero tangent in x
    # into 0 * inf = NaN in forward mode): d/dy is 0, and so is d2/dy2 (xlogy(0, y) is 0).
    Point("xlogy", "y-at(0,0)", lambda y: rnp.special.xlogy(0.0, y), ZERO, [[0.0]], [[0.0]],
          fd=False),
    Point("xlogy", "x-at(0,0)", lambda x: rnp.special.xlogy(x, 0.0), ZERO, [[-INF]], fd=False),
]

# --- selection ---------------------------------------------------------------------------------
_C = np.array([True, False])
SELECTION = [
    Point("where", "branches", lambda x, y: rnp.where(_C, x, y),
          (np.array([1.0, 2.0]), np.array([3.0, 4.0])),
          [[1, 0, 0, 0], [0, 0, 0, 1]], np.zeros((4, 4)), fd2=True),
    # The unselected branch's own derivative is exactly 0, even where its value is inf ...
    Point("where", "inf-unselected", lambda y: rnp.where(_C, np.array([1.0, 2.0]), y),
          (np.array([INF, 4.0]),), [[0, 0], [0, 1]], np.zeros((2, 2)), fd=False),
    Point("clip", "at-lower", rnp.clip, (np.array(0.0), np.array(0.0), np.array(1.0)),
          [[1.0, 0.0, 0.0]], np.zeros((3, 3))),
    Point("clip", "at-upper", rnp.clip, (np.array(1.0), np.array(0.0), np.array(1.0)),
          [[1.0, 0.0, 0.0]], np.zeros((3, 3))),
]

# --- reductions --------------------------------------------------------------------------------
REDUCTIONS = [
    Point("prod", "one-zero", rnp.prod, (np.array([2.0, 0.0, 3.0]),), [[0.0, 6.0, 0.0]],
          [[0, 3, 0], [3, 0, 2], [0, 2, 0]], fd2=True),
    Point("prod", "two-zeros", rnp.prod, (np.array([2.0, 0.0, 0.0]),), [[0.0, 0.0, 0.0]],
          [[0, 0, 0], [0, 0, 2], [0, 2, 0]], fd2=True),
    Point("cumprod", "one-zero", rnp.cumprod, (np.array([2.0, 0.0, 3.0]),),
          [[1, 0, 0], [0, 2, 0], [0, 6, 0]], [[0, 4, 0], [4, 0, 2], [0, 2, 0]], fd2=True),
    Point("max", "tie", rnp.max, (np.array([2.0, 2.0, 1.0]),), [[0.5, 0.5, 0.0]],
          np.zeros((3, 3))),
    Point("max", "three-way-tie", rnp.max, (np.array([[1.0, 1.0, 1.0]]),),
          [[1 / 3, 1 / 3, 1 / 3]], np.zeros((3, 3))),
    Point("min", "tie", rnp.min, (np.array([1.0, 3.0, 1.0]),), [[0.5, 0.0, 0.5]],
          np.zeros((3, 3))),
    # softmax([0, -inf, log 3]) = [1/4, 0, 3/4]; the Hessian is diag(p) - p p^T.
    Point("logsumexp", "minus-inf", rnp.special.logsumexp,
          (np.array([0.0, -INF, np.log(3.0)]),), [[0.25, 0.0, 0.75]],
          [[0.1875, 0, -0.1875], [0, 0, 0], [-0.1875, 0, 0.1875]], fd=False),
    Point("getitem", "repeated", lambda x: x[np.array([0, 0, 1])], (np.array([1.0, 2.0, 3.0]),),
          [[1, 0, 0], [1, 0, 0], [0, 1, 0]], np.zeros((3, 3)), fd2=True),
]

# --- linear algebra ----------------------------------------------------------------------------
def _eigh_repeated(jac: np.ndarray) -> None:
    # diag(1, 1, 2): w = (1, 1, 2), V = I. The eigenvalues' derivative stays finite (d w_k /
    # d A_kk = 1 on the diagonal, as the rule's diag(V^T dA V)); the eigenvectors' derivative
    # along the entry that couples the repeated pair, A[1, 0], is inf/NaN.
    w_rows, v_rows = jac[:3], jac[3:]
    assert np.isfinite(w_rows).all(), f"eigenvalues' derivative not finite:\n{w_rows}"
    np.testing.assert_array_equal(w_rows[:, [0, 4, 8]], np.eye(3))
    assert not np.isfinite(v_rows[:, 3]).all(), "eigenvectors' derivative finite at a repeat"


def _svd_undefined_vectors(s_rows: slice) -> Any:
    """The singular values (rows ``s_rows``, between those of u and vh) keep a finite
    derivative; the singular vectors' derivative is inf/NaN somewhere."""
    def check(jac: np.ndarray) -> None:
        assert np.isfinite(jac[s_rows]).all(), f"singular values' derivative:\n{jac[s_rows]}"
        vectors = np.delete(jac, np.arange(jac.shape[0])[s_rows], axis=0)
        assert not np.isfinite(vectors).all(), "singular vectors' derivative finite"

    return check


def _all_finite(jac: np.ndarray) -> None:
    assert np.isfinite(jac).all(), f"not finite:\n{jac}"


_LOWER_ONLY = np.array([[4.0, 100.0], [2.0, 3.0]])  # the 100 is never read


def _upper_unread(n_out: int) -> np.ma.MaskedArray:
    """Jacobian of a 2x2 input whose entry [0, 1] is never read: that column is 0."""
    jac = np.ma.masked_all((n_out, 4))
    jac[:, 1] = 0.0
    return jac


def _upper_unread_hessian() -> np.ma.MaskedArray:
    hess = np.ma.masked_all((4, 4))
    hess[1, :] = hess[:, 1] = 0.0
    return hess


def _thin_svd(a: Any) -> tuple[Any, ...]:
    return tuple(rnp.linalg.svd(a, full_matrices=False))


LINALG = [
    Point("inv", "singular", rnp.linalg.inv, (np.array([[1.0, 2.0], [2.0, 4.0]]),), None,
          raises=ValueError),
    Point("det", "singular-2x2", rnp.linalg.det, (np.array([[1.0, 2.0], [2.0, 4.0]]),),
          [[4.0, -2.0, -2.0, 1.0]], fd2=True),
    Point("det", "singular-3x3", rnp.linalg.det, (SINGULAR,),
          _cofactors_3x3(SINGULAR).reshape(1, 9), fd2=True),
    Point("slogdet", "negative-det", lambda a: tuple(rnp.linalg.slogdet(a)),
          (np.array([[0.0, 1.0], [1.0, 0.0]]),), [[0, 0, 0, 0], [0, 1, 1, 0]], fd2=True),
    Point("cholesky", "lower-only", rnp.linalg.cholesky, (_LOWER_ONLY,), _upper_unread(4),
          _upper_unread_hessian(), fd2=True),
    Point("eigh", "lower-only", lambda a: tuple(rnp.linalg.eigh(a)), (_LOWER_ONLY,),
          _upper_unread(6), _upper_unread_hessian(), fd2=True),
    Point("eigh", "repeated", lambda a: tuple(rnp.linalg.eigh(a)), (np.diag([1.0, 1.0, 2.0]),),
          _eigh_repeated, fd=False),
    Point("qr", "tall", lambda a: tuple(rnp.linalg.qr(a)),
          (np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]),), np.ma.masked_all((10, 6)),
          fd2=True),
    Point("qr", "wide", lambda a: tuple(rnp.linalg.qr(a)), (np.ones((2, 3)),), None,
          raises=NotImplementedError),
    Point("svd", "distinct", _thin_svd,
          (np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]]),),
          np.ma.masked_all((21, 9)), fd2=True),
    Point("svd", "repeated", _thin_svd, (np.diag([2.0, 2.0, 1.0]),),
          _svd_undefined_vectors(slice(9, 12)), fd=False),
    Point("svd", "zero-tall", _thin_svd, (np.array([[2.0, 0.0], [0.0, 0.0], [0.0, 0.0]]),),
          _svd_undefined_vectors(slice(6, 8)), fd=False),
    Point("svd", "zero-wide", _thin_svd, (np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),),
          _svd_undefined_vectors(slice(4, 6)), fd=False),
    # A zero singular value of a square matrix leaves every derivative finite (no division).
    Point("svd", "zero-square", _thin_svd, (np.diag([2.0, 1.0, 0.0]),), _all_finite, fd=False),
    Point("norm2", "zero-vector", rnp.linalg.norm, (np.zeros(2),), [[0.0, 0.0]],
          np.zeros((2, 2))),
]

# --- non-differentiable (zero=True): 0 at every order, at the jumps too -------------------------
_X = (1.0, 1.0)  # a tie for the comparisons
ZERO_DERIVATIVE = [
    _never_traced("sign", "at0", rnp.sign, 0.0, fd=False),
    _never_traced("floor", "integer", rnp.floor, 2.0, fd=False),
    _never_traced("ceil", "integer", rnp.ceil, 2.0, fd=False),
    _never_traced("round", "half-integer", rnp.round, 0.5, fd=False),
    _never_traced("greater", "tie", lambda x, y: rnp.greater(x, y) * 1.0, *_X, fd=False),
    _never_traced("greater_equal", "tie", lambda x, y: rnp.greater_equal(x, y) * 1.0, *_X,
                  fd=False),
    _never_traced("less", "tie", lambda x, y: rnp.less(x, y) * 1.0, *_X, fd=False),
    _never_traced("less_equal", "tie", lambda x, y: rnp.less_equal(x, y) * 1.0, *_X, fd=False),
    _never_traced("equal", "tie", lambda x, y: rnp.equal(x, y) * 1.0, *_X, fd=False),
    _never_traced("not_equal", "tie", lambda x, y: rnp.not_equal(x, y) * 1.0, *_X, fd=False),
    _never_traced("logical_and", "at0", lambda x, y: rnp.logical_and(x, y) * 1.0, 0.0, 1.0,
                  fd=False),
    _never_traced("logical_or", "at0", lambda x, y: rnp.logical_or(x, y) * 1.0, 0.0, 0.0,
                  fd=False),
    _never_traced("logical_not", "at0", lambda x: rnp.logical_not(x) * 1.0, 0.0, fd=False),
    _never_traced("isfinite", "finite", lambda x: rnp.isfinite(x) * 1.0, 1.0, fd=True),
    _never_traced("isnan", "finite", lambda x: rnp.isnan(x) * 1.0, 1.0, fd=True),
    _never_traced("argmax", "tie", lambda x, y: rnp.argmax(rnp.stack([x, y])) * 1.0, *_X,
                  fd=False),
    _never_traced("argmin", "tie", lambda x, y: rnp.argmin(rnp.stack([x, y])) * 1.0, *_X,
                  fd=False),
    _never_traced("argsort", "tie", lambda x, y: rnp.argsort(rnp.stack([x, y]))[0] * 1.0, *_X,
                  fd=False),
    _never_traced("zeros_like", "any", rnp.zeros_like, 1.5, fd=True),
    _never_traced("ones_like", "any", rnp.ones_like, 1.5, fd=True),
    # By definition: finite differences of the identity would say 1.
    _never_traced("stop_gradient", "any", P.stop_gradient, 1.5, fd=False),
    _never_traced("astype_discrete", "int-at-integer", lambda x: rnp.astype(x, np.int64) * 1.0,
                  2.0, fd=False),
    _never_traced("astype_discrete", "bool-at0", lambda x: rnp.astype(x, bool) * 1.0, 0.0,
                  fd=False),
]

# --- special functions (refengine/derivatives_special.py) ----------------------------------------
_sp = rnp.special
SPECIAL = [
    *_scalar_points("erfinv", _sp.erfinv, [(1.0, INF), (-1.0, INF)], fd=False),
    *_scalar_points("erfcinv", _sp.erfcinv, [(0.0, -INF), (2.0, -INF)], fd=False),
    # exp(-|x|) I0(x) = 1 - |x| + O(x^2): one-sided slopes -1 and +1, the rule gives 0.
    *_scalar_points("ive", _sp.i0e, [(0.0, 0.0)]),
    # P(a, x) is defined for x >= 0 only: no finite differences at 0.
    Point("gammainc", "a0.5-at0", lambda x: _sp.gammainc(0.5, x), ZERO, [[INF]], fd=False),
    Point("gammainc", "a1-at0", lambda x: _sp.gammainc(1.0, x), ZERO, [[1.0]], [[-1.0]],
          fd=False),
    Point("gammainc", "a3-at0", lambda x: _sp.gammainc(3.0, x), ZERO, [[0.0]], fd=False),
    Point("gammaincc", "a0.5-at0", lambda x: _sp.gammaincc(0.5, x), ZERO, [[-INF]], fd=False),
    Point("gammaincc", "a1-at0", lambda x: _sp.gammaincc(1.0, x), ZERO, [[-1.0]], [[1.0]],
          fd=False),
    Point("gammaincc", "a3-at0", lambda x: _sp.gammaincc(3.0, x), ZERO, [[0.0]], fd=False),
    Point("betainc", "a0.5-at0", lambda x: _sp.betainc(0.5, 2.0, x), ZERO, [[INF]], fd=False),
    Point("betainc", "b0.5-at1", lambda x: _sp.betainc(2.0, 0.5, x), (np.array(1.0),), [[INF]],
          fd=False),
    # I_x(1, 1) = x: slope 1 and curvature 0 at both ends.
    Point("betainc", "uniform-at0", lambda x: _sp.betainc(1.0, 1.0, x), ZERO, [[1.0]], [[0.0]],
          fd=False),
    Point("spence", "at1", _sp.spence, (np.array(1.0),), [[-1.0]], [[0.5]], fd2=True),
    Point("betainc", "uniform-at1", lambda x: _sp.betainc(1.0, 1.0, x), (np.array(1.0),),
          [[1.0]], [[0.0]], fd=False),
]

NOTE_POINTS: dict[str, list[Point]] = {}
for _p in UNARY + BINARY + SELECTION + REDUCTIONS + LINALG + ZERO_DERIVATIVE + SPECIAL:
    NOTE_POINTS.setdefault(_p.entry, []).append(_p)

# --- composites with conventions of their own ---------------------------------------------------
_CONSTANT = (np.full(3, 2.0),)
COMPOSITE_POINTS = [
    # std and var over one element are the constant 0: every derivative is 0.
    Point("std", "one-element", rnp.std, (np.array([3.0]),), [[0.0]], [[0.0]], fd2=True),
    Point("std", "axis-of-length-1", lambda x: rnp.std(x, axis=1), (np.array([[3.0], [-1.0]]),),
          np.zeros((2, 2)), np.zeros((2, 2)), fd2=True),
    Point("var", "one-element", rnp.var, (np.array([3.0]),), [[0.0]], [[0.0]], fd2=True),
    # var with ddof = n - 1 is sum((x - mean)^2): 0 at a constant vector, Hessian 2 (I - 1/n).
    Point("var", "ddof-n-1-constant", lambda x: rnp.var(x, ddof=2), _CONSTANT, np.zeros((1, 3)),
          2.0 * (np.eye(3) - 1.0 / 3.0), fd2=True),
    # std at a constant vector (a kink, like the norm at 0): the minimum-norm subgradient 0.
    Point("std", "constant-vector", rnp.std, _CONSTANT, np.zeros((1, 3)), np.zeros((3, 3))),
    Point("std", "ddof-n-1-constant", lambda x: rnp.std(x, ddof=2), _CONSTANT, np.zeros((1, 3)),
          np.zeros((3, 3))),
    # sort is stable: tied entries keep their order, so each gradient returns where it came from.
    Point("sort", "tie", rnp.sort, (np.array([3.0, 1.0, 3.0]),),
          [[0, 1, 0], [1, 0, 0], [0, 0, 1]], np.zeros((3, 3))),
    # max_pool is max over each window: entries tied for a window's maximum split its
    # cotangent evenly (max's note), and an entry in two windows gets a share from each.
    Point("max_pool", "tie-in-window", lambda x: rnp.nn.max_pool(x, 4),
          (np.array([[[2.0, 5.0, 5.0, 5.0]]]),), [[0, 1 / 3, 1 / 3, 1 / 3]], np.zeros((4, 4))),
    Point("max_pool", "tie-in-overlapping-windows", lambda x: rnp.nn.max_pool(x, 2, 1),
          (np.array([[[1.0, 3.0, 3.0, 0.0]]]),),
          [[0, 1, 0, 0], [0, 0.5, 0.5, 0], [0, 0, 1, 0]], np.zeros((4, 4))),
]
