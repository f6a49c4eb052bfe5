"""The report's plots (matplotlib, headless), written as PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reports.tables import pass_fraction

__all__ = ["conformance_heatmap", "fd_error_vs_step", "gradient_ratio", "time_vs_size"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    return plt


def conformance_heatmap(conformance: pd.DataFrame, path: Path) -> Path | None:
    """Category x adapter/mode, coloured by the share of checks that pass (or match a
    documented divergence)."""
    if conformance.empty:
        return None
    table = pass_fraction(conformance)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.1 * len(table.columns) + 3, 0.45 * len(table) + 1.5))
    image = ax.imshow(table.to_numpy(dtype=float), cmap="RdYlGn", vmin=0.0, vmax=1.0,
                      aspect="auto")
    ax.set_xticks(range(len(table.columns)), table.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(table.index)), table.index)
    for (i, j), value in np.ndenumerate(table.to_numpy(dtype=float)):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.0%}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label="checks passing or documented")
    ax.set_title("Conformance by case category")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def time_vs_size(timing: pd.DataFrame, case: str, path: Path) -> Path | None:
    """Value-and-gradient time against input size (log-log), one line per adapter/mode."""
    frame = timing[(timing["case"] == case) & (timing["quantity"] == "value_and_grad")]
    if frame["n_inputs"].nunique() < 2:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for (adapter, mode, dtype), group in frame.groupby(["adapter", "mode", "dtype"]):
        group = group.sort_values("n_inputs")
        ax.loglog(group["n_inputs"], group["median_s"], marker="o",
                  label=f"{adapter}/{mode} {dtype}")
    ax.set_xlabel("input entries")
    ax.set_ylabel("value and gradient, median seconds")
    ax.set_title(case)
    ax.legend(fontsize=7)
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
