"""The registry, lazy imports, a missing framework, plug-ins, error capture, prepared
callables (jit compile once, report tracing) and thread settings."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import adapters
from adapters.base import Adapter
from adapters.outcomes import FrameworkError, Outcome, Unsupported, attempt

from .adapter_support import require

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = {"torch": "torch", "jax": "jax", "tensorflow": "tensorflow",
              "autograd": "autograd"}
X = np.random.default_rng(3).normal(size=(3, 4))




def run_python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def sin_sum(xp: Any, x: Any) -> Any:
    return xp.sum(xp.sin(x))


# --- registry --------------------------------------------------------------------------------
def test_names_and_shared_instances() -> None:
    assert adapters.names()[:6] == ["numpy", "refengine", "torch", "jax", "tensorflow",
                                    "autograd"]
    assert adapters.get("torch") is adapters.get("torch")
    assert [a.name for a in adapters.all()] == adapters.names()


def test_a_device_the_framework_does_not_see_is_unavailable_not_a_crash() -> None:
    torch = require("torch")
    if "cuda" in torch.devices():
        pytest.skip("this machine has a CUDA device")
    cuda = adapters.get("torch", "cuda")
    assert cuda is not torch and not cuda.available()
    assert "no CUDA device" in cuda.available().reason


def test_unknown_name_lists_the_adapters() -> None:
    with pytest.raises(adapters.UnknownAdapterError, match="refengine, torch"):
        adapters.get("pytorch")


@pytest.mark.parametrize("name", ["numpy", "refengine", *FRAMEWORKS])
def test_every_adapter_meets_the_protocol(name: str) -> None:
    adapter = require(name)
    assert isinstance(adapter, Adapter)
    assert adapter.device == "cpu" and "cpu" in adapter.devices()
    assert adapter.modes[0] == "eager"
    assert set(adapter.dtypes) - {"float16", "bfloat16"} == {"float32", "float64", "complex64",
                                                             "complex128"}
    # half precision: the frameworks both; NumPy-based adapters float16, saying why not bfloat16
    half = {"float16", "bfloat16"} & set(adapter.dtypes)
    assert half == ({"float16", "bfloat16"} if name in ("torch", "jax", "tensorflow")
                    else {"float16"} if name in ("refengine", "autograd") else set())
    assert "bfloat16" in adapter.dtypes or "bfloat16" in getattr(adapter, "dtype_notes", {}) \
        or name not in ("refengine", "autograd")
    assert adapter.complex_convention == ("conjugate" if name in ("torch", "tensorflow")
                                          else "refengine")
    assert adapter.versions(), "a version must be reported"
    assert adapter.sync(adapter.to_native(X)) is not None
    np.testing.assert_array_equal(adapter.to_numpy(adapter.to_native(X)), X)


def test_importing_adapters_imports_no_framework() -> None:
    out = run_python("""
        import sys, adapters
        for name in adapters.names():
            adapters.get(name)  # instances, but no framework use yet
        import adapters.torch_adapter, adapters.jax_adapter, adapters.tensorflow_adapter
        import adapters.autograd_adapter, adapters.refengine_adapter
        print(",".join(m for m in ("torch", "jax", "tensorflow", "autograd") if m in sys.modules))
    """)
    assert out.strip() == ""


# --- a missing framework ---------------------------------------------------------------------
BLOCK = """
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target=None):
            if fullname.split(".")[0] == {module!r}:
                raise {error}("blocked by the test: " + fullname)
            return None

    sys.meta_path.insert(0, Block())
