"""Every way a traced value can leave the trace keeps its derivative or raises saying so.

One table, one row per way out (copies, casts, conversions, ``__array__``, pickling,
``__index__``, ``.item()``/``.tolist()``, formatting), walked by one test in reverse mode, forward
mode and at second order (forward over reverse, reverse over reverse). A row that *keeps* is
compared, in every mode, with a reference written without the exit; a row that *raises* must
raise a ``TypeError`` with its message fragment in every mode; a row that *shows* (text for
reading) must give the value's text and leave the derivative alone.

The exit is applied to ``x * x`` and its result scaled by ``3.7 + sin(x[0])``, so that the
cotangent reaching it is at least 2.7 (a cotangent truncated to an integer is not zero) and
second derivatives mix the exit's input with the rest. The controls at the end show that the
walker flags the wrong derivatives this table was written against.
"""

from __future__ import annotations

import copy
import math
import operator
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import scipy.special

import refengine as rf
import refengine.numpy as rnp
from refengine import api
from refengine import primitives as P
from refengine.array_ops import ArrayOps
from refengine.primitive import Tracer

X = np.array([1.3, -0.7, 2.1])
_rng = np.random.default_rng(24)
T = _rng.standard_normal(X.shape)  # a tangent
W = _rng.standard_normal(X.shape)  # weights making the gradient a scalar again


@dataclass(frozen=True)
class Exit:
    """One way out. ``use(v)`` takes the traced ``v = x * x``; ``same(v, v0)`` computes what it
    should, without the exit (``v0`` is ``v``'s plain value); ``message`` is the fragment of the
    TypeError a raising exit gives; ``text(v0)`` what a showing exit's text contains."""

    name: str
    use: Callable[[Any], Any]
    same: Callable[[Any, np.ndarray], Any] | None = None
    message: str = ""
    text: Callable[[np.ndarray], str] | None = None


def keeps(name: str, use: Callable[[Any], Any], same: Callable[[Any, np.ndarray], Any]) -> Exit:
    return Exit(name, use, same=same)


def raises(name: str, use: Callable[[Any], Any], message: str) -> Exit:
    return Exit(name, use, message=message)


def shows(name: str, use: Callable[[Any], str], text: Callable[[np.ndarray], str]) -> Exit:
    return Exit(name, use, text=text)


def _same(v: Any, v0: np.ndarray) -> Any:
    return v


def _truncated(v: Any, v0: np.ndarray) -> np.ndarray:
    # An integer cast's value, as a constant: its derivative is zero.
    return np.trunc(v0)


def _setitem(v: Any) -> None:
    v[0] = 1.0


