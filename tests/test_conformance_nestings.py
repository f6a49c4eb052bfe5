"""The ``second_order_nestings`` check: one record per combination, the worst of three
nestings against refengine and against finite differences, naming what failed; a nesting an
adapter cannot do is 'unsupported', never a pass; and negative controls it must catch."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import adapters
import cases
from adapters.outcomes import Unsupported
from adapters.refengine_adapter import RefengineAdapter
from cases.conformance import CHECKS, planned, run_case
from cases.conformance.nestings import CHECK, NESTINGS, failing_only, judged_by_oracle
from cases.conformance.tolerance import family_of

from .adapter_support import require


def _nestings(case: str, adapter: Any, dtype: str = "float64", conventions: Any = ()) -> Any:
    (record,) = run_case(cases.get(case), adapter, dtype=dtype, checks=[CHECK],
                         conventions=conventions)
    return record


def test_one_check_after_the_hvp_checks_in_float64_and_one_mode_per_framework():
    assert CHECKS.index(CHECK) == CHECKS.index("hvp_vs_refengine") + 1
    sin = cases.get("sin")
    for adapter in ("refengine", "torch", "tensorflow", "autograd"):
        assert CHECK in planned(sin, adapter, "float64", "eager")
        assert CHECK not in planned(sin, adapter, "float64", "jit")
        assert CHECK not in planned(sin, adapter, "float32", "eager")
    assert CHECK in planned(sin, "jax", "float64", "jit")
    assert CHECK not in planned(sin, "jax", "float64", "eager")
    assert CHECK in planned(sin, "jax", "float64")  # no mode given: the dtype decides
    records = run_case(sin, "jax", "eager", "float64", checks=[CHECK, "value"])
    assert [r.check for r in records] == ["value"]  # not in eager JAX, even when asked for
    assert family_of(CHECK) == "fd"


@pytest.mark.parametrize("case", ["sin", "gmm", "cumprod-with-zero", "logsumexp-axis1"])
def test_refengine_agrees_with_finite_differences_in_every_nesting(case):
    record = _nestings(case, "refengine")
    assert record.status == "pass", record.message
    assert "all three nestings agree" in record.message
    for label in NESTINGS.values():  # refengine is compared with the oracle only
        assert f"{label}: pass vs finite differences" in record.message


def test_in_float32_the_tolerances_are_float32s():
    """The check is planned in float64 only, but it is right in float32 too (a user may run
    it there through ``run_check``): torch's float32 nestings pass on a smooth case, with the
    float32 tolerances."""
    from cases.conformance.checks import run_check
    from cases.conformance.context import Context
    from cases.conformance.reference import reference

    require("torch")
    ctx = Context(reference(cases.get("gmm"), "float32"), adapters.get("torch"), "eager")
    verdict = run_check(ctx, CHECK)
    assert verdict.status == "pass", verdict.message
    assert verdict.tol > 1e-6  # float32's rtol (1e-4 or 2e-3), not float64's


class _Scaled(RefengineAdapter):
    """refengine with one nesting's result scaled: a wrong second derivative in that nesting
    only (the others, first order and the HVP untouched)."""

    def __init__(self, quantity: str, factor: float) -> None:
        super().__init__()
        self.name = f"refengine-{quantity}-x{factor}"
        self.quantity, self.factor = quantity, factor

    def _build(self, quantity: str, base: Any, f: Any, argnums: Any) -> Any:
        call = base(f, argnums)
        if quantity != self.quantity:
            return call

        def scaled(inputs: Any, direction: Any) -> Any:
            out = call(inputs, direction)
            if isinstance(out, tuple):
                return tuple(o * self.factor for o in out)
            return out * self.factor

        return scaled

    def _hvp_rev_fwd(self, f: Any, argnums: Any) -> Any:
        return self._build("hvp_rev_fwd", super()._hvp_rev_fwd, f, argnums)

    def _hvp_rev_rev(self, f: Any, argnums: Any) -> Any:
        return self._build("hvp_rev_rev", super()._hvp_rev_rev, f, argnums)

    def _jvp_fwd_fwd(self, f: Any, argnums: Any) -> Any:
        return self._build("jvp_fwd_fwd", super()._jvp_fwd_fwd, f, argnums)


@pytest.mark.parametrize("quantity", list(NESTINGS))
def test_a_wrong_nesting_fails_and_is_named(quantity):
    label = NESTINGS[quantity]
    adapter = _Scaled(quantity, 1.001)
    records = {r.check: r for r in run_case(cases.get("gmm"), adapter, conventions=())}
    record = records[CHECK]
    assert record.status == "fail", record.message
    assert f"failing nestings: {label}." in record.message
    assert record.worst_index.startswith(label)
    # caught by both references: refengine's same nesting, and finite differences
    assert f"{label}: fail vs refengine, fail vs finite differences" in record.message
    assert judged_by_oracle(record.message)
    # (vmap_grad is unsupported: refengine has no vectorising map)
    others = {c: r.status for c, r in records.items() if c not in (CHECK, "vmap_grad")}
    assert set(others.values()) == {"pass"}, others


def test_a_nesting_the_adapter_cannot_do_is_unsupported_not_passed():
    class NoReverseOverReverse(RefengineAdapter):
        name = "refengine-without-rev-rev"

        def _hvp_rev_rev(self, f: Any, argnums: Any) -> Any:
            raise Unsupported("this adapter cannot nest reverse mode")

    record = _nestings("sin", NoReverseOverReverse())
    assert record.status == "unsupported"
    assert "unsupported nestings: reverse-over-reverse." in record.message
    assert "cannot nest reverse mode" in record.message
    # a failure elsewhere still wins over unsupported
    class AlsoWrong(NoReverseOverReverse):
        name = "refengine-without-rev-rev-wrong-fwd-fwd"

        def _jvp_fwd_fwd(self, f: Any, argnums: Any) -> Any:
            call = super()._jvp_fwd_fwd(f, argnums)
            return lambda inputs, direction: call(inputs, direction) * 2.0

    record = _nestings("sin", AlsoWrong())
    assert record.status == "fail" and "failing nestings: forward-over-forward." in record.message


def test_the_forward_over_forward_oracle_is_independent_of_refengine():
    """A mutant whose JVP rule has a wrong forward derivative only: every first-order check,
    the HVP checks and the other nestings pass; this check fails on forward over forward,
    against finite differences of the mutant's own (right) JVP as well as refengine."""
    name = "refengine-mutant:sin:order2fwd"
    records = {r.check: r for r in run_case(cases.get("sin"), name, conventions=())}
    assert records.pop("vmap_grad").status == "unsupported"  # refengine has no vmap
    failed = {c for c, r in records.items() if r.status != "pass"}
    assert failed == {CHECK}, {c: records[c].message for c in failed}
    message = records[CHECK].message
    assert "failing nestings: forward-over-forward." in message
    assert "forward-over-forward: fail vs refengine, fail vs finite differences" in message
    assert "reverse-over-forward: pass vs refengine, pass vs finite differences" in message


