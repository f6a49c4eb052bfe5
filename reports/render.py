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

__all__ = ["CHECK_SIZES_NOTICE", "HEADLINE_END", "HEADLINE_START", "covered_lines",
           "environment_lines", "headline_markdown", "machine_line", "render", "run_versions",
           "host_environment", "summary_markdown", "timing_by_host",
           "timing_headline"]

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
        *_setup_lines(env),
        f"- command: `{' '.join(env.get('command_line', []))}`",
    ]


def _setup_lines(env: dict[str, Any]) -> list[str]:
    """An adapter's own account of how it runs, where it gives one (tinygrad: its device and
    the C compiler that device uses), from environment.json's ``adapter_setup``."""
    lines = []
    for name, setup in sorted((env.get("adapter_setup") or {}).items()):
        why = (setup or {}).get("why")
        if why:
            device = next((v for k, v in setup.items() if k.endswith("_device")), None)
            lines.append(f"- {name}: {f'{device} device, ' if device else ''}{why}")
    return lines


def timing_by_host(timing: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The timing records per host, the host with most records first (``""``: records that
    name none, from before hosts were kept): every table and ratio is made from one host's
    records, never from two hosts' times."""
    if timing.empty or "host" not in timing:
        return [("", timing)]
    hosts = timing["host"].astype(object).fillna("").astype(str)
    counts = hosts.value_counts()
    order = sorted(counts.index, key=lambda h: (-counts[h], h))
    return [(host, timing[hosts == host]) for host in order]


def _host_line(host: str, env: dict[str, Any], several: bool) -> list[str]:
    """Which host a timing table came from, with what it measured with."""
    if not host:
        return []
    about = (env.get("hosts") or {}).get(host, {})
    cpu = f" ({about.get('cpu', '?')}, {about.get('cpu_count', '?')} cores)" if about else ""
    return [f"{'These' if several else 'All'} timings were measured on host `{host}`{cpu}; "
            "environment.json's hosts has its versions and threads.", ""]


def host_environment(env: dict[str, Any], host: str) -> dict[str, Any]:
    """The run's environment with one host's own (CPU, cores, threads, versions) over it: what
    a timing table from that host was measured with."""
    return {**env, **((env.get("hosts") or {}).get(host) or {})} if host else env


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
             + (f"tasks on the Dask cluster {run['scheduler']}." if run.get("scheduler")
                else f"{run['jobs']} worker process(es).")]
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
    for merged in env.get("merged_from", []):  # gradparity merge
        lines.append(f"- merged from {merged.get('path')}"
                     + (f" (--shard {merged['shard']})" if merged.get("shard") else ""))
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
    by_host = timing_by_host(timing)
    for host, timing in by_host:
        if tables.without_control(timing).empty:
            continue
        parts += _host_line(host, folder.environment(), len(by_host) > 1)
        parts += timing_headline(folder, timing, host_environment(folder.environment(), host))
    return "\n".join(parts)


CHECK_SIZES_NOTICE = (
    "These timings are at each case's check size (a few entries: GMM d=2,K=3,N=10), where "
    "per-call overhead decides everything; they show that timing works, not who is fastest. "
    "Times at realistic sizes: `gradparity bench --sizes headline` (GradBench's sizes; the "
    "README's results at a glance) or `--sizes sweep`.")


def machine_line(env: dict[str, Any], timing: pd.DataFrame) -> str:
    """The machine the times are from, and what its NumPy control says about its speed: one
    fixed NumPy workload timed in the same rounds as the frameworks, at every point."""
    control = tables.control_rows(timing)
    line = (f"Machine: {env.get('cpu', '?')} ({env.get('cpu_count', '?')} cores), "
            f"{env.get('threads', '?')} thread(s) per framework, Python {env.get('python', '?')}")
    if control.empty:
        return line + "; no NumPy control in these records."
    medians = control["median_s"].astype(float)
    iqr = float((control["iqr_s"] / control["median_s"]).median())
    line += (f"; NumPy control {medians.median() * 1e3:.3g} ms (median of {len(control)} "
             f"control record(s), IQR {iqr:.0%} of the median")
    if len(control) > 1:
        drift = medians.max() / medians.min() - 1
        line += (f"; it ranged over {drift:.0%} across the run: " + (
            "a steady machine" if drift <= 0.10 else "the machine's speed changed during "
            "the run, which the ratios below cancel (each is paired with the control of the "
            "same rounds) and lone times do not"))
    return line + ")."


