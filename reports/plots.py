"""The report's plots (matplotlib, headless), written as PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["REFERENCE_CHECKS", "accuracy_strips", "fd_error_vs_step",
           "float32_strips", "gradient_ratio", "time_vs_size"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    return plt


def time_vs_size(timing: pd.DataFrame, case: str, path: Path, machine: str = "") -> Path | None:
    """Value-and-gradient time against input size (log-log), one line per adapter/mode and
    dtype, each median with its 95 % interval as an error bar and the sizes labelled as
    GradBench labels them where they are GradBench's (left); the gradient/forward ratio
    against the same sizes (right). ``machine`` goes in the title: a time is a machine's."""
    from reports.tables import size_product

    mine = timing[timing["case"] == case]
    # x: the differentiated entries; where those stay the same across the sizes (llsq
    # differentiates its m coefficients whatever its n rows), the product of the size's numbers
    by_inputs = mine["n_inputs"].nunique() > 1
    mine = mine.assign(x=mine["n_inputs"].astype(float) if by_inputs
                       else mine["size"].astype(str).map(size_product))
    frame = mine[mine["quantity"] == "value_and_grad"]
    if frame["x"].nunique() < 2:
        return None
    forward = mine[mine["quantity"] == "forward"]
    keys = ["adapter", "mode", "dtype", "x"]
    forward = forward.set_index(keys)["median_s"]
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for (adapter, mode, dtype), group in frame.groupby(["adapter", "mode", "dtype"]):
        group = group.sort_values("x")
        label = f"{adapter}/{mode}" + ("" if dtype == "float64" else f" {dtype}")
        median = group["median_s"].to_numpy(dtype=float)
        low = group["ci_low_s"].to_numpy(dtype=float) if "ci_low_s" in group else median
        high = group["ci_high_s"].to_numpy(dtype=float) if "ci_high_s" in group else median
        errors = np.vstack([np.nan_to_num(median - low), np.nan_to_num(high - median)])
        line = left.errorbar(group["x"], median, yerr=np.maximum(errors, 0),
                             marker="o", ms=3, capsize=2, label=label)
        ratio = median / forward.reindex(
            [(adapter, mode, dtype, n) for n in group["x"]]).to_numpy(dtype=float)
        right.plot(group["x"], ratio, marker="o", ms=3, color=line[0].get_color(),
                   label=label)
    sizes = frame.drop_duplicates("x").sort_values("x")
    ticks = [g if g else s.replace(",", "\n") for s, g in
             zip(sizes["size"].astype(str), sizes.get("gradbench_size", pd.Series(
                 "", index=sizes.index)).astype(object).fillna("").astype(str), strict=True)]
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xticks(sizes["x"].to_numpy(dtype=float), ticks, fontsize=6, rotation=30)
        ax.minorticks_off()
        ax.set_xlabel("size, GradBench's labels; x (log): "
                      + ("differentiated entries" if by_inputs else
                         "the product of the size's numbers"), fontsize=7)
    left.set_yscale("log")
    left.set_ylabel("value and gradient, median s (95 % interval)")
    right.set_yscale("log")
    right.set_ylabel("gradient / forward time")
    right.axhline(1.0, color="grey", lw=0.8, ls=":")
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    right.yaxis.set_major_formatter(ScalarFormatter())
    right.yaxis.set_minor_formatter(NullFormatter())
    left.legend(fontsize=6)
    fig.suptitle(f"{case}: who is fastest at which size" + (f" ({machine})" if machine else ""),
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def gradient_ratio(timing: pd.DataFrame, path: Path) -> Path | None:
    """The cheap-gradient ratio (value-and-gradient time / forward time) per adapter/mode,
    over all timed cases: a box per adapter."""
    wide = timing.pivot_table(index=["case", "size", "dtype", "adapter", "mode"],
                              columns="quantity", values="median_s", aggfunc="first")
    if not {"forward", "value_and_grad"} <= set(wide.columns):
        return None
    ratio = (wide["value_and_grad"] / wide["forward"]).dropna().reset_index(name="ratio")
    if ratio.empty:
        return None
    ratio["column"] = ratio["adapter"] + "/" + ratio["mode"]
    groups = sorted(ratio["column"].unique())
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.2 * len(groups) + 2, 4))
    ax.boxplot([ratio.loc[ratio["column"] == g, "ratio"] for g in groups], tick_labels=groups)
    ax.set_yscale("log")
    ax.set_ylabel("value-and-gradient / forward time")
    ax.tick_params(axis="x", rotation=45)
    ax.set_title("What a gradient costs, relative to the function")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def fd_error_vs_step(path: Path) -> Path:
    """Finite-difference error against step size on a sample function, log(x) * sin(3x) at
    x = 0.7: truncation error falls with the step, round-off grows as it shrinks."""
    x = 0.7

    def f(t: np.ndarray) -> np.ndarray:
        return np.log(t) * np.sin(3.0 * t)

    exact = np.sin(3.0 * x) / x + 3.0 * np.log(x) * np.cos(3.0 * x)
    steps = np.logspace(-1, -15, 57)
    forward = np.abs((f(x + steps) - f(x)) / steps - exact)
    central = np.abs((f(x + steps) - f(x - steps)) / (2 * steps) - exact)
    complex_step = np.abs(np.imag(f(x + 1j * steps)) / steps - exact)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    tiny = np.finfo(float).tiny
    ax.loglog(steps, np.maximum(forward, tiny), label="forward difference")
    ax.loglog(steps, np.maximum(central, tiny), label="central difference")
    ax.loglog(steps, np.maximum(complex_step, 1e-17), label="complex step")
    ax.axhline(np.finfo(float).eps * abs(exact), color="grey", ls=":", label="machine epsilon")
    ax.invert_xaxis()
    ax.set_xlabel("step h")
    ax.set_ylabel("|error| of d/dx log(x) sin(3x) at 0.7")
    ax.set_title("Truncation against round-off")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# The checks that compare a framework with the reference (refengine, or NumPy for refengine's
