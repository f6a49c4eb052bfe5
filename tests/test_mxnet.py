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


def slow_only(request, what: str) -> None:
    """Skip unless the slow items were asked for (--gp-slow, or -m naming slow)."""
    config = request.config
    if not (config.getoption("--gp-slow", default=False)
            or "slow" in (config.option.markexpr or "")):
        pytest.skip(f"{what}; runs with --gp-slow or -m slow")


def gradient(adapter, name):
    ref = reference(cases.get(name), "float64")
    return adapter.vjp(ref.case.fn, ref.inputs, ref.u)[1], ref


def test_it_runs_out_of_process_under_its_own_numpy(mxnet):
    assert getattr(mxnet, "remote", False)
    assert mxnet.versions()["mxnet"] == "1.9.1"
    assert mxnet.coverage()["max"] == "native" and mxnet.coverage()["linalg.norm"] == "native"
    # mx.nd has no matmul; MXNet's NumPy interface (mx.np, 1.6+) does, on the same arrays
    assert mxnet.coverage()["matmul"] == mxnet.coverage()["einsum"] == "native"


def test_a_name_mxnet_spells_but_cannot_serve_says_why(mxnet):
    (record,) = run_case(cases.get("qr-r-squared"), mxnet, checks=["value"])
    assert record.status == "unsupported"
    assert "fallback to NumPy" in record.message and "no gradient" in record.message


# What the README's coverage table states for MXNet; a change here is a change to document.
MISSING = {"cumprod", "logaddexp", "median", "nanmean", "sinc", "cummax",
           "special.digamma", "special.erfc", "special.logit", "special.xlogy",
           "nn.log_sigmoid", "nn.layer_norm", "nn.softmax_cross_entropy",
           # mx.np spells them, but as NumPy fallbacks without a gradient (qr, take_along_axis)
           # or with a wrong one (eigh): each says so (mxnet_xp.MISSING_REASONS)
           "linalg.eigh", "linalg.qr", "take_along_axis",
           # MXNet 1.9's NDArrays have no complex dtype
           "real", "imag", "conj", "angle", "fft.fft", "fft.ifft"}
COMPOSITE = {"std", "special.logsumexp", "triu", "nn.segment_sum"}


def test_coverage_is_the_documented_one(mxnet):
    from adapters.vocabulary import qualified_names

    coverage = mxnet.coverage()
    assert sorted(coverage) == sorted(qualified_names())
    # issue 17's transforms: the loops run in Python, checkpoint(f) is f (no remat in MXNet)
    assert {n for n, w in coverage.items() if w == "composite"} == COMPOSITE | {
        "scan", "fori_loop", "while_loop", "checkpoint"}
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
    slow_only(request, "timing in MXNet's worker (~3 s)")
    from cases.timing import RunNotes, run_timings

    notes = RunNotes()
    records = list(run_timings(["sum-all", "gmm"], [mxnet], modes=["eager", "jit"],
                               sizes="smallest", quick=True, notes=notes, pin=False,
                               memory=False, quantities=("forward", "value_and_grad",
                                                         "compile")))
    timed = {(r.case, r.mode, r.quantity) for r in records if r.adapter == "mxnet"}
    for case in ("sum-all", "gmm"):
        assert {(case, "eager", "forward"), (case, "eager", "value_and_grad")} <= timed
        # hybridized: the first call (trace, graph, CachedOp) timed apart, as jax.jit's
        assert {(case, "jit", q) for q in ("forward", "value_and_grad", "compile")} <= timed
    assert (("gmm", "eager", "compile")) not in timed  # eager compiles nothing
    assert not notes.failures


# The GradBench and model cases (issue 22): each one's value and VJP against refengine. A cheap
# selection in the default run (one worker start, ~3 CPU s), every model with --gp-slow.
CHEAP_MODELS = ("gmm", "ht-simple", "llsq", "kmeans", "hello")
# Nested: MXNet differentiates with respect to leaf variables only, so the outer derivative of
# a nested gradient whose argument is computed from the inputs is unsupported, said so.
NESTED_OUTER_UNSUPPORTED = ("saddle", "saddle-fixed-steps", "particle")


def _models() -> list:
    return [c.name for c in cases.select(tags=["model"])]


def _model_params():
    return [pytest.param(name, marks=() if name in CHEAP_MODELS else pytest.mark.slow)
            for name in _models()]


