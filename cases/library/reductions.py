"""Reductions over every axis of a (2, 3, n) input, with and without keepdims; cumulative
reductions along each axis; trace over axis pairs; logsumexp as a reduction.

A 3-d input makes the middle axis count: a reduction over a non-trailing axis is where
framework kernels (and hand-written gradients) most often reshape the wrong way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes
from cases.library._helpers import MATRIX, REDUCE, reduced_shape, square

__all__ = ["CASES"]


def cube(n: int) -> tuple[int, int, int]:
    return (2, 3, n)


# op -> the domain where it is smooth; max/min need no ties, prod no zeros
REDUCTIONS = {
    "sum": D.REAL,
    "mean": D.REAL,
    "prod": D.AWAY_FROM_ZERO,
    "max": D.DISTINCT,
    "min": D.DISTINCT,
    "var": D.REAL,
    "std": D.REAL,
}
AXES: tuple[int | tuple[int, ...] | None, ...] = (None, 0, 1, 2)


def _axis_label(axis: int | tuple[int, ...] | None) -> str:
    if axis is None:
        return "all"
    if isinstance(axis, tuple):
        return "axes" + "".join(str(a) for a in axis)
    return f"axis{axis}" if axis >= 0 else f"axis-neg{-axis}"


def _reduce(op: str, module: str, axis: Any, keepdims: bool, **kw: Any) -> Callable[..., Any]:
    def fn(xp: Any, x: Any) -> Any:
        namespace = getattr(xp, module) if module else xp
        return getattr(namespace, op)(x, axis=axis, keepdims=keepdims, **kw)

    return fn


def _case(op: str, axis: Any, keepdims: bool, *, module: str = "", domain: D.Domain | None = None,
          suffix: str = "", **kw: Any) -> Case:
    name = f"{op}-{_axis_label(axis)}{'-keepdims' if keepdims else ''}{suffix}"
    return Case(
        name,
        _reduce(op, module, axis, keepdims, **kw),
        args=(Arg("x", domain or REDUCTIONS[op], cube),),
        output_shape=lambda n: reduced_shape(cube(n), axis, keepdims),
        sizes=REDUCE,
        tags={"reduction"} | ({"keepdims"} if keepdims else set())
        | ({module} if module else set()),
    )


EVERY_AXIS = [
    _case(op, axis, keepdims)
    for op in REDUCTIONS for axis in AXES for keepdims in (False, True)
]

LOGSUMEXP = [
    _case("logsumexp", axis, keepdims, module="special", domain=D.REAL)
    for axis in AXES for keepdims in (False, True)
]

EXTRA = [
    _case("sum", (0, 2), False),
    _case("mean", (1, 2), True),
    _case("var", (0, 1), False),
    _case("max", (0, 2), True),
    _case("sum", -1, False),
    _case("prod", -2, True),
    _case("var", 1, False, suffix="-ddof1", ddof=1),
    _case("std", None, True, suffix="-ddof1", ddof=1),
]


def _cumulative(op: str, axis: int | None, domain: D.Domain) -> Case:
    def fn(xp: Any, x: Any) -> Any:
        return getattr(xp, op)(x, axis=axis)

    def out(n: int) -> tuple[int, ...]:
        return (6 * n,) if axis is None else cube(n)

    return Case(
        f"{op}-{_axis_label(axis)}",
        fn,
        args=(Arg("x", domain, cube),),
        output_shape=out,
        sizes=REDUCE,
        tags={"reduction", "cumulative"},
        note="axis=None flattens first (C order)" if axis is None else "",
    )


CUMULATIVE = [
    _cumulative(op, axis, domain)
    for op, domain in (("cumsum", D.REAL), ("cumprod", D.AWAY_FROM_ZERO))
    for axis in AXES
]

# A boundary point of the smooth cumprod: an exact zero entry. The function is a polynomial
# there, so every derivative exists, but rules that divide by x (the product over the
# entry's own position, prod / x) lose it: torch 2.13's forward over forward gives half the
# second derivative and its reverse over forward NaN (its other nestings and first order are
# right); TensorFlow's gradient treats the zero as having no influence (div_no_nan).
CUMULATIVE_AT_ZERO = [
    Case(
        "cumprod-with-zero",
        lambda xp, x: xp.cumprod(x),
        args=(Arg("x", D.with_points(D.AWAY_FROM_ZERO, {(2,): 0.0}), lambda n: (n,)),),
        output_shape=lambda n: (n,),
        sizes=Sizes(check=6, sweep=()),  # the zero is a fixed entry: nothing to sweep
        tags={"reduction", "cumulative"},
        note="x[2] = 0 exactly: the entries after it are 0, their derivatives are not",
    ),
]


def _trace(xp: Any, x: Any) -> Any:
    return xp.trace(x)


TRACE = [
    Case("trace", _trace, args=(Arg("x", D.REAL, square),), sizes=MATRIX, tags={"reduction"}),
    Case(
        "trace-offset",
        lambda xp, x: xp.trace(x, offset=1),
        args=(Arg("x", D.REAL, lambda n: (n, n + 1)),),
        sizes=MATRIX,
        tags={"reduction"},
    ),
    Case(
        "trace-batched-axes12",
        lambda xp, x: xp.trace(x, offset=-1, axis1=1, axis2=2),
        args=(Arg("x", D.REAL, lambda n: (2, n, n)),),
        output_shape=(2,),
        sizes=MATRIX,
        tags={"reduction"},
    ),
]

ARG_REDUCTIONS = [
    Case(
        "argmin-axis2-gather",
        lambda xp, x: xp.take_along_axis(x, xp.argmin(x, axis=2)[:, :, None], axis=2),
        args=(Arg("x", D.DISTINCT, cube),),
        output_shape=lambda n: (2, 3, 1),
        sizes=REDUCE,
        tags={"reduction", "indexing"},
    ),
    Case(
        "argmax-axis0-gather",
        lambda xp, x: xp.take_along_axis(x, xp.argmax(x, axis=0)[None], axis=0) * 2.0,
        args=(Arg("x", D.DISTINCT, cube),),
        output_shape=lambda n: (1, 3, n),
        sizes=Sizes(check=4, sweep=(100, 10_000)),
        tags={"reduction", "indexing"},
    ),
]

CASES = (EVERY_AXIS + LOGSUMEXP + EXTRA + CUMULATIVE + CUMULATIVE_AT_ZERO + TRACE
         + ARG_REDUCTIONS)
