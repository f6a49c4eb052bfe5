"""The case library: every case evaluates under NumPy to a finite value of its declared shape
and dtype, inputs are deterministic, the vocabulary is covered, and the issue's checklist of
themes is present."""

from __future__ import annotations

import collections
from typing import Any

import numpy as np
import pytest

import cases
import refengine.numpy as rnp
from adapters.vocabulary import BINARY, REDUCTIONS, qualified_names
from cases.case import Case

ALL = cases.all()
BY_DTYPE = [(c, dtype) for c in ALL for dtype in c.dtypes]
IDS = [f"{c.name}-{dtype}" for c, dtype in BY_DTYPE]


def _adapter_xp() -> Any:
    """The numpy adapter's xp, once adapters provides one (None before)."""
    try:
        import adapters

        adapter = adapters.get("numpy")
        return adapter.xp if adapter.available() else None
    except (ImportError, LookupError, AttributeError):
        return None


# refengine.numpy computes with NumPy/SciPy on plain arrays, and has grad for nested cases.
NAMESPACES = {"refengine.numpy": rnp, "numpy-adapter": _adapter_xp()}


def _evaluate(xp: Any, case: Case, dtype: str) -> np.ndarray:
    inputs = case.sample(np.random.default_rng(0), dtype=dtype)
    with np.errstate(all="ignore"):  # traps compute NaN in branches they then discard
        return np.asarray(case.fn(xp, *inputs))


@pytest.mark.parametrize("namespace", list(NAMESPACES))
@pytest.mark.parametrize(("case", "dtype"), BY_DTYPE, ids=IDS)
def test_case_evaluates_to_a_finite_value_of_its_shape_and_dtype(case, dtype, namespace) -> None:
    xp = NAMESPACES[namespace]
    if xp is None:
        pytest.skip("adapters has no numpy adapter yet")
    if "grad" in case.requires and not hasattr(xp, "grad"):
        pytest.skip(f"{namespace} has no xp.grad (the case requires it)")
    out = _evaluate(xp, case, dtype)
    assert out.shape == case.expected_shape(), f"shape {out.shape}"
    # A complex case may return a real value (|z|, a loss) of the matching precision.
    allowed = {np.dtype(dtype), np.finfo(np.dtype(dtype)).dtype}
    assert out.dtype in allowed, f"{dtype} inputs gave a {out.dtype} value"
    assert np.all(np.isfinite(out)), f"non-finite value {out}"


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_inputs_are_deterministic_and_in_their_domains(case) -> None:
    for dtype in case.dtypes:
        first = case.sample(np.random.default_rng(7), dtype=dtype)
        second = case.sample(np.random.default_rng(7), dtype=dtype)
        for a, b in zip(first, second, strict=True):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
        assert case.violations(first) == []
    if case.sizes.sweep:
        # The smallest timing size draws the declared shapes, inside the domains.
        size = case.sizes.sweep[0]
        inputs = case.sample(np.random.default_rng(0), size)
        assert tuple(x.shape for x in inputs) == case.input_shapes(size)
        assert case.violations(inputs) == []


def test_a_different_seed_draws_different_inputs() -> None:
    random = [c for c in ALL if c.name in ("sin", "gmm", "ba", "inv", "mlp-classifier")]
    for case in random:
        a = case.sample(np.random.default_rng(0))
        b = case.sample(np.random.default_rng(1))
        assert any(x.tobytes() != y.tobytes() for x, y in zip(a, b, strict=True)), case.name


def test_the_library_has_at_least_150_cases() -> None:
    assert len(ALL) >= 150


def test_every_vocabulary_op_is_used_by_some_case() -> None:
    used = collections.Counter(op for c in ALL for op in cases.ops_used(c.name))
    missing = sorted(set(qualified_names()) - set(used))
    assert not missing, f"no case uses {missing}"


def test_every_binary_op_has_its_broadcasting_variants() -> None:
    names = {c.name for c in ALL}
    for op in BINARY:
        for suffix in ("", "-row", "-column", "-outer", "-scalar"):
            assert f"{op.name}{suffix}" in names


def test_every_reduction_covers_each_axis_with_and_without_keepdims() -> None:
    names = {c.name for c in ALL}
    keepdims_reductions = [op.name for op in REDUCTIONS if "keepdims" in op.signature]
    assert len(keepdims_reductions) == 7
    for op in keepdims_reductions:
        for axis in ("all", "axis0", "axis1", "axis2"):
            assert {f"{op}-{axis}", f"{op}-{axis}-keepdims"} <= names, (op, axis)