NO_NUMBER = "would drop its derivative"
EXITS = [
    # --- copies: the traced value itself ---
    keeps("copy.copy", copy.copy, _same),
    keeps("copy.deepcopy", copy.deepcopy, _same),
    keeps("deepcopy of a dict of parameters",
          lambda v: copy.deepcopy({"w": v, "layers": [v, 2.0]})["layers"][0], _same),
    keeps("x.copy()", lambda v: v.copy(), _same),
    keeps("np.copy", np.copy, _same),
    keeps("rnp.copy", rnp.copy, _same),
    # --- casts: linear between floats, piecewise constant (zero derivative) to integers ---
    keeps("x.astype(float32)", lambda v: v.astype(np.float32), _same),
    keeps("x.astype(int)", lambda v: v.astype(int), _truncated),
    keeps("x.astype(np.int32)", lambda v: v.astype(np.int32), _truncated),
    keeps("x.astype(bool)", lambda v: v.astype(bool), lambda v, v0: (v0 != 0).astype(float)),
    keeps("rnp.asarray(x, dtype=int)", lambda v: rnp.asarray(v, dtype=int), _truncated),
    keeps("rnp.array(x, dtype=int)", lambda v: rnp.array(v, dtype=int), _truncated),
    keeps("rnp.astype(x, uint8)", lambda v: rnp.astype(v, np.uint8), _truncated),
    keeps("rnp.sum(x, dtype=int)", lambda v: rnp.sum(v, dtype=int),
          lambda v, v0: np.trunc(v0.sum())),
    keeps("np.sum(x, dtype=int)", lambda v: np.sum(v, dtype=int),
          lambda v, v0: np.trunc(v0.sum())),
    keeps("round(x)", round, lambda v, v0: np.round(v0)),
    keeps("rnp.floor", rnp.floor, lambda v, v0: np.floor(v0)),
    # --- lists of traced values are array-likes ---
    keeps("rnp.asarray([x0, x1, x2])", lambda v: rnp.asarray([v[0], v[1], v[2]]), _same),
    keeps("rnp.sin([x0, x1, x2])", lambda v: rnp.sin([v[0], v[1], v[2]]),
          lambda v, v0: rnp.sin(v)),
    keeps("rnp.add(x, [x2, x1, x0])", lambda v: rnp.add(v, (v[2], v[1], v[0])),
          lambda v, v0: v + rnp.flip(v, 0)),
    keeps("unpacking a, b, c = x", lambda v: rnp.stack([*v][::-1]), lambda v, v0: v[::-1]),
    keeps("builtin sum(x)", sum, lambda v, v0: rnp.sum(v)),
    # --- functions of other libraries routed to refengine ---
    keeps("np.sin", np.sin, lambda v, v0: rnp.sin(v)),
    keeps("scipy.special.expit", scipy.special.expit, lambda v, v0: rnp.special.expit(v)),
    # --- truth and the documented way to take the number without its derivative ---
    keeps("bool(x[0]) branching", lambda v: 2.0 * v if v[0] else v, lambda v, v0: 2.0 * v),
    keeps("float(rf.stop_gradient(x[0]))", lambda v: float(rf.stop_gradient(v[0])) * v,
          lambda v, v0: v0[0] * v),
    # --- conversions to plain numbers and arrays raise ---
    raises("float()", lambda v: float(v[0]), r"float\(\) of a traced value"),
    raises("int()", lambda v: int(v[0]), r"int\(\) of a traced value"),
    raises("complex()", lambda v: complex(v[0]), r"complex\(\) of a traced value"),
    raises("math.sin", lambda v: math.sin(v[0]), r"float\(\) of a traced value"),
    raises("math.floor", lambda v: math.floor(v[0]), r"float\(\) of a traced value"),
    raises("x.item()", lambda v: v[0].item(), r"x.item\(\) of a traced value"),
    raises("x.tolist()", lambda v: v.tolist(), r"x.tolist\(\) of a traced value"),
    raises("np.asarray", np.asarray, r"np.asarray\(\)/np.array\(\) of a traced value"),
    raises("np.asarray(x, dtype=int)", lambda v: np.asarray(v, dtype=int), NO_NUMBER),
    raises("np.array", np.array, NO_NUMBER),
    raises("np.array([x0, x1])", lambda v: np.array([v[0], v[1]]), "rnp.stack"),
    raises("x.__array__()", lambda v: v.__array__(), NO_NUMBER),
    raises("np.float64(x0)", lambda v: np.float64(v[0]), NO_NUMBER),
    raises("np.full(3, x0)", lambda v: np.full(3, v[0]), NO_NUMBER),
    raises("operator.index", lambda v: operator.index(v[0]), "as an index"),
    raises("range(x0)", lambda v: range(v[0]), "as an index"),
    raises("a list indexed by x0", lambda v: [1.0, 2.0][v[0]], "as an index"),
    raises("bytes(x)", bytes, "as an index"),
    raises("x indexed by itself", lambda v: v[v[0]], "an index may not be a traced"),
    raises("'%f' % x0", lambda v: "%f" % v[0], r"float\(\) of a traced value"),  # noqa: UP031
    # Python's own message: '%d' catches the TypeError refengine raises and words its own.
    raises("'%d' % x0", lambda v: "%d" % v[0], "a real number is required"),  # noqa: UP031
    raises("pickle.dumps", pickle.dumps, "pickling a traced value"),
    raises("pickle of a dict of parameters", lambda v: pickle.dumps({"w": v}),
           "pickling a traced value"),
    raises("x.__reduce__()", lambda v: v.__reduce__(), "pickling a traced value"),
    raises("x[0] = 1 in place", _setitem, "in-place assignment"),
    raises("np.sin(x, out=...)", lambda v: np.sin(v, out=np.empty(3)), r"numpy.sin .*'out'"),
    raises("np.rint (not in refengine)", np.rint, "numpy.rint .*refengine has no rint"),
    raises("scipy.special.wrightomega (not in refengine)", scipy.special.wrightomega,
           "scipy.special.wrightomega .*refengine.numpy.special"),
    # --- text for reading: the value is shown, no number leaves ---
    shows("repr", repr, lambda v0: repr(v0)),
    shows("str", str, lambda v0: repr(v0)),
    shows("f-string", lambda v: f"{v}", lambda v0: repr(v0)),
    shows("format(x0, '.3f')", lambda v: format(v[0], ".3f"), lambda v0: format(v0[0], ".3f")),
    shows("f'{x0:.2e}'", lambda v: f"{v[0]:.2e}", lambda v0: f"{v0[0]:.2e}"),
    shows("'%s' % x", lambda v: "%s" % (v,), lambda v0: repr(v0)),  # noqa: UP031
]