def timing_headline(folder: RunFolder, timing: pd.DataFrame,
                    env: dict[str, Any] | None = None) -> list[str]:
    """The timing part of the headline: a notice for a run at check sizes only (no toy
    results); otherwise the model cases (or every case) at their sizes: time relative to the
    fastest, paired with the control, with 95 % intervals; the gradient/forward ratio; the
    medians with their intervals; compile apart; the machine."""
    if tables.check_sizes_only(timing):
        return [f"Timings: {CHECK_SIZES_NOTICE}", ""]
    models = _model_cases(folder, timing) or None
    which = "Model cases" if models else "Every timed case"
    parts = [machine_line(env or folder.environment(), timing), ""]
    relative = tables.relative_pivot(timing, None, models)
    if not relative.empty:
        parts += [f"{which}, value-and-gradient time relative to the fastest at each size "
                  "(1 = fastest; each time over the NumPy control of the same rounds, then "
                  "over the fastest's; 95 % intervals):", "", _md(relative), ""]
    parts += [f"{which}, gradient / forward time (the cheap-gradient ratio):", "",
              _md(tables.timing_pivot(timing, "grad/forward", models), ".2f"), "",
              f"{which}, value and gradient, median milliseconds per call [95 % interval] "
              "(absolute: these move with the machine):", "",
              _md(tables.median_pivot(timing, "value_and_grad", models)), ""]
    compile_s = tables.timing_pivot(timing, "compile", models)
    if not compile_s.empty:
        parts += [f"{which}, compile (the first value-and-gradient call of a jit mode, apart "
                  "from the times above), seconds:", "", _md(compile_s, ".2f"), ""]
    return parts


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
    by_host = timing_by_host(timing)
    for host, timing in by_host:
        if tables.without_control(timing).empty:
            continue
        models = _model_cases(folder, timing) or None
        which = "model cases" if models else "every timed case"
        lines += [f"## Timings ({which}; report.html has every case)"
                  + (f", host {host}" if len(by_host) > 1 else ""), "",
                  *_host_line(host, env, len(by_host) > 1)]
        if tables.check_sizes_only(timing):
            lines += [f"**{CHECK_SIZES_NOTICE}**", ""]
        lines += [
            machine_line(host_environment(env, host), timing),
            "",
            "Value-and-gradient time relative to refengine's (paired with the NumPy control "
            "of the same rounds; 95 % intervals; < 1 is faster):",
            "",
            _md(tables.relative_pivot(timing, "refengine/eager", models)),
            "",
            "Value-and-gradient time relative to the fastest adapter/mode (the same pairing):",
            "",
            _md(tables.relative_pivot(timing, None, models)),
            "",
            "Forward, median milliseconds per call [95 % interval]:",
            "",
            _md(tables.median_pivot(timing, "forward", models)),
            "",
            "Compile (the first value-and-gradient call of a jit mode), seconds:",
            "",
            _md(tables.timing_pivot(timing, "compile", models)),
            "",
        ]
    return "\n".join(lines)


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
    by_host = timing_by_host(timing)
    for host, timing in by_host:
        if tables.without_control(timing).empty:
            continue
        first = host == by_host[0][0]
        if len(by_host) > 1:
            parts.append(f"<h2>Timings on host {html.escape(host)}</h2>")
        parts += [f"<p>{html.escape(line)}</p>"
                  for line in _host_line(host, env, len(by_host) > 1) if line]
        parts += _timing_html(folder, timing, images if first else {},
                              host_environment(env, host))
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


def _machine_short(folder: RunFolder) -> str:
    env = folder.environment()
    return (f"{env.get('cpu', '?')}, {env.get('cpu_count', '?')} cores, "
            f"{env.get('threads', '?')} thread(s), {str(env.get('date', ''))[:10]}")


