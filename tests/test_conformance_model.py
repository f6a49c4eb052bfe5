"""The record schema, the tolerance model, entry-by-entry comparison and kink conventions."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cases.case import Case, Tolerance
from cases.conformance.check_record import COLUMNS, Record
from cases.conformance.kink_conventions import KinkEntry, classify, summarize
from cases.conformance.tolerance import RTOL, Tol, family_of, tolerance_for
from cases.conformance.verdict import compare, index_namer
from cases.statuses import STATUSES

DESIGN_COLUMNS = (
    "run_id, case, tags, adapter, framework_version, mode, device, dtype, check, status, "
    "max_abs_err, max_rel_err, tol, oracle_err, worst_index, got, expected, convention, "
    "message, seconds"
)


def _record(**kw):
    base = dict(run_id="r", case="c", tags="t", adapter="a", framework_version="v", mode="eager",
                device="cpu", dtype="float64", check="value", status="pass")
    return Record(**{**base, **kw})


# --- records ------------------------------------------------------------------------------------
def test_record_columns_are_exactly_the_design_schema():
    assert COLUMNS == tuple(c.strip() for c in DESIGN_COLUMNS.split(","))
    assert STATUSES == ("pass", "fail", "error", "unsupported", "nonfinite",
                        "divergence-documented")


def test_record_to_dict_is_json_ready_and_rejects_unknown_status():
    d = _record(max_abs_err=float("nan"), got=1.5).to_dict()
    assert list(d) == list(COLUMNS)
    assert d["max_abs_err"] is None and d["got"] == 1.5
    json.dumps(d)
    with pytest.raises(ValueError, match="unknown status"):
        _record(status="ok")
    assert _record(status="nonfinite").bad and not _record(status="unsupported").bad


# --- tolerance ----------------------------------------------------------------------------------
def _case(*tolerances):
    return Case("tol-case", lambda xp, x: xp.sum(x), tolerances=tolerances)


def test_model_rtol_by_family_and_dtype():
    case = _case()
    assert tolerance_for(case, "float64", "vjp_vs_refengine").rtol == RTOL[("exact", "float64")]
    assert tolerance_for(case, "float32", "jvp_vs_oracle").rtol == RTOL[("fd", "float32")]
    assert tolerance_for(case, "float64", "determinism").rtol == 0.0
    assert family_of("hvp_vs_oracle") == "fd" and family_of("adjoint") == "exact"


def test_entry_tolerance_is_rtol_times_magnitude_plus_tiny_plus_oracle_bound():
    tol = Tol(1e-6, tiny=1e-30)
    got = tol.entries(np.array([2.0, 0.0]), np.array([1.0, 3.0]), np.array([0.5, 0.0]))
    np.testing.assert_allclose(got, [1e-6 * 3 + 1e-30 + 0.5, 1e-6 * 3 + 1e-30])


def test_override_raises_never_lowers_and_the_most_specific_wins():
    loose = Tolerance(1e-3, 0.0, "cancellation", check="fd")
    tight = Tolerance(1e-12, 0.0, "would tighten", dtype="float32")
    case = _case(tight, loose)
    fd = tolerance_for(case, "float32", "vjp_vs_oracle")
    assert fd.reason == "cancellation"  # the family override beats the check=None one
    entries = tolerance_for(case, "float32", "value").entries(np.array([1.0]), 0.0)
    assert entries[0] >= RTOL[("value", "float32")]  # 1e-12 does not tighten the model


# --- compare ------------------------------------------------------------------------------------
NAMER = index_namer(["x"], [(2, 3)])


def test_compare_reports_the_worst_entry_with_its_evidence():
    expected = np.arange(6.0)
    got = expected.copy()
    got[4] += 0.5
    v = compare(got, expected, Tol(1e-6), scale=0.0, namer=NAMER, what="VJP",
                reference="ref", oracle_err=0.01)
    assert v.status == "fail" and v.worst_index == "x[1, 1]"
    assert (v.got, v.expected, v.max_abs_err) == (4.5, 4.0, 0.5)
    assert math.isclose(v.max_rel_err, 0.125) and math.isclose(v.tol, 4e-6 + 0.01)
    for text in ("x[1, 1]", "got 4.5", "expected 4", "abs error 0.5", "rel error 0.125",
                 "error bound 0.01", "1 of 6 entries"):
        assert text in v.message
    assert "[" not in v.message.replace("x[1, 1]", "")  # no array dump


def test_compare_nonfinite_names_where_and_same_nonfinite_agrees():
    expected = np.array([1.0, np.inf, np.nan, 2.0])
    v = compare(np.array([1.0, np.inf, np.nan, 2.0]), expected, Tol(0.0), scale=0.0,
                namer=index_namer(["g"], [(4,)]), what="VJP", reference="ref")
    assert v.status == "pass"
    v = compare(np.array([np.nan, np.inf, np.nan, 2.0]), expected, Tol(1e-6), scale=0.0,
                namer=index_namer(["g"], [(4,)]), what="VJP", reference="ref")
    assert v.status == "nonfinite" and v.worst_index == "g[0]" and "g[0] = nan" in v.message
    v = compare(np.array([1.0, 5.0, np.nan, 2.0]), expected, Tol(1e-6), scale=0.0,
                namer=index_namer(["g"], [(4,)]), what="VJP", reference="ref")
    assert v.status == "fail" and v.worst_index == "g[1]"  # finite where the reference is inf


def test_compare_skips_entries_the_reference_cannot_judge():
    v = compare(np.array([1.0, 99.0]), np.array([1.0, np.nan]), Tol(1e-6), scale=0.0,
                namer=index_namer(["g"], [(2,)]), what="VJP", reference="ref",
                checked=np.array([True, False]))
    assert v.status == "pass" and "1 entries not judged" in v.message


# --- kink conventions ---------------------------------------------------------------------------
def _entry(got, left=-1.0, right=1.0, kink=True, defined=True):
    lo, hi = min(left, right), max(left, right)
    return KinkEntry("x[2]", got, left, right, lo, hi, kink, defined, 1e-9)


@pytest.mark.parametrize(
    ("got", "left", "right", "word"),
    [(0.0, -1.0, 1.0, "zero"), (1.0, -1.0, 1.0, "right"), (-1.0, -1.0, 1.0, "left"),
     (0.5, 0.0, 1.0, "average"), (0.25, 0.0, 1.0, "inside"), (2.0, 0.0, 1.0, "other"),
     (float("nan"), 0.0, 1.0, "nan"), (float("inf"), 0.0, 1.0, "inf"), (0.0, 0.0, 1.0, "zero")],
)
def test_classify_conventions(got, left, right, word):
    assert classify(_entry(got, left, right)) == word


def test_classify_smooth_and_undefined_points():
    assert classify(_entry(0.7, 0.7, 0.7, kink=False)) == "smooth"
    assert classify(_entry(0.0, float("nan"), float("nan"), kink=False, defined=False)) == \
        "undefined:zero"
    assert summarize([("x[1]", "right"), ("x[4]", "zero")]) == "x[1]:right; x[4]:zero"
    assert summarize([("x[1]", "average"), ("x[4]", "average")]) == "average"


# --- documented divergences and the transformation checks ---------------------------------------
def test_a_vjp_divergence_covers_a_self_consistent_transform_check_only():
    # jax splits a cummax tie evenly, refengine gives it to the earlier entry (TABLE: cummax).
    # The batched VJP and jacfwd-vs-jacrev records that only differ from refengine are the same
    # divergence; one where jax disagrees with itself is a new finding and stays failing.
    from cases.conventions import find

    def rec(check, own):
        return _record(case="cummax-axis0-at-tie", adapter="jax", mode="jit", check=check,
                       status="fail", framework_version="jax 0.10.2",
                       message=f"jax ... [vs its own VJP one point at a time: {own}; "
                               "vs refengine: fail]. Worst, ...")

    assert find(rec("vjp_vs_refengine", "pass")).op == "cummax"
    assert find(rec("vmap_grad", "pass")).op == "cummax"
    assert find(rec("jacfwd_vs_jacrev", "pass")).op == "cummax"
    assert find(rec("vmap_grad", "fail")) is None
    assert find(rec("hvp_vs_oracle", "pass")) is None
