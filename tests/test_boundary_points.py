"""Boundary-first sampling: ``Boundary`` points become cases of their own, validated like any
case (a declared point that is not where it says is rejected), registered and removed with
their case, and the library's table covers the ops the issue names."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cases
from cases import Arg, Case, Kink, RegistrationError, Registry, Sizes
from cases import domains as D
from cases.case import Boundary
from cases.library.boundaries import BOUNDARIES, with_boundaries


def _case(**fields: Any) -> Case:
    return Case("mine", lambda xp, x: xp.max(x), args=(Arg("x", D.DISTINCT),),
                sizes=Sizes(check=4, sweep=(100,)), **fields)


TIE = Boundary("tie", {"x": D.with_points(D.DISTINCT, {(0,): 3.0, (2,): 3.0})},
               (Kink("x", (0,), 3.0, "reduction-tie"), Kink("x", (2,), 3.0, "reduction-tie")))


def test_a_boundary_becomes_a_case_at_its_point_without_a_sweep() -> None:
    (tie,) = _case(boundary=(TIE,)).boundary_cases()
    assert tie.name == "mine-at-tie" and "boundary" in tie.tags
    assert tie.sizes.sweep == () and tie.boundary == () and tie.kinks == TIE.kinks
    x = tie.sample(np.random.default_rng(3))[0]
    assert x[0] == x[2] == 3.0


def test_a_smooth_boundary_declares_no_kink_so_every_ordinary_check_runs() -> None:
    zero = Boundary("zero", {"x": D.with_points(D.DISTINCT, {(1,): 0.0})})
    (case,) = _case(boundary=(zero,), kinks=TIE.kinks).boundary_cases()
    assert case.kinks == ()


def test_registration_adds_and_removes_the_boundary_cases_with_their_case() -> None:
    registry = Registry(library=False, plugins=False)
    registry.add(_case(boundary=(TIE,)))
    assert registry.get("mine-at-tie").kinks == TIE.kinks
    registry.remove("mine")
    assert [c.name for c in registry.all()] == []


def test_a_boundary_kink_that_is_not_at_its_point_is_rejected() -> None:
    wrong = Boundary("tie", TIE.domains, (Kink("x", (1,), 3.0, "reduction-tie"),))
    with pytest.raises(RegistrationError, match="mine-at-tie"):
        Registry(library=False, plugins=False).add(_case(boundary=(wrong,)))


def test_a_boundary_naming_an_unknown_input_is_an_error() -> None:
    with pytest.raises(ValueError, match="'y'"):
        _case(boundary=(Boundary("zero", {"y": D.constant(0.0)}),)).boundary_cases()


def test_the_table_refuses_names_that_are_not_cases() -> None:
    with pytest.raises(KeyError, match="std-all"):
        with_boundaries([_case()])


@pytest.mark.parametrize("stem", ["std-", "max-", "min-", "prod-", "sort", "arctan2",
                                  "norm-vector-2", "cummax", "topk", "median", "sinc",
                                  "nanmean", "nn-layer-norm"])
def test_the_library_checks_each_named_op_at_a_boundary_point(stem: str) -> None:
    assert any(c.name.startswith(stem) and "boundary" in c.tags for c in cases.all())


def test_every_table_entry_is_registered_and_tagged() -> None:
    for name, points in BOUNDARIES.items():
        for b in points:
            assert "boundary" in cases.get(f"{name}-at-{b.label}").tags


def test_the_costly_entry_names_exactly_the_boundary_cases() -> None:
    """The boundary points are slow on JAX and TensorFlow (COSTLY): a new boundary point must
    be added to BOUNDARY_CASES, and a pattern there must not catch another case."""
    import fnmatch

    from cases.conventions import BOUNDARY_CASES, costly

    named = {c.name for c in cases.all()
             if any(fnmatch.fnmatchcase(c.name, p) for p in BOUNDARY_CASES)}
    assert named == {c.name for c in cases.all() if "boundary" in c.tags}
    assert costly("std-all-at-constant", "jax", "jit") is not None
    assert costly("std-all-at-constant", "torch", "eager") is None
    assert costly("abs-at-zero", "jax", "jit") is None
