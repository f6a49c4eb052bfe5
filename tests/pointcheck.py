"""The machinery that checks a derivative-table note at the point it names.

A ``Point`` (the table is ``tests/note_points.py``) is a function of its differentiated
operands at one point, with the derivatives its note states there. Every operand is packed
into one flat vector ``z`` and every output into one flat vector, so that

- the first derivative is the full Jacobian, built twice: row by row in reverse mode (one VJP
  per output entry) and column by column in forward mode (one JVP per input entry);
- the second derivative is the Hessian of the sum of the outputs, built in all four nestings
  (VJP of VJP and VJP of JVP row by row, JVP of VJP column by column, JVP of JVP entry by
  entry).

Both are compared with what the note states (NaN with NaN, inf with inf of the same sign), and
with the finite-difference oracle (``refengine.numeric.directional``) along each input axis where
the point says finite differences exist there: at a kink the oracle returns the interval spanned
by the one-sided derivatives, and the stated value must lie in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import refengine as rf
import refengine.numpy as rnp
from refengine.numeric import directional

STATED_RTOL = 1e-10  # stated values are exact up to rounding
FD_SLACK = 1e-8  # on top of the oracle's own error bound (AD's rounding, relative)


@dataclass(frozen=True)
class Point:
    """One point a note names, and what the note states there.

    ``first`` is the stated Jacobian (flat outputs x flat inputs); a masked entry
    (``np.ma.masked``) is one the note does not state (it is then checked against finite
    differences, or only for agreement between the modes). A callable gets the Jacobian and
    asserts the statement itself (for statements that are no single value, e.g. "inf/NaN in the
    eigenvectors' derivative"; such a point has no second order to check). ``second`` is the
    stated Hessian of the sum of the outputs; ``None`` states none (the four nestings must still
    agree with one another, and with finite differences where ``fd2``). ``fd``: the function
    is continuous around the point, so finite differences of it exist (kinks allowed); ``fd2``:
    the same for its first derivative.
    ``raises``: the error that differentiating at the point must raise, in both modes.
    """

    entry: str  # the table entry (primitive name) whose note the point checks, or a composite
    label: str
    fun: Callable[..., Any]
    args: tuple[Any, ...]
    first: Any
    second: Any = None
    fd: bool = True
    fd2: bool = False
    raises: type[Exception] | None = None  # the note names a point with no derivative at all

    @property
    def id(self) -> str:
        return f"{self.entry}-{self.label}"


def packed(point: Point) -> tuple[Callable[[Any], Any], np.ndarray]:
    """The point's function of one flat vector, returning one flat vector, and that vector."""
    args = [np.asarray(a, dtype=np.float64) for a in point.args]
    shapes = [a.shape for a in args]
    bounds = np.cumsum([0] + [a.size for a in args])

    def f(z: Any) -> Any:
        parts = [rnp.reshape(z[lo:hi], shape)
                 for lo, hi, shape in zip(bounds[:-1], bounds[1:], shapes)]
        out = point.fun(*parts)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        return rnp.concatenate([rnp.reshape(o, (-1,)) for o in outs])

    return f, np.concatenate([a.ravel() for a in args])


def _unit(n: int, i: int) -> np.ndarray:
    e = np.zeros(n)
    e[i] = 1.0
    return e


def jacobians(f: Callable[[Any], Any], z: np.ndarray) -> dict[str, np.ndarray]:
    """The Jacobian by reverse mode (row by row) and by forward mode (column by column)."""
    out, vjp_fn = rf.vjp(f, z)
    m, n = np.size(out), z.size
    rev = np.array([vjp_fn(_unit(m, o))[0] for o in range(m)]).reshape(m, n)
    fwd = np.array([rf.jvp(f, (z,), (_unit(n, j),))[1] for j in range(n)]).reshape(n, m).T
    return {"VJP": rev, "JVP": fwd}


def hessians(f: Callable[[Any], Any], z: np.ndarray) -> dict[str, np.ndarray]:
    """H[i, j] = d/dz_j d/dz_i sum(f(z)), in the four nestings of the two modes."""
    n = z.size
    m = np.size(f(z))

    def grad_of_sum(p: Any) -> Any:  # reverse mode: the gradient of sum(f)
        return rf.vjp(f, p)[1](np.ones(m))[0]

    def tangent_sum(i: int) -> Callable[[Any], Any]:  # forward mode: d/dz_i sum(f)
        return lambda p: rnp.sum(rf.jvp(f, (p,), (_unit(n, i),))[1])

    return {
        "VJP of VJP": np.array([rf.grad(lambda p, i=i: grad_of_sum(p)[i])(z) for i in range(n)]),
        "JVP of VJP": np.array([rf.jvp(grad_of_sum, (z,), (_unit(n, j),))[1]
                                for j in range(n)]).T,
        "VJP of JVP": np.array([rf.grad(tangent_sum(i))(z) for i in range(n)]),
        "JVP of JVP": np.array([[rf.jvp(tangent_sum(i), (z,), (_unit(n, j),))[1]
                                 for j in range(n)] for i in range(n)]),
    }


def gradient_of_sum(f: Callable[[Any], Any], z: np.ndarray) -> Callable[[Any], np.ndarray]:
    """z -> the reverse-mode gradient of sum(f(z)), as plain NumPy (what the oracle
    differentiates to check second derivatives)."""
    m = np.size(f(z))
    return lambda p: np.asarray(rf.vjp(f, p)[1](np.ones(m))[0])


def assert_stated(got: np.ndarray, stated: Any, what: str) -> None:
    """``got`` equals the stated values on every stated entry: NaN where NaN is stated, the
    same infinity where one is, and finite values to ``STATED_RTOL``."""
    want = np.ma.getdata(stated).astype(np.float64)
    checked = ~np.ma.getmaskarray(stated) & np.ones(got.shape, dtype=bool)
    nan_ok = np.isnan(want) & np.isnan(got)
    inf_ok = np.isinf(want) & (got == want)
    finite_ok = np.isfinite(want) & (np.abs(got - want) <= STATED_RTOL * np.maximum(1.0, abs(want)))
    bad = checked & ~(nan_ok | inf_ok | finite_ok)
    if bad.any():
        k = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(f"{what}: entry {k} is {got[k]!r}, the note states {want[k]!r}\n"
                             f"got:\n{got}\nstated:\n{np.ma.masked_array(want, ~checked)}")


def assert_same(results: dict[str, np.ndarray], what: str) -> None:
    """Every mode (or nesting) gives the same array: NaN where the others do, same infinities."""
    (first_name, first), *rest = results.items()
    for name, other in rest:
        assert_stated(other, first, f"{what}: {name} vs {first_name}")


def assert_within_oracle(
    fun: Callable[[Any], Any], z: np.ndarray, got: np.ndarray, what: str
) -> None:
    """Each column of ``got`` lies within the oracle's interval for the derivative along that
    input axis (the one-sided derivatives' span at a kink); the oracle must be valid there."""
    for j in range(z.size):
        d = directional(fun, (z,), (_unit(z.size, j),))
        if not d.valid:
            raise AssertionError(f"{what}: no finite differences along input {j} ({d.reason}); "
                                 "mark the point fd=False if the note says none exist")
        col = got[:, j]
        slack = d.error + FD_SLACK * np.maximum(1.0, np.abs(d.value))
        bad = ~(np.abs(col - d.value) <= slack)
        if bad.any():
            k = int(np.argmax(bad))
            raise AssertionError(
                f"{what}: output {k}, input {j}: AD {col[k]!r} outside the finite-difference "
                f"interval {d.value[k]!r} +- {slack[k]:.3g}"
                + (f" (a kink: one-sided {d.left[k]!r}, {d.right[k]!r})" if d.kink[k] else ""))


def check_first(point: Point) -> None:
    f, z = packed(point)
    if point.raises is not None:
        _check_raises(point, f, z)
        return
    jac = jacobians(f, z)
    if callable(point.first):  # an undefined point: the modes need not agree on inf vs NaN
        for got in jac.values():
            point.first(got)
    else:
        assert_same(jac, f"{point.id}: first order")
        for mode, got in jac.items():
            assert_stated(got, np.ma.asarray(point.first).reshape(got.shape),
                          f"{point.id}: first order, {mode}")
    if point.fd:
        assert_within_oracle(f, z, jac["JVP"], f"{point.id}: first order vs finite differences")


def _check_raises(point: Point, f: Callable[[Any], Any], z: np.ndarray) -> None:
    def reverse() -> Any:
        out, vjp_fn = rf.vjp(f, z)
        return vjp_fn(np.ones(np.shape(out)))

    for mode, run in (("VJP", reverse),
                      ("JVP", lambda: rf.jvp(f, (z,), (np.ones_like(z),)))):
        try:
            run()
        except point.raises as e:
            assert str(e), f"{point.id}: {mode} raised {type(e).__name__} with no message"
        else:
            raise AssertionError(f"{point.id}: {mode} did not raise {point.raises.__name__}")


def check_second(point: Point) -> None:
    f, z = packed(point)
    hess = hessians(f, z)
    assert_same(hess, f"{point.id}: second order")
    if point.second is not None:
        for nesting, got in hess.items():
            assert_stated(got, np.ma.asarray(point.second).reshape(got.shape),
                          f"{point.id}: second order, {nesting}")
    if point.fd2:
        assert_within_oracle(gradient_of_sum(f, z), z, hess["JVP of VJP"],
                             f"{point.id}: second order vs finite differences of the gradient")
