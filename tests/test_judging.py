"""One checker, not two: rf.check_grads (refengine.check) and the conformance matrix judge
entries with the same functions (refengine.judging), the same tolerance per entry, and both
catch planted errors."""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from cases.case import Arg, Case, Sizes
from cases.conformance import localise, run_case, scales, verdict
from cases.conformance.reference import reference
from cases.conformance.tolerance import Tol, tolerance_for
from cases.conformance.verdict import compare, index_namer
from refengine import check, comparison, judging
from refengine.check import ADFunctions, CheckConfig, GradientCheckError, check_derivatives
from refengine.comparison import FD, compare_entries
from refengine.tolerances import rtol_for

RNG = np.random.default_rng(16)
F64 = np.dtype(np.float64)


def test_both_checkers_call_the_same_functions():
    assert verdict.judge is comparison.judge is judging.judge
    assert comparison.contraction_magnitude is check.contraction_magnitude
    assert comparison.contraction_magnitude is judging.contraction_magnitude
    assert localise.contraction_magnitude is judging.contraction_magnitude
    assert localise.locate_entry is check.locate_entry is judging.locate_entry
    assert scales.backward_rounding is check.backward_rounding is judging.backward_rounding


def _both(got, expected, fd_error, magnitude, floor):
    """The same entries judged by rf.check_grads' comparison and by the matrix's."""
    labels = {"function": "f", "check": "VJP of f", "mode": "rev", "order": 1}
    fd = FD(expected, fd_error, np.zeros(expected.shape, bool), 0)
    ours = compare_entries(labels, CheckConfig(), got, fd, magnitude, F64,
                           lambda k: (0, k, None), floor=floor)
    tol = tolerance_for(Case("c", lambda xp, x: x, args=(Arg("x"),)), "float64",
                        "vjp_vs_oracle")
    theirs = compare(got, expected, tol, scale=magnitude, oracle_err=fd_error, floor=floor,
                     namer=index_namer(["x"], [expected.shape]), what="VJP", reference="FD")
    return ours, theirs, tol


def test_the_matrix_and_check_grads_give_the_same_tolerance_for_the_same_entry():
    expected = RNG.standard_normal(10)
    fd_error = np.abs(expected) * 1e-9
    magnitude = judging.contraction_magnitude(RNG.standard_normal(50),
                                              RNG.standard_normal((50, 10)), axis=0)
    floor = np.full(10, 1e-15)
    floor[3] = 1.0  # the floor decides entry 3: max(rtol x magnitude, floor), not their sum
    got = expected.copy()
    got[3] += 0.999
    ours, theirs, tol = _both(got, expected, fd_error, magnitude, floor)
    assert tol.rtol == ours.rtol == rtol_for("fd", "float64")
    assert ours.passed and theirs.passed
    assert (ours.index, theirs.worst) == ((3,), 3)
    assert ours.tol == theirs.tol == pytest.approx(
        1.0 + tol.tiny + 1e-6 * abs(expected[3]) + fd_error[3], rel=1e-15)
    for k in range(10):  # every entry, not only the worst
        mine = judging.entry_tolerance(expected, ours.rtol, magnitude, floor,
                                       judging.tiny_of(F64), fd_error)
        assert mine[k] == Tol(tol.rtol, tol.tiny).entries(expected, magnitude, fd_error,
                                                          floor)[k]


def test_an_entry_wrong_by_1e_5_relative_fails_both_in_float64():
    expected = RNG.uniform(0.5, 2.0, 10)
    got = expected.copy()
    got[7] *= 1.0 + 1e-5
    fd_error = np.abs(expected) * 1e-10
    magnitude = np.abs(expected)
    ours, theirs, _ = _both(got, expected, fd_error, magnitude, np.zeros(10))
    assert not ours.passed and ours.index == (7,)
    assert theirs.status == "fail" and theirs.worst_index == "x[7]"
    # and end to end, through rf.check_grads' checker and rf's own AD
    x = RNG.uniform(0.5, 1.5, 10)

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        wrong = np.ones(10)
        wrong[7] += 1e-5
        return out, lambda ct: (pullback(ct)[0] * wrong,)

    with pytest.raises(GradientCheckError) as info:
        check_derivatives(lambda v: rnp.sum(rnp.sin(v) * v), (x,),
                          ad=ADFunctions(jvp=rf.jvp, vjp=vjp),
                          config=CheckConfig(modes=("rev",), order=1))
    assert info.value.comparison.index == (7,)


def test_nonfinite_and_masked_entries_are_judged_the_same_way():
    j = judging.judge([1.0, np.inf, np.nan, 2.0], [1.0, np.inf, np.nan, 2.0], 0.0)
    assert j.passed and j.judged == 4
    j = judging.judge([np.nan, 1.0, 5.0], [1.0, 1.0, np.inf], 1e-6)
    assert j.status == "nonfinite" and j.worst == 0 and j.outside == 2
    j = judging.judge([1.0, 99.0], [1.0, np.nan], 1e-6, checked=[True, False])
    assert j.passed and j.judged == 1 and j.ratio[1] == -1.0


def test_the_matrix_finds_one_entry_wrong_by_0_1_percent_among_ten_thousand():
    # f's gradient is x + cos(x_k) e_k; sin's rule times 1.001 makes entry k about 0.1 %
    # wrong. On the projected path (10^4 inputs: no full Jacobian) the dot-product test's
    # magnitude is the contraction magnitude (4 deviations of a random sum); the matrix's rule
    # before refengine.judging, the sum of the absolute terms, gave it a tolerance above the
    # error, and the projection passed.
    k = 1234
    case = Case("one-of-ten-thousand", lambda xp, x: 0.5 * xp.sum(x * x) + xp.sin(x[k]),
                args=(Arg("x"),), sizes=Sizes(check=10_000, sweep=()))
    ref = reference(case, "float64")
    x, v = ref.x64[0], ref.v[0].astype(np.float64)
    g = x.copy()
    g[k] += np.cos(x[k])
    error = 1e-3 * abs(np.cos(x[k]) * v[k])
    rtol = rtol_for("fd", "float64")
    assert error < rtol * (abs(g @ v) + np.abs(g) @ np.abs(v))  # the old rule: missed
    assert error > 4 * rtol * (abs(g @ v) + judging.contraction_magnitude(v, g))
    (record,) = run_case(case, "refengine-mutant:sin:scale", checks=["vjp_vs_oracle"],
                         conventions=())
    assert record.status == "fail", record.message
    assert record.worst_index == f"x[{k}]" and "bisection" in record.message
    # the record is the entry's own derivative, v_k divided out
    assert record.expected == pytest.approx(g[k], rel=1e-6)
    assert record.got == pytest.approx(x[k] + 1.001 * np.cos(x[k]), rel=1e-6)
    (control,) = run_case(case, "refengine", checks=["vjp_vs_oracle"], conventions=())
    assert control.status == "pass", control.message
