"""Two versions of one framework in one run: what changed between them.

``adapters.environments`` runs an older release (``jax@0.4.38``) out of process beside the
installed one (``jax``), both in one run. ``version_changes`` lines up their conformance
records (case, mode, dtype, check) and keeps those whose status differs, or whose worst
relative error moved by more than ``factor`` (a precision change within one status); the
Markdown table says which version did what.

    frame = reports.records_frame(records)          # or a run folder's checks frame
    changes = version_changes(frame, "jax", "jax@0.4.38")
    print(changes.markdown)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["KEY", "VersionChanges", "version_changes"]

KEY = ["case", "mode", "dtype", "check"]


@dataclass(frozen=True)
class VersionChanges:
    old: str
    new: str
    changed: pd.DataFrame  # one row per record that differs, KEY + status/error/version columns
    compared: int  # records both adapters have
    markdown: str


def _side(frame: pd.DataFrame, adapter: str) -> pd.DataFrame:
    side = frame[frame["adapter"] == adapter]
    if side.empty:
        raise ValueError(f"no records of adapter {adapter!r}; the records have: "
                         f"{', '.join(sorted(frame['adapter'].unique()))}")
    return side[[*KEY, "status", "max_rel_err", "framework_version", "message"]]


def version_changes(frame: pd.DataFrame, new: str, old: str,
                    factor: float = 10.0) -> VersionChanges:
    """The records of adapters ``new`` and ``old`` (two versions of one framework) that differ:
    another status, or a worst relative error more than ``factor`` times larger or smaller
    (errors under 1e-15 count as 1e-15). ValueError when either adapter has no records."""
    if factor <= 1:
        raise ValueError(f"factor must be > 1 (a ratio of errors), not {factor}")
    merged = _side(frame, new).merge(_side(frame, old), on=KEY, suffixes=("_new", "_old"))
    err_new = merged["max_rel_err_new"].astype(float).clip(lower=1e-15)
    err_old = merged["max_rel_err_old"].astype(float).clip(lower=1e-15)
    ratio = np.abs(np.log(err_new / err_old))
    moved = (ratio > np.log(factor)).fillna(False) | (err_new.isna() != err_old.isna())
    changed = merged[(merged["status_new"] != merged["status_old"]) | moved]
    changed = changed.sort_values(KEY).reset_index(drop=True)
    versions = (f"{merged['framework_version_new'].iloc[0]} vs "
                f"{merged['framework_version_old'].iloc[0]}") if len(merged) else ""
    lines = [f"## What changed: {new} vs {old}" + (f" ({versions})" if versions else ""), "",
             f"{len(changed)} of {len(merged)} records both have differ (status, or the worst "
             f"relative error by more than {factor:g}x).", ""]
    if len(changed):
        lines += [f"| case | mode | dtype | check | {new} | {old} |", "|---|---|---|---|---|---|"]
        for row in changed.itertuples(index=False):
            lines.append(f"| {row.case} | {row.mode} | {row.dtype} | {row.check} | "
                         f"{row.status_new} ({_err(row.max_rel_err_new)}) | "
                         f"{row.status_old} ({_err(row.max_rel_err_old)}) |")
    return VersionChanges(old, new, changed, len(merged), "\n".join(lines) + "\n")


def _err(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-"
    return "-" if np.isnan(number) else f"rel err {number:.1e}"
