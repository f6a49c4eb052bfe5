"""tinygrad (in process, the ``tinygrad`` extra): its adapter's contract, and what users found
(issue 22) reproduced by the case library and documented in the divergence table.

The conformance matrix runs tinygrad only under ``--gp-slow`` (its smoke selection cost 121
CPU s: every kernel is scheduled in Python and compiled by clang); these few checks are the
default run's share. Skipped, with the reason, where tinygrad is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import adapters
import cases
from cases.conformance import run_case
from cases.statuses import DIVERGENCE_DOCUMENTED


@pytest.fixture(scope="module")
def tinygrad():
    adapter = adapters.get("tinygrad")
    status = adapter.available()
    if not status:
        pytest.skip(f"tinygrad unavailable: {status.reason}")
    return adapter


def test_reverse_mode_runs_and_forward_mode_is_unsupported_with_the_reason(tinygrad):
    records = {r.check: r for r in run_case(cases.get("exp"), tinygrad,
                                            checks=["vjp_vs_oracle", "jvp_vs_oracle"])}
    assert records["vjp_vs_oracle"].status == "pass"
    assert records["jvp_vs_oracle"].status == "unsupported"
    assert "no forward mode" in records["jvp_vs_oracle"].message


def test_tinyjit_replays_its_capture_with_new_inputs(tinygrad):
    def f(xp, x):
        return xp.sum(xp.sin(x) * x)

    prepared = tinygrad.prepare(f, "value_and_grad", "jit")
    for shift in (0.0, 1.0, 2.0):
        x = np.array([1.0, 2.0 + shift])
        value, (grad,) = tinygrad.to_numpy(prepared((tinygrad.to_native(x),)))
        np.testing.assert_allclose(value, np.sum(np.sin(x) * x), rtol=1e-12)
        np.testing.assert_allclose(grad, np.sin(x) + x * np.cos(x), rtol=1e-12)
    assert prepared.traces() == 2  # TinyJit's warm-up and capture, then replays


def test_what_a_user_found_is_documented(tinygrad):
    # One of issue 22's findings here (the rest run with --gp-slow: erf, sort-tie, ...).
    (record,) = run_case(cases.get("logsumexp-all-neg-inf"), tinygrad, checks=["value"])
    assert record.status == DIVERGENCE_DOCUMENTED, record.message


def test_coverage_names_the_composites(tinygrad):
    coverage = tinygrad.coverage()
    assert {n for n, w in coverage.items() if w == "composite"} == {
        "outer", "trace", "nn.gelu", "nn.softmax_cross_entropy"}
    assert coverage["special.erf"] == "native" and coverage["linalg.inv"] == "missing"


def test_without_clang_the_python_device_is_chosen_and_said(monkeypatch):
    from adapters.tinygrad_adapter import DEVICE_VARIABLE, device_choice

    monkeypatch.delenv(DEVICE_VARIABLE, raising=False)
    monkeypatch.setenv("CC", "no-such-compiler-gradparity")
    device, why = device_choice()
    assert device == "PYTHON" and "no no-such-compiler-gradparity on the PATH" in why
    monkeypatch.setenv(DEVICE_VARIABLE, "cpu")  # the variable wins, in tinygrad's spelling
    assert device_choice()[0] == "CPU"