@pytest.mark.parametrize("name", _model_params())
def test_model_value_and_gradient_agree_with_refengine(request, mxnet, name):
    if name not in CHEAP_MODELS:
        slow_only(request, "every model on MXNet")
    records = {r.check: r for r in run_case(cases.get(name), mxnet,
                                             checks=["value", "vjp_vs_refengine"])}
    vjp = records["vjp_vs_refengine"]
    if name == "kmeans-dir":  # its value is a Hessian's diagonal: second order, in MXNet's words
        for record in records.values():
            assert record.status == "unsupported" and "FGradient" in record.message
        return
    assert records["value"].status in ("pass", "divergence-documented"), records["value"].message
    if name in NESTED_OUTER_UNSUPPORTED:
        assert vjp.status == "unsupported" and "leaf variables" in vjp.message, vjp.message
    else:
        assert vjp.status in ("pass", "divergence-documented"), vjp.message


def test_every_model_calls_only_names_mxnet_serves(mxnet):
    """No model case is unsupported for a name MXNet lacks (issue 18): what stays unsupported
    is MXNet's own autograd refusing a derivative, in its words (above)."""
    served = {n for n, w in mxnet.coverage().items() if w != "missing"}
    lacking = {name: sorted(cases.ops_used(name) - served) for name in _models()}
    assert not {k: v for k, v in lacking.items() if v}


# MXNet 1.9.1 has no deferred compute: a HybridBlock's graph comes from hybrid_forward(F, x)
# called with symbols, which have no shape and whose [] selects an output (README, "MXNet's
# hybridized mode"), which is why the jit mode traces a recorded call instead. Run in MXNet's
# own interpreter: if a later MXNet gave symbols shapes, this fails, and hybrid_forward could
# run the cases directly.
_HYBRID_PROBE = """
import importlib.util, mxnet as mx
from mxnet import gluon, nd
seen = {}
class Probe(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        seen["symbol"] = type(x).__name__
        seen["shape"] = hasattr(x, "shape")
        return F.sum(F.exp(x))
block = Probe()
block.hybridize()
block(nd.ones((3,)))
print(importlib.util.find_spec("mxnet._deferred_compute") is None, seen["symbol"], seen["shape"])
"""


@pytest.mark.slow
def test_hybridized_blocks_trace_symbols_without_shapes(request, mxnet):
    slow_only(request, "starts MXNet's interpreter (~3 s)")
    import subprocess

    from adapters.environments import interpreter_for

    out = subprocess.run([interpreter_for("mxnet"), "-c", _HYBRID_PROBE], capture_output=True,
                         text=True, timeout=300, check=True).stdout.split()
    assert out == ["True", "Symbol", "False"]


# The hybridized mode (jit): a recorded call traced into a hybridized SymbolBlock (~1 s here).
def test_hybridized_mode_agrees_with_refengine(mxnet):
    assert mxnet.modes == ("eager", "jit") and mxnet.mode_labels == {"jit": "hybridize"}
    records = {r.check: r for r in run_case(cases.get("gmm"), mxnet, mode="jit",
                                             checks=["value", "vjp_vs_refengine"])}
    assert all(r.status == "pass" for r in records.values()), records


def test_hybridized_mode_refuses_what_a_graph_cannot_hold(mxnet):
    (nested,) = run_case(cases.get("saddle-fixed-steps"), mxnet, mode="jit", checks=["value"])
    assert nested.status == "unsupported" and "autograd.grad" in nested.message
    (mask,) = run_case(cases.get("mask-from-values"), mxnet, mode="jit", checks=["value"])
    assert mask.status == "unsupported" and "data-dependent" in mask.message
    (custom,) = run_case(cases.get("custom-vjp-softplus"), mxnet, mode="jit", checks=["value"])
    assert custom.status == "unsupported" and "autograd.Function" in custom.message, custom


def test_hybridized_moments_outside_record_is_the_documented_divergence(mxnet):
    (record,) = run_case(cases.get("layer-norm"), mxnet, mode="jit", checks=["value"])
    assert record.status == "divergence-documented", record.message
    (eager,) = run_case(cases.get("layer-norm"), mxnet, checks=["value"])
    assert eager.status == "pass"  # the same operators, not hybridized
