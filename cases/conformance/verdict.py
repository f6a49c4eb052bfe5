"""Entry-by-entry comparison reduced to its worst entry: the evidence a record carries.

The judging is ``refengine.judging.judge`` (the one judge of every checker in the project);
``compare`` translates its ``Judgement`` into a ``Verdict`` and a message. It never prints a
whole array: it reports the worst entry's index, both values, both errors, the tolerance and
the oracle's bound, plus how many entries were outside. An entry where both sides hold the same
non-finite value (inf and inf, NaN and NaN) agrees; a non-finite value where the reference is
finite makes the status ``nonfinite`` and the message names where.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cases.conformance.check_record import NAN
from cases.conformance.tolerance import Tol
from cases.statuses import FAIL, NONFINITE, PASS
from refengine.judging import Judgement, judge

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
    floor: np.ndarray | float = 0.0,
) -> Verdict:
    """Compare ``got`` with ``expected`` entry by entry (both flattened to float64).

    ``checked`` masks the entries the reference can judge (the oracle is invalid elsewhere);
    ``scale`` (the magnitude), ``oracle_err`` and ``floor`` (the second-order rounding floor)
    broadcast against the entries (``tolerance`` gives the rule).
    """
    g = np.asarray(got, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    if g.size != e.size:
        return Verdict(FAIL, message=f"{what}: {g.size} entries, but {reference} has {e.size}")
    n = g.size
    scale_a = np.broadcast_to(np.asarray(scale, dtype=np.float64), (n,)) if n else np.zeros(0)
    oerr = np.broadcast_to(np.asarray(oracle_err, dtype=np.float64), (n,)) if n else np.zeros(0)
    scale_a = np.where(np.isfinite(scale_a), scale_a, 0.0)
    tol_e = np.broadcast_to(tol.entries(e, scale_a, oerr, floor), (n,))
    j = judge(g, e, tol_e, checked)
    if j.worst is None:
        return Verdict(PASS, message=f"{what}: no entry can be judged against {reference}")
    k = j.worst
    if j.status == NONFINITE:
        listed = ", ".join(f"{namer(int(i))} = {fmt(g[i])} (expected {fmt(e[i])})"
                           for i in j.nonfinite[:_LIST])
        more = j.nonfinite.size - _LIST
        message = (f"{what} is not finite where {reference} is: {listed}"
                   + (f" and {more} more" if more > 0 else ""))
        return _verdict(k, g, e, j, oerr, namer, message)
    err = j.error
    rel = _rel(err[k], e[k])
    head = (f"{what} vs {reference}: worst entry {namer(k)}: got {fmt(g[k])}, expected "
            f"{fmt(e[k])}; abs error {err[k]:.3g}, rel error {rel:.3g}, tolerance {tol_e[k]:.3g}")
    mask = j.ratio >= 0
    if np.any(oerr[mask] > 0):
        head += f" (of which the oracle's error bound {oerr[k]:.3g})"
    if j.status == FAIL:
        head += f"; {j.outside} of {j.judged} entries outside tolerance ({tol.describe()})"
    elif tol.reason:
        head += f"; tolerance raised by the case: {tol.reason}"
    excluded = n - j.judged
    if excluded:
        head += f"; {excluded} entries not judged (the reference is undefined there)"
    return _verdict(k, g, e, j, oerr, namer, head)


def _rel(err: float, expected: float) -> float:
    if err == 0:
        return 0.0
    return float(err / abs(expected)) if expected != 0 and math.isfinite(expected) else math.inf


def _verdict(
    k: int, g: np.ndarray, e: np.ndarray, j: Judgement, oerr: np.ndarray, namer: Namer,
    message: str,
) -> Verdict:
    return Verdict(
        status=j.status,
        max_abs_err=float(j.error[k]),
        max_rel_err=_rel(float(j.error[k]), float(e[k])),
        tol=float(j.tolerance[k]),
        oracle_err=float(oerr[k]),
        worst_index=namer(k),
        got=float(g[k]),
        expected=float(e[k]),
        message=message,
        worst=k,
        ratio=float(j.ratio[k]),
    )
