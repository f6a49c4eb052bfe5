"""The report's tables, each a pandas frame computed from the tidy records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cases.statuses import FAILING, STATUSES
from reports.error_notes import error_notes
from reports.schema import category_of

__all__ = [
    "check_sizes_only",
    "control_rows",
    "coverage_table",
    "matrix_by_category",
    "median_pivot",
    "paired_relative",
    "relative_pivot",
    "size_kinds",
    "size_product",
    "size_shown",
    "status_counts",
    "timing_overview",
    "timing_pivot",
    "timing_table",
    "undocumented_failures",
    "with_interval",
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
    ratio, compile time, and value-and-gradient time relative to refengine's and to the
    fastest adapter's (``paired_relative``: paired through the NumPy control where the records
    carry it, a ratio of medians for older records)."""
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
    for name, reference in (("vs refengine", "refengine/eager"), ("vs fastest", None)):
        relative = paired_relative(timing, "value_and_grad", reference)
        if relative.empty:
            wide[name] = float("nan")
            continue
        relative = relative.set_index(["case", "size", "dtype", "adapter/mode"])["ratio"]
        relative.index = relative.index.set_names("column", level="adapter/mode")
        wide[name] = relative.reindex(wide.index).to_numpy()
    keep = ["forward", "value_and_grad", "grad/forward", "compile", "vs refengine", "vs fastest"]
    return wide[keep].reset_index().rename(columns={"column": "adapter/mode"})


