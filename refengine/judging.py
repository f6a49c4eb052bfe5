"""One way to judge a derivative against a reference, for every checker in the project.

``rf.check_grads``, ``adapters.check_grads`` (through ``refengine.check``) and the conformance
matrix (``cases.conformance``) all judge entries here: the same tolerance per entry
(``absolute_tolerance`` + ``entry_tolerance``, with ``rtol`` from ``refengine.tolerances``),
the same magnitudes (``contraction_magnitude``, ``backward_rounding``,
``second_order_floor``), the same worst-entry judge (``judge``) and the same localisation of a
failing random projection to one input entry (``locate_entry``, ``unweight``). Each side keeps
its own record shape (``refengine.comparison.Comparison``, the matrix's ``Verdict``) as a thin
translation of a ``Judgement``.

The rule, its terms and the measurements behind them are in ``refengine.comparison``'s
docstring (the one place it is written down); in short an entry passes when

    |got - expected| <= atol + rtol * |expected| + oracle_err,
    atol = max(rtol * magnitude, floor) + tiny   (unless the caller gives atol)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from refengine.numeric import bisect
from refengine.tolerances import eps_of

__all__ = [
    "PASS",
    "FAIL",
    "NONFINITE",
    "RANDOM_TAIL",
    "SECOND_ORDER_FLOOR_ULPS",
    "Judgement",
    "Located",
    "absolute_tolerance",
    "backward_rounding",
    "contraction_magnitude",
    "entry_tolerance",
    "finite_abs",
    "judge",
    "largest",
    "locate_entry",
    "second_order_floor",
    "tiny_of",
    "unweight",
]

PASS, FAIL, NONFINITE = "pass", "fail", "nonfinite"
# Contractions with random vectors (refengine.comparison): standard deviations of the error a
# random weight vector gives a sum; a normal variable exceeds 4 of them with probability 6e-5.
RANDOM_TAIL = 4.0
# The rounding floor of a second derivative along v where no noise is measured, in units of
# eps * max|first derivative| * max|v| / max|x| (refengine.comparison, "Second order").
SECOND_ORDER_FLOOR_ULPS = 64.0

T = TypeVar("T")


# --- the tolerance of one entry --------------------------------------------------------------
def absolute_tolerance(
    rtol: float,
    magnitude: np.ndarray | float = 0.0,
    floor: np.ndarray | float = 0.0,
    tiny: float = 0.0,
    atol: np.ndarray | float | None = None,
) -> np.ndarray | float:
    """The absolute part of an entry's tolerance: the caller's ``atol`` where given (0 means
    0: no floor either), else ``max(rtol * magnitude, floor) + tiny``."""
    if atol is not None:
        return atol
    return np.maximum(rtol * np.asarray(magnitude, dtype=np.float64), floor) + tiny


def entry_tolerance(
    expected: np.ndarray | float,
    rtol: float,
    magnitude: np.ndarray | float = 0.0,
    floor: np.ndarray | float = 0.0,
    tiny: float = 0.0,
    oracle_err: np.ndarray | float = 0.0,
    atol: np.ndarray | float | None = None,
) -> np.ndarray:
    """Every entry's tolerance: ``absolute_tolerance + rtol * |expected| + oracle_err``
    (non-finite ``expected`` counts as 0: the judge handles it)."""
    e = np.asarray(expected, dtype=np.float64)
    size = np.where(np.isfinite(e), np.abs(e), 0.0)
    absolute = absolute_tolerance(rtol, magnitude, floor, tiny, atol)
    return np.asarray(absolute + rtol * size + oracle_err, dtype=np.float64)


def tiny_of(dtype: Any) -> float:
    """The dtype's smallest normal number: results below it carry no relative precision
    (expit(-100) in float32 is 3.7e-44 or 0 depending on the formula). bfloat16 (and other
    ml_dtypes floats NumPy's finfo does not know) asks ``ml_dtypes.finfo``."""
    try:
        return float(np.finfo(np.dtype(dtype)).tiny)
    except (TypeError, ValueError):
        import ml_dtypes  # only for a narrow float NumPy does not know (bfloat16, float8_*)

        return float(ml_dtypes.finfo(dtype).tiny)


# --- magnitudes ------------------------------------------------------------------------------
def finite_abs(a: Any) -> np.ndarray:
    """|a| with non-finite entries counted as 0 (they are judged separately)."""
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(a), np.abs(a), 0.0)


def largest(*arrays: Any) -> float:
    """The largest finite magnitude over ``arrays`` (0 for none)."""
    return float(max((np.max(finite_abs(a), initial=0.0) for a in arrays), default=0.0))


def contraction_magnitude(weights: np.ndarray, values: np.ndarray, axis: int = -1) -> Any:
    """The magnitude a contraction ``weights . values`` is compared relative to
    (refengine.comparison, "Contractions with random vectors"): the smaller of ``sum |w_k x_k|``
    (every error aligned) and ``RANDOM_TAIL`` standard deviations of the error a random ``w``
    gives it, ``RANDOM_TAIL * ||x_k||`` over the ``w_k != 0``. ``axis`` is the contracted axis
    of ``values`` (``weights`` runs along it). Non-finite values count as 0."""
    values = np.moveaxis(finite_abs(values), axis, -1)
    weights = np.asarray(weights, dtype=np.float64)
    absolute = values @ np.abs(weights)
    spread = np.sqrt(np.square(values) @ (weights != 0).astype(np.float64))
    return np.minimum(absolute, RANDOM_TAIL * spread)


