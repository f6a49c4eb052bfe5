"""What is timed: points (case x dtype x size), their inputs, and one ready-to-sample
measurement per adapter x mode x quantity.

``build`` is the single place where a quantity becomes a timed call, shared by
``run_timings`` and the pytest-benchmark suite: the adapter's prepared callable on native
arrays (conversion from NumPy happens here, before any timing), ``sync`` inside the call (so
asynchronous dispatch is timed with its compute), the first call timed apart (for a jit mode:
trace, compile and run), then warm-up and calibration.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.arguments import map_to_tuples
from adapters.base import Unsupported
from cases.case import Case, Size
from cases.timing.sampler import DEFAULT, Budget, Measurement, time_first_call, warm_up

__all__ = [
    "ADAPTER_QUANTITY",
    "TIMED_QUANTITIES",
    "Directions",
    "Point",
    "SizesSpec",
    "Timed",
    "build",
    "classify",
    "fresh",
    "plan",
    "prepare_call",
    "sizes_for",
]

SizesSpec = str | Mapping[str, Sequence[Size]] | Callable[[Case], Sequence[Size]]
# Steady-state quantities, in the order they are built: value_and_grad first, so its compile
# (the one recorded) does not profit from caches warmed by another quantity's compile.
TIMED_QUANTITIES = ("value_and_grad", "forward", "jvp", "hvp")
ADAPTER_QUANTITY = {"forward": "value", "value_and_grad": "value_and_grad", "jvp": "jvp",
                    "hvp": "hvp"}


def sizes_for(case: Case, sizes: SizesSpec) -> tuple[Size, ...]:
    """The sizes to time ``case`` at: ``"sweep"`` (its declared sweep), ``"smallest"`` (the
    first sweep size), ``"check"`` (its check size), a mapping ``{case name: sizes}`` (other
    cases: their sweep), or a callable ``case -> sizes``."""
    if callable(sizes):
        return tuple(sizes(case))
    if isinstance(sizes, Mapping):
        return tuple(sizes.get(case.name, case.sizes.sweep))
    if sizes == "sweep":
        return tuple(case.sizes.sweep)
    if sizes == "smallest":
        return (case.sizes.sweep[0],)
    if sizes == "check":
        return (case.sizes.check,)
    raise ValueError(f"unknown sizes {sizes!r}: 'sweep', 'smallest', 'check', a mapping or "
                     "a callable")


@dataclass(frozen=True)
class Directions:
    """Random directions in the point's dtype: one tangent per differentiated input (jvp,
    hvp), and a cotangent for a vector output (its reverse-mode derivative is a VJP)."""

    tangents: tuple[np.ndarray, ...]
    cotangent: np.ndarray | None


@dataclass(frozen=True)
class Point:
    """One case at one dtype and size: every adapter is timed on the same inputs."""

    case: Case
    dtype: str
    size: Size

    @property
    def label(self) -> str:
        return self.case.sizes.label(self.size)

    @property
    def gradbench_label(self) -> str:
        return self.case.sizes.gradbench_label(self.size)

    @property
    def scalar_output(self) -> bool:
        return self.case.expected_shape(self.size) == ()

    def rng(self, seed: int) -> np.random.Generator:
        # Stable across processes (unlike hash()): an isolated run draws the same inputs.
        words = [zlib.crc32(s.encode()) for s in (self.case.name, self.dtype, repr(self.size))]
        return np.random.default_rng([seed, *words])

    def inputs(self, seed: int) -> tuple[np.ndarray, ...]:
        return self.case.sample(self.rng(seed), self.size, self.dtype)

    def directions(self, seed: int, inputs: Sequence[np.ndarray]) -> Directions:
        rng = self.rng(seed + 1)
        tangents = tuple(rng.standard_normal(np.shape(inputs[i])).astype(self.dtype)
                         for i in self.case.argnums)
        cotangent = None
        if not self.scalar_output:
            cotangent = rng.standard_normal(self.case.expected_shape(self.size)).astype(
                self.dtype)
        return Directions(tangents, cotangent)

    def n_inputs(self, inputs: Sequence[np.ndarray]) -> int:
        return int(sum(np.size(inputs[i]) for i in self.case.argnums))


def plan(cases: Iterable[Case], dtypes: Sequence[str] | None, sizes: SizesSpec) -> list[Point]:
    """Every point, case by case; ``dtypes=None`` takes each case's own."""
    points = []
    for case in cases:
        for dtype in case.dtypes if dtypes is None else [d for d in dtypes if d in case.dtypes]:
            points.extend(Point(case, dtype, size) for size in sizes_for(case, sizes))
    return points