def test_failing_only_matches_exactly_the_named_nestings():
    pattern = failing_only("forward-over-forward", "reverse-over-forward")
    ok = ["torch failing nestings: forward-over-forward.",
          "torch failing nestings: reverse-over-forward.",
          "torch failing nestings: forward-over-forward, reverse-over-forward. Worst"]
    bad = ["torch failing nestings: reverse-over-reverse.",
           "torch failing nestings: forward-over-forward, reverse-over-reverse.",
           "torch failing nestings: forward-over-forward, reverse-over-forward, "
           "reverse-over-reverse.",
           "torch unsupported nestings: forward-over-forward."]
    assert all(re.search(pattern, m) for m in ok)
    assert not any(re.search(pattern, m) for m in bad)
    with pytest.raises(ValueError, match="name nestings"):
        failing_only("sideways")


def test_torch_cumprod_at_zero_is_a_documented_divergence_and_nothing_else_fails():
    require("torch")
    raw = _nestings("cumprod-with-zero", "torch")
    assert raw.status == "nonfinite", raw.message  # reverse over forward is NaN
    assert "failing nestings: forward-over-forward, reverse-over-forward." in raw.message
    assert "reverse-over-reverse: pass vs refengine, pass vs finite differences" in raw.message
    records = run_case(cases.get("cumprod-with-zero"), "torch", dtype="float64")
    statuses = {r.check: r.status for r in records}
    assert statuses.pop(CHECK) == "divergence-documented"
    assert set(statuses.values()) == {"pass"}, statuses
    records = run_case(cases.get("cumprod-with-zero"), "torch", dtype="float32")
    assert {r.status for r in records} == {"pass"}  # first order is right in float32 too


def test_the_oracle_sees_the_forward_over_forward_error_without_refengine():
    """torch's forward over forward of cumprod at the zero is wrong against finite
    differences of torch's own JVP, which is right."""
    require("torch")
    record = _nestings("cumprod-with-zero", "torch")
    assert "forward-over-forward: fail vs refengine, fail vs finite differences" in record.message
    assert np.isfinite(record.tol)
