"""Directional derivatives J v: the oracle's one building block.

``directional`` evaluates ``f`` (plain NumPy, float64) on a ladder of steps along ``v`` and
returns a ``Derivative``. The same evaluations give central, right and left difference quotients;
Richardson extrapolation of each gives the value with an error bound, and the one-sided pair
decides whether ``f`` has a kink along ``v``. Where ``f`` jumps, the estimate is invalid; with
``OracleConfig.across_jumps`` it is the interval of the one-sided derivatives beside the point
instead (``refengine.numeric.jumps``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from refengine.numeric.complex_step import complex_step
from refengine.numeric.config import OracleConfig
from refengine.numeric.evaluate import FlatFunction, Flattener, as_float64_args
from refengine.numeric.jumps import beside_limits
from refengine.numeric.kink_detection import detect_kinks, kink_interval
from refengine.numeric.result import Derivative, invalid
from refengine.numeric.richardson import Extrapolation, contradicted, extrapolate
from refengine.numeric.steps import (
    EPS,
    DirectionScale,
    central_step,
    complex_step_size,
    ladder,
    perturb,
)

__all__ = ["directional", "directional_flat", "prepare", "scale_groups"]

# Extra ladder levels (a factor 2^24 in step) spent on suspicions that smaller steps may clear
# (a jump, an estimate the smallest steps contradict) before the answer is believed.
_SUSPICION_LEVELS = 24
# ... and never below this step, relative to the input's scale: further down, a function that
# is a small difference of large parts (exp(x) - 1 - x at 1e-6, whose exp(x) rounds to 2e-16
# while the value is 5e-13) changes by its exact parts only, and the quotient of those agrees
# with itself perfectly (-v there, against 1e-6 v).
_SUSPICION_DEPTH = 2.0**-40
# The backward error of f's evaluation, in units of eps * |x|, behind the conditioning term of
# every error bound (see ``_conditioning``).
_CONDITIONING = 64.0
# ... and its cap, relative to the value. The term assumes every evaluation carries a smooth
# backward error; a function that is ill-conditioned in its input but computed without one
# (log(x - 1 + 1e-12) at 1: x - 1 is exact) would get a bound of 1 % from it. Biases beyond this
# cap need a condition number beyond 1e8 at order 2; the checker's float64 rtol (1e-6) is
# larger anyway, so the cap keeps the bound from hiding wrong derivatives instead.
_CONDITIONING_CAP = 1e-7


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
    """J v for ``f(*args)`` along ``tangents`` (one per argument), as a flat output vector.

    ``evaluations`` counts every call of ``f``, the one at the point included.
    """
    fun, x, f0 = prepare(f, args)
    t_args = as_float64_args(tangents, what="tangent")
    if tuple(np.shape(t) for t in t_args) != fun.flattener.shapes:
        raise ValueError(
            f"tangent shapes {[np.shape(t) for t in t_args]} do not match argument shapes "
            f"{list(fun.flattener.shapes)}"
        )
    v = fun.flattener.flatten(t_args)
    result = directional_flat(fun, x, v, f0, config or OracleConfig())
    return replace(result, evaluations=fun.count)  # f(x) itself included


def directional_flat(
    fun: FlatFunction, x: np.ndarray, v: np.ndarray, f0: np.ndarray, config: OracleConfig
) -> Derivative:
    """J v on flat vectors, with ``f0 = fun(x)`` already known.

    A direction whose support spans more than ``2^32`` in scale (say entries near 1e-8 and
    1e8) has no step that suits all its entries: it is split into groups of similar scale, and
    the derivatives along the groups add up (values, error bounds and one-sided intervals).
    """
    start = fun.count
    groups = [None] if config.scale is not None else scale_groups(x, v)
    if len(groups) == 1:
        return _finish(_single_scale(fun, x, v, f0, config), f0, fun.count - start)
    parts = []
    for idx in groups:
        vg = np.zeros_like(v)
        vg[idx] = v[idx]
        parts.append(_single_scale(fun, x, vg, f0, config))
    total = Derivative(
        value=sum(p.value for p in parts),
        error=sum(p.error for p in parts),
        method="+".join(sorted({p.method for p in parts})),
        kink=np.logical_or.reduce([p.kink for p in parts]),
        left=None if any(p.left is None for p in parts) else sum(p.left for p in parts),
        right=None if any(p.right is None for p in parts) else sum(p.right for p in parts),
        valid=True,
        reason="; ".join(p.reason for p in parts if p.reason),
        jump=np.logical_or.reduce([p.jumps for p in parts]),
    )
    return _finish(total, f0, fun.count - start)


def scale_groups(x: np.ndarray, v: np.ndarray, spread: float = 2.0**32) -> list[np.ndarray]:
    """The direction's support, split into groups whose |x| differ by at most ``spread``.

    Zero entries count as scale 1. Most directions form one group.
    """
    idx = np.flatnonzero(v)
    mags = np.abs(x[idx])
    mags = np.where(mags > 0, mags, 1.0)
    if idx.size == 0 or mags.max() <= spread * mags.min():
        return [idx]
    order = np.argsort(mags)
    groups, start = [], 0
    for k in range(1, order.size + 1):
        if k == order.size or mags[order[k]] > spread * mags[order[start]]:
            groups.append(np.sort(idx[order[start:k]]))
            start = k
    return groups


def _single_scale(
    fun: FlatFunction, x: np.ndarray, v: np.ndarray, f0: np.ndarray, config: OracleConfig
) -> Derivative:
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
        result, conditioning = _ladder(fun, x, v, f0, scale, config)
        if config.method == "auto":
            result = _complex_if_consistent(fun, x, v, scale, result, conditioning)
    return result


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
        jump=None if result.jump is None else result.jump & ok,
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
) -> tuple[Derivative, np.ndarray]:
    """Richardson on a ladder of steps, and the conditioning term included in its bounds.

    The ladder is extended downwards where the truncation error still shrinks at its smallest
    step (a function that varies on a scale much finer than the input's, e.g. exp(50 x)), and,
    for at most ``_SUSPICION_LEVELS`` levels, where smaller steps might overturn the answer
    (``_suspicious``). Those suspicions also fire on a function noisier than ``eps * |f|``,
    whose small steps are rounding noise; so they only add information: an entry that has an
    estimate without those levels and none with them keeps the estimate without them.
    """
    steps = ladder(scale, config)
    fp, fm, hp, hm, problems = _evaluate_ladder(fun, x, v, steps, scale)
    central = _central_extrapolation(fp, fm, hp, hm, f0, config)
    before, base, settled = None, steps.size, None
    deepest = _SUSPICION_DEPTH * scale.big / scale.vmax
    while steps.size < config.max_levels:
        suspicious = (
            steps.size - base < _SUSPICION_LEVELS
            and steps[-1] * 0.5 >= deepest
            and _suspicious(central, fp, fm, hp, hm, f0, config, before)
        )
        unsettled = _unsettled(central, f0, steps.size)
        if not suspicious and not unsettled:
            break
        if not unsettled and settled is None:
            settled = steps.size
        before = central.measured_noise
        more = steps[-1] * 0.5 ** np.arange(1, min(8, config.max_levels - steps.size) + 1)
        ext = _evaluate_ladder(fun, x, v, more, scale)
        unresolved = _below_resolution(fp, fm, ext[0], ext[1], f0)
        new_fp, new_fm = (np.where(unresolved, np.nan, a) for a in ext[:2])
        steps = np.concatenate([steps, more])
        fp, fm, hp, hm = (
            np.concatenate([a, b]) for a, b in zip((fp, fm, hp, hm), (new_fp, new_fm, *ext[2:4]))
        )
        problems += ext[4]
        central = _central_extrapolation(fp, fm, hp, hm, f0, config)
        if len(ext[4]) == more.size or unresolved.any():
            break  # the steps underflow (in x or in f): smaller ones will not help
    if len(problems) == steps.size:
        return invalid(f0.size, "richardson", problems[0]), np.zeros(f0.size)
    result, conditioning = _conclude(fp, fm, hp, hm, f0, problems, x, v, config)
    if settled is None or result.ok.all():
        return result, conditioning
    rows = slice(0, settled)
    fallback, fallback_cond = _conclude(
        fp[rows], fm[rows], hp[rows], hm[rows], f0, problems, x, v, config
    )
    keep = ~result.ok & fallback.ok
    if not keep.any():
        return result, conditioning
    pick = lambda a, b: None if a is None or b is None else np.where(keep, b, a)
    ok = np.where(keep, True, result.ok)
    return Derivative(
        value=pick(result.value, fallback.value),
        error=pick(result.error, fallback.error),
        method=result.method,
        kink=pick(result.kink, fallback.kink),
        left=pick(result.left, fallback.left),
        right=pick(result.right, fallback.right),
        valid=True,
        reason=result.reason if not ok.all() else "",
        jump=pick(result.jump, fallback.jump),
    ), pick(conditioning, fallback_cond)


def _conclude(
    fp: np.ndarray,
    fm: np.ndarray,
    hp: np.ndarray,
    hm: np.ndarray,
    f0: np.ndarray,
    problems: list[str],
    x: np.ndarray,
    v: np.ndarray,
    config: OracleConfig,
) -> tuple[Derivative, np.ndarray]:
    """The Derivative from the ladder's evaluations: central value (or one-sided, as asked),
    kinks, jumps, missing entries; and its conditioning term."""
    central = _central_extrapolation(fp, fm, hp, hm, f0, config)
    opts = {"max_order": config.max_order, "safety": config.safety}
    noise = _noise(fp, fm, f0, config)
    with np.errstate(invalid="ignore", over="ignore"):
        right = _reliable(extrapolate((fp - f0) / hp, hp, noise, power=1, **opts))
        left = _reliable(extrapolate((f0 - fm) / hm, hm, noise, power=1, **opts))
    value, error = {"forward": right, "backward": left}.get(config.method, _reliable(central))
    conditioning = _conditioning(fp, fm, f0, hp, hm, central.level, x, v)
    with np.errstate(invalid="ignore"):
        conditioning = np.fmin(conditioning, _CONDITIONING_CAP * np.abs(value))
    error = error + conditioning
    method = config.method if config.method in ("forward", "backward") else "richardson"
    kink = np.zeros(f0.size, dtype=bool)
    if config.detect_kinks:
        kink = detect_kinks(*left, *right, config)
        mid, half = kink_interval(*left, *right)
        value = np.where(kink, mid, value)
        error = np.where(kink, half, error)
    reason = ""
    broken = _not_differentiable(fp, fm, f0, noise)
    jump = None
    if config.across_jumps:
        jump = np.zeros(f0.size, dtype=bool)
        if broken.any():
            value, error, kink, left, right, jump = _across(
                broken, value, error, kink, left, right, fp, fm, hp, hm, x, v, config
            )
            broken &= ~jump
    if broken.any():
        i = int(np.argmax(broken))
        reason = (
            f"f is not differentiable at the point along this direction (output entry {i}): "
            "|f(x +- h v) - f(x)| shrinks more slowly than h, a jump or an infinite slope"
        )
        value = np.where(broken, np.nan, value)
        kink &= ~broken
    missing = ~(np.isfinite(value) & np.isfinite(error)) & np.isfinite(f0) & ~broken
    if missing.any():
        reason = _why_missing(missing, left[0], right[0], problems)
    return Derivative(
        value, error, method, kink, left[0], right[0], True, reason, jump=jump
    ), conditioning


def _across(
    broken: np.ndarray,
    value: np.ndarray,
    error: np.ndarray,
    kink: np.ndarray,
    left: tuple[np.ndarray, np.ndarray],
    right: tuple[np.ndarray, np.ndarray],
    fp: np.ndarray,
    fm: np.ndarray,
    hp: np.ndarray,
    hm: np.ndarray,
    x: np.ndarray,
    v: np.ndarray,
    config: OracleConfig,
) -> tuple[np.ndarray, ...]:
    """Where f jumps (``broken``) and both one-sided derivatives beside the point exist: the
    interval they span, as a kink, with those derivatives as ``left`` and ``right``."""
    scale = DirectionScale(x, v, config)
    smallest = _SUSPICION_DEPTH * scale.big / scale.vmax
    bl, bl_err, br, br_err = beside_limits(fp, fm, hp, hm, config, smallest)
    jump = broken & np.isfinite(bl) & np.isfinite(br)
    mid, half = kink_interval(bl, bl_err, br, br_err)
    return (
        np.where(jump, mid, value),
        np.where(jump, half, error),
        kink | jump,
        (np.where(jump, bl, left[0]), left[1]),
        (np.where(jump, br, right[0]), right[1]),
        jump,
    )


def _conditioning(
    fp: np.ndarray,
    fm: np.ndarray,
    f0: np.ndarray,
    hp: np.ndarray,
    hm: np.ndarray,
    level: np.ndarray,
    x: np.ndarray,
    v: np.ndarray,
) -> np.ndarray:
    """Per entry: how far rounding of f's evaluation can move the derivative it shows.

    A float computation of ``f`` is, to first order, ``f`` at a perturbed point ``x + d`` with
    ``|d|`` a few ``eps * |x|`` (the backward error of a stable algorithm). For an LU-based
    inverse that perturbation barely changes between ``x + h v`` and ``x - h v``: it is not
    noise that the differences can see, but a bias, the derivative at ``x + d`` instead of at
    ``x``, which no step size removes (for an inverse of condition number 1e6 it reaches 1e-9
    relative at order 2, far above the extrapolation's error estimate). Its size is the change of
    ``J v`` along ``d``: the curvature along ``v`` (the second difference at the level the value
    came from) stands in for the curvature along ``d``, times ``|d|`` in units of ``v``
    (``_backward_error_size``) and a factor ``_CONDITIONING`` for the backward error's size.
    For a well-conditioned ``f`` the term is a few hundred ``eps * |f''| |x|``, below the other
    error terms. (Measured on inverses of condition 1e4 to 1e8 against 50-digit mpmath: with it
    the bounds cover every entry up to condition 1e6; a random-sign probe of the curvature along
    ``d`` itself, at two evaluations more, missed entries whose bias it cancelled.)
    """
    cols = np.arange(f0.size)
    row = np.clip(level, 0, None)
    with np.errstate(invalid="ignore", over="ignore"):
        second = np.abs(fp[row, cols] - 2.0 * f0 + fm[row, cols]) / (hp[row, 0] * hm[row, 0])
        bias = _CONDITIONING * EPS * _backward_error_size(x, v) * second
    return np.where((level >= 0) & np.isfinite(bias), bias, 0.0)


def _backward_error_size(x: np.ndarray, v: np.ndarray) -> float:
    """The size of a backward error ``eps * |x|``, in units of ``v`` and of ``eps``.

    A coupled computation (an inverse, a factorization) spreads the rounding of every entry of
    ``x`` over its result, so the norm of all of ``x`` counts, not only the direction's support.
    A direction across entries of very different scale (1e-8 and 1) is not penalised with the
    scale of the largest, though: a separable ``f`` (``sum(log(x))``) has no such coupling, and
    charging the curvature of ``log`` at 1e-8 with an error of size 1 would inflate the bound a
    hundred million times. So the norm is capped at 1024 times the direction's small scale.
    """
    support = v != 0
    vmax = float(np.max(np.abs(v[support]))) if support.any() else 0.0
    if vmax == 0.0:
        return 0.0
    size = float(np.linalg.norm(x) / np.linalg.norm(v))
    mags = np.abs(x[support])
    mags = mags[mags > 0]
    if mags.size:
        size = min(size, 1024.0 * float(np.quantile(mags, 0.01, method="lower")) / vmax)
    return size


def _reliable(e: Extrapolation) -> tuple[np.ndarray, np.ndarray]:
    """Value and error, NaN and inf where the value is not from the asymptotic range of steps
    (there the error estimate is not reliable)."""
    return np.where(e.trusted, e.value, np.nan), np.where(e.trusted, e.error, np.inf)


def _not_differentiable(
    fp: np.ndarray, fm: np.ndarray, f0: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """Entries where a one-sided change of f does not shrink like h on the smallest steps.

    For a differentiable f, |f(x + h v) - f(x)| halves (or faster) when h halves; for a jump it
    stays put, for an infinite slope (sqrt(|x|) at 0) it shrinks like h^alpha, alpha < 1. Kinks
    (|x| at 0) are differentiable from each side and are not flagged. Changes within a thousand
    times the rounding noise are not judged.
    """
    flags = np.zeros(f0.size, dtype=bool)
    for side in (fp, fm):
        change = np.abs(side - f0)
        finite = np.isfinite(change)
        rank = np.cumsum(finite[::-1], axis=0)[::-1]  # 1 at the smallest finite step
        last = np.where(finite & (rank == 1), change, 0.0).sum(axis=0)
        before = np.where(finite & (rank == 2), change, 0.0).sum(axis=0)
        level_noise = np.where(finite & (rank == 1), noise, 0.0).sum(axis=0)
        usable = finite.sum(axis=0) >= 2
        with np.errstate(divide="ignore", invalid="ignore"):
            slow = last > 0.6 * before
        flags |= usable & slow & (last > 1e3 * level_noise)
    return flags


def _why_missing(
    missing: np.ndarray, left: np.ndarray, right: np.ndarray, problems: list[str]
) -> str:
    """Say why some entries have no estimate (they are reported invalid, never guessed)."""
    i = int(np.argmax(missing))
    sides = [name for name, side in (("left", left), ("right", right)) if np.isfinite(side[i])]
    if len(sides) == 1:
        return (
            f"output entry {i}: f is defined only on the {sides[0]} of the point (an edge of "
            f"its domain); the {sides[0]}-sided estimate is in Derivative.{sides[0]}"
        )
    if problems:
        return f"no usable step for output entry {i}: {problems[0]}"
    return (
        f"no estimate for output entry {i}: the difference quotients do not settle down to the "
        "smallest step (f varies on a finer scale than any usable step)"
    )


def _noise(fp: np.ndarray, fm: np.ndarray, f0: np.ndarray, config: OracleConfig) -> np.ndarray:
    """The assumed rounding error of each value of f: ``roundoff * eps * |f|``."""
    return config.roundoff * EPS * np.fmax(np.fmax(np.abs(fp), np.abs(fm)), np.abs(f0))


def _central_extrapolation(
    fp: np.ndarray,
    fm: np.ndarray,
    hp: np.ndarray,
    hm: np.ndarray,
    f0: np.ndarray,
    config: OracleConfig,
) -> Extrapolation:
    with np.errstate(invalid="ignore", over="ignore"):
        return extrapolate(
            (fp - fm) / (hp + hm),
            hp + hm,
            _noise(fp, fm, f0, config),
            power=2,
            max_order=config.max_order,
            safety=config.safety,
        )


def _below_resolution(
    fp: np.ndarray, fm: np.ndarray, new_fp: np.ndarray, new_fm: np.ndarray, f0: np.ndarray
) -> np.ndarray:
    """Rows of an extension (per entry) whose steps left f unchanged on both sides, where a
    wider step did change it: the steps went below f's resolution.

    ``(1e8 + sin(x)) - 1e8`` has a resolution of 1.5e-8, not ``eps * |f|``: steps under it give
    ``f(x + h v) == f(x) == f(x - h v)`` and the quotient 0, which agrees with itself so well
    that it would win. A function constant near x looks the same from its quotients, and is
    told apart only when the ladder's own steps reach the constant part (relu at -1e-3, whose
    widest steps cross 0, keeps its zeros); reached by extending alone (``max(x - 1e-6, 0) +
    max(-x - 2e-6, 0)`` at 0) it is reported without an estimate, never with a wrong one.
    """
    changed = np.isfinite(fp) & np.isfinite(fm) & ((fp != f0) | (fm != f0))
    return (new_fp == f0) & (new_fm == f0) & changed.any(axis=0)


def _unsettled(central: Extrapolation, f0: np.ndarray, levels: int) -> bool:
    """Is the truncation error still shrinking at the smallest steps for some entry?

    Either its best value comes from one of the two smallest steps, or no step is in the
    asymptotic range yet (no finite central difference at all: the point is closer to the edge
    of f's domain than the steps; or the quotients do not settle: f varies on a finer scale).
    """
    hopeless = ~np.isfinite(f0)
    at_bottom = central.level >= levels - 2
    return bool(np.any((at_bottom | ~central.trusted) & ~hopeless))


def _suspicious(
    central: Extrapolation,
    fp: np.ndarray,
    fm: np.ndarray,
    hp: np.ndarray,
    hm: np.ndarray,
    f0: np.ndarray,
    config: OracleConfig,
    before: np.ndarray | None,
) -> bool:
    """Might smaller steps overturn the answer for some entry? (Worth a bounded extension.)

    - f looks like it jumps: a bump narrower than the smallest step (1e6 sech^2(1e7 x) on a
      ladder ending at 6e-5) looks like a jump until the steps resolve it; a real jump stays one
      on every scale.
    - The smallest steps' quotients contradict the best value beyond the a-priori rounding
      floor ``roundoff * eps * |f|`` (within the extrapolation the measured noise is used, and
      on steps too wide for f that "noise" is truncation error that hides the contradiction).
    - The best error is a hundred times the rounding floor of the smallest step: rounding does
      not limit it, truncation may (an ill-conditioned function whose quotients wander and
      agree by accident at some wide step, with the quotients of the smallest steps still
      changing so much that their "noise" hides the truth). It holds while extending pays:
      after an extension, only if the noise measured on the smallest steps (``before``: as
      measured before the extension) changed by more than a factor 2 (it shrinks where the
      truncation error dies away, grows where the steps approach the scale of f's feature);
      rounding noise stays put.

    A function noisier than ``eps * |f|`` can keep the second true; the extension is bounded
    (``_SUSPICION_LEVELS``) for that reason.
    """
    hopeless = ~np.isfinite(f0)
    noise = _noise(fp, fm, f0, config)
    if np.any(_not_differentiable(fp, fm, f0, noise) & ~hopeless):
        return True
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        quotients = (fp - fm) / (hp + hm)
        floor = 2.0 * noise / (hp + hm)
    found = central.level >= 0
    if np.any(
        found
        & ~hopeless
        & contradicted(quotients, floor, central.value, central.error, central.level,
                       central.column)
    ):
        return True
    with np.errstate(invalid="ignore"):
        improvable = central.error > 100.0 * _finest(floor)
        if before is not None:
            change = central.measured_noise / before
            improvable &= (change < 0.5) | (change > 2.0)
    return bool(np.any(improvable & ~hopeless))


def _finest(rows: np.ndarray) -> np.ndarray:
    """Per entry (column): the value in the last row where it is finite (inf if none)."""
    finite = np.isfinite(rows)
    rank = np.cumsum(finite[::-1], axis=0)[::-1]
    last = finite & (rank == 1)
    return np.where(last.any(axis=0), np.where(last, rows, 0.0).sum(axis=0), np.inf)


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
        return invalid(f0.size, "central", problems[0])
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
        rich = _ladder(fun, x, v, f0, scale, config)[0]
        reason = "; ".join(filter(None, [f"complex step unavailable: {got}", rich.reason]))
        return Derivative(
            rich.value, rich.error, rich.method, rich.kink, rich.left, rich.right, True, reason,
            jump=rich.jump,
        )
    value, error = got
    return Derivative(value, error, "complex", np.zeros(f0.size, bool), None, None, True, "")


def _complex_if_consistent(
    fun: FlatFunction,
    x: np.ndarray,
    v: np.ndarray,
    scale: DirectionScale,
    rich: Derivative,
    conditioning: np.ndarray,
) -> Derivative:
    """Richardson's result, with complex-step values on its smooth entries if they agree.

    The complex step is used only if it agrees with Richardson within Richardson's error bound on
    every smooth entry: a function that is not real-analytic (abs, comparisons, conj, a Hermitian
    factorization such as Cholesky) can return a complex result that is wrong without raising.
    """
    smooth = ~rich.kink & np.isfinite(rich.value) & np.isfinite(rich.error)
    got = complex_step(fun, x, v, complex_step_size(scale), smooth)
    if isinstance(got, str):
        return rich
    cs_val, cs_err = got
    if not np.all(np.abs(cs_val - rich.value)[smooth] <= rich.error[smooth]):
        return rich
    # Two independent methods agree to within |cs - rich|; the complex step's own estimate can
    # miss rounding inside f's complex implementation, so its bound is at least that gap. Its
    # evaluation of f has the same backward error as Richardson's: the conditioning term too.
    value = np.where(smooth, cs_val, rich.value)
    cs_bound = np.fmax(cs_err, np.abs(cs_val - rich.value)) + conditioning
    error = np.where(smooth, cs_bound, rich.error)
    return Derivative(
        value, error, "complex", rich.kink, rich.left, rich.right, True, rich.reason,
        jump=rich.jump,
    )
