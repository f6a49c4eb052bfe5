"""Sample points for every entry of the derivative table, each inside the rule's domain.

One table of small specs drives the table-walking test: the primitive, how to draw its
operands from a seeded generator, its static parameters, and which operands are
differentiated. Points sit away from kinks on purpose: kinks are tested on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine import primitives_complex as PC
from refengine import primitives_special as S
from refengine.check_complex import REFENGINE_VIEW
from refengine.numpy import parse_einsum
from refengine.primitive import Primitive
from refengine.tree import tree_map

Draw = Callable[[np.random.Generator], tuple[Any, ...]]


@dataclass(frozen=True)
class Sample:
    prim: Primitive | Callable[..., Any]  # a primitive, or a composite refengine function
    draw: Draw
    params: dict[str, Any] = field(default_factory=dict)
    diff: tuple[int, ...] | None = None  # None: every operand
    label: str = ""
    # Why its second-order check is too costly for the default run (it runs with --gp-slow or
    # -m slow); "" for the rest.
    slow_second_order: str = ""

    @property
    def name(self) -> str:
        return getattr(self.prim, "name", None) or self.prim.__name__

    @property
    def id(self) -> str:
        return f"{self.name}-{self.label}" if self.label else self.name


def real(*shape: int, lo: float = -1.5, hi: float = 1.5) -> Draw:
    return lambda rng: rng.uniform(lo, hi, shape)


def positive(*shape: int, lo: float = 0.5, hi: float = 2.0) -> Draw:
    return lambda rng: rng.uniform(lo, hi, shape)


def away_from_zero(*shape: int, lo: float = 0.4, hi: float = 1.5) -> Draw:
    return lambda rng: rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(*shape: int) -> Draw:
    # A random permutation of well-separated values: no ties anywhere.
    n = int(np.prod(shape))
    return lambda rng: (rng.permutation(n) * 0.37 - 0.2 * n + rng.uniform(0, 0.05)).reshape(shape)


def spd(n: int, batch: tuple[int, ...] = ()) -> Draw:
    def draw(rng):
        a = rng.standard_normal((*batch, n, n))
        return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)

    return draw


def well_conditioned(n: int, batch: tuple[int, ...] = ()) -> Draw:
    return lambda rng: np.eye(n) + 0.3 * rng.standard_normal((*batch, n, n))


def singular(n: int, batch: tuple[int, ...] = ()) -> Draw:
    # Rank n - 1: the last row is the sum of the others.
    def draw(rng):
        a = rng.standard_normal((*batch, n, n))
        a[..., -1, :] = a[..., :-1, :].sum(axis=-2)
        return a

    return draw


def distinct_singular_values(m: int, n: int) -> Draw:
    def draw(rng):
        k = min(m, n)
        u, _ = np.linalg.qr(rng.standard_normal((m, k)))
        v, _ = np.linalg.qr(rng.standard_normal((n, k)))
        return (u * np.linspace(2.0, 0.5, k)) @ v.T

    return draw


def operands(*draws: Draw) -> Draw:
    return lambda rng: tuple(d(rng) for d in draws)


def one(draw: Draw) -> Draw:
    return lambda rng: (draw(rng),)


def constant(value: Any) -> Draw:
    return lambda rng: value


def _unary(prim: Primitive, draw: Draw) -> list[Sample]:
    return [Sample(prim, one(draw))]


UNARY_DOMAINS: list[tuple[Primitive, Draw]] = [
    (P.negative, real(3, 2)),
    (P.abs, away_from_zero(5)),
    (P.exp, real(4)),
    (P.exp2, real(4)),
    (P.expm1, real(4)),
    (P.log, positive(4)),
    (P.log2, positive(4)),
    (P.log10, positive(4)),
    (P.log1p, positive(4, lo=-0.5, hi=2.0)),
    (P.sqrt, positive(4)),
    (P.cbrt, away_from_zero(4)),
    (P.square, real(4)),
    (P.reciprocal, away_from_zero(4)),
    (P.sin, real(2, 3)),
    (P.cos, real(4)),
    (P.tan, real(4, lo=-1.2, hi=1.2)),
    (P.arcsin, real(4, lo=-0.8, hi=0.8)),
    (P.arccos, real(4, lo=-0.8, hi=0.8)),
    (P.arctan, real(4)),
    (P.sinh, real(4)),
    (P.cosh, real(4)),
    (P.tanh, real(4)),
    (P.arcsinh, real(4)),
    (P.arccosh, positive(4, lo=1.3, hi=3.0)),
    (P.arctanh, real(4, lo=-0.8, hi=0.8)),
    (P.expit, real(4, lo=-3, hi=3)),
    (P.logit, positive(4, lo=0.15, hi=0.85)),
    (P.erf, real(4)),
    (P.erfc, real(4)),
    (P.gammaln, positive(4, lo=0.6, hi=4.0)),
    (P.relu, away_from_zero(5)),
]

BINARY_DOMAINS: list[tuple[Primitive, Draw, Draw]] = [
    (P.add, real(3, 4), real(3, 4)),
    (P.subtract, real(3, 4), real(3, 4)),
    (P.multiply, real(3, 4), real(3, 4)),
    (P.divide, real(3, 4), away_from_zero(3, 4)),
    (P.power, positive(3, 4), real(3, 4)),
    (P.arctan2, away_from_zero(4), away_from_zero(4)),
    (P.hypot, away_from_zero(4), away_from_zero(4)),
    (P.logaddexp, real(4, lo=-3, hi=3), real(4, lo=-3, hi=3)),
    (P.xlogy, real(4), positive(4)),
]


def _binary_samples() -> list[Sample]:
    out = []
    for prim, dx, dy in BINARY_DOMAINS:
        out.append(Sample(prim, operands(dx, dy)))
    # Broadcasting variants: the engine must sum the cotangent back to each operand's shape.
    for prim, lo in [(P.add, -1.5), (P.multiply, -1.5), (P.divide, 0.5), (P.power, 0.5)]:
        out.append(Sample(prim, operands(positive(3, 1, lo=lo), positive(1, 4)), label="3x1,1x4"))
        out.append(Sample(prim, operands(positive(4, lo=lo), positive(2, 3, 4)), label="4,2x3x4"))
        out.append(Sample(prim, operands(positive(2, 3, lo=lo), constant(0.7)), label="scalar"))
    # Integer powers of negative numbers: d/dx is real, d/dy is not (no real logarithm).
    out.append(Sample(P.power, operands(real(5), constant(3.0)), diff=(0,), label="neg-base"))
    out.append(Sample(P.power, operands(real(5), constant(2)), diff=(0,), label="int-exponent"))
    out.append(Sample(P.maximum, lambda rng: tuple(distinct(2, 4)(rng).reshape(2, 2, 2))))
    out.append(Sample(P.minimum, lambda rng: tuple(distinct(2, 4)(rng).reshape(2, 2, 2))))

    def vs_scalar(rng):
        x = distinct(3, 4)(rng)
        values = np.sort(x.ravel())
        return x, float(values[5] + values[6]) / 2  # halfway between two entries: no tie

    out.append(Sample(P.maximum, vs_scalar, label="vs-scalar"))
    out.append(
        Sample(P.polygamma, one(positive(4, lo=0.8, hi=3.0)), params={"n": 0}, label="digamma")
    )
    out.append(
        Sample(P.polygamma, one(positive(4, lo=0.8, hi=3.0)), params={"n": 1}, label="trigamma")
    )
    return out


def _selection_samples() -> list[Sample]:
    def where_draw(rng):
        return rng.random((3, 4)) < 0.5, rng.standard_normal((3, 4)), rng.standard_normal((1, 4))

    def clip_draw(rng):
        x = np.array([-1.3, -0.6, 0.1, 0.45, 0.8, 1.7])
        return x + rng.uniform(-0.05, 0.05, 6), np.full(6, -0.5), np.full(6, 0.5)

    return [
        Sample(P.where, where_draw, diff=(1, 2)),
        Sample(P.clip, clip_draw),
        Sample(P.clip, clip_draw, diff=(0,), label="x-only"),
    ]


def _reductions() -> list[Sample]:
    out = []
    for axis, keep in [((0, 1, 2), False), ((1,), False), ((0, 2), True), ((2,), True)]:
        label = f"axis{''.join(map(str, axis))}{'-keep' if keep else ''}"
        params = {"axis": axis, "keepdims": keep}
        out.append(Sample(P.reduce_sum, one(real(2, 3, 4)), params, label=label))
        out.append(Sample(P.reduce_prod, one(away_from_zero(2, 3, 4)), params, label=label))
        out.append(Sample(P.reduce_max, one(distinct(2, 3, 4)), params, label=label))
        out.append(Sample(P.reduce_min, one(distinct(2, 3, 4)), params, label=label))
        out.append(Sample(P.logsumexp, one(real(2, 3, 4)), params, label=label))
        out.append(Sample(P.norm2, one(real(2, 3, 4)), params, label=label))

    def with_zero(rng):
        x = rng.uniform(0.5, 1.5, (3, 4))
        x[1, 2] = 0.0
        return (x,)

    out.append(Sample(P.reduce_prod, with_zero, {"axis": (1,), "keepdims": False}, label="zero"))
    for axis in (0, 1):
        out.append(Sample(P.cumsum, one(real(3, 4)), {"axis": axis}, label=f"axis{axis}"))
        out.append(Sample(P.cumprod, one(away_from_zero(3, 4)), {"axis": axis}, label=f"a{axis}"))
        out.append(Sample(P.cumprod, with_zero, {"axis": axis}, label=f"zero-axis{axis}"))
    return out


def _structure() -> list[Sample]:
    idx_repeat = np.array([0, 2, 2, 1, 0])
    mask = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
    return [
        Sample(P.reshape, one(real(2, 6)), {"shape": (3, 4)}),
        Sample(P.transpose, one(real(2, 3, 4)), {"axes": (2, 0, 1)}),
        Sample(P.broadcast_to, one(real(3, 1)), {"shape": (2, 3, 4)}),
        Sample(P.concatenate, operands(real(2, 3), real(1, 3), real(3, 3)), {"axis": 0}),
        Sample(P.concatenate, operands(real(2, 1), real(2, 3)), {"axis": 1}, label="axis1"),
        Sample(P.getitem, one(real(4, 5)), {"index": (slice(1, 3), slice(None, None, 2))},
               label="slices"),
        Sample(P.getitem, one(real(3, 4)), {"index": idx_repeat % 3}, label="repeated-ints"),
        Sample(P.getitem, one(real(3, 4)), {"index": mask}, label="mask"),
        Sample(P.getitem, one(real(3, 4)), {"index": (Ellipsis, None, 1)}, label="ellipsis-none"),
        Sample(P.getitem, one(real(3, 4)), {"index": (idx_repeat % 3, idx_repeat % 4)},
               label="pairs"),
        Sample(P.scatter_add, one(real(5, 4)), {"shape": (3, 4), "index": idx_repeat % 3},
               label="repeated"),
        Sample(P.flip, one(real(3, 4)), {"axis": (1,)}),
        Sample(P.roll, one(real(3, 4)), {"shift": 2, "axis": 1}),
        Sample(P.roll, one(real(3, 4)), {"shift": (1, -1), "axis": (0, 1)}, label="tuple"),
        Sample(P.tril, one(real(4, 4)), {"k": 0}),
        Sample(P.triu, one(real(2, 4, 3)), {"k": 1}),
        Sample(P.diagonal, one(real(4, 3)), {"offset": 1, "axis1": 0, "axis2": 1}),
        Sample(P.diagonal, one(real(3, 2, 3)), {"offset": -1, "axis1": 2, "axis2": 0},
               label="batched"),
        Sample(P.pad, one(real(2, 3)), {"pad_width": ((1, 0), (2, 1)), "value": 0.5}),
        Sample(P.astype, one(real(3)), {"dtype": np.dtype(np.float64)}),
    ]


def _einsum(spec: str, *draws: Draw) -> Sample:
    def draw(rng):
        return tuple(d(rng) for d in draws)

    ndims = [d(np.random.default_rng(0)).ndim for d in draws]
    return Sample(P.einsum, draw, {"spec": parse_einsum(spec, ndims)}, label=spec)


def _contractions() -> list[Sample]:
    return [
        Sample(P.matmul, operands(real(3, 4), real(4, 2)), label="2d"),
        Sample(P.matmul, operands(real(4), real(4, 2)), label="1d-2d"),
        Sample(P.matmul, operands(real(3, 4), real(4)), label="2d-1d"),
        Sample(P.matmul, operands(real(4), real(4)), label="1d-1d"),
        Sample(P.matmul, operands(real(2, 3, 4), real(4, 2)), label="batched"),
        Sample(P.matmul, operands(real(1, 3, 4), real(2, 4, 5)), label="broadcast-batch"),
        _einsum("ij,jk->ik", real(3, 4), real(4, 2)),
        _einsum("ii->i", real(3, 3)),
        _einsum("ii", real(3, 3)),
        _einsum("ij->", real(3, 4)),
        _einsum("ij->i", real(3, 4)),
        _einsum("bij,bjk->bik", real(2, 3, 4), real(2, 4, 2)),
        _einsum("i,i", real(4), real(4)),
        _einsum("...ij,...jk->...ik", real(2, 3, 4), real(4, 2)),
        _einsum("ij,jk,kl->il", real(2, 3), real(3, 4), real(4, 2)),
        _einsum("...ij,...jk", real(1, 3, 4), real(2, 4, 5)),
    ]


def _linalg() -> list[Sample]:
    return [
        Sample(P.inv, one(well_conditioned(3))),
        Sample(P.inv, one(well_conditioned(3, (2,))), label="batched"),
        Sample(P.solve, operands(well_conditioned(3), real(3)), label="vector"),
        Sample(P.solve, operands(well_conditioned(3), real(3, 2)), label="matrix"),
        Sample(P.solve, operands(well_conditioned(3, (2,)), real(2, 3, 2)), label="batched"),
        Sample(P.det, one(well_conditioned(3))),
        Sample(P.det, one(well_conditioned(3, (2,))), label="batched"),
        Sample(P.det, one(singular(3)), label="singular"),
        Sample(P.det, one(singular(3, (2,))), label="singular-batched"),
        Sample(P.slogdet, one(well_conditioned(3))),
        Sample(P.cholesky, one(spd(3))),
        Sample(P.cholesky, one(spd(3, (2,))), label="batched"),
        Sample(P.eigh, one(spd(3))),
        Sample(P.eigh, one(spd(4, (2,))), label="batched"),
        Sample(P.qr, one(real(3, 3)), label="square"),
        Sample(P.qr, one(real(4, 3)), label="tall"),
        Sample(P.svd, one(distinct_singular_values(3, 3)), label="square"),
        Sample(P.svd, one(distinct_singular_values(4, 3)), label="tall"),
        Sample(P.svd, one(distinct_singular_values(3, 4)), label="wide"),
    ]


def _oscillator(y: Any, t: Any, theta: Any) -> Any:
    """A damped, driven oscillator: odeint's sample dynamics (depends on y, t and theta)."""
    import refengine.numpy as rnp

    return rnp.stack([y[1], -theta[0] * y[0] - theta[1] * y[1] + 0.3 * rnp.sin(t)])


