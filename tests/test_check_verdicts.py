"""Verdicts are never silent: every comparison asked for is in the returned list (passed, or
not checked with the reason), ``summary`` prints them one per line, and a failure's message
names the check, argument, entry, AD and FD values, the oracle's bound and the tolerance."""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.check
import refengine.numpy as rnp
from refengine.check import (
    ADFunctions,
    CheckConfig,
    GradientCheckError,
    ModeUnavailable,
    NotCheckedWarning,
    check_derivatives,
    summary,
)

X = np.array([0.4, 0.9, 1.3])
Y = np.array([-0.5, 0.2, 0.8])


def f(x, y):
    return rnp.sum(rnp.exp(x) * rnp.sin(y))


def without(mode: str, *, vjp_factor: float = 1.0) -> ADFunctions:
    """refengine that cannot do ``mode`` (raises ModeUnavailable); VJPs optionally scaled."""

    def jvp(fn, primals, tangents):
        if mode == "fwd":
            raise ModeUnavailable("forward mode through a custom_vjp rule")
        return rf.jvp(fn, primals, tangents)

    def vjp(fn, *primals):
        if mode == "rev":
            raise ModeUnavailable("no reverse mode for this function")
        out, pullback = rf.vjp(fn, *primals)
        return out, lambda ct: tuple(g * vjp_factor for g in pullback(ct))

    return ADFunctions(jvp=jvp, vjp=vjp)


def test_an_unavailable_forward_mode_is_listed_not_checked_with_its_reason() -> None:
    with pytest.warns(NotCheckedWarning) as caught:
        results = check_derivatives(f, (X, Y), ad=without("fwd"))
    by_check = {r.check: r for r in results}
    assert list(by_check) == [
        "JVP of f",
        "VJP of f",
        "JVP of JVP of f",
        "VJP of JVP of f",
        "JVP of VJP of f",
        "VJP of VJP of f",
    ]
    checked = {c for c, r in by_check.items() if r.checked}
    assert checked == {"VJP of f", "VJP of VJP of f"}
    assert all(by_check[c].passed and by_check[c].abs_err <= by_check[c].tol for c in checked)
    reason = "forward mode through a custom_vjp rule"
    for c in ("JVP of f", "JVP of VJP of f"):
        assert by_check[c].note == f"not checked: {reason}"
    # Derivatives of the JVP that could not be computed are listed too, saying why.
    for c in ("JVP of JVP of f", "VJP of JVP of f"):
        r = by_check[c]
        assert not r.checked and r.order == 2
        assert r.note == f"not checked: needs JVP of f, which is unavailable: {reason}"
    assert len(caught) == 4
    assert all("not checked" in str(w.message) for w in caught)


def test_an_unavailable_reverse_mode_at_order_3_lists_the_whole_tree() -> None:
    with pytest.warns(NotCheckedWarning):
        results = check_derivatives(f, (X, Y), ad=without("rev"), config=CheckConfig(order=3))
    assert len(results) == 2 + 4 + 8
    checked = [r.check for r in results if r.checked]
    assert checked == ["JVP of f", "JVP of JVP of f", "JVP of JVP of JVP of f"]
    not_checked = [r for r in results if not r.checked]
    assert all(r.passed and r.note.startswith("not checked: ") for r in not_checked)
    assert sum(r.order == 3 for r in not_checked) == 7


def test_an_unavailable_mode_does_not_hide_a_wrong_derivative_of_the_other() -> None:
    with pytest.warns(NotCheckedWarning), pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X, Y), ad=without("fwd", vjp_factor=1.001))
    assert info.value.comparison.check == "VJP of f"


def test_summary_has_one_line_per_check_and_counts() -> None:
    with pytest.warns(NotCheckedWarning):
        results = check_derivatives(f, (X, Y), ad=without("fwd"))
    text = summary(results)
    lines = text.splitlines()
    assert len(lines) == len(results) + 1
    assert lines[0] == (
        "JVP of f (order 1, fwd): not checked: forward mode through a custom_vjp rule"
    )
    assert lines[1].startswith("VJP of f (order 1, rev): passed: worst entry at ")
    assert lines[1].endswith(" of its tolerance")
    assert lines[-1] == "6 checks: 2 passed, 0 failed, 4 not checked"
    assert "summary" in refengine.check.__all__
    # A failed comparison (from a GradientCheckError) prints as FAILED with its message.
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X, Y), ad=without("none", vjp_factor=1.001))
    failed = summary([info.value.comparison])
    assert failed.splitlines()[0].startswith("VJP of f (order 1, rev): FAILED: VJP of f disagrees")
    assert failed.splitlines()[-1] == "1 checks: 0 passed, 1 failed, 0 not checked"


def test_check_grads_returns_every_comparison() -> None:
    results = rf.check_grads(f, (X, Y))
    assert len(results) == 6 and all(r.checked and r.passed for r in results)


def message_parts(c) -> list[str]:
    parts = [
        f"{c.check} disagrees with finite differences",
        f"(function {c.function!r}, mode {c.mode}, order {c.order})",
        f"AD value {c.ad_value:.17g}",
        f"FD value {c.fd_value:.17g} +- {c.fd_error:.3g} (FD error bound)",
        f"abs error {c.abs_err:.3g}, rel error {c.rel_err:.3g}",
        f"against tolerance {c.tol:.3g} (atol {c.atol:.3g} + rtol {c.rtol:.3g} x |FD value| + "
        f"FD error bound, {c.dtype})",
    ]
    if c.argument is not None:
        parts.append(f"at argument {c.argument}, input index {c.index}")
    return parts


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_the_failure_message_names_check_argument_entry_values_bound_and_tolerance(mode) -> None:
    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        return out, lambda ct: (pullback(ct)[0], pullback(ct)[1] * np.array([1.0, 1.01, 1.0]))

    def jvp(fn, primals, tangents):
        return rf.jvp(fn, primals, (tangents[0], tangents[1] * np.array([1.0, 1.01, 1.0])))

    ad = ADFunctions(jvp=jvp, vjp=vjp)
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(f, (X, Y), ad=ad, config=CheckConfig(modes=(mode,), order=1))
    c = info.value.comparison
    assert (c.argument, c.index) == (1, (1,))  # the wrong entry: argument y, index 1
    assert c.output_index == 0
    assert c.dtype == "float64" and c.rtol == 1e-6
    assert c.tol == pytest.approx(c.atol + c.rtol * abs(c.fd_value) + c.fd_error)
    msg = str(info.value)
    for part in message_parts(c):
        assert part in msg, part


def test_a_projected_failure_message_names_its_entry_and_how_it_was_found() -> None:
    x = np.random.default_rng(1).uniform(0.5, 1.5, 40)
    mask = np.ones(40)
    mask[17] = 1.1

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        return out, lambda ct: (pullback(ct)[0] * mask,)

    ad = ADFunctions(jvp=rf.jvp, vjp=vjp)
    with pytest.raises(GradientCheckError) as info:
        check_derivatives(
            lambda v: rnp.sum(rnp.log(v) * v), (x,), ad=ad,
            config=CheckConfig(modes=("rev",), order=1),
        )
    c = info.value.comparison
    assert (c.argument, c.index) == (0, (17,))
    msg = str(info.value)
    for part in message_parts(c):
        assert part in msg, part
    assert msg.endswith("Found by bisection over input blocks after a random projection failed")
