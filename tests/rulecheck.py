"""The machinery that checks one derivative-table entry at one point.

For a primitive applied to sampled operands it checks, in float64:
  JVP vs finite differences           J v  (entrywise)
  VJP vs finite differences           <u, J v>  (the dot-product test, several directions)
  the adjoint identity                <u, JVP(v)> == <VJP(u), v>
  second order, all four nestings      VJP of VJP, JVP of VJP, VJP of JVP, JVP of JVP,
                                      against finite differences of the first derivative
Finite differences use the fourth-order central stencil, whose truncation error (~h^4) at
h = 1e-3 sits far below the tolerance, and far below the 1e-3 relative error of a rule that is
off by 0.1 % (the negative controls prove that such a rule fails here).
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import refengine as rf
from refengine.primitive import Primitive

from .rule_samples import Sample

RTOL = 1e-6
ADJOINT_RTOL = 1e-10
STEP = 1e-3


def flat(out: Any) -> np.ndarray:
    if isinstance(out, (tuple, list)):
        return np.concatenate([np.ravel(np.asarray(o, dtype=np.float64)) for o in out])
    return np.ravel(np.asarray(out, dtype=np.float64))


def directional_fd(fun: Callable[..., Any], xs: list[np.ndarray], vs: list[np.ndarray]) -> Any:
    def at(t: float) -> np.ndarray:
        return flat(fun(*[x + t * v for x, v in zip(xs, vs)]))

    h = STEP
    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)


def assert_close(got: Any, want: Any, what: str, rtol: float = RTOL) -> None:
    got, want = np.atleast_1d(got), np.atleast_1d(want)
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    err = np.abs(got - want)
    bad = ~(err <= rtol * scale)  # NaN counts as bad
    if np.any(bad):
        k = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
        raise AssertionError(
            f"{what}: entry {k}: AD {got[k]!r} vs finite differences {want[k]!r} "
            f"(abs err {err[k]:.3e} > tol {rtol * scale:.3e})"
        )


def rng_for(sample: Sample) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(sample.id.encode()))


def prepare(sample: Sample) -> tuple[Callable[..., Any], list[np.ndarray], np.random.Generator]:
    """The primitive as a function of its differentiated operands, and their values."""
    rng = rng_for(sample)
    args = list(sample.draw(rng))
    diff = sample.diff if sample.diff is not None else tuple(range(len(args)))
    xs = [np.asarray(args[i], dtype=np.float64) for i in diff]

    def fun(*dxs: Any) -> Any:
        full = list(args)
        for i, x in zip(diff, dxs):
            full[i] = x
        return sample.prim(*full, **sample.params)

    return fun, xs, rng


def _random_like(rng: np.random.Generator, tree: Any) -> Any:
    if isinstance(tree, (tuple, list)):
        return tuple(_random_like(rng, t) for t in tree)
    return rng.standard_normal(np.shape(tree))


def _dot(a: Any, b: Any) -> float:
    return float(np.dot(flat(a), flat(b)))


def check_first_order(sample: Sample, n_directions: int = 3) -> None:
    fun, xs, rng = prepare(sample)
    out, vjp_fn = rf.vjp(fun, *xs)
    for d in range(n_directions):
        vs = [rng.standard_normal(x.shape) for x in xs]
        u = _random_like(rng, out)
        fd = directional_fd(fun, xs, vs)
        _, t_out = rf.jvp(fun, tuple(xs), tuple(vs))
        assert_close(flat(t_out), fd, f"{sample.id}: JVP vs finite differences (direction {d})")
        cts = vjp_fn(u)
        lhs = sum(_dot(c, v) for c, v in zip(cts, vs))
        assert_close(lhs, _dot(u, fd), f"{sample.id}: VJP vs finite differences (<u, J v>)")
        assert_close(
            lhs, _dot(u, t_out), f"{sample.id}: adjoint identity <VJP(u), v> = <u, JVP(v)>",
            rtol=ADJOINT_RTOL,
        )


def check_second_order(sample: Sample) -> None:
    """All four nestings: reverse and forward mode, each over reverse and over forward."""
    fun, xs, rng = prepare(sample)
    out = fun(*xs)
    u = _random_like(rng, out)
    ws = [rng.standard_normal(x.shape) for x in xs]
    vs = [rng.standard_normal(x.shape) for x in xs]
    v2s = [rng.standard_normal(x.shape) for x in xs]
    every = tuple(range(len(xs)))

    def vjp_at(*p: Any) -> tuple[Any, ...]:
        return rf.vjp(fun, *p)[1](u)

    def vjp_scalar(*p: Any) -> Any:
        return sum((c * w).sum() for c, w in zip(vjp_at(*p), ws))

    fd = directional_fd(vjp_scalar, xs, vs)[0]
    rev = rf.grad(vjp_scalar, argnums=every)(*xs)
    assert_close(sum(_dot(g, v) for g, v in zip(rev, vs)), fd, f"{sample.id}: VJP of VJP")
    _, fwd = rf.jvp(vjp_at, tuple(xs), tuple(vs))
    assert_close(sum(_dot(t, w) for t, w in zip(fwd, ws)), fd, f"{sample.id}: JVP of VJP")

    def jvp_at(*p: Any) -> Any:
        return rf.jvp(fun, p, tuple(vs))[1]

    def jvp_scalar(*p: Any) -> Any:
        return _sum_products(jvp_at(*p), u)

    fd = directional_fd(jvp_scalar, xs, v2s)[0]
    rev = rf.grad(jvp_scalar, argnums=every)(*xs)
    assert_close(sum(_dot(g, v) for g, v in zip(rev, v2s)), fd, f"{sample.id}: VJP of JVP")
    _, fwd = rf.jvp(jvp_at, tuple(xs), tuple(v2s))
    assert_close(_dot(fwd, u), fd, f"{sample.id}: JVP of JVP")


def _sum_products(a: Any, b: Any) -> Any:
    if isinstance(a, (tuple, list)):
        return sum(_sum_products(x, y) for x, y in zip(a, b))
    return (a * b).sum()


@contextlib.contextmanager
def perturbed(prim: Primitive, mode: str, change: Callable[[Any], Any]) -> Iterator[None]:
    """Temporarily apply ``change`` to every result of ``prim``'s VJP or JVP rules."""
    original = getattr(prim, mode)

    def wrap(rule: Any) -> Any:
        if rule is None:
            return None

        def changed(*args: Any, **kwargs: Any) -> Any:
            out = rule(*args, **kwargs)
            return tuple(change(o) for o in out) if isinstance(out, tuple) else change(out)

        return changed

    if callable(original):
        setattr(prim, mode, lambda i: wrap(original(i)))
    else:
        setattr(prim, mode, tuple(wrap(r) for r in original))
    try:
        yield
    finally:
        setattr(prim, mode, original)