def _ode_operands(rng: np.random.Generator) -> tuple[Any, ...]:
    return rng.uniform(-1, 1, 2), np.array([0.0, 0.5]) + rng.uniform(0, 0.1, 2), \
        rng.uniform(0.5, 2.0, 2)


def _special() -> list[Sample]:
    """refengine/derivatives_special.py: orders and shape parameters are static params (a
    per-entry array among them, which the rule must broadcast)."""
    shapes = np.array([0.6, 1.0, 2.5, 4.0])
    return [
        Sample(S.erfinv, one(real(4, lo=-0.8, hi=0.8))),
        Sample(S.erfcinv, one(positive(4, lo=0.2, hi=1.8))),
        Sample(S.jn, one(real(4, lo=-4, hi=4)), {"n": 0}, label="j0"),
        Sample(S.jn, one(real(4, lo=-4, hi=4)), {"n": 1}, label="j1"),
        Sample(S.jn, one(real(4, lo=-4, hi=4)), {"n": 3}, label="n3"),
        Sample(S.jn, one(positive(4, lo=0.5, hi=4)), {"n": np.array([0, 1, 2, 5])},
               label="n-array"),
        Sample(S.yn, one(positive(4, lo=0.5, hi=4)), {"n": 0}, label="y0"),
        Sample(S.yn, one(positive(4, lo=0.5, hi=4)), {"n": 1}, label="y1"),
        Sample(S.yn, one(positive(4, lo=0.5, hi=4)), {"n": 2}, label="n2"),
        Sample(S.iv, one(real(4, lo=-2, hi=2)), {"v": 0}, label="i0"),
        Sample(S.iv, one(real(4, lo=-2, hi=2)), {"v": 1}, label="i1"),
        Sample(S.iv, one(positive(4, lo=0.3, hi=3)), {"v": 2.5}, label="v2.5"),
        Sample(S.ive, one(away_from_zero(4, lo=0.3, hi=3)), {"v": 0}, label="i0e"),
        Sample(S.ive, one(away_from_zero(4, lo=0.3, hi=3)), {"v": 1}, label="i1e"),
        Sample(S.ive, one(positive(4, lo=0.3, hi=3)), {"v": 1.5}, label="v1.5"),
        Sample(S.gammainc, one(positive(4, lo=0.3, hi=4)), {"a": shapes}),
        Sample(S.gammaincc, one(positive(4, lo=0.3, hi=4)), {"a": 1.7}),
        Sample(S.betainc, one(positive(4, lo=0.1, hi=0.9)), {"a": shapes, "b": 1.6}),
        Sample(S.stdtr, one(real(4, lo=-3, hi=3)), {"df": np.array([0.7, 1.0, 3.5, 30.0])}),
        Sample(S.erfcx, one(real(4, lo=-2, hi=4))),
        Sample(S.exp1, one(positive(4, lo=0.2, hi=3))),
        Sample(S.expi, one(away_from_zero(4, lo=0.2, hi=2))),
        Sample(S.expn, one(positive(4, lo=0.3, hi=3)), {"n": np.array([0, 1, 2, 4])}),
        Sample(S.dawsn, one(real(4, lo=-3, hi=3))),
        Sample(S.sici, one(away_from_zero(4, lo=0.3, hi=4))),
        Sample(S.fresnel, one(real(4, lo=-2, hi=2))),
        Sample(S.owens_t, operands(real(4, lo=-2, hi=2), real(4, lo=-2, hi=2))),
        Sample(S.zeta, one(positive(4, lo=0.5, hi=3)),
               {"exponent": np.array([1.5, 2.0, 3.5, 5.0])}),
        Sample(S.spence, one(positive(4, lo=0.2, hi=3))),
        Sample(S.sqrtm, one(spd(3))),
        # The rules are as accurate as the solver: tolerances far below the checks' 1e-10.
        Sample(S.odeint, _ode_operands,
               {"func": _oscillator, "options": (("atol", 1e-12), ("rtol", 1e-12))},
               slow_second_order="four nestings of adjoint-of-adjoint ODE solves at rtol 1e-12: "
                                 "5 s (a busy 2-core machine)"),
        Sample(S.sqrtm, one(lambda rng: 2.0 * np.eye(3) + 0.4 * rng.standard_normal((3, 3))),
               label="nonsymmetric"),
    ]