def _through(out: Any, x: Any) -> Any:
    """The scalar each mode differentiates: the exit's result scaled by 3.7 + sin(x[0])."""
    return rnp.sum((3.7 + rnp.sin(x[0])) * rnp.astype(out, np.float64))


def _use(row: Exit) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        v = x * x
        out = row.use(v)
        if row.text is not None:
            assert isinstance(out, str) and row.text(rf.stop_gradient(v)) in out, out
            return _through(v, x)
        return _through(out, x)

    return f


def _reference(row: Exit) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        v = x * x
        return _through(row.same(v, _plain(v)), x) if row.same else _through(v, x)

    return f


def _plain(v: Any) -> np.ndarray:
    while isinstance(v, Tracer):  # the primal under every nested trace
        v = v._value
    return v


MODES: dict[str, Callable[[Callable[[Any], Any]], Any]] = {
    "reverse": lambda f: rf.grad(f)(X),
    "forward": lambda f: rf.jvp(f, (X,), (T,))[1],
    "forward-over-reverse": lambda f: rf.jvp(rf.grad(f), (X,), (T,))[1],
    "reverse-over-reverse": lambda f: rf.grad(lambda x: rnp.sum(rf.grad(f)(x) * W))(X),
}


def _mismatches(row: Exit) -> list[str]:
    """The modes in which ``row`` does not do what the table says, each with what it did."""
    wrong = []
    for mode, run in MODES.items():
        if row.message:
            try:
                run(_use(row))
            except TypeError as e:
                if not re.search(row.message, str(e)):
                    wrong.append(f"{mode}: raised {e!r}")
            else:
                wrong.append(f"{mode}: did not raise")
            continue
        want = run(_reference(row))
        try:
            got = run(_use(row))
        except Exception as e:  # any failure of a row that keeps is a mismatch
            wrong.append(f"{mode}: raised {e!r}")
            continue
        if isinstance(got, Tracer) or not np.allclose(got, want, rtol=1e-6, atol=1e-12):
            wrong.append(f"{mode}: {got} where the derivative is {want}")
    return wrong


@pytest.mark.parametrize("row", EXITS, ids=[row.name for row in EXITS])
def test_every_exit_keeps_its_derivative_or_raises(row: Exit) -> None:
    assert _mismatches(row) == []


def test_the_table_has_each_kind_of_exit() -> None:
    names = [row.name for row in EXITS]
    assert len(names) == len(set(names))
    assert {bool(r.same) for r in EXITS} == {True, False}
    assert any(r.text for r in EXITS) and any(r.message for r in EXITS)


def test_the_issue_examples() -> None:
    x = np.array([1.5, 2.5])
    assert np.array_equal(rf.grad(lambda x: rnp.sum(3.7 * x.astype(int)))(x), [0.0, 0.0])
    assert rf.jvp(lambda x: rnp.sum(3.7 * x.astype(int)), (x,), (np.ones(2),))[1] == 0.0
    params = {"w": x, "b": np.array(0.5)}
    g = rf.grad(lambda p: rnp.sum(copy.deepcopy(p)["w"] ** 2) + copy.deepcopy(p)["b"])(params)
    assert np.array_equal(g["w"], 2 * x) and g["b"] == 1.0


# --- the walker flags the wrong derivatives it was written against --------------------------------
def _row(name: str) -> Exit:
    return next(row for row in EXITS if row.name == name)


