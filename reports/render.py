"""Render a run folder: summary.md, divergences.md, report.html and the plots."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import pandas as pd

from cases.statuses import FAILING
from reports import plots, tables
from reports.rundir import RunFolder, RunFolderError

__all__ = ["HEADLINE_END", "HEADLINE_START", "covered_lines", "environment_lines",
           "headline_markdown", "render", "run_versions", "summary_markdown"]

def _md(frame: pd.DataFrame, floatfmt: str = ".3g") -> str:
    if frame is None or frame.empty:
        return "_(none)_"
    return frame.to_markdown(index=False, floatfmt=floatfmt)


def run_versions(env: dict[str, Any]) -> dict[str, str]:
    """The versions the summary names: the packages environment.json always reads, and each
    adapter's that ran (its ``versions()``: a plug-in's framework too), by name."""
    found = dict(env.get("versions", {}))
    for adapter_versions in (env.get("adapters") or {}).values():
        for name, version in (adapter_versions or {}).items():
            found.setdefault(name, version)
    return found


def environment_lines(env: dict[str, Any]) -> list[str]:
    versions = ", ".join(f"{k} {v}" for k, v in sorted(run_versions(env).items()))
    threads = env.get("threads") or env.get("thread_environment") or {}
    return [
        f"- date: {env.get('date', '?')}; git commit: {env.get('git_commit') or 'unknown'}",
        f"- machine: {env.get('cpu', '?')} ({env.get('cpu_count', '?')} cores), "
        f"Python {env.get('python', '?')}, {env.get('platform', '?')}",
        f"- versions: {versions}",
        f"- threads: {threads}",
        f"- command: `{' '.join(env.get('command_line', []))}`",
    ]


HEADLINE_START = "<!-- headline:start -->"
HEADLINE_END = "<!-- headline:end -->"


def _model_cases(folder: RunFolder, timing: pd.DataFrame) -> list[str]:
    """The cases tagged ``model`` among those timed (the headline's timing rows)."""
    conformance = folder.conformance()
    tags = conformance["tags"].astype(object).fillna("").astype(str).str.split(",")
    tagged = set(conformance.loc[tags.map(lambda t: "model" in t), "case"])
    if not tagged:
        try:
            import cases

            tagged = {c.name for c in cases.all() if "model" in c.tags}
        except ImportError:
            tagged = set()
    timed = list(dict.fromkeys(tables.without_control(timing)["case"]))
    return [c for c in timed if c in tagged]


def covered_lines(env: dict[str, Any], notes: dict[str, Any] | None = None) -> list[str]:
    """What the run covered, from environment.json's ``run`` entry (and the timing notes)."""
    run = env.get("run")
    if not run:
        return []
    modes = "; ".join(f"{a}: {', '.join(m)}" for a, m in run.get("modes", {}).items())
    lines = [f"- `gradparity {run['command']}`{' --quick (a smoke run)' if run['quick'] else ''}"
             f": {run['cases']} cases; adapters and modes: {modes}; dtypes: "
             f"{', '.join(run['dtypes']) if isinstance(run['dtypes'], list) else run['dtypes']}"
             f"; seed {run['seed']}; {run['threads']} thread(s) per framework; "
             f"{run['jobs']} worker process(es)."]
    if run.get("eager_only_tags"):
        untimed = ", ".join(run.get("untimed_eager", []))
        lines.append(f"- cases tagged {', '.join(run['eager_only_tags'])} ran eager only "
                     "(a jit would unroll their Python loops; compiling those takes minutes)"
                     + (f", and {untimed} did not time them (eager, a gradient of those loops "
                        "takes seconds a call)." if untimed else "."))
    if "checks" in run:
        checks = run["checks"]
        lines.append("- checks: " + (", ".join(checks) if isinstance(checks, list) else checks)
                     + (" (second order, float32 vs float64, determinism and the non-finite "
                        "check wait for a full run)" if run["quick"] else ""))
    timing = run.get("timing")
    if timing:
        budget = timing["budget"]
        if isinstance(budget, dict):
            budget = (f"{budget['seconds'] * 1e3:g} ms of samples per measurement, at least "
                      f"{budget['min_samples']} samples of at least "
                      f"{budget['min_sample_s'] * 1e3:g} ms")
        quantities = timing["quantities"]
        lines.append(
            f"- timings: sizes {timing['sizes']}; "
            f"{', '.join(quantities) if isinstance(quantities, list) else quantities}; "
            f"budget: {budget}; memory {'measured' if timing['memory'] else 'not measured'}; "
            f"timed {timing['where']}.")
        if run["quick"]:
            lines.append("- a quick run's timings are indicative only: a short budget, and "
                         "the other worker may have been checking on the other CPU meanwhile.")
    for note in run.get("notes", []):  # what an option left out (reports.selection)
        lines.append(f"- {note}")
    skipped = (notes or {}).get("skipped", [])
    if skipped:
        frame = pd.DataFrame(skipped)
        counts = frame.groupby("status").size().to_dict()
        lines.append("- not timed (timing_notes.json says why, per case): " + ", ".join(
            f"{v} {k}" for k, v in sorted(counts.items())))
    for resumed in env.get("resumed", []):
        lines.append(f"- resumed {resumed.get('date', '?')}")
    return lines


def headline_markdown(folder: RunFolder) -> str:
    """The tables at a glance (the README copies them): statuses per adapter and mode, the
    timing overview, and the model cases' gradient times and ratios."""
    conformance, timing = folder.conformance(), folder.timing()
    parts = []
    if not conformance.empty:
        failing = conformance["status"].isin(FAILING).sum()
        parts += [f"Conformance: {len(conformance)} check records over "
                  f"{conformance['case'].nunique()} cases, {failing} undocumented failures. "
                  "Records per adapter/mode and status:", "",
                  _md(tables.status_counts(conformance)), ""]
    if not tables.without_control(timing).empty:
        models = _model_cases(folder, timing)
        parts += ["Timings over every timed case (value and gradient; speed relative to "
                  "refengine > 1 is faster; geometric means):", "",
                  _md(tables.timing_overview(timing)), ""]
        if models:
            parts += ["Model cases, value and gradient, median milliseconds per call:", "",
                      _md(_ms(tables.timing_pivot(timing, "value_and_grad", models))), "",
                      "Model cases, gradient / forward time (the cheap-gradient ratio):", "",
                      _md(tables.timing_pivot(timing, "grad/forward", models), ".2f"), ""]
    return "\n".join(parts)


def _ms(frame: pd.DataFrame) -> pd.DataFrame:
    numeric = frame.select_dtypes("number").columns
    return frame.assign(**{c: frame[c] * 1e3 for c in numeric})


def _version_sections(conformance: pd.DataFrame) -> list[str]:
    """For each adapter run beside an older release of itself (``jax`` and ``jax@0.4.38``,
    ``adapters.environments``): what changed between the two (``reports.version_changes``)."""
    from reports.version_changes import version_changes

    present = set(conformance["adapter"].unique())
    out: list[str] = []
    for name in sorted(present):
        base = name.partition("@")[0]
        if "@" in name and base in present:
            out += [version_changes(conformance, base, name).markdown, ""]
    return out


def summary_markdown(folder: RunFolder) -> str:
    conformance, timing, env = folder.conformance(), folder.timing(), folder.environment()
    failures = tables.undocumented_failures(conformance)
    lines = ["# gradparity run: results at a glance", "", *environment_lines(env), ""]
    covered = covered_lines(env, folder.timing_notes())
    if covered:
        lines += ["## What this run covered", "", *covered, ""]
    lines += ["## At a glance", "", HEADLINE_START, headline_markdown(folder), HEADLINE_END, ""]
    if not conformance.empty:
        lines += [
            "## Conformance",
            "",
            "By case category (pass / failing / documented / unsupported; "
            "`divergence-documented`: a known, cited framework behaviour, see "
            "divergences.md):",
            "",
            _md(tables.matrix_by_category(conformance)),
            "",
            f"### Undocumented failures ({len(failures)})",
            "",
            _md(failures.head(30).assign(message=failures["message"].str.slice(0, 160))),
            "",
        ]
        if len(failures) > 30:
            lines += [f"... and {len(failures) - 30} more: see report.html or "
                      "conformance.csv.", ""]
        lines += _version_sections(conformance)
    if not tables.without_control(timing).empty:
        models = _model_cases(folder, timing) or None
        which = "model cases" if models else "every timed case"
        lines += [
            f"## Timings ({which}; report.html has every case)",
            "",
            "Speed relative to refengine (refengine's value-and-gradient time / this one's; "
            "> 1 is faster):",
            "",
            _md(_inverse(tables.timing_pivot(timing, "vs refengine", models)), ".2f"),
            "",
            "Value-and-gradient time relative to the fastest adapter/mode:",
            "",
            _md(tables.timing_pivot(timing, "vs fastest", models), ".2f"),
            "",
            "Forward, median milliseconds per call:",
            "",
            _md(_ms(tables.timing_pivot(timing, "forward", models))),
            "",
            "Compile (the first value-and-gradient call of a jit mode), seconds:",
            "",
            _md(tables.timing_pivot(timing, "compile", models)),
            "",
        ]
    return "\n".join(lines)


def _inverse(frame: pd.DataFrame) -> pd.DataFrame:
    numeric = frame.select_dtypes("number").columns
    return frame.assign(**{c: 1.0 / frame[c] for c in numeric})


def divergences_markdown(folder: RunFolder) -> str:
    """The convention atlas: at each kink or special point, what each framework returns,
    whether it lies in the subdifferential, and the citation where one exists."""
    conformance = folder.conformance()
    kinks = conformance[conformance["convention"].astype(object).fillna("") != ""]
    lines = ["# Convention atlas", "",
             "At each deliberate kink or special point: the convention each adapter chose "
             "(zero, left, right, average, NaN, other; per entry where they differ, counted) "
             "and the check's verdict (`pass`: a valid subgradient; `divergence-documented`: "
             "a known, cited behaviour, listed below). The records keep every entry's "
             "convention.",
             ""]
    if kinks.empty:
        lines += ["_(no kink checks in this run)_", ""]
    else:
        kinks = kinks.assign(
            column=kinks["adapter"] + "/" + kinks["mode"],
            cell=kinks["convention"].map(_short_convention) + " (" + kinks["status"] + ")",
        )
        atlas = kinks.pivot_table(index=["case", "dtype"], columns="column", values="cell",
                                  aggfunc="first").reset_index()
        atlas.columns.name = None
        lines += [_md(atlas.fillna("")), ""]
    lines += _documented_sections(conformance)
    return "\n".join(lines)


def _short_convention(text: str) -> str:
    """``x[1]:right; x[4]:right; y[1]:zero`` (one convention per entry) as counts,
    ``2 right, 1 zero``: a table cell stays readable whatever the number of entries."""
    if ";" not in text:
        return text
    kinds = pd.Series([part.rsplit(":", 1)[-1].strip() for part in text.split(";")])
    return ", ".join(f"{n} {kind}" for kind, n in kinds.value_counts().items())


def _documented_sections(conformance: pd.DataFrame) -> list[str]:
    """The documented divergences this run met, one section per entry of the divergence
    table (its behaviour and citation once), with where it was met."""
    from cases.conventions import table

    cited = conformance[conformance["status"] == "divergence-documented"]
    if cited.empty:
        return []
    prefix = "documented divergence: "
    summaries = {entry.summary(): entry for entry in table()}

    def entry_of(message: str) -> str:
        text = str(message).removeprefix(prefix)
        return next((s for s in summaries if text.startswith(s)), text.split(". Observed:")[0])

    cited = cited.assign(entry=cited["message"].map(entry_of),
                         adapter_mode=cited["adapter"] + "/" + cited["mode"])
    lines = ["## Documented divergences found in this run", "",
             f"{len(cited)} records matched {cited['entry'].nunique()} entries of the divergence "
             "table (`cases/conventions.py`); each record's message has what was observed.", ""]
    for summary, group in cited.groupby("entry", sort=False):
        entry = summaries.get(summary)
        if entry is None:  # a run made with another version of the table
            lines += [f"### {summary}", ""]
        else:
            lines += [f"### {entry.op} at {entry.point}", "", f"{entry.behaviour}. Source: "
                      f"{entry.citation}", ""]
        where = (group.groupby(["adapter_mode", "dtype", "check"])
                 .agg(records=("case", "size"), cases=("case", _list_cases)).reset_index()
                 .rename(columns={"adapter_mode": "adapter/mode"}))
        lines += [_md(where), ""]
    return lines


def _list_cases(cases: pd.Series, limit: int = 6) -> str:
    names = sorted(set(cases))
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _img(path: Path | None) -> str:
    if path is None:
        return ""
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _one_line(env: dict[str, Any], conformance: pd.DataFrame) -> str:
    """The page's first sentence: when, how much, how many failures."""
    run = env.get("run") or {}
    kind = "A quick run" if run.get("quick") else "A run"
    if conformance.empty:
        return f"{kind} of {env.get('date', '?')} with no conformance records."
    failing = int(conformance["status"].isin(FAILING).sum())
    return (f"{kind} of {env.get('date', '?')}: {len(conformance)} check records over "
            f"{conformance['case'].nunique()} cases and {conformance['adapter'].nunique()} "
            f"adapters, {failing} undocumented failures.")


def report_html(folder: RunFolder, images: dict[str, Path | None]) -> str:
    conformance, timing, env = folder.conformance(), folder.timing(), folder.environment()
    covered = covered_lines(env, folder.timing_notes())
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>gradparity report</title>",
        "<style>body{font-family:sans-serif;max-width:1400px;margin:auto}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
        "padding:2px 6px}img{max-width:100%}</style></head><body>",
        "<h1>gradparity report</h1>",
        f"<p>{html.escape(_one_line(env, conformance))} What the run covered, the machine "
        "and the versions: <a href='#about'>About this run</a>, at the end.</p>",
    ]
    if not conformance.empty:
        from reports.atlas import atlas_html
        from reports.records_table import records_html

        failing = int(conformance["status"].isin(FAILING).sum())
        parts += ["<h2>Where the frameworks differ</h2>", atlas_html(conformance),
                  "<h2>Accuracy against the reference</h2>",
                  "<p>Each point is one check's worst entry (value, VJP or JVP against "
                  "refengine), one strip per framework, mode and dtype; the black bar is the "
                  "median and the worst point is named by its case. Cases tagged kink are "
                  "left out (what differs there is a convention, shown above).</p>",
                  _img(images.get("accuracy")) or "<p>No check against the reference in "
                  "this run.</p>",
                  _img(images.get("float32")) or "<p>float32 against float64: not checked "
                  "in this run (a quick run checks float64 only; a full run with "
                  "<code>--dtypes float32,float64</code> does).</p>",
                  f"<h2>Records ({len(conformance)}, {failing} undocumented failures)</h2>",
                  records_html(conformance),
                  "<h2>Statuses</h2>", tables.status_counts(conformance).to_html(index=False),
                  "<h3>By case category (pass / failing / documented / unsupported)</h3>",
                  tables.matrix_by_category(conformance).to_html(index=False),
                  "<h3>Worst errors per adapter</h3>",
                  tables.worst_errors(conformance).to_html(index=False, float_format="%.3g")]
    if not tables.without_control(timing).empty:
        models = _model_cases(folder, timing) or None
        parts += ["<h2>Timings</h2>", "<h3>Overview (every timed case)</h3>",
                  tables.timing_overview(timing).to_html(index=False, float_format="%.3g"),
                  _img(images.get("ratio"))]
        for title, column in (("value and gradient, median seconds", "value_and_grad"),
                              ("gradient / forward", "grad/forward"),
                              ("value-and-gradient time / refengine's", "vs refengine"),
                              ("value-and-gradient time / the fastest's", "vs fastest"),
                              ("compile, seconds", "compile")):
            parts += [f"<h3>Model cases: {title}</h3>" if models else f"<h3>{title}</h3>",
                      tables.timing_pivot(timing, column, models).to_html(
                          index=False, float_format="%.3g")]
        parts += ["<details><summary>Every timing (forward, value and gradient, ratio, "
                  "compile, relative speeds)</summary>",
                  tables.timing_table(timing).to_html(index=False, float_format="%.3g"),
                  "</details>",
                  *[_img(p) for key, p in images.items() if key.startswith("size:")]]
    parts += ["<h2>Finite differences: truncation against round-off</h2>",
              _img(images.get("fd")),
              "<h2 id='about'>About this run</h2><ul>",
              *[f"<li>{html.escape(line[2:])}</li>" for line in environment_lines(env)],
              "</ul>"]
    if covered:
        parts += ["<h3>What this run covered</h3><ul>",
                  *[f"<li>{html.escape(line[2:])}</li>" for line in covered], "</ul>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def render(folder: RunFolder) -> dict[str, Path]:
    """Write every rendered file of a run folder; returns what was written. A folder that
    cannot be written (read-only, full) is a RunFolderError that names the file and why."""
    try:
        return _render(folder)
    except OSError as e:
        raise RunFolderError(f"cannot write the reports: {e.filename or folder.path}: "
                             f"{e.strerror or e}") from e


def _render(folder: RunFolder) -> dict[str, Path]:
    conformance, timing = folder.conformance(), folder.timing()
    plot_dir = folder.path / "plots"
    plot_dir.mkdir(exist_ok=True)
    images: dict[str, Path | None] = {
        "accuracy": plots.accuracy_strips(conformance, plot_dir / "accuracy.png"),
        "float32": plots.float32_strips(conformance, plot_dir / "float32_vs_float64.png"),
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
