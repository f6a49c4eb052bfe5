"""Proof that the suite catches errors: negative controls and mutation testing.

A negative control is refengine with one derivative-table entry perturbed
(``adapters.mutant_adapter``). For each op below, over every library case that exercises the
rule (plus a sample of cases that do not): the suite must flag a case exactly when the mutant
changes what that case computes. Precisely, no false alarm (a flagged case is one whose float64
value, VJP, JVP or HVP differs from refengine's) and no miss (a case where that difference
exceeds 1e-6 of the quantity's scale is flagged). At order 2 the mutant changes no first
derivative, so only the second-order checks may notice; ``order2fwd`` changes forward over
forward only, so only ``second_order_nestings`` may, naming that nesting.
"""

from __future__ import annotations

import pytest

import adapters
import cases
from adapters.mutant_adapter import from_name, mutations, parse
from cases.conformance import run_case
from cases.conformance.mutation import (
    RULE_CHECKS,
    difference,
    outputs,
    precision,
    run,
    usage,
)

ORDER1 = ["sin", "exp", "tanh", "matmul", "divide", "logsumexp", "cholesky", "solve"]
ORDER2 = ["sin", "exp", "tanh", "matmul", "logsumexp"]
ORDER2FWD = ["sin", "exp", "multiply", "cumprod"]
SECOND_ORDER_CHECKS = {"hvp_vs_oracle", "hvp_vs_refengine", "second_order_nestings", "finite",
                       "float32_vs_float64"}
MAX_CASES = 24  # per op in the default run: the exercising cases first, then others
OTHERS = 6


@pytest.fixture(scope="module")
def uses():
    return usage(cases.all())


def _flagged(case, name):
    # float64, or complex128 for a complex-only case (as the mutation score runs it)
    dtype = precision(case)
    baseline = {r.check: r.bad for r in run_case(case, "refengine", dtype=dtype,
                                                 conventions=(), checks=RULE_CHECKS)}
    return {r.check for r in run_case(case, name, dtype=dtype, conventions=(),
                                      checks=RULE_CHECKS)
            if r.bad and not baseline.get(r.check, False)}


def _cases_for(uses, op, arg=0):
    exercising = sorted(set(uses.get((op, arg), [])))[:MAX_CASES]
    others = [c.name for c in cases.all() if c.name not in set(uses.get((op, arg), []))]
    return exercising, others[::max(1, len(others) // OTHERS)][:OTHERS]


def _control(uses, op, kind):
    name = f"refengine-mutant:{op}:{kind}"
    engine = adapters.get("refengine")
    exercising, others = _cases_for(uses, op)
    caught = 0
    for case_name in exercising + others:
        case = cases.get(case_name)
        diff = difference(outputs(from_name(name), case), outputs(engine, case))
        flagged = _flagged(case, name)
        where = f"{name} on {case_name} (difference {diff:.3g}, flagged {sorted(flagged)})"
        if case_name in others:
            assert diff == 0.0 and not flagged, where
        assert not flagged or diff > 0, f"false alarm: {where}"
        assert flagged or diff <= 1e-6, f"missed: {where}"
        caught += bool(flagged)
        if kind == "order2" and flagged and "grad" not in case.requires:
            assert flagged <= SECOND_ORDER_CHECKS, where
        if kind == "order2fwd" and flagged and "grad" not in case.requires:
            assert flagged == {"second_order_nestings"}, where
    assert caught >= 1, f"{name}: no case caught it"
    return caught


@pytest.mark.parametrize("op", ORDER1)
def test_negative_control_order1(uses, op):
    _control(uses, op, "scale")


@pytest.mark.parametrize("op", ORDER2)
def test_negative_control_order2(uses, op):
    name = f"refengine-mutant:{op}:order2"
    case = cases.get(sorted(uses[(op, 0)])[0])
    first, genuine = outputs(from_name(name), case), outputs(adapters.get("refengine"), case)
    for q in ("value", "vjp", "jvp"):  # first derivatives are bit for bit right
        assert difference({**genuine, q: first[q]}, genuine) == 0.0, (name, q)
    _control(uses, op, "order2")


@pytest.mark.parametrize("op", ORDER2FWD)
def test_negative_control_forward_over_forward_only(uses, op):
    """A JVP rule whose own forward derivative is wrong (torch's cumprod bug, planted in
    refengine): value, VJP, JVP, the HVP and the other nestings bit for bit right."""
    name = f"refengine-mutant:{op}:order2fwd"
    changed = 0
    for case_name in sorted(uses[(op, 0)])[:MAX_CASES]:
        case = cases.get(case_name)
        mutant, genuine = outputs(from_name(name), case), outputs(adapters.get("refengine"), case)
        for q in ("value", "vjp", "jvp", "hvp", "hvp_rev_fwd", "hvp_rev_rev"):
            assert difference({**genuine, q: mutant[q]}, genuine) == 0.0, (name, case_name, q)
        changed += difference({**genuine, "jvp_fwd_fwd": mutant["jvp_fwd_fwd"]}, genuine) > 0
    assert changed, f"{name} changes no case's forward over forward"
    _control(uses, op, "order2fwd")


def test_mutation_score_counts_forward_over_forward_mutants():
    chosen = [m for m in mutations(("order2fwd",))
              if m.primitive in {"sin", "multiply", "cumprod", "matmul"}]
    report = run(chosen)
    assert len(report.covered) == len(chosen), report.summary()
    assert report.score == 1.0 and report.independent_score == 1.0, report.summary()
    assert all(r.caught_by == {"second_order_nestings"} for r in report.covered), [
        (r.mutation.name, r.caught_by) for r in report.covered]


def test_mutant_names_parse_and_reject_nonsense():
    assert parse("refengine-mutant:multiply:sign:1").arg == 1
    assert parse("refengine-mutant:where:scale").arg == 1  # where's first rule is for x
    assert from_name("refengine-mutant:sin:scale").name == "refengine-mutant:sin:scale"
    for bad in ("refengine-mutant:nope:scale", "refengine-mutant:sin:twice",
                "refengine-mutant:sin:swap", "torch"):
        with pytest.raises(ValueError):
            parse(bad)
    assert "refengine-mutant:sin:scale" not in adapters.names()


def test_mutation_applies_only_inside_the_mutants_own_calls():
    case = cases.get("sin")
    assert _flagged(case, "refengine-mutant:sin:scale")
    assert all(r.status == "pass" for r in run_case(case, "refengine", conventions=()))


def test_equivalent_swaps_are_left_out():
    names = {m.name for m in mutations(("swap",))}
    assert "refengine-mutant:add:swap" not in names  # both rules are g: nothing changes
    assert "refengine-mutant:divide:swap" in names


def test_mutation_score_on_a_subset():
    chosen = [m for m in mutations(("scale", "sign", "swap"))
              if m.primitive in {"sin", "multiply", "divide", "matmul", "max", "where"}]
    report = run(chosen)
    assert report.covered and report.score == 1.0, report.summary()


@pytest.mark.slow
def test_mutation_score_full():
    report = run(mutations(("scale", "sign", "swap", "order2", "order2fwd")))
    assert report.score == 1.0, report.summary()
