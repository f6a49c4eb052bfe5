"""The transformation checks (issue 17): ``vmap_grad``, ``jacfwd_vs_jacrev`` and
``inputs_unchanged`` (``cases.conformance.transforms``): where they are planned, what they
compare, what a framework without the transformation gets, and the negative controls they
must catch (``refengine-broken:<kind>``, ``adapters.mutant_adapter``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cases
from adapters.input_watch import differ
from adapters.mutant_adapter import BROKEN_KINDS, TransformMutant, from_name
from adapters.refengine_adapter import RefengineAdapter
from cases.conformance import CHECKS, planned, run_case
from cases.conformance.reference import reference
from cases.conformance.transforms import BATCH, JACOBIAN_MAX, batch_points, jacobian_matrix

from .adapter_support import require

NEW = ("vmap_grad", "jacfwd_vs_jacrev", "inputs_unchanged")


def _records(case: str, adapter: Any, checks: Any = None, mode: str = "eager") -> dict[str, Any]:
    return {r.check: r for r in run_case(cases.get(case), adapter, mode, "float64",
                                         checks=checks, conventions=())}


def test_planned_in_float64_in_one_mode_per_framework_and_inputs_unchanged_everywhere():
    assert CHECKS[-1] == "inputs_unchanged"  # last: it reads every other check's calls
    assert CHECKS.index("vmap_grad") == CHECKS.index("second_order_nestings") + 1
    sin = cases.get("sin")
    for adapter in ("torch", "autograd", "tensorflow", "mxnet"):
        assert set(NEW) <= set(planned(sin, adapter, "float64", "eager"))
        assert {"vmap_grad", "jacfwd_vs_jacrev"}.isdisjoint(planned(sin, adapter, "float32"))
        assert "inputs_unchanged" in planned(sin, adapter, "float32", "eager")
    assert "vmap_grad" in planned(sin, "jax", "float64", "jit")
    assert "vmap_grad" not in planned(sin, "jax", "float64", "eager")
    assert "inputs_unchanged" in planned(sin, "jax", "float64", "eager")
    # refengine has no vectorising map: not planned there (as its comparisons with itself)
    assert "vmap_grad" not in planned(sin, "refengine", "float64", "eager")
    assert "jacfwd_vs_jacrev" in planned(sin, "refengine", "float64", "eager")
    for case in cases.all():  # complex cases: the real pair view is not transformed
        if "complex128" in case.dtypes:
            assert "vmap_grad" not in planned(case, "torch", "complex128", "eager")
            break


def test_batch_points_start_at_the_checks_point_and_redraw_only_differentiated_inputs():
    ref = reference(cases.get("gmm"), "float64")
    points, cts = batch_points(ref)
    assert len(points) == len(cts) == BATCH
    assert all(a is b for a, b in zip(points[0], ref.inputs)) and cts[0] is ref.u
    for p in points[1:]:
        for i, (a, b) in enumerate(zip(p, ref.inputs)):
            assert (a is b) == (i not in ref.argnums)
            assert np.shape(a) == np.shape(b)
    assert ref.scalar and all(float(c) == 1.0 for c in cts)  # a scalar f: the gradient


def test_refengine_jacobians_agree_and_autograd_has_no_vectorising_map():
    records = _records("gmm", "refengine", NEW)
    assert "vmap_grad" not in records
    assert records["jacfwd_vs_jacrev"].status == "pass", records["jacfwd_vs_jacrev"].message
    assert "vs its own reverse-mode Jacobian: pass" in records["jacfwd_vs_jacrev"].message
    require("autograd")
    record = _records("sin", "autograd", ["vmap_grad"])["vmap_grad"]
    assert record.status == "unsupported" and "no vectorised VJP" in record.message
    assert records["inputs_unchanged"].status == "pass"
    assert "jacfwd" in records["inputs_unchanged"].message


def test_a_right_looped_vmap_passes_and_a_wrong_batch_element_fails():
    """The control's control: refengine with a vectorised VJP written as a right loop passes
    against its own VJP and refengine; one that takes the last element's VJP at the first
    element's point fails there, named."""
    good = _records("sin", "refengine-broken:looped-vmap", NEW)
    assert {r.status for r in good.values()} == {"pass"}, {c: r.message for c, r in good.items()}
    bad = _records("sin", "refengine-broken:vmap-wrong-element")
    failed = {c for c, r in bad.items() if r.status != "pass"}
    assert failed == {"vmap_grad"}, {c: bad[c].message for c in failed}
    record = bad["vmap_grad"]
    assert record.status == "fail"
    assert record.worst_index.startswith(f"batch {BATCH - 1}: ")
    assert "vs its own VJP one point at a time: fail" in record.message


