"""tinygrad (in process, the ``tinygrad`` extra): its adapter's contract, and what users found
(issue 22) reproduced by the case library and documented in the divergence table.

The conformance matrix runs tinygrad's float64 smoke selection (eager) by default, everything
else with ``--gp-slow``; these tests check the adapter itself and the compiler it is given.
Skipped, with the reason, where tinygrad is not installed.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import adapters
import cases
from cases.conformance import run_case
from cases.statuses import DIVERGENCE_DOCUMENTED


@pytest.fixture(scope="module")
def tinygrad():
    adapter = adapters.get("tinygrad")
    status = adapter.available()
    if not status:
        pytest.skip(f"tinygrad unavailable: {status.reason}")
    return adapter


def test_reverse_mode_runs_and_forward_mode_is_unsupported_with_the_reason(tinygrad):
    records = {r.check: r for r in run_case(cases.get("exp"), tinygrad,
                                            checks=["vjp_vs_oracle", "jvp_vs_oracle"])}
    assert records["vjp_vs_oracle"].status == "pass"
    assert records["jvp_vs_oracle"].status == "unsupported"
    assert "no forward mode" in records["jvp_vs_oracle"].message


def test_tinyjit_replays_its_capture_with_new_inputs(tinygrad):
    def f(xp, x):
        return xp.sum(xp.sin(x) * x)

    prepared = tinygrad.prepare(f, "value_and_grad", "jit")
    for shift in (0.0, 1.0, 2.0):
        x = np.array([1.0, 2.0 + shift])
        value, (grad,) = tinygrad.to_numpy(prepared((tinygrad.to_native(x),)))
        np.testing.assert_allclose(value, np.sum(np.sin(x) * x), rtol=1e-12)
        np.testing.assert_allclose(grad, np.sin(x) + x * np.cos(x), rtol=1e-12)
    assert prepared.traces() == 2  # TinyJit's warm-up and capture, then replays


def test_tinyjit_captures_each_dtype_of_one_prepared_quantity(tinygrad):
    # The matrix's dtypes share one prepared call per quantity: a capture made with float64
    # buffers replayed with float32 ones was an "args mismatch in JIT" error for 1,158 items
    # of the first full matrix. Each input signature now has its own capture.
    for dtype in ("float64", "float32", "float64"):
        records = run_case(cases.get("exp"), tinygrad, "jit", dtype,
                           checks=["value", "vjp_vs_refengine", "hvp_vs_refengine"])
        assert {r.status for r in records} == {"pass"}, [(r.check, r.message[:200])
                                                         for r in records]


def test_what_a_user_found_is_documented(tinygrad):
    # One of issue 22's findings here (the rest run with --gp-slow: erf, sort-tie, ...).
    (record,) = run_case(cases.get("logsumexp-all-neg-inf"), tinygrad, checks=["value"])
    assert record.status == DIVERGENCE_DOCUMENTED, record.message


def test_coverage_names_the_composites(tinygrad):
    coverage = tinygrad.coverage()
    assert {n for n, w in coverage.items() if w == "composite"} == {
        "outer", "trace", "nn.gelu", "nn.softmax_cross_entropy"}
    assert coverage["special.erf"] == "native" and coverage["linalg.inv"] == "missing"


def test_without_a_compiler_the_python_device_is_chosen_and_said(monkeypatch):
    from adapters import tinygrad_compiler
    from adapters.tinygrad_adapter import DEVICE_VARIABLE, device_choice

    monkeypatch.delenv(DEVICE_VARIABLE, raising=False)
    monkeypatch.setenv("CC", "no-such-compiler-gradparity")
    device, why, cc = device_choice()
    assert (device, cc) == ("PYTHON", None) and "CC=no-such-compiler-gradparity" in why
    monkeypatch.delenv("CC")
    monkeypatch.setattr(tinygrad_compiler, "zig_executable", lambda: None)
    monkeypatch.setenv("PATH", "/nonexistent-gradparity")
    device, why, cc = device_choice()
    assert (device, cc) == ("PYTHON", None) and "pip install ziglang" in why
    monkeypatch.setenv(DEVICE_VARIABLE, "cpu")  # the variable wins, in tinygrad's spelling
    assert device_choice()[0] == "CPU"


def test_the_registry_compiler_is_chosen_without_clang(monkeypatch):
    # The README's install gives every machine zig cc (PyPI's ziglang): it comes before a
    # clang on the PATH, and it compiles what tinygrad hands it.
    from adapters import tinygrad_compiler

    monkeypatch.delenv("CC", raising=False)
    zig = tinygrad_compiler.zig_executable()
    if zig is None:
        pytest.skip("ziglang is not installed (the tinygrad extra installs it)")
    choice = tinygrad_compiler.choose()
    assert choice.cc is not None and "zig cc" in choice.why
    source = b"float f(const float *a) { return __builtin_sqrtf(a[0]) * 2.0f; }"
    flags = ["-c", "-x", "c", "-O2", "-fPIC", "-ffreestanding", "-fno-math-errno", "-nostdlib",
             "-fno-ident", "--target=x86_64-none-unknown-elf", "-march=native", "-", "-o", "-"]
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("the flags above are tinygrad's for x86_64")
    obj = subprocess.run([choice.cc, *flags], input=source, capture_output=True, check=True,
                         env={"PATH": "/nonexistent-gradparity"}).stdout
    assert obj[:4] == b"\x7fELF" and obj[18] == 62  # an ELF object for x86-64 (EM_X86_64)


def test_tinygrad_kernels_run_on_the_cpu_device_without_clang_on_the_path(tmp_path):
    # A fresh process whose PATH has no clang: the CPU device opens through zig cc and
    # computes a gradient (tinygrad's disk cache is pointed at an empty folder, so every
    # kernel really is compiled), then a QR: many kernels at once, which tinygrad would
    # compile in a pool of spawned processes that read CC afresh and ran plain clang.
    from adapters import tinygrad_compiler

    if tinygrad_compiler.zig_executable() is None:
        pytest.skip("ziglang is not installed (the tinygrad extra installs it)")
    script = (
        "import numpy as np\n"
        "from adapters.tinygrad_adapter import TinygradAdapter\n"
        "a = TinygradAdapter()\n"
        "assert a.available(), a.available().reason\n"
        "from tinygrad import Device, Tensor\n"
        "x = Tensor(np.array([0.5, 1.5]))\n"
        "(g,) = (x.exp() * x.sin()).sum().gradient(x)\n"
        "m = np.arange(15.0).reshape(5, 3) ** 0.5\n"
        "q, r = a.value(lambda xp, v: xp.linalg.qr(v), [m])\n"
        "np.testing.assert_allclose(q @ r, m, atol=1e-12)\n"
        "print(Device.DEFAULT, a._device_reason, g.numpy().tolist())\n")
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path),
           "CACHEDB": str(tmp_path / "cache.db"), "PYTHONPATH": str(Path(__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("CPU ") and "zig cc" in out.stdout, out.stdout
    x = np.array([0.5, 1.5])
    expected = np.exp(x) * (np.sin(x) + np.cos(x))
    got = np.array(eval(out.stdout[out.stdout.rindex("["):]))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_qr_is_numpys_reduced_factorisation(tinygrad):
    # tinygrad's Tensor.qr is the complete one; a tall matrix's Q Q^T was the identity
    # (qr-projection, --gp-slow) before the adapter sliced it to NumPy's reduced form.
    a = np.random.default_rng(0).normal(size=(5, 3))
    q, r = tinygrad.value(lambda xp, x: xp.linalg.qr(x), [a])
    assert q.shape == (5, 3) and r.shape == (3, 3)
    q_numpy = np.linalg.qr(a)[0]
    np.testing.assert_allclose(q @ q.T, q_numpy @ q_numpy.T, atol=1e-12)
    (record,) = run_case(cases.get("qr-projection"), tinygrad, checks=["vjp_vs_refengine"])
    assert record.status == "pass", record.message


def test_what_tinygrad_cannot_do_is_unsupported_with_its_reason(tinygrad):
    # Python branching on a lazy tensor's value, and a TinyJit capture that launches no
    # kernels (the VJP of a reshape is a view): unsupported, not errors.
    (branch,) = run_case(cases.get("branch-on-sum-true"), tinygrad, checks=["vjp_vs_oracle"])
    assert branch.status == "unsupported" and "truth value" in branch.message, branch.message
    prepared = tinygrad.prepare(lambda xp, x: xp.reshape(x, (2, 2)), "value", "jit")
    x = tinygrad.to_native(np.arange(4.0))
    prepared((x,))  # TinyJit's first call runs the function plainly; the second captures
    with pytest.raises(adapters.Unsupported, match="didn't JIT anything"):
        with tinygrad._errors("value"):
            prepared((x,))


def test_the_run_records_and_shows_tinygrads_device_and_compiler(tinygrad):
    # environment.json's adapter_setup carries each adapter's own account (threads, device);
    # the summary names tinygrad's device and the C compiler behind it.
    from reports.commands import _setup
    from reports.render import environment_lines

    setup = _setup(tinygrad)
    assert setup["tinygrad_device"] and setup["why"], setup
    lines = environment_lines({"adapter_setup": {"tinygrad": setup, "torch": {"requested": 1}}})
    assert f"- tinygrad: {setup['tinygrad_device']} device, {setup['why']}" in lines
    assert not any(line.startswith("- torch:") for line in lines)  # nothing to say
