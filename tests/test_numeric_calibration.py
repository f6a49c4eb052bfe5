"""Calibration of the finite-difference oracle against closed-form derivatives.

The test set: analytic functions (elementwise, binary, reductions, matrix functions,
compositions, badly scaled inputs from 1e-8 to 1e8), each with its Jacobian-vector product
written out by hand (``jvp(args, tangents)``: the exact J v in float64) and a sampler of points
inside the domain, away from kinks and poles. For every function, three random points: the
full Jacobian (one oracle column per input entry) and one random direction.

Asserted (and reported in the README, from ``python -m tests.test_numeric_calibration``):

- coverage: the actual error is at most the oracle's error estimate in >= 99 % of entries
  (all entries, and separately the entries whose true value is nonzero);
- accuracy: Richardson's actual error is at most 1e-9 relative (normwise: relative to the largest
  entry of the same Jacobian or J v) on every function;
- no kink is reported for these smooth functions, and every result is valid.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from scipy import special

from refengine.numeric import OracleConfig, directional, jacobian


@dataclass(frozen=True)
class Case:
    name: str
    f: Callable[..., Any]
    jvp: Callable[[tuple, tuple], Any]
    sample: Callable[[np.random.Generator], tuple]
    kind: str


def _vec(lo: float, hi: float, n: int = 4, signs: bool = False):
    def sample(rng: np.random.Generator) -> tuple:
        x = rng.uniform(lo, hi, n)
        if signs:
            x = x * rng.choice([-1.0, 1.0], n)
        return (x,)

    return sample


def _log_vec(lo: float, hi: float, n: int = 3):
    return lambda rng: (np.exp(rng.uniform(np.log(lo), np.log(hi), n)),)


def _mats(*shapes: tuple[int, ...], well: bool = True):
    def sample(rng: np.random.Generator) -> tuple:
        out = []
        for s in shapes:
            a = rng.normal(size=s)
            if well and len(s) == 2 and s[0] == s[1]:
                a = a + 3.0 * np.eye(s[0])
            out.append(a)
        return tuple(out)

    return sample


def _spd(n: int):
    def sample(rng: np.random.Generator) -> tuple:
        a = rng.normal(size=(n, n))
        return (a @ a.T + n * np.eye(n),)

    return sample


def _unary(name, f, df, sample, kind="elementwise"):
    return Case(name, f, lambda a, t: df(a[0]) * t[0], sample, kind)


def _sym_lower(t):
    return np.tril(t) + np.tril(t, -1).T


def _chol_jvp(a, t):
    low = np.linalg.cholesky(a[0])
    s = _sym_lower(t[0])
    inv = np.linalg.inv(low)
    phi = inv @ s @ inv.T
    phi = np.tril(phi) - 0.5 * np.diag(np.diag(phi))
    return low @ phi


def _eigvalsh_jvp(a, t):
    _, vecs = np.linalg.eigh(a[0])
    return np.einsum("ij,ik,kj->j", vecs, _sym_lower(t[0]), vecs)


def _softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def _mlp(w, x, b):
    return np.tanh(w @ x + b)


def _mlp_jvp(a, t):
    w, x, b = a
    z = w @ x + b
    return (1 - np.tanh(z) ** 2) * (t[0] @ x + w @ t[1] + t[2])


def _rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def _rosen_jvp(a, t):
    x, v = a[0], t[0]
    r = x[1:] - x[:-1] ** 2
    return np.sum(200.0 * r * (v[1:] - 2 * x[:-1] * v[:-1]) - 2 * (1 - x[:-1]) * v[:-1])


ELEMENTWISE = [
    _unary("sin", np.sin, np.cos, _vec(-3, 3)),
    _unary("cos", np.cos, lambda x: -np.sin(x), _vec(-3, 3)),
    _unary("tan", np.tan, lambda x: 1 / np.cos(x) ** 2, _vec(-1.2, 1.2)),
    _unary("exp", np.exp, np.exp, _vec(-3, 3)),
    _unary("log", np.log, lambda x: 1 / x, _vec(0.1, 5)),
    _unary("sqrt", np.sqrt, lambda x: 0.5 / np.sqrt(x), _vec(0.1, 5)),
    _unary("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2, _vec(-3, 3)),
    _unary("arctan", np.arctan, lambda x: 1 / (1 + x**2), _vec(-3, 3)),
    _unary("arcsin", np.arcsin, lambda x: 1 / np.sqrt(1 - x**2), _vec(-0.9, 0.9)),
    _unary("arccos", np.arccos, lambda x: -1 / np.sqrt(1 - x**2), _vec(-0.9, 0.9)),
    _unary("sinh", np.sinh, np.cosh, _vec(-3, 3)),
    _unary("cosh", np.cosh, np.sinh, _vec(-3, 3)),
    _unary("arcsinh", np.arcsinh, lambda x: 1 / np.sqrt(1 + x**2), _vec(-3, 3)),
    _unary("arccosh", np.arccosh, lambda x: 1 / np.sqrt(x**2 - 1), _vec(1.1, 5)),
    _unary("arctanh", np.arctanh, lambda x: 1 / (1 - x**2), _vec(-0.9, 0.9)),
    _unary("expm1", np.expm1, np.exp, _vec(-3, 3)),
    _unary("log1p", np.log1p, lambda x: 1 / (1 + x), _vec(-0.5, 5)),
    _unary("cube", lambda x: x**3, lambda x: 3 * x**2, _vec(-3, 3)),
    _unary("reciprocal", lambda x: 1 / x, lambda x: -1 / x**2, _vec(0.5, 3, signs=True)),
    _unary("cbrt", np.cbrt, lambda x: np.cbrt(x) / (3 * x), _vec(0.1, 5)),
    _unary("expit", special.expit, lambda x: special.expit(x) * special.expit(-x), _vec(-5, 5)),
    _unary("softplus", lambda x: np.log1p(np.exp(x)), special.expit, _vec(-5, 5)),
    _unary("erf", special.erf, lambda x: 2 / np.sqrt(np.pi) * np.exp(-(x**2)), _vec(-2, 2)),
    _unary("gammaln", special.gammaln, special.digamma, _vec(0.2, 6)),
    _unary("exp2", np.exp2, lambda x: np.log(2) * np.exp2(x), _vec(-3, 3)),
    _unary("log10", np.log10, lambda x: 1 / (x * np.log(10)), _vec(0.1, 5)),
    _unary(
        "gauss",
        lambda x: x * np.exp(-(x**2)),
        lambda x: (1 - 2 * x**2) * np.exp(-(x**2)),
        _vec(-2, 2),
    ),
    _unary("pow2.5", lambda x: x**2.5, lambda x: 2.5 * x**1.5, _vec(0.1, 5)),
]

BINARY = [
    Case(
        "multiply", np.multiply, lambda a, t: t[0] * a[1] + a[0] * t[1], _mats((4,), (4,)), "binary"
    ),
    Case(
        "divide",
        np.divide,
        lambda a, t: t[0] / a[1] - a[0] * t[1] / a[1] ** 2,
        lambda rng: (rng.normal(size=4), rng.uniform(0.5, 2, 4)),
        "binary",
    ),
    Case(
        "power",
        np.power,
        lambda a, t: a[1] * a[0] ** (a[1] - 1) * t[0] + np.log(a[0]) * a[0] ** a[1] * t[1],
        lambda rng: (rng.uniform(0.5, 3, 4), rng.uniform(-2, 2, 4)),
        "binary",
    ),
    Case(
        "arctan2",
        np.arctan2,
        lambda a, t: (a[1] * t[0] - a[0] * t[1]) / (a[0] ** 2 + a[1] ** 2),
        lambda rng: (rng.normal(size=4), rng.uniform(0.5, 2, 4)),
        "binary",
    ),
    Case(
        "hypot",
        np.hypot,
        lambda a, t: (a[0] * t[0] + a[1] * t[1]) / np.hypot(a[0], a[1]),
        _mats((4,), (4,)),
        "binary",
    ),
    Case(
        "logaddexp",
        np.logaddexp,
        lambda a, t: special.expit(a[0] - a[1]) * t[0] + special.expit(a[1] - a[0]) * t[1],
        _mats((4,), (4,)),
        "binary",
    ),
]

REDUCTIONS = [
    Case(
        "sumsq",
        lambda x: np.sum(x**2),
        lambda a, t: np.sum(2 * a[0] * t[0]),
        _mats((5,)),
        "reduction",
    ),
    Case(
        "prod",
        np.prod,
        lambda a, t: np.sum(np.prod(a[0]) / a[0] * t[0]),
        _vec(0.5, 2, 5, signs=True),
        "reduction",
    ),
    Case(
        "logsumexp",
        special.logsumexp,
        lambda a, t: np.sum(_softmax(a[0]) * t[0]),
        _mats((5,)),
        "reduction",
    ),
    Case(
        "mean_sin",
        lambda x: np.mean(np.sin(x)),
        lambda a, t: np.mean(np.cos(a[0]) * t[0]),
        _mats((5,)),
        "reduction",
    ),
    Case(
        "var",
        np.var,
        lambda a, t: np.mean(2 * (a[0] - a[0].mean()) * t[0]),
        _mats((5,)),
        "reduction",
    ),
    Case(
        "std",
        np.std,
        lambda a, t: np.mean((a[0] - a[0].mean()) * t[0]) / np.std(a[0]),
        _mats((5,)),
        "reduction",
    ),
    Case(
        "norm",
        np.linalg.norm,
        lambda a, t: a[0] @ t[0] / np.linalg.norm(a[0]),
        _mats((5,)),
        "reduction",
    ),
    Case(
        "softmax",
        _softmax,
        lambda a, t: _softmax(a[0]) * (t[0] - _softmax(a[0]) @ t[0]),
        _mats((4,)),
        "reduction",
    ),
    Case(
        "log_softmax",
        special.log_softmax,
        lambda a, t: t[0] - _softmax(a[0]) @ t[0],
        _mats((4,)),
        "reduction",
    ),
    Case(
        "cumsum_sq",
        lambda x: np.cumsum(x**2),
        lambda a, t: np.cumsum(2 * a[0] * t[0]),
        _mats((4,)),
        "reduction",
    ),
    Case(
        "cumprod",
        np.cumprod,
        lambda a, t: np.cumprod(a[0]) * np.cumsum(t[0] / a[0]),
        _vec(0.5, 2, 4, signs=True),
        "reduction",
    ),
    Case(
        "max_axis",
        lambda x: np.max(x, axis=1),
        lambda a, t: np.take_along_axis(t[0], np.argmax(a[0], axis=1)[:, None], 1)[:, 0],
        _mats((3, 4)),
        "reduction",
    ),
]

MATRIX = [
    Case(
        "matmul", np.matmul, lambda a, t: t[0] @ a[1] + a[0] @ t[1], _mats((3, 4), (4, 2)), "matrix"
    ),
    Case(
        "inv",
        np.linalg.inv,
        lambda a, t: -np.linalg.inv(a[0]) @ t[0] @ np.linalg.inv(a[0]),
        _mats((3, 3)),
        "matrix",
    ),
    Case(
        "det",
        np.linalg.det,
        lambda a, t: np.linalg.det(a[0]) * np.trace(np.linalg.solve(a[0], t[0])),
        _mats((3, 3)),
        "matrix",
    ),
    Case(
        "logdet",
        lambda a: np.linalg.slogdet(a)[1],
        lambda a, t: np.trace(np.linalg.solve(a[0], t[0])),
        _mats((3, 3)),
        "matrix",
    ),
    Case(
        "solve",
        np.linalg.solve,
        lambda a, t: np.linalg.solve(a[0], t[1] - t[0] @ np.linalg.solve(a[0], a[1])),
        _mats((3, 3), (3,)),
        "matrix",
    ),
    Case(
        "trace_sq",
        lambda a: np.trace(a @ a),
        lambda a, t: 2 * np.trace(a[0] @ t[0]),
        _mats((3, 3)),
        "matrix",
    ),
    Case(
        "gram",
        lambda a: a.T @ a,
        lambda a, t: t[0].T @ a[0] + a[0].T @ t[0],
        _mats((3, 2)),
        "matrix",
    ),
    Case(
        "quadform",
        lambda x, a: x @ a @ x,
        lambda a, t: t[0] @ a[1] @ a[0] + a[0] @ t[1] @ a[0] + a[0] @ a[1] @ t[0],
        _mats((3,), (3, 3)),
        "matrix",
    ),
    Case(
        "cube_mat",
        lambda a: a @ a @ a,
        lambda a, t: t[0] @ a[0] @ a[0] + a[0] @ t[0] @ a[0] + a[0] @ a[0] @ t[0],
        _mats((3, 3)),
        "matrix",
    ),
    Case("cholesky", np.linalg.cholesky, _chol_jvp, _spd(3), "matrix"),
    Case("eigvalsh", np.linalg.eigvalsh, _eigvalsh_jvp, _spd(3), "matrix"),
    Case(
        "outer",
        np.outer,
        lambda a, t: np.outer(t[0], a[1]) + np.outer(a[0], t[1]),
        _mats((3,), (2,)),
        "matrix",
    ),
]

COMPOSITIONS = [
    _unary(
        "sin_exp",
        lambda x: np.sin(np.exp(x)),
        lambda x: np.cos(np.exp(x)) * np.exp(x),
        _vec(-2, 1.5),
        "composition",
    ),
    _unary(
        "log1_x2",
        lambda x: np.log(1 + x**2),
        lambda x: 2 * x / (1 + x**2),
        _vec(-3, 3),
        "composition",
    ),
    Case(
        "exp_sin_cos",
        lambda x, y: np.exp(np.sin(x) * np.cos(y)),
        lambda a, t: (
            np.exp(np.sin(a[0]) * np.cos(a[1]))
            * (np.cos(a[0]) * np.cos(a[1]) * t[0] - np.sin(a[0]) * np.sin(a[1]) * t[1])
        ),
        _mats((3,), (3,)),
        "composition",
    ),
    Case("mlp", _mlp, _mlp_jvp, _mats((3, 4), (4,), (3,), well=False), "composition"),
    _unary(
        "rational",
        lambda x: (x**2 + 1) / (x**3 + 2),
        lambda x: (2 * x * (x**3 + 2) - 3 * x**2 * (x**2 + 1)) / (x**3 + 2) ** 2,
        _vec(0, 2),
        "composition",
    ),
    Case(
        "sum_sin_sq",
        lambda x: np.sum(np.sin(x)) ** 2,
        lambda a, t: 2 * np.sum(np.sin(a[0])) * np.sum(np.cos(a[0]) * t[0]),
        _mats((4,)),
        "composition",
    ),
    Case(
        "gaussian",
        lambda x: np.exp(-np.sum(x**2)),
        lambda a, t: -2 * np.exp(-np.sum(a[0] ** 2)) * np.sum(a[0] * t[0]),
        _mats((4,)),
        "composition",
    ),
    Case("rosenbrock", _rosen, _rosen_jvp, _vec(-1.5, 1.5, 4), "composition"),
    Case(
        "softmax_matmul",
        lambda w, x: _softmax(w @ x),
        lambda a, t: (lambda s, dz: s * (dz - s @ dz))(
            _softmax(a[0] @ a[1]), t[0] @ a[1] + a[0] @ t[1]
        ),
        _mats((3, 3), (3,), well=False),
        "composition",
    ),
]

SCALED = [
    _unary("log_1e-8", np.log, lambda x: 1 / x, _log_vec(1e-8, 3e-8), "scaled"),
    _unary("sq_1e8", lambda x: x**2, lambda x: 2 * x, _log_vec(1e8, 3e8), "scaled"),
    _unary("sqrt_1e-8", np.sqrt, lambda x: 0.5 / np.sqrt(x), _log_vec(1e-8, 3e-8), "scaled"),
    _unary("recip_1e-3", lambda x: 1 / x, lambda x: -1 / x**2, _log_vec(1e-3, 2e-3), "scaled"),
    _unary(
        "exp50", lambda x: np.exp(50 * x), lambda x: 50 * np.exp(50 * x), _vec(0, 0.5), "scaled"
    ),
    _unary("sin_1e-8", lambda x: np.sin(x) + 1, np.cos, _log_vec(1e-8, 3e-8), "scaled"),
    _unary("cube_1e8", lambda x: x**3, lambda x: 3 * x**2, _log_vec(1e8, 3e8), "scaled"),
    _unary("log_1e8", np.log, lambda x: 1 / x, _log_vec(1e8, 3e8), "scaled"),
    Case(
        "log_mixed",
        lambda x: np.sum(np.log(x)),
        lambda a, t: np.sum(t[0] / a[0]),
        lambda rng: (np.array([1e-8, 1.0, 1e8]) * rng.uniform(1, 3, 3),),
        "scaled",
    ),
    _unary("tiny_out", lambda x: 1e-8 * x**2, lambda x: 2e-8 * x, _vec(-3, 3), "scaled"),
    _unary(
        "steep_tanh",
        lambda x: np.tanh(1e8 * x),
        lambda x: 1e8 * (1 - np.tanh(1e8 * x) ** 2),
        lambda rng: (rng.uniform(-2e-8, 2e-8, 3),),
        "scaled",
    ),
    _unary(
        "exp_1e-8",
        lambda x: 1e8 * np.exp(1e-8 * x),
        lambda x: np.exp(1e-8 * x),
        _log_vec(1e6, 1e8),
        "scaled",
    ),
]

CASES = ELEMENTWISE + BINARY + REDUCTIONS + MATRIX + COMPOSITIONS + SCALED


def true_jacobian(case: Case, args: tuple) -> np.ndarray:
    """The closed-form Jacobian, (output size, total input size), built column by column."""
    cols = []
    for k, a in enumerate(args):
        for j in range(np.size(a)):
            tans = [np.zeros_like(b) for b in args]
            tans[k].flat[j] = 1.0
            cols.append(np.ravel(case.jvp(args, tuple(tans))))
    return np.stack(cols, axis=1)


@dataclass(frozen=True)
class Calibration:
    """Per-entry actual errors and estimates over the whole test set."""

    names: np.ndarray
    actual: np.ndarray
    estimate: np.ndarray
    normwise: np.ndarray  # actual / largest |true| of the same Jacobian or J v
    true: np.ndarray
    kinks: int
    invalid: int
    evaluations: int
    seconds: float

    @property
    def coverage(self) -> float:
        return float(np.mean(self.actual <= self.estimate))

    @property
    def coverage_nonzero(self) -> float:
        nz = self.true != 0
        return float(np.mean(self.actual[nz] <= self.estimate[nz]))

    def report(self, method: str) -> str:
        nz = self.true != 0
        rel = self.actual[nz] / np.abs(self.true[nz])
        worst = int(np.argmax(self.normwise))
        ratio = self.actual[nz] / self.estimate[nz]
        return (
            f"{method}: {len(CASES)} functions, {self.actual.size} entries "
            f"({int(nz.sum())} nonzero); coverage {self.coverage:.4%} "
            f"(nonzero entries {self.coverage_nonzero:.4%}); worst normwise relative error "
            f"{self.normwise.max():.2g} ({self.names[worst]}); entrywise relative error "
            f"<= 1e-9 in {np.mean(rel <= 1e-9):.2%} of nonzero entries; actual / estimate "
            f"median {np.median(ratio):.2g}, 99th percentile {np.quantile(ratio, 0.99):.2g}, "
            f"max {ratio.max():.2g}; "
            f"kinks {self.kinks}; invalid {self.invalid}; "
            f"{self.evaluations} evaluations; {self.seconds:.1f} s"
        )


def calibrate(method: str, points: int = 3, seed: int = 0) -> Calibration:
    config = OracleConfig(method=method)
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    kinks = invalid = evaluations = 0
    start = time.perf_counter()
    for case in CASES:
        for _ in range(points):
            args = case.sample(rng)
            tans = tuple(rng.standard_normal(np.shape(a)) for a in args)
            jac = jacobian(case.f, args, config=config)
            jv = directional(case.f, args, tans, config=config)
            for got, true in ((jac, true_jacobian(case, args)), (jv, case.jvp(args, tans))):
                true = np.reshape(true, got.value.shape)
                rows.append((case.name, got.value, got.error, true))
                kinks += int(got.kink.sum())
                invalid += int((~got.ok).sum())
                evaluations += got.evaluations
    names = np.concatenate([np.full(v.size, n) for n, v, _, _ in rows])
    actual = np.concatenate([np.abs(v - t).ravel() for _, v, _, t in rows])
    norm = np.concatenate(
        [np.abs(v - t).ravel() / max(np.max(np.abs(t)), 1e-300) for _, v, _, t in rows]
    )
    return Calibration(
        names=names,
        actual=actual,
        estimate=np.concatenate([e.ravel() for _, _, e, _ in rows]),
        normwise=norm,
        true=np.concatenate([t.ravel() for _, _, _, t in rows]),
        kinks=kinks,
        invalid=invalid,
        evaluations=evaluations,
        seconds=time.perf_counter() - start,
    )


def test_the_set_is_large_and_varied() -> None:
    assert len(CASES) >= 50
    assert {c.kind for c in CASES} >= {
        "elementwise",
        "reduction",
        "matrix",
        "composition",
        "scaled",
    }
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_closed_forms_are_right(case: Case) -> None:
    """Guard the guard: each hand-written J v agrees with a plain central difference.

    The step is 1e-6 relative to the input (also entry by entry, for mixed scales) or 1e-6
    absolute, whichever suits the function; any agreeing to 1e-4 rules out a wrong closed form.
    """
    rng = np.random.default_rng(1)
    args = case.sample(rng)
    tans = tuple(rng.standard_normal(np.shape(a)) for a in args)
    entrywise = tuple(t * np.where(a != 0, np.abs(a), 1.0) for a, t in zip(args, tans))
    scale = max(np.max(np.abs(a)) for a in args)
    agree = []
    for h, v in ((1e-6 * scale, tans), (1e-6, tans), (1e-6, entrywise)):
        true = np.asarray(case.jvp(args, v))
        with np.errstate(all="ignore"):
            plus = np.asarray(case.f(*[a + h * t for a, t in zip(args, v)]))
            minus = np.asarray(case.f(*[a - h * t for a, t in zip(args, v)]))
        fd = (plus - minus) / (2 * h)
        agree.append(np.allclose(fd, true, rtol=1e-4, atol=1e-4 * np.max(np.abs(true))))
    assert any(agree)


def test_richardson_is_calibrated_and_accurate() -> None:
    cal = calibrate("richardson")
    print(cal.report("richardson"))
    assert cal.coverage >= 0.99
    assert cal.coverage_nonzero >= 0.99
    assert cal.normwise.max() <= 1e-9, cal.names[np.argmax(cal.normwise)]
    assert cal.kinks == 0
    assert cal.invalid == 0


def test_auto_method_is_calibrated() -> None:
    """The default method: Richardson, with complex-step values where f is complex-safe."""
    cal = calibrate("auto")
    print(cal.report("auto"))
    assert cal.coverage >= 0.99
    assert cal.coverage_nonzero >= 0.99
    assert cal.normwise.max() <= 1e-9
    assert cal.kinks == 0
    assert cal.invalid == 0


if __name__ == "__main__":
    for method in ("richardson", "auto"):
        print(calibrate(method).report(method))
