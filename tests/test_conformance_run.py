"""run_case / run_matrix: one record per applicable check, whatever happens, and the checks
localise what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

import cases
from cases.case import Arg, Case, Sizes
from cases.conformance import CHECKS, COLUMNS, planned, run_case, run_matrix
from cases.conformance.checks import REFERENCE_ADAPTER
from cases.conventions import Divergence

SMOOTH = ["sin", "gmm", "matmul", "logsumexp-axis1", "mlp-classifier", "cholesky"]


@pytest.mark.parametrize("name", SMOOTH)
def test_refengine_passes_every_check_on_smooth_cases(name):
    case = cases.get(name)
    for dtype in case.dtypes:
        records = run_case(case, "refengine", dtype=dtype, conventions=())
        assert [r.check for r in records] == list(planned(case, "refengine", dtype))
        bad = [f"{r.check}: {r.message}" for r in records if r.status != "pass"]
        assert not bad, bad


def test_planned_checks_depend_on_adapter_dtype_and_kinks():
    sin, kink = cases.get("sin"), cases.get("abs-at-zero")
    assert "vjp_vs_refengine" not in planned(sin, REFERENCE_ADAPTER, "float64")
    assert "vjp_vs_refengine" in planned(sin, "torch", "float64")
    assert "float32_vs_float64" in planned(sin, "torch", "float32")
    assert "float32_vs_float64" not in planned(sin, "torch", "float64")
    assert "kink" in planned(kink, "torch", "float64") and "kink" not in planned(sin, "torch",
                                                                                   "float64")
    # second_order_nestings, vmap_grad and jacfwd_vs_jacrev: float64 only, in one mode per
    # framework (jax.jit for JAX); complex_convention: complex dtypes only; half_vs_float64:
    # float16 and bfloat16 only
    assert set(planned(kink, "torch", "float32")) == set(CHECKS) - {
        "second_order_nestings", "complex_convention", "vmap_grad", "jacfwd_vs_jacrev",
        "half_vs_float64"}
    assert set(planned(kink, "torch", "float64", "eager")) == set(CHECKS) - {
        "float32_vs_float64", "complex_convention", "half_vs_float64"}


def test_records_are_deterministic_and_have_the_schema():
    case = cases.get("sin")
    a = run_case(case, "refengine", seed=3, conventions=())
    b = run_case(case, "refengine", seed=3, conventions=())
    assert [r.got for r in a] == [r.got for r in b]
    d = a[0].to_dict()
    assert list(d) == list(COLUMNS)
    assert d["case"] == "sin" and d["adapter"] == "refengine" and d["framework_version"]
    assert run_case(case, "refengine", rng=np.random.default_rng(1))


def test_unavailable_adapter_unsupported_mode_and_unknown_check():
    class Missing:
        name, modes, dtypes, device = "missing", ("eager",), ("float64", "float32"), "cpu"

        def available(self):
            from adapters.base import Availability

            return Availability(False, "ModuleNotFoundError: no module named missing")

        def versions(self):
            return {}

    case = cases.get("sin")
    records = run_case(case, Missing(), conventions=())
    assert {r.status for r in records} == {"unsupported"}
    assert "no module named missing" in records[0].message
    records = run_case(case, "refengine", mode="jit", conventions=())
    assert {r.status for r in records} == {"unsupported"} and "no mode 'jit'" in records[0].message
    with pytest.raises(ValueError, match="unknown checks"):
        run_case(case, "refengine", checks=["nope"])


def test_run_matrix_is_case_major_and_respects_selection():
    chosen = [cases.get("sin"), cases.get("exp")]
    records = list(run_matrix(chosen, ["refengine"], dtypes=["float64"], checks=["value"],
                              run_id="t"))
    assert [(r.case, r.check, r.run_id) for r in records] == [("sin", "value", "t"),
                                                              ("exp", "value", "t")]


def test_a_wrong_rule_fails_with_the_worst_entry_named():
    records = run_case(cases.get("sin"), "refengine-mutant:sin:scale", conventions=())
    by = {r.check: r for r in records}
    assert by["vjp_vs_refengine"].status == "fail"
    fd = by["vjp_vs_oracle"]
    assert fd.status == "fail" and fd.worst_index.startswith("d out[")
    assert "/ d x[" in fd.worst_index and "FD" not in fd.message.split(":")[0]
    assert np.isfinite(fd.oracle_err) and fd.tol > 0 and fd.max_rel_err == pytest.approx(1e-3,
                                                                                         rel=1e-2)
    assert by["adjoint"].status == "pass"  # consistently wrong in both modes
    assert by["value"].status == "pass"


def test_large_inputs_use_projections_and_bisect_to_the_wrong_entry():
    # One wrong entry among 200: the projection fails, bisection names it.
    case = Case("one-bad-entry", lambda xp, x: xp.sum(xp.sin(x)),
                args=(Arg("x"),), sizes=Sizes(check=200, sweep=()))
    records = run_case(case, "refengine-mutant:sin:scale", checks=["vjp_vs_oracle",
                                                                   "jvp_vs_oracle"],
                       conventions=())
    for r in records:
        assert r.status == "fail", r.message
        assert "bisection" in r.message
        assert r.worst_index.count("x[") == 1


def test_kink_check_names_the_convention():
    (record,) = run_case(cases.get("abs-at-zero"), "refengine", checks=["kink"],
                         conventions=())
    assert record.status == "pass" and record.convention == "zero"
    (record,) = run_case(cases.get("maximum-tie"), "refengine", checks=["kink"],
                         conventions=())
    assert record.status == "pass" and record.convention == "average"


@pytest.mark.parametrize("n", [None, 100])
def test_a_declared_infinite_slope_is_expected_past_the_full_jacobian_size(n):
    # sqrt'(0) = inf at x[0]: at n = 100 (past FULL_JACOBIAN_MAX) the oracle has no Jacobian,
    # and the case's declared kink says where the derivative does not exist (it was
    # "nonfinite" for every framework at the sweep size).
    case = cases.get("sqrt-at-zero")
    (rec,) = run_case(case, "refengine", checks=["finite"], conventions=(), size=n)
    assert rec.status == "pass" and "vjp x[0] = -inf" in rec.message, rec


def test_nonfinite_is_reported_where_it_appears_and_documented_entries_apply():
    case = cases.get("where-nan-sqrt")
    (raw,) = run_case(case, "refengine", checks=["finite"], conventions=())
    assert raw.status == "nonfinite" and raw.worst_index == "vjp x[3]"
    table = (Divergence("where", "x < 0", ("where-nan-*",), ("refengine",), "NaN leaks",
                        "https://example.org/faq", checks=("finite",)),)
    (doc,) = run_case(case, "refengine", checks=["finite"], conventions=table)
    assert doc.status == "divergence-documented" and "https://example.org/faq" in doc.message
