"""Walks the derivative table: no rule can exist untested, and a wrong rule is caught."""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine import primitives as P
from refengine.derivatives import NON_DIFFERENTIABLE, TABLE

from .rule_samples import SAMPLES, Sample
from .rulecheck import check_first_order, check_second_order, perturbed

IDS = [s.id for s in SAMPLES]


def test_every_rule_has_a_sample() -> None:
    sampled = {s.name for s in SAMPLES}
    missing = sorted(set(TABLE) - sampled)
    assert not missing, f"derivative-table entries with no sample point: {missing}"


def test_every_primitive_is_in_the_table_or_listed_non_differentiable() -> None:
    prims = [getattr(P, name) for name in P.__all__]
    for prim in prims:
        assert (prim.name in TABLE) != (prim.name in NON_DIFFERENTIABLE), prim.name
        assert prim.differentiable == (prim.name in TABLE), prim.name


def test_sample_ids_are_unique() -> None:
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_first_order(sample: Sample) -> None:
    check_first_order(sample)


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_second_order(request: pytest.FixtureRequest, sample: Sample) -> None:
    config = request.config
    wanted = config.getoption("--gp-slow", default=False) or "slow" in (
        config.option.markexpr or "")
    if sample.slow_second_order and not wanted:
        pytest.skip(f"{sample.id}: {sample.slow_second_order}; runs with --gp-slow or -m slow")
    check_second_order(sample)


# --- negative controls: the same machinery fails on a rule that is off by 0.1 % ----------------
CONTROL_IDS = ["sin", "multiply", "matmul-2d", "max-axis1", "getitem-repeated-ints",
               "einsum-ij,jk->ik", "cholesky", "svd-tall", "cumprod-zero-axis1", "solve-matrix",
               "conv-2d"]
CONTROLS = [s for s in SAMPLES if s.id in CONTROL_IDS]


def test_controls_exist() -> None:
    assert len(CONTROLS) == len(CONTROL_IDS)


@pytest.mark.parametrize("sample", CONTROLS, ids=[s.id for s in CONTROLS])
@pytest.mark.parametrize("mode", ["vjp", "jvp"])
def test_rule_off_by_a_tenth_of_a_percent_fails(sample: Sample, mode: str) -> None:
    with perturbed(sample.prim, mode, lambda c: c * 1.001):
        with pytest.raises(AssertionError):
            check_first_order(sample)


@pytest.mark.parametrize("mode", ["vjp", "jvp"])
def test_second_order_error_alone_is_caught(mode: str) -> None:
    # Adds 0.1 % of (x - stop_gradient(x)): zero in value, so first order stays exact, but
    # its derivative is 0.001 -> only the second-order check can see it.
    sample = next(s for s in SAMPLES if s.id == "sin")
    check_first_order(sample)
    with perturbed(sample.prim, mode, lambda c: c + 1e-3 * (c - rf.stop_gradient(c))):
        check_first_order(sample)
        with pytest.raises(AssertionError):
            check_second_order(sample)


# --- non-differentiable primitives give zero gradients ------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [rnp.sign, rnp.floor, rnp.ceil, rnp.round, rf.stop_gradient,
     lambda x: rnp.greater(x, 0.0) * 1.0, lambda x: rnp.argmax(x) * 1.0],
    ids=["sign", "floor", "ceil", "round", "stop_gradient", "greater", "argmax"],
)
def test_non_differentiable_gives_zero_gradient(fn) -> None:
    x = np.array([-1.3, 0.2, 2.7])
    g = rf.grad(lambda x: rnp.sum(fn(x) * x))(x)
    np.testing.assert_array_equal(g, np.asarray(fn(x), dtype=float))
    _, t = rf.jvp(lambda x: fn(x) * 1.0, (x,), (np.ones(3),))
    np.testing.assert_array_equal(t, np.zeros(3))


def test_every_rule_with_a_kink_documents_its_convention() -> None:
    must_note = ["abs", "sqrt", "maximum", "minimum", "max", "min", "power", "clip", "where",
                 "norm2", "relu"]
    for name in must_note:
        assert TABLE[name].note, f"{name} needs a note on its convention at the kink"