def test_a_forward_mode_jacobian_off_by_a_thousandth_in_one_entry_fails():
    records = _records("sin", "refengine-broken:jacfwd-scaled")
    failed = {c for c, r in records.items() if r.status != "pass"}
    assert failed == {"jacfwd_vs_jacrev"}, {c: records[c].message for c in failed}
    record = records["jacfwd_vs_jacrev"]
    assert record.worst_index == "d out[0] / d x[0]"
    assert "vs its own reverse-mode Jacobian: fail" in record.message
    assert "vs refengine's reverse-mode Jacobian: pass" in record.message
    assert record.max_rel_err == pytest.approx(1e-3, rel=1e-6)


def test_a_vjp_that_writes_into_its_own_input_fails_inputs_unchanged_only():
    records = _records("sin", "refengine-broken:mutates-input")
    failed = {c for c, r in records.items() if r.status != "pass"}
    assert failed == {"inputs_unchanged"}, {c: records[c].message for c in failed}
    record = records["inputs_unchanged"]
    assert record.status == "fail"
    assert record.worst_index == "vjp: input 0"
    assert "vjp changed its input 0 in place" in record.message
    assert record.got == pytest.approx(record.expected + 1.0)


def test_a_vjp_that_writes_into_the_callers_array_fails_and_the_array_is_restored():
    ref = reference(cases.get("sin"), "float64")
    saved = tuple(a.copy() for a in ref.inputs)
    records = _records("sin", "refengine-broken:mutates-caller-input")
    record = records["inputs_unchanged"]
    assert record.status == "fail"
    assert "the caller's NumPy array inputs[0] changed" in record.message
    for a, b in zip(saved, ref.inputs):  # restored for the next adapter's checks
        assert np.array_equal(a, b)
    assert {r.status for r in _records("sin", "refengine", NEW).values()} == {"pass"}


def test_inputs_unchanged_alone_makes_one_vjp_and_says_what_it_watched():
    record = _records("sin", "refengine", ["inputs_unchanged"])["inputs_unchanged"]
    assert record.status == "pass"
    assert "1 calls (vjp;" in record.message
    assert "as refengine's own arrays" in record.message


def test_broken_kinds_are_checked_by_name():
    assert set(BROKEN_KINDS) >= {"vmap-wrong-element", "jacfwd-scaled", "mutates-input"}
    assert from_name("refengine-broken:jacfwd-scaled").name == "refengine-broken:jacfwd-scaled"
    with pytest.raises(ValueError, match="unknown broken transformation"):
        TransformMutant("nonsense")


def test_an_adapter_without_the_transformations_is_unsupported_never_passed():
    class FirstOrderOnly(RefengineAdapter):
        name = "refengine-without-jacobians"

        def _jacfwd(self, f: Any, argnums: Any) -> Any:
            from adapters.outcomes import Unsupported

            raise Unsupported("no forward-mode Jacobian here")

    record = _records("sin", FirstOrderOnly(), ["jacfwd_vs_jacrev"])["jacfwd_vs_jacrev"]
    assert record.status == "unsupported" and "no forward-mode Jacobian" in record.message


def test_a_jacobian_over_the_size_limit_is_left_out_saying_so():
    case = cases.get("sin")
    size = next(s for s in case.sizes.sweep if np.prod(s) ** 2 > JACOBIAN_MAX)
    (record,) = run_case(case, "refengine", size=size, checks=["jacfwd_vs_jacrev"])
    assert record.status == "unsupported" and "larger than this check's" in record.message


