"""Half precision in the conformance matrix (``cases.conformance.half``): the checks that run,
the derived tolerance, negative controls it catches, and an accumulation difference that is
measured accuracy, not a failure. NumPy-based adapters only (no framework import): cheap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cases
from adapters.refengine_adapter import RefengineAdapter
from cases.conformance import CHECKS, planned, run_case
from cases.conformance.half import (
    HALF_CHECKS,
    accumulation_length,
    half_rtol,
    matrix_dtypes,
)
from refengine.tolerances import EPS, RTOL


def _by_check(records: list[Any]) -> dict[str, Any]:
    return {r.check: r for r in records}


def test_half_dtypes_and_checks() -> None:
    tanh = cases.get("tanh")
    assert matrix_dtypes(tanh) == (*tanh.dtypes, "float16", "bfloat16")
    complex_case = next(c for c in cases.all() if "float32" not in c.dtypes)
    assert "float16" not in matrix_dtypes(complex_case)
    for dtype in ("float16", "bfloat16"):
        assert set(planned(tanh, "torch", dtype)) == HALF_CHECKS
    assert "half_vs_float64" in CHECKS
    assert "half_vs_float64" not in planned(tanh, "torch", "float32")


def test_tolerance_is_rounding_plus_accumulation() -> None:
    u16 = EPS["float16"] / 2
    # L = 7 (six inputs and a scalar output): the 2-eps row plus gamma_6 = 6u / (1 - 6u)
    assert half_rtol("precision", "float16", 7) == pytest.approx(
        RTOL[("precision", "float16")] + 6 * u16 / (1 - 6 * u16))
    assert half_rtol("fd", "bfloat16", 1) == RTOL[("fd", "bfloat16")]  # nothing accumulates
    assert half_rtol("value", "bfloat16", 10_000) == RTOL[("value", "bfloat16")] + 1.0  # capped
    assert half_rtol("determinism", "float16", 10_000) == 0.0  # bitwise stays bitwise
    assert accumulation_length((np.zeros((2, 3)), np.zeros(4)), (5,)) == 15


def test_refengine_float16_passes_and_bfloat16_is_unsupported_with_numpys_reason() -> None:
    records = _by_check(run_case(cases.get("tanh"), "refengine", "eager", "float16"))
    assert {r.status for r in records.values()} == {"pass"}, records
    half = records["half_vs_float64"]
    assert half.message.startswith("measured error in eps x magnitude: value ")
    assert 0 < half.max_abs_err <= half.tol
    bf = run_case(cases.get("tanh"), "refengine", "eager", "bfloat16")
    assert {r.status for r in bf} == {"unsupported"}
    assert "elementwise loops only" in bf[0].message


def test_a_refused_half_op_is_unsupported_not_an_error() -> None:
    # NumPy's linalg has no float16 loops: "array type float16 is unsupported in linalg"
    case = next(c for c in cases.all() if c.name.startswith("inv"))
    records = run_case(case, "refengine", "eager", "float16")
    statuses = {r.check: r.status for r in records}
    assert "error" not in statuses.values(), records
    assert statuses["value"] == "unsupported" and "half-precision" in records[0].message


def test_a_wrong_rule_is_caught_in_half_precision() -> None:
    """A negated rule (the mutant adapter): the half VJP and JVP fail against the oracle (the
    same framework's float64 has the same wrong rule, so half_vs_float64 cannot see it)."""
    records = _by_check(run_case(cases.get("tanh"), "refengine-mutant:tanh:sign", "eager",
                                 "float16"))
    assert records["vjp_vs_oracle"].status == "fail"
    assert records["jvp_vs_oracle"].status == "fail"
    assert records["half_vs_float64"].status == "pass"


class HalfOnlyBug(RefengineAdapter):
    """refengine whose float16 VJP is ``factor`` times too large (a wrong half kernel), or,
    with ``widen``, comes back float32 for float16 inputs."""

    def __init__(self, factor: float = 1.0, widen: bool = False) -> None:
        super().__init__()
        self.name = "refengine-half-bug"
        self.factor, self.widen = factor, widen

    def vjp(self, fn: Any, inputs: Any, cotangent: Any, mode: str = "eager",
            argnums: Any = None) -> Any:
        out, grads = super().vjp(fn, inputs, cotangent, mode, argnums)
        if grads and grads[0].dtype == np.float16:
            grads = tuple((g.astype(np.float32) if self.widen else g * self.factor).astype(
                np.float32 if self.widen else np.float16) for g in grads)
        return out, grads


@pytest.mark.parametrize("factor", [1.05, 0.97])
def test_a_wrong_half_only_rule_fails_half_vs_float64(factor: float) -> None:
    """An error only in half (a few percent, ~30-50 float16 eps) fails against the same
    adapter's float64 and against the oracle; the unperturbed adapter passes both."""
    case = cases.get("tanh")
    bad = _by_check(run_case(case, HalfOnlyBug(factor), "eager", "float16"))
    assert bad["half_vs_float64"].status == "fail"
    assert bad["half_vs_float64"].worst_index.startswith("vjp")
    assert bad["vjp_vs_oracle"].status == "fail"
    good = _by_check(run_case(case, HalfOnlyBug(1.0), "eager", "float16"))
    assert good["half_vs_float64"].status == good["vjp_vs_oracle"].status == "pass"


def test_a_silently_widened_half_gradient_fails() -> None:
    record = _by_check(run_case(cases.get("tanh"), HalfOnlyBug(widen=True), "eager",
                                "float16"))["half_vs_float64"]
    assert record.status == "fail"
    assert "returned float32 for float16 inputs" in record.message


class AccumulatesInHalf(RefengineAdapter):
    """refengine whose ``sum`` adds in the dtype itself, one term at a time (a cumulative sum's
    last entry), as TensorFlow's float16 reductions do; NumPy's float16 ``sum`` accumulates
    in float32 and rounds once."""

    def __init__(self) -> None:
        super().__init__()
        self.name = "refengine-sum-in-half"

    def _load(self) -> Any:
        import refengine.numpy as rnp

        table = dict(super()._load())
        table["sum"] = (lambda x, axis=None, **_: rnp.cumsum(rnp.reshape(x, (-1,)))[-1],
                        table["sum"][1])
        return table


def test_accumulation_in_half_is_measured_accuracy_not_a_failure() -> None:
    """sum-all at 600 terms in float16: summing in float16 is several times less accurate than
    float32 accumulation, and both pass: the tolerance admits the in-dtype bound gamma(L),
    the record measures the difference."""
    case = cases.get("sum-all")
    size = case.sizes.sweep[0]
    numpy_sum = _by_check(run_case(case, "refengine", "eager", "float16", size=size))
    in_half = _by_check(run_case(case, AccumulatesInHalf(), "eager", "float16", size=size))
    for records in (numpy_sum, in_half):
        assert records["value"].status == "pass", records["value"].message
        assert records["half_vs_float64"].status == "pass"
    assert in_half["value"].max_abs_err > 3 * numpy_sum["value"].max_abs_err
    # each one's error in its own units: NumPy rounds once (under an eps of the sum)
    assert numpy_sum["value"].max_rel_err < EPS["float16"] < in_half["value"].max_rel_err


def test_a_derivative_that_cancels_is_judged_by_its_own_conditioning() -> None:
    """var(ddof=1)'s VJP 2 (x - mean) / (n - 1) cancels where x is near its mean: there its
    rounding is relative to x, which ``derivative_conditioning`` (|H| |x|) sees and the
    first-order magnitude does not; a planted 5 % half-only error still fails."""
    from cases.conformance.half import derivative_conditioning
    from cases.conformance.reference import flat, reference
    from refengine.judging import contraction_magnitude

    case = cases.get("var-axis1-ddof1")
    ref = reference(case, "float16")
    own = derivative_conditioning(ref, "vjp")
    first = contraction_magnitude(flat(ref.u), ref.oracle().jac.value, axis=0)
    assert own is not None and own.shape == first.shape
    assert np.max(own / first) > 10  # an entry whose derivative cancels
    assert _by_check(run_case(case, HalfOnlyBug(1.05), "eager", "float16"))[
        "half_vs_float64"].status == "fail"
    assert _by_check(run_case(case, HalfOnlyBug(1.0), "eager", "float16"))[
        "half_vs_float64"].status == "pass"


def test_the_command_line_runs_half_precision_only_when_named() -> None:
    """``--dtypes float16`` (the CLI) selects every real case in half, as the matrix does; a
    complex-only case has none; without --dtypes nothing runs in half."""
    from argparse import Namespace

    from reports.selection import SelectionError, select

    def combos(**kw: str | None) -> set[tuple[str, str]]:
        args = Namespace(cases=kw.get("cases"), tags=None, adapters="refengine", modes=None,
                         dtypes=kw.get("dtypes"), command="check")
        return {(c.name, d) for c, _, _, d in select(args).combinations()}

    assert combos(cases="tanh", dtypes="float16,bfloat16") == {("tanh", "float16"),
                                                                ("tanh", "bfloat16")}
    assert not {d for _, d in combos(cases="tanh")} & {"float16", "bfloat16"}
    with pytest.raises(SelectionError, match="leaves nothing to run"):
        combos(cases="complex-exp", dtypes="float16")


def test_a_timed_run_says_half_precision_is_not_timed() -> None:
    from argparse import Namespace

    from reports.selection import select

    args = Namespace(cases="tanh", tags=None, adapters="refengine", modes=None,
                     dtypes="float16,float64", command="run")
    assert any("float16: checked, not timed" in note for note in select(args).notes)
