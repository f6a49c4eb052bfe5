"""Traps: functions whose values are finite and whose true derivatives are finite too, but
whose naive derivative computation meets NaN or inf.

- The ``where`` NaN trap: NaN (or inf) in the unselected branch. The selected value is fine,
  but reverse mode multiplies the unselected branch's local derivative (NaN or inf) by a zero
  cotangent, and NaN * 0 is NaN. Every major framework leaks it (JAX FAQ, "double where").
- 0 * inf inside a gradient: a factor that is zero by construction times a local derivative
  that is infinite.
- Integer powers of negative numbers: x**y with x < 0 is fine for whole y, but a derivative
  computed through exp(y log x) is not; the exponent's own derivative x**y log(x) is NaN.

The expected derivative (where one exists) is in each note; the conformance suite records
which frameworks fall in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Kink, vector
from cases.library._helpers import ELEMENTWISE, rows

__all__ = ["CASES"]


def _t(name: str, fn: Any, args: tuple[Arg, ...], out: Any = vector, **kw: Any) -> Case:
    tags = {"trap"} | set(kw.pop("tags", ()))
    return Case(name, fn, args=args, output_shape=out, sizes=kw.pop("sizes", ELEMENTWISE),
                tags=tags, **kw)


ZEROS_AT_1_3 = {(1,): 0.0, (3,): 0.0}


def _where_sqrt(xp: Any, x: Any) -> Any:
    return xp.where(x > 0.0, xp.sqrt(x), xp.zeros_like(x))


def _where_log(xp: Any, x: Any) -> Any:
    return xp.where(x > 0.0, xp.log(x), x)


def _where_division(xp: Any, x: Any, y: Any) -> Any:
    return xp.where(y != 0.0, x / y, x)


def _double_where(xp: Any, x: Any) -> Any:
    # The fix: make the unselected branch's input harmless before the op, then select.
    safe = xp.where(x > 0.0, x, xp.ones_like(x))
    return xp.where(x > 0.0, xp.sqrt(safe), xp.zeros_like(x))


def _masked_softmax(xp: Any, x: Any, m: Any) -> Any:
    return xp.special.softmax(xp.where(m, x, -np.inf), axis=-1)


def _masked_sampler(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    mask = rng.uniform(size=(3, n)) < 0.5
    mask[:, 0] = True  # every row keeps at least one logit, so no row is all -inf
    return rng.normal(size=(3, n)), mask


def _zero_weight_sampler(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(0.25, 3.0, size=n)
    c = np.ones(n)
    x[[1, 3]] = 0.0
    c[[1, 3]] = 0.0
    return c, x


WHERE = [
    _t("where-nan-sqrt", _where_sqrt, (Arg("x", D.AWAY_FROM_ZERO),),
       tags={"nan-trap"},
       note="sqrt(x < 0) is NaN in the unselected branch; the true derivative there is 0"),
    _t("where-nan-log", _where_log, (Arg("x", D.AWAY_FROM_ZERO),), tags={"nan-trap"},
       note="log(x < 0) is NaN in the unselected branch; the true derivative there is 1"),
    _t("where-division-by-zero", _where_division,
       (Arg("x", D.REAL), Arg("y", D.with_points(D.AWAY_FROM_ZERO, ZEROS_AT_1_3))),
       tags={"nan-trap"},
       note="x / 0 is inf (unselected) where y = 0; there d/dx = 1 and d/dy = 0 are exact"),
    _t("where-double-safe", _double_where, (Arg("x", D.AWAY_FROM_ZERO),),
       note="the double-where fix: finite everywhere; a control for where-nan-sqrt"),
    _t("masked-softmax-neg-inf", _masked_softmax,
       (Arg("x", D.REAL, rows), Arg("m", D.booleans(), rows, diff=False)), rows,
       sampler=_masked_sampler,
       note="-inf in the selected branch's operand, not the unselected one: finite everywhere "
            "(a control; an all-masked row would be NaN and is avoided)"),
]

ZERO_TIMES_INF = [
    _t("zero-times-inf", lambda xp, c, x: c * xp.sqrt(x),
       (Arg("c", D.ZERO_OR_ONE, diff=False), Arg("x", D.with_points(D.POSITIVE, ZEROS_AT_1_3))),
       sampler=_zero_weight_sampler, tags={"nan-trap"},
       kinks=(Kink("x", (1,), 0.0, "domain-boundary", "sqrt'(0) = inf times c = 0"),
              Kink("x", (3,), 0.0, "domain-boundary")),
       note="c * sqrt(x) with c = 0 where x = 0: the entry is identically 0 for x >= 0, so "
            "the one-sided derivative is 0; the chain rule gives 0 * inf = NaN"),
    _t("sqrt-of-square-at-zero", lambda xp, x: xp.sqrt(x * x),
       (Arg("x", D.with_points(D.AWAY_FROM_ZERO, {(2,): 0.0})),), tags={"nan-trap"},
       kinks=(Kink("x", (2,), 0.0, "abs-at-zero", "sqrt(x^2) = |x|: 0 * inf = NaN at 0"),),
       note="|x| written as sqrt(x^2): the chain rule meets 0 * inf (2x times 1 / (2 sqrt 0))"),
    _t("xlogy-zero-zero", lambda xp, x, y: xp.special.xlogy(x, y),
       (Arg("x", D.with_points(D.REAL, {(1,): 0.0})),
        Arg("y", D.with_points(D.POSITIVE, {(1,): 0.0}))),
       kinks=(Kink("y", (1,), 0.0, "domain-boundary", "xlogy(0, 0) = 0; d/dy = x / y = 0/0"),),
       note="xlogy(0, y) = 0 for every y, so the value is 0 at (0, 0); d/dx is log(0) = -inf"),
]

POWERS = [
    _t("power-negative-base-whole-exponent", lambda xp, x, y: xp.power(x, y),
       (Arg("x", D.NEGATIVE), Arg("y", D.integer_valued(1, 4), diff=False)),
       note="whole exponents as a float array: d/dx = y x^(y-1) is finite; a rule through "
            "exp(y log x) gives NaN"),
    _t("power-negative-base-exponent-gradient", lambda xp, x, y: xp.power(x, y),
       (Arg("x", D.NEGATIVE), Arg("y", D.integer_valued(1, 4))),
       note="d/dy = x^y log(x) has no real value for x < 0 (NaN is the honest answer); d/dx is "
            "finite"),
    _t("power-operator-negative-base", lambda xp, x: x**2 + x**3 - x**3.0,
       (Arg("x", D.NEGATIVE),), note="Python int and whole float exponents"),
]

CASES = WHERE + ZERO_TIMES_INF + POWERS
