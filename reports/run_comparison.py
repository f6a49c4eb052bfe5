"""Two runs side by side: new failures, fixed ones, changed conventions, and timing changes
beyond the measured noise (for two framework versions, or two machines)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cases.statuses import DIVERGENCE_DOCUMENTED, FAILING, PASS
from reports.render import environment_lines
from reports.rundir import RunFolder
from reports.tables import control_rows, without_control

__all__ = ["Comparison", "compare_runs", "control_lines"]

GOOD = (PASS, DIVERGENCE_DOCUMENTED)
CHECK_KEY = ["case", "adapter", "mode", "dtype", "check"]
TIMING_KEY = ["case", "adapter", "mode", "dtype", "size", "quantity"]
# A timing change counts when it exceeds both this floor and twice the runs' relative spread.
MIN_CHANGE = 0.10


@dataclass(frozen=True)
class Comparison:
    new_failures: pd.DataFrame
    fixed: pd.DataFrame
    changed_conventions: pd.DataFrame
    other_status_changes: pd.DataFrame
    timing_changes: pd.DataFrame
    markdown: str
    # What the runs share, and what only one of them recorded: {"checks": {"both": n,
    # "only_a": n, "only_b": n}, "timings": {...}}. Only what both recorded is compared.
    coverage: dict[str, dict[str, int]]

    @property
    def comparable(self) -> bool:
        """Whether the runs share any check or timing: otherwise there was nothing to compare."""
        return any(counts["both"] for counts in self.coverage.values())


def _status_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    merged = a[[*CHECK_KEY, "status", "convention", "message"]].merge(
        b[[*CHECK_KEY, "status", "convention", "message"]], on=CHECK_KEY,
        suffixes=("_a", "_b"),
    )
    return merged


def _hosts(frame: pd.DataFrame) -> list[str]:
    return sorted(set(frame["host"].astype(object).fillna("").astype(str)) - {""}) \
        if "host" in frame else []


def _timing_key(a: pd.DataFrame, b: pd.DataFrame, across_hosts: bool) -> list[str]:
    """Timings are paired host by host (never two hosts' times in one ratio), unless
    ``across_hosts`` or a run names no host (from before hosts were kept)."""
    if across_hosts or not _hosts(a) or not _hosts(b):
        return TIMING_KEY
    return [*TIMING_KEY, "host"]


def _timing_changes(a: pd.DataFrame, b: pd.DataFrame, key: list[str] = TIMING_KEY
                    ) -> pd.DataFrame:
    """Timings that moved beyond the noise, each with what moved: ``framework`` when its time
    over the NumPy control (paired round by round, ``vs_control``) moved too; ``machine`` when
    that held and only the absolute time moved (the control moved as much: the machine, not
    the framework, was faster or slower); ``unknown`` for records without the control."""
    columns = [*key, "median_a", "median_b", "ratio", "noise", "vs_control_ratio",
               "control_noise", "moved"]
    if a.empty or b.empty:
        return pd.DataFrame(columns=columns)
    keep = [*key, "median_s", "iqr_s", "vs_control", "vs_control_low",
            "vs_control_high"]
    a, b = (_with_columns(f, keep) for f in (a, b))
    merged = a[keep].merge(b[keep], on=key, suffixes=("_a", "_b"))
    ratio = merged["median_s_b"] / merged["median_s_a"]
    noise = (merged["iqr_s_a"] / merged["median_s_a"]).fillna(0) + (
        merged["iqr_s_b"] / merged["median_s_b"]
    ).fillna(0)
    paired = merged["vs_control_b"] / merged["vs_control_a"]
    control_noise = _half_width(merged, "_a").fillna(0) + _half_width(merged, "_b").fillna(0)
    absolute = _beyond(ratio, noise)
    relative = _beyond(paired, control_noise)
    known = paired.notna()
    moved = np.where(~known, "unknown", np.where(relative, "framework", "machine"))
    out = merged.assign(ratio=ratio, noise=noise, vs_control_ratio=paired,
                        control_noise=control_noise, moved=moved)
    out = out[(absolute & ~known) | (known & (absolute | relative))]
    out = out.rename(columns={"median_s_a": "median_a", "median_s_b": "median_b"})
    return out[columns].reset_index(drop=True)


def _with_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    missing = {c: np.nan for c in columns if c not in frame}
    return frame.assign(**missing) if missing else frame


def _half_width(merged: pd.DataFrame, side: str) -> pd.Series:
    """Half the width of the paired ratio's interval over the ratio (relative noise)."""
    return ((merged[f"vs_control_high{side}"] - merged[f"vs_control_low{side}"])
            / (2 * merged[f"vs_control{side}"]))


def _beyond(ratio: pd.Series, noise: pd.Series) -> pd.Series:
    """A change past both the floor (``MIN_CHANGE``) and twice the runs' relative noise."""
    return ((np.abs(np.log(ratio)) > np.log1p(MIN_CHANGE)) & (np.abs(ratio - 1) > 2 * noise)
            ).fillna(False).astype(bool)


def control_lines(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """The NumPy control of each run (all its records pooled by their medians): how much the
    machine itself changed between the runs."""
    ca, cb = control_rows(a)["median_s"], control_rows(b)["median_s"]
    if ca.empty or cb.empty:
        return ["- the NumPy control: not in both runs (nothing tells a slower machine from a "
                "slower framework)"]
    ma, mb = float(ca.median()), float(cb.median())
    change = mb / ma - 1
    verdict = ("the machine ran at the same speed" if abs(change) <= MIN_CHANGE else
               f"the machine was {'slower' if change > 0 else 'faster'} in B: absolute times "
               "moved with it; the timing changes below say whether each framework moved "
               "beyond that (`moved`: framework) or only with the machine (machine)")
    return [f"- the NumPy control: {ma * 1e3:.4g} ms in A, {mb * 1e3:.4g} ms in B "
            f"({change:+.0%}): {verdict}"]


def _keys(frame: pd.DataFrame, columns: list[str]) -> set[tuple[str, ...]]:
    return set(frame[columns].astype(str).itertuples(index=False, name=None))


def _coverage(what: str, a: pd.DataFrame, b: pd.DataFrame, columns: list[str]
              ) -> tuple[dict[str, int], list[str]]:
    """How many of ``what`` (keyed by ``columns``) both runs recorded, and only A or only B;
    with the lines that say so, and a few of the one-sided ones."""
    ka, kb = _keys(a, columns), _keys(b, columns)
    counts = {"both": len(ka & kb), "only_a": len(ka - kb), "only_b": len(kb - ka)}
    lines = [f"- {what} in both runs, compared: {counts['both']}"]
    for side, only in (("A", ka - kb), ("B", kb - ka)):
        if only:
            shown = ", ".join("/".join(key) for key in sorted(only)[:3])
            lines.append(f"- {what} only in {side}, not compared: {len(only)} "
                         f"(such as {shown}{', ...' if len(only) > 3 else ''})")
    return counts, lines


def _section(title: str, frame: pd.DataFrame, columns: list[str], compared: int) -> list[str]:
    lines = [f"## {title} ({len(frame)})", ""]
    if len(frame):
        lines.append(frame[columns].to_markdown(index=False, floatfmt=".3g"))
    else:  # "none" only where something was compared
        lines.append("_(none)_" if compared else "_(nothing compared: no record in both runs)_")
    return [*lines, ""]


def _host_lines(ta: pd.DataFrame, tb: pd.DataFrame, key: list[str]) -> list[str]:
    ha, hb = _hosts(ta), _hosts(tb)
    if "host" in key:
        line = (f"- timings are compared host by host: A measured on {', '.join(ha)}, B on "
                f"{', '.join(hb)}")
        return [line + ("; they share no host, so no timing is compared (--across-hosts "
                        "compares them anyway)" if not set(ha) & set(hb) else "")]
    if ha and hb and ha != hb:
        return [f"- --across-hosts: timings of A (host {', '.join(ha)}) and B (host "
                f"{', '.join(hb)}) are compared across machines"]
    if bool(ha) != bool(hb):
        return ["- one run names no host (it predates host records): its timings are "
                "compared as if measured on the other's"]
    return []


def compare_runs(a: RunFolder, b: RunFolder, *, across_hosts: bool = False) -> Comparison:
    ca, cb = a.conformance(), b.conformance()
    changes = _status_changes(ca, cb)
    was_good, is_good = changes["status_a"].isin(GOOD), changes["status_b"].isin(GOOD)
    new_failures = changes[was_good & changes["status_b"].isin(FAILING)]
    fixed = changes[changes["status_a"].isin(FAILING) & is_good]
    conv_a = changes["convention_a"].astype(object).fillna("")
    conv_b = changes["convention_b"].astype(object).fillna("")
    changed_conventions = changes[(conv_a != conv_b) & (conv_a != "") & (conv_b != "")]
    other = changes[(changes["status_a"] != changes["status_b"])
                    & ~changes.index.isin(new_failures.index) & ~changes.index.isin(fixed.index)]
    ta, tb = a.timing(), b.timing()
    key = _timing_key(ta, tb, across_hosts)
    timing = _timing_changes(ta, tb, key)
    checks, check_lines = _coverage("checks", ca, cb, CHECK_KEY)
    # the NumPy control is named after the task it ran in: no record of what a run covered
    timings, timing_lines = _coverage("timings", without_control(ta), without_control(tb),
                                      key)
    timing_lines += _host_lines(ta, tb, key)
    status_cols = [*CHECK_KEY, "status_a", "status_b"]
    lines = ["# gradparity compare", "", f"A: `{a.path}`", *environment_lines(a.environment()),
             "", f"B: `{b.path}`", *environment_lines(b.environment()), "",
             "## Coverage", "", *check_lines, *timing_lines, *control_lines(ta, tb), ""]
    n = checks["both"]
    lines += _section("New failures (A passed, B fails)", new_failures,
                      [*status_cols, "message_b"], n)
    lines += _section("Fixed (A failed, B passes)", fixed, status_cols, n)
    lines += _section("Changed conventions", changed_conventions,
                      [*CHECK_KEY, "convention_a", "convention_b"], n)
    lines += _section("Other status changes", other, status_cols, n)
    lines += _section(f"Timing changes beyond the noise (and beyond {MIN_CHANGE:.0%}; moved: "
                      "framework where its time over the NumPy control of the same rounds "
                      "moved too, machine where it moved only with the control)", timing,
                      [*key, "median_a", "median_b", "ratio", "noise", "vs_control_ratio",
                       "moved"], timings["both"])
    return Comparison(new_failures.reset_index(drop=True), fixed.reset_index(drop=True),
                      changed_conventions.reset_index(drop=True), other.reset_index(drop=True),
                      timing, "\n".join(lines), {"checks": checks, "timings": timings})
