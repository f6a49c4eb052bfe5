"""The report's tables, each a pandas frame computed from the tidy records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cases.statuses import FAILING, STATUSES
from reports.error_notes import error_notes
from reports.schema import category_of

__all__ = [
    "coverage_table",
    "matrix_by_category",
    "size_shown",
    "status_counts",
    "timing_overview",
    "timing_pivot",
    "timing_table",
    "undocumented_failures",
    "without_control",
    "worst_errors",
]


def _column(frame: pd.DataFrame) -> pd.Series:
    return frame["adapter"].astype(str) + "/" + frame["mode"].astype(str)


def status_counts(conformance: pd.DataFrame) -> pd.DataFrame:
    """Records per adapter/mode and status (every status a column, zeros included)."""
    if conformance.empty:
        return pd.DataFrame(columns=["adapter/mode", *STATUSES, "total"])
    counts = pd.crosstab(_column(conformance), conformance["status"])
    counts = counts.reindex(columns=list(STATUSES), fill_value=0)
    counts["total"] = counts.sum(axis=1)
    counts.index.name = "adapter/mode"
    return counts.reset_index()


def matrix_by_category(conformance: pd.DataFrame) -> pd.DataFrame:
    """Case category x adapter/mode: 'pass / failing / documented / unsupported' counts."""
    if conformance.empty:
        return pd.DataFrame()
    frame = conformance.assign(
        category=conformance["tags"].astype(object).fillna("").map(category_of),
        column=_column(conformance),
    )

    def cell(group: pd.DataFrame) -> str:
        s = group["status"]
        return (f"{(s == 'pass').sum()} / {s.isin(FAILING).sum()} / "
                f"{(s == 'divergence-documented').sum()} / {(s == 'unsupported').sum()}")

    table = frame.groupby(["category", "column"]).apply(cell, include_groups=False).unstack()
    table.columns.name = None
    return table.fillna("").reset_index()


def undocumented_failures(conformance: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """Failing records (fail, error, nonfinite), worst relative error first."""
    bad = conformance[conformance["status"].isin(FAILING)]
    bad = bad.sort_values("max_rel_err", ascending=False, na_position="last")
    columns = ["case", "adapter", "mode", "dtype", "check", "status", "max_rel_err", "message"]
    return (bad[columns] if limit is None else bad[columns].head(limit)).reset_index(drop=True)


def worst_errors(conformance: pd.DataFrame, per_adapter: int = 5) -> pd.DataFrame:
    """The largest relative errors each adapter reached among checks it passed or failed,
    with the sentence that explains a number that looks alarming (``why``)."""
    checked = conformance[conformance["status"].isin(["pass", "fail"])]
    checked = checked.dropna(subset=["max_rel_err"])
    checked = checked.sort_values("max_rel_err", ascending=False)
    top = checked.groupby("adapter", sort=True).head(per_adapter)
    top = top.assign(why=error_notes(top))  # an infinite relative error beside pass, ...
    columns = ["adapter", "mode", "dtype", "case", "check", "status", "max_abs_err",
               "max_rel_err", "tol", "why"]
    return top[columns].reset_index(drop=True)


def coverage_table() -> pd.DataFrame:
    """Vocabulary name x adapter: native / composite / missing (unavailable adapters omitted)."""
    import adapters

    columns = {}
    for adapter in adapters.all():
        if adapter.available():
            columns[adapter.name] = pd.Series(adapter.coverage())
    table = pd.DataFrame(columns)
    table.index.name = "name"
    return table.reset_index()


def size_shown(timing: pd.DataFrame) -> pd.Series:
    """The size label, and GradBench's own label beside it at one of GradBench's default
    sizes: ``"n=21,m=11315,p=36455 (GradBench ba2)"``."""
    size = timing["size"].astype(str)
    if "gradbench_size" not in timing:
        return size
    label = timing["gradbench_size"].fillna("").astype(str)
    return size.where(label == "", size + " (GradBench " + label + ")")


def timing_table(timing: pd.DataFrame) -> pd.DataFrame:
    """Per case, size, dtype and adapter/mode: forward and value-and-gradient medians, their
    ratio, compile time, and speed relative to refengine and to the fastest adapter."""
    if timing.empty:
        return pd.DataFrame()
    hosts = set(timing["host"].astype(object).fillna("").astype(str)) if "host" in timing \
        else set()
    if len(hosts) > 1:  # reports.render.timing_by_host gives each host's records on their own
        raise ValueError(f"timing records of several hosts ({', '.join(sorted(hosts))}): a "
                         "table of ratios takes one host's records, never two hosts' times")
    frame = timing.assign(column=_column(timing), size=size_shown(timing))
    wide = frame.pivot_table(index=["case", "size", "dtype", "column"], columns="quantity",
                             values="median_s", aggfunc="first")
    for needed in ("forward", "value_and_grad", "compile"):
        if needed not in wide:
            wide[needed] = float("nan")
    wide["grad/forward"] = wide["value_and_grad"] / wide["forward"]
    keys = ["case", "size", "dtype"]
    grad = wide["value_and_grad"]
    fastest = grad.groupby(level=keys).transform("min")
    wide["vs fastest"] = grad / fastest
    ref = grad[grad.index.get_level_values("column").str.startswith("refengine/")]
    ref = ref.droplevel("column")
    wide["vs refengine"] = grad / ref.reindex(wide.index.droplevel("column")).to_numpy()
    keep = ["forward", "value_and_grad", "grad/forward", "compile", "vs refengine", "vs fastest"]
    return wide[keep].reset_index().rename(columns={"column": "adapter/mode"})


def without_control(timing: pd.DataFrame) -> pd.DataFrame:
    """The timing records less the NumPy control rows (``case="control..."``)."""
    return timing[~timing["case"].astype(str).str.startswith("control")]


def timing_pivot(timing: pd.DataFrame, value: str, cases: list[str] | None = None
                 ) -> pd.DataFrame:
    """One column of ``timing_table`` (``value_and_grad``, ``grad/forward``, ``compile``,
    ``vs refengine``, ``vs fastest``, ...) as a case-and-size x adapter/mode table."""
    table = timing_table(without_control(timing))
    if table.empty:
        return table
    if cases is not None:
        table = table[table["case"].isin(cases)]
    table = table.assign(point=table["case"] + " " + table["size"].astype(str)
                         + (" " + table["dtype"]).where(table["dtype"] != "float64", ""))
    wide = table.pivot_table(index="point", columns="adapter/mode", values=value,
                             aggfunc="first", sort=False)
    wide = wide.dropna(how="all").dropna(axis=1, how="all")
    wide.columns.name = None
    return wide.reset_index().rename(columns={"point": "case, size"})


def _geomean(values: pd.Series) -> float:
    values = values[(values > 0) & np.isfinite(values)]
    return float(np.exp(np.log(values).mean())) if len(values) else float("nan")


def timing_overview(timing: pd.DataFrame) -> pd.DataFrame:
    """Per adapter/mode over every timed case: how many, the median gradient/forward ratio,
    the geometric mean speed relative to refengine (> 1: faster) and to the fastest, and how
    often it was the fastest."""
    table = timing_table(without_control(timing))
    if table.empty:
        return table
    grouped = table.groupby("adapter/mode")
    return pd.DataFrame({
        "cases timed": grouped["value_and_grad"].count(),
        "median grad/forward": grouped["grad/forward"].median(),
        "speed vs refengine (geo. mean)": grouped["vs refengine"].agg(
            lambda s: 1.0 / _geomean(s)),
        "time / fastest (geo. mean)": grouped["vs fastest"].agg(_geomean),
        "fastest in": grouped["vs fastest"].agg(lambda s: int((s == 1.0).sum())),
        "median compile s": grouped["compile"].median(),
    }).reset_index()