"""


@pytest.mark.parametrize("error", ["ImportError", "RuntimeError"])
@pytest.mark.parametrize("name", list(FRAMEWORKS))
def test_missing_framework_is_reported_and_nothing_else_breaks(name: str, error: str) -> None:
    out = run_python(BLOCK.format(module=FRAMEWORKS[name], error=error) + f"""
    import numpy as np, adapters
    blocked = adapters.get({name!r})
    status = blocked.available()
    assert not status and "blocked by the test" in status.reason, status
    assert {error!r} in status.reason
    assert blocked.coverage() == {{}}
    outcome = adapters.attempt(blocked.value, lambda xp, x: xp.sin(x), (np.ones(2),))
    assert outcome.status == "unsupported" and "blocked" in outcome.message, outcome
    assert {name!r} in adapters.names()
    ref = adapters.get("refengine")
    out, (g,) = ref.vjp(lambda xp, x: xp.sum(xp.sin(x)), (np.zeros(3),), np.float64(1.0))
    assert np.allclose(g, 1.0)
    assert adapters.get("numpy").value(lambda xp, x: xp.cos(x), (np.zeros(2),)).tolist() == [1, 1]
    print("ok")
    """)
    assert out.strip().endswith("ok")


# --- plug-ins --------------------------------------------------------------------------------
def test_entry_point_adds_an_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gp_fake_plugin.py").write_text(textwrap.dedent("""
        from adapters.numpy_adapter import NumpyAdapter

        class FakeAdapter(NumpyAdapter):
            name = "fake"

        def broken():
            raise RuntimeError("plug-in exploded")
    """))
    info = tmp_path / "gp_fake_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gp-fake-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[gradparity.adapters]\nfake = gp_fake_plugin:FakeAdapter\n"
        "broken = gp_fake_plugin:broken\ntorch = gp_fake_plugin:FakeAdapter\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.warns(UserWarning, match="'torch' is built in"):
            names = adapters.names()
        assert names[-2:] == ["broken", "fake"]
        with pytest.warns(UserWarning):
            fake, broken = adapters.get("fake"), adapters.get("broken")
        assert fake.available() and fake.value(sin_sum, (X,)) == pytest.approx(np.sin(X).sum())
        assert not broken.available() and "plug-in exploded" in broken.available().reason
        assert adapters.get("torch").name == "torch"
    finally:
        for name in ("fake", "broken"):
            adapters._instances.pop((name, "cpu"), None)


# --- errors ----------------------------------------------------------------------------------
def test_framework_errors_carry_the_framework_message_and_the_run_goes_on() -> None:
    singular = np.ones((3, 3))
    for name, words in (("torch", "singular"), ("tensorflow", "not invertible")):
        adapter = require(name)
        outcome = attempt(adapter.value, lambda xp, a: xp.linalg.inv(a), (singular,))
        assert outcome.status == "error" and words in outcome.message, outcome
        assert attempt(adapter.value, sin_sum, (X,)).ok


def test_an_error_inside_a_case_is_a_framework_error() -> None:
    def broken(xp: Any, x: Any) -> Any:
        return xp.add(x, xp.ones_like(x)[:2])  # shapes (3, 4) and (2, 4)

    for name in ("numpy", "refengine", *FRAMEWORKS):
        adapter = require(name)
        with pytest.raises(FrameworkError) as info:
            adapter.value(broken, (X,))
        assert info.value.adapter == name and info.value.framework_message


def test_unsupported_outcomes() -> None:
    numpy = require("numpy")
    assert attempt(numpy.value, lambda xp, x: xp.grad(xp.sum)(x), (X,)).status == "unsupported"
    assert attempt(numpy.vjp, sin_sum, (X,), np.float64(1)).status == "unsupported"
    with pytest.raises(Unsupported, match="no mode 'jit'"):
        require("torch").prepare(sin_sum, "value", "jit")


def test_array_interface_gaps_are_unsupported_in_tensorflow() -> None:
    # TensorFlow tensors have no .T; an integer-array index, which they refuse too, the
    # adapter spells as TensorFlow users do (tf.gather), and a mask is tf.boolean_mask.
    tf = require("tensorflow")
    rows = np.array([0, 2])
    for mode in tf.modes:
        assert attempt(tf.value, lambda xp, x: x.T, (X,), mode).status == "unsupported", mode
        np.testing.assert_array_equal(tf.value(lambda xp, x: x[rows], (X,), mode), X[rows])
        np.testing.assert_array_equal(tf.value(lambda xp, x: x[x > 0], (X,), mode), X[X > 0])


def test_a_decline_inside_a_trace_is_unsupported_and_a_failed_fallback_is_not() -> None:
    # tf.norm has no nuclear norm; under tf.function and tf.vectorized_map TensorFlow re-raises
    # the adapter's Unsupported as a StagingError that quotes it (full matrix, session 12:
    # 24 error records on norm-nuclear, norm-matrix-neg2 and norm-vector-neg-inf).
    tf = require("tensorflow")
    square = np.arange(1.0, 5.0).reshape(2, 2)

    def nuclear(xp: Any, x: Any) -> Any:
        return xp.linalg.norm(x, ord="nuc")

    outcome = attempt(tf.vjp, nuclear, (square,), np.float64(1), "jit")
    assert outcome.status == "unsupported" and "nuc" in outcome.message, outcome
    assert attempt(tf.value, nuclear, (square,), "eager").status == "unsupported"

    # Negative control: an error raised while handling a decline is still an error.
    def fallback_fails(xp: Any, x: Any) -> Any:
        try:
            raise Unsupported("no such op")
        except Unsupported:
            return xp.reshape(x, (7,))

    assert attempt(tf.value, fallback_fails, (square,), "eager").status == "error"


def test_data_dependent_shapes_are_unsupported_under_jit() -> None:
    jax = require("jax")
    positive = jax.value(lambda xp, x: x[x > 0], (X,))
    np.testing.assert_array_equal(positive, X[X > 0])
    outcome = attempt(jax.value, lambda xp, x: x[x > 0], (X,), "jit")
    assert outcome.status == "unsupported", outcome


def test_outcome_of_success() -> None:
    assert attempt(lambda: 3) == Outcome("ok", 3)


# --- prepared callables ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["jax", "tensorflow"])
def test_jit_compiles_once_per_function_and_quantity_and_says_when(name: str) -> None:
    adapter = require(name)

    def fn(xp: Any, x: Any) -> Any:
        return xp.sum(xp.tanh(x) ** 2)

    prepared = adapter.prepare(fn, "value_and_grad", "jit", (0,))
    assert adapter.prepare(fn, "value_and_grad", "jit", (0,)) is prepared
    assert prepared.traces is not None and prepared.traces() == 0
    native = (adapter.to_native(X),)
    _value, (grad,) = prepared(native)
    assert prepared.traces() == 1
    prepared(native)
    assert prepared.traces() == 1, "the second call must not trace again"
    np.testing.assert_allclose(adapter.to_numpy(grad), 2 * np.tanh(X) / np.cosh(X) ** 2)
    assert adapter.prepare(fn, "value_and_grad", "eager", (0,)).traces is None


@pytest.mark.parametrize("name", ["refengine", *FRAMEWORKS])
def test_prepared_callables_take_and_return_native_arrays(name: str) -> None:
    adapter = require(name)
    native = adapter.to_native(X)
    for mode in adapter.modes:
        out = adapter.sync(adapter.prepare(sin_sum, "vjp", mode, (0,))((native,), native[0, 0]))
        assert type(out[1][0]) is type(native), (name, mode)


# --- threads ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["torch", "tensorflow"])
def test_thread_count_is_applied_and_reported(name: str) -> None:
    report = require(name).threads()
    assert report["requested"] == int(os.environ.get("GRADPARITY_THREADS", "1"))
    assert report["intra_op"] == report["requested"] or report["notes"], report


def test_jax_reports_that_xla_ignores_thread_flags() -> None:
    report = require("jax").threads()
    assert "not honoured" in report["xla"]
    assert "intra_op_parallelism_threads=" in report["environment"]["XLA_FLAGS"]


def test_configure_pins_before_first_use() -> None:
    require("torch")
    out = run_python("""
        import adapters
        from adapters import threads
        report = threads.configure(1, pin=True)
        torch = adapters.get("torch").threads()
        print(report["cpu_affinity"], report["pinned_cpus"], torch["intra_op"], torch["inter_op"])
    """)
    affinity, *_, intra, inter = out.split()
    assert (affinity, intra, inter) == ("1", "1", "1"), out
