"""report.html as a person reads it: the convention atlas, the accuracy pictures, the table of
records, the notes beside alarming numbers, and the page loaded in headless Chromium."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reports.atlas import atlas_html, atlas_rows, convention_kind
from reports.error_notes import error_note
from reports.records_table import records_html, records_payload
from reports.render import render
from reports.rundir import RunFolder
from reports.schema import conformance_frame


def record(case, adapter, status, *, check="vjp_vs_refengine", mode="eager", dtype="float64",
           tags="kink", abs_err=1e-16, rel=1e-16, tol=1e-10, got=1.0, expected=1.0,
           convention="", message=""):
    return {"run_id": "r", "case": case, "tags": tags, "adapter": adapter,
            "framework_version": "1", "mode": mode, "device": "cpu", "dtype": dtype,
            "check": check, "status": status, "max_abs_err": abs_err, "max_rel_err": rel,
            "tol": tol, "oracle_err": math.nan, "worst_index": "x[0]", "got": got,
            "expected": expected, "convention": convention, "message": message,
            "seconds": 0.01}


def _cited(op_start: str) -> tuple[object, str]:
    from cases.conventions import TABLE

    entry = next(e for e in TABLE if e.op.startswith(op_start))
    return entry, f"documented divergence: {entry.summary()}. Observed: fail: kink outside"


def sample_records() -> list[dict]:
    """A small run: a kink where one framework differs (documented), a tie where all agree, a
    trap where one returns NaN, a failure whose message would end a script element, float32
    against float64, and the passing numbers that look alarming."""
    _, abs_message = _cited("abs")
    records = []
    for adapter, mode in (("refengine", "eager"), ("torch", "eager"), ("jax", "jit"),
                          ("tensorflow", "eager")):
        documented = adapter == "jax"
        records += [
            record("abs-at-zero", adapter, "divergence-documented" if documented else "pass",
                   mode=mode, check="kink", convention="right" if documented else "zero",
                   message=abs_message if documented else "", abs_err=math.nan, rel=math.nan),
            record("max-axis-tie", adapter, "pass", mode=mode, check="kink",
                   convention="average", abs_err=math.nan, rel=math.nan),
            record("where-nan-sqrt", adapter, "pass", mode=mode, tags="trap"),
            record("gelu", adapter, "pass", mode=mode, tags="elementwise",
                   rel=8e-9 if adapter == "tensorflow" else 2e-16),
            record("gelu", adapter, "pass", mode=mode, tags="elementwise", dtype="float32",
                   check="float32_vs_float64", rel=3e-7, abs_err=3e-7, tol=1e-5),
            # expected exactly 0: an infinite relative error, within tolerance
            record("cross-entropy-confident", adapter, "pass", mode=mode, tags="delicate",
                   abs_err=1.4e-17, rel=math.inf, tol=1e-15, got=1.4e-17, expected=0.0),
        ]
    records += [
        record("where-nan-sqrt", "autograd", "fail", tags="trap", abs_err=math.inf,
               rel=math.inf, got=math.nan, expected=0.0,
               message="NaN where the reference is 0 </script><script>alert(1)</script>"),
        record("gelu", "autograd", "unsupported", tags="elementwise", message="no JVP"),
    ]
    return records


def make_run(path: Path) -> RunFolder:
    folder = RunFolder.create(path)
    folder.write_environment({"date": "2026-12-07", "cpu": "test", "versions": {"numpy": "2"}})
    folder.append("conformance", sample_records())
    folder.append("timing", [])
    folder.close()
    return folder


def test_atlas_puts_the_points_where_frameworks_differ_first() -> None:
    frame = conformance_frame(sample_records())
    rows = atlas_rows(frame)
    # abs-at-zero (jax differs, documented) and where-nan-sqrt (autograd fails) differ;
    # max-axis-tie (average everywhere) does not: it comes last.
    assert [r.case for r in rows] == ["abs-at-zero", "where-nan-sqrt", "max-axis-tie"]
    abs_row = rows[0]
    assert abs_row.cells["jax"].text == "right" and abs_row.cells["jax"].documented
    assert abs_row.cells["torch"].kind == "zero" and not abs_row.cells["torch"].documented
    assert rows[1].cells["autograd"].kind == "fail"
    assert rows[1].cells["torch"].text == "agrees"
    assert not rows[2].differ
    assert convention_kind("x[1]:right; x[4]:zero") == "mixed"
    assert convention_kind("x[0]:undefined:zero") == "zero"


def test_atlas_cites_on_hover_and_in_a_footnote() -> None:
    entry, _ = _cited("abs")
    page = atlas_html(conformance_frame(sample_records()))
    assert page.count("<svg") == 1 and page.count("<title>") >= 8  # a hover text per cell
    assert "abs-at-zero <tspan" in page and "[1]" in page
    assert f"Source: {entry.citation}" in page  # footnote 1
    assert "Every framework returns the same at these 1 points: max-axis-tie (average)" in page
    assert atlas_html(conformance_frame([])).startswith("<p>No kink")


def test_alarming_numbers_get_their_reason() -> None:
    zero = record("c", "torch", "pass", abs_err=1.4e-17, rel=math.inf, tol=1e-15,
                  got=1.4e-17, expected=0.0)
    assert "expected value is exactly 0" in error_note(zero) and "it is within" in error_note(zero)
    tiny = record("c", "torch", "pass", abs_err=2e-17, rel=1.0, tol=1e-15, got=0.0,
                  expected=2e-17)
    assert "tiny expected value" in error_note(tiny)
    nan = record("c", "torch", "fail", abs_err=math.inf, rel=math.inf, got=math.nan,
                 expected=0.5)
    assert "returned NaN" in error_note(nan)
    # Negative controls: ordinary numbers, and a large relative error outside the tolerance
    # (a real failure, not a misleading number), get no excuse.
    assert error_note(record("c", "torch", "pass")) == ""
    assert error_note(record("c", "torch", "fail", abs_err=0.5, rel=0.5, tol=1e-10,
                             got=1.5, expected=1.0)) == ""


def test_records_table_carries_every_record_failures_first() -> None:
    frame = conformance_frame(sample_records())
    payload = records_payload(frame)
    assert len(payload["rows"]) == len(frame)
    status = payload["columns"].index("status")
    assert payload["rows"][0][status] == "fail"
    json.dumps(payload, allow_nan=False)  # NaN and inf are encoded, not left as floats
    message = payload["columns"].index("message")
    passing = [r for r in payload["rows"] if r[status] == "pass"]
    assert all(r[message] == "" for r in passing)  # the page stays small
    section = records_html(frame)
    assert "</script><script>alert" not in section  # a message cannot end the script
    assert section.count("<script") == 2


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def load_in_chromium(page: Path, profile: Path, screenshot: Path | None = None,
                     fragment: str = "") -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran, and every console message it logged (with a
    screenshot when ``screenshot`` is given). ``fragment`` goes after the ``#``."""
    done = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         "--window-size=1300,2600", *([f"--screenshot={screenshot}"] if screenshot else []),
         "--dump-dom", page.as_uri() + (f"#{fragment}" if fragment else "")],
        capture_output=True, text=True, timeout=120)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def table_rows(dom: str) -> list[str]:
    """The rows the records table's script drew, in order."""
    body = dom[dom.index('<table id="records"'):]
    return re.findall(r"<tr class=.*?</tr>", body[:body.index("</table>")], re.S)


needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="no chromium on PATH (Debian: apt-get install chromium; "
                               ".ci/run installs it when it can)")


@needs_chromium
def test_console_messages_are_caught(tmp_path) -> None:
    """Negative control for the page test: a page whose script throws is seen to."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><p>x</p><script>notDefinedAnywhere();</script>")
    _, console = load_in_chromium(bad, tmp_path / "profile")
    assert any("notDefinedAnywhere" in line for line in console)


@pytest.mark.slow  # 5 s here: a render (matplotlib) and two page loads
@needs_chromium
def test_report_loads_in_headless_chromium(tmp_path) -> None:
    folder = make_run(tmp_path / "run")
    render(folder)
    page, shot = folder.path / "report.html", tmp_path / "report.png"
    dom, console = load_in_chromium(page, tmp_path / "profile", shot)
    print(f"screenshot of report.html: {shot}")
    assert console == [], console
    assert shot.exists() and shot.stat().st_size > 10_000
    # The pictures: the atlas (inline SVG, first on the page) and the accuracy plots.
    assert dom.index('<svg id="atlas"') < dom.index('id="records"')
    assert 'href="#records?case=where-nan-sqrt&amp;adapter=autograd"' in dom
    assert re.search(r'<img alt="accuracy" src="data:image/png;base64,', dom)
    assert re.search(r'<img alt="float32_vs_float64" src="data:image/png;base64,', dom)
    # The table: its script ran and drew every record, the failure first with its explain
    # command and the note beside its infinite error.
    rows = table_rows(dom)
    assert len(rows) == len(sample_records()) and 'data-rows="26"' in dom
    assert rows[0].startswith('<tr class="fail">') and "where-nan-sqrt" in rows[0]
    assert "gradparity explain where-nan-sqrt --frameworks autograd" in rows[0]
    assert "the framework returned NaN" in rows[0]
    assert "alert(1)" in rows[0] and "<script>alert" not in dom  # shown as text, never run
    assert "expected value is exactly 0" in dom  # the passing infinite relative errors
    # Opened as a filter link, sorted by relative error, largest first: gelu in float64 has
    # four passes (TensorFlow's 8e-9 the largest) and autograd's unsupported (no error) last.
    dom, console = load_in_chromium(page, tmp_path / "profile",
                                    fragment="records?case=gelu&dtype=float64"
                                             "&sort=max_rel_err&desc=1")
    assert console == [], console
    rows = table_rows(dom)
    assert 'id="records-count">5 of 26 records match' in dom and len(rows) == 5
    assert "tensorflow/eager" in rows[0] and "8.00e-9" in rows[0]
    assert rows[-1].startswith('<tr class="unsupported">')
