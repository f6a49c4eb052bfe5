"""Render a run folder: summary.md, divergences.md, report.html and the plots."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import pandas as pd

from reports import plots, tables
from reports.rundir import RunFolder

__all__ = ["environment_lines", "render", "summary_markdown"]

MODEL_HEADLINE = ("gmm", "lstm", "mlp", "transformer", "ba")


def _md(frame: pd.DataFrame, floatfmt: str = ".3g") -> str:
    if frame is None or frame.empty:
        return "_(none)_"
    return frame.to_markdown(index=False, floatfmt=floatfmt)


def environment_lines(env: dict[str, Any]) -> list[str]:
    versions = ", ".join(f"{k} {v}" for k, v in sorted(env.get("versions", {}).items()))
    threads = env.get("threads") or env.get("thread_environment") or {}
    return [
        f"- date: {env.get('date', '?')}; git commit: {env.get('git_commit') or 'unknown'}",
        f"- machine: {env.get('cpu', '?')} ({env.get('cpu_count', '?')} cores), "
        f"Python {env.get('python', '?')}, {env.get('platform', '?')}",
        f"- versions: {versions}",
        f"- threads: {threads}",
        f"- command: `{' '.join(env.get('command_line', []))}`",
    ]


def _timing_headline(timing: pd.DataFrame) -> pd.DataFrame:
    table = tables.timing_table(timing)
    if table.empty:
        return table
    models = table[table["case"].str.split("-").str[0].isin(MODEL_HEADLINE)]
    return models if not models.empty else table


def summary_markdown(folder: RunFolder) -> str:
    conformance, timing, env = folder.conformance(), folder.timing(), folder.environment()
    failures = tables.undocumented_failures(conformance)
    lines = ["# gradparity run: results at a glance", "", *environment_lines(env), ""]
    if not conformance.empty:
        n_cases = conformance["case"].nunique()
        lines += [
            "## Conformance",
            "",
            f"{len(conformance)} check records over {n_cases} cases. Statuses per adapter and "
            "mode (`divergence-documented`: a known, cited framework behaviour, see "
            "divergences.md):",
            "",
            _md(tables.status_counts(conformance)),
            "",
            "By case category (pass / failing / documented / unsupported):",
            "",
            _md(tables.matrix_by_category(conformance)),
            "",
            f"### Undocumented failures ({len(failures)})",
            "",
            _md(failures.head(30).assign(message=failures["message"].str.slice(0, 160))),
            "",
        ]
    if not timing.empty:
        lines += [
            "## Timings (median seconds; value-and-gradient relative to refengine and to the "
            "fastest adapter)",
            "",
            _md(_timing_headline(timing)),
            "",
        ]
    return "\n".join(lines)


def divergences_markdown(folder: RunFolder) -> str:
    """The convention atlas: at each kink or special point, what each framework returns,
    whether it lies in the subdifferential, and the citation where one exists."""
    conformance = folder.conformance()
    kinks = conformance[conformance["convention"].fillna("") != ""]
    lines = ["# Convention atlas", "",
             "At each deliberate kink or special point: the convention each adapter chose "
             "(zero, left, right, average, NaN, other) and the check's verdict "
             "(`pass`: a valid subgradient; `divergence-documented`: a known, cited behaviour).",
             ""]
    if kinks.empty:
        return "\n".join([*lines, "_(no kink checks in this run)_", ""])
    kinks = kinks.assign(
        column=kinks["adapter"] + "/" + kinks["mode"],
        cell=kinks["convention"] + " (" + kinks["status"] + ")",
    )
    atlas = kinks.pivot_table(index=["case", "dtype"], columns="column", values="cell",
                              aggfunc="first").reset_index()
    atlas.columns.name = None
    lines += [_md(atlas), ""]
    cited = conformance[conformance["status"] == "divergence-documented"]
    if not cited.empty:
        lines += ["## Documented divergences found in this run", "",
                  _md(cited[["case", "adapter", "mode", "dtype", "check", "message"]]
                      .drop_duplicates()), ""]
    return "\n".join(lines)


def _img(path: Path | None) -> str:
    if path is None:
        return ""
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def report_html(folder: RunFolder, images: dict[str, Path | None]) -> str:
    conformance, timing, env = folder.conformance(), folder.timing(), folder.environment()
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>gradparity report</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
        "padding:2px 6px}img{max-width:100%}</style></head><body>",
        "<h1>gradparity report</h1><ul>",
        *[f"<li>{html.escape(line[2:])}</li>" for line in environment_lines(env)],
        "</ul>",
    ]
    if not conformance.empty:
        parts += ["<h2>Conformance</h2>", tables.status_counts(conformance).to_html(index=False),
                  _img(images.get("heatmap")),
                  "<h3>By case category (pass / failing / documented / unsupported)</h3>",
                  tables.matrix_by_category(conformance).to_html(index=False),
                  "<h3>Undocumented failures</h3>",
                  tables.undocumented_failures(conformance).to_html(index=False),
                  "<h3>Worst errors per adapter</h3>",
                  tables.worst_errors(conformance).to_html(index=False),
                  "<h3>Detail per case</h3>"]
        for case, group in conformance.groupby("case"):
            bad = group["status"].isin(tables.FAILING).sum()
            parts.append(f"<details><summary>{html.escape(str(case))} "
                         f"({len(group)} records, {bad} failing)</summary>"
                         + group.drop(columns=["run_id", "tags"]).to_html(index=False)
                         + "</details>")
    if not timing.empty:
        parts += ["<h2>Timings</h2>", tables.timing_table(timing).to_html(index=False),
                  _img(images.get("ratio")),
                  *[_img(p) for key, p in images.items() if key.startswith("size:")]]
    parts += ["<h2>Finite differences: truncation against round-off</h2>",
              _img(images.get("fd")), "</body></html>"]
    return "\n".join(parts)


def render(folder: RunFolder) -> dict[str, Path]:
    """Write every rendered file of a run folder; returns what was written."""
    conformance, timing = folder.conformance(), folder.timing()
    plot_dir = folder.path / "plots"
    plot_dir.mkdir(exist_ok=True)
    images: dict[str, Path | None] = {
        "heatmap": plots.conformance_heatmap(conformance, plot_dir / "conformance_heatmap.png"),
        "ratio": plots.gradient_ratio(timing, plot_dir / "gradient_ratio.png"),
        "fd": plots.fd_error_vs_step(plot_dir / "fd_error_vs_step.png"),
    }
    for case in sorted(timing["case"].unique()) if not timing.empty else []:
        images[f"size:{case}"] = plots.time_vs_size(timing, case, plot_dir / f"size_{case}.png")
    written = {name: path for name, path in images.items() if path is not None}
    outputs = {
        "summary.md": summary_markdown(folder),
        "divergences.md": divergences_markdown(folder),
        "report.html": report_html(folder, images),
    }
    for name, text in outputs.items():
        (folder.path / name).write_text(text)
        written[name] = folder.path / name
    return written
