"""Why a number that looks alarming is not (or is): one sentence per record, shown beside it.

A check passes when the worst entry's absolute error is within its tolerance, and the
tolerance scales with the output's magnitude, not only with the entry's own value. So an
entry whose expected value is exactly 0 has an infinite relative error while it passes, and
one whose expected value is round-off (1e-17) has a relative error near 1. A report that
shows those numbers says why, where it shows them.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["error_note", "error_notes"]

_TINY = ("; a tolerance this small (the dtype's smallest normal number) asks for exact "
         "agreement at this entry")


def _num(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def error_note(record: pd.Series | dict) -> str:
    """The sentence that explains a record's error numbers, or ``""`` when they need none."""
    status = record["status"]
    abs_err, rel_err = _num(record["max_abs_err"]), _num(record["max_rel_err"])
    tol, expected, got = _num(record["tol"]), _num(record["expected"]), _num(record["got"])
    within = math.isfinite(abs_err) and math.isfinite(tol) and abs_err <= tol
    if status in ("unsupported", "error"):
        return ""
    if math.isnan(got) and not math.isnan(expected):
        return (f"the framework returned NaN where the reference is {expected:.3g}: "
                "no error can be measured")
    if math.isinf(got) and math.isfinite(expected):
        return f"the framework returned {got:g} where the reference is {expected:.3g}"
    if math.isinf(rel_err) and expected == 0:
        verdict = "it is within" if within else "it is not"
        return (f"relative error is infinite because the expected value is exactly 0; the "
                f"check compares the absolute error {abs_err:.3g} with the entry's "
                f"tolerance {tol:.3g} instead, and {verdict}"
                + (_TINY if tol < 1e-300 else ""))
    if rel_err >= 0.1 and within and math.isfinite(expected):
        return (f"a large relative error of a tiny expected value ({expected:.3g}, round-off "
                f"next to the output's size); the absolute error {abs_err:.3g} is within the "
                f"tolerance {tol:.3g}, which scales with the output, so the check passes")
    return ""


def error_notes(conformance: pd.DataFrame) -> pd.Series:
    """``error_note`` for every record (a string column, ``""`` where nothing needs saying)."""
    if conformance.empty:
        return pd.Series([], dtype=object)
    return conformance.apply(error_note, axis=1).astype(object)
