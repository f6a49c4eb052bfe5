"""The public transformations: results, higher order, structures, dtypes and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine import primitives as P
from refengine.primitive import Primitive


def f_scalar(x):
    return rnp.sum(rnp.sin(x) * rnp.exp(0.3 * x))


X = np.array([0.3, -1.2, 2.0])


def df_scalar(x):
    return (np.cos(x) + 0.3 * np.sin(x)) * np.exp(0.3 * x)


# --- results -----------------------------------------------------------------------------------
def test_grad_matches_closed_form() -> None:
    np.testing.assert_allclose(rf.grad(f_scalar)(X), df_scalar(X), rtol=1e-14)


def test_value_and_grad() -> None:
    value, g = rf.value_and_grad(f_scalar)(X)
    assert value == pytest.approx(float(np.sum(np.sin(X) * np.exp(0.3 * X))), rel=1e-15)
    np.testing.assert_allclose(g, df_scalar(X), rtol=1e-14)


def test_argnums_tuple_and_python_floats() -> None:
    def f(x, y, z):
        return x * y**2 + rnp.sin(z)

    gx, gz = rf.grad(f, argnums=(0, 2))(1.5, 2.0, 0.5)
    assert gx == pytest.approx(4.0)
    assert gz == pytest.approx(np.cos(0.5))
    assert rf.grad(f, argnums=-2)(1.5, 2.0, 0.5) == pytest.approx(6.0)


def test_vjp_returns_one_cotangent_per_primal_and_can_be_reused() -> None:
    a, b = np.array([1.0, 2.0]), np.array([[3.0], [4.0]])
    out, vjp_fn = rf.vjp(lambda a, b: a * b, a, b)
    assert out.shape == (2, 2)
    ct = np.array([[1.0, 10.0], [100.0, 1000.0]])
    first = vjp_fn(ct)
    second = vjp_fn(ct)
    assert isinstance(first, tuple) and len(first) == 2
    np.testing.assert_allclose(first[0], [3 + 400, 30 + 4000])  # summed over the broadcast axis
    np.testing.assert_allclose(first[1], [[1 + 20], [100 + 2000]])
    for u, v in zip(first, second):
        np.testing.assert_array_equal(u, v)


def test_jvp_is_forward_mode() -> None:
    out, t = rf.jvp(f_scalar, (X,), (np.array([1.0, 0.0, 2.0]),))
    assert out == pytest.approx(float(f_scalar(X)))
    assert t == pytest.approx(float(df_scalar(X) @ [1.0, 0.0, 2.0]), rel=1e-14)


def test_jvp_does_not_use_the_tape(monkeypatch) -> None:
    # Forward mode must never touch reverse mode: make the tape unusable and run jvp.
    from refengine import traces

    def broken(*args, **kwargs):
        raise AssertionError("jvp recorded a tape")

    monkeypatch.setattr(traces.ReverseTrace, "process", broken)
    rf.jvp(f_scalar, (X,), (np.ones(3),))


def test_jacobian_and_jacfwd_agree_with_closed_form() -> None:
    def f(x):
        return rnp.stack([x[0] * x[1], rnp.sin(x[2]), x[0] ** 2])

    want = np.array([[X[1], X[0], 0], [0, 0, np.cos(X[2])], [2 * X[0], 0, 0]])
    np.testing.assert_allclose(rf.jacobian(f)(X), want, rtol=1e-14)
    np.testing.assert_allclose(rf.jacfwd(f)(X), want, rtol=1e-14)


def test_jacobian_shapes_follow_out_then_in() -> None:
    x = np.ones((2, 3))
    assert rf.jacobian(lambda x: x.T * 2.0)(x).shape == (3, 2, 2, 3)
    assert rf.jacfwd(lambda x: rnp.sum(x, axis=0))(x).shape == (3, 2, 3)


def test_hessian_and_hvp() -> None:
    def f(x):
        return rnp.sum(x**3) + x[0] * x[1]

    x = np.array([1.0, 2.0, -1.0])
    want = np.diag(6 * x) + np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(rf.hessian(f)(x), want)
    v = np.array([0.5, -1.0, 2.0])
    (hv,) = rf.hvp(f, (x,), (v,))
    np.testing.assert_allclose(hv, want @ v)


def test_third_derivative_by_nesting() -> None:
    d3 = rf.grad(rf.grad(rf.grad(rnp.sin)))
    assert d3(0.7) == pytest.approx(-np.cos(0.7), rel=1e-15)
    mixed = rf.grad(lambda x: rf.jvp(rf.grad(rnp.exp), (x,), (1.0,))[1])
    assert mixed(0.4) == pytest.approx(np.exp(0.4), rel=1e-15)


def test_no_perturbation_confusion() -> None:
    # d/dx [ x * d/dy (x + y) ] = 1: the inner derivative must not see x's perturbation.
    def outer(x):
        return x * rf.jvp(lambda y: x + y, (1.0,), (1.0,))[1]

    assert rf.jvp(outer, (2.0,), (1.0,))[1] == pytest.approx(1.0)
    assert rf.grad(outer)(2.0) == pytest.approx(1.0)
    assert rf.grad(lambda x: x * rf.grad(lambda y: x * y)(3.0))(2.0) == pytest.approx(4.0)


def test_output_independent_of_input_gives_zeros_of_its_shape_and_dtype() -> None:
    x = np.ones((2, 3), dtype=np.float32)
    g = rf.grad(lambda x: np.float32(3.0) * np.ones(()))(x)
    assert g.shape == (2, 3) and g.dtype == np.float32 and not g.any()
    gx, gy = rf.grad(lambda x, y: rnp.sum(y), argnums=(0, 1))(x, np.ones(2))
    assert gx.shape == (2, 3) and not gx.any()
    np.testing.assert_array_equal(gy, np.ones(2))
    _, t = rf.jvp(lambda x: np.ones(4), (x,), (x,))
    np.testing.assert_array_equal(t, np.zeros(4))


# --- structures --------------------------------------------------------------------------------
def test_nested_containers() -> None:
    params = {"w": np.array([1.0, 2.0]), "layers": [np.array(3.0), (np.array([4.0]),)]}

    def f(p):
        return rnp.sum(p["w"] ** 2) * p["layers"][0] + rnp.sum(p["layers"][1][0])

    g = rf.grad(f)(params)
    np.testing.assert_allclose(g["w"], 2 * params["w"] * 3.0)
    assert g["layers"][0] == pytest.approx(5.0)
    np.testing.assert_allclose(g["layers"][1][0], [1.0])
    _, t = rf.jvp(f, (params,), (params,))
    assert t == pytest.approx(2 * 5.0 * 3.0 + 5.0 * 3.0 + 4.0)


# --- dtypes ------------------------------------------------------------------------------------
def _mixed_float32(x, w):
    h = rnp.tanh(x @ w + 0.5)
    return rnp.mean((h - 1.0) ** 2) + 0.01 * rnp.sum(w * w) + rnp.max(rnp.abs(h)) / 3


def test_float32_stays_float32_all_the_way(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    casts = []
    original = P.astype.impl
    monkeypatch.setattr(P.astype, "impl", lambda v, *, dtype: casts.append(dtype) or original(
        v, dtype=dtype))
    value, (gx, gw) = rf.value_and_grad(_mixed_float32, argnums=(0, 1))(x, w)
    assert value.dtype == gx.dtype == gw.dtype == np.float32
    assert casts == [], f"a float32 computation needed casts {casts}: a cotangent was widened"
    _, t = rf.jvp(_mixed_float32, (x, w), (x, w))
    assert t.dtype == np.float32
    h = rf.hessian(lambda w: _mixed_float32(x, w))(w)
    assert h.dtype == np.float32


def test_mixed_precision_cotangent_takes_the_inputs_dtype() -> None:
    x32 = np.ones(3, dtype=np.float32)
    g = rf.grad(lambda x: rnp.sum(x * np.array([1.0, 2.0, 3.0])))(x32)  # computed in float64
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [1, 2, 3])


# --- NumPy protocols and the array interface ---------------------------------------------------
def test_numpy_functions_on_traced_values_are_traced() -> None:
    def f(x):
        return np.sum(np.sin(x) ** 2) + np.linalg.det(np.outer(x, x) + np.eye(3)) + np.mean(x)

    x = np.array([0.1, 0.2, 0.3])
    g = rf.grad(f)(x)
    want = 2 * np.sin(x) * np.cos(x) + 2 * x + 1 / 3  # det(I + x x^T) = 1 + |x|^2
    np.testing.assert_allclose(g, want, rtol=1e-12)


@pytest.mark.parametrize(
    ("convert", "match"),
    [(np.asarray, "np.asarray"), (float, "float"), (lambda t: np.unwrap(t), "unwrap")],
    ids=["asarray", "float", "unsupported-numpy-function"],
)
def test_conversions_that_would_drop_the_derivative_raise(convert, match) -> None:
    with pytest.raises(TypeError, match=match):
        rf.grad(lambda x: convert(x) * x)(1.5)


def test_array_interface_of_tracers() -> None:
    def f(x):
        assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
        assert x.dtype == np.float64
        rows = [r for r in x]  # iteration follows the first axis
        return (x.T @ x).sum() + rows[1].sum() + x.reshape(3, 2).mean() + x.std() + abs(-x).max()

    x = np.arange(6.0).reshape(2, 3)
    g = rf.grad(f)(x)
    assert g.shape == (2, 3) and np.all(np.isfinite(g))


def test_indexing_accumulates_repeated_indices() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    g = rf.grad(lambda x: rnp.sum(x[[0, 0, 2, 0]] * np.array([1.0, 2.0, 3.0, 4.0])))(x)
    np.testing.assert_array_equal(g, [7.0, 0.0, 3.0, 0.0])
    g = rf.grad(lambda x: rnp.sum(x[x > 2.5]) + x[..., None][1, 0] + x[::-2].sum())(x)
    np.testing.assert_array_equal(g, [0.0, 2.0, 1.0, 2.0])


def test_comparisons_and_branches() -> None:
    def f(x):
        return rnp.sum(x**2) if rnp.sum(x) > 0 else rnp.sum(-x)

    np.testing.assert_array_equal(rf.grad(f)(np.array([1.0, 2.0])), [2.0, 4.0])
    np.testing.assert_array_equal(rf.grad(f)(np.array([-1.0, -2.0])), [-1.0, -1.0])


def test_loop_with_data_dependent_trip_count() -> None:
    def f(x):
        while x < 10.0:
            x = x * 2.0
        return x

    assert rf.grad(f)(1.5) == pytest.approx(8.0)  # 1.5 -> 12 after three doublings


# --- clear errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "x", [np.arange(3), np.array([True, False]), 3], ids=["int", "bool", "py-int"]
)
def test_differentiating_integer_or_bool_input_is_a_type_error(x) -> None:
    with pytest.raises(TypeError, match="differentiated"):
        rf.grad(lambda x: rnp.sum(x * 1.0))(x)


def test_grad_of_non_scalar_points_to_vjp_and_jacobian() -> None:
    with pytest.raises(ValueError, match=r"rf.vjp.*rf.jacobian"):
        rf.grad(lambda x: x * 2.0)(np.ones(3))


def test_argnums_out_of_range() -> None:
    with pytest.raises(ValueError, match="argnums=2 is out of range"):
        rf.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_shapes_that_do_not_broadcast_name_the_op() -> None:
    with pytest.raises(ValueError, match=r"'add'.*could not be broadcast"):
        rf.grad(lambda x: rnp.sum(x + np.ones(4)))(np.ones(3))


def test_primitive_without_a_rule_is_named() -> None:
    mystery = Primitive("mystery", np.sin)
    with pytest.raises(NotImplementedError, match="'mystery'"):
        rf.grad(lambda x: rnp.sum(mystery(x)))(np.ones(2))
    with pytest.raises(NotImplementedError, match="'mystery'"):
        rf.jvp(lambda x: mystery(x), (np.ones(2),), (np.ones(2),))


def test_data_argument_of_a_primitive_is_named() -> None:
    with pytest.raises(NotImplementedError, match="argument 0 of 'where'"):
        rf.grad(lambda x: rnp.sum(P.where(x, x, x)))(np.ones(2))


def test_traced_index_is_refused() -> None:
    with pytest.raises(TypeError, match="index may not be a traced"):
        rf.grad(lambda x: x[x])(np.ones(2))


def test_in_place_assignment_is_refused() -> None:
    def f(x):
        x[0] = 1.0
        return rnp.sum(x)

    with pytest.raises(TypeError, match="in-place assignment"):
        rf.grad(f)(np.ones(2))


def test_escaped_tracer_is_refused() -> None:
    leaked = []
    rf.grad(lambda x: leaked.append(x) or x * 2.0)(1.0)
    with pytest.raises(rf.EscapedTracerError):
        leaked[0] * 3.0


def test_bad_cotangent_and_tangent_shapes() -> None:
    _, vjp_fn = rf.vjp(lambda x: x * 2.0, np.ones(3))
    with pytest.raises(ValueError, match=r"cotangent 0 has shape \(2,\)"):
        vjp_fn(np.ones(2))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\)"):
        rf.jvp(lambda x: x, (np.ones(3),), (np.ones(2),))


def test_partial_in_holds_the_other_arguments_fixed() -> None:
    """The one 'function of some arguments only' wrapper (rf.grad, the adapters, Case.bind)."""
    from refengine.tree import partial_in

    def f(a, b, c, *, scale):
        return scale * (100 * a + 10 * b + c)

    g, diff = partial_in(f, (1, 2, 3), (2, 0), {"scale": 2})
    assert diff == [3, 1]
    assert g(*diff) == 2 * 123
    assert g(5, 7) == 2 * (100 * 7 + 10 * 2 + 5)
    with pytest.raises(ValueError):  # one argument per position, never silently fewer
        g(5)
