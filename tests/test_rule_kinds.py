"""The derivative table's rule kinds keep their promises, and each primitive is declared once.

``linear=True``: the primitive is linear in each differentiated operand, and its JVP is the
primitive applied to the tangent. ``zero=True``: the result is never traced and every
derivative through it is zero, in both modes. ``defrule`` refuses a second declaration and a
declaration of two kinds at once.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine import primitives as P
from refengine.derivatives import NON_DIFFERENTIABLE, TABLE, defrule
from refengine.primitive import Primitive, Tracer
from refengine.rules import rule_kind

from .rule_samples import SAMPLES, Sample

LINEAR = sorted(name for name in TABLE if rule_kind(name) == "linear")
LINEAR_SAMPLES = [s for s in SAMPLES if s.name in LINEAR]


def _operands(sample: Sample) -> tuple[list[Any], tuple[int, ...], np.random.Generator]:
    rng = np.random.default_rng(zlib.crc32(sample.id.encode()))
    args = list(sample.draw(rng))
    return args, sample.diff if sample.diff is not None else tuple(range(len(args))), rng


def _in_place(sample: Sample, args: list[Any], i: int, value: Any) -> Any:
    """The primitive with operand i replaced by ``value``, the others as drawn."""
    full = list(args)
    full[i] = value
    return sample.prim(*full, **sample.params)


def _is_linear_in(sample: Sample, i: int) -> bool:
    """f(a x + b t) == a f(x) + b f(t) in operand i, the other operands held fixed."""
    args, _, rng = _operands(sample)
    x = np.asarray(args[i], dtype=np.float64)
    t = rng.standard_normal(x.shape)
    a, b = 0.7, -1.3
    lhs = np.asarray(_in_place(sample, args, i, a * x + b * t))
    rhs = a * np.asarray(_in_place(sample, args, i, x)) + b * np.asarray(
        _in_place(sample, args, i, t))
    return bool(np.allclose(lhs, rhs, rtol=1e-12, atol=1e-12))


def test_some_entries_are_linear_and_each_has_a_sample() -> None:
    assert {"negative", "reshape", "sum", "getitem", "matmul", "einsum"} <= set(LINEAR)
    assert {s.name for s in LINEAR_SAMPLES} == set(LINEAR)


@pytest.mark.parametrize("sample", LINEAR_SAMPLES, ids=[s.id for s in LINEAR_SAMPLES])
def test_linear_entry_is_linear_and_its_jvp_is_the_primitive_on_the_tangent(
    sample: Sample,
) -> None:
    args, diff, rng = _operands(sample)
    for i in diff:
        assert _is_linear_in(sample, i), f"{sample.id} is not linear in operand {i}"
        x = np.asarray(args[i], dtype=np.float64)
        t = rng.standard_normal(x.shape)
        _, t_out = rf.jvp(lambda v, i=i: _in_place(sample, args, i, v), (x,), (t,))
        np.testing.assert_array_equal(t_out, _in_place(sample, args, i, t))


@pytest.mark.parametrize("name", ["sin", "square", "exp"])
def test_the_linearity_check_fails_on_a_nonlinear_primitive(name: str) -> None:
    sample = next(s for s in SAMPLES if s.id == name)
    assert not _is_linear_in(sample, 0)


# --- zero=True: never traced, zero derivatives in both modes ------------------------------------
_TWO_OPERANDS = {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
                 "logical_and", "logical_or"}
_PARAMS: dict[str, dict[str, Any]] = {
    "round": {"decimals": 0}, "argsort": {"axis": -1},
    "argmax": {"axis": None, "keepdims": False}, "argmin": {"axis": None, "keepdims": False},
    "astype_discrete": {"dtype": np.dtype(np.int64)},
}


def _zero_derivatives(prim: Primitive) -> bool:
    """Is the result untraced, and are the VJP and the JVP through it zero for every operand?"""
    xs = (np.array([-1.3, 0.2, 2.7, 0.5]), np.array([0.4, 0.2, -1.0, 3.0]))
    xs = xs if prim.name in _TWO_OPERANDS else xs[:1]
    params = _PARAMS.get(prim.name, {})
    traced = []

    def f(*operands: Any) -> Any:
        out = prim(*operands, **params)
        traced.append(isinstance(out, Tracer))
        return rnp.astype(out, np.float64) * 1.0

    out, vjp_fn = rf.vjp(f, *xs)
    grads = vjp_fn(np.ones(np.shape(out)))
    _, t_out = rf.jvp(f, xs, tuple(np.ones_like(x) for x in xs))
    return (not any(traced) and all(np.array_equal(g, np.zeros_like(x)) for g, x in zip(grads, xs))
            and np.array_equal(t_out, np.zeros(np.shape(out))))


@pytest.mark.parametrize("name", sorted(NON_DIFFERENTIABLE))
def test_zero_entry_gives_zero_derivatives_in_both_modes(name: str) -> None:
    prim = next(getattr(P, a) for a in P.__all__ if getattr(P, a).name == name)
    assert not prim.differentiable and prim.note == NON_DIFFERENTIABLE[name]
    assert _zero_derivatives(prim)


def test_the_zero_check_fails_on_a_differentiable_primitive() -> None:
    assert not _zero_derivatives(P.negative)


# --- one declaration per primitive, of one kind -------------------------------------------------
def _fresh() -> Primitive:
    return Primitive("test-only-negative", np.negative)


@pytest.mark.parametrize("declare", [
    lambda: defrule(P.sin, partials=(lambda ans, x: rnp.cos(x),)),
    lambda: defrule(P.sign, zero=True, note="again"),
    lambda: defrule(P.sign, partials=(lambda ans, x: 0.0 * x,)),
    lambda: defrule(P.reshape, linear=True, vjp=(lambda g, ans, x, *, shape: g,)),
], ids=["partials-twice", "zero-twice", "zero-then-partials", "linear-twice"])
def test_a_primitive_cannot_be_declared_twice(declare) -> None:
    before = (dict(TABLE), dict(NON_DIFFERENTIABLE))
    with pytest.raises(ValueError, match="registered twice"):
        declare()
    assert (TABLE, NON_DIFFERENTIABLE) == before


@pytest.mark.parametrize("kinds, message", [
    ({"zero": True, "partials": (lambda ans, x: -1.0,)}, "zero=True declares no rules"),
    ({"zero": True, "vjp": (lambda g, ans, x: -g,), "jvp": (lambda t, ans, x: -t,)},
     "zero=True declares no rules"),
    ({"zero": True, "linear": True}, "zero=True declares no rules"),
    ({"linear": True, "vjp": (lambda g, ans, x: -g,), "jvp": (lambda t, ans, x: -t,)},
     "the JVP is the primitive itself"),
    ({"linear": True}, "give only the vjp"),
    ({"partials": (lambda ans, x: -1.0,), "linear": True}, "either partials or vjp/jvp"),
    ({"vjp": (lambda g, ans, x: -g,)}, "needs both vjp and jvp"),
])
def test_a_declaration_has_exactly_one_kind(kinds: dict[str, Any], message: str) -> None:
    prim = _fresh()
    with pytest.raises(ValueError, match=message):
        defrule(prim, **kinds)
    assert prim.name not in TABLE and prim.name not in NON_DIFFERENTIABLE
    assert prim.differentiable and not prim.vjp and not prim.jvp