def test_jacobian_matrix_puts_inputs_side_by_side_and_differ_is_bitwise():
    m = jacobian_matrix((np.ones((2, 3)), np.zeros((2, 2, 2))), 2)
    assert m.shape == (2, 7) and m[:, :3].sum() == 6 and m[:, 3:].sum() == 0
    assert differ(np.array([1.0, np.nan]), np.array([1.0, np.nan]))[0] == 0
    n, k, before, after, _ = differ(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2e-16 * 2]))
    assert (n, k, before) == (1, 1, 2.0) and after != before


def test_torch_vectorises_and_declines_python_control_flow():
    require("torch")
    records = _records("sin", "torch", NEW)
    assert {r.status for r in records.values()} == {"pass"}, {
        c: r.message for c, r in records.items()}
    assert "vs refengine: pass" in records["vmap_grad"].message
    (record,) = run_case(cases.get("saddle"), "torch", checks=["vmap_grad"])
    assert record.status == "unsupported" and record.message.startswith("torch vmap_vjp: vmap:")


class _Options:
    """The ``--gp-*`` options ``plan`` reads, without a pytest session."""

    def __init__(self, **values: object) -> None:
        self.values = {"--gp-adapters": "", "--gp-cases": "", "--gp-tags": "",
                       "--gp-dtypes": "float64", "--gp-modes": "", "--gp-seed": 0,
                       "--gp-checks": ",".join(NEW), "--gp-slow": False, **values}
        self.option = type("option", (), {"markexpr": ""})()

    def getoption(self, name: str) -> object:
        return self.values[name]


def test_the_default_run_has_them_on_cheap_adapters_and_small_selections_only():
    from cases.pytest_plugin import plan

    config = _Options(**{"--gp-adapters": "torch,jax,autograd",
                         "--gp-cases": "sin,abs-at-zero,gmm", "--gp-slow": True})
    slow = {(i.case.name, i.adapter, i.check): is_slow for i, is_slow in plan(config)  # type: ignore[arg-type]
            if i.size is None}
    assert not slow[("abs-at-zero", "torch", "vmap_grad")]  # a kink case on torch
    assert not slow[("abs-at-zero", "autograd", "jacfwd_vs_jacrev")]
    assert slow[("abs-at-zero", "jax", "jacfwd_vs_jacrev")]  # jax.jit compiles each
    assert slow[("gmm", "torch", "jacfwd_vs_jacrev")]  # a model: --gp-slow
    assert slow[("sin", "torch", "vmap_grad")]
    assert not slow[("gmm", "torch", "inputs_unchanged")]  # the smoke selection
    assert slow[("sin", "torch", "inputs_unchanged")]


def test_the_mutation_module_runs_the_transformation_controls():
    from cases.conformance.mutation import TRANSFORM_CONTROLS, transform_controls

    caught = transform_controls("sin")
    for kind, check in TRANSFORM_CONTROLS.items():
        assert check in caught[kind], (kind, caught[kind])
    assert caught["vmap-wrong-element"] == {"vmap_grad"}
    assert caught["jacfwd-scaled"] == {"jacfwd_vs_jacrev"}
    assert caught["mutates-input"] == {"inputs_unchanged"}


def test_a_changed_point_is_restored_even_when_inputs_unchanged_is_not_run():
    ref = reference(cases.get("sin"), "float64")
    saved = tuple(a.copy() for a in ref.inputs)
    run_case(cases.get("sin"), "refengine-broken:mutates-caller-input", checks=["vjp_vs_oracle"])
    assert all(np.array_equal(a, b) for a, b in zip(saved, ref.inputs))


def test_torch_vmaps_a_custom_function():
    # torch.autograd.Function with generate_vmap_rule: torch.func.vmap runs it per batch
    # entry (without it: "You tried to vmap over Custom_f, but it does not have vmap support").
    pytest.importorskip("torch")
    (record,) = run_case(cases.get("custom-vjp-softplus"), "torch", checks=["vmap_grad"])
    assert record.status == "pass", record.message
