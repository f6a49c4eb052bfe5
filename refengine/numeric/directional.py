"""Directional derivatives J v: the oracle's one building block.

``directional`` evaluates ``f`` (plain NumPy, float64) on a ladder of steps along ``v`` and
returns a ``Derivative``. The same evaluations give central, right and left difference quotients;
Richardson extrapolation of each gives the value with an error bound, and the one-sided pair
decides whether ``f`` has a kink along ``v``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refengine.numeric.complex_step import complex_step
from refengine.numeric.config import OracleConfig
from refengine.numeric.evaluate import FlatFunction, Flattener, as_float64_args
from refengine.numeric.kinks import detect_kinks, kink_interval
from refengine.numeric.result import Derivative
from refengine.numeric.richardson import extrapolate
from refengine.numeric.steps import (
    EPS,
    DirectionScale,
    central_step,
    complex_step_size,
    ladder,
    perturb,
)

__all__ = ["directional", "directional_flat", "prepare"]


def prepare(
    f: Callable[..., Any], args: Sequence[Any]
) -> tuple[FlatFunction, np.ndarray, np.ndarray]:
    """Validate ``args``, wrap ``f`` as a flat function, evaluate it at the point."""
    x_args = as_float64_args(args)
    fun = FlatFunction(f, Flattener(x_args))
    x = fun.flattener.flatten(x_args)
    return fun, x, fun.at_point(x)


def directional(
    f: Callable[..., Any],
    args: Sequence[Any],
    tangents: Sequence[Any],
    *,
    config: OracleConfig | None = None,
) -> Derivative:
    """J v for ``f(*args)`` along ``tangents`` (one per argument), as a flat output vector."""
    fun, x, f0 = prepare(f, args)
    t_args = as_float64_args(tangents, what="tangent")
    if tuple(np.shape(t) for t in t_args) != fun.flattener.shapes:
        raise ValueError(
            f"tangent shapes {[np.shape(t) for t in t_args]} do not match argument shapes "
            f"{list(fun.flattener.shapes)}"
        )
    v = fun.flattener.flatten(t_args)
    return directional_flat(fun, x, v, f0, config or OracleConfig())


def directional_flat(
    fun: FlatFunction, x: np.ndarray, v: np.ndarray, f0: np.ndarray, config: OracleConfig
) -> Derivative:
    """J v on flat vectors, with ``f0 = fun(x)`` already known."""
    start = fun.count
    scale = DirectionScale(x, v, config)
    m = f0.size
    if scale.vmax == 0.0:
        zero = np.zeros(m)
        return Derivative(zero, zero.copy(), "exact", np.zeros(m, bool), zero, zero)
    if config.method == "central":
        result = _central(fun, x, v, f0, scale, config)
    elif config.method == "complex":
        result = _complex_or_richardson(fun, x, v, f0, scale, config)
    else:
        result = _ladder(fun, x, v, f0, scale, config)
        if config.method == "auto":
            result = _complex_if_consistent(fun, x, v, scale, result)
    return _finish(result, f0, fun.count - start)


def _finish(result: Derivative, f0: np.ndarray, evaluations: int) -> Derivative:
    """Mark entries where f itself is not finite, or no estimate exists, as invalid."""
    value, error = result.value.copy(), result.error.copy()
    reasons = [result.reason] if result.reason else []
    bad_f = ~np.isfinite(f0)
    if bad_f.any():
        i = int(np.argmax(bad_f))
        reasons.insert(0, f"f is not finite at the point (output entry {i} is {f0[i]})")
    value[bad_f] = np.nan
    error[bad_f] = np.inf
    ok = np.isfinite(value) & np.isfinite(error)
    if not ok.all() and not bad_f.any() and not result.reason:
        i = int(np.argmax(~ok))
        reasons.append(f"no finite difference gave an estimate for output entry {i}")
    error = np.where(ok, np.maximum(error, 2.0 * EPS * np.abs(value)), np.inf)
    value = np.where(ok, value, np.nan)
    return Derivative(
        value=value,
        error=error,
        method=result.method,
        kink=result.kink & ok,
        left=result.left,
        right=result.right,
        valid=bool(ok.all()),
        reason="; ".join(reasons),
        evaluations=evaluations,
    )


def _evaluate_ladder(
    fun: FlatFunction, x: np.ndarray, v: np.ndarray, steps: np.ndarray, scale: DirectionScale
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """f(x + h v), f(x - h v) and the effective steps for every usable h (NaN rows otherwise)."""
    m = fun.out_size or 0
    fp = np.full((steps.size, m), np.nan)
    fm = np.full((steps.size, m), np.nan)
    hp = steps.copy()
    hm = steps.copy()
    single = np.flatnonzero(scale.support)
    exact = int(single[0]) if single.size == 1 else None
    problems = []
    for k, h in enumerate(steps):
        xp, xm, why = perturb(x, v, float(h), scale.support)
        if why:
            problems.append(why)
            continue
        fp[k] = fun(xp)
        fm[k] = fun(xm)
        if exact is not None:
            # The step actually taken, after rounding x + h v (exact for most x anyway).
            hp[k] = (xp[exact] - x[exact]) / v[exact]
            hm[k] = (x[exact] - xm[exact]) / v[exact]
    return fp, fm, hp[:, None], hm[:, None], problems


def _ladder(
    fun: FlatFunction,
    x: np.ndarray,
    v: np.ndarray,
    f0: np.ndarray,
    scale: DirectionScale,
    config: OracleConfig,
) -> Derivative:
    steps = ladder(scale, config)
    fp, fm, hp, hm, problems = _evaluate_ladder(fun, x, v, steps, scale)
    if len(problems) == steps.size:
        return _invalid_like(f0, "richardson", problems[-1])
    opts = {"ratio": 2.0, "max_order": config.max_order, "safety": config.safety}
    with np.errstate(invalid="ignore", over="ignore"):
        central = (fp - fm) / (hp + hm)
        noise = _evaluation_noise(central, hp + hm, fp, fm, f0, config)
        central_floor = 2.0 * noise / (hp + hm)
        right = (fp - f0) / hp
        right_floor = 2.0 * noise / hp
        left = (f0 - fm) / hm
        left_floor = 2.0 * noise / hm
    value, error = extrapolate(central, central_floor, power=2, **opts)
    r_val, r_err = extrapolate(right, right_floor, power=1, **opts)
    l_val, l_err = extrapolate(left, left_floor, power=1, **opts)
    method, reason = "richardson", ""
    if config.method == "forward":
        value, error, method = r_val, r_err, "forward"
    elif config.method == "backward":
        value, error, method = l_val, l_err, "backward"
    kink = np.zeros(f0.size, dtype=bool)
    if config.detect_kinks:
        kink = detect_kinks(l_val, l_err, r_val, r_err, config)
        mid, half = kink_interval(l_val, l_err, r_val, r_err)
        value = np.where(kink, mid, value)
        error = np.where(kink, half, error)
    # At the edge of f's domain only one side exists: use it, and say so.
    missing = ~(np.isfinite(value) & np.isfinite(error))
    for side_val, side_err, side in ((r_val, r_err, "right"), (l_val, l_err, "left")):
        use = missing & np.isfinite(side_val) & np.isfinite(side_err)
        if use.any():
            value = np.where(use, side_val, value)
            error = np.where(use, side_err, error)
            missing &= ~use
            reason = f"only the {side}-sided difference exists for {int(use.sum())} entries"
    if missing.any() and problems:
        reason = "; ".join(filter(None, [reason, problems[-1]]))
    return Derivative(value, error, method, kink, l_val, r_val, True, reason)


def _evaluation_noise(
    central: np.ndarray,
    width: np.ndarray,
    fp: np.ndarray,
    fm: np.ndarray,
    f0: np.ndarray,
    config: OracleConfig,
    bottom: int = 4,
) -> np.ndarray:
    """The rounding noise in the values of ``f``, per level and output entry.

    At least ``roundoff * eps * |f|``; but ``f`` may cancel (a sum of large terms that is nearly
    zero), so the noise is also measured: on the smallest steps, the change of the central
    quotient between levels times the step is noise, not truncation error.
    """
    floor = config.roundoff * EPS * np.fmax(np.fmax(np.abs(fp), np.abs(fm)), np.abs(f0))
    jumps = np.abs(central[1:] - central[:-1]) * width[1:]
    finite = np.isfinite(jumps)
    rank_from_bottom = np.cumsum(finite[::-1], axis=0)[::-1]
    measured = np.where(finite & (rank_from_bottom <= bottom), jumps, 0.0).max(axis=0, initial=0.0)
    return np.fmax(floor, measured)


def _central(
    fun: FlatFunction,
    x: np.ndarray,
    v: np.ndarray,
    f0: np.ndarray,
    scale: DirectionScale,
    config: OracleConfig,
) -> Derivative:
    h = central_step(scale, config)
    steps = np.array([2.0 * h, h])
    fp, fm, hp, hm, problems = _evaluate_ladder(fun, x, v, steps, scale)
    if problems:
        return _invalid_like(f0, "central", problems[-1])
    with np.errstate(invalid="ignore", over="ignore"):
        d = (fp - fm) / (hp + hm)
        floor = config.roundoff * EPS * (np.abs(fp[1]) + np.abs(fm[1])) / (hp[1] + hm[1])
        error = config.safety * np.abs(d[1] - d[0]) / 3.0 + floor
    no_kink = np.zeros(f0.size, dtype=bool)
    return Derivative(d[1], error, "central", no_kink, None, None, True, "")


def _complex_or_richardson(
    fun: FlatFunction,
    x: np.ndarray,
    v: np.ndarray,
    f0: np.ndarray,
    scale: DirectionScale,
    config: OracleConfig,
) -> Derivative:
    """The complex step as asked; Richardson (saying why) when f refuses complex input."""
    got = complex_step(fun, x, v, complex_step_size(scale))
    if isinstance(got, str):
        rich = _ladder(fun, x, v, f0, scale, config)
        reason = "; ".join(filter(None, [f"complex step unavailable: {got}", rich.reason]))
        return Derivative(rich.value, rich.error, rich.method, rich.kink, rich.left, rich.right,
                          True, reason)
    value, error = got
    return Derivative(value, error, "complex", np.zeros(f0.size, bool), None, None, True, "")


def _complex_if_consistent(
    fun: FlatFunction, x: np.ndarray, v: np.ndarray, scale: DirectionScale, rich: Derivative
) -> Derivative:
    """Richardson's result, with complex-step values on its smooth entries if they agree.

    The complex step is used only if it agrees with Richardson within Richardson's error bound on
    every smooth entry: a function that is not real-analytic (abs, comparisons, conj) can return
    a complex result that is wrong without raising.
    """
    got = complex_step(fun, x, v, complex_step_size(scale))
    if isinstance(got, str):
        return rich
    cs_val, cs_err = got
    smooth = ~rich.kink & np.isfinite(rich.value) & np.isfinite(rich.error)
    if not np.all(np.abs(cs_val - rich.value)[smooth] <= rich.error[smooth]):
        return rich
    value = np.where(smooth, cs_val, rich.value)
    error = np.where(smooth, cs_err, rich.error)
    return Derivative(value, error, "complex", rich.kink, rich.left, rich.right, True,
                      rich.reason)


def _invalid_like(f0: np.ndarray, method: str, reason: str) -> Derivative:
    nan = np.full(f0.size, np.nan)
    return Derivative(nan, np.full(f0.size, np.inf), method, np.zeros(f0.size, bool),
                      None, None, False, reason)