def fresh(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object that calls ``fn``: adapters cache prepared (and compiled)
    callables per function object, so each run compiles afresh and its compile is timed."""

    def case_fn(xp: Any, *inputs: Any) -> Any:
        return fn(xp, *inputs)

    return case_fn


@dataclass(eq=False)
class Timed:
    """One adapter x mode x quantity at a point, warmed up and calibrated."""

    adapter: Any
    mode: str
    quantity: str
    measurement: Measurement
    compile_s: float | None  # the first call, when it traced (jit modes)
    traces: Callable[[], int] | None
    traces_after_warmup: int | None

    def retraced(self) -> bool:
        """Whether a jit mode traced again after warm-up (compiling inside the samples)."""
        return self.traces is not None and self.traces() != self.traces_after_warmup


def prepare_call(
    adapter: Any, point: Point, mode: str, quantity: str, inputs: Sequence[np.ndarray],
    directions: Directions, fn: Callable[..., Any],
) -> tuple[Callable[[], Any], Callable[[], int] | None]:
    """``(call, traces)``: one call of ``quantity`` on native arrays with ``sync`` inside, and
    the jit trace counter (None in eager modes). Nothing has run yet."""
    argnums = point.case.argnums
    direction: Any = None
    adapter_quantity = ADAPTER_QUANTITY[quantity]
    if quantity == "forward":
        argnums = ()
    elif quantity in ("jvp", "hvp"):
        direction = directions.tangents
    elif not point.scalar_output:  # the reverse-mode derivative of a vector output
        adapter_quantity, direction = "vjp", directions.cotangent
    if quantity == "hvp" and not point.scalar_output:
        raise ValueError("hvp needs a scalar output")
    prepared = adapter.prepare(fn, adapter_quantity, mode, argnums)
    native = tuple(adapter.to_native(x) for x in inputs)
    native_direction = None if direction is None else map_to_tuples(adapter.to_native, direction)
    sync = adapter.sync

    def call() -> Any:
        return sync(prepared(native, native_direction))

    return call, prepared.traces


def build(
    adapter: Any, point: Point, mode: str, quantity: str, inputs: Sequence[np.ndarray],
    directions: Directions, fn: Callable[..., Any], budget: Budget = DEFAULT,
) -> Timed:
    """Prepare ``quantity`` of ``fn`` on ``adapter`` at ``point``; time its first call; warm
    up and calibrate. Raises what the framework raises when it cannot do it."""
    call, traces = prepare_call(adapter, point, mode, quantity, inputs, directions, fn)
    traces_before = traces() if traces is not None else None
    first_s = time_first_call(call, budget)
    compiled = traces is not None and traces() > (traces_before or 0)
    m = Measurement((adapter.name, mode, quantity), call,
                    on_cpu=getattr(adapter, "device", "cpu") == "cpu")
    warm_up(m, budget)
    after = traces() if traces is not None else None
    return Timed(adapter, mode, quantity, m, first_s if compiled else None, traces, after)


def classify(adapter: Any, exc: Exception) -> tuple[str, str]:
    """``(status, message)`` as the conformance checks would word them: the adapter knows
    which of its framework's errors mean "cannot do this" (its ``_classify`` hook)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    # tf.function wraps errors as "in user code: ... <the error>": the last line says it.
    text = lines[-1] if len(lines) > 1 and lines[0].endswith(":") else (lines or [""])[0]
    message = f"{type(exc).__name__}: {text}"
    if isinstance(exc, (Unsupported, NotImplementedError)):
        return "unsupported", message
    hook = getattr(adapter, "_classify", None)
    reason = hook(exc) if callable(hook) else None
    if not reason:
        return "error", message
    first = reason.splitlines()[0]
    return "unsupported", f"{first} {text}" if first.endswith(":") else first