# own value): their errors are the framework's, not the finite-difference oracle's.
REFERENCE_CHECKS = ("value", "vjp_vs_refengine", "jvp_vs_refengine", "hvp_vs_refengine")


# A point's colour: its record's status (pass blue, a documented divergence orange, fail red).
_STATUS_COLOURS = {"pass": "#3182bd", "divergence-documented": "#e6550d", "fail": "#cb181d"}


def _strips(ax, groups: list[tuple[str, pd.DataFrame]], column: str, floor: float,
            ceiling: float) -> None:
    """One horizontal strip of points per group (log10 of ``column``, exact zeros drawn at
    ``floor``, anything past ``ceiling`` drawn there as a triangle; coloured by status), its
    median marked, and the worst point named by its case."""
    rng = np.random.default_rng(0)  # the jitter only: the same picture every render
    for i, (_, group) in enumerate(groups):
        values = np.log10(np.maximum(group[column].to_numpy(dtype=float), 10.0 ** floor))
        over = values > ceiling
        colours = group["status"].map(_STATUS_COLOURS).fillna("#3182bd").to_numpy()
        jitter = i + rng.uniform(-0.25, 0.25, len(values))
        ax.scatter(values[~over], jitter[~over], s=6, alpha=0.5, c=colours[~over],
                   linewidths=0)
        ax.scatter(np.full(over.sum(), ceiling), jitter[over], s=14, marker=">",
                   c=colours[over], linewidths=0)
        if len(values):
            ax.plot([np.median(values)] * 2, [i - 0.35, i + 0.35], color="k", lw=1.5)
            worst = int(np.argmax(values))
            label = group["case"].iloc[worst] + (f" (+{over.sum() - 1} more off the scale)"
                                                 if over.sum() > 1 else "")
            ax.annotate(label, (min(values[worst], ceiling), i), fontsize=6,
                        xytext=(-3, 5), textcoords="offset points", ha="right")
    ax.set_xlim(floor - 0.5, ceiling + 0.5)
    ax.set_yticks(range(len(groups)), [f"{label} (n={len(g)})" for label, g in groups])
    ax.set_ylim(len(groups) - 0.5, -0.5)


def accuracy_strips(conformance: pd.DataFrame, path: Path) -> Path | None:
    """Per adapter/mode and dtype, every finite error against the reference: the relative
    error of the worst entry (left; exact agreement at 1e-17) and the absolute error over
    its tolerance (right; the check passes left of the line). Records with an infinite
    relative error (expected value exactly 0) appear on the right only. Cases tagged ``kink``
    are left out: what differs there is a convention (the atlas shows it), not accuracy."""
    kink = conformance["tags"].astype(object).fillna("").astype(str).str.split(",").map(
        lambda tags: "kink" in tags)
    frame = conformance[conformance["check"].isin(REFERENCE_CHECKS) & ~kink
                        & conformance["status"].isin(["pass", "fail", "divergence-documented"])]
    frame = frame.assign(ratio=frame["max_abs_err"] / frame["tol"],
                         label=frame["adapter"] + "/" + frame["mode"] + " " + frame["dtype"])
    frame = frame[np.isfinite(frame["ratio"])]
    if frame.empty:
        return None
    groups = sorted(frame.groupby("label"), key=lambda g: g[0])
    rel = [(label, g[np.isfinite(g["max_rel_err"])]) for label, g in groups]
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.42 * len(groups) + 1.6),
                                      sharey=False)
    _strips(left, rel, "max_rel_err", -17, 1)
    left.set_xlabel("log10 relative error (-17: exact)")
    _strips(right, groups, "ratio", -8, 4)
    right.axvline(0, color="#cb181d", ls="--", lw=1)
    right.set_xlabel("log10 (abs. error / tolerance); passes left of the line")
    right.set_yticks([])
    fig.suptitle("Accuracy against the reference (value, VJP, JVP vs refengine): blue pass, "
                 "orange documented divergence, red fail; triangles: off the scale", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def float32_strips(conformance: pd.DataFrame, path: Path) -> Path | None:
    """Per adapter/mode, the float32_vs_float64 check's relative error (the same function in
    float32 against float64): where single precision loses more than its ~1e-7."""
    frame = conformance[(conformance["check"] == "float32_vs_float64")
                        & conformance["status"].isin(["pass", "fail", "divergence-documented"])]
    frame = frame[np.isfinite(frame["max_rel_err"])]
    if frame.empty:
        return None
    groups = sorted(frame.assign(label=frame["adapter"] + "/" + frame["mode"])
                    .groupby("label"), key=lambda g: g[0])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(groups) + 1.4))
    _strips(ax, groups, "max_rel_err", -17, 1)
    ax.axvline(np.log10(np.finfo(np.float32).eps), color="grey", ls=":", lw=1)
    ax.set_xlabel("log10 relative error, float32 against float64 (dotted: float32 epsilon)")
    ax.set_title("float32 against float64", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
