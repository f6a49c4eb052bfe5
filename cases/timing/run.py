"""``run_timings``: the one timing code path, for the CLI, the figures and pytest-benchmark.

    from cases.timing import run_timings, RunNotes, to_frame
    notes = RunNotes()
    records = list(run_timings(["gmm", "mlp-classifier"], ["torch", "jax", "refengine"],
                               sizes="smallest", quick=True, notes=notes))
    to_frame(records)          # the tidy frame; notes.to_dict() -> environment.json

For each point (case x dtype x size) every adapter x mode x quantity is built (inputs converted,
first call timed, warm-up, calibration), then sampled in interleaved rounds together with the
NumPy control; records are yielded point by point, so a caller can write them as they come.
What could not be timed (unsupported, a framework error, an unavailable adapter) is not a
record: it is listed in ``RunNotes.skipped`` with the reason.

Fairness, in this order: the process is pinned to ``threads`` CPUs (every thread), the thread
count is handed to every adapter before its framework loads, loaded BLAS libraries are limited
to it, malloc thresholds are fixed, each framework runs a small computation before the first
point (so backend start-up is nobody's compile time), and during the rounds the GC is off, no
worker thread spins before a sample, and a sample during which another process took the core
is retaken (``environment``, ``sampler``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import adapters as adapter_registry
import cases as case_registry
from adapters import threads as thread_settings
from cases.case import Case
from cases.timing import environment
from cases.timing.control import Control
from cases.timing.grid import (
    TIMED_QUANTITIES,
    Point,
    SizesSpec,
    Timed,
    build,
    classify,
    fresh,
    plan,
)
from cases.timing.intervals import paired_ratio
from cases.timing.memory import peak_memory
from cases.timing.sampler import DEFAULT, QUICK, Budget, run_rounds
from cases.timing.timing_record import CONTROL_CASE, QUANTITIES, TimingRecord, new_run_id
from cases.timing.untimed import STATUS as UNTIMED_STATUS
from cases.timing.untimed import untimed

__all__ = ["RunNotes", "resolve_adapters", "resolve_cases", "run_timings"]

log = logging.getLogger("gradparity.timing")
_MEMORY_QUANTITIES = ("forward", "value_and_grad")


@dataclass
class RunNotes:
    """What a run knows besides its records (``to_dict()`` is JSON-ready):
    ``environment`` (for environment.json), ``skipped`` (what was not timed, and why),
    ``failures`` (isolated subprocesses that crashed or timed out), ``fairness`` (per adapter
    and mode: cores busy per wall second while sampling, seconds spent waiting for idle
    threads, samples retaken because another process took the core and those kept anyway
    once retaking had cost enough, retracing jit functions), ``control`` (the control's
    median at each point, in the order timed: where it rises, the machine was busy, whatever
    the frameworks did)."""

    run_id: str = ""
    environment: dict[str, Any] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    fairness: dict[str, dict[str, Any]] = field(default_factory=dict)
    control: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def skip(self, point: Point | None, adapter: str, mode: str, quantity: str, status: str,
             message: str) -> None:
        entry = {"case": point.case.name if point else "", "adapter": adapter, "mode": mode,
                 "dtype": point.dtype if point else "", "size": point.label if point else "",
                 "quantity": quantity, "status": status, "message": message.splitlines()[0]
                 if message else ""}
        self.skipped.append(entry)
        log.info("not timed: %s", entry)

    def merge(self, other: dict[str, Any], process: str) -> None:
        """Fold in the notes of an isolated subprocess."""
        self.environment.setdefault("processes", {})[process] = other.get("environment", {})
        self.skipped.extend(other.get("skipped", []))
        self.failures.extend(other.get("failures", []))
        self.fairness.update(other.get("fairness", {}))
        self.control.extend(other.get("control", []))


def resolve_cases(items: Iterable[Case | str]) -> list[Case]:
    return [case_registry.get(c) if isinstance(c, str) else c for c in items]


def resolve_adapters(items: Iterable[Any]) -> list[Any]:
    return [adapter_registry.get(a) if isinstance(a, str) else a for a in items]


def run_timings(
    cases: Iterable[Case | str],
    adapters: Iterable[Any],
    modes: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = ("float64",),
    sizes: SizesSpec = "sweep",
    quick: bool = False,
    isolate: bool = False,
    threads: int = 1,
    seed: int = 0,
    *,
    quantities: Sequence[str] = QUANTITIES,
    budget: Budget | None = None,
    memory: bool = True,
    pin: bool = True,
    run_id: str | None = None,
    notes: RunNotes | None = None,
    timeout_s: float | None = None,
    control_name: str = CONTROL_CASE,
) -> Iterator[TimingRecord]:
    """Time ``cases`` on ``adapters`` (names or adapter objects); yield records as made.

    ``modes``: None for every mode an adapter has; ``dtypes``: None for each case's own;
    ``sizes``: see ``grid.sizes_for``. ``quick`` uses the smoke-run budget unless ``budget``
    is given. ``isolate`` runs each adapter in its own subprocess (``timeout_s`` each); a
    crash there is noted in ``notes.failures`` and the run goes on. ``threads``: one count
    for every framework; ``pin`` binds the process to that many CPUs for the run (restored
    afterwards). ``memory``: peak memory of forward and value_and_grad. ``seed`` fixes the
    inputs, directions and the interleaving order.
    """
    case_list = resolve_cases(cases)
    budget = budget or (QUICK if quick else DEFAULT)
    notes = notes if notes is not None else RunNotes()
    notes.run_id = run_id = run_id or notes.run_id or new_run_id()
    unknown = set(quantities) - set(QUANTITIES)
    if unknown:
        raise ValueError(f"unknown quantities {sorted(unknown)}; choose from {QUANTITIES}")
    options = dict(modes=modes, dtypes=dtypes, sizes=sizes, threads=threads, seed=seed,
                   quantities=tuple(quantities), budget=budget, memory=memory, pin=pin,
                   run_id=run_id, notes=notes)
    adapter_list = list(adapters)
    # Out-of-process adapters (adapters.remote) are timed in a child of their own
    # environment's interpreter, under this same harness; the others as asked.
    remote = [a for a in adapter_list if getattr(a, "remote", False)
              or (isinstance(a, str) and getattr(adapter_registry.get(a), "remote", False))]
    here = [a for a in adapter_list if a not in remote]
    if isolate:
        from cases.timing.isolation import run_isolated

        yield from run_isolated(case_list, adapter_list, timeout_s=timeout_s, **options)
        return
    if here:
        yield from _run_here(case_list, resolve_adapters(here), control_name=control_name,
                             **options)
    for adapter in resolve_adapters(remote):
        yield from _run_in_worker(case_list, adapter, control_name=control_name,
                                  timeout_s=timeout_s, **options)


def _run_in_worker(
    case_list: list[Case], adapter: Any, *, modes: Sequence[str] | None,
    dtypes: Sequence[str] | None, sizes: SizesSpec, threads: int, seed: int,
    quantities: tuple[str, ...], budget: Budget, memory: bool, pin: bool, run_id: str,
    notes: RunNotes, control_name: str, timeout_s: float | None,
) -> Iterator[TimingRecord]:
    """An out-of-process adapter's timings, made by its worker (``adapters.remote``) with this
    same harness; a worker that dies or hangs is a failure in ``notes``, and the run goes on."""
    from cases.timing.grid import sizes_for
    from cases.timing.isolation import jsonable_size

    status = adapter.available()
    if not status:
        notes.skip(None, adapter.name, "", "", "unavailable", status.reason)
        return
    spec = {"cases": [{"name": c.name, "module": c.fn.__module__,
                       "sizes": [jsonable_size(s) for s in sizes_for(c, sizes)]}
                      for c in case_list],
            "modes": None if modes is None else list(modes),
            "dtypes": None if dtypes is None else list(dtypes), "threads": threads,
            "seed": seed, "quantities": list(quantities), "budget": asdict(budget),
            "memory": memory, "pin": pin, "run_id": run_id,
            "control_name": f"{control_name}@{adapter.name}"}
    try:
        done = adapter.time(spec, timeout_s)
    except Exception as exc:  # the worker died or hung: say so, the run goes on
        notes.failures.append({"adapter": adapter.name, "returncode": None,
                               "timed_out": "did not answer" in str(exc),
                               "stderr_tail": f"{type(exc).__name__}: {exc}"})
        return
    notes.merge(done["notes"], process=f"{adapter.name} worker ({adapter.python})")
    for row in done["records"]:
        if row["adapter"] == adapter.adapter:  # the worker names its adapter; records, ours
            row = {**row, "adapter": adapter.name}
        yield TimingRecord.from_dict(row)


def _run_here(
    case_list: list[Case], adapter_list: list[Any], *, modes: Sequence[str] | None,
    dtypes: Sequence[str] | None, sizes: SizesSpec, threads: int, seed: int,
    quantities: tuple[str, ...], budget: Budget, memory: bool, pin: bool, run_id: str,
    notes: RunNotes, control_name: str,
) -> Iterator[TimingRecord]:
    with environment.pinned(threads, enabled=pin) as cpus:
        settings = {
            "threads": thread_settings.configure(threads),
            "pinned_cpus": cpus if pin else None,
            "malloc": environment.fix_malloc(),
            "blas_threads": environment.limit_blas_threads(threads),
            "timer_granularity_s": environment.timer_granularity(),
            "budget": asdict(budget),
        }
        ready = _available(adapter_list, notes)
        _warm_frameworks(ready, modes, notes)
        notes.environment = environment.describe(ready, settings)
        notes.environment["adapters"] = {a.name: a.threads() for a in ready}
        order_rng = np.random.default_rng(seed)
        control = Control(budget, control_name)
        for point in plan(case_list, dtypes, sizes):
            yield from _run_point(point, ready, modes, quantities, budget, memory, threads,
                                  seed, run_id, notes, order_rng, control)
        if not control.samples:  # nothing was timed: the run still has its control
            alone = control.measurement()
            run_rounds([alone], budget, order_rng)
            control.add(alone)
        record = control.record(run_id, threads)
        if record is not None:
            yield record


def _available(adapter_list: list[Any], notes: RunNotes) -> list[Any]:
    ready = []
    for adapter in adapter_list:
        status = adapter.available()
        if status:
            ready.append(adapter)
        else:
            notes.skip(None, adapter.name, "", "", "unavailable", status.reason)
    return ready


def _warm_frameworks(ready: list[Any], modes: Sequence[str] | None, notes: RunNotes) -> None:
    """A tiny computation per adapter and mode, so that backend start-up (XLA's client,
    TensorFlow's runtime, lazily loaded kernels) is not counted as any case's compile."""

    def tiny(xp: Any, x: Any) -> Any:
        return xp.sum(xp.sin(x) * x)

    x = np.linspace(0.0, 1.0, 8)
    for adapter in ready:
        for mode in _modes(adapter, modes):
            quantity = "value_and_grad" if adapter.derivatives else "value"
            try:
                prepared = adapter.prepare(tiny, quantity, mode, (0,))
                native = (adapter.to_native(x),)
                for _ in range(2):
                    adapter.sync(prepared(native, None))
            except Exception as exc:
                notes.skip(None, adapter.name, mode, "warm-up", "error",
                           f"{type(exc).__name__}: {exc}")


def _modes(adapter: Any, modes: Sequence[str] | None) -> list[str]:
    return list(adapter.modes) if modes is None else [m for m in modes if m in adapter.modes]


def _build_point(
    point: Point, ready: list[Any], modes: Sequence[str] | None, quantities: tuple[str, ...],
    budget: Budget, seed: int, notes: RunNotes,
) -> tuple[list[Timed], int]:
    inputs = point.inputs(seed)
    directions = point.directions(seed, inputs)
    fn = fresh(point.case.fn)
    wanted = [q for q in TIMED_QUANTITIES if q in quantities]
    timed = []
    for adapter in ready:
        if point.dtype not in adapter.dtypes:
            notes.skip(point, adapter.name, "", "", "unsupported", f"no {point.dtype}")
            continue
        for mode in _modes(adapter, modes):
            too_costly = untimed(point.case.name, adapter.name, mode, point.size)
            if too_costly is not None:
                notes.skip(point, adapter.name, mode, "", UNTIMED_STATUS, too_costly.measured)
                continue
            # compile is value_and_grad's first call; an eager mode compiles nothing
            extra = ["value_and_grad"] if ("compile" in quantities and mode != "eager"
                                            and "value_and_grad" not in wanted) else []
            for quantity in extra + wanted:
                if quantity != "forward" and not adapter.derivatives:
                    continue  # a values-only adapter: forward is all it has
                if quantity == "hvp" and not point.scalar_output:
                    notes.skip(point, adapter.name, mode, quantity, "unsupported",
                               "hvp needs a scalar output")
                    continue
                try:
                    timed.append(build(adapter, point, mode, quantity, inputs, directions, fn,
                                       budget))
                except Exception as exc:
                    status, message = classify(adapter, exc)
                    notes.skip(point, adapter.name, mode, quantity, status, message)
    return timed, point.n_inputs(inputs)


def _run_point(
    point: Point, ready: list[Any], modes: Sequence[str] | None, quantities: tuple[str, ...],
    budget: Budget, memory: bool, threads: int, seed: int, run_id: str, notes: RunNotes,
    order_rng: np.random.Generator, control: Control,
) -> Iterator[TimingRecord]:
    timed, n_inputs = _build_point(point, ready, modes, quantities, budget, seed, notes)
    sampled = [t.measurement for t in timed if t.quantity in quantities]
    if not timed:
        return
    control_m = control.measurement()
    run_rounds([*sampled, control_m], budget, order_rng, companion=control_m)
    control.add(control_m)
    # The control's median at this point: a point where it is slow too was a noisy minute.
    notes.control.append({"case": point.case.name, "dtype": point.dtype, "size": point.label,
                          "process": control.name, "median_s": control_m.stats().median_s,
                          "n_samples": len(control_m.samples)})
    for t in timed:
        _note_fairness(t, notes)
        m = t.measurement
        if m.error is not None:
            notes.skip(point, t.adapter.name, t.mode, t.quantity, "error", m.error)
            continue
        common = dict(run_id=run_id, case=point.case.name, adapter=t.adapter.name, mode=t.mode,
                      device=t.adapter.device, dtype=point.dtype, size=point.label,
                      n_inputs=n_inputs, threads=threads, gradbench_size=point.gradbench_label)
        if t.quantity in quantities:
            peak, method = (None, "none")
            if memory and t.quantity in _MEMORY_QUANTITIES:
                peak, method = peak_memory(t.adapter, m.call)
            stats = m.stats()
            yield TimingRecord(quantity=t.quantity, median_s=stats.median_s, min_s=stats.min_s,
                               iqr_s=stats.iqr_s, n_samples=stats.n_samples, peak_bytes=peak,
                               memory_method=method, **_intervals(stats, m, control_m),
                               **common)
        if t.quantity == "value_and_grad" and "compile" in quantities and t.compile_s:
            yield TimingRecord(quantity="compile", median_s=t.compile_s, min_s=t.compile_s,
                               iqr_s=0.0, n_samples=1, **common)


def _intervals(stats: Any, m: Any, control_m: Any) -> dict[str, float | None]:
    """The median's interval, and the measurement's time over the control's, each sample
    over the control's sample nearest in time (both were sampled in the same rounds): what
    stays when the whole machine slows down."""
    paired = paired_ratio(m.samples, m.times, control_m.samples, control_m.times)
    return {"ci_low_s": _finite(stats.ci_low_s), "ci_high_s": _finite(stats.ci_high_s),
            "vs_control": paired.median if paired else None,
            "vs_control_low": _finite(paired.low) if paired else None,
            "vs_control_high": _finite(paired.high) if paired else None}


def _finite(value: float) -> float | None:
    return value if value == value else None  # NaN (too few samples): empty


def _note_fairness(t: Timed, notes: RunNotes) -> None:
    m = t.measurement
    entry = notes.fairness.setdefault(f"{t.adapter.name}/{t.mode}", {
        "cpu_per_wall_max": 0.0, "idle_wait_s": 0.0, "samples": 0, "preempted_samples": 0,
        "kept_descheduled": 0, "retraced": []})
    if m.kept_wall_s > 0:
        entry["cpu_per_wall_max"] = max(entry["cpu_per_wall_max"], round(m.cpu_per_wall, 3))
    entry["idle_wait_s"] = round(entry["idle_wait_s"] + m.idle_wait_s, 4)
    entry["samples"] += len(m.samples)
    entry["preempted_samples"] += m.preempted
    entry["kept_descheduled"] += m.kept_descheduled
    if t.retraced():
        # The samples then include tracing: say so loudly rather than report them quietly.
        entry["retraced"].append(str(m.key))
        log.warning("%s retraced while being timed", m.key)
