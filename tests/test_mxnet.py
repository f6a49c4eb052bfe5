"""MXNet through its own environment (``python -m adapters.environments mxnet``): what a user
found (issue 22) reproduced by the matrix's kink cases, and the divergence table documenting it.

Skipped, with the reason and the command, where the environment is absent: MXNet is optional,
even in CI (its install may fail on a machine without the package registry). Cost, measured on
this 2-core machine: about 3 s (the worker's start imports MXNet, ~2.6 s); the timing test is
``slow`` (~3 s more).
"""

from __future__ import annotations

import numpy as np
import pytest

import adapters
import cases
from cases.conformance import run_case
from cases.conformance.reference import reference


@pytest.fixture(scope="module")
def mxnet():
    adapter = adapters.get("mxnet")
    status = adapter.available()
    if not status:
        pytest.skip(f"mxnet unavailable: {status.reason}")
    return adapter


def gradient(adapter, name):
    ref = reference(cases.get(name), "float64")
    return adapter.vjp(ref.case.fn, ref.inputs, ref.u)[1], ref


def test_it_runs_out_of_process_under_its_own_numpy(mxnet):
    assert getattr(mxnet, "remote", False)
    assert mxnet.versions()["mxnet"] == "1.9.1"
    assert mxnet.coverage()["max"] == "native" and mxnet.coverage()["linalg.norm"] == "native"


# What the README's coverage table states for MXNet; a change here is a change to document.
MISSING = {"arctan2", "cumprod", "diagonal", "einsum", "exp2", "grad", "hypot", "linalg.eigh",
           "linalg.qr", "linalg.solve", "linalg.svd", "logaddexp", "matmul", "nn.gelu",
           "nn.log_sigmoid", "outer", "pad", "roll", "special.digamma", "special.erfc",
           "special.logit", "special.logsumexp", "special.xlogy", "take_along_axis",
           "tensordot", "trace", "tril", "triu",
           # not yet translated (mx.nd.Convolution, mx.nd.Pooling, a scatter-add exist)
           "nn.conv", "nn.max_pool", "nn.avg_pool", "nn.segment_sum",
           # MXNet 1.9's NDArrays have no complex dtype
           "real", "imag", "conj", "angle", "fft.fft", "fft.ifft",
           # issue 17's order and NaN ops and nn composites, not yet translated
           "cummax", "topk", "median", "sinc", "nanmean", "nansum", "nn.layer_norm",
           "nn.softmax_cross_entropy"}


def test_coverage_is_the_documented_one(mxnet):
    from adapters.vocabulary import qualified_names

    coverage = mxnet.coverage()
    assert sorted(coverage) == sorted(qualified_names())
    # issue 17's transforms: the loops run in Python, checkpoint(f) is f (no remat in MXNet)
    assert {n for n, w in coverage.items() if w == "composite"} == {
        "std", "scan", "fori_loop", "while_loop", "checkpoint"}
    assert {n for n, w in coverage.items() if w == "missing"} == MISSING


def test_max_over_tied_entries_gives_each_the_whole_gradient(mxnet):
    (g,), ref = gradient(mxnet, "max-reduction-tie")
    x = ref.inputs[0]
    tied = x == x.max()
    assert tied.sum() >= 2
    np.testing.assert_array_equal(g[tied], 1.0)  # each: the whole gradient, not 1 / count
    np.testing.assert_array_equal(g[~tied], 0.0)


def test_maximum_at_a_tie_gives_everything_to_the_first_argument(mxnet):
    (gx, gy), ref = gradient(mxnet, "maximum-tie")
    x, y = ref.inputs
    tie = x == y
    assert tie.any()
    np.testing.assert_array_equal(gx[tie], ref.u[tie])
    np.testing.assert_array_equal(gy[tie], 0.0)


def test_the_gradient_of_the_norm_at_zero_is_nan(mxnet):
    (g,), _ = gradient(mxnet, "norm-zero-vector")
    assert np.isnan(g).all()


@pytest.mark.parametrize(("name", "check"), [("max-reduction-tie", "vjp_vs_refengine"),
                                              ("maximum-tie", "vjp_vs_refengine"),
                                              ("norm-zero-vector", "finite")])
def test_the_divergence_table_documents_them(mxnet, name, check):
    (record,) = run_case(cases.get(name), mxnet, checks=[check])
    assert record.status == "divergence-documented", record.message


def test_forward_mode_is_unsupported_and_reverse_over_reverse_runs(mxnet):
    records = {r.check: r for r in run_case(cases.get("exp"), mxnet)}
    assert records["vjp_vs_oracle"].status == "pass"
    assert records["jvp_vs_oracle"].status == "unsupported"
    assert "forward" in records["jvp_vs_oracle"].message


def test_second_order_runs_where_mxnet_has_gradients_of_its_backward_operators(mxnet):
    (linear,) = run_case(cases.get("mean-all"), mxnet, checks=["hvp_vs_oracle"])
    assert linear.status == "pass"  # H = 0: the gradient does not depend on x
    (product,) = run_case(cases.get("square"), mxnet, checks=["hvp_vs_oracle"])
    assert product.status == "unsupported"
    assert "_backward_broadcast_mul is non-differentiable" in product.message


@pytest.mark.slow
def test_timings_are_measured_in_its_environment(request, mxnet):
    config = request.config
    if not (config.getoption("--gp-slow", default=False)
            or "slow" in (config.option.markexpr or "")):
        pytest.skip("timing in MXNet's worker (~3 s); runs with --gp-slow or -m slow")
    from cases.timing import RunNotes, run_timings

    notes = RunNotes()
    records = list(run_timings(["sum-all"], [mxnet], sizes="smallest", quick=True,
                               notes=notes, pin=False, memory=False))
    timed = {r.quantity for r in records if r.adapter == "mxnet"}
    assert {"forward", "value_and_grad"} <= timed, (notes.failures, notes.skipped)
    assert not notes.failures