def backward_rounding(jacobian: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``sum_k |J_ik| |x_k|``: how far a backward-stable evaluation may move output ``i``, in
    units of eps (the inputs moved by eps relative). Non-finite entries count as 0."""
    return finite_abs(jacobian) @ finite_abs(x)


def second_order_floor(first: Any, v: Any, x: Any, dtype: Any) -> float:
    """The rounding floor of a second derivative along ``v`` (``H v``, ``f''(x)[v, v]``) where
    the function's noise is not measured: ``SECOND_ORDER_FLOOR_ULPS eps max|d| max|v| /
    max|x|``, ``d`` the first derivative being differentiated (the gradient for ``H v``, ``J v``
    for ``f''[v, v]``), eps that of ``dtype`` (refengine.comparison, "Second order")."""
    scale = largest(x)
    if scale == 0:
        return 0.0
    return SECOND_ORDER_FLOOR_ULPS * eps_of(dtype) * largest(first) * largest(v) / scale


# --- the worst entry -------------------------------------------------------------------------
@dataclass(frozen=True)
class Judgement:
    """Entries judged against a reference. ``worst`` is the flat position of the entry with the
    largest error over its tolerance (for ``nonfinite``: the first non-finite entry), None
    when no entry is judged; ``ratio`` is -1 where an entry is not judged."""

    status: str
    worst: int | None
    error: np.ndarray
    tolerance: np.ndarray
    ratio: np.ndarray
    outside: int  # judged entries outside their tolerance
    judged: int  # entries judged
    nonfinite: np.ndarray  # flat positions where got is not finite and expected is

    @property
    def passed(self) -> bool:
        return self.status == PASS


def judge(
    got: Any, expected: Any, tolerance: Any, checked: Any | None = None
) -> Judgement:
    """Judge ``got`` against ``expected`` entry by entry (flattened, float64) under
    ``tolerance`` (broadcast). Where both hold the same non-finite value (inf and inf, NaN and
    NaN) they agree; a non-finite ``got`` where ``expected`` is finite makes the status
    ``nonfinite``; a finite ``got`` against a non-finite ``expected`` is outside. ``checked``
    masks the entries the reference can judge (the others are left out)."""
    g = np.asarray(got, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    if g.size != e.size:
        raise ValueError(f"got has {g.size} entries, the reference {e.size}")
    n = g.size
    mask = np.ones(n, bool) if checked is None else np.broadcast_to(
        np.asarray(checked, bool).ravel(), (n,))
    tol = np.broadcast_to(np.asarray(tolerance, dtype=np.float64).ravel(), (n,)) if n else (
        np.zeros(0))
    agree = (np.isnan(g) & np.isnan(e)) | (np.isinf(g) & (g == e))
    finite = np.isfinite(g) & np.isfinite(e)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(agree, 0.0, np.where(finite, np.abs(g - e), np.inf))
        ratio = np.where(err <= tol, np.divide(err, tol, out=np.zeros(n), where=tol > 0),
                         np.inf)
    ratio = np.where(mask, np.where(agree, 0.0, ratio), -1.0)
    nonfinite = np.flatnonzero(mask & ~np.isfinite(g) & np.isfinite(e))
    judged = int(mask.sum())
    outside = int((ratio > 1.0).sum())
    if judged == 0:
        status, worst = PASS, None
    elif nonfinite.size:
        status, worst = NONFINITE, int(nonfinite[0])
    else:
        worst = int(np.argmax(ratio))
        status = PASS if outside == 0 else FAIL
    return Judgement(status, worst, err, np.asarray(tol), ratio, outside, judged, nonfinite)


# --- from a failing projection to one input entry ----------------------------------------------
@dataclass(frozen=True)
class Located(Generic[T]):
    """Where bisection over input blocks stopped: ``block`` (one entry when it got there),
    ``found`` the check along the direction restricted to that entry (None when the block is
    larger), ``failed`` whether it fails there, ``weight`` the direction's entry ``v_j``."""

    block: np.ndarray
    found: T | None
    failed: bool
    weight: float


def locate_entry(
    v: np.ndarray, along: Callable[[np.ndarray], T], fails: Callable[[T], bool]
) -> Located[T]:
    """Restrict the direction ``v`` to input blocks (``along(v_block)`` re-runs the check),
    bisect to the smallest failing block and re-run the check on it. A result along ``e_j v_j``
    is ``v_j`` times the entry's own derivative: ``unweight`` divides it out."""

    def restricted(block: np.ndarray) -> T:
        vb = np.zeros_like(v)
        vb[block] = v[block]
        return along(vb)

    block = bisect(np.flatnonzero(v), lambda b: fails(restricted(b)))
    if block.size != 1:
        return Located(block, None, False, 0.0)
    found = restricted(block)
    return Located(block, found, bool(fails(found)), float(v[block[0]]))


def unweight(
    weight: float, signed: Mapping[str, float], magnitudes: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Values of a check along ``e_j v_j`` as the entry's own: signed ones (values) over
    ``v_j``, magnitudes (errors, tolerances, bounds) over ``|v_j|``."""
    out = {k: float(x) / weight for k, x in signed.items()}
    out.update({k: float(x) / abs(weight) for k, x in (magnitudes or {}).items()})
    return out