def _conv() -> list[Sample]:
    """conv and its two adjoints (each bilinear), 1-d and 2-d, with every parameter in use."""
    one_d = {"stride": (2,), "padding": ((1, 2),), "dilation": (2,), "groups": 2}
    two_d = {"stride": (2, 1), "padding": ((1, 1), (0, 2)), "dilation": (1, 2), "groups": 1}
    plain = {"stride": (1,), "padding": ((0, 0),), "dilation": (1,), "groups": 1}
    out = []
    for label, x, w, y, p in [("1d", (2, 4, 9), (6, 2, 3), (2, 6, 4), one_d),
                              ("2d", (1, 3, 5, 6), (2, 3, 2, 3), (1, 2, 3, 4), two_d),
                              ("single", (1, 1, 1), (1, 1, 1), (1, 1, 1), plain)]:
        out += [
            Sample(P.conv, operands(real(*x), real(*w)), p, label=label),
            Sample(P.conv_transpose, operands(real(*y), real(*w)), {**p, "x_shape": x},
                   label=label),
            Sample(P.conv_weight, operands(real(*x), real(*y)), {**p, "w_shape": w},
                   label=label),
        ]
    return out


SAMPLES: list[Sample] = (
    [s for prim, draw in UNARY_DOMAINS for s in _unary(prim, draw)]
    + _binary_samples()
    + _selection_samples()
    + _reductions()
    + _structure()
    + _contractions()
    + _linalg()
    + _special()
    + _conv()
)


