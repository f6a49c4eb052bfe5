"""Domains draw inside themselves, in both dtypes and batched shapes; membership tests name the
offending entry; the Case helpers (sample, bind, tolerance, sizes) behave as documented."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cases import Arg, Case, Sizes, Tolerance
from cases import domains as D

ELEMENTWISE = {
    name: getattr(D, name)
    for name in ("REAL", "POSITIVE", "NEGATIVE", "AWAY_FROM_ZERO", "UNIT_INTERVAL", "ZERO_ONE",
                 "HALF_PI", "ABOVE_ONE", "AWAY_FROM_INTEGERS", "AWAY_FROM_HALF_INTEGERS",
                 "LATTICE_LOW", "LATTICE_HIGH", "DISTINCT", "DISTINCT_ABS", "EXTENDED_REAL",
                 "ZERO_OR_ONE", "PROBABILITY")
}
ELEMENTWISE |= {"interval": D.interval(-3.0, 5.0), "integer_valued": D.integer_valued(1, 4),
                "with_points": D.with_points(D.POSITIVE, {(0, 1): 0.0}),
                "constant": D.constant(-np.inf)}
MATRICES = {name: getattr(D, name) for name in ("NONSINGULAR", "SPD", "ORTHOGONAL",
                                                 "SYMMETRIC_DISTINCT", "SINGULAR",
                                                 "REPEATED_EIGENVALUES")}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_domains_draw_inside_themselves(name, dtype) -> None:
    domain = ELEMENTWISE[name]
    for seed in range(5):
        x = domain.sample(np.random.default_rng(seed), (4, 7)).astype(dtype)
        assert domain.violation(x) is None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(MATRICES))
def test_matrix_domains_draw_inside_themselves_batched(name, dtype) -> None:
    domain = MATRICES[name]
    for shape in ((3, 3), (2, 4, 4), (5, 5)):
        x = domain.sample(np.random.default_rng(1), shape).astype(dtype)
        assert x.shape == shape and domain.violation(x) is None
    assert D.FULL_RANK.violation(D.FULL_RANK.sample(np.random.default_rng(2), (6, 3))) is None


def test_data_domains_keep_their_kind() -> None:
    rng = np.random.default_rng(0)
    assert D.integers(0, 4).sample(rng, (9,)).dtype.kind == "i"
    assert D.booleans().sample(rng, (9,)).dtype == np.bool_
    assert "entry [1] = np.int64(4) is outside [0, 4)" in D.integers(0, 4).violation(
        np.array([0, 4]))
    assert "bool" in D.booleans().violation(np.zeros(3))


@pytest.mark.parametrize(
    ("domain", "x", "message"),
    [
        (D.POSITIVE, [1.0, -1.0], "entry [1] = np.float64(-1.0) is not positive"),
        (D.REAL, [1.0, np.nan], "entry [1] = np.float64(nan) is not finite"),
        (D.REAL, np.array([1, 2]), "not floating point"),
        (D.UNIT_INTERVAL, [0.0, 1.0], "outside (-1, 1)"),
        (D.AWAY_FROM_ZERO, [1.0, 0.1], "within 0.25 of zero"),
        (D.DISTINCT, [1.0, 2.0, 1.0], "not pairwise distinct"),
        (D.LATTICE_LOW, [0.25, 0.75], "off the low lattice"),
        (D.EXTENDED_REAL, [np.inf, np.nan], "is NaN"),
        (D.PROBABILITY, [[0.5, 0.6]], "do not sum to 1"),
        (D.SPD, [[1.0, 2.0], [2.0, 1.0]], "not positive definite"),
        (D.SPD, [[1.0, 0.1], [0.0, 1.0]], "not exactly symmetric"),
        (D.ORTHOGONAL, [[1.0, 1.0], [0.0, 1.0]], "Q^T Q - I"),
        (D.NONSINGULAR, [[1.0, 2.0], [2.0, 4.0]], "condition number"),
        (D.SINGULAR, [[1.0, 0.0], [0.0, 1.0]], "is not singular"),
        (D.NONSINGULAR, [1.0, 2.0], "not a matrix"),
        (D.with_points(D.POSITIVE, {(1,): 0.0}), [1.0, 0.5], "expected exactly 0.0"),
        (D.with_points(D.POSITIVE, {(1,): 0.0}), [-1.0, 0.0], "is not positive"),
        (D.constant([1.0, 2.0]), [1.0, 2.5], "entry [1]"),
    ],
)
def test_violations_say_what_is_wrong(domain, x, message) -> None:
    problem = domain.violation(np.asarray(x))
    assert problem is not None and message in problem


def test_with_points_places_exact_values_and_constant_ignores_the_generator() -> None:
    domain = D.with_points(D.AWAY_FROM_ZERO, {(2,): 0.0, (0,): -1.5})
    x = domain.sample(np.random.default_rng(3), (5,))
    assert x[2] == 0.0 and x[0] == -1.5 and domain.contains(x.astype(np.float32))
    c = D.constant([1.0, -np.inf])
    assert np.array_equal(c.sample(np.random.default_rng(0), (2,)),
                          c.sample(np.random.default_rng(9), (2,)))


def test_sample_rejects_a_draw_of_the_wrong_shape() -> None:
    flat = D.Domain("flat", "ignores the shape", lambda rng, shape: np.zeros(3), D.REAL.test)
    with pytest.raises(ValueError, match="drew shape"):
        flat.sample(np.random.default_rng(0), (3, 1))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        D.SPD.sample(np.random.default_rng(0), (3,))


# --- Case helpers ------------------------------------------------------------------------------
def _case(**fields: Any) -> Case:
    return Case("helper", lambda xp, x, i: xp.sum(xp.take(x, i)),
                args=(Arg("x", D.REAL, lambda n: (n, 2)), Arg("i", D.integers(0, 3), (4,), False)),
                **fields)


def test_sample_casts_floats_and_keeps_integer_data() -> None:
    case = _case(sizes=Sizes(check=3, sweep=(10,)))
    x, i = case.sample(np.random.default_rng(0), dtype="float32")
    assert x.dtype == np.float32 and x.shape == (3, 2) and i.dtype.kind == "i"
    big, _ = case.sample(np.random.default_rng(0), 10)
    assert big.shape == (10, 2) and big.dtype == np.float64
    assert case.argnums == (0,) and case.input_shapes(10) == ((10, 2), (4,))


def test_sampler_returning_the_wrong_count_is_an_error() -> None:
    case = _case(sampler=lambda rng, n: (rng.normal(size=(n, 2)),))
    with pytest.raises(ValueError, match="returned 1 inputs for 2 args"):
        case.sample(np.random.default_rng(0))


def test_bind_holds_the_data_fixed() -> None:
    case = _case()
    inputs = (np.arange(6.0).reshape(3, 2), np.array([0, 5, 5, 1]))
    f, diff = case.bind(np, inputs)
    assert len(diff) == 1 and diff[0] is inputs[0]
    assert f(np.ones((3, 2))) == 4.0 and f(*diff) == 0 + 5 + 5 + 1


def test_tolerance_picks_the_most_specific_override() -> None:
    broad = Tolerance(1e-3, 0.0, "everything")
    f32 = Tolerance(1e-2, 0.0, "float32", dtype="float32")
    f32_vjp = Tolerance(1e-1, 0.0, "float32 vjp", dtype="float32", check="vjp")
    case = _case(tolerances=(broad, f32, f32_vjp))
    assert case.tolerance("float32", "vjp") is f32_vjp
    assert case.tolerance("float32", "value") is f32
    assert case.tolerance("float64", "vjp") is broad
    assert _case().tolerance("float64", "vjp") is None


def test_sizes_label_and_case_normalises_its_collections() -> None:
    assert Sizes().label(100) == "n=100"
    assert Sizes(check=(2, 3, 4), names=("d", "K", "N")).label((2, 5, 100)) == "d=2,K=5,N=100"
    case = Case("normalised", lambda xp, x: xp.sum(x), tags=["a", "b"], requires="grad",
                dtypes=["float64"])
    assert case.tags == frozenset({"a", "b"}) and case.requires == frozenset({"grad"})
    assert case.dtypes == ("float64",) and case.expected_shape() == ()
    with pytest.raises(KeyError, match="no input 'y'"):
        case.arg_index("y")