def paired_relative(timing: pd.DataFrame, quantity: str = "value_and_grad",
                    reference: str | None = None) -> pd.DataFrame:
    """Each adapter/mode's time over ``reference``'s (an adapter/mode; None: the fastest) at
    the same case, size and dtype, with a 95 % interval: ``ratio``, ``low``, ``high``,
    ``paired``.

    Where every record of the point carries ``vs_control`` (its time over the NumPy control's,
    taken round by round in the same rounds), the ratio is ``vs_control`` over the
    reference's: a machine that slows down for a minute slows the control too, and cancels.
    The interval is then the widest the two ratios' intervals allow. Points with older
    records fall back to a ratio of medians (``paired`` False), and the bounds from the
    medians' intervals where those exist."""
    rows = without_control(timing)
    rows = rows[rows["quantity"] == quantity]
    columns = ["case", "size", "dtype", "adapter/mode", "ratio", "low", "high", "paired"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = rows.assign(**{"adapter/mode": _column(rows), "size": size_shown(rows)})
    for name in ("vs_control", "vs_control_low", "vs_control_high", "ci_low_s", "ci_high_s"):
        if name not in rows:
            rows[name] = np.nan
    remote = {name: _out_of_process(name) for name in rows["adapter"].unique()}
    keys = ["case", "size", "dtype"]
    # Paired where the record carries its ratio to this interpreter's control; an
    # out-of-process adapter's ratio is to its own interpreter's control (another NumPy):
    # it, and a point with older records, compare by medians.
    rows = rows.reset_index(drop=True)
    rows = rows.assign(row=np.arange(len(rows)), paired=rows["vs_control"].notna().to_numpy()
                       & ~rows["adapter"].map(remote).to_numpy(dtype=bool))
    if reference is None:
        # the fastest, by the same ratios as shown (against a paired row where any is)
        first = rows.sort_values("paired", ascending=False, kind="stable").groupby(
            keys, sort=False).head(1)
        provisional = _against(rows, first, keys)
        provisional = provisional[np.isfinite(provisional["ratio"])]
        fastest = provisional.loc[provisional.groupby(keys, sort=False)["ratio"].idxmin(),
                                  "row"]
        chosen = rows.iloc[fastest.to_numpy(dtype=int)]
    else:
        chosen = rows[rows["adapter/mode"] == reference].groupby(keys, sort=False).head(1)
    return _against(rows, chosen, keys)[columns]


def _against(rows: pd.DataFrame, refs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Each row's ratio to its point's row in ``refs`` (points without one are left out):
    paired through the control where both are, else by medians; the reference itself 1."""
    values = ["vs_control", "vs_control_low", "vs_control_high", "median_s", "ci_low_s",
              "ci_high_s"]
    ref = refs[[*keys, "adapter/mode", "paired", *values]].rename(
        columns={c: f"ref_{c}" for c in ["adapter/mode", "paired", *values]})
    merged = rows.merge(ref, on=keys, how="inner")
    both = (merged["paired"] & merged["ref_paired"]).to_numpy(dtype=bool)

    def pick(paired: str, medians: str, prefix: str = "") -> np.ndarray:
        return np.where(both, merged[prefix + paired].to_numpy(dtype=float),
                        merged[prefix + medians].to_numpy(dtype=float))

    mid, low, high = (pick(a, b) for a, b in (("vs_control", "median_s"),
                                              ("vs_control_low", "ci_low_s"),
                                              ("vs_control_high", "ci_high_s")))
    r_mid, r_low, r_high = (pick(a, b, "ref_") for a, b in (("vs_control", "median_s"),
                                                            ("vs_control_low", "ci_low_s"),
                                                            ("vs_control_high", "ci_high_s")))
    same = (merged["adapter/mode"] == merged["ref_adapter/mode"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        merged["ratio"] = np.where(same, 1.0, mid / r_mid)
        merged["low"] = np.where(same, 1.0, low / r_high)
        merged["high"] = np.where(same, 1.0, high / r_low)
    merged["paired"] = both
    return merged


def size_product(size: str) -> float:
    """The product of a size label's numbers (``"n=1024,m=128"`` -> 131072): a problem size
    to order and plot by where the differentiated entries stay the same across sizes (llsq
    differentiates its m coefficients whatever its n rows)."""
    numbers = [float(part.split("=", 1)[1]) for part in str(size).split(",")
               if "=" in part and part.split("=", 1)[1].replace(".", "", 1).isdigit()]
    return float(np.prod(numbers)) if numbers else float("nan")


def _ordered(wide: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``wide`` (indexed by point labels) in the order case, then size, small to large."""
    key = rows.assign(product=rows["size"].astype(str).str.split(" (", regex=False).str[0]
                      .map(size_product))
    order = (key.sort_values(["case", "n_inputs", "product"], kind="stable")["point"]
             .drop_duplicates().tolist()) if "n_inputs" in key else list(wide.index)
    return wide.reindex([p for p in order if p in wide.index]
                        + [p for p in wide.index if p not in order])


def _out_of_process(name: str) -> bool:
    """Whether adapter ``name`` answers from another interpreter (``adapters.remote``); an
    adapter this installation does not know is taken as in-process."""
    import adapters

    try:
        return bool(getattr(adapters.get(name), "remote", False))
    except Exception:  # a plug-in's records read where the plug-in is not installed
        return False


def with_interval(ratio: float, low: float, high: float, fmt: str = ".2f") -> str:
    """``"1.23 [1.20, 1.27]"``; the bounds left out where unknown (too few samples)."""
    if ratio != ratio:
        return ""
    if low != low or high != high:
        return format(ratio, fmt)
    return f"{ratio:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def relative_pivot(timing: pd.DataFrame, reference: str | None = None,
                   cases: list[str] | None = None, quantity: str = "value_and_grad"
                   ) -> pd.DataFrame:
    """``paired_relative`` as a case-and-size x adapter/mode table of ``"ratio [low, high]"``
    strings (what a reader compares; lone absolute times move with the machine)."""
    table = paired_relative(timing, quantity, reference)
    if cases is not None:
        table = table[table["case"].isin(cases)]
    if table.empty:
        return pd.DataFrame()
    table = table.assign(
        point=table["case"] + " " + table["size"].astype(str)
        + (" " + table["dtype"]).where(table["dtype"] != "float64", ""),
        cell=[with_interval(r, lo, hi) for r, lo, hi in
              zip(table["ratio"], table["low"], table["high"], strict=True)])
    wide = table.pivot_table(index="point", columns="adapter/mode", values="cell",
                             aggfunc="first", sort=False).fillna("")
    wide = _ordered(wide, _points(timing))
    wide.columns.name = None
    return wide.reset_index().rename(columns={"point": "case, size"})


def _points(timing: pd.DataFrame) -> pd.DataFrame:
    """Each record's point label (as the pivots show it), case, size and n_inputs."""
    rows = without_control(timing)
    return rows.assign(point=rows["case"] + " " + size_shown(rows).astype(str)
                       + (" " + rows["dtype"]).where(rows["dtype"] != "float64", ""))


def median_pivot(timing: pd.DataFrame, quantity: str, cases: list[str] | None = None,
                 scale: float = 1e3) -> pd.DataFrame:
    """Medians with their 95 % intervals (``"1.23 [1.20, 1.27]"``, times ``scale``: ms) as a
    case-and-size x adapter/mode table."""
    rows = without_control(timing)
    rows = rows[rows["quantity"] == quantity]
    if cases is not None:
        rows = rows[rows["case"].isin(cases)]
    if rows.empty:
        return pd.DataFrame()
    low = rows["ci_low_s"] if "ci_low_s" in rows else pd.Series(np.nan, index=rows.index)
    high = rows["ci_high_s"] if "ci_high_s" in rows else pd.Series(np.nan, index=rows.index)
    rows = rows.assign(
        point=rows["case"] + " " + size_shown(rows).astype(str)
        + (" " + rows["dtype"]).where(rows["dtype"] != "float64", ""),
        column=_column(rows),
        cell=[with_interval(m * scale, lo * scale, hi * scale, ".3g") for m, lo, hi in
              zip(rows["median_s"], low, high, strict=True)])
    wide = rows.pivot_table(index="point", columns="column", values="cell", aggfunc="first",
                            sort=False).fillna("")
    wide = _ordered(wide, _points(timing))
    wide.columns.name = None
    return wide.reset_index().rename(columns={"point": "case, size"})


def size_kinds(timing: pd.DataFrame) -> pd.Series:
    """Per record: ``check`` (the case's check size: a few entries, where per-call overhead
    decides), ``gradbench`` (one of GradBench's sizes), ``sweep`` (another size of the case's
    sweep), ``other`` (the case is not in this library, or the size is none of these)."""
    import cases as case_registry

    labels: dict[str, tuple[str, set[str]]] = {}
    for case in case_registry.all():
        labels[case.name] = (case.sizes.label(case.sizes.check),
                             {case.sizes.label(s) for s in case.sizes.sweep})
    kinds = []
    gradbench = (timing["gradbench_size"].astype(object).fillna("").astype(str)
                 if "gradbench_size" in timing else pd.Series("", index=timing.index))
    for case, size, label in zip(timing["case"], timing["size"].astype(str), gradbench,
                                 strict=True):
        check, sweep = labels.get(case, ("", set()))
        kinds.append("gradbench" if label else "check" if size == check
                     else "sweep" if size in sweep else "other")
    return pd.Series(kinds, index=timing.index, dtype=object)


def check_sizes_only(timing: pd.DataFrame) -> bool:
    """Whether every timing (the control aside) is at its case's check size: toy sizes,
    not results."""
    rows = without_control(timing)
    return not rows.empty and bool((size_kinds(rows) == "check").all())


def control_rows(timing: pd.DataFrame) -> pd.DataFrame:
    """The NumPy control's records made by this interpreter: those of an out-of-process
    adapter's worker (``control@<case>@<adapter>``) ran another Python and NumPy, so their
    speed says nothing about this one's machine time."""
    names = timing["case"].astype(str)
    return timing[names.str.startswith("control") & (names.str.count("@") < 2)]


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
    wide = _ordered(wide, _points(timing)).dropna(how="all").dropna(axis=1, how="all")
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
