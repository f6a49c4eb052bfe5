"""check_grads: derivatives of an AD system against the finite-difference oracle.

``check_derivatives`` is generic: the AD system comes in as ``ADFunctions`` (JAX-style ``jvp``
and ``vjp`` transformations plus array conversions), so framework adapters reuse it unchanged;
``check_grads`` is that check for refengine.

What is checked, for ``f`` and then recursively for its derivatives up to ``order``:

- forward mode: the JVP ``J v`` against the oracle's ``J v``, entry by entry;
- reverse mode: the dot-product test, the VJP ``J^T u`` against ``u^T J`` from the oracle;
- order 2 and up: the first derivatives are functions too. "JVP of f" is ``x -> J(x) t`` for a
  fixed random ``t``, "VJP of f" is ``x -> J(x)^T u``; they are checked the same way (finite
  differences of the AD first derivative against the nested AD second derivative), giving the
  labels "JVP of JVP of f", "VJP of JVP of f", "JVP of VJP of f", "VJP of VJP of f".

Small inputs (``full_jacobian_max`` entries or fewer) are compared on the full Jacobian. Larger
ones on random projections (one oracle ladder each, whatever the size); a failing projection is
narrowed down by bisection over input blocks to the single entry that is wrong (following the
failing output entry alone, so a 10^4-output derivative costs one output's ladder per step;
``refengine.judging.locate_entry``, which the conformance matrix uses too), and reported as
that entry's own derivative (the direction's entry ``v_j`` divided out).

Complex arguments and outputs are checked as real pairs (``refengine.check_complex``): the
real and the imaginary part of each entry are two real directions, and everything below
applies to them unchanged.

Before any comparison:

- ``f`` gets copies, never the caller's arrays, and one call on fresh copies checks that it
  leaves its arguments alone (``InputMutationError`` names the argument and the entry);
- the oracle evaluates ``f`` in float64. A function holding float32 constants refuses float64
  or returns float32: where the AD system can promote them (``ADFunctions.promote_constants``,
  torch) the oracle evaluates ``f`` with its constants in float64; otherwise at the arguments'
  own dtype, the oracle assuming that dtype's rounding. Every comparison's note says which.

Every check asked for is in the returned list: a mode the AD system cannot do
(``ModeUnavailable``) is recorded as not checked with the reason, and so are the derivatives of
that derivative; ``summary(results)`` prints one line per check. float16 and bfloat16 inputs are
differentiated in their own dtype and compared with the float64 oracle at the same point.

Where the oracle has no estimate (an invalid ``Derivative``: f looks like it jumps, or its
rounding noise swamps every step), the Taylor remainder test (``refengine.numeric.taylor``)
decides along the same directions with AD's own claim: right passes with a note naming both,
wrong fails, unclear raises ``OracleError`` with both reasons.

Kinks, one order up: at a kink of f (one the oracle found in f's own check) the first derivative
jumps and has no derivative there. Its one-sided derivatives beside the point
(``OracleConfig.across_jumps``, ``refengine.numeric.jumps``) span an interval, and any second
derivative in it passes, marked ``kink`` with a note naming where; outside it fails. A jump of
a derivative of a function the oracle found no kink of is not excused: ``OracleError``.

The tolerance rule, and the Comparison each check reports, are in ``refengine.comparison``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from refengine.check_complex import REFENGINE_VIEW, ComplexView, as_real_problem, complex_positions
from refengine.comparison import (
    DEFAULT_RTOL,
    FD,
    MODE_NAMES,
    CheckConfig,
    Comparison,
    GradientCheckError,
    InputMutationError,
    ModeUnavailable,
    NotCheckedWarning,
    compare_dot_products,
    compare_entries,
    contraction_magnitude,
    lowest_precision,
    ratio,
    rounding_unit,
    summary,
)
from refengine.judging import (
    absolute_tolerance,
    backward_rounding,
    locate_entry,
    tiny_of,
    unweight,
)
from refengine.numeric import (
    Derivative,
    Flattener,
    OracleConfig,
    OracleError,
    TaylorResult,
    directional,
    flatten_output,
    jacobian,
    taylor_test,
)
from refengine.numeric.evaluate import as_float64_args
from refengine.tolerances import eps_of
from refengine.tree import tree_flatten, tree_map, tree_unflatten

__all__ = [
    "DEFAULT_RTOL",
    "ADFunctions",
    "CheckConfig",
    "Comparison",
    "GradientCheckError",
    "InputMutationError",
    "ModeUnavailable",
    "NotCheckedWarning",
    "check_derivatives",
    "check_grads",
    "noise_level",
    "summary",
]

_FLOAT64 = np.dtype(np.float64)
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth"}
# Evaluations of each checked function that measure its rounding noise (noise_level): 7 values
# give differences up to order 6, and three consecutive orders to compare.
NOISE_POINTS = 7
_NOISE_SEED = 20240616  # the measuring segment's sign pattern: fixed, not drawn from the rng


@dataclass(frozen=True)
class ADFunctions:
    """An AD system, as the checker sees it.

    ``jvp(f, primals, tangents) -> (out, tangent_out)`` and ``vjp(f, *primals) -> (out, vjp_fn)``
    with ``vjp_fn(cotangent) -> tuple`` (one gradient per primal), as in JAX; ``f`` and the values
    are the framework's own. ``from_numpy`` makes a framework array with the NumPy array's dtype,
    ``to_numpy`` the reverse, ``dtype_of`` gives a framework value's NumPy dtype.

    ``promote_constants`` (optional) makes a context in which ``f`` computes in float64 even
    where it holds narrower constants (torch: every floating tensor argument of every op is
    promoted to float64). The checker enters it around the oracle's evaluations only, and only
    when ``f`` refuses float64 input or returns a narrower dtype without it; the AD still runs
    at the arguments' own dtype. When it does not give float64 values either, the oracle falls
    back to the arguments' dtype (``_Run.choose_oracle_precision``).
    """

    jvp: Callable[..., Any]
    vjp: Callable[..., Any]
    from_numpy: Callable[[np.ndarray], Any] = np.asarray
    to_numpy: Callable[[Any], np.ndarray] = np.asarray
    dtype_of: Callable[[Any], np.dtype] = lambda x: np.dtype(x.dtype)
    promote_constants: Callable[[], AbstractContextManager[Any]] | None = None
    # How the system writes complex values as real pairs (refengine.check_complex); without
    # it, complex arguments are refused.
    complex_view: ComplexView | None = None


@dataclass(frozen=True)
class _Target:
    """A function being checked: ``f`` itself, or one of its AD derivatives."""

    label: str
    order: int
    fn: Callable[..., Any]  # framework function, works at the arguments' dtype and float64
    numpy_fn: Callable[..., Any] | None  # float64 NumPy version for the oracle, if known
    # A derivative of a function the oracle found a kink of at the point: where it jumps, its
    # own derivative is checked against the one-sided limits beside the point (oracle_config).
    across_jumps: bool = False


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    modes: Sequence[str] = ("fwd", "rev"),
    order: int = 2,
    atol: float | None = None,
    rtol: float | None = None,
    rng: np.random.Generator | int | None = None,
) -> list[Comparison]:
    """Check refengine's derivatives of ``f(*args)`` against finite differences.

    Raises ``GradientCheckError`` (an ``AssertionError``) naming the function, check, argument,
    entry, AD and FD values, FD error bound, errors and tolerance of the worst mismatch; raises
    ``OracleError`` when finite differences cannot be trusted at this point (f not finite), and
    ``InputMutationError`` when ``f`` changes its arguments in place. Returns every comparison:
    the passed ones and those that could not be run (``checked=False``); ``summary`` prints them.
    """
    from refengine.api import jvp, vjp

    config = CheckConfig(modes=tuple(modes), order=order, atol=atol, rtol=rtol)
    ad = ADFunctions(jvp=jvp, vjp=vjp, complex_view=REFENGINE_VIEW)
    return check_derivatives(f, args, ad=ad, config=config, rng=rng)


def check_derivatives(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    ad: ADFunctions,
    config: CheckConfig | None = None,
    rng: np.random.Generator | int | None = None,
    f_numpy: Callable[..., Any] | None = None,
    name: str | None = None,
) -> list[Comparison]:
    """Check the AD system ``ad`` on ``f(*args)``; ``f_numpy`` is f in NumPy for the oracle.

    The caller's ``args`` are never handed to ``f``: every call gets fresh copies, and a first
    call checks that ``f`` leaves its arguments alone (``InputMutationError`` otherwise).
    """
    config = config or CheckConfig()
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng or 0)
    label = name or getattr(f, "__name__", None) or getattr(f, "name", None) or "f"
    complex_note = ""
    if isinstance(args, (tuple, list)) and complex_positions(args):
        if ad.complex_view is None:
            raise TypeError(
                f"arguments {complex_positions(args)} are complex, and this AD system's "
                "description (ADFunctions) has no complex_view to check them as real pairs; "
                "give it one (refengine.check_complex.ComplexView) or pass real arguments"
            )
        f, args, f_numpy, complex_note = as_real_problem(f, args, f_numpy, ad.complex_view)
    arrays, x64 = _private_inputs(args)
    run = _Run(ad, config, rng, label, arrays, x64)
    root = _Target(label, 1, f, f_numpy)
    out = run.check_not_mutated(root)
    if not complex_note and any(_is_complex(ad, w) for w in _leaves(out)):
        if ad.complex_view is None:
            raise TypeError(
                "f returns a complex value, and this AD system's description (ADFunctions) has "
                "no complex_view to check it as real pairs; give it one "
                "(refengine.check_complex.ComplexView) or return real values"
            )
        f, _, f_numpy, complex_note = as_real_problem(f, args, f_numpy, ad.complex_view)
        root = _Target(label, 1, f, f_numpy)
    run.choose_oracle_precision(root)
    run.note = "; ".join(filter(None, [run.note, complex_note]))
    run.check(root, config.order)
    return run.results


def _private_inputs(args: Sequence[Any]) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Copies of the caller's arguments (the checker's own), and their float64 values.

    bfloat16 (an ``ml_dtypes`` NumPy dtype) converts to float64 exactly, like float16/float32.
    """
    if not isinstance(args, (tuple, list)):
        as_float64_args(args)  # raises its TypeError naming what args must be
    arrays = tuple(np.array(np.asarray(a), copy=True) for a in args)
    widened = [a.astype(np.float64) if a.dtype.name == "bfloat16" else a for a in arrays]
    return arrays, as_float64_args(widened)


