"""The Taylor remainder test: a second, step-free opinion on an AD directional derivative.

For ``f`` smooth at ``x`` and a claimed directional derivative ``g`` (AD's ``J v``), the
remainder

    r(h) = |f(x + h v) - f(x) - h g|

is ``|d| h + O(h^2)`` with ``d = g - J v`` the error of the claim. A right ``g`` leaves
``O(h^2)``: slope 2 on a log-log plot. A wrong one leaves ``|d| h``, slope 1, once ``h`` is small
enough that the linear term outgrows the curvature term, and until rounding (``eps * |f|``, or
the noise ``f`` actually shows) swamps both. No single step is trusted: the test follows ``r``
over a geometric range of steps, from the oracle's widest one down to the rounding floor, and
judges the slope on the smallest steps that still stand clear of it. Steps wider than ``f``'s
features, where the remainder obeys no power law, are thereby ignored without being named.

Both sides are looked at: ``q(h) = r(h) / h`` tends to ``|d|`` from the right and from the left
for a smooth ``f``. At a kink along ``v`` the one-sided derivatives differ, so ``q`` tends to two
different limits (or slope 1 on one side only): the test says so and decides nothing.

Per output entry the verdict is ``"right"`` (superlinear on both sides, and the error bound
that implies is within the tolerance, or a linear term is seen but smaller than the tolerance),
``"wrong"`` (slope 1 on both sides with the same limit, beyond the tolerance) or ``"unclear"``;
the entries combine into one ``TaylorResult`` (any wrong entry makes it wrong, else any unclear
one unclear).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from refengine.numeric.config import OracleConfig
from refengine.numeric.differences import prepare
from refengine.numeric.evaluate import FlatFunction, as_float64_args, flatten_output
from refengine.numeric.resolution import resolution
from refengine.numeric.steps import EPS, DirectionScale, ladder, perturb

__all__ = ["VERDICTS", "TaylorResult", "taylor_test", "taylor_test_flat"]

VERDICTS = ("right", "wrong", "unclear")

_WINDOW = 4  # points (3 halvings) the slope is fitted on
_CLEAR = 8.0  # a remainder counts when it is this many times its rounding floor
_AT_FLOOR = 2.0  # ... and is at the floor below twice that floor
_LINEAR, _QUADRATIC = 1.35, 1.65  # slope classes: <= linear, >= quadratic (between: mixed)
_FLAT = 0.1  # f's change over a step, relative to h g, below which f counts as flat
_SAME_LIMIT = 0.25  # one-sided limits of q agree when they differ by at most this fraction
_AT_FLOOR_WORDS = "at its rounding floor on every step"
_STEADY = 1.5  # f's one-sided change "stays put" over a window when it varies at most this much
_CHUNK = 8  # levels evaluated at a time
_TAIL = 8  # smallest steps the noise is read from
# The smallest step, relative to the input's scale. Below it an ill-conditioned f (an LU-based
# inverse) shares its rounding pattern between x and x + h v, and the difference of the two
# computed values has a slope of its own (1e-5 relative at condition 1e6 and h = 1e-13) that
# would read as a wrong derivative.
_SMALLEST = 2.0**-40


@dataclass(frozen=True, eq=False)
class TaylorResult:
    """The Taylor remainder test's answer.

    ``verdict`` is one of ``VERDICTS``; ``reason`` says why in words. ``slope_right`` and
    ``slope_left`` are the log-log slopes of ``r(h)`` fitted on the smallest clear steps of the
    deciding output entry (``entry``, a flat index), for ``+h`` and ``-h`` (NaN where no such
    steps). ``error_estimate`` estimates ``|g - J v|`` for that entry: ``r(h) / h`` on the
    smallest clear step for a linear remainder; for a superlinear one, an upper bound (the
    intercept of ``r(h) / h`` against ``h``, plus its misfit and the rounding floor).
    ``tolerance`` is what it was compared with. The arrays hold the steps, the signed one-sided
    quotients ``q = (f(x +- h v) - f(x)) / (+-h) - g`` (levels x entries) and the rounding floor
    of ``r`` (the larger of ``eps * |f|`` and the noise seen on the smallest steps).
    """

    verdict: str
    reason: str
    slope_right: float
    slope_left: float
    error_estimate: float
    tolerance: float
    entry: int | None
    steps: np.ndarray
    q_right: np.ndarray
    q_left: np.ndarray
    floor: np.ndarray
    evaluations: int

    @property
    def slopes(self) -> tuple[float, float]:
        return self.slope_right, self.slope_left


def taylor_test(
    f: Callable[..., Any],
    args: Sequence[Any],
    tangents: Sequence[Any],
    jv: Any,
    *,
    cotangent: Any = None,
    tolerance: float | np.ndarray | None = None,
    rtol: float = 1e-6,
    max_levels: int = 64,
    config: OracleConfig | None = None,
) -> TaylorResult:
    """Test the claim ``jv`` = J v for ``f(*args)`` (float64 NumPy) along ``tangents``.

    ``jv`` is shaped like ``f``'s output (any tree of arrays, flattened in the oracle's order).
    With ``cotangent`` ``u`` the test is on the scalar ``u . f`` and ``jv`` is the claimed
    ``u . J v`` (for reverse mode: ``<J^T u, v>`` from a VJP). ``tolerance`` (scalar or one per
    output entry) is the error of ``jv`` that counts as right; by default ``rtol`` times
    ``|jv|``, per entry, plus ``rtol`` times its largest value over the entries (the checker's
    rule for float64).
    """
    fun, x, f0 = prepare(f, args)
    t_args = as_float64_args(tangents, what="tangent")
    if tuple(np.shape(t) for t in t_args) != fun.flattener.shapes:
        raise ValueError(
            f"tangent shapes {[np.shape(t) for t in t_args]} do not match argument shapes "
            f"{list(fun.flattener.shapes)}"
        )
    v = fun.flattener.flatten(t_args)
    u = None if cotangent is None else flatten_output(cotangent).astype(np.float64)
    if u is not None and u.size != f0.size:
        raise ValueError(f"cotangent has {u.size} entries, f has {f0.size} outputs")
    claim = flatten_output(jv).astype(np.float64)
    expected = 1 if u is not None else f0.size
    if claim.size != expected:
        raise ValueError(f"jv has {claim.size} entries, expected {expected}")
    result = taylor_test_flat(
        fun, x, v, f0, claim, u=u, tolerance=tolerance, rtol=rtol, max_levels=max_levels,
        config=config or OracleConfig(),
    )
    return replace(result, evaluations=fun.count)  # f(x) itself included


def taylor_test_flat(
    fun: FlatFunction,
    x: np.ndarray,
    v: np.ndarray,
    f0: np.ndarray,
    jv: np.ndarray,
    *,
    u: np.ndarray | None = None,
    tolerance: float | np.ndarray | None = None,
    rtol: float = 1e-6,
    max_levels: int = 64,
    config: OracleConfig,
) -> TaylorResult:
    """``taylor_test`` on flat vectors, with ``f0 = fun(x)`` already known.

    A claim that is not finite (AD's NaN) is tested as 0: if that shows ``f`` has a finite
    derivative along ``v`` (right or wrong), the NaN is wrong; otherwise unclear.
    """
    start = fun.count
    claimed = np.asarray(jv, dtype=np.float64)
    jv = np.where(np.isfinite(claimed), claimed, 0.0)
    project = (lambda y: y) if u is None else (lambda y: np.atleast_1d(u @ y))
    magnitude = np.abs if u is None else (lambda y: np.atleast_1d(np.abs(u) @ np.abs(y)))
    g0 = project(f0)
    if not np.all(np.isfinite(g0)):
        return _unclear_everywhere(g0.size, "f is not finite at the point", fun.count - start)
    scale = DirectionScale(x, v, config)
    if scale.vmax == 0.0:
        return _unclear_everywhere(g0.size, "the direction is zero", fun.count - start)
    top = float(ladder(scale, config)[0])
    smallest = _SMALLEST * scale.big / scale.vmax
    steps, ups, downs, moved, why = [], [], [], [], ""
    while len(steps) < max_levels and not why:
        for h in top * 0.5 ** np.arange(len(steps), min(len(steps) + _CHUNK, max_levels)):
            if h < smallest:
                why = f"the steps reached {smallest:.3g}, the smallest the test uses"
                break
            xp, xm, why = perturb(x, v, float(h), scale.support)
            if why:
                break
            steps.append(float(h))
            ups.append(fun(xp))
            downs.append(fun(xm))
            # Rounding x +- h v moves the step (not for power-of-two steps along unit or sign
            # directions, mostly): r then changes by about |g| times that.
            with np.errstate(invalid="ignore", over="ignore"):
                off = np.fmax(np.abs((xp - x) - h * v), np.abs((x - xm) - h * v))
            moved.append(2.0 * float(np.max(off[scale.support])) / scale.vmax)
        if len(steps) >= _WINDOW and _all_at_floor(
            steps, ups, downs, moved, f0, g0, jv, project, magnitude, config
        ):
            break
    evaluations = fun.count - start
    if len(steps) < _WINDOW:
        return _unclear_everywhere(g0.size, f"too few usable steps ({why})", evaluations)
    h = np.asarray(steps)[:, None]
    fp = np.stack([project(y) for y in ups])
    fm = np.stack([project(y) for y in downs])
    # The grid f's values live on (sqrt(1 + x) - 1 near 0: multiples of 2^-52). With power-of-
    # two steps it is no noise but a systematic error, f(x + h) - f(x) = round(f' h / q) q with
    # the same relative error on every small step: a remainder exactly linear in h, which only
    # the grid's size tells from a wrong claim.
    grid = resolution(np.stack(ups), np.stack(downs), f0)
    grid = grid if u is None else np.atleast_1d(np.abs(u) @ grid)
    unresolved = _below_resolution(fp, fm, g0)
    fp, fm = np.where(unresolved, np.nan, fp), np.where(unresolved, np.nan, fm)
    with np.errstate(invalid="ignore", over="ignore"):
        q_right = (fp - g0) / h - jv
        q_left = (g0 - fm) / h - jv
        assumed = _floor(ups, downs, moved, f0, h, jv, magnitude, config)
        floor = assumed
        floor = np.fmax(floor, _noise_seen(q_right, q_left, h))
        floor = np.fmax(floor, grid)
    if tolerance is None:
        tol = rtol * (np.abs(jv) + np.max(np.abs(jv), initial=0.0))
    else:
        tol = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), g0.shape)
        tol = np.where(np.isfinite(claimed) | np.isfinite(tol), tol, 0.0)
    right = _one_side(q_right, h, floor, assumed, jv)
    left = _one_side(q_left, h, floor, assumed, jv)
    return _combine(right, left, tol, claimed, h[:, 0], q_right, q_left, floor, evaluations)


# -- evaluation --------------------------------------------------------------------------------


def _floor(
    ups: list[np.ndarray],
    downs: list[np.ndarray],
    moved: list[float],
    f0: np.ndarray,
    h: np.ndarray,
    jv: np.ndarray,
    magnitude: Callable[[np.ndarray], np.ndarray],
    config: OracleConfig,
) -> np.ndarray:
    """The a-priori rounding floor of ``r(h)``: ``roundoff * eps`` times the size of the values
    subtracted (``f`` at both points, through the cotangent's absolute values), plus the rounding
    of ``h g`` and that of the step itself."""
    big = np.stack([np.fmax(magnitude(a), magnitude(b)) for a, b in zip(ups, downs)])
    shift = np.asarray(moved)[:, None] * np.abs(jv)
    return config.roundoff * EPS * (big + magnitude(f0)) + EPS * h * np.abs(jv) + shift


def _all_at_floor(
    steps: list[float],
    ups: list[np.ndarray],
    downs: list[np.ndarray],
    moved: list[float],
    f0: np.ndarray,
    g0: np.ndarray,
    jv: np.ndarray,
    project: Callable[[np.ndarray], np.ndarray],
    magnitude: Callable[[np.ndarray], np.ndarray],
    config: OracleConfig,
) -> bool:
    """Have the last ``_WINDOW`` steps reached the rounding floor on both sides, every entry?
    (Smaller steps would show nothing but rounding.)"""
    n = _WINDOW
    h = np.asarray(steps[-n:])[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        rp = np.abs(np.stack([project(y) for y in ups[-n:]]) - g0 - h * jv)
        rm = np.abs(np.stack([project(y) for y in downs[-n:]]) - g0 + h * jv)
        fl = _floor(ups[-n:], downs[-n:], moved[-n:], f0, h, jv, magnitude, config)
    return bool(np.all((rp <= _AT_FLOOR * fl) & (rm <= _AT_FLOOR * fl)))


def _below_resolution(fp: np.ndarray, fm: np.ndarray, g0: np.ndarray) -> np.ndarray:
    """Steps (per entry) that leave f unchanged on both sides although a wider step changed it:
    below f's resolution, where r(h) = h |g| is no evidence of anything. ((1e8 + sin x) - 1e8
    resolves 1.5e-8 only; its remainder on smaller steps would read slope 1, "wrong".)"""
    same = (fp == g0) & (fm == g0)
    changed = np.isfinite(fp) & np.isfinite(fm) & ~same
    wider_changed = np.cumsum(changed, axis=0) > 0
    return same & wider_changed


def _noise_seen(q_right: np.ndarray, q_left: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Rounding noise of ``r`` seen on the smallest steps, per entry: ``f`` may be noisier than
    ``eps * |f|`` (an ill-conditioned inverse; ``log(1 + x) - x``, whose ``1 + x`` rounds to
    1e-16 while the value is 5e-5).

    The mean of the one-sided quotients, ``(q_right + q_left) / 2 = d + O(h^2) + noise / h``,
    is free of the curvature term: on the ``_TAIL`` smallest steps it has settled on ``d``, and
    how far it strays from its median there, times h, is the noise of ``r``, whatever ``d`` is
    (the oracle's measured noise is the same idea). Rounding on a coarse grid can hold it still
    for a few steps, so the tail is longer than a window.
    """
    out = np.zeros(q_right.shape[1])
    odd = 0.5 * (q_right + q_left)
    for i in range(out.size):
        ok = np.isfinite(odd[:, i])
        tail, steps = odd[ok, i][-_TAIL:], h[ok, 0][-_TAIL:]
        if tail.size >= 2:
            out[i] = float(np.max(np.abs(tail - np.median(tail)) * steps))
    return out


# -- one side ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    status: np.ndarray  # per entry: "linear", "quadratic", "mixed", "exact", "jump" or "none"
    slope: np.ndarray  # fitted log-log slope of r in the window (NaN: no window)
    limit: np.ndarray  # signed q on the window's smallest step (the one-sided error of g)
    intercept: np.ndarray  # signed intercept of q(h) = d + c h fitted on the window: d
    spread: np.ndarray  # its uncertainty: twice the misfit plus q's rounding floor
    change: np.ndarray  # signed one-sided change of f on the smallest finite step


def _one_side(
    q: np.ndarray, h: np.ndarray, floor: np.ndarray, assumed: np.ndarray, jv: np.ndarray
) -> _Side:
    """Classify the remainder on one side, per entry, from its smallest clear window of steps.

    A step is clear when ``r`` is ``_CLEAR`` times its floor; a window is ``_WINDOW`` clear steps
    in a row over which ``r`` shrinks at least like ``sqrt(h)`` from one to the next (rounding
    noise does not), the one at the smallest steps is taken, and only if no clear step lies
    below it. A side with no window whose
    remainder stays at the floor is "exact"; where it is exactly 0 on every step (``3 x``: no
    rounding happened at all), its bound comes from the assumed floor ``eps * |f|`` alone, not
    from a grid or noise that the values never showed.

    A side with no window on which f's change, ``+-h (q + J v)``, does not shrink with ``h``
    (``_steady``) is a "jump" (or an infinite slope): no claim makes that remainder shrink, and
    its noise-like odd part must not pass for a rounding floor that the remainder stays under.
    """
    levels, m = q.shape
    r = np.abs(q) * h
    with np.errstate(invalid="ignore", divide="ignore"):
        clear = np.isfinite(r) & (r > _CLEAR * floor)
        local = np.log2(r[:-1] / r[1:])  # slope between successive steps (h halves)
        good = clear[:-1] & clear[1:] & (local >= 0.5)
    run = np.zeros((levels - 1, m), dtype=np.int64)
    for k in range(levels - 1):
        run[k] = np.where(good[k], (run[k - 1] if k else 0) + 1, 0)
    done = run >= _WINDOW - 1
    has = done.any(axis=0)
    last = (levels - 2) - np.argmax(done[::-1], axis=0)  # last interval ending a window
    bottom = last + 1  # the window's smallest step (point index)
    # The window must be the last clear stretch: below it the remainder has sunk into the floor.
    # Clear but erratic steps below it mean the floor is not known there, and a power law
    # further up may be f saturating beyond its feature (slope 1 with q = -g), not the claim.
    below = np.arange(levels)[:, None] > bottom[None, :]
    has &= ~np.any(below & clear, axis=0)
    cols = np.arange(m)
    idx = bottom[None, :] - np.arange(_WINDOW)[::-1, None]  # (window, m), widest first
    idx = np.clip(idx, 0, levels - 1)
    lh = np.log(h[idx, 0])
    lr = np.log(np.where(r[idx, cols] > 0, r[idx, cols], np.nan))
    slope = _fit_slope(lh, lr)
    slope = np.where(has, slope, np.nan)
    limit = np.where(has, q[np.clip(bottom, 0, levels - 1), cols], np.nan)
    d, spread = _intercept(q[idx, cols], h[idx, 0], floor[idx, cols])
    d, spread = np.where(has, d, np.nan), np.where(has, spread, np.nan)
    with np.errstate(invalid="ignore"):
        status = np.where(slope <= _LINEAR, "linear",
                          np.where(slope >= _QUADRATIC, "quadratic", "mixed"))
        finite = np.isfinite(r)
        exact = ~has & finite.any(axis=0) & np.all(~finite | (r <= _CLEAR * floor), axis=0)
    widest = np.argmax(finite, axis=0)  # first finite step: r there bounds |d| h best
    zero = np.all(~finite | (r == 0), axis=0)
    exact_floor = np.where(zero, assumed[widest, cols], floor[widest, cols])
    exact_bound = _CLEAR * exact_floor / h[widest, 0]
    status = np.where(has, status, np.where(exact, "exact", "none"))
    with np.errstate(invalid="ignore", over="ignore"):
        change = (q + jv) * h
    jump, last_change = _steady(change, assumed)
    status = np.where(~has & jump, "jump", status)
    exact &= ~jump
    d = np.where(exact, 0.0, d)
    spread = np.where(exact, exact_bound, spread)
    return _Side(
        status=status, slope=slope, limit=limit, intercept=d, spread=spread, change=last_change
    )


def _steady(change: np.ndarray, assumed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per entry: does f's one-sided change stay put over the ``_WINDOW`` smallest finite steps
    (one sign, within a factor ``_STEADY`` while ``h`` shrinks 8-fold, every one ``_CLEAR``
    times the a-priori floor)? And the change on the smallest finite step. A differentiable f's
    change shrinks like h; rounding noise changes sign or size from step to step."""
    m = change.shape[1]
    jump = np.zeros(m, dtype=bool)
    last = np.full(m, np.nan)
    for i in range(m):
        ok = np.flatnonzero(np.isfinite(change[:, i]))
        if ok.size == 0:
            continue
        last[i] = change[ok[-1], i]
        if ok.size < _WINDOW:
            continue
        tail = ok[-_WINDOW:]
        c = change[tail, i]
        size = np.abs(c)
        jump[i] = bool(
            np.all(np.sign(c) == np.sign(c[-1]))
            and np.all(size > _CLEAR * assumed[tail, i])
            and size.max() <= _STEADY * size.min()
        )
    return jump, last


def _fit_slope(lx: np.ndarray, ly: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``ly`` against ``lx`` per column (NaN where a value is)."""
    with np.errstate(invalid="ignore"):
        mx, my = lx.mean(axis=0), ly.mean(axis=0)
        return ((lx - mx) * (ly - my)).sum(axis=0) / ((lx - mx) ** 2).sum(axis=0)


def _intercept(
    qw: np.ndarray, hw: np.ndarray, floor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``d`` and its uncertainty from a window where ``q(h) = d + c h + O(h^2)``: the intercept
    of the least-squares line through ``(h, q)``; twice the largest misfit plus the rounding
    floor of ``q`` on the smallest step. Unlike ``q`` on the smallest step, the intercept does not
    vanish where ``d`` and ``c h`` cancel, and it reads ``d`` where neither term dominates."""
    with np.errstate(invalid="ignore"):
        mh, mq = hw.mean(axis=0), qw.mean(axis=0)
        c = ((hw - mh) * (qw - mq)).sum(axis=0) / ((hw - mh) ** 2).sum(axis=0)
        d = mq - c * mh
        misfit = np.abs(qw - (d + c * hw)).max(axis=0)
        return d, 2.0 * misfit + floor[-1] / hw[-1]


# -- both sides, all entries -------------------------------------------------------------------


def _combine(
    right: _Side,
    left: _Side,
    tol: np.ndarray,
    jv: np.ndarray,
    steps: np.ndarray,
    q_right: np.ndarray,
    q_left: np.ndarray,
    floor: np.ndarray,
    evaluations: int,
) -> TaylorResult:
    m = tol.size
    verdicts, reasons, estimates = [], [], np.zeros(m)
    for i in range(m):
        claim = float(jv[i])
        finite = np.isfinite(claim)
        verdict, reason, estimate = _entry_verdict(
            right, left, i, float(tol[i]), claim if finite else 0.0
        )
        if not finite and verdict == "unclear":
            reason = f"J v is {claim}, and tested as 0 instead: {reason}"
        elif not finite:
            verdict, estimate = "wrong", float("inf")
            reason = (
                f"J v is {claim}, but f has a finite derivative along v here (tested as 0 "
                f"instead: {reason})"
            )
        verdicts.append(verdict)
        reasons.append(reason)
        estimates[i] = estimate
    verdicts_arr = np.asarray(verdicts)
    with np.errstate(divide="ignore", invalid="ignore"):
        badness = np.where(tol > 0, estimates / tol, np.where(estimates > 0, np.inf, 0.0))
    for wanted in ("wrong", "unclear", "right"):
        chosen = np.flatnonzero(verdicts_arr == wanted)
        if chosen.size:
            i = int(chosen[np.argmax(np.nan_to_num(badness[chosen], nan=np.inf))])
            break
    where = f"output entry {i}: " if m > 1 else ""
    return TaylorResult(
        verdict=verdicts[i],
        reason=where + reasons[i],
        slope_right=float(right.slope[i]),
        slope_left=float(left.slope[i]),
        error_estimate=float(estimates[i]),
        tolerance=float(tol[i]),
        entry=i,
        steps=steps,
        q_right=q_right,
        q_left=q_left,
        floor=floor,
        evaluations=evaluations,
    )


def _entry_verdict(
    right: _Side, left: _Side, i: int, tol: float, g: float
) -> tuple[str, str, float]:
    """(verdict, reason, error estimate) for output entry ``i``.

    Each side gives ``d``, the error of ``g`` seen from that side (with its uncertainty ``u``).
    Right: both sides bound ``|d| + u`` within the tolerance. Wrong: both sides show a linear
    part (slope below 1.65), agree on ``d``, and put it beyond the tolerance by more than ``u``.
    A kink: the sides disagree on ``d``. Anything else is unclear, and so is a linear remainder
    on steps over which f does not change at all (``q = -g``): f may be flat there, or saturated
    on steps wider than a feature that the rounding floor hides (an inverse of condition 1e10,
    1e-10 from singular, looks constant on every step above 1e-9).
    """
    sr, sl = str(right.status[i]), str(left.status[i])
    slopes = f"slopes {right.slope[i]:.2f} (h > 0) and {left.slope[i]:.2f} (h < 0)"
    if "jump" in (sr, sl):
        sides = " and ".join(
            f"f(x {sign} h v) - f(x) stays near {size * side.change[i]:.3g}"
            for sign, size, side, status in (("+", 1.0, right, sr), ("-", -1.0, left, sl))
            if status == "jump"
        )
        return "unclear", (
            f"f jumps at the point along v, or its slope is infinite there: {sides} down to "
            "the smallest step, so the remainder cannot shrink whatever J v is and the claim "
            "cannot be judged"
        ), float("nan")
    if "none" in (sr, sl):
        return "unclear", (
            f"no clean power law on the smallest steps ({sr} for h > 0, {sl} for h < 0; "
            f"'none': no {_WINDOW} steps in a row stand clear of the rounding floor and shrink "
            f"like a power of h; {slopes})"
        ), float("nan")
    # "exact" reads as a claim proved right; it only says the remainder never left its floor.
    wr, wl = (_AT_FLOOR_WORDS if s == "exact" else s for s in (sr, sl))
    dr, dl = float(right.intercept[i]), float(left.intercept[i])
    ur, ul = float(right.spread[i]), float(left.spread[i])
    size = max(abs(dr), abs(dl))
    if abs(dr - dl) > ur + ul + _SAME_LIMIT * size:
        return "unclear", (
            f"f has a kink along v, or J v matches one one-sided derivative only: the error of "
            f"J v reads {dr:.6g} from h > 0 and {dl:.6g} from h < 0 ({wr} and {wl}, {slopes})"
        ), size
    bound = max(abs(dr) + ur, abs(dl) + ul)
    if bound <= tol:
        if sr == sl == "exact":
            how = "the remainder stays at the rounding floor on every step (f is linear along v)"
        else:
            how = f"the remainder is {wr} for h > 0 and {wl} for h < 0 ({slopes})"
        return "right", f"{how}: |J v error| <= {bound:.3g}, within the tolerance {tol:.3g}", bound
    linear = right.slope[i] < _QUADRATIC and left.slope[i] < _QUADRATIC
    beyond = min(abs(dr) - ur, abs(dl) - ul) > tol and np.sign(dr) == np.sign(dl)
    flat = max(abs(right.limit[i] + g), abs(left.limit[i] + g)) <= _FLAT * abs(g)
    if linear and beyond and flat:
        return "unclear", (
            f"the remainder is linear ({slopes}) but f does not change along v on the clear "
            "steps: f is flat there, or saturated beyond a feature narrower than the steps the "
            "rounding floor lets through; the claim cannot be judged"
        ), float(max(abs(right.limit[i]), abs(left.limit[i])))
    if linear and beyond:
        estimate = float(max(abs(right.limit[i]), abs(left.limit[i])))
        return "wrong", (
            f"the remainder shrinks only like h ({slopes}): J v is off by about "
            f"{estimate:.6g} (r(h)/h on the smallest clear step; {dr:.6g} and {dl:.6g} fitted "
            f"from either side), beyond the tolerance {tol:.3g}"
        ), estimate
    return "unclear", (
        f"the remainder is {wr} for h > 0 and {wl} for h < 0 ({slopes}); down to the rounding "
        f"floor that bounds the error of J v only by {bound:.3g}, above the tolerance {tol:.3g}, "
        "without showing it beyond"
    ), bound


def _unclear_everywhere(m: int, reason: str, evaluations: int) -> TaylorResult:
    nan = float("nan")
    empty = np.zeros((0, m))
    return TaylorResult(
        verdict="unclear",
        reason=reason,
        slope_right=nan,
        slope_left=nan,
        error_estimate=nan,
        tolerance=nan,
        entry=None,
        steps=np.zeros(0),
        q_right=empty,
        q_left=empty,
        floor=empty,
        evaluations=evaluations,
    )
