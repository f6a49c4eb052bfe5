"""Complex dtypes in the conformance matrix: the sampled point, the real pair view the checks
run on, and the ``complex_convention`` check with its negative controls (a planted missing
conjugate, a dropped complex cotangent, a declaration that no longer holds, a wrong complex
rule)."""

from __future__ import annotations

import numpy as np
import pytest

import cases
from adapters.refengine_adapter import RefengineAdapter
from cases.conformance import run_case
from cases.conformance.checks import planned
from cases.conformance.complex_pairs import real_pair_case
from cases.conventions import TABLE, Divergence

ABS = "complex-abs-squared"  # a real loss whose gradient is not real: the conventions differ


class _ConjugatingRefengine(RefengineAdapter):
    """refengine with a planted missing conjugate: its VJP is PyTorch's convention."""

    name = "conjugating-refengine"

    def vjp(self, fn, inputs, cotangent, mode="eager", argnums=None):
        out, grads = super().vjp(fn, inputs, np.conj(cotangent), mode, argnums)
        return out, tuple(np.conj(g) for g in grads)


class _DroppingRefengine(RefengineAdapter):
    """refengine that loses the gradient of complex inputs (as TensorFlow's adapter did when it
    passed only floating outputs' cotangents to GradientTape)."""

    name = "dropping-refengine"

    def vjp(self, fn, inputs, cotangent, mode="eager", argnums=None):
        out, grads = super().vjp(fn, inputs, cotangent, mode, argnums)
        return out, tuple(np.zeros_like(g) if np.iscomplexobj(g) else g for g in grads)


def _by_check(case, adapter, dtype="complex128", conventions=()):
    return {r.check: r for r in run_case(cases.get(case), adapter, "eager", dtype,
                                         conventions=conventions)}


def test_complex_inputs_take_both_parts_from_the_domain_and_complex64_is_complex128_rounded():
    case = cases.get("complex-angle")
    high = case.sample(np.random.default_rng(3), dtype="complex128")[0]
    low = case.sample(np.random.default_rng(3), dtype="complex64")[0]
    assert high.dtype == np.complex128 and low.dtype == np.complex64
    assert np.all(np.abs(high.real) >= 0.25) and np.all(np.abs(high.imag) >= 0.25)
    np.testing.assert_array_equal(low, high.astype(np.complex64))
    assert case.violations([high]) == []
    assert case.violations([np.where(np.arange(high.size) == 1, 0.1j + 1, high)]) != []


def test_the_real_pair_view_has_pairs_for_inputs_complex_outputs_and_kinks():
    view, dtype = real_pair_case(cases.get("complex-exp"), "complex64")
    assert dtype == "float32" and view.input_shapes() == ((6, 2),)
    assert view.expected_shape() == (6, 2)
    loss, _ = real_pair_case(cases.get("complex-fft-power"), "complex128")
    assert loss.expected_shape() == ()
    kinked, _ = real_pair_case(cases.get("complex-abs-at-zero"), "complex128")
    assert [(k.index, k.value) for k in kinked.kinks] == [((2, 0), 0.0), ((2, 1), 0.0)]
    assert real_pair_case(cases.get("sin"), "float64") == (cases.get("sin"), "float64")


def test_complex_convention_is_planned_for_complex_dtypes_only():
    assert "complex_convention" in planned(cases.get(ABS), "torch", "complex64")
    assert "complex_convention" not in planned(cases.get("sin"), "torch", "float64")
    assert "float32_vs_float64" in planned(cases.get(ABS), "torch", "complex64")
    assert "second_order_nestings" in planned(cases.get(ABS), "torch", "complex128")


def test_refengine_passes_every_check_and_names_its_convention():
    records = _by_check(ABS, "refengine")
    assert {r.status for r in records.values()} == {"pass"}, records
    assert records["complex_convention"].convention.startswith("as refengine's")


def test_a_planted_missing_conjugate_fails_the_convention_check_only():
    records = _by_check(ABS, _ConjugatingRefengine())
    bad = {c: r for c, r in records.items() if r.status != "pass"}
    assert set(bad) == {"complex_convention"}, bad
    assert "returns conjugate of refengine's" in bad["complex_convention"].message
    assert bad["complex_convention"].convention == "measured: conjugate of refengine's " \
                                                  "(dL/dx + i dL/dy)"


def test_a_declared_conjugate_convention_fails_unless_the_table_documents_it():
    class Declared(_ConjugatingRefengine):
        complex_convention = "conjugate"

    record = _by_check(ABS, Declared())["complex_convention"]
    assert record.status == "fail" and "(measured, as declared" in record.message
    entry = Divergence(op="complex gradients", point="any", cases=("*",),
                       adapters=("conjugating-refengine",), behaviour="conjugate",
                       citation="this test", checks=("complex_convention",),
                       message=TABLE_ENTRY.message)
    documented = _by_check(ABS, Declared(), conventions=(entry,))["complex_convention"]
    assert documented.status == "divergence-documented"


TABLE_ENTRY = next(e for e in TABLE if e.checks == ("complex_convention",))


def test_a_lost_complex_gradient_fails_as_neither_convention():
    record = _by_check("complex-exp", _DroppingRefengine())["complex_convention"]
    assert record.status == "fail" and "neither convention" in record.message


def test_a_real_gradient_cannot_tell_the_conventions_apart_and_says_so():
    record = _by_check("complex-real", _ConjugatingRefengine())["complex_convention"]
    assert record.status == "pass" and record.convention.startswith("indistinguishable")


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
def test_a_wrong_complex_rule_is_caught_by_the_oracle(dtype):
    records = _by_check("complex-conj", "refengine-mutant:conj:sign", dtype)
    assert records["vjp_vs_oracle"].status == "fail"
    assert records["jvp_vs_oracle"].status == "fail"


def test_torch_is_documented_as_conjugate_and_fails_if_its_declaration_changes(monkeypatch):
    pytest.importorskip("torch")
    from adapters.torch_adapter import TorchAdapter

    record = _by_check(ABS, "torch", conventions=TABLE)["complex_convention"]
    assert record.status == "divergence-documented"
    assert record.convention.startswith("conjugate of refengine's")
    monkeypatch.setattr(TorchAdapter, "complex_convention", "refengine")
    changed = _by_check(ABS, "torch", conventions=TABLE)["complex_convention"]
    assert changed.status == "fail"
    assert "returns conjugate of refengine's" in changed.message
