"""Unary elementwise functions: one case per vocabulary op on its smooth domain, the
piecewise-constant ones away from their jumps, the array operators, and a few compositions."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes, matrix
from cases.library._helpers import calls, elementwise

__all__ = ["CASES"]


# op -> the domain on which it is smooth (the vocabulary's domain column, with margins)
SMOOTH = {
    "negative": D.REAL,
    "abs": D.AWAY_FROM_ZERO,
    "exp": D.REAL,
    "exp2": D.REAL,
    "expm1": D.REAL,
    "log": D.POSITIVE,
    "log2": D.POSITIVE,
    "log10": D.POSITIVE,
    "log1p": D.interval(-1.0, 3.0, name="(-1, 3)"),
    "sqrt": D.POSITIVE,
    "cbrt": D.AWAY_FROM_ZERO,
    "square": D.REAL,
    "reciprocal": D.AWAY_FROM_ZERO,
    "sin": D.REAL,
    "cos": D.REAL,
    "tan": D.HALF_PI,
    "arcsin": D.UNIT_INTERVAL,
    "arccos": D.UNIT_INTERVAL,
    "arctan": D.REAL,
    "sinh": D.REAL,
    "cosh": D.REAL,
    "tanh": D.REAL,
    "arcsinh": D.REAL,
    "arccosh": D.ABOVE_ONE,
    "arctanh": D.UNIT_INTERVAL,
}

# Zero derivative wherever it exists; drawn away from the jumps so differences see a flat map.
PIECEWISE = {
    "sign": D.AWAY_FROM_ZERO,
    "floor": D.AWAY_FROM_INTEGERS,
    "ceil": D.AWAY_FROM_INTEGERS,
    "round": D.AWAY_FROM_HALF_INTEGERS,
}

UNARY_CASES = [elementwise(op, calls(op), domain) for op, domain in SMOOTH.items()]
PIECEWISE_CASES = [
    elementwise(op, calls(op), domain, tags={"piecewise-constant"})
    for op, domain in PIECEWISE.items()
]


# --- operators -----------------------------------------------------------------------------------
def _pair(name: str, fn: Callable[..., Any], y: D.Domain = D.REAL, x: D.Domain = D.REAL) -> Case:
    return elementwise(name, fn, [x, y], theme=("operator",))


OPERATOR_CASES = [
    _pair("op-add", lambda xp, x, y: x + y),
    _pair("op-subtract", lambda xp, x, y: x - y),
    _pair("op-multiply", lambda xp, x, y: x * y),
    _pair("op-divide", lambda xp, x, y: x / y, y=D.AWAY_FROM_ZERO),
    _pair("op-power", lambda xp, x, y: x**y, x=D.POSITIVE),
    elementwise("op-negative", lambda xp, x: -x, D.REAL, theme=("operator",)),
    elementwise(
        "op-python-scalars",
        lambda xp, x: 2.5 * x - x / 3.0 + 1.0 - 0.5 / x,
        D.AWAY_FROM_ZERO,
        theme=("operator",),
        note="Python floats on both sides of every operator: weak scalars keep float32 float32",
    ),
    elementwise("op-scalar-base-power", lambda xp, x: 2.0**x, D.REAL, theme=("operator",)),
    elementwise(
        "op-integer-power",
        lambda xp, x: x**3 - 2 * x**2,
        D.REAL,
        theme=("operator",),
        note="Python int exponents; negative bases included (see traps for the array form)",
    ),
    Case(
        "op-matmul",
        lambda xp, a, b: a @ b,
        args=(Arg("a", D.REAL, matrix), Arg("b", D.REAL, lambda n: (n, 2))),
        output_shape=lambda n: (n, 2),
        sizes=Sizes(check=3, sweep=(10, 100, 1000)),
        tags={"operator"},
    ),
    Case(
        "op-transpose-attribute",
        lambda xp, a: a.T @ a,
        args=(Arg("a", D.REAL, lambda n: (n + 1, n)),),
        output_shape=matrix,
        sizes=Sizes(check=3, sweep=(10, 100, 1000)),
        tags={"operator"},
        note=".T, the one array attribute that computes",
    ),
]


# --- compositions -------------------------------------------------------------------------------
def _gaussian(xp: Any, x: Any) -> Any:
    return xp.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))


COMPOSITE_CASES = [
    elementwise("sin-of-exp-times-cos", lambda xp, x: xp.sin(xp.exp(x)) * xp.cos(x), D.REAL),
    elementwise("log-cosh", lambda xp, x: xp.log(xp.cosh(x)), D.REAL),
    elementwise("softsign", lambda xp, x: x / (1.0 + xp.abs(x)), D.AWAY_FROM_ZERO),
    elementwise("gaussian-density", _gaussian, D.REAL),
    elementwise(
        "nested-transcendental",
        lambda xp, x: xp.arctan(xp.sinh(xp.log1p(xp.square(x)))) + xp.cbrt(xp.tanh(x) + 2.0),
        D.REAL,
        note="a deep chain: one wrong local derivative shows up in the product",
    ),
]

CASES = UNARY_CASES + PIECEWISE_CASES + OPERATOR_CASES + COMPOSITE_CASES
