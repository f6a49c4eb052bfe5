"""The checker in other precisions: functions holding float32 constants (the oracle cannot
evaluate them in float64) and half precision (float16, bfloat16) against the float64 oracle."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine.check import (
    DEFAULT_RTOL,
    ADFunctions,
    CheckConfig,
    GradientCheckError,
    check_derivatives,
)
from refengine.comparison import lowest_precision
from refengine.tolerances import EPS, RTOL, eps_of
from refengine.tree import tree_map

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)

RNG = np.random.default_rng(11)
X3 = RNG.uniform(0.5, 1.5, 3)
Y3 = RNG.uniform(-1.0, 1.0, 3)
C32 = np.array([0.5, 1.5, -2.0], dtype=np.float32)

# -- float32 constants: the oracle evaluates f at the arguments' own dtype --------------------


def refuses_float64(x):
    """Like a torch function holding torch.tensor(..., dtype=float32): no float64 for it."""
    if np.dtype(x.dtype) == np.float64:
        raise TypeError("expected float32 input: this function holds float32 constants")
    return rnp.sum(rnp.sin(x) * C32 * x)


def returns_float32(x):
    """NumPy float32 constants multiplied in after a cast: float32 out for float64 in."""
    if np.dtype(x.dtype) == np.float64:
        x = x.astype(np.float32)
    return rnp.sin(x) * C32 * x


def scaled(factor: float) -> ADFunctions:
    """refengine with every first derivative of the checked function scaled by ``factor``."""

    def jvp(fn, primals, tangents):
        out, t = rf.jvp(fn, primals, tangents)
        return out, tree_map(lambda a: a * np.float32(factor), t)

    def vjp(fn, *primals):
        out, pullback = rf.vjp(fn, *primals)
        return out, lambda ct: tuple(g * np.float32(factor) for g in pullback(ct))

    return ADFunctions(jvp=jvp, vjp=vjp)


@pytest.mark.parametrize(
    ("f", "why"),
    [(refuses_float64, "raised TypeError on float64 input"),
     (returns_float32, "returned float32 for float64 input")],
    ids=["refuses", "narrows"],
)
def test_float32_constants_are_checked_with_a_float32_oracle_and_say_so(f, why) -> None:
    x32 = X3.astype(np.float32)
    results = check_derivatives(f, (x32,), ad=ADFunctions(jvp=rf.jvp, vjp=rf.vjp))
    assert [r.order for r in results] == [1, 1, 2, 2, 2, 2]
    assert all(r.passed and r.checked for r in results)
    for r in results:
        assert "Finite differences evaluated f in float32, not float64" in r.note
        assert why in r.note
        assert "round like float32 (4 eps = 4.8e-07 relative)" in r.note
        assert r.dtype == "float32" and r.rtol == RTOL[("fd", "float32")]


def test_a_wrong_derivative_still_fails_under_the_float32_oracle() -> None:
    # 1 % is above float32's fd tolerance (2 x 2e-3 at the largest entry).
    x32 = X3.astype(np.float32)
    for f in (refuses_float64, returns_float32):
        for mode in ("fwd", "rev"):
            config = CheckConfig(modes=(mode,), order=1)
            with pytest.raises(GradientCheckError, match="evaluated f in float32") as info:
                check_derivatives(f, (x32,), ad=scaled(1.01), config=config)
            assert info.value.comparison.rel_err == pytest.approx(1e-2, rel=1e-2)


def test_float64_arguments_and_a_function_refusing_float64_is_its_own_error() -> None:
    with pytest.raises(TypeError, match="holds float32 constants"):
        rf.check_grads(refuses_float64, (X3,))


def test_a_function_that_fails_at_its_own_dtype_too_reports_that_error() -> None:
    def broken(x):
        raise RuntimeError("broken everywhere")

    with pytest.raises(RuntimeError, match="broken everywhere"):
        rf.check_grads(broken, (X3.astype(np.float32),))


def test_torch_float32_constants_inside_f() -> None:
    torch = pytest.importorskip("torch")
    w = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=torch.float32)

    def f(x):
        return torch.sum(torch.tanh(w @ x))  # float64 x: "expected ... same dtype"

    ad = ADFunctions(
        jvp=lambda fn, p, t: torch.func.jvp(fn, tuple(p), tuple(t)),
        vjp=lambda fn, *p: torch.func.vjp(fn, *p),
        from_numpy=torch.from_numpy,
        to_numpy=lambda t: t.detach().numpy(),
        dtype_of=lambda t: np.dtype(str(t.dtype).removeprefix("torch.")),
    )
    results = check_derivatives(f, (X3.astype(np.float32),), ad=ad)
    assert all(r.passed for r in results) and len(results) == 6
    assert all("evaluated f in float32" in r.note and "RuntimeError" in r.note for r in results)


# -- half precision ----------------------------------------------------------------------------


def half_ad(factor: float = 1.0) -> ADFunctions:
    """A correct AD in half precision: derivatives computed in float64 and rounded to the
    primals' dtype (float16 or bfloat16), optionally scaled by ``factor`` before rounding.
    Nested calls (on tracers) go to refengine unchanged."""

    def top(primals) -> bool:
        return all(isinstance(p, np.ndarray) for p in primals)

    def low(primals) -> np.dtype:
        return lowest_precision([p.dtype for p in primals])

    def up(tree):
        return tree_map(lambda a: np.asarray(a).astype(np.float64), tree)

    def jvp(fn, primals, tangents):
        if not top(primals):
            return rf.jvp(fn, primals, tangents)
        d = low(primals)
        out, t = rf.jvp(fn, up(tuple(primals)), up(tuple(tangents)))
        rounded = tree_map(lambda a: (np.asarray(a) * factor).astype(d), t)
        return tree_map(lambda a: np.asarray(a).astype(d), out), rounded

    def vjp(fn, *primals):
        if not top(primals):
            return rf.vjp(fn, *primals)
        d = low(primals)
        out, pullback = rf.vjp(fn, *up(primals))
        back = lambda ct: tuple((np.asarray(g) * factor).astype(d) for g in pullback(up(ct)))
        return tree_map(lambda a: np.asarray(a).astype(d), out), back

    return ADFunctions(jvp=jvp, vjp=vjp)


def model(x, y):
    return rnp.sum(rnp.exp(x) * rnp.sin(y) * x)


def test_half_precision_rows_follow_from_eps() -> None:
    assert eps_of(F16) == np.finfo(np.float16).eps == 2.0**-10
    assert eps_of(BF16) == ml_dtypes.finfo(ml_dtypes.bfloat16).eps == 2.0**-7
    for half in ("float16", "bfloat16"):
        assert RTOL[("value", half)] == RTOL[("exact", half)] == 2 * EPS[half]
        assert RTOL[("precision", half)] == 2 * EPS[half]
        assert RTOL[("fd", half)] == 4 * EPS[half]
        assert RTOL[("determinism", half)] == 0.0
    assert DEFAULT_RTOL[F16] == pytest.approx(3.9e-3, rel=2e-2)
    assert DEFAULT_RTOL[BF16] == pytest.approx(3.1e-2, rel=2e-2)
    assert lowest_precision([np.float64, F16, np.float32]) == F16
    assert lowest_precision([F16, BF16]) == BF16
    assert lowest_precision([np.int64, np.complex64]) == np.float64


@pytest.mark.parametrize("dtype", [F16, BF16], ids=["float16", "bfloat16"])
def test_a_correct_half_precision_ad_passes_at_order_2(dtype) -> None:
    args = (X3.astype(dtype), Y3.astype(dtype))
    results = check_derivatives(model, args, ad=half_ad())
    assert [r.order for r in results] == [1, 1, 2, 2, 2, 2]
    assert all(r.passed and r.checked for r in results)
    assert all(r.dtype == dtype.name and r.rtol == RTOL[("fd", dtype.name)] for r in results)
    # Really rounded to half: the results differ from the float64 oracle by more than float64
    # rounding, and a float64-grade tolerance rejects them.
    assert max(r.abs_err for r in results) > 1e-6
    with pytest.raises(GradientCheckError):
        check_derivatives(model, args, ad=half_ad(), config=CheckConfig(rtol=1e-10, atol=0.0))


# The planted errors are chosen from the fd rows: with the default atol the largest entry may be
# off by 2 rtol = 8 eps (float16 0.78 %, bfloat16 6.25 %), so 1 % must fail in float16 and 10 %
# in bfloat16.
@pytest.mark.parametrize(
    ("dtype", "factor"), [(F16, 1.01), (BF16, 1.10)], ids=["float16-1%", "bfloat16-10%"]
)
@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_a_planted_error_fails_in_half_precision(dtype, factor, mode) -> None:
    assert factor - 1 > 2 * RTOL[("fd", dtype.name)]
    args = (X3.astype(dtype), Y3.astype(dtype))
    config = CheckConfig(modes=(mode,), order=1)
    with pytest.raises(GradientCheckError, match=dtype.name) as info:
        check_derivatives(model, args, ad=half_ad(factor), config=config)
    c = info.value.comparison
    # The error is the planted one, give or take the final rounding to half (eps / 2).
    assert c.rel_err == pytest.approx(factor - 1, abs=eps_of(dtype))


def test_random_directions_are_rounded_to_the_arguments_dtype() -> None:
    seen = []

    def jvp(fn, primals, tangents):
        seen.extend(np.asarray(t) for t in tangents)
        return half_ad().jvp(fn, primals, tangents)

    ad = ADFunctions(jvp=jvp, vjp=half_ad().vjp)
    args = (X3.astype(BF16), Y3.astype(BF16))
    check_derivatives(model, args, ad=ad, config=CheckConfig(modes=("fwd",), order=2))
    # Every tangent the AD saw (top level in bfloat16, nested in float64; complex ones come
    # from the oracle's complex step) is a bfloat16 value, so the AD and the float64 oracle
    # differentiate along the same direction.
    real = [np.asarray(t, dtype=np.float64) for t in seen if np.isrealobj(t)]
    assert len(real) > 10
    assert all(np.array_equal(t.astype(BF16).astype(np.float64), t) for t in real)


def test_checking_float16_does_not_import_ml_dtypes() -> None:
    code = (
        "import sys, warnings, numpy as np, refengine as rf, refengine.numpy as rnp\n"
        "from refengine.check import ADFunctions, CheckConfig, check_derivatives\n"
        "def jvp(fn, p, t):\n"
        "    out, tan = rf.jvp(fn, tuple(a.astype(np.float64) for a in p),"
        " tuple(a.astype(np.float64) for a in t))\n"
        "    return out.astype(np.float16), tan.astype(np.float16)\n"
        "def vjp(fn, *p):\n"
        "    out, pb = rf.vjp(fn, *(a.astype(np.float64) for a in p))\n"
        "    return out.astype(np.float16), lambda c: tuple(g.astype(np.float16)"
        " for g in pb(c.astype(np.float64)))\n"
        "x = np.array([0.5, 1.0, 1.5], dtype=np.float16)\n"
        "r = check_derivatives(lambda x: rnp.sin(x) * x, (x,), ad=ADFunctions(jvp, vjp),"
        " config=CheckConfig(order=1))\n"
        "assert all(c.passed and c.dtype == 'float16' for c in r), r\n"
        "assert 'ml_dtypes' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