# --- complex numbers -----------------------------------------------------------------------------
# A complex operand is drawn as its real pairs (..., 2) (refengine.check_complex), so the
# machinery above, which is real, checks the rules through real and imaginary directions.
def over_reals(prim: Primitive, where: tuple[int, ...], **params: Any) -> Callable[..., Any]:
    """``prim`` with the operands at ``where`` given as real pairs, its complex outputs too."""
    view = REFENGINE_VIEW

    def fn(*args: Any) -> Any:
        zs = [view.combine(a) if i in where else a for i, a in enumerate(args)]
        out = prim(*zs, **params)
        return tree_map(lambda w: view.split(w) if view.dtype_of(w).kind == "c" else w, out)

    fn.name = prim.name  # type: ignore[attr-defined]
    return fn


def complex_pairs(draw: Draw, spread: float = 0.5) -> Draw:
    """``draw``'s value as the real part, a uniform imaginary part in (-spread, spread)."""
    def pairs(rng: np.random.Generator) -> np.ndarray:
        x = np.asarray(draw(rng), dtype=np.float64)
        return np.stack([x, rng.uniform(-spread, spread, x.shape)], axis=-1)

    return pairs


def _complex_native() -> list[Sample]:
    c = complex_pairs
    return [
        Sample(over_reals(PC.real, (0,)), one(c(real(3, 2)))),
        Sample(over_reals(PC.imag, (0,)), one(c(real(3, 2)))),
        Sample(over_reals(PC.conj, (0,)), one(c(real(3, 2)))),
        Sample(over_reals(PC.fftn, (0,), axes=(1,), norm=None), one(c(real(2, 5))), label="axis1"),
        Sample(over_reals(PC.fftn, (0,), axes=(0, 1), norm="ortho"), one(c(real(3, 4))),
               label="2d-ortho"),
        Sample(over_reals(PC.ifftn, (0,), axes=(0,), norm=None), one(c(real(4, 2))), label="axis0"),
        Sample(over_reals(PC.ifftn, (0,), axes=(0, 1), norm="forward"), one(c(real(3, 4))),
               label="2d-forward"),
        Sample(over_reals(PC.rfft, (), axis=-1, norm=None), one(real(6)), label="even"),
        Sample(over_reals(PC.rfft, (), axis=1, norm="ortho"), one(real(2, 5)), label="odd-ortho"),
        Sample(over_reals(PC.irfft, (0,), n=6, axis=0, norm=None), one(c(real(4))), label="even"),
        Sample(over_reals(PC.irfft, (0,), n=5, axis=-1, norm="ortho"), one(c(real(2, 3))),
               label="odd-ortho"),
        Sample(over_reals(PC.irfft, (0,), n=8, axis=0, norm="forward"), one(c(real(4))),
               label="padded"),
        Sample(over_reals(PC.irfft, (0,), n=4, axis=0, norm=None), one(c(real(4))),
               label="truncated"),
    ]


def complexified(sample: Sample) -> Sample:
    """The same entry at complex operands: each differentiated float operand gets an imaginary
    part (so the real domains above stay clear of the branch cuts, which lie on the real axis)."""
    template = sample.draw(np.random.default_rng(0))
    diff = sample.diff if sample.diff is not None else tuple(range(len(template)))
    where = tuple(i for i in diff if np.asarray(template[i]).dtype.kind == "f")

    def draw(rng: np.random.Generator) -> tuple[Any, ...]:
        args = list(sample.draw(rng))
        for i in where:
            x = np.asarray(args[i], dtype=np.float64)
            args[i] = np.stack([x, rng.uniform(-0.5, 0.5, x.shape)], axis=-1)
        return tuple(args)

    prim = over_reals(sample.prim, where, **sample.params)  # type: ignore[arg-type]
    label = "-".join(filter(None, [sample.label, "complex"]))
    return Sample(prim, draw, diff=sample.diff, label=label)


SAMPLES += _complex_native()