def _html_table(frame: pd.DataFrame, fmt: str = "%.3g") -> str:
    return frame.to_html(index=False, float_format=fmt) if not frame.empty else "<p>(none)</p>"


def _timing_html(folder: RunFolder, timing: pd.DataFrame, images: dict[str, Path | None],
                 env: dict[str, Any] | None = None) -> list[str]:
    """Who is fastest at which size: time against size per case (log-log, with intervals,
    GradBench's size labels), the ratios paired with the control, compile apart, the machine;
    a run at check sizes only says so first and keeps its tables folded."""
    models = _model_cases(folder, timing) or None
    which = "Model cases" if models else "Every timed case"
    toy = tables.check_sizes_only(timing)
    parts = ["<h2>Who is fastest at which size</h2>",
             f"<p>{html.escape(machine_line(env or folder.environment(), timing))}</p>"]
    if toy:
        parts += [f"<p class='notice'><b>{html.escape(CHECK_SIZES_NOTICE)}</b></p>",
                  "<details><summary>The timings at check sizes (indicative only)</summary>"]
    parts += [_img(p) for key, p in images.items() if key.startswith("size:") and p]
    parts += [f"<h3>{which}: value-and-gradient time relative to the fastest (1 = fastest; "
              "paired with the NumPy control of the same rounds; 95 % intervals)</h3>",
              _html_table(tables.relative_pivot(timing, None, models)),
              f"<h3>{which}: relative to refengine's (the same pairing)</h3>",
              _html_table(tables.relative_pivot(timing, "refengine/eager", models)),
              f"<h3>{which}: gradient / forward</h3>",
              _html_table(tables.timing_pivot(timing, "grad/forward", models), "%.2f"),
              f"<h3>{which}: value and gradient, median ms [95 % interval]</h3>",
              _html_table(tables.median_pivot(timing, "value_and_grad", models)),
              f"<h3>{which}: compile, seconds (the first value-and-gradient call of a jit "
              "mode, apart from every time above)</h3>",
              _html_table(tables.timing_pivot(timing, "compile", models)),
              "<h3>Overview (every timed case)</h3>",
              _html_table(tables.timing_overview(timing)), _img(images.get("ratio")),
              "<details><summary>Every timing (forward, value and gradient, ratio, "
              "compile, relative speeds)</summary>",
              _html_table(tables.timing_table(timing)), "</details>"]
    if toy:
        parts.append("</details>")
    return parts


def render(folder: RunFolder) -> dict[str, Path]:
    """Write every rendered file of a run folder; returns what was written. A folder that
    cannot be written (read-only, full) is a RunFolderError that names the file and why."""
    try:
        return _render(folder)
    except OSError as e:
        raise RunFolderError(f"cannot write the reports: {e.filename or folder.path}: "
                             f"{e.strerror or e}") from e


def _render(folder: RunFolder) -> dict[str, Path]:
    conformance = folder.conformance()
    timing = timing_by_host(folder.timing())[0][1]  # the plots: the host with most records
    plot_dir = folder.path / "plots"
    plot_dir.mkdir(exist_ok=True)
    images: dict[str, Path | None] = {
        "accuracy": plots.accuracy_strips(conformance, plot_dir / "accuracy.png"),
        "float32": plots.float32_strips(conformance, plot_dir / "float32_vs_float64.png"),
        "ratio": plots.gradient_ratio(timing, plot_dir / "gradient_ratio.png"),
        "fd": plots.fd_error_vs_step(plot_dir / "fd_error_vs_step.png"),
    }
    # time against size: the cases timed at two sizes or more (a quick run: none)
    sizes = timing.groupby("case")["size"].nunique() if not timing.empty else pd.Series()
    machine = _machine_short(folder) if (sizes > 1).any() else ""
    for case in sorted(sizes[sizes > 1].index):
        images[f"size:{case}"] = plots.time_vs_size(
            timing, case, plot_dir / f"size_{case}.png", machine=machine)
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
