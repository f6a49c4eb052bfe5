"""The two tidy record schemas (design.md) and the pandas frames built from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from cases.statuses import STATUSES

__all__ = [
    "CATEGORY_ORDER",
    "CONFORMANCE_COLUMNS",
    "CONFORMANCE_NUMBERS",
    "STATUSES",
    "TIMING_COLUMNS",
    "TIMING_NUMBERS",
    "category_of",
    "conformance_frame",
    "timing_frame",
]

CONFORMANCE_COLUMNS = (
    "run_id", "case", "tags", "adapter", "framework_version", "mode", "device", "dtype",
    "check", "status", "max_abs_err", "max_rel_err", "tol", "oracle_err", "worst_index",
    "got", "expected", "convention", "message", "seconds",
    "host",  # the machine it ran on (reports.environment.host_name); last, so older records read
)
TIMING_COLUMNS = (
    "run_id", "case", "adapter", "mode", "device", "dtype", "size", "n_inputs", "quantity",
    "median_s", "min_s", "iqr_s", "n_samples", "threads", "peak_bytes", "memory_method",
    "gradbench_size",  # GradBench's label of the size, or empty (issue 18); last, so older
    "host",            # records (without it) still read; host: the machine it was measured on;
    # records (without it) still read; then the median's interval and the ratio to the
    # NumPy control paired round by round, with its interval (issue 25; empty when older)
    "ci_low_s", "ci_high_s", "vs_control", "vs_control_low", "vs_control_high",
)

# The columns that hold numbers (empty: not measured); anything else there is a damaged record.
CONFORMANCE_NUMBERS = ("max_abs_err", "max_rel_err", "tol", "oracle_err", "got", "expected",
                       "seconds")
TIMING_NUMBERS = ("n_inputs", "median_s", "min_s", "iqr_s", "n_samples", "threads",
                  "peak_bytes", "ci_low_s", "ci_high_s", "vs_control", "vs_control_low",
                  "vs_control_high")

# A case's category for the matrix: its most specific tag, in this order.
CATEGORY_ORDER = (
    "model", "kink", "trap", "delicate", "control-flow", "nested", "linalg", "special",
    "indexing", "structure", "reduction", "binary", "selection", "elementwise",
)


def category_of(tags: str | Iterable[str]) -> str:
    names = set(tags.split(",")) if isinstance(tags, str) else set(tags)
    return next((c for c in CATEGORY_ORDER if c in names), "other")


def _frame(records: Iterable[Mapping[str, Any] | Any], columns: tuple[str, ...], kind: str):
    rows = [r if isinstance(r, Mapping) else r.to_dict() for r in records]
    extra = {key for row in rows for key in row} - set(columns)
    if extra:
        raise ValueError(f"{kind} records have columns outside the schema: {sorted(extra)}")
    return pd.DataFrame(rows, columns=list(columns)) if rows else pd.DataFrame(columns=columns)


def _numbers(frame: pd.DataFrame, columns: tuple[str, ...], kind: str) -> pd.DataFrame:
    """``columns`` as numbers, or a ValueError naming the first record (counted from 1, the
    header not counted) whose value is not one, with its case and adapter."""
    for column in columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values):
            continue
        numbers = []
        for i, value in enumerate(values):
            try:
                numbers.append(np.nan if pd.isna(value) else float(value))
            except (TypeError, ValueError):
                raise ValueError(
                    f"{kind} record {i + 1} ({frame['case'].iloc[i]}, "
                    f"{frame['adapter'].iloc[i]}): {column} is {value!r}, not a number"
                ) from None
        frame[column] = np.asarray(numbers, dtype=float)
    return frame


def conformance_frame(records: Iterable[Any]) -> pd.DataFrame:
    """Conformance records (dicts or objects with ``to_dict``) as a frame in schema order."""
    frame = _numbers(_frame(records, CONFORMANCE_COLUMNS, "conformance"), CONFORMANCE_NUMBERS,
                     "conformance")
    unknown = set(frame["status"].dropna()) - set(STATUSES)
    if unknown:
        raise ValueError(f"unknown statuses {sorted(unknown)}; expected one of {STATUSES}")
    frame["host"] = frame["host"].astype(object).fillna("")
    return frame


def timing_frame(records: Iterable[Any]) -> pd.DataFrame:
    """Timing records as a frame in schema order (``gradbench_size`` empty where a record
    predates it)."""
    frame = _numbers(_frame(records, TIMING_COLUMNS, "timing"), TIMING_NUMBERS, "timing")
    frame["gradbench_size"] = frame["gradbench_size"].astype(object).fillna("")
    frame["host"] = frame["host"].astype(object).fillna("")
    return frame
