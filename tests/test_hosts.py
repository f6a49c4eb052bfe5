"""Timings from several hosts (a Dask cluster's records): every table and ratio is made from
one host's records, the summary says which host each table came from, and ``compare`` pairs
timings host by host. Synthetic records: host A's autograd takes 2x refengine's time, host
B's 4x; a table that mixed the hosts would show neither."""

from __future__ import annotations

import pytest

from reports import tables
from reports.render import summary_markdown, timing_by_host
from reports.run_comparison import compare_runs
from reports.rundir import RunFolder

# (host, adapter) -> value-and-gradient median seconds
TIMES = {("alpha", "refengine"): 1.0, ("alpha", "autograd"): 2.0,
         ("beta", "refengine"): 10.0, ("beta", "autograd"): 40.0}


def records(hosts=("alpha", "beta"), scale: float = 1.0) -> list[dict]:
    out = []
    for (host, adapter), vag in TIMES.items():
        if host not in hosts:
            continue
        for quantity, seconds in (("forward", vag / 2), ("value_and_grad", vag)):
            out.append({"run_id": "r", "case": "sin", "adapter": adapter, "mode": "eager",
                        "device": "cpu", "dtype": "float64", "size": "n=3", "n_inputs": 1,
                        "quantity": quantity, "median_s": seconds * scale,
                        "min_s": seconds * scale, "iqr_s": 0.0, "n_samples": 7,
                        "threads": 1, "host": host})
    return out


def folder(path, rows) -> RunFolder:
    run = RunFolder.create(path)
    run.write_environment({"hosts": {"alpha": {"cpu": "CPU-A", "cpu_count": 2},
                                     "beta": {"cpu": "CPU-B", "cpu_count": 64}}})
    run.append("timing", rows)
    run.close()
    return RunFolder.open(path)


def time_vs_refengine(section: str) -> float:
    """The autograd cell of a summary section's time-relative-to-refengine table."""
    table = section[section.index("relative to refengine's"):]
    row = next(line for line in table.splitlines() if line.startswith("| sin"))
    return float(row.split("|")[3].split("[")[0])  # | case | refengine | autograd |


def check_per_host(summary: str) -> None:
    """What a summary of the two hosts must show: one timing section per host, named, each
    with that host's own ratio (autograd's time over refengine's: A 2, B 4)."""
    sections = summary.split("## Timings")[1:]
    assert len(sections) == 2, "one timing section per host"
    by_host = {("alpha" if "host `alpha`" in s else "beta"): s for s in sections}
    assert "CPU-A" in by_host["alpha"] and "CPU-B" in by_host["beta"]
    assert time_vs_refengine(by_host["alpha"]) == pytest.approx(2.0)
    assert time_vs_refengine(by_host["beta"]) == pytest.approx(4.0)


def test_each_timing_table_comes_from_one_host_and_says_which(tmp_path) -> None:
    run = folder(tmp_path / "run", records())
    check_per_host(summary_markdown(run))
    with pytest.raises(ValueError, match="several hosts"):
        tables.timing_table(run.timing())  # a table never takes two hosts' times


def test_the_check_catches_a_report_that_mixes_hosts(tmp_path, monkeypatch) -> None:
    """Negative control: a render that does not split by host fails the check above."""
    import reports.render as render

    run = folder(tmp_path / "run", records())
    monkeypatch.setattr(render, "timing_by_host", lambda timing: [("", timing)])
    monkeypatch.setattr(tables, "timing_table", _mixing(tables.timing_table))
    # a host-blind render either shows mixed figures (the check fails) or cannot pivot them
    with pytest.raises((AssertionError, ValueError)):
        check_per_host(render.summary_markdown(run))


def _mixing(real):
    def table(timing):  # the guard left out: what a host-blind table would compute
        return real(timing.assign(host=""))
    return table


def test_one_host_is_named_once(tmp_path) -> None:
    run = folder(tmp_path / "run", records(hosts=("alpha",)))
    summary = summary_markdown(run)
    assert summary.count("## Timings") == 1 and "All timings were measured on host `alpha`" \
        in summary
    assert [h for h, _ in timing_by_host(run.timing())] == ["alpha"]


def test_compare_pairs_timings_host_by_host(tmp_path) -> None:
    a = folder(tmp_path / "a", records(hosts=("alpha",)))
    b = folder(tmp_path / "b", records(hosts=("beta",), scale=1.0))
    result = compare_runs(a, b)
    assert result.coverage["timings"]["both"] == 0 and result.timing_changes.empty
    assert "share no host" in result.markdown
    across = compare_runs(a, b, across_hosts=True)
    assert across.coverage["timings"]["both"] == 4 and len(across.timing_changes) == 4
    assert "compared across machines" in across.markdown
    same = compare_runs(a, folder(tmp_path / "a2", records(hosts=("alpha",), scale=2.0)))
    assert set(same.timing_changes["ratio"].round(6)) == {2.0}  # same host: compared