def test_the_walker_flags_a_cast_that_passes_the_cotangent_through(monkeypatch) -> None:
    # The old astype: one linear primitive for every dtype, integers included.
    monkeypatch.setattr(P.astype, "impl", lambda x, *, dtype: np.asarray(x).astype(dtype))
    monkeypatch.setattr(rnp, "astype", lambda x, dtype: P.astype(x, dtype=np.dtype(dtype)))
    wrong = _mismatches(_row("x.astype(int)"))
    assert [w.split(":")[0] for w in wrong] == list(MODES)


def test_the_walker_flags_a_deepcopy_that_loses_the_trace(monkeypatch) -> None:
    for name in ("__deepcopy__", "__reduce_ex__", "__reduce__"):  # the old tracer: none
        monkeypatch.delattr(ArrayOps, name)
    wrong = _mismatches(_row("deepcopy of a dict of parameters"))
    assert [w.split(":")[0] for w in wrong] == list(MODES)


def test_the_walker_flags_a_conversion_that_returns_a_number(monkeypatch) -> None:
    monkeypatch.setattr(ArrayOps, "item", lambda self: float(_plain(self._value)))
    wrong = _mismatches(_row("x.item()"))
    assert [w.split(":", 1)[1].strip() for w in wrong] == ["did not raise"] * len(MODES)


# --- repeated argnums: each place gets the full derivative, as in JAX ---------------------------
def _f(x: Any, y: Any) -> Any:
    return rnp.sum(rnp.sin(x) * y * y)


def _g(x: Any, y: Any) -> Any:
    return rnp.sin(x) * y * y


A, B = np.array([0.3, -1.2]), np.array([1.5, 0.4])
ARGNUMS_TRANSFORMS = {
    "grad": lambda nums: rf.grad(_f, nums)(A, B),
    "value_and_grad": lambda nums: rf.value_and_grad(_f, nums)(A, B)[1],
    "jacobian": lambda nums: rf.jacobian(_g, nums)(A, B),
    "jacfwd": lambda nums: rf.jacfwd(_g, nums)(A, B),
    "hessian via jacfwd(jacobian)": lambda nums: rf.jacfwd(
        lambda x, y: rf.jacobian(_f, 0)(x, y), nums)(A, B),
}


def _repeats_agree(transform: Callable[[Any], Any], nums: tuple[int, ...]) -> bool:
    each = {i: transform(i) for i in set(nums)}
    got = transform(nums)
    return len(got) == len(nums) and all(
        np.array_equal(g, each[i]) for g, i in zip(got, nums, strict=True)
    )


@pytest.mark.parametrize("nums", [(0, 0), (1, 0, 1), (-1, 1)])
@pytest.mark.parametrize("name", list(ARGNUMS_TRANSFORMS))
def test_a_repeated_argnum_gets_the_full_derivative_at_each_place(name, nums) -> None:
    assert _repeats_agree(ARGNUMS_TRANSFORMS[name], nums)


def test_repeated_argnums_are_independent_copies() -> None:
    gx, gx_again = rf.grad(_f, (0, 0))(A, B)
    gx[0] = 99.0
    assert gx_again[0] != 99.0


def test_the_argnums_check_flags_repeats_that_get_zeros(monkeypatch) -> None:
    monkeypatch.setattr(api, "_distinct", lambda nums: (nums, None))  # the old behaviour
    assert not _repeats_agree(ARGNUMS_TRANSFORMS["grad"], (0, 0))


@pytest.mark.parametrize("argnums, message", [
    (1.0, "argnums=1.0 is a float; give the position"),
    ("0", "argnums='0' is a str"),
    ((0, 1.0), r"argnums=\(0, 1.0\) holds the float 1.0"),
    (True, "argnums=True is a bool"),
])
def test_a_non_int_argnums_says_what_argnums_is(argnums, message) -> None:
    with pytest.raises(TypeError, match=message):
        rf.grad(_f, argnums)(A, B)


def test_hessian_takes_one_argnum() -> None:
    with pytest.raises(TypeError, match=r"rf\.hessian differentiates one argument"):
        rf.hessian(_f, (0, 1))(A, B)


def test_the_float_cast_primitive_refuses_an_integer_cast() -> None:
    # Called directly it would differentiate a truncation as the identity: it raises instead.
    with pytest.raises(TypeError, match="casts between floating dtypes only, not to int64"):
        rf.grad(lambda x: rnp.sum(P.astype(x, dtype=np.dtype(np.int64)) * 1.0))(X)