class _Run:
    """The state of one check_derivatives call: inputs, AD system, options, results."""

    def __init__(
        self,
        ad: ADFunctions,
        config: CheckConfig,
        rng: np.random.Generator,
        name: str,
        arrays: tuple[np.ndarray, ...],
        x64: tuple[np.ndarray, ...],
    ) -> None:
        self.ad, self.config, self.rng, self.name = ad, config, rng, name
        self.arrays, self.x64 = arrays, x64
        self.flat = Flattener(x64)
        # The input scale of each entry: the oracle's steps reach up to max(1, |x|) / 8.
        self.scale = np.maximum(1.0, np.abs(self.flat.flatten(x64)))
        self.abs_x = np.abs(self.flat.flatten(x64))
        self.results: list[Comparison] = []
        # Where the oracle evaluates f (float64 unless f refuses it) and the dtype its values
        # round in; see choose_oracle_precision.
        self.eval_dtype = _FLOAT64
        self.noise_dtype = _FLOAT64
        self.promoted = False  # the oracle evaluates f inside ad.promote_constants()
        self.note = ""
        self.values: dict[str, np.ndarray] = {}  # |value| of each target at the point
        self.signed_values: dict[str, np.ndarray] = {}  # the same, with signs
        self.noise: dict[str, np.ndarray] = {}  # its rounding, in eps (output_noise)
        self.inherited: dict[str, np.ndarray] = {}  # what a derivative inherits (derive)
        self.kinked: set[str] = set()  # targets the oracle found a kink of at the point
        self.measured: dict[str, np.ndarray] = {}  # its measured rounding noise (measure_noise)

    # -- before any check: f must leave its inputs alone, and be evaluable by the oracle --------

    def check_not_mutated(self, root: _Target) -> Any:
        """Call f once on fresh copies and compare every argument before and after; returns
        what f returned."""
        ad = self.ad
        xs = [self.fresh(a) for a in self.arrays]
        before = [np.array(ad.to_numpy(x), dtype=np.float64, copy=True) for x in xs]
        with _quiet():
            out = root.fn(*xs)
        for i, (x, old) in enumerate(zip(xs, before)):
            new = np.asarray(ad.to_numpy(x), dtype=np.float64)
            same = new.shape == old.shape and np.array_equal(new, old, equal_nan=True)
            if not same:
                raise InputMutationError(_mutation_message(self.name, i, old, new))
        return out

    def choose_oracle_precision(self, root: _Target) -> None:
        """Evaluate f in float64 for the oracle, unless f refuses float64 or computes narrower.

        A function holding float32 constants (NumPy float32 arrays, ``torch.tensor(...,
        dtype=torch.float32)``) raises on float64 input or returns float32: its float64 values
        do not exist, or round like float32 values. The oracle then evaluates it at the
        arguments' own dtype, assuming the rounding of that dtype, and every comparison says so.
        """
        fn = self.oracle_fn(root)
        refused: Exception | None = None
        try:
            with _quiet():
                out = fn(*self.x64)
        except Exception as error:  # any refusal; re-raised below when there is no way out
            refused = error
        own = lowest_precision([a.dtype for a in self.arrays])
        if refused is None:
            out_dtype = _output_precision(out)
            if out_dtype == _FLOAT64:
                self.remember(root, out)
                return
            why = f"f returned {out_dtype.name} for float64 input"
        else:
            why = f"f raised {type(refused).__name__} on float64 input: {refused}"
        if self.promote(root, why):
            return
        if refused is not None and own == _FLOAT64:
            raise refused
        if own != _FLOAT64:
            self.eval_dtype = own
            try:
                with _quiet():
                    out = self.oracle_fn(root)(*self.x64)
            except Exception as error:
                raise error from refused
        self.noise_dtype = lowest_precision([self.eval_dtype, _output_precision(out)])
        self.remember(root, out)
        units = self.config.oracle.roundoff
        scaled = units * eps_of(self.noise_dtype) / eps_of(_FLOAT64)
        self.config = replace(self.config, oracle=replace(self.config.oracle, roundoff=scaled))
        self.note = (
            f"Finite differences evaluated f in {self.eval_dtype.name}, not float64 ({why}); "
            f"the oracle assumed f's values round like {self.noise_dtype.name} "
            f"({units:g} eps = {units * eps_of(self.noise_dtype):.2g} relative)"
        )

    def promote(self, root: _Target, why: str) -> bool:
        """Evaluate f for the oracle inside ``ad.promote_constants()``, if that gives float64
        values at the point (f's narrower constants promoted): the oracle then stays in float64
        and every comparison says so. False where there is no such context or it does not help.
        """
        if self.ad.promote_constants is None:
            return False
        self.promoted = True
        try:
            with _quiet():
                out = self.oracle_fn(root)(*self.x64)
            promoted_ok = _output_precision(out) == _FLOAT64
        except Exception:  # not even promoted: the dtype fallback decides
            promoted_ok = False
        if not promoted_ok:
            self.promoted = False
            return False
        self.remember(root, out)
        self.note = (
            f"Finite differences evaluated f in float64 with its narrower constants promoted to "
            f"float64 ({why})"
        )
        return True

    # -- recursion over modes and orders -------------------------------------------------------

    def check(self, target: _Target, order_left: int) -> None:
        cache: dict[Any, Derivative] = {}
        reasons: dict[str, str] = {}
        for mode in self.config.modes:
            try:
                self.results.append(self.check_mode(target, mode, cache))
            except ModeUnavailable as why:
                reasons[mode] = str(why)
                self.not_checked(self.labels(target, mode), str(why))
        if any(isinstance(d, Derivative) and d.kink.any() for d in cache.values()):
            self.kinked.add(target.label)
        if order_left <= 1:
            return
        for mode in self.config.modes:
            label = f"{MODE_NAMES[mode]} of {target.label}"
            if mode not in reasons:
                try:
                    derived = self.derive(target, mode)
                except ModeUnavailable as why:
                    reasons[mode] = str(why)
                else:
                    self.check(derived, order_left - 1)
                    continue
            self.not_checked_below(label, target.order + 1, order_left - 1, reasons[mode])

    def not_checked(self, labels: dict[str, Any], reason: str) -> None:
        """Record (and warn) that a check could not be run, and why: never a silent pass."""
        note = f"not checked: {reason}"
        self.results.append(Comparison(**labels, passed=True, checked=False, note=note))
        warnings.warn(f"{labels['check']} of {self.name!r} {note}", NotCheckedWarning,
                      stacklevel=2)

    def not_checked_below(self, label: str, order: int, order_left: int, reason: str) -> None:
        """The derivatives of a derivative that could not be computed, listed as not checked."""
        why = f"needs {label}, which is unavailable: {reason}"
        for mode in self.config.modes:
            labels = self.labels(_Target(label, order, _unavailable, None), mode)
            self.not_checked(labels, why)
        if order_left > 1:
            for mode in self.config.modes:
                below = f"{MODE_NAMES[mode]} of {label}"
                self.not_checked_below(below, order + 1, order_left - 1, reason)

    def derive(self, target: _Target, mode: str) -> _Target:
        ad = self.ad
        noise = self.output_noise(target)
        if mode == "fwd":
            t = self.random_inputs()
            self.inherited[f"JVP of {target.label}"] = noise * self.along(self.flat.flatten(t))

            def jvp_fn(*xs: Any) -> Any:
                tans = tuple(ad.from_numpy(ti.astype(ad.dtype_of(xi))) for ti, xi in zip(t, xs))
                return ad.jvp(target.fn, xs, tans)[1]

            return _Target(f"JVP of {target.label}", target.order + 1, jvp_fn, None,
                           across_jumps=target.label in self.kinked)
        u = self.random_outputs(target)
        flat_u = np.concatenate([ui.ravel() for ui in u]) if u else np.zeros(0)
        self.inherited[f"VJP of {target.label}"] = np.linalg.norm(flat_u * noise) / self.scale

        def vjp_fn(*xs: Any) -> Any:
            out, pullback = ad.vjp(target.fn, *xs)
            leaves = _leaves(out)
            cts = [ad.from_numpy(ui.astype(ad.dtype_of(o))) for ui, o in zip(u, leaves)]
            return pullback(_rebuild(out, cts))

        return _Target(f"VJP of {target.label}", target.order + 1, vjp_fn, None,
                       across_jumps=target.label in self.kinked)

    # -- one mode at one order -----------------------------------------------------------------

    def check_mode(self, target: _Target, mode: str, cache: dict[Any, Derivative]) -> Comparison:
        if self.flat.size == 0:
            return Comparison(**self.labels(target, mode), passed=True, note="no input entries")
        small = self.flat.size <= self.config.full_jacobian_max
        if mode == "fwd":
            comparison = (
                self.fwd_full(target, cache) if small else self.fwd_projected(target, cache)
            )
        else:
            comparison = (
                self.rev_full(target, cache) if small else self.rev_projected(target, cache)
            )
        comparison = self.with_note(self.across_note(target, comparison, cache))
        if not comparison.passed:
            raise GradientCheckError(comparison)
        return comparison

    def with_note(self, c: Comparison) -> Comparison:
        """Add this run's note (the oracle's precision, when not float64) to a comparison."""
        if not self.note:
            return c
        return replace(c, note=f"{c.note}. {self.note}" if c.note else self.note)

    def fwd_full(self, target: _Target, cache: dict[Any, Derivative]) -> Comparison:
        """Every JVP column e_j against the oracle's Jacobian column."""
        jac = self.oracle_jacobian(target, cache)
        columns = [self.ad_jvp(target, _unit(self.flat.size, j)) for j in range(self.flat.size)]
        ad_jac = np.stack([c[0] for c in columns], axis=1)
        dtype = self.dtype([c[1] for c in columns])
        unsure = ~jac.ok.all(axis=0)  # input columns the oracle has no estimate for
        value, error, compared = _trust(jac.value, jac.error, ad_jac, unsure[None, :])
        fd = FD(value, error, jac.kink & ~unsure[None, :], jac.evaluations)
        col_max = np.max(np.abs(value), axis=0, keepdims=True, initial=0.0)
        noise = self.output_noise(target, jac)[:, None] / self.scale[None, :]
        where = lambda k: (*self.flat.locate(k[1]), k[0])
        found = self.entries(target, "fwd", compared, fd, col_max, dtype, where, noise)
        unit = rounding_unit(dtype, self.noise_dtype)
        probes = [
            _Probe(_unit(self.flat.size, j), ad_jac[:, j], None, *self.flat.locate(j),
                   floor=noise[:, j] * unit)
            for j in np.flatnonzero(unsure)
        ]
        return self.settle(target, "fwd", jac, found, probes, dtype)

    def rev_full(self, target: _Target, cache: dict[Any, Derivative]) -> Comparison:
        """J^T u for a random u against u^T J from the oracle's Jacobian, entry by entry."""
        jac = self.oracle_jacobian(target, cache)
        m = jac.value.shape[0]
        u = self.rng.standard_normal(m)
        grad, dtype = self.ad_vjp(target, u)
        kink = (jac.kink & (u != 0)[:, None]).any(axis=0)
        # Inputs the oracle has no estimate for (in some output row that u weighs).
        unsure = (~jac.ok & (u != 0)[:, None]).any(axis=0)
        ok = jac.ok & ~unsure[None, :]
        uj, ue = u @ np.where(ok, jac.value, 0.0), np.abs(u) @ np.where(ok, jac.error, 0.0)
        value, error, compared = _trust(uj, ue, grad, unsure)
        fd = FD(value, error, kink & ~unsure, jac.evaluations)
        mag = contraction_magnitude(u, np.where(jac.ok, jac.value, 0.0), axis=0)
        out_noise = self.output_noise(target, jac)
        rev_noise = np.linalg.norm(u * out_noise) / self.scale
        found = self.entries(
            target, "rev", compared, fd, mag, dtype, lambda k: (*self.flat.locate(k[0]), None),
            rev_noise,
        )
        if unsure.any():
            unit = rounding_unit(dtype, self.noise_dtype)
            probes = [
                _Probe(_unit(self.flat.size, j), grad[j], u, *self.flat.locate(j),
                       floor=rev_noise[j] * unit, magnitude=max(mag[j], abs(grad[j])))
                for j in np.flatnonzero(unsure)
            ]
            return self.settle(target, "rev", jac, found, probes, dtype)
        if found.passed or m > self.config.full_jacobian_max:
            return found
        # Name the output too: the failing Jacobian column from one VJP per output entry.
        j = self.flat_index(found)
        column = np.array([self.ad_vjp(target, _unit(m, i))[0][j] for i in range(m)])
        fd_j = FD(jac.value[:, j], jac.error[:, j], jac.kink[:, j], jac.evaluations)
        row_max = np.max(np.abs(jac.value), axis=1, initial=0.0)
        arg, index = self.flat.locate(j)
        entry = self.entries(
            target, "rev", column, fd_j, row_max, dtype, lambda k: (arg, index, k[0]),
            out_noise / self.scale[j],
        )
        return entry if not entry.passed else found

    def fwd_projected(self, target: _Target, cache: dict[Any, Derivative]) -> Comparison:
        """J v for random v against the oracle's J v; bisect over inputs on failure."""
        worst = None
        for p in range(self.config.projections):
            v = self.projection_direction(p, cache)
            c = self.fwd_along(target, v, cache, key=("dir", p))
            if not c.passed:
                assert c.output_index is not None
                return self.locate(c, v, partial(self.fwd_entry, target, i=c.output_index))
            worst = c if worst is None or ratio(c) > ratio(worst) else worst
        assert worst is not None
        return worst

    def rev_projected(self, target: _Target, cache: dict[Any, Derivative]) -> Comparison:
        """<J^T u, v> against u . (J v) for random u, v; bisect over inputs on failure."""
        worst = None
        for p in range(self.config.projections):
            v = self.projection_direction(p, cache)
            fd = self.oracle_directional(target, v, cache, key=("dir", p))
            u = self.rng.standard_normal(fd.value.size)
            grad, dtype = self.ad_vjp(target, u)
            c = self.dot_products(target, grad, u, v, fd, dtype)
            if not c.passed:
                return self.locate(c, v, partial(self.rev_along, target, grad, u, dtype))
            worst = c if worst is None or ratio(c) > ratio(worst) else worst
        assert worst is not None
        return worst

    def rev_along(
        self, target: _Target, grad: np.ndarray, u: np.ndarray, dtype: np.dtype, v: np.ndarray
    ) -> Comparison:
        # Bisection only needs u . (J v): finite differences of the scalar u . F(x) cost a
        # ladder over one output instead of all of them (a gradient has one per input entry).
        inner = self.oracle_fn(target)
        scalar = lambda *x: u @ np.asarray(flatten_output(inner(*x)))
        # u . F rounds like its terms, added in quadrature.
        noise = np.linalg.norm(u * self.measure_noise(target))
        offset = self.offset_for(np.array([noise]), np.array([u @ self.signed(target)]))
        fd = self.oracle_directional(replace(target, numpy_fn=scalar), v, {}, None, offset)
        return self.dot_products(target, grad, u, v, fd, dtype, contracted=True)

    def dot_products(
        self, target: _Target, grad: np.ndarray, u: np.ndarray, v: np.ndarray, fd: Derivative,
        dtype: np.dtype, *, contracted: bool = False,
    ) -> Comparison:
        """The dot-product test (``contracted``: ``fd`` is already ``u . (J v)``); where the
        oracle is unsure, the Taylor remainder test of ``u . f`` along ``v`` against
        ``<J^T u, v>``."""
        noise = float(np.linalg.norm(u * self.output_noise(target))) * self.along(v)
        floor = noise * rounding_unit(dtype, self.noise_dtype)
        if not fd.valid:
            empty = Comparison(**self.labels(target, "rev"), passed=True)
            probe = _Probe(v, grad @ v, u, floor=floor, magnitude=float(np.abs(grad) @ np.abs(v)))
            return self.settle(target, "rev", fd, empty, [probe], dtype)
        weights = np.ones(1) if contracted else u
        return compare_dot_products(
            self.labels(target, "rev"), self.config, grad, weights, v, fd, dtype, floor=floor
        )

    def fwd_along(
        self, target: _Target, v: np.ndarray, cache: dict[Any, Derivative], key: Any
    ) -> Comparison:
        jv = self.oracle_directional(target, v, cache, key)
        ad_jv, dtype = self.ad_jvp(target, v)
        noise = self.output_noise(target) * self.along(v)
        if not jv.valid:
            empty = Comparison(**self.labels(target, "fwd"), passed=True)
            floor = noise * rounding_unit(dtype, self.noise_dtype)
            probe = _Probe(v, ad_jv, None, floor=floor)
            return self.settle(target, "fwd", jv, empty, [probe], dtype)
        fd = FD(jv.value, jv.error, jv.kink, jv.evaluations)
        mag = np.max(np.abs(jv.value), initial=0.0)
        where = lambda k: (None, None, k[0])
        return self.entries(target, "fwd", ad_jv, fd, mag, dtype, where, noise)

    def fwd_entry(self, target: _Target, v: np.ndarray, *, i: int) -> Comparison:
        """Output entry ``i`` of J v only (bisection): finite differences of one output cost a
        ladder over one output instead of all of them. The default atol is relative to the
        largest entry of the AD's J v, standing in for the oracle's (which is not computed)."""
        inner = self.oracle_fn(target)
        entry = lambda *x: np.asarray(flatten_output(inner(*x)))[i : i + 1]
        offset = self.noise_offset(target)[i : i + 1]
        jv = self.oracle_directional(replace(target, numpy_fn=entry), v, {}, None, offset)
        ad_jv, dtype = self.ad_jvp(target, v)
        fd = FD(jv.value, jv.error, jv.kink, jv.evaluations)
        mag = max(float(np.abs(jv.value[0])), float(np.max(np.abs(ad_jv), initial=0.0)))
        noise = self.output_noise(target)[i : i + 1] * self.along(v)
        where = lambda k: (None, None, i)
        return self.entries(target, "fwd", ad_jv[i : i + 1], fd, mag, dtype, where, noise)

    # -- locating a failure found by a projection ----------------------------------------------

    def locate(
        self, first: Comparison, v: np.ndarray, along: Callable[[np.ndarray], Comparison]
    ) -> Comparison:
        """Bisect over input blocks (the direction restricted to a block) to one failing entry
        (``refengine.judging.locate_entry``); the result is that entry's own derivative."""
        found = locate_entry(v, along, lambda c: not c.passed)
        if found.found is None:
            size = found.block.size
            return replace(first, note=f"Bisection stopped at a block of {size} entries")
        if not found.failed or found.weight == 0:
            return replace(first, note="No single input entry fails on its own")
        c = found.found
        arg, index = self.flat.locate(int(found.block[0]))
        note = (f"Values divided by the direction's entry {found.weight:.6g}: the entry's own "
                f"derivative. Found by bisection over input blocks after a random projection "
                f"failed")
        own = unweight(found.weight, {"ad_value": c.ad_value, "fd_value": c.fd_value},
                       {k: getattr(c, k) for k in ("fd_error", "abs_err", "tol", "atol")})
        return replace(c, argument=arg, index=index, note=note, **own)

    # -- the rounding floor of the tolerance (refengine.comparison's docstring) ----------------

    def output_noise(self, target: _Target, jac: Derivative | None = None) -> np.ndarray:
        """How much each output of ``target`` rounds, in units of eps (refengine.comparison):
        its own size ``|F_i|``; what it inherits from the function it is a derivative of; and,
        once its Jacobian is known, ``sum_k |J_ik| |x_k|``, the first-order effect of rounding
        every input. Kept per target, so that its own derivatives inherit it."""
        if target.label not in self.noise:
            if target.label not in self.values:
                with _quiet():
                    value = self.oracle_fn(target)(*self.x64)
                self.remember(target, value)
            own = self.values[target.label]
            measured = self.measure_noise(target) / eps_of(self.noise_dtype)
            inherited = self.inherited.get(target.label, 0.0)
            self.noise[target.label] = np.maximum.reduce(
                [own, np.broadcast_to(inherited, own.shape), measured]
            )
        if jac is not None:
            known = jac.value  # non-finite (unsure) entries count as none
            backward = backward_rounding(known, self.abs_x)
            self.noise[target.label] = np.maximum(self.noise[target.label], backward)
        return self.noise[target.label]

    def along(self, v: np.ndarray) -> float:
        """The rounding a derivative along ``v`` inherits per unit of the value's: each input's
        share ``v_j / s_j`` (its scale ``s_j``), added in quadrature (random directions)."""
        return float(np.linalg.norm(v / self.scale))

    def remember(self, target: _Target, value: Any) -> None:
        """Keep ``target``'s value at the point (non-finite outputs as 0, see _magnitudes)."""
        self.values[target.label] = _magnitudes(value)
        a = np.asarray(flatten_output(value), dtype=np.float64)
        self.signed_values[target.label] = np.where(np.isfinite(a), a, 0.0)

    def signed(self, target: _Target) -> np.ndarray:
        """``target``'s value at the point, flat, with its signs."""
        self.output_noise(target)
        return self.signed_values[target.label]

    def measure_noise(self, target: _Target) -> np.ndarray:
        """How much each output of ``target`` rounds, measured (absolute): ``sqrt(3)`` times the
        standard deviation of its rounding noise, estimated from ``NOISE_POINTS`` evaluations
        on a short segment next to the point (``noise_level``, refengine.comparison's
        docstring). 0 where no noise shows, or where ``target`` cannot be evaluated there."""
        if target.label in self.measured:
            return self.measured[target.label]
        size = self.values[target.label].size if target.label in self.values else None
        x = self.flat.flatten(self.x64)
        # Each input moves relative to its own size (1 for zeros), all in one random sign
        # pattern, to one side only: a kink at the point itself (relu at 0, ties) is not
        # crossed. Steps of sqrt(eps) relative move every intermediate by ~1/sqrt(eps) ulps
        # (independent roundings), while a smooth part changes by (sqrt(eps))^k relative in
        # the k-th differences; narrow dtypes stay inside the oracle's widest step.
        eps = eps_of(self.eval_dtype)
        h = min(float(np.sqrt(eps)), self.config.oracle.max_step / NOISE_POINTS)
        signs = np.random.default_rng(_NOISE_SEED).choice([-1.0, 1.0], x.size)
        step = h * signs * np.where(x != 0, np.abs(x), 1.0)
        fn = self.oracle_fn(target)
        rows = []
        try:
            with _quiet():
                for k in range(1, NOISE_POINTS + 1):
                    point = self.flat.unflatten(x + k * step)
                    rows.append(np.asarray(flatten_output(fn(*point)), dtype=np.float64))
        except Exception:  # f not defined there: no measurement (the floor is not widened)
            rows = []
        if not rows or any(r.size != rows[0].size for r in rows) or (
            size is not None and rows[0].size != size
        ):
            noise = np.zeros(size or 0)
        else:
            noise = np.sqrt(3.0) * noise_level(np.stack(rows))
        self.measured[target.label] = noise
        return noise

    def noise_offset(self, target: _Target) -> np.ndarray:
        """Per output of ``target``: the constant the oracle adds to it (``offset_for``)."""
        self.output_noise(target)
        return self.offset_for(self.measure_noise(target), self.signed_values[target.label])

    def offset_for(self, noise: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Constants that make the oracle's model of rounding true for outputs of ``value``
        at the point that round by ``noise`` (absolute; refengine.comparison's docstring,
        "Measured noise"): the oracle assumes each value rounds by ``roundoff * eps * |F_i|``,
        so an output noisier than that is shown to it as ``F_i + c_i`` with ``|F_i + c_i| =
        noise_i / (roundoff * eps)``. A constant changes no derivative, and adding it rounds by
        ``eps |c_i| / 2``, an eighth of the noise that sized it. 0 where the model holds."""
        unit = self.config.oracle.roundoff * eps_of(_FLOAT64)
        size = np.maximum(np.asarray(noise, dtype=np.float64) / unit - np.abs(value), 0.0)
        return np.where(value < 0, -size, size)

    # -- the two sides: AD and oracle ----------------------------------------------------------

    def fresh(self, a: np.ndarray) -> Any:
        """A framework array holding a copy of ``a``: f never sees the checker's own arrays."""
        return self.ad.from_numpy(np.array(a, copy=True))

    def ad_jvp(self, target: _Target, v_flat: np.ndarray) -> tuple[np.ndarray, np.dtype]:
        ad = self.ad
        xs = tuple(self.fresh(a) for a in self.arrays)
        tans = tuple(
            ad.from_numpy(t.astype(a.dtype))
            for t, a in zip(self.flat.unflatten(v_flat), self.arrays)
        )
        out, tan = ad.jvp(target.fn, xs, tans)
        if self.config.check_dtypes:
            self.check_structure(target, "fwd", _leaves(tan), _leaves(out), "tangent output")
        return self.flatten(tan), self.dtype([ad.dtype_of(o) for o in _leaves(tan)])

    def ad_vjp(self, target: _Target, u_flat: np.ndarray) -> tuple[np.ndarray, np.dtype]:
        ad = self.ad
        xs = tuple(self.fresh(a) for a in self.arrays)
        out, pullback = ad.vjp(target.fn, *xs)
        leaves = _leaves(out)
        pieces = np.split(u_flat, np.cumsum([_size(o) for o in leaves])[:-1])
        cts = [
            ad.from_numpy(p.reshape(_shape(o)).astype(ad.dtype_of(o)))
            for p, o in zip(pieces, leaves)
        ]
        grads = pullback(_rebuild(out, cts))
        if self.config.check_dtypes:
            self.check_structure(target, "rev", list(grads), list(xs), "gradient")
        return self.flatten(grads), self.dtype([ad.dtype_of(g) for g in grads])

    def oracle_fn(self, target: _Target) -> Callable[..., Any]:
        """``target`` as the oracle calls it: on copies of its float64 points (complex for the
        complex step), converted to ``eval_dtype`` where f cannot be evaluated in float64."""
        ad, dtype = self.ad, self.eval_dtype
        if target.numpy_fn is not None:
            base = target.numpy_fn
        else:
            base = lambda *x: tree_map(
                lambda o: np.asarray(ad.to_numpy(o)), target.fn(*[ad.from_numpy(a) for a in x])
            )
        if not self.promoted or ad.promote_constants is None:
            return lambda *x: base(*[_at(a, dtype) for a in x])
        context = ad.promote_constants

        def promoted(*x: Any) -> Any:
            with context():
                return base(*[_at(a, dtype) for a in x])

        return promoted

    def oracle_jacobian(self, target: _Target, cache: dict[Any, Derivative]) -> Derivative:
        """The oracle's Jacobian, valid or not (``settle`` deals with the entries it lacks)."""
        if "jac" not in cache:
            fn = _offset(self.oracle_fn(target), self.noise_offset(target))
            cache["jac"] = jacobian(fn, self.x64, config=self.oracle_config(target))
        return cache["jac"]

    def oracle_directional(
        self, target: _Target, v: np.ndarray, cache: dict[Any, Derivative], key: Any,
        offset: np.ndarray | None = None,
    ) -> Derivative:
        """The oracle's J v, valid or not (``settle`` deals with an invalid one), of
        ``target`` plus ``offset`` (per output; default ``noise_offset(target)``)."""
        if key is None or key not in cache:
            tans = self.flat.unflatten(v)
            offset = self.noise_offset(target) if offset is None else offset
            fn = _offset(self.oracle_fn(target), offset)
            d = directional(fn, self.x64, tans, config=self.oracle_config(target))
            if key is None:
                return d
            cache[key] = d
        return cache[key]

    def oracle_config(self, target: _Target) -> OracleConfig:
        """The oracle's options for ``target``: across jumps for a derivative of a function
        with a kink at the point (``_Target.across_jumps``), never for ``f`` itself, whose jump
        is no kink: there the oracle still has no estimate."""
        if not target.across_jumps:
            return self.config.oracle
        return replace(self.config.oracle, across_jumps=True)

    def across_note(
        self, target: _Target, c: Comparison, cache: dict[Any, Any]
    ) -> Comparison:
        """Name the kink where ``target`` (a derivative) jumps and its derivative was checked
        against the one-sided limits beside the point; a passing check is marked ``kink``."""
        jumped = [d for d in cache.values() if isinstance(d, Derivative) and d.jumps.any()]
        if not jumped or not c.checked:
            return c
        full = cache.get("jac")
        if full is not None and full.jumps.any():
            entries = [self.flat.locate(int(j)) for j in np.flatnonzero(full.jumps.any(axis=0))]
            shown = ", ".join(f"argument {a} index {i}" for a, i in entries[:4])
            where = f"along input entries {shown}" + (" and more" if len(entries) > 4 else "")
        else:
            where = f"along {len(jumped)} random direction(s)"
        n = target.order - 1
        nth = _ORDINALS.get(n, f"order-{n}")
        next_nth = _ORDINALS.get(n + 1, f"order-{n + 1}")
        note = (
            f"kink: the {nth} derivative ({target.label}) jumps here ({where}), so the "
            f"{next_nth} derivative is checked against its one-sided limits, computed beside "
            "the point"
        )
        return replace(
            c, kink=c.kink or c.passed, note="; ".join(filter(None, [c.note, note]))
        )

    def settle(
        self,
        target: _Target,
        mode: str,
        d: Derivative,
        found: Comparison,
        probes: list[_Probe],
        dtype: np.dtype,
    ) -> Comparison:
        """Where the oracle is unsure (``d`` invalid), the Taylor remainder test decides.

        ``found`` is the comparison on what the oracle did estimate (it stands if it failed);
        each probe is a direction the oracle has no estimate along, with AD's claim there (J v,
        or ``<J^T u, v>`` with the cotangent ``u``). All right: ``found``, noting that the Taylor
        test decided. One wrong: a failing Comparison with the Taylor estimate of the error.
        Otherwise OracleError, with the oracle's reason and the Taylor test's.
        """
        if not probes or not found.passed:
            return found
        results = [(p, self.taylor(target, p, dtype)) for p in probes]
        why = f"finite differences are not trustworthy at this point: {d.reason}"
        wrong = [(p, r) for p, r in results if r.verdict == "wrong"]
        if wrong:
            p, r = max(wrong, key=lambda pr: pr[1].error_estimate / max(pr[1].tolerance, 1e-300))
            claim = np.atleast_1d(p.claim)[r.entry or 0]
            return Comparison(
                **self.labels(target, mode),
                passed=False,
                argument=p.argument,
                index=p.index,
                output_index=r.entry if p.u is None and np.size(p.claim) > 1 else None,
                ad_value=float(claim),
                abs_err=r.error_estimate,
                rel_err=r.error_estimate / abs(claim) if claim else float("inf"),
                tol=r.tolerance,
                evaluations=d.evaluations + r.evaluations,
                note=f"The oracle was unsure ({why}); the Taylor remainder test decided: "
                f"{r.reason}",
            )
        unclear = [r for _, r in results if r.verdict != "right"]
        if unclear:
            raise OracleError(
                f"cannot check {target.label}: {why}; the Taylor remainder test is unclear "
                f"too: {unclear[0].reason}"
            )
        slopes = ", ".join(f"{r.slope_right:.2f}/{r.slope_left:.2f}" for _, r in results)
        note = (
            f"The oracle was unsure ({why}); the Taylor remainder test decided on "
            f"{len(results)} direction(s): right, remainder slopes {slopes} (h > 0/h < 0)"
        )
        return replace(
            found,
            evaluations=found.evaluations + sum(r.evaluations for _, r in results),
            note="; ".join(filter(None, [found.note, note])),
        )

    def taylor(self, target: _Target, probe: _Probe, dtype: np.dtype) -> TaylorResult:
        """The Taylor remainder test of one probe, with the comparison's tolerance rule: the
        caller's ``atol``, or ``rtol`` times the magnitude the comparison would use (AD's claim
        standing in for the oracle's values) with the rounding floor under it; plus ``rtol``
        times the claim. (Without the floor a claim of 0 would be held to a tolerance of 0.)"""
        rtol = self.config.rtol if self.config.rtol is not None else DEFAULT_RTOL[dtype]
        claim = np.atleast_1d(np.asarray(probe.claim, dtype=np.float64))
        size = np.abs(np.where(np.isfinite(claim), claim, 0.0))  # a NaN claim is judged as such
        atol = self.config.atol
        if atol is None:
            magnitude = probe.magnitude
            if magnitude is None or not np.isfinite(magnitude):
                magnitude = float(np.max(size, initial=0.0))
            atol = absolute_tolerance(rtol, magnitude, probe.floor, tiny_of(dtype))
        return taylor_test(
            self.oracle_fn(target),
            self.x64,
            self.flat.unflatten(probe.v),
            claim,
            cotangent=probe.u,
            tolerance=atol + rtol * size,
            config=self.config.oracle,
        )

    # -- comparing ----------------------------------------------------------------------------

    def entries(
        self,
        target: _Target,
        mode: str,
        ad_values: np.ndarray,
        fd: FD,
        magnitude: np.ndarray | float,
        dtype: np.dtype,
        locate: Callable[[tuple[int, ...]], tuple[int | None, Any, int | None]],
        noise: np.ndarray | float,
    ) -> Comparison:
        """``compare_entries`` (the tolerance rule) for this target and mode under this run's
        options; ``noise`` times the rounding unit of the two precisions is the floor."""
        floor = noise * rounding_unit(dtype, self.noise_dtype)
        return compare_entries(
            self.labels(target, mode), self.config, ad_values, fd, magnitude, dtype, locate,
            floor=floor,
        )

    def labels(self, target: _Target, mode: str) -> dict[str, Any]:
        return {
            "function": self.name,
            "check": f"{MODE_NAMES[mode]} of {target.label}",
            "mode": mode,
            "order": target.order,
        }

    def check_structure(
        self, target: _Target, mode: str, got: list[Any], want: list[Any], what: str
    ) -> None:
        """AD results must have the shapes and dtypes of the values they belong to."""
        ad = self.ad
        problem = None
        if len(got) != len(want):
            problem = f"{len(got)} {what}s returned, expected {len(want)}"
        for k, (g, w) in enumerate(zip(got, want)):
            if problem is None and (_shape(g) != _shape(w) or ad.dtype_of(g) != ad.dtype_of(w)):
                problem = (
                    f"{what} {k} has shape {_shape(g)} and dtype {ad.dtype_of(g)}, expected "
                    f"shape {_shape(w)} and dtype {ad.dtype_of(w)}"
                )
        if problem is not None:
            raise GradientCheckError(
                Comparison(**self.labels(target, mode), passed=False, note=problem)
            )

    # -- helpers --------------------------------------------------------------------------------

    def flatten(self, tree: Any) -> np.ndarray:
        leaves = [np.asarray(self.ad.to_numpy(o), dtype=np.float64).ravel() for o in _leaves(tree)]
        return np.concatenate(leaves) if leaves else np.zeros(0)

    def dtype(self, dtypes: Sequence[np.dtype]) -> np.dtype:
        """The precision the AD computed in: the lowest among inputs and AD results."""
        return lowest_precision([*dtypes, *(a.dtype for a in self.arrays)])

    def flat_index(self, c: Comparison) -> int:
        assert c.argument is not None and c.index is not None
        shape = self.flat.shapes[c.argument]
        return self.flat.offsets[c.argument] + int(np.ravel_multi_index(c.index, shape))

    def random_inputs(self) -> list[np.ndarray]:
        # Rounded to the arguments' dtype, so float32 and float64 evaluations see the same t.
        return [
            self.rng.standard_normal(a.shape).astype(a.dtype).astype(np.float64)
            for a in self.arrays
        ]

    def random_outputs(self, target: _Target) -> list[np.ndarray]:
        out = target.fn(*[self.fresh(a) for a in self.arrays])
        return [
            self.rng.standard_normal(_shape(o)).astype(self.ad.dtype_of(o)).astype(np.float64)
            for o in _leaves(out)
        ]

    def projection_direction(self, p: int, cache: dict[Any, Any]) -> np.ndarray:
        key = ("v", p)
        if key not in cache:
            parts = self.random_inputs()
            cache[key] = np.concatenate([q.ravel() for q in parts])
        return cache[key]


class _Probe(NamedTuple):
    """A direction the oracle has no estimate along, with AD's claim there (see ``settle``)."""

    v: np.ndarray  # flat direction
    claim: Any  # AD's J v (one value per output), or <J^T u, v> when u is given
    u: np.ndarray | None  # flat cotangent (reverse mode), or None
    argument: int | None = None
    index: tuple[int, ...] | None = None
    floor: Any = 0.0  # the comparison's rounding floor for the claim (per entry, or one)
    magnitude: float | None = None  # what its default atol is relative to (None: max |claim|)


def _trust(
    value: np.ndarray, error: np.ndarray, ad: np.ndarray, unsure: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The oracle's values and bounds, with AD's own values (bound 0) where it is unsure: those
    entries pass the comparison trivially and are decided by the Taylor test instead. Also AD's
    values as compared: a non-finite one there counts as 0 on both sides (NaN - NaN would fail
    the comparison with no oracle value to show; the Taylor test judges the NaN itself)."""
    ad = np.broadcast_to(np.asarray(ad, dtype=np.float64).reshape(np.shape(value)), np.shape(value))
    unsure = np.broadcast_to(unsure, np.shape(value))
    ad = np.where(unsure & ~np.isfinite(ad), 0.0, ad)
    return np.where(unsure, ad, value), np.where(unsure, 0.0, error), ad


def noise_level(values: np.ndarray) -> np.ndarray:
    """The standard deviation of the rounding noise in ``values`` (evaluations at equally
    spaced points, one row each), per column; 0 where none shows.

    Moré and Wild's ECnoise ("Estimating computational noise", SIAM J. Sci. Comput. 33, 2011):
    the k-th differences of a smooth function shrink like h^k, those of independent noise of
    deviation sigma have mean square sigma^2 (2k)! / (k!)^2. So ``sigma_k = sqrt(gamma_k
    mean((Delta^k F)^2))``, ``gamma_k = (k!)^2 / (2k)!``, estimates sigma once the smooth part
    is gone; it is taken at the first order k whose differences change sign (noise, not a
    smooth trend) and where sigma_k, sigma_k+1 and sigma_k+2 agree within a factor 4 (their
    own scatter over so few points).
    """
    values = np.asarray(values, dtype=np.float64)
    m = values.shape[0] - 1
    cols = values.shape[1:]
    finite = np.all(np.isfinite(values), axis=0)
    table = np.where(finite, values, 0.0)
    sigma = np.zeros((m + 1, *cols))
    changes = np.zeros((m + 1, *cols), dtype=bool)
    for k in range(1, m + 1):
        table = np.diff(table, axis=0)
        gamma = math.factorial(k) ** 2 / math.factorial(2 * k)
        sigma[k] = np.sqrt(gamma * np.mean(np.square(table), axis=0))
        changes[k] = (table.min(axis=0) < 0) & (table.max(axis=0) > 0)
    found = np.zeros(cols, dtype=bool)
    level = np.zeros(cols)
    for k in range(1, m - 1):
        three = sigma[k : k + 3]
        agree = 4.0 * three.min(axis=0) >= three.max(axis=0)
        take = agree & changes[k] & ~found & finite
        level = np.where(take, sigma[k], level)
        found |= take
    return level


def _offset(fn: Callable[..., Any], offset: np.ndarray) -> Callable[..., Any]:
    """``fn`` with ``offset`` added to its flat output (``fn`` itself where it is all 0)."""
    if not np.any(offset):
        return fn
    return lambda *x: np.asarray(flatten_output(fn(*x))) + offset


def _unit(n: int, j: int) -> np.ndarray:
    e = np.zeros(n)
    e[j] = 1.0
    return e


def _is_complex(ad: ADFunctions, value: Any) -> bool:
    try:
        return ad.dtype_of(value).kind == "c"
    except (AttributeError, TypeError):  # a Python number
        return isinstance(value, complex)


def _leaves(tree: Any) -> list[Any]:
    return tree_flatten(tree)[0]


def _rebuild(template: Any, leaves: list[Any]) -> Any:
    return tree_unflatten(tree_flatten(template)[1], leaves)


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in getattr(x, "shape", np.shape(x)))


def _size(x: Any) -> int:
    return int(np.prod(_shape(x), dtype=np.int64))


@contextmanager
def _quiet() -> Iterator[None]:
    """The checker's own extra calls of f warn nothing (the oracle's calls do not either):
    a NaN at the point is reported once, as an OracleError."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _unavailable(*_: Any) -> Any:
    raise ModeUnavailable("not computed")  # stands for a derivative that could not be built


def _at(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A copy of the oracle's point ``x`` in ``dtype`` (``x`` itself stays the oracle's)."""
    if dtype == _FLOAT64 or not np.isrealobj(x):
        if not np.isrealobj(x) and dtype != _FLOAT64:
            # No complex counterpart of a narrow float: the oracle falls back to Richardson.
            raise TypeError(f"f is evaluated in {dtype.name}: no complex step")
        return np.array(x, copy=True)
    return np.asarray(x).astype(dtype)


def _output_precision(out: Any) -> np.dtype:
    """The lowest float precision among the outputs' leaves (float64 if none is a float)."""
    return lowest_precision([np.asarray(o).dtype for o in _leaves(out)])


def _magnitudes(out: Any) -> np.ndarray:
    """|F_i|, with non-finite outputs counted as 0: the oracle judges those points itself
    (a NaN here would make every tolerance NaN, and every comparison fail)."""
    a = np.asarray(flatten_output(out), dtype=np.float64)
    return np.where(np.isfinite(a), np.abs(a), 0.0)


def _mutation_message(name: str, i: int, old: np.ndarray, new: np.ndarray) -> str:
    if new.shape != old.shape:
        change = f"its shape went from {old.shape} to {new.shape}"
    else:
        differs = ~((new == old) | (np.isnan(new) & np.isnan(old)))
        k = tuple(int(q) for q in np.argwhere(differs)[0])
        change = f"first at index {k}: {old[k]!r} became {new[k]!r}"
    return (
        f"{name!r} changed its argument {i} in place ({change}). The checker evaluates f "
        "many times at copies of the point and at perturbed points; a function that writes "
        "into its inputs gives each call a different point. Work on a copy inside f "
        "(x = x.copy(), torch.clone, or an out-of-place operation) and check again."
    )

