"""Entry-by-entry comparison reduced to its worst entry: the evidence a record carries.

``compare`` never prints a whole array. It finds the entry with the largest error over its
tolerance and reports that entry's index, both values, both errors, the tolerance and the
oracle's bound, plus how many entries were outside. Non-finite values are judged first: an
entry where both sides hold the same non-finite value (inf and inf, NaN and NaN) agrees; a
non-finite value where the reference is finite makes the status ``nonfinite`` and the message
names where.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cases.conformance.check_record import NAN
from cases.conformance.tolerance import Tol
from cases.statuses import FAIL, NONFINITE, PASS

__all__ = ["Namer", "Verdict", "compare", "fmt", "index_namer"]

Namer = Callable[[int], str]
_LIST = 4  # how many non-finite entries a message lists by name


@dataclass(frozen=True)
class Verdict:
    """A comparison's outcome; the fields map one to one onto a Record's evidence columns."""

    status: str
    max_abs_err: float = NAN
    max_rel_err: float = NAN
    tol: float = NAN
    oracle_err: float = NAN
    worst_index: str = ""
    got: float = NAN
    expected: float = NAN
    message: str = ""
    convention: str = ""  # set by the kink check
    worst: int | None = None  # flat position of the worst entry (for localising a failure)
    ratio: float = 0.0  # error / tolerance at the worst entry

    @property
    def passed(self) -> bool:
        return self.status == PASS


def fmt(x: float) -> str:
    """A number as a person reads it in a message: full precision for values."""
    return f"{x:.17g}" if math.isfinite(x) else str(x)


def index_namer(names: Sequence[str], shapes: Sequence[tuple[int, ...]]) -> Namer:
    """Flat index over several arrays (concatenated) -> ``"x[1, 2]"``."""
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    offsets = np.cumsum([0, *sizes])

    def name(j: int) -> str:
        k = int(np.searchsorted(offsets, j, side="right") - 1)
        if not shapes[k]:
            return names[k]
        inner = np.unravel_index(j - int(offsets[k]), shapes[k])
        return f"{names[k]}[{', '.join(str(int(i)) for i in inner)}]"

    return name


def _same_nonfinite(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))


def compare(
    got: np.ndarray,
    expected: np.ndarray,
    tol: Tol,
    *,
    scale: np.ndarray | float,
    namer: Namer,
    what: str,
    reference: str,
    oracle_err: np.ndarray | float = 0.0,
    checked: np.ndarray | None = None,
    atol: float = 0.0,
) -> Verdict:
    """Compare ``got`` with ``expected`` entry by entry (both flattened to float64).

    ``checked`` masks the entries the reference can judge (the oracle is invalid elsewhere);
    ``scale`` and ``oracle_err`` broadcast against the entries (see ``tolerance``); ``atol``
    is an absolute floor added to every entry's tolerance (the HVP's rounding floor).
    """
    g = np.asarray(got, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    if g.size != e.size:
        return Verdict(FAIL, message=f"{what}: {g.size} entries, but {reference} has {e.size}")
    n = g.size
    mask = np.ones(n, bool) if checked is None else np.asarray(checked, bool).ravel()
    scale_a = np.broadcast_to(np.asarray(scale, dtype=np.float64), (n,)) if n else np.zeros(0)
    oerr = np.broadcast_to(np.asarray(oracle_err, dtype=np.float64), (n,)) if n else np.zeros(0)
    scale_a = np.where(np.isfinite(scale_a), scale_a, 0.0)
    finite = np.isfinite(g) & np.isfinite(e)
    agree = _same_nonfinite(g, e)
    # Non-finite expected values agree only with the same non-finite value; the tolerance
    # is computed from the finite ones.
    tol_e = tol.entries(np.where(np.isfinite(e), e, 0.0), scale_a, oerr) + atol
    nonfinite = mask & ~np.isfinite(g) & np.isfinite(e)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(agree, 0.0, np.where(finite, np.abs(g - e), np.inf))
        ratio = np.where(err <= tol_e, np.divide(err, tol_e, out=np.zeros(n), where=tol_e > 0),
                         np.inf)
    ratio = np.where(agree, 0.0, ratio)
    ratio = np.where(mask, ratio, -1.0)
    if not mask.any():
        return Verdict(PASS, message=f"{what}: no entry can be judged against {reference}")
    if nonfinite.any():
        k = int(np.flatnonzero(nonfinite)[0])
        listed = ", ".join(f"{namer(int(j))} = {fmt(g[j])} (expected {fmt(e[j])})"
                           for j in np.flatnonzero(nonfinite)[:_LIST])
        more = int(nonfinite.sum()) - _LIST
        message = (f"{what} is not finite where {reference} is: {listed}"
                   + (f" and {more} more" if more > 0 else ""))
        return _verdict(NONFINITE, k, g, e, err, tol_e, oerr, namer, message, ratio)
    k = int(np.argmax(ratio))
    bad = int((ratio > 1.0).sum())
    status = PASS if bad == 0 else FAIL
    rel = _rel(err[k], e[k])
    head = (f"{what} vs {reference}: worst entry {namer(k)}: got {fmt(g[k])}, expected "
            f"{fmt(e[k])}; abs error {err[k]:.3g}, rel error {rel:.3g}, tolerance {tol_e[k]:.3g}")
    if np.any(oerr[mask] > 0):
        head += f" (of which the oracle's error bound {oerr[k]:.3g})"
    if status == FAIL:
        head += f"; {bad} of {int(mask.sum())} entries outside tolerance ({tol.describe()})"
    elif tol.reason:
        head += f"; tolerance raised by the case: {tol.reason}"
    excluded = n - int(mask.sum())
    if excluded:
        head += f"; {excluded} entries not judged (the reference is undefined there)"
    return _verdict(status, k, g, e, err, tol_e, oerr, namer, head, ratio)


def _rel(err: float, expected: float) -> float:
    if err == 0:
        return 0.0
    return float(err / abs(expected)) if expected != 0 and math.isfinite(expected) else math.inf


def _verdict(
    status: str, k: int, g: np.ndarray, e: np.ndarray, err: np.ndarray, tol_e: np.ndarray,
    oerr: np.ndarray, namer: Namer, message: str, ratio: np.ndarray,
) -> Verdict:
    return Verdict(
        status=status,
        max_abs_err=float(err[k]),
        max_rel_err=_rel(float(err[k]), float(e[k])),
        tol=float(tol_e[k]),
        oracle_err=float(oerr[k]),
        worst_index=namer(k),
        got=float(g[k]),
        expected=float(e[k]),
        message=message,
        worst=k,
        ratio=float(ratio[k]),
    )
