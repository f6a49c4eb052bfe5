"""The same derivative, computed every way there is, against the best reference.

Everything is reduced to one number, ``u^T J v``: the derivative of the scalar ``<u, f(x)>``
along the direction ``v`` (``u`` is the backward seed, 1 for a scalar ``f``; ``v`` the forward
tangents). Each method computes it:

- finite differences (forward ``(s(x+hv) - s(x))/h`` and central ``(s(x+hv) - s(x-hv))/2h``) at
  steps 1e-1 ... 1e-15: truncation error (``h``, ``h^2``) falls with the step until round-off
  (``eps |s| / h``) rises; the sweep shows both;
- the complex step ``Im s(x + ihv)/h``: no subtraction, so no round-off growth;
- refengine's forward mode (``u . Jv``) and reverse mode (``J^T u . v``);
- each framework's reverse mode (``J^T u . v``), whose full gradient is also compared with
  refengine's entry by entry.

The reference is ``refengine.numeric``: Richardson extrapolation with an error bound, replaced
by the complex step where that agrees with it; its bound says how far from the truth it can be.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from refengine.tape_recording import Recording
from reports.explain.framework_runs import FrameworkRun, run_vjp

__all__ = ["STEPS", "Comparison", "MethodRow", "StepSweep", "compare"]

STEPS = 10.0 ** -np.arange(1, 16)
_METHOD_WORDS = {"complex": "complex step, checked by Richardson",
                 "richardson": "Richardson extrapolation"}


@dataclass(frozen=True)
class StepSweep:
    """Finite-difference estimates of ``u^T J v`` at each step size (NaN where f failed)."""

    steps: np.ndarray
    forward: np.ndarray
    central: np.ndarray
    complex: np.ndarray | None  # None when f cannot be evaluated on complex input


@dataclass(frozen=True)
class MethodRow:
    """One way of computing ``u^T J v``; ``grad_diff`` is the largest entrywise difference of a
    framework's full gradient from refengine's reverse mode (None for scalar-only methods)."""

    method: str
    value: float
    error: float  # |value - reference|
    grad_diff: float | None = None
    note: str = ""


@dataclass
class Comparison:
    reference: float
    reference_error: float
    reference_method: str
    sweep: StepSweep
    rows: list[MethodRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _scalarized(
    f_numpy: Callable[..., Any], rec: Recording, args: Sequence[Any]
) -> Callable[[np.ndarray, Any], Any]:
    """``(flat x, dtype) -> <u, f(x)>``, with the data inputs held fixed."""
    u = rec.cotangent.astype(np.float64)
    shapes = [i.value.shape for i in rec.inputs]
    offsets = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

    def s(flat: np.ndarray) -> Any:
        full = list(args)
        for k, inp in enumerate(rec.inputs):
            full[inp.argnum] = flat[offsets[k]:offsets[k + 1]].reshape(shapes[k])
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.sum(u * np.asarray(f_numpy(*full)))

    return s


def sweep_steps(s: Callable[[np.ndarray], Any], x: np.ndarray, v: np.ndarray) -> StepSweep:
    s0 = float(np.real(s(x)))
    fwd, cen, cpx = [], [], []
    complex_ok = True
    for h in STEPS:
        right, left = _real(s, x + h * v), _real(s, x - h * v)
        fwd.append(right - s0)
        cen.append(right - left)
        if complex_ok:
            try:
                y = s(x + 1j * h * v)
                complex_ok = np.iscomplexobj(y)
                cpx.append(float(np.imag(y)) / h)
            except Exception:
                complex_ok = False
    return StepSweep(
        STEPS.copy(),
        np.array(fwd) / STEPS,
        np.array(cen) / (2 * STEPS),
        np.array(cpx) if complex_ok and len(cpx) == len(STEPS) else None,
    )


def _real(s: Callable[[np.ndarray], Any], point: np.ndarray) -> float:
    # A step may leave f's domain (log of a negative number, a failed factorisation): NaN.
    try:
        return float(np.real(s(point)))
    except Exception:
        return float("nan")


def compare(
    rec: Recording,
    f_numpy: Callable[..., Any],
    args: Sequence[Any],
    *,
    xp_fn: Callable[..., Any] | None,
    adapters: Sequence[Any],
) -> Comparison:
    """Every method's ``u^T J v`` at the recorded point (see the module doc).

    ``f_numpy(*args)`` evaluates f on plain NumPy arrays (float64 and complex128 for the
    differences); ``xp_fn`` is f written as ``fn(xp, *inputs)``, the form frameworks run, or
    None when f is written against refengine.numpy only.
    """
    from refengine.numeric import OracleConfig, projection

    x64 = [np.asarray(a, np.float64) if i in _argnums(rec) else a for i, a in enumerate(args)]
    x = np.concatenate([np.ravel(i.value).astype(np.float64) for i in rec.inputs])
    v = np.concatenate([np.ravel(i.tangent).astype(np.float64) for i in rec.inputs])
    s = _scalarized(f_numpy, rec, x64)
    comp = Comparison(np.nan, np.inf, "", sweep_steps(s, x, v))

    def f_diff(*diff: Any) -> Any:
        full = list(x64)
        for inp, d in zip(rec.inputs, diff):
            full[inp.argnum] = d
        return f_numpy(*full)

    try:
        ref = projection(f_diff, [np.asarray(i.value, np.float64) for i in rec.inputs],
                         rec.cotangent, [np.asarray(t, np.float64) for t in rec.tangents],
                         config=OracleConfig())
        comp.reference, comp.reference_error = float(ref.value), float(ref.error)
        comp.reference_method = _METHOD_WORDS.get(ref.method, ref.method)
        if bool(np.any(ref.kink)):
            comp.notes.append("finite differences see a kink along v: the reference is the "
                              "interval spanned by the one-sided derivatives")
        if not ref.valid:
            comp.reference_method = "no trustworthy estimate here"
            comp.notes.append(f"the finite-difference reference is not trustworthy: {ref.reason}")
    except Exception as exc:
        comp.notes.append(f"no finite-difference reference: {type(exc).__name__}: {exc}")
    _add_rows(comp, rec, v, xp_fn, x64, adapters)
    cs = comp.sweep.complex
    if cs is not None and np.isfinite(comp.reference):
        tol = 10 * comp.reference_error + 1e-8 * abs(comp.reference)
        if not abs(cs[-1] - comp.reference) <= tol:
            comp.notes.append("the complex step disagrees with the reference: f is not "
                              "complex-analytic here (abs, maximum, comparisons, ...), and there "
                              "the complex step is wrong without any warning")
    return comp


def _argnums(rec: Recording) -> set[int]:
    return {i.argnum for i in rec.inputs}


def _dot_grads(grads: Sequence[np.ndarray], rec: Recording) -> float:
    return float(sum(np.sum(np.asarray(g, np.float64) * np.asarray(t, np.float64))
                     for g, t in zip(grads, rec.tangents)))


def _add_rows(
    comp: Comparison, rec: Recording, v: np.ndarray, xp_fn: Callable[..., Any] | None,
    x64: list[Any], adapters: Sequence[Any],
) -> None:
    ref = comp.reference
    sw = comp.sweep

    def row(method: str, value: float, **kw: Any) -> MethodRow:
        return MethodRow(method, value, abs(value - ref) if np.isfinite(ref) else np.nan, **kw)

    for name, values in (("forward difference", sw.forward), ("central difference", sw.central),
                         ("complex step", sw.complex)):
        if values is None:
            comp.notes.append("complex step: f cannot be evaluated on complex input")
            continue
        if name == "complex step":  # no subtraction: the smallest step is as good as any
            k = len(values) - 1
            comp.rows.append(row(f"{name}, h = {sw.steps[k]:.0e}", float(values[k])))
            continue
        k = _best(values, ref)
        comp.rows.append(row(f"{name}, best step h = {sw.steps[k]:.0e}", float(values[k])))
    fwd = float(np.sum(rec.cotangent.astype(np.float64) * rec.output_tangent))
    comp.rows.append(row("refengine forward mode (dual numbers): u . (J v)", fwd))
    comp.rows.append(row("refengine reverse mode (tape): (J^T u) . v", _dot_grads(rec.grads, rec)))
    if xp_fn is None or not adapters:
        return
    argnums = tuple(i.argnum for i in rec.inputs)
    for adapter in adapters:
        inputs = _native_inputs(rec, x64)
        run: FrameworkRun = run_vjp(adapter, xp_fn, inputs, rec.cotangent, argnums)
        if run.status != "ok" or run.grads is None:
            comp.rows.append(MethodRow(f"{run.framework} (reverse)", np.nan, np.nan,
                                       note=f"{run.status}: {run.message}"))
            continue
        diff = max((float(np.max(np.abs(np.asarray(g, np.float64) - r), initial=0.0))
                    for g, r in zip(run.grads, rec.grads)), default=0.0)
        comp.rows.append(row(f"{run.framework} (reverse)", _dot_grads(run.grads, rec),
                             grad_diff=diff))


def _native_inputs(rec: Recording, x64: list[Any]) -> list[Any]:
    """The inputs as the frameworks get them: the recorded dtype (float32 stays float32)."""
    out = list(x64)
    for inp in rec.inputs:
        out[inp.argnum] = inp.value
    return out


def _best(values: np.ndarray, ref: float) -> int:
    finite = np.isfinite(values)
    if not finite.any():
        return 0
    if not np.isfinite(ref):  # no reference: the step where successive estimates agree best
        d = np.abs(np.diff(values))
        d[~np.isfinite(d)] = np.inf
        return int(np.argmin(d))
    err = np.where(finite, np.abs(values - ref), np.inf)
    return int(np.argmin(err))
