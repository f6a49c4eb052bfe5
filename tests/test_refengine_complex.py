"""Complex numbers in refengine: HIPS autograd's convention, exactly, and the checker on them.

- values and gradients (reverse, forward, second order) against HIPS autograd's on the same
  functions, written once against a NumPy-like module;
- every function through ``rf.check_grads`` (finite differences along the real and imaginary
  directions, both modes, order 2);
- the derivative table's complex-capable entries at complex points, through the table's own
  machinery (tests/rulecheck.py), and the real-only ones refusing complex operands by name;
- negative controls: a rule with a missing conjugate is caught by both checkers.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine import primitives as P
from refengine import primitives_complex as PC
from refengine.check import ADFunctions, check_derivatives
from refengine.comparison import GradientCheckError
from refengine.derivatives import TABLE
from refengine.derivatives_complex import COMPLEX_CAPABLE, REAL_ONLY

from .rule_samples import SAMPLES, Sample, complexified
from .rulecheck import check_first_order, check_second_order, perturbed

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

# Kinks and branch points produce honest NumPy warnings in the finite differences.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _z(*shape: int, seed: int = 0, positive: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    re = rng.uniform(0.5, 1.5, shape) if positive else rng.uniform(-1.5, 1.5, shape)
    return re + 1j * rng.uniform(-1.0, 1.0, shape)


def _matrix(seed: int = 1) -> np.ndarray:
    return np.eye(3) + 0.3 * _z(3, 3, seed=seed)


# Each function is written once against a NumPy-like module ``m`` (refengine.numpy or
# autograd.numpy); (name, function, input). Real-valued ones first, then complex-valued.
REAL_VALUED: list[tuple[str, Callable[[Any], Callable[[Any], Any]], np.ndarray]] = [
    ("abs-squared", lambda m: lambda z: m.sum(m.abs(z) ** 2), _z(5)),
    ("z-conj-z", lambda m: lambda z: m.real(m.sum(z * m.conj(z))), _z(5)),
    ("abs", lambda m: lambda z: m.sum(m.abs(z)), _z(5)),
    ("real-imag", lambda m: lambda z: m.sum(m.real(m.sin(z)) * m.imag(z)), _z(4)),
    ("exp-log", lambda m: lambda z: m.real(m.sum(m.exp(z) * m.log(z))), _z(4, positive=True)),
    ("sqrt-tanh", lambda m: lambda z: m.sum(m.imag(m.sqrt(z) + m.tanh(z))), _z(4, positive=True)),
    ("cos-sinh-arctan", lambda m: lambda z: m.sum(m.abs(m.cos(z) * m.sinh(z) + m.arctan(z))),
     _z(4)),
    ("angle", lambda m: lambda z: m.sum(m.angle(z) ** 2), _z(5)),
    ("arithmetic", lambda m: lambda z: m.sum(m.abs(z * z / (z + 2.0) - z ** 3 + 1.0 / z)), _z(4)),
    ("power", lambda m: lambda z: m.real(m.sum(z ** 2.5 + z ** (0.5 + 0.3j))),
     _z(3, positive=True)),
    ("matmul-dot", lambda m: lambda z: m.abs(m.sum(m.dot(m.outer(z, z), m.conj(z)))), _z(4)),
    ("einsum", lambda m: lambda z: m.abs(m.einsum("ij,jk->", m.reshape(z, (2, 3)),
                                                  m.reshape(z, (3, 2)))), _z(6)),
    ("sum-mean-reshape-index", lambda m: lambda z: m.sum(m.abs(m.reshape(z, (2, 3))[:, 1:]))
     + m.real(m.mean(z)) + m.imag(z[4]), _z(6)),
    ("prod-cumsum", lambda m: lambda z: m.real(m.prod(z)) + m.imag(m.sum(m.cumsum(z))), _z(4)),
    ("var-std", lambda m: lambda z: m.var(z) + m.std(z), _z(5)),
    ("fft", lambda m: lambda z: m.sum(m.abs(m.fft.fft(z)) ** 2 * m.arange(6.0)), _z(6)),
    ("ifft", lambda m: lambda z: m.sum(m.real(m.fft.ifft(z * z)) ** 3), _z(6)),
    ("fft2-ifft2", lambda m: lambda z: m.sum(m.abs(m.fft.ifft2(m.sin(m.fft.fft2(z))))), _z(2, 3)),
    ("fftn-ifftn", lambda m: lambda z: m.sum(m.imag(m.fft.fftn(z) * m.fft.ifftn(m.conj(z)))),
     _z(2, 2, 3)),
    ("fftshift", lambda m: lambda z: m.sum(m.real(m.fft.fftshift(z)) * m.arange(5.0)
                                            + m.imag(m.fft.ifftshift(z)) ** 2), _z(5)),
    ("norm", lambda m: lambda z: m.linalg.norm(z) * m.linalg.norm(m.sin(z)), _z(4)),
    ("linalg", lambda m: lambda a: m.real(m.linalg.det(a)) + m.abs(m.sum(m.linalg.inv(a)))
     + m.sum(m.imag(m.linalg.solve(a, m.ones(3)))), _matrix()),
]
COMPLEX_VALUED = [
    ("sin-times-conj", lambda m: lambda z: m.sin(z) * m.conj(z), _z(4)),
    ("fft-of-abs", lambda m: lambda z: m.fft.fft(m.abs(z) * z), _z(4)),
    ("matmul", lambda m: lambda z: m.dot(m.reshape(z, (2, 2)), m.conj(m.reshape(z, (2, 2)))),
     _z(4)),
]
# Real input, complex inside.
REAL_INPUT = [
    ("rfft-even", lambda m: lambda x: m.sum(m.abs(m.fft.rfft(x)) ** 2 * m.arange(5.0)),
     np.linspace(-1.0, 2.0, 8)),
    ("irfft-of-rfft", lambda m: lambda x: m.sum(m.fft.irfft(m.fft.rfft(x) * (1.0 + 2.0j)) ** 3),
     np.linspace(-1.0, 2.0, 8)),
    ("times-i", lambda m: lambda x: m.sum(m.abs(x * (1.0 + 1.0j) + 2.0j) ** 3),
     np.linspace(-1.0, 2.0, 4)),
]
CASES = REAL_VALUED + COMPLEX_VALUED + REAL_INPUT
# Where autograd's own forward rule is wrong on complex input (found here; refengine's JVP is
# held to finite differences by check_grads and to autograd's VJP by the pairing instead).
AUTOGRAD_JVP_WRONG = {
    "norm": "autograd's norm JVP is sum(t * conj(x)) / |x| without the real part: a complex "
            "tangent for a real output (autograd 1.9.1, numpy/linalg.py norm_jvp); its real "
            "part is right",
}
IDS = [c[0] for c in CASES]


def _cotangent(out: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(np.shape(out))
    return u + 1j * rng.standard_normal(np.shape(out)) if np.iscomplexobj(out) else u


def _direction(z: np.ndarray, seed: int) -> np.ndarray:
    return _cotangent(z, seed)  # complex for a complex input, real for a real one


def _assert_same(got: Any, want: Any, what: str) -> None:
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-11, atol=1e-12,
                               err_msg=what)


# --- the convention, exactly autograd's ----------------------------------------------------------
@pytest.mark.parametrize(("name", "make", "z"), CASES, ids=IDS)
def test_value_vjp_and_jvp_equal_autograds(name: str, make: Callable, z: np.ndarray) -> None:
    from autograd import make_jvp, make_vjp

    f, g = make(rnp), make(anp)
    out, vjp_fn = rf.vjp(f, z)
    vjp_ag, out_ag = make_vjp(g)(z)
    _assert_same(out, out_ag, f"{name}: value")
    u = _cotangent(out, 1)
    got = vjp_fn(u)[0]
    assert got.dtype == z.dtype, f"{name}: the gradient keeps the input's dtype"
    _assert_same(got, vjp_ag(u), f"{name}: VJP")
    v = _direction(z, 2)
    _, t = rf.jvp(f, (z,), (v,))
    # The convention's pairing Re(sum(u * J v)) = Re(sum(J^T u * v)), with autograd's VJP.
    _assert_same(np.real(np.sum(u * t)), np.real(np.sum(vjp_ag(u) * v)), f"{name}: pairing")
    try:
        want = make_jvp(g)(z)(v)[1]
    except NotImplementedError:  # autograd has no forward rules for numpy.fft
        return
    if name in AUTOGRAD_JVP_WRONG:
        assert np.any(np.imag(want) != 0), f"autograd's {name} JVP is right now: compare it again"
        want = np.real(want)
    _assert_same(t, want, f"{name}: JVP")


@pytest.mark.parametrize(("name", "make", "z"), REAL_VALUED + REAL_INPUT,
                         ids=[c[0] for c in REAL_VALUED + REAL_INPUT])
def test_grad_and_second_order_equal_autograds(name: str, make: Callable, z: np.ndarray) -> None:
    f, g = make(rnp), make(anp)
    _assert_same(rf.grad(f)(z), autograd.grad(g)(z), f"{name}: grad")
    # Second order: the gradient of Re(sum(grad f(z) * w)) for a fixed w, in both engines.
    w = _direction(z, 3)
    second = rf.grad(lambda z: rnp.real(rnp.sum(rf.grad(f)(z) * w)))(z)
    want = autograd.grad(lambda z: anp.real(anp.sum(autograd.grad(g)(z) * w)))(z)
    _assert_same(second, want, f"{name}: second order")


def test_vdot_and_vecdot_conjugate_their_first_argument_as_numpy() -> None:
    z, w = _z(3), _z(3, seed=5)
    np.testing.assert_allclose(rnp.vdot(z, w), np.vdot(z, w), rtol=1e-14)
    np.testing.assert_allclose(rnp.vecdot(z, w), np.vecdot(z, w), rtol=1e-14)
    got = rf.grad(lambda z: rnp.abs(rnp.vdot(z, w)))(z)
    want = autograd.grad(lambda z: anp.abs(anp.dot(anp.conj(z), w)))(z)  # autograd: no vdot VJP
    _assert_same(got, want, "vdot")


def test_grad_of_a_real_function_is_df_dx_minus_i_df_dy() -> None:
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    np.testing.assert_allclose(rf.grad(lambda z: rnp.sum(rnp.abs(z) ** 2))(z), 2 * np.conj(z))
    np.testing.assert_allclose(rf.grad(lambda z: rnp.sum(rnp.imag(z)))(z), -1j * np.ones(2))


def test_grad_of_the_real_part_of_a_holomorphic_function_is_its_derivative() -> None:
    z = np.array(0.3 - 1.2j)
    np.testing.assert_allclose(rf.grad(lambda z: rnp.real(rnp.sin(z) * z))(z),
                               np.cos(z) * z + np.sin(z), rtol=1e-14)


def test_grad_of_a_complex_output_says_how_to_get_the_derivative() -> None:
    with pytest.raises(TypeError, match=r"rnp\.real\(f\(z\)\)"):
        rf.grad(rnp.sin)(np.array(1.0 + 1.0j))


def test_dtypes_complex64_stays_complex64_and_a_real_input_gets_a_real_gradient() -> None:
    z = _z(3).astype(np.complex64)
    g = rf.grad(lambda z: rnp.sum(rnp.abs(rnp.exp(z))))(z)
    assert g.dtype == np.complex64
    _, t = rf.jvp(lambda z: rnp.exp(z), (z,), (np.ones(3, np.complex64),))
    assert t.dtype == np.complex64
    x = np.array([0.3, -0.7])
    gx, gz = rf.grad(lambda x, z: rnp.sum(rnp.abs(x * z) ** 2), argnums=(0, 1))(x, _z(2))
    assert gx.dtype == np.float64 and gz.dtype == np.complex128
    np.testing.assert_allclose(gx, 2 * x * np.abs(_z(2)) ** 2)


def test_a_complex_tangent_for_a_real_input_is_refused() -> None:
    with pytest.raises(TypeError, match="tangent 0 is complex"):
        rf.jvp(rnp.sin, (np.ones(2),), (np.ones(2) * 1j,))


def test_sign_of_complex_values_is_z_over_abs_z_and_differentiated_as_such() -> None:
    z = _z(3)
    np.testing.assert_allclose(rnp.sign(z), np.sign(z))
    rf.check_grads(lambda z: rnp.sign(z), (z,))


# --- the checker on complex functions ------------------------------------------------------------
# check_grads at order 2 costs ~0.45 s a function here (order 1: ~0.09 s): the default run checks
# these at order 2 and the others at order 1; --gp-slow (or -m slow) checks all at order 2.
SECOND_ORDER_BY_DEFAULT = {"abs", "angle", "z-conj-z", "var-std", "fft", "linalg",
                           "sin-times-conj", "irfft-of-rfft", "irfft-odd-n", "rfftn"}


def _order(request: pytest.FixtureRequest, name: str) -> int:
    config = request.config
    everything = config.getoption("--gp-slow", default=False) or "slow" in (
        config.option.markexpr or "")
    return 2 if everything or name in SECOND_ORDER_BY_DEFAULT else 1


@pytest.mark.parametrize(("name", "make", "z"), CASES, ids=IDS)
def test_check_grads_passes_both_modes(request: pytest.FixtureRequest, name: str,
                                       make: Callable, z: np.ndarray) -> None:
    order = _order(request, name)
    results = rf.check_grads(make(rnp), (z,), order=order, rng=zlib.crc32(name.encode()))
    assert [c.passed for c in results] == [True] * (2 if order == 1 else 6)


def test_check_grads_names_the_real_and_imaginary_directions() -> None:
    results = rf.check_grads(lambda z: rnp.abs(z), (_z(2),), order=1)
    assert all("real pairs" in c.note for c in results)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_check_grads_catches_a_missing_conjugate(mode: str) -> None:
    # abs's rule with conj(z) / |z| replaced by z / |z| (in forward mode: Re(t z) / |z|).
    def wrong_vjp(g, ans, x):
        return g * x / ans

    def wrong_jvp(t, ans, x):
        return PC.real(t * x) / ans

    rule = {"rev": "vjp", "fwd": "jvp"}[mode]
    original = getattr(P.abs, rule)
    setattr(P.abs, rule, (wrong_vjp if mode == "rev" else wrong_jvp,))
    try:
        with pytest.raises(GradientCheckError, match="disagrees with finite differences"):
            rf.check_grads(lambda z: rnp.abs(z), (_z(3),), modes=(mode,), order=1)
    finally:
        setattr(P.abs, rule, original)


def test_check_grads_catches_a_conjugated_holomorphic_rule() -> None:
    with perturbed(P.sin, "vjp", rnp.conj):
        with pytest.raises(GradientCheckError):
            rf.check_grads(lambda z: rnp.real(rnp.sin(z)), (_z(3),), modes=("rev",), order=1)


def test_check_grads_catches_an_error_in_the_second_derivative_only() -> None:
    # 0.1 % of (c - stop_gradient(c)): zero in value, so first order stays exact.
    with perturbed(P.exp, "vjp", lambda c: c + 1e-3 * (c - rf.stop_gradient(c))):
        rf.check_grads(lambda z: rnp.abs(rnp.exp(z)), (_z(3),), order=1)
        with pytest.raises(GradientCheckError, match="VJP of"):
            rf.check_grads(lambda z: rnp.abs(rnp.exp(z)), (_z(3),), order=2)


def test_an_ad_system_without_a_complex_view_is_refused_clearly() -> None:
    ad = ADFunctions(jvp=rf.jvp, vjp=rf.vjp)
    with pytest.raises(TypeError, match="complex_view"):
        check_derivatives(rnp.sin, (_z(2),), ad=ad)
    with pytest.raises(TypeError, match="complex_view"):
        check_derivatives(lambda x: rnp.fft.fft(x), (np.ones(4),), ad=ad)


# --- the derivative table on complex operands ----------------------------------------------------
def test_every_entry_is_complex_capable_or_real_only() -> None:
    both = COMPLEX_CAPABLE & set(REAL_ONLY)
    assert not both, f"listed as both: {sorted(both)}"
    unlisted = set(TABLE) - COMPLEX_CAPABLE - set(REAL_ONLY)
    assert not unlisted, (
        f"entries neither in COMPLEX_CAPABLE nor REAL_ONLY (refengine/derivatives_complex.py): "
        f"{sorted(unlisted)}; list each, and for REAL_ONLY ones call guard_real_only_rules")
    assert set(TABLE) >= COMPLEX_CAPABLE | set(REAL_ONLY)


def test_the_complex_primitives_are_in_the_table() -> None:
    for name in PC.__all__:
        assert getattr(PC, name).name in TABLE, name


NATIVE = {"real", "imag", "conj", "fftn", "ifftn", "rfft", "irfft"}  # sampled complex already
COMPLEX_SAMPLES = [complexified(s) for s in SAMPLES
                   if s.name in COMPLEX_CAPABLE and s.name not in NATIVE]
REAL_ONLY_SAMPLES = [complexified(s) for s in SAMPLES if s.name in REAL_ONLY]
COMPLEX_IDS = [s.id for s in COMPLEX_SAMPLES]


def test_every_complex_capable_entry_has_a_complex_sample() -> None:
    sampled = {s.name for s in COMPLEX_SAMPLES} | NATIVE
    assert sampled == COMPLEX_CAPABLE


@pytest.mark.parametrize("sample", COMPLEX_SAMPLES, ids=COMPLEX_IDS)
def test_complex_first_order(sample: Sample) -> None:
    check_first_order(sample)


@pytest.mark.parametrize("sample", COMPLEX_SAMPLES, ids=COMPLEX_IDS)
def test_complex_second_order(sample: Sample) -> None:
    check_second_order(sample)


@pytest.mark.parametrize("sample", REAL_ONLY_SAMPLES, ids=[s.id for s in REAL_ONLY_SAMPLES])
def test_a_real_only_entry_refuses_complex_operands_by_name(sample: Sample) -> None:
    # Either NumPy has no complex loop (the forward pass raises, naming its ufunc), or the
    # rule raises naming the entry: never a gradient.
    with pytest.raises(TypeError, match=rf"'{sample.name}'|not supported for the input types"):
        check_first_order(sample)


CONTROLS = [s for s in COMPLEX_SAMPLES
            if s.id in ("abs-complex", "multiply-complex", "matmul-2d-complex", "det-complex",
                        "einsum-ij,jk->ik-complex")]


def test_controls_exist() -> None:
    assert len(CONTROLS) == 5


@pytest.mark.parametrize("sample", CONTROLS, ids=[s.id for s in CONTROLS])
def test_the_table_check_catches_a_conjugated_cotangent(sample: Sample) -> None:
    prim = TABLE[sample.name]
    with perturbed(prim, "vjp", rnp.conj):
        with pytest.raises(AssertionError):
            check_first_order(sample)


@pytest.mark.parametrize("name", ["real", "imag", "conj"])
def test_the_table_check_catches_a_wrong_part_rule(name: str) -> None:
    # real's, imag's and conj's VJPs multiplied by i.
    sample = next(s for s in SAMPLES if s.name == name)
    with perturbed(TABLE[name], "vjp", lambda c: c * 1j):
        with pytest.raises(AssertionError):
            check_first_order(sample)


# --- Jacobians: complete only for holomorphic functions, so they must be asked for ------------
def test_jacobians_of_a_holomorphic_function_are_its_derivative() -> None:
    z = _z(3)
    want = np.diag(np.cos(z))
    np.testing.assert_allclose(rf.jacobian(rnp.sin, holomorphic=True)(z), want, rtol=1e-14)
    np.testing.assert_allclose(rf.jacfwd(rnp.sin, holomorphic=True)(z), want, rtol=1e-14)


def test_jacobian_of_a_real_output_is_the_stacked_gradients_as_autograds() -> None:
    z = _z(3)
    np.testing.assert_allclose(rf.jacobian(rnp.abs)(z), autograd.jacobian(anp.abs)(z),
                               rtol=1e-14)


@pytest.mark.parametrize("transform", [rf.jacobian, rf.jacfwd, rf.hessian],
                         ids=["jacobian", "jacfwd", "hessian"])
def test_jacobians_that_would_be_incomplete_raise(transform) -> None:
    f = (lambda z: rnp.sum(rnp.abs(z) ** 2)) if transform is rf.hessian else rnp.conj
    with pytest.raises(TypeError, match="holomorphic=True"):
        transform(f)(_z(3))


def test_abs_at_complex_zero_has_derivative_zero_in_both_modes_and_second_order() -> None:
    zero = np.zeros(2, complex)
    np.testing.assert_array_equal(rf.grad(lambda z: rnp.sum(rnp.abs(z)))(zero), zero)
    np.testing.assert_array_equal(rf.jvp(rnp.abs, (zero,), (np.ones(2, complex),))[1],
                                  np.zeros(2))
    (hv,) = rf.hvp(lambda z: rnp.sum(rnp.abs(z)), (zero,), (np.ones(2, complex),))
    assert np.all(np.isfinite(hv))


def test_check_grads_on_complex64_and_mixed_real_and_complex_arguments() -> None:
    z = _z(3).astype(np.complex64)
    results = rf.check_grads(lambda z: rnp.abs(rnp.exp(z) * z), (z,))
    assert all(c.passed for c in results)
    results = rf.check_grads(lambda x, z: rnp.sin(x * z) + rnp.conj(z), (np.ones(3) * 0.7, _z(3)))
    assert [c.passed for c in results] == [True] * 6
    assert "complex argument 1" in results[0].note


# --- rnp.fft's forms: n/s padding and truncation, odd lengths, several axes -----------------------
FFT_FORMS = [
    ("fft-padded", lambda m: lambda z: m.fft.fft(z, n=8), _z(6)),
    ("fft-truncated-axis0", lambda m: lambda z: m.fft.fft(z, n=2, axis=0), _z(3, 2)),
    ("ifft-ortho", lambda m: lambda z: m.fft.ifft(z, norm="ortho"), _z(5)),
    ("fftn-s", lambda m: lambda z: m.fft.fftn(z, s=(3, 4), axes=(0, 1)), _z(2, 5)),
    ("ifft2-forward", lambda m: lambda z: m.fft.ifft2(z, norm="forward"), _z(3, 3)),
    ("rfft-odd", lambda m: lambda x: m.fft.rfft(x), np.linspace(-1.0, 2.0, 7)),
    ("rfft-padded", lambda m: lambda x: m.fft.rfft(x, n=9), np.linspace(-1.0, 2.0, 6)),
    ("irfft-odd-n", lambda m: lambda z: m.fft.irfft(z, n=7), _z(4)),
    ("irfft-default", lambda m: lambda z: m.fft.irfft(z, norm="ortho"), _z(4)),
    ("rfftn", lambda m: lambda x: m.fft.rfftn(x), np.linspace(-1.0, 2.0, 12).reshape(3, 4)),
    ("rfft2-s", lambda m: lambda x: m.fft.rfft2(x, s=(2, 5)),
     np.linspace(-1.0, 2.0, 12).reshape(3, 4)),
    ("irfftn", lambda m: lambda z: m.fft.irfftn(z, s=(3, 5), axes=(0, 1)), _z(3, 3)),
    ("irfft2", lambda m: lambda z: m.fft.irfft2(z), _z(2, 3)),
    ("shifts-axes", lambda m: lambda z: m.fft.ifftshift(m.fft.fftshift(z, axes=1) * 2.0, axes=(0,)),
     _z(3, 4)),
]


@pytest.mark.parametrize(("name", "make", "x"), FFT_FORMS, ids=[f[0] for f in FFT_FORMS])
def test_fft_forms_match_numpy_and_pass_check_grads(request: pytest.FixtureRequest, name: str,
                                                    make: Callable, x: np.ndarray) -> None:
    np.testing.assert_allclose(make(rnp)(x), make(np)(x), rtol=1e-13, atol=1e-13)
    order = _order(request, name)
    results = rf.check_grads(make(rnp), (x,), order=order, rng=zlib.crc32(name.encode()))
    assert [c.passed for c in results] == [True] * (2 if order == 1 else 6)


def test_fft_of_float32_stays_single_precision() -> None:
    x = np.linspace(-1.0, 1.0, 8, dtype=np.float32)
    assert rnp.fft.fft(x).dtype == np.complex64
    g = rf.grad(lambda x: rnp.sum(rnp.abs(rnp.fft.rfft(x)) ** 2))(x)
    assert g.dtype == np.float32


NATIVE_CONTROLS = [s for s in SAMPLES if s.id in ("fftn-axis1", "ifftn-2d-forward", "rfft-even",
                                                  "irfft-odd-ortho", "irfft-padded")]


def test_native_controls_exist() -> None:
    assert len(NATIVE_CONTROLS) == 5


@pytest.mark.parametrize("sample", NATIVE_CONTROLS, ids=[s.id for s in NATIVE_CONTROLS])
@pytest.mark.parametrize("mode", ["vjp", "jvp"])
def test_a_transform_rule_off_by_a_tenth_of_a_percent_fails(sample: Sample, mode: str) -> None:
    with perturbed(TABLE[sample.name], mode, lambda c: c * 1.001):
        with pytest.raises(AssertionError):
            check_first_order(sample)


@pytest.mark.parametrize("sample", NATIVE_CONTROLS[:2], ids=[s.id for s in NATIVE_CONTROLS[:2]])
def test_a_transform_vjp_with_the_inverse_transform_fails(sample: Sample) -> None:
    # The transpose of fft is fft, not its inverse (the adjoint's mistake, off by n and a
    # conjugation): swapped in, the table check fails.
    prim = TABLE[sample.name]
    other = PC.ifftn if prim is PC.fftn else PC.fftn
    original = prim.vjp
    prim.vjp = (lambda g, ans, x, *, axes, norm: other(g, axes=axes, norm=norm),)
    try:
        with pytest.raises(AssertionError):
            check_first_order(sample)
    finally:
        prim.vjp = original
