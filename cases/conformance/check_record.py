"""The conformance record: one row per case x adapter x mode x dtype x check.

The columns are exactly design.md's conformance schema, so every consumer (pytest, the CLI,
reports, a user's script) reads the same tidy frame; its statuses are ``cases.statuses``. A
record is data: a check never raises for a wrong derivative, it returns a record that says how
far off it is and where.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from cases.statuses import FAILING, STATUSES

__all__ = ["COLUMNS", "Record"]

NAN = float("nan")


@dataclass(frozen=True)
class Record:
    """One check's verdict with its evidence.

    ``max_abs_err``/``max_rel_err`` are the errors of the worst entry (largest error over its
    tolerance), ``tol`` that entry's tolerance and ``oracle_err`` the oracle's error bound
    there (NaN when no oracle is involved). ``worst_index`` names the entry ("x[3]",
    "out[1, 2]", "d out[0] / d x[3]"), ``got`` and ``expected`` its two values. ``convention``
    is set by the kink check (zero, left, right, average, nan, ...). ``message`` says what a
    person should know or do; ``seconds`` is the time the check took, including the framework
    calls it was the first to need.
    """

    run_id: str
    case: str
    tags: str
    adapter: str
    framework_version: str
    mode: str
    device: str
    dtype: str
    check: str
    status: str
    max_abs_err: float = NAN
    max_rel_err: float = NAN
    tol: float = NAN
    oracle_err: float = NAN
    worst_index: str = ""
    got: float = NAN
    expected: float = NAN
    convention: str = ""
    message: str = ""
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; statuses are {STATUSES}")

    @property
    def bad(self) -> bool:
        """fail, error or nonfinite: needs a fix or an entry in the divergence table."""
        return self.status in FAILING

    def with_(self, **changes: Any) -> Record:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The record as a flat dict of str/float (JSON-ready: NaN becomes None)."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float) and not math.isfinite(value) and math.isnan(value):
                out[key] = None
        return out


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Record))