CHECKLIST = {
    # the issue's themes, by the case that covers each
    "control flow": ["loop-fixed", "branch-on-sum-true", "rk4-lotka-volterra", "newton-sqrt",
                     "loop-until-large"],
    "indexing": ["slice", "index-repeated", "mask-constant", "mask-from-values",
                 "take-along-axis", "scatter-set-where", "scatter-add-onehot"],
    "delicate": ["logsumexp-huge-logits", "logsumexp-tiny-logits", "softmax-huge-logits",
                 "softmax-tiny-logits", "log1p-near-zero", "expm1-near-zero",
                 "expit-saturation", "sqrt-near-zero", "sqrt-difference-naive",
                 "variance-nearly-constant"],
    "traps": ["where-nan-sqrt", "zero-times-inf", "power-negative-base-whole-exponent"],
    "kinks": ["abs-at-zero", "sign-at-zero", "relu-maximum-at-zero", "relu-nn-at-zero",
              "maximum-tie", "minimum-tie", "max-reduction-tie", "min-reduction-tie",
              "sort-tie", "clip-at-bounds", "norm-zero-vector", "sqrt-at-zero",
              "power-zero-base", "power-zero-zero", "logsumexp-all-neg-inf", "det-singular",
              "eigh-repeated-values"],
    "models": ["gmm", "lstm", "ba", "llsq", "det-by-minors", "ode", "lse", "kmeans",
               "logistic-regression", "mlp-classifier", "transformer-block", "rosenbrock",
               "saddle", "particle"],
}


@pytest.mark.parametrize("theme", list(CHECKLIST))
def test_the_issue_checklist_is_present(theme) -> None:
    names = {c.name for c in ALL}
    assert not set(CHECKLIST[theme]) - names


def test_kink_cases_record_their_points_and_only_they_carry_the_tag() -> None:
    for case in ALL:
        if "kink" in case.tags:
            assert case.kinks, f"{case.name} is tagged kink but records no point"


def test_models_cite_their_source_and_sweep_realistic_sizes() -> None:
    for case in cases.select(tags="gradbench"):
        assert "GradBench evals/" in case.note, case.name
        assert case.sizes.sweep, case.name
    gmm = cases.get("gmm")
    assert gmm.sizes.sweep[0] == (2, 5, 100) and gmm.sizes.sweep[-1] == (64, 100, 1000)


def test_nested_cases_require_grad_and_say_so() -> None:
    nested = cases.select(tags="nested")
    assert {"saddle", "particle"} <= {c.name for c in nested}
    for case in nested:
        assert case.requires == {"grad"}
        assert "grad" in cases.ops_used(case.name)


def test_check_sizes_stay_small() -> None:
    # Later checks build Jacobians and finite differences at the check size: keep it cheap.
    # Data inputs (not differentiated) get neither; they may be larger (ht's hand model).
    for case in ALL:
        shapes = case.input_shapes()
        entries = sum(int(np.prod(s)) for s, a in zip(shapes, case.args, strict=True) if a.diff)
        data = sum(int(np.prod(s)) for s, a in zip(shapes, case.args, strict=True) if not a.diff)
        assert entries <= 400, f"{case.name}: {entries} input entries at the check size"
        assert data <= 2000, f"{case.name}: {data} data entries at the check size"


def test_gmm_follows_gradbench_definition() -> None:
    """An independent, loop-by-loop evaluation of GradBench's log posterior."""
    from math import lgamma, log, pi

    case = cases.get("gmm")
    alpha, mu, q, low, x, m, gamma = case.sample(np.random.default_rng(5))
    assert (m, gamma) == (0.0, 1.0)
    k, d = mu.shape
    total = 0.0
    for xi in x:
        terms = []
        for j in range(k):
            qmat = np.diag(np.exp(q[j]))
            rows, cols = np.tril_indices(d, -1)
            order = np.lexsort((rows, cols))  # column by column
            qmat[rows[order], cols[order]] = low[j]
            z = qmat @ (xi - mu[j])
            terms.append(alpha[j] + q[j].sum() - 0.5 * z @ z)
        total += np.log(np.sum(np.exp(terms)))
    n = x.shape[0]
    total -= n * np.log(np.sum(np.exp(alpha))) + 0.5 * n * d * log(2 * pi)
    total += -0.5 * (np.sum(np.exp(q) ** 2) + np.sum(low**2))  # gamma = 1, m = 0
    log_gamma_d = 0.25 * d * (d - 1) * log(pi) + sum(lgamma(0.5 * (d + 1) + 0.5 * (1 - j))
                                                     for j in range(1, d + 1))
    total += k * ((d + 1) * d * log(1 / np.sqrt(2)) - log_gamma_d)
    np.testing.assert_allclose(case.fn(rnp, alpha, mu, q, low, x, m, gamma), total, rtol=1e-12)
