"""The README's "results at a glance" block is the sample run's headline, not hand-typed."""

from __future__ import annotations

from reports.readme import END, ROOT, SAMPLE, START, readme_block
from reports.rundir import RunFolder


def test_readme_matches_the_sample_report() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    block = text[text.index(START) + len(START):text.index(END)]
    assert block == readme_block(RunFolder.open(SAMPLE), readme), (
        "README.md's results block differs from reports/sample/summary.md: run "
        "'gradparity report reports/sample --readme README.md'")


def test_the_sample_is_small_and_complete() -> None:
    names = {p.name for p in SAMPLE.iterdir()}
    assert {"environment.json", "summary.md", "report.html", "divergences.md", "plots",
            "conformance.csv.gz", "timing.csv.gz"} <= names
    # 4.5 MB on 2026-12-07 (538 cases, 7 adapters), most of it report.html, which carries
    # every record for its table (2.5 MB; 460 kB compressed, as git stores it).
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size < 5_000_000


def test_readme_lists_the_divergence_table() -> None:
    from cases.conventions import TABLE, markdown

    start, end = "<!-- gradparity:divergences:start -->", "<!-- gradparity:divergences:end -->"
    text = (ROOT / "README.md").read_text()
    block = text[text.index(start) + len(start):text.index(end)]
    assert block == "\n" + markdown(), (
        "README.md's divergence table differs from cases.conventions.TABLE: paste "
        "python -c 'from cases.conventions import markdown; print(markdown())' between the "
        "gradparity:divergences markers")
    assert block.count("\n|") == len(TABLE) + 2


def test_readme_matches_the_timing_run() -> None:
    """The timing results at a glance are reports/timings' headline (a `gradparity bench
    --sizes headline` run), copied between their own markers."""
    from reports.readme import TIMINGS, TIMINGS_END, TIMINGS_START

    text = (ROOT / "README.md").read_text()
    block = text[text.index(TIMINGS_START) + len(TIMINGS_START):text.index(TIMINGS_END)]
    assert block == readme_block(RunFolder.open(TIMINGS), ROOT / "README.md"), (
        "README.md's timings block differs from reports/timings/summary.md: run "
        "'gradparity report reports/timings --readme README.md'")
    # timings only, no check records: small enough to keep in git
    size = sum(p.stat().st_size for p in TIMINGS.rglob("*") if p.is_file())
    assert size < 2_000_000
